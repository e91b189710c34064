// Server-side tools of the signed model repository: key files, publishing
// a directory of models into a repository, root rotation, and re-signing
// (used by tests to make the attack cases). Uses the local file system
// directly (std::filesystem / POSIX); every output file is written to a
// temporary name, fsynced and renamed into place. Devices never need this.
//
// Repository layout (docs/ota.md, "Repository format"):
//   REPO/root.json, REPO/<N>.root.json        every root version
//   REPO/targets.json, REPO/<N>.targets.json  every targets version
//   REPO/timestamp.json
//   REPO/models/<name>/<version>/model.tflite (+ self-test .npy files)
//
// Thread-safety: functions are thread-safe but two publishers must not
// write the same repository at once (no locking).
#ifndef EDGERUN_OTA_PUBLISHER_H_
#define EDGERUN_OTA_PUBLISHER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/ota/keys.h"
#include "edgerun/ota/metadata.h"

namespace edgerun::ota {

// Writes `path` (mode 0600, refusing to overwrite: kAlreadyExists) and its
// public twin (".json" -> ".pub.json", otherwise "+.pub.json"); returns the
// public file's path.
StatusOr<std::string> WriteKeyFiles(const std::string& path,
                                    const SigningKey& key);
std::string PublicKeyPath(const std::string& private_key_path);
StatusOr<SigningKey> LoadSigningKey(const std::string& path);
StatusOr<PublicKey> LoadPublicKey(const std::string& path);

// Reads a whole file (kNotFound / kDataLoss naming the path).
StatusOr<std::vector<uint8_t>> ReadFileBytes(const std::string& path);
// temp file in the same directory + fsync + rename; creates parents.
Status WriteFileAtomic(const std::string& path, std::span<const uint8_t> bytes);

// Checks a model file before it is published; `path` names it in errors.
using ModelCheck =
    std::function<Status(const std::string& path, std::span<const uint8_t>)>;

struct PublishOptions {
  // Keys for every role unless the role's own list is non-empty.
  std::vector<SigningKey> keys;
  std::vector<SigningKey> root_keys;
  std::vector<SigningKey> targets_keys;
  std::vector<SigningKey> timestamp_keys;
  // Threshold of every role of a new root (ignored when root.json exists).
  int threshold = 1;
  int expires_days = 365;              // root (new) and targets
  int timestamp_expires_hours = 24;
  TimePoint now = std::chrono::system_clock::now();
  // Explicit expiry times (tests: already-expired documents).
  std::optional<TimePoint> targets_expires;
  std::optional<TimePoint> timestamp_expires;
  // Run on every new model.tflite; publish fails with its error. The CLI
  // passes edgerun's LoadModel with full verification.
  ModelCheck check_model;
};

struct PublishResult {
  int64_t root_version = 0;
  int64_t targets_version = 0;
  int64_t timestamp_version = 0;
  bool created_root = false;
  std::vector<std::string> added;    // "name@version", newly published
  // Already published (same bytes) whose target.json changed (rollout
  // percent, minimum runtime, self-test).
  std::vector<std::string> updated;
};

// Publishes DIR/<name>/<version>/model.tflite (+ optional target.json and
// the self-test files it names) into `repo_dir`. Creates 1.root.json on
// first publish; every publish writes targets and timestamp with versions
// one above the repository's current ones and keeps earlier models.
// A (name, version) already published with other model bytes is refused
// (kAlreadyExists: versions are immutable); with the same bytes its entry
// is rebuilt from target.json, so a staged rollout can be widened.
// Errors: kInvalidArgument (layout, names, options), kPermissionDenied
// (keys that are not the root's keys of a role, or fewer than its
// threshold), kDataLoss (model check, unreadable repository metadata).
StatusOr<PublishResult> Publish(const std::string& models_dir,
                                const std::string& repo_dir,
                                const PublishOptions& options);

struct RotateOptions {
  int expires_days = 365;
  TimePoint now = std::chrono::system_clock::now();
  std::optional<TimePoint> expires;  // overrides expires_days
  // Replace the targets/timestamp roles (same keys when empty).
  std::vector<PublicKey> targets_keys;
  int targets_threshold = 1;
  std::vector<PublicKey> timestamp_keys;
  int timestamp_threshold = 1;
  // Sign with these only instead of old+new root keys (tests: the refused
  // rotations). Empty = old_root_keys then new_root_keys.
  std::optional<std::vector<SigningKey>> signers;
  // Version to write instead of current+1 (tests: version skip).
  std::optional<int64_t> version;
};

// Writes root version N+1 (N = the repository's root.json) whose root role
// is `new_root_keys` with `threshold`, signed by `old_root_keys` and
// `new_root_keys`; returns the new version. Checks that old_root_keys meet
// root N's threshold unless options.signers is set.
StatusOr<int64_t> RotateRoot(const std::string& repo_dir,
                             std::span<const SigningKey> old_root_keys,
                             std::span<const SigningKey> new_root_keys,
                             int threshold, const RotateOptions& options = {});

struct ResignOptions {
  std::optional<int64_t> version;     // default: current + 1
  std::optional<TimePoint> expires;   // default: now + 24 h
  TimePoint now = std::chrono::system_clock::now();
};

// Rewrites timestamp.json over the current targets.json, signed by `keys`
// as given (no role or threshold checks: tests forge rollbacks with it).
StatusOr<Timestamp> ResignTimestamp(const std::string& repo_dir,
                                    std::span<const SigningKey> keys,
                                    const ResignOptions& options = {});

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_PUBLISHER_H_
