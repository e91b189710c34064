// ModelStore: the crash-safe on-disk store of model versions on a device.
//
// Flow of an update (the Updater drives it):
//   Staging s = BeginStaging(name, version)      // resumable staging dir
//   OpenStagedFile(s, "model.tflite", resume)    // download into *.part
//   CommitStaged(s, {{file, sha256, length}...}) // re-hash, move into place
//   ... load + self-test VersionDir(name, version) ...
//   Activate(name, version, reason)              // CURRENT -> version
//   ... health window ...  MarkGood(name)  or  Rollback(name, reason)
//   GarbageCollect(name)
// Loaders call Active(name), which re-verifies the file's SHA-256 before
// returning it and falls back (last good, previous, bundled model) when the
// active version is damaged.
//
// Layout under `root` (docs/ota.md, "Model store", has the atomicity
// argument):
//   LOCK                              flock: one process per store
//   staging/<name>-<version>/<file>.part   downloads in progress
//   trash/                            directories being deleted
//   versions/<name>/<version>/model.tflite, manifest.json, extra files
//   versions/<name>/CURRENT           JSON state + checksum (temp+fsync+rename)
//   versions/<name>/CURRENT.prev      the state before the last change
//   versions/<name>/history.jsonl     append-only event log
//
// Error codes: invalid names/versions -> kInvalidArgument; unknown model or
// version -> kNotFound; hash or length mismatch, damaged manifest ->
// kDataLoss; pinned model, nothing to roll back to -> kFailedPrecondition;
// store locked by another process -> kUnavailable; disk full ->
// kResourceExhausted; other I/O failures -> kInternal (see env.h).
//
// Ownership: does not own the Env, which must outlive the store.
// Thread-safety: all methods are thread-safe (one mutex; hashing a large
// model in Active/Activate/CommitStaged blocks other callers meanwhile). The
// flock on LOCK keeps a second process (or a second ModelStore on the same
// root) out until this one is destroyed.
#ifndef EDGERUN_OTA_MODEL_STORE_H_
#define EDGERUN_OTA_MODEL_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/env.h"
#include "edgerun/base/status.h"

namespace edgerun::ota {

inline constexpr char kModelFileName[] = "model.tflite";

struct StoreOptions {
  // Committed versions kept by GarbageCollect, besides the active, previous,
  // last-good and pinned ones.
  int keep_versions = 3;
  // A read-only model shipped with the device, used for every name when no
  // verified version is installed (version 0). Optional.
  std::string bundled_model_path;
  // When set, the bundled model is verified against it as well.
  std::string bundled_model_sha256;
};

// A staging area for one (name, version), from BeginStaging. A value; the
// directory survives restarts, so a download can resume.
struct Staging {
  std::string name;
  int64_t version = 0;
  std::string dir;  // <root>/staging/<name>-<version>
  // Where `file` is downloaded: "<dir>/<file>.part".
  std::string PartPath(std::string_view file) const;
};

// A file the caller expects in a staging area (from signed metadata).
struct ExpectedFile {
  std::string name;    // "model.tflite", "selftest_input.npy", ...
  std::string sha256;  // lower-case hex
  uint64_t length = 0;
};

struct ActiveModel {
  int64_t version = 0;  // 0: the bundled model
  std::string path;
  std::string sha256;  // of the file at `path`, just verified
  uint64_t length = 0;
  bool from_bundled = false;
};

struct VersionInfo {
  int64_t version = 0;
  bool committed = false;  // in versions/ (else only staged)
  bool staged = false;     // a staging area exists
  bool active = false;
  bool previous = false;
  bool last_good = false;
  bool pinned = false;    // active and pinned
  bool rejected = false;  // rolled back from or found damaged
  std::string sha256;     // of model.tflite, from the manifest
  uint64_t length = 0;
  uint64_t committed_at_micros = 0;
  uint64_t staged_bytes = 0;  // sum of the staged files' sizes
};

struct HistoryEvent {
  uint64_t time_micros = 0;
  // staged, committed, commit_rejected, rejected, activated, marked_good,
  // rolled_back, fallback, pinned, unpinned, gc_removed, recovered.
  std::string event;
  int64_t version = 0;
  int64_t from_version = 0;
  std::string reason;
};

class ModelStore {
 public:
  // Creates the layout when missing, takes the lock, and recovers from a
  // crash: removes *.tmp files, the trash, and staging areas that cannot be
  // resumed; reads every CURRENT, falling back to CURRENT.prev (then to the
  // history log) when it is damaged, and rewrites it.
  static StatusOr<std::unique_ptr<ModelStore>> Open(Env* env, std::string root,
                                                    StoreOptions options = {});
  ~ModelStore();
  ModelStore(const ModelStore&) = delete;
  ModelStore& operator=(const ModelStore&) = delete;

  // Returns the staging area of (name, version), creating it or reusing what
  // an earlier (possibly crashed) download left. kAlreadyExists when the
  // version is committed.
  StatusOr<Staging> BeginStaging(const std::string& name, int64_t version);
  // Opens "<file>.part" in the staging area: appending when `resume`, else
  // truncated. Sync is done by CommitStaged.
  StatusOr<std::unique_ptr<WritableFile>> OpenStagedFile(const Staging& staging,
                                                         const std::string& file,
                                                         bool resume);
  // Bytes already downloaded of `file` (0 when none): the resume offset.
  StatusOr<uint64_t> StagedSize(const Staging& staging, const std::string& file);
  // Deletes the staging area.
  Status AbortStaging(const Staging& staging);
  // Re-hashes every expected file from disk (model.tflite must be one). On a
  // mismatch or a missing file: kDataLoss / kNotFound and the staging area is
  // deleted. Else fsyncs the files, writes manifest.json and renames the
  // staging area to versions/<name>/<version> atomically. Files of the
  // staging area that are not expected are dropped.
  Status CommitStaged(const Staging& staging, const std::vector<ExpectedFile>& files,
                      const std::string& source);
  // Directory of a committed version (for self-tests before Activate).
  StatusOr<std::string> VersionDir(const std::string& name, int64_t version);

  // Verifies every file of a committed version and makes it active; the
  // active one becomes `previous`. kFailedPrecondition when pinned to another
  // version. Re-activating a rejected version clears its rejection.
  Status Activate(const std::string& name, int64_t version, const std::string& reason);
  // Records that a committed, inactive version failed its checks before
  // going live (self-test, full load): it is marked rejected (skipped by
  // fallbacks and by the Updater) with a history event. An explicit
  // Activate clears the mark. kFailedPrecondition for the active version.
  Status Reject(const std::string& name, int64_t version, const std::string& reason);
  // The health window passed: last_good = active.
  Status MarkGood(const std::string& name);
  // Leaves the active version (marked rejected) for last_good, else
  // previous, else the bundled model (0); returns the new active version.
  StatusOr<int64_t> Rollback(const std::string& name, const std::string& reason);
  // Activates `version` (when not active) and keeps it there: Activate of
  // another version and Rollback fail until Unpin.
  Status Pin(const std::string& name, int64_t version);
  Status Unpin(const std::string& name);

  // The verified active model; see the header comment for the fallback.
  StatusOr<ActiveModel> Active(const std::string& name);
  // Committed and staged versions of `name`, newest first.
  StatusOr<std::vector<VersionInfo>> List(const std::string& name);
  // Names with a committed or active version, sorted.
  StatusOr<std::vector<std::string>> Models();
  // Events of history.jsonl, oldest first (a torn last line is skipped).
  StatusOr<std::vector<HistoryEvent>> History(const std::string& name);
  // Deletes committed versions beyond the newest keep_versions, never the
  // active, previous, last-good or pinned one. Returns how many it removed.
  StatusOr<int> GarbageCollect(const std::string& name);

  const std::string& root() const { return root_; }

 private:
  struct State {
    int64_t active = 0;  // 0: bundled / none
    int64_t previous = 0;
    int64_t last_good = 0;
    bool pinned = false;
    std::vector<int64_t> rejected;
  };
  struct Manifest;

  ModelStore(Env* env, std::string root, StoreOptions options);

  Status Recover();
  Status RecoverStaging();
  Status RecoverModel(const std::string& name);

  std::string ModelDir(const std::string& name) const;
  std::string VersionPath(const std::string& name, int64_t version) const;
  bool IsCommittedLocked(const std::string& name, int64_t version);
  StatusOr<Manifest> ReadManifest(const std::string& name, int64_t version);
  // Re-hashes the files of a committed version (model only, or all).
  Status VerifyVersion(const std::string& name, int64_t version, bool all_files,
                       Manifest* manifest);
  Status WriteState(const std::string& name, const State& state);
  Status WriteFileAtomically(const std::string& dir, const std::string& file,
                             const std::string& contents, std::string_view crash_tag);
  StatusOr<std::vector<HistoryEvent>> ReadHistory(const std::string& name);
  void AppendHistory(const std::string& name, std::string_view event, int64_t version,
                     int64_t from_version, const std::string& reason);
  // The first verified fallback for a damaged or rejected active version.
  StatusOr<int64_t> PickFallback(const std::string& name, const State& state,
                                 int64_t avoid, std::string* why);
  StatusOr<ActiveModel> BundledModel();
  Status MoveToTrashAndRemove(const std::string& path, const std::string& label);

  Env* const env_;
  const std::string root_;
  const StoreOptions options_;
  std::unique_ptr<FileLock> lock_;
  std::mutex mu_;
  std::map<std::string, State> states_;  // guarded by mu_; names with CURRENT
  std::set<std::string> torn_history_;   // guarded by mu_; last line torn
};

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_MODEL_STORE_H_
