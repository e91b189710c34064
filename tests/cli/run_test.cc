// `edgerun run` and its input preparation: seeded random inputs are the
// golden cases' seedN inputs byte for byte, image inputs are the golden
// image cases' inputs, and the command runs in-process end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "edgerun/io/npy.h"
#include "tests/support/cli_runner.h"
#include "tests/support/shared_data.h"
#include "tools/edgerun/command.h"
#include "tools/edgerun/tensor_inputs.h"

namespace edgerun::cli {
namespace {

using ::testing::HasSubstr;
using testing::RunCli;

nlohmann::json Manifest() {
  std::ifstream in(testing::GoldenDir() + "/manifest.json");
  return nlohmann::json::parse(in);
}

InputSpec SpecFrom(const nlohmann::json& input) {
  InputSpec spec;
  spec.name = input["name"].get<std::string>();
  spec.type = *DataTypeFromName(input["dtype"].get<std::string>());
  spec.shape = input["shape"].get<std::vector<int32_t>>();
  if (!input["quantization"].is_null()) {
    const auto& q = input["quantization"];
    if (q["scale"].is_array()) {
      spec.scale = q["scale"].get<std::vector<float>>();
    } else {
      spec.scale = {q["scale"].get<float>()};
      spec.zero_point = {q["zero_point"].get<int64_t>()};
    }
  }
  return spec;
}

class RunInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  }
};

// Every seeded golden input of every model (all dtypes the set has: uint8,
// int8, int16, int32 quantized and not, float32).
TEST_F(RunInputsTest, RandomInputsMatchGoldenSeedCases) {
  int checked = 0;
  const nlohmann::json manifest = Manifest();
  for (const auto& [model, entry] : manifest["models"].items()) {
    if (!entry.contains("cases")) continue;
    for (const auto& [name, spec] : entry["cases"].items()) {
      for (const auto& input : spec["inputs"]) {
        if (!input["source"].contains("seed")) continue;
        const uint32_t seed = input["source"]["seed"].get<uint32_t>();
        auto want = ReadNpy(testing::GoldenDir() + "/" + input["file"].get<std::string>());
        ASSERT_TRUE(want.ok()) << want.status();
        auto got = RandomInput(SpecFrom(input), seed, input["index"].get<int>());
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(got->bytes, want->data) << model << "/" << name << " input "
                                          << input["index"];
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100);
}

// Image cases without metadata normalization give the Coral preprocessing
// exactly (person_detect: int8 gray; mobilenet: uint8 RGB).
TEST_F(RunInputsTest, ImagesMatchGoldenImageCases) {
  const nlohmann::json manifest = Manifest();
  for (const char* model : {"person_detect", "mobilenet_v1_0.25_128_quant"}) {
    for (const char* image : {"bird", "cat", "grace_hopper"}) {
      const auto& input = manifest["models"][model]["cases"][image]["inputs"][0];
      auto want = ReadNpy(testing::GoldenDir() + "/" + input["file"].get<std::string>());
      ASSERT_TRUE(want.ok());
      InputSpec spec = SpecFrom(input);
      auto got = PrepareImage(testing::ModelPath(std::string(image) + ".bmp"), spec);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(got->bytes, want->data) << model << " " << image;
    }
  }
}

TEST_F(RunInputsTest, NpyConversionAndErrors) {
  InputSpec spec{"x", DataType::kUInt8, {1, 3}, {0.5f}, {10}, {}};
  const std::string dir = ::testing::TempDir();
  NpyArray floats{DataType::kFloat32, {1, 3}, {}};
  for (float f : {0.0f, 1.0f, -5.0f}) {
    const auto* p = reinterpret_cast<const uint8_t*>(&f);
    floats.data.insert(floats.data.end(), p, p + 4);
  }
  ASSERT_TRUE(WriteNpy(dir + "/f.npy", floats).ok());
  auto q = LoadInputFile(dir + "/f.npy", spec);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->bytes, (std::vector<uint8_t>{10, 12, 0}));  // quantized, clamped
  NpyArray big{DataType::kInt32, {1, 3}, {}};
  for (int32_t v : {1, 2, 300}) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    big.data.insert(big.data.end(), p, p + 4);
  }
  ASSERT_TRUE(WriteNpy(dir + "/i.npy", big).ok());
  auto bad = LoadInputFile(dir + "/i.npy", InputSpec{"x", DataType::kUInt8, {1, 3}, {}, {}, {}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("does not fit"));
  std::ofstream(dir + "/raw.bin") << "abcd";
  auto raw = LoadInputFile(dir + "/raw.bin", spec);
  EXPECT_THAT(raw.status().message(), HasSubstr("raw input has 4 bytes"));
}

TEST_F(RunInputsTest, RunPrintsTopKAndWritesOutputs) {
  const std::string dir = ::testing::TempDir() + "/run_out";
  std::string out, err;
  const int code = RunCli({"run", testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite"),
                           "--input", testing::ModelPath("bird.bmp"), "--labels",
                           testing::ModelPath("imagenet_labels.txt"), "--top-k", "3",
                           "--output-dir", dir},
                          &out, &err);
  ASSERT_EQ(code, 0) << err;
  EXPECT_THAT(out, HasSubstr("top-3:"));
  EXPECT_THAT(out, HasSubstr("chickadee"));
  auto written = ReadNpy(dir + "/output_0.npy");
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->shape, (std::vector<int64_t>{1, 1001}));
}

TEST_F(RunInputsTest, RunErrorsAreOneLine) {
  std::string out, err;
  EXPECT_EQ(RunCli({"run", testing::ModelPath("mobilenet_v1_0.25_128_quant_edgetpu.tflite")},
                   &out, &err),
            2);
  EXPECT_THAT(err, HasSubstr("edgetpu-custom-op"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
  EXPECT_EQ(RunCli({"run", testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite"),
                    "--input", "/nonexistent.npy"},
                   &out, &err),
            2);
  EXPECT_THAT(err, HasSubstr("nonexistent"));
  EXPECT_EQ(RunCli({"run", testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite"),
                    "--input", "-", "--input", "-"},
                   &out, &err),
            2);
  EXPECT_THAT(err, HasSubstr("2 --input given, model has 1 inputs"));
}

}  // namespace
}  // namespace edgerun::cli
