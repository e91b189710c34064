// Sessions on a shared scheduler (model grouping on a 1-slot device, the
// simulated accelerator, per-model stats, destruction), SwapModel (in-flight
// requests finish on the old model, refusal of incompatible models, 8
// client threads) and CPU fallback of a failing backend inside a session.
// Gate-held where order matters; no timing assertions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "backends/backend.h"
#include "backends/sim/sim_device.h"
#include "edgerun/session/session.h"
#include "format/tflite_generated.h"
#include "src/session/session_test_util.h"

namespace edgerun::session {
namespace {

using ::testing::HasSubstr;
using testing::GlobalGate;
using testing::MakeSession;
using testing::Must;
using testing::Reference;

std::shared_ptr<Scheduler> MakeShared(std::vector<DeviceSpec> devices) {
  auto s = Scheduler::Create(std::move(devices));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::shared_ptr<Scheduler>(std::move(s).value()) : nullptr;
}

TensorData In(float v) {
  return TensorData::From<float>(DataType::kFloat32, {1, 4}, {v, v, v, v});
}

// Completion order of callback requests.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> order;
  std::vector<StatusOr<Session::Outputs>> results;
  std::function<void(StatusOr<Session::Outputs>)> Done(std::string label) {
    return [this, label](StatusOr<Session::Outputs> r) {
      std::lock_guard<std::mutex> l(mu);
      order.push_back(label);
      results.push_back(std::move(r));
      cv.notify_all();
    };
  }
  void WaitFor(size_t n) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return order.size() >= n; });
  }
};

TEST(SharedSchedulerTest, TwoSessionsGroupedOnOneSlot) {
  auto sched = MakeShared({{.name = "cpu", .slots = 2},
                           {.name = "npu", .slots = 1, .max_queue = 16,
                            .group_by_model = true, .max_consecutive_same_model = 2}});
  SessionOptions o;
  o.scheduler = sched;
  o.device = "npu";
  o.interpreter.registry = &testing::GateRegistry();
  o.name = "a";
  auto a = MakeSession(Must(testing::GateModel()), o);
  o.name = "b";
  auto b = MakeSession(Must(testing::GateModel()), o);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->num_interpreters(), 1);  // one per device slot
  EXPECT_EQ(a->name(), "a");

  const int before = GlobalGate().entered();
  GlobalGate().Close();
  Recorder rec;
  a->SubmitWithCallback({In(0)}, {}, rec.Done("a0"));
  GlobalGate().WaitEntered(before + 1);
  b->SubmitWithCallback({In(1)}, {}, rec.Done("b1"));
  a->SubmitWithCallback({In(2)}, {}, rec.Done("a2"));
  a->SubmitWithCallback({In(3)}, {}, rec.Done("a3"));
  a->SubmitWithCallback({In(4)}, {}, rec.Done("a4"));
  b->SubmitWithCallback({In(5)}, {}, rec.Done("b5"));
  GlobalGate().Open();
  rec.WaitFor(6);
  // a2, a3 overtake b1 (the bound, 2), then b1 and b5 together, then a4.
  EXPECT_EQ(rec.order, (std::vector<std::string>{"a0", "a2", "a3", "b1", "b5", "a4"}));
  for (size_t i = 0; i < rec.results.size(); ++i) {
    ASSERT_TRUE(rec.results[i].ok()) << rec.results[i].status();
    const float v = static_cast<float>(rec.order[i][1] - '0');
    EXPECT_EQ((*rec.results[i])[0].As<float>(), (std::vector<float>{v, v, v, v}));
  }
  const SessionStats sa = a->stats();
  const SessionStats sb = b->stats();
  EXPECT_EQ(sa.name, "a");
  EXPECT_EQ(sa.model.completed, 4u);
  EXPECT_EQ(sb.model.completed, 2u);
  EXPECT_EQ(sa.device.name, "npu");
  EXPECT_EQ(sa.device.model_switches, 3u);  // a, b, a
  EXPECT_EQ(sa.device.models.size(), 2u);
  EXPECT_EQ(sched->stats(0).requests, 0u);  // nothing on the cpu device
}

TEST(SharedSchedulerTest, UnknownDeviceIsAnError) {
  auto sched = MakeShared({{.name = "cpu"}});
  auto s = Session::Create(Must(testing::FloatAffineModel(4, 1, 0)),
                           {.scheduler = sched, .device = "tpu"});
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
}

TEST(SharedSchedulerTest, DefaultNamesAreMadeUnique) {
  auto sched = MakeShared({{.name = "cpu", .slots = 2}});
  auto model = Must(testing::FloatAffineModel(4, 1, 0));
  auto s1 = MakeSession(model, {.scheduler = sched});
  auto s2 = MakeSession(model, {.scheduler = sched});
  EXPECT_EQ(s1->name(), "session");
  EXPECT_EQ(s2->name(), "session#2");
  EXPECT_EQ(s1->num_interpreters(), 2);
}

TEST(SharedSchedulerTest, DestroyingOneSessionCancelsOnlyItsQueuedRequests) {
  auto sched = MakeShared({{.name = "npu", .slots = 1, .max_queue = 8}});
  SessionOptions o;
  o.scheduler = sched;
  o.interpreter.registry = &testing::GateRegistry();
  auto a = MakeSession(Must(testing::GateModel()), o);
  auto b = MakeSession(Must(testing::GateModel()), o);
  const int before = GlobalGate().entered();
  GlobalGate().Close();
  auto running = a->Submit({In(1)});
  GlobalGate().WaitEntered(before + 1);
  auto queued_a = a->Submit({In(2)});
  auto queued_b = b->Submit({In(3)});
  std::thread destroyer([&] { a.reset(); });
  EXPECT_EQ(queued_a.get().status().code(), StatusCode::kCancelled);
  GlobalGate().Open();
  destroyer.join();
  EXPECT_TRUE(running.get().ok());
  auto rb = queued_b.get();
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ((*rb)[0].As<float>(), (std::vector<float>{3, 3, 3, 3}));
}

TEST(SharedSchedulerTest, SimAcceleratorSwitchesMatchScheduler) {
  // Two models on the simulated 1-slot accelerator, one on the CPU, from 4
  // threads: results equal a plain interpreter; the device's model loads
  // equal the scheduler's model_switches (the scheduler feeds it serially).
  auto sched = MakeShared({{.name = "cpu", .slots = 2, .max_queue = 64},
                           {.name = "sim", .slots = 1, .max_queue = 64,
                            .group_by_model = true, .max_consecutive_same_model = 4}});
  backends::sim::ResetSimDeviceStats();
  struct Entry {
    std::shared_ptr<const ModelFile> model;
    std::unique_ptr<Session> session;
    std::vector<TensorData> input;
    Session::Outputs want;
  };
  std::vector<Entry> entries;
  const char* devices[] = {"sim", "sim", "cpu"};
  for (int i = 0; i < 3; ++i) {
    Entry e;
    e.model = Must(testing::FloatAffineModel(8, 1.5f + i, -0.5f * i));
    SessionOptions o;
    o.scheduler = sched;
    o.device = devices[i];
    o.name = "m" + std::to_string(i);
    if (std::string(devices[i]) == "sim") o.interpreter.backends = {"sim"};
    e.session = MakeSession(e.model, o);
    ASSERT_NE(e.session, nullptr);
    std::vector<float> x(8);
    for (int k = 0; k < 8; ++k) x[k] = 0.25f * k - i;
    e.input = {TensorData::From<float>(DataType::kFloat32, {1, 8}, x)};
    auto want = Reference(e.model, e.input);
    ASSERT_TRUE(want.ok()) << want.status();
    e.want = *want;
    entries.push_back(std::move(e));
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t + 1);
      for (int i = 0; i < 25; ++i) {
        Entry& e = entries[rng() % entries.size()];
        auto got = e.session->Run(e.input);
        if (!got.ok() || *got != e.want) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  const DeviceStats sim = sched->stats(1);
  const backends::sim::DeviceStats dev = backends::sim::SimDeviceStats();
  EXPECT_EQ(dev.switches, sim.model_switches);
  EXPECT_EQ(dev.executes, sim.completed);
  EXPECT_EQ(dev.max_active, 1);
  EXPECT_EQ(sim.models.count("m2"), 0u);  // runs on the cpu device
  EXPECT_EQ(entries[2].session->stats().device.name, "cpu");
  EXPECT_EQ(entries[0].session->stats().fallbacks, 0u);
}

// ---- SwapModel

TEST(SwapModelTest, RunningRequestFinishesOnOldModelQueuedOnNew) {
  SessionOptions o;
  o.num_interpreters = 1;
  o.interpreter.registry = &testing::GateRegistry();
  auto old_model = Must(testing::GateScaleModel(1));
  std::weak_ptr<const ModelFile> old_weak = old_model;
  auto session = MakeSession(std::move(old_model), o);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->model_generation(), 1u);

  const int before = GlobalGate().entered();
  GlobalGate().Close();
  RunInfo running_info, queued_info;
  auto running = session->Submit({In(2)}, {.info = &running_info});
  GlobalGate().WaitEntered(before + 1);
  auto queued = session->Submit({In(3)}, {.info = &queued_info});
  ASSERT_TRUE(session->SwapModel(Must(testing::GateScaleModel(10))).ok());
  EXPECT_EQ(session->model_generation(), 2u);
  EXPECT_FALSE(old_weak.expired());  // the running request still uses it
  GlobalGate().Open();
  auto r1 = running.get();
  auto r2 = queued.get();
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ((*r1)[0].As<float>(), (std::vector<float>{2, 2, 2, 2}));
  EXPECT_EQ(running_info.model_generation, 1u);
  EXPECT_EQ((*r2)[0].As<float>(), (std::vector<float>{30, 30, 30, 30}));
  EXPECT_EQ(queued_info.model_generation, 2u);
  EXPECT_TRUE(old_weak.expired());  // freed with its last request
  EXPECT_EQ(session->stats().errors, 0u);
  EXPECT_EQ(session->stats().model_generation, 2u);
}

TEST(SwapModelTest, RefusesIncompatibleModelAndKeepsServing) {
  auto model = Must(testing::FloatAffineModel(4, 2, 1));
  auto session = MakeSession(model, {.num_interpreters = 1});
  const Status s = session->SwapModel(Must(testing::Uint8GatherModel(4)));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(),
              HasSubstr("input 0 ('indices') is int32 in the new model, float32 in "
                        "the current one"));
  EXPECT_EQ(session->SwapModel(nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(session->model_generation(), 1u);
  EXPECT_EQ(session->model(), model);
  RunInfo info;
  auto out = session->Run({In(1)}, {.info = &info});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].As<float>(), (std::vector<float>{3, 3, 3, 3}));
  EXPECT_EQ(info.model_generation, 1u);
  // A model that needs an unknown custom op fails to build: also refused.
  const Status g = session->SwapModel(Must(testing::GateModel()));
  EXPECT_FALSE(g.ok());
  EXPECT_THAT(g.message(), HasSubstr("session: new model"));
  EXPECT_EQ(session->model_generation(), 1u);
}

TEST(SwapModelTest, EightClientsDuringSwapsNeverFail) {
  std::vector<std::shared_ptr<const ModelFile>> models = {
      Must(testing::FloatAffineModel(16, 2, 1)), Must(testing::FloatAffineModel(16, -3, 0.5f)),
      Must(testing::FloatAffineModel(16, 0.5f, -2))};
  std::vector<std::vector<TensorData>> inputs;
  // want[m][i]: model m on input i, single-threaded.
  std::vector<std::vector<Session::Outputs>> want(models.size());
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-4, 4);
  for (int i = 0; i < 8; ++i) {
    std::vector<float> x(16);
    for (float& v : x) v = dist(rng);
    inputs.push_back({TensorData::From<float>(DataType::kFloat32, {1, 16}, x)});
    for (size_t m = 0; m < models.size(); ++m) {
      auto r = Reference(models[m], inputs.back());
      ASSERT_TRUE(r.ok());
      want[m].push_back(*r);
    }
  }
  auto session = MakeSession(models[0], {.num_interpreters = 2, .num_cores = 2,
                                         .max_queue = 64});
  ASSERT_NE(session, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, mismatches{0}, done{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !stop || i < 10; ++i) {
        const int input = (t + i) % static_cast<int>(inputs.size());
        RunInfo info;
        auto r = session->Run(inputs[input], {.info = &info});
        ++done;
        if (!r.ok()) {
          ++failures;
          continue;
        }
        // Generation g ran model (g - 1).
        const uint64_t g = info.model_generation;
        if (g < 1 || g > models.size() || *r != want[g - 1][input]) ++mismatches;
      }
    });
  }
  // Swap twice while the clients run (after some requests each time).
  for (size_t m = 1; m < models.size(); ++m) {
    const int target = done + 40;
    while (done < target) std::this_thread::yield();
    ASSERT_TRUE(session->SwapModel(models[m]).ok());
    RunInfo info;
    auto after = session->Run(inputs[0], {.info = &info});
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(info.model_generation, m + 1);  // dispatched after the swap
    EXPECT_EQ(*after, want[m][0]);
  }
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(mismatches, 0);
  const SessionStats s = session->stats();
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.model_generation, 3u);
  EXPECT_EQ(s.requests, s.ok);
}

// ---- A backend that fails at run time inside a session

// Claims float ADD and MUL; every Execute fails as if the device was lost.
class LostDeviceBackend final : public backends::Backend {
 public:
  std::string_view name() const override { return "lostdevice"; }
  bool IsAvailable() const override { return true; }
  planner::NodeSupport Supports(const planner::GraphView& graph, int node) const override {
    const int code = graph.node(node).builtin_code;
    if (code == tfl::BuiltinOperator_ADD || code == tfl::BuiltinOperator_MUL) {
      return planner::NodeSupport::Yes();
    }
    return planner::NodeSupport::No("not ADD or MUL");
  }
  StatusOr<std::unique_ptr<backends::CompiledSegment>> Compile(
      const planner::GraphView&, const backends::Segment&,
      const backends::BackendOptions&) const override {
    return std::unique_ptr<backends::CompiledSegment>(new Segment());
  }

 private:
  struct Segment final : backends::CompiledSegment {
    Status Reshape(const planner::GraphView&) override { return OkStatus(); }
    Status Execute(const planner::GraphView&) override {
      return InternalError("lostdevice: device lost");
    }
  };
};

TEST(SessionFallbackTest, FailingBackendFallsBackToCpuAndIsCounted) {
  backends::BackendRegistry registry;
  registry.Add(std::make_unique<LostDeviceBackend>());
  auto model = Must(testing::FloatAffineModel(4, 2, 1));
  SessionOptions o;
  o.num_interpreters = 1;
  o.interpreter.backends = {"lostdevice", "cpu"};
  o.interpreter.backend_registry = &registry;
  auto session = MakeSession(model, o);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->stats().fallbacks, 0u);  // everything was supported

  // What one plain interpreter reports after the same failure.
  auto plain = Interpreter::Create(model, o.interpreter);
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE((*plain)->AllocateTensors().ok());
  ASSERT_TRUE((*plain)->SetInput(0, In(1).bytes).ok());
  ASSERT_TRUE((*plain)->Invoke().ok());
  const size_t events = (*plain)->execution_plan().fallbacks.size();
  ASSERT_GE(events, 1u);

  auto out = session->Run({In(1)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].As<float>(), (std::vector<float>{3, 3, 3, 3}));
  EXPECT_EQ(session->stats().fallbacks, events);
  auto again = session->Run({In(2)});  // stays on the CPU, no new event
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].As<float>(), (std::vector<float>{5, 5, 5, 5}));
  const SessionStats s = session->stats();
  EXPECT_EQ(s.fallbacks, events);
  EXPECT_EQ(s.errors, 0u);
}

}  // namespace
}  // namespace edgerun::session
