// POSIX Env: open/write/fsync/rename/flock with EINTR retries and O_CLOEXEC.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "edgerun/base/env.h"

namespace edgerun {
namespace {

// "<op> <path>: <strerror(err)>" with the code documented in env.h.
Status ErrnoStatus(std::string_view op, std::string_view path, int err) {
  std::string msg;
  msg.append(op).append(" ").append(path).append(": ").append(std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return NotFoundError(std::move(msg));
    case EEXIST:
    case ENOTEMPTY:
      return AlreadyExistsError(std::move(msg));
    case EACCES:
    case EPERM:
    case EROFS:
      return PermissionDeniedError(std::move(msg));
    case ENOSPC:
    case EDQUOT:
      return ResourceExhaustedError(std::move(msg));
    case EWOULDBLOCK:
      return UnavailableError(std::move(msg));
    default:
      return InternalError(std::move(msg));
  }
}

// open(2) retried on EINTR.
int OpenRetry(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

Status FsyncFd(int fd, std::string_view path) {
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoStatus("fsync", path, errno);
  return OkStatus();
}

// Owns an fd opened for writing.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::span<const uint8_t> data) override {
    if (fd_ < 0) return FailedPreconditionError("write " + path_ + ": file is closed");
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write", path_, errno);
      }
      data = data.subspan(static_cast<size_t>(n));
    }
    return OkStatus();
  }

  Status Sync() override {
    if (fd_ < 0) return FailedPreconditionError("fsync " + path_ + ": file is closed");
    return FsyncFd(fd_, path_);
  }

  Status Close() override {
    if (fd_ < 0) return OkStatus();
    // close(2) must not be retried on EINTR (Linux frees the fd anyway).
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0 && errno != EINTR) return ErrnoStatus("close", path_, errno);
    return OkStatus();
  }

  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  StatusOr<size_t> Read(std::span<uint8_t> out) override {
    while (true) {
      const ssize_t n = ::read(fd_, out.data(), out.size());
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return ErrnoStatus("read", path_, errno);
    }
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

class PosixEnv final : public Env {
 public:
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    const int fd = OpenRetry(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    const int fd = OpenRetry(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    const int fd = OpenRetry(path.c_str(), O_RDONLY);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(path, fd));
  }

  StatusOr<std::string> ReadFileToString(const std::string& path) override {
    ASSIGN_OR_RETURN(auto file, NewSequentialFile(path));
    std::string out;
    uint8_t buf[64 * 1024];
    while (true) {
      ASSIGN_OR_RETURN(const size_t n, file->Read(buf));
      if (n == 0) break;
      out.append(reinterpret_cast<const char*>(buf), n);
    }
    return out;
  }

  bool FileExists(const std::string& path) override {
    return ::access(path.c_str(), F_OK) == 0;
  }

  bool IsDirectory(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus("opendir", dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return ErrnoStatus("readdir", dir, err);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) != 0) return ErrnoStatus("mkdir", path, errno);
    return OkStatus();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
    return OkStatus();
  }

  Status RemoveDirRecursive(const std::string& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return OkStatus();
      return ErrnoStatus("stat", path, errno);
    }
    if (!S_ISDIR(st.st_mode)) return RemoveFile(path);
    ASSIGN_OR_RETURN(auto children, GetChildren(path));
    for (const std::string& child : children) {
      RETURN_IF_ERROR(RemoveDirRecursive(JoinPath(path, child)));
    }
    if (::rmdir(path.c_str()) != 0) return ErrnoStatus("rmdir", path, errno);
    return OkStatus();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus("rename", from + " -> " + to, errno);
    }
    return OkStatus();
  }

  Status SyncDir(const std::string& dir) override {
    const int fd = OpenRetry(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return ErrnoStatus("open", dir, errno);
    Status s = FsyncFd(fd, dir);
    ::close(fd);
    return s;
  }

  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    const int fd = OpenRetry(path.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int err = errno;
      ::close(fd);
      Status s = ErrnoStatus("lock", path, err);
      if (err == EWOULDBLOCK) {
        return UnavailableError(s.message() + " (held by another process)");
      }
      return s;
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }

  uint64_t NowMicros() override {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
  }
};

}  // namespace

Status Env::CreateDirs(const std::string& path) {
  if (path.empty() || IsDirectory(path)) return OkStatus();
  const size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    RETURN_IF_ERROR(CreateDirs(path.substr(0, slash)));
  }
  Status s = CreateDir(path);
  if (!s.ok() && s.code() == StatusCode::kAlreadyExists && IsDirectory(path)) {
    return OkStatus();  // created concurrently
  }
  return s;
}

std::string JoinPath(std::string_view a, std::string_view b) {
  std::string out(a);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}

Env* Env::Default() {
  static Env* const env = new PosixEnv();
  return env;
}

}  // namespace edgerun
