// `edgerun bench MODEL --clients 1,2,4,8 --mode shared|mutex|pool|session
// --duration S`: N client threads in a closed loop (each sends its next
// request when the previous one answered) for S seconds per client count,
// each request with its own input set (seeded random, see Workload).
//
// Modes:
//  * shared:  one Interpreter, no lock. The Interpreter detects overlapping
//    calls and fails them; every such error is counted and the command exits
//    1 pointing at --mode session. To stay free of data races itself, with
//    2+ clients the bench sets the inputs once and the clients only call
//    Invoke (the call the detection covers); the output is checked once
//    after the clients stopped. With 1 client it runs like the others.
//  * mutex:   one Interpreter behind a std::mutex.
//  * pool:    a pool of Interpreters (one per core, or --interpreters);
//    a client leases one per request.
//  * session: an edgerun Session (--session-mode throughput|latency).
// Every mode copies inputs in and outputs out per request, and outputs are
// compared with the single-threaded reference (every request, or every
// 16th for outputs over 64 KiB); a mismatch is an error (exit 1).
//
// Output: per client count, throughput (inferences/s), latency p50/p90/p99
// (ms, from sending a request to its answer), errors; in session mode the
// session's queue wait and run time. --json prints one document instead
// (format "edgerun bench clients v1", keys in docs/bench.md).
//
// Thread-safety: RunClientsBench is called from one thread; it starts and
// joins the client threads itself.
#ifndef EDGERUN_TOOLS_EDGERUN_BENCH_CLIENTS_H_
#define EDGERUN_TOOLS_EDGERUN_BENCH_CLIENTS_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "edgerun/session/session.h"

namespace edgerun::cli {

enum class ClientsMode { kShared, kMutex, kPool, kSession };

StatusOr<ClientsMode> ParseClientsMode(std::string_view name);
std::string_view ClientsModeName(ClientsMode mode);

// "1,2,4,8" -> {1, 2, 4, 8}; each in [1, 256].
StatusOr<std::vector<int>> ParseClientList(std::string_view list);

struct ClientsBenchConfig {
  std::string model_path;
  std::shared_ptr<const ModelFile> model;
  InterpreterOptions options;  // backends, threads per Invoke
  std::vector<int> clients;
  ClientsMode mode = ClientsMode::kSession;
  double duration_s = 5;
  int interpreters = 0;  // pool and session: 0 = from cores / session mode
  bool threads_given = false;  // session: pass options.num_threads on
  session::SessionMode session_mode = session::SessionMode::kThroughput;
  std::vector<std::string> input_files;
  uint32_t seed = 1;
  bool json = false;
};

// Runs every client count; returns the exit code (0 ok, 1 errors, wrong
// outputs or detected concurrent use, 2 setup errors). Results go to `out`,
// the one-line error to `err`.
int RunClientsBench(const ClientsBenchConfig& config, std::ostream& out,
                    std::ostream& err);

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_BENCH_CLIENTS_H_
