#include "edgerun/ota/activation.h"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/ota/crypto.h"

namespace edgerun::ota {
namespace {

using json = nlohmann::json;

constexpr char kManifestFile[] = "manifest.json";

struct ListedFile {
  std::string sha256;
  uint64_t length = 0;
};

// Reads all of `path` through `env` into memory.
StatusOr<std::vector<uint8_t>> ReadAll(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(auto file, env->NewSequentialFile(path));
  std::vector<uint8_t> out;
  if (auto size = env->GetFileSize(path); size.ok()) out.reserve(*size);
  std::vector<uint8_t> buf(256 * 1024);
  while (true) {
    ASSIGN_OR_RETURN(const size_t n, file->Read(buf));
    if (n == 0) break;
    out.insert(out.end(), buf.begin(),
               buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

// The files of manifest.json (written by ModelStore::CommitStaged).
StatusOr<std::map<std::string, ListedFile>> ReadManifestFiles(
    Env* env, const std::string& dir) {
  const std::string path = JoinPath(dir, kManifestFile);
  ASSIGN_OR_RETURN(const std::string text, env->ReadFileToString(path));
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("files") ||
      !j["files"].is_array()) {
    return DataLossError("read " + path + ": malformed manifest");
  }
  std::map<std::string, ListedFile> files;
  for (const auto& f : j["files"]) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() ||
        !f.contains("sha256") || !f["sha256"].is_string() ||
        !f.contains("length") || !f["length"].is_number_unsigned()) {
      return DataLossError("read " + path +
                           ": malformed file entry in manifest");
    }
    const std::string name = f["name"].get<std::string>();
    if (name.empty() || name.find('/') != std::string::npos || name == "." ||
        name == "..") {
      return DataLossError("read " + path + ": bad file name in manifest");
    }
    files[name] = {f["sha256"].get<std::string>(), f["length"].get<uint64_t>()};
  }
  if (!files.count(kModelFileName)) {
    return DataLossError("read " + path + ": manifest lists no " +
                         kModelFileName);
  }
  return files;
}

// Reads `path` and checks its length and hash against the manifest entry.
StatusOr<std::vector<uint8_t>> ReadVerified(Env* env, const std::string& path,
                                            const ListedFile& want) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadAll(env, path));
  if (bytes.size() != want.length) {
    return DataLossError("verify " + path + ": " +
                         std::to_string(bytes.size()) + " bytes, expected " +
                         std::to_string(want.length));
  }
  const std::string got = Sha256Hex(bytes);
  if (got != want.sha256) {
    return DataLossError("verify " + path + ": sha256 " + got + ", expected " +
                         want.sha256);
  }
  return bytes;
}

// The self-test of a version directory; nullopt-like `ran == false` when the
// manifest lists no selftest_* file.
struct LoadedSelfTest {
  bool present = false;
  SelfTestSpec spec;
};

StatusOr<LoadedSelfTest> LoadSelfTest(
    Env* env, const std::string& dir,
    const std::map<std::string, ListedFile>& files,
    std::map<std::string, std::vector<uint8_t>>& verified) {
  LoadedSelfTest out;
  for (const auto& [file, _] : files) {
    if (file.rfind("selftest", 0) == 0) out.present = true;
  }
  if (!out.present) return out;
  const auto take = [&](const std::string& file) {
    return std::move(verified.at(file));
  };
  for (int i = 0; files.count(SelfTestInputFile(i)); ++i) {
    out.spec.input_npy.push_back(take(SelfTestInputFile(i)));
  }
  for (int i = 0; files.count(SelfTestOutputFile(i)); ++i) {
    out.spec.expected_output_npy.push_back(take(SelfTestOutputFile(i)));
  }
  if (out.spec.input_npy.empty() || out.spec.expected_output_npy.empty()) {
    return InvalidArgumentError("self-test in " + dir + ": needs " +
                                SelfTestInputFile(0) + " and " +
                                SelfTestOutputFile(0));
  }
  // A gap (selftest_input_0, selftest_input_2) is a malformed update.
  int listed_arrays = 0;
  for (const auto& [file, _] : files) {
    if (file.rfind("selftest_input_", 0) == 0 ||
        file.rfind("selftest_output_", 0) == 0) {
      ++listed_arrays;
    }
  }
  if (listed_arrays != static_cast<int>(out.spec.input_npy.size() +
                                        out.spec.expected_output_npy.size())) {
    return InvalidArgumentError(
        "self-test in " + dir +
        ": selftest_input_<i>/selftest_output_<i> files are not "
        "numbered 0..N-1");
  }
  if (files.count(kSelfTestConfigFile)) {
    const std::vector<uint8_t>& cfg = verified.at(kSelfTestConfigFile);
    auto tolerance = ParseSelfTestConfig(std::string_view(
        reinterpret_cast<const char*>(cfg.data()), cfg.size()));
    if (!tolerance.ok()) {
      return tolerance.status().WithContext(JoinPath(dir, kSelfTestConfigFile));
    }
    out.spec.atol = tolerance->atol;
    out.spec.rtol = tolerance->rtol;
  }
  return out;
}

void Emit(EventLog* events, UpdateEventType type, const std::string& name,
          int64_t version, int64_t from, std::string reason) {
  if (events == nullptr) return;
  UpdateEvent e;
  e.type = type;
  e.model = name;
  e.version = std::to_string(version);
  e.from_version = std::to_string(from);
  e.reason = std::move(reason);
  events->Append(std::move(e));
}

// The active version per List (no hashing); 0 when none.
int64_t ActiveVersion(ModelStore& store, const std::string& name) {
  auto listed = store.List(name);
  if (!listed.ok()) return 0;
  for (const auto& v : *listed) {
    if (v.active) return v.version;
  }
  return 0;
}

}  // namespace

StatusOr<std::shared_ptr<const ModelFile>> LoadVerifiedModel(
    Env* env, const std::string& path, const std::string& sha256) {
  if (env == nullptr) env = Env::Default();
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadAll(env, path));
  const std::string got = Sha256Hex(bytes);
  if (got != sha256) {
    return DataLossError("load " + path + ": sha256 " + got + ", expected " +
                         sha256);
  }
  auto model = LoadModel(ByteSource::FromVector(std::move(bytes), path),
                         LoadOptions{.verification = Verification::kFull});
  if (!model.ok()) return model.status().WithContext("load " + path);
  return model;
}

StatusOr<ActivatedModel> PrepareAndActivateModel(
    ModelStore& store, const std::string& name, int64_t version,
    const ActivationOptions& options, EventLog* events) {
  Env* env = options.env != nullptr ? options.env : Env::Default();
  const int64_t from = ActiveVersion(store, name);
  const std::string what =
      "activate model " + name + " version " + std::to_string(version);
  // Any refusal before Activate: recorded, store untouched.
  // Recorded in the store too, so the Updater does not offer the version
  // again and the history says why (best effort: the refusal stands even
  // when the record cannot be written).
  const auto reject = [&](const Status& s) {
    Emit(events, UpdateEventType::kRejected, name, version, from, s.message());
    // Only verdicts on the version itself; I/O trouble may pass.
    const StatusCode c = s.code();
    if (c == StatusCode::kDataLoss || c == StatusCode::kFailedPrecondition ||
        c == StatusCode::kInvalidArgument || c == StatusCode::kUnimplemented) {
      (void)store.Reject(name, version, s.message());
    }
    return s;
  };

  ASSIGN_OR_RETURN(const std::string dir, store.VersionDir(name, version));
  auto files = ReadManifestFiles(env, dir);
  if (!files.ok()) return reject(files.status().WithContext(what));
  // 1. Every listed file, hashed from the bytes used below.
  std::map<std::string, std::vector<uint8_t>> verified;
  for (const auto& [file, want] : *files) {
    auto bytes = ReadVerified(env, JoinPath(dir, file), want);
    if (!bytes.ok()) return reject(bytes.status().WithContext(what));
    verified[file] = std::move(*bytes);
  }
  env->CrashPoint("activation.verified");

  ActivatedModel out;
  out.report.version = version;
  out.report.from_version = from;
  out.report.model_sha256 = files->at(kModelFileName).sha256;

  // 2. Full verification of exactly those bytes.
  auto model =
      LoadModel(ByteSource::FromVector(std::move(verified.at(kModelFileName)),
                                       JoinPath(dir, kModelFileName)),
                LoadOptions{.verification = Verification::kFull});
  if (!model.ok()) return reject(model.status().WithContext(what));
  out.model = *model;

  // 3. Self-test on the serving options.
  auto self_test = LoadSelfTest(env, dir, *files, verified);
  if (!self_test.ok()) {
    Emit(events, UpdateEventType::kSelfTestFailed, name, version, from,
         self_test.status().message());
    return reject(self_test.status().WithContext(what));
  }
  if (self_test->present) {
    auto report = RunSelfTest(out.model, self_test->spec, options.interpreter);
    if (!report.ok() || !report->passed) {
      const Status s = report.ok() ? report->status : report.status();
      Emit(events, UpdateEventType::kSelfTestFailed, name, version, from,
           report.ok() ? report->ToString() : s.message());
      return reject(s.WithContext(what));
    }
    out.report.self_test_ran = true;
    out.report.self_test_atol = report->atol;
    out.report.self_test_rtol = report->rtol;
    out.report.self_test_outputs = report->outputs;
    Emit(events, UpdateEventType::kSelfTestPassed, name, version, from,
         report->ToString());
  }
  env->CrashPoint("activation.self_tested");

  // 4. Live.
  Status activated = store.Activate(name, version, options.reason);
  if (!activated.ok()) return reject(activated.WithContext(what));
  env->CrashPoint("activation.activated");
  Emit(events, UpdateEventType::kActivated, name, version, from,
       options.reason);
  return out;
}

StatusOr<ActivationReport> PrepareAndActivate(ModelStore& store,
                                              const std::string& name,
                                              int64_t version,
                                              const ActivationOptions& options,
                                              EventLog* events) {
  ASSIGN_OR_RETURN(
      ActivatedModel activated,
      PrepareAndActivateModel(store, name, version, options, events));
  return std::move(activated.report);
}

}  // namespace edgerun::ota
