// ota_activation_crash_helper: one activation on an existing store, so that
// activation_crash_test can kill it at every crash point.
//
//   ota_activation_crash_helper --root DIR --scenario commit|rollback [--list]
//
// The store holds gather models v1, v2 (active, good) and v3 (committed
// with a self-test). The helper serves "m" through a ManagedModel, sends
// baseline traffic, ActivateVersion(3), then traffic that v3 serves well
// (commit: indices 0..2) or fails (rollback: indices >= 4), and ends the
// health window with Tick (fake clock). Crash points: the store's and
// activation's (FaultInjectionEnv).
//
// EDGERUN_CRASH_AT=N raise(SIGKILL)s the process at the N-th crash point.
// --list prints the crash points passed, one per line, after a full run.
// Exit status: 0 done, 1 a call failed (message on stderr), 2 usage.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "edgerun/base/fault_injection_env.h"
#include "edgerun/ota/managed_model.h"
#include "tests/ota/activation_test_util.h"
#include "tests/ota/crash_helper_util.h"

namespace edgerun::ota {
namespace {

Status Run(FaultInjectionEnv& env, const std::string& root, const std::string& scenario) {
  ASSIGN_OR_RETURN(auto store, ModelStore::Open(&env, root, {}));
  env.CrashPoint("helper.opened");
  std::atomic<int64_t> now_s{1000};
  ManagedModelOptions options;
  options.session.num_interpreters = 1;
  options.health.window = std::chrono::seconds(10);
  options.health.min_requests = 10;
  options.health.max_p99_latency_ratio = 0;
  options.now = [&now_s] { return Clock::time_point(std::chrono::seconds(now_s.load())); };
  options.env = &env;
  ASSIGN_OR_RETURN(auto managed, ManagedModel::Create(store.get(), "m", options));
  const session::TensorData request =
      scenario == "commit" ? testing::Indices(0, 1, 2) : testing::Indices(1, 5, 6);
  for (int i = 0; i < 12; ++i) RETURN_IF_ERROR(managed->Run({request}).status());
  ASSIGN_OR_RETURN(const ActivationReport report, managed->ActivateVersion(3, "update"));
  if (!report.self_test_ran) return InternalError("self-test did not run");
  for (int i = 0; i < 12; ++i) (void)managed->Run({request});
  now_s += 60;
  ASSIGN_OR_RETURN(const HealthVerdict verdict, managed->Tick());
  const HealthState want =
      scenario == "commit" ? HealthState::kHealthy : HealthState::kUnhealthy;
  if (verdict.state != want) {
    return InternalError("verdict " + std::string(HealthStateName(verdict.state)) + ": " +
                         verdict.reason);
  }
  env.CrashPoint("helper.done");
  return OkStatus();
}

}  // namespace
}  // namespace edgerun::ota

int main(int argc, char** argv) {
  std::string root, scenario = "commit";
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--root" && i + 1 < argc) {
      root = argv[++i];
    } else if (arg == "--scenario" && i + 1 < argc) {
      scenario = argv[++i];
    } else if (arg == "--list") {
      list = true;
    } else {
      root.clear();
      break;
    }
  }
  if (root.empty() || (scenario != "commit" && scenario != "rollback")) {
    std::fprintf(stderr, "usage: %s --root DIR [--scenario commit|rollback] [--list]\n",
                 argv[0]);
    return 2;
  }
  edgerun::FaultInjectionEnv env(edgerun::Env::Default());
  edgerun::ota::testing::ArmCrashAtFromEnvironment(env);
  return edgerun::ota::testing::FinishCrashHelper("ota_activation_crash_helper", env, edgerun::ota::Run(env, root, scenario), list);
}
