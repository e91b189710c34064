// ModelFile: a loaded, verified TensorFlow Lite model.
//
// LoadModel checks the bytes (see Verification) and resolves every constant
// buffer to a span: into the ByteSource when the data is aligned for its
// element type (no copy), or into an aligned private copy when it is not
// (counted in LoadStats). Everything above the format layer reads models
// through a ModelFile.
//
// Ownership: a ModelFile owns its ByteSource and its aligned copies; share
// it with std::shared_ptr (interpreters keep it alive).
// Thread-safety: immutable after LoadModel; safe to share between threads.
#ifndef EDGERUN_FORMAT_MODEL_FILE_H_
#define EDGERUN_FORMAT_MODEL_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/byte_source.h"

namespace edgerun {
namespace tfl {
struct Model;  // FlatBuffers table, see src/format/schema/tflite.fbs
}  // namespace tfl

enum class Verification {
  // File identifier and root offset only. For bytes already verified (e.g.
  // a bundled model checked at build time); never for untrusted files.
  kHeader,
  // FlatBuffers verifier with depth/table limits, plus semantic checks
  // (indices in range, buffer sizes, quantization, graph order).
  kFull,
};

struct LoadOptions {
  Verification verification = Verification::kFull;
  // FlatBuffers verifier limits: nesting depth and number of tables.
  unsigned max_depth = 64;
  unsigned max_tables = 4'000'000;
};

struct LoadStats {
  size_t file_bytes = 0;
  size_t constant_buffers = 0;       // buffers holding data
  size_t constant_bytes_mapped = 0;  // used in place (no copy)
  size_t constant_bytes_copied = 0;  // copied because misaligned
  size_t buffers_copied = 0;
  // The whole file, copied once because the ByteSource's bytes were not
  // aligned for FlatBuffers' in-place reads (a caller buffer at an odd
  // address); 0 normally.
  size_t source_bytes_copied = 0;
  size_t external_buffers = 0;       // stored outside the FlatBuffer (>2 GB)
};

class ModelFile {
 public:
  ModelFile(const ModelFile&) = delete;
  ModelFile& operator=(const ModelFile&) = delete;
  ~ModelFile();

  // The FlatBuffers root. Valid as long as this ModelFile.
  const tfl::Model& model() const { return *model_; }
  std::span<const uint8_t> bytes() const { return source_->bytes(); }
  const ByteSource& source() const { return *source_; }
  Verification verification() const { return verification_; }

  // Constant data of buffer `index`, aligned for every tensor that uses it;
  // empty for buffers without data and for out-of-range indices.
  std::span<const uint8_t> BufferData(uint32_t index) const;
  size_t num_buffers() const { return buffers_.size(); }

  const LoadStats& stats() const { return stats_; }
  // Things accepted but not quite right (e.g. a quantized_dimension out of
  // range on a rank-1 bias, which TFLite Micro ignores too).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  friend StatusOr<std::shared_ptr<const ModelFile>> LoadModel(
      std::unique_ptr<ByteSource> source, const LoadOptions& options);
  ModelFile() = default;

  std::unique_ptr<ByteSource> source_;
  const tfl::Model* model_ = nullptr;
  Verification verification_ = Verification::kFull;
  std::vector<std::span<const uint8_t>> buffers_;
  std::vector<std::unique_ptr<uint8_t, void (*)(void*)>> copies_;
  LoadStats stats_;
  std::vector<std::string> warnings_;
};

// Errors: kDataLoss for corrupt or malformed bytes (the message names the
// table, index and problem), kUnimplemented for valid but unsupported
// content (sparse tensors), kInvalidArgument for bad options.
StatusOr<std::shared_ptr<const ModelFile>> LoadModel(
    std::unique_ptr<ByteSource> source, const LoadOptions& options = {});

enum class FileReadMode { kMmap, kReadWhole };

// Opens `path` (mmap by default) and loads it; errors name the path.
StatusOr<std::shared_ptr<const ModelFile>> LoadModelFromFile(
    const std::string& path, const LoadOptions& options = {},
    FileReadMode mode = FileReadMode::kMmap);

}  // namespace edgerun

#endif  // EDGERUN_FORMAT_MODEL_FILE_H_
