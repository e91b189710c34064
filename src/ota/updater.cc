// The update client; see include/edgerun/ota/updater.h and docs/ota.md,
// "Update client". Crash points ("updater.<step>") let tests/ota/
// updater_crash_test.cc kill the process between every two durable steps.
#include "edgerun/ota/updater.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <utility>

#include "edgerun/ota/crypto.h"
#include "edgerun/ota/self_test.h"
#include "edgerun/ota/verifier.h"

namespace edgerun::ota {
namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxRootBytes = 1 << 20;
constexpr uint64_t kMaxTimestampBytes = 1 << 20;
constexpr char kStateFile[] = "state.json";

Status Annotate(const Status& s, const std::string& what) {
  if (s.ok()) return s;
  return Status(s.code(), what + ": " + s.message());
}

std::string SelfTestFileName(bool input, size_t i) {
  return std::string(input ? "selftest_input_" : "selftest_output_") +
         std::to_string(i) + ".npy";
}

// Streams a download into a staged file; Restart() truncates it.
class StagedFileSink final : public ByteSink {
 public:
  StagedFileSink(ModelStore* store, const Staging& staging, std::string file,
                 std::unique_ptr<WritableFile> out, Env* env)
      : store_(store),
        staging_(staging),
        file_(std::move(file)),
        out_(std::move(out)),
        env_(env) {}

  Status Restart() override {
    if (out_ != nullptr) (void)out_->Close();
    out_.reset();
    ASSIGN_OR_RETURN(out_, store_->OpenStagedFile(staging_, file_, false));
    written_ = 0;
    restarted_ = true;
    return OkStatus();
  }
  Status Write(std::span<const uint8_t> bytes) override {
    if (out_ == nullptr)
      return InternalError("staged file " + file_ + " is closed");
    RETURN_IF_ERROR(out_->Append(bytes));
    written_ += bytes.size();
    env_->CrashPoint("updater.download.chunk_written");
    return OkStatus();
  }
  Status Close() {
    if (out_ == nullptr) return OkStatus();
    Status s = out_->Close();
    out_.reset();
    return s;
  }
  uint64_t written() const { return written_; }
  bool restarted() const { return restarted_; }

 private:
  ModelStore* const store_;
  const Staging staging_;
  const std::string file_;
  std::unique_ptr<WritableFile> out_;
  Env* const env_;
  uint64_t written_ = 0;
  bool restarted_ = false;
};

std::string TargetJson(const TargetEntry& e) {
  json j;
  j["name"] = e.name;
  j["version"] = e.version;
  j["model"] = {{"file", kModelFileName},
                {"length", e.model.length},
                {"sha256", e.model.sha256},
                {"path", e.model.path}};
  j["min_runtime_version"] = e.min_runtime_version;
  j["rollout_percent"] = e.rollout_percent;
  if (e.self_test) {
    json st = json::object();
    for (bool input : {true, false}) {
      const auto& refs = input ? e.self_test->inputs : e.self_test->outputs;
      json list = json::array();
      for (size_t i = 0; i < refs.size(); ++i) {
        list.push_back({{"file", SelfTestFileName(input, i)},
                        {"length", refs[i].length},
                        {"sha256", refs[i].sha256},
                        {"path", refs[i].path}});
      }
      st[input ? "inputs" : "outputs"] = std::move(list);
    }
    if (e.self_test->atol) st["atol"] = *e.self_test->atol;
    if (e.self_test->rtol) st["rtol"] = *e.self_test->rtol;
    j["self_test"] = std::move(st);
  }
  return j.dump(2) + "\n";
}

}  // namespace

struct Updater::Trust {
  Root root;
  std::string root_bytes;
  std::string timestamp_bytes;  // empty: none yet
  int64_t timestamp_version = 0;
  std::string etag;
  std::string targets_bytes;  // empty: none yet
  int64_t targets_version = 0;
  std::string targets_sha256;
};

Updater::Updater(Env* env, ModelStore* store, UpdaterOptions options,
                 EventLog* events)
    : env_(env),
      store_(store),
      options_(std::move(options)),
      events_(events),
      metadata_dir_(JoinPath(store->root(), "metadata")) {}

Updater::~Updater() { StopPolling(); }

StatusOr<std::unique_ptr<Updater>> Updater::Create(Env* env, ModelStore* store,
                                                   UpdaterOptions options,
                                                   EventLog* events) {
  if (env == nullptr || store == nullptr) {
    return InvalidArgumentError("updater: env and store are required");
  }
  if (options.repo_url.rfind("http://", 0) != 0 &&
      options.repo_url.rfind("https://", 0) != 0) {
    return InvalidArgumentError("updater: repo_url '" + options.repo_url +
                                "' is not an http(s) URL");
  }
  while (!options.repo_url.empty() && options.repo_url.back() == '/')
    options.repo_url.pop_back();
  if (options.device_id.empty())
    return InvalidArgumentError("updater: device_id is empty");
  RETURN_IF_ERROR(
      Annotate(ParseRuntimeVersion(options.runtime_version).status(),
               "updater: runtime_version"));
  if (!options.now)
    options.now = [] { return std::chrono::system_clock::now(); };
  std::unique_ptr<Updater> updater(
      new Updater(env, store, std::move(options), events));
  RETURN_IF_ERROR(updater->LoadTrust());
  return updater;
}

// The stored metadata wins over the shipped root: it was verified from it.
// Damaged cached timestamp/targets are dropped (fetched again); a damaged
// stored root falls back to the shipped one.
Status Updater::LoadTrust() {
  auto trust = std::make_unique<Trust>();
  RETURN_IF_ERROR(env_->CreateDirs(metadata_dir_));
  const std::string stored_root = JoinPath(metadata_dir_, "root.json");
  bool have_root = false;
  if (env_->FileExists(stored_root)) {
    ASSIGN_OR_RETURN(std::string bytes, env_->ReadFileToString(stored_root));
    StatusOr<Root> root = LoadTrustedRoot(AsBytes(bytes));
    if (root.ok()) {
      trust->root = *root;
      trust->root_bytes = std::move(bytes);
      have_root = true;
    }
  }
  if (!have_root) {
    std::string bytes = options_.trusted_root;
    if (bytes.empty()) {
      if (options_.trusted_root_path.empty()) {
        return NotFoundError("updater: no trusted root: none stored in " +
                             metadata_dir_ + " and none given (--root)");
      }
      ASSIGN_OR_RETURN(bytes,
                       env_->ReadFileToString(options_.trusted_root_path));
    }
    StatusOr<Root> root = LoadTrustedRoot(AsBytes(bytes));
    if (!root.ok())
      return Annotate(root.status(), "updater: trusted root refused");
    trust->root = *root;
    trust->root_bytes = std::move(bytes);
  }
  const std::string ts_path = JoinPath(metadata_dir_, "timestamp.json");
  if (env_->FileExists(ts_path)) {
    StatusOr<std::string> bytes = env_->ReadFileToString(ts_path);
    if (bytes.ok()) {
      StatusOr<Timestamp> ts = ParseTimestampUnverified(AsBytes(*bytes));
      if (ts.ok()) {
        trust->timestamp_version = ts->version;
        trust->timestamp_bytes = std::move(*bytes);
      }
    }
  }
  const std::string tg_path = JoinPath(metadata_dir_, "targets.json");
  if (env_->FileExists(tg_path)) {
    StatusOr<std::string> bytes = env_->ReadFileToString(tg_path);
    if (bytes.ok()) {
      StatusOr<Targets> tg = ParseTargetsUnverified(AsBytes(*bytes));
      if (tg.ok()) {
        trust->targets_version = tg->version;
        trust->targets_sha256 = Sha256Hex(*bytes);
        trust->targets_bytes = std::move(*bytes);
      }
    }
  }
  const std::string state_path = JoinPath(metadata_dir_, kStateFile);
  if (env_->FileExists(state_path) && !trust->timestamp_bytes.empty()) {
    StatusOr<std::string> bytes = env_->ReadFileToString(state_path);
    if (bytes.ok()) {
      json j = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
      // The ETag is only used with the timestamp it was served with.
      if (j.is_object() && j.value("timestamp_sha256", "") ==
                               Sha256Hex(trust->timestamp_bytes)) {
        trust->etag = j.value("timestamp_etag", "");
      }
    }
  }
  trust_ = std::move(trust);
  return OkStatus();
}

std::string Updater::Url(const std::string& path) const {
  return options_.repo_url + "/" + path;
}

FetchOptions Updater::MetadataFetchOptions(uint64_t max_bytes) const {
  FetchOptions o;
  o.max_bytes = max_bytes;
  o.connect_timeout = options_.connect_timeout;
  o.total_timeout = options_.metadata_timeout;
  o.stall_timeout = options_.stall_timeout;
  o.ca_file = options_.ca_file;
  return o;
}

void Updater::Emit(UpdateEventType type, const std::string& model,
                   int64_t version, const std::string& reason,
                   int64_t from_version) {
  if (events_ == nullptr) return;
  UpdateEvent e;
  e.type = type;
  e.model = model;
  if (version > 0) e.version = std::to_string(version);
  if (from_version >= 0) e.from_version = std::to_string(from_version);
  e.reason = reason;
  events_->Append(std::move(e));
}

Status Updater::Fail(const Status& status, const std::string& model,
                     int64_t version) {
  // Refusals of signed data or of downloaded bytes are "rejected"; the rest
  // (network, disk) are errors worth a retry.
  const StatusCode c = status.code();
  const bool rejected =
      c == StatusCode::kPermissionDenied || c == StatusCode::kDataLoss ||
      c == StatusCode::kFailedPrecondition || c == StatusCode::kOutOfRange ||
      (c == StatusCode::kDeadlineExceeded &&
       status.message().find("expired") != std::string::npos);
  Emit(rejected ? UpdateEventType::kRejected : UpdateEventType::kError, model,
       version, status.ToString());
  return status;
}

Status Updater::SaveMetadata(const std::string& file,
                             const std::string& bytes) {
  const std::string path = JoinPath(metadata_dir_, file);
  const std::string tmp = path + ".tmp";
  {
    ASSIGN_OR_RETURN(auto out, env_->NewWritableFile(tmp));
    RETURN_IF_ERROR(out->Append(bytes));
    RETURN_IF_ERROR(out->Sync());
    RETURN_IF_ERROR(out->Close());
  }
  env_->CrashPoint("updater.metadata.tmp_written");
  RETURN_IF_ERROR(env_->RenameFile(tmp, path));
  env_->CrashPoint("updater.metadata.renamed");
  RETURN_IF_ERROR(env_->SyncDir(metadata_dir_));
  return OkStatus();
}

StatusOr<CheckResult> Updater::CheckForUpdates() {
  std::lock_guard<std::mutex> lock(mu_);
  return CheckLocked();
}

StatusOr<CheckResult> Updater::CheckLocked() {
  Trust& trust = *trust_;
  CheckResult result;
  const TimePoint now = options_.now();

  // 1. timestamp.json, conditional on the cached one.
  FetchOptions ts_options = MetadataFetchOptions(kMaxTimestampBytes);
  if (!trust.timestamp_bytes.empty()) ts_options.if_none_match = trust.etag;
  StringSink ts_sink;
  ++result.http_requests;
  StatusOr<FetchResult> fetched =
      fetcher_.Fetch(Url("timestamp.json"), ts_sink, ts_options);
  if (!fetched.ok()) return Fail(fetched.status(), "", 0);
  if (!fetched->not_modified && fetched->http_status != 200) {
    return Fail(
        FailedPreconditionError("fetch " + Url("timestamp.json") + ": HTTP " +
                                std::to_string(fetched->http_status)),
        "", 0);
  }
  std::string ts_bytes =
      fetched->not_modified ? trust.timestamp_bytes : ts_sink.Take();
  const bool ts_unchanged =
      fetched->not_modified || ts_bytes == trust.timestamp_bytes;
  result.metadata_unchanged = ts_unchanged;

  // 2. Root rotation, only when there is something new to verify.
  Root root = trust.root;
  std::string root_bytes;  // non-empty: a newer root to persist
  if (!ts_unchanged) {
    for (int i = 0; i < options_.max_root_rotations; ++i) {
      const std::string name = std::to_string(root.version + 1) + ".root.json";
      ++result.http_requests;
      StatusOr<std::string> bytes = fetcher_.FetchSmall(
          Url(name), kMaxRootBytes, MetadataFetchOptions(kMaxRootBytes));
      if (!bytes.ok() && bytes.status().code() == StatusCode::kNotFound) break;
      if (!bytes.ok()) return Fail(bytes.status(), "", 0);
      StatusOr<Root> next = VerifyRootUpdate(root, AsBytes(*bytes));
      if (!next.ok())
        return Fail(Annotate(next.status(), name + " refused"), "", 0);
      root = *next;
      root_bytes = std::move(*bytes);
    }
  }
  if (Status s = CheckNotExpired(root, now); !s.ok()) {
    return Fail(Annotate(s, "root.json version " +
                                std::to_string(root.version) + " expired"),
                "", 0);
  }

  // 3. Verify the timestamp (the cached one too: it may have expired).
  StatusOr<Timestamp> ts = VerifyTimestamp(
      root, AsBytes(ts_bytes), now, ts_unchanged ? 0 : trust.timestamp_version);
  if (!ts.ok())
    return Fail(Annotate(ts.status(), "timestamp.json refused"), "", 0);

  // 4. targets.json, fetched only when the timestamp pins another one.
  std::string tg_bytes;
  bool tg_new = false;
  if (!trust.targets_bytes.empty() &&
      ts->targets.version == trust.targets_version &&
      ts->targets.sha256 == trust.targets_sha256) {
    tg_bytes = trust.targets_bytes;
  } else {
    const std::string name =
        std::to_string(ts->targets.version) + ".targets.json";
    ++result.http_requests;
    StatusOr<std::string> bytes =
        fetcher_.FetchSmall(Url(name), ts->targets.length,
                            MetadataFetchOptions(ts->targets.length));
    if (!bytes.ok()) return Fail(bytes.status(), "", 0);
    tg_bytes = std::move(*bytes);
    tg_new = true;
  }
  StatusOr<Targets> targets =
      VerifyTargets(root, AsBytes(tg_bytes), now, ts->targets,
                    tg_new ? trust.targets_version : 0);
  if (!targets.ok())
    return Fail(Annotate(targets.status(), "targets.json refused"), "", 0);

  // 5. Persist what verified: root, targets, then timestamp and its ETag.
  if (!root_bytes.empty()) {
    if (Status s = SaveMetadata("root.json", root_bytes); !s.ok())
      return Fail(s, "", 0);
    trust.root = root;
    trust.root_bytes = std::move(root_bytes);
  }
  if (tg_new) {
    if (Status s = SaveMetadata("targets.json", tg_bytes); !s.ok())
      return Fail(s, "", 0);
    trust.targets_version = targets->version;
    trust.targets_sha256 = Sha256Hex(tg_bytes);
    trust.targets_bytes = tg_bytes;
  }
  if (!ts_unchanged || fetched->etag != trust.etag) {
    if (!ts_unchanged) {
      if (Status s = SaveMetadata("timestamp.json", ts_bytes); !s.ok())
        return Fail(s, "", 0);
      trust.timestamp_version = ts->version;
      trust.timestamp_bytes = ts_bytes;
    }
    if (!fetched->not_modified) {
      json state = {{"timestamp_etag", fetched->etag},
                    {"timestamp_sha256", Sha256Hex(trust.timestamp_bytes)}};
      if (Status s = SaveMetadata(kStateFile, state.dump() + "\n"); !s.ok())
        return Fail(s, "", 0);
      trust.etag = fetched->etag;
    }
  }
  result.root_version = trust.root.version;
  result.timestamp_version = ts->version;
  result.targets_version = targets->version;

  // 6. Per model: what to install, and why not.
  std::vector<std::string> names = options_.models;
  if (names.empty()) {
    for (const auto& [name, entries] : targets->targets) names.push_back(name);
  }
  StatusOr<std::vector<int64_t>> runtime =
      ParseRuntimeVersion(options_.runtime_version);
  for (const std::string& name : names) {
    int64_t active = 0;
    bool pinned = false;
    std::vector<int64_t> rejected;
    StatusOr<std::vector<VersionInfo>> listed = store_->List(name);
    if (!listed.ok() && listed.status().code() != StatusCode::kNotFound) {
      return Fail(listed.status(), name, 0);
    }
    if (listed.ok()) {
      for (const VersionInfo& v : *listed) {
        if (v.active) active = v.version;
        if (v.pinned) pinned = true;
        if (v.rejected) rejected.push_back(v.version);
      }
    }
    StatusOr<std::optional<TargetEntry>> selected =
        SelectUpdate(*targets, name, active, options_.runtime_version);
    if (!selected.ok() && selected.status().code() == StatusCode::kNotFound) {
      result.skipped.push_back({name, 0, "not in targets.json"});
      continue;
    }
    if (!selected.ok()) {
      return Fail(
          Annotate(selected.status(), "targets.json refused for " + name), name,
          0);
    }
    if (!selected->has_value()) {
      // Newer versions that need a newer runtime are worth reporting.
      for (const TargetEntry& e : targets->targets.at(name)) {
        StatusOr<std::vector<int64_t>> need =
            ParseRuntimeVersion(e.min_runtime_version);
        if (e.version > active && need.ok() && runtime.ok() &&
            CompareRuntimeVersions(*need, *runtime) > 0) {
          result.skipped.push_back(
              {name, e.version,
               "needs runtime >= " + e.min_runtime_version + " (have " +
                   options_.runtime_version + ")"});
        }
      }
      continue;
    }
    const TargetEntry& entry = **selected;
    std::string why;
    if (pinned) {
      why = "pinned to version " + std::to_string(active);
    } else if (std::find(rejected.begin(), rejected.end(), entry.version) !=
               rejected.end()) {
      why = "version " + std::to_string(entry.version) +
            " was rejected on this device";
    } else if (!InRollout(options_.device_id, name, entry.rollout_percent)) {
      why = "not in rollout (" + std::to_string(entry.rollout_percent) +
            "% of devices)";
    }
    if (!why.empty()) {
      result.skipped.push_back({name, entry.version, why});
      continue;
    }
    result.updates.push_back({name, active, entry});
  }

  std::string summary =
      "root v" + std::to_string(result.root_version) + ", timestamp v" +
      std::to_string(result.timestamp_version) + ", targets v" +
      std::to_string(result.targets_version) + ", " +
      std::to_string(result.updates.size()) + " update(s), " +
      std::to_string(result.http_requests) + " request(s)";
  Emit(UpdateEventType::kChecked, "", 0, summary);
  for (const SkippedUpdate& s : result.skipped) {
    Emit(UpdateEventType::kNothingNew, s.model, s.version,
         "skipped: " + s.reason);
  }
  if (result.updates.empty()) {
    Emit(UpdateEventType::kNothingNew, "", 0,
         result.metadata_unchanged ? "timestamp unchanged"
                                   : "no new model versions");
  }
  return result;
}

Status Updater::Download(const PendingUpdate& update) {
  std::lock_guard<std::mutex> lock(mu_);
  return DownloadLocked(update);
}

Status Updater::FetchFile(const Staging& staging, const std::string& local_name,
                          const FileRef& ref, const PendingUpdate& update) {
  const std::string& model = update.model;
  const int64_t version = update.entry.version;
  ASSIGN_OR_RETURN(uint64_t have, store_->StagedSize(staging, local_name));
  if (have > ref.length) have = 0;  // not this file: start over
  if (have == ref.length && have > 0)
    return OkStatus();  // complete; commit re-hashes
  ASSIGN_OR_RETURN(auto out,
                   store_->OpenStagedFile(staging, local_name, have > 0));
  StagedFileSink sink(store_, staging, local_name, std::move(out), env_);
  FetchOptions options;
  options.max_bytes = ref.length;
  options.resume_from = have;
  options.connect_timeout = options_.connect_timeout;
  options.total_timeout = options_.download_timeout;
  options.stall_timeout = options_.stall_timeout;
  options.ca_file = options_.ca_file;
  StatusOr<FetchResult> fetched = fetcher_.Fetch(Url(ref.path), sink, options);
  const Status closed = sink.Close();
  if (!fetched.ok()) {
    const StatusCode c = fetched.status().code();
    // A cut or stalled transfer is kept for the next attempt; bytes beyond
    // the signed size, garbage responses and a full disk are discarded.
    if (c != StatusCode::kUnavailable && c != StatusCode::kDeadlineExceeded &&
        c != StatusCode::kCancelled) {
      (void)store_->AbortStaging(staging);
      return Fail(
          Annotate(fetched.status(), local_name + " of " + model + "@" +
                                         std::to_string(version) + " refused"),
          model, version);
    }
    ASSIGN_OR_RETURN(const uint64_t now_have,
                     store_->StagedSize(staging, local_name));
    return Fail(
        Annotate(fetched.status(),
                 local_name + " of " + model + "@" + std::to_string(version) +
                     " incomplete (" + std::to_string(now_have) + " of " +
                     std::to_string(ref.length) +
                     " bytes kept, resumed next time)"),
        model, version);
  }
  if (!closed.ok()) {
    (void)store_->AbortStaging(staging);
    return Fail(closed, model, version);
  }
  std::string detail =
      local_name + ": " + std::to_string(sink.written()) + " bytes";
  if (fetched->resumed) detail += ", resumed at byte " + std::to_string(have);
  Emit(UpdateEventType::kDownloaded, model, version, detail);
  return OkStatus();
}

Status Updater::DownloadLocked(const PendingUpdate& update) {
  const std::string& model = update.model;
  const TargetEntry& e = update.entry;
  if (store_->VersionDir(model, e.version).ok()) {
    Emit(UpdateEventType::kStaged, model, e.version, "already committed");
    return OkStatus();
  }
  StatusOr<Staging> staging = store_->BeginStaging(model, e.version);
  if (!staging.ok()) return Fail(staging.status(), model, e.version);
  env_->CrashPoint("updater.staging.begun");
  std::vector<std::pair<std::string, const FileRef*>> files = {
      {kModelFileName, &e.model}};
  if (e.self_test) {
    for (size_t i = 0; i < e.self_test->inputs.size(); ++i) {
      files.push_back({SelfTestFileName(true, i), &e.self_test->inputs[i]});
    }
    for (size_t i = 0; i < e.self_test->outputs.size(); ++i) {
      files.push_back({SelfTestFileName(false, i), &e.self_test->outputs[i]});
    }
  }
  std::vector<ExpectedFile> expected;
  for (const auto& [local, ref] : files) {
    RETURN_IF_ERROR(FetchFile(*staging, local, *ref, update));
    env_->CrashPoint("updater.download.file_done");
    expected.push_back({local, ref->sha256, ref->length});
  }
  // The signed entry, and the self-test tolerance for activation
  // (activation.h reads selftest.json).
  std::vector<std::pair<std::string, std::string>> texts = {
      {kTargetFileName, TargetJson(e)}};
  if (e.self_test) {
    texts.push_back({kSelfTestConfigFile,
                     SelfTestConfigJson(e.self_test->atol.value_or(0.0),
                                        e.self_test->rtol.value_or(0.0))});
  }
  for (const auto& [file, text] : texts) {
    StatusOr<std::unique_ptr<WritableFile>> out =
        store_->OpenStagedFile(*staging, file, false);
    Status s = out.ok() ? (*out)->Append(text) : out.status();
    if (s.ok()) s = (*out)->Close();
    if (!s.ok()) {
      (void)store_->AbortStaging(*staging);
      return Fail(s, model, e.version);
    }
    expected.push_back({file, Sha256Hex(text), text.size()});
  }
  env_->CrashPoint("updater.target_written");
  if (Status s = store_->CommitStaged(*staging, expected, Url(e.model.path));
      !s.ok()) {
    return Fail(
        Annotate(s, model + "@" + std::to_string(e.version) + " refused"),
        model, e.version);
  }
  env_->CrashPoint("updater.committed");
  Emit(UpdateEventType::kVerified, model, e.version,
       "sha256 " + e.model.sha256 + ", " + std::to_string(e.model.length) +
           " bytes");
  Emit(UpdateEventType::kStaged, model, e.version,
       "committed to versions/" + model + "/" + std::to_string(e.version));
  return OkStatus();
}

Status Updater::Activate(const PendingUpdate& update) {
  std::lock_guard<std::mutex> lock(mu_);
  return ActivateLocked(update);
}

Status Updater::ActivateLocked(const PendingUpdate& update) {
  if (!options_.activate) {
    return FailedPreconditionError(
        "updater: no activation function configured");
  }
  Status s = options_.activate(*store_, update, events_);
  env_->CrashPoint("updater.activated");
  return s;
}

StatusOr<UpdateAllResult> Updater::UpdateAll(bool activate) {
  std::lock_guard<std::mutex> lock(mu_);
  UpdateAllResult result;
  ASSIGN_OR_RETURN(result.check, CheckLocked());
  Status first;
  for (const PendingUpdate& u : result.check.updates) {
    Status s = DownloadLocked(u);
    if (s.ok() && activate) s = ActivateLocked(u);
    if (s.ok()) {
      result.installed.push_back(u.model + "@" +
                                 std::to_string(u.entry.version));
    } else if (first.ok()) {
      first = s;
    }
  }
  if (!first.ok()) return first;
  return result;
}

Status Updater::StartPolling(std::chrono::milliseconds interval, double jitter,
                             bool activate) {
  std::lock_guard<std::mutex> lock(poll_mu_);
  if (poller_.joinable())
    return FailedPreconditionError("updater: poller already running");
  if (interval.count() <= 0)
    return InvalidArgumentError("updater: poll interval must be > 0");
  poll_stop_ = false;
  poller_ = std::thread([this, interval, jitter, activate] {
    PollLoop(interval, std::clamp(jitter, 0.0, 1.0), activate);
  });
  return OkStatus();
}

void Updater::PollLoop(std::chrono::milliseconds interval, double jitter,
                       bool activate) {
  std::seed_seq seed(options_.device_id.begin(), options_.device_id.end());
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (;;) {
    const auto wait = std::chrono::milliseconds(static_cast<int64_t>(
        static_cast<double>(interval.count()) * (1.0 + jitter * unit(rng))));
    {
      std::unique_lock<std::mutex> lock(poll_mu_);
      if (poll_cv_.wait_for(lock, wait, [this] { return poll_stop_; })) return;
    }
    (void)UpdateAll(activate);  // failures are events already
    std::lock_guard<std::mutex> lock(poll_mu_);
    ++poll_runs_;
  }
}

void Updater::StopPolling() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(poll_mu_);
    poll_stop_ = true;
    t = std::move(poller_);
  }
  poll_cv_.notify_all();
  if (t.joinable()) t.join();
}

uint64_t Updater::poll_runs() const {
  std::lock_guard<std::mutex> lock(poll_mu_);
  return poll_runs_;
}

StatusOr<InstalledTarget> ReadInstalledTarget(Env* env,
                                              const std::string& version_dir) {
  const std::string path = JoinPath(version_dir, kTargetFileName);
  ASSIGN_OR_RETURN(const std::string text, env->ReadFileToString(path));
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const char* what) {
    return DataLossError(path + ": " + what);
  };
  if (!j.is_object()) return bad("not a JSON object");
  InstalledTarget t;
  if (!j.contains("name") || !j["name"].is_string())
    return bad("missing string 'name'");
  if (!j.contains("version") || !j["version"].is_number_integer()) {
    return bad("missing integer 'version'");
  }
  t.name = j["name"].get<std::string>();
  t.version = j["version"].get<int64_t>();
  const json* m =
      j.contains("model") && j["model"].is_object() ? &j["model"] : nullptr;
  if (m == nullptr) return bad("missing object 'model'");
  t.model_file = m->value("file", std::string(kModelFileName));
  t.sha256 = m->value("sha256", "");
  t.length = m->value("length", uint64_t{0});
  if (j.contains("self_test")) {
    const json& st = j["self_test"];
    if (!st.is_object()) return bad("'self_test' is not an object");
    for (bool input : {true, false}) {
      const char* key = input ? "inputs" : "outputs";
      if (!st.contains(key)) continue;
      if (!st[key].is_array()) return bad("'self_test' lists are not arrays");
      for (const json& f : st[key]) {
        if (!f.is_object() || !f.contains("file") || !f["file"].is_string()) {
          return bad("self-test file without 'file'");
        }
        (input ? t.self_test_inputs : t.self_test_outputs).push_back(f["file"]);
      }
    }
    if (st.contains("atol") && st["atol"].is_number())
      t.atol = st["atol"].get<double>();
    if (st.contains("rtol") && st["rtol"].is_number())
      t.rtol = st["rtol"].get<double>();
  }
  return t;
}

}  // namespace edgerun::ota
