#include "edgerun/ota/device_policy.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

namespace edgerun::ota {
namespace {

using nlohmann::json;

constexpr uintmax_t kMaxPolicyBytes = uintmax_t{1} << 20;

StatusOr<DeviceRules> ParseRules(const json& j, const std::string& where) {
  if (!j.is_object()) {
    return InvalidArgumentError("device policy: " + where +
                                " must be an object");
  }
  DeviceRules rules;
  for (const auto& [key, value] : j.items()) {
    const std::string at = where + "." + key;
    if (key == "deny_backends") {
      if (!value.is_array()) {
        return InvalidArgumentError("device policy: " + at +
                                    " must be an array of backend names");
      }
      std::vector<std::string> names;
      for (const json& name : value) {
        if (!name.is_string() || name.get_ref<const std::string&>().empty()) {
          return InvalidArgumentError("device policy: " + at +
                                      " must hold non-empty strings");
        }
        const std::string& n = name.get_ref<const std::string&>();
        if (n == "cpu") {
          return InvalidArgumentError(
              "device policy: " + at +
              " may not deny 'cpu' (the CPU is always the last resort)");
        }
        names.push_back(n);
      }
      rules.deny_backends = std::move(names);
    } else if (key == "max_threads") {
      if (!value.is_number_integer()) {
        return InvalidArgumentError("device policy: " + at +
                                    " must be an integer");
      }
      const bool positive = value.is_number_unsigned()
                                ? value.get<uint64_t>() >= 1
                                : value.get<int64_t>() >= 1;
      if (!positive) {
        return InvalidArgumentError("device policy: " + at + " must be >= 1");
      }
      const uint64_t n = value.is_number_unsigned()
                             ? value.get<uint64_t>()
                             : static_cast<uint64_t>(value.get<int64_t>());
      rules.max_threads = static_cast<int>(
          std::min<uint64_t>(n, std::numeric_limits<int>::max()));
    } else {
      return InvalidArgumentError("device policy: unknown key " + at +
                                  " (known: deny_backends, max_threads)");
    }
  }
  return rules;
}

StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return NotFoundError("device policy " + path.string() + ": no such file");
    }
    return UnavailableError("device policy " + path.string() + ": " +
                            ec.message());
  }
  if (size > kMaxPolicyBytes) {
    return InvalidArgumentError("device policy " + path.string() + " has " +
                                std::to_string(size) + " bytes, limit 1 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return UnavailableError("device policy " + path.string() + ": cannot open");
  }
  std::string content((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  if (in.bad()) {
    return UnavailableError("device policy " + path.string() + ": read error");
  }
  return content;
}

}  // namespace

StatusOr<DevicePolicy> DevicePolicy::Load(std::span<const uint8_t> bytes) {
  return Load(std::string_view(reinterpret_cast<const char*>(bytes.data()),
                               bytes.size()));
}

StatusOr<DevicePolicy> DevicePolicy::Load(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return InvalidArgumentError("device policy: not valid JSON");
  }
  if (!j.is_object()) {
    return InvalidArgumentError("device policy: top level must be an object");
  }
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer()) {
    return InvalidArgumentError(
        "device policy: \"version\" must be the integer 1");
  }
  if (version->get<int64_t>() != kVersion) {
    return InvalidArgumentError("device policy: version " + version->dump() +
                                " is not supported (1)");
  }
  DevicePolicy policy;
  for (const auto& [key, value] : j.items()) {
    if (key == "version") continue;
    if (key == "default") {
      ASSIGN_OR_RETURN(policy.default_, ParseRules(value, "default"));
    } else if (key == "device_classes") {
      if (!value.is_object()) {
        return InvalidArgumentError(
            "device policy: device_classes must be an object");
      }
      for (const auto& [name, rules] : value.items()) {
        if (name.empty()) {
          return InvalidArgumentError(
              "device policy: device class names must not be empty");
        }
        ASSIGN_OR_RETURN(DeviceRules parsed,
                         ParseRules(rules, "device_classes." + name));
        policy.classes_.emplace(name, std::move(parsed));
      }
    } else {
      return InvalidArgumentError("device policy: unknown key " + key +
                                  " (known: version, device_classes, default)");
    }
  }
  return policy;
}

DeviceRules DevicePolicy::RulesFor(std::string_view device_class) const {
  DeviceRules rules = default_;
  if (auto it = classes_.find(device_class); it != classes_.end()) {
    if (it->second.deny_backends.has_value())
      rules.deny_backends = it->second.deny_backends;
    if (it->second.max_threads.has_value())
      rules.max_threads = it->second.max_threads;
  }
  return rules;
}

void DevicePolicy::ApplyTo(std::string_view device_class,
                           InterpreterOptions& options) const {
  const DeviceRules rules = RulesFor(device_class);
  if (rules.deny_backends.has_value()) {
    const std::vector<std::string>& deny = *rules.deny_backends;
    std::erase_if(options.backends, [&](const std::string& b) {
      return std::find(deny.begin(), deny.end(), b) != deny.end();
    });
  }
  if (rules.max_threads.has_value()) {
    options.num_threads = std::min(options.num_threads, *rules.max_threads);
  }
}

// ---- PolicyWatcher

PolicyWatcher::PolicyWatcher(std::filesystem::path path,
                             std::shared_ptr<const DevicePolicy> initial)
    : path_(std::move(path)),
      current_(initial ? std::move(initial)
                       : std::make_shared<const DevicePolicy>()) {}

void PolicyWatcher::SetErrorLocked(const Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  last_error_ = status;
}

StatusOr<bool> PolicyWatcher::InstallLocked(std::string content) {
  if (current_content_.has_value() && *current_content_ == content) {
    SetErrorLocked(OkStatus());
    return false;
  }
  StatusOr<DevicePolicy> policy = DevicePolicy::Load(content);
  if (!policy.ok()) {
    const Status error = policy.status().WithContext(path_.string());
    SetErrorLocked(error);
    return error;
  }
  auto snapshot = std::make_shared<const DevicePolicy>(*std::move(policy));
  current_content_ = std::move(content);
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(snapshot);
  last_error_ = OkStatus();
  ++reloads_;
  return true;
}

StatusOr<bool> PolicyWatcher::Reload() {
  std::lock_guard<std::mutex> reload(reload_mu_);
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path_, ec);
  StatusOr<std::string> content = ReadFile(path_);
  if (!content.ok()) {
    seen_ = false;
    SetErrorLocked(content.status());
    return content.status();
  }
  // Remember what was read, so the next Poll does not read it again.
  seen_ = !ec;
  seen_missing_ = false;
  seen_mtime_ = mtime;
  seen_size_ = content->size();
  seen_content_ = *content;
  return InstallLocked(*std::move(content));
}

StatusOr<bool> PolicyWatcher::Poll() {
  std::lock_guard<std::mutex> reload(reload_mu_);
  std::error_code ec_time, ec_size;
  const auto mtime = std::filesystem::last_write_time(path_, ec_time);
  const uintmax_t size = std::filesystem::file_size(path_, ec_size);
  if (ec_time || ec_size) {
    if (seen_missing_) return false;  // reported already
    seen_missing_ = true;
    seen_ = false;
    StatusOr<std::string> content = ReadFile(path_);  // for the error text
    const Status error =
        content.ok() ? UnavailableError("device policy " + path_.string() +
                                        ": cannot stat")
                     : content.status();
    SetErrorLocked(error);
    return error;
  }
  seen_missing_ = false;
  if (seen_ && mtime == seen_mtime_ && size == seen_size_) return false;
  StatusOr<std::string> content = ReadFile(path_);
  if (!content.ok()) {
    seen_ = false;
    SetErrorLocked(content.status());
    return content.status();
  }
  const bool same_bytes = seen_ && *content == seen_content_;
  seen_ = true;
  seen_mtime_ = mtime;
  seen_size_ = size;
  if (same_bytes) return false;  // touched, or a bad file reported already
  seen_content_ = *content;
  return InstallLocked(*std::move(content));
}

std::shared_ptr<const DevicePolicy> PolicyWatcher::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

void PolicyWatcher::ApplyTo(std::string_view device_class,
                            InterpreterOptions& options) const {
  Current()->ApplyTo(device_class, options);
}

Status PolicyWatcher::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

uint64_t PolicyWatcher::reloads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reloads_;
}

}  // namespace edgerun::ota
