#include "tools/edgerun/models_command.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgerun/ota/events.h"
#include "edgerun/ota/model_store.h"
#include "tools/edgerun/update_command.h"

namespace edgerun::cli {
namespace {

using json = nlohmann::json;

std::string Flags(const ota::VersionInfo& v) {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ",";
    s += name;
  };
  add(v.active, "active");
  add(v.previous, "previous");
  add(v.last_good, "last_good");
  add(v.pinned, "pinned");
  add(v.rejected, "rejected");
  add(v.staged && !v.committed, "staged");
  return s;
}

json VersionJson(const ota::VersionInfo& v) {
  return {{"version", v.version},     {"committed", v.committed}, {"staged", v.staged},
          {"active", v.active},       {"previous", v.previous},   {"last_good", v.last_good},
          {"pinned", v.pinned},       {"rejected", v.rejected},   {"sha256", v.sha256},
          {"length", v.length},       {"staged_bytes", v.staged_bytes},
          {"committed_at_micros", v.committed_at_micros}};
}

json HistoryJson(const ota::HistoryEvent& h) {
  return {{"time_micros", h.time_micros}, {"event", h.event}, {"version", h.version},
          {"from", h.from_version},       {"reason", h.reason}};
}

class ModelsCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand("models", "List and steer the versions in a model store");
    sub->add_option("action", action_, "list | activate | rollback | pin | unpin")
        ->required()
        ->check(CLI::IsMember({"list", "activate", "rollback", "pin", "unpin"}));
    sub->add_option("name", name_, "Model name");
    sub->add_option("version", version_, "Model version")->check(CLI::PositiveNumber);
    sub->add_option("--store", store_, "Model store directory")->required();
    sub->add_option("--reason", reason_, "Reason recorded in the history (rollback, activate)");
    sub->add_flag("--json", json_, "Machine-readable output");
    return sub;
  }

  int Run(std::ostream& out, std::ostream& err) override {
    const bool needs_version = action_ == "activate" || action_ == "pin";
    if (action_ != "list" && name_.empty()) {
      err << ErrorLine("models", action_, InvalidArgumentError("a model NAME is required"))
          << "\n";
      return kExitUsage;
    }
    if (needs_version && version_ <= 0) {
      err << ErrorLine("models", action_, InvalidArgumentError("a VERSION is required")) << "\n";
      return kExitUsage;
    }
    StatusOr<std::unique_ptr<ota::ModelStore>> opened =
        ota::ModelStore::Open(Env::Default(), store_);
    if (!opened.ok()) {
      err << ErrorLine("models", store_, opened.status()) << "\n";
      return kExitFailure;
    }
    ota::ModelStore& store = **opened;
    if (action_ == "list") return List(store, out, err);

    ota::EventLog events(256);
    events.AddListener([&](const ota::UpdateEvent& e) {
      if (!json_) out << e.ToJson() << "\n";
    });
    Status s;
    int64_t now_active = version_;
    const std::string reason = reason_.empty() ? "edgerun models " + action_ : reason_;
    if (action_ == "activate") {
      s = ActivateCommittedVersion(store, name_, version_, reason, &events);
    } else if (action_ == "rollback") {
      StatusOr<int64_t> back = store.Rollback(name_, reason);
      s = back.status();
      if (back.ok()) now_active = *back;
    } else if (action_ == "pin") {
      s = store.Pin(name_, version_);
    } else {
      s = store.Unpin(name_);
    }
    if (!s.ok()) {
      err << ErrorLine("models", action_ + " " + name_, s) << "\n";
      return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
    }
    StatusOr<ota::ActiveModel> active = store.Active(name_);
    if (active.ok()) now_active = active->version;
    if (json_) {
      out << json{{"action", action_}, {"model", name_}, {"active", now_active}}.dump() << "\n";
    } else {
      out << action_ << " " << name_ << ": active version " << now_active << "\n";
    }
    return kExitOk;
  }

 private:
  int List(ota::ModelStore& store, std::ostream& out, std::ostream& err) {
    std::vector<std::string> names;
    if (name_.empty()) {
      StatusOr<std::vector<std::string>> all = store.Models();
      if (!all.ok()) {
        err << ErrorLine("models", "list", all.status()) << "\n";
        return kExitFailure;
      }
      names = *all;
    } else {
      names.push_back(name_);
    }
    json doc = json::array();
    for (const std::string& name : names) {
      StatusOr<std::vector<ota::VersionInfo>> versions = store.List(name);
      StatusOr<std::vector<ota::HistoryEvent>> history = store.History(name);
      if (!versions.ok() || !history.ok()) {
        err << ErrorLine("models", "list " + name,
                         versions.ok() ? history.status() : versions.status())
            << "\n";
        return kExitFailure;
      }
      if (json_) {
        json m = {{"name", name}, {"versions", json::array()}, {"history", json::array()}};
        for (const auto& v : *versions) m["versions"].push_back(VersionJson(v));
        for (const auto& h : *history) m["history"].push_back(HistoryJson(h));
        doc.push_back(std::move(m));
        continue;
      }
      out << name << "\n";
      for (const auto& v : *versions) {
        out << "  version " << v.version << "  " << Flags(v);
        if (v.committed) out << "  " << v.length << " bytes  sha256 " << v.sha256.substr(0, 16);
        if (v.staged && !v.committed) out << "  " << v.staged_bytes << " bytes staged";
        out << "\n";
      }
      if (versions->empty()) out << "  (no versions)\n";
      out << "  history:\n";
      for (const auto& h : *history) {
        out << "    " << h.time_micros << " " << h.event << " v" << h.version;
        if (h.from_version != 0) out << " from v" << h.from_version;
        if (!h.reason.empty()) out << ": " << h.reason;
        out << "\n";
      }
    }
    if (json_) out << json{{"models", doc}}.dump() << "\n";
    if (!json_ && names.empty()) out << "no models in " << store_ << "\n";
    return kExitOk;
  }

  std::string action_, name_, store_, reason_;
  int64_t version_ = 0;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> MakeModelsCommand() { return std::make_unique<ModelsCommand>(); }

}  // namespace edgerun::cli
