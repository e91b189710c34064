// LOGICAL_AND and LOGICAL_OR: elementwise on bool tensors with broadcasting.
#include <memory>

#include "format/tflite_generated.h"
#include "kernels/kernel_api.h"
#include "kernels/op_util.h"
#include "kernels/ops/elementwise_binary.h"
#include "kernels/reference/broadcast.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// Ownership: none. Thread-safety: one instance per node, used by one thread
// at a time.
template <bool kAnd>
class LogicalKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(binary::PrepareBinary(ctx, DataType::kBool, &plan_));
    if (ctx.input(0)->type != DataType::kBool) {
      return ctx.InvalidArgument(
          std::string(kAnd ? "LOGICAL_AND" : "LOGICAL_OR") +
          " needs bool inputs, got " + TypeName(ctx.input(0)->type));
    }
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    binary::EvalBroadcast<bool, bool>(ctx, plan_, [](bool x, bool y) {
      if constexpr (kAnd) {
        return x && y;
      } else {
        return x || y;
      }
    });
    return OkStatus();
  }

 private:
  reference::BroadcastPlan<2> plan_;
};

}  // namespace

void RegisterLogicalKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_LOGICAL_AND, [] {
    return std::unique_ptr<OpKernel>(new LogicalKernel<true>());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_LOGICAL_OR, [] {
    return std::unique_ptr<OpKernel>(new LogicalKernel<false>());
  });
}

}  // namespace edgerun::kernels
