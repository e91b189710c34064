// SUB: elementwise a - b with broadcasting and a fused activation; the
// kernel is shared with ADD (see add_sub.h for the dtypes).
#include "kernels/ops/add_sub.h"
#include "kernels/registry.h"

namespace edgerun::kernels {

void RegisterSubKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_SUB, [] {
    return std::unique_ptr<OpKernel>(new binary::AddSubKernel<true>());
  });
}

}  // namespace edgerun::kernels
