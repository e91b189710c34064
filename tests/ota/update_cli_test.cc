// `edgerun update` and `edgerun models` in-process against the loopback
// server: install, up to date, a refused tampered model (one error line,
// exit 1), list / rollback / activate / pin, usage errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/ota/testing/loopback_server.h"
#include "tests/ota/update_test_util.h"
#include "tests/support/cli_runner.h"
#include "tools/edgerun/command.h"

namespace edgerun::cli {
namespace {

namespace fs = std::filesystem;
using testing::RunCli;
using testing::RunResult;

class UpdateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgerun_update_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    repo_ = std::make_unique<ota::testing::TestRepo>(
        dir_, std::vector<ota::SigningKey>{ota::GenerateSigningKey()});
    ASSERT_TRUE(repo_->Publish("m", 1).ok());
    root_ = (dir_ / "root.json").string();
    ota::testing::WriteFile(root_, repo_->RootBytes());
    auto server = ota::testing::LoopbackServer::Start(repo_->repo());
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
    store_ = (dir_ / "store").string();
  }
  void TearDown() override {
    server_->Stop();
    fs::remove_all(dir_);
  }
  RunResult Update(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"update", "--repo", server_->Url(""), "--store", store_,
                                     "--root", root_, "--device-id", "dev-1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args);
  }

  fs::path dir_;
  std::unique_ptr<ota::testing::TestRepo> repo_;
  std::unique_ptr<ota::testing::LoopbackServer> server_;
  std::string root_, store_;
};

TEST_F(UpdateCliTest, UpdateThenModelsCommands) {
  RunResult r = Update();
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("updated m@1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("activated m@1"), std::string::npos) << r.out;
  r = Update();
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("up to date"), std::string::npos) << r.out;

  // Tampered v2: refused with one line, active unchanged.
  ASSERT_TRUE(repo_->Publish("m", 2).ok());
  ota::testing::Fault f;
  f.flip_byte_at = 40;
  server_->SetFault("models/m/2/model.tflite", f);
  r = Update();
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("DataLoss"), std::string::npos) << r.err;
  r = RunCli({"models", "list", "--store", store_});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("version 1  active"), std::string::npos) << r.out;

  server_->ClearFaults();
  r = Update({"--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("\"type\":\"activated\""), std::string::npos) << r.out;

  r = RunCli({"models", "rollback", "m", "--store", store_, "--reason", "too slow"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("active version 1"), std::string::npos) << r.out;
  r = RunCli({"models", "list", "m", "--store", store_, "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << r.out;
  const auto& versions = doc["models"][0]["versions"];
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0]["version"], 2);
  EXPECT_EQ(versions[0]["rejected"], true);
  EXPECT_EQ(versions[1]["active"], true);
  EXPECT_NE(r.out.find("too slow"), std::string::npos);

  r = RunCli({"models", "activate", "m", "2", "--store", store_});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("active version 2"), std::string::npos) << r.out;
  ASSERT_EQ(RunCli({"models", "pin", "m", "2", "--store", store_}).code, kExitOk);
  r = RunCli({"models", "rollback", "m", "--store", store_});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("FailedPrecondition"), std::string::npos) << r.err;
  ASSERT_EQ(RunCli({"models", "unpin", "m", "--store", store_}).code, kExitOk);
}

TEST_F(UpdateCliTest, UsageErrors) {
  RunResult r = RunCli({"update", "--repo", server_->Url(""), "--store", store_});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("no trusted root"), std::string::npos) << r.err;
  r = RunCli({"models", "activate", "m", "--store", store_});
  EXPECT_EQ(r.code, kExitUsage);
  r = RunCli({"models", "frobnicate", "--store", store_});
  EXPECT_EQ(r.code, kExitUsage);
}

}  // namespace
}  // namespace edgerun::cli
