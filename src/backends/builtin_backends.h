// The one place that lists every backend compiled in (explicit
// registration, like kernels/register_builtins.cc).
#ifndef EDGERUN_BACKENDS_BUILTIN_BACKENDS_H_
#define EDGERUN_BACKENDS_BUILTIN_BACKENDS_H_

namespace edgerun::backends {

class BackendRegistry;

// Adds "xnnpack" (and future backends) to `registry`.
void RegisterBuiltinBackends(BackendRegistry& registry);

}  // namespace edgerun::backends

#endif  // EDGERUN_BACKENDS_BUILTIN_BACKENDS_H_
