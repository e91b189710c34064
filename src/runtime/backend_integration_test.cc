// The runtime with backends: partitions run on a fake accelerator
// ("testaccel", float ADD and MUL only), unsupported nodes fall back to the
// CPU with reasons, compile and execute failures move nodes to the next
// backend with results unchanged, and full delegation can be required.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "backends/backend.h"
#include "edgerun/format/model_builder.h"
#include "edgerun/runtime/interpreter.h"
#include "format/tflite_generated.h"

namespace edgerun {
namespace {

using ::testing::HasSubstr;

struct AccelControl {
  bool fail_compile = false;
  std::atomic<int> fail_executes{0};  // fail this many Executes
  std::atomic<int> executes{0};
};

// Runs float ADD/MUL of equal shapes; stands in for a real accelerator.
class TestSegment final : public backends::CompiledSegment {
 public:
  TestSegment(backends::Segment segment, AccelControl* control)
      : segment_(std::move(segment)), control_(control) {}
  Status Reshape(const planner::GraphView&) override { return OkStatus(); }
  Status Execute(const planner::GraphView& graph) override {
    ++control_->executes;
    if (control_->fail_executes > 0) {
      --control_->fail_executes;
      return InternalError("testaccel lost the device");
    }
    for (int n : segment_.nodes) {
      const auto in = graph.node_inputs(n);
      const auto& a = graph.tensor(in[0]);
      const auto& b = graph.tensor(in[1]);
      const auto& out = graph.tensor(graph.node_outputs(n)[0]);
      // Internal tensors live in the segment: keep them in our own buffers.
      const float* pa = Data(a, in[0]);
      const float* pb = Data(b, in[1]);
      float* po = MutableData(out, graph.node_outputs(n)[0]);
      const bool add = graph.node(n).builtin_code == tfl::BuiltinOperator_ADD;
      for (int64_t i = 0; i < out.NumElements(); ++i) {
        po[i] = add ? pa[i] + pb[i] : pa[i] * pb[i];
      }
    }
    return OkStatus();
  }

 private:
  const float* Data(const kernels::Tensor& t, int index) {
    if (t.data != nullptr) return t.data_as<float>();
    return local_[index].data();
  }
  float* MutableData(const kernels::Tensor& t, int index) {
    if (t.data != nullptr) return static_cast<float*>(t.data);
    auto& v = local_[index];
    v.resize(static_cast<size_t>(t.NumElements()));
    return v.data();
  }
  backends::Segment segment_;
  AccelControl* control_;
  std::map<int, std::vector<float>> local_;
};

class TestAccel final : public backends::Backend {
 public:
  explicit TestAccel(AccelControl* control) : control_(control) {}
  std::string_view name() const override { return "testaccel"; }
  bool IsAvailable() const override { return true; }
  planner::NodeSupport Supports(const planner::GraphView& graph, int node) const override {
    const int code = graph.node(node).builtin_code;
    if (code != tfl::BuiltinOperator_ADD && code != tfl::BuiltinOperator_MUL) {
      return planner::NodeSupport::No(graph.node(node).op_name + " is not supported by testaccel");
    }
    return planner::NodeSupport::Yes();
  }
  StatusOr<std::unique_ptr<backends::CompiledSegment>> Compile(
      const planner::GraphView&, const backends::Segment& segment,
      const backends::BackendOptions&) const override {
    if (control_->fail_compile) return UnavailableError("testaccel compiler crashed");
    return std::unique_ptr<backends::CompiledSegment>(new TestSegment(segment, control_));
  }

 private:
  AccelControl* control_;
};

// x -> ADD(x, c1) -> MUL(., c2) -> SQRT -> ADD(., c1) -> MUL(., c2) -> y
std::shared_ptr<const ModelFile> ChainModel() {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const std::vector<int32_t> shape = {1, 4};
  const int32_t x = g.AddInput("x", DataType::kFloat32, shape);
  const int32_t c1 = g.AddConstTensor<float>("c1", shape, {1, 2, 3, 4});
  const int32_t c2 = g.AddConstTensor<float>("c2", shape, {2, 2, 2, 2});
  int32_t t = x;
  auto op = [&](tfl::BuiltinOperator code, int32_t other, const std::string& name) {
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
  auto bytes = b.Finish();
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  auto model = LoadModel(ByteSource::FromVector(std::move(bytes).value()));
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

std::vector<float> Expected() {
  std::vector<float> y;
  const float c1[] = {1, 2, 3, 4};
  for (int i = 0; i < 4; ++i) {
    const float x = static_cast<float>(i + 1);
    y.push_back((std::sqrt((x + c1[i]) * 2) + c1[i]) * 2);
  }
  return y;
}

class BackendIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.Add(std::make_unique<TestAccel>(&control_));
    model_ = ChainModel();
  }
  StatusOr<std::unique_ptr<Interpreter>> Make(InterpreterOptions options = {}) {
    options.backends = {"testaccel", "cpu"};
    options.backend_registry = &registry_;
    return Interpreter::Create(model_, options);
  }
  void RunAndCheck(Interpreter& it) {
    ASSERT_TRUE(it.AllocateTensors().ok());
    for (int i = 0; i < 4; ++i) it.input(0).data_as<float>()[i] = static_cast<float>(i + 1);
    const Status s = it.Invoke();
    ASSERT_TRUE(s.ok()) << s;
    const std::vector<float> want = Expected();
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(it.output(0).data_as<float>()[i], want[i]);
  }

  AccelControl control_;
  backends::BackendRegistry registry_;
  std::shared_ptr<const ModelFile> model_;
};

TEST_F(BackendIntegrationTest, PartitionsAroundUnsupportedNode) {
  auto interp = Make();
  ASSERT_TRUE(interp.ok()) << interp.status();
  ASSERT_TRUE((*interp)->AllocateTensors().ok());
  const ExecutionPlanInfo plan = (*interp)->execution_plan();
  ASSERT_EQ(plan.partitions.size(), 3u) << plan.ToString();
  EXPECT_EQ(plan.partitions[0].backend, "testaccel");
  EXPECT_EQ(plan.partitions[0].nodes, (std::vector<int>{0, 1}));
  EXPECT_EQ(plan.partitions[1].backend, "cpu");
  EXPECT_EQ(plan.partitions[1].ops, (std::vector<std::string>{"SQRT"}));
  EXPECT_EQ(plan.partitions[2].backend, "testaccel");
  ASSERT_EQ(plan.fallbacks.size(), 1u);
  EXPECT_EQ(plan.fallbacks[0].stage, "support");
  EXPECT_THAT(plan.fallbacks[0].reason, HasSubstr("SQRT is not supported by testaccel"));
  EXPECT_EQ(plan.boundary_copies, 0u);
  RunAndCheck(**interp);
  EXPECT_EQ(control_.executes, 2);
}

TEST_F(BackendIntegrationTest, InternalTensorsGetNoArenaMemory) {
  auto cpu_only = Interpreter::Create(model_);
  ASSERT_TRUE(cpu_only.ok());
  ASSERT_TRUE((*cpu_only)->AllocateTensors().ok());
  auto delegated = Make();
  ASSERT_TRUE(delegated.ok());
  ASSERT_TRUE((*delegated)->AllocateTensors().ok());
  // a1 and a2 live inside their segments; only x, m1, s, y are planned.
  EXPECT_LT((*delegated)->memory_stats().tensor_bytes,
            (*cpu_only)->memory_stats().tensor_bytes);
}

TEST_F(BackendIntegrationTest, CompileFailureFallsBackToCpu) {
  control_.fail_compile = true;
  auto interp = Make();
  ASSERT_TRUE(interp.ok()) << interp.status();
  const ExecutionPlanInfo plan = (*interp)->execution_plan();
  ASSERT_EQ(plan.partitions.size(), 1u) << plan.ToString();
  EXPECT_EQ(plan.partitions[0].backend, "cpu");
  bool compile_event = false;
  for (const FallbackEvent& e : plan.fallbacks) {
    if (e.stage == "compile") {
      compile_event = true;
      EXPECT_THAT(e.reason, HasSubstr("compiler crashed"));
    }
  }
  EXPECT_TRUE(compile_event) << plan.ToString();
  RunAndCheck(**interp);
  EXPECT_EQ(control_.executes, 0);
}

TEST_F(BackendIntegrationTest, ExecuteFailureFallsBackWithCorrectResults) {
  auto interp = Make();
  ASSERT_TRUE(interp.ok());
  control_.fail_executes = 1;
  RunAndCheck(**interp);  // the failing segment's nodes ran on the CPU
  const ExecutionPlanInfo plan = (*interp)->execution_plan();
  bool execute_event = false;
  for (const FallbackEvent& e : plan.fallbacks) {
    if (e.stage == "execute") {
      execute_event = true;
      EXPECT_THAT(e.reason, HasSubstr("lost the device"));
      EXPECT_EQ(e.nodes, (std::vector<int>{0, 1}));
    }
  }
  EXPECT_TRUE(execute_event) << plan.ToString();
  RunAndCheck(**interp);  // and stay there
}

TEST_F(BackendIntegrationTest, RequireFullDelegation) {
  InterpreterOptions options;
  options.require_full_delegation = true;
  auto interp = Make(options);
  ASSERT_FALSE(interp.ok());
  EXPECT_EQ(interp.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(interp.status().message(), HasSubstr("2 (SQRT)"));
}

TEST_F(BackendIntegrationTest, MaxDelegatedPartitionsKeepsOne) {
  InterpreterOptions options;
  options.max_delegated_partitions = 1;
  auto interp = Make(options);
  ASSERT_TRUE(interp.ok());
  int delegated = 0;
  for (const PartitionInfo& p : (*interp)->execution_plan().partitions) {
    delegated += p.backend == "testaccel";
  }
  EXPECT_EQ(delegated, 1);
  RunAndCheck(**interp);
}

TEST_F(BackendIntegrationTest, UnknownBackendIsAClearError) {
  InterpreterOptions options;
  options.backends = {"tpu9000"};
  auto interp = Interpreter::Create(model_, options);
  ASSERT_FALSE(interp.ok());
  EXPECT_THAT(interp.status().message(), HasSubstr("unknown backend 'tpu9000'"));
}

}  // namespace
}  // namespace edgerun
