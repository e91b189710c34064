// Registration entry points of the kernel families in kernels/ops/.
// Each Register*Kernels adds every op (and dtype) of its family.
#ifndef EDGERUN_KERNELS_OPS_OPS_H_
#define EDGERUN_KERNELS_OPS_OPS_H_

namespace edgerun::kernels {

class KernelRegistry;

void RegisterReshapeKernels(KernelRegistry& registry);
void RegisterBinaryKernels(KernelRegistry& registry);
void RegisterMovementKernels(KernelRegistry& registry);
void RegisterUnaryKernels(KernelRegistry& registry);
void RegisterMatrixKernels(KernelRegistry& registry);
void RegisterConvKernels(KernelRegistry& registry);

}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_OPS_OPS_H_
