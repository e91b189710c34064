// Publishing into a temporary repository and reading it back through the
// verifier: first publish, later publishes, immutability, role keys,
// thresholds, root rotation and forged (older) timestamps.
#include "edgerun/ota/publisher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgerun/ota/verifier.h"

namespace edgerun::ota {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<uint8_t> Read(const fs::path& p) { return *ReadFileBytes(p); }

void WriteFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// A stand-in model check: publish must run it and stop on its error.
Status FakeModelCheck(const std::string& path, std::span<const uint8_t> b) {
  const std::string s(b.begin(), b.end());
  if (s.rfind("MODEL", 0) != 0) return DataLossError(path + ": not a model");
  return OkStatus();
}

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("edgerun_publisher_" + std::to_string(::getpid()) + "_" +
            info->name());
    fs::remove_all(dir_);
    src_ = dir_ / "src";
    repo_ = dir_ / "repo";
    for (int i = 0; i < 3; ++i) keys_.push_back(GenerateSigningKey());
    options_.keys = keys_;
    options_.threshold = 2;
    options_.now = now_;
    options_.check_model = FakeModelCheck;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Verifies the repository as a fresh client would.
  StatusOr<Targets> VerifyRepo(TimePoint now, int64_t prev_ts = 0) {
    ASSIGN_OR_RETURN(Root root, LoadTrustedRoot(Read(repo_ / "1.root.json")));
    for (int64_t v = 2; fs::exists(repo_ / (std::to_string(v) + ".root.json"));
         ++v) {
      ASSIGN_OR_RETURN(
          root,
          VerifyRootUpdate(root, Read(repo_ / (std::to_string(v) +
                                               ".root.json"))));
    }
    RETURN_IF_ERROR(CheckNotExpired(root, now));
    ASSIGN_OR_RETURN(const Timestamp ts,
                     VerifyTimestamp(root, Read(repo_ / "timestamp.json"), now,
                                     prev_ts));
    const fs::path targets_path =
        repo_ / (std::to_string(ts.targets.version) + ".targets.json");
    return VerifyTargets(root, Read(targets_path), now, ts.targets, 0);
  }

  fs::path dir_, src_, repo_;
  std::vector<SigningKey> keys_;
  PublishOptions options_;
  TimePoint now_ = *ParseTime("2025-06-01T00:00:00Z");
};

TEST_F(PublisherTest, FirstPublishThenMoreVersions) {
  WriteFile(src_ / "kws" / "1" / "model.tflite", "MODEL one");
  StatusOr<PublishResult> r =
      Publish(src_.string(), repo_.string(), options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->created_root);
  EXPECT_EQ(r->root_version, 1);
  EXPECT_EQ(r->targets_version, 1);
  EXPECT_EQ(r->timestamp_version, 1);
  EXPECT_EQ(r->added, std::vector<std::string>{"kws@1"});
  for (const char* f : {"root.json", "1.root.json", "targets.json",
                        "1.targets.json", "timestamp.json",
                        "models/kws/1/model.tflite"}) {
    EXPECT_TRUE(fs::exists(repo_ / f)) << f;
  }
  // No temporary files left behind.
  for (const auto& e : fs::recursive_directory_iterator(repo_)) {
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
  }
  StatusOr<Targets> t = VerifyRepo(now_);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->targets.at("kws").size(), 1u);

  // Version 2 with rollout and self-test; version 1 is kept.
  WriteFile(src_ / "kws" / "2" / "model.tflite", "MODEL two");
  WriteFile(src_ / "kws" / "2" / "in0.npy", "\x93NUMPY input");
  WriteFile(src_ / "kws" / "2" / "out0.npy", "\x93NUMPY output");
  WriteFile(src_ / "kws" / "2" / "target.json",
            R"({"rollout_percent": 20, "min_runtime_version": "0.2.0",
                "self_test": {"inputs": ["in0.npy"], "outputs": ["out0.npy"],
                              "atol": 0.001}})");
  r = Publish(src_.string(), repo_.string(), options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->created_root);
  EXPECT_EQ(r->targets_version, 2);
  EXPECT_EQ(r->timestamp_version, 2);
  EXPECT_EQ(r->added, std::vector<std::string>{"kws@2"});
  t = VerifyRepo(now_, 1);
  ASSERT_TRUE(t.ok()) << t.status();
  const std::vector<TargetEntry>& kws = t->targets.at("kws");
  ASSERT_EQ(kws.size(), 2u);
  EXPECT_EQ(kws[1].rollout_percent, 20);
  EXPECT_EQ(kws[1].min_runtime_version, "0.2.0");
  ASSERT_TRUE(kws[1].self_test.has_value());
  EXPECT_DOUBLE_EQ(*kws[1].self_test->atol, 0.001);
  const FileRef& in0 = kws[1].self_test->inputs.at(0);
  EXPECT_EQ(in0.path, "models/kws/2/in0.npy");
  EXPECT_TRUE(VerifyTargetBytes(in0, Read(repo_ / in0.path)).ok());
  for (const TargetEntry& e : kws) {
    EXPECT_TRUE(VerifyTargetBytes(e.model, Read(repo_ / e.model.path)).ok());
  }
  EXPECT_TRUE(fs::exists(repo_ / "1.targets.json"));

  // Republishing the same bytes is a no-op for the models; changed bytes
  // under a published version are refused.
  r = Publish(src_.string(), repo_.string(), options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->added.empty());
  EXPECT_EQ(r->targets_version, 3);
  EXPECT_TRUE(r->updated.empty());
  // Widening the rollout of a published version re-signs its entry.
  WriteFile(src_ / "kws" / "2" / "target.json",
            R"({"rollout_percent": 60, "min_runtime_version": "0.2.0",
                "self_test": {"inputs": ["in0.npy"], "outputs": ["out0.npy"],
                              "atol": 0.001}})");
  r = Publish(src_.string(), repo_.string(), options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->updated, std::vector<std::string>{"kws@2"});
  t = VerifyRepo(now_);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->targets.at("kws")[1].rollout_percent, 60);
  WriteFile(src_ / "kws" / "1" / "model.tflite", "MODEL one, edited");
  r = Publish(src_.string(), repo_.string(), options_);
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find("immutable"), std::string::npos);
}

TEST_F(PublisherTest, RefusesBadInputs) {
  WriteFile(src_ / "kws" / "1" / "model.tflite", "garbage");
  StatusOr<PublishResult> r =
      Publish(src_.string(), repo_.string(), options_);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("model.tflite: not a model"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(repo_ / "targets.json"));
  EXPECT_FALSE(fs::exists(repo_ / "root.json"));  // nothing written

  fs::remove_all(src_);
  WriteFile(src_ / "kws" / "v1" / "model.tflite", "MODEL");
  EXPECT_EQ(Publish(src_.string(), repo_.string(), options_).status().code(),
            StatusCode::kInvalidArgument);
  fs::remove_all(src_);
  WriteFile(src_ / "kws" / "1" / "model.tflite", "MODEL");
  WriteFile(src_ / "kws" / "1" / "target.json", R"({"rollout": 5})");
  r = Publish(src_.string(), repo_.string(), options_);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("unknown field \"rollout\""),
            std::string::npos);
  WriteFile(src_ / "kws" / "1" / "target.json",
            R"({"self_test": {"inputs": ["../../x.npy"]}})");
  EXPECT_EQ(Publish(src_.string(), repo_.string(), options_).status().code(),
            StatusCode::kInvalidArgument);
  WriteFile(src_ / "kws" / "1" / "target.json",
            R"({"self_test": {"inputs": ["x.npy"]}})");
  WriteFile(src_ / "kws" / "1" / "x.npy", "not npy");
  EXPECT_EQ(Publish(src_.string(), repo_.string(), options_).status().code(),
            StatusCode::kDataLoss);

  options_.threshold = 4;  // 4 of 3 keys
  fs::remove(src_ / "kws" / "1" / "target.json");
  EXPECT_EQ(Publish(src_.string(), repo_.string(), options_).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(PublisherTest, SeparateRoleKeysAndThresholds) {
  WriteFile(src_ / "kws" / "1" / "model.tflite", "MODEL");
  const SigningKey ts_key = GenerateSigningKey();
  options_.timestamp_keys = {ts_key};
  options_.threshold = 1;
  ASSERT_TRUE(Publish(src_.string(), repo_.string(), options_).ok());
  const Root root = *LoadTrustedRoot(Read(repo_ / "root.json"));
  EXPECT_EQ(root.timestamp.keyids, std::vector<std::string>{ts_key.keyid});
  EXPECT_EQ(root.targets.keyids.size(), 3u);
  ASSERT_TRUE(VerifyRepo(now_).ok());

  // A later publish with a key the root does not know is refused.
  PublishOptions stranger = options_;
  stranger.timestamp_keys = {GenerateSigningKey()};
  StatusOr<PublishResult> r =
      Publish(src_.string(), repo_.string(), stranger);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("not a 'timestamp' key"),
            std::string::npos);
}

TEST_F(PublisherTest, BelowThresholdPublishIsRefused) {
  WriteFile(src_ / "kws" / "1" / "model.tflite", "MODEL");
  ASSERT_TRUE(Publish(src_.string(), repo_.string(), options_).ok());
  PublishOptions one = options_;
  one.keys = {keys_[0]};
  StatusOr<PublishResult> r = Publish(src_.string(), repo_.string(), one);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("needs 2"), std::string::npos);
}

TEST_F(PublisherTest, ExpiredDocumentsAndForgedOldTimestamp) {
  WriteFile(src_ / "kws" / "1" / "model.tflite", "MODEL");
  options_.timestamp_expires = now_ - std::chrono::hours(1);
  ASSERT_TRUE(Publish(src_.string(), repo_.string(), options_).ok());
  EXPECT_EQ(VerifyRepo(now_).status().code(), StatusCode::kDeadlineExceeded);
  options_.timestamp_expires.reset();
  options_.targets_expires = now_ - std::chrono::hours(1);
  ASSERT_TRUE(Publish(src_.string(), repo_.string(), options_).ok());
  EXPECT_EQ(VerifyRepo(now_).status().code(), StatusCode::kDeadlineExceeded);
  options_.targets_expires.reset();
  ASSERT_TRUE(Publish(src_.string(), repo_.string(), options_).ok());
  ASSERT_TRUE(VerifyRepo(now_, 3).ok());

  // A validly signed timestamp with an older version: rollback.
  ResignOptions old;
  old.version = 2;
  old.now = now_;
  ASSERT_TRUE(ResignTimestamp(repo_.string(), keys_, old).ok());
  EXPECT_EQ(VerifyRepo(now_, 3).status().code(),
            StatusCode::kFailedPrecondition);
  // Signed by one key of a 2-of-3 role.
  old.version = 4;
  ASSERT_TRUE(ResignTimestamp(repo_.string(),
                              std::vector<SigningKey>{keys_[0]}, old)
                  .ok());
  EXPECT_EQ(VerifyRepo(now_, 3).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(PublisherTest, RootRotation) {
  WriteFile(src_ / "kws" / "1" / "model.tflite", "MODEL");
  ASSERT_TRUE(Publish(src_.string(), repo_.string(), options_).ok());
  const std::vector<SigningKey> new_keys = {GenerateSigningKey(),
                                            GenerateSigningKey()};
  RotateOptions ro;
  ro.now = now_;
  StatusOr<int64_t> v = RotateRoot(repo_.string(), keys_, new_keys, 2, ro);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 2);
  EXPECT_TRUE(fs::exists(repo_ / "2.root.json"));
  // Targets/timestamp keys are unchanged; publishing goes on.
  ASSERT_TRUE(Publish(src_.string(), repo_.string(), options_).ok());
  StatusOr<Targets> t = VerifyRepo(now_);
  ASSERT_TRUE(t.ok()) << t.status();

  // Too few old keys.
  EXPECT_EQ(RotateRoot(repo_.string(), std::vector<SigningKey>{keys_[0]}, new_keys, 2, ro)
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  // Forged rotations written anyway (signers given) are refused by clients.
  const Root two = *LoadTrustedRoot(Read(repo_ / "2.root.json"));
  RotateOptions only_new = ro;
  only_new.signers = std::vector<SigningKey>{GenerateSigningKey()};
  ASSERT_TRUE(RotateRoot(repo_.string(), new_keys,
                         std::vector<SigningKey>{GenerateSigningKey()}, 1,
                         only_new)
                  .ok());
  EXPECT_EQ(VerifyRootUpdate(two, Read(repo_ / "3.root.json")).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(PublisherTest, ExpiredRootMustBeRotatedBeforePublishing) {
  WriteFile(src_ / "kws" / "1" / "model.tflite", "MODEL");
  options_.expires_days = 10;
  ASSERT_TRUE(Publish(src_.string(), repo_.string(), options_).ok());
  options_.now += std::chrono::days(11);
  StatusOr<PublishResult> r = Publish(src_.string(), repo_.string(), options_);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("rotate the root"), std::string::npos);
  RotateOptions ro;
  ro.now = options_.now;
  ASSERT_TRUE(RotateRoot(repo_.string(), keys_, keys_, 2, ro).ok());
  ASSERT_TRUE(Publish(src_.string(), repo_.string(), options_).ok());
  // The device walks 1 -> 2; version 1 has expired, version 2 has not.
  EXPECT_TRUE(VerifyRepo(options_.now).ok());
}

TEST_F(PublisherTest, KeyFiles) {
  fs::create_directories(dir_);
  const std::string path = (dir_ / "k.json").string();
  const SigningKey key = GenerateSigningKey();
  StatusOr<std::string> pub = WriteKeyFiles(path, key);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(*pub, (dir_ / "k.pub.json").string());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(LoadSigningKey(path)->keyid, key.keyid);
  EXPECT_EQ(LoadPublicKey(*pub)->keyid, key.keyid);
  EXPECT_EQ(LoadSigningKey(*pub).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(WriteKeyFiles(path, GenerateSigningKey()).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(LoadSigningKey(path)->keyid, key.keyid);  // untouched
  EXPECT_EQ(PublicKeyPath("a/key"), "a/key.pub.json");
}

}  // namespace
}  // namespace edgerun::ota
