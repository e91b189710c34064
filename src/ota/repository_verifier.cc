// Verification of the signed repository metadata (see verifier.h).
#include <algorithm>
#include <set>
#include <string>

#include "edgerun/ota/verifier.h"
#include "ota/metadata_json.h"

namespace edgerun::ota {
namespace {

// Counts distinct keys of `role` (as `keys_from` defines it) with a valid
// signature over env.canonical; kPermissionDenied below the threshold.
Status CheckThreshold(const internal::Envelope& env, const Root& keys_from,
                      Role role, std::string_view signer_desc) {
  const RoleKeys& r = keys_from.role(role);
  const std::set<std::string> role_ids(r.keyids.begin(), r.keyids.end());
  std::set<std::string> valid;
  for (const auto& [keyid, sig_hex] : env.signatures) {
    if (!role_ids.contains(keyid) || valid.contains(keyid)) continue;
    const auto key = keys_from.keys.find(keyid);
    if (key == keys_from.keys.end()) continue;
    StatusOr<std::vector<uint8_t>> sig = HexDecode(sig_hex);
    if (!sig.ok()) continue;
    if (Ed25519Verify(key->second.public_key, AsBytes(env.canonical), *sig)) {
      valid.insert(keyid);
    }
  }
  if (static_cast<int>(valid.size()) < r.threshold) {
    return PermissionDeniedError(
        env.what + ": " + std::to_string(valid.size()) +
        " valid signature(s) by " + std::string(signer_desc) + " '" +
        std::string(RoleName(role)) + "' keys, threshold is " +
        std::to_string(r.threshold));
  }
  return OkStatus();
}

Status CheckExpiry(const std::string& what, TimePoint expires, TimePoint now) {
  if (now >= expires) {
    return DeadlineExceededError(what + ": expired at " + FormatTime(expires) +
                                 " (now " + FormatTime(now) + ")");
  }
  return OkStatus();
}

std::string RootDesc(const Root& root) {
  return "root version " + std::to_string(root.version);
}

}  // namespace

StatusOr<Root> LoadTrustedRoot(std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(const internal::Envelope env,
                   internal::ParseEnvelope(bytes, "root.json", "root"));
  ASSIGN_OR_RETURN(Root root, internal::RootFromJson(env.signed_part, env.what));
  RETURN_IF_ERROR(CheckThreshold(env, root, Role::kRoot, "its own"));
  return root;
}

StatusOr<Root> VerifyRootUpdate(const Root& trusted,
                                std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(const internal::Envelope env,
                   internal::ParseEnvelope(bytes, "root.json", "root"));
  // The old root's keys first: nothing of an unauthorised root is trusted.
  RETURN_IF_ERROR(CheckThreshold(env, trusted, Role::kRoot,
                                 "the trusted " + RootDesc(trusted) + "'s"));
  ASSIGN_OR_RETURN(Root next, internal::RootFromJson(env.signed_part, env.what));
  RETURN_IF_ERROR(CheckThreshold(env, next, Role::kRoot, "its own"));
  if (next.version != trusted.version + 1) {
    return FailedPreconditionError(
        env.what + ": expected version " + std::to_string(trusted.version + 1) +
        " after trusted " + RootDesc(trusted) +
        " (roots are walked one version at a time)");
  }
  return next;
}

Status CheckNotExpired(const Root& root, TimePoint now) {
  return CheckExpiry("root.json version " + std::to_string(root.version),
                     root.expires, now);
}

StatusOr<Timestamp> VerifyTimestamp(const Root& root,
                                    std::span<const uint8_t> bytes,
                                    TimePoint now, int64_t previous_version) {
  RETURN_IF_ERROR(CheckNotExpired(root, now));
  ASSIGN_OR_RETURN(
      const internal::Envelope env,
      internal::ParseEnvelope(bytes, "timestamp.json", "timestamp"));
  RETURN_IF_ERROR(CheckThreshold(env, root, Role::kTimestamp, RootDesc(root)));
  ASSIGN_OR_RETURN(Timestamp ts,
                   internal::TimestampFromJson(env.signed_part, env.what));
  if (ts.version < previous_version) {
    return FailedPreconditionError(
        env.what + ": older than version " + std::to_string(previous_version) +
        " seen before (rollback)");
  }
  RETURN_IF_ERROR(CheckExpiry(env.what, ts.expires, now));
  return ts;
}

StatusOr<Targets> VerifyTargets(const Root& root,
                                std::span<const uint8_t> bytes, TimePoint now,
                                const MetaFile& expected,
                                int64_t previous_version) {
  // Length and hash first: they pin exactly the bytes the timestamp names,
  // so a targets.json of another version (mix-and-match) is refused before
  // it is parsed.
  if (bytes.size() != expected.length) {
    return DataLossError("targets.json: " + std::to_string(bytes.size()) +
                         " bytes, timestamp.json says " +
                         std::to_string(expected.length) + " for version " +
                         std::to_string(expected.version));
  }
  const std::string hash = Sha256Hex(bytes);
  if (hash != expected.sha256) {
    return DataLossError("targets.json: SHA-256 " + hash +
                         " differs from timestamp.json's " + expected.sha256 +
                         " for version " + std::to_string(expected.version));
  }
  ASSIGN_OR_RETURN(const internal::Envelope env,
                   internal::ParseEnvelope(bytes, "targets.json", "targets"));
  RETURN_IF_ERROR(CheckThreshold(env, root, Role::kTargets, RootDesc(root)));
  ASSIGN_OR_RETURN(Targets targets,
                   internal::TargetsFromJson(env.signed_part, env.what));
  if (targets.version != expected.version) {
    return DataLossError(env.what + ": timestamp.json names version " +
                         std::to_string(expected.version));
  }
  if (targets.version < previous_version) {
    return FailedPreconditionError(
        env.what + ": older than version " + std::to_string(previous_version) +
        " seen before (rollback)");
  }
  RETURN_IF_ERROR(CheckExpiry(env.what, targets.expires, now));
  return targets;
}

Status VerifyTargetBytes(const FileRef& file, std::span<const uint8_t> bytes) {
  if (bytes.size() != file.length) {
    return DataLossError(file.path + ": " + std::to_string(bytes.size()) +
                         " bytes, targets.json says " +
                         std::to_string(file.length));
  }
  const std::string hash = Sha256Hex(bytes);
  if (hash != file.sha256) {
    return DataLossError(file.path + ": SHA-256 " + hash +
                         " differs from targets.json's " + file.sha256);
  }
  return OkStatus();
}

StatusOr<std::optional<TargetEntry>> SelectUpdate(
    const Targets& targets, std::string_view model, int64_t installed_version,
    std::string_view runtime_version) {
  StatusOr<std::vector<int64_t>> runtime = ParseRuntimeVersion(runtime_version);
  if (!runtime.ok()) {
    return InvalidArgumentError("runtime " + runtime.status().message());
  }
  const auto it = targets.targets.find(std::string(model));
  if (it == targets.targets.end() || it->second.empty()) {
    return NotFoundError("model \"" + std::string(model) +
                         "\" is not in targets.json version " +
                         std::to_string(targets.version));
  }
  int64_t newest = 0;
  for (const TargetEntry& e : it->second) newest = std::max(newest, e.version);
  if (newest < installed_version) {
    return FailedPreconditionError(
        "targets.json version " + std::to_string(targets.version) +
        ": newest version of model \"" + std::string(model) + "\" is " +
        std::to_string(newest) + ", below installed version " +
        std::to_string(installed_version) + " (rollback)");
  }
  const TargetEntry* best = nullptr;
  for (const TargetEntry& e : it->second) {
    if (e.version <= installed_version) continue;
    StatusOr<std::vector<int64_t>> need =
        ParseRuntimeVersion(e.min_runtime_version);
    if (!need.ok() || CompareRuntimeVersions(*need, *runtime) > 0) continue;
    if (best == nullptr || e.version > best->version) best = &e;
  }
  if (best == nullptr) return std::optional<TargetEntry>();
  return std::optional<TargetEntry>(*best);
}

bool InRollout(std::string_view device_id, std::string_view model,
               int percent) {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  std::string key(device_id);
  key += '/';
  key += model;
  const auto hash = Sha256(AsBytes(key));
  uint64_t bucket = 0;
  for (int i = 0; i < 8; ++i) bucket = (bucket << 8) | hash[i];
  return static_cast<int>(bucket % 100) < percent;
}

}  // namespace edgerun::ota
