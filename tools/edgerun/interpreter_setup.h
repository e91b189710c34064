// Building interpreters and their inputs for the measuring commands
// (`bench`, `diff`): the --backends list, InterpreterOptions, input specs
// with metadata normalization, and applying prepared inputs (resizing when a
// file's shape differs from the model's).
//
// Thread-safety: pure functions, except that ApplyInputs mutates the
// interpreter it is given (one thread, like the interpreter itself).
#ifndef EDGERUN_TOOLS_EDGERUN_INTERPRETER_SETUP_H_
#define EDGERUN_TOOLS_EDGERUN_INTERPRETER_SETUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "tools/edgerun/tensor_inputs.h"

namespace edgerun::cli {

// "xnnpack,cpu" -> {"xnnpack", "cpu"}. Names are lower-case letters, digits
// and '_'; empty names and duplicates are kInvalidArgument. Whether a name
// is a known backend is the runtime's call (Interpreter::Create).
StatusOr<std::vector<std::string>> ParseBackendList(std::string_view list);

// Comma-joined, for reports.
std::string JoinBackends(const std::vector<std::string>& backends);

// What every input of `interp` wants, with normalization from the model's
// metadata when it has any (unreadable metadata is ignored: inputs then use
// the no-metadata conventions of PrepareImage).
std::vector<InputSpec> InputSpecs(Interpreter& interp, const ModelFile& model);

// One input set: file i for input i where given (and not "-"), otherwise
// RandomInput(spec, seed, i). More files than inputs: kInvalidArgument.
StatusOr<std::vector<PreparedInput>> PrepareInputs(
    const std::vector<InputSpec>& specs, const std::vector<std::string>& files,
    uint32_t seed);

// Copies `inputs` into `interp`, resizing inputs (and allocating again)
// whose prepared shape differs from the current one.
Status ApplyInputs(Interpreter& interp,
                   const std::vector<PreparedInput>& inputs);

// Nodes per backend of an execution plan, for summaries:
// "xnnpack 60 nodes in 1 partition, cpu 5 nodes in 2 partitions".
std::string PlanSummary(const ExecutionPlanInfo& plan);

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_INTERPRETER_SETUP_H_
