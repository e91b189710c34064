// RunSelfTest on builder models (float and quantized), spec mismatches, and
// the quantized MobileNet golden case from ../shared at tolerance 0.
#include "edgerun/ota/self_test.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "edgerun/format/model_builder.h"
#include "edgerun/io/npy.h"
#include "tests/support/shared_data.h"

namespace edgerun::ota {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<const ModelFile> Load(StatusOr<std::vector<uint8_t>> bytes) {
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  if (!bytes.ok()) return nullptr;
  StatusOr<std::shared_ptr<const ModelFile>> m =
      LoadModel(ByteSource::FromVector(*std::move(bytes)));
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : nullptr;
}

// z = x + 1 and y = (x + 1) * 2, float32 [1, 4].
std::shared_ptr<const ModelFile> FloatModel() {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 4});
  const int32_t one = g.AddConstTensor<float>("one", {1}, {1.f});
  const int32_t two = g.AddConstTensor<float>("two", {1}, {2.f});
  const int32_t z = g.AddOutput("z", DataType::kFloat32, {1, 4});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 4});
  g.AddOperator(tfl::BuiltinOperator_ADD, {x, one}, {z});
  g.AddOperator(tfl::BuiltinOperator_MUL, {z, two}, {y});
  return Load(b.Finish());
}

// y = params[indices]: params uint8 [4, 2] = 10 + 3 * i, output quantized
// with scale 0.5, zero point 10 (real = 0.5 * (q - 10)).
std::shared_ptr<const ModelFile> QuantizedGatherModel() {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  std::vector<uint8_t> params(8);
  for (int i = 0; i < 8; ++i) params[i] = static_cast<uint8_t>(10 + 3 * i);
  const auto q = QuantizationSpec::PerTensor(0.5f, 10);
  const int32_t p = g.AddConstTensor<uint8_t>("params", {4, 2}, params, q);
  const int32_t idx = g.AddInput("indices", DataType::kInt32, {2});
  const int32_t y = g.AddOutput("y", DataType::kUInt8, {2, 2}, q);
  g.AddOperator(tfl::BuiltinOperator_GATHER, {p, idx}, {y},
                [](flatbuffers::FlatBufferBuilder& fbb) {
                  return tfl::CreateGatherOptions(fbb, 0, 0);
                });
  return Load(b.Finish());
}

template <typename T>
std::vector<uint8_t> Npy(DataType type, std::vector<int64_t> shape,
                         const std::vector<T>& values) {
  NpyArray a;
  a.type = type;
  a.shape = std::move(shape);
  a.data = ToBytes(values);
  return SerializeNpy(a);
}

SelfTestSpec FloatSpec(std::vector<float> z, std::vector<float> y) {
  SelfTestSpec spec;
  spec.input_npy = {Npy<float>(DataType::kFloat32, {1, 4}, {0, 1, 2, -3})};
  spec.expected_output_npy = {Npy(DataType::kFloat32, {1, 4}, z),
                              Npy(DataType::kFloat32, {1, 4}, y)};
  return spec;
}

TEST(SelfTestTest, ExactOutputsPass) {
  auto model = FloatModel();
  ASSERT_NE(model, nullptr);
  StatusOr<SelfTestReport> r =
      RunSelfTest(model, FloatSpec({1, 2, 3, -2}, {2, 4, 6, -4}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed);
  EXPECT_TRUE(r->status.ok());
  ASSERT_EQ(r->outputs.size(), 2u);
  EXPECT_EQ(r->outputs[0].name, "z");
  EXPECT_EQ(r->outputs[1].name, "y");
  for (const SelfTestOutput& o : r->outputs) {
    EXPECT_TRUE(o.pass);
    EXPECT_EQ(o.stats.max_abs_error, 0);
    EXPECT_EQ(o.stats.mismatched, 0);
    EXPECT_EQ(o.stats.elements, 4);
  }
  EXPECT_THAT(r->ToString(), HasSubstr("self-test passed"));
}

TEST(SelfTestTest, WrongExpectedOutputFailsWithReport) {
  auto model = FloatModel();
  ASSERT_NE(model, nullptr);
  // y[3] off by 3.2, z[0] off by 0.5: the worst output is named.
  StatusOr<SelfTestReport> r =
      RunSelfTest(model, FloatSpec({1.5f, 2, 3, -2}, {2, 4, 6, -0.8f}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->passed);
  EXPECT_EQ(r->status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r->status.message(),
            "self-test failed: output 1 ('y') max abs error 3.2 > tolerance 0");
  EXPECT_FALSE(r->outputs[0].pass);
  EXPECT_NEAR(r->outputs[0].stats.max_abs_error, 0.5, 1e-6);
  EXPECT_EQ(r->outputs[1].stats.mismatched, 1);
  EXPECT_NEAR(r->outputs[1].stats.max_abs_error, 3.2, 1e-6);
  EXPECT_THAT(r->ToString(), HasSubstr("EXCEEDS TOLERANCE"));

  // The same error within a tolerance passes; the diff rule is <=.
  SelfTestSpec spec = FloatSpec({1.5f, 2, 3, -2}, {2, 4, 6, -0.8f});
  spec.atol = 3.3;
  r = RunSelfTest(model, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->status;
}

// numpy.allclose's rule: |got - expected| <= atol + rtol * |expected| per
// element. The model gives y = {2, 4, 6, -4}; expected {2, 4, 6, -4.4} is off
// by 0.4 on an element of magnitude 4.4.
TEST(SelfTestTest, RelativeToleranceScalesWithTheExpectedValue) {
  auto model = FloatModel();
  ASSERT_NE(model, nullptr);
  SelfTestSpec spec = FloatSpec({1, 2, 3, -2}, {2, 4, 6, -4.4f});
  spec.atol = 0.1;
  spec.rtol = 0.05;  // 0.1 + 0.05 * 4.4 = 0.32 < 0.4: fails
  StatusOr<SelfTestReport> r = RunSelfTest(model, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->passed);
  EXPECT_EQ(r->outputs[1].stats.out_of_tolerance, 1);
  EXPECT_THAT(
      r->status.message(),
      HasSubstr(
          "output 1 ('y') has 1 of 4 elements beyond atol 0.1 + rtol 0.05 x "
          "|expected| (max abs error 0.4"));
  spec.rtol = 0.07;  // 0.1 + 0.07 * 4.4 = 0.408 >= 0.4: passes
  r = RunSelfTest(model, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->status;
  EXPECT_THAT(r->ToString(),
              HasSubstr("(tolerance atol 0.1 + rtol 0.07 x |expected|)"));
  // The same rtol without the absolute part fails on the small elements
  // only when they differ: here they are exact, so it still passes.
  spec.atol = 0;
  spec.rtol = 0.1;
  r = RunSelfTest(model, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->status;
  spec.rtol = -0.1;
  EXPECT_EQ(RunSelfTest(model, spec).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SelfTestTest, NanExpectedIsAMismatchAtAnyTolerance) {
  auto model = FloatModel();
  ASSERT_NE(model, nullptr);
  SelfTestSpec spec = FloatSpec(
      {1, 2, 3, -2}, {2, 4, std::numeric_limits<float>::quiet_NaN(), -4});
  spec.atol = 1e9;
  StatusOr<SelfTestReport> r = RunSelfTest(model, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->passed);
  EXPECT_EQ(r->outputs[1].stats.nan_mismatches, 1);
  EXPECT_THAT(r->status.message(),
              HasSubstr("output 1 ('y') has 1 NaN/Inf mismatches"));
}

TEST(SelfTestTest, QuantizedOutputsCompareInRealUnits) {
  auto model = QuantizedGatherModel();
  ASSERT_NE(model, nullptr);
  SelfTestSpec spec;
  spec.input_npy = {Npy<int32_t>(DataType::kInt32, {2}, {1, 3})};
  // Rows 1 and 3: q = 16, 19, 28, 31.
  spec.expected_output_npy = {
      Npy<uint8_t>(DataType::kUInt8, {2, 2}, {16, 19, 28, 31})};
  StatusOr<SelfTestReport> r = RunSelfTest(model, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->status;

  // Two steps off in one element = 1.0 in real units (scale 0.5).
  spec.expected_output_npy = {
      Npy<uint8_t>(DataType::kUInt8, {2, 2}, {16, 19, 30, 31})};
  r = RunSelfTest(model, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->passed);
  EXPECT_EQ(r->outputs[0].stats.max_raw_diff, 2);
  EXPECT_DOUBLE_EQ(r->outputs[0].stats.max_abs_error, 1.0);
  EXPECT_EQ(r->status.message(),
            "self-test failed: output 0 ('y') max abs error 1 > tolerance 0");
  spec.atol = 1.0;
  r = RunSelfTest(model, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed);
}

TEST(SelfTestTest, SpecMismatchesAreClearErrors) {
  auto model = FloatModel();
  ASSERT_NE(model, nullptr);
  const SelfTestSpec good = FloatSpec({1, 2, 3, -2}, {2, 4, 6, -4});

  SelfTestSpec spec = good;
  spec.input_npy.push_back(spec.input_npy[0]);
  StatusOr<SelfTestReport> r = RunSelfTest(model, spec);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "self-test has 2 input arrays, model has 1 inputs");

  spec = good;
  spec.expected_output_npy.pop_back();
  r = RunSelfTest(model, spec);
  EXPECT_EQ(r.status().message(),
            "self-test has 1 expected output arrays, model has 2 outputs");

  spec = good;
  spec.input_npy[0] = Npy<double>(DataType::kFloat64, {1, 4}, {0, 1, 2, 3});
  r = RunSelfTest(model, spec);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "self-test input 0 ('x'): array has float64, model has float32");

  spec = good;
  spec.input_npy[0] = Npy<float>(DataType::kFloat32, {4}, {0, 1, 2, 3});
  r = RunSelfTest(model, spec);
  EXPECT_EQ(r.status().message(),
            "self-test input 0 ('x'): array shape [4], model has [1,4]");

  spec = good;
  spec.expected_output_npy[1] = Npy<float>(DataType::kFloat32, {1, 2}, {2, 4});
  r = RunSelfTest(model, spec);
  EXPECT_EQ(r.status().message(),
            "self-test output 1 ('y'): array shape [1,2], model has [1,4]");

  spec = good;
  spec.expected_output_npy[0] = {1, 2, 3};
  r = RunSelfTest(model, spec);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("self-test expected output 0 ('z'): "));

  spec = good;
  spec.atol = -1;
  r = RunSelfTest(model, spec);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  r = RunSelfTest(nullptr, good);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  InterpreterOptions options;
  options.backends = {"no-such-backend"};
  r = RunSelfTest(model, good, options);
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("self-test"));
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

TEST(SelfTestTest, GoldenQuantizedMobilenetPassesExactly) {
  if (!edgerun::testing::HaveSharedData()) GTEST_SKIP() << "no ../shared";
  const std::string golden = edgerun::testing::GoldenDir();
  const auto manifest = nlohmann::json::parse(
      ReadBytes(golden + "/manifest.json"), nullptr, false);
  ASSERT_FALSE(manifest.is_discarded());
  const auto& entry = manifest["models"]["mobilenet_v2_1.0_224_quant"];
  ASSERT_TRUE(entry.is_object());
  StatusOr<std::shared_ptr<const ModelFile>> model = LoadModelFromFile(
      edgerun::testing::ModelPath(entry["file"].get<std::string>()));
  ASSERT_TRUE(model.ok()) << model.status();

  const auto& c = entry["cases"]["bird"];
  ASSERT_TRUE(c.is_object());
  SelfTestSpec spec;
  for (const auto& in : c["inputs"])
    spec.input_npy.push_back(
        ReadBytes(golden + "/" + in["file"].get<std::string>()));
  for (const auto& out : c["outputs"])
    spec.expected_output_npy.push_back(
        ReadBytes(golden + "/" + out["file"].get<std::string>()));
  StatusOr<SelfTestReport> r = RunSelfTest(*model, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->ToString();
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_EQ(r->outputs[0].name, "MobilenetV2/Predictions/Softmax");
  EXPECT_EQ(r->outputs[0].stats.elements, 1001);

  // One class's score changed by one step: caught at tolerance 0.
  NpyArray want = *ParseNpy(spec.expected_output_npy[0]);
  want.data[20] = static_cast<uint8_t>(want.data[20] ^ 1);
  spec.expected_output_npy[0] = SerializeNpy(want);
  r = RunSelfTest(*model, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->passed);
  EXPECT_EQ(r->status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r->outputs[0].stats.mismatched, 1);
}

}  // namespace
}  // namespace edgerun::ota
