// `edgerun bench --clients` and `--streams`, in-process: every mode with 1
// and 2 clients answers correctly, shared mode with 2 clients is reported
// as an error (made certain by the simulated accelerator's latency, which
// keeps one Invoke inside the interpreter long enough for the other client
// to collide), the JSON keys, and keep-latest drops when the cameras offer
// more frames than the simulated device can run. Never asserts timings.
#include "tools/edgerun/bench_clients.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/sim/sim_device.h"
#include "edgerun/format/model_builder.h"
#include "tests/support/cli_runner.h"
#include "tools/edgerun/command.h"

namespace edgerun::cli {
namespace {

using ::testing::HasSubstr;
using testing::RunCli;

// y = x + c, float32 [1, 16]; `c` makes models distinct. One file per
// process and model (ctest may run this binary's tests in parallel).
std::string AddModel(float c, const std::string& tag) {
  const std::string path = ::testing::TempDir() + "/bench_clients_" + tag +
                           "_" + std::to_string(::getpid()) + ".tflite";
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 16});
  const int32_t k = g.AddConstTensor<float>("c", {1}, {c});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 16});
  g.AddOperator(tfl::BuiltinOperator_ADD, {x, k}, {y});
  EXPECT_TRUE(b.WriteToFile(path).ok());
  return path;
}

class BenchClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backends::sim::ConfigureSimDevice({});
    backends::sim::ResetSimDeviceStats();
  }
  void TearDown() override { backends::sim::ConfigureSimDevice({}); }
};

nlohmann::json ParseJson(const std::string& out) {
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << out;
  return j;
}

TEST_F(BenchClientsTest, EveryModeAnswersCorrectlyWithOneAndTwoClients) {
  const std::string model = AddModel(1.f, "modes");
  for (const std::string mode : {"mutex", "pool", "session"}) {
    SCOPED_TRACE(mode);
    std::string out, err;
    ASSERT_EQ(RunCli({"bench", model, "--clients", "1,2", "--mode", mode,
                      "--duration", "0.2", "--json"},
                     &out, &err),
              kExitOk)
        << err;
    EXPECT_EQ(err, "");
    const nlohmann::json j = ParseJson(out);
    EXPECT_EQ(j["format"], "edgerun bench clients v1");
    EXPECT_EQ(j["config"]["mode"], mode);
    EXPECT_EQ(j["ok"], true);
    ASSERT_EQ(j["points"].size(), 2u);
    for (const nlohmann::json& p : j["points"]) {
      EXPECT_GT(p["ok"].get<int64_t>(), 0);
      EXPECT_EQ(p["errors"], 0);
      EXPECT_EQ(p["mismatches"], 0);
      EXPECT_EQ(p["concurrent_use_errors"], 0);
      // Tiny outputs: every request is checked.
      EXPECT_EQ(p["checked"], p["ok"]);
      EXPECT_GT(p["throughput_per_s"].get<double>(), 0);
      for (const char* key : {"p50", "p90", "p99", "min", "max", "mean"}) {
        EXPECT_TRUE(p["latency_ms"].contains(key)) << key;
      }
      EXPECT_LE(p["latency_ms"]["p50"].get<double>(),
                p["latency_ms"]["p99"].get<double>());
      EXPECT_EQ(p.contains("session"), mode == std::string("session"));
    }
    EXPECT_EQ(j["points"][0]["clients"], 1);
    EXPECT_EQ(j["points"][1]["clients"], 2);
    if (mode == std::string("session")) {
      const nlohmann::json& s = j["points"][1]["session"];
      for (const char* key :
           {"queue_wait_ms", "run_ms", "latency_ms", "fallbacks"}) {
        EXPECT_TRUE(s.contains(key)) << key;
      }
      EXPECT_EQ(s["errors"], 0);
    }
  }
}

TEST_F(BenchClientsTest, TextReportHasOneRowPerClientCount) {
  const std::string model = AddModel(1.f, "text");
  std::string out, err;
  ASSERT_EQ(RunCli({"bench", model, "--clients", "1,2", "--mode", "session",
                    "--session-mode", "latency", "--duration", "0.1"},
                   &out, &err),
            kExitOk)
      << err;
  EXPECT_THAT(out, HasSubstr("mode: session (latency)"));
  EXPECT_THAT(out, HasSubstr("session: queue wait p50"));
  EXPECT_THAT(out, HasSubstr("infer/s"));
}

TEST_F(BenchClientsTest, SharedModeWithOneClientWorks) {
  const std::string model = AddModel(1.f, "shared1");
  std::string out, err;
  ASSERT_EQ(RunCli({"bench", model, "--clients", "1", "--mode", "shared",
                    "--duration", "0.1", "--json"},
                   &out, &err),
            kExitOk)
      << err;
  const nlohmann::json j = ParseJson(out);
  EXPECT_GT(j["points"][0]["ok"].get<int64_t>(), 0);
  EXPECT_EQ(j["points"][0]["errors"], 0);
  EXPECT_EQ(j["points"][0]["mismatches"], 0);
}

TEST_F(BenchClientsTest, SharedModeWithTwoClientsIsAnError) {
  // 2 ms per Invoke on the simulated accelerator, spent inside the
  // interpreter: the other client's Invoke overlaps and is refused. The
  // command keeps going past --duration until it saw such a refusal.
  const std::string model = AddModel(1.f, "shared2");
  std::string out, err;
  EXPECT_EQ(RunCli({"bench", model, "--clients", "2", "--mode", "shared",
                    "--backends", "sim", "--sim-latency-us", "2000",
                    "--duration", "0.2", "--json"},
                   &out, &err),
            kExitFailure);
  EXPECT_THAT(err, HasSubstr("two threads at once"));
  EXPECT_THAT(err, HasSubstr("--mode session"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  const nlohmann::json j = ParseJson(out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_GT(j["points"][0]["concurrent_use_errors"].get<int64_t>(), 0);
  // The refused calls never ran: the output of the one input set is right.
  EXPECT_EQ(j["points"][0]["mismatches"], 0);
  EXPECT_EQ(j["config"]["device"], "sim (simulated accelerator)");
}

TEST_F(BenchClientsTest, UsageErrors) {
  const std::string model = AddModel(1.f, "usage");
  std::string out, err;
  EXPECT_EQ(RunCli({"bench", model, "--clients", "0"}, &out, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("1..256"));
  EXPECT_EQ(RunCli({"bench", model, "--clients", "1,,2"}, &out, &err),
            kExitUsage);
  EXPECT_EQ(
      RunCli({"bench", model, "--clients", "1", "--mode", "magic"}, &out, &err),
      kExitUsage);
  EXPECT_THAT(err, HasSubstr("shared, mutex, pool, session"));
  EXPECT_EQ(
      RunCli({"bench", model, "--clients", "1", "--streams", "2"}, &out, &err),
      kExitUsage);
  EXPECT_EQ(RunCli({"bench", model, "--models", model}, &out, &err),
            kExitUsage);
}

TEST_F(BenchClientsTest, ParseClientList) {
  EXPECT_EQ(*ParseClientList("1,2,4,8"), (std::vector<int>{1, 2, 4, 8}));
  EXPECT_FALSE(ParseClientList("").ok());
  EXPECT_FALSE(ParseClientList("2,x").ok());
  EXPECT_FALSE(ParseClientList("257").ok());
}

TEST_F(BenchClientsTest, StreamsDropFramesWhenTheDeviceIsTooSlow) {
  // 10 ms per request: ~100 frames/s; 4 cameras x 60 fps offer 240.
  const std::string model = AddModel(1.f, "streams");
  std::string out, err;
  ASSERT_EQ(RunCli({"bench", model, "--streams", "4", "--fps", "60",
                    "--backends", "sim", "--sim-latency-us", "10000",
                    "--duration", "0.3", "--json"},
                   &out, &err),
            kExitOk)
      << err;
  const nlohmann::json j = ParseJson(out);
  EXPECT_EQ(j["format"], "edgerun bench streams v1");
  EXPECT_EQ(j["config"]["device"], "sim (simulated accelerator)");
  EXPECT_EQ(j["config"]["sim_latency_us"], 10000);
  ASSERT_EQ(j["strategies"].size(), 2u);
  const nlohmann::json& direct = j["strategies"][0];
  const nlohmann::json& sched = j["strategies"][1];
  EXPECT_EQ(direct["strategy"], "direct");
  EXPECT_EQ(sched["strategy"], "scheduler");
  for (const nlohmann::json* s : {&direct, &sched}) {
    EXPECT_GT((*s)["processed"].get<int64_t>(), 0);
    EXPECT_EQ((*s)["errors"], 0);
    EXPECT_EQ((*s)["mismatches"], 0);
    ASSERT_EQ((*s)["streams"].size(), 4u);
    for (const nlohmann::json& per : (*s)["streams"]) {
      EXPECT_EQ(per["captured"], 18);  // 0.3 s x 60 fps
      EXPECT_LE(per["processed"].get<int64_t>() + per["dropped"].get<int64_t>(),
                18);
    }
  }
  // Keep-latest drops frames; the direct strategy leaves a backlog.
  EXPECT_GT(sched["dropped"].get<int64_t>(), 0);
  EXPECT_GT(direct["dropped"].get<int64_t>(), 0);
  // One model: the device loads it once.
  EXPECT_EQ(sched["model_switches"], 1);
  EXPECT_EQ(direct["model_switches"], 1);
}

TEST_F(BenchClientsTest, StreamsWithTwoModelsCompareGrouping) {
  const std::string a = AddModel(1.f, "model_a");
  const std::string b = AddModel(2.f, "model_b");
  std::string out, err;
  ASSERT_EQ(RunCli({"bench", a, "--models", b, "--streams", "4", "--fps", "50",
                    "--backends", "sim", "--sim-latency-us", "5000",
                    "--sim-switch-us", "1000", "--duration", "0.3"},
                   &out, &err),
            kExitOk)
      << err;
  EXPECT_THAT(out, HasSubstr("sim (simulated accelerator)"));
  EXPECT_THAT(out, HasSubstr("scheduler+grouping"));
  ASSERT_EQ(RunCli({"bench", a, "--models", b, "--streams", "4", "--fps", "50",
                    "--backends", "sim", "--sim-latency-us", "5000",
                    "--duration", "0.3", "--json"},
                   &out, &err),
            kExitOk)
      << err;
  const nlohmann::json j = ParseJson(out);
  ASSERT_EQ(j["strategies"].size(), 3u);
  for (const nlohmann::json& s : j["strategies"]) {
    EXPECT_EQ(s["mismatches"], 0) << s["strategy"];
    // Streams 0 and 2 run model a, 1 and 3 model b.
    EXPECT_EQ(s["streams"][1]["model"], b);
  }
  EXPECT_GE(j["strategies"][1]["model_switches"].get<int64_t>(), 2);
}

}  // namespace
}  // namespace edgerun::cli
