// Child side of the kill -9 crash tests: arms a FaultInjectionEnv from
// EDGERUN_CRASH_AT and ends a crash helper's main (status, --list output).
#ifndef EDGERUN_TESTS_OTA_CRASH_HELPER_UTIL_H_
#define EDGERUN_TESTS_OTA_CRASH_HELPER_UTIL_H_

#include <cstdio>
#include <cstdlib>

#include "edgerun/base/fault_injection_env.h"
#include "edgerun/base/status.h"

namespace edgerun::ota::testing {

// EDGERUN_CRASH_AT=N makes `env` raise(SIGKILL) at its N-th crash point.
inline void ArmCrashAtFromEnvironment(FaultInjectionEnv& env) {
  if (const char* at = std::getenv("EDGERUN_CRASH_AT"); at != nullptr && *at != '\0') {
    env.SetCrashHook(FaultInjectionEnv::KillAt(std::atoi(at)));
  }
}

// The exit status of helper `name` after its run returned `s`: 1 with the
// message on stderr when it failed; otherwise 0, first printing the crash
// points passed, one per line, when `list` is set.
inline int FinishCrashHelper(const char* name, const FaultInjectionEnv& env, const Status& s,
                             bool list) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", name, s.ToString().c_str());
    return 1;
  }
  if (list) {
    for (const auto& point : env.crash_points()) std::printf("%s\n", point.c_str());
  }
  return 0;
}

}  // namespace edgerun::ota::testing

#endif  // EDGERUN_TESTS_OTA_CRASH_HELPER_UTIL_H_
