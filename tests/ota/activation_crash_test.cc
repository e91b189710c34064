// kill -9 at every step of an activation: PrepareAndActivate (hash check,
// load, self-test), store.Activate, the swap, and the health window's
// commit (MarkGood) or rollback. ota_activation_crash_helper is killed at
// each crash point in turn; afterwards the store must open with a verified
// active model (v2 or v3, hash-checked, full-verified load), never an
// unverified one, and a ManagedModel must serve it (restarting v3's health
// window when v3 was never marked good).
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "edgerun/ota/managed_model.h"
#include "tests/ota/activation_test_util.h"
#include "tests/ota/crash_test_util.h"

#ifndef EDGERUN_OTA_ACTIVATION_CRASH_HELPER
#error "EDGERUN_OTA_ACTIVATION_CRASH_HELPER must name the helper binary"
#endif

namespace edgerun::ota {
namespace {

using testing::CrashPointList;
using testing::ExitedOk;
using testing::GatherModelBytes;
using testing::GatherSelfTest;
using testing::InstallModel;
using testing::KilledAtCrashPoint;
using testing::RunCrashHelper;

// Salted so that every version has distinct bytes.
std::string VersionBytes(int64_t version) {
  return version == 3 ? GatherModelBytes(4, 2) : GatherModelBytes(8, static_cast<int>(version));
}

class ActivationCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/edgerun_activation_crash_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(env_->RemoveDirRecursive(dir_).ok());
    ASSERT_TRUE(env_->CreateDirs(dir_).ok());
  }
  void TearDown() override { (void)env_->RemoveDirRecursive(dir_); }

  // v1, v2 active and good, v3 committed with a self-test.
  void MakeStore(const std::string& root) {
    auto store = ModelStore::Open(env_, root, {});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE(InstallModel(**store, "m", 1, VersionBytes(1), {}, true, true).ok());
    ASSERT_TRUE(InstallModel(**store, "m", 2, VersionBytes(2), {}, true, true).ok());
    ASSERT_TRUE(InstallModel(**store, "m", 3, VersionBytes(3), GatherSelfTest(2)).ok());
  }

  std::vector<std::string> HelperArgs(const std::string& root, const std::string& scenario) {
    return {EDGERUN_OTA_ACTIVATION_CRASH_HELPER, "--root", root, "--scenario", scenario};
  }

  std::vector<std::string> ListCrashPoints(const std::string& scenario) {
    const std::string root = JoinPath(dir_, "list-" + scenario);
    MakeStore(root);
    const CrashPointList list =
        testing::ListCrashPoints(HelperArgs(root, scenario), JoinPath(dir_, "points.txt"));
    EXPECT_TRUE(ExitedOk(list.status)) << list.status;
    return list.points;
  }

  // Returns the active version after recovery.
  int64_t CheckAfterCrash(const std::string& root, const std::string& what) {
    SCOPED_TRACE(what);
    auto opened = ModelStore::Open(env_, root, {});
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return -1;
    ModelStore& store = **opened;
    auto active = store.Active("m");  // re-hashes the model
    EXPECT_TRUE(active.ok()) << active.status();
    if (!active.ok()) return -1;
    EXPECT_TRUE(active->version == 2 || active->version == 3) << active->version;
    EXPECT_EQ(*env_->ReadFileToString(active->path), VersionBytes(active->version));
    EXPECT_TRUE(LoadVerifiedModel(env_, active->path, active->sha256).ok());
    // Every committed version is complete (no half-written model).
    const auto list1 = store.List("m");
    EXPECT_TRUE(list1.ok());
    for (const auto& v : *list1) {
      if (v.committed) {
        EXPECT_EQ(v.sha256, Sha256Hex(VersionBytes(v.version))) << v.version;
      }
    }
    bool good = false;
    const auto list2 = store.List("m");
    EXPECT_TRUE(list2.ok());
    for (const auto& v : *list2) {
      if (v.version == active->version) good = v.last_good;
    }
    // The restarted process serves it; an unproven v3 is judged again.
    ManagedModelOptions options;
    options.session.num_interpreters = 1;
    auto managed = ManagedModel::Create(&store, "m", options);
    EXPECT_TRUE(managed.ok()) << managed.status();
    if (!managed.ok()) return -1;
    EXPECT_EQ((*managed)->serving().version, active->version);
    EXPECT_EQ((*managed)->serving().in_health_window, !good);
    EXPECT_TRUE((*managed)->Run({testing::Indices(0, 1, 2)}).ok());
    return active->version;
  }

  void KillAtEveryPoint(const std::string& scenario) {
    const std::vector<std::string> points = ListCrashPoints(scenario);
    ASSERT_GT(points.size(), 8u);
    const std::set<std::string> names(points.begin(), points.end());
    for (const char* step : {"activation.verified", "activation.self_tested",
                             "activation.activated", "managed.swapped"}) {
      EXPECT_TRUE(names.count(step)) << step;
    }
    EXPECT_TRUE(names.count(scenario == "commit" ? "managed.marked_good"
                                                 : "managed.store_rolled_back"));
    std::set<int64_t> seen;
    for (size_t i = 1; i <= points.size(); ++i) {
      const std::string root = JoinPath(dir_, "run" + std::to_string(i));
      MakeStore(root);
      const int status = RunCrashHelper(HelperArgs(root, scenario), static_cast<int>(i));
      ASSERT_TRUE(KilledAtCrashPoint(status))
          << "crash point " << i << " (" << points[i - 1] << ") did not kill: " << status;
      seen.insert(CheckAfterCrash(root, scenario + " crash point " + std::to_string(i) + " " +
                                            points[i - 1]));
      ASSERT_TRUE(env_->RemoveDirRecursive(root).ok());
      if (HasFailure()) return;
    }
    EXPECT_TRUE(seen.count(2));
    EXPECT_TRUE(seen.count(3));
    std::printf("[ crash    ] %s: %zu crash points (%zu distinct) each killed and recovered\n",
                scenario.c_str(), points.size(), names.size());
  }

  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(ActivationCrashTest, KillAtEveryStepOfActivationAndCommit) { KillAtEveryPoint("commit"); }

TEST_F(ActivationCrashTest, KillAtEveryStepOfActivationAndRollback) {
  KillAtEveryPoint("rollback");
}

TEST_F(ActivationCrashTest, HelperCompletesWithoutKill) {
  for (const std::string scenario : {"commit", "rollback"}) {
    const std::string root = JoinPath(dir_, "full-" + scenario);
    MakeStore(root);
    const int status = RunCrashHelper(HelperArgs(root, scenario), 0);
    ASSERT_TRUE(ExitedOk(status)) << scenario << " " << status;
    auto store = ModelStore::Open(env_, root, {});
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->Active("m")->version, scenario == "commit" ? 3 : 2) << scenario;
  }
}

}  // namespace
}  // namespace edgerun::ota
