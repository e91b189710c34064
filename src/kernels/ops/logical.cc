// LOGICAL_AND and LOGICAL_OR: elementwise on bool tensors with broadcasting;
// LOGICAL_NOT: elementwise negation of a bool tensor.
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

class LogicalNotKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 1, 1, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    if (input->type != DataType::kBool || ctx.output(0)->type != DataType::kBool) {
      return ctx.InvalidArgument("LOGICAL_NOT needs bool input and output, got " +
                                 TypeName(input->type) + " -> " +
                                 TypeName(ctx.output(0)->type));
    }
    return ctx.ResizeOutput(0, input->shape);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    const bool* in = input->data_as<bool>();
    bool* out = ctx.output(0)->data_as<bool>();
    for (int64_t i = 0; i < input->NumElements(); ++i) out[i] = !in[i];
    return OkStatus();
  }
};

}  // namespace

void RegisterLogicalKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_LOGICAL_AND, [] {
    return std::unique_ptr<OpKernel>(new LogicalKernel<true>());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_LOGICAL_OR, [] {
    return std::unique_ptr<OpKernel>(new LogicalKernel<false>());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_LOGICAL_NOT, [] {
    return std::unique_ptr<OpKernel>(new LogicalNotKernel());
  });
}

}  // namespace edgerun::kernels
