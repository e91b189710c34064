// Interpreter behaviour that does not depend on particular kernels: error
// reporting for unresolved/failing ops, input checks, recovery after
// errors, and detection of concurrent use. Uses the shared
// model_invoking_error.tflite (one custom op `fake-op-double`).
#include "edgerun/runtime/interpreter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "edgerun/format/model_builder.h"
#include "kernels/registry.h"
#include "tests/support/shared_data.h"

namespace edgerun {
namespace {

using ::testing::HasSubstr;

// fake-op-double: out = 2 * sum(in), or an error when told to fail. Eval can
// be made to block so a test can overlap two calls deterministically.
struct FakeOpControl {
  std::atomic<bool> fail{false};
  std::atomic<bool> block{false};
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};
};
FakeOpControl* g_control = nullptr;

class FakeOpDouble final : public kernels::OpKernel {
 public:
  Status Prepare(kernels::KernelContext& ctx) override {
    if (ctx.num_inputs() != 1 || ctx.num_outputs() != 1) {
      return ctx.InvalidArgument("expects 1 input and 1 output");
    }
    return ctx.ResizeOutput(0, kernels::Shape{});
  }
  Status Eval(kernels::KernelContext& ctx) override {
    if (g_control->block) {
      g_control->entered = true;
      while (!g_control->release) std::this_thread::yield();
    }
    if (g_control->fail) {
      return ctx.Error(StatusCode::kInternal, "fake-op-double failed as asked");
    }
    const kernels::Tensor* in = ctx.input(0);
    float sum = 0;
    for (int64_t i = 0; i < in->NumElements(); ++i)
      sum += in->data_as<uint8_t>()[i];
    ctx.output(0)->data_as<float>()[0] = 2 * sum;
    return OkStatus();
  }
};

class InterpreterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
    auto model = LoadModelFromFile(
        testing::ModelPath("invalid_models/model_invoking_error.tflite"));
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *model;
    registry_.AddCustom("fake-op-double", [] {
      return std::unique_ptr<kernels::OpKernel>(new FakeOpDouble());
    });
    g_control = &control_;
  }
  std::unique_ptr<Interpreter> Make() {
    InterpreterOptions options;
    options.registry = &registry_;
    auto interp = Interpreter::Create(model_, options);
    EXPECT_TRUE(interp.ok()) << interp.status();
    return std::move(interp).value();
  }

  std::shared_ptr<const ModelFile> model_;
  kernels::KernelRegistry registry_;
  FakeOpControl control_;
};

TEST_F(InterpreterTest, UnresolvedCustomOpNamesNodeAndOp) {
  auto interp = Interpreter::Create(model_);  // builtin kernels only
  ASSERT_TRUE(interp.ok());
  const Status s = (*interp)->AllocateTensors();
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("node 0"));
  EXPECT_THAT(s.message(), HasSubstr("fake-op-double"));
  // Invoke reports the same problem instead of running garbage.
  EXPECT_EQ((*interp)->Invoke().code(), StatusCode::kUnimplemented);
}

TEST_F(InterpreterTest, RunsAndChecksInputSize) {
  auto interp = Make();
  ASSERT_TRUE(interp->AllocateTensors().ok());
  const std::vector<uint8_t> too_short = {1, 2};
  const Status bad = interp->SetInput(0, too_short);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("needs 3 bytes, got 2"));
  EXPECT_EQ(interp->SetInput(5, too_short).code(),
            StatusCode::kInvalidArgument);
  const std::vector<uint8_t> input = {1, 2, 3};
  ASSERT_TRUE(interp->SetInput(0, input).ok());
  ASSERT_TRUE(interp->Invoke().ok());
  EXPECT_EQ(interp->output(0).data_as<float>()[0], 12.f);
}

TEST_F(InterpreterTest, FailingOpReportsAndNextInvokeWorks) {
  auto interp = Make();
  const std::vector<uint8_t> input = {5, 5, 5};
  ASSERT_TRUE(interp->SetInput(0, input).ok());
  control_.fail = true;
  const Status s = interp->Invoke();
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("node 0 (CUSTOM:fake-op-double)"));
  control_.fail = false;
  ASSERT_TRUE(interp->Invoke().ok());
  EXPECT_EQ(interp->output(0).data_as<float>()[0], 30.f);
}

TEST_F(InterpreterTest, ResizeInputReplansMemory) {
  auto interp = Make();
  const std::vector<int32_t> shape = {2, 4};
  ASSERT_TRUE(interp->ResizeInput(0, shape).ok());
  const std::vector<uint8_t> input(8, 1);
  ASSERT_TRUE(interp->SetInput(0, input).ok());
  ASSERT_TRUE(interp->Invoke().ok());
  EXPECT_EQ(interp->output(0).data_as<float>()[0], 16.f);
  const std::vector<int32_t> wrong_rank = {8};
  EXPECT_EQ(interp->ResizeInput(0, wrong_rank).code(),
            StatusCode::kInvalidArgument);
  const std::vector<int32_t> negative = {1, -3};
  EXPECT_EQ(interp->ResizeInput(0, negative).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(InterpreterTest, ConcurrentUseIsDetectedNotCorrupting) {
  auto interp = Make();
  const std::vector<uint8_t> input = {1, 1, 1};
  ASSERT_TRUE(interp->SetInput(0, input).ok());
  control_.block = true;
  Status first;
  std::thread runner([&] { first = interp->Invoke(); });
  while (!control_.entered) std::this_thread::yield();
  // The second caller is refused while the first is inside Invoke.
  const Status second = interp->Invoke();
  EXPECT_EQ(second.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.message(), HasSubstr("not thread-safe"));
  EXPECT_EQ(interp->SetInput(0, input).code(), StatusCode::kFailedPrecondition);
  control_.release = true;
  runner.join();
  EXPECT_TRUE(first.ok()) << first;
  EXPECT_EQ(interp->output(0).data_as<float>()[0], 6.f);
  control_.block = false;
  EXPECT_TRUE(interp->Invoke().ok());  // usable again afterwards
}

TEST_F(InterpreterTest, MemoryStatsReportArena) {
  auto interp = Make();
  ASSERT_TRUE(interp->AllocateTensors().ok());
  const MemoryStats stats = interp->memory_stats();
  EXPECT_GE(stats.tensor_bytes, 3u + 4u);
  EXPECT_GE(stats.arena_bytes,
            stats.tensor_bytes);  // inputs+outputs live throughout
}

// cancel-on-eval: y = x; its Eval sets the flag given to the test's
// interpreter, so the nodes after it must not run.
std::atomic<bool> g_cancel_flag{false};
std::atomic<int> g_cancel_op_evals{0};
class CancelOnEval final : public kernels::OpKernel {
 public:
  Status Prepare(kernels::KernelContext& ctx) override {
    return ctx.ResizeOutput(0, ctx.input(0)->shape);
  }
  Status Eval(kernels::KernelContext& ctx) override {
    ++g_cancel_op_evals;
    g_cancel_flag = true;
    std::memcpy(ctx.output(0)->data, ctx.input(0)->data, ctx.input(0)->bytes);
    return OkStatus();
  }
};

// y = cancel-on-eval(x) + 1 + 1, float32 [1, 2]: three nodes.
TEST(InterpreterCancellationTest,
     FlagStopsInvokeAtTheNextNodeAndClearsCleanly) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 2});
  const int32_t one = g.AddConstTensor<float>("one", {2}, {1.f, 1.f});
  const int32_t t0 = g.AddTensor("t0", DataType::kFloat32, {1, 2});
  const int32_t t1 = g.AddTensor("t1", DataType::kFloat32, {1, 2});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 2});
  g.AddCustomOperator("cancel-on-eval", {x}, {t0});
  g.AddOperator(tfl::BuiltinOperator_ADD, {t0, one}, {t1});
  g.AddOperator(tfl::BuiltinOperator_ADD, {t1, one}, {y});
  auto bytes = b.Finish();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto model = LoadModel(ByteSource::FromVector(std::move(bytes).value()));
  ASSERT_TRUE(model.ok()) << model.status();
  kernels::KernelRegistry registry;
  kernels::RegisterBuiltinKernels(registry);
  registry.AddCustom("cancel-on-eval", [] {
    return std::unique_ptr<kernels::OpKernel>(new CancelOnEval());
  });
  InterpreterOptions options;
  options.registry = &registry;
  auto created = Interpreter::Create(*model, options);
  ASSERT_TRUE(created.ok()) << created.status();
  Interpreter& interp = **created;
  const std::vector<float> in = {3.f, 4.f};
  ASSERT_TRUE(
      interp.SetInput(0, {reinterpret_cast<const uint8_t*>(in.data()), 8})
          .ok());
  g_cancel_op_evals = 0;

  // Already cancelled: nothing runs.
  g_cancel_flag = true;
  interp.SetCancellationFlag(&g_cancel_flag);
  Status s = interp.Invoke();
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_THAT(s.message(), HasSubstr("after 0 of 3 nodes"));
  EXPECT_EQ(g_cancel_op_evals, 0);

  // Cancelled by the first node while running: the two ADDs never run.
  g_cancel_flag = false;
  s = interp.Invoke();
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_THAT(s.message(), HasSubstr("after 1 of 3 nodes"));
  EXPECT_EQ(g_cancel_op_evals, 1);

  // No flag: the same interpreter runs to the end with the right result.
  interp.SetCancellationFlag(nullptr);
  ASSERT_TRUE(interp.Invoke().ok());
  EXPECT_EQ(interp.output(0).data_as<float>()[0], 5.f);
  EXPECT_EQ(interp.output(0).data_as<float>()[1], 6.f);
}

TEST(InterpreterFloatTest, NanAndInfInputsAreRejectedThenServedAgain) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  auto model =
      LoadModelFromFile(testing::ModelPath("hello_world_float.tflite"));
  ASSERT_TRUE(model.ok()) << model.status();
  auto interp = Interpreter::Create(*model);
  ASSERT_TRUE(interp.ok());
  Interpreter& it = **interp;
  ASSERT_TRUE(it.AllocateTensors().ok());
  it.input(0).data_as<float>()[0] = std::nanf("");
  Status s = it.Invoke();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("NaN"));
  it.input(0).data_as<float>()[0] = INFINITY;
  EXPECT_THAT(it.Invoke().message(), HasSubstr("Inf"));
  it.input(0).data_as<float>()[0] = 0.5f;
  ASSERT_TRUE(it.Invoke().ok());
  const float y = it.output(0).data_as<float>()[0];
  EXPECT_NEAR(y, std::sin(0.5f), 0.1f);  // the model approximates sin(x)
  // Dynamic batch (shape signature [-1, 1]): resize to 3 and run.
  const std::vector<int32_t> batch3 = {3, 1};
  ASSERT_TRUE(it.ResizeInput(0, batch3).ok());
  ASSERT_TRUE(it.AllocateTensors().ok());
  for (int i = 0; i < 3; ++i) it.input(0).data_as<float>()[i] = 0.5f;
  ASSERT_TRUE(it.Invoke().ok());
  EXPECT_EQ(it.output(0).shape(), (std::vector<int32_t>{3, 1}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(it.output(0).data_as<float>()[i], y);
}

// Two subgraphs, each exported as a signature: "double" (x * 2) and "plus"
// (x + y); the runners address inputs and outputs by signature names.
TEST(SignatureRunnerTest, RunsEachSignatureOnItsSubgraph) {
  ModelBuilder b;
  SubgraphBuilder& g0 = b.AddSubgraph("double");
  const int32_t x0 = g0.AddInput("x", DataType::kFloat32, {2});
  const int32_t two = g0.AddConstTensor<float>("two", {1}, {2.f});
  const int32_t y0 = g0.AddOutput("y", DataType::kFloat32, {2});
  g0.AddOperator(tfl::BuiltinOperator_MUL, {x0, two}, {y0});
  SubgraphBuilder& g1 = b.AddSubgraph("plus");
  const int32_t a1 = g1.AddInput("a", DataType::kFloat32, {2});
  const int32_t b1 = g1.AddInput("b", DataType::kFloat32, {2});
  const int32_t s1 = g1.AddOutput("sum", DataType::kFloat32, {2});
  g1.AddOperator(tfl::BuiltinOperator_ADD, {a1, b1}, {s1});
  b.AddSignature({"double",
                  0,
                  {{"in", static_cast<uint32_t>(x0)}},
                  {{"out", static_cast<uint32_t>(y0)}}});
  b.AddSignature(
      {"plus",
       1,
       {{"lhs", static_cast<uint32_t>(a1)}, {"rhs", static_cast<uint32_t>(b1)}},
       {{"total", static_cast<uint32_t>(s1)}}});
  auto bytes = b.Finish();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto model = LoadModel(ByteSource::FromVector(std::move(bytes).value()));
  ASSERT_TRUE(model.ok()) << model.status();
  auto interp = Interpreter::Create(*model);
  ASSERT_TRUE(interp.ok()) << interp.status();
  EXPECT_EQ((*interp)->SignatureKeys(),
            (std::vector<std::string>{"double", "plus"}));
  EXPECT_EQ((*interp)->GetSignatureRunner("missing"), nullptr);

  SignatureRunner* plus = (*interp)->GetSignatureRunner("plus");
  ASSERT_NE(plus, nullptr);
  EXPECT_EQ(plus->input_names(), (std::vector<std::string>{"lhs", "rhs"}));
  ASSERT_TRUE(plus->AllocateTensors().ok());
  auto lhs = plus->input("lhs");
  auto rhs = plus->input("rhs");
  ASSERT_TRUE(lhs.ok() && rhs.ok());
  lhs->data_as<float>()[0] = 1.f;
  lhs->data_as<float>()[1] = 2.f;
  rhs->data_as<float>()[0] = 10.f;
  rhs->data_as<float>()[1] = 20.f;
  ASSERT_TRUE(plus->Invoke().ok());
  auto total = plus->output("total");
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->data_as<float>()[0], 11.f);
  EXPECT_EQ(total->data_as<float>()[1], 22.f);
  EXPECT_EQ(plus->input("nope").status().code(), StatusCode::kNotFound);

  SignatureRunner* dbl = (*interp)->GetSignatureRunner("double");
  ASSERT_TRUE(dbl->AllocateTensors().ok());
  auto in = dbl->input("in");
  in->data_as<float>()[0] = 3.f;
  in->data_as<float>()[1] = -4.f;
  ASSERT_TRUE(dbl->Invoke().ok());
  EXPECT_EQ(dbl->output("out")->data_as<float>()[1], -8.f);
  // Subgraph 0 through the plain interpreter API gives the same.
  EXPECT_EQ((*interp)->InputIndex("x").value(), 0);
  EXPECT_EQ((*interp)->InputIndex("nope").status().code(),
            StatusCode::kNotFound);
}

// A hostile index at run time: GATHER reports it, reads nothing out of
// bounds, and the next request with a valid index is served.
TEST(InterpreterRuntimeErrors, GatherIndexOutOfRangeThenValid) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t params =
      g.AddConstTensor<float>("params", {4}, {1.f, 2.f, 3.f, 4.f});
  const int32_t indices = g.AddInput("indices", DataType::kInt32, {2});
  const int32_t out = g.AddOutput("out", DataType::kFloat32, {2});
  g.AddOperator(tfl::BuiltinOperator_GATHER, {params, indices}, {out},
                [](flatbuffers::FlatBufferBuilder& fbb) {
                  return tfl::CreateGatherOptions(fbb, /*axis=*/0);
                });
  auto bytes = b.Finish();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto model = LoadModel(ByteSource::FromVector(std::move(bytes).value()));
  ASSERT_TRUE(model.ok()) << model.status();
  auto interp = Interpreter::Create(*model);
  ASSERT_TRUE(interp.ok());
  Interpreter& it = **interp;
  ASSERT_TRUE(it.AllocateTensors().ok());
  it.input(0).data_as<int32_t>()[0] = 1;
  it.input(0).data_as<int32_t>()[1] = 1 << 30;
  const Status bad = it.Invoke();
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("node 0 (GATHER)"));
  it.input(0).data_as<int32_t>()[1] = -1;
  EXPECT_FALSE(it.Invoke().ok());
  it.input(0).data_as<int32_t>()[1] = 3;
  ASSERT_TRUE(it.Invoke().ok());
  EXPECT_EQ(it.output(0).data_as<float>()[0], 2.f);
  EXPECT_EQ(it.output(0).data_as<float>()[1], 4.f);
}

}  // namespace
}  // namespace edgerun
