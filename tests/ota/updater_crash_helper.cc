// ota_updater_crash_helper: one `edgerun update`-like run (check, download,
// verify, stage, PrepareAndActivate) over a FaultInjectionEnv, so that
// updater_crash_test can kill it at every crash point of the updater, the
// store and activation.
//
//   ota_updater_crash_helper --store DIR --repo URL --root ROOT.json [--list]
//
// EDGERUN_CRASH_AT=N raise(SIGKILL)s the process at the N-th crash point.
// --list prints the crash points passed, one per line, after a full run.
// Exit status: 0 done, 1 the update failed (message on stderr), 2 usage.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "edgerun/base/fault_injection_env.h"
#include "edgerun/ota/activation.h"
#include "edgerun/ota/updater.h"
#include "tests/ota/crash_helper_util.h"

namespace edgerun::ota {
namespace {

Status Run(FaultInjectionEnv& env, const std::string& store_dir, const std::string& repo,
           const std::string& root) {
  ASSIGN_OR_RETURN(auto store, ModelStore::Open(&env, store_dir));
  env.CrashPoint("helper.opened");
  UpdaterOptions options;
  options.repo_url = repo;
  options.device_id = "crash-device";
  options.trusted_root_path = root;
  options.activate = [&env](ModelStore& s, const PendingUpdate& u, EventLog* log) {
    ActivationOptions a;
    a.reason = "update";
    a.env = &env;
    return PrepareAndActivate(s, u.model, u.entry.version, a, log).status();
  };
  ASSIGN_OR_RETURN(auto updater, Updater::Create(&env, store.get(), options, nullptr));
  RETURN_IF_ERROR(updater->UpdateAll(true).status());
  env.CrashPoint("helper.done");
  return OkStatus();
}

}  // namespace
}  // namespace edgerun::ota

int main(int argc, char** argv) {
  std::string store, repo, root;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--store" && has_value) {
      store = argv[++i];
    } else if (arg == "--repo" && has_value) {
      repo = argv[++i];
    } else if (arg == "--root" && has_value) {
      root = argv[++i];
    } else if (arg == "--list") {
      list = true;
    } else {
      std::fprintf(stderr, "usage: %s --store DIR --repo URL --root ROOT.json [--list]\n",
                   argv[0]);
      return 2;
    }
  }
  if (store.empty() || repo.empty() || root.empty()) return 2;
  edgerun::FaultInjectionEnv env(edgerun::Env::Default());
  edgerun::ota::testing::ArmCrashAtFromEnvironment(env);
  return edgerun::ota::testing::FinishCrashHelper("ota_updater_crash_helper", env, edgerun::ota::Run(env, store, repo, root), list);
}
