// DevicePolicy: per-device-class limits the operator ships as a JSON file
// (locally, and later through the signed repository), applied to the
// InterpreterOptions of every new session or model swap:
//
//   {"version": 1,
//    "device_classes": {
//      "pi4":    {"deny_backends": ["xnnpack"], "max_threads": 2},
//      "jetson": {"max_threads": 6}},
//    "default": {"max_threads": 4}}
//
// Rules of a class: `deny_backends` (backend names removed from
// options.backends, e.g. a delegate known to miscompute on that SoC; "cpu"
// cannot be denied, it is always the last resort) and `max_threads` (caps
// options.num_threads, >= 1). A class inherits each rule it does not set
// from "default"; an unknown class gets "default"; no "default" = no limits.
// Unknown keys are errors (a misspelt rule must not silently do nothing).
//
// PolicyWatcher keeps the current policy of one file and re-reads it when
// its content changes (Poll: mtime + size, then the bytes; Reload: always),
// so a new policy applies without a restart: whoever builds interpreters
// next reads Current(). A file that does not parse keeps the previous
// policy and reports the error.
//
// Ownership: DevicePolicy is an immutable value; PolicyWatcher owns its
// snapshot (shared_ptr, so readers keep an old one alive as long as they
// need). Thread-safety: DevicePolicy is immutable (any thread);
// PolicyWatcher is thread-safe (one mutex; file reads happen under a second
// one, reload_mu_ -> mu_, so concurrent Polls read the file once).
#ifndef EDGERUN_OTA_DEVICE_POLICY_H_
#define EDGERUN_OTA_DEVICE_POLICY_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/runtime/interpreter.h"

namespace edgerun::ota {

struct DeviceRules {
  std::optional<std::vector<std::string>> deny_backends;
  std::optional<int> max_threads;
};

class DevicePolicy {
 public:
  static constexpr int kVersion = 1;

  // An empty policy: no limits anywhere.
  DevicePolicy() = default;

  // kInvalidArgument naming the key for malformed JSON, a wrong version,
  // wrong types, unknown keys, max_threads < 1 or a denied "cpu".
  static StatusOr<DevicePolicy> Load(std::span<const uint8_t> bytes);
  static StatusOr<DevicePolicy> Load(std::string_view text);

  // The rules `device_class` gets (its own, then "default" for the rest).
  DeviceRules RulesFor(std::string_view device_class) const;

  // Removes denied backends from options.backends and caps
  // options.num_threads.
  void ApplyTo(std::string_view device_class,
               InterpreterOptions& options) const;

  const std::map<std::string, DeviceRules, std::less<>>& device_classes()
      const {
    return classes_;
  }
  const DeviceRules& default_rules() const { return default_; }

 private:
  std::map<std::string, DeviceRules, std::less<>> classes_;
  DeviceRules default_;
};

class PolicyWatcher {
 public:
  // Starts with `initial` (an empty policy when null); nothing is read
  // until Reload or Poll.
  explicit PolicyWatcher(std::filesystem::path path,
                         std::shared_ptr<const DevicePolicy> initial = nullptr);
  PolicyWatcher(const PolicyWatcher&) = delete;
  PolicyWatcher& operator=(const PolicyWatcher&) = delete;

  // Reads the file now. OK(true): a new policy is current; OK(false): same
  // content as the current one. An error (file missing or unreadable:
  // kNotFound / kUnavailable; malformed: kInvalidArgument) keeps the
  // previous policy and is also kept in last_error().
  StatusOr<bool> Reload();
  // Cheap check for a scheduler tick: reads the file only when its mtime
  // or size changed since the last read, then like Reload. A malformed
  // file is reported once per change, not on every poll. (A rewrite with
  // the same size within the filesystem's mtime granularity is missed;
  // call Reload when you know the file changed.)
  StatusOr<bool> Poll();

  // The policy in force: a snapshot that stays valid after later reloads.
  std::shared_ptr<const DevicePolicy> Current() const;
  // Current()->ApplyTo(device_class, options).
  void ApplyTo(std::string_view device_class,
               InterpreterOptions& options) const;
  // The error of the latest read; OK once a read succeeded again.
  Status last_error() const;
  // Policies installed by Reload/Poll so far.
  uint64_t reloads() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  // Both hold reload_mu_.
  StatusOr<bool> InstallLocked(std::string content);
  void SetErrorLocked(const Status& status);

  const std::filesystem::path path_;
  std::mutex reload_mu_;  // serializes file reads; taken before mu_
  // Guarded by reload_mu_: what the last read saw, and the bytes of the
  // current policy (nullopt: the initial one, not from the file).
  bool seen_ = false;  // the fields below are set
  bool seen_missing_ = false;
  std::filesystem::file_time_type seen_mtime_{};
  uintmax_t seen_size_ = 0;
  std::string seen_content_;
  std::optional<std::string> current_content_;

  mutable std::mutex mu_;
  std::shared_ptr<const DevicePolicy> current_;  // guarded by mu_
  Status last_error_;                            // guarded by mu_
  uint64_t reloads_ = 0;                         // guarded by mu_
};

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_DEVICE_POLICY_H_
