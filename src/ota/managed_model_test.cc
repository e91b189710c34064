// PrepareAndActivate and ManagedModel: verify + self-test before going live,
// hot swap under concurrent clients, health window with automatic rollback,
// device policy applied at the next swap, restart during a window.
#include "edgerun/ota/managed_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "edgerun/ota/activation.h"
#include "tests/ota/activation_test_util.h"

namespace edgerun::ota {
namespace {

using session::RunInfo;
using session::Session;
using session::SessionMode;
using session::TensorData;
using testing::AffineModelBytes;
using testing::AffineSelfTest;
using testing::GatherExpected;
using testing::GatherModelBytes;
using testing::GatherSelfTest;
using testing::Indices;
using testing::InstallModel;

// A clock the test moves by hand.
class FakeClock {
 public:
  Clock::time_point Now() const {
    return Clock::time_point(Clock::duration(ticks_.load()));
  }
  void Advance(Clock::duration d) { ticks_ += d.count(); }
  HealthMonitor::NowFn Fn() {
    return [this] { return Now(); };
  }

 private:
  std::atomic<Clock::rep> ticks_{1'000'000'000};
};

TensorData FloatInput(float base) {
  return TensorData::From<float>(DataType::kFloat32, {1, 4},
                                 {base, base + 1, base + 2, base + 3});
}

class ManagedModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/edgerun_managed_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(env_->RemoveDirRecursive(dir_).ok());
    ASSERT_TRUE(env_->CreateDirs(dir_).ok());
    auto store = ModelStore::Open(env_, JoinPath(dir_, "store"), {});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    (void)env_->RemoveDirRecursive(dir_);
  }

  ManagedModelOptions Options(int interpreters = 2) {
    ManagedModelOptions o;
    o.session.mode = SessionMode::kThroughput;
    o.session.num_interpreters = interpreters;
    o.session.max_queue = 256;
    o.health.window = std::chrono::seconds(10);
    o.health.min_requests = 20;
    o.health.max_error_rate = 0.05;
    o.health.max_p99_latency_ratio = 0;  // the fake clock makes latencies 0
    o.now = clock_.Fn();
    o.events = &events_;
    return o;
  }

  // v1 of "m" (y = 2x + 1), active and marked good: the baseline most
  // tests update from.
  Status InstallGoodV1() {
    return InstallModel(*store_, "m", 1, AffineModelBytes(2, 1), {}, true,
                        true);
  }

  int64_t StoreActive() {
    auto a = store_->Active("m");
    return a.ok() ? a->version : -1;
  }

  Env* env_ = Env::Default();
  std::string dir_;
  std::unique_ptr<ModelStore> store_;
  FakeClock clock_;
  EventLog events_{256};
};

TEST_F(ManagedModelTest, SelfTestConfigParsing) {
  EXPECT_EQ(ParseSelfTestConfig(R"({"atol": 0.25})")->atol, 0.25);
  EXPECT_EQ(ParseSelfTestConfig(R"({"atol": 0.25})")->rtol, 0);
  EXPECT_EQ(ParseSelfTestConfig(SelfTestConfigJson(0.5))->atol, 0.5);
  const auto both = ParseSelfTestConfig(SelfTestConfigJson(0.5, 0.01));
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->atol, 0.5);
  EXPECT_EQ(both->rtol, 0.01);
  EXPECT_EQ(ParseSelfTestConfig("{}").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSelfTestConfig(R"({"rtol": 0.1})").status().code(),
            StatusCode::kInvalidArgument);  // atol is required
  EXPECT_EQ(ParseSelfTestConfig(R"({"atol": -1})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSelfTestConfig(R"({"atol": 1, "rtol": -2})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSelfTestConfig(R"({"atol": 1, "rtol": "x"})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSelfTestConfig(R"({"atol": 1, "btol": 2})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSelfTestConfig("not json").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ManagedModelTest, PrepareAndActivateRunsSelfTestThenActivates) {
  ASSERT_TRUE(InstallGoodV1().ok());
  ASSERT_TRUE(InstallModel(*store_, "m", 2, AffineModelBytes(3, 0),
                           AffineSelfTest({3, 6, 9, 12}))
                  .ok());
  auto report =
      PrepareAndActivate(*store_, "m", 2, {.reason = "test"}, &events_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->version, 2);
  EXPECT_EQ(report->from_version, 1);
  EXPECT_TRUE(report->self_test_ran);
  ASSERT_EQ(report->self_test_outputs.size(), 1u);
  EXPECT_TRUE(report->self_test_outputs[0].pass);
  EXPECT_EQ(report->model_sha256, Sha256Hex(AffineModelBytes(3, 0)));
  EXPECT_EQ(StoreActive(), 2);
  EXPECT_EQ(events_.Count(UpdateEventType::kSelfTestPassed), 1u);
  EXPECT_EQ(events_.Count(UpdateEventType::kActivated), 1u);
}

TEST_F(ManagedModelTest, DamagedFileIsNeverActivated) {
  ASSERT_TRUE(InstallGoodV1().ok());
  ASSERT_TRUE(InstallModel(*store_, "m", 2, AffineModelBytes(3, 0),
                           AffineSelfTest({3, 6, 9, 12}))
                  .ok());
  // Flip the expected output after commit: the hash check catches it.
  const std::string path =
      JoinPath(*store_->VersionDir("m", 2), SelfTestOutputFile(0));
  std::string bytes = *env_->ReadFileToString(path);
  bytes.back() ^= 1;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  auto report =
      PrepareAndActivate(*store_, "m", 2, {.reason = "test"}, &events_);
  EXPECT_EQ(report.status().code(), StatusCode::kDataLoss) << report.status();
  EXPECT_EQ(StoreActive(), 1);
  EXPECT_EQ(events_.Count(UpdateEventType::kRejected), 1u);
  EXPECT_EQ(events_.Count(UpdateEventType::kActivated), 0u);
}

// selftest.json's rtol is applied: v2 computes 3x, its self-test expects
// 3.3x (10% high). rtol 0.05 rejects it, rtol 0.1 accepts it.
TEST_F(ManagedModelTest, SelfTestAppliesTheRelativeTolerance) {
  ASSERT_TRUE(InstallGoodV1().ok());
  const std::vector<float> high = {3.3f, 6.6f, 9.9f, 13.2f};
  ASSERT_TRUE(InstallModel(*store_, "m", 2, AffineModelBytes(3, 0),
                           AffineSelfTest(high, 0, 0.05))
                  .ok());
  auto refused =
      PrepareAndActivate(*store_, "m", 2, {.reason = "test"}, &events_);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition)
      << refused.status();
  EXPECT_NE(refused.status().message().find("rtol 0.05"), std::string::npos)
      << refused.status();
  EXPECT_EQ(StoreActive(), 1);
  ASSERT_TRUE(InstallModel(*store_, "m", 3, AffineModelBytes(3, 0),
                           AffineSelfTest(high, 0, 0.1))
                  .ok());
  auto report =
      PrepareAndActivate(*store_, "m", 3, {.reason = "test"}, &events_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->self_test_ran);
  EXPECT_EQ(report->self_test_rtol, 0.1);
  EXPECT_EQ(StoreActive(), 3);
}

TEST_F(ManagedModelTest, FailingSelfTestIsNeverActivated) {
  ASSERT_TRUE(InstallGoodV1().ok());
  // v2 computes 3x, its self-test expects 3x + 1 (tolerance 0.5).
  ASSERT_TRUE(InstallModel(*store_, "m", 2, AffineModelBytes(3, 0),
                           AffineSelfTest({4, 7, 10, 13}, 0.5))
                  .ok());
  auto managed = ManagedModel::Create(store_.get(), "m", Options());
  ASSERT_TRUE(managed.ok()) << managed.status();
  auto report = (*managed)->ActivateVersion(2, "update");
  EXPECT_EQ(report.status().code(), StatusCode::kFailedPrecondition)
      << report.status();
  EXPECT_NE(report.status().message().find("self-test"), std::string::npos)
      << report.status();
  EXPECT_EQ(StoreActive(), 1);
  EXPECT_EQ(events_.Count(UpdateEventType::kSelfTestFailed), 1u);
  EXPECT_EQ(events_.Count(UpdateEventType::kRejected), 1u);
  EXPECT_EQ(events_.Count(UpdateEventType::kActivated), 0u);
  const ServingInfo serving = (*managed)->serving();
  EXPECT_EQ(serving.version, 1);
  EXPECT_EQ(serving.generation, 1u);
  EXPECT_FALSE(serving.in_health_window);
  auto out = (*managed)->Run({FloatInput(1)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].As<float>(), (std::vector<float>{3, 5, 7, 9}));
  const auto history1 = store_->History("m");
  ASSERT_TRUE(history1.ok());
  bool recorded = false;
  for (const auto& e : *history1) {
    if (e.version != 2) continue;
    EXPECT_TRUE(e.event == "staged" || e.event == "committed" ||
                e.event == "rejected")
        << e.event;
    if (e.event == "rejected") {
      recorded = true;
      EXPECT_NE(e.reason.find("self-test"), std::string::npos) << e.reason;
    }
  }
  EXPECT_TRUE(recorded) << "the self-test failure is in the store history";
  // The store marks it rejected, so the Updater will not offer it again.
  auto versions = store_->List("m");
  ASSERT_TRUE(versions.ok());
  bool rejected = false;
  for (const auto& v : *versions) {
    if (v.version == 2) rejected = v.rejected;
  }
  EXPECT_TRUE(rejected);
}

// 8 clients call Run in a loop while version 2 is swapped in: no request
// fails, and each result equals what a single-threaded Session of the
// generation that served it returns.
TEST_F(ManagedModelTest, HotSwapUnderEightClientsLosesNoRequest) {
  const std::string v1 = AffineModelBytes(2, 1), v2 = AffineModelBytes(3, 0);
  ASSERT_TRUE(InstallModel(*store_, "m", 1, v1, {}, true, true).ok());
  ASSERT_TRUE(
      InstallModel(*store_, "m", 2, v2, AffineSelfTest({3, 6, 9, 12})).ok());
  auto managed = ManagedModel::Create(store_.get(), "m", Options());
  ASSERT_TRUE(managed.ok()) << managed.status();
  ManagedModel& m = **managed;

  // Reference outputs: one single-threaded Session per version.
  constexpr int kClients = 8;
  std::map<int64_t, std::vector<std::vector<float>>> reference;
  for (const auto& [version, bytes] :
       {std::pair{int64_t{1}, v1}, std::pair{int64_t{2}, v2}}) {
    auto model = LoadModel(ByteSource::FromVector(
        std::vector<uint8_t>(bytes.begin(), bytes.end())));
    ASSERT_TRUE(model.ok());
    auto single = Session::Create(
        *model, {.num_interpreters = 1, .threads_per_interpreter = 1});
    ASSERT_TRUE(single.ok());
    for (int c = 0; c < kClients; ++c) {
      auto out = (*single)->Run({FloatInput(static_cast<float>(c))});
      ASSERT_TRUE(out.ok());
      reference[version].push_back((*out)[0].As<float>());
    }
  }

  std::atomic<bool> stop{false};
  std::atomic<int> done{0}, failed{0}, wrong{0};
  std::mutex seen_mu;
  std::map<uint64_t, int> per_generation;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::map<uint64_t, int> local;
      while (!stop.load()) {
        RunInfo info;
        auto out = m.Run({FloatInput(static_cast<float>(c))}, {.info = &info});
        if (!out.ok()) {
          ++failed;
          ADD_FAILURE() << out.status();
          continue;
        }
        const std::optional<int64_t> version =
            m.VersionOf(info.model_generation);
        if (!version || (*out)[0].As<float>() != reference.at(*version)[c])
          ++wrong;
        ++local[info.model_generation];
        ++done;
      }
      std::lock_guard<std::mutex> l(seen_mu);
      for (auto [g, n] : local) per_generation[g] += n;
    });
  }
  while (done.load() < 200) std::this_thread::yield();
  auto report = m.ActivateVersion(2, "update");
  ASSERT_TRUE(report.ok()) << report.status();
  const int at_swap = done.load();
  while (done.load() < at_swap + 200) std::this_thread::yield();
  stop = true;
  for (auto& t : clients) t.join();

  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(per_generation[1], 0);
  EXPECT_GT(per_generation[2], 0);
  EXPECT_EQ(m.serving().version, 2);
  EXPECT_TRUE(m.serving().in_health_window);
  EXPECT_EQ(StoreActive(), 2);
}

TEST_F(ManagedModelTest, SubmitAcrossSwapCompletesOnBothGenerations) {
  ASSERT_TRUE(InstallGoodV1().ok());
  ASSERT_TRUE(InstallModel(*store_, "m", 2, AffineModelBytes(3, 0)).ok());
  auto managed = ManagedModel::Create(store_.get(), "m", Options());
  ASSERT_TRUE(managed.ok());
  std::vector<std::future<StatusOr<Session::Outputs>>> futures;
  std::vector<RunInfo> infos(64);
  for (int i = 0; i < 32; ++i)
    futures.push_back((*managed)->Submit({FloatInput(1)}, {.info = &infos[i]}));
  ASSERT_TRUE((*managed)->ActivateVersion(2).ok());
  for (int i = 32; i < 64; ++i)
    futures.push_back((*managed)->Submit({FloatInput(1)}, {.info = &infos[i]}));
  for (int i = 0; i < 64; ++i) {
    auto out = futures[i].get();
    ASSERT_TRUE(out.ok()) << out.status();
    const std::vector<float> want = infos[i].model_generation == 1
                                        ? std::vector<float>{3, 5, 7, 9}
                                        : std::vector<float>{3, 6, 9, 12};
    EXPECT_EQ((*out)[0].As<float>(), want) << i;
    if (i >= 32) {
      EXPECT_EQ(infos[i].model_generation, 2u);
    }
  }
}

// v2 passes its self-test (indices 0..2) but fails for the clients' indices
// (>= 4 rows): the error rate in the window rolls it back automatically.
TEST_F(ManagedModelTest, DegradedVersionIsRolledBackAutomatically) {
  ASSERT_TRUE(
      InstallModel(*store_, "m", 1, GatherModelBytes(8), {}, true, true).ok());
  ASSERT_TRUE(
      InstallModel(*store_, "m", 2, GatherModelBytes(4), GatherSelfTest())
          .ok());
  auto managed = ManagedModel::Create(store_.get(), "m", Options());
  ASSERT_TRUE(managed.ok()) << managed.status();
  ManagedModel& m = **managed;
  const TensorData request = Indices(1, 5, 7);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(m.Run({request}).ok());  // baseline

  auto report = m.ActivateVersion(2, "update");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->self_test_ran);
  EXPECT_EQ(StoreActive(), 2);
  int errors = 0;
  for (int i = 0; i < 30; ++i) errors += m.Run({request}).ok() ? 0 : 1;
  EXPECT_EQ(errors, 30);

  auto verdict = m.Tick();  // no waiting for the window: the rate is certain
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->state, HealthState::kUnhealthy);
  EXPECT_EQ(StoreActive(), 1);
  EXPECT_EQ(m.serving().version, 1);
  EXPECT_FALSE(m.serving().in_health_window);
  auto out = m.Run({request});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].As<uint8_t>(), GatherExpected({1, 5, 7}));

  const auto rolled = events_.Recent();
  bool found = false;
  for (const auto& e : rolled) {
    if (e.type != UpdateEventType::kRolledBack) continue;
    found = true;
    EXPECT_EQ(e.version, "1");
    EXPECT_EQ(e.from_version, "2");
    EXPECT_NE(e.reason.find("error rate"), std::string::npos) << e.reason;
  }
  EXPECT_TRUE(found);
  bool history = false;
  const auto history2 = store_->History("m");
  ASSERT_TRUE(history2.ok());
  for (const auto& e : *history2) {
    if (e.event == "rolled_back" && e.from_version == 2) {
      history = true;
      EXPECT_NE(e.reason.find("error rate"), std::string::npos) << e.reason;
    }
  }
  EXPECT_TRUE(history);
  const auto list3 = store_->List("m");
  ASSERT_TRUE(list3.ok());
  for (const auto& v : *list3) {
    if (v.version == 2) {
      EXPECT_TRUE(v.rejected);
    }
  }
}

TEST_F(ManagedModelTest, HealthyWindowCommits) {
  ASSERT_TRUE(InstallGoodV1().ok());
  ASSERT_TRUE(InstallModel(*store_, "m", 2, AffineModelBytes(3, 0)).ok());
  auto managed = ManagedModel::Create(store_.get(), "m", Options());
  ASSERT_TRUE(managed.ok());
  ManagedModel& m = **managed;
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(m.Run({FloatInput(0)}).ok());
  ASSERT_TRUE(m.ActivateVersion(2).ok());
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(m.Run({FloatInput(0)}).ok());
  EXPECT_EQ(m.Tick()->state, HealthState::kPending);  // window not over
  clock_.Advance(std::chrono::seconds(11));
  auto verdict = m.Tick();
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->state, HealthState::kHealthy);
  EXPECT_FALSE(m.serving().in_health_window);
  EXPECT_EQ(events_.Count(UpdateEventType::kCommitted), 1u);
  const auto list4 = store_->List("m");
  ASSERT_TRUE(list4.ok());
  for (const auto& v : *list4) {
    if (v.version == 2) {
      EXPECT_TRUE(v.last_good && v.active);
    }
  }
}

TEST_F(ManagedModelTest, ManualRollbackSwapsBack) {
  ASSERT_TRUE(InstallGoodV1().ok());
  ASSERT_TRUE(InstallModel(*store_, "m", 2, AffineModelBytes(3, 0)).ok());
  auto managed = ManagedModel::Create(store_.get(), "m", Options());
  ASSERT_TRUE(managed.ok());
  ASSERT_TRUE((*managed)->ActivateVersion(2).ok());
  auto back = (*managed)->Rollback("operator request");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, 1);
  EXPECT_EQ(StoreActive(), 1);
  EXPECT_EQ((*(*managed)->Run({FloatInput(1)}))[0].As<float>(),
            (std::vector<float>{3, 5, 7, 9}));
}

// A backend denied by a new device policy is gone after the next swap, with
// no restart: the serving Session is rebuilt with the new options.
TEST_F(ManagedModelTest, PolicyChangeAppliesAtNextSwap) {
  ASSERT_TRUE(InstallGoodV1().ok());
  ASSERT_TRUE(InstallModel(*store_, "m", 2, AffineModelBytes(3, 0)).ok());
  const std::string policy_path = JoinPath(dir_, "policy.json");
  std::ofstream(policy_path) << R"({"version": 1})";
  PolicyWatcher watcher(policy_path);
  ASSERT_TRUE(watcher.Reload().ok());
  ManagedModelOptions options = Options();
  options.session.interpreter.backends = {"xnnpack", "cpu"};
  options.device_class = "pi4";
  options.policy = &watcher;
  auto managed = ManagedModel::Create(store_.get(), "m", options);
  ASSERT_TRUE(managed.ok()) << managed.status();
  ManagedModel& m = **managed;
  EXPECT_EQ(m.serving().backends, (std::vector<std::string>{"xnnpack", "cpu"}));

  std::ofstream(policy_path, std::ios::trunc)
      << R"({"version": 1, "device_classes": {"pi4": {"deny_backends": ["xnnpack"]}}})";
  ASSERT_TRUE(*watcher.Reload());
  EXPECT_EQ(m.serving().backends,
            (std::vector<std::string>{"xnnpack", "cpu"}));  // not yet
  ASSERT_TRUE(m.ActivateVersion(2).ok());
  const ServingInfo serving = m.serving();
  EXPECT_EQ(serving.backends, (std::vector<std::string>{"cpu"}));
  EXPECT_EQ(serving.version, 2);
  EXPECT_EQ(serving.generation, 2u);
  RunInfo info;
  auto out = m.Run({FloatInput(1)}, {.info = &info});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].As<float>(), (std::vector<float>{3, 6, 9, 12}));
  EXPECT_EQ(info.model_generation, 2u);

  // And without a swap: ReapplyPolicy rebuilds the same model.
  std::ofstream(policy_path, std::ios::trunc) << R"({"version": 1})";
  ASSERT_TRUE(*watcher.Reload());
  EXPECT_TRUE(*m.ReapplyPolicy());
  EXPECT_EQ(m.serving().backends, (std::vector<std::string>{"xnnpack", "cpu"}));
  EXPECT_EQ(m.serving().version, 2);
  EXPECT_EQ(m.serving().generation, 3u);
  EXPECT_FALSE(*m.ReapplyPolicy());
}

// The process died during v2's health window: on start v2 keeps serving
// and its window starts again.
TEST_F(ManagedModelTest, RestartDuringWindowRestartsIt) {
  ASSERT_TRUE(
      InstallModel(*store_, "m", 1, GatherModelBytes(8), {}, true, true).ok());
  ASSERT_TRUE(
      InstallModel(*store_, "m", 2, GatherModelBytes(4), {}, true, false).ok());
  auto managed = ManagedModel::Create(store_.get(), "m", Options());
  ASSERT_TRUE(managed.ok()) << managed.status();
  EXPECT_EQ((*managed)->serving().version, 2);
  EXPECT_TRUE((*managed)->serving().in_health_window);
  for (int i = 0; i < 30; ++i) (void)(*managed)->Run({Indices(1, 5, 7)});
  EXPECT_EQ((*managed)->Tick()->state, HealthState::kUnhealthy);
  EXPECT_EQ(StoreActive(), 1);
  EXPECT_TRUE((*managed)->Run({Indices(1, 5, 7)}).ok());
}

TEST_F(ManagedModelTest, HealthWatcherThreadRollsBack) {
  ASSERT_TRUE(
      InstallModel(*store_, "m", 1, GatherModelBytes(8), {}, true, true).ok());
  ASSERT_TRUE(
      InstallModel(*store_, "m", 2, GatherModelBytes(4), GatherSelfTest())
          .ok());
  auto managed = ManagedModel::Create(store_.get(), "m", Options());
  ASSERT_TRUE(managed.ok());
  ManagedModel& m = **managed;
  m.StartHealthWatcher(std::chrono::milliseconds(1));
  ASSERT_TRUE(m.ActivateVersion(2).ok());
  // Fails until the watcher has rolled back; then succeeds again.
  int failures = 0;
  while (!m.Run({Indices(1, 5, 7)}).ok() && ++failures < 1'000'000) {
  }
  EXPECT_LT(failures, 1'000'000) << "never rolled back";
  m.StopHealthWatcher();
  EXPECT_EQ(StoreActive(), 1);
  EXPECT_EQ(events_.Count(UpdateEventType::kRolledBack), 1u);
}

TEST_F(ManagedModelTest, BundledFallbackServes) {
  const std::string bundled = JoinPath(dir_, "bundled.tflite");
  std::ofstream(bundled, std::ios::binary) << AffineModelBytes(2, 1);
  store_.reset();
  auto store = ModelStore::Open(env_, JoinPath(dir_, "store"),
                                {.bundled_model_path = bundled});
  ASSERT_TRUE(store.ok());
  store_ = std::move(*store);
  auto managed = ManagedModel::Create(store_.get(), "m", Options());
  ASSERT_TRUE(managed.ok()) << managed.status();
  EXPECT_EQ((*managed)->serving().version, 0);
  EXPECT_FALSE((*managed)->serving().in_health_window);
  EXPECT_EQ((*(*managed)->Run({FloatInput(1)}))[0].As<float>(),
            (std::vector<float>{3, 5, 7, 9}));
}

}  // namespace
}  // namespace edgerun::ota
