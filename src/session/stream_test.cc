// Streams: keep-latest drops with exact counts, callbacks in frame order,
// the rate limit holding frames (counts only, no timings), errors, Close,
// and round-robin fairness of 3 streams on one interpreter, stepped one
// request at a time with the gate (session_test_util.h).
#include "edgerun/session/stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "src/session/session_test_util.h"

namespace edgerun::session {
namespace {

using namespace std::chrono_literals;
using testing::GlobalGate;

std::unique_ptr<Session> GateSession(size_t max_queue = 8) {
  SessionOptions o;
  o.num_interpreters = 1;
  o.max_queue = max_queue;
  o.interpreter.registry = &testing::GateRegistry();
  auto model = testing::GateModel();
  EXPECT_TRUE(model.ok());
  auto s = Session::Create(*model, o);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(s).value();
}

std::vector<TensorData> Frame(float v) {
  return {TensorData::From<float>(DataType::kFloat32, {1, 4}, {v, v, v, v})};
}

// Callback results, waitable.
struct Results {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> ids;
  std::vector<StatusOr<Session::Outputs>> results;
  Stream::Callback Callback() {
    return [this](uint64_t id, StatusOr<Session::Outputs> r) {
      std::lock_guard<std::mutex> l(mu);
      ids.push_back(id);
      results.push_back(std::move(r));
      cv.notify_all();
    };
  }
  void WaitFor(size_t n) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return ids.size() >= n; });
  }
};

std::unique_ptr<Stream> MakeStream(Session* session, StreamOptions options,
                                   Stream::Callback cb) {
  auto s = Stream::Create(session, std::move(options), std::move(cb));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(s).value() : nullptr;
}

class StreamTest : public ::testing::Test {
 protected:
  void TearDown() override { GlobalGate().Open(); }
};

TEST_F(StreamTest, CreateChecksArguments) {
  auto session = GateSession();
  auto cb = [](uint64_t, StatusOr<Session::Outputs>) {};
  EXPECT_EQ(Stream::Create(nullptr, {}, cb).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Stream::Create(session.get(), {}, nullptr).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Stream::Create(session.get(), {.max_rate_hz = -1}, cb).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(StreamTest, KeepLatestDropsWaitingFrames) {
  auto session = GateSession();
  Results results;
  auto stream = MakeStream(session.get(), {.name = "cam"}, results.Callback());
  const int before = GlobalGate().entered();
  GlobalGate().Close();
  EXPECT_EQ(stream->Push(Frame(1)), 1u);
  GlobalGate().WaitEntered(before + 1);  // frame 1 is in flight
  for (int f = 2; f <= 5; ++f) EXPECT_EQ(stream->Push(Frame(f)), static_cast<uint64_t>(f));
  // 2, 3, 4 were replaced; 5 waits; nothing else reached the session.
  EXPECT_EQ(session->stats().requests, 1u);
  GlobalGate().Open();
  results.WaitFor(2);
  stream->Close();
  EXPECT_EQ(results.ids, (std::vector<uint64_t>{1, 5}));
  ASSERT_TRUE(results.results[1].ok());
  EXPECT_EQ((*results.results[1])[0].As<float>(), (std::vector<float>{5, 5, 5, 5}));
  const StreamStats s = stream->stats();
  EXPECT_EQ(s.pushed, 5u);
  EXPECT_EQ(s.dropped, 3u);
  EXPECT_EQ(s.completed, 2u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.latency.count, 2u);
  const SessionStats ss = session->stats();
  EXPECT_EQ(ss.dropped, 3u);
  EXPECT_EQ(ss.requests, 2u);
  // Closed: later frames are dropped, no callback.
  stream->Push(Frame(6));
  EXPECT_EQ(stream->stats().dropped, 4u);
  EXPECT_EQ(session->stats().dropped, 4u);
}

TEST_F(StreamTest, MaxRateHoldsTheWaitingFrame) {
  auto session = GateSession();
  Results results;
  // One dispatch per 1000 s: after the first frame, everything waits.
  auto stream = MakeStream(session.get(), {.max_rate_hz = 0.001}, results.Callback());
  stream->Push(Frame(1));
  results.WaitFor(1);
  for (int f = 2; f <= 6; ++f) stream->Push(Frame(f));
  // Held, not dispatched, although the session is idle.
  EXPECT_EQ(session->stats().requests, 1u);
  stream->Close();  // drops the held frame
  EXPECT_EQ(results.ids, (std::vector<uint64_t>{1}));
  const StreamStats s = stream->stats();
  EXPECT_EQ(s.pushed, 6u);
  EXPECT_EQ(s.completed, 1u);
  EXPECT_EQ(s.dropped, 5u);
  EXPECT_EQ(session->stats().requests, 1u);
}

TEST_F(StreamTest, HighRateLimitDoesNotDropSequentialFrames) {
  auto session = GateSession();
  Results results;
  auto stream = MakeStream(session.get(), {.max_rate_hz = 1e9}, results.Callback());
  for (int f = 1; f <= 3; ++f) {
    stream->Push(Frame(f));
    results.WaitFor(f);
  }
  stream->Close();
  EXPECT_EQ(results.ids, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(stream->stats().dropped, 0u);
}

TEST_F(StreamTest, ErrorsReachTheCallback) {
  auto session = GateSession();
  Results results;
  auto stream = MakeStream(session.get(), {}, results.Callback());
  stream->Push({TensorData::From<int32_t>(DataType::kInt32, {1, 4}, {1, 2, 3, 4})});
  results.WaitFor(1);
  stream->Push(Frame(2));
  results.WaitFor(2);
  stream->Close();
  EXPECT_EQ(results.results[0].status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(results.results[1].ok());
  EXPECT_EQ(stream->stats().errors, 1u);
  EXPECT_EQ(stream->stats().completed, 1u);
}

TEST_F(StreamTest, CloseWaitsForTheInFlightFrame) {
  auto session = GateSession();
  Results results;
  auto stream = MakeStream(session.get(), {}, results.Callback());
  const int before = GlobalGate().entered();
  GlobalGate().Close();
  stream->Push(Frame(1));
  GlobalGate().WaitEntered(before + 1);
  stream->Push(Frame(2));  // waiting: Close drops it
  std::thread closer([&] { stream->Close(); });
  while (stream->stats().dropped < 1) std::this_thread::sleep_for(100us);
  GlobalGate().Open();  // only now can frame 1 finish
  closer.join();
  // Close returned only after frame 1's callback.
  EXPECT_EQ(results.ids, (std::vector<uint64_t>{1}));
  EXPECT_EQ(stream->stats().dropped, 1u);
}

TEST_F(StreamTest, ThreeStreamsShareOneInterpreterRoundRobin) {
  auto session = GateSession();
  constexpr int kStreams = 3;
  std::mutex mu;
  std::vector<int> order;  // stream index per completion
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(MakeStream(session.get(), {.name = "cam" + std::to_string(i)},
                                 [&, i](uint64_t, StatusOr<Session::Outputs> r) {
                                   EXPECT_TRUE(r.ok()) << r.status();
                                   std::lock_guard<std::mutex> l(mu);
                                   order.push_back(i);
                                 }));
  }
  const int before = GlobalGate().entered();
  GlobalGate().Close();
  // Every stream pushes continuously (keep-latest drops the excess).
  std::atomic<bool> stop{false};
  std::vector<std::thread> pushers;
  for (int i = 0; i < kStreams; ++i) {
    pushers.emplace_back([&, i] {
      for (float f = 0; !stop; ++f) {
        streams[i]->Push(Frame(f));
        std::this_thread::sleep_for(50us);
      }
    });
  }
  // Steady state: one request in the gate, the other two streams queued.
  auto wait_state = [&](int entered) {
    while (GlobalGate().entered() < entered || session->stats().device.queued < 2) {
      std::this_thread::sleep_for(100us);
    }
  };
  wait_state(before + 1);
  constexpr int kSteps = 30;
  for (int step = 1; step <= kSteps; ++step) {
    GlobalGate().Allow(1);
    wait_state(before + 1 + step);
  }
  {
    std::lock_guard<std::mutex> l(mu);
    ASSERT_EQ(order.size(), static_cast<size_t>(kSteps));
    int counts[kStreams] = {};
    for (size_t k = 0; k < order.size(); ++k) {
      ++counts[order[k]];
      const auto [lo, hi] = std::minmax({counts[0], counts[1], counts[2]});
      // Within +-1 of each other over every prefix of the window.
      EXPECT_LE(hi - lo, 1) << "after " << k + 1 << " completions";
    }
    EXPECT_EQ(counts[0], kSteps / kStreams);
  }
  stop = true;
  for (auto& p : pushers) p.join();
  GlobalGate().Open();
  for (auto& s : streams) s->Close();
  uint64_t dropped = 0;
  for (auto& s : streams) dropped += s->stats().dropped;
  EXPECT_EQ(session->stats().dropped, dropped);
}

}  // namespace
}  // namespace edgerun::session
