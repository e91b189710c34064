// `edgerun bench MODEL --streams N [--fps F] [--duration S] [--backends sim]
// [--models A,B,...] [--sim-latency-us US] [--sim-switch-us US]`: the
// multi-camera case. N camera threads produce frames at F fps each for S
// seconds; two strategies run one after the other on the same device:
//
//  * direct: one Interpreter per camera, each invoking the device itself
//    as frames arrive. Nothing is dropped, so when the cameras offer more
//    than the device can do the backlog grows: frames processed, late
//    (answered more than one frame period after capture) and never
//    processed by the end (backlog), latency from capture to result.
//  * scheduler: one Session per model on one shared 1-slot scheduler
//    device (named after the device) and one session::Stream per camera
//    with keep-latest back-pressure: processed, dropped, latency, frames
//    per stream (fairness), device model switches. With several models
//    (--models, cycled over the streams) it runs twice, model grouping off
//    and on.
//
// The "sim" backend is the SIMULATED single-slot accelerator of
// src/backends/sim; wherever the device is named it says so. Outputs are
// compared with a single-threaded reference like in the --clients modes.
// --json prints one document (format "edgerun bench streams v1").
//
// Thread-safety: RunStreamsBench is called from one thread; it starts and
// joins its camera threads. It resets the process-wide simulated device's
// counters (bench_command.cc applies --sim-latency-us / --sim-switch-us).
#ifndef EDGERUN_TOOLS_EDGERUN_BENCH_STREAMS_H_
#define EDGERUN_TOOLS_EDGERUN_BENCH_STREAMS_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"

namespace edgerun::cli {

struct StreamsBenchConfig {
  // Models cycled over the streams (stream i runs models[i % size]).
  std::vector<std::string> model_paths;
  std::vector<std::shared_ptr<const ModelFile>> models;
  InterpreterOptions options;
  int streams = 4;
  double fps = 30;
  double duration_s = 5;
  uint32_t seed = 1;
  bool json = false;
};

// Returns the exit code: 0 measured, 1 a request failed or an output
// differed from the reference, 2 setup errors.
int RunStreamsBench(const StreamsBenchConfig& config, std::ostream& out,
                    std::ostream& err);

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_BENCH_STREAMS_H_
