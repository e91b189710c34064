// The update client end to end: a repository made with the publisher,
// served by the real loopback HTTP server (with faults), an Updater over a
// ModelStore. Every refusal must leave the active model unchanged and the
// next clean attempt must succeed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "edgerun/base/fault_injection_env.h"
#include "edgerun/io/npy.h"
#include "edgerun/ota/activation.h"
#include "edgerun/ota/crypto.h"
#include "edgerun/ota/updater.h"
#include "edgerun/ota/verifier.h"
#include "src/ota/testing/loopback_server.h"
#include "src/ota/testing/test_certs.h"
#include "tests/ota/update_test_util.h"

namespace edgerun::ota {
namespace {

namespace fs = std::filesystem;
using ::edgerun::ota::testing::Fault;
using ::edgerun::ota::testing::LoopbackServer;
using testing::AdderModel;
using testing::ReadFile;
using testing::TestRepo;
using testing::WriteFile;

constexpr char kModel[] = "m";

Status ActivateInStore(ModelStore& store, const PendingUpdate& u, EventLog*) {
  return store.Activate(u.model, u.entry.version, "update");
}

class UpdateE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgerun_update_e2e_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    key_ = GenerateSigningKey();
    repo_ = std::make_unique<TestRepo>(dir_, std::vector<SigningKey>{key_});
  }
  void TearDown() override {
    updaters_.clear();
    stores_.clear();
    if (server_) server_->Stop();
    fs::remove_all(dir_);
  }

  void StartServer() {
    auto server = LoopbackServer::Start(repo_->repo());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // A store (index i) and its updater; `env` defaults to the POSIX Env.
  Updater* MakeUpdater(int i = 0, std::string device_id = "device-0",
                       Env* env = nullptr, std::string url = "",
                       std::string ca_file = "") {
    env = env != nullptr ? env : Env::Default();
    auto store =
        ModelStore::Open(env, (dir_ / ("store" + std::to_string(i))).string());
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    UpdaterOptions o;
    o.repo_url = url.empty() ? server_->Url("") : url;
    o.device_id = std::move(device_id);
    o.trusted_root = repo_->RootBytes();
    o.stall_timeout = std::chrono::milliseconds(1000);
    o.activate = ActivateInStore;
    o.ca_file = std::move(ca_file);
    auto updater = Updater::Create(env, store->get(), o, &log_);
    EXPECT_TRUE(updater.ok()) << updater.status();
    if (!updater.ok()) return nullptr;
    stores_.push_back(std::move(*store));
    updaters_.push_back(std::move(*updater));
    return updaters_.back().get();
  }
  ModelStore& store(int i = 0) { return *stores_[i]; }

  int64_t ActiveVersion(int i = 0) {
    auto active = store(i).Active(kModel);
    return active.ok() ? active->version : -1;
  }
  // Active model verified against the bytes published for its version.
  void ExpectActive(int64_t version, int i = 0, int32_t n = 4) {
    auto active = store(i).Active(kModel);
    ASSERT_TRUE(active.ok()) << active.status();
    EXPECT_EQ(active->version, version);
    const auto expected = AdderModel(version, n);
    EXPECT_TRUE(ReadFile(active->path) ==
                std::string(expected.begin(), expected.end()))
        << "active model of version " << version
        << " differs from the published one";
  }
  bool NoStaging(int i = 0) {
    return fs::is_empty(fs::path(store(i).root()) / "staging");
  }
  std::string Path(const std::string& rel) const {
    return (fs::path(repo_->repo()) / rel).string();
  }

  // Publishes v1, starts the server, updates to v1; publishes v2 (not yet
  // fetched). Returns the updater of store 0.
  Updater* InstallV1ThenPublishV2(int32_t n = 4, Env* env = nullptr) {
    EXPECT_TRUE(repo_->Publish(kModel, 1, n).ok());
    StartServer();
    Updater* u = MakeUpdater(0, "device-0", env);
    if (u == nullptr) return nullptr;
    auto r = u->UpdateAll(true);
    EXPECT_TRUE(r.ok()) << r.status();
    ExpectActive(1, 0, n);
    EXPECT_TRUE(repo_->Publish(kModel, 2, n).ok());
    return u;
  }

  fs::path dir_;
  SigningKey key_;
  std::unique_ptr<TestRepo> repo_;
  std::unique_ptr<LoopbackServer> server_;
  EventLog log_{1024};
  std::vector<std::unique_ptr<ModelStore>> stores_;
  std::vector<std::unique_ptr<Updater>> updaters_;
};

TEST_F(UpdateE2eTest, HappyPathInstallsV1ThenV2) {
  ASSERT_TRUE(repo_->Publish(kModel, 1).ok());
  StartServer();
  Updater* u = MakeUpdater();
  ASSERT_NE(u, nullptr);
  auto r = u->UpdateAll(true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->installed, std::vector<std::string>{"m@1"});
  ExpectActive(1);
  ASSERT_TRUE(repo_->Publish(kModel, 2).ok());
  r = u->UpdateAll(true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->installed, std::vector<std::string>{"m@2"});
  EXPECT_EQ(r->check.targets_version, 2);
  ExpectActive(2);
  EXPECT_TRUE(NoStaging());
  for (auto t : {UpdateEventType::kChecked, UpdateEventType::kDownloaded,
                 UpdateEventType::kVerified, UpdateEventType::kStaged}) {
    EXPECT_EQ(log_.Count(t), t == UpdateEventType::kChecked ? 2u : 2u)
        << UpdateEventTypeName(t);
  }
  EXPECT_EQ(log_.Count(UpdateEventType::kRejected), 0u);
  // The verified metadata is kept in the store.
  EXPECT_TRUE(
      fs::exists(fs::path(store().root()) / "metadata" / "timestamp.json"));
  // The committed version carries its signed entry.
  auto installed =
      ReadInstalledTarget(Env::Default(), *store().VersionDir(kModel, 2));
  ASSERT_TRUE(installed.ok()) << installed.status();
  EXPECT_EQ(installed->version, 2);
  EXPECT_EQ(installed->sha256, Sha256Hex(AdderModel(2)));
}

// A signed self-test tolerance travels publisher -> targets -> updater ->
// selftest.json -> activation: v1 adds 1, its self-test expects 5% more
// than that, within rtol 0.1 but not within atol alone.
TEST_F(UpdateE2eTest, SignedRelativeToleranceReachesTheSelfTest) {
  const auto npy = [](std::vector<float> v) {
    NpyArray a;
    a.type = DataType::kFloat32;
    a.shape = {1, 4};
    a.data.resize(16);
    std::memcpy(a.data.data(), v.data(), 16);
    const std::vector<uint8_t> bytes = SerializeNpy(a);
    return std::string(bytes.begin(), bytes.end());
  };
  const auto vdir = repo_->src() / kModel / "1";
  WriteFile(vdir / "in0.npy", npy({1, 2, 3, 4}));
  WriteFile(vdir / "out0.npy",
            npy({2.1f, 3.15f, 4.2f, 5.25f}));  // (x + 1) * 1.05
  ASSERT_TRUE(
      repo_
          ->Publish(
              kModel, 1, 4,
              R"({"self_test": {"inputs": ["in0.npy"], "outputs": ["out0.npy"],
                                              "atol": 0, "rtol": 0.1}})")
          .ok());
  StartServer();
  Updater* u = MakeUpdater();
  ASSERT_NE(u, nullptr);
  auto r = u->UpdateAll(/*activate=*/false);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto dir = store().VersionDir(kModel, 1);
  ASSERT_TRUE(dir.ok()) << dir.status();
  auto tolerance =
      ParseSelfTestConfig(ReadFile(fs::path(*dir) / kSelfTestConfigFile));
  ASSERT_TRUE(tolerance.ok()) << tolerance.status();
  EXPECT_EQ(tolerance->atol, 0);
  EXPECT_EQ(tolerance->rtol, 0.1);
  auto report =
      PrepareAndActivate(store(), kModel, 1, {.reason = "test"}, &log_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->self_test_ran);
  EXPECT_EQ(report->self_test_rtol, 0.1);
  ExpectActive(1);
}

// The same update over https, the repository's CA pinned through
// UpdaterOptions::ca_file; an updater that does not trust that CA installs
// nothing and says why.
TEST_F(UpdateE2eTest, HttpsWithAPinnedCa) {
  ASSERT_TRUE(repo_->Publish(kModel, 1).ok());
  auto cert = testing::MakeSelfSignedCert(dir_.string(), "repo");
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto tls = LoopbackServer::Start(repo_->repo(), 0,
                                   {{cert->cert_pem, cert->key_pem}});
  ASSERT_TRUE(tls.ok()) << tls.status();
  server_ = std::move(*tls);
  Updater* untrusting = MakeUpdater(0, "device-0");
  ASSERT_NE(untrusting, nullptr);
  auto refused = untrusting->UpdateAll(true);
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied)
      << refused.status();
  EXPECT_NE(refused.status().message().find("certificate"), std::string::npos)
      << refused.status();
  EXPECT_EQ(ActiveVersion(0), -1);
  Updater* pinned = MakeUpdater(1, "device-1", nullptr, "", cert->cert_pem);
  ASSERT_NE(pinned, nullptr);
  auto r = pinned->UpdateAll(true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->installed, std::vector<std::string>{"m@1"});
  ExpectActive(1, 1);
}

TEST_F(UpdateE2eTest, NothingNewCostsExactlyOneConditionalRequest) {
  ASSERT_TRUE(repo_->Publish(kModel, 1).ok());
  StartServer();
  Updater* u = MakeUpdater();
  ASSERT_TRUE(u->UpdateAll(true).ok());
  for (int round = 0; round < 3; ++round) {
    server_->ResetStats();
    auto r = u->CheckForUpdates();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->metadata_unchanged);
    EXPECT_TRUE(r->updates.empty());
    EXPECT_EQ(r->http_requests, 1);
    EXPECT_EQ(server_->Stats("timestamp.json").requests, 1u);
    EXPECT_EQ(server_->Stats("timestamp.json").not_modified, 1u);
    EXPECT_EQ(server_->Stats("2.root.json").requests, 0u);
    EXPECT_EQ(server_->Stats("1.targets.json").requests, 0u);
  }
  // A new updater over the same store (a restart) still needs one request.
  updaters_.clear();
  UpdaterOptions o;
  o.repo_url = server_->Url("");
  o.device_id = "device-0";
  o.trusted_root = repo_->RootBytes();
  auto again = Updater::Create(Env::Default(), &store(), o, &log_);
  ASSERT_TRUE(again.ok()) << again.status();
  server_->ResetStats();
  auto r = (*again)->CheckForUpdates();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_requests, 1);
  EXPECT_EQ(server_->Stats("timestamp.json").not_modified, 1u);
  EXPECT_GE(log_.Count(UpdateEventType::kNothingNew), 3u);
}

TEST_F(UpdateE2eTest, TamperedModelIsRefusedAndActiveUnchanged) {
  Updater* u = InstallV1ThenPublishV2();
  ASSERT_NE(u, nullptr);
  Fault f;
  f.flip_byte_at = 100;
  server_->SetFault("models/m/2/model.tflite", f);
  auto r = u->UpdateAll(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status();
  ExpectActive(1);
  EXPECT_TRUE(NoStaging());
  EXPECT_FALSE(store().VersionDir(kModel, 2).ok());
  EXPECT_GE(log_.Count(UpdateEventType::kRejected), 1u);
  server_->ClearFaults();
  ASSERT_TRUE(u->UpdateAll(true).ok());
  ExpectActive(2);
}

TEST_F(UpdateE2eTest, WrongSignatureIsRefused) {
  Updater* u = InstallV1ThenPublishV2();
  ASSERT_NE(u, nullptr);
  const std::string good = ReadFile(Path("timestamp.json"));
  const SigningKey stranger = GenerateSigningKey();
  ASSERT_TRUE(
      ResignTimestamp(repo_->repo(), std::vector<SigningKey>{stranger}, {})
          .ok());
  auto r = u->UpdateAll(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status();
  EXPECT_NE(r.status().message().find("timestamp.json"), std::string::npos)
      << r.status();
  ExpectActive(1);
  WriteFile(Path("timestamp.json"), good);
  ASSERT_TRUE(u->UpdateAll(true).ok());
  ExpectActive(2);
}

TEST_F(UpdateE2eTest, BelowThresholdSignaturesAreRefused) {
  const SigningKey second = GenerateSigningKey();
  repo_ = std::make_unique<TestRepo>(dir_,
                                     std::vector<SigningKey>{key_, second}, 2);
  Updater* u = InstallV1ThenPublishV2();
  ASSERT_NE(u, nullptr);
  // targets.json signed by one of two required keys, under a timestamp
  // that is signed properly.
  auto targets =
      ParseTargetsUnverified(AsBytes(ReadFile(Path("2.targets.json"))));
  ASSERT_TRUE(targets.ok());
  targets->version = 3;
  auto forged = SignTargets(*targets, std::vector<SigningKey>{key_, key_});
  ASSERT_TRUE(forged.ok());
  WriteFile(Path("3.targets.json"), *forged);
  WriteFile(Path("targets.json"), *forged);
  ASSERT_TRUE(
      ResignTimestamp(repo_->repo(), std::vector<SigningKey>{key_, second}, {})
          .ok());
  auto r = u->UpdateAll(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status();
  EXPECT_NE(r.status().message().find("targets.json"), std::string::npos)
      << r.status();
  ExpectActive(1);
  // And a timestamp with one signature.
  ASSERT_TRUE(
      ResignTimestamp(repo_->repo(), std::vector<SigningKey>{second}, {}).ok());
  r = u->UpdateAll(true);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status();
  ExpectActive(1);
}

TEST_F(UpdateE2eTest, ExpiredTimestampIsRefused) {
  Updater* u = InstallV1ThenPublishV2();
  ASSERT_NE(u, nullptr);
  ResignOptions o;
  o.expires = std::chrono::system_clock::now() - std::chrono::hours(1);
  ASSERT_TRUE(
      ResignTimestamp(repo_->repo(), std::vector<SigningKey>{key_}, o).ok());
  auto r = u->UpdateAll(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
  ExpectActive(1);
  EXPECT_FALSE(store().VersionDir(kModel, 2).ok());
}

TEST_F(UpdateE2eTest, CachedTimestampExpiryIsNoticedWithoutNewMetadata) {
  ASSERT_TRUE(repo_->Publish(kModel, 1).ok());
  StartServer();
  Updater* u = MakeUpdater();
  ASSERT_TRUE(u->UpdateAll(true).ok());
  // The mirror keeps serving the same (304) timestamp while the clock moves.
  updaters_.clear();
  UpdaterOptions o;
  o.repo_url = server_->Url("");
  o.device_id = "device-0";
  o.trusted_root = repo_->RootBytes();
  o.now = [] {
    return std::chrono::system_clock::now() + std::chrono::hours(48);
  };
  auto later = Updater::Create(Env::Default(), &store(), o, &log_);
  ASSERT_TRUE(later.ok());
  auto r = (*later)->CheckForUpdates();
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
  ExpectActive(1);
}

TEST_F(UpdateE2eTest, RollbackAttacksAreRefused) {
  Updater* u = InstallV1ThenPublishV2();
  ASSERT_NE(u, nullptr);
  ASSERT_TRUE(u->UpdateAll(true).ok());
  ExpectActive(2);
  // (a) An older timestamp (version 1) served again.
  auto t1 = ParseTargetsUnverified(AsBytes(ReadFile(Path("1.targets.json"))));
  ASSERT_TRUE(t1.ok());
  Timestamp old;
  old.version = 1;
  old.expires = std::chrono::system_clock::now() + std::chrono::hours(24);
  const std::string t1_bytes = ReadFile(Path("1.targets.json"));
  old.targets = {1, t1_bytes.size(), Sha256Hex(t1_bytes)};
  WriteFile(Path("timestamp.json"),
            *SignTimestamp(old, std::vector<SigningKey>{key_}));
  auto r = u->UpdateAll(true);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status();
  ExpectActive(2);
  // (b) A fresh timestamp (higher version) pinning the older targets.json.
  old.version = 50;
  WriteFile(Path("timestamp.json"),
            *SignTimestamp(old, std::vector<SigningKey>{key_}));
  r = u->UpdateAll(true);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status();
  ExpectActive(2);
  // (c) A newer, validly signed targets.json whose newest model is v1.
  t1->version = 60;
  const std::string forged = *SignTargets(*t1, std::vector<SigningKey>{key_});
  WriteFile(Path("60.targets.json"), forged);
  old.version = 60;
  old.targets = {60, forged.size(), Sha256Hex(forged)};
  WriteFile(Path("timestamp.json"),
            *SignTimestamp(old, std::vector<SigningKey>{key_}));
  r = u->UpdateAll(true);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status();
  ExpectActive(2);
}

TEST_F(UpdateE2eTest, MixAndMatchTargetsIsRefused) {
  Updater* u = InstallV1ThenPublishV2();
  ASSERT_NE(u, nullptr);
  // The server answers 2.targets.json with another version's document.
  WriteFile(Path("2.targets.json"), ReadFile(Path("1.targets.json")));
  auto r = u->UpdateAll(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status();
  ExpectActive(1);
}

TEST_F(UpdateE2eTest, TruncatedDownloadResumesWithRange) {
  constexpr int32_t kFloats = 64 * 1024;  // ~256 KiB model
  Updater* u = InstallV1ThenPublishV2(kFloats);
  ASSERT_NE(u, nullptr);
  Fault f;
  f.truncate_after = 100 * 1024;
  server_->SetFault("models/m/2/model.tflite", f);
  auto r = u->UpdateAll(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
  ExpectActive(1, 0, kFloats);
  auto staging = store().BeginStaging(kModel, 2);
  ASSERT_TRUE(staging.ok());
  EXPECT_EQ(*store().StagedSize(*staging, kModelFileName), 100u * 1024);
  server_->ClearFaults();
  server_->ResetStats();
  r = u->UpdateAll(true);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectActive(2, 0, kFloats);
  const auto stats = server_->Stats("models/m/2/model.tflite");
  EXPECT_EQ(stats.range_requests, 1u);
  EXPECT_EQ(stats.bytes_sent, AdderModel(2, kFloats).size() - 100 * 1024);
}

TEST_F(UpdateE2eTest, ServerDownIsUnavailable) {
  ASSERT_TRUE(repo_->Publish(kModel, 1).ok());
  auto url = LoopbackServer::ClosedPortUrl("");
  ASSERT_TRUE(url.ok());
  Updater* u = MakeUpdater(0, "device-0", nullptr, *url);
  ASSERT_NE(u, nullptr);
  auto r = u->UpdateAll(true);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(ActiveVersion(), -1);  // nothing installed, nothing bundled
  EXPECT_EQ(log_.Count(UpdateEventType::kError), 1u);
}

TEST_F(UpdateE2eTest, StalledServerTimesOutAndDownloadResumesLater) {
  constexpr int32_t kFloats = 64 * 1024;
  Updater* u = InstallV1ThenPublishV2(kFloats);
  ASSERT_NE(u, nullptr);
  Fault f;
  f.chunk_bytes = 64 * 1024;
  f.chunk_delay = std::chrono::milliseconds(30000);
  server_->SetFault("models/m/2/model.tflite", f);
  const auto start = std::chrono::steady_clock::now();
  auto r = u->UpdateAll(true);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(took, std::chrono::seconds(15));  // stall timeout is 1 s
  ExpectActive(1, 0, kFloats);
  server_->ClearFaults();
  ASSERT_TRUE(u->UpdateAll(true).ok());
  ExpectActive(2, 0, kFloats);
}

TEST_F(UpdateE2eTest, EndlessDataIsCappedAtTheSignedSize) {
  Updater* u = InstallV1ThenPublishV2();
  ASSERT_NE(u, nullptr);
  for (bool with_length : {false, true}) {
    Fault f;
    f.endless = true;
    f.endless_with_length = with_length;
    server_->SetFault("models/m/2/model.tflite", f);
    auto r = u->UpdateAll(true);
    EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange) << r.status();
    ExpectActive(1);
    EXPECT_TRUE(NoStaging());
  }
  server_->ClearFaults();
  ASSERT_TRUE(u->UpdateAll(true).ok());
  ExpectActive(2);
}

TEST_F(UpdateE2eTest, DiskFullLeavesActiveAndNextAttemptSucceeds) {
  constexpr int32_t kFloats = 16 * 1024;
  FaultInjectionEnv env(Env::Default());
  Updater* u = InstallV1ThenPublishV2(kFloats, &env);
  ASSERT_NE(u, nullptr);
  env.SetPathFilter("/staging/");
  env.SetWriteBudget(10 * 1024);
  auto r = u->UpdateAll(true);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status();
  ExpectActive(1, 0, kFloats);
  EXPECT_FALSE(store().VersionDir(kModel, 2).ok());
  env.Reset();
  ASSERT_TRUE(u->UpdateAll(true).ok());
  ExpectActive(2, 0, kFloats);
}

TEST_F(UpdateE2eTest, StagedRolloutIsDeterministicPerDevice) {
  // Two device ids on either side of 50 %.
  std::string in, out;
  for (int i = 0; i < 200 && (in.empty() || out.empty()); ++i) {
    const std::string id = "device-" + std::to_string(i);
    std::string& slot = InRollout(id, kModel, 50) ? in : out;
    if (slot.empty()) slot = id;
  }
  ASSERT_FALSE(in.empty());
  ASSERT_FALSE(out.empty());
  ASSERT_TRUE(repo_->Publish(kModel, 1, 4, R"({"rollout_percent": 50})").ok());
  StartServer();
  Updater* a = MakeUpdater(0, in);
  Updater* b = MakeUpdater(1, out);
  for (int round = 0; round < 2; ++round) {
    auto ra = a->UpdateAll(true);
    auto rb = b->UpdateAll(true);
    ASSERT_TRUE(ra.ok() && rb.ok());
    if (round == 0) {
      EXPECT_EQ(ra->installed.size(), 1u);
      EXPECT_TRUE(rb->installed.empty());
      ASSERT_EQ(rb->check.skipped.size(), 1u);
      EXPECT_NE(rb->check.skipped[0].reason.find("not in rollout"),
                std::string::npos);
    }
  }
  EXPECT_EQ(ActiveVersion(0), 1);
  EXPECT_EQ(ActiveVersion(1), -1);
}

TEST_F(UpdateE2eTest, NewerRuntimeRequiredIsSkippedWithReason) {
  ASSERT_TRUE(repo_->Publish(kModel, 1).ok());
  StartServer();
  Updater* u = MakeUpdater();
  ASSERT_TRUE(u->UpdateAll(true).ok());
  ASSERT_TRUE(
      repo_->Publish(kModel, 2, 4, R"({"min_runtime_version": "9.0.0"})").ok());
  auto r = u->UpdateAll(true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->installed.empty());
  ASSERT_EQ(r->check.skipped.size(), 1u);
  EXPECT_NE(r->check.skipped[0].reason.find("needs runtime >= 9.0.0"),
            std::string::npos);
  ExpectActive(1);
}

TEST_F(UpdateE2eTest, RootRotationDuringUpdate) {
  Updater* u = InstallV1ThenPublishV2();
  ASSERT_NE(u, nullptr);
  const SigningKey new_root = GenerateSigningKey();
  auto v = RotateRoot(repo_->repo(), std::vector<SigningKey>{key_},
                      std::vector<SigningKey>{new_root}, 1);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(repo_->Publish(kModel, 3).ok());
  auto r = u->UpdateAll(true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->check.root_version, 2);
  ExpectActive(3);
  // The rotated root is the trusted one from now on.
  auto stored = ReadFile(fs::path(store().root()) / "metadata" / "root.json");
  EXPECT_EQ(stored, ReadFile(Path("2.root.json")));

  // A rotation signed only by a stranger is refused; nothing changes.
  const SigningKey stranger = GenerateSigningKey();
  RotateOptions bad;
  bad.signers = std::vector<SigningKey>{stranger};
  ASSERT_TRUE(RotateRoot(repo_->repo(), std::vector<SigningKey>{new_root},
                         std::vector<SigningKey>{stranger}, 1, bad)
                  .ok());
  ASSERT_TRUE(repo_->Publish(kModel, 4).ok());
  r = u->UpdateAll(true);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status();
  EXPECT_NE(r.status().message().find("3.root.json"), std::string::npos)
      << r.status();
  ExpectActive(3);
}

TEST_F(UpdateE2eTest, BackgroundPollerPicksUpANewVersion) {
  ASSERT_TRUE(repo_->Publish(kModel, 1).ok());
  StartServer();
  Updater* u = MakeUpdater();
  ASSERT_TRUE(u->StartPolling(std::chrono::milliseconds(50), 0.5, true).ok());
  EXPECT_EQ(u->StartPolling(std::chrono::milliseconds(50), 0.5, true).code(),
            StatusCode::kFailedPrecondition);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ActiveVersion() != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  u->StopPolling();
  EXPECT_EQ(ActiveVersion(), 1);
  EXPECT_GE(u->poll_runs(), 1u);
}

}  // namespace
}  // namespace edgerun::ota
