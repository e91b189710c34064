#include "edgerun/format/byte_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace edgerun {
namespace {

std::string ErrnoMessage(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

Status OpenError(const std::string& path) {
  if (errno == ENOENT) return NotFoundError(ErrnoMessage("cannot open", path));
  if (errno == EACCES) {
    return PermissionDeniedError(ErrnoMessage("cannot open", path));
  }
  return InvalidArgumentError(ErrnoMessage("cannot open", path));
}

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

StatusOr<size_t> RegularFileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return InvalidArgumentError(ErrnoMessage("cannot stat", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgumentError("'" + path + "' is not a regular file");
  }
  return static_cast<size_t>(st.st_size);
}

// Opens for reading without blocking: opening a FIFO would otherwise wait
// for a writer forever; RegularFileSize then refuses it. Regular files
// ignore O_NONBLOCK.
int OpenForReading(const std::string& path) {
  return ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
}

class MappedSource final : public ByteSource {
 public:
  MappedSource(std::string name, void* base, size_t size)
      : ByteSource(Kind::kMapped, std::move(name)), base_(base), size_(size) {
    if (base_ != nullptr) {
      bytes_ = {static_cast<const uint8_t*>(base_), size_};
    }
  }
  ~MappedSource() override {
    if (base_ != nullptr) ::munmap(base_, size_);
  }

 private:
  void* base_;
  size_t size_;
};

class HeapSource final : public ByteSource {
 public:
  HeapSource(std::string name, uint8_t* block, size_t size)
      : ByteSource(Kind::kReadWhole, std::move(name)), block_(block) {
    bytes_ = {block, size};
  }
  ~HeapSource() override { std::free(block_); }

 private:
  uint8_t* block_;
};

class CallerSource final : public ByteSource {
 public:
  CallerSource(std::string name, std::span<const uint8_t> bytes)
      : ByteSource(Kind::kCallerBuffer, std::move(name)) {
    bytes_ = bytes;
  }
};

class VectorSource final : public ByteSource {
 public:
  VectorSource(std::string name, std::vector<uint8_t> bytes)
      : ByteSource(Kind::kOwnedBuffer, std::move(name)),
        storage_(std::move(bytes)) {
    bytes_ = storage_;
  }

 private:
  std::vector<uint8_t> storage_;
};

}  // namespace

StatusOr<std::unique_ptr<ByteSource>> ByteSource::MapFile(
    const std::string& path) {
  const int fd = OpenForReading(path);
  if (fd < 0) return OpenError(path);
  FdCloser closer(fd);
  ASSIGN_OR_RETURN(const size_t size, RegularFileSize(fd, path));
  if (size == 0) {
    return std::unique_ptr<ByteSource>(new MappedSource(path, nullptr, 0));
  }
  void* base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (base == MAP_FAILED) {
    return ResourceExhaustedError(ErrnoMessage("cannot mmap", path));
  }
  return std::unique_ptr<ByteSource>(new MappedSource(path, base, size));
}

StatusOr<std::unique_ptr<ByteSource>> ByteSource::ReadFile(
    const std::string& path) {
  const int fd = OpenForReading(path);
  if (fd < 0) return OpenError(path);
  FdCloser closer(fd);
  ASSIGN_OR_RETURN(const size_t size, RegularFileSize(fd, path));
  // aligned_alloc needs a size that is a multiple of the alignment.
  const size_t padded =
      (size + kReadAlignment - 1) / kReadAlignment * kReadAlignment;
  auto* block = static_cast<uint8_t*>(
      std::aligned_alloc(kReadAlignment, padded == 0 ? kReadAlignment : padded));
  if (block == nullptr) {
    return ResourceExhaustedError("cannot allocate " + std::to_string(size) +
                                  " bytes to read '" + path + "'");
  }
  std::unique_ptr<ByteSource> source(new HeapSource(path, block, size));
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, block + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return DataLossError(ErrnoMessage("cannot read", path));
    if (n == 0) {
      return DataLossError("'" + path + "' shrank while being read (" +
                           std::to_string(done) + " of " +
                           std::to_string(size) + " bytes)");
    }
    done += static_cast<size_t>(n);
  }
  return source;
}

std::unique_ptr<ByteSource> ByteSource::FromBuffer(
    std::span<const uint8_t> bytes, std::string name) {
  return std::unique_ptr<ByteSource>(new CallerSource(std::move(name), bytes));
}

std::unique_ptr<ByteSource> ByteSource::FromVector(std::vector<uint8_t> bytes,
                                                   std::string name) {
  return std::unique_ptr<ByteSource>(
      new VectorSource(std::move(name), std::move(bytes)));
}

std::string_view ByteSourceKindName(ByteSource::Kind kind) {
  switch (kind) {
    case ByteSource::Kind::kMapped: return "mmap";
    case ByteSource::Kind::kReadWhole: return "read";
    case ByteSource::Kind::kCallerBuffer: return "caller-buffer";
    case ByteSource::Kind::kOwnedBuffer: return "owned-buffer";
  }
  return "unknown";
}

}  // namespace edgerun
