// kill -9 of the update client at every crash point of a full update
// (metadata, download chunks, staging, commit, activation). A store has
// version 1 active (installed by the updater); ota_updater_crash_helper
// updates it to version 2 from the loopback server and is killed at crash
// point i. Afterwards the store must open, serve version 1 or 2 with the
// published bytes (never a partial file), and a rerun must finish the
// update to 2 and leave no staging area behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "edgerun/ota/updater.h"
#include "src/ota/testing/loopback_server.h"
#include "tests/ota/crash_test_util.h"
#include "tests/ota/update_test_util.h"

#ifndef EDGERUN_OTA_UPDATER_CRASH_HELPER
#error "EDGERUN_OTA_UPDATER_CRASH_HELPER must name the helper binary"
#endif

namespace edgerun::ota {
namespace {

namespace fs = std::filesystem;
using testing::AdderModel;
using testing::CrashPointList;
using testing::ExitedOk;
using testing::KilledAtCrashPoint;
using testing::ReadFile;
using testing::RunCrashHelper;

constexpr int32_t kFloats = 24 * 1024;  // ~96 KiB: several download chunks

class UpdaterCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgerun_updater_crash_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    repo_ = std::make_unique<testing::TestRepo>(dir_, std::vector<SigningKey>{GenerateSigningKey()});
    ASSERT_TRUE(repo_->Publish("m", 1, kFloats).ok());
    root_path_ = (dir_ / "root.json").string();
    testing::WriteFile(root_path_, repo_->RootBytes());
    auto server = testing::LoopbackServer::Start(repo_->repo());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    // The template store: version 1 installed by a helper run.
    template_ = (dir_ / "template").string();
    const int status = RunHelper(template_);
    ASSERT_TRUE(ExitedOk(status)) << status;
    ASSERT_TRUE(repo_->Publish("m", 2, kFloats).ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    fs::remove_all(dir_);
  }

  std::vector<std::string> HelperArgs(const std::string& store) {
    return {EDGERUN_OTA_UPDATER_CRASH_HELPER, "--store", store, "--repo", server_->Url(""),
            "--root", root_path_};
  }
  // Runs the helper on `store` to completion without a kill; returns the
  // raw wait status.
  int RunHelper(const std::string& store) { return RunCrashHelper(HelperArgs(store), 0); }

  void CopyStore(const std::string& to) {
    fs::copy(template_, to, fs::copy_options::recursive);
    fs::remove(fs::path(to) / "LOCK");
  }

  std::vector<std::string> ListCrashPoints() {
    const std::string store = (dir_ / "list").string();
    CopyStore(store);
    const CrashPointList list =
        testing::ListCrashPoints(HelperArgs(store), (dir_ / "points.txt").string());
    EXPECT_TRUE(ExitedOk(list.status)) << list.status;
    fs::remove_all(store);
    return list.points;
  }

  // The checks after a kill. Returns the version that was active.
  int64_t CheckAfterCrash(const std::string& root) {
    int64_t was = -1;
    {
      auto store = ModelStore::Open(Env::Default(), root);
      EXPECT_TRUE(store.ok()) << store.status();
      if (!store.ok()) return -1;
      auto active = (*store)->Active("m");
      EXPECT_TRUE(active.ok()) << active.status();
      if (!active.ok()) return -1;
      was = active->version;
      EXPECT_TRUE(was == 1 || was == 2) << was;
      const auto expected = AdderModel(was, kFloats);
      const std::string got = ReadFile(active->path);
      EXPECT_TRUE(got == std::string(expected.begin(), expected.end()))
          << "partial or wrong active model: " << got.size() << " bytes, expected "
          << expected.size();
      const auto listed = (*store)->List("m");
      EXPECT_TRUE(listed.ok()) << listed.status();
      for (const auto& v : listed.ok() ? *listed : std::vector<VersionInfo>{}) {
        if (!v.committed) continue;
        EXPECT_EQ(v.sha256, Sha256Hex(AdderModel(v.version, kFloats))) << v.version;
      }
    }
    // A rerun completes the update.
    const int status = RunHelper(root);
    EXPECT_TRUE(ExitedOk(status)) << status;
    auto store = ModelStore::Open(Env::Default(), root);
    EXPECT_TRUE(store.ok());
    if (!store.ok()) return was;
    auto active = (*store)->Active("m");
    EXPECT_TRUE(active.ok() && active->version == 2);
    EXPECT_TRUE(fs::is_empty(fs::path(root) / "staging"));
    return was;
  }

  fs::path dir_;
  std::unique_ptr<testing::TestRepo> repo_;
  std::unique_ptr<testing::LoopbackServer> server_;
  std::string root_path_;
  std::string template_;
};

TEST_F(UpdaterCrashTest, KillAtEveryCrashPointOfAnUpdate) {
  const std::vector<std::string> points = ListCrashPoints();
  ASSERT_GT(points.size(), 10u);
  std::set<std::string> names(points.begin(), points.end());
  for (const char* must : {"updater.download.chunk_written", "updater.committed",
                           "updater.metadata.renamed"}) {
    EXPECT_TRUE(names.count(must)) << must;
  }
  std::set<int64_t> seen;
  for (size_t i = 1; i <= points.size(); ++i) {
    SCOPED_TRACE("crash point " + std::to_string(i) + " " + points[i - 1]);
    const std::string root = (dir_ / ("run" + std::to_string(i))).string();
    CopyStore(root);
    const int status = RunCrashHelper(HelperArgs(root), static_cast<int>(i));
    ASSERT_TRUE(KilledAtCrashPoint(status))
        << "did not kill: " << status;
    seen.insert(CheckAfterCrash(root));
    fs::remove_all(root);
    if (HasFailure()) return;
  }
  EXPECT_TRUE(seen.count(1));
  EXPECT_TRUE(seen.count(2));
  std::printf("[ crash    ] updater: %zu crash points (%zu distinct) killed and recovered\n",
              points.size(), names.size());
}

}  // namespace
}  // namespace edgerun::ota
