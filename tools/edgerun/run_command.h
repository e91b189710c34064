// `edgerun run MODEL [--input FILE|- ...] [--output-dir DIR] [--labels FILE]
//  [--top-k K] [--seed S]`: runs a model once on the CPU interpreter.
// Inputs: .npy (any dtype), raw bytes, images (.bmp/.png/.jpg), or seeded
// random values ("-" or missing). Writes output_<i>.npy to --output-dir and
// prints a summary: top-k with labels for classifiers, boxes for SSD
// detection outputs, value ranges otherwise.
//
// Thread-safety: single-threaded (see command.h).
#ifndef EDGERUN_TOOLS_EDGERUN_RUN_COMMAND_H_
#define EDGERUN_TOOLS_EDGERUN_RUN_COMMAND_H_

#include <memory>

#include "tools/edgerun/command.h"

namespace edgerun::cli {

std::unique_ptr<Command> MakeRunCommand();

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_RUN_COMMAND_H_
