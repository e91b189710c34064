// FLOOR_MOD: elementwise remainder of floor division (the result has the
// divisor's sign) with broadcasting.
//
// dtypes: float32 (fmod-based, x mod 0 is NaN), int8, int16, int32, int64
// (raw values; a zero divisor is an Eval error, as in TFLite).
#include <cstdint>
#include <memory>
#include <type_traits>

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
class FloorModKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(binary::PrepareBinary(ctx, std::nullopt, &plan_));
    type_ = ctx.input(0)->type;
    switch (type_) {
      case DataType::kFloat32:
      case DataType::kInt8:
      case DataType::kInt16:
      case DataType::kInt32:
      case DataType::kInt64:
        return OkStatus();
      default:
        return ctx.Unimplemented("FLOOR_MOD does not support " +
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
      case DataType::kInt32:
        return Run<int32_t>(ctx);
      default:
        return Run<int64_t>(ctx);
    }
  }

 private:
  template <typename T>
  Status Run(KernelContext& ctx) {
    if constexpr (std::is_integral_v<T>) {
      const Tensor& b = *ctx.input(1);
      const T* divisor = b.data_as<T>();
      const int64_t n = b.NumElements();
      for (int64_t i = 0; i < n; ++i) {
        if (divisor[i] == 0) {
          return ctx.InvalidArgument("division by zero (divisor element " +
                                     std::to_string(i) + ")");
        }
      }
    }
    binary::EvalBroadcast<T, T>(
        ctx, plan_, [](T x, T y) { return reference::FloorMod<T>(x, y); });
    return OkStatus();
  }

  reference::BroadcastPlan<2> plan_;
  DataType type_ = DataType::kFloat32;
};

}  // namespace

void RegisterFloorModKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_FLOOR_MOD, [] {
    return std::unique_ptr<OpKernel>(new FloorModKernel());
  });
}

}  // namespace edgerun::kernels
