// ota_store_crash_helper: runs one model-store update scenario on an existing
// store, so that store_crash_test can kill it at every crash point.
//
//   ota_store_crash_helper --root DIR --scenario update|rollback
//                          [--size BYTES] [--bundled PATH] [--list]
//
// EDGERUN_CRASH_AT=N raise(SIGKILL)s the process at the N-th crash point.
// --list prints the crash points passed, one per line, after a full run.
// Exit status: 0 done, 1 a store call failed (message on stderr), 2 usage.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "edgerun/base/fault_injection_env.h"
#include "edgerun/ota/model_store.h"
#include "tests/ota/crash_helper_util.h"
#include "tests/ota/store_test_util.h"

namespace edgerun::ota {
namespace {

constexpr int64_t kNewVersion = 3;
constexpr size_t kChunk = 64 * 1024;

Status Run(FaultInjectionEnv& env, const std::string& root, const std::string& scenario,
           size_t size, const std::string& bundled) {
  StoreOptions options;
  options.keep_versions = 1;
  options.bundled_model_path = bundled;
  ASSIGN_OR_RETURN(auto store, ModelStore::Open(&env, root, options));
  env.CrashPoint("helper.opened");
  // A download in chunks, like the Updater's.
  const std::string bytes = testing::ModelBytes(kNewVersion, size);
  ASSIGN_OR_RETURN(Staging staging, store->BeginStaging("m", kNewVersion));
  ASSIGN_OR_RETURN(auto file, store->OpenStagedFile(staging, kModelFileName, false));
  for (size_t off = 0; off < bytes.size(); off += kChunk) {
    RETURN_IF_ERROR(file->Append(
        std::string_view(bytes).substr(off, std::min(kChunk, bytes.size() - off))));
    env.CrashPoint("helper.chunk_written");
  }
  RETURN_IF_ERROR(file->Close());
  RETURN_IF_ERROR(store->CommitStaged(
      staging, {{kModelFileName, Sha256Hex(bytes), bytes.size()}}, "crash-helper"));
  RETURN_IF_ERROR(store->Activate("m", kNewVersion, "update"));
  if (scenario == "rollback") {
    ASSIGN_OR_RETURN(const int64_t back, store->Rollback("m", "health check failed"));
    if (back != 2) return InternalError("rolled back to " + std::to_string(back));
  } else {
    RETURN_IF_ERROR(store->MarkGood("m"));
  }
  RETURN_IF_ERROR(store->GarbageCollect("m").status());
  env.CrashPoint("helper.done");
  return OkStatus();
}

}  // namespace
}  // namespace edgerun::ota

int main(int argc, char** argv) {
  std::string root, scenario = "update", bundled;
  size_t size = 256 * 1024;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--root" && has_value) {
      root = argv[++i];
    } else if (arg == "--scenario" && has_value) {
      scenario = argv[++i];
    } else if (arg == "--size" && has_value) {
      size = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--bundled" && has_value) {
      bundled = argv[++i];
    } else if (arg == "--list") {
      list = true;
    } else {
      std::fprintf(stderr, "usage: %s --root DIR [--scenario update|rollback] "
                           "[--size N] [--bundled PATH] [--list]\n", argv[0]);
      return 2;
    }
  }
  if (root.empty() || (scenario != "update" && scenario != "rollback")) return 2;
  edgerun::FaultInjectionEnv env(edgerun::Env::Default());
  edgerun::ota::testing::ArmCrashAtFromEnvironment(env);
  return edgerun::ota::testing::FinishCrashHelper("ota_store_crash_helper", env, edgerun::ota::Run(env, root, scenario, size, bundled), list);
}
