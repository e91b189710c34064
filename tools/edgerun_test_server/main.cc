// edgerun_test_server ROOT [PORT]: serves the files under ROOT on
// 127.0.0.1:PORT (default: an ephemeral port) with the LoopbackServer of the
// OTA tests (GET, Range, ETag / If-None-Match; no faults). Prints the base
// URL on one line, then serves until killed. For manual and script tests.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "ota/testing/loopback_server.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s ROOT [PORT]\n", argv[0]);
    return 2;
  }
  const int port = argc == 3 ? std::atoi(argv[2]) : 0;
  auto server = edgerun::ota::testing::LoopbackServer::Start(argv[1], port);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", (*server)->Url("").c_str());
  std::fflush(stdout);
  while (true) std::this_thread::sleep_for(std::chrono::hours(1));
}
