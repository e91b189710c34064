// `edgerun publish DIR --key KEY.json [--key K2.json ...] --out REPO
//  [--threshold N] [--expires-days D] [--timestamp-expires-hours H]
//  [--root-key K] [--targets-key K] [--timestamp-key K]`:
// signs the models of DIR/<name>/<version>/model.tflite (+ optional
// target.json and its self-test .npy files) into the repository REPO
// (root.json, targets.json, timestamp.json, models/...). Every model must
// load with edgerun's full verification first. --key signs every role;
// --root-key/--targets-key/--timestamp-key (repeatable) replace it for one
// role. --threshold applies to the roles of a new repository. Prints the
// versions written and the models added. Format: docs/ota.md.
//
// Thread-safety: single-threaded (see command.h).
#ifndef EDGERUN_TOOLS_EDGERUN_PUBLISH_COMMAND_H_
#define EDGERUN_TOOLS_EDGERUN_PUBLISH_COMMAND_H_

#include <memory>

#include "tools/edgerun/command.h"

namespace edgerun::cli {

std::unique_ptr<Command> MakePublishCommand();

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_PUBLISH_COMMAND_H_
