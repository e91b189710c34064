// The one place that lists every CPU kernel (explicit registration).
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {

void RegisterBuiltinKernels(KernelRegistry& registry) {
  // Each op family registers its ops; see kernels/ops/ops.h.
  RegisterReshapeKernels(registry);
  RegisterBinaryKernels(registry);
  RegisterMovementKernels(registry);
  RegisterUnaryKernels(registry);
  RegisterMatrixKernels(registry);
  RegisterConvKernels(registry);
}

}  // namespace edgerun::kernels
