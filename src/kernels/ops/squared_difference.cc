// SQUARED_DIFFERENCE: elementwise (a - b)^2 with broadcasting.
//
// dtypes: float32; int32 (wrap-around); int8 quantized (TFLite's rescaling
// with left_shift 7 and the square requantized).
#include <algorithm>
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

// Ownership: none beyond its parameters. Thread-safety: one instance per
// node, used by one thread at a time.
class SquaredDifferenceKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(binary::PrepareBinary(ctx, std::nullopt, &plan_));
    const Tensor& a = *ctx.input(0);
    type_ = a.type;
    switch (a.type) {
      case DataType::kFloat32:
      case DataType::kInt32:
        return OkStatus();
      case DataType::kInt8: {
        binary::TensorQuant qa, qb, qo;
        RETURN_IF_ERROR(binary::GetTensorQuant(ctx, a, "input 0", &qa));
        RETURN_IF_ERROR(
            binary::GetTensorQuant(ctx, *ctx.input(1), "input 1", &qb));
        RETURN_IF_ERROR(
            binary::GetTensorQuant(ctx, *ctx.output(0), "output", &qo));
        RETURN_IF_ERROR(
            binary::CheckZeroPointInRange<int8_t>(ctx, qa, "input 0"));
        RETURN_IF_ERROR(
            binary::CheckZeroPointInRange<int8_t>(ctx, qb, "input 1"));
        RETURN_IF_ERROR(
            binary::CheckZeroPointInRange<int8_t>(ctx, qo, "output"));
        params_.input1_offset = -qa.zero_point;
        params_.input2_offset = -qb.zero_point;
        params_.output_offset = qo.zero_point;
        params_.left_shift = 7;
        const double twice_max =
            2 * static_cast<double>(std::max(qa.scale, qb.scale));
        params_.input1 = reference::QuantizeMultiplier(
            static_cast<double>(qa.scale) / twice_max);
        params_.input2 = reference::QuantizeMultiplier(
            static_cast<double>(qb.scale) / twice_max);
        params_.output = reference::QuantizeMultiplier(
            (twice_max * twice_max) /
            (static_cast<double>(1 << 14) * static_cast<double>(qo.scale)));
        params_.act_min = -128;
        params_.act_max = 127;
        return OkStatus();
      }
      default:
        return ctx.Unimplemented("SQUARED_DIFFERENCE does not support " +
                                 TypeName(a.type));
    }
  }

  Status Eval(KernelContext& ctx) override {
    switch (type_) {
      case DataType::kFloat32:
        binary::EvalBroadcast<float, float>(ctx, plan_, [](float x, float y) {
          const float d = x - y;
          return d * d;
        });
        break;
      case DataType::kInt32:
        binary::EvalBroadcast<int32_t, int32_t>(
            ctx, plan_, [](int32_t x, int32_t y) {
              const int32_t d = reference::WrappingSub(x, y);
              return reference::WrappingMul(d, d);
            });
        break;
      default: {
        const reference::QuantizedAddSubParams p = params_;
        binary::EvalBroadcast<int8_t, int8_t>(
            ctx, plan_, [p](int8_t x, int8_t y) {
              return static_cast<int8_t>(
                  reference::QuantizedSquaredDifference(x, y, p));
            });
        break;
      }
    }
    return OkStatus();
  }

 private:
  reference::BroadcastPlan<2> plan_;
  DataType type_ = DataType::kFloat32;
  reference::QuantizedAddSubParams params_;
};

}  // namespace

void RegisterSquaredDifferenceKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_SQUARED_DIFFERENCE, [] {
    return std::unique_ptr<OpKernel>(new SquaredDifferenceKernel());
  });
}

}  // namespace edgerun::kernels
