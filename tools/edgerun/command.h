// The `edgerun` command line: one Command per subcommand.
//
// Adding a subcommand: write tools/edgerun/<name>_command.{h,cc} with a
// Command subclass and a Make<Name>Command() factory, list the factory in
// MakeCommands() (cli.cc) and the .cc in tools/CMakeLists.txt.
//
// Conventions every command follows:
// * results go to `out`; errors go to `err` as exactly one line,
//   "edgerun: <command>: <subject>: <Code>: <message>" (see ErrorLine);
// * exit codes: kExitOk, kExitFailure when the command ran but its check
//   failed, kExitUsage for usage errors and for inputs that cannot be used
//   (unreadable, corrupt, hostile or non-TFLite files);
// * no exceptions escape Run (CLI11 may throw during parsing only).
//
// Ownership: Main owns the commands for the duration of one invocation.
// Thread-safety: single-threaded, like main().
#ifndef EDGERUN_TOOLS_EDGERUN_COMMAND_H_
#define EDGERUN_TOOLS_EDGERUN_COMMAND_H_

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace edgerun::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

class Command {
 public:
  virtual ~Command() = default;

  // Adds the subcommand with its options to `app`; returns it.
  virtual CLI::App* Register(CLI::App& app) = 0;
  // Runs the command after a successful parse; returns the exit code.
  virtual int Run(std::ostream& out, std::ostream& err) = 0;
};

// "edgerun: <command>: <subject>: <status>" on one line (newlines in the
// message become spaces); `subject` may be empty.
std::string ErrorLine(std::string_view command, std::string_view subject,
                      const Status& status);

// Every subcommand, in the order `edgerun --help` lists them.
std::vector<std::unique_ptr<Command>> MakeCommands();

// Parses `args` (args[0] = program name), runs the chosen subcommand and
// returns the process exit code. --help and --version print to `out` and
// return kExitOk; usage errors print one line to `err` and return
// kExitUsage.
int Main(const std::vector<std::string>& args, std::ostream& out,
         std::ostream& err);

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_COMMAND_H_
