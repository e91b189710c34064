#include "edgerun/base/fault_injection_env.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace edgerun {

// Forwards to a base file, asking the env before each write and sync.
class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base)
      : env_(env), base_(std::move(base)) {}

  Status Append(std::span<const uint8_t> data) override {
    size_t allowed = 0;
    Status fault = env_->AdmitWrite(base_->path(), data.size(), &allowed);
    if (allowed > 0) RETURN_IF_ERROR(base_->Append(data.first(allowed)));
    return fault;
  }
  Status Sync() override {
    RETURN_IF_ERROR(env_->CheckSync(base_->path()));
    return base_->Sync();
  }
  Status Close() override { return base_->Close(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> base_;
};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base) {}

void FaultInjectionEnv::SetWriteBudget(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  write_budget_ = bytes;
}
void FaultInjectionEnv::SetSyncFailure(bool fail) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_sync_ = fail;
}
void FaultInjectionEnv::SetTornWrite(uint64_t keep_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  torn_write_keep_ = keep_bytes;
}
void FaultInjectionEnv::SetRenameFailure(bool fail) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_rename_ = fail;
}
void FaultInjectionEnv::SetPathFilter(std::string filter) {
  std::lock_guard<std::mutex> lock(mu_);
  filter_ = std::move(filter);
}
void FaultInjectionEnv::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  write_budget_.reset();
  torn_write_keep_.reset();
  fail_sync_ = false;
  fail_rename_ = false;
  crashed_ = false;
  filter_.clear();
}
bool FaultInjectionEnv::crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}
void FaultInjectionEnv::SetCrashHook(CrashHook hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}
std::vector<std::string> FaultInjectionEnv::crash_points() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crash_points_;
}

FaultInjectionEnv::CrashHook FaultInjectionEnv::KillAt(int index) {
  return [index](std::string_view, int i) {
    if (i == index) {
      ::raise(SIGKILL);
      ::_exit(137);  // not reached
    }
  };
}

bool FaultInjectionEnv::MatchesLocked(std::string_view path) const {
  return filter_.empty() || path.find(filter_) != std::string_view::npos;
}

Status FaultInjectionEnv::CheckAliveLocked(std::string_view op,
                                           std::string_view path) const {
  if (!crashed_) return OkStatus();
  return AbortedError(std::string(op) + " " + std::string(path) +
                      ": simulated crash (injected)");
}

Status FaultInjectionEnv::CheckAlive(std::string_view op, std::string_view path) const {
  std::lock_guard<std::mutex> lock(mu_);
  return CheckAliveLocked(op, path);
}

Status FaultInjectionEnv::AdmitWrite(const std::string& path, size_t n,
                                     size_t* allowed) {
  std::lock_guard<std::mutex> lock(mu_);
  *allowed = 0;
  RETURN_IF_ERROR(CheckAliveLocked("write", path));
  if (!MatchesLocked(path)) {
    *allowed = n;
    return OkStatus();
  }
  if (torn_write_keep_.has_value()) {
    *allowed = static_cast<size_t>(std::min<uint64_t>(*torn_write_keep_, n));
    torn_write_keep_.reset();
    crashed_ = true;
    return AbortedError("write " + path + ": torn write, simulated crash (injected)");
  }
  if (write_budget_.has_value()) {
    if (*write_budget_ < n) {
      *allowed = static_cast<size_t>(*write_budget_);
      *write_budget_ = 0;
      return ResourceExhaustedError("write " + path +
                                    ": No space left on device (injected)");
    }
    *write_budget_ -= n;
  }
  *allowed = n;
  return OkStatus();
}

Status FaultInjectionEnv::CheckSync(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckAliveLocked("fsync", path));
  if (fail_sync_ && MatchesLocked(path)) {
    return InternalError("fsync " + path + ": Input/output error (injected)");
  }
  return OkStatus();
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path) {
  RETURN_IF_ERROR(CheckAlive("open", path));
  ASSIGN_OR_RETURN(auto file, base_->NewWritableFile(path));
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(file)));
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  RETURN_IF_ERROR(CheckAlive("open", path));
  ASSIGN_OR_RETURN(auto file, base_->NewAppendableFile(path));
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(file)));
}

StatusOr<std::unique_ptr<SequentialFile>> FaultInjectionEnv::NewSequentialFile(
    const std::string& path) {
  return base_->NewSequentialFile(path);
}
StatusOr<std::string> FaultInjectionEnv::ReadFileToString(const std::string& path) {
  return base_->ReadFileToString(path);
}
bool FaultInjectionEnv::FileExists(const std::string& path) {
  return base_->FileExists(path);
}
bool FaultInjectionEnv::IsDirectory(const std::string& path) {
  return base_->IsDirectory(path);
}
StatusOr<uint64_t> FaultInjectionEnv::GetFileSize(const std::string& path) {
  return base_->GetFileSize(path);
}
StatusOr<std::vector<std::string>> FaultInjectionEnv::GetChildren(
    const std::string& dir) {
  return base_->GetChildren(dir);
}
Status FaultInjectionEnv::CreateDir(const std::string& path) {
  RETURN_IF_ERROR(CheckAlive("mkdir", path));
  return base_->CreateDir(path);
}
Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  RETURN_IF_ERROR(CheckAlive("unlink", path));
  return base_->RemoveFile(path);
}
Status FaultInjectionEnv::RemoveDirRecursive(const std::string& path) {
  RETURN_IF_ERROR(CheckAlive("rmdir", path));
  return base_->RemoveDirRecursive(path);
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    RETURN_IF_ERROR(CheckAliveLocked("rename", from));
    if (fail_rename_ && (MatchesLocked(from) || MatchesLocked(to))) {
      return InternalError("rename " + from + " -> " + to +
                           ": Input/output error (injected)");
    }
  }
  return base_->RenameFile(from, to);
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  RETURN_IF_ERROR(CheckSync(dir));
  return base_->SyncDir(dir);
}

StatusOr<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(
    const std::string& path) {
  return base_->LockFile(path);
}

uint64_t FaultInjectionEnv::NowMicros() { return base_->NowMicros(); }

void FaultInjectionEnv::CrashPoint(std::string_view name) {
  CrashHook hook;
  int index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    crash_points_.emplace_back(name);
    index = static_cast<int>(crash_points_.size());
    hook = hook_;
  }
  if (hook) hook(name, index);
}

}  // namespace edgerun
