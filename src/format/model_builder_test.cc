#include "edgerun/format/model_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "edgerun/format/model_file.h"
#include "edgerun/format/model_summary.h"
#include "format/tflite_generated.h"
#include "tests/support/status_matchers.h"

namespace edgerun {
namespace {

using ::edgerun::testing::IsOk;
using ::edgerun::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A path under the test temp dir, unique per test and process; removed at
// the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& suffix = ".tflite") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = ::testing::TempDir() + "edgerun_" + info->test_suite_name() + "_" +
            info->name() + "_" + std::to_string(::getpid()) + suffix;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const tfl::Model& Root(const std::vector<uint8_t>& bytes) {
  return *tfl::GetModel(bytes.data());
}

// x + w -> y, all float [1,4].
void BuildAddModel(ModelBuilder& b) {
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 4});
  const int32_t w = g.AddConstTensor<float>("w", {1, 4}, {1, 2, 3, 4});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 4});
  g.AddOperator(tfl::BuiltinOperator_ADD, {x, w}, {y});
}

// ------------------------------------------------------------ round trip

// The model of the round-trip test: every dtype, shape signatures, per-tensor
// and per-channel quantization, constants of several kinds, builtin ops with
// versions, a builtin code above 127, a custom op, a WHILE with cond and body
// subgraphs, signatures, metadata and a description.
struct RoundTripModel {
  int32_t x = 0, w = 0, bias = 0, state = 0, while_out = 0, labels = 0,
          nibbles = 0, half = 0, cond_in = 0, body_in = 0, body_out = 0;
  uint32_t runtime_version_buffer = 0, extra_buffer = 0;
};

RoundTripModel BuildRoundTripModel(ModelBuilder& b) {
  RoundTripModel m;
  b.set_description("edgerun builder round trip");
  SubgraphBuilder& main = b.AddSubgraph("main");
  for (int v = 0; v <= kMaxDataTypeValue; ++v) {
    const DataType type = static_cast<DataType>(v);
    main.AddInput("in_" + std::string(DataTypeName(type)), type, {1, v + 1});
  }
  TensorSpec x;
  x.name = "x";
  x.type = DataType::kInt8;
  x.shape = {1, 4, 4, 3};
  x.shape_signature = {-1, 4, 4, -1};
  x.quantization = QuantizationSpec::PerTensor(0.5f, -3);
  m.x = main.AddInput(std::move(x));
  m.state = main.AddVariableTensor("state", DataType::kFloat32, {1, 2});
  main.MarkInput(m.state);

  m.w = main.AddConstTensor<int8_t>(
      "w", {2, 1, 1, 3}, {1, 2, 3, 4, 5, 6},
      QuantizationSpec::PerChannel({0.125f, 0.25f}, {0, 0}, 0));
  m.bias = main.AddConstTensor<int32_t>(
      "bias", {2}, {7, -7},
      QuantizationSpec::PerChannel({0.0625f, 0.125f}, {0, 1}, 0));
  const QuantizationSpec act = QuantizationSpec::PerTensor(0.25f, 1);
  const int32_t conv =
      main.AddTensor("conv", DataType::kInt8, {1, 4, 4, 2}, act);
  main.AddOperator({tfl::BuiltinOperator_CONV_2D, 3}, {m.x, m.w, m.bias},
                   {conv}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return tfl::CreateConv2DOptions(
                         fbb, tfl::Padding_SAME, 1, 1,
                         tfl::ActivationFunctionType_RELU);
                   });
  const int32_t add1 =
      main.AddTensor("add1", DataType::kInt8, {1, 4, 4, 2}, act);
  main.AddOperator(tfl::BuiltinOperator_ADD, {conv, conv}, {add1},
                   [](auto& fbb) { return tfl::CreateAddOptions(fbb); });
  const int32_t add2 =
      main.AddTensor("add2", DataType::kInt8, {1, 4, 4, 2}, act);
  main.AddOperator({tfl::BuiltinOperator_ADD, 2}, {add1, conv}, {add2});
  const int32_t gelu =
      main.AddTensor("gelu", DataType::kInt8, {1, 4, 4, 2}, act);
  main.AddOperator(OpCode::Builtin(tfl::BuiltinOperator_GELU), {add2}, {gelu},
                   [](auto& fbb) { return tfl::CreateGeluOptions(fbb, true); });
  const int32_t custom =
      main.AddTensor("custom", DataType::kInt8, {1, 4, 4, 2}, act);
  main.AddCustomOperator("MyCustomOp", {gelu}, {custom}, {1, 2, 3},
                         /*version=*/2);
  m.while_out = main.AddOutput("while_out", DataType::kInt8, {1, 4, 4, 2}, act);
  main.AddOperator(
      tfl::BuiltinOperator_WHILE, {custom}, {m.while_out},
      [](auto& fbb) { return tfl::CreateWhileOptions(fbb, 1, 2); });
  main.MarkOutput(m.w);
  main.MarkOutput(m.bias);
  m.labels = main.AddStringTensor("labels", {2}, {"cat", "dog"});
  main.MarkOutput(m.labels);
  m.nibbles = main.AddConstTensor("nibbles", DataType::kInt4, {3},
                                  PackInt4({1, -2, 7}));
  main.MarkOutput(m.nibbles);
  m.half = main.AddConstTensor("half", DataType::kFloat16, {2},
                               ToBytes<uint16_t>({0x3c00, 0xc000}));
  main.MarkOutput(m.half);

  SubgraphBuilder& cond = b.AddSubgraph("cond");
  m.cond_in = cond.AddInput("c_in", DataType::kInt8, {1, 4, 4, 2}, act);
  const int32_t zero = cond.AddConstTensor<int8_t>(
      "zero", {}, {0}, QuantizationSpec::PerTensor(0.25f, 1));
  const int32_t less = cond.AddOutput("c_out", DataType::kBool, {1, 4, 4, 2});
  cond.AddOperator(tfl::BuiltinOperator_LESS, {m.cond_in, zero}, {less});

  SubgraphBuilder& body = b.AddSubgraph("body");
  m.body_in = body.AddInput("b_in", DataType::kInt8, {1, 4, 4, 2}, act);
  m.body_out = body.AddOutput("b_out", DataType::kInt8, {1, 4, 4, 2}, act);
  body.AddOperator(tfl::BuiltinOperator_ADD, {m.body_in, m.body_in},
                   {m.body_out});

  b.AddSignature(
      {"serving_default", 0, {{"image", m.x}}, {{"scores", m.while_out}}});
  b.AddSignature({"step", 2, {{"in", m.body_in}}, {{"out", m.body_out}}});
  std::vector<uint8_t> version(16, 0);
  std::memcpy(version.data(), "1.14.0", 6);
  m.runtime_version_buffer = b.AddMetadata("min_runtime_version", version);
  m.extra_buffer = b.AddMetadata("extra", {9, 8, 7});
  return m;
}

void ExpectTensor(const TensorSummary& t, int32_t index,
                  const std::string& name, DataType type,
                  std::vector<int32_t> shape) {
  SCOPED_TRACE(name);
  EXPECT_EQ(t.index, index);
  EXPECT_EQ(t.name, name);
  EXPECT_EQ(t.type, type);
  EXPECT_EQ(t.shape, shape);
}

void CheckRoundTrip(const ModelSummary& s, const RoundTripModel& m) {
  EXPECT_EQ(s.schema_version, 3u);
  EXPECT_EQ(s.description, "edgerun builder round trip");
  EXPECT_TRUE(s.warnings.empty());
  ASSERT_EQ(s.subgraphs.size(), 3u);

  const SubgraphSummary& main = s.subgraphs[0];
  EXPECT_EQ(main.name, "main");
  EXPECT_EQ(main.num_operators, 6u);
  ASSERT_EQ(main.inputs.size(), static_cast<size_t>(kMaxDataTypeValue + 3));
  for (int v = 0; v <= kMaxDataTypeValue; ++v) {
    const DataType type = static_cast<DataType>(v);
    const TensorSummary& t = main.inputs[v];
    ExpectTensor(t, v, "in_" + std::string(DataTypeName(type)), type,
                 {1, v + 1});
    EXPECT_EQ(t.shape_signature, t.shape);
    EXPECT_FALSE(t.quantization.has_value());
    EXPECT_FALSE(t.is_constant);
    EXPECT_FALSE(t.is_variable);
  }
  const TensorSummary& x = main.inputs[kMaxDataTypeValue + 1];
  ExpectTensor(x, m.x, "x", DataType::kInt8, {1, 4, 4, 3});
  EXPECT_THAT(x.shape_signature, ElementsAre(-1, 4, 4, -1));
  ASSERT_TRUE(x.quantization.has_value());
  EXPECT_FALSE(x.quantization->per_channel());
  EXPECT_THAT(x.quantization->scale, ElementsAre(0.5f));
  EXPECT_THAT(x.quantization->zero_point, ElementsAre(-3));
  const TensorSummary& state = main.inputs[kMaxDataTypeValue + 2];
  ExpectTensor(state, m.state, "state", DataType::kFloat32, {1, 2});
  EXPECT_TRUE(state.is_variable);

  ASSERT_EQ(main.outputs.size(), 6u);
  ExpectTensor(main.outputs[0], m.while_out, "while_out", DataType::kInt8,
               {1, 4, 4, 2});
  EXPECT_FALSE(main.outputs[0].is_constant);
  const TensorSummary& w = main.outputs[1];
  ExpectTensor(w, m.w, "w", DataType::kInt8, {2, 1, 1, 3});
  EXPECT_TRUE(w.is_constant);
  ASSERT_TRUE(w.quantization.has_value());
  EXPECT_TRUE(w.quantization->per_channel());
  EXPECT_THAT(w.quantization->scale, ElementsAre(0.125f, 0.25f));
  EXPECT_THAT(w.quantization->zero_point, ElementsAre(0, 0));
  EXPECT_EQ(w.quantization->quantized_dimension, 0);
  const TensorSummary& bias = main.outputs[2];
  ExpectTensor(bias, m.bias, "bias", DataType::kInt32, {2});
  ASSERT_TRUE(bias.quantization.has_value());
  EXPECT_THAT(bias.quantization->zero_point, ElementsAre(0, 1));
  ExpectTensor(main.outputs[3], m.labels, "labels", DataType::kString, {2});
  EXPECT_TRUE(main.outputs[3].is_constant);
  ExpectTensor(main.outputs[4], m.nibbles, "nibbles", DataType::kInt4, {3});
  ExpectTensor(main.outputs[5], m.half, "half", DataType::kFloat16, {2});

  EXPECT_EQ(s.subgraphs[1].name, "cond");
  EXPECT_EQ(s.subgraphs[1].num_tensors, 3u);
  EXPECT_EQ(s.subgraphs[1].num_operators, 1u);
  ASSERT_EQ(s.subgraphs[1].outputs.size(), 1u);
  EXPECT_EQ(s.subgraphs[1].outputs[0].type, DataType::kBool);
  EXPECT_EQ(s.subgraphs[2].name, "body");
  ASSERT_EQ(s.subgraphs[2].inputs.size(), 1u);
  EXPECT_EQ(s.subgraphs[2].inputs[0].name, "b_in");
  EXPECT_EQ(s.tensor_count, main.num_tensors + 3 + 2);

  // Builtins alphabetically, then custom ops.
  ASSERT_EQ(s.operators.size(), 6u);
  const std::vector<std::string> names = {"ADD",  "CONV_2D", "GELU",
                                          "LESS", "WHILE",   "MyCustomOp"};
  for (size_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(s.operators[i].name, names[i]);
  EXPECT_EQ(s.operators[0].count, 3u);  // two in main, one in body
  EXPECT_THAT(s.operators[0].versions, ElementsAre(1, 2));
  EXPECT_THAT(s.operators[1].versions, ElementsAre(3));
  EXPECT_EQ(s.operators[2].builtin_code, tfl::BuiltinOperator_GELU);
  EXPECT_FALSE(s.operators[2].custom);
  EXPECT_TRUE(s.operators[5].custom);
  EXPECT_EQ(s.operators[5].builtin_code, tfl::BuiltinOperator_CUSTOM);
  EXPECT_THAT(s.operators[5].versions, ElementsAre(2));

  ASSERT_EQ(s.signatures.size(), 2u);
  EXPECT_EQ(s.signatures[0].key, "serving_default");
  EXPECT_EQ(s.signatures[0].subgraph_index, 0);
  ASSERT_EQ(s.signatures[0].inputs.size(), 1u);
  EXPECT_EQ(s.signatures[0].inputs[0].name, "image");
  EXPECT_EQ(s.signatures[0].inputs[0].tensor_index, m.x);
  ASSERT_EQ(s.signatures[0].outputs.size(), 1u);
  EXPECT_EQ(s.signatures[0].outputs[0].name, "scores");
  EXPECT_EQ(s.signatures[0].outputs[0].tensor_index, m.while_out);
  EXPECT_EQ(s.signatures[1].key, "step");
  EXPECT_EQ(s.signatures[1].subgraph_index, 2);
  EXPECT_EQ(s.signatures[1].outputs[0].tensor_index, m.body_out);

  ASSERT_EQ(s.metadata.size(), 2u);
  EXPECT_EQ(s.metadata[0].name, "min_runtime_version");
  EXPECT_EQ(s.metadata[0].buffer, m.runtime_version_buffer);
  EXPECT_EQ(s.metadata[0].bytes, 16u);
  EXPECT_EQ(s.metadata[1].name, "extra");
  EXPECT_EQ(s.metadata[1].buffer, m.extra_buffer);
  EXPECT_EQ(s.metadata[1].bytes, 3u);
  EXPECT_EQ(s.min_runtime_version, "1.14.0");

  // w, bias, labels, nibbles, half, zero, and the two metadata buffers.
  EXPECT_EQ(s.load_stats.constant_buffers, 8u);
  EXPECT_EQ(s.load_stats.external_buffers, 0u);
  EXPECT_EQ(s.load_stats.buffers_copied, 0u);
}

TEST(ModelBuilderRoundTrip, FileMappedAndReadGiveBackWhatWasBuilt) {
  ModelBuilder b;
  const RoundTripModel m = BuildRoundTripModel(b);
  TempFile file;
  ASSERT_OK(b.WriteToFile(file.path()));

  ASSERT_OK_AND_ASSIGN(auto mapped, LoadModelFromFile(file.path()));
  const ModelSummary s1 = SummarizeModel(*mapped);
  EXPECT_EQ(s1.source_kind, "mmap");
  EXPECT_EQ(s1.file_bytes, std::filesystem::file_size(file.path()));
  CheckRoundTrip(s1, m);

  ASSERT_OK_AND_ASSIGN(
      auto read, LoadModelFromFile(file.path(), {}, FileReadMode::kReadWhole));
  const ModelSummary s2 = SummarizeModel(*read);
  EXPECT_EQ(s2.source_kind, "read");
  CheckRoundTrip(s2, m);
}

TEST(ModelBuilderRoundTrip, ConstantDataComesBackBitExact) {
  ModelBuilder b;
  const RoundTripModel m = BuildRoundTripModel(b);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, b.Finish());
  ASSERT_OK_AND_ASSIGN(auto file, LoadModel(ByteSource::FromVector(bytes)));
  const tfl::SubGraph& main = *file->model().subgraphs()->Get(0);
  auto data = [&](int32_t tensor) {
    const std::span<const uint8_t> d =
        file->BufferData(main.tensors()->Get(tensor)->buffer());
    return std::vector<uint8_t>(d.begin(), d.end());
  };
  EXPECT_EQ(data(m.w), ToBytes<int8_t>({1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(data(m.bias), ToBytes<int32_t>({7, -7}));
  EXPECT_EQ(data(m.labels), EncodeStrings({"cat", "dog"}));
  EXPECT_THAT(data(m.nibbles), ElementsAre(0xe1, 0x07));
  EXPECT_EQ(data(m.half), ToBytes<uint16_t>({0x3c00, 0xc000}));
}

// ------------------------------------------------------------ wire details

TEST(ModelBuilder, OperatorCodesFollowTfliteWriterConventions) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  const int32_t x = g.AddInput("x", DataType::kFloat32, {4});
  const int32_t a = g.AddTensor("a", DataType::kFloat32, {4});
  const int32_t c = g.AddTensor("c", DataType::kFloat32, {4});
  const int32_t d = g.AddTensor("d", DataType::kFloat32, {4});
  const int32_t e = g.AddOutput("e", DataType::kFloat32, {4});
  g.AddOperator(tfl::BuiltinOperator_CONV_2D, {x}, {a});
  g.AddOperator(OpCode::Builtin(tfl::BuiltinOperator_RIGHT_SHIFT, 2), {a}, {c});
  g.AddOperator(tfl::BuiltinOperator_CONV_2D, {c}, {d});  // deduplicated
  g.AddCustomOperator("Frobnicate", {d}, {e}, {0xaa}, 3);
  EXPECT_EQ(b.operator_codes().size(), 3u);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, b.Finish());

  const auto& codes = *Root(bytes).operator_codes();
  ASSERT_EQ(codes.size(), 3u);
  EXPECT_EQ(codes.Get(0)->deprecated_builtin_code(), 3);
  EXPECT_EQ(codes.Get(0)->builtin_code(), tfl::BuiltinOperator_CONV_2D);
  EXPECT_EQ(codes.Get(0)->version(), 1);
  EXPECT_EQ(codes.Get(1)->deprecated_builtin_code(),
            tfl::BuiltinOperator_PLACEHOLDER_FOR_GREATER_OP_CODES);
  EXPECT_EQ(codes.Get(1)->builtin_code(), tfl::BuiltinOperator_RIGHT_SHIFT);
  EXPECT_EQ(codes.Get(1)->version(), 2);
  EXPECT_EQ(codes.Get(2)->builtin_code(), tfl::BuiltinOperator_CUSTOM);
  EXPECT_EQ(codes.Get(2)->deprecated_builtin_code(),
            tfl::BuiltinOperator_CUSTOM);
  EXPECT_EQ(codes.Get(2)->custom_code()->str(), "Frobnicate");
  EXPECT_EQ(codes.Get(2)->version(), 3);

  const auto& ops = *Root(bytes).subgraphs()->Get(0)->operators();
  EXPECT_EQ(ops.Get(0)->opcode_index(), 0u);
  EXPECT_EQ(ops.Get(2)->opcode_index(), 0u);
  ASSERT_NE(ops.Get(3)->custom_options(), nullptr);
  EXPECT_THAT(std::vector<uint8_t>(ops.Get(3)->custom_options()->begin(),
                                   ops.Get(3)->custom_options()->end()),
              ElementsAre(0xaa));
}

TEST(ModelBuilder, BuiltinOptionsOfAnyTableAreWritten) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 2, 2, 1});
  const int32_t t1 = g.AddTensor("t1", DataType::kFloat32, {4});
  const int32_t t2 = g.AddTensor("t2", DataType::kFloat32, {4});
  const int32_t t3 = g.AddTensor("t3", DataType::kResource, {});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 2, 2, 1});
  g.AddOperator(tfl::BuiltinOperator_RESHAPE, {x}, {t1}, [](auto& fbb) {
    const std::vector<int32_t> shape = {4};
    return tfl::CreateReshapeOptionsDirect(fbb, &shape);
  });
  const std::string container = "box";  // captured by reference: runs at once
  g.AddOperator(tfl::BuiltinOperator_VAR_HANDLE, {}, {t3}, [&](auto& fbb) {
    return tfl::CreateVarHandleOptionsDirect(fbb, container.c_str(), "v1");
  });
  g.AddOperator(tfl::BuiltinOperator_SQUEEZE, {t1}, {t2}, [](auto& fbb) {
    const std::vector<int32_t> dims = {0, 3};
    return tfl::CreateSqueezeOptionsDirect(fbb, &dims);
  });
  g.AddOperator(tfl::BuiltinOperator_CONV_2D, {t2}, {y},
                [](flatbuffers::FlatBufferBuilder& fbb) {
                  return tfl::CreateConv2DOptions(
                      fbb, tfl::Padding_VALID, /*stride_w=*/2, /*stride_h=*/3,
                      tfl::ActivationFunctionType_RELU6,
                      /*dilation_w_factor=*/4, /*dilation_h_factor=*/5);
                });
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, b.Finish());

  const auto& ops = *Root(bytes).subgraphs()->Get(0)->operators();
  const tfl::ReshapeOptions* reshape =
      ops.Get(0)->builtin_options_as_ReshapeOptions();
  ASSERT_NE(reshape, nullptr);
  EXPECT_THAT(std::vector<int32_t>(reshape->new_shape()->begin(),
                                   reshape->new_shape()->end()),
              ElementsAre(4));
  const tfl::VarHandleOptions* var =
      ops.Get(1)->builtin_options_as_VarHandleOptions();
  ASSERT_NE(var, nullptr);
  EXPECT_EQ(var->container()->str(), "box");
  EXPECT_EQ(var->shared_name()->str(), "v1");
  const tfl::SqueezeOptions* squeeze =
      ops.Get(2)->builtin_options_as_SqueezeOptions();
  ASSERT_NE(squeeze, nullptr);
  EXPECT_EQ(squeeze->squeeze_dims()->size(), 2u);
  const tfl::Conv2DOptions* conv =
      ops.Get(3)->builtin_options_as_Conv2DOptions();
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->padding(), tfl::Padding_VALID);
  EXPECT_EQ(conv->stride_w(), 2);
  EXPECT_EQ(conv->stride_h(), 3);
  EXPECT_EQ(conv->fused_activation_function(),
            tfl::ActivationFunctionType_RELU6);
  EXPECT_EQ(conv->dilation_w_factor(), 4);
  EXPECT_EQ(conv->dilation_h_factor(), 5);
}

TEST(ModelBuilder, FlatTableFromNullOffsetIsEmpty) {
  const FlatTable table = FlatTable::Build([](flatbuffers::FlatBufferBuilder&) {
    return flatbuffers::Offset<tfl::AddOptions>();
  });
  EXPECT_TRUE(table.empty());
  const OpOptions options(tfl::BuiltinOptions_AddOptions, table);
  EXPECT_TRUE(options.table.empty());
}

TEST(ModelBuilder, TensorFieldsAreWritten) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("sg");
  TensorSpec spec;
  spec.name = "t";
  spec.type = DataType::kUInt8;
  spec.shape = {2, 3};
  spec.shape_signature = {-1, 3};
  spec.has_rank = true;
  spec.quantization = QuantizationSpec::PerTensor(0.5f, 128);
  spec.quantization->min = {-64.0f};
  spec.quantization->max = {63.5f};
  const int32_t t = g.AddInput(spec);
  g.MarkOutput(t);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, b.Finish());
  const tfl::Tensor& tensor =
      *Root(bytes).subgraphs()->Get(0)->tensors()->Get(0);
  EXPECT_EQ(tensor.name()->str(), "t");
  EXPECT_EQ(tensor.type(), tfl::TensorType_UINT8);
  EXPECT_TRUE(tensor.has_rank());
  EXPECT_EQ(tensor.buffer(), 0u);
  EXPECT_EQ(tensor.shape_signature()->Get(0), -1);
  EXPECT_EQ(tensor.quantization()->min()->Get(0), -64.0f);
  EXPECT_EQ(tensor.quantization()->max()->Get(0), 63.5f);
  EXPECT_EQ(tensor.quantization()->zero_point()->Get(0), 128);
  EXPECT_EQ(Root(bytes).version(), 3u);
  EXPECT_EQ(Root(bytes).buffers()->size(), 1u);  // the sentinel
  EXPECT_EQ(Root(bytes).buffers()->Get(0)->data(), nullptr);
}

TEST(ModelBuilder, InlineBuffersAre16ByteAligned) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  for (int i = 1; i <= 5; ++i) {
    g.MarkOutput(g.AddConstTensor<uint8_t>("c" + std::to_string(i), {i},
                                           std::vector<uint8_t>(i, 7)));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, b.Finish());
  const auto& buffers = *Root(bytes).buffers();
  for (size_t i = 1; i < buffers.size(); ++i) {
    const size_t offset = buffers.Get(i)->data()->data() - bytes.data();
    EXPECT_EQ(offset % 16, 0u) << "buffer " << i;
  }
}

TEST(ModelBuilder, ExternalBuffersFollowTheFlatBuffer) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  const std::vector<float> values = {1.5f, -2.0f, 3.25f, 4.0f};
  const int32_t w = g.AddConstTensor<float>("w", {4}, values, std::nullopt,
                                            BufferPlacement::kExternal);
  const int32_t v = g.AddConstTensor<float>(
      "v", {4}, values, std::nullopt, BufferPlacement::kExternalMisaligned);
  g.MarkOutput(w);
  g.MarkOutput(v);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, b.Finish());

  const tfl::Model& model = Root(bytes);
  const tfl::Buffer& wb = *model.buffers()->Get(1);
  const tfl::Buffer& vb = *model.buffers()->Get(2);
  EXPECT_EQ(wb.data(), nullptr);
  EXPECT_EQ(wb.offset() % 64, 0u);
  EXPECT_EQ(wb.size(), 16u);
  EXPECT_EQ(vb.offset() % 2, 1u);
  EXPECT_EQ(vb.size(), 16u);
  EXPECT_EQ(bytes.size(), vb.offset() + vb.size());
  EXPECT_EQ(std::memcmp(bytes.data() + wb.offset(), values.data(), 16), 0);
  EXPECT_EQ(std::memcmp(bytes.data() + vb.offset(), values.data(), 16), 0);
  // The FlatBuffer itself ends before the external data.
  flatbuffers::Verifier verifier(bytes.data(), wb.offset());
  EXPECT_TRUE(tfl::VerifyModelBuffer(verifier));
}

TEST(ModelBuilder, ExternalCustomOptions) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  const int32_t x = g.AddInput("x", DataType::kUInt8, {4});
  const int32_t y = g.AddOutput("y", DataType::kUInt8, {4});
  OperatorSpec op;
  op.opcode_index = b.OperatorCodeIndex(OpCode::Custom("Big"));
  op.inputs = {x};
  op.outputs = {y};
  op.custom_options = {1, 2, 3, 4, 5};
  op.custom_options_external = true;
  g.AddOperator(op);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, b.Finish());
  const tfl::Operator& written =
      *Root(bytes).subgraphs()->Get(0)->operators()->Get(0);
  EXPECT_EQ(written.custom_options(), nullptr);
  ASSERT_GT(written.large_custom_options_offset(), 1u);
  EXPECT_EQ(written.large_custom_options_size(), 5u);
  EXPECT_THAT(std::vector<uint8_t>(
                  bytes.begin() + written.large_custom_options_offset(),
                  bytes.begin() + written.large_custom_options_offset() + 5),
              ElementsAre(1, 2, 3, 4, 5));
}

TEST(ModelBuilder, HelpersEncodeStringsAndInt4) {
  EXPECT_THAT(EncodeStrings({"ab", "", "c"}),
              ElementsAre(3, 0, 0, 0, 20, 0, 0, 0, 22, 0, 0, 0, 22, 0, 0, 0, 23,
                          0, 0, 0, 'a', 'b', 'c'));
  EXPECT_THAT(EncodeStrings({}), ElementsAre(0, 0, 0, 0, 8, 0, 0, 0));
  EXPECT_THAT(PackInt4({-8, 7, 3}), ElementsAre(0x78, 0x03));
  EXPECT_THAT(ToBytes<bool>({true, false, true}), ElementsAre(1, 0, 1));
  EXPECT_THAT(ToBytes<int16_t>({-2}), ElementsAre(0xfe, 0xff));
}

TEST(ModelBuilder, FinishIsRepeatableAndDeterministic) {
  ModelBuilder b;
  BuildAddModel(b);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> first, b.Finish());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> second, b.Finish());
  EXPECT_EQ(first, second);
  // Specs stay editable after Finish.
  b.subgraph(0)->tensors()[0].name = "renamed";
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> third, b.Finish());
  EXPECT_EQ(Root(third).subgraphs()->Get(0)->tensors()->Get(0)->name()->str(),
            "renamed");
}

// ------------------------------------------------------------ errors

TEST(ModelBuilderErrors, ConstValueCountMustMatchShape) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  g.MarkOutput(g.AddConstTensor<float>("w", {2, 2}, {1, 2, 3}));
  EXPECT_THAT(b.status(), StatusIs(StatusCode::kInvalidArgument,
                                   HasSubstr("3 values for shape [2,2]")));
  EXPECT_THAT(b.Finish(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("subgraph 0 'main' tensor 'w': 3 values")));
  EXPECT_THAT(b.Finish(ModelBuilder::Check::kNone),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("3 values")));
}

TEST(ModelBuilderErrors, NegativeShapeInConstTensor) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  g.AddConstTensor<int8_t>("w", {-1}, {1});
  EXPECT_THAT(b.Finish(), StatusIs(StatusCode::kInvalidArgument,
                                   HasSubstr("(invalid shape)")));
}

TEST(ModelBuilderErrors, StringCountMustMatchShape) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  g.AddStringTensor("s", {3}, {"a"});
  EXPECT_THAT(b.Finish(), StatusIs(StatusCode::kInvalidArgument,
                                   HasSubstr("1 values for shape [3]")));
}

TEST(ModelBuilderErrors, MarkingAMissingTensor) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  g.AddTensor("a", DataType::kFloat32, {1});
  g.MarkInput(7);
  g.MarkOutput(-1);
  EXPECT_TRUE(g.inputs().empty());
  EXPECT_TRUE(g.outputs().empty());
  // The first error is kept.
  EXPECT_THAT(
      b.Finish(),
      StatusIs(StatusCode::kInvalidArgument,
               HasSubstr("MarkInput(7): no such tensor (the subgraph has 1)")));
}

TEST(ModelBuilderErrors, VerificationRejectsBadIndicesUnlessUnchecked) {
  ModelBuilder b;
  BuildAddModel(b);
  b.subgraph(0)->operators()[0].inputs = {0, 9};
  EXPECT_THAT(b.Finish(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("does not verify: DataLoss: subgraph 0 "
                                 "operator 0 (ADD) input 1 is tensor 9")));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes,
                       b.Finish(ModelBuilder::Check::kNone));
  EXPECT_EQ(
      Root(bytes).subgraphs()->Get(0)->operators()->Get(0)->inputs()->Get(1),
      9);
}

TEST(ModelBuilderErrors, EmptyModelDoesNotVerify) {
  ModelBuilder b;
  EXPECT_EQ(b.subgraph(0), nullptr);
  EXPECT_THAT(b.Finish(), StatusIs(StatusCode::kInvalidArgument,
                                   HasSubstr("model has no subgraphs")));
  EXPECT_OK(b.Finish(ModelBuilder::Check::kNone));
}

TEST(ModelBuilderErrors, WriteToFileReportsTheReason) {
  ModelBuilder b;
  BuildAddModel(b);
  EXPECT_THAT(b.WriteToFile("/nonexistent-edgerun-dir/model.tflite"),
              StatusIs(StatusCode::kNotFound,
                       HasSubstr("/nonexistent-edgerun-dir/model.tflite")));
  TempFile file;
  b.subgraph(0)->operators()[0].opcode_index = 4;
  EXPECT_THAT(
      b.WriteToFile(file.path()),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("operator code 4")));
  EXPECT_FALSE(std::filesystem::exists(file.path()));
}

}  // namespace
}  // namespace edgerun
