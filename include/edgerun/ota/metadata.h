// The signed metadata of the model repository (TUF in spirit): root.json,
// timestamp.json and targets.json as C++ values, their canonical JSON, and
// signing. The format is documented in docs/ota.md, "Repository format".
//
// Every document is an envelope
//   {"signed": {...}, "signatures": [{"keyid": "<hex>", "sig": "<hex>"}]}
// and each signature is Ed25519 over the canonical bytes of "signed":
// nlohmann::json's compact dump (object keys sorted, no whitespace, UTF-8)
// of the parsed object. Signed documents hold no floating-point numbers
// (they are refused), so parse -> dump is exact; tolerances are written as
// decimal strings.
//
// Verification (signatures, thresholds, expiry, rollback) is in verifier.h;
// the Parse*Unverified functions here only check the shape and are meant
// for the publisher, which reads back its own repository.
//
// Thread-safety: all functions are thread-safe; the structs are values.
#ifndef EDGERUN_OTA_METADATA_H_
#define EDGERUN_OTA_METADATA_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/ota/keys.h"

namespace edgerun::ota {

using TimePoint = std::chrono::system_clock::time_point;

inline std::span<const uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// Metadata larger than this is refused before parsing (kDataLoss).
inline constexpr size_t kMaxMetadataBytes = 16 << 20;

// "2026-12-01T00:00:00Z" (RFC 3339, UTC, whole seconds) <-> time point.
std::string FormatTime(TimePoint t);
// Exactly the form FormatTime writes; kInvalidArgument otherwise.
StatusOr<TimePoint> ParseTime(std::string_view text);

// Dotted non-negative integers ("0.1.0"); kInvalidArgument when malformed.
StatusOr<std::vector<int64_t>> ParseRuntimeVersion(std::string_view text);
// <0, 0, >0 like strcmp; missing components count as 0 ("1.2" == "1.2.0").
int CompareRuntimeVersions(const std::vector<int64_t>& a,
                           const std::vector<int64_t>& b);

enum class Role { kRoot, kTargets, kTimestamp };
std::string_view RoleName(Role role);  // "root", "targets", "timestamp"

// The keys a role trusts and how many of them must sign.
struct RoleKeys {
  std::vector<std::string> keyids;  // distinct, each listed in Root::keys
  int threshold = 1;                // 1 <= threshold <= keyids.size()
};

// root.json: the keys of every role. Version 1 is trusted out of band
// (shipped with the device); version N+1 is signed by N's root keys too.
struct Root {
  int64_t version = 1;
  TimePoint expires;
  std::map<std::string, PublicKey> keys;  // by keyid
  RoleKeys root;
  RoleKeys targets;
  RoleKeys timestamp;

  const RoleKeys& role(Role r) const;
};

// Version, size and hash of another metadata file (timestamp -> targets).
struct MetaFile {
  int64_t version = 0;
  uint64_t length = 0;
  std::string sha256;  // lower-case hex
};

// timestamp.json: short-lived; pins the current targets.json.
struct Timestamp {
  int64_t version = 1;
  TimePoint expires;
  MetaFile targets;  // meta["targets.json"]
};

// A file of the repository, relative to its root ("models/m/3/model.tflite").
struct FileRef {
  std::string path;
  uint64_t length = 0;
  std::string sha256;  // lower-case hex

  bool operator==(const FileRef&) const = default;
};

// Reference inputs and outputs (.npy) a device runs before activating a
// model; hashed like the model itself.
struct SelfTest {
  std::vector<FileRef> inputs;
  std::vector<FileRef> outputs;
  std::optional<double> atol;  // stored as decimal strings ("1e-05")
  std::optional<double> rtol;

  bool operator==(const SelfTest&) const = default;
};

// One version of one model.
struct TargetEntry {
  std::string name;  // the model name (the key in "targets")
  int64_t version = 0;  // > 0, unique per model
  FileRef model;
  std::string min_runtime_version = "0.0.0";
  int rollout_percent = 100;  // 0..100, see InRollout
  std::optional<SelfTest> self_test;

  bool operator==(const TargetEntry&) const = default;
};

// targets.json: every published model version.
struct Targets {
  int64_t version = 1;
  TimePoint expires;
  // Model name -> its versions, ascending.
  std::map<std::string, std::vector<TargetEntry>> targets;
};

// Signed envelopes (pretty-printed JSON, trailing newline) signed by every
// key in `keys`, in order (a key given twice signs twice). No checks of
// roles or thresholds: tests use these to forge the attack cases.
// kInvalidArgument when the value cannot be written (a bad tolerance).
StatusOr<std::string> SignRoot(const Root& root,
                               std::span<const SigningKey> keys);
StatusOr<std::string> SignTimestamp(const Timestamp& timestamp,
                                    std::span<const SigningKey> keys);
StatusOr<std::string> SignTargets(const Targets& targets,
                                  std::span<const SigningKey> keys);

// Shape-only parsing of an envelope's "signed" part (no signature,
// threshold or expiry checks). kDataLoss for anything malformed, naming
// the file and field.
StatusOr<Root> ParseRootUnverified(std::span<const uint8_t> bytes);
StatusOr<Timestamp> ParseTimestampUnverified(std::span<const uint8_t> bytes);
StatusOr<Targets> ParseTargetsUnverified(std::span<const uint8_t> bytes);

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_METADATA_H_
