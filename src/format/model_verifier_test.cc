// One test (or more) per semantic check of model_verifier.cc: each builds a
// valid model with ModelBuilder, breaks one thing, and expects LoadModel's
// status code and a message naming the problem.
#include "format/model_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "edgerun/format/model_file.h"
#include "tests/support/status_matchers.h"

namespace edgerun {
namespace {

using ::edgerun::testing::IsOk;
using ::edgerun::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using ModelOr = StatusOr<std::shared_ptr<const ModelFile>>;

// Writes the specs unchecked and loads them with full verification.
ModelOr LoadUnchecked(const ModelBuilder& b,
                      Verification verification = Verification::kFull) {
  StatusOr<std::vector<uint8_t>> bytes = b.Finish(ModelBuilder::Check::kNone);
  if (!bytes.ok()) return bytes.status();
  LoadOptions options;
  options.verification = verification;
  return LoadModel(ByteSource::FromVector(std::move(bytes).value()), options);
}

auto DataLoss(const std::string& substring) {
  return StatusIs(StatusCode::kDataLoss, HasSubstr(substring));
}

// x (input) + w (constant) -> ADD -> y (output), all float32 [1,4].
class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : g_(b_.AddSubgraph("main")) {
    x_ = g_.AddInput("x", DataType::kFloat32, {1, 4});
    w_ = g_.AddConstTensor<float>("w", {1, 4}, {1, 2, 3, 4});
    y_ = g_.AddOutput("y", DataType::kFloat32, {1, 4});
    g_.AddOperator(tfl::BuiltinOperator_ADD, {x_, w_}, {y_});
  }

  ModelOr Load() { return LoadUnchecked(b_); }
  TensorSpec& tensor(int32_t index) { return g_.tensors()[index]; }
  OperatorSpec& op(size_t index) { return g_.operators()[index]; }
  BufferSpec& buffer_of(int32_t t) { return b_.buffers()[tensor(t).buffer]; }
  // A tensor used by nothing, to test tensor checks in isolation.
  int32_t AddLoose(std::string name, DataType type,
                   std::vector<int32_t> shape) {
    return g_.AddTensor(std::move(name), type, std::move(shape));
  }

  ModelBuilder b_;
  SubgraphBuilder& g_;
  int32_t x_ = 0, w_ = 0, y_ = 0;
};

TEST_F(VerifierTest, BaseModelLoadsWithoutWarnings) {
  ASSERT_OK_AND_ASSIGN(auto model, Load());
  EXPECT_THAT(model->warnings(), IsEmpty());
  EXPECT_EQ(model->stats().constant_buffers, 1u);
}

// ------------------------------------------------------------ model, buffers

TEST(VerifierModel, NoSubgraphs) {
  ModelBuilder b;
  EXPECT_THAT(LoadUnchecked(b), DataLoss("model has no subgraphs"));
}

TEST_F(VerifierTest, BufferWithInlineDataAndExternalOffset) {
  buffer_of(w_).raw_offset = 64;
  buffer_of(w_).raw_size = 16;
  EXPECT_THAT(Load(), DataLoss("buffer 1 has both inline data and an "
                               "external offset"));
}

TEST_F(VerifierTest, ExternalBufferOutsideTheFile) {
  buffer_of(w_).placement = BufferPlacement::kExternal;
  buffer_of(w_).raw_offset = uint64_t{1} << 30;
  EXPECT_THAT(Load(), DataLoss("buffer 1 points outside the file: offset "
                               "1073741824 + size 16 > file size"));
}

TEST_F(VerifierTest, ExternalBufferSizeOverflowingTheFile) {
  buffer_of(w_).placement = BufferPlacement::kExternal;
  buffer_of(w_).raw_size = std::numeric_limits<uint64_t>::max();
  EXPECT_THAT(Load(), DataLoss("buffer 1 points outside the file"));
}

TEST_F(VerifierTest, ExternalBufferInsideTheFileLoads) {
  buffer_of(w_).placement = BufferPlacement::kExternal;
  ASSERT_OK_AND_ASSIGN(auto model, Load());
  EXPECT_EQ(model->stats().external_buffers, 1u);
}

TEST_F(VerifierTest, OffsetOnePlaceholderIsNotExternal) {
  // TFLite's writer leaves offset 1 on buffers it has not placed yet.
  b_.buffers()[0].raw_offset = 1;
  b_.buffers()[0].raw_size = 1;
  EXPECT_OK(Load());
}

TEST_F(VerifierTest, DataInBufferZeroIsAWarning) {
  const uint32_t empty = b_.AddBuffer(std::vector<uint8_t>{});
  tensor(x_).buffer = empty;
  tensor(y_).buffer = empty;
  b_.buffers()[0].data = {1, 2, 3};
  ASSERT_OK_AND_ASSIGN(auto model, Load());
  EXPECT_THAT(model->warnings(), ElementsAre(HasSubstr("buffer 0 holds data")));
}

// ------------------------------------------------------------ operator codes

TEST_F(VerifierTest, NegativeDeprecatedBuiltinCode) {
  b_.operator_codes()[0].deprecated_builtin_code = -3;
  EXPECT_THAT(Load(),
              DataLoss("operator code 0 has a negative builtin code -3"));
}

TEST_F(VerifierTest, NegativeBuiltinCode) {
  b_.operator_codes()[0].builtin_code = -5;
  b_.operator_codes()[0].deprecated_builtin_code = 0;
  EXPECT_THAT(Load(),
              DataLoss("operator code 0 has a negative builtin code -5"));
}

TEST_F(VerifierTest, VersionBelowOne) {
  b_.operator_codes()[0].version = 0;
  EXPECT_THAT(Load(), DataLoss("operator code 0 has version 0; versions "
                               "start at 1"));
  b_.operator_codes()[0].version = -7;
  EXPECT_THAT(Load(), DataLoss("has version -7"));
}

TEST_F(VerifierTest, CustomWithoutName) {
  op(0).opcode_index = b_.AddOperatorCode(OpCode::Custom(""));
  EXPECT_THAT(Load(), DataLoss("operator code 1 is CUSTOM but has no "
                               "custom_code name"));
}

TEST_F(VerifierTest, CustomFromDeprecatedFieldOnlyNeedsAName) {
  OpCode code = OpCode::Builtin(0);  // builtin_code ADD (0, the default)
  code.deprecated_builtin_code = tfl::BuiltinOperator_CUSTOM;
  op(0).opcode_index = b_.AddOperatorCode(code);
  EXPECT_THAT(Load(), DataLoss("is CUSTOM but has no custom_code name"));
}

TEST_F(VerifierTest, BuiltinCodeNewerThanTheSchemaIsAccepted) {
  op(0).opcode_index = b_.AddOperatorCode(OpCode::Builtin(400));
  EXPECT_OK(Load());
}

// ------------------------------------------------------------ tensors

TEST_F(VerifierTest, UnknownTensorType) {
  tensor(y_).type = static_cast<DataType>(42);
  EXPECT_THAT(Load(), DataLoss("subgraph 0 tensor 2 'y' has unknown type 42"));
}

TEST_F(VerifierTest, RankLimit) {
  AddLoose("rank16", DataType::kFloat32, std::vector<int32_t>(16, 1));
  EXPECT_OK(Load());
  AddLoose("rank17", DataType::kFloat32, std::vector<int32_t>(17, 1));
  EXPECT_THAT(Load(), DataLoss("tensor 4 'rank17' has rank 17 (limit 16)"));
}

TEST_F(VerifierTest, NegativeDimension) {
  tensor(x_).shape = {1, -2};
  EXPECT_THAT(Load(), DataLoss("tensor 0 'x' has negative dimension -2 at "
                               "axis 1"));
}

TEST_F(VerifierTest, ShapeProductOverflowingUint64) {
  AddLoose("huge", DataType::kFloat32, {65536, 65536, 65536, 65536, 2});
  EXPECT_THAT(Load(), DataLoss("'huge' has an element count that overflows"));
}

TEST_F(VerifierTest, ShapeProductAboveTheElementLimit) {
  AddLoose("huge", DataType::kInt8, {1 << 24, 1 << 25});
  EXPECT_THAT(Load(), DataLoss("'huge' has an element count that overflows"));
}

TEST_F(VerifierTest, ZeroSizedDimensionIsAccepted) {
  AddLoose("empty", DataType::kFloat32, {0, 7});
  EXPECT_OK(Load());
}

TEST_F(VerifierTest, ShapeSignatureWithDynamicDimensionIsAccepted) {
  tensor(x_).shape_signature = {-1, 4};
  EXPECT_OK(Load());
}

TEST_F(VerifierTest, ShapeSignatureRankMismatch) {
  tensor(x_).shape_signature = {-1};
  EXPECT_THAT(Load(), DataLoss("'x': shape_signature has rank 1, shape has "
                               "rank 2"));
}

TEST_F(VerifierTest, ShapeSignatureDisagreesWithShape) {
  tensor(x_).shape_signature = {2, 4};
  EXPECT_THAT(Load(), DataLoss("'x': shape_signature[0] = 2 disagrees with "
                               "shape 1"));
  tensor(x_).shape_signature = {1, -2};
  EXPECT_THAT(Load(), DataLoss("shape_signature[1] = -2 disagrees"));
}

TEST_F(VerifierTest, BufferIndexOutOfRange) {
  tensor(w_).buffer = 99;
  EXPECT_THAT(Load(), DataLoss("tensor 1 'w' refers to buffer 99 but the "
                               "model has 2"));
}

TEST_F(VerifierTest, ModelWithoutBuffersAcceptsBufferZero) {
  // Old converters wrote no buffers vector at all when nothing is constant.
  tensor(w_).buffer = 0;
  g_.MarkInput(w_);
  b_.buffers().clear();
  ASSERT_OK_AND_ASSIGN(auto model, Load());
  EXPECT_EQ(model->num_buffers(), 0u);
}

TEST_F(VerifierTest, SparseTensorIsUnimplemented) {
  tensor(w_).sparsity =
      FlatTable::Build([](flatbuffers::FlatBufferBuilder& fbb) {
        const std::vector<int32_t> order = {0, 1};
        return tfl::CreateSparsityParametersDirect(fbb, &order);
      });
  EXPECT_THAT(Load(), StatusIs(StatusCode::kUnimplemented,
                               HasSubstr("tensor 1 'w' is sparse")));
}

// ------------------------------------------------------------ quantization

TEST_F(VerifierTest, ScaleAndZeroPointLengthsDiffer) {
  tensor(x_).quantization = QuantizationSpec::PerChannel({0.5f, 0.25f}, {0}, 1);
  EXPECT_THAT(Load(), DataLoss("'x': quantization has 2 scales but 1 zero "
                               "points"));
}

TEST_F(VerifierTest, ZeroPointsWithoutScales) {
  QuantizationSpec q;
  q.zero_point = {3};
  tensor(x_).quantization = q;
  EXPECT_THAT(Load(), DataLoss("quantization has 0 scales but 1 zero points"));
}

TEST_F(VerifierTest, MinMaxOnlyQuantizationIsAccepted) {
  QuantizationSpec q;
  q.min = {-1.0f};
  q.max = {1.0f};
  tensor(x_).quantization = q;
  EXPECT_OK(Load());
}

TEST_F(VerifierTest, NonFiniteScale) {
  tensor(x_).quantization =
      QuantizationSpec::PerTensor(std::numeric_limits<float>::quiet_NaN(), 0);
  EXPECT_THAT(Load(), DataLoss("'x': quantization scale 0 is not finite"));
  tensor(x_).quantization = QuantizationSpec::PerChannel(
      {1.0f, 1.0f, std::numeric_limits<float>::infinity(), 1.0f}, {0, 0, 0, 0},
      1);
  EXPECT_THAT(Load(), DataLoss("'x': quantization scale 2 is not finite"));
}

TEST_F(VerifierTest, PerChannelAlongAValidDimensionIsAccepted) {
  tensor(w_).quantization =
      QuantizationSpec::PerChannel({1, 2, 3, 4}, {0, 0, 0, 0}, 1);
  EXPECT_OK(Load());
}

TEST_F(VerifierTest, PerChannelCountDiffersFromDimension) {
  tensor(w_).quantization =
      QuantizationSpec::PerChannel({1, 2, 3}, {0, 0, 0}, 1);
  EXPECT_THAT(Load(), DataLoss("'w': 3 per-channel scales but dimension 1 "
                               "has size 4"));
}

TEST_F(VerifierTest, QuantizedDimensionOutOfRange) {
  tensor(w_).quantization =
      QuantizationSpec::PerChannel({1, 2, 3, 4}, {0, 0, 0, 0}, 2);
  EXPECT_THAT(Load(), DataLoss("'w': quantized_dimension 2 is out of range "
                               "for rank 2"));
  tensor(w_).quantization =
      QuantizationSpec::PerChannel({1, 2, 3, 4}, {0, 0, 0, 0}, -1);
  EXPECT_THAT(Load(), DataLoss("quantized_dimension -1 is out of range"));
}

TEST_F(VerifierTest, QuantizedDimensionOutOfRangeOnRankOneIsAWarning) {
  // person_detect.tflite's biases: rank 1, one scale per element, dim 3.
  const int32_t bias = g_.AddConstTensor<int32_t>(
      "bias", {4}, {1, 2, 3, 4},
      QuantizationSpec::PerChannel({1, 2, 3, 4}, {0, 0, 0, 0}, 3));
  g_.MarkOutput(bias);
  ASSERT_OK_AND_ASSIGN(auto model, Load());
  EXPECT_THAT(model->warnings(),
              ElementsAre(HasSubstr("tensor 3 'bias': quantized_dimension 3 is "
                                    "out of range for rank 1; treated as 0")));
}

TEST_F(VerifierTest, QuantizedDimensionOutOfRangeOnRankOneNeedsMatchingCount) {
  const int32_t bias = g_.AddConstTensor<int32_t>(
      "bias", {4}, {1, 2, 3, 4},
      QuantizationSpec::PerChannel({1, 2, 3}, {0, 0, 0}, 3));
  g_.MarkOutput(bias);
  EXPECT_THAT(Load(), DataLoss("'bias': quantized_dimension 3 is out of range "
                               "for rank 1"));
}

// ------------------------------------------------------------ constant sizes

TEST_F(VerifierTest, ConstantSizeDiffersFromShape) {
  buffer_of(w_).data.resize(12);
  EXPECT_THAT(Load(), DataLoss("'w': buffer 1 has 12 bytes, shape [1,4] of "
                               "float32 needs 16"));
  buffer_of(w_).data.resize(20);
  EXPECT_THAT(Load(), DataLoss("buffer 1 has 20 bytes"));
}

TEST_F(VerifierTest, ExternalConstantSizeIsCheckedToo) {
  buffer_of(w_).placement = BufferPlacement::kExternal;
  buffer_of(w_).data.resize(8);
  EXPECT_THAT(Load(), DataLoss("buffer 1 has 8 bytes, shape [1,4] of float32 "
                               "needs 16"));
}

TEST_F(VerifierTest, TypesWithoutFixedSizeCannotBeConstant) {
  tensor(w_).type = DataType::kResource;
  EXPECT_THAT(Load(), DataLoss("'w' of type resource cannot hold constant "
                               "data"));
}

TEST_F(VerifierTest, Int4PackedAndUnpackedSizes) {
  const int32_t t =
      g_.AddConstTensor("nibbles", DataType::kInt4, {3}, PackInt4({1, 2, 3}));
  g_.MarkOutput(t);
  EXPECT_OK(Load());  // 2 bytes: packed
  buffer_of(t).data = {1, 2, 3};
  EXPECT_OK(Load());  // 3 bytes: one per element
  buffer_of(t).data = {1, 2, 3, 4};
  EXPECT_THAT(Load(), DataLoss("'nibbles': buffer 2 has 4 bytes, shape [3] "
                               "of int4 needs 2"));
  buffer_of(t).data = {1};
  EXPECT_THAT(Load(), DataLoss("has 1 bytes, shape [3] of int4 needs 2"));
}

// ------------------------------------------------------------ string buffers

class StringBufferTest : public VerifierTest {
 protected:
  StringBufferTest() {
    s_ = g_.AddStringTensor("s", {2}, {"ab", "c"});
    g_.MarkOutput(s_);
  }
  std::vector<uint8_t>& data() { return buffer_of(s_).data; }
  void SetI32(size_t at, int32_t value) {
    std::memcpy(data().data() + at, &value, sizeof(value));
  }
  int32_t s_ = 0;
};

TEST_F(StringBufferTest, ValidBufferLoads) { EXPECT_OK(Load()); }

TEST_F(StringBufferTest, TooShortForTheCount) {
  data() = {2, 0};
  EXPECT_THAT(Load(), DataLoss("'s': string buffer too short"));
}

TEST_F(StringBufferTest, TooShortForTheOffsets) {
  data() = {2, 0, 0, 0, 16, 0, 0, 0};
  EXPECT_THAT(Load(), DataLoss("'s': string buffer too short"));
}

TEST_F(StringBufferTest, CountDiffersFromShape) {
  data() = EncodeStrings({"a", "b", "c"});
  EXPECT_THAT(Load(), DataLoss("'s': string buffer holds 3 strings, shape "
                               "needs 2"));
  SetI32(0, -1);
  EXPECT_THAT(Load(), DataLoss("holds -1 strings"));
}

TEST_F(StringBufferTest, OffsetBeforeTheHeader) {
  SetI32(4, 4);
  EXPECT_THAT(Load(), DataLoss("'s': string offset 0 is out of order or "
                               "outside the buffer"));
}

TEST_F(StringBufferTest, OffsetsOutOfOrder) {
  // Layout: count, offsets 16, 18, 19, then "abc".
  SetI32(8, 15);
  EXPECT_THAT(Load(), DataLoss("string offset 1 is out of order"));
}

TEST_F(StringBufferTest, OffsetPastTheEnd) {
  SetI32(12, 40);
  EXPECT_THAT(Load(), DataLoss("string offset 2 is out of order or outside "
                               "the buffer"));
}

TEST_F(StringBufferTest, ExternalStringBufferIsCheckedToo) {
  buffer_of(s_).placement = BufferPlacement::kExternal;
  EXPECT_OK(Load());
  SetI32(12, 40);
  EXPECT_THAT(Load(), DataLoss("string offset 2 is out of order or outside "
                               "the buffer"));
  data() = {2, 0};
  EXPECT_THAT(Load(), DataLoss("string buffer too short"));
}

// ------------------------------------------------------------ subgraph wiring

TEST_F(VerifierTest, SubgraphInputOutOfRange) {
  g_.inputs().push_back(9);
  EXPECT_THAT(Load(), DataLoss("subgraph 0 input 1 is tensor 9, outside "
                               "[0, 3)"));
  g_.inputs().back() = -1;  // optional marker is for operator inputs only
  EXPECT_THAT(Load(), DataLoss("subgraph 0 input 1 is tensor -1"));
}

TEST_F(VerifierTest, SubgraphOutputOutOfRange) {
  g_.outputs() = {3};
  EXPECT_THAT(Load(), DataLoss("subgraph 0 output 0 is tensor 3, outside "
                               "[0, 3)"));
}

TEST_F(VerifierTest, OpcodeIndexOutOfRange) {
  op(0).opcode_index = 5;
  EXPECT_THAT(Load(), DataLoss("subgraph 0 operator 0 uses operator code 5 "
                               "but the model has 1"));
}

TEST_F(VerifierTest, OperatorInputOutOfRange) {
  op(0).inputs = {x_, 7};
  EXPECT_THAT(Load(), DataLoss("subgraph 0 operator 0 (ADD) input 1 is tensor "
                               "7, outside [0, 3)"));
  op(0).inputs = {x_, -2};
  EXPECT_THAT(Load(), DataLoss("(ADD) input 1 is tensor -2"));
}

TEST_F(VerifierTest, OperatorOutputOutOfRange) {
  op(0).outputs = {y_, 3};
  EXPECT_THAT(Load(), DataLoss("subgraph 0 operator 0 (ADD) output 1 is "
                               "tensor 3, outside [0, 3)"));
}

TEST_F(VerifierTest, OperatorIntermediateOutOfRange) {
  op(0).intermediates = {9};
  EXPECT_THAT(Load(), DataLoss("(ADD) intermediate 0 is tensor 9"));
  op(0).intermediates = {-1};
  EXPECT_THAT(Load(), DataLoss("(ADD) intermediate 0 is tensor -1"));
}

TEST_F(VerifierTest, IntermediateInRangeIsAccepted) {
  op(0).intermediates = {AddLoose("scratch", DataType::kFloat32, {4})};
  EXPECT_OK(Load());
}

TEST_F(VerifierTest, OmittedOptionalInputsAndOutputsAreAccepted) {
  op(0).inputs = {x_, w_, -1};
  op(0).outputs = {y_, -1};
  EXPECT_OK(Load());
}

TEST_F(VerifierTest, ReadBeforeProduceInACycle) {
  // op0: t1 = x + t2; op1: t2 = t1 + x  (t1 and t2 depend on each other)
  const int32_t t1 = AddLoose("t1", DataType::kFloat32, {1, 4});
  const int32_t t2 = AddLoose("t2", DataType::kFloat32, {1, 4});
  g_.operators().clear();
  g_.AddOperator(tfl::BuiltinOperator_ADD, {x_, t2}, {t1});
  g_.AddOperator(tfl::BuiltinOperator_ADD, {t1, x_}, {t2});
  g_.AddOperator(tfl::BuiltinOperator_ADD, {t2, w_}, {y_});
  EXPECT_THAT(Load(),
              DataLoss("subgraph 0 operator 0 (ADD) reads subgraph 0 "
                       "tensor 4 't2' before any operator produces it"));
}

TEST_F(VerifierTest, ReadBeforeProduceInWrongOrder) {
  const int32_t t = AddLoose("t", DataType::kFloat32, {1, 4});
  g_.operators().clear();
  g_.AddOperator(tfl::BuiltinOperator_ADD, {t, w_}, {y_});
  g_.AddOperator(tfl::BuiltinOperator_ADD, {x_, w_}, {t});
  EXPECT_THAT(Load(), DataLoss("operator 0 (ADD) reads subgraph 0 tensor 3 "
                               "'t' before any operator produces it"));
}

TEST_F(VerifierTest, ReadingAVariableIsAccepted) {
  const int32_t state =
      g_.AddVariableTensor("state", DataType::kFloat32, {1, 4});
  op(0).inputs = {x_, state};
  EXPECT_OK(Load());
}

TEST_F(VerifierTest, WritingAGraphInput) {
  op(0).outputs = {x_};
  EXPECT_THAT(Load(), DataLoss("operator 0 (ADD) writes subgraph 0 tensor 0 "
                               "'x', which is already a graph input"));
}

TEST_F(VerifierTest, WritingAConstant) {
  g_.AddOperator(tfl::BuiltinOperator_ADD, {x_, x_}, {w_});
  EXPECT_THAT(Load(), DataLoss("operator 1 (ADD) writes subgraph 0 tensor 1 "
                               "'w', which is already"));
}

TEST_F(VerifierTest, WritingATensorTwice) {
  g_.AddOperator(tfl::BuiltinOperator_ADD, {x_, x_}, {y_});
  EXPECT_THAT(Load(), DataLoss("operator 1 (ADD) writes subgraph 0 tensor 2 "
                               "'y', which is already"));
}

TEST_F(VerifierTest, SubgraphOutputNeverProduced) {
  g_.MarkOutput(AddLoose("orphan", DataType::kFloat32, {1}));
  EXPECT_THAT(Load(), DataLoss("subgraph 0 output 1 is subgraph 0 tensor 3 "
                               "'orphan', which nothing produces"));
}

TEST_F(VerifierTest, MutatingVariableInputsLength) {
  op(0).mutating_variable_inputs = {true, false};
  EXPECT_OK(Load());
  op(0).mutating_variable_inputs = {true};
  EXPECT_THAT(Load(), DataLoss("(ADD): mutating_variable_inputs has 1 entries "
                               "for 2 inputs"));
}

TEST_F(VerifierTest, LargeCustomOptionsOutsideTheFile) {
  op(0).raw_large_custom_options_offset = uint64_t{1} << 32;
  op(0).raw_large_custom_options_size = 4;
  EXPECT_THAT(Load(), DataLoss("operator 0 (ADD): custom options point "
                               "outside the file"));
  op(0).raw_large_custom_options_offset = 64;
  op(0).raw_large_custom_options_size = std::numeric_limits<uint64_t>::max();
  EXPECT_THAT(Load(), DataLoss("custom options point outside the file"));
}

TEST_F(VerifierTest, LargeCustomOptionsInsideTheFileAreAccepted) {
  op(0).custom_options = {1, 2, 3};
  op(0).custom_options_external = true;
  EXPECT_OK(Load());
  op(0).custom_options_external = false;
  op(0).raw_large_custom_options_offset = 1;  // placeholder: not external
  op(0).raw_large_custom_options_size = 1000;
  EXPECT_OK(Load());
}

// ------------------------------------------------------------ control flow

class ControlFlowTest : public VerifierTest {
 protected:
  // Adds subgraph 1 ("branch": input passed through as output) and an
  // operator `code` in subgraph 0 reading y and writing a new tensor.
  void AddControlFlowOp(tfl::BuiltinOperator code, OpOptions options) {
    SubgraphBuilder& branch = b_.AddSubgraph("branch");
    const int32_t in = branch.AddInput("in", DataType::kFloat32, {1, 4});
    branch.MarkOutput(in);
    const int32_t out = g_.AddOutput("cf_out", DataType::kFloat32, {1, 4});
    g_.AddOperator(code, {y_}, {out}, std::move(options));
  }
};

TEST_F(ControlFlowTest, WhileWithValidSubgraphsLoads) {
  AddControlFlowOp(tfl::BuiltinOperator_WHILE, [](auto& fbb) {
    return tfl::CreateWhileOptions(fbb, 1, 1);
  });
  EXPECT_OK(Load());
}

TEST_F(ControlFlowTest, WhileCondOutOfRange) {
  AddControlFlowOp(tfl::BuiltinOperator_WHILE, [](auto& fbb) {
    return tfl::CreateWhileOptions(fbb, 7, 1);
  });
  EXPECT_THAT(Load(), DataLoss("operator 1 (WHILE): cond_subgraph_index 7 is "
                               "not a subgraph (model has 2)"));
}

TEST_F(ControlFlowTest, WhileBodyOutOfRange) {
  AddControlFlowOp(tfl::BuiltinOperator_WHILE, [](auto& fbb) {
    return tfl::CreateWhileOptions(fbb, 1, -1);
  });
  EXPECT_THAT(Load(), DataLoss("(WHILE): body_subgraph_index -1 is not a "
                               "subgraph"));
}

TEST_F(ControlFlowTest, IfThenOutOfRange) {
  AddControlFlowOp(tfl::BuiltinOperator_IF,
                   [](auto& fbb) { return tfl::CreateIfOptions(fbb, 2, 1); });
  EXPECT_THAT(Load(),
              DataLoss("(IF): then_subgraph_index 2 is not a subgraph"));
}

TEST_F(ControlFlowTest, IfElseOutOfRange) {
  AddControlFlowOp(tfl::BuiltinOperator_IF,
                   [](auto& fbb) { return tfl::CreateIfOptions(fbb, 1, 3); });
  EXPECT_THAT(Load(),
              DataLoss("(IF): else_subgraph_index 3 is not a subgraph"));
}

TEST_F(ControlFlowTest, CallOnceInitOutOfRange) {
  AddControlFlowOp(tfl::BuiltinOperator_CALL_ONCE, [](auto& fbb) {
    return tfl::CreateCallOnceOptions(fbb, 5);
  });
  EXPECT_THAT(Load(), DataLoss("(CALL_ONCE): init_subgraph_index 5 is not a "
                               "subgraph"));
}

TEST_F(ControlFlowTest, CallSubgraphOutOfRange) {
  AddControlFlowOp(tfl::BuiltinOperator_CALL, [](auto& fbb) {
    return tfl::CreateCallOptions(fbb, 0x80000000u);
  });
  EXPECT_THAT(Load(), DataLoss("(CALL): subgraph -2147483648 is not a "
                               "subgraph"));
}

// ------------------------------------------------------------ signatures

TEST_F(VerifierTest, SignatureLoads) {
  b_.AddSignature({"serving_default", 0, {{"x", 0}}, {{"y", 2}}});
  EXPECT_OK(Load());
}

TEST_F(VerifierTest, SignatureSubgraphOutOfRange) {
  b_.AddSignature({"serving_default", 3, {}, {}});
  EXPECT_THAT(Load(), DataLoss("signature 0 names subgraph 3 but the model "
                               "has 1"));
}

TEST_F(VerifierTest, SignatureInputTensorOutOfRange) {
  b_.AddSignature({"serving_default", 0, {{"x", 9}}, {{"y", 2}}});
  EXPECT_THAT(Load(), DataLoss("signature 0 maps 'x' to tensor 9, outside the "
                               "subgraph's 3 tensors"));
}

TEST_F(VerifierTest, SignatureOutputTensorOutOfRange) {
  b_.AddSignature({"a", 0, {}, {}});
  b_.AddSignature({"b", 0, {{"x", 0}}, {{"y", 3}}});
  EXPECT_THAT(Load(), DataLoss("signature 1 maps 'y' to tensor 3"));
}

// ------------------------------------------------------------ metadata

TEST_F(VerifierTest, MetadataBufferOutOfRange) {
  b_.AddMetadata("ok", {1, 2});
  b_.AddMetadataEntry("missing", 42);
  EXPECT_THAT(Load(), DataLoss("metadata 1 'missing' refers to a missing "
                               "buffer"));
}

TEST_F(VerifierTest, DeprecatedMetadataBufferListOutOfRange) {
  b_.metadata_buffer() = {1};
  EXPECT_OK(Load());
  b_.metadata_buffer() = {1, 42};
  EXPECT_THAT(Load(),
              DataLoss("metadata_buffer 1 refers to missing buffer 42"));
  b_.metadata_buffer() = {-1};
  EXPECT_THAT(Load(),
              DataLoss("metadata_buffer 0 refers to missing buffer -1"));
}

// ------------------------------------------------------------ verification
// level

TEST_F(VerifierTest, HeaderOnlyVerificationSkipsSemanticChecks) {
  b_.operator_codes()[0].version = 0;
  op(0).inputs = {x_, y_};  // reads its own output
  EXPECT_THAT(Load(), DataLoss("has version 0"));
  ASSERT_OK_AND_ASSIGN(auto model, LoadUnchecked(b_, Verification::kHeader));
  EXPECT_EQ(model->verification(), Verification::kHeader);
  EXPECT_THAT(model->warnings(), IsEmpty());
  EXPECT_EQ(model->BufferData(1).size(), 16u);
}

TEST(VerifierNames, OperatorCodeNames) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  g.AddInput("x", DataType::kFloat32, {1});
  b.AddOperatorCode(tfl::BuiltinOperator_CONV_2D);
  b.AddOperatorCode(OpCode::Custom("edgetpu-custom-op"));
  b.AddOperatorCode(OpCode::Builtin(300));
  b.AddOperatorCode(OpCode::Builtin(tfl::BuiltinOperator_RIGHT_SHIFT));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, b.Finish());
  const auto& codes = *tfl::GetModel(bytes.data())->operator_codes();
  EXPECT_EQ(format_internal::OperatorCodeName(*codes.Get(0)), "CONV_2D");
  EXPECT_EQ(format_internal::OperatorCodeName(*codes.Get(1)),
            "CUSTOM:edgetpu-custom-op");
  EXPECT_EQ(format_internal::OperatorCodeName(*codes.Get(2)), "BUILTIN_300");
  EXPECT_EQ(format_internal::OperatorCodeName(*codes.Get(3)), "RIGHT_SHIFT");
  EXPECT_EQ(format_internal::EffectiveBuiltinCode(*codes.Get(3)),
            tfl::BuiltinOperator_RIGHT_SHIFT);
}

}  // namespace
}  // namespace edgerun
