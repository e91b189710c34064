// ModelStore: see include/edgerun/ota/model_store.h and docs/ota.md.
//
// Every state change is "write temp + fsync + rename + fsync dir", and every
// step calls env_->CrashPoint("store.<op>.<step>") so that the crash tests in
// tests/ota/ can kill the process between any two steps.
#include "edgerun/ota/model_store.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "edgerun/ota/crypto.h"

namespace edgerun::ota {
namespace {

using json = nlohmann::json;

constexpr int kFormat = 1;
constexpr char kCurrent[] = "CURRENT";
constexpr char kCurrentPrev[] = "CURRENT.prev";
constexpr char kHistory[] = "history.jsonl";
constexpr char kManifest[] = "manifest.json";
constexpr char kPart[] = ".part";
constexpr char kTmp[] = ".tmp";
constexpr size_t kMaxNameLength = 128;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// [A-Za-z0-9._-]{1,128}, not starting with '.', no "..".
bool IsSafeComponent(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength || s[0] == '.') return false;
  if (s.find("..") != std::string_view::npos) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status ValidateName(const std::string& name) {
  if (!IsSafeComponent(name)) {
    return InvalidArgumentError("invalid model name '" + name.substr(0, 64) +
                                "': want 1-128 of [A-Za-z0-9._-], no leading '.' or '..'");
  }
  return OkStatus();
}

Status ValidateVersion(const std::string& name, int64_t version) {
  if (version <= 0) {
    return InvalidArgumentError("model " + name + ": invalid version " +
                                std::to_string(version) + " (want a positive integer)");
  }
  return OkStatus();
}

Status ValidateFileName(const std::string& file) {
  if (!IsSafeComponent(file) || file == kManifest || EndsWith(file, kPart) ||
      EndsWith(file, kTmp)) {
    return InvalidArgumentError("invalid staged file name '" + file.substr(0, 64) + "'");
  }
  return OkStatus();
}

// A positive decimal version; 0 for anything else.
int64_t ParseVersion(std::string_view s) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return 0;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return 0;
  return v;
}

// "<name>-<version>" -> (name, version); version 0 when malformed.
std::pair<std::string, int64_t> ParseStagingDirName(std::string_view s) {
  const size_t dash = s.find_last_of('-');
  if (dash == std::string_view::npos || dash == 0) return {"", 0};
  std::string name(s.substr(0, dash));
  if (!IsSafeComponent(name)) return {"", 0};
  return {name, ParseVersion(s.substr(dash + 1))};
}

bool Contains(const std::vector<int64_t>& v, int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

struct ModelStore::Manifest {
  int64_t version = 0;
  std::string source;
  uint64_t committed_at_micros = 0;
  std::vector<ExpectedFile> files;
  const ExpectedFile* model() const {
    for (const auto& f : files) {
      if (f.name == kModelFileName) return &f;
    }
    return nullptr;
  }
};

namespace {

// Hashes `path` from disk; checks the length first (cheap) when known.
Status VerifyFile(Env* env, const std::string& path, const std::string& sha256,
                  uint64_t length) {
  ASSIGN_OR_RETURN(const uint64_t size, env->GetFileSize(path));
  if (size != length) {
    return DataLossError("verify " + path + ": " + std::to_string(size) +
                         " bytes, expected " + std::to_string(length));
  }
  ASSIGN_OR_RETURN(auto file, env->NewSequentialFile(path));
  Sha256Hasher hasher;
  std::vector<uint8_t> buf(256 * 1024);
  uint64_t total = 0;
  while (true) {
    ASSIGN_OR_RETURN(const size_t n, file->Read(buf));
    if (n == 0) break;
    total += n;
    hasher.Update(std::span<const uint8_t>(buf.data(), n));
  }
  const std::string got = hasher.FinishHex();
  if (total != length || got != sha256) {
    return DataLossError("verify " + path + ": sha256 " + got + ", expected " + sha256);
  }
  return OkStatus();
}

std::string StateBody(const std::string& name, int64_t active, int64_t previous,
                      int64_t last_good, bool pinned, const std::vector<int64_t>& rejected,
                      uint64_t now) {
  json j = {{"format", kFormat},     {"name", name},           {"active", active},
            {"previous", previous},  {"last_good", last_good}, {"pinned", pinned},
            {"rejected", rejected},  {"updated_at_micros", now}};
  return j.dump();
}

// CURRENT = {"body": <state JSON as a string>, "sha256": hex(body)}: a torn or
// bit-flipped file fails the checksum instead of parsing as another state.
std::string SealState(const std::string& body) {
  return json({{"body", body}, {"sha256", Sha256Hex(body)}}).dump() + "\n";
}

StatusOr<json> UnsealState(const std::string& path, const std::string& text) {
  json outer = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!outer.is_object() || !outer.contains("body") || !outer["body"].is_string() ||
      !outer.contains("sha256") || !outer["sha256"].is_string()) {
    return DataLossError("read " + path + ": not a sealed state file");
  }
  const std::string body = outer["body"].get<std::string>();
  if (Sha256Hex(body) != outer["sha256"].get<std::string>()) {
    return DataLossError("read " + path + ": checksum mismatch");
  }
  json state = json::parse(body, nullptr, false);
  if (!state.is_object() || state.value("format", 0) != kFormat) {
    return DataLossError("read " + path + ": unknown state format");
  }
  return state;
}

int64_t JsonInt(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  return it->get<int64_t>();
}

}  // namespace

std::string Staging::PartPath(std::string_view file) const {
  return JoinPath(dir, std::string(file) + kPart);
}

ModelStore::ModelStore(Env* env, std::string root, StoreOptions options)
    : env_(env), root_(std::move(root)), options_(std::move(options)) {}

ModelStore::~ModelStore() = default;

StatusOr<std::unique_ptr<ModelStore>> ModelStore::Open(Env* env, std::string root,
                                                       StoreOptions options) {
  if (root.empty()) return InvalidArgumentError("open model store: empty root");
  if (options.keep_versions < 1) {
    return InvalidArgumentError("open model store " + root + ": keep_versions must be >= 1");
  }
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::unique_ptr<ModelStore> store(new ModelStore(env, std::move(root), std::move(options)));
  RETURN_IF_ERROR(env->CreateDirs(store->root_));
  for (const char* sub : {"staging", "trash", "versions"}) {
    RETURN_IF_ERROR(env->CreateDirs(JoinPath(store->root_, sub)));
  }
  ASSIGN_OR_RETURN(store->lock_, env->LockFile(JoinPath(store->root_, "LOCK")));
  std::lock_guard<std::mutex> lock(store->mu_);
  RETURN_IF_ERROR(store->Recover());
  return store;
}

// ---------------------------------------------------------------- recovery

Status ModelStore::Recover() {
  // Trash: directories half way through deletion.
  const std::string trash = JoinPath(root_, "trash");
  ASSIGN_OR_RETURN(auto trashed, env_->GetChildren(trash));
  for (const auto& t : trashed) RETURN_IF_ERROR(env_->RemoveDirRecursive(JoinPath(trash, t)));
  RETURN_IF_ERROR(RecoverStaging());
  ASSIGN_OR_RETURN(auto names, env_->GetChildren(JoinPath(root_, "versions")));
  for (const auto& name : names) {
    const std::string dir = ModelDir(name);
    if (!IsSafeComponent(name) || !env_->IsDirectory(dir)) continue;  // not ours
    RETURN_IF_ERROR(RecoverModel(name));
  }
  return OkStatus();
}

// A staging area stays (resumable) unless its name is not ours or its version
// is committed already. Its completed files go back to "*.part" and a
// manifest of an interrupted commit is dropped, so CommitStaged redoes it.
Status ModelStore::RecoverStaging() {
  const std::string staging = JoinPath(root_, "staging");
  ASSIGN_OR_RETURN(auto entries, env_->GetChildren(staging));
  for (const auto& entry : entries) {
    const std::string dir = JoinPath(staging, entry);
    auto [name, version] = ParseStagingDirName(entry);
    if (version == 0 || !env_->IsDirectory(dir) ||
        env_->FileExists(VersionPath(name, version))) {
      RETURN_IF_ERROR(MoveToTrashAndRemove(dir, entry));
      continue;
    }
    ASSIGN_OR_RETURN(auto files, env_->GetChildren(dir));
    for (const auto& f : files) {
      const std::string path = JoinPath(dir, f);
      if (f == kManifest || EndsWith(f, kTmp) || env_->IsDirectory(path) ||
          (!EndsWith(f, kPart) && !ValidateFileName(f).ok())) {
        RETURN_IF_ERROR(env_->RemoveDirRecursive(path));
      } else if (!EndsWith(f, kPart)) {
        RETURN_IF_ERROR(env_->RenameFile(path, path + kPart));
      }
    }
  }
  return OkStatus();
}

Status ModelStore::RecoverModel(const std::string& name) {
  const std::string dir = ModelDir(name);
  ASSIGN_OR_RETURN(auto entries, env_->GetChildren(dir));
  for (const auto& e : entries) {
    const std::string path = JoinPath(dir, e);
    if (EndsWith(e, kTmp)) {
      RETURN_IF_ERROR(env_->RemoveDirRecursive(path));
    } else if (ParseVersion(e) != 0 && !env_->FileExists(JoinPath(path, kManifest))) {
      // Cannot happen with the commit protocol (the manifest is written before
      // the rename), but a version without one is never trusted.
      RETURN_IF_ERROR(MoveToTrashAndRemove(path, name + "-" + e));
    }
  }
  // A crash during an append can leave a last line without its newline.
  const std::string history = JoinPath(dir, kHistory);
  if (env_->FileExists(history)) {
    ASSIGN_OR_RETURN(const std::string text, env_->ReadFileToString(history));
    if (!text.empty() && text.back() != '\n') torn_history_.insert(name);
  }
  // CURRENT, else CURRENT.prev, else the last activation in the history.
  std::string why;
  std::optional<json> state;
  for (const char* file : {kCurrent, kCurrentPrev}) {
    const std::string path = JoinPath(dir, file);
    if (!env_->FileExists(path)) {
      if (why.empty() && file == std::string_view(kCurrent)) break;  // never activated
      continue;
    }
    auto text = env_->ReadFileToString(path);
    StatusOr<json> parsed = text.ok() ? UnsealState(path, *text) : StatusOr<json>(text.status());
    if (parsed.ok()) {
      state = std::move(*parsed);
      break;
    }
    if (!why.empty()) why += "; ";
    why += parsed.status().message();
  }
  State s;
  if (state.has_value()) {
    s.active = JsonInt(*state, "active");
    s.previous = JsonInt(*state, "previous");
    s.last_good = JsonInt(*state, "last_good");
    s.pinned = state->value("pinned", false);
    if (auto it = state->find("rejected"); it != state->end() && it->is_array()) {
      for (const auto& r : *it) {
        if (r.is_number_integer()) s.rejected.push_back(r.get<int64_t>());
      }
    }
  } else if (!why.empty()) {
    auto events = ReadHistory(name);
    if (events.ok()) {
      for (auto it = events->rbegin(); it != events->rend(); ++it) {
        if (it->event == "activated" || it->event == "rolled_back" ||
            it->event == "fallback" || it->event == "pinned") {
          s.active = it->version;
          break;
        }
      }
    }
  } else {
    return OkStatus();  // committed versions but never activated
  }
  states_[name] = s;
  if (!why.empty()) {
    RETURN_IF_ERROR(WriteState(name, s));
    AppendHistory(name, "recovered", s.active, 0, "damaged state: " + why);
  }
  return OkStatus();
}

// ---------------------------------------------------------------- helpers

std::string ModelStore::ModelDir(const std::string& name) const {
  return JoinPath(JoinPath(root_, "versions"), name);
}

std::string ModelStore::VersionPath(const std::string& name, int64_t version) const {
  return JoinPath(ModelDir(name), std::to_string(version));
}

bool ModelStore::IsCommittedLocked(const std::string& name, int64_t version) {
  return env_->FileExists(JoinPath(VersionPath(name, version), kManifest));
}

StatusOr<ModelStore::Manifest> ModelStore::ReadManifest(const std::string& name,
                                                        int64_t version) {
  const std::string path = JoinPath(VersionPath(name, version), kManifest);
  if (!env_->FileExists(path)) {
    return NotFoundError("model " + name + " version " + std::to_string(version) +
                         ": not installed");
  }
  ASSIGN_OR_RETURN(const std::string text, env_->ReadFileToString(path));
  json j = json::parse(text, nullptr, false);
  Manifest m;
  if (!j.is_object() || j.value("format", 0) != kFormat || !j.contains("files") ||
      !j["files"].is_array() || JsonInt(j, "version") != version) {
    return DataLossError("read " + path + ": malformed manifest");
  }
  m.version = version;
  m.source = j.value("source", "");
  m.committed_at_micros = j.value("committed_at_micros", uint64_t{0});
  for (const auto& f : j["files"]) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() ||
        !f.contains("sha256") || !f["sha256"].is_string() || !f.contains("length") ||
        !f["length"].is_number_unsigned()) {
      return DataLossError("read " + path + ": malformed file entry");
    }
    ExpectedFile e{f["name"].get<std::string>(), f["sha256"].get<std::string>(),
                   f["length"].get<uint64_t>()};
    if (!ValidateFileName(e.name).ok()) {
      return DataLossError("read " + path + ": bad file name in manifest");
    }
    m.files.push_back(std::move(e));
  }
  if (m.model() == nullptr) {
    return DataLossError("read " + path + ": no " + kModelFileName + " entry");
  }
  return m;
}

Status ModelStore::VerifyVersion(const std::string& name, int64_t version, bool all_files,
                                 Manifest* manifest) {
  ASSIGN_OR_RETURN(*manifest, ReadManifest(name, version));
  const std::string dir = VersionPath(name, version);
  for (const auto& f : manifest->files) {
    if (!all_files && f.name != kModelFileName) continue;
    Status s = VerifyFile(env_, JoinPath(dir, f.name), f.sha256, f.length);
    if (!s.ok()) {
      // A missing file of a committed version is damage, not "not found".
      return DataLossError(s.message());
    }
  }
  return OkStatus();
}

// temp + fsync + close + rename + fsync(dir). On failure the old file stays.
Status ModelStore::WriteFileAtomically(const std::string& dir, const std::string& file,
                                       const std::string& contents,
                                       std::string_view crash_tag) {
  const std::string path = JoinPath(dir, file);
  const std::string tmp = path + kTmp;
  const std::string tag(crash_tag);
  Status s = [&]() -> Status {
    ASSIGN_OR_RETURN(auto f, env_->NewWritableFile(tmp));
    RETURN_IF_ERROR(f->Append(contents));
    env_->CrashPoint(tag + ".tmp_written");
    RETURN_IF_ERROR(f->Sync());
    RETURN_IF_ERROR(f->Close());
    env_->CrashPoint(tag + ".tmp_synced");
    return env_->RenameFile(tmp, path);
  }();
  if (!s.ok()) {
    (void)env_->RemoveFile(tmp);  // best effort; Open removes *.tmp anyway
    return s;
  }
  env_->CrashPoint(tag + ".renamed");
  RETURN_IF_ERROR(env_->SyncDir(dir));
  env_->CrashPoint(tag + ".dir_synced");
  return OkStatus();
}

// CURRENT.prev gets the state being replaced, then CURRENT the new one. A
// crash between the two leaves CURRENT old and valid.
Status ModelStore::WriteState(const std::string& name, const State& state) {
  const std::string dir = ModelDir(name);
  const uint64_t now = env_->NowMicros();
  auto it = states_.find(name);
  if (it != states_.end()) {
    const State& old = it->second;
    RETURN_IF_ERROR(WriteFileAtomically(
        dir, kCurrentPrev,
        SealState(StateBody(name, old.active, old.previous, old.last_good, old.pinned,
                            old.rejected, now)),
        "store.state.prev"));
  }
  Status s = WriteFileAtomically(
      dir, kCurrent,
      SealState(StateBody(name, state.active, state.previous, state.last_good,
                          state.pinned, state.rejected, now)),
      "store.state.current");
  if (s.ok()) states_[name] = state;
  return s;
}

void ModelStore::AppendHistory(const std::string& name, std::string_view event,
                               int64_t version, int64_t from_version,
                               const std::string& reason) {
  // Informational: written after the state change; a failure (disk full) or
  // a crash loses the event, never the state.
  json j = {{"time_micros", env_->NowMicros()}, {"event", event}, {"version", version}};
  if (from_version != 0) j["from"] = from_version;
  if (!reason.empty()) j["reason"] = reason;
  auto f = env_->NewAppendableFile(JoinPath(ModelDir(name), kHistory));
  if (!f.ok()) return;
  // After a torn append, start on a fresh line so only the torn one is lost.
  const std::string line =
      (torn_history_.erase(name) > 0 ? "\n" : "") + j.dump() + "\n";
  if ((*f)->Append(line).ok()) {
    (void)(*f)->Sync();
  } else {
    torn_history_.insert(name);
  }
  (void)(*f)->Close();
  env_->CrashPoint("store.history.appended");
}

Status ModelStore::MoveToTrashAndRemove(const std::string& path, const std::string& label) {
  const std::string trash =
      JoinPath(JoinPath(root_, "trash"), label + "-" + std::to_string(env_->NowMicros()));
  RETURN_IF_ERROR(env_->RenameFile(path, trash));
  env_->CrashPoint("store.trash.moved");
  const size_t slash = path.find_last_of('/');
  RETURN_IF_ERROR(env_->SyncDir(path.substr(0, slash)));
  env_->CrashPoint("store.trash.synced");
  RETURN_IF_ERROR(env_->RemoveDirRecursive(trash));
  env_->CrashPoint("store.trash.removed");
  return OkStatus();
}

StatusOr<ActiveModel> ModelStore::BundledModel() {
  const std::string& path = options_.bundled_model_path;
  if (path.empty()) return NotFoundError("no bundled model configured");
  ASSIGN_OR_RETURN(const uint64_t size, env_->GetFileSize(path));
  ASSIGN_OR_RETURN(auto file, env_->NewSequentialFile(path));
  Sha256Hasher hasher;
  std::vector<uint8_t> buf(256 * 1024);
  while (true) {
    ASSIGN_OR_RETURN(const size_t n, file->Read(buf));
    if (n == 0) break;
    hasher.Update(std::span<const uint8_t>(buf.data(), n));
  }
  ActiveModel m{0, path, hasher.FinishHex(), size, true};
  if (!options_.bundled_model_sha256.empty() && m.sha256 != options_.bundled_model_sha256) {
    return DataLossError("verify " + path + ": sha256 " + m.sha256 + ", expected " +
                         options_.bundled_model_sha256);
  }
  return m;
}

StatusOr<int64_t> ModelStore::PickFallback(const std::string& name, const State& state,
                                           int64_t avoid, std::string* why) {
  for (int64_t candidate : {state.last_good, state.previous}) {
    if (candidate == 0 || candidate == avoid || Contains(state.rejected, candidate)) continue;
    Manifest m;
    Status s = VerifyVersion(name, candidate, /*all_files=*/false, &m);
    if (s.ok()) return candidate;
    *why += "; version " + std::to_string(candidate) + ": " + s.message();
  }
  if (!options_.bundled_model_path.empty()) {
    auto bundled = BundledModel();
    if (bundled.ok()) return int64_t{0};
    *why += "; bundled: " + bundled.status().message();
  }
  return FailedPreconditionError("model " + name + ": no verified version to fall back to" +
                                 *why);
}

// ---------------------------------------------------------------- staging

StatusOr<Staging> ModelStore::BeginStaging(const std::string& name, int64_t version) {
  RETURN_IF_ERROR(ValidateName(name));
  RETURN_IF_ERROR(ValidateVersion(name, version));
  std::lock_guard<std::mutex> lock(mu_);
  if (IsCommittedLocked(name, version)) {
    return AlreadyExistsError("model " + name + " version " + std::to_string(version) +
                              ": already installed");
  }
  Staging s{name, version,
            JoinPath(JoinPath(root_, "staging"), name + "-" + std::to_string(version))};
  if (!env_->IsDirectory(s.dir)) {
    RETURN_IF_ERROR(env_->CreateDir(s.dir));
    RETURN_IF_ERROR(env_->SyncDir(JoinPath(root_, "staging")));
    env_->CrashPoint("store.stage.created");
    RETURN_IF_ERROR(env_->CreateDirs(ModelDir(name)));
    AppendHistory(name, "staged", version, 0, "");
  }
  return s;
}

StatusOr<std::unique_ptr<WritableFile>> ModelStore::OpenStagedFile(const Staging& staging,
                                                                   const std::string& file,
                                                                   bool resume) {
  RETURN_IF_ERROR(ValidateName(staging.name));
  RETURN_IF_ERROR(ValidateFileName(file));
  std::lock_guard<std::mutex> lock(mu_);
  if (!env_->IsDirectory(staging.dir)) {
    return NotFoundError("stage " + staging.dir + ": no such staging area");
  }
  return resume ? env_->NewAppendableFile(staging.PartPath(file))
                : env_->NewWritableFile(staging.PartPath(file));
}

StatusOr<uint64_t> ModelStore::StagedSize(const Staging& staging, const std::string& file) {
  RETURN_IF_ERROR(ValidateFileName(file));
  std::lock_guard<std::mutex> lock(mu_);
  const std::string part = staging.PartPath(file);
  if (!env_->FileExists(part)) return uint64_t{0};
  return env_->GetFileSize(part);
}

Status ModelStore::AbortStaging(const Staging& staging) {
  RETURN_IF_ERROR(ValidateName(staging.name));
  RETURN_IF_ERROR(ValidateVersion(staging.name, staging.version));
  std::lock_guard<std::mutex> lock(mu_);
  if (!env_->IsDirectory(staging.dir)) return OkStatus();
  return MoveToTrashAndRemove(staging.dir,
                              staging.name + "-" + std::to_string(staging.version));
}

Status ModelStore::CommitStaged(const Staging& staging, const std::vector<ExpectedFile>& files,
                                const std::string& source) {
  const std::string& name = staging.name;
  RETURN_IF_ERROR(ValidateName(name));
  RETURN_IF_ERROR(ValidateVersion(name, staging.version));
  const std::string label = "commit " + name + " version " + std::to_string(staging.version);
  std::set<std::string> seen;
  bool has_model = false;
  for (const auto& f : files) {
    RETURN_IF_ERROR(ValidateFileName(f.name));
    if (!seen.insert(f.name).second) {
      return InvalidArgumentError(label + ": file " + f.name + " listed twice");
    }
    has_model |= f.name == kModelFileName;
  }
  if (!has_model) return InvalidArgumentError(label + ": no " + kModelFileName + " listed");

  std::lock_guard<std::mutex> lock(mu_);
  const std::string expected_dir =
      JoinPath(JoinPath(root_, "staging"), name + "-" + std::to_string(staging.version));
  if (staging.dir != expected_dir || !env_->IsDirectory(staging.dir)) {
    return NotFoundError(label + ": no staging area " + staging.dir);
  }
  if (IsCommittedLocked(name, staging.version)) {
    return AlreadyExistsError(label + ": already installed");
  }
  env_->CrashPoint("store.commit.begin");
  const std::string label_dir = name + "-" + std::to_string(staging.version);
  // 1. Every file re-hashed from disk; a mismatch drops the staged data.
  for (const auto& f : files) {
    const std::string final_path = JoinPath(staging.dir, f.name);
    const std::string part = staging.PartPath(f.name);
    const std::string path = env_->FileExists(part) ? part : final_path;
    Status s = env_->FileExists(path)
                   ? VerifyFile(env_, path, f.sha256, f.length)
                   : NotFoundError(label + ": staged file " + f.name + " missing");
    if (!s.ok()) {
      (void)MoveToTrashAndRemove(staging.dir, label_dir);
      AppendHistory(name, "commit_rejected", staging.version, 0, s.message());
      return s.code() == StatusCode::kDataLoss ? DataLossError(label + ": " + s.message())
                                               : s;
    }
    // 2. fsync the data, then give it its final name.
    ASSIGN_OR_RETURN(auto w, env_->NewAppendableFile(path));
    RETURN_IF_ERROR(w->Sync());
    RETURN_IF_ERROR(w->Close());
    env_->CrashPoint("store.commit.file_synced");
    if (path == part) {
      RETURN_IF_ERROR(env_->RenameFile(part, final_path));
      env_->CrashPoint("store.commit.file_renamed");
    }
  }
  // 3. Only the listed files go into the version.
  ASSIGN_OR_RETURN(auto entries, env_->GetChildren(staging.dir));
  for (const auto& e : entries) {
    if (!seen.count(e)) RETURN_IF_ERROR(env_->RemoveDirRecursive(JoinPath(staging.dir, e)));
  }
  // 4. The manifest, inside the staging area (atomically written + dir sync).
  json jfiles = json::array();
  uint64_t model_length = 0;
  std::string model_sha;
  for (const auto& f : files) {
    jfiles.push_back({{"name", f.name}, {"sha256", f.sha256}, {"length", f.length}});
    if (f.name == kModelFileName) {
      model_length = f.length;
      model_sha = f.sha256;
    }
  }
  const json manifest = {{"format", kFormat},
                         {"name", name},
                         {"version", staging.version},
                         {"source", source},
                         {"committed_at_micros", env_->NowMicros()},
                         {"sha256", model_sha},
                         {"length", model_length},
                         {"files", jfiles}};
  RETURN_IF_ERROR(WriteFileAtomically(staging.dir, kManifest, manifest.dump(2) + "\n",
                                      "store.commit.manifest"));
  // 5. One rename publishes the complete version.
  RETURN_IF_ERROR(env_->CreateDirs(ModelDir(name)));
  RETURN_IF_ERROR(env_->SyncDir(JoinPath(root_, "versions")));
  RETURN_IF_ERROR(env_->RenameFile(staging.dir, VersionPath(name, staging.version)));
  env_->CrashPoint("store.commit.renamed");
  RETURN_IF_ERROR(env_->SyncDir(ModelDir(name)));
  RETURN_IF_ERROR(env_->SyncDir(JoinPath(root_, "staging")));
  env_->CrashPoint("store.commit.synced");
  AppendHistory(name, "committed", staging.version, 0, source);
  return OkStatus();
}

StatusOr<std::string> ModelStore::VersionDir(const std::string& name, int64_t version) {
  RETURN_IF_ERROR(ValidateName(name));
  RETURN_IF_ERROR(ValidateVersion(name, version));
  std::lock_guard<std::mutex> lock(mu_);
  if (!IsCommittedLocked(name, version)) {
    return NotFoundError("model " + name + " version " + std::to_string(version) +
                         ": not installed");
  }
  return VersionPath(name, version);
}

// ---------------------------------------------------------------- activation

Status ModelStore::Activate(const std::string& name, int64_t version,
                            const std::string& reason) {
  RETURN_IF_ERROR(ValidateName(name));
  RETURN_IF_ERROR(ValidateVersion(name, version));
  std::lock_guard<std::mutex> lock(mu_);
  State s = states_.count(name) ? states_[name] : State{};
  if (s.pinned && s.active != version) {
    return FailedPreconditionError("activate model " + name + " version " +
                                   std::to_string(version) + ": pinned to version " +
                                   std::to_string(s.active));
  }
  Manifest m;
  RETURN_IF_ERROR(VerifyVersion(name, version, /*all_files=*/true, &m));
  if (s.active == version && !Contains(s.rejected, version)) return OkStatus();
  env_->CrashPoint("store.activate.verified");
  const int64_t from = s.active;
  if (s.active != version) s.previous = s.active;
  s.active = version;
  std::erase(s.rejected, version);
  RETURN_IF_ERROR(WriteState(name, s));
  AppendHistory(name, "activated", version, from, reason);
  return OkStatus();
}

Status ModelStore::Reject(const std::string& name, int64_t version,
                          const std::string& reason) {
  RETURN_IF_ERROR(ValidateName(name));
  RETURN_IF_ERROR(ValidateVersion(name, version));
  std::lock_guard<std::mutex> lock(mu_);
  State s = states_.count(name) ? states_[name] : State{};
  if (s.active == version) {
    return FailedPreconditionError("reject model " + name + " version " +
                                   std::to_string(version) +
                                   ": it is active (use Rollback)");
  }
  if (Contains(s.rejected, version)) return OkStatus();
  s.rejected.push_back(version);
  RETURN_IF_ERROR(WriteState(name, s));
  AppendHistory(name, "rejected", version, s.active, reason);
  return OkStatus();
}

Status ModelStore::MarkGood(const std::string& name) {
  RETURN_IF_ERROR(ValidateName(name));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(name);
  if (it == states_.end()) return NotFoundError("model " + name + ": never activated");
  State s = it->second;
  if (s.active == 0 || s.last_good == s.active) return OkStatus();  // bundled: no-op
  s.last_good = s.active;
  RETURN_IF_ERROR(WriteState(name, s));
  AppendHistory(name, "marked_good", s.active, 0, "");
  return OkStatus();
}

StatusOr<int64_t> ModelStore::Rollback(const std::string& name, const std::string& reason) {
  RETURN_IF_ERROR(ValidateName(name));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(name);
  if (it == states_.end() || it->second.active == 0) {
    return FailedPreconditionError("rollback model " + name + ": no installed version active");
  }
  State s = it->second;
  if (s.pinned) {
    return FailedPreconditionError("rollback model " + name + ": pinned to version " +
                                   std::to_string(s.active));
  }
  const int64_t bad = s.active;
  std::string why;
  ASSIGN_OR_RETURN(const int64_t target, PickFallback(name, s, bad, &why));
  env_->CrashPoint("store.rollback.picked");
  if (!Contains(s.rejected, bad)) s.rejected.push_back(bad);
  if (s.previous == target || s.previous == bad) s.previous = 0;
  if (s.last_good == bad) s.last_good = 0;
  s.active = target;
  RETURN_IF_ERROR(WriteState(name, s));
  AppendHistory(name, "rolled_back", target, bad, reason);
  return target;
}

Status ModelStore::Pin(const std::string& name, int64_t version) {
  RETURN_IF_ERROR(ValidateName(name));
  RETURN_IF_ERROR(ValidateVersion(name, version));
  std::lock_guard<std::mutex> lock(mu_);
  State s = states_.count(name) ? states_[name] : State{};
  if (s.pinned && s.active != version) {
    return FailedPreconditionError("pin model " + name + ": pinned to version " +
                                   std::to_string(s.active) + "; unpin first");
  }
  Manifest m;
  RETURN_IF_ERROR(VerifyVersion(name, version, /*all_files=*/true, &m));
  const int64_t from = s.active;
  if (s.active != version) s.previous = s.active;
  s.active = version;
  s.pinned = true;
  std::erase(s.rejected, version);
  RETURN_IF_ERROR(WriteState(name, s));
  AppendHistory(name, "pinned", version, from, "");
  return OkStatus();
}

Status ModelStore::Unpin(const std::string& name) {
  RETURN_IF_ERROR(ValidateName(name));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(name);
  if (it == states_.end() || !it->second.pinned) return OkStatus();
  State s = it->second;
  s.pinned = false;
  RETURN_IF_ERROR(WriteState(name, s));
  AppendHistory(name, "unpinned", s.active, 0, "");
  return OkStatus();
}

StatusOr<ActiveModel> ModelStore::Active(const std::string& name) {
  RETURN_IF_ERROR(ValidateName(name));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(name);
  if (it == states_.end() || it->second.active == 0) {
    if (!options_.bundled_model_path.empty()) return BundledModel();
    return NotFoundError("model " + name + ": no version active and no bundled model");
  }
  State s = it->second;
  Manifest m;
  Status verified = VerifyVersion(name, s.active, /*all_files=*/false, &m);
  if (verified.ok()) {
    const ExpectedFile* f = m.model();
    return ActiveModel{s.active, JoinPath(VersionPath(name, s.active), kModelFileName),
                       f->sha256, f->length, false};
  }
  // The active version is damaged: fall back, persist, record why.
  const int64_t bad = s.active;
  std::string why = verified.message();
  ASSIGN_OR_RETURN(const int64_t target, PickFallback(name, s, bad, &why));
  if (!Contains(s.rejected, bad)) s.rejected.push_back(bad);
  if (s.previous == target || s.previous == bad) s.previous = 0;
  if (s.last_good == bad) s.last_good = 0;
  s.active = target;
  s.pinned = false;
  Status written = WriteState(name, s);
  if (!written.ok()) {
    states_[name] = s;  // serve the fallback now; Open re-detects the damage
    why += "; state not saved: " + written.message();
  }
  AppendHistory(name, "fallback", target, bad, why);
  if (target == 0) return BundledModel();
  ASSIGN_OR_RETURN(const Manifest fm, ReadManifest(name, target));
  return ActiveModel{target, JoinPath(VersionPath(name, target), kModelFileName),
                     fm.model()->sha256, fm.model()->length, false};
}

// ---------------------------------------------------------------- listing, GC

StatusOr<std::vector<VersionInfo>> ModelStore::List(const std::string& name) {
  RETURN_IF_ERROR(ValidateName(name));
  std::lock_guard<std::mutex> lock(mu_);
  const State s = states_.count(name) ? states_[name] : State{};
  std::map<int64_t, VersionInfo, std::greater<>> out;
  if (env_->IsDirectory(ModelDir(name))) {
    ASSIGN_OR_RETURN(auto entries, env_->GetChildren(ModelDir(name)));
    for (const auto& e : entries) {
      const int64_t v = ParseVersion(e);
      if (v == 0 || !IsCommittedLocked(name, v)) continue;
      VersionInfo& info = out[v];
      info.version = v;
      info.committed = true;
      auto m = ReadManifest(name, v);
      if (m.ok()) {
        info.sha256 = m->model()->sha256;
        info.length = m->model()->length;
        info.committed_at_micros = m->committed_at_micros;
      }
    }
  }
  const std::string staging = JoinPath(root_, "staging");
  ASSIGN_OR_RETURN(auto staged, env_->GetChildren(staging));
  for (const auto& e : staged) {
    auto [n, v] = ParseStagingDirName(e);
    if (n != name || v == 0) continue;
    VersionInfo& info = out[v];
    info.version = v;
    info.staged = true;
    auto files = env_->GetChildren(JoinPath(staging, e));
    if (!files.ok()) continue;
    for (const auto& f : *files) {
      auto size = env_->GetFileSize(JoinPath(JoinPath(staging, e), f));
      if (size.ok()) info.staged_bytes += *size;
    }
  }
  std::vector<VersionInfo> result;
  for (auto& [v, info] : out) {
    info.active = v == s.active;
    info.previous = v == s.previous;
    info.last_good = v == s.last_good;
    info.pinned = s.pinned && v == s.active;
    info.rejected = Contains(s.rejected, v);
    result.push_back(std::move(info));
  }
  return result;
}

StatusOr<std::vector<std::string>> ModelStore::Models() {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(auto entries, env_->GetChildren(JoinPath(root_, "versions")));
  // Names with a state or a committed version (not those only staged).
  std::vector<std::string> names;
  for (auto& e : entries) {
    if (!IsSafeComponent(e) || !env_->IsDirectory(ModelDir(e))) continue;
    bool installed = states_.count(e) > 0;
    auto children = env_->GetChildren(ModelDir(e));
    for (size_t i = 0; !installed && children.ok() && i < children->size(); ++i) {
      const int64_t v = ParseVersion((*children)[i]);
      installed = v != 0 && IsCommittedLocked(e, v);
    }
    if (installed) names.push_back(std::move(e));
  }
  return names;
}

StatusOr<std::vector<HistoryEvent>> ModelStore::History(const std::string& name) {
  RETURN_IF_ERROR(ValidateName(name));
  std::lock_guard<std::mutex> lock(mu_);
  return ReadHistory(name);
}

StatusOr<std::vector<HistoryEvent>> ModelStore::ReadHistory(const std::string& name) {
  const std::string path = JoinPath(ModelDir(name), kHistory);
  std::vector<HistoryEvent> events;
  if (!env_->FileExists(path)) return events;
  ASSIGN_OR_RETURN(const std::string text, env_->ReadFileToString(path));
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;  // torn last line
    json j = json::parse(std::string_view(text).substr(pos, end - pos), nullptr, false);
    pos = end + 1;
    if (!j.is_object()) continue;
    HistoryEvent e;
    e.time_micros = j.value("time_micros", uint64_t{0});
    e.event = j.value("event", "");
    e.version = JsonInt(j, "version");
    e.from_version = JsonInt(j, "from");
    e.reason = j.value("reason", "");
    events.push_back(std::move(e));
  }
  return events;
}

StatusOr<int> ModelStore::GarbageCollect(const std::string& name) {
  RETURN_IF_ERROR(ValidateName(name));
  std::lock_guard<std::mutex> lock(mu_);
  if (!env_->IsDirectory(ModelDir(name))) return 0;
  const State s = states_.count(name) ? states_[name] : State{};
  ASSIGN_OR_RETURN(auto entries, env_->GetChildren(ModelDir(name)));
  std::vector<int64_t> versions;
  for (const auto& e : entries) {
    const int64_t v = ParseVersion(e);
    if (v != 0 && IsCommittedLocked(name, v)) versions.push_back(v);
  }
  std::sort(versions.rbegin(), versions.rend());
  int removed = 0;
  for (size_t i = static_cast<size_t>(options_.keep_versions); i < versions.size(); ++i) {
    const int64_t v = versions[i];
    if (v == s.active || v == s.previous || v == s.last_good) continue;
    env_->CrashPoint("store.gc.begin");
    RETURN_IF_ERROR(MoveToTrashAndRemove(VersionPath(name, v),
                                         name + "-" + std::to_string(v)));
    AppendHistory(name, "gc_removed", v, 0, "");
    ++removed;
  }
  return removed;
}

}  // namespace edgerun::ota
