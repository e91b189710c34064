// MAXIMUM and MINIMUM: elementwise max / min with broadcasting on the raw
// values (quantized tensors are compared without rescaling, as TFLite does).
//
// dtypes: float32, uint8, int8, int16, int32, int64.
#include <cstdint>
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
template <bool kMax>
class MaximumMinimumKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(binary::PrepareBinary(ctx, std::nullopt, &plan_));
    type_ = ctx.input(0)->type;
    switch (type_) {
      case DataType::kFloat32:
      case DataType::kUInt8:
      case DataType::kInt8:
      case DataType::kInt16:
      case DataType::kInt32:
      case DataType::kInt64:
        return OkStatus();
      default:
        return ctx.Unimplemented(std::string(kMax ? "MAXIMUM" : "MINIMUM") +
                                 " does not support " + TypeName(type_));
    }
  }

  Status Eval(KernelContext& ctx) override {
    switch (type_) {
      case DataType::kFloat32:
        Run<float>(ctx);
        break;
      case DataType::kUInt8:
        Run<uint8_t>(ctx);
        break;
      case DataType::kInt8:
        Run<int8_t>(ctx);
        break;
      case DataType::kInt16:
        Run<int16_t>(ctx);
        break;
      case DataType::kInt32:
        Run<int32_t>(ctx);
        break;
      default:
        Run<int64_t>(ctx);
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  void Run(KernelContext& ctx) {
    // TFLite's MaximumOp / MinimumOp: a NaN in the first input yields the
    // second one.
    binary::EvalBroadcast<T, T>(ctx, plan_, [](T x, T y) {
      if constexpr (kMax) {
        return x > y ? x : y;
      } else {
        return x < y ? x : y;
      }
    });
  }

  reference::BroadcastPlan<2> plan_;
  DataType type_ = DataType::kFloat32;
};

}  // namespace

void RegisterMaximumMinimumKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_MAXIMUM, [] {
    return std::unique_ptr<OpKernel>(new MaximumMinimumKernel<true>());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_MINIMUM, [] {
    return std::unique_ptr<OpKernel>(new MaximumMinimumKernel<false>());
  });
}

}  // namespace edgerun::kernels
