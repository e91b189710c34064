// Repository metadata: values <-> canonical JSON, signing, shape parsing.
#include "edgerun/ota/metadata.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <utility>

#include "ota/metadata_json.h"

namespace edgerun::ota {
namespace {

using nlohmann::json;
namespace chr = std::chrono;

// ------------------------------------------------------------ field access

std::string At(std::string_view what, std::string_view field) {
  return std::string(what) + ": " + std::string(field);
}

StatusOr<const json*> Field(const json& obj, const char* key,
                            std::string_view what) {
  const auto it = obj.find(key);
  if (it == obj.end()) {
    return DataLossError(At(what, key) + ": missing");
  }
  return &*it;
}

StatusOr<int64_t> IntField(const json& obj, const char* key,
                           std::string_view what, int64_t min, int64_t max) {
  ASSIGN_OR_RETURN(const json* v, Field(obj, key, what));
  if (!v->is_number_integer()) {
    return DataLossError(At(what, key) + ": not an integer");
  }
  if (v->is_number_unsigned() &&
      v->get<uint64_t>() >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return DataLossError(At(what, key) + ": out of range");
  }
  const int64_t x = v->get<int64_t>();
  if (x < min || x > max) {
    return DataLossError(At(what, key) + ": " + std::to_string(x) +
                         " is outside [" + std::to_string(min) + ", " +
                         std::to_string(max) + "]");
  }
  return x;
}

StatusOr<std::string> StringField(const json& obj, const char* key,
                                  std::string_view what) {
  ASSIGN_OR_RETURN(const json* v, Field(obj, key, what));
  if (!v->is_string()) return DataLossError(At(what, key) + ": not a string");
  return v->get<std::string>();
}

StatusOr<const json*> ObjectField(const json& obj, const char* key,
                                  std::string_view what) {
  ASSIGN_OR_RETURN(const json* v, Field(obj, key, what));
  if (!v->is_object()) return DataLossError(At(what, key) + ": not an object");
  return v;
}

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 2 * kSha256Bytes) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

StatusOr<std::string> HashField(const json& obj, const char* key,
                                std::string_view what) {
  ASSIGN_OR_RETURN(std::string s, StringField(obj, key, what));
  if (!IsSha256Hex(s)) {
    return DataLossError(At(what, key) + ": not 64 lower-case hex digits");
  }
  return s;
}

StatusOr<TimePoint> TimeField(const json& obj, const char* key,
                              std::string_view what) {
  ASSIGN_OR_RETURN(const std::string s, StringField(obj, key, what));
  StatusOr<TimePoint> t = ParseTime(s);
  if (!t.ok()) return DataLossError(At(what, key) + ": " + t.status().message());
  return *t;
}

Status CheckType(const json& j, std::string_view type, std::string_view what) {
  ASSIGN_OR_RETURN(const std::string t, StringField(j, "_type", what));
  if (t != type) {
    return DataLossError(At(what, "_type") + ": \"" + t + "\", expected \"" +
                         std::string(type) + "\"");
  }
  return OkStatus();
}

// A relative path inside the repository: no "..", ".", empty components,
// absolute paths or backslashes (the updater builds URLs and file names).
bool IsSafeRelativePath(std::string_view p) {
  if (p.empty() || p.size() > 1024 || p.front() == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    const std::string_view part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

StatusOr<FileRef> FileRefFromJson(const json& j, std::string_view what) {
  if (!j.is_object()) return DataLossError(std::string(what) + ": not an object");
  FileRef f;
  ASSIGN_OR_RETURN(f.path, StringField(j, "path", what));
  if (!IsSafeRelativePath(f.path)) {
    return DataLossError(At(what, "path") + ": \"" + f.path +
                         "\" is not a safe relative path");
  }
  ASSIGN_OR_RETURN(const int64_t length,
                   IntField(j, "length", what, 0,
                            std::numeric_limits<int64_t>::max()));
  f.length = static_cast<uint64_t>(length);
  ASSIGN_OR_RETURN(f.sha256, HashField(j, "sha256", what));
  return f;
}

json FileRefToJson(const FileRef& f) {
  return json{{"path", f.path}, {"length", f.length}, {"sha256", f.sha256}};
}

// Tolerances: decimal strings (no floats in signed documents).
StatusOr<std::string> FormatTolerance(double v, const char* name) {
  if (!std::isfinite(v) || v < 0) {
    return InvalidArgumentError(std::string("self_test.") + name + ": " +
                                std::to_string(v) +
                                " is not a finite non-negative number");
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

StatusOr<std::optional<double>> ToleranceField(const json& j, const char* key,
                                               std::string_view what) {
  if (!j.contains(key)) return std::optional<double>();
  ASSIGN_OR_RETURN(const std::string s, StringField(j, key, what));
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() ||
      !std::isfinite(v) || v < 0) {
    return DataLossError(At(what, key) + ": \"" + s +
                         "\" is not a non-negative decimal number");
  }
  return std::optional<double>(v);
}

StatusOr<std::vector<FileRef>> FileRefList(const json& j, const char* key,
                                           std::string_view what) {
  std::vector<FileRef> out;
  if (!j.contains(key)) return out;
  ASSIGN_OR_RETURN(const json* list, Field(j, key, what));
  if (!list->is_array()) return DataLossError(At(what, key) + ": not an array");
  for (size_t i = 0; i < list->size(); ++i) {
    ASSIGN_OR_RETURN(FileRef f,
                     FileRefFromJson((*list)[i], At(what, key) + "[" +
                                                     std::to_string(i) + "]"));
    out.push_back(std::move(f));
  }
  return out;
}

bool IsValidModelName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

StatusOr<TargetEntry> TargetEntryFromJson(const json& j, const std::string& name,
                                          std::string_view what) {
  if (!j.is_object()) return DataLossError(std::string(what) + ": not an object");
  TargetEntry e;
  e.name = name;
  ASSIGN_OR_RETURN(e.version, IntField(j, "version", what, 1,
                                       std::numeric_limits<int64_t>::max()));
  ASSIGN_OR_RETURN(e.model, FileRefFromJson(j, what));
  ASSIGN_OR_RETURN(e.min_runtime_version,
                   StringField(j, "min_runtime_version", what));
  if (!ParseRuntimeVersion(e.min_runtime_version).ok()) {
    return DataLossError(At(what, "min_runtime_version") + ": \"" +
                         e.min_runtime_version + "\" is not like \"0.1.0\"");
  }
  ASSIGN_OR_RETURN(const int64_t percent,
                   IntField(j, "rollout_percent", what, 0, 100));
  e.rollout_percent = static_cast<int>(percent);
  if (j.contains("self_test")) {
    const std::string st_what = At(what, "self_test");
    ASSIGN_OR_RETURN(const json* st, ObjectField(j, "self_test", what));
    SelfTest t;
    ASSIGN_OR_RETURN(t.inputs, FileRefList(*st, "inputs", st_what));
    ASSIGN_OR_RETURN(t.outputs, FileRefList(*st, "outputs", st_what));
    ASSIGN_OR_RETURN(t.atol, ToleranceField(*st, "atol", st_what));
    ASSIGN_OR_RETURN(t.rtol, ToleranceField(*st, "rtol", st_what));
    e.self_test = std::move(t);
  }
  return e;
}

StatusOr<json> TargetEntryToJson(const TargetEntry& e) {
  json j = FileRefToJson(e.model);
  j["version"] = e.version;
  j["min_runtime_version"] = e.min_runtime_version;
  j["rollout_percent"] = e.rollout_percent;
  if (e.self_test) {
    json st = json::object();
    st["inputs"] = json::array();
    for (const FileRef& f : e.self_test->inputs) {
      st["inputs"].push_back(FileRefToJson(f));
    }
    st["outputs"] = json::array();
    for (const FileRef& f : e.self_test->outputs) {
      st["outputs"].push_back(FileRefToJson(f));
    }
    if (e.self_test->atol) {
      ASSIGN_OR_RETURN(st["atol"], FormatTolerance(*e.self_test->atol, "atol"));
    }
    if (e.self_test->rtol) {
      ASSIGN_OR_RETURN(st["rtol"], FormatTolerance(*e.self_test->rtol, "rtol"));
    }
    j["self_test"] = std::move(st);
  }
  return j;
}

json RoleToJson(const RoleKeys& r) {
  return json{{"keyids", r.keyids}, {"threshold", r.threshold}};
}

StatusOr<RoleKeys> RoleFromJson(const json& roles, const char* name,
                                const Root& root, std::string_view what) {
  const std::string role_what = At(what, std::string("roles.") + name);
  ASSIGN_OR_RETURN(const json* r, ObjectField(roles, name, At(what, "roles")));
  ASSIGN_OR_RETURN(const json* ids, Field(*r, "keyids", role_what));
  if (!ids->is_array() || ids->empty()) {
    return DataLossError(role_what + ".keyids: not a non-empty array");
  }
  RoleKeys out;
  std::set<std::string> seen;
  for (const json& id : *ids) {
    if (!id.is_string()) {
      return DataLossError(role_what + ".keyids: holds a non-string");
    }
    const std::string s = id.get<std::string>();
    if (!seen.insert(s).second) {
      return DataLossError(role_what + ".keyids: " + s + " listed twice");
    }
    if (!root.keys.contains(s)) {
      return DataLossError(role_what + ".keyids: " + s + " is not in keys");
    }
    out.keyids.push_back(s);
  }
  ASSIGN_OR_RETURN(const int64_t threshold,
                   IntField(*r, "threshold", role_what, 1,
                            static_cast<int64_t>(out.keyids.size())));
  out.threshold = static_cast<int>(threshold);
  return out;
}

json RootToJson(const Root& root) {
  json keys = json::object();
  for (const auto& [id, key] : root.keys) {
    keys[id] = json{{"keytype", "ed25519"},
                    {"public", HexEncode(key.public_key)}};
  }
  return json{{"_type", "root"},
              {"version", root.version},
              {"expires", FormatTime(root.expires)},
              {"keys", std::move(keys)},
              {"roles",
               {{"root", RoleToJson(root.root)},
                {"targets", RoleToJson(root.targets)},
                {"timestamp", RoleToJson(root.timestamp)}}}};
}

json TimestampToJson(const Timestamp& t) {
  return json{{"_type", "timestamp"},
              {"version", t.version},
              {"expires", FormatTime(t.expires)},
              {"meta",
               {{"targets.json",
                 {{"version", t.targets.version},
                  {"length", t.targets.length},
                  {"sha256", t.targets.sha256}}}}}};
}

StatusOr<json> TargetsToJson(const Targets& t) {
  json targets = json::object();
  for (const auto& [name, entries] : t.targets) {
    json list = json::array();
    for (const TargetEntry& e : entries) {
      ASSIGN_OR_RETURN(json ej, TargetEntryToJson(e));
      list.push_back(std::move(ej));
    }
    targets[name] = std::move(list);
  }
  return json{{"_type", "targets"},
              {"version", t.version},
              {"expires", FormatTime(t.expires)},
              {"targets", std::move(targets)}};
}

std::string SignEnvelope(const json& signed_part,
                         std::span<const SigningKey> keys) {
  const std::string canonical = internal::CanonicalBytes(signed_part);
  json sigs = json::array();
  for (const SigningKey& k : keys) {
    sigs.push_back(
        json{{"keyid", k.keyid},
             {"sig", HexEncode(Ed25519Sign(k.pair, AsBytes(canonical)))}});
  }
  json envelope = {{"signed", signed_part}, {"signatures", std::move(sigs)}};
  // `replace`: invalid UTF-8 in a caller's strings must not throw.
  return envelope.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// Depth limit and no floats, without recursion.
Status CheckJsonShape(const json& root, std::string_view file) {
  std::vector<std::pair<const json*, int>> stack = {{&root, 1}};
  while (!stack.empty()) {
    const auto [v, depth] = stack.back();
    stack.pop_back();
    if (depth > internal::kMaxJsonDepth) {
      return DataLossError(std::string(file) + ": nested deeper than " +
                           std::to_string(internal::kMaxJsonDepth));
    }
    if (v->is_number_float()) {
      return DataLossError(std::string(file) +
                           ": holds a floating-point number (signed metadata "
                           "uses integers and strings only)");
    }
    if (v->is_structured()) {
      for (const json& child : *v) stack.push_back({&child, depth + 1});
    }
  }
  return OkStatus();
}

}  // namespace

// ----------------------------------------------------------------- public

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRoot:
      return "root";
    case Role::kTargets:
      return "targets";
    case Role::kTimestamp:
      return "timestamp";
  }
  return "?";
}

const RoleKeys& Root::role(Role r) const {
  switch (r) {
    case Role::kTargets:
      return targets;
    case Role::kTimestamp:
      return timestamp;
    case Role::kRoot:
      break;
  }
  return root;
}

std::string FormatTime(TimePoint t) {
  const auto secs = chr::floor<chr::seconds>(t);
  const auto days = chr::floor<chr::days>(secs);
  const chr::year_month_day ymd(days);
  const chr::hh_mm_ss<chr::seconds> hms(secs - days);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ",
                static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

StatusOr<TimePoint> ParseTime(std::string_view s) {
  const auto bad = [&] {
    return InvalidArgumentError("time \"" + std::string(s.substr(0, 40)) +
                                "\" is not like \"2026-12-01T00:00:00Z\"");
  };
  // YYYY-MM-DDTHH:MM:SSZ
  static constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != kPattern.size()) return bad();
  for (size_t i = 0; i < s.size(); ++i) {
    if (kPattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != kPattern[i]) {
      return bad();
    }
  }
  const auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const chr::year_month_day ymd{chr::year(num(0, 4)),
                                chr::month(static_cast<unsigned>(num(5, 2))),
                                chr::day(static_cast<unsigned>(num(8, 2)))};
  const int h = num(11, 2), m = num(14, 2), sec = num(17, 2);
  if (!ymd.ok() || h > 23 || m > 59 || sec > 59) return bad();
  return TimePoint(chr::sys_days(ymd)) + chr::hours(h) + chr::minutes(m) +
         chr::seconds(sec);
}

StatusOr<std::vector<int64_t>> ParseRuntimeVersion(std::string_view text) {
  std::vector<int64_t> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find('.', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = text.substr(start, end - start);
    int64_t v = 0;
    const auto r = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || part.size() > 9 || r.ec != std::errc() ||
        r.ptr != part.data() + part.size() || v < 0 || parts.size() >= 8) {
      return InvalidArgumentError("version \"" +
                                  std::string(text.substr(0, 40)) +
                                  "\" is not dotted integers like \"0.1.0\"");
    }
    parts.push_back(v);
    if (end == text.size()) break;
    start = end + 1;
  }
  return parts;
}

int CompareRuntimeVersions(const std::vector<int64_t>& a,
                           const std::vector<int64_t>& b) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const int64_t x = i < a.size() ? a[i] : 0;
    const int64_t y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

StatusOr<std::string> SignRoot(const Root& root,
                               std::span<const SigningKey> keys) {
  return SignEnvelope(RootToJson(root), keys);
}

StatusOr<std::string> SignTimestamp(const Timestamp& timestamp,
                                    std::span<const SigningKey> keys) {
  return SignEnvelope(TimestampToJson(timestamp), keys);
}

StatusOr<std::string> SignTargets(const Targets& targets,
                                  std::span<const SigningKey> keys) {
  ASSIGN_OR_RETURN(const json j, TargetsToJson(targets));
  return SignEnvelope(j, keys);
}

StatusOr<Root> ParseRootUnverified(std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(const internal::Envelope env,
                   internal::ParseEnvelope(bytes, "root.json", "root"));
  return internal::RootFromJson(env.signed_part, env.what);
}

StatusOr<Timestamp> ParseTimestampUnverified(std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(
      const internal::Envelope env,
      internal::ParseEnvelope(bytes, "timestamp.json", "timestamp"));
  return internal::TimestampFromJson(env.signed_part, env.what);
}

StatusOr<Targets> ParseTargetsUnverified(std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(const internal::Envelope env,
                   internal::ParseEnvelope(bytes, "targets.json", "targets"));
  return internal::TargetsFromJson(env.signed_part, env.what);
}

// --------------------------------------------------------------- internal

namespace internal {

std::string CanonicalBytes(const json& value) {
  // Keys are sorted (std::map); `replace` keeps dump() from throwing.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

StatusOr<Envelope> ParseEnvelope(std::span<const uint8_t> bytes,
                                 std::string_view file,
                                 std::string_view type) {
  if (bytes.size() > kMaxMetadataBytes) {
    return DataLossError(std::string(file) + ": " +
                         std::to_string(bytes.size()) + " bytes, more than " +
                         std::to_string(kMaxMetadataBytes));
  }
  json doc = json::parse(bytes.begin(), bytes.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return DataLossError(std::string(file) + ": not valid JSON");
  }
  RETURN_IF_ERROR(CheckJsonShape(doc, file));
  if (!doc.is_object()) {
    return DataLossError(std::string(file) + ": not a JSON object");
  }
  Envelope env;
  env.what = std::string(file);
  ASSIGN_OR_RETURN(const json* signed_part, ObjectField(doc, "signed", file));
  RETURN_IF_ERROR(CheckType(*signed_part, type, At(file, "signed")));
  const auto version = signed_part->find("version");
  if (version != signed_part->end() && version->is_number_integer()) {
    env.what += " version " + version->dump();
  }
  ASSIGN_OR_RETURN(const json* sigs, Field(doc, "signatures", file));
  if (!sigs->is_array()) {
    return DataLossError(At(file, "signatures") + ": not an array");
  }
  for (const json& s : *sigs) {
    const auto keyid = s.is_object() ? s.find("keyid") : s.end();
    const auto sig = s.is_object() ? s.find("sig") : s.end();
    if (!s.is_object() || keyid == s.end() || sig == s.end() ||
        !keyid->is_string() || !sig->is_string()) {
      return DataLossError(At(file, "signatures") +
                           ": entries must be {\"keyid\": string, \"sig\": "
                           "string}");
    }
    env.signatures.emplace_back(keyid->get<std::string>(),
                                sig->get<std::string>());
  }
  env.canonical = CanonicalBytes(*signed_part);
  env.signed_part = std::move(doc["signed"]);
  return env;
}

StatusOr<Root> RootFromJson(const json& j, std::string_view what) {
  RETURN_IF_ERROR(CheckType(j, "root", what));
  Root root;
  ASSIGN_OR_RETURN(root.version, IntField(j, "version", what, 1,
                                          std::numeric_limits<int64_t>::max()));
  ASSIGN_OR_RETURN(root.expires, TimeField(j, "expires", what));
  ASSIGN_OR_RETURN(const json* keys, ObjectField(j, "keys", what));
  for (const auto& [id, k] : keys->items()) {
    const std::string key_what = At(what, "keys." + id);
    if (!k.is_object()) return DataLossError(key_what + ": not an object");
    ASSIGN_OR_RETURN(const std::string keytype,
                     StringField(k, "keytype", key_what));
    if (keytype != "ed25519") {
      return DataLossError(key_what + ": keytype \"" + keytype +
                           "\" is not supported");
    }
    ASSIGN_OR_RETURN(const std::string pub_hex,
                     StringField(k, "public", key_what));
    StatusOr<std::vector<uint8_t>> pub = HexDecode(pub_hex);
    if (!pub.ok() || pub->size() != kEd25519PublicKeyBytes) {
      return DataLossError(key_what + ": public is not 32 bytes of hex");
    }
    PublicKey key;
    std::copy(pub->begin(), pub->end(), key.public_key.begin());
    key.keyid = KeyIdOf(key.public_key);
    if (key.keyid != id) {
      return DataLossError(key_what + ": keyid is not the SHA-256 of the key");
    }
    root.keys[id] = key;
  }
  ASSIGN_OR_RETURN(const json* roles, ObjectField(j, "roles", what));
  ASSIGN_OR_RETURN(root.root, RoleFromJson(*roles, "root", root, what));
  ASSIGN_OR_RETURN(root.targets, RoleFromJson(*roles, "targets", root, what));
  ASSIGN_OR_RETURN(root.timestamp,
                   RoleFromJson(*roles, "timestamp", root, what));
  return root;
}

StatusOr<Timestamp> TimestampFromJson(const json& j, std::string_view what) {
  RETURN_IF_ERROR(CheckType(j, "timestamp", what));
  Timestamp t;
  ASSIGN_OR_RETURN(t.version, IntField(j, "version", what, 1,
                                       std::numeric_limits<int64_t>::max()));
  ASSIGN_OR_RETURN(t.expires, TimeField(j, "expires", what));
  ASSIGN_OR_RETURN(const json* meta, ObjectField(j, "meta", what));
  const std::string meta_what = At(what, "meta");
  ASSIGN_OR_RETURN(const json* tj, ObjectField(*meta, "targets.json", meta_what));
  const std::string t_what = At(meta_what, "targets.json");
  ASSIGN_OR_RETURN(t.targets.version,
                   IntField(*tj, "version", t_what, 1,
                            std::numeric_limits<int64_t>::max()));
  ASSIGN_OR_RETURN(const int64_t length,
                   IntField(*tj, "length", t_what, 0,
                            std::numeric_limits<int64_t>::max()));
  t.targets.length = static_cast<uint64_t>(length);
  ASSIGN_OR_RETURN(t.targets.sha256, HashField(*tj, "sha256", t_what));
  return t;
}

StatusOr<Targets> TargetsFromJson(const json& j, std::string_view what) {
  RETURN_IF_ERROR(CheckType(j, "targets", what));
  Targets t;
  ASSIGN_OR_RETURN(t.version, IntField(j, "version", what, 1,
                                       std::numeric_limits<int64_t>::max()));
  ASSIGN_OR_RETURN(t.expires, TimeField(j, "expires", what));
  ASSIGN_OR_RETURN(const json* targets, ObjectField(j, "targets", what));
  for (const auto& [name, list] : targets->items()) {
    const std::string list_what = At(what, "targets." + name);
    if (!IsValidModelName(name)) {
      return DataLossError(list_what + ": not a valid model name");
    }
    if (!list.is_array()) return DataLossError(list_what + ": not an array");
    std::vector<TargetEntry> entries;
    std::set<int64_t> versions;
    for (size_t i = 0; i < list.size(); ++i) {
      ASSIGN_OR_RETURN(
          TargetEntry e,
          TargetEntryFromJson(list[i], name,
                              list_what + "[" + std::to_string(i) + "]"));
      if (!versions.insert(e.version).second) {
        return DataLossError(list_what + ": version " +
                             std::to_string(e.version) + " listed twice");
      }
      entries.push_back(std::move(e));
    }
    std::sort(entries.begin(), entries.end(),
              [](const TargetEntry& a, const TargetEntry& b) {
                return a.version < b.version;
              });
    t.targets[name] = std::move(entries);
  }
  return t;
}

}  // namespace internal
}  // namespace edgerun::ota
