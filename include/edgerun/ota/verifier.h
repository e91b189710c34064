// Verification of the signed model repository: bytes in, verified values
// out. No network, disk or clock inside: the caller fetches the files and
// passes `now`, so the Updater (and tests) control every input.
//
// The client's walk (docs/ota.md, "Repository format"):
//   1. root = LoadTrustedRoot(shipped or stored root bytes)
//   2. for N = root.version+1, ...: root = VerifyRootUpdate(root, N.root.json)
//      until the server has no N.root.json; then CheckNotExpired(root, now)
//   3. ts = VerifyTimestamp(root, timestamp.json, now, last_ts_version)
//   4. targets = VerifyTargets(root, <v>.targets.json, now, ts.targets,
//                              last_targets_version)
//   5. entry = SelectUpdate(targets, model, installed, runtime)
//      InRollout(device_id, model, entry.rollout_percent)
//   6. VerifyTargetBytes(entry.model, downloaded bytes) (and the self-test
//      files), then store/activate.
//
// Error codes:
//   kPermissionDenied  a role's threshold of valid signatures is not met
//   kDeadlineExceeded  a document (or the root) has expired; chosen over
//                      kFailedPrecondition so that an updater can tell a
//                      stale mirror (retry later) from an attack
//   kFailedPrecondition rollback: a version lower than one already seen,
//                      a root version that is not exactly trusted+1, or a
//                      targets doc whose newest model is older than the
//                      installed one
//   kDataLoss          malformed/corrupt bytes: bad JSON, wrong _type,
//                      floats, a length/SHA-256 that does not match the
//                      signed value (mix-and-match, tampered models)
//   kNotFound          SelectUpdate: the model is not in targets.json
//   kInvalidArgument   bad caller arguments (runtime version string)
//
// Signature counting: only keyids the role lists count; unknown keyids and
// invalid signatures are ignored; several signatures by one key count once.
//
// Thread-safety: all functions are pure and thread-safe.
#ifndef EDGERUN_OTA_VERIFIER_H_
#define EDGERUN_OTA_VERIFIER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "edgerun/base/status.h"
#include "edgerun/ota/metadata.h"

namespace edgerun::ota {

// A root trusted out of band (shipped with the device, or stored after an
// earlier verification): checks shape and that a threshold of its own root
// keys signed it. Does not check expiry (see CheckNotExpired).
StatusOr<Root> LoadTrustedRoot(std::span<const uint8_t> bytes);

// Root rotation: `bytes` must be root version trusted.version + 1, signed
// by a threshold of `trusted`'s root keys AND a threshold of its own root
// keys. Expiry is not checked (intermediate roots may have expired).
StatusOr<Root> VerifyRootUpdate(const Root& trusted,
                                std::span<const uint8_t> bytes);

// kDeadlineExceeded when `now` is at or past root.expires.
Status CheckNotExpired(const Root& root, TimePoint now);

// timestamp.json: threshold of the timestamp role, not expired (and the
// root not expired), version >= previous_version (0 = none seen yet).
StatusOr<Timestamp> VerifyTimestamp(const Root& root,
                                    std::span<const uint8_t> bytes,
                                    TimePoint now, int64_t previous_version);

// targets.json: length and SHA-256 of `bytes` must equal `expected` (the
// timestamp's meta) and its version must equal expected.version; then
// threshold of the targets role, not expired, version >= previous_version.
StatusOr<Targets> VerifyTargets(const Root& root,
                                std::span<const uint8_t> bytes, TimePoint now,
                                const MetaFile& expected,
                                int64_t previous_version);

// A downloaded file against its signed length and SHA-256 (kDataLoss).
Status VerifyTargetBytes(const FileRef& file, std::span<const uint8_t> bytes);

// The newest version of `model` above `installed_version` whose
// min_runtime_version <= runtime_version; std::nullopt when there is none
// (already newest, or newer ones need a newer runtime). kFailedPrecondition
// when the newest version listed is lower than installed_version (a
// rollback attempt); kNotFound when the model is not listed. Rollout is
// not considered here (see InRollout).
StatusOr<std::optional<TargetEntry>> SelectUpdate(
    const Targets& targets, std::string_view model, int64_t installed_version,
    std::string_view runtime_version);

// Staged rollout: whether `device_id` gets a release of `model` published
// at `percent`. Bucket = the first 8 bytes of SHA-256(device_id + "/" +
// model) read as a big-endian uint64, mod 100; in when bucket < percent.
// Deterministic; a device that is in at p% stays in at any higher p.
bool InRollout(std::string_view device_id, std::string_view model,
               int percent);

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_VERIFIER_H_
