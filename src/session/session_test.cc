// Session: sizing, validation, results equal to a plain Interpreter,
// failing Invoke recovery, deadlines, cancellation, full queues, stats.
// The gate model (session_test_util.h) holds interpreters busy without
// relying on timing.
#include "edgerun/session/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "src/session/session_test_util.h"

namespace edgerun::session {
namespace {

using namespace std::chrono_literals;
using testing::GlobalGate;
using ::testing::HasSubstr;
using testing::MakeSession;
using testing::Must;

TensorData Indices(std::vector<int32_t> v) {
  return TensorData::From(DataType::kInt32, {3}, v);
}

TEST(SessionTest, SizingFollowsModeAndCores) {
  auto model = Must(testing::FloatAffineModel(4, 2, 1));
  auto t =
      MakeSession(model, {.mode = SessionMode::kThroughput, .num_cores = 4});
  EXPECT_EQ(t->num_interpreters(), 4);
  EXPECT_EQ(t->threads_per_interpreter(), 1);
  auto l = MakeSession(model, {.mode = SessionMode::kLatency, .num_cores = 4});
  EXPECT_EQ(l->num_interpreters(), 1);
  EXPECT_EQ(l->threads_per_interpreter(), 4);
  auto p = MakeSession(model, {.num_interpreters = 2, .num_cores = 4});
  EXPECT_EQ(p->threads_per_interpreter(), 2);
  auto q = MakeSession(model, {.threads_per_interpreter = 3, .num_cores = 4});
  EXPECT_EQ(q->num_interpreters(), 1);
  auto d = MakeSession(model);
  EXPECT_GE(d->num_interpreters(), 1);
  EXPECT_EQ(Session::Create(model, {.num_interpreters = -1}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SessionTest, RunMatchesInterpreter) {
  auto model = Must(testing::FloatAffineModel(4, 2, 1));
  auto session = MakeSession(model, {.num_interpreters = 2});
  ASSERT_EQ(session->inputs().size(), 1u);
  EXPECT_EQ(session->inputs()[0].name, "x");
  auto out = session->Run(
      {TensorData::From<float>(DataType::kFloat32, {1, 4}, {1, 2, 3, -4})});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].type, DataType::kFloat32);
  EXPECT_EQ((*out)[0].shape, (std::vector<int32_t>{1, 4}));
  EXPECT_EQ((*out)[0].As<float>(), (std::vector<float>{3, 5, 7, -7}));

  auto interp = Interpreter::Create(model);
  ASSERT_TRUE(interp.ok());
  ASSERT_TRUE((*interp)->AllocateTensors().ok());
  std::vector<float> x = {1, 2, 3, -4};
  std::memcpy((*interp)->input(0).data(), x.data(), 16);
  ASSERT_TRUE((*interp)->Invoke().ok());
  EXPECT_EQ(
      std::memcmp((*interp)->output(0).data(), (*out)[0].bytes.data(), 16), 0);
}

TEST(SessionTest, ValidatesInputs) {
  auto session = MakeSession(Must(testing::FloatAffineModel(4, 2, 1)));
  auto none = session->Run({});
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(none.status().message(), HasSubstr("has 1 inputs, got 0"));
  auto dtype = session->Run(
      {TensorData::From<int32_t>(DataType::kInt32, {1, 4}, {1, 2, 3, 4})});
  EXPECT_EQ(dtype.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(dtype.status().message(), HasSubstr("input 0 ('x') is float32"));
  auto size = session->Run(
      {TensorData::From<float>(DataType::kFloat32, {1, 4}, {1, 2})});
  EXPECT_EQ(size.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(size.status().message(), HasSubstr("needs 16 bytes, got 8"));
  const SessionStats s = session->stats();
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.errors, 3u);
  EXPECT_EQ(s.device.requests, 0u);  // never queued
}

TEST(SessionTest, FailingInvokeReturnsErrorAndInterpreterStaysUsable) {
  auto session =
      MakeSession(Must(testing::Uint8GatherModel(5)), {.num_interpreters = 1});
  auto bad = session->Run({Indices({0, 7, 1})});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("out of range"));
  auto good = session->Run({Indices({4, 0, 2})});
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ((*good)[0].type, DataType::kUInt8);
  EXPECT_EQ((*good)[0].bytes,
            (std::vector<uint8_t>{48, 51, 54, 57, 0, 3, 6, 9, 24, 27, 30, 33}));
  const SessionStats s = session->stats();
  EXPECT_EQ(s.ok, 1u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.device.errors, 1u);
  EXPECT_EQ(s.latency.count, 2u);
}

// Holds the only interpreter of a gate session busy.
class GatedSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SessionOptions o;
    o.num_interpreters = 1;
    o.interpreter.registry = &testing::GateRegistry();
    o.max_queue = 1;
    configure(o);
    session_ = MakeSession(Must(testing::GateModel()), o);
    ASSERT_NE(session_, nullptr);
    entered_before_ = GlobalGate().entered();
    GlobalGate().Close();
    busy_ = session_->Submit({In(1)});
    GlobalGate().WaitEntered(entered_before_ + 1);
  }
  void TearDown() override { GlobalGate().Open(); }
  virtual void configure(SessionOptions&) {}
  static TensorData In(float v) {
    return TensorData::From<float>(DataType::kFloat32, {1, 4}, {v, v, v, v});
  }

  std::unique_ptr<Session> session_;
  std::future<StatusOr<Session::Outputs>> busy_;
  int entered_before_ = 0;
};

TEST_F(GatedSessionTest, CancelledQueuedRequestNeverRuns) {
  CancellationToken token;
  auto queued = session_->Submit({In(2)}, {.cancel = token});
  token.Cancel();
  auto r = queued.get();  // completes while the interpreter is still busy
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  GlobalGate().Open();
  ASSERT_TRUE(busy_.get().ok());
  EXPECT_EQ(GlobalGate().entered(), entered_before_ + 1);  // never ran
}

TEST_F(GatedSessionTest, DeadlineExceededWhileQueued) {
  auto queued = session_->Submit({In(2)}, {.deadline = Clock::now() + 5ms});
  EXPECT_EQ(queued.get().status().code(), StatusCode::kDeadlineExceeded);
  GlobalGate().Open();
  auto r = busy_.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].As<float>(), (std::vector<float>{1, 1, 1, 1}));
  EXPECT_EQ(session_->stats().device.deadline_exceeded, 1u);
}

TEST_F(GatedSessionTest, FullQueueRejects) {
  auto queued = session_->Submit({In(2)});
  auto rejected = session_->Run({In(3)});
  EXPECT_EQ(rejected.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(session_->stats().device.rejections, 1u);
  GlobalGate().Open();
  EXPECT_TRUE(busy_.get().ok());
  auto r = queued.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].As<float>(), (std::vector<float>{2, 2, 2, 2}));
}

// Run on a busy device queues the request and reads the caller's inputs
// (not a copy) when it is dispatched; the caller's vector outlives it.
TEST_F(GatedSessionTest, QueuedRunReadsTheCallersInputsWhenDispatched) {
  const std::vector<TensorData> inputs = {In(2)};
  StatusOr<Session::Outputs> result = InternalError("not run");
  std::thread caller([&] { result = session_->Run(inputs); });
  while (session_->stats().device.queued != 1) std::this_thread::yield();
  GlobalGate().Open();
  caller.join();
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ((*result)[0].As<float>(), (std::vector<float>{2, 2, 2, 2}));
  EXPECT_TRUE(busy_.get().ok());
}

TEST_F(GatedSessionTest, QueuedRunPastItsDeadlineReturnsWithoutRunning) {
  auto r = session_->Run({In(2)}, {.deadline = Clock::now() + 5ms});
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  GlobalGate().Open();
  EXPECT_TRUE(busy_.get().ok());
  EXPECT_EQ(GlobalGate().entered(), entered_before_ + 1);  // never ran
}

// Cancelling a request while its Invoke runs stops it at the next node: the
// gate op finishes, the MUL after it never runs, the result is kCancelled
// and the device counts it as cancelled (not as an error).
TEST(SessionCancelTest, CancellingARunningRequestStopsItAtTheNextNode) {
  SessionOptions o;
  o.num_interpreters = 1;
  o.interpreter.registry = &testing::GateRegistry();
  auto session = MakeSession(Must(testing::GateScaleModel(3.f)), o);
  ASSERT_NE(session, nullptr);
  const int entered = GlobalGate().entered();
  GlobalGate().Close();
  CancellationToken token;
  auto running = session->Submit(
      {TensorData::From<float>(DataType::kFloat32, {1, 4}, {1, 1, 1, 1})},
      {.cancel = token});
  GlobalGate().WaitEntered(entered + 1);
  token.Cancel();
  GlobalGate().Open();
  auto r = running.get();
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("after 1 of 2 nodes"));
  const SessionStats stats = session->stats();
  EXPECT_EQ(stats.device.cancelled, 1u);
  EXPECT_EQ(stats.device.errors, 0u);
  // The interpreter serves the next request normally (no stale flag).
  auto next = session->Run(
      {TensorData::From<float>(DataType::kFloat32, {1, 4}, {2, 2, 2, 2})});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ((*next)[0].As<float>(), (std::vector<float>{6, 6, 6, 6}));
}

class GatedWaitSessionTest : public GatedSessionTest {
  void configure(SessionOptions& o) override {
    o.queue_policy = QueuePolicy::kWait;
    o.queue_wait_timeout = 10ms;
  }
};

TEST_F(GatedWaitSessionTest, FullQueueWaitsThenTimesOut) {
  auto queued = session_->Submit({In(2)});
  auto timed_out = session_->Run({In(3)});
  EXPECT_EQ(timed_out.status().code(), StatusCode::kUnavailable);
  GlobalGate().Open();
  EXPECT_TRUE(busy_.get().ok());
  EXPECT_TRUE(queued.get().ok());
}

TEST_F(GatedSessionTest, DestructorCancelsQueued) {
  auto queued = session_->Submit({In(2)});
  std::thread destroyer([&] { session_.reset(); });
  EXPECT_EQ(queued.get().status().code(), StatusCode::kCancelled);
  GlobalGate().Open();
  destroyer.join();
  EXPECT_TRUE(busy_.get().ok());
}

}  // namespace
}  // namespace edgerun::session
