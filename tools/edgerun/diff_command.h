// `edgerun diff MODEL --backends LIST [--reference LIST] [--runs N]
//  [--input FILE ...] [--seed S] [--threads N] [--tolerance T] [--json]`:
// runs the model on a test backend set and on a reference backend set (the
// CPU kernels by default) with the same inputs and reports, per output
// tensor, the error of the test outputs, like TFLite's inference_diff.
//
// Inputs: run r uses random inputs with seed S + r (RandomInput, the golden
// generator), or the --input files in every run (--runs then defaults to 1;
// more runs only catch nondeterminism). Errors per output over all runs and
// elements: max / min / mean absolute error and its standard deviation, on
// real values (quantized outputs are dequantized), plus the max |difference|
// of the stored integers for integer outputs. `--json` keys: docs/bench.md.
//
// Exit codes: 0 every output within --tolerance (default 0: only
// bit-identical real values pass); 1 an output exceeds it, a NaN/Inf
// appears on one side only, outputs differ in shape or dtype, or an Invoke
// failed; 2 usage, model or init errors. Failures print one line on stderr.
//
// Thread-safety: single-threaded (see command.h); the test hook is a
// process-wide setting for tests only.
#ifndef EDGERUN_TOOLS_EDGERUN_DIFF_COMMAND_H_
#define EDGERUN_TOOLS_EDGERUN_DIFF_COMMAND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "tools/edgerun/command.h"

namespace edgerun::cli {

std::unique_ptr<Command> MakeDiffCommand();

// Tests only: called with the test interpreter's output bytes after each
// test Invoke and before the comparison, so a test can perturb them and
// check the tolerance path end to end. Pass {} to remove.
using DiffOutputHook =
    std::function<void(int run, int output, std::span<uint8_t> bytes)>;
void SetDiffOutputHookForTesting(DiffOutputHook hook);

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_DIFF_COMMAND_H_
