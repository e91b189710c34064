// RegisterMovementKernels: every op of the movement family.
#include "kernels/ops/movement_ops.h"

#include "kernels/ops/ops.h"

namespace edgerun::kernels {

void RegisterMovementKernels(KernelRegistry& registry) {
  RegisterConcatenationKernels(registry);
  RegisterSplitKernels(registry);
  RegisterTransposeKernels(registry);
  RegisterPadKernels(registry);
  RegisterStridedSliceKernels(registry);
  RegisterGatherKernels(registry);
  RegisterTileKernels(registry);
  RegisterShapeKernels(registry);
  RegisterArgMinMaxKernels(registry);
  RegisterPoolingKernels(registry);
  RegisterReduceKernels(registry);
  RegisterResizeKernels(registry);
}

}  // namespace edgerun::kernels
