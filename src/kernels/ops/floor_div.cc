// FLOOR_DIV: elementwise floor(a / b) with broadcasting.
//
// dtypes: float32, int8, int16, int32 (raw values; quantization is not
// applied, as in TFLite). Any zero in the divisor, float included, is an
// Eval error ("Division by 0"), as in TFLite.
#include <cstdint>
#include <memory>

#include "format/tflite_generated.h"
#include "kernels/kernel_api.h"
#include "kernels/op_util.h"
#include "kernels/ops/elementwise_binary.h"
#include "kernels/reference/binary_arithmetic.h"
#include "kernels/reference/broadcast.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// Ownership: none. Thread-safety: one instance per node, used by one thread
// at a time.
class FloorDivKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(binary::PrepareBinary(ctx, std::nullopt, &plan_));
    type_ = ctx.input(0)->type;
    switch (type_) {
      case DataType::kFloat32:
      case DataType::kInt8:
      case DataType::kInt16:
      case DataType::kInt32:
        return OkStatus();
      default:
        return ctx.Unimplemented("FLOOR_DIV does not support " +
                                 TypeName(type_));
    }
  }

  Status Eval(KernelContext& ctx) override {
    switch (type_) {
      case DataType::kFloat32:
        return Run<float>(ctx);
      case DataType::kInt8:
        return Run<int8_t>(ctx);
      case DataType::kInt16:
        return Run<int16_t>(ctx);
      default:
        return Run<int32_t>(ctx);
    }
  }

 private:
  template <typename T>
  Status Run(KernelContext& ctx) {
    const Tensor& b = *ctx.input(1);
    const T* divisor = b.data_as<T>();
    const int64_t n = b.NumElements();
    for (int64_t i = 0; i < n; ++i) {
      if (divisor[i] == 0) {
        return ctx.InvalidArgument("division by zero (divisor element " +
                                   std::to_string(i) + ")");
      }
    }
    binary::EvalBroadcast<T, T>(
        ctx, plan_, [](T x, T y) { return reference::FloorDiv<T>(x, y); });
    return OkStatus();
  }

  reference::BroadcastPlan<2> plan_;
  DataType type_ = DataType::kFloat32;
};

}  // namespace

void RegisterFloorDivKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_FLOOR_DIV, [] {
    return std::unique_ptr<OpKernel>(new FloorDivKernel());
  });
}

}  // namespace edgerun::kernels
