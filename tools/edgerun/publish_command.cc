#include "tools/edgerun/publish_command.h"

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "edgerun/format/byte_source.h"
#include "edgerun/format/model_file.h"
#include "edgerun/ota/publisher.h"

namespace edgerun::cli {
namespace {

// Models are untrusted input: full verification, as a device would do.
Status CheckLoadableModel(const std::string& path,
                          std::span<const uint8_t> bytes) {
  LoadOptions options;
  options.verification = Verification::kFull;
  StatusOr<std::shared_ptr<const ModelFile>> model =
      LoadModel(ByteSource::FromBuffer(bytes, path), options);
  if (!model.ok()) {
    return Status(model.status().code(),
                  path + ": not a loadable .tflite model: " +
                      model.status().message());
  }
  return OkStatus();
}

class PublishCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "publish", "Sign a directory of models into a model repository");
    sub->add_option("dir", dir_, "Models as DIR/<name>/<version>/model.tflite")
        ->required();
    sub->add_option("--out", repo_, "The repository directory")->required();
    sub->add_option("--key", keys_, "Key file signing every role (repeatable)");
    sub->add_option("--root-key", root_keys_, "Key file of the root role");
    sub->add_option("--targets-key", targets_keys_,
                    "Key file of the targets role");
    sub->add_option("--timestamp-key", timestamp_keys_,
                    "Key file of the timestamp role");
    sub->add_option("--threshold", threshold_,
                    "Signatures each role needs (new repositories)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    sub->add_option("--expires-days", expires_days_,
                    "Lifetime of root (new) and targets.json")
        ->check(CLI::Range(1, 36500))
        ->capture_default_str();
    sub->add_option("--timestamp-expires-hours", timestamp_hours_,
                    "Lifetime of timestamp.json")
        ->check(CLI::Range(1, 24 * 36500))
        ->capture_default_str();
    return sub;
  }

  int Run(std::ostream& out, std::ostream& err) override {
    ota::PublishOptions options;
    options.threshold = threshold_;
    options.expires_days = expires_days_;
    options.timestamp_expires_hours = timestamp_hours_;
    options.check_model = CheckLoadableModel;
    struct List {
      const std::vector<std::string>* paths;
      std::vector<ota::SigningKey>* keys;
    };
    for (const List& l : {List{&keys_, &options.keys},
                          List{&root_keys_, &options.root_keys},
                          List{&targets_keys_, &options.targets_keys},
                          List{&timestamp_keys_, &options.timestamp_keys}}) {
      for (const std::string& path : *l.paths) {
        StatusOr<ota::SigningKey> key = ota::LoadSigningKey(path);
        if (!key.ok()) {
          err << ErrorLine("publish", "", key.status()) << "\n";
          return kExitUsage;
        }
        l.keys->push_back(*key);
      }
    }
    if (options.keys.empty() && (options.targets_keys.empty() ||
                                 options.timestamp_keys.empty())) {
      err << ErrorLine("publish", "",
                       InvalidArgumentError(
                           "no signing keys: give --key (or --targets-key and "
                           "--timestamp-key)"))
          << "\n";
      return kExitUsage;
    }
    StatusOr<ota::PublishResult> r = ota::Publish(dir_, repo_, options);
    if (!r.ok()) {
      err << ErrorLine("publish", "", r.status()) << "\n";
      const StatusCode c = r.status().code();
      return c == StatusCode::kInternal ? kExitFailure : kExitUsage;
    }
    out << repo_ << ": root version " << r->root_version
        << (r->created_root ? " (new)" : "") << ", targets version "
        << r->targets_version << ", timestamp version " << r->timestamp_version
        << "\n";
    if (r->added.empty()) out << "no new models\n";
    for (const std::string& a : r->added) out << "added " << a << "\n";
    for (const std::string& u : r->updated) out << "updated " << u << "\n";
    return kExitOk;
  }

 private:
  std::string dir_;
  std::string repo_;
  std::vector<std::string> keys_, root_keys_, targets_keys_, timestamp_keys_;
  int threshold_ = 1;
  int expires_days_ = 365;
  int timestamp_hours_ = 24;
};

}  // namespace

std::unique_ptr<Command> MakePublishCommand() {
  return std::make_unique<PublishCommand>();
}

}  // namespace edgerun::cli
