#include "edgerun/format/model_builder.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>

#include "edgerun/format/byte_source.h"
#include "edgerun/format/model_file.h"

namespace edgerun {
namespace {

// Inline buffers: the alignment TFLite's writer uses for constant data.
constexpr size_t kInlineAlignment = 16;
// External data: aligned for any element type and for SIMD loads.
constexpr uint64_t kExternalAlignment = 64;
// Custom options stored after the FlatBuffer.
constexpr uint64_t kExternalOptionsAlignment = 16;
// Room left for tables, vectors and padding when checking that inline data
// fits in one FlatBuffer.
constexpr uint64_t kFlatBufferHeadroom = uint64_t{64} << 20;
// Placeholder for file offsets of external data before the layout is known:
// non-zero, so the field is written and the second pass has the same layout.
constexpr uint64_t kOffsetPlaceholder = 1;

bool IsInline(BufferPlacement placement) {
  return placement == BufferPlacement::kInline ||
         placement == BufferPlacement::kInlineMisaligned;
}

uint64_t AlignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

std::string ShapeString(const std::vector<int32_t>& shape) {
  std::string out = "[";
  for (size_t d = 0; d < shape.size(); ++d) {
    if (d > 0) out += ",";
    out += std::to_string(shape[d]);
  }
  return out + "]";
}

// Number of elements of `shape`; nullopt for negative dims or overflow.
std::optional<uint64_t> ElementCount(const std::vector<int32_t>& shape) {
  uint64_t count = 1;
  for (int32_t d : shape) {
    if (d < 0) return std::nullopt;
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(d), &count)) {
      return std::nullopt;
    }
  }
  return count;
}

// The byte-sized operator code field, as TFLite's writer fills it.
int8_t DeprecatedCode(int32_t code) {
  const int32_t placeholder =
      tfl::BuiltinOperator_PLACEHOLDER_FOR_GREATER_OP_CODES;
  return static_cast<int8_t>(std::clamp<int32_t>(
      code, std::numeric_limits<int8_t>::min(), placeholder));
}

bool SameCode(const OpCode& a, const OpCode& b) {
  return a.builtin_code == b.builtin_code && a.custom_code == b.custom_code &&
         a.version == b.version &&
         a.deprecated_builtin_code == b.deprecated_builtin_code;
}

}  // namespace

// ------------------------------------------------------------ free helpers

std::vector<uint8_t> PackInt4(const std::vector<int8_t>& values) {
  std::vector<uint8_t> packed((values.size() + 1) / 2, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    const uint8_t nibble = static_cast<uint8_t>(values[i]) & 0x0f;
    packed[i / 2] |= (i % 2 == 0) ? nibble : static_cast<uint8_t>(nibble << 4);
  }
  return packed;
}

std::vector<uint8_t> EncodeStrings(const std::vector<std::string>& values) {
  const size_t header = 4 * (values.size() + 2);
  size_t total = header;
  for (const std::string& s : values) total += s.size();
  std::vector<uint8_t> out(total);
  auto put_i32 = [&out](size_t at, size_t value) {
    const int32_t v = static_cast<int32_t>(value);
    std::memcpy(out.data() + at, &v, sizeof(v));
  };
  put_i32(0, values.size());
  size_t offset = header;
  for (size_t i = 0; i < values.size(); ++i) {
    put_i32(4 * (i + 1), offset);
    if (!values[i].empty()) {
      std::memcpy(out.data() + offset, values[i].data(), values[i].size());
    }
    offset += values[i].size();
  }
  put_i32(4 * (values.size() + 1), offset);
  return out;
}

QuantizationSpec QuantizationSpec::PerTensor(float scale, int64_t zero_point) {
  QuantizationSpec q;
  q.scale = {scale};
  q.zero_point = {zero_point};
  return q;
}

QuantizationSpec QuantizationSpec::PerChannel(std::vector<float> scales,
                                              std::vector<int64_t> zero_points,
                                              int32_t quantized_dimension) {
  QuantizationSpec q;
  q.scale = std::move(scales);
  q.zero_point = std::move(zero_points);
  q.quantized_dimension = quantized_dimension;
  return q;
}

OpCode OpCode::Builtin(int32_t code, int32_t version) {
  return OpCode(static_cast<tfl::BuiltinOperator>(code), version);
}

OpCode OpCode::Custom(std::string name, int32_t version) {
  OpCode code(tfl::BuiltinOperator_CUSTOM, version);
  code.custom_code = std::move(name);
  return code;
}

// ------------------------------------------------------------ FlatTable

FlatTable FlatTable::FromBuilder(flatbuffers::FlatBufferBuilder& fbb,
                                 flatbuffers::uoffset_t root) {
  FlatTable table;
  if (root == 0) return table;  // the callable built nothing
  const size_t size = fbb.GetSize();
  // Finishing makes the builder's alignment readable; the bytes written so
  // far stay where they are (Finish only prepends).
  fbb.Finish(flatbuffers::Offset<void>(root));
  table.alignment_ = fbb.GetBufferMinAlignment();
  const uint8_t* end = fbb.GetBufferPointer() + fbb.GetSize();
  table.bytes_.assign(end - size, end);
  table.root_ = root;
  return table;
}

flatbuffers::uoffset_t FlatTable::CopyInto(
    flatbuffers::FlatBufferBuilder& fbb) const {
  // Offsets in a FlatBuffer are relative and alignment counts from the end,
  // so the block keeps its meaning once its end sits at an aligned spot.
  fbb.Align(alignment_);
  fbb.PushBytes(bytes_.data(), bytes_.size());
  return fbb.GetSize() - static_cast<flatbuffers::uoffset_t>(bytes_.size()) +
         root_;
}

// ------------------------------------------------------------ SubgraphBuilder

std::string SubgraphBuilder::Label() const {
  std::string label = "subgraph " + std::to_string(index_);
  if (!name_.empty()) label += " '" + name_ + "'";
  return label;
}

int32_t SubgraphBuilder::AddTensor(TensorSpec spec) {
  tensors_.push_back(std::move(spec));
  return static_cast<int32_t>(tensors_.size() - 1);
}

int32_t SubgraphBuilder::AddTensor(
    std::string name, DataType type, std::vector<int32_t> shape,
    std::optional<QuantizationSpec> quantization) {
  TensorSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.shape = std::move(shape);
  spec.quantization = std::move(quantization);
  return AddTensor(std::move(spec));
}

int32_t SubgraphBuilder::AddVariableTensor(
    std::string name, DataType type, std::vector<int32_t> shape,
    std::optional<QuantizationSpec> quantization) {
  const int32_t index = AddTensor(std::move(name), type, std::move(shape),
                                  std::move(quantization));
  tensors_[index].is_variable = true;
  return index;
}

int32_t SubgraphBuilder::AddInput(TensorSpec spec) {
  const int32_t index = AddTensor(std::move(spec));
  inputs_.push_back(index);
  return index;
}

int32_t SubgraphBuilder::AddInput(
    std::string name, DataType type, std::vector<int32_t> shape,
    std::optional<QuantizationSpec> quantization) {
  const int32_t index = AddTensor(std::move(name), type, std::move(shape),
                                  std::move(quantization));
  inputs_.push_back(index);
  return index;
}

int32_t SubgraphBuilder::AddOutput(TensorSpec spec) {
  const int32_t index = AddTensor(std::move(spec));
  outputs_.push_back(index);
  return index;
}

int32_t SubgraphBuilder::AddOutput(
    std::string name, DataType type, std::vector<int32_t> shape,
    std::optional<QuantizationSpec> quantization) {
  const int32_t index = AddTensor(std::move(name), type, std::move(shape),
                                  std::move(quantization));
  outputs_.push_back(index);
  return index;
}

void SubgraphBuilder::MarkInput(int32_t tensor) {
  if (tensor < 0 || static_cast<size_t>(tensor) >= tensors_.size()) {
    model_->RecordError(
        InvalidArgumentError(Label() + ": MarkInput(" + std::to_string(tensor) +
                             "): no such tensor (the subgraph has " +
                             std::to_string(tensors_.size()) + ")"));
    return;
  }
  inputs_.push_back(tensor);
}

void SubgraphBuilder::MarkOutput(int32_t tensor) {
  if (tensor < 0 || static_cast<size_t>(tensor) >= tensors_.size()) {
    model_->RecordError(InvalidArgumentError(
        Label() + ": MarkOutput(" + std::to_string(tensor) +
        "): no such tensor (the subgraph has " +
        std::to_string(tensors_.size()) + ")"));
    return;
  }
  outputs_.push_back(tensor);
}

int32_t SubgraphBuilder::AddConstTensorWithCount(
    std::string name, DataType type, std::vector<int32_t> shape,
    std::vector<uint8_t> bytes, size_t count,
    std::optional<QuantizationSpec> quantization, BufferPlacement placement) {
  const std::optional<uint64_t> elements = ElementCount(shape);
  if (!elements.has_value() || *elements != count) {
    model_->RecordError(InvalidArgumentError(
        Label() + " tensor '" + name + "': " + std::to_string(count) +
        " values for shape " + ShapeString(shape) +
        (elements.has_value() ? " (" + std::to_string(*elements) + " elements)"
                              : " (invalid shape)")));
  }
  return AddConstTensor(std::move(name), type, std::move(shape),
                        std::move(bytes), std::move(quantization), placement);
}

int32_t SubgraphBuilder::AddConstTensor(
    std::string name, DataType type, std::vector<int32_t> shape,
    std::vector<uint8_t> bytes, std::optional<QuantizationSpec> quantization,
    BufferPlacement placement) {
  TensorSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.shape = std::move(shape);
  spec.buffer = model_->AddBuffer(std::move(bytes), placement);
  spec.quantization = std::move(quantization);
  return AddTensor(std::move(spec));
}

int32_t SubgraphBuilder::AddStringTensor(
    std::string name, std::vector<int32_t> shape,
    const std::vector<std::string>& values) {
  return AddConstTensorWithCount(std::move(name), DataType::kString,
                                 std::move(shape), EncodeStrings(values),
                                 values.size(), std::nullopt,
                                 BufferPlacement::kInline);
}

int32_t SubgraphBuilder::AddOperator(const OpCode& op,
                                     std::vector<int32_t> inputs,
                                     std::vector<int32_t> outputs,
                                     OpOptions options) {
  OperatorSpec spec;
  spec.opcode_index = model_->OperatorCodeIndex(op);
  spec.inputs = std::move(inputs);
  spec.outputs = std::move(outputs);
  spec.options = std::move(options);
  return AddOperator(std::move(spec));
}

int32_t SubgraphBuilder::AddCustomOperator(std::string custom_code,
                                           std::vector<int32_t> inputs,
                                           std::vector<int32_t> outputs,
                                           std::vector<uint8_t> custom_options,
                                           int32_t version) {
  OperatorSpec spec;
  spec.opcode_index = model_->OperatorCodeIndex(
      OpCode::Custom(std::move(custom_code), version));
  spec.inputs = std::move(inputs);
  spec.outputs = std::move(outputs);
  spec.custom_options = std::move(custom_options);
  return AddOperator(std::move(spec));
}

int32_t SubgraphBuilder::AddOperator(OperatorSpec spec) {
  operators_.push_back(std::move(spec));
  return static_cast<int32_t>(operators_.size() - 1);
}

// ------------------------------------------------------------ ModelBuilder

ModelBuilder::ModelBuilder() { buffers_.emplace_back(); }

ModelBuilder::~ModelBuilder() = default;

SubgraphBuilder& ModelBuilder::AddSubgraph(std::string name) {
  const int32_t index = static_cast<int32_t>(subgraphs_.size());
  subgraphs_.push_back(std::unique_ptr<SubgraphBuilder>(
      new SubgraphBuilder(this, index, std::move(name))));
  return *subgraphs_.back();
}

SubgraphBuilder* ModelBuilder::subgraph(size_t index) {
  return index < subgraphs_.size() ? subgraphs_[index].get() : nullptr;
}

uint32_t ModelBuilder::AddBuffer(std::vector<uint8_t> data,
                                 BufferPlacement placement) {
  BufferSpec spec;
  spec.data = std::move(data);
  spec.placement = placement;
  return AddBuffer(std::move(spec));
}

uint32_t ModelBuilder::AddBuffer(BufferSpec spec) {
  buffers_.push_back(std::move(spec));
  return static_cast<uint32_t>(buffers_.size() - 1);
}

uint32_t ModelBuilder::AddOperatorCode(OpCode code) {
  operator_codes_.push_back(std::move(code));
  return static_cast<uint32_t>(operator_codes_.size() - 1);
}

uint32_t ModelBuilder::OperatorCodeIndex(const OpCode& code) {
  for (size_t i = 0; i < operator_codes_.size(); ++i) {
    if (SameCode(operator_codes_[i], code)) return static_cast<uint32_t>(i);
  }
  return AddOperatorCode(code);
}

uint32_t ModelBuilder::AddMetadata(std::string name,
                                   std::vector<uint8_t> data) {
  const uint32_t buffer = AddBuffer(std::move(data));
  AddMetadataEntry(std::move(name), buffer);
  return buffer;
}

void ModelBuilder::AddMetadataEntry(std::string name, uint32_t buffer) {
  metadata_.push_back({std::move(name), buffer});
}

void ModelBuilder::AddSignature(SignatureSpec signature) {
  signatures_.push_back(std::move(signature));
}

void ModelBuilder::RecordError(Status error) {
  if (status_.ok() && !error.ok()) status_ = std::move(error);
}

// Turns the specs into bytes. Two passes: the first, with placeholder file
// offsets for external data, fixes the FlatBuffer's size; the second writes
// the real offsets. Offsets are 8-byte fields present in both passes, so the
// layout cannot change between them (checked).
class ModelBuilder::Serializer {
 public:
  explicit Serializer(const ModelBuilder& model) : m_(model) {}

  StatusOr<std::vector<uint8_t>> Run() {
    RETURN_IF_ERROR(CheckInlineSize());
    buffer_offsets_.assign(m_.buffers_.size(), kOffsetPlaceholder);
    options_offsets_.clear();
    for (const auto& g : m_.subgraphs_) {
      options_offsets_.emplace_back(g->operators().size(), kOffsetPlaceholder);
    }
    flatbuffers::FlatBufferBuilder first(4096);
    Build(first);
    const uint64_t fb_size = first.GetSize();

    // Lay out external data after the FlatBuffer.
    struct Piece {
      const std::vector<uint8_t>* data;
      uint64_t offset;
    };
    std::vector<Piece> pieces;
    uint64_t end = fb_size;
    for (size_t i = 0; i < m_.buffers_.size(); ++i) {
      const BufferSpec& b = m_.buffers_[i];
      if (IsInline(b.placement)) continue;
      end = AlignUp(end, kExternalAlignment);
      if (b.placement == BufferPlacement::kExternalMisaligned) end += 1;
      buffer_offsets_[i] = end;
      pieces.push_back({&b.data, end});
      end += b.data.size();
    }
    for (size_t s = 0; s < m_.subgraphs_.size(); ++s) {
      const auto& ops = m_.subgraphs_[s]->operators();
      for (size_t n = 0; n < ops.size(); ++n) {
        if (!ops[n].custom_options_external) continue;
        end = AlignUp(end, kExternalOptionsAlignment);
        options_offsets_[s][n] = end;
        pieces.push_back({&ops[n].custom_options, end});
        end += ops[n].custom_options.size();
      }
    }
    if (pieces.empty()) {
      return std::vector<uint8_t>(first.GetBufferPointer(),
                                  first.GetBufferPointer() + fb_size);
    }

    flatbuffers::FlatBufferBuilder second(fb_size + 64);
    Build(second);
    if (second.GetSize() != fb_size) {
      return InternalError(
          "model builder: FlatBuffer size changed between "
          "passes (" +
          std::to_string(fb_size) + " -> " + std::to_string(second.GetSize()) +
          ")");
    }
    std::vector<uint8_t> out(end, 0);
    std::memcpy(out.data(), second.GetBufferPointer(), fb_size);
    for (const Piece& p : pieces) {
      if (!p.data->empty()) {
        std::memcpy(out.data() + p.offset, p.data->data(), p.data->size());
      }
    }
    return out;
  }

 private:
  template <typename T>
  using Offset = flatbuffers::Offset<T>;
  template <typename T>
  using VectorOffset = flatbuffers::Offset<flatbuffers::Vector<T>>;

  // FlatBuffers asserts (rather than failing) past 2 GB; refuse before.
  Status CheckInlineSize() const {
    uint64_t inline_bytes = 0;
    for (const BufferSpec& b : m_.buffers_) {
      if (IsInline(b.placement)) {
        inline_bytes += b.data.size() + kInlineAlignment;
      }
    }
    for (const auto& g : m_.subgraphs_) {
      for (const OperatorSpec& op : g->operators()) {
        if (!op.custom_options_external)
          inline_bytes += op.custom_options.size();
      }
    }
    if (inline_bytes + kFlatBufferHeadroom >= FLATBUFFERS_MAX_BUFFER_SIZE) {
      return InvalidArgumentError(
          "model builder: " + std::to_string(inline_bytes) +
          " bytes of inline data do not fit in a FlatBuffer (2 GB); place "
          "large buffers with BufferPlacement::kExternal");
    }
    return OkStatus();
  }

  template <typename T>
  static VectorOffset<T> OptionalVector(flatbuffers::FlatBufferBuilder& fbb,
                                        const std::vector<T>& v) {
    return v.empty() ? VectorOffset<T>() : fbb.CreateVector(v);
  }

  Offset<tfl::Buffer> BuildBuffer(flatbuffers::FlatBufferBuilder& fbb,
                                  size_t index) const {
    const BufferSpec& b = m_.buffers_[index];
    VectorOffset<uint8_t> data;
    uint64_t offset = 0;
    uint64_t size = 0;
    if (IsInline(b.placement)) {
      if (b.data.empty()) {
        // No data vector at all, as TFLite's writer does.
      } else if (b.placement == BufferPlacement::kInlineMisaligned) {
        // Pad so that the data starts 4 bytes past a multiple of 8 (the
        // length prefix before it stays 4-aligned). FlatBuffers fills
        // back to front and pads the whole buffer to its largest alignment,
        // so this holds from the start of the file too.
        fbb.PreAlign(b.data.size() + sizeof(flatbuffers::uoffset_t), 8);
        data = fbb.CreateVector(b.data);
      } else {
        fbb.ForceVectorAlignment(b.data.size(), sizeof(uint8_t),
                                 kInlineAlignment);
        data = fbb.CreateVector(b.data);
      }
    } else {
      offset = buffer_offsets_[index];
      size = b.data.size();
    }
    if (b.raw_offset.has_value()) offset = *b.raw_offset;
    if (b.raw_size.has_value()) size = *b.raw_size;
    return tfl::CreateBuffer(fbb, data, offset, size);
  }

  Offset<tfl::Tensor> BuildTensor(flatbuffers::FlatBufferBuilder& fbb,
                                  const TensorSpec& t) const {
    const auto shape = fbb.CreateVector(t.shape);
    const auto signature = OptionalVector(fbb, t.shape_signature);
    const auto name = fbb.CreateString(t.name);
    Offset<tfl::QuantizationParameters> quantization;
    if (t.quantization.has_value()) {
      const QuantizationSpec& q = *t.quantization;
      const auto min = OptionalVector(fbb, q.min);
      const auto max = OptionalVector(fbb, q.max);
      const auto scale = OptionalVector(fbb, q.scale);
      const auto zero_point = OptionalVector(fbb, q.zero_point);
      quantization = tfl::CreateQuantizationParameters(
          fbb, min, max, scale, zero_point, tfl::QuantizationDetails_NONE, 0,
          q.quantized_dimension);
    }
    Offset<tfl::SparsityParameters> sparsity;
    if (!t.sparsity.empty()) sparsity.o = t.sparsity.CopyInto(fbb);
    return tfl::CreateTensor(fbb, shape, static_cast<tfl::TensorType>(t.type),
                             t.buffer, name, quantization, t.is_variable,
                             sparsity, signature, t.has_rank);
  }

  Offset<tfl::Operator> BuildOperator(flatbuffers::FlatBufferBuilder& fbb,
                                      const OperatorSpec& op,
                                      uint64_t external_offset) const {
    const auto inputs = fbb.CreateVector(op.inputs);
    const auto outputs = fbb.CreateVector(op.outputs);
    const auto intermediates = OptionalVector(fbb, op.intermediates);
    Offset<void> options;
    if (!op.options.table.empty()) options.o = op.options.table.CopyInto(fbb);
    VectorOffset<uint8_t> custom;
    if (!op.custom_options_external)
      custom = OptionalVector(fbb, op.custom_options);
    VectorOffset<uint8_t> mutating;
    if (!op.mutating_variable_inputs.empty()) {
      const std::vector<uint8_t> flags(op.mutating_variable_inputs.begin(),
                                       op.mutating_variable_inputs.end());
      mutating = fbb.CreateVector(flags);
    }
    uint64_t large_offset = 0;
    uint64_t large_size = 0;
    if (op.custom_options_external) {
      large_offset = external_offset;
      large_size = op.custom_options.size();
    }
    if (op.raw_large_custom_options_offset.has_value()) {
      large_offset = *op.raw_large_custom_options_offset;
    }
    if (op.raw_large_custom_options_size.has_value()) {
      large_size = *op.raw_large_custom_options_size;
    }
    return tfl::CreateOperator(fbb, op.opcode_index, inputs, outputs,
                               op.options.type, options, custom,
                               tfl::CustomOptionsFormat_FLEXBUFFERS, mutating,
                               intermediates, large_offset, large_size);
  }

  Offset<tfl::SubGraph> BuildSubgraph(flatbuffers::FlatBufferBuilder& fbb,
                                      size_t s) const {
    const SubgraphBuilder& g = *m_.subgraphs_[s];
    std::vector<Offset<tfl::Tensor>> tensors;
    for (const TensorSpec& t : g.tensors())
      tensors.push_back(BuildTensor(fbb, t));
    std::vector<Offset<tfl::Operator>> operators;
    for (size_t n = 0; n < g.operators().size(); ++n) {
      operators.push_back(
          BuildOperator(fbb, g.operators()[n], options_offsets_[s][n]));
    }
    const auto tensors_vec = fbb.CreateVector(tensors);
    const auto inputs = fbb.CreateVector(g.inputs());
    const auto outputs = fbb.CreateVector(g.outputs());
    const auto operators_vec = fbb.CreateVector(operators);
    const auto name = g.name().empty() ? Offset<flatbuffers::String>()
                                       : fbb.CreateString(g.name());
    return tfl::CreateSubGraph(fbb, tensors_vec, inputs, outputs, operators_vec,
                               name);
  }

  Offset<tfl::SignatureDef> BuildSignature(flatbuffers::FlatBufferBuilder& fbb,
                                           const SignatureSpec& sig) const {
    auto maps = [&fbb](const std::vector<std::pair<std::string, uint32_t>>& v) {
      std::vector<Offset<tfl::TensorMap>> out;
      for (const auto& [alias, tensor] : v) {
        out.push_back(
            tfl::CreateTensorMap(fbb, fbb.CreateString(alias), tensor));
      }
      return fbb.CreateVector(out);
    };
    const auto inputs = maps(sig.inputs);
    const auto outputs = maps(sig.outputs);
    const auto key = fbb.CreateString(sig.key);
    return tfl::CreateSignatureDef(fbb, inputs, outputs, key,
                                   sig.subgraph_index);
  }

  void Build(flatbuffers::FlatBufferBuilder& fbb) const {
    // Constant data first: FlatBuffers fills back to front, so it ends up
    // after the tables, as in files from TFLite's converter.
    std::vector<Offset<tfl::Buffer>> buffers;
    for (size_t i = 0; i < m_.buffers_.size(); ++i) {
      buffers.push_back(BuildBuffer(fbb, i));
    }
    std::vector<Offset<tfl::OperatorCode>> codes;
    for (const OpCode& code : m_.operator_codes_) {
      const auto custom = code.custom_code.empty()
                              ? Offset<flatbuffers::String>()
                              : fbb.CreateString(code.custom_code);
      codes.push_back(tfl::CreateOperatorCode(
          fbb,
          code.deprecated_builtin_code.value_or(
              DeprecatedCode(code.builtin_code)),
          custom, code.version,
          static_cast<tfl::BuiltinOperator>(code.builtin_code)));
    }
    std::vector<Offset<tfl::SubGraph>> subgraphs;
    for (size_t s = 0; s < m_.subgraphs_.size(); ++s) {
      subgraphs.push_back(BuildSubgraph(fbb, s));
    }
    std::vector<Offset<tfl::SignatureDef>> signatures;
    for (const SignatureSpec& sig : m_.signatures_) {
      signatures.push_back(BuildSignature(fbb, sig));
    }
    std::vector<Offset<tfl::Metadata>> metadata;
    for (const MetadataSpec& m : m_.metadata_) {
      metadata.push_back(
          tfl::CreateMetadata(fbb, fbb.CreateString(m.name), m.buffer));
    }
    const auto codes_vec = fbb.CreateVector(codes);
    const auto subgraphs_vec = fbb.CreateVector(subgraphs);
    const auto description = m_.description_.empty()
                                 ? Offset<flatbuffers::String>()
                                 : fbb.CreateString(m_.description_);
    const auto buffers_vec = fbb.CreateVector(buffers);
    const auto metadata_buffer = OptionalVector(fbb, m_.metadata_buffer_);
    const auto metadata_vec = metadata.empty()
                                  ? VectorOffset<Offset<tfl::Metadata>>()
                                  : fbb.CreateVector(metadata);
    const auto signatures_vec = signatures.empty()
                                    ? VectorOffset<Offset<tfl::SignatureDef>>()
                                    : fbb.CreateVector(signatures);
    const auto model = tfl::CreateModel(
        fbb, m_.version_, codes_vec, subgraphs_vec, description, buffers_vec,
        metadata_buffer, metadata_vec, signatures_vec);
    tfl::FinishModelBuffer(fbb, model);
  }

  const ModelBuilder& m_;
  std::vector<uint64_t> buffer_offsets_;                // per buffer
  std::vector<std::vector<uint64_t>> options_offsets_;  // per subgraph, op
};

StatusOr<std::vector<uint8_t>> ModelBuilder::Finish(Check check) const {
  if (!status_.ok()) return status_;
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, Serializer(*this).Run());
  if (check == Check::kVerify) {
    LoadOptions options;
    options.verification = Verification::kFull;
    const StatusOr<std::shared_ptr<const ModelFile>> loaded =
        LoadModel(ByteSource::FromBuffer(bytes, "<model builder>"), options);
    if (!loaded.ok()) {
      return InvalidArgumentError("the built model does not verify: " +
                                  loaded.status().ToString());
    }
  }
  return bytes;
}

Status ModelBuilder::WriteToFile(const std::string& path, Check check) const {
  ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, Finish(check));
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    const std::string message =
        "cannot create '" + path + "': " + std::strerror(errno);
    if (errno == ENOENT) return NotFoundError(message);
    if (errno == EACCES) return PermissionDeniedError(message);
    return InvalidArgumentError(message);
  }
  const size_t written = std::fwrite(bytes.data(), 1, bytes.size(), file);
  const bool write_failed = written != bytes.size() || std::fflush(file) != 0;
  const std::string write_error = std::strerror(errno);
  if (std::fclose(file) != 0 || write_failed) {
    const std::string message = "cannot write " + std::to_string(bytes.size()) +
                                " bytes to '" + path + "': " + write_error;
    if (errno == ENOSPC) return ResourceExhaustedError(message);
    return InternalError(message);
  }
  return OkStatus();
}

}  // namespace edgerun
