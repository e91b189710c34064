// `edgerun inspect MODEL [--json] [--mode mmap|read] [--backends LIST
// [--max-delegated-partitions N] [--min-nodes-per-partition N]]`: describes
// a model: file, schema, subgraphs, signatures, inputs and outputs with
// quantization, operator histogram, constant data, metadata (TFLite Support
// metadata, labels, associated files) and load warnings; with --backends
// also the runtime's partition plan for that preference list (partitions,
// nodes the preferred backends refused and why, boundary tensors). Text for
// people by default; --json gives the stable form documented in
// docs/inspect.md.
//
// Thread-safety: single-threaded (see command.h).
#ifndef EDGERUN_TOOLS_EDGERUN_INSPECT_COMMAND_H_
#define EDGERUN_TOOLS_EDGERUN_INSPECT_COMMAND_H_

#include <memory>
#include <ostream>

#include "edgerun/format/model_summary.h"
#include "tools/edgerun/command.h"

namespace edgerun::cli {

std::unique_ptr<Command> MakeInspectCommand();

// The text report of `inspect` for `summary` of the file `path`.
void PrintModelSummary(const ModelSummary& summary, const std::string& path,
                       std::ostream& out);

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_INSPECT_COMMAND_H_
