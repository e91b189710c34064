// kill -9 crash tests of the model store. A store holds versions 1 and 2
// (2 active and good); ota_store_crash_helper installs version 3 (then marks
// it good, or rolls back to 2) and garbage-collects. The helper is killed at
// every crash point in turn, and at random times; after each kill the store
// must open, serve version 2 or 3 with a correct hash (never a partial
// file), and take a further update.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "edgerun/ota/model_store.h"
#include "tests/ota/crash_test_util.h"
#include "tests/ota/store_test_util.h"

#ifndef EDGERUN_OTA_CRASH_HELPER
#error "EDGERUN_OTA_CRASH_HELPER must name the helper binary"
#endif

namespace edgerun::ota {
namespace {

using testing::CrashPointList;
using testing::ExitedOk;
using testing::InstallVersion;
using testing::KilledAtCrashPoint;
using testing::ModelBytes;
using testing::RunCrashHelper;
using testing::SpawnCrashHelper;
using testing::WaitForChild;

constexpr size_t kSmall = 256 * 1024;    // 4 chunks
constexpr size_t kLarge = 1024 * 1024;   // 16 chunks, for random kills

class StoreCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/edgerun_store_crash_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(env_->RemoveDirRecursive(dir_).ok());
    ASSERT_TRUE(env_->CreateDirs(dir_).ok());
  }
  void TearDown() override { (void)env_->RemoveDirRecursive(dir_); }

  std::string Root(int run) const { return JoinPath(dir_, "store" + std::to_string(run)); }

  // Versions 1 and 2 installed; 2 active and good, 1 previous. Built once
  // per size, then copied (fsync-heavy setup would dominate the run time).
  void MakeStore(const std::string& root, size_t size) {
    const std::string tmpl = JoinPath(dir_, "template-" + std::to_string(size));
    if (!env_->IsDirectory(tmpl)) BuildStore(tmpl, size);
    ASSERT_TRUE(CopyTree(tmpl, root).ok());
  }
  Status CopyTree(const std::string& from, const std::string& to) {
    if (!env_->IsDirectory(from)) {
      ASSIGN_OR_RETURN(const std::string bytes, env_->ReadFileToString(from));
      ASSIGN_OR_RETURN(auto f, env_->NewWritableFile(to));
      RETURN_IF_ERROR(f->Append(bytes));
      return f->Close();
    }
    RETURN_IF_ERROR(env_->CreateDirs(to));
    ASSIGN_OR_RETURN(auto children, env_->GetChildren(from));
    for (const auto& c : children) {
      if (c != "LOCK") RETURN_IF_ERROR(CopyTree(JoinPath(from, c), JoinPath(to, c)));
    }
    return OkStatus();
  }
  void BuildStore(const std::string& root, size_t size) {
    auto store = ModelStore::Open(env_, root, {});
    ASSERT_TRUE(store.ok()) << store.status();
    for (int64_t v : {1, 2}) {
      ASSERT_TRUE(InstallVersion(**store, "m", v, size, 65536, true).ok());
      ASSERT_TRUE((*store)->MarkGood("m").ok());
    }
  }

  std::vector<std::string> HelperArgs(const std::string& root, const std::string& scenario,
                                      size_t size) {
    return {EDGERUN_OTA_CRASH_HELPER, "--root", root, "--scenario", scenario,
            "--size", std::to_string(size)};
  }

  // The crash points of a full run of `scenario`, in order.
  std::vector<std::string> ListCrashPoints(const std::string& scenario) {
    const std::string root = JoinPath(dir_, "list-" + scenario);
    MakeStore(root, kSmall);
    const CrashPointList list = testing::ListCrashPoints(HelperArgs(root, scenario, kSmall),
                                                         JoinPath(dir_, "points.txt"));
    EXPECT_TRUE(ExitedOk(list.status)) << list.status;
    return list.points;
  }

  // The assertions after a crash. Returns the version that was active.
  int64_t CheckAfterCrash(const std::string& root, size_t size, const std::string& what) {
    SCOPED_TRACE(what);
    auto opened = ModelStore::Open(env_, root, {});
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return -1;
    ModelStore& store = **opened;
    auto active = store.Active("m");
    EXPECT_TRUE(active.ok()) << active.status();
    if (!active.ok()) return -1;
    EXPECT_TRUE(active->version == 2 || active->version == 3) << active->version;
    auto bytes = env_->ReadFileToString(active->path);
    EXPECT_TRUE(bytes.ok());
    EXPECT_TRUE(*bytes == ModelBytes(active->version, size)) << "partial or wrong model";
    EXPECT_EQ(active->sha256, Sha256Hex(*bytes));
    const int64_t was = active->version;
    // Every committed version is complete.
    const auto listed = store.List("m");
    for (const auto& v : *listed) {
      if (!v.committed) continue;
      EXPECT_EQ(v.sha256, Sha256Hex(ModelBytes(v.version, size))) << v.version;
    }
    // A further update completes: finish (or redo) version 3, then 4.
    if (!store.VersionDir("m", 3).ok()) {
      Status s = InstallVersion(store, "m", 3, size, 65536, false);
      EXPECT_TRUE(s.ok()) << s;
    }
    EXPECT_TRUE(store.Activate("m", 3, "after crash").ok());
    Status s = InstallVersion(store, "m", 4, size, 65536, true);
    EXPECT_TRUE(s.ok()) << s;
    auto now = store.Active("m");
    EXPECT_TRUE(now.ok() && now->version == 4);
    if (now.ok()) {
      EXPECT_EQ(*env_->ReadFileToString(now->path), ModelBytes(4, size));
    }
    EXPECT_TRUE(env_->GetChildren(JoinPath(root, "staging"))->empty());
    return was;
  }

  void KillAtEveryPoint(const std::string& scenario) {
    const std::vector<std::string> points = ListCrashPoints(scenario);
    ASSERT_GT(points.size(), 20u);
    std::set<std::string> names(points.begin(), points.end());
    std::set<int64_t> seen_active;
    for (size_t i = 1; i <= points.size(); ++i) {
      const std::string root = Root(static_cast<int>(i));
      MakeStore(root, kSmall);
      const int status =
          RunCrashHelper(HelperArgs(root, scenario, kSmall), static_cast<int>(i));
      ASSERT_TRUE(KilledAtCrashPoint(status))
          << "crash point " << i << " (" << points[i - 1] << ") did not kill: " << status;
      seen_active.insert(CheckAfterCrash(
          root, kSmall, scenario + " crash point " + std::to_string(i) + " " + points[i - 1]));
      ASSERT_TRUE(env_->RemoveDirRecursive(root).ok());
      if (HasFailure()) return;
    }
    // Both outcomes happen: early crashes keep 2, late ones have 3 (update).
    EXPECT_TRUE(seen_active.count(2));
    if (scenario == "update") {
      EXPECT_TRUE(seen_active.count(3));
    }
    std::printf("[ crash    ] %s: %zu crash points (%zu distinct) each killed and recovered\n",
                scenario.c_str(), points.size(), names.size());
  }

  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(StoreCrashTest, KillAtEveryCrashPointDuringUpdate) { KillAtEveryPoint("update"); }

TEST_F(StoreCrashTest, KillAtEveryCrashPointDuringRollbackAndGc) {
  KillAtEveryPoint("rollback");
}

TEST_F(StoreCrashTest, HelperRunsToCompletionWithoutKill) {
  const std::string root = Root(0);
  MakeStore(root, kSmall);
  const int status = RunCrashHelper(HelperArgs(root, "update", kSmall), 0);
  ASSERT_TRUE(ExitedOk(status));
  auto store = ModelStore::Open(env_, root, {});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Active("m")->version, 3);
  std::vector<int64_t> versions;
  const auto listed = (*store)->List("m");
  for (const auto& v : *listed) versions.push_back(v.version);
  EXPECT_EQ(versions, (std::vector<int64_t>{3, 2}));  // GC removed 1
}

TEST_F(StoreCrashTest, RandomKills) {
  // Time a full run to spread the kills over it.
  const std::string timing_root = Root(0);
  MakeStore(timing_root, kLarge);
  const auto start = std::chrono::steady_clock::now();
  const int status = RunCrashHelper(HelperArgs(timing_root, "update", kLarge), 0);
  ASSERT_TRUE(ExitedOk(status));
  const auto full = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  std::mt19937 rng(static_cast<uint32_t>(::getpid()));
  std::uniform_int_distribution<int64_t> delay(0, full + full / 5);
  int killed = 0;
  for (int i = 1; i <= 30; ++i) {
    const std::string root = Root(i);
    const std::string scenario = i % 3 == 0 ? "rollback" : "update";
    MakeStore(root, kLarge);
    const int64_t after = delay(rng);
    const pid_t pid = SpawnCrashHelper(HelperArgs(root, scenario, kLarge), 0);
    std::this_thread::sleep_for(std::chrono::microseconds(after));
    ::kill(pid, SIGKILL);
    const int st = WaitForChild(pid);
    if (WIFSIGNALED(st)) {
      ++killed;
    } else {
      ASSERT_TRUE(ExitedOk(st)) << st;
    }
    CheckAfterCrash(root, kLarge,
                    "random kill " + std::to_string(i) + " after " + std::to_string(after) +
                        "us of " + std::to_string(full) + "us");
    ASSERT_TRUE(env_->RemoveDirRecursive(root).ok());
    if (HasFailure()) return;
  }
  std::printf("[ crash    ] 30 random kills over a %lld us run, %d hit the helper\n",
              static_cast<long long>(full), killed);
  EXPECT_GT(killed, 10);
}

}  // namespace
}  // namespace edgerun::ota
