// Registration of the matrix / sequence / detection family (matrix_ops.h).
#include "kernels/ops/matrix_ops.h"

#include "kernels/ops/ops.h"

namespace edgerun::kernels {

void RegisterMatrixKernels(KernelRegistry& registry) {
  RegisterFullyConnectedKernels(registry);
  RegisterTransposeConvKernels(registry);
  RegisterLstmKernels(registry);
  RegisterSvdfKernels(registry);
  RegisterBatchMatMulKernels(registry);
  RegisterDetectionPostProcessKernels(registry);
}

}  // namespace edgerun::kernels
