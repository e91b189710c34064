// Every backend of this build, registered explicitly.
#include "backends/backend.h"
#include "backends/builtin_backends.h"
#include "backends/sim/sim_backend.h"
#include "backends/xnnpack/xnnpack_backend.h"

namespace edgerun::backends {

void RegisterBuiltinBackends(BackendRegistry& registry) {
  registry.Add(xnnpack::CreateXnnpackBackend());
  registry.Add(sim::CreateSimBackend());
}

}  // namespace edgerun::backends
