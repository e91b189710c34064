// `edgerun keygen --out KEY.json`: makes an Ed25519 signing key for the
// model repository. Writes KEY.json (with the private seed, mode 0600) and
// KEY.pub.json (public key only); refuses to overwrite either. Prints the
// keyid. Formats: include/edgerun/ota/keys.h, docs/ota.md.
//
// Thread-safety: single-threaded (see command.h).
#ifndef EDGERUN_TOOLS_EDGERUN_KEYGEN_COMMAND_H_
#define EDGERUN_TOOLS_EDGERUN_KEYGEN_COMMAND_H_

#include <memory>

#include "tools/edgerun/command.h"

namespace edgerun::cli {

std::unique_ptr<Command> MakeKeygenCommand();

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_KEYGEN_COMMAND_H_
