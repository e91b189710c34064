// `edgerun update --repo URL --store DIR [--root ROOT.json] [--device-id ID]
//  [--device-class C] [--model NAME ...] [--runtime-version V]
//  [--no-activate] [--json]`:
// one update run of the device-side client (include/edgerun/ota/updater.h):
// check the signed repository, download, verify and stage new versions, and
// activate them (full load + self-test, activation.h). --root is the trusted
// root.json for a store that has none yet (after the first run the store
// keeps the verified metadata in DIR/metadata/). Prints one line per update
// event (JSON lines with --json). Exit 0 when up to date or updated; 1 with
// a one-line reason when something was refused or failed (network, disk,
// self-test); 2 for usage errors.
//
// Thread-safety: single-threaded (see command.h).
#ifndef EDGERUN_TOOLS_EDGERUN_UPDATE_COMMAND_H_
#define EDGERUN_TOOLS_EDGERUN_UPDATE_COMMAND_H_

#include <cstdint>
#include <memory>
#include <string>

#include "edgerun/ota/events.h"
#include "edgerun/ota/model_store.h"
#include "tools/edgerun/command.h"

namespace edgerun::cli {

std::unique_ptr<Command> MakeUpdateCommand();

// Activates a committed version the way `update` and `models activate` do:
// ota::PrepareAndActivate (hash check, full load, self-test, switch).
Status ActivateCommittedVersion(ota::ModelStore& store, const std::string& name,
                                int64_t version, const std::string& reason,
                                ota::EventLog* events);

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_UPDATE_COMMAND_H_
