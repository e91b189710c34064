// FLOOR_DIV and FLOOR_MOD differ only in the element function, whether int64
// is accepted and whether a float zero divisor is an error, so both are one
// kernel template over a small Op descriptor:
//   static constexpr const char* kName;       // for error messages
//   static constexpr bool kInt64;             // int64 accepted
//   static constexpr bool kFloatZeroIsError;  // float x / 0 fails
//   template <typename T> static T Apply(T x, T y);
// Ownership: none. Thread-safety: one instance per node, used by one thread
// at a time.
#ifndef EDGERUN_KERNELS_OPS_FLOOR_COMMON_H_
#define EDGERUN_KERNELS_OPS_FLOOR_COMMON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

#include "kernels/kernel_api.h"
#include "kernels/op_util.h"
#include "kernels/ops/elementwise_binary.h"
#include "kernels/reference/broadcast.h"

namespace edgerun::kernels::binary {

template <typename Op>
class FloorKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(PrepareBinary(ctx, std::nullopt, &plan_));
    type_ = ctx.input(0)->type;
    switch (type_) {
      case DataType::kFloat32:
      case DataType::kInt8:
      case DataType::kInt16:
      case DataType::kInt32:
        return OkStatus();
      case DataType::kInt64:
        if (Op::kInt64) return OkStatus();
        [[fallthrough]];
      default:
        return ctx.Unimplemented(std::string(Op::kName) + " does not support " +
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
        if constexpr (Op::kInt64) return Run<int64_t>(ctx);
        return Run<int32_t>(ctx);
    }
  }

 private:
  template <typename T>
  Status Run(KernelContext& ctx) {
    if constexpr (std::is_integral_v<T> || Op::kFloatZeroIsError) {
      RETURN_IF_ERROR((CheckNoZeroDivisor<T, T>(ctx, T{0})));
    }
    EvalBroadcast<T, T>(ctx, plan_,
                        [](T x, T y) { return Op::template Apply<T>(x, y); });
    return OkStatus();
  }

  reference::BroadcastPlan<2> plan_;
  DataType type_ = DataType::kFloat32;
};

}  // namespace edgerun::kernels::binary

#endif  // EDGERUN_KERNELS_OPS_FLOOR_COMMON_H_
