// DIV: elementwise a / b with broadcasting and a fused activation.
//
// dtypes: float32 (IEEE division, so x / 0 is +-inf or NaN); int32
// (truncating; a zero divisor is an Eval error, as in TFLite); uint8/int8/
// int16 quantized (TFLite's fixed-point reciprocal path; int16 with equal
// shapes uses TFLite's float path instead). A divisor equal to its zero
// point (real 0) is an Eval error.
#include <cmath>
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

using binary::CheckNoZeroDivisor;
using binary::EvalBroadcast;

// Ownership: none beyond its parameters. Thread-safety: one instance per
// node, used by one thread at a time.
class DivKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(binary::PrepareBinary(ctx, std::nullopt, &plan_));
    activation_ = tfl::ActivationFunctionType_NONE;
    if (ctx.node().op != nullptr) {
      if (const auto* o = ctx.node().op->builtin_options_as_DivOptions()) {
        activation_ = o->fused_activation_function();
      }
    }
    const Tensor& a = *ctx.input(0);
    const Tensor& b = *ctx.input(1);
    const Tensor& out = *ctx.output(0);
    type_ = a.type;
    switch (a.type) {
      case DataType::kFloat32: {
        const FloatRange r = FloatActivationRange(activation_);
        float_min_ = r.min;
        float_max_ = r.max;
        return OkStatus();
      }
      case DataType::kInt32:
        binary::IntActivationRange(activation_, &i32_min_, &i32_max_);
        return OkStatus();
      case DataType::kUInt8:
      case DataType::kInt8:
      case DataType::kInt16: {
        RETURN_IF_ERROR(binary::GetTensorQuant(ctx, a, "input 0", &qa_));
        RETURN_IF_ERROR(binary::GetTensorQuant(ctx, b, "input 1", &qb_));
        RETURN_IF_ERROR(binary::GetTensorQuant(ctx, out, "output", &qo_));
        params_.input1_offset = -qa_.zero_point;
        params_.input2_offset = -qb_.zero_point;
        params_.output_offset = qo_.zero_point;
        // TFLite computes the rescale factor in float before widening it.
        const float real = qa_.scale / (qb_.scale * qo_.scale);
        params_.output =
            reference::QuantizeMultiplier(static_cast<double>(real));
        ASSIGN_OR_RETURN(const QuantRange range,
                         QuantizedActivationRange(activation_, out));
        params_.act_min = range.min;
        params_.act_max = range.max;
        // Same shapes (after padding with 1s): no broadcast needed.
        same_shape_ = plan_.rank <= 1 &&
                      (plan_.rank == 0 ||
                       (plan_.strides[0][0] != 0 && plan_.strides[1][0] != 0));
        return OkStatus();
      }
      default:
        return ctx.Unimplemented("DIV does not support " + TypeName(a.type));
    }
  }

  Status Eval(KernelContext& ctx) override {
    switch (type_) {
      case DataType::kFloat32: {
        const float lo = float_min_, hi = float_max_;
        EvalBroadcast<float, float>(ctx, plan_, [=](float x, float y) {
          return binary::ClampFloat(x / y, lo, hi);
        });
        return OkStatus();
      }
      case DataType::kInt32: {
        RETURN_IF_ERROR(CheckNoZeroDivisor<int32_t, int32_t>(ctx, 0));
        const int32_t lo = i32_min_, hi = i32_max_;
        EvalBroadcast<int32_t, int32_t>(ctx, plan_, [=](int32_t x, int32_t y) {
          const int32_t q =
              y == -1 ? reference::WrappingSub<int32_t>(0, x) : x / y;
          return binary::Clamp(q, lo, hi);
        });
        return OkStatus();
      }
      case DataType::kUInt8:
        return EvalQuantized<uint8_t>(ctx);
      case DataType::kInt8:
        return EvalQuantized<int8_t>(ctx);
      case DataType::kInt16:
        if (same_shape_) return EvalInt16Float(ctx);
        return EvalQuantized<int16_t>(ctx);
      default:
        return ctx.Unimplemented("DIV does not support " + TypeName(type_));
    }
  }

 private:
  template <typename T>
  Status EvalQuantized(KernelContext& ctx) {
    RETURN_IF_ERROR(CheckNoZeroDivisor<T, int32_t>(ctx, qb_.zero_point));
    const reference::QuantizedDivParams p = params_;
    EvalBroadcast<T, T>(ctx, plan_, [p](T x, T y) {
      return static_cast<T>(reference::QuantizedDiv(x, y, p));
    });
    return OkStatus();
  }

  // TFLite's int16 DIV without broadcasting dequantizes to float, divides
  // and requantizes.
  Status EvalInt16Float(KernelContext& ctx) {
    RETURN_IF_ERROR(CheckNoZeroDivisor<int16_t, int32_t>(ctx, qb_.zero_point));
    const binary::TensorQuant qa = qa_, qb = qb_, qo = qo_;
    const int32_t lo = params_.act_min, hi = params_.act_max;
    EvalBroadcast<int16_t, int16_t>(ctx, plan_, [=](int16_t x, int16_t y) {
      const float lhs = static_cast<float>(x - qa.zero_point) * qa.scale;
      const float rhs = static_cast<float>(y - qb.zero_point) * qb.scale;
      int32_t q;
      if (rhs == 0.0f) {
        q = lhs >= 0.0f ? hi : lo;
      } else {
        q = static_cast<int32_t>(std::round(lhs / rhs / qo.scale)) +
            qo.zero_point;
        q = binary::Clamp(q, lo, hi);
      }
      return static_cast<int16_t>(q);
    });
    return OkStatus();
  }

  reference::BroadcastPlan<2> plan_;
  DataType type_ = DataType::kFloat32;
  tfl::ActivationFunctionType activation_ = tfl::ActivationFunctionType_NONE;
  float float_min_ = 0, float_max_ = 0;
  int32_t i32_min_ = 0, i32_max_ = 0;
  bool same_shape_ = true;
  binary::TensorQuant qa_, qb_, qo_;
  reference::QuantizedDivParams params_;
};

}  // namespace

void RegisterDivKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_DIV, [] {
    return std::unique_ptr<OpKernel>(new DivKernel());
  });
}

}  // namespace edgerun::kernels
