#include "tools/edgerun/keygen_command.h"

#include <CLI/CLI.hpp>
#include <string>

#include "edgerun/ota/keys.h"
#include "edgerun/ota/publisher.h"

namespace edgerun::cli {
namespace {

class KeygenCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "keygen", "Make an Ed25519 signing key for a model repository");
    sub->add_option("--out", out_,
                    "Private key file to write (mode 0600); the public key "
                    "goes to its .pub.json twin")
        ->required();
    return sub;
  }

  int Run(std::ostream& out, std::ostream& err) override {
    const ota::SigningKey key = ota::GenerateSigningKey();
    StatusOr<std::string> pub = ota::WriteKeyFiles(out_, key);
    if (!pub.ok()) {
      err << ErrorLine("keygen", out_, pub.status()) << "\n";
      return pub.status().code() == StatusCode::kAlreadyExists ? kExitUsage
                                                               : kExitFailure;
    }
    out << "keyid " << key.keyid << "\n"
        << "private key: " << out_ << "\n"
        << "public key:  " << *pub << "\n";
    return kExitOk;
  }

 private:
  std::string out_;
};

}  // namespace

std::unique_ptr<Command> MakeKeygenCommand() {
  return std::make_unique<KeygenCommand>();
}

}  // namespace edgerun::cli
