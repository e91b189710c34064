// Parent side of the kill -9 crash tests: starts a crash helper binary with
// EDGERUN_CRASH_AT, waits for it, and lists the crash points of a full run.
#ifndef EDGERUN_TESTS_OTA_CRASH_TEST_UTIL_H_
#define EDGERUN_TESTS_OTA_CRASH_TEST_UTIL_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace edgerun::ota::testing {

// Starts `args[0]` with `args`; EDGERUN_CRASH_AT=`crash_at` when it is > 0
// (unset otherwise). The child's stdout goes to `out_fd` when >= 0.
inline pid_t SpawnCrashHelper(std::vector<std::string> args, int crash_at, int out_fd = -1) {
  const std::string crash = std::to_string(crash_at);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
    if (crash_at > 0) {
      ::setenv("EDGERUN_CRASH_AT", crash.c_str(), 1);
    } else {
      ::unsetenv("EDGERUN_CRASH_AT");
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid` (retrying on EINTR); returns the raw wait status.
inline int WaitForChild(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Runs the helper to completion; returns the raw wait status.
inline int RunCrashHelper(std::vector<std::string> args, int crash_at, int out_fd = -1) {
  return WaitForChild(SpawnCrashHelper(std::move(args), crash_at, out_fd));
}

// True when the wait status is a normal exit with code 0.
inline bool ExitedOk(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// True when the wait status is a SIGKILL (a crash point was hit).
inline bool KilledAtCrashPoint(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

// The result of a full helper run with --list.
struct CrashPointList {
  int status = 0;                   // raw wait status
  std::vector<std::string> points;  // crash point names, in order
};

// Runs the helper without a kill, with "--list" appended to `args`, its
// stdout going to `out_path`; returns the crash points it printed.
inline CrashPointList ListCrashPoints(std::vector<std::string> args, const std::string& out_path) {
  args.push_back("--list");
  const int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  CrashPointList list;
  list.status = RunCrashHelper(std::move(args), 0, fd);
  ::close(fd);
  std::ifstream in(out_path);
  for (std::string line; std::getline(in, line);) list.points.push_back(line);
  return list;
}

}  // namespace edgerun::ota::testing

#endif  // EDGERUN_TESTS_OTA_CRASH_TEST_UTIL_H_
