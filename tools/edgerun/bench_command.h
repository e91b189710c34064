// `edgerun bench MODEL [--backends LIST] [--threads N] [--warmup-runs N]
//  [--runs N] [--min-secs S] [--max-secs S] [--interpreters N] [--input FILE
//  ...] [--seed S] [--json] [--require-full-delegation]`: latency and memory
// of a model on a backend set, like TFLite's benchmark_model.
//
// Reports model size; init time (load + Interpreter::Create +
// AllocateTensors, which includes a backend's weight packing); the first
// inference; the warmup average; count / avg / std / min / max / p50 / p90 /
// p99 of the measured inferences in microseconds (it runs until both --runs
// and --min-secs are satisfied, stopping early at --max-secs); RSS before
// load, after init and at peak (VmHWM and getrusage ru_maxrss); arena bytes
// (Interpreter::memory_stats) and the partition plan
// (Interpreter::execution_plan). --interpreters N creates N interpreters of
// the same model and runs them round-robin (RSS of several instances).
// `--json` prints one JSON document; its keys are documented in
// docs/bench.md and only ever gain new members.
//
// Concurrency: --clients 1,2,4,8 --mode shared|mutex|pool|session
// --duration S runs N closed-loop client threads per count (see
// bench_clients.h); --streams N [--fps F] [--models B,C] [--sim-latency-us
// US] runs the multi-camera case, direct vs scheduler (bench_streams.h).
//
// Exit codes: 0 measured; 1 an Invoke failed; 2 usage, model or init errors
// (including a plan that leaves nodes on the CPU under
// --require-full-delegation).
//
// Thread-safety: single-threaded (see command.h).
#ifndef EDGERUN_TOOLS_EDGERUN_BENCH_COMMAND_H_
#define EDGERUN_TOOLS_EDGERUN_BENCH_COMMAND_H_

#include <memory>

#include "tools/edgerun/command.h"

namespace edgerun::cli {

std::unique_ptr<Command> MakeBenchCommand();

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_BENCH_COMMAND_H_
