// `edgerun bench` and `edgerun diff`, in-process: the statistics on
// synthetic arrays, the JSON documents (keys of docs/bench.md, sane
// orderings, never timings), cpu-vs-cpu diffs, the tolerance exit code
// through the test hook, and one-line errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "edgerun/format/model_builder.h"
#include "tests/support/cli_runner.h"
#include "tests/support/shared_data.h"
#include "tools/edgerun/command.h"
#include "tools/edgerun/diff_command.h"
#include "tools/edgerun/interpreter_setup.h"
#include "tools/edgerun/stats.h"

namespace edgerun::cli {
namespace {

using ::testing::HasSubstr;
using testing::RunCli;

int Lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

template <typename T>
std::span<const uint8_t> Bytes(const std::vector<T>& v) {
  return {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(T)};
}

template <typename T>
TensorValues Values(DataType type, std::vector<int32_t> shape,
                    const std::vector<T>& v, std::vector<float> scale = {},
                    std::vector<int64_t> zero_point = {},
                    int32_t quantized_dimension = 0) {
  TensorValues t;
  t.type = type;
  t.shape = std::move(shape);
  t.bytes = Bytes(v);
  t.scale = std::move(scale);
  t.zero_point = std::move(zero_point);
  t.quantized_dimension = quantized_dimension;
  return t;
}

// y = (x + 1) * 2 and z = x + 1: float32, two outputs, two nodes.
std::string AddMulModel() {
  // One file per process: ctest runs the tests of this binary in parallel
  // processes, which must not rewrite each other's model.
  const std::string path = ::testing::TempDir() + "/bench_diff_add_mul_" +
                           std::to_string(::getpid()) + ".tflite";
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 16});
  const int32_t one = g.AddConstTensor<float>("one", {1}, {1.f});
  const int32_t two = g.AddConstTensor<float>("two", {1}, {2.f});
  const int32_t z = g.AddOutput("z", DataType::kFloat32, {1, 16});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 16});
  g.AddOperator(tfl::BuiltinOperator_ADD, {x, one}, {z});
  g.AddOperator(tfl::BuiltinOperator_MUL, {z, two}, {y});
  EXPECT_TRUE(b.WriteToFile(path).ok());
  return path;
}

// ------------------------------------------------------------- statistics

TEST(BenchStatsTest, SummaryOrdersAndPercentiles) {
  std::vector<double> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(i);
  const SampleSummary s = Summarize(samples);
  EXPECT_EQ(s.count, 100);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_EQ(s.p50, 50);  // nearest rank
  EXPECT_EQ(s.p90, 90);
  EXPECT_EQ(s.p99, 99);
  EXPECT_NEAR(s.std, std::sqrt((100.0 * 100 - 1) / 12), 1e-9);
  const SampleSummary one = Summarize({7});
  EXPECT_EQ(one.p50, 7);
  EXPECT_EQ(one.p99, 7);
  EXPECT_EQ(one.std, 0);
  EXPECT_EQ(Summarize({}).count, 0);
}

TEST(DiffStatsTest, FloatErrors) {
  const std::vector<float> test = {1, 2, 3, 4}, ref = {1, 2.5f, 2, 4};
  ErrorAccumulator acc;
  ASSERT_TRUE(acc.Add(Values(DataType::kFloat32, {4}, test),
                      Values(DataType::kFloat32, {4}, ref))
                  .ok());
  const ErrorStats e = acc.stats();
  EXPECT_EQ(e.runs, 1);
  EXPECT_EQ(e.elements, 4);
  EXPECT_EQ(e.mismatched, 2);
  EXPECT_DOUBLE_EQ(e.max_abs_error, 1.0);
  EXPECT_DOUBLE_EQ(e.min_abs_error, 0.0);
  EXPECT_DOUBLE_EQ(e.mean_abs_error, 0.375);  // (0 + .5 + 1 + 0) / 4
  EXPECT_NEAR(e.std_abs_error, std::sqrt(1.25 / 4 - 0.375 * 0.375), 1e-12);
  EXPECT_FALSE(e.integer);
  EXPECT_FALSE(WithinTolerance(e, 0));
  EXPECT_FALSE(WithinTolerance(e, 0.99));
  EXPECT_TRUE(WithinTolerance(e, 1.0));
}

// numpy.allclose's per-element rule: |test - ref| <= atol + rtol * |ref|.
TEST(DiffStatsTest, RelativeToleranceCountsElementsBeyondIt) {
  const std::vector<float> test = {1.05f, 100.5f, 0.2f}, ref = {1, 100, 0};
  ErrorAccumulator relative({.atol = 0.1, .rtol = 0.01});  // 0.11, 1.1, 0.1
  ASSERT_TRUE(relative
                  .Add(Values(DataType::kFloat32, {3}, test),
                       Values(DataType::kFloat32, {3}, ref))
                  .ok());
  const ErrorStats e = relative.stats();
  EXPECT_EQ(e.out_of_tolerance, 1);  // only 0.2 vs 0 (bound 0.1)
  EXPECT_FALSE(WithinAccumulatorTolerance(e));
  ErrorAccumulator wider({.atol = 0.25, .rtol = 0.01});
  ASSERT_TRUE(wider
                  .Add(Values(DataType::kFloat32, {3}, test),
                       Values(DataType::kFloat32, {3}, ref))
                  .ok());
  EXPECT_TRUE(WithinAccumulatorTolerance(wider.stats()));
  // Without a relative part the count agrees with max_abs_error <= atol.
  ErrorAccumulator absolute({.atol = 0.4});
  ASSERT_TRUE(absolute
                  .Add(Values(DataType::kFloat32, {3}, test),
                       Values(DataType::kFloat32, {3}, ref))
                  .ok());
  EXPECT_EQ(absolute.stats().out_of_tolerance, 1);  // 0.5 on 100
  EXPECT_FALSE(WithinTolerance(absolute.stats(), 0.4));
}

TEST(DiffStatsTest, ExactEqualPassesDefaultTolerance) {
  const std::vector<float> v = {0.f, -1.f,
                                std::numeric_limits<float>::quiet_NaN(),
                                std::numeric_limits<float>::infinity()};
  ErrorAccumulator acc;
  ASSERT_TRUE(acc.Add(Values(DataType::kFloat32, {4}, v),
                      Values(DataType::kFloat32, {4}, v))
                  .ok());
  ASSERT_TRUE(acc.Add(Values(DataType::kFloat32, {4}, v),
                      Values(DataType::kFloat32, {4}, v))
                  .ok());
  const ErrorStats e = acc.stats();
  EXPECT_EQ(e.runs, 2);
  EXPECT_EQ(e.mismatched, 0);
  EXPECT_EQ(e.max_abs_error, 0);
  EXPECT_TRUE(WithinTolerance(e, 0));
}

TEST(DiffStatsTest, QuantizedErrorsAreDequantizedWithRawDiff) {
  const std::vector<uint8_t> test = {10, 12, 200}, ref = {10, 10, 203};
  TensorValues t = Values(DataType::kUInt8, {3}, test, {0.5f}, {10});
  TensorValues r = Values(DataType::kUInt8, {3}, ref, {0.5f}, {10});
  ErrorAccumulator acc;
  ASSERT_TRUE(acc.Add(t, r).ok());
  ErrorStats e = acc.stats();
  EXPECT_TRUE(e.integer);
  EXPECT_EQ(e.max_raw_diff, 3);
  EXPECT_DOUBLE_EQ(e.max_abs_error, 1.5);
  EXPECT_DOUBLE_EQ(e.mean_abs_error, (0 + 1.0 + 1.5) / 3);
  EXPECT_EQ(e.mismatched, 2);

  // Per channel along dimension 1 of [2,2]: scales 1 and 10.
  const std::vector<int8_t> pt = {1, 1, 1, 1}, pr = {0, 0, 1, 2};
  TensorValues ct = Values(DataType::kInt8, {2, 2}, pt, {1.f, 10.f}, {0, 0}, 1);
  TensorValues cr = Values(DataType::kInt8, {2, 2}, pr, {1.f, 10.f}, {0, 0}, 1);
  ErrorAccumulator per_channel;
  ASSERT_TRUE(per_channel.Add(ct, cr).ok());
  e = per_channel.stats();
  EXPECT_DOUBLE_EQ(e.max_abs_error, 10.0);  // element 3 is channel 1
  EXPECT_EQ(e.max_raw_diff, 1);
}

TEST(DiffStatsTest, NanOnOneSideAndMismatchedTensors) {
  const std::vector<float> a = {1.f, std::numeric_limits<float>::quiet_NaN()},
                           b = {1.f, 1.f};
  ErrorAccumulator acc;
  ASSERT_TRUE(acc.Add(Values(DataType::kFloat32, {2}, a),
                      Values(DataType::kFloat32, {2}, b))
                  .ok());
  EXPECT_EQ(acc.stats().nan_mismatches, 1);
  EXPECT_FALSE(WithinTolerance(acc.stats(), 1e9));

  ErrorAccumulator bad;
  Status s = bad.Add(Values(DataType::kFloat32, {2}, a),
                     Values(DataType::kFloat32, {1, 2}, b));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              HasSubstr("shape [2] differs from the reference's [1,2]"));
  s = bad.Add(Values(DataType::kFloat32, {3}, a),
              Values(DataType::kFloat32, {3}, b));
  EXPECT_THAT(s.message(), HasSubstr("8 bytes, shape needs 12"));
}

TEST(BackendListTest, ParsesAndRejects) {
  auto list = ParseBackendList("xnnpack,cpu");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<std::string>{"xnnpack", "cpu"}));
  EXPECT_FALSE(ParseBackendList("").ok());
  EXPECT_FALSE(ParseBackendList("xnnpack,,cpu").ok());
  EXPECT_FALSE(ParseBackendList("cpu,cpu").ok());
  EXPECT_FALSE(ParseBackendList("XNN PACK").ok());
}

// ------------------------------------------------------------- bench

void ExpectSaneBench(const nlohmann::json& j, int min_runs) {
  for (const char* key :
       {"format", "model", "config", "host", "init", "first_inference_us",
        "warmup", "inference", "memory", "plan"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["format"], "edgerun bench v1");
  const auto& inf = j["inference"];
  EXPECT_GE(inf["count"].get<int64_t>(), min_runs);
  EXPECT_LE(inf["min_us"].get<double>(), inf["avg_us"].get<double>());
  EXPECT_LE(inf["avg_us"].get<double>(), inf["max_us"].get<double>());
  EXPECT_LE(inf["min_us"].get<double>(), inf["p50_us"].get<double>());
  EXPECT_LE(inf["p50_us"].get<double>(), inf["p90_us"].get<double>());
  EXPECT_LE(inf["p90_us"].get<double>(), inf["p99_us"].get<double>());
  EXPECT_LE(inf["p99_us"].get<double>(), inf["max_us"].get<double>());
  EXPECT_GE(inf["std_us"].get<double>(), 0);
  EXPECT_GE(j["init"]["total_us"].get<double>(),
            j["init"]["load_us"].get<double>());
  EXPECT_GT(j["model"]["size_bytes"].get<uint64_t>(), 0u);
  const auto& mem = j["memory"];
  for (const char* key :
       {"rss_before_load_kb", "rss_after_init_kb", "peak_rss_kb",
        "ru_maxrss_kb", "arena_bytes", "packed_weight_bytes"}) {
    EXPECT_TRUE(mem.contains(key)) << key;
  }
  if (mem["peak_rss_kb"].is_number()) {  // Linux
    EXPECT_GE(mem["peak_rss_kb"].get<int64_t>(),
              mem["rss_after_init_kb"].get<int64_t>());
  }
  EXPECT_GT(mem["arena_bytes"].get<uint64_t>(), 0u);
  size_t nodes = 0;
  for (const auto& p : j["plan"]["partitions"]) nodes += p["nodes"].size();
  EXPECT_EQ(nodes, j["model"]["nodes"].get<size_t>());
  EXPECT_EQ(j["plan"]["delegated_nodes"].get<size_t>() +
                j["plan"]["cpu_nodes"].get<size_t>(),
            nodes);
}

TEST(BenchCommandTest, JsonOnBuilderModel) {
  const std::string model = AddMulModel();
  std::string out, err;
  ASSERT_EQ(RunCli({"bench", model, "--json", "--runs", "7", "--min-secs", "0",
                    "--warmup-runs", "2"},
                   &out, &err),
            0)
      << err;
  const nlohmann::json j = nlohmann::json::parse(out);
  ExpectSaneBench(j, 7);
  EXPECT_EQ(j["warmup"]["count"], 2);
  EXPECT_EQ(j["model"]["nodes"], 2);
  EXPECT_EQ(j["config"]["backends"], (std::vector<std::string>{"cpu"}));
  EXPECT_EQ(j["config"]["inputs"][0]["source"], "random (seed 1)");
}

TEST(BenchCommandTest, SeveralInterpretersAndTextReport) {
  const std::string model = AddMulModel();
  std::string out, err;
  ASSERT_EQ(RunCli({"bench", model, "--json", "--runs", "4", "--min-secs", "0",
                    "--interpreters", "3", "--threads", "2"},
                   &out, &err),
            0)
      << err;
  const nlohmann::json j = nlohmann::json::parse(out);
  ExpectSaneBench(j, 4);
  EXPECT_EQ(j["config"]["interpreters"], 3);
  EXPECT_EQ(j["memory"]["arena_bytes_all_interpreters"].get<uint64_t>(),
            3 * j["memory"]["arena_bytes"].get<uint64_t>());

  ASSERT_EQ(
      RunCli({"bench", model, "--runs", "2", "--min-secs", "0"}, &out, &err), 0)
      << err;
  EXPECT_THAT(out, HasSubstr("plan: cpu 2 nodes in 1 partition"));
  EXPECT_THAT(out, HasSubstr("inference: count 2"));
  EXPECT_THAT(out, HasSubstr("p99"));
  EXPECT_EQ(out.find('\r'),
            std::string::npos);  // no progress bar off a terminal
}

// Until a backend takes the nodes, a full-delegation demand must fail
// rather than pass on the CPU; once one does, the plan must show it.
TEST(BenchCommandTest, RequireFullDelegationIsHonoured) {
  const std::string model = AddMulModel();
  std::string out, err;
  const int code =
      RunCli({"bench", model, "--json", "--runs", "1", "--min-secs", "0",
              "--backends", "xnnpack", "--require-full-delegation"},
             &out, &err);
  if (code == 0) {
    EXPECT_EQ(nlohmann::json::parse(out)["plan"]["cpu_nodes"], 0);
  } else {
    EXPECT_EQ(code, 2);
    EXPECT_EQ(Lines(err), 1) << err;
  }
}

TEST(BenchCommandTest, ErrorsAreOneLine) {
  std::string out, err;
  EXPECT_EQ(RunCli({"bench", "/nonexistent.tflite"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("edgerun: bench: /nonexistent.tflite: "));
  EXPECT_EQ(Lines(err), 1);
  const std::string model = AddMulModel();
  EXPECT_EQ(RunCli({"bench", model, "--backends", "xnnpack,,cpu"}, &out, &err),
            2);
  EXPECT_THAT(err, HasSubstr("empty name"));
  EXPECT_EQ(Lines(err), 1);
  EXPECT_EQ(
      RunCli({"bench", model, "--input", "-", "--input", "-"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("2 --input given, model has 1 inputs"));
  EXPECT_EQ(Lines(err), 1);
  EXPECT_EQ(RunCli({"bench", model, "--runs", "0"}, &out, &err), 2);
  EXPECT_EQ(Lines(err), 1);
}

// ------------------------------------------------------------- diff

class DiffCommandTest : public ::testing::Test {
 protected:
  void TearDown() override { SetDiffOutputHookForTesting({}); }
};

TEST_F(DiffCommandTest, CpuAgainstCpuIsExact) {
  const std::string model = AddMulModel();
  std::string out, err;
  ASSERT_EQ(
      RunCli({"diff", model, "--backends", "cpu", "--runs", "3", "--json"},
             &out, &err),
      0)
      << err;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["format"], "edgerun diff v1");
  EXPECT_TRUE(j["pass"].get<bool>());
  EXPECT_EQ(j["runs"], 3);
  EXPECT_EQ(j["tolerance"], 0.0);
  ASSERT_EQ(j["outputs"].size(), 2u);
  for (const auto& o : j["outputs"]) {
    EXPECT_EQ(o["max_abs_error"], 0.0);
    EXPECT_EQ(o["mean_abs_error"], 0.0);
    EXPECT_EQ(o["mismatched_elements"], 0);
    EXPECT_EQ(o["elements"], 3 * 16);
    EXPECT_TRUE(o["max_raw_diff"].is_null());  // float output
    EXPECT_TRUE(o["within_tolerance"].get<bool>());
  }
  EXPECT_TRUE(err.empty()) << err;
}

TEST_F(DiffCommandTest, ToleranceViolationExitsOne) {
  const std::string model = AddMulModel();
  // Output 1 ('y') of the test side drifts by 0.25 in element 3 of run 1.
  SetDiffOutputHookForTesting(
      [](int run, int output, std::span<uint8_t> bytes) {
        if (run != 1 || output != 1) return;
        float v;
        std::memcpy(&v, bytes.data() + 3 * sizeof(float), sizeof v);
        v += 0.25f;
        std::memcpy(bytes.data() + 3 * sizeof(float), &v, sizeof v);
      });
  std::string out, err;
  EXPECT_EQ(
      RunCli({"diff", model, "--backends", "cpu", "--runs", "2"}, &out, &err),
      1);
  EXPECT_THAT(out, HasSubstr("EXCEEDS TOLERANCE"));
  EXPECT_THAT(out, HasSubstr("FAIL"));
  EXPECT_THAT(
      err, HasSubstr("output 1 'y': max abs error 0.25 exceeds tolerance 0"));
  EXPECT_EQ(Lines(err), 1) << err;

  EXPECT_EQ(RunCli({"diff", model, "--backends", "cpu", "--runs", "2",
                    "--tolerance", "0.3", "--json"},
                   &out, &err),
            0)
      << err;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_TRUE(j["pass"].get<bool>());
  EXPECT_NEAR(j["outputs"][1]["max_abs_error"].get<double>(), 0.25, 1e-6);
  EXPECT_EQ(j["outputs"][1]["mismatched_elements"], 1);
  EXPECT_EQ(j["outputs"][0]["max_abs_error"], 0.0);
}

TEST_F(DiffCommandTest, ErrorsAreOneLine) {
  std::string out, err;
  EXPECT_EQ(
      RunCli({"diff", "/nonexistent.tflite", "--backends", "cpu"}, &out, &err),
      2);
  EXPECT_EQ(Lines(err), 1);
  const std::string model = AddMulModel();
  EXPECT_EQ(RunCli({"diff", model}, &out, &err), 2);  // --backends is required
  EXPECT_THAT(err, HasSubstr("--backends"));
  EXPECT_EQ(Lines(err), 1);
  EXPECT_EQ(RunCli({"diff", model, "--backends", "cpu", "--reference", "a,a"},
                   &out, &err),
            2);
  EXPECT_THAT(err, HasSubstr("listed twice"));
  EXPECT_EQ(Lines(err), 1);
  EXPECT_EQ(RunCli({"diff", model, "--backends", "cpu", "--input",
                    "/nonexistent.npy"},
                   &out, &err),
            2);
  EXPECT_THAT(err, HasSubstr("nonexistent.npy"));
  EXPECT_EQ(Lines(err), 1);
}

// ------------------------------------------------------------- shared models

class SharedModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  }
};

TEST_F(SharedModelsTest, BenchHelloWorldAndMobilenet) {
  std::string out, err;
  for (const char* name :
       {"hello_world_int8.tflite", "mobilenet_v1_0.25_128_quant.tflite"}) {
    ASSERT_EQ(RunCli({"bench", testing::ModelPath(name), "--json", "--runs",
                      "3", "--min-secs", "0", "--warmup-runs", "1"},
                     &out, &err),
              0)
        << name << ": " << err;
    ExpectSaneBench(nlohmann::json::parse(out), 3);
  }
  // An image input file instead of random values.
  ASSERT_EQ(
      RunCli({"bench", testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite"),
              "--runs", "1", "--min-secs", "0", "--input",
              testing::ModelPath("bird.bmp")},
             &out, &err),
      0)
      << err;
  EXPECT_THAT(out, HasSubstr("bird.bmp"));
}

TEST_F(SharedModelsTest, DiffQuantizedMobilenetCpuVsCpu) {
  std::string out, err;
  ASSERT_EQ(
      RunCli({"diff", testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite"),
              "--backends", "cpu", "--reference", "cpu", "--runs", "2",
              "--seed", "5", "--json"},
             &out, &err),
      0)
      << err;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["inputs"][0], "random (seed 5)");
  const auto& o = j["outputs"][0];
  EXPECT_TRUE(o["quantized"].get<bool>());
  EXPECT_EQ(o["max_raw_diff"], 0);
  EXPECT_EQ(o["max_abs_error"], 0.0);
  EXPECT_EQ(o["elements"], 2 * 1001);

  // Input files: one run unless --runs says otherwise.
  ASSERT_EQ(
      RunCli({"diff", testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite"),
              "--backends", "cpu", "--input", testing::ModelPath("bird.bmp"),
              "--json"},
             &out, &err),
      0)
      << err;
  EXPECT_EQ(nlohmann::json::parse(out)["runs"], 1);
}

}  // namespace
}  // namespace edgerun::cli
