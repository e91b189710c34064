// Runs the edgerun CLI in-process (cli::Main) and captures its exit code,
// stdout and stderr, for the CLI tests.
#ifndef EDGERUN_TESTS_SUPPORT_CLI_RUNNER_H_
#define EDGERUN_TESTS_SUPPORT_CLI_RUNNER_H_

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tools/edgerun/command.h"

namespace edgerun::testing {

// What one in-process CLI invocation returned and printed.
struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `edgerun args...` in-process.
inline RunResult RunCli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"edgerun"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::ostringstream out, err;
  RunResult r;
  r.code = cli::Main(argv, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// As above; stores stdout in `*out` and stderr in `*err` and returns the
// exit code.
inline int RunCli(const std::vector<std::string>& args, std::string* out, std::string* err) {
  RunResult r = RunCli(args);
  *out = std::move(r.out);
  *err = std::move(r.err);
  return r.code;
}

}  // namespace edgerun::testing

#endif  // EDGERUN_TESTS_SUPPORT_CLI_RUNNER_H_
