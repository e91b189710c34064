// RegisterUnaryKernels: every op of the unary family (element-wise math,
// activations, softmax, L2 normalization, quantize, dequantize, cast).
#include "kernels/ops/ops.h"
#include "kernels/ops/unary_common.h"

namespace edgerun::kernels {

void RegisterUnaryKernels(KernelRegistry& registry) {
  unary::RegisterElementwiseUnaryKernels(registry);
  unary::RegisterActivationKernels(registry);
  unary::RegisterLogisticTanhKernels(registry);
  unary::RegisterSoftmaxKernels(registry);
  unary::RegisterL2NormalizationKernels(registry);
  unary::RegisterQuantizeKernels(registry);
  unary::RegisterDequantizeKernels(registry);
  unary::RegisterCastKernels(registry);
}

}  // namespace edgerun::kernels
