// Registration of the elementwise binary family (see elementwise_binary.h).
#include "kernels/ops/elementwise_binary.h"

#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {

void RegisterBinaryKernels(KernelRegistry& registry) {
  RegisterAddKernels(registry);
  RegisterSubKernels(registry);
  RegisterMulKernels(registry);
  RegisterDivKernels(registry);
  RegisterSquaredDifferenceKernels(registry);
  RegisterMaximumMinimumKernels(registry);
  RegisterFloorDivKernels(registry);
  RegisterFloorModKernels(registry);
  RegisterPowKernels(registry);
  RegisterComparisonKernels(registry);
  RegisterLogicalKernels(registry);
  RegisterSelectKernels(registry);
}

}  // namespace edgerun::kernels
