// update_check_bench [CHECKS]: cost of an update check with nothing new on
// loopback. Publishes one model into a temporary repository, serves it with
// the loopback server, installs it with an Updater, then times CHECKS
// (default 200) CheckForUpdates calls: median / min / max wall time and the
// HTTP requests the server saw per check. Not a test; prints numbers only.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "edgerun/ota/updater.h"
#include "src/ota/testing/loopback_server.h"
#include "tests/ota/update_test_util.h"

int main(int argc, char** argv) {
  using namespace edgerun;
  using namespace edgerun::ota;
  namespace fs = std::filesystem;
  const int checks = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  const fs::path dir = fs::temp_directory_path() /
                       ("edgerun_update_check_bench_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  testing::TestRepo repo(dir, {GenerateSigningKey()});
  if (auto p = repo.Publish("m", 1, 1024); !p.ok()) {
    std::fprintf(stderr, "publish: %s\n", p.status().ToString().c_str());
    return 1;
  }
  auto server = testing::LoopbackServer::Start(repo.repo());
  auto store = ModelStore::Open(Env::Default(), (dir / "store").string());
  if (!server.ok() || !store.ok()) return 1;
  UpdaterOptions o;
  o.repo_url = (*server)->Url("");
  o.device_id = "bench";
  o.trusted_root = repo.RootBytes();
  o.activate = [](ModelStore& s, const PendingUpdate& u, EventLog*) {
    return s.Activate(u.model, u.entry.version, "bench");
  };
  auto updater = Updater::Create(Env::Default(), store->get(), o, nullptr);
  if (!updater.ok() || !(*updater)->UpdateAll(true).ok()) return 1;
  (*server)->ResetStats();
  std::vector<double> ms;
  int client_requests = 0;
  for (int i = 0; i < checks; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = (*updater)->CheckForUpdates();
    const auto t1 = std::chrono::steady_clock::now();
    if (!r.ok() || !r->updates.empty() || !r->metadata_unchanged) {
      std::fprintf(stderr, "check %d: unexpected result\n", i);
      return 1;
    }
    client_requests += r->http_requests;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  uint64_t server_requests = 0;
  for (const char* p : {"timestamp.json", "2.root.json", "1.targets.json", "targets.json"}) {
    server_requests += (*server)->Stats(p).requests;
  }
  std::sort(ms.begin(), ms.end());
  std::printf("update check, nothing new, loopback: %d checks\n", checks);
  std::printf("  wall ms: median %.3f  min %.3f  max %.3f  p99 %.3f\n", ms[ms.size() / 2],
              ms.front(), ms.back(), ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]);
  std::printf("  requests per check: client %.2f, server saw %.2f (%llu 304s)\n",
              static_cast<double>(client_requests) / checks,
              static_cast<double>(server_requests) / checks,
              static_cast<unsigned long long>((*server)->Stats("timestamp.json").not_modified));
  updater->reset();
  store->reset();
  (*server)->Stop();
  fs::remove_all(dir);
  return 0;
}
