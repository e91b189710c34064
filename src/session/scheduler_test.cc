// Scheduler: ordering, bounded queues, deadlines, cancellation, stats.
// Work items block on futures the test controls; nothing asserts timings
// (waits are only upper bounds that fail a hung test).
#include "edgerun/session/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace edgerun::session {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr auto kHang = 30s;  // only a failing test waits this long

// A work item that signals when it starts and runs until released.
struct Blocker {
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> release_future = release.get_future().share();
  Scheduler::Work work() {
    return [this] {
      started.set_value();
      release_future.wait();
      return OkStatus();
    };
  }
};

// Completion that can be waited on.
struct Result {
  std::promise<Status> promise;
  std::future<Status> future = promise.get_future();
  Scheduler::Done done() {
    return [this](Status s) { promise.set_value(std::move(s)); };
  }
  Status Get() {
    EXPECT_EQ(future.wait_for(kHang), std::future_status::ready);
    return future.get();
  }
};

std::unique_ptr<Scheduler> MakeScheduler(DeviceSpec spec) {
  auto s = Scheduler::Create({std::move(spec)});
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(s).value();
}

TEST(SchedulerTest, InlineRunUsesTheCallerThreadAndHoldsASlot) {
  auto sched = MakeScheduler({.name = "dev", .slots = 1});
  std::thread::id ran_on;
  std::optional<Status> r = sched->TryRunInline(0, {}, [&] {
    ran_on = std::this_thread::get_id();
    return OkStatus();
  });
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(ran_on, std::this_thread::get_id());

  // While an inline run holds the only slot, a queued item must wait, and a
  // second inline attempt is refused (nullopt: go through Submit).
  std::promise<void> inline_started;
  std::promise<void> release_inline;
  std::thread holder([&] {
    std::optional<Status> held = sched->TryRunInline(0, {}, [&] {
      inline_started.set_value();
      release_inline.get_future().wait();
      return OkStatus();
    });
    EXPECT_TRUE(held.has_value());
  });
  inline_started.get_future().wait();
  EXPECT_FALSE(sched->TryRunInline(0, {}, [] { return OkStatus(); }).has_value());
  std::atomic<bool> queued_ran{false};
  Result queued;
  ASSERT_TRUE(sched->Submit(0, {}, [&] {
                queued_ran = true;
                return OkStatus();
              }, queued.done()).ok());
  EXPECT_EQ(sched->stats(0).queued, 1u);  // the worker waits for the slot
  EXPECT_FALSE(queued_ran.load());
  release_inline.set_value();
  holder.join();
  EXPECT_TRUE(queued.Get().ok());
  EXPECT_TRUE(queued_ran.load());

  // Refused while something is queued, so inline runs never overtake.
  Blocker blocker;
  Result first, second;
  ASSERT_TRUE(sched->Submit(0, {}, blocker.work(), first.done()).ok());
  blocker.started.get_future().wait();
  ASSERT_TRUE(sched->Submit(0, {}, [] { return OkStatus(); }, second.done()).ok());
  EXPECT_FALSE(sched->TryRunInline(0, {}, [] { return OkStatus(); }).has_value());
  blocker.release.set_value();
  EXPECT_TRUE(first.Get().ok());
  EXPECT_TRUE(second.Get().ok());

  const DeviceStats st = sched->stats(0);
  EXPECT_EQ(st.requests, 5u);
  EXPECT_EQ(st.completed, 5u);
  EXPECT_EQ(st.queue_wait.count, 5u);
}

TEST(SchedulerTest, InlineRunRefusesCancelledAndExpiredRequests) {
  auto sched = MakeScheduler({.name = "dev", .slots = 1});
  CancellationToken token;
  token.Cancel();
  bool ran = false;
  auto work = [&] {
    ran = true;
    return OkStatus();
  };
  std::optional<Status> c = sched->TryRunInline(0, {.cancel = token}, work);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->code(), StatusCode::kCancelled);
  std::optional<Status> d =
      sched->TryRunInline(0, {.deadline = Clock::now() - 1ms}, work);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->code(), StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(ran);
  EXPECT_EQ(sched->stats(0).cancelled, 1u);
  EXPECT_EQ(sched->stats(0).deadline_exceeded, 1u);
}

TEST(SchedulerTest, CreateChecksDevices) {
  EXPECT_EQ(Scheduler::Create({}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Scheduler::Create({{.name = "cpu", .slots = 0}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_THAT(Scheduler::Create({{.name = "a"}, {.name = "a"}}).status().message(),
              HasSubstr("given twice"));
  auto s = Scheduler::Create({{.name = "cpu", .slots = 2}, {.name = "npu"}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*(*s)->DeviceIndex("npu"), 1);
  EXPECT_EQ((*s)->DeviceIndex("gpu").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*s)->Submit(5, {}, [] { return OkStatus(); }, [](Status) {}).code(),
            StatusCode::kInvalidArgument);
}

TEST(SchedulerTest, OrdersByPriorityThenDeadlineThenArrival) {
  auto sched = MakeScheduler({.name = "npu", .slots = 1});
  Blocker blocker;
  Result first;
  ASSERT_TRUE(sched->Submit(0, {}, blocker.work(), first.done()).ok());
  blocker.started.get_future().wait();

  std::mutex mu;
  std::vector<std::string> order;
  std::vector<std::unique_ptr<Result>> results;
  auto submit = [&](std::string name, int priority,
                    std::optional<Clock::time_point> deadline) {
    results.push_back(std::make_unique<Result>());
    WorkOptions o{.priority = priority, .deadline = deadline};
    ASSERT_TRUE(sched->Submit(0, o,
                              [&, name] {
                                std::lock_guard<std::mutex> l(mu);
                                order.push_back(name);
                                return OkStatus();
                              },
                              results.back()->done())
                    .ok());
  };
  const auto far = Clock::now() + 1h;
  submit("low", 0, std::nullopt);
  submit("high-late", 5, far + 10s);
  submit("low-2", 0, std::nullopt);
  submit("high-early", 5, far);
  submit("high-none", 5, std::nullopt);
  submit("mid", 1, std::nullopt);
  blocker.release.set_value();
  for (auto& r : results) EXPECT_TRUE(r->Get().ok());
  EXPECT_TRUE(first.Get().ok());
  EXPECT_EQ(order, (std::vector<std::string>{"high-early", "high-late", "high-none",
                                             "mid", "low", "low-2"}));
  const DeviceStats stats = sched->stats(0);
  EXPECT_EQ(stats.requests, 7u);
  EXPECT_EQ(stats.completed, 7u);
  EXPECT_EQ(stats.queue_wait.count, 7u);
  EXPECT_EQ(stats.run.count, 7u);
  EXPECT_LE(stats.run.p50_us, stats.run.p99_us);
}

TEST(SchedulerTest, SlotsRunConcurrently) {
  auto sched = MakeScheduler({.name = "cpu", .slots = 3});
  Blocker b[3];
  Result r[3];
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sched->Submit(0, {}, b[i].work(), r[i].done()).ok());
  // All three start although none has finished: three slots.
  for (auto& x : b) x.started.get_future().wait();
  EXPECT_EQ(sched->stats(0).running, 3);
  for (auto& x : b) x.release.set_value();
  for (auto& x : r) EXPECT_TRUE(x.Get().ok());
}

TEST(SchedulerTest, QueuedRequestPastDeadlineNeverRuns) {
  auto sched = MakeScheduler({.name = "npu", .slots = 1});
  Blocker blocker;
  Result first, late;
  ASSERT_TRUE(sched->Submit(0, {}, blocker.work(), first.done()).ok());
  blocker.started.get_future().wait();
  std::atomic<bool> ran{false};
  ASSERT_TRUE(sched->Submit(0, {.deadline = Clock::now() + 5ms},
                            [&] {
                              ran = true;
                              return OkStatus();
                            },
                            late.done())
                  .ok());
  // Expires while the slot is still busy (the reaper, not a worker).
  const Status s = late.Get();
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s;
  blocker.release.set_value();
  EXPECT_TRUE(first.Get().ok());
  EXPECT_FALSE(ran);
  EXPECT_EQ(sched->stats(0).deadline_exceeded, 1u);
  // Already past at Submit: refused, done not called.
  EXPECT_EQ(sched->Submit(0, {.deadline = Clock::now() - 1ms},
                          [] { return OkStatus(); }, [](Status) { FAIL(); })
                .code(),
            StatusCode::kDeadlineExceeded);
}

TEST(SchedulerTest, CancelledQueuedRequestCompletesAndNeverRuns) {
  auto sched = MakeScheduler({.name = "npu", .slots = 1});
  Blocker blocker;
  Result first, cancelled, kept;
  ASSERT_TRUE(sched->Submit(0, {}, blocker.work(), first.done()).ok());
  blocker.started.get_future().wait();
  CancellationToken token;
  std::atomic<int> ran{0};
  auto count = [&] {
    ++ran;
    return OkStatus();
  };
  ASSERT_TRUE(sched->Submit(0, {.cancel = token}, count, cancelled.done()).ok());
  ASSERT_TRUE(sched->Submit(0, {}, count, kept.done()).ok());
  token.Cancel();
  // Completes at once, while the slot is still busy.
  EXPECT_EQ(cancelled.Get().code(), StatusCode::kCancelled);
  EXPECT_EQ(sched->stats(0).queued, 1u);
  blocker.release.set_value();
  EXPECT_TRUE(kept.Get().ok());
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(sched->stats(0).cancelled, 1u);
  // A cancelled token refuses new work.
  EXPECT_EQ(sched->Submit(0, {.cancel = token}, count, [](Status) {}).code(),
            StatusCode::kCancelled);
}

TEST(SchedulerTest, FullQueueRejects) {
  auto sched = MakeScheduler({.name = "npu", .slots = 1, .max_queue = 1,
                              .policy = QueuePolicy::kReject});
  Blocker blocker;
  Result first, queued;
  ASSERT_TRUE(sched->Submit(0, {}, blocker.work(), first.done()).ok());
  blocker.started.get_future().wait();
  ASSERT_TRUE(sched->Submit(0, {}, [] { return OkStatus(); }, queued.done()).ok());
  const Status s = sched->Submit(0, {}, [] { return OkStatus(); }, [](Status) {});
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("queue full"));
  EXPECT_EQ(sched->stats(0).rejections, 1u);
  blocker.release.set_value();
  EXPECT_TRUE(queued.Get().ok());
}

TEST(SchedulerTest, FullQueueWaitsThenTimesOut) {
  auto sched = MakeScheduler({.name = "npu", .slots = 1, .max_queue = 1,
                              .policy = QueuePolicy::kWait,
                              .wait_timeout = 10ms});
  Blocker blocker;
  Result first, queued;
  ASSERT_TRUE(sched->Submit(0, {}, blocker.work(), first.done()).ok());
  blocker.started.get_future().wait();
  ASSERT_TRUE(sched->Submit(0, {}, [] { return OkStatus(); }, queued.done()).ok());
  // Nothing frees space: gives up after the timeout.
  const Status s = sched->Submit(0, {}, [] { return OkStatus(); }, [](Status) {});
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(sched->stats(0).rejections, 1u);
  blocker.release.set_value();
  EXPECT_TRUE(first.Get().ok());
  EXPECT_TRUE(queued.Get().ok());
}

TEST(SchedulerTest, FullQueueWaitSucceedsWhenSpaceFrees) {
  auto sched = MakeScheduler({.name = "npu", .slots = 1, .max_queue = 1,
                              .policy = QueuePolicy::kWait,
                              .wait_timeout = kHang});
  Blocker blocker;
  Result first, queued, waited;
  ASSERT_TRUE(sched->Submit(0, {}, blocker.work(), first.done()).ok());
  blocker.started.get_future().wait();
  ASSERT_TRUE(sched->Submit(0, {}, [] { return OkStatus(); }, queued.done()).ok());
  std::thread submitter([&] {
    EXPECT_TRUE(sched->Submit(0, {}, [] { return OkStatus(); }, waited.done()).ok());
  });
  blocker.release.set_value();
  submitter.join();
  EXPECT_TRUE(waited.Get().ok());
  EXPECT_EQ(sched->stats(0).rejections, 0u);
}

TEST(SchedulerTest, ErrorsAreCountedAndReturned) {
  auto sched = MakeScheduler({.name = "cpu", .slots = 2});
  Result bad, good;
  ASSERT_TRUE(sched->Submit(0, {}, [] { return InternalError("boom"); }, bad.done()).ok());
  ASSERT_TRUE(sched->Submit(0, {}, [] { return OkStatus(); }, good.done()).ok());
  EXPECT_EQ(bad.Get(), InternalError("boom"));
  EXPECT_TRUE(good.Get().ok());
  const DeviceStats s = sched->stats(0);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.completed, 1u);
}

TEST(SchedulerTest, DestructorCancelsQueuedWork) {
  auto sched = MakeScheduler({.name = "npu", .slots = 1});
  Blocker blocker;
  Result first, queued;
  ASSERT_TRUE(sched->Submit(0, {}, blocker.work(), first.done()).ok());
  blocker.started.get_future().wait();
  std::atomic<bool> ran{false};
  ASSERT_TRUE(sched->Submit(0, {}, [&] { ran = true; return OkStatus(); },
                            queued.done()).ok());
  std::thread destroyer([&] { sched.reset(); });
  EXPECT_EQ(queued.Get().code(), StatusCode::kCancelled);
  blocker.release.set_value();
  destroyer.join();
  EXPECT_TRUE(first.Get().ok());
  EXPECT_FALSE(ran);
}

TEST(SchedulerTest, CancelRacesWithDispatch) {
  // Cancel while workers pick items up: each completes exactly once, either
  // ran-and-OK or cancelled-without-running.
  constexpr int kN = 200;
  auto sched = MakeScheduler({.name = "cpu", .slots = 2, .max_queue = kN});
  std::vector<std::unique_ptr<Result>> results;
  std::vector<CancellationToken> tokens(kN);
  std::vector<std::atomic<int>> ran(kN);
  for (int i = 0; i < kN; ++i) {
    results.push_back(std::make_unique<Result>());
    ASSERT_TRUE(sched->Submit(0, {.cancel = tokens[i]},
                              [&, i] { ++ran[i]; return OkStatus(); },
                              results.back()->done()).ok());
    if (i % 2 == 0) tokens[i].Cancel();
  }
  for (int i = 0; i < kN; ++i) {
    const Status s = results[i]->Get();
    if (s.ok()) {
      EXPECT_EQ(ran[i], 1);
    } else {
      EXPECT_EQ(s.code(), StatusCode::kCancelled);
      EXPECT_EQ(ran[i], 0);
    }
  }
}

// Model grouping: a 1-slot device held by a Blocker of group `first`, then
// `groups` submitted in order; returns the dispatch order (as indices into
// `groups`) once everything ran.
struct GroupRun {
  std::vector<int> order;
  DeviceStats stats;
};
GroupRun RunGrouped(DeviceSpec spec, uint64_t first, const std::vector<uint64_t>& groups,
                    const std::vector<int>& priorities = {},
                    Scheduler* shared = nullptr) {
  std::unique_ptr<Scheduler> own;
  Scheduler* sched = shared;
  if (sched == nullptr) {
    own = MakeScheduler(std::move(spec));
    sched = own.get();
  }
  Blocker blocker;
  Result held;
  EXPECT_TRUE(sched->Submit(0, {.group = first}, blocker.work(), held.done()).ok());
  blocker.started.get_future().wait();
  std::mutex mu;
  GroupRun run;
  std::vector<std::unique_ptr<Result>> results;
  for (size_t i = 0; i < groups.size(); ++i) {
    results.push_back(std::make_unique<Result>());
    WorkOptions o{.priority = priorities.empty() ? 0 : priorities[i], .group = groups[i]};
    EXPECT_TRUE(sched->Submit(0, o,
                              [&, i] {
                                std::lock_guard<std::mutex> l(mu);
                                run.order.push_back(static_cast<int>(i));
                                return OkStatus();
                              },
                              results.back()->done())
                    .ok());
  }
  blocker.release.set_value();
  EXPECT_TRUE(held.Get().ok());
  for (auto& r : results) EXPECT_TRUE(r->Get().ok());
  run.stats = sched->stats(0);
  return run;
}

TEST(SchedulerGroupingTest, PrefersLastModelUpToTheBound) {
  auto sched = MakeScheduler({.name = "npu", .slots = 1, .max_queue = 32,
                              .group_by_model = true, .max_consecutive_same_model = 3});
  const uint64_t a = sched->RegisterGroup("a");
  const uint64_t b = sched->RegisterGroup("b");
  // Queue: b0 a1 a2 a3 a4 a5 a6 b7, device last ran `a`.
  GroupRun run = RunGrouped({}, a, {b, a, a, a, a, a, a, b}, {}, sched.get());
  // a1..a3 overtake b0 (3 bypasses = the bound), then b0, then b7 (same
  // model, overtaking a4..a6 once each), then a4..a6.
  EXPECT_EQ(run.order, (std::vector<int>{1, 2, 3, 0, 7, 4, 5, 6}));
  EXPECT_EQ(run.stats.model_switches, 3u);  // a (held), b, a
  ASSERT_EQ(run.stats.models.count("a"), 1u);
  ASSERT_EQ(run.stats.models.count("b"), 1u);
  EXPECT_EQ(run.stats.models.at("a").requests, 7u);
  EXPECT_EQ(run.stats.models.at("a").completed, 7u);
  EXPECT_EQ(run.stats.models.at("b").completed, 2u);
  EXPECT_EQ(run.stats.models.at("b").queue_wait.count, 2u);
  EXPECT_EQ(run.stats.models.at("b").run.count, 2u);
}

TEST(SchedulerGroupingTest, WithoutGroupingFifoAndMoreSwitches) {
  auto sched = MakeScheduler({.name = "npu", .slots = 1, .max_queue = 32});
  const uint64_t a = sched->RegisterGroup("a");
  const uint64_t b = sched->RegisterGroup("b");
  GroupRun run = RunGrouped({}, a, {b, a, a, a, a, a, a, b}, {}, sched.get());
  EXPECT_EQ(run.order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(run.stats.model_switches, 4u);  // a, b, a, b
}

TEST(SchedulerGroupingTest, PriorityStillFirstAndGroupingWithinALevel) {
  auto sched = MakeScheduler({.name = "npu", .slots = 1, .max_queue = 32,
                              .group_by_model = true, .max_consecutive_same_model = 8});
  const uint64_t a = sched->RegisterGroup("a");
  const uint64_t b = sched->RegisterGroup("b");
  // b1 (priority 1) runs first although the device last ran `a`; at level
  // 0 the device now prefers `b`, so b2 overtakes a0.
  GroupRun run = RunGrouped({}, a, {a, b, b, a}, {0, 1, 0, 0}, sched.get());
  EXPECT_EQ(run.order, (std::vector<int>{1, 2, 0, 3}));
}

TEST(SchedulerGroupingTest, NoItemOvertakenMoreThanTheBound) {
  // Random mixes of 3 models: every item is overtaken (a later-submitted
  // item dispatched first) at most max_consecutive_same_model times.
  for (int bound : {1, 2, 5}) {
    for (uint32_t seed = 1; seed <= 5; ++seed) {
      auto sched = MakeScheduler({.name = "npu", .slots = 1, .max_queue = 64,
                                  .group_by_model = true,
                                  .max_consecutive_same_model = bound});
      std::vector<uint64_t> ids = {sched->RegisterGroup("m"), sched->RegisterGroup("m"),
                                   sched->RegisterGroup("m")};
      std::mt19937 rng(seed);
      std::vector<uint64_t> groups;
      for (int i = 0; i < 48; ++i) groups.push_back(ids[rng() % 3]);
      GroupRun run = RunGrouped({}, ids[0], groups, {}, sched.get());
      ASSERT_EQ(run.order.size(), groups.size());
      std::vector<int> overtaken(groups.size(), 0);
      for (size_t pos = 0; pos < run.order.size(); ++pos) {
        for (size_t later = pos + 1; later < run.order.size(); ++later) {
          if (run.order[later] < run.order[pos]) ++overtaken[run.order[later]];
        }
      }
      for (size_t i = 0; i < groups.size(); ++i) {
        EXPECT_LE(overtaken[i], bound) << "item " << i << " seed " << seed;
      }
      // Unique stats names for groups registered with one name.
      EXPECT_EQ(run.stats.models.count("m#3"), 1u);
    }
  }
}

TEST(SchedulerGroupingTest, CreateChecksBoundAndCancelQueuedByGroup) {
  EXPECT_EQ(Scheduler::Create({{.name = "npu", .group_by_model = true,
                                .max_consecutive_same_model = 0}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  auto sched = MakeScheduler({.name = "npu", .slots = 1});
  EXPECT_EQ(sched->GroupName(0), "default");
  EXPECT_EQ(sched->RegisterGroup("default"), 1u);
  EXPECT_EQ(sched->GroupName(1), "default#2");
  EXPECT_EQ(sched->GroupName(2), "");
  const uint64_t a = sched->RegisterGroup("a");
  Blocker blocker;
  Result held, qa, qb;
  ASSERT_TRUE(sched->Submit(0, {.group = a}, blocker.work(), held.done()).ok());
  blocker.started.get_future().wait();
  ASSERT_TRUE(sched->Submit(0, {.group = a}, [] { return OkStatus(); }, qa.done()).ok());
  ASSERT_TRUE(sched->Submit(0, {}, [] { return OkStatus(); }, qb.done()).ok());
  EXPECT_EQ(sched->CancelQueued(0, a), 1u);
  EXPECT_EQ(qa.Get().code(), StatusCode::kCancelled);
  blocker.release.set_value();
  EXPECT_TRUE(held.Get().ok());
  EXPECT_TRUE(qb.Get().ok());
  const DeviceStats s = sched->stats(0);
  EXPECT_EQ(s.models.at("a").cancelled, 1u);
  EXPECT_EQ(s.models.at("a").completed, 1u);
  EXPECT_EQ(s.models.at("default").completed, 1u);
}

TEST(LatencyHistogramTest, Percentiles) {
  LatencyHistogram h;
  EXPECT_EQ(h.PercentileMicros(0.5), 0);
  for (int i = 1; i <= 100; ++i) h.Record(std::chrono::microseconds(i * 100));
  const LatencySummary s = LatencySummary::Of(h);
  EXPECT_EQ(s.count, 100u);
  // Bucket upper bounds: within one bucket (19%) above the exact value.
  EXPECT_GE(s.p50_us, 5000);
  EXPECT_LE(s.p50_us, 5000 * 1.2);
  EXPECT_GE(s.p90_us, 9000);
  EXPECT_LE(s.p90_us, 9000 * 1.2);
  EXPECT_GE(s.p99_us, 9900);
  EXPECT_LE(s.p99_us, 10000);  // capped by the max
  EXPECT_EQ(s.max_us, 10000);
}

}  // namespace
}  // namespace edgerun::session
