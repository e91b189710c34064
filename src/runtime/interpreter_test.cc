// Interpreter behaviour that does not depend on particular kernels: error
// reporting for unresolved/failing ops, input checks, recovery after
// errors, and detection of concurrent use. Uses the shared
// model_invoking_error.tflite (one custom op `fake-op-double`).
#include "edgerun/runtime/interpreter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

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
    for (int64_t i = 0; i < in->NumElements(); ++i) sum += in->data_as<uint8_t>()[i];
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
  EXPECT_EQ(interp->SetInput(5, too_short).code(), StatusCode::kInvalidArgument);
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
  EXPECT_EQ(interp->ResizeInput(0, wrong_rank).code(), StatusCode::kInvalidArgument);
  const std::vector<int32_t> negative = {1, -3};
  EXPECT_EQ(interp->ResizeInput(0, negative).code(), StatusCode::kInvalidArgument);
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
  EXPECT_GE(stats.arena_bytes, stats.tensor_bytes);  // inputs+outputs live throughout
}

}  // namespace
}  // namespace edgerun
