#include "tools/edgerun/update_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "edgerun/ota/activation.h"
#include "edgerun/ota/updater.h"

namespace edgerun::cli {

Status ActivateCommittedVersion(ota::ModelStore& store, const std::string& name,
                                int64_t version, const std::string& reason,
                                ota::EventLog* events) {
  ota::ActivationOptions options;
  options.reason = reason;
  return ota::PrepareAndActivate(store, name, version, options, events)
      .status();
}

namespace {

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0')
    return "unknown-device";
  return buf;
}

// "checked: root v1, ..." / "downloaded m@2: model.tflite: 1234 bytes".
std::string EventLine(const ota::UpdateEvent& e) {
  std::string line(ota::UpdateEventTypeName(e.type));
  if (!e.model.empty()) {
    line += " " + e.model;
    if (!e.version.empty()) line += "@" + e.version;
  }
  if (!e.from_version.empty()) line += " (from " + e.from_version + ")";
  if (!e.reason.empty()) line += ": " + e.reason;
  return line;
}

class UpdateCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "update",
        "Check a signed model repository and install new model versions");
    sub->add_option("--repo", repo_,
                    "Repository base URL (http:// or https://)")
        ->required();
    sub->add_option("--store", store_, "Model store directory")->required();
    sub->add_option(
        "--root", root_,
        "Trusted root.json (needed until the store holds verified metadata)");
    sub->add_option("--device-id", device_id_,
                    "Device id for staged rollouts (default: hostname)");
    sub->add_option("--device-class", device_class_, "Device class");
    sub->add_option("--ca-file", ca_file_,
                    "https: PEM file of the CA certificates to trust instead "
                    "of the system store")
        ->check(CLI::ExistingFile);
    sub->add_option("--model", models_, "Only this model (repeatable)");
    sub->add_option("--runtime-version", runtime_version_,
                    "Runtime version to report")
        ->capture_default_str();
    sub->add_flag("--no-activate", no_activate_, "Download and stage only");
    sub->add_flag("--json", json_, "Events as JSON lines");
    return sub;
  }

  int Run(std::ostream& out, std::ostream& err) override {
    StatusOr<std::unique_ptr<ota::ModelStore>> store =
        ota::ModelStore::Open(Env::Default(), store_);
    if (!store.ok()) {
      err << ErrorLine("update", store_, store.status()) << "\n";
      return kExitFailure;
    }
    ota::EventLog events(1024);
    events.AddListener([&](const ota::UpdateEvent& e) {
      out << (json_ ? e.ToJson() : EventLine(e)) << "\n";
    });
    ota::UpdaterOptions options;
    options.repo_url = repo_;
    options.device_id = device_id_.empty() ? HostName() : device_id_;
    options.device_class = device_class_;
    options.runtime_version = runtime_version_;
    options.ca_file = ca_file_;
    options.trusted_root_path = root_;
    options.models = models_;
    options.activate = [](ota::ModelStore& s, const ota::PendingUpdate& u,
                          ota::EventLog* log) {
      return ActivateCommittedVersion(
          s, u.model, u.entry.version,
          "update to " + u.model + "@" + std::to_string(u.entry.version), log);
    };
    StatusOr<std::unique_ptr<ota::Updater>> updater =
        ota::Updater::Create(Env::Default(), store->get(), options, &events);
    if (!updater.ok()) {
      err << ErrorLine("update", "", updater.status()) << "\n";
      return kExitUsage;
    }
    StatusOr<ota::UpdateAllResult> r = (*updater)->UpdateAll(!no_activate_);
    if (!r.ok()) {
      err << ErrorLine("update", repo_, r.status()) << "\n";
      return kExitFailure;
    }
    if (!json_) {
      if (r->installed.empty()) {
        out << "up to date (targets version " << r->check.targets_version
            << ")\n";
      }
      for (const std::string& i : r->installed) {
        out << (no_activate_ ? "staged " : "updated ") << i << "\n";
      }
    }
    return kExitOk;
  }

 private:
  std::string repo_, store_, root_, device_id_, device_class_, ca_file_;
  std::string runtime_version_ = "0.1.0";
  std::vector<std::string> models_;
  bool no_activate_ = false;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeUpdateCommand() {
  return std::make_unique<UpdateCommand>();
}

}  // namespace edgerun::cli
