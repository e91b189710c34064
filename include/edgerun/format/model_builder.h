// ModelBuilder: writes TensorFlow Lite (.tflite) models from code.
//
// Tests build the exact models they need with it (one operator per model for
// conformance tests, hand-broken models for verifier tests), and tools can
// emit models without the TensorFlow converter. A model is described with
// plain value types (TensorSpec, OperatorSpec, BufferSpec, ...) that stay
// editable until Finish() serializes them, so a test can build a valid model
// and then break exactly one field:
//
//   ModelBuilder b;
//   SubgraphBuilder& g = b.AddSubgraph("main");
//   const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 8, 8, 3});
//   const int32_t w = g.AddConstTensor<float>("w", {4, 3, 3, 3}, weights);
//   const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 8, 8, 4});
//   g.AddOperator(tfl::BuiltinOperator_CONV_2D, {x, w, -1}, {y},
//                 [](flatbuffers::FlatBufferBuilder& fbb) {
//                   return tfl::CreateConv2DOptions(fbb, tfl::Padding_SAME,
//                                                   /*stride_w=*/1,
//                                                   /*stride_h=*/1);
//                 });
//   StatusOr<std::vector<uint8_t>> bytes = b.Finish();
//
// Builtin options: any callable taking a flatbuffers::FlatBufferBuilder& and
// returning the Offset of one of the generated options tables (every member
// of the BuiltinOptions union, via tfl::CreateXxxOptions) becomes an
// OpOptions; the union type follows from the table type. The callable runs at
// once, into a private builder, so it may capture anything by reference.
//
// Errors: convenience helpers (AddConstTensor, MarkInput, ...) check their
// arguments and record the first problem; Finish() and WriteToFile() return
// it (kInvalidArgument). Finish(kVerify), the default, also runs LoadModel's
// full verification on the result, so a model that Finish() returns is one
// edgerun loads. Finish(kNone) writes whatever the specs say, indices out of
// range included: that is how verifier tests make broken models. Nothing
// here throws or asserts on caller input.
//
// Ownership: a ModelBuilder owns its SubgraphBuilders and all data given to
// it (copied in). It is neither copyable nor movable (SubgraphBuilders point
// back to it); references it returns live as long as it does.
// Thread-safety: none; use one builder per thread. Finish() is const and may
// be called repeatedly.
//
// Needs the generated schema header (format/tflite_generated.h), which
// edgerun_format puts on the include path of everything that links it.
#ifndef EDGERUN_FORMAT_MODEL_BUILDER_H_
#define EDGERUN_FORMAT_MODEL_BUILDER_H_

#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/types.h"
#include "flatbuffers/flatbuffers.h"
#include "format/tflite_generated.h"

namespace edgerun {

// The DataType of a C++ element type (float -> kFloat32, int8_t -> kInt8,
// ...). Types without a C++ twin (float16, bfloat16, int4, string) go
// through the byte-level helpers instead.
template <typename T>
struct DataTypeOf;
#define EDGERUN_DATA_TYPE_OF_(cpp, value_)              \
  template <>                                           \
  struct DataTypeOf<cpp> {                              \
    static constexpr DataType value = DataType::value_; \
  }
EDGERUN_DATA_TYPE_OF_(float, kFloat32);
EDGERUN_DATA_TYPE_OF_(double, kFloat64);
EDGERUN_DATA_TYPE_OF_(int8_t, kInt8);
EDGERUN_DATA_TYPE_OF_(uint8_t, kUInt8);
EDGERUN_DATA_TYPE_OF_(int16_t, kInt16);
EDGERUN_DATA_TYPE_OF_(uint16_t, kUInt16);
EDGERUN_DATA_TYPE_OF_(int32_t, kInt32);
EDGERUN_DATA_TYPE_OF_(uint32_t, kUInt32);
EDGERUN_DATA_TYPE_OF_(int64_t, kInt64);
EDGERUN_DATA_TYPE_OF_(uint64_t, kUInt64);
EDGERUN_DATA_TYPE_OF_(bool, kBool);
EDGERUN_DATA_TYPE_OF_(std::complex<float>, kComplex64);
EDGERUN_DATA_TYPE_OF_(std::complex<double>, kComplex128);
#undef EDGERUN_DATA_TYPE_OF_

// Little-endian bytes of `values` as a constant buffer stores them (bool:
// one byte per element, 0 or 1).
template <typename T>
std::vector<uint8_t> ToBytes(const std::vector<T>& values) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if constexpr (std::is_same_v<T, bool>) {
    for (size_t i = 0; i < values.size(); ++i) bytes[i] = values[i] ? 1 : 0;
  } else if (!values.empty()) {
    std::memcpy(bytes.data(), values.data(), bytes.size());
  }
  return bytes;
}

// int4 values (each in [-8, 7]) packed two per byte, element 2i in the low
// nibble and 2i+1 in the high nibble, as TFLite files store them.
std::vector<uint8_t> PackInt4(const std::vector<int8_t>& values);

// A string tensor's buffer: int32 count N, N + 1 int32 offsets from the
// buffer start (the last one is the total size), then the bytes.
std::vector<uint8_t> EncodeStrings(const std::vector<std::string>& values);

// Quantization of one tensor: real = scale * (q - zero_point), one entry per
// tensor or one per slice along quantized_dimension (per-channel). Empty
// vectors are not written.
struct QuantizationSpec {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int32_t quantized_dimension = 0;
  std::vector<float> min;
  std::vector<float> max;

  static QuantizationSpec PerTensor(float scale, int64_t zero_point);
  static QuantizationSpec PerChannel(std::vector<float> scales,
                                     std::vector<int64_t> zero_points,
                                     int32_t quantized_dimension);
};

// One FlatBuffers table (with its strings, vectors and sub-tables) built on
// its own and kept as bytes, to be copied into a model when it is finished.
// FlatBuffers offsets are relative, so the bytes can be moved as a block.
// Value type; thread-compatible.
class FlatTable {
 public:
  FlatTable() = default;  // no table

  // Runs `fn(fbb)` on a fresh builder; fn returns the Offset of the table.
  template <typename Fn>
  static FlatTable Build(Fn&& fn) {
    flatbuffers::FlatBufferBuilder fbb(256);
    const auto offset = fn(fbb);
    return FromBuilder(fbb, offset.o);
  }

  bool empty() const { return bytes_.empty(); }

  // Appends the table to `fbb` (not inside a table under construction) and
  // returns its offset there. Used by ModelBuilder.
  flatbuffers::uoffset_t CopyInto(flatbuffers::FlatBufferBuilder& fbb) const;

 private:
  static FlatTable FromBuilder(flatbuffers::FlatBufferBuilder& fbb,
                               flatbuffers::uoffset_t root);

  std::vector<uint8_t> bytes_;       // the builder's data, end-relative layout
  flatbuffers::uoffset_t root_ = 0;  // table offset from the end of bytes_
  size_t alignment_ = 1;             // largest alignment inside bytes_
};

namespace model_builder_internal {
template <typename T>
struct OffsetTable {};
template <typename T>
struct OffsetTable<flatbuffers::Offset<T>> {
  using type = T;
};
}  // namespace model_builder_internal

// Builtin options of one operator: the BuiltinOptions union type and table.
// Value type; thread-compatible.
struct OpOptions {
  OpOptions() = default;  // none
  // Raw form, e.g. to pair a table with the wrong union type in a test.
  OpOptions(tfl::BuiltinOptions type, FlatTable table)
      : type(type), table(std::move(table)) {}

  // From a callable `fn(flatbuffers::FlatBufferBuilder&) -> Offset<XxxOptions>`
  // for any table of the BuiltinOptions union. Implicit, so a lambda can be
  // passed where OpOptions is expected.
  template <typename Fn>
  requires std::is_invocable_v<Fn&, flatbuffers::FlatBufferBuilder&> OpOptions(
      Fn&& fn) {  // NOLINT(google-explicit-constructor)
    using Result = std::invoke_result_t<Fn&, flatbuffers::FlatBufferBuilder&>;
    using Table = typename model_builder_internal::OffsetTable<Result>::type;
    static_assert(tfl::BuiltinOptionsTraits<Table>::enum_value !=
                      tfl::BuiltinOptions_NONE,
                  "the callable must return the Offset of a BuiltinOptions "
                  "table, e.g. tfl::CreateAddOptions(fbb, ...)");
    type = tfl::BuiltinOptionsTraits<Table>::enum_value;
    table = FlatTable::Build(fn);
  }

  tfl::BuiltinOptions type = tfl::BuiltinOptions_NONE;
  FlatTable table;
};

// An operator code: a builtin (any int32, including codes newer than this
// schema or invalid ones for tests) or a custom op name, and the version.
// Value type.
struct OpCode {
  OpCode(tfl::BuiltinOperator op, int32_t version = 1)  // NOLINT: implicit
      : builtin_code(op), version(version) {}
  static OpCode Builtin(int32_t code, int32_t version = 1);
  static OpCode Custom(std::string name, int32_t version = 1);

  int32_t builtin_code = 0;
  std::string custom_code;  // set for CUSTOM
  int32_t version = 1;
  // The byte-sized field old readers use. When unset it is written as
  // TFLite's writer does: the code itself up to 126, and 127
  // (PLACEHOLDER_FOR_GREATER_OP_CODES) for codes from 127 on.
  std::optional<int8_t> deprecated_builtin_code;
};

// The specs below are plain values (copyable, thread-compatible) that a
// ModelBuilder serializes field by field in Finish(); they may hold values a
// valid model never has, for tests of the verifier.

// One tensor of a subgraph.
struct TensorSpec {
  std::string name;
  DataType type = DataType::kFloat32;
  std::vector<int32_t> shape;
  // -1 marks a dynamic dimension; empty: not written.
  std::vector<int32_t> shape_signature;
  uint32_t buffer = 0;  // 0: no constant data (the sentinel buffer)
  std::optional<QuantizationSpec> quantization;
  bool is_variable = false;
  bool has_rank = false;
  FlatTable sparsity;  // a tfl::SparsityParameters table, or empty
};

enum class BufferPlacement {
  // Inside the FlatBuffer, 16-byte aligned (as TFLite's writer does).
  kInline,
  // Inside the FlatBuffer at 4 (mod 8), as writers that do not align data
  // may leave it: 8- and 16-byte element types must be copied by a loader.
  kInlineMisaligned,
  // After the FlatBuffer at a 64-byte aligned file offset, referenced by
  // Buffer.offset/size (as models over 2 GB store their weights).
  kExternal,
  // Like kExternal but at an odd file offset, so a loader must copy it
  // before use (for tests of that path).
  kExternalMisaligned,
};

// One entry of the model's buffer table.
struct BufferSpec {
  std::vector<uint8_t> data;
  BufferPlacement placement = BufferPlacement::kInline;
  // When set, written instead of the computed Buffer.offset / Buffer.size
  // (inline data stays inline): for tests of corrupt files.
  std::optional<uint64_t> raw_offset;
  std::optional<uint64_t> raw_size;
};

// One operator (node) of a subgraph.
struct OperatorSpec {
  uint32_t opcode_index = 0;
  std::vector<int32_t> inputs;  // -1: omitted optional input
  std::vector<int32_t> outputs;
  std::vector<int32_t> intermediates;
  OpOptions options;
  std::vector<uint8_t> custom_options;
  // Put custom_options after the FlatBuffer and point
  // large_custom_options_offset/size at them (models over 2 GB).
  bool custom_options_external = false;
  std::vector<bool> mutating_variable_inputs;
  // When set, written instead of the computed large_custom_options_* fields.
  std::optional<uint64_t> raw_large_custom_options_offset;
  std::optional<uint64_t> raw_large_custom_options_size;
};

// One signature def (named inputs and outputs of a subgraph).
struct SignatureSpec {
  std::string key;
  uint32_t subgraph_index = 0;
  // (alias, tensor index in the subgraph)
  std::vector<std::pair<std::string, uint32_t>> inputs;
  std::vector<std::pair<std::string, uint32_t>> outputs;
};

// One metadata entry: a name and the buffer holding its bytes.
struct MetadataSpec {
  std::string name;
  uint32_t buffer = 0;
};

class ModelBuilder;

// Tensors, operators, inputs and outputs of one subgraph of a ModelBuilder.
// Index-returning helpers return the new tensor's or operator's index in this
// subgraph. The accessors give raw, unchecked access to the specs.
// Ownership: owned by its ModelBuilder. Thread-safety: as ModelBuilder.
class SubgraphBuilder {
 public:
  SubgraphBuilder(const SubgraphBuilder&) = delete;
  SubgraphBuilder& operator=(const SubgraphBuilder&) = delete;

  int32_t index() const { return index_; }
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  // ---- tensors
  int32_t AddTensor(TensorSpec spec);
  int32_t AddTensor(
      std::string name, DataType type, std::vector<int32_t> shape,
      std::optional<QuantizationSpec> quantization = std::nullopt);
  int32_t AddVariableTensor(
      std::string name, DataType type, std::vector<int32_t> shape,
      std::optional<QuantizationSpec> quantization = std::nullopt);
  // Adds a tensor and appends it to the subgraph's inputs / outputs.
  int32_t AddInput(TensorSpec spec);
  int32_t AddInput(std::string name, DataType type, std::vector<int32_t> shape,
                   std::optional<QuantizationSpec> quantization = std::nullopt);
  int32_t AddOutput(TensorSpec spec);
  int32_t AddOutput(
      std::string name, DataType type, std::vector<int32_t> shape,
      std::optional<QuantizationSpec> quantization = std::nullopt);
  // Appends an existing tensor to the inputs / outputs (checked).
  void MarkInput(int32_t tensor);
  void MarkOutput(int32_t tensor);

  // A constant tensor with a new buffer holding `values`; the dtype follows
  // from T (see DataTypeOf). values.size() must match the shape.
  template <typename T>
  int32_t AddConstTensor(
      std::string name, std::vector<int32_t> shape,
      const std::vector<T>& values,
      std::optional<QuantizationSpec> quantization = std::nullopt,
      BufferPlacement placement = BufferPlacement::kInline) {
    return AddConstTensorWithCount(
        std::move(name), DataTypeOf<T>::value, std::move(shape),
        ToBytes(values), values.size(), std::move(quantization), placement);
  }
  // A constant tensor from raw little-endian bytes, for any dtype (float16,
  // bfloat16, int4 packed with PackInt4, ...). The size is checked by
  // Finish's verification.
  int32_t AddConstTensor(
      std::string name, DataType type, std::vector<int32_t> shape,
      std::vector<uint8_t> bytes,
      std::optional<QuantizationSpec> quantization = std::nullopt,
      BufferPlacement placement = BufferPlacement::kInline);
  // A constant string tensor; values.size() must match the shape.
  int32_t AddStringTensor(std::string name, std::vector<int32_t> shape,
                          const std::vector<std::string>& values);

  // ---- operators (in execution order)
  // The operator code is found or added in the model (deduplicated by code,
  // custom name and version).
  int32_t AddOperator(const OpCode& op, std::vector<int32_t> inputs,
                      std::vector<int32_t> outputs, OpOptions options = {});
  int32_t AddCustomOperator(std::string custom_code,
                            std::vector<int32_t> inputs,
                            std::vector<int32_t> outputs,
                            std::vector<uint8_t> custom_options = {},
                            int32_t version = 1);
  int32_t AddOperator(OperatorSpec spec);  // raw: opcode_index as given

  // ---- raw access
  std::vector<TensorSpec>& tensors() { return tensors_; }
  const std::vector<TensorSpec>& tensors() const { return tensors_; }
  std::vector<OperatorSpec>& operators() { return operators_; }
  const std::vector<OperatorSpec>& operators() const { return operators_; }
  std::vector<int32_t>& inputs() { return inputs_; }
  const std::vector<int32_t>& inputs() const { return inputs_; }
  std::vector<int32_t>& outputs() { return outputs_; }
  const std::vector<int32_t>& outputs() const { return outputs_; }

 private:
  friend class ModelBuilder;
  SubgraphBuilder(ModelBuilder* model, int32_t index, std::string name)
      : model_(model), index_(index), name_(std::move(name)) {}

  int32_t AddConstTensorWithCount(std::string name, DataType type,
                                  std::vector<int32_t> shape,
                                  std::vector<uint8_t> bytes, size_t count,
                                  std::optional<QuantizationSpec> quantization,
                                  BufferPlacement placement);
  std::string Label() const;

  ModelBuilder* model_;
  int32_t index_;
  std::string name_;
  std::vector<TensorSpec> tensors_;
  std::vector<OperatorSpec> operators_;
  std::vector<int32_t> inputs_;
  std::vector<int32_t> outputs_;
};

// See the file comment.
class ModelBuilder {
 public:
  enum class Check {
    kVerify,  // run LoadModel's full verification on the result
    kNone,    // write the specs as they are (for tests of broken models)
  };

  // Schema version 3, buffer 0 = the empty sentinel, no subgraphs.
  ModelBuilder();
  ~ModelBuilder();
  ModelBuilder(const ModelBuilder&) = delete;
  ModelBuilder& operator=(const ModelBuilder&) = delete;

  // ---- subgraphs (subgraph 0 is the main graph)
  SubgraphBuilder& AddSubgraph(std::string name = "");
  // nullptr when out of range.
  SubgraphBuilder* subgraph(size_t index);
  size_t num_subgraphs() const { return subgraphs_.size(); }

  // ---- buffers; each returns the new buffer's index
  uint32_t AddBuffer(std::vector<uint8_t> data,
                     BufferPlacement placement = BufferPlacement::kInline);
  template <typename T>
  uint32_t AddBuffer(const std::vector<T>& values,
                     BufferPlacement placement = BufferPlacement::kInline) {
    return AddBuffer(ToBytes(values), placement);
  }
  uint32_t AddBuffer(BufferSpec spec);

  // ---- operator codes
  uint32_t AddOperatorCode(OpCode code);  // always appends
  // Index of an equal code (builtin, custom name, version, deprecated
  // override), appending it if there is none.
  uint32_t OperatorCodeIndex(const OpCode& code);

  // ---- model-level data
  // Adds a buffer holding `data` and a metadata entry naming it; returns the
  // buffer index.
  uint32_t AddMetadata(std::string name, std::vector<uint8_t> data);
  void AddMetadataEntry(std::string name, uint32_t buffer);  // unchecked
  void AddSignature(SignatureSpec signature);
  void set_description(std::string description) {
    description_ = std::move(description);
  }
  void set_version(uint32_t version) { version_ = version; }

  // ---- raw access
  std::vector<BufferSpec>& buffers() { return buffers_; }
  std::vector<OpCode>& operator_codes() { return operator_codes_; }
  std::vector<MetadataSpec>& metadata() { return metadata_; }
  std::vector<int32_t>& metadata_buffer() { return metadata_buffer_; }
  std::vector<SignatureSpec>& signatures() { return signatures_; }

  // The first error recorded by a helper, or OK.
  const Status& status() const { return status_; }
  // Records `error` unless an earlier one is recorded. For helpers.
  void RecordError(Status error);

  // The whole file: the FlatBuffer, then any external data. Deterministic:
  // the same specs give the same bytes.
  StatusOr<std::vector<uint8_t>> Finish(Check check = Check::kVerify) const;
  // Finish() and write the bytes to `path` (created or truncated).
  Status WriteToFile(const std::string& path,
                     Check check = Check::kVerify) const;

 private:
  class Serializer;

  std::vector<std::unique_ptr<SubgraphBuilder>> subgraphs_;
  std::vector<BufferSpec> buffers_;
  std::vector<OpCode> operator_codes_;
  std::vector<MetadataSpec> metadata_;
  std::vector<int32_t> metadata_buffer_;
  std::vector<SignatureSpec> signatures_;
  std::string description_;
  uint32_t version_ = 3;
  Status status_;
};

}  // namespace edgerun

#endif  // EDGERUN_FORMAT_MODEL_BUILDER_H_
