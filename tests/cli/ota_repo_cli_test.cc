// `edgerun keygen` and `edgerun publish` in-process: keys on disk, a
// repository made from a ModelBuilder model that the verifier library
// accepts, and the errors (existing key file, non-TFLite model).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "edgerun/ota/publisher.h"
#include "edgerun/ota/verifier.h"
#include "format/tflite_generated.h"
#include "tests/support/cli_runner.h"
#include "tools/edgerun/command.h"

namespace edgerun::cli {
namespace {

namespace fs = std::filesystem;
using testing::RunCli;
using testing::RunResult;

std::vector<uint8_t> TinyModel() {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 4});
  const int32_t one = g.AddConstTensor<float>("one", {1}, {1.f});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 4});
  g.AddOperator(tfl::BuiltinOperator_ADD, {x, one}, {y});
  StatusOr<std::vector<uint8_t>> bytes = b.Finish();
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

void WriteBytes(const fs::path& p, const std::vector<uint8_t>& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

class OtaRepoCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("edgerun_ota_cli_" + std::to_string(::getpid()) + "_" +
            info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string P(const std::string& rel) const { return (dir_ / rel).string(); }

  fs::path dir_;
};

TEST_F(OtaRepoCliTest, KeygenWritesKeyPairOnce) {
  RunResult r = RunCli({"keygen", "--out", P("k.json")});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  StatusOr<ota::SigningKey> key = ota::LoadSigningKey(P("k.json"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_NE(r.out.find("keyid " + key->keyid), std::string::npos) << r.out;
  EXPECT_EQ(ota::LoadPublicKey(P("k.pub.json"))->keyid, key->keyid);
  struct stat st {};
  ASSERT_EQ(::stat(P("k.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  r = RunCli({"keygen", "--out", P("k.json")});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("AlreadyExists"), std::string::npos) << r.err;
  EXPECT_EQ(ota::LoadSigningKey(P("k.json"))->keyid, key->keyid);
}

TEST_F(OtaRepoCliTest, PublishMakesAVerifiableRepository) {
  for (const char* k : {"a.json", "b.json"}) {
    ASSERT_EQ(RunCli({"keygen", "--out", P(k)}).code, kExitOk);
  }
  const std::vector<uint8_t> model = TinyModel();
  WriteBytes(dir_ / "src" / "adder" / "1" / "model.tflite", model);
  const std::vector<std::string> publish = {
      "publish",     P("src"),         "--key",       P("a.json"),
      "--key",       P("b.json"),      "--out",       P("repo"),
      "--threshold", "2",              "--expires-days", "30",
      "--timestamp-expires-hours", "6"};
  RunResult r = RunCli(publish);
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("added adder@1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("root version 1 (new)"), std::string::npos) << r.out;

  // Version 2 in a second publish.
  WriteBytes(dir_ / "src" / "adder" / "2" / "model.tflite", model);
  r = RunCli(publish);
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("targets version 2"), std::string::npos) << r.out;

  // A device trusting 1.root.json verifies the whole chain.
  const auto now = std::chrono::system_clock::now();
  StatusOr<ota::Root> root =
      ota::LoadTrustedRoot(*ota::ReadFileBytes(P("repo/1.root.json")));
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->root.threshold, 2);
  ASSERT_TRUE(ota::CheckNotExpired(*root, now).ok());
  StatusOr<ota::Timestamp> ts = ota::VerifyTimestamp(
      *root, *ota::ReadFileBytes(P("repo/timestamp.json")), now, 1);
  ASSERT_TRUE(ts.ok()) << ts.status();
  EXPECT_EQ(ts->version, 2);
  // Expires in about 6 hours (--timestamp-expires-hours).
  EXPECT_LE(ts->expires, now + std::chrono::hours(6) + std::chrono::seconds(5));
  EXPECT_GT(ts->expires, now + std::chrono::hours(5));
  StatusOr<ota::Targets> targets = ota::VerifyTargets(
      *root, *ota::ReadFileBytes(P("repo/targets.json")), now, ts->targets, 1);
  ASSERT_TRUE(targets.ok()) << targets.status();
  StatusOr<std::optional<ota::TargetEntry>> pick =
      ota::SelectUpdate(*targets, "adder", 1, "0.1.0");
  ASSERT_TRUE(pick.ok() && pick->has_value()) << pick.status();
  EXPECT_EQ((*pick)->version, 2);
  EXPECT_TRUE(ota::VerifyTargetBytes(
                  (*pick)->model,
                  *ota::ReadFileBytes(P("repo/" + (*pick)->model.path)))
                  .ok());
  EXPECT_EQ(*ota::ReadFileBytes(P("repo/" + (*pick)->model.path)), model);

  // One key of a 2-of-2 repository cannot publish.
  r = RunCli({"publish", P("src"), "--key", P("a.json"), "--out", P("repo")});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("PermissionDenied"), std::string::npos) << r.err;
}

TEST_F(OtaRepoCliTest, PublishRefusesNonTfliteFiles) {
  ASSERT_EQ(RunCli({"keygen", "--out", P("k.json")}).code, kExitOk);
  WriteBytes(dir_ / "src" / "junk" / "1" / "model.tflite",
             std::vector<uint8_t>(100, 'x'));
  RunResult r = RunCli(
      {"publish", P("src"), "--key", P("k.json"), "--out", P("repo")});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("junk/1/model.tflite: not a loadable .tflite model"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("DataLoss"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "repo" / "targets.json"));

  // No keys at all is a usage error.
  r = RunCli({"publish", P("src"), "--out", P("repo")});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("no signing keys"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace edgerun::cli
