// Publishing into the signed model repository (see publisher.h).
#include "edgerun/ota/publisher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "edgerun/ota/verifier.h"

namespace edgerun::ota {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

Status WriteAll(int fd, std::span<const uint8_t> bytes,
                const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return InternalError(Errno("write " + path));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return InternalError(Errno("fsync " + path));
  return OkStatus();
}

void FsyncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// A name component of the repository: [A-Za-z0-9._-]+, not "." or "..",
// not hidden.
bool IsSafeName(std::string_view s) {
  if (s.empty() || s.size() > 128 || s.front() == '.') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

// A relative path of safe names ("inputs/x.npy").
bool IsSafeRelative(std::string_view p) {
  if (p.empty() || p.size() > 512) return false;
  size_t start = 0;
  while (true) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    if (!IsSafeName(p.substr(start, end - start))) return false;
    if (end == p.size()) return true;
    start = end + 1;
  }
}

std::vector<SigningKey> Dedupe(std::span<const SigningKey> keys) {
  std::vector<SigningKey> out;
  std::set<std::string> seen;
  for (const SigningKey& k : keys) {
    if (seen.insert(k.keyid).second) out.push_back(k);
  }
  return out;
}

// The keys must all belong to `role` of `root` and meet its threshold.
Status CheckRoleKeys(const Root& root, Role role,
                     std::span<const SigningKey> keys) {
  const RoleKeys& r = root.role(role);
  int count = 0;
  for (const SigningKey& k : keys) {
    if (std::find(r.keyids.begin(), r.keyids.end(), k.keyid) ==
        r.keyids.end()) {
      return PermissionDeniedError(
          "key " + k.keyid + " is not a '" + std::string(RoleName(role)) +
          "' key of root.json version " + std::to_string(root.version));
    }
    ++count;
  }
  if (count < r.threshold) {
    return PermissionDeniedError(
        std::to_string(count) + " '" + std::string(RoleName(role)) +
        "' key(s) given, root.json version " + std::to_string(root.version) +
        " needs " + std::to_string(r.threshold));
  }
  return OkStatus();
}

StatusOr<RoleKeys> MakeRole(std::span<const SigningKey> keys, int threshold,
                            Role role) {
  RoleKeys r;
  for (const SigningKey& k : keys) r.keyids.push_back(k.keyid);
  if (threshold < 1 || threshold > static_cast<int>(r.keyids.size())) {
    return InvalidArgumentError(
        "threshold " + std::to_string(threshold) + " of role '" +
        std::string(RoleName(role)) + "' must be between 1 and its " +
        std::to_string(r.keyids.size()) + " distinct key(s)");
  }
  r.threshold = threshold;
  return r;
}

Status WriteText(const fs::path& path, const std::string& text) {
  return WriteFileAtomic(path.string(), AsBytes(text));
}

Status WriteRoot(const fs::path& repo, const Root& root,
                 std::span<const SigningKey> signers) {
  ASSIGN_OR_RETURN(const std::string text, SignRoot(root, signers));
  RETURN_IF_ERROR(
      WriteText(repo / (std::to_string(root.version) + ".root.json"), text));
  return WriteText(repo / "root.json", text);
}

StatusOr<Root> ReadRoot(const fs::path& repo) {
  ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes,
                   ReadFileBytes((repo / "root.json").string()));
  StatusOr<Root> root = LoadTrustedRoot(bytes);
  if (!root.ok()) return root.status().WithContext(repo.string());
  return root;
}

// The options of DIR/<name>/<version>/target.json.
struct TargetOptions {
  int rollout_percent = 100;
  std::string min_runtime_version = "0.0.0";
  bool has_self_test = false;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::optional<double> atol;
  std::optional<double> rtol;
};

StatusOr<std::vector<std::string>> FileList(const json& st, const char* key,
                                            const std::string& what) {
  std::vector<std::string> out;
  const auto it = st.find(key);
  if (it == st.end()) return out;
  if (!it->is_array()) {
    return InvalidArgumentError(what + ": self_test." + key +
                                " must be an array of file names");
  }
  for (const json& f : *it) {
    if (!f.is_string() || !IsSafeRelative(f.get<std::string>())) {
      return InvalidArgumentError(
          what + ": self_test." + key +
          " entries must be relative paths of [A-Za-z0-9._-] names");
    }
    out.push_back(f.get<std::string>());
  }
  return out;
}

StatusOr<std::optional<double>> OptionalTolerance(const json& st,
                                                  const char* key,
                                                  const std::string& what) {
  const auto it = st.find(key);
  if (it == st.end()) return std::optional<double>();
  if (!it->is_number() || it->get<double>() < 0) {
    return InvalidArgumentError(what + ": self_test." + key +
                                " must be a non-negative number");
  }
  return std::optional<double>(it->get<double>());
}

StatusOr<TargetOptions> ReadTargetOptions(const fs::path& path) {
  TargetOptions o;
  if (!fs::exists(path)) return o;
  const std::string what = path.string();
  ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, ReadFileBytes(what));
  const json j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError(what + ": not a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "rollout_percent") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > 100) {
        return InvalidArgumentError(what +
                                    ": rollout_percent must be an integer "
                                    "0..100");
      }
      o.rollout_percent = value.get<int>();
    } else if (key == "min_runtime_version") {
      if (!value.is_string() ||
          !ParseRuntimeVersion(value.get<std::string>()).ok()) {
        return InvalidArgumentError(
            what + ": min_runtime_version must be a string like \"0.1.0\"");
      }
      o.min_runtime_version = value.get<std::string>();
    } else if (key == "self_test") {
      if (!value.is_object()) {
        return InvalidArgumentError(what + ": self_test must be an object");
      }
      for (const auto& [st_key, unused] : value.items()) {
        if (st_key != "inputs" && st_key != "outputs" && st_key != "atol" &&
            st_key != "rtol") {
          return InvalidArgumentError(what + ": unknown field self_test." +
                                      st_key);
        }
      }
      o.has_self_test = true;
      ASSIGN_OR_RETURN(o.inputs, FileList(value, "inputs", what));
      ASSIGN_OR_RETURN(o.outputs, FileList(value, "outputs", what));
      ASSIGN_OR_RETURN(o.atol, OptionalTolerance(value, "atol", what));
      ASSIGN_OR_RETURN(o.rtol, OptionalTolerance(value, "rtol", what));
    } else {
      return InvalidArgumentError(what + ": unknown field \"" + key +
                                  "\" (known: rollout_percent, "
                                  "min_runtime_version, self_test)");
    }
  }
  return o;
}

// A file to be written into the repository once every input checked out.
struct PendingFile {
  std::string path;  // relative to the repository
  std::vector<uint8_t> bytes;
};

// Reads `rel` under `src_dir`, checks it is .npy, queues it for the
// repository and returns its FileRef.
StatusOr<FileRef> PublishSelfTestFile(const fs::path& src_dir,
                                      const std::string& repo_dir_rel,
                                      const std::string& rel,
                                      std::vector<PendingFile>& pending) {
  const fs::path src = src_dir / rel;
  ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes,
                   ReadFileBytes(src.string()));
  static constexpr uint8_t kNpyMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (bytes.size() < sizeof(kNpyMagic) ||
      !std::equal(std::begin(kNpyMagic), std::end(kNpyMagic), bytes.begin())) {
    return DataLossError(src.string() + ": self-test file is not .npy");
  }
  FileRef f;
  f.path = repo_dir_rel + "/" + rel;
  f.length = bytes.size();
  f.sha256 = Sha256Hex(bytes);
  pending.push_back({f.path, bytes});
  return f;
}

StatusOr<int64_t> ParseVersionDir(const std::string& name) {
  int64_t v = 0;
  const auto r = std::from_chars(name.data(), name.data() + name.size(), v);
  if (name.empty() || r.ec != std::errc() ||
      r.ptr != name.data() + name.size() || v <= 0 || name.front() == '0') {
    return InvalidArgumentError("\"" + name +
                                "\" is not a model version (a positive "
                                "integer without leading zeros)");
  }
  return v;
}

std::vector<fs::path> SortedSubdirs(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && e.path().filename().string().front() != '.') {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// ------------------------------------------------------------------ files

std::string PublicKeyPath(const std::string& private_key_path) {
  constexpr std::string_view kJson = ".json";
  if (private_key_path.size() > kJson.size() &&
      private_key_path.ends_with(kJson)) {
    return private_key_path.substr(0, private_key_path.size() - kJson.size()) +
           ".pub.json";
  }
  return private_key_path + ".pub.json";
}

StatusOr<std::vector<uint8_t>> ReadFileBytes(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return NotFoundError(path + ": no such file");
  if (fs::is_directory(path, ec)) {
    return InvalidArgumentError(path + ": is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(path + ": cannot open");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) return DataLossError(path + ": read error");
  return bytes;
}

Status WriteFileAtomic(const std::string& path,
                       std::span<const uint8_t> bytes) {
  const fs::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) {
    fs::create_directories(p.parent_path(), ec);
    if (ec) {
      return InternalError(p.parent_path().string() + ": " + ec.message());
    }
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return InternalError(Errno("open " + tmp));
  Status s = WriteAll(fd, bytes, tmp);
  if (::close(fd) != 0 && s.ok()) s = InternalError(Errno("close " + tmp));
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = InternalError(Errno("rename to " + path));
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  FsyncDir(p.has_parent_path() ? p.parent_path() : fs::path("."));
  return OkStatus();
}

StatusOr<std::string> WriteKeyFiles(const std::string& path,
                                    const SigningKey& key) {
  const std::string pub_path = PublicKeyPath(path);
  std::error_code ec;
  for (const std::string& p : {path, pub_path}) {
    if (fs::exists(p, ec)) {
      return AlreadyExistsError(p + ": exists; refusing to overwrite a key");
    }
  }
  const std::string text = SigningKeyToJson(key);
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return AlreadyExistsError(path + ": exists; refusing to overwrite a key");
    }
    return InternalError(Errno("create " + path));
  }
  ::fchmod(fd, 0600);  // whatever the umask
  Status s = WriteAll(fd, AsBytes(text), path);
  if (::close(fd) != 0 && s.ok()) s = InternalError(Errno("close " + path));
  if (!s.ok()) {
    ::unlink(path.c_str());
    return s;
  }
  RETURN_IF_ERROR(WriteText(pub_path, PublicKeyToJson(key.Public())));
  return pub_path;
}

StatusOr<SigningKey> LoadSigningKey(const std::string& path) {
  ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, ReadFileBytes(path));
  return ParseSigningKey(
      std::string_view(reinterpret_cast<const char*>(bytes.data()),
                       bytes.size()),
      path);
}

StatusOr<PublicKey> LoadPublicKey(const std::string& path) {
  ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, ReadFileBytes(path));
  return ParsePublicKey(
      std::string_view(reinterpret_cast<const char*>(bytes.data()),
                       bytes.size()),
      path);
}

// ---------------------------------------------------------------- publish

StatusOr<PublishResult> Publish(const std::string& models_dir,
                                const std::string& repo_dir,
                                const PublishOptions& options) {
  const auto keys_for = [&](const std::vector<SigningKey>& own) {
    return Dedupe(own.empty() ? options.keys : own);
  };
  const std::vector<SigningKey> root_keys = keys_for(options.root_keys);
  const std::vector<SigningKey> targets_keys = keys_for(options.targets_keys);
  const std::vector<SigningKey> timestamp_keys =
      keys_for(options.timestamp_keys);
  if (targets_keys.empty() || timestamp_keys.empty()) {
    return InvalidArgumentError("no signing keys for targets/timestamp");
  }
  if (options.expires_days < 1 || options.timestamp_expires_hours < 1) {
    return InvalidArgumentError(
        "expiry must be at least 1 day (metadata) and 1 hour (timestamp)");
  }
  std::error_code ec;
  const fs::path src(models_dir);
  if (!fs::is_directory(src, ec)) {
    return InvalidArgumentError(models_dir + ": not a directory");
  }
  const fs::path repo(repo_dir);
  PublishResult result;

  // Root: read, or create version 1.
  Root root;
  if (fs::exists(repo / "root.json", ec)) {
    ASSIGN_OR_RETURN(root, ReadRoot(repo));
    // Devices would refuse everything signed under an expired root.
    const Status fresh = CheckNotExpired(root, options.now);
    if (!fresh.ok()) {
      return Status(fresh.code(), fresh.message() + " (rotate the root first)");
    }
  } else {
    if (root_keys.empty()) return InvalidArgumentError("no root keys");
    root.version = 1;
    root.expires = options.now + std::chrono::days(options.expires_days);
    for (const auto* list : {&root_keys, &targets_keys, &timestamp_keys}) {
      for (const SigningKey& k : *list) root.keys[k.keyid] = k.Public();
    }
    ASSIGN_OR_RETURN(root.root,
                     MakeRole(root_keys, options.threshold, Role::kRoot));
    ASSIGN_OR_RETURN(root.targets,
                     MakeRole(targets_keys, options.threshold, Role::kTargets));
    ASSIGN_OR_RETURN(root.timestamp, MakeRole(timestamp_keys, options.threshold,
                                              Role::kTimestamp));
    result.created_root = true;
  }
  result.root_version = root.version;
  RETURN_IF_ERROR(CheckRoleKeys(root, Role::kTargets, targets_keys));
  RETURN_IF_ERROR(CheckRoleKeys(root, Role::kTimestamp, timestamp_keys));

  // Current targets and timestamp (our own files: shape-checked only).
  Targets targets;
  targets.version = 0;
  if (fs::exists(repo / "targets.json", ec)) {
    ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes,
                     ReadFileBytes((repo / "targets.json").string()));
    StatusOr<Targets> t = ParseTargetsUnverified(bytes);
    if (!t.ok()) return t.status().WithContext(repo.string());
    targets = std::move(*t);
  }
  int64_t timestamp_version = 0;
  if (fs::exists(repo / "timestamp.json", ec)) {
    ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes,
                     ReadFileBytes((repo / "timestamp.json").string()));
    StatusOr<Timestamp> t = ParseTimestampUnverified(bytes);
    if (!t.ok()) return t.status().WithContext(repo.string());
    timestamp_version = t->version;
  }

  // New models: everything is read and checked before anything is written.
  std::vector<PendingFile> pending;
  for (const fs::path& model_dir : SortedSubdirs(src)) {
    const std::string name = model_dir.filename().string();
    if (!IsSafeName(name)) {
      return InvalidArgumentError(model_dir.string() +
                                  ": model names are [A-Za-z0-9._-]+");
    }
    for (const fs::path& version_dir : SortedSubdirs(model_dir)) {
      StatusOr<int64_t> version =
          ParseVersionDir(version_dir.filename().string());
      if (!version.ok()) {
        return version.status().WithContext(version_dir.string());
      }
      const fs::path model_path = version_dir / "model.tflite";
      if (!fs::is_regular_file(model_path, ec)) {
        return InvalidArgumentError(model_path.string() + ": missing");
      }
      ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes,
                       ReadFileBytes(model_path.string()));
      std::vector<TargetEntry>& entries = targets.targets[name];
      const auto existing = std::find_if(
          entries.begin(), entries.end(),
          [&](const TargetEntry& e) { return e.version == *version; });
      if (existing != entries.end() &&
          existing->model.sha256 != Sha256Hex(bytes)) {
        return AlreadyExistsError(
            model_path.string() + ": model \"" + name + "\" version " +
            std::to_string(*version) +
            " is already published with other bytes (versions are immutable;"
            " publish a new version)");
      }
      if (options.check_model && existing == entries.end()) {
        RETURN_IF_ERROR(options.check_model(model_path.string(), bytes));
      }
      ASSIGN_OR_RETURN(const TargetOptions topt,
                       ReadTargetOptions(version_dir / "target.json"));
      const std::string rel_dir =
          "models/" + name + "/" + std::to_string(*version);
      TargetEntry e;
      e.name = name;
      e.version = *version;
      e.model = {rel_dir + "/model.tflite", bytes.size(), Sha256Hex(bytes)};
      e.rollout_percent = topt.rollout_percent;
      e.min_runtime_version = topt.min_runtime_version;
      if (topt.has_self_test) {
        SelfTest st;
        for (const std::string& f : topt.inputs) {
          ASSIGN_OR_RETURN(
              FileRef r, PublishSelfTestFile(version_dir, rel_dir, f, pending));
          st.inputs.push_back(std::move(r));
        }
        for (const std::string& f : topt.outputs) {
          ASSIGN_OR_RETURN(
              FileRef r, PublishSelfTestFile(version_dir, rel_dir, f, pending));
          st.outputs.push_back(std::move(r));
        }
        st.atol = topt.atol;
        st.rtol = topt.rtol;
        e.self_test = std::move(st);
      }
      const std::string id = name + "@" + std::to_string(*version);
      if (existing != entries.end()) {
        if (!(*existing == e)) {
          result.updated.push_back(id);
          *existing = std::move(e);
        }
        continue;  // the model file is already there
      }
      pending.push_back({e.model.path, bytes});
      entries.push_back(std::move(e));
      std::sort(entries.begin(), entries.end(),
                [](const TargetEntry& a, const TargetEntry& b) {
                  return a.version < b.version;
                });
      result.added.push_back(id);
    }
  }
  std::erase_if(targets.targets,
                [](const auto& kv) { return kv.second.empty(); });

  // Root, models, targets.json, then timestamp.json (so a client never sees
  // a timestamp naming files that are not there yet).
  if (result.created_root) RETURN_IF_ERROR(WriteRoot(repo, root, root_keys));
  for (const PendingFile& f : pending) {
    RETURN_IF_ERROR(WriteFileAtomic((repo / f.path).string(), f.bytes));
  }
  targets.version += 1;
  targets.expires = options.targets_expires.value_or(
      options.now + std::chrono::days(options.expires_days));
  ASSIGN_OR_RETURN(const std::string targets_text,
                   SignTargets(targets, targets_keys));
  RETURN_IF_ERROR(
      WriteText(repo / (std::to_string(targets.version) + ".targets.json"),
                targets_text));
  RETURN_IF_ERROR(WriteText(repo / "targets.json", targets_text));

  Timestamp ts;
  ts.version = timestamp_version + 1;
  ts.expires = options.timestamp_expires.value_or(
      options.now + std::chrono::hours(options.timestamp_expires_hours));
  ts.targets = {targets.version, targets_text.size(),
                Sha256Hex(std::string_view(targets_text))};
  ASSIGN_OR_RETURN(const std::string ts_text,
                   SignTimestamp(ts, timestamp_keys));
  RETURN_IF_ERROR(WriteText(repo / "timestamp.json", ts_text));

  result.targets_version = targets.version;
  result.timestamp_version = ts.version;
  return result;
}

StatusOr<int64_t> RotateRoot(const std::string& repo_dir,
                             std::span<const SigningKey> old_root_keys,
                             std::span<const SigningKey> new_root_keys,
                             int threshold, const RotateOptions& options) {
  const fs::path repo(repo_dir);
  ASSIGN_OR_RETURN(const Root current, ReadRoot(repo));
  const std::vector<SigningKey> old_keys = Dedupe(old_root_keys);
  const std::vector<SigningKey> new_keys = Dedupe(new_root_keys);
  if (!options.signers) {
    RETURN_IF_ERROR(CheckRoleKeys(current, Role::kRoot, old_keys));
  }
  Root next;
  next.version = options.version.value_or(current.version + 1);
  next.expires = options.expires.value_or(
      options.now + std::chrono::days(options.expires_days));
  ASSIGN_OR_RETURN(next.root, MakeRole(new_keys, threshold, Role::kRoot));
  for (const SigningKey& k : new_keys) next.keys[k.keyid] = k.Public();
  const auto replace_role = [&](Role role, const std::vector<PublicKey>& keys,
                                int role_threshold, RoleKeys& out) -> Status {
    if (keys.empty()) {
      out = current.role(role);
      for (const std::string& id : out.keyids) {
        next.keys[id] = current.keys.at(id);
      }
      return OkStatus();
    }
    out = RoleKeys();
    for (const PublicKey& k : keys) {
      if (std::find(out.keyids.begin(), out.keyids.end(), k.keyid) ==
          out.keyids.end()) {
        out.keyids.push_back(k.keyid);
      }
      next.keys[k.keyid] = k;
    }
    if (role_threshold < 1 ||
        role_threshold > static_cast<int>(out.keyids.size())) {
      return InvalidArgumentError("threshold of role '" +
                                  std::string(RoleName(role)) +
                                  "' out of range");
    }
    out.threshold = role_threshold;
    return OkStatus();
  };
  RETURN_IF_ERROR(replace_role(Role::kTargets, options.targets_keys,
                               options.targets_threshold, next.targets));
  RETURN_IF_ERROR(replace_role(Role::kTimestamp, options.timestamp_keys,
                               options.timestamp_threshold, next.timestamp));
  std::vector<SigningKey> signers;
  if (options.signers) {
    signers = *options.signers;
  } else {
    signers = old_keys;
    signers.insert(signers.end(), new_keys.begin(), new_keys.end());
    signers = Dedupe(signers);
  }
  RETURN_IF_ERROR(WriteRoot(repo, next, signers));
  return next.version;
}

StatusOr<Timestamp> ResignTimestamp(const std::string& repo_dir,
                                    std::span<const SigningKey> keys,
                                    const ResignOptions& options) {
  const fs::path repo(repo_dir);
  ASSIGN_OR_RETURN(const std::vector<uint8_t> targets_bytes,
                   ReadFileBytes((repo / "targets.json").string()));
  ASSIGN_OR_RETURN(const Targets targets,
                   ParseTargetsUnverified(targets_bytes));
  int64_t current = 0;
  std::error_code ec;
  if (fs::exists(repo / "timestamp.json", ec)) {
    ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes,
                     ReadFileBytes((repo / "timestamp.json").string()));
    ASSIGN_OR_RETURN(const Timestamp old, ParseTimestampUnverified(bytes));
    current = old.version;
  }
  Timestamp ts;
  ts.version = options.version.value_or(current + 1);
  ts.expires = options.expires.value_or(options.now + std::chrono::hours(24));
  ts.targets = {targets.version, targets_bytes.size(),
                Sha256Hex(targets_bytes)};
  ASSIGN_OR_RETURN(const std::string text, SignTimestamp(ts, keys));
  RETURN_IF_ERROR(WriteText(repo / "timestamp.json", text));
  return ts;
}

}  // namespace edgerun::ota
