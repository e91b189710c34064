// The simulated accelerator ("sim"): results equal the CPU interpreter's
// byte for byte (it runs the same kernels), on builder-made models and on
// the shared models when present; the device charges latency and model
// switches (asserted on its counters, not on wall time) and admits one
// request at a time across threads.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "backends/backend.h"
#include "backends/sim/sim_backend.h"
#include "edgerun/format/byte_source.h"
#include "edgerun/format/model_builder.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "format/tflite_generated.h"
#include "tests/support/shared_data.h"

namespace edgerun {
namespace {

using std::chrono::microseconds;
using QS = QuantizationSpec;
namespace sim = backends::sim;

std::shared_ptr<const ModelFile> Load(ModelBuilder& b) {
  auto bytes = b.Finish();
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  if (!bytes.ok()) return nullptr;
  auto model = LoadModel(ByteSource::FromVector(std::move(bytes).value()));
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

// x -> ADD(c1) -> MUL(c2) -> SQRT -> ADD(c1) -> MUL(c2) -> y: four internal
// tensors live in the segment. `bias` makes models that differ.
std::shared_ptr<const ModelFile> FloatChainModel(float bias = 1.f) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const std::vector<int32_t> shape = {1, 4};
  const int32_t x = g.AddInput("x", DataType::kFloat32, shape);
  const int32_t c1 =
      g.AddConstTensor<float>("c1", shape, {bias, 2, 3, 4});
  const int32_t c2 = g.AddConstTensor<float>("c2", shape, {2, 2, 2, 2});
  int32_t t = x;
  auto op = [&](tfl::BuiltinOperator code, int32_t other,
                const std::string& name) {
    const int32_t out = g.AddTensor(name, DataType::kFloat32, shape);
    std::vector<int32_t> inputs = {t};
    if (other >= 0) inputs.push_back(other);
    g.AddOperator(code, inputs, {out});
    t = out;
  };
  op(tfl::BuiltinOperator_ADD, c1, "a1");
  op(tfl::BuiltinOperator_MUL, c2, "m1");
  op(tfl::BuiltinOperator_SQRT, -1, "s");
  op(tfl::BuiltinOperator_ADD, c1, "a2");
  op(tfl::BuiltinOperator_MUL, c2, "m2");
  g.MarkOutput(t);
  return Load(b);
}

// uint8 CONV_2D (scratch, requantization) -> MAX_POOL_2D -> y.
std::shared_ptr<const ModelFile> QuantConvModel() {
  std::mt19937 rng(7);
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kUInt8, {1, 8, 8, 3},
                               QS::PerTensor(0.05f, 128));
  std::vector<uint8_t> w(4 * 3 * 3 * 3);
  for (uint8_t& v : w) v = static_cast<uint8_t>(rng());
  std::vector<uint8_t> bias(4 * sizeof(int32_t));
  for (int i = 0; i < 4; ++i) {
    const int32_t v = static_cast<int32_t>(rng() % 2000) - 1000;
    std::memcpy(&bias[i * 4], &v, 4);
  }
  const int32_t wt = g.AddConstTensor("w", DataType::kUInt8, {4, 3, 3, 3}, w,
                                      QS::PerTensor(0.02f, 120));
  const int32_t bt = g.AddConstTensor("b", DataType::kInt32, {4}, bias,
                                      QS::PerTensor(0.001f, 0));
  const int32_t c = g.AddTensor("c", DataType::kUInt8, {1, 8, 8, 4},
                                QS::PerTensor(0.2f, 100));
  g.AddOperator(tfl::BuiltinOperator_CONV_2D, {x, wt, bt}, {c},
                [](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreateConv2DOptions(
                      f, tfl::Padding_SAME, 1, 1,
                      tfl::ActivationFunctionType_RELU6);
                });
  const int32_t y = g.AddOutput("y", DataType::kUInt8, {1, 4, 4, 4},
                                QS::PerTensor(0.2f, 100));
  g.AddOperator(tfl::BuiltinOperator_MAX_POOL_2D, {c}, {y},
                [](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreatePool2DOptions(f, tfl::Padding_VALID, 2, 2,
                                                  2, 2);
                });
  return Load(b);
}

// Deterministic input values: floats in [-1, 1] (finite, in range for any
// model), other types as random bytes.
void FillInputs(Interpreter& it, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < it.num_inputs(); ++i) {
    TensorRef t = it.input(i);
    if (t.type() == DataType::kFloat32) {
      std::uniform_real_distribution<float> d(-1.f, 1.f);
      for (int64_t k = 0; k < t.num_elements(); ++k) t.data_as<float>()[k] = d(rng);
    } else {
      auto* p = static_cast<uint8_t*>(t.data());
      for (size_t k = 0; k < t.bytes(); ++k) p[k] = static_cast<uint8_t>(rng());
    }
  }
}

StatusOr<std::unique_ptr<Interpreter>> SimInterpreter(
    std::shared_ptr<const ModelFile> model, bool full = true) {
  InterpreterOptions options;
  options.backends = {"sim", "cpu"};
  options.require_full_delegation = full;
  return Interpreter::Create(std::move(model), options);
}

size_t SimNodes(const Interpreter& it) {
  size_t n = 0;
  for (const PartitionInfo& p : it.execution_plan().partitions) {
    if (p.backend == "sim") n += p.nodes.size();
  }
  return n;
}

// Runs `model` on the CPU and with {"sim", "cpu"}; outputs must be equal
// byte for byte (the same kernels run on both).
void ExpectSameAsCpu(const std::shared_ptr<const ModelFile>& model, bool full,
                     const std::string& what) {
  ASSERT_NE(model, nullptr) << what;
  auto cpu = Interpreter::Create(model);
  ASSERT_TRUE(cpu.ok()) << what << ": " << cpu.status();
  auto sim = SimInterpreter(model, full);
  ASSERT_TRUE(sim.ok()) << what << ": " << sim.status();
  for (uint32_t seed : {1u, 2u}) {
    for (Interpreter* it : {cpu->get(), sim->get()}) {
      ASSERT_TRUE(it->AllocateTensors().ok()) << what;
      FillInputs(*it, seed);
      const Status s = it->Invoke();
      ASSERT_TRUE(s.ok()) << what << ": " << s;
    }
    ASSERT_EQ((*cpu)->num_outputs(), (*sim)->num_outputs());
    for (int o = 0; o < (*cpu)->num_outputs(); ++o) {
      const TensorRef a = (*cpu)->output(o);
      const TensorRef b = (*sim)->output(o);
      ASSERT_EQ(a.shape(), b.shape()) << what << " output " << o;
      ASSERT_EQ(a.bytes(), b.bytes()) << what << " output " << o;
      EXPECT_EQ(std::memcmp(a.data(), b.data(), a.bytes()), 0)
          << what << " output " << o << " differs\n"
          << (*sim)->execution_plan().ToString();
    }
  }
  EXPECT_GT(SimNodes(**sim), 0u) << what << ": nothing ran on sim\n"
                                 << (*sim)->execution_plan().ToString();
}

// Every test starts from a free device (no latency, no switch cost, zero
// counters) and restores the configuration it found.
class SimBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = sim::SimDeviceConfiguration();
    sim::ConfigureSimDevice({});
    sim::ResetSimDeviceStats();
  }
  void TearDown() override { sim::ConfigureSimDevice(saved_); }

 private:
  sim::SimDeviceConfig saved_;
};

TEST_F(SimBackendTest, RegisteredAsSimulatedAccelerator) {
  const backends::Backend* b = backends::BuiltinBackends().Find("sim");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->name(), "sim");
  EXPECT_TRUE(b->IsAvailable());
}

TEST_F(SimBackendTest, FloatChainMatchesCpuFullyDelegated) {
  auto model = FloatChainModel();
  ExpectSameAsCpu(model, /*full=*/true, "float chain");
  auto sim = SimInterpreter(model);
  ASSERT_TRUE(sim.ok()) << sim.status();
  const ExecutionPlanInfo plan = (*sim)->execution_plan();
  ASSERT_EQ(plan.partitions.size(), 1u) << plan.ToString();
  EXPECT_EQ(plan.partitions[0].backend, "sim");
  EXPECT_EQ(plan.partitions[0].nodes.size(), 5u);
  EXPECT_TRUE(plan.fallbacks.empty()) << plan.ToString();
}

TEST_F(SimBackendTest, QuantizedConvMatchesCpuFullyDelegated) {
  ExpectSameAsCpu(QuantConvModel(), /*full=*/true, "uint8 conv + pool");
}

TEST_F(SimBackendTest, ResizedInputReshapesSegment) {
  auto model = FloatChainModel();
  auto cpu = Interpreter::Create(model);
  auto sim = SimInterpreter(model);
  ASSERT_TRUE(cpu.ok() && sim.ok());
  const std::vector<int32_t> shape = {3, 4};
  for (Interpreter* it : {cpu->get(), sim->get()}) {
    ASSERT_TRUE(it->ResizeInput(0, shape).ok());
    ASSERT_TRUE(it->AllocateTensors().ok());
    FillInputs(*it, 5);
    ASSERT_TRUE(it->Invoke().ok());
  }
  ASSERT_EQ((*sim)->output(0).bytes(), 3 * 4 * sizeof(float));
  EXPECT_EQ(std::memcmp((*cpu)->output(0).data(), (*sim)->output(0).data(),
                        (*cpu)->output(0).bytes()),
            0);
}

TEST_F(SimBackendTest, SharedModelsMatchCpu) {
  if (!std::filesystem::exists(testing::ModelsDir())) {
    GTEST_SKIP() << "no shared models in " << testing::ModelsDir();
  }
  // The _edgetpu models need a custom op no backend here has.
  const char* const kModels[] = {
      "hello_world_float.tflite",    "hello_world_int8.tflite",
      "keyword_scrambled.tflite",    "micro_speech_quantized.tflite",
      "person_detect.tflite",        "split_concat.tflite",
      "trained_lstm.tflite",         "mobilenet_v1_0.25_128_quant.tflite",
      "mobilenet_v2_1.0_224_quant.tflite",
  };
  int ran = 0;
  for (const char* name : kModels) {
    const std::string path = testing::ModelPath(name);
    if (!std::filesystem::exists(path)) continue;
    auto model = LoadModelFromFile(path);
    ASSERT_TRUE(model.ok()) << name << ": " << model.status();
    ExpectSameAsCpu(*model, /*full=*/false, name);
    ++ran;
  }
  if (ran == 0) GTEST_SKIP() << "none of the shared models is present";
}

// Every conformance model compiles and reshapes on sim without a backend
// failure (nodes with run-time shapes may move to the CPU at "prepare");
// BackendConformanceTest checks the values.
TEST_F(SimBackendTest, ConformanceModelsCompileAndReshapeOnSim) {
  const std::filesystem::path dir =
      std::filesystem::path(testing::SourceDir()) / "tests/conformance/cases";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no " << dir;
  int cases = 0, delegated = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string path = (entry.path() / "model.tflite").string();
    if (!std::filesystem::exists(path)) continue;
    auto model = LoadModelFromFile(path);
    ASSERT_TRUE(model.ok()) << path << ": " << model.status();
    auto cpu = Interpreter::Create(*model);
    if (!cpu.ok() || !(*cpu)->AllocateTensors().ok()) continue;
    auto sim = SimInterpreter(*model, /*full=*/false);
    ASSERT_TRUE(sim.ok()) << path << ": " << sim.status();
    ASSERT_TRUE((*sim)->AllocateTensors().ok()) << path;
    ++cases;
    const ExecutionPlanInfo plan = (*sim)->execution_plan();
    for (const FallbackEvent& f : plan.fallbacks) {
      EXPECT_TRUE(f.backend != "sim" || f.stage == "support" ||
                  f.stage == "prepare")
          << path << ": " << f.stage << ": " << f.reason;
    }
    if (SimNodes(**sim) > 0) ++delegated;
  }
  EXPECT_GT(delegated, cases * 9 / 10)
      << delegated << " of " << cases << " conformance models ran on sim";
}

TEST_F(SimBackendTest, LatencyIsChargedPerExecute) {
  sim::ConfigureSimDevice({microseconds(200), microseconds(0)});
  auto sim = SimInterpreter(FloatChainModel());
  ASSERT_TRUE(sim.ok()) << sim.status();
  ASSERT_TRUE((*sim)->AllocateTensors().ok());
  sim::ResetSimDeviceStats();
  for (int i = 0; i < 5; ++i) {
    FillInputs(**sim, i);
    ASSERT_TRUE((*sim)->Invoke().ok());
  }
  const sim::DeviceStats stats = sim::SimDeviceStats();
  EXPECT_EQ(stats.executes, 5u);
  EXPECT_EQ(stats.latency_charged, microseconds(1000));
  EXPECT_EQ(stats.switches, 1u);  // the first load only
  EXPECT_EQ(stats.switch_charged, microseconds(0));
  EXPECT_EQ(stats.active, 0);
}

TEST_F(SimBackendTest, AlternatingModelsCountSwitches) {
  sim::ConfigureSimDevice({microseconds(0), microseconds(50)});
  auto model_a = FloatChainModel(1.f);
  auto model_b = FloatChainModel(5.f);
  auto a = SimInterpreter(model_a);
  auto a2 = SimInterpreter(model_a);  // same ModelFile: same device model
  auto b = SimInterpreter(model_b);
  ASSERT_TRUE(a.ok() && a2.ok() && b.ok());
  for (Interpreter* it : {a->get(), a2->get(), b->get()}) {
    ASSERT_TRUE(it->AllocateTensors().ok());
    FillInputs(*it, 3);
  }
  sim::ResetSimDeviceStats();
  // a a2 b a b b a2: loads at a, b, a, b, a2.
  for (Interpreter* it : {a->get(), a2->get(), b->get(), a->get(), b->get(),
                          b->get(), a2->get()}) {
    ASSERT_TRUE(it->Invoke().ok());
  }
  const sim::DeviceStats stats = sim::SimDeviceStats();
  EXPECT_EQ(stats.executes, 7u);
  EXPECT_EQ(stats.switches, 5u);
  EXPECT_EQ(stats.switch_charged, microseconds(250));
  EXPECT_EQ(stats.latency_charged, microseconds(0));
}

TEST_F(SimBackendTest, ConcurrentInterpretersNeverOverlapInDevice) {
  sim::ConfigureSimDevice({microseconds(100), microseconds(20)});
  auto model_a = FloatChainModel(1.f);
  auto model_b = QuantConvModel();
  auto a = SimInterpreter(model_a);
  auto b = SimInterpreter(model_b);
  auto a_cpu = Interpreter::Create(model_a);
  auto b_cpu = Interpreter::Create(model_b);
  ASSERT_TRUE(a.ok() && b.ok() && a_cpu.ok() && b_cpu.ok());
  for (Interpreter* it : {a->get(), b->get(), a_cpu->get(), b_cpu->get()}) {
    ASSERT_TRUE(it->AllocateTensors().ok());
    FillInputs(*it, 9);
  }
  ASSERT_TRUE((*a_cpu)->Invoke().ok());
  ASSERT_TRUE((*b_cpu)->Invoke().ok());
  sim::ResetSimDeviceStats();
  constexpr int kRuns = 40;
  std::atomic<int> failures{0};
  auto worker = [&](Interpreter* it) {
    for (int i = 0; i < kRuns; ++i) {
      if (!it->Invoke().ok()) ++failures;
    }
  };
  std::thread ta(worker, a->get());
  std::thread tb(worker, b->get());
  ta.join();
  tb.join();
  EXPECT_EQ(failures.load(), 0);
  const sim::DeviceStats stats = sim::SimDeviceStats();
  EXPECT_EQ(stats.executes, 2u * kRuns);
  EXPECT_EQ(stats.max_active, 1);
  EXPECT_EQ(stats.active, 0);
  EXPECT_EQ(stats.latency_charged, microseconds(100 * 2 * kRuns));
  EXPECT_GE(stats.switches, 2u);
  EXPECT_EQ(stats.switch_charged, microseconds(20) * stats.switches);
  // Results are still right after contention.
  EXPECT_EQ(std::memcmp((*a)->output(0).data(), (*a_cpu)->output(0).data(),
                        (*a_cpu)->output(0).bytes()),
            0);
  EXPECT_EQ(std::memcmp((*b)->output(0).data(), (*b_cpu)->output(0).data(),
                        (*b_cpu)->output(0).bytes()),
            0);
}

}  // namespace
}  // namespace edgerun
