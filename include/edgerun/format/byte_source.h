// ByteSource: the bytes of a model, however they are held.
//
// Three kinds: a read-only memory mapping of a file (the default for files:
// no copy, pages shared with other processes and other loads of the same
// file), a whole-file read into an aligned heap block, and a caller-owned
// buffer. Constant tensors of a loaded model point into these bytes.
//
// Ownership: a ByteSource owns its mapping or heap block; a caller-owned
// buffer must outlive the ByteSource and every model loaded from it.
// A mapped file must not be truncated or rewritten in place while mapped
// (replace it with rename, as the model store does): the OS would raise
// SIGBUS on access to pages that vanished.
// Thread-safety: immutable after creation; safe to read from any thread.
#ifndef EDGERUN_FORMAT_BYTE_SOURCE_H_
#define EDGERUN_FORMAT_BYTE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"

namespace edgerun {

class ByteSource {
 public:
  enum class Kind { kMapped, kReadWhole, kCallerBuffer, kOwnedBuffer };

  // Alignment of kReadWhole blocks: enough for any tensor element and for
  // SIMD loads of constant data.
  static constexpr size_t kReadAlignment = 64;

  // Memory-maps `path` read-only. An empty file gives an empty source.
  static StatusOr<std::unique_ptr<ByteSource>> MapFile(const std::string& path);
  // Reads all of `path` into a kReadAlignment-aligned block.
  static StatusOr<std::unique_ptr<ByteSource>> ReadFile(const std::string& path);
  // Wraps bytes the caller keeps alive and unchanged (see class comment).
  static std::unique_ptr<ByteSource> FromBuffer(std::span<const uint8_t> bytes,
                                                std::string name = "<buffer>");
  // Takes ownership of `bytes` (e.g. a model just built in memory).
  static std::unique_ptr<ByteSource> FromVector(std::vector<uint8_t> bytes,
                                                std::string name = "<memory>");

  virtual ~ByteSource() = default;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  std::span<const uint8_t> bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  Kind kind() const { return kind_; }
  // The file path, or the name given to a buffer; used in error messages.
  const std::string& name() const { return name_; }

 protected:
  ByteSource(Kind kind, std::string name) : kind_(kind), name_(std::move(name)) {}
  std::span<const uint8_t> bytes_;

 private:
  Kind kind_;
  std::string name_;
};

std::string_view ByteSourceKindName(ByteSource::Kind kind);

}  // namespace edgerun

#endif  // EDGERUN_FORMAT_BYTE_SOURCE_H_
