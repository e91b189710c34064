#include "edgerun/base/env.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "edgerun/base/fault_injection_env.h"

namespace edgerun {
namespace {

// A fresh directory per test and process.
class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = "/tmp/edgerun_env_test_" + std::to_string(::getpid()) + "_" +
           std::to_string(counter++);
    ASSERT_TRUE(env_->RemoveDirRecursive(dir_).ok());
    ASSERT_TRUE(env_->CreateDirs(dir_).ok());
  }
  void TearDown() override { (void)env_->RemoveDirRecursive(dir_); }
  std::string P(std::string_view name) const { return JoinPath(dir_, name); }

  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(EnvTest, WriteAppendReadAndSize) {
  {
    auto f = env_->NewWritableFile(P("a"));
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Append(std::string_view("hello ")).ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  {
    auto f = env_->NewAppendableFile(P("a"));
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(std::string_view("world")).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  EXPECT_EQ(*env_->ReadFileToString(P("a")), "hello world");
  EXPECT_EQ(*env_->GetFileSize(P("a")), 11u);
  // NewWritableFile truncates.
  ASSERT_TRUE(env_->NewWritableFile(P("a")).ok());
  EXPECT_EQ(*env_->GetFileSize(P("a")), 0u);

  auto seq = env_->NewSequentialFile(P("a"));
  ASSERT_TRUE(seq.ok());
  uint8_t buf[4];
  EXPECT_EQ(*(*seq)->Read(buf), 0u);
}

TEST_F(EnvTest, ErrorsNameOperationPathAndCode) {
  auto r = env_->ReadFileToString(P("missing"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "open " + P("missing") + ": No such file or directory");
  EXPECT_EQ(env_->GetFileSize(P("missing")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(env_->RemoveFile(P("missing")).code(), StatusCode::kNotFound);
  ASSERT_TRUE(env_->CreateDir(P("d")).ok());
  EXPECT_EQ(env_->CreateDir(P("d")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(env_->NewWritableFile(P("nodir/x")).status().code(), StatusCode::kNotFound);
  auto w = env_->NewWritableFile(P("w"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->Append(std::string_view("x")).code(), StatusCode::kFailedPrecondition);
}

TEST_F(EnvTest, DirectoriesChildrenRenameRemove) {
  ASSERT_TRUE(env_->CreateDirs(P("x/y/z")).ok());
  ASSERT_TRUE(env_->CreateDirs(P("x/y/z")).ok());  // idempotent
  EXPECT_TRUE(env_->IsDirectory(P("x/y/z")));
  ASSERT_TRUE(env_->NewWritableFile(P("x/b")).ok());
  ASSERT_TRUE(env_->NewWritableFile(P("x/a")).ok());
  auto kids = env_->GetChildren(P("x"));
  ASSERT_TRUE(kids.ok());
  EXPECT_EQ(*kids, (std::vector<std::string>{"a", "b", "y"}));
  EXPECT_FALSE(env_->IsDirectory(P("x/a")));
  EXPECT_TRUE(env_->FileExists(P("x/a")));

  // Rename replaces an existing file atomically.
  {
    auto f = env_->NewWritableFile(P("x/a"));
    ASSERT_TRUE((*f)->Append(std::string_view("new")).ok());
  }
  ASSERT_TRUE(env_->RenameFile(P("x/a"), P("x/b")).ok());
  EXPECT_FALSE(env_->FileExists(P("x/a")));
  EXPECT_EQ(*env_->ReadFileToString(P("x/b")), "new");
  // Directories rename too.
  ASSERT_TRUE(env_->RenameFile(P("x/y"), P("x/w")).ok());
  EXPECT_TRUE(env_->IsDirectory(P("x/w/z")));
  ASSERT_TRUE(env_->SyncDir(P("x")).ok());
  EXPECT_EQ(env_->SyncDir(P("nope")).code(), StatusCode::kNotFound);

  ASSERT_TRUE(env_->RemoveDirRecursive(P("x")).ok());
  EXPECT_FALSE(env_->FileExists(P("x")));
  EXPECT_TRUE(env_->RemoveDirRecursive(P("x")).ok());  // missing is OK
}

TEST_F(EnvTest, LockFileExcludesOtherProcesses) {
  auto lock = env_->LockFile(P("LOCK"));
  ASSERT_TRUE(lock.ok()) << lock.status();
  // A second lock in this process uses another open file description, so
  // flock refuses it too.
  auto again = env_->LockFile(P("LOCK"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kUnavailable);
  // A child process cannot take it either.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(Env::Default()->LockFile(P("LOCK")).ok() ? 1 : 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  lock->reset();
  EXPECT_TRUE(env_->LockFile(P("LOCK")).ok());
}

TEST_F(EnvTest, NowMicrosIsWallClock) {
  const uint64_t now = env_->NowMicros();
  EXPECT_GT(now, 1600000000ull * 1000000);  // after 2020
  EXPECT_LE(now, env_->NowMicros());
}

TEST_F(EnvTest, FaultDiskFullWritesWhatFitsThenFails) {
  FaultInjectionEnv fenv(env_);
  fenv.SetWriteBudget(5);
  auto f = fenv.NewWritableFile(P("full"));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(std::string_view("abc")).ok());
  Status s = (*f)->Append(std::string_view("defg"));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "write " + P("full") + ": No space left on device (injected)");
  EXPECT_EQ((*f)->Append(std::string_view("h")).code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(*env_->ReadFileToString(P("full")), "abcde");
  fenv.Reset();
  auto g = fenv.NewAppendableFile(P("full"));
  ASSERT_TRUE((*g)->Append(std::string_view("!")).ok());
  EXPECT_EQ(*env_->ReadFileToString(P("full")), "abcde!");
}

TEST_F(EnvTest, FaultSyncRenameAndPathFilter) {
  FaultInjectionEnv fenv(env_);
  fenv.SetSyncFailure(true);
  fenv.SetRenameFailure(true);
  fenv.SetPathFilter("CURRENT");
  auto other = fenv.NewWritableFile(P("data"));
  ASSERT_TRUE((*other)->Sync().ok());  // filtered out
  auto cur = fenv.NewWritableFile(P("CURRENT.tmp"));
  EXPECT_EQ((*cur)->Sync().code(), StatusCode::kInternal);
  EXPECT_EQ(fenv.RenameFile(P("CURRENT.tmp"), P("CURRENT")).code(), StatusCode::kInternal);
  EXPECT_FALSE(env_->FileExists(P("CURRENT")));
  EXPECT_TRUE(fenv.RenameFile(P("data"), P("data2")).ok());
  fenv.SetPathFilter("");
  EXPECT_EQ(fenv.SyncDir(dir_).code(), StatusCode::kInternal);
  fenv.Reset();
  EXPECT_TRUE(fenv.SyncDir(dir_).ok());
  EXPECT_TRUE(fenv.RenameFile(P("CURRENT.tmp"), P("CURRENT")).ok());
}

TEST_F(EnvTest, FaultTornWriteCrashesTheEnv) {
  FaultInjectionEnv fenv(env_);
  auto f = fenv.NewWritableFile(P("torn"));
  ASSERT_TRUE((*f)->Append(std::string_view("0123")).ok());
  fenv.SetTornWrite(2);
  EXPECT_EQ((*f)->Append(std::string_view("456789")).code(), StatusCode::kAborted);
  EXPECT_TRUE(fenv.crashed());
  EXPECT_EQ(*env_->ReadFileToString(P("torn")), "012345");
  // Everything mutating fails after the crash; reads still work.
  EXPECT_EQ((*f)->Sync().code(), StatusCode::kAborted);
  EXPECT_EQ(fenv.NewWritableFile(P("x")).status().code(), StatusCode::kAborted);
  EXPECT_EQ(fenv.RenameFile(P("torn"), P("y")).code(), StatusCode::kAborted);
  EXPECT_EQ(fenv.RemoveFile(P("torn")).code(), StatusCode::kAborted);
  EXPECT_EQ(fenv.CreateDir(P("d")).code(), StatusCode::kAborted);
  EXPECT_TRUE(fenv.ReadFileToString(P("torn")).ok());
  fenv.Reset();
  EXPECT_TRUE(fenv.RemoveFile(P("torn")).ok());
}

TEST_F(EnvTest, CrashPointsAreCountedAndCanKill) {
  FaultInjectionEnv fenv(env_);
  std::vector<std::pair<std::string, int>> seen;
  fenv.SetCrashHook([&](std::string_view name, int i) { seen.emplace_back(name, i); });
  fenv.CrashPoint("a");
  fenv.CrashPoint("b");
  EXPECT_EQ(fenv.crash_points(), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1], (std::pair<std::string, int>{"b", 2}));

  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FaultInjectionEnv child(Env::Default());
    child.SetCrashHook(FaultInjectionEnv::KillAt(2));
    child.CrashPoint("one");
    child.CrashPoint("two");
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

}  // namespace
}  // namespace edgerun
