// Every backend of this build, registered explicitly.
#include "backends/backend.h"
#include "backends/builtin_backends.h"
#include "backends/xnnpack/xnnpack_backend.h"

namespace edgerun::backends {

void RegisterBuiltinBackends(BackendRegistry& registry) {
  registry.Add(xnnpack::CreateXnnpackBackend());
}

}  // namespace edgerun::backends
