// fetch_latency [REPS]: latency of the fetches an update check makes, over
// loopback against the test server (LoopbackServer), with one HttpFetcher
// reused across requests (kept-alive connection) and with a fresh fetcher
// per request (new connection each time). Prints median / min / max in
// microseconds per kind; asserts nothing.
//   small:       FetchSmall of a 1 KiB document (timestamp.json), 200
//   conditional: Fetch with If-None-Match of that document, 304
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "edgerun/ota/http_fetcher.h"
#include "ota/testing/loopback_server.h"

namespace {

using edgerun::ota::FetchOptions;
using edgerun::ota::HttpFetcher;
using edgerun::ota::StringSink;

bool Measure(const char* name, int reps, const std::function<bool()>& once) {
  std::vector<double> us;
  us.reserve(reps);
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (!once()) {
      std::fprintf(stderr, "%s: fetch failed at rep %d\n", name, i);
      return false;
    }
    us.push_back(std::chrono::duration<double, std::micro>(
                     std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(us.begin(), us.end());
  std::printf("%-28s reps=%d median=%.0f us min=%.0f us max=%.0f us\n", name,
              reps, us[us.size() / 2], us.front(), us.back());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  for (const char* v : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
    unsetenv(v);
  }
  char tmpl[] = "/tmp/edgerun_fetch_latency_XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  std::ofstream(dir + "/timestamp.json") << std::string(1024, 't');

  auto server = edgerun::ota::testing::LoopbackServer::Start(dir);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::string url = (*server)->Url("timestamp.json");
  FetchOptions options;
  options.max_bytes = 4096;

  HttpFetcher fetcher;
  StringSink probe;
  auto first = fetcher.Fetch(url, probe, options);
  if (!first.ok()) {
    std::fprintf(stderr, "%s\n", first.status().ToString().c_str());
    return 1;
  }
  FetchOptions conditional = options;
  conditional.if_none_match = first->etag;

  bool ok = true;
  ok &= Measure("small (reused conn)", reps,
                [&] { return fetcher.FetchSmall(url, 4096).ok(); });
  ok &= Measure("conditional 304 (reused)", reps, [&] {
    StringSink sink;
    auto r = fetcher.Fetch(url, sink, conditional);
    return r.ok() && r->not_modified;
  });
  ok &= Measure("small (new conn)", reps, [&] {
    HttpFetcher fresh;
    return fresh.FetchSmall(url, 4096).ok();
  });
  ok &= Measure("conditional 304 (new conn)", reps, [&] {
    HttpFetcher fresh;
    StringSink sink;
    auto r = fresh.Fetch(url, sink, conditional);
    return r.ok() && r->not_modified;
  });
  (*server)->Stop();
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
