// The subcommand registry and the argument parsing shared by all commands.
#include <CLI/CLI.hpp>
#include <algorithm>

#include "tools/edgerun/bench_command.h"
#include "tools/edgerun/command.h"
#include "tools/edgerun/diff_command.h"
#include "tools/edgerun/inspect_command.h"
#include "tools/edgerun/keygen_command.h"
#include "tools/edgerun/models_command.h"
#include "tools/edgerun/publish_command.h"
#include "tools/edgerun/run_command.h"
#include "tools/edgerun/update_command.h"

namespace edgerun::cli {

std::vector<std::unique_ptr<Command>> MakeCommands() {
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(MakeInspectCommand());
  commands.push_back(MakeRunCommand());
  commands.push_back(MakeBenchCommand());
  commands.push_back(MakeDiffCommand());
  commands.push_back(MakeKeygenCommand());
  commands.push_back(MakePublishCommand());
  commands.push_back(MakeUpdateCommand());
  commands.push_back(MakeModelsCommand());
  return commands;
}

std::string ErrorLine(std::string_view command, std::string_view subject,
                      const Status& status) {
  std::string line = "edgerun: ";
  line += command;
  line += ": ";
  if (!subject.empty()) {
    line += subject;
    line += ": ";
  }
  line += status.ToString();
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::replace(line.begin(), line.end(), '\r', ' ');
  return line;
}

int Main(const std::vector<std::string>& args, std::ostream& out,
         std::ostream& err) {
  CLI::App app("edgerun: run and examine TensorFlow Lite models", "edgerun");
  app.set_version_flag("--version", "edgerun 0.1.0");
  app.require_subcommand(1);
  std::vector<std::unique_ptr<Command>> commands = MakeCommands();
  std::vector<CLI::App*> subcommands;
  for (const std::unique_ptr<Command>& c : commands) {
    subcommands.push_back(c->Register(app));
  }

  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    // One line, pointing at the help of the subcommand that was meant.
    std::string help = "edgerun --help";
    for (CLI::App* sub : subcommands) {
      if (sub->parsed()) help = "edgerun " + sub->get_name() + " --help";
    }
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    err << "edgerun: " << message << " (see '" << help << "')\n";
    return kExitUsage;
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    if (subcommands[i]->parsed()) return commands[i]->Run(out, err);
  }
  err << "edgerun: no command given (see 'edgerun --help')\n";
  return kExitUsage;
}

}  // namespace edgerun::cli
