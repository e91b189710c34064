// FaultInjectionEnv: an Env for tests that forwards to another Env and
// injects the failures a device sees in the field: a full disk, failing
// fsync, a torn write followed by a crash, failing renames, and a kill at a
// named crash point (Env::CrashPoint).
//
// Ownership: does not own `base`, which must outlive it. Files it returns
// refer to the env, which must outlive them.
// Thread-safety: thread-safe (one internal mutex; the crash hook runs outside
// it).
#ifndef EDGERUN_BASE_FAULT_INJECTION_ENV_H_
#define EDGERUN_BASE_FAULT_INJECTION_ENV_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/env.h"

namespace edgerun {

class FaultInjectionEnv final : public Env {
 public:
  // Called at every CrashPoint with its name and 1-based index in this env.
  using CrashHook = std::function<void(std::string_view name, int index)>;

  explicit FaultInjectionEnv(Env* base);

  // Disk full: Appends may write `bytes` more bytes in total; the Append that
  // crosses the budget writes what fits and fails with kResourceExhausted
  // ("write <path>: No space left on device (injected)"), as do all later
  // ones. Creating files still works (like a real full disk).
  void SetWriteBudget(uint64_t bytes);
  // WritableFile::Sync and SyncDir fail with kInternal (EIO) while set.
  void SetSyncFailure(bool fail);
  // The next Append writes only its first `keep_bytes` bytes and the env
  // "crashes": that Append and every later mutating call (writes, syncs,
  // creations, removals, renames) fail with kAborted until Reset().
  void SetTornWrite(uint64_t keep_bytes);
  // RenameFile fails with kInternal while set.
  void SetRenameFailure(bool fail);
  // The faults above hit only paths containing `filter` (empty: all paths).
  // A rename matches when either of its paths does.
  void SetPathFilter(std::string filter);
  // Clears every fault and the crashed state; keeps the crash hook.
  void Reset();
  bool crashed() const;

  void SetCrashHook(CrashHook hook);
  // The names of the crash points passed so far, in order.
  std::vector<std::string> crash_points() const;
  // A hook that raise(SIGKILL)s the process at the `index`-th crash point.
  static CrashHook KillAt(int index);

  // Env.
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override;
  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override;
  StatusOr<std::string> ReadFileToString(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  bool IsDirectory(const std::string& path) override;
  StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override;
  Status CreateDir(const std::string& path) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveDirRecursive(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  uint64_t NowMicros() override;
  void CrashPoint(std::string_view name) override;

 private:
  friend class FaultWritableFile;

  bool MatchesLocked(std::string_view path) const;
  // kAborted when the env has crashed.
  Status CheckAliveLocked(std::string_view op, std::string_view path) const;
  Status CheckAlive(std::string_view op, std::string_view path) const;
  // How many of `n` bytes an Append to `path` may write, and the error to
  // return after writing them (OK: all of them).
  Status AdmitWrite(const std::string& path, size_t n, size_t* allowed);
  Status CheckSync(const std::string& path);

  Env* const base_;
  mutable std::mutex mu_;
  std::optional<uint64_t> write_budget_;      // guarded by mu_
  std::optional<uint64_t> torn_write_keep_;   // guarded by mu_
  bool fail_sync_ = false;                    // guarded by mu_
  bool fail_rename_ = false;                  // guarded by mu_
  bool crashed_ = false;                      // guarded by mu_
  std::string filter_;                        // guarded by mu_
  std::vector<std::string> crash_points_;     // guarded by mu_
  CrashHook hook_;                            // guarded by mu_
};

}  // namespace edgerun

#endif  // EDGERUN_BASE_FAULT_INJECTION_ENV_H_
