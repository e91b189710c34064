#include "edgerun/ota/model_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "edgerun/base/fault_injection_env.h"
#include "edgerun/ota/crypto.h"
#include "tests/ota/store_test_util.h"

namespace edgerun::ota {
namespace {

using testing::InstallVersion;
using testing::ModelBytes;

constexpr size_t kSize = 10000;

class ModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = "/tmp/edgerun_model_store_test_" + std::to_string(::getpid()) + "_" +
           std::to_string(counter++);
    ASSERT_TRUE(base_->RemoveDirRecursive(dir_).ok());
    root_ = JoinPath(dir_, "store");
    bundled_ = JoinPath(dir_, "bundled.tflite");
    ASSERT_TRUE(base_->CreateDirs(dir_).ok());
    auto f = base_->NewWritableFile(bundled_);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(ModelBytes(0, 100)).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  void TearDown() override {
    store_.reset();
    (void)base_->RemoveDirRecursive(dir_);
  }

  void Open(Env* env = nullptr, StoreOptions options = {}) {
    store_.reset();
    if (options.bundled_model_path.empty()) options.bundled_model_path = bundled_;
    auto s = ModelStore::Open(env ? env : &fenv_, root_, options);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void Install(int64_t version, bool activate = true) {
    ASSERT_TRUE(InstallVersion(*store_, "m", version, kSize, 4096, activate).ok());
  }
  // Active() is `version` and its file holds that version's bytes.
  void ExpectActive(int64_t version) {
    auto a = store_->Active("m");
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->version, version);
    auto bytes = base_->ReadFileToString(a->path);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(*bytes, version == 0 ? ModelBytes(0, 100) : ModelBytes(version, kSize));
    EXPECT_EQ(a->sha256, Sha256Hex(*bytes));
  }
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    const auto history = store_->History("m");
    for (const auto& e : *history) out.push_back(e.event);
    return out;
  }
  void Corrupt(int64_t version) {
    const std::string path = JoinPath(*store_->VersionDir("m", version), kModelFileName);
    std::string bytes = *base_->ReadFileToString(path);
    bytes[bytes.size() / 2] ^= 0x40;
    auto f = base_->NewWritableFile(path);
    ASSERT_TRUE((*f)->Append(bytes).ok());
  }

  Env* base_ = Env::Default();
  FaultInjectionEnv fenv_{Env::Default()};
  std::string dir_, root_, bundled_;
  std::unique_ptr<ModelStore> store_;
};

TEST_F(ModelStoreTest, StageCommitActivateRollbackPinGc) {
  StoreOptions keep2;
  keep2.keep_versions = 2;
  Open(nullptr, keep2);
  ExpectActive(0);  // nothing installed: bundled
  Install(1);
  ExpectActive(1);
  ASSERT_TRUE(store_->MarkGood("m").ok());
  Install(2);
  ExpectActive(2);
  auto list = store_->List("m");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].version, 2);
  EXPECT_TRUE((*list)[0].active);
  EXPECT_TRUE((*list)[1].last_good && (*list)[1].previous);
  EXPECT_EQ((*list)[0].sha256, Sha256Hex(ModelBytes(2, kSize)));

  // Health window failed.
  auto back = store_->Rollback("m", "crash loop");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, 1);
  ExpectActive(1);
  EXPECT_TRUE((*store_->List("m"))[0].rejected);
  // Roll back again: nothing but the bundled model is left.
  EXPECT_EQ(*store_->Rollback("m", "again"), 0);
  ExpectActive(0);
  EXPECT_EQ(store_->Rollback("m", "x").status().code(), StatusCode::kFailedPrecondition);

  // Pin: activates and holds.
  Install(3, /*activate=*/false);
  ASSERT_TRUE(store_->Pin("m", 1).ok());
  ExpectActive(1);
  EXPECT_EQ(store_->Activate("m", 3, "auto").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Rollback("m", "x").status().code(), StatusCode::kFailedPrecondition);
  Install(4, /*activate=*/false);
  Install(5, /*activate=*/false);
  // keep_versions = 2 keeps 5 and 4; 1 is pinned/active; 3 and 2 go.
  auto removed = store_->GarbageCollect("m");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  std::vector<int64_t> left;
  const auto listed = store_->List("m");
  for (const auto& v : *listed) left.push_back(v.version);
  EXPECT_EQ(left, (std::vector<int64_t>{5, 4, 1}));
  ASSERT_TRUE(store_->Unpin("m").ok());
  ASSERT_TRUE(store_->Activate("m", 5, "auto").ok());
  ExpectActive(5);
  EXPECT_EQ(*store_->Models(), std::vector<std::string>{"m"});

  // State and history survive a reopen.
  Open();
  ExpectActive(5);
  const auto events = Events();
  EXPECT_EQ(std::count(events.begin(), events.end(), "rolled_back"), 2);
  EXPECT_EQ(std::count(events.begin(), events.end(), "gc_removed"), 2);
  EXPECT_EQ(events.back(), "activated");
  EXPECT_EQ((*store_->History("m"))[4].reason.empty(), true);
}

TEST_F(ModelStoreTest, RejectMarksAnInactiveVersionAndSurvivesRestart) {
  Open();
  Install(1);
  Install(2, /*activate=*/false);
  EXPECT_EQ(store_->Reject("m", 1, "x").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->Reject("m", 2, "self-test failed: output 0").ok());
  ASSERT_TRUE(store_->Reject("m", 2, "again").ok());  // idempotent
  Open();
  auto list = store_->List("m");
  ASSERT_TRUE(list.ok());
  for (const VersionInfo& v : *list) EXPECT_EQ(v.rejected, v.version == 2) << v.version;
  const std::vector<std::string> events = Events();
  EXPECT_EQ(std::count(events.begin(), events.end(), "rejected"), 1);
  ExpectActive(1);
  // An explicit activation clears the mark.
  ASSERT_TRUE(store_->Activate("m", 2, "operator override").ok());
  list = store_->List("m");
  for (const VersionInfo& v : *list) EXPECT_FALSE(v.rejected) << v.version;
}

TEST_F(ModelStoreTest, DownloadResumesAcrossRestart) {
  Open();
  const std::string bytes = ModelBytes(7, kSize);
  {
    auto staging = store_->BeginStaging("m", 7);
    ASSERT_TRUE(staging.ok());
    auto f = store_->OpenStagedFile(*staging, kModelFileName, false);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(std::string_view(bytes).substr(0, 3000)).ok());
  }
  Open();  // restart
  auto staging = store_->BeginStaging("m", 7);
  ASSERT_TRUE(staging.ok());
  EXPECT_EQ(*store_->StagedSize(*staging, kModelFileName), 3000u);
  auto list = store_->List("m");
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].staged && !(*list)[0].committed);
  EXPECT_EQ((*list)[0].staged_bytes, 3000u);
  ASSERT_TRUE(InstallVersion(*store_, "m", 7, kSize, 1000, true).ok());
  ExpectActive(7);
  EXPECT_EQ(store_->BeginStaging("m", 7).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(ModelStoreTest, HashMismatchAtCommitLeavesNothingVisible) {
  Open();
  Install(1);
  auto staging = store_->BeginStaging("m", 2);
  auto f = store_->OpenStagedFile(*staging, kModelFileName, false);
  ASSERT_TRUE((*f)->Append(ModelBytes(2, kSize)).ok());
  ASSERT_TRUE((*f)->Close().ok());
  Status s = store_->CommitStaged(
      *staging, {{kModelFileName, Sha256Hex(ModelBytes(3, kSize)), kSize}}, "test");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("sha256"), std::string::npos) << s;
  EXPECT_FALSE(base_->FileExists(staging->dir));
  EXPECT_EQ(store_->List("m")->size(), 1u);
  EXPECT_EQ(store_->VersionDir("m", 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Activate("m", 2, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(Events().back(), "commit_rejected");
  ExpectActive(1);
  // A wrong length is refused the same way, and so is a missing file.
  staging = store_->BeginStaging("m", 2);
  f = store_->OpenStagedFile(*staging, kModelFileName, false);
  ASSERT_TRUE((*f)->Append(ModelBytes(2, kSize)).ok());
  EXPECT_EQ(store_->CommitStaged(*staging, {{kModelFileName, "00", kSize + 1}}, "t").code(),
            StatusCode::kDataLoss);
  staging = store_->BeginStaging("m", 2);
  EXPECT_EQ(store_->CommitStaged(*staging, {{kModelFileName, "00", 1}}, "t").code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->CommitStaged(*staging, {{"other", "00", 1}}, "t").code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ModelStoreTest, CommitKeepsExtraFilesWithHashes) {
  Open();
  auto staging = store_->BeginStaging("m", 1);
  const std::string model = ModelBytes(1, kSize), input = "npy-bytes";
  for (auto [file, data] : {std::pair{std::string(kModelFileName), model},
                            std::pair{std::string("selftest_input.npy"), input},
                            std::pair{std::string("junk"), std::string("x")}}) {
    auto f = store_->OpenStagedFile(*staging, file, false);
    ASSERT_TRUE((*f)->Append(data).ok());
  }
  ASSERT_TRUE(store_
                  ->CommitStaged(*staging,
                                 {{kModelFileName, Sha256Hex(model), model.size()},
                                  {"selftest_input.npy", Sha256Hex(input), input.size()}},
                                 "https://example/m/1")
                  .ok());
  const std::string dir = *store_->VersionDir("m", 1);
  EXPECT_EQ(*base_->GetChildren(dir),
            (std::vector<std::string>{"manifest.json", "model.tflite", "selftest_input.npy"}));
  const std::string manifest = *base_->ReadFileToString(JoinPath(dir, "manifest.json"));
  EXPECT_NE(manifest.find(Sha256Hex(input)), std::string::npos);
  EXPECT_NE(manifest.find("https://example/m/1"), std::string::npos);
  // Activate checks every file: a damaged self-test input blocks it.
  auto f = base_->NewWritableFile(JoinPath(dir, "selftest_input.npy"));
  ASSERT_TRUE((*f)->Append(std::string_view("npy-bytez")).ok());
  EXPECT_EQ(store_->Activate("m", 1, "x").code(), StatusCode::kDataLoss);
}

TEST_F(ModelStoreTest, DiskFullDuringStaging) {
  Open();
  Install(1);
  fenv_.SetPathFilter(".part");
  fenv_.SetWriteBudget(5000);
  Status s = InstallVersion(*store_, "m", 2, kSize, 4096, true);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("model.tflite.part: No space left on device"), std::string::npos)
      << s;
  ExpectActive(1);
  fenv_.Reset();
  // Space freed: the download resumes where it stopped.
  auto staging = store_->BeginStaging("m", 2);
  EXPECT_EQ(*store_->StagedSize(*staging, kModelFileName), 5000u);
  ASSERT_TRUE(InstallVersion(*store_, "m", 2, kSize, 4096, true).ok());
  ExpectActive(2);
}

TEST_F(ModelStoreTest, DiskFullDuringCurrentWriteKeepsOldActive) {
  Open();
  Install(1);
  Install(2, /*activate=*/false);
  fenv_.SetPathFilter("CURRENT");
  fenv_.SetWriteBudget(10);
  Status s = store_->Activate("m", 2, "update");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("CURRENT"), std::string::npos) << s;
  ExpectActive(1);
  EXPECT_FALSE(base_->FileExists(JoinPath(root_, "versions/m/CURRENT.tmp")));
  fenv_.Reset();
  Open();
  ExpectActive(1);
  ASSERT_TRUE(store_->Activate("m", 2, "retry").ok());
  ExpectActive(2);
}

TEST_F(ModelStoreTest, FailedFsyncOrRenameDoesNotActivate) {
  Open();
  Install(1);
  Install(2, /*activate=*/false);
  fenv_.SetPathFilter("CURRENT");
  fenv_.SetSyncFailure(true);
  Status s = store_->Activate("m", 2, "update");
  EXPECT_EQ(s.code(), StatusCode::kInternal) << s;
  EXPECT_NE(s.message().find("fsync"), std::string::npos) << s;
  ExpectActive(1);
  fenv_.Reset();
  fenv_.SetRenameFailure(true);
  EXPECT_EQ(store_->Activate("m", 2, "update").code(), StatusCode::kInternal);
  ExpectActive(1);
  fenv_.Reset();
  Open();
  ExpectActive(1);
  // A failed fsync of the staged data refuses the commit.
  fenv_.SetPathFilter("staging");
  fenv_.SetSyncFailure(true);
  EXPECT_EQ(InstallVersion(*store_, "m", 3, kSize, 4096, true).code(), StatusCode::kInternal);
  EXPECT_EQ(store_->VersionDir("m", 3).status().code(), StatusCode::kNotFound);
  ExpectActive(1);
}

TEST_F(ModelStoreTest, TornWriteThenRestartResumes) {
  Open();
  Install(1);
  fenv_.SetPathFilter(".part");
  fenv_.SetTornWrite(100);
  EXPECT_EQ(InstallVersion(*store_, "m", 2, kSize, 4096, true).code(), StatusCode::kAborted);
  EXPECT_TRUE(fenv_.crashed());
  fenv_.Reset();
  Open();
  ExpectActive(1);
  ASSERT_TRUE(InstallVersion(*store_, "m", 2, kSize, 4096, true).ok());
  ExpectActive(2);
}

TEST_F(ModelStoreTest, TornCurrentRecoversFromPrevCopy) {
  Open();
  Install(1);
  Install(2);
  store_.reset();
  const std::string current = JoinPath(root_, "versions/m/CURRENT");
  std::string text = *base_->ReadFileToString(current);
  auto f = base_->NewWritableFile(current);
  ASSERT_TRUE((*f)->Append(std::string_view(text).substr(0, text.size() / 2)).ok());
  ASSERT_TRUE((*f)->Close().ok());
  Open();
  ExpectActive(1);  // CURRENT.prev: the state before the last activation
  EXPECT_EQ(Events().back(), "recovered");
  EXPECT_NE((*store_->History("m")).back().reason.find("CURRENT"), std::string::npos);
  // CURRENT was rewritten: a reopen reads it directly.
  Open();
  ExpectActive(1);
  EXPECT_EQ(Events().back(), "recovered");

  // Both copies garbled (same length, a flipped bit): the history decides.
  ASSERT_TRUE(store_->Activate("m", 2, "again").ok());
  store_.reset();
  for (const char* file : {"CURRENT", "CURRENT.prev"}) {
    const std::string path = JoinPath(root_, std::string("versions/m/") + file);
    std::string t = *base_->ReadFileToString(path);
    t[t.size() / 2] ^= 1;
    auto w = base_->NewWritableFile(path);
    ASSERT_TRUE((*w)->Append(t).ok());
  }
  Open();
  ExpectActive(2);
}

TEST_F(ModelStoreTest, TornHistoryLineLosesOnlyThatEvent) {
  Open();
  Install(1);
  Install(2, /*activate=*/false);
  store_.reset();
  auto f = base_->NewAppendableFile(JoinPath(root_, "versions/m/history.jsonl"));
  ASSERT_TRUE((*f)->Append(std::string_view("{\"time_micros\": 12, \"ev")).ok());
  ASSERT_TRUE((*f)->Close().ok());
  Open();
  ASSERT_TRUE(store_->Activate("m", 2, "after torn").ok());
  const auto history = *store_->History("m");
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history.back().event, "activated");
  EXPECT_EQ(history.back().reason, "after torn");
  EXPECT_EQ(history.front().event, "staged");
}

TEST_F(ModelStoreTest, CorruptedActiveFallsBackAndRecordsWhy) {
  Open();
  Install(1);
  ASSERT_TRUE(store_->MarkGood("m").ok());
  Install(2);
  Corrupt(2);
  ExpectActive(1);
  auto history = *store_->History("m");
  EXPECT_EQ(history.back().event, "fallback");
  EXPECT_EQ(history.back().from_version, 2);
  EXPECT_NE(history.back().reason.find("sha256"), std::string::npos) << history.back().reason;
  EXPECT_TRUE((*store_->List("m"))[0].rejected);
  // Persisted: a reopen serves version 1 without re-detecting.
  Open();
  ExpectActive(1);
  Corrupt(1);
  ExpectActive(0);  // bundled
  // Nothing verifiable and no bundled model: an error, never a bad file.
  StoreOptions missing;
  missing.bundled_model_path = JoinPath(dir_, "missing.tflite");
  Open(nullptr, missing);
  EXPECT_FALSE(store_->Active("m").ok());
}

TEST_F(ModelStoreTest, TruncatedOrMissingActiveFileFallsBack) {
  Open();
  Install(1);
  Install(2);
  const std::string path = JoinPath(*store_->VersionDir("m", 2), kModelFileName);
  ASSERT_TRUE(base_->RemoveFile(path).ok());
  ExpectActive(1);
}

TEST_F(ModelStoreTest, RefusesPathTraversalAndBadVersions) {
  Open();
  for (const char* name : {"", "..", "../etc", "a/b", ".hidden", "a..b", "a b", "a\\b"}) {
    EXPECT_EQ(store_->BeginStaging(name, 1).status().code(), StatusCode::kInvalidArgument)
        << name;
    EXPECT_EQ(store_->Active(name).status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(store_->Activate(name, 1, "").code(), StatusCode::kInvalidArgument) << name;
  }
  EXPECT_EQ(store_->BeginStaging("m", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->BeginStaging("m", -3).status().code(), StatusCode::kInvalidArgument);
  auto staging = store_->BeginStaging("m-1.v2_x", 1);
  ASSERT_TRUE(staging.ok());
  for (const char* file : {"../model.tflite", "manifest.json", "a/b", "x.part", ".."}) {
    EXPECT_EQ(store_->OpenStagedFile(*staging, file, false).status().code(),
              StatusCode::kInvalidArgument)
        << file;
  }
  // A forged staging dir is refused.
  Staging forged = *staging;
  forged.dir = dir_;
  EXPECT_EQ(store_->CommitStaged(forged, {{kModelFileName, "00", 1}}, "").code(),
            StatusCode::kNotFound);
}

TEST_F(ModelStoreTest, BundledFallbackWhenNothingInstalled) {
  Open();
  auto a = store_->Active("anything");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->from_bundled);
  EXPECT_EQ(a->path, bundled_);
  EXPECT_EQ(a->sha256, Sha256Hex(ModelBytes(0, 100)));
  StoreOptions pinned_hash;
  pinned_hash.bundled_model_path = bundled_;
  pinned_hash.bundled_model_sha256 = "ab";
  Open(nullptr, pinned_hash);
  EXPECT_EQ(store_->Active("m").status().code(), StatusCode::kDataLoss);
  store_.reset();
  auto bare = ModelStore::Open(base_, root_, {});
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ((*bare)->Active("m").status().code(), StatusCode::kNotFound);
}

TEST_F(ModelStoreTest, SecondOpenOnSameRootIsRefused) {
  Open();
  auto second = ModelStore::Open(base_, root_, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("LOCK"), std::string::npos);
}

TEST_F(ModelStoreTest, OpenCleansLeftovers) {
  Open();
  Install(1);
  store_.reset();
  for (const char* p : {"versions/m/CURRENT.tmp", "staging/m-3/model.tflite.tmp",
                        "staging/m-3/manifest.json", "staging/m-3/model.tflite",
                        "staging/garbage/x", "trash/m-9-1/model.tflite"}) {
    const std::string path = JoinPath(root_, p);
    ASSERT_TRUE(base_->CreateDirs(path.substr(0, path.find_last_of('/'))).ok());
    ASSERT_TRUE(base_->NewWritableFile(path).ok());
  }
  ASSERT_TRUE(base_->CreateDirs(JoinPath(root_, "staging/m-1")).ok());  // committed
  Open();
  EXPECT_FALSE(base_->FileExists(JoinPath(root_, "versions/m/CURRENT.tmp")));
  EXPECT_EQ(*base_->GetChildren(JoinPath(root_, "staging")), std::vector<std::string>{"m-3"});
  EXPECT_EQ(*base_->GetChildren(JoinPath(root_, "staging/m-3")),
            std::vector<std::string>{"model.tflite.part"});
  EXPECT_TRUE(base_->GetChildren(JoinPath(root_, "trash"))->empty());
  ExpectActive(1);
}

TEST_F(ModelStoreTest, ConcurrentActiveWhileUpdating) {
  Open();
  Install(1);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        auto a = store_->Active("m");
        if (!a.ok() || a->sha256 != Sha256Hex(*base_->ReadFileToString(a->path))) ++bad;
      }
    });
  }
  for (int v = 2; v <= 6; ++v) Install(v);
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad, 0);
  ExpectActive(6);
}

}  // namespace
}  // namespace edgerun::ota
