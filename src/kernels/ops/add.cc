// ADD: elementwise a + b with broadcasting and a fused activation; the
// kernel is shared with SUB (see add_sub.h for the dtypes).
#include "kernels/ops/add_sub.h"
#include "kernels/registry.h"

namespace edgerun::kernels {

void RegisterAddKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_ADD, [] {
    return std::unique_ptr<OpKernel>(new binary::AddSubKernel<false>());
  });
}

}  // namespace edgerun::kernels
