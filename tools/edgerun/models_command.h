// `edgerun models list|activate|rollback|pin|unpin --store DIR [NAME [VERSION]]
//  [--reason TEXT] [--json]`: inspect and steer the on-device model store
// (include/edgerun/ota/model_store.h).
//   list [NAME]            versions (active, previous, last_good, pinned,
//                          rejected, staged) and the history of each model
//   activate NAME VERSION  full load + self-test, then switch (activation.h)
//   rollback NAME          back to last good / previous / bundled (--reason)
//   pin NAME VERSION       activate and hold; unpin NAME releases
// Exit 0 on success, 1 when the store refused (with a one-line reason),
// 2 for usage errors.
//
// Thread-safety: single-threaded (see command.h).
#ifndef EDGERUN_TOOLS_EDGERUN_MODELS_COMMAND_H_
#define EDGERUN_TOOLS_EDGERUN_MODELS_COMMAND_H_

#include <memory>

#include "tools/edgerun/command.h"

namespace edgerun::cli {

std::unique_ptr<Command> MakeModelsCommand();

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_MODELS_COMMAND_H_
