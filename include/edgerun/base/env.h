// Env: every operating-system access of the ota layer (files, directories,
// locks, clock) behind one interface, after LevelDB's Env. Code that takes an
// Env* can be run against FaultInjectionEnv in tests to simulate a full disk,
// failing fsync, torn writes, failing renames and crashes at named points.
//
// Error codes of the POSIX Env (errno -> StatusCode):
//   ENOENT, ENOTDIR        -> kNotFound
//   EEXIST, ENOTEMPTY      -> kAlreadyExists
//   EACCES, EPERM, EROFS   -> kPermissionDenied
//   ENOSPC, EDQUOT         -> kResourceExhausted ("disk full": free space and
//                             retry)
//   EWOULDBLOCK (LockFile) -> kUnavailable (another process holds the lock)
//   any other I/O failure  -> kInternal
// Messages are one line: "<operation> <path>: <strerror>", e.g.
// "write /data/store/CURRENT.tmp: No space left on device".
//
// Thread-safety: Env implementations are thread-safe. A WritableFile or
// SequentialFile is thread-compatible (one thread at a time). A FileLock
// releases its lock when destroyed.
#ifndef EDGERUN_BASE_ENV_H_
#define EDGERUN_BASE_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"

namespace edgerun {

// A file opened for writing. Data is durable only after Sync(); Close() does
// not sync. The destructor closes the file if Close() was not called
// (ignoring errors). Owned by the caller. Thread-compatible.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  // Writes all of `data` at the end of the file (retrying short writes).
  virtual Status Append(std::span<const uint8_t> data) = 0;
  Status Append(std::string_view data) {
    return Append(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
  // fsync(2): file data and metadata reach stable storage.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  virtual const std::string& path() const = 0;

 protected:
  WritableFile() = default;
};

// A file read front to back (hashing large models without loading them
// whole). Owned by the caller. Thread-compatible.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  SequentialFile(const SequentialFile&) = delete;
  SequentialFile& operator=(const SequentialFile&) = delete;

  // Reads up to out.size() bytes; returns how many were read, 0 at the end.
  virtual StatusOr<size_t> Read(std::span<uint8_t> out) = 0;
  virtual const std::string& path() const = 0;

 protected:
  SequentialFile() = default;
};

// An advisory whole-file lock (flock(2)) held until destruction. Owned by the
// caller.
class FileLock {
 public:
  virtual ~FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 protected:
  FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // The process-wide POSIX Env; never destroyed, thread-safe.
  static Env* Default();

  // Creates or truncates `path` for writing.
  virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens `path` for appending, creating it when missing (download resume).
  virtual StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  virtual StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) = 0;
  virtual StatusOr<std::string> ReadFileToString(const std::string& path) = 0;

  // True when `path` exists (file, directory or anything else).
  virtual bool FileExists(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  virtual StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // Names of the entries of `dir`, without "." and "..", sorted.
  virtual StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) = 0;

  // kAlreadyExists when `path` exists.
  virtual Status CreateDir(const std::string& path) = 0;
  // mkdir -p; OK when the directory exists already.
  virtual Status CreateDirs(const std::string& path);
  virtual Status RemoveFile(const std::string& path) = 0;
  // rm -r; OK when `path` does not exist.
  virtual Status RemoveDirRecursive(const std::string& path) = 0;
  // rename(2): atomic; replaces a file `to` (or an empty directory `to` when
  // `from` is a directory).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // fsync of a directory, so that creations and renames in it are durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive flock on `path` (created when missing) without
  // waiting: kUnavailable when another open file description holds it.
  virtual StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) = 0;

  // Wall-clock time, microseconds since the UNIX epoch.
  virtual uint64_t NowMicros() = 0;

  // Crash-test hook: code that must survive a crash at any step calls this
  // between its steps with a stable name ("store.commit.renamed"). The
  // default does nothing; FaultInjectionEnv counts the calls and can kill
  // the process at one of them.
  virtual void CrashPoint(std::string_view name) {}

 protected:
  Env() = default;
};

// Joins path components with '/': JoinPath("a", "b") == "a/b".
std::string JoinPath(std::string_view a, std::string_view b);

}  // namespace edgerun

#endif  // EDGERUN_BASE_ENV_H_
