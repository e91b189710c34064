#include "edgerun/format/model_file.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "edgerun/format/types.h"
#include "format/model_verifier.h"
#include "format/tflite_generated.h"

namespace edgerun {
namespace {

constexpr size_t kHeaderBytes = 8;  // root offset + file identifier
// FlatBuffers reads tables in place with loads up to 8 bytes wide (uint64
// buffer offsets, int64 zero points); the file must start aligned for them.
constexpr size_t kTableAlignment = 8;

Status CheckHeader(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return DataLossError("file is empty");
  if (bytes.size() < kHeaderBytes) {
    return DataLossError("file is " + std::to_string(bytes.size()) +
                         " bytes, too short for a TFLite model");
  }
  if (!tfl::ModelBufferHasIdentifier(bytes.data())) {
    std::string id;
    for (size_t i = 4; i < 8; ++i) {
      const char c = static_cast<char>(bytes[i]);
      id += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return DataLossError("not a TensorFlow Lite model: file identifier is '" +
                         id + "', expected 'TFL3'");
  }
  uint32_t root;
  std::memcpy(&root, bytes.data(), sizeof(root));
  // The root table starts with its 4-byte offset to the vtable.
  if (root < kHeaderBytes ||
      root > bytes.size() - sizeof(flatbuffers::soffset_t)) {
    return DataLossError("root table offset " + std::to_string(root) +
                         " is outside the file (" +
                         std::to_string(bytes.size()) + " bytes)");
  }
  return OkStatus();
}

// Alignment each buffer needs: the largest element size of the tensors
// that use it (all subgraphs), at least 1.
std::vector<size_t> RequiredAlignments(const tfl::Model& model,
                                       size_t num_buffers) {
  std::vector<size_t> align(num_buffers, 1);
  if (model.subgraphs() == nullptr) return align;
  for (const tfl::SubGraph* g : *model.subgraphs()) {
    if (g == nullptr || g->tensors() == nullptr) continue;
    for (const tfl::Tensor* t : *g->tensors()) {
      if (t == nullptr || t->buffer() >= num_buffers) continue;
      size_t size = DataTypeSize(static_cast<DataType>(t->type()));
      if (t->type() == tfl::TensorType_STRING) size = 4;  // int32 offsets
      align[t->buffer()] = std::max(align[t->buffer()], std::max<size_t>(size, 1));
    }
  }
  return align;
}

}  // namespace

ModelFile::~ModelFile() = default;

std::span<const uint8_t> ModelFile::BufferData(uint32_t index) const {
  if (index >= buffers_.size()) return {};
  return buffers_[index];
}

StatusOr<std::shared_ptr<const ModelFile>> LoadModel(
    std::unique_ptr<ByteSource> source, const LoadOptions& options) {
  if (source == nullptr) return InvalidArgumentError("null ByteSource");
  size_t source_bytes_copied = 0;
  if (reinterpret_cast<uintptr_t>(source->bytes().data()) % kTableAlignment !=
      0) {
    // Reading tables at a misaligned address is undefined behaviour: copy
    // the bytes once into an (operator new aligned) block.
    std::vector<uint8_t> copy(source->bytes().begin(), source->bytes().end());
    source_bytes_copied = copy.size();
    source = ByteSource::FromVector(std::move(copy), source->name());
  }
  const std::span<const uint8_t> bytes = source->bytes();
  RETURN_IF_ERROR(CheckHeader(bytes));

  std::shared_ptr<ModelFile> file(new ModelFile());
  file->verification_ = options.verification;
  file->stats_.file_bytes = bytes.size();
  file->stats_.source_bytes_copied = source_bytes_copied;
  if (options.verification == Verification::kFull) {
    // The FlatBuffer itself is limited to 2 GB; bigger models keep their
    // weights after it (external buffers), which we check separately.
    const size_t fb_size =
        std::min<size_t>(bytes.size(), FLATBUFFERS_MAX_BUFFER_SIZE - 1);
    flatbuffers::Verifier verifier(bytes.data(), fb_size, options.max_depth,
                                   options.max_tables);
    if (!tfl::VerifyModelBuffer(verifier)) {
      return DataLossError(
          "FlatBuffers verification failed: the file is truncated or "
          "corrupt (an offset, vector or string is out of bounds, or the "
          "nesting/table limits were exceeded)");
    }
  }
  file->model_ = tfl::GetModel(bytes.data());
  if (options.verification == Verification::kFull) {
    RETURN_IF_ERROR(format_internal::CheckModelSemantics(*file->model_, bytes,
                                                         &file->warnings_));
  }

  const auto* buffers = file->model_->buffers();
  const size_t num_buffers = buffers == nullptr ? 0 : buffers->size();
  const std::vector<size_t> align =
      RequiredAlignments(*file->model_, num_buffers);
  file->buffers_.resize(num_buffers);
  for (size_t i = 0; i < num_buffers; ++i) {
    const tfl::Buffer* b = buffers->Get(i);
    if (b == nullptr) continue;
    std::span<const uint8_t> data;
    if (b->offset() > 1) {
      if (b->offset() > bytes.size() || b->size() > bytes.size() - b->offset()) {
        return DataLossError("buffer " + std::to_string(i) +
                             " points outside the file");
      }
      data = bytes.subspan(b->offset(), b->size());
      ++file->stats_.external_buffers;
    } else if (b->data() != nullptr) {
      data = {b->data()->data(), b->data()->size()};
    }
    if (data.empty()) continue;
    ++file->stats_.constant_buffers;
    if (reinterpret_cast<uintptr_t>(data.data()) % align[i] == 0) {
      file->buffers_[i] = data;
      file->stats_.constant_bytes_mapped += data.size();
      continue;
    }
    // Misaligned for its element type (external data at an odd offset, or
    // inline data from a writer that does not align it): copy once.
    const size_t padded = (data.size() + 63) / 64 * 64;
    auto* copy = static_cast<uint8_t*>(std::aligned_alloc(64, padded));
    if (copy == nullptr) {
      return ResourceExhaustedError("cannot allocate " +
                                    std::to_string(data.size()) +
                                    " bytes for aligned buffer " +
                                    std::to_string(i));
    }
    std::memcpy(copy, data.data(), data.size());
    file->copies_.emplace_back(copy, &std::free);
    file->buffers_[i] = {copy, data.size()};
    file->stats_.constant_bytes_copied += data.size();
    ++file->stats_.buffers_copied;
  }
  file->source_ = std::move(source);
  return std::shared_ptr<const ModelFile>(std::move(file));
}

StatusOr<std::shared_ptr<const ModelFile>> LoadModelFromFile(
    const std::string& path, const LoadOptions& options, FileReadMode mode) {
  StatusOr<std::unique_ptr<ByteSource>> source =
      mode == FileReadMode::kMmap ? ByteSource::MapFile(path)
                                  : ByteSource::ReadFile(path);
  if (!source.ok()) return source.status();
  StatusOr<std::shared_ptr<const ModelFile>> model =
      LoadModel(std::move(source).value(), options);
  if (!model.ok()) return model.status().WithContext(path);
  return model;
}

}  // namespace edgerun
