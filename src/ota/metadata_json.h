// Internal: the JSON side of the repository metadata (nlohmann::json), shared
// by metadata.cc (signing, shape parsing) and repository_verifier.cc.
//
// Thread-safety: pure functions.
#ifndef EDGERUN_SRC_OTA_METADATA_JSON_H_
#define EDGERUN_SRC_OTA_METADATA_JSON_H_

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/ota/metadata.h"

namespace edgerun::ota::internal {

// Nesting deeper than this is refused (kDataLoss) before anything recurses.
inline constexpr int kMaxJsonDepth = 32;

// A parsed signed document. `canonical` is what the signatures cover.
struct Envelope {
  nlohmann::json signed_part;
  std::string canonical;
  // (keyid, sig hex) as listed, duplicates included.
  std::vector<std::pair<std::string, std::string>> signatures;
  std::string what;  // "targets.json version 4" for messages
};

// The canonical bytes of a "signed" value: compact dump, sorted keys.
std::string CanonicalBytes(const nlohmann::json& value);

// Parses bytes into an Envelope: size limit, valid JSON, depth limit, no
// floats, {"signed": object, "signatures": [{"keyid","sig"}...]} and
// signed._type == `type`. `file` names the document in errors.
StatusOr<Envelope> ParseEnvelope(std::span<const uint8_t> bytes,
                                 std::string_view file, std::string_view type);

// The signed parts as values (shape checks, kDataLoss naming `what`).
StatusOr<Root> RootFromJson(const nlohmann::json& j, std::string_view what);
StatusOr<Timestamp> TimestampFromJson(const nlohmann::json& j,
                                      std::string_view what);
StatusOr<Targets> TargetsFromJson(const nlohmann::json& j,
                                  std::string_view what);

}  // namespace edgerun::ota::internal

#endif  // EDGERUN_SRC_OTA_METADATA_JSON_H_
