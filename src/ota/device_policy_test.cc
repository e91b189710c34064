// DevicePolicy parsing and application; PolicyWatcher reloads, keeps the
// previous policy on a bad file, and serves snapshots across threads.
#include "edgerun/ota/device_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

namespace edgerun::ota {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPolicy[] = R"({
  "version": 1,
  "device_classes": {
    "pi4": {"deny_backends": ["xnnpack"], "max_threads": 2},
    "jetson": {"max_threads": 6},
    "open": {"deny_backends": []}
  },
  "default": {"deny_backends": ["sim"], "max_threads": 4}
})";

InterpreterOptions Options(std::vector<std::string> backends, int threads) {
  InterpreterOptions o;
  o.backends = std::move(backends);
  o.num_threads = threads;
  return o;
}

TEST(DevicePolicyTest, ClassRulesFallBackToDefaultPerRule) {
  StatusOr<DevicePolicy> p = DevicePolicy::Load(std::string_view(kPolicy));
  ASSERT_TRUE(p.ok()) << p.status();

  InterpreterOptions o = Options({"xnnpack", "sim", "cpu"}, 8);
  p->ApplyTo("pi4", o);
  EXPECT_THAT(o.backends, ElementsAre("sim", "cpu"));
  EXPECT_EQ(o.num_threads, 2);

  o = Options({"xnnpack", "sim", "cpu"}, 8);
  p->ApplyTo("jetson", o);  // own threads, default's denylist
  EXPECT_THAT(o.backends, ElementsAre("xnnpack", "cpu"));
  EXPECT_EQ(o.num_threads, 6);

  o = Options({"xnnpack", "sim"}, 8);
  p->ApplyTo("open", o);  // an explicit empty list overrides the default
  EXPECT_THAT(o.backends, ElementsAre("xnnpack", "sim"));
  EXPECT_EQ(o.num_threads, 4);

  o = Options({"sim"}, 1);
  p->ApplyTo("unknown-board", o);  // default
  EXPECT_TRUE(o.backends.empty());
  EXPECT_EQ(o.num_threads, 1);  // caps, never raises
}

TEST(DevicePolicyTest, EmptyPolicyChangesNothing) {
  StatusOr<DevicePolicy> p =
      DevicePolicy::Load(std::string_view(R"({"version":1})"));
  ASSERT_TRUE(p.ok()) << p.status();
  InterpreterOptions o = Options({"xnnpack"}, 16);
  p->ApplyTo("pi4", o);
  EXPECT_THAT(o.backends, ElementsAre("xnnpack"));
  EXPECT_EQ(o.num_threads, 16);
  DevicePolicy none;
  none.ApplyTo("pi4", o);
  EXPECT_EQ(o.num_threads, 16);
}

TEST(DevicePolicyTest, MalformedFilesAreOneLineErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "not valid JSON"},
      {"[]", "top level must be an object"},
      {R"({"device_classes":{}})", "\"version\" must be the integer 1"},
      {R"({"version":2})", "version 2 is not supported"},
      {R"({"version":1,"defaults":{}})", "unknown key defaults"},
      {R"({"version":1,"device_classes":[]})",
       "device_classes must be an object"},
      {R"({"version":1,"device_classes":{"pi4":{"deny_backend":["x"]}}})",
       "unknown key device_classes.pi4.deny_backend"},
      {R"({"version":1,"device_classes":{"pi4":{"deny_backends":"xnnpack"}}})",
       "device_classes.pi4.deny_backends must be an array"},
      {R"({"version":1,"default":{"deny_backends":[3]}})",
       "default.deny_backends must hold non-empty strings"},
      {R"({"version":1,"default":{"deny_backends":["cpu"]}})",
       "may not deny 'cpu'"},
      {R"({"version":1,"default":{"max_threads":0}})",
       "default.max_threads must be >= 1"},
      {R"({"version":1,"default":{"max_threads":1.5}})",
       "default.max_threads must be an integer"},
      {R"({"version":1,"default":[]})", "default must be an object"},
  };
  for (const auto& [text, want] : cases) {
    StatusOr<DevicePolicy> p = DevicePolicy::Load(std::string_view(text));
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(p.status().message(), HasSubstr(want)) << text;
    EXPECT_EQ(p.status().message().find('\n'), std::string::npos);
  }
}

class PolicyWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("device_policy_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() +
             ".json");
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // Writes `text` and moves the mtime forward, so Poll sees a change even
  // on filesystems with coarse timestamps.
  void Write(const std::string& text) {
    {
      std::ofstream out(path_, std::ios::binary | std::ios::trunc);
      out << text;
    }
    mtime_ += std::chrono::seconds(1);
    std::filesystem::last_write_time(path_, mtime_);
  }

  static std::string Threads(int n) {
    return R"({"version":1,"default":{"max_threads":)" + std::to_string(n) +
           "}}";
  }
  int ThreadsFor(const PolicyWatcher& w) {
    InterpreterOptions o = Options({}, 100);
    w.ApplyTo("any", o);
    return o.num_threads;
  }

  std::filesystem::path path_;
  std::filesystem::file_time_type mtime_ =
      std::filesystem::file_time_type::clock::now();
};

TEST_F(PolicyWatcherTest, ReloadInstallsNewPolicyAndKeepsSnapshots) {
  PolicyWatcher w(path_);
  EXPECT_EQ(ThreadsFor(w), 100);  // empty initial policy
  StatusOr<bool> r = w.Reload();
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("no such file"));
  EXPECT_EQ(w.last_error().code(), StatusCode::kNotFound);

  Write(Threads(2));
  r = w.Reload();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(*r);
  EXPECT_TRUE(w.last_error().ok());
  const std::shared_ptr<const DevicePolicy> old = w.Current();
  EXPECT_EQ(ThreadsFor(w), 2);

  r = w.Reload();  // same bytes
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(w.reloads(), 1u);

  Write(Threads(3));
  ASSERT_TRUE(w.Reload().ok());
  EXPECT_EQ(ThreadsFor(w), 3);
  // A snapshot taken earlier is unaffected.
  InterpreterOptions o = Options({}, 100);
  old->ApplyTo("any", o);
  EXPECT_EQ(o.num_threads, 2);
}

TEST_F(PolicyWatcherTest, MalformedFileKeepsPreviousPolicy) {
  Write(Threads(2));
  PolicyWatcher w(path_);
  ASSERT_TRUE(w.Reload().ok());

  Write(R"({"version":1,"default":{"max_threads":"many"}})");
  StatusOr<bool> r = w.Reload();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr(path_.string()));
  EXPECT_THAT(r.status().message(), HasSubstr("default.max_threads"));
  EXPECT_EQ(w.last_error(), r.status());
  EXPECT_EQ(ThreadsFor(w), 2);

  // Poll reports the bad file once, not on every tick.
  Write("{garbage");
  EXPECT_FALSE(w.Poll().ok());
  StatusOr<bool> again = w.Poll();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_FALSE(w.last_error().ok());
  EXPECT_EQ(ThreadsFor(w), 2);

  // Fixed file (even the same bytes as the policy in force) clears the
  // error.
  Write(Threads(2));
  r = w.Poll();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(*r);  // same policy as before
  EXPECT_TRUE(w.last_error().ok());
  Write(Threads(5));
  r = w.Poll();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(*r);
  EXPECT_EQ(ThreadsFor(w), 5);
}

TEST_F(PolicyWatcherTest, PollReadsOnlyWhenTheFileChanged) {
  auto initial = std::make_shared<const DevicePolicy>(
      *DevicePolicy::Load(std::string_view(Threads(7))));
  PolicyWatcher w(path_, initial);
  EXPECT_EQ(ThreadsFor(w), 7);
  EXPECT_EQ(w.Poll().status().code(), StatusCode::kNotFound);
  StatusOr<bool> r = w.Poll();  // still missing: reported once
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(ThreadsFor(w), 7);

  Write(Threads(1));
  r = w.Poll();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(*r);
  EXPECT_EQ(ThreadsFor(w), 1);
  r = w.Poll();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);

  // Touched without a content change: read, compared, nothing new.
  mtime_ += std::chrono::seconds(1);
  std::filesystem::last_write_time(path_, mtime_);
  r = w.Poll();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(w.reloads(), 1u);

  Write(Threads(12));  // different size and mtime
  r = w.Poll();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ(ThreadsFor(w), 12);
  EXPECT_EQ(w.reloads(), 2u);
}

TEST_F(PolicyWatcherTest, ReadersSeeWholeSnapshotsWhileReloading) {
  Write(Threads(1));
  PolicyWatcher w(path_);
  ASSERT_TRUE(w.Reload().ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const int n = ThreadsFor(w);
        EXPECT_TRUE(n == 1 || n == 2) << n;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    Write(Threads(i % 2 == 0 ? 2 : 1));
    ASSERT_TRUE(w.Poll().ok());
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(w.reloads(), 51u);
}

}  // namespace
}  // namespace edgerun::ota
