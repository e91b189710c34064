// MUL: elementwise a * b with broadcasting and a fused activation.
//
// dtypes: float32; int32, int64 and unquantized int16 (wrap-around, the
// activation as a clamp); uint8/int8/int16 quantized (product of the offset
// inputs requantized with s1 * s2 / s_out; int16 needs zero points 0; for
// 8-bit, XNNPACK's float requantization, as the real TFLite runtime hands
// those nodes to XNNPACK, unless XNNPACK would refuse the scales);
// int16 x int16 -> uint8/int8 (TFLite's fixed-point Q0.15 product, same
// shapes only).
#include <cstdint>
#include <memory>
#include <optional>

#include "format/tflite_generated.h"
#include "kernels/kernel_api.h"
#include "kernels/op_util.h"
#include "kernels/ops/elementwise_binary.h"
#include "kernels/reference/binary_arithmetic.h"
#include "kernels/reference/broadcast.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

using binary::Clamp;
using binary::EvalBroadcast;

// Ownership: none beyond its parameters. Thread-safety: one instance per
// node, used by one thread at a time.
class MulKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* a = ctx.input(0);
    Tensor* out = ctx.output(0);
    RETURN_IF_ERROR(CheckPresent(ctx, a, "input 0"));
    RETURN_IF_ERROR(CheckPresent(ctx, out, "output"));
    std::optional<DataType> out_type;
    if (a->type == DataType::kInt16 &&
        (out->type == DataType::kInt8 || out->type == DataType::kUInt8)) {
      out_type = out->type;
    }
    RETURN_IF_ERROR(binary::PrepareBinary(ctx, out_type, &plan_));
    activation_ = tfl::ActivationFunctionType_NONE;
    if (ctx.node().op != nullptr) {
      if (const auto* o = ctx.node().op->builtin_options_as_MulOptions()) {
        activation_ = o->fused_activation_function();
      }
    }
    const Tensor& b = *ctx.input(1);
    switch (a->type) {
      case DataType::kFloat32: {
        const FloatRange r = FloatActivationRange(activation_);
        float_min_ = r.min;
        float_max_ = r.max;
        mode_ = Mode::kFloat;
        return OkStatus();
      }
      case DataType::kInt32:
        binary::IntActivationRange(activation_, &i32_min_, &i32_max_);
        mode_ = Mode::kInt32;
        return OkStatus();
      case DataType::kInt64:
        binary::IntActivationRange(activation_, &i64_min_, &i64_max_);
        mode_ = Mode::kInt64;
        return OkStatus();
      case DataType::kUInt8:
      case DataType::kInt8:
        mode_ = a->type == DataType::kUInt8 ? Mode::kQuantU8 : Mode::kQuantS8;
        return PrepareQuantized(ctx, *a, b, *out);
      case DataType::kInt16:
        if (out_type.has_value()) return PrepareInt16To8Bit(ctx, *out);
        if (!out->quant.quantized()) {
          int16_t lo, hi;
          binary::IntActivationRange<int16_t>(activation_, &lo, &hi);
          i32_min_ = lo;
          i32_max_ = hi;
          mode_ = Mode::kInt16Plain;
          return OkStatus();
        }
        mode_ = Mode::kQuant16;
        return PrepareQuantized(ctx, *a, b, *out);
      default:
        return ctx.Unimplemented("MUL does not support " + TypeName(a->type));
    }
  }

  Status Eval(KernelContext& ctx) override {
    switch (mode_) {
      case Mode::kFloat: {
        const float lo = float_min_, hi = float_max_;
        EvalBroadcast<float, float>(ctx, plan_, [=](float x, float y) {
          return binary::ClampFloat(x * y, lo, hi);
        });
        break;
      }
      case Mode::kInt32: {
        const int32_t lo = i32_min_, hi = i32_max_;
        EvalBroadcast<int32_t, int32_t>(ctx, plan_, [=](int32_t x, int32_t y) {
          return Clamp(reference::WrappingMul(x, y), lo, hi);
        });
        break;
      }
      case Mode::kInt64: {
        const int64_t lo = i64_min_, hi = i64_max_;
        EvalBroadcast<int64_t, int64_t>(ctx, plan_, [=](int64_t x, int64_t y) {
          return Clamp(reference::WrappingMul(x, y), lo, hi);
        });
        break;
      }
      case Mode::kInt16Plain: {
        const int16_t lo = static_cast<int16_t>(i32_min_);
        const int16_t hi = static_cast<int16_t>(i32_max_);
        EvalBroadcast<int16_t, int16_t>(ctx, plan_, [=](int16_t x, int16_t y) {
          return Clamp(reference::WrappingMul(x, y), lo, hi);
        });
        break;
      }
      case Mode::kQuantU8:
        EvalQuantized<uint8_t>(ctx);
        break;
      case Mode::kQuantS8:
        EvalQuantized<int8_t>(ctx);
        break;
      case Mode::kQuant16:
        EvalQuantized<int16_t>(ctx);
        break;
      case Mode::kXnnU8:
        EvalXnn<uint8_t>(ctx);
        break;
      case Mode::kXnnS8:
        EvalXnn<int8_t>(ctx);
        break;
      case Mode::kInt16ToU8:
        EvalInt16To8Bit<uint8_t>(ctx);
        break;
      case Mode::kInt16ToS8:
        EvalInt16To8Bit<int8_t>(ctx);
        break;
    }
    return OkStatus();
  }

 private:
  enum class Mode {
    kFloat,
    kInt32,
    kInt64,
    kInt16Plain,
    kQuantU8,
    kQuantS8,
    kQuant16,
    kInt16ToU8,
    kInt16ToS8,
    kXnnU8,
    kXnnS8
  };

  Status PrepareQuantized(KernelContext& ctx, const Tensor& a, const Tensor& b,
                          const Tensor& out) {
    binary::TensorQuant qa, qb, qo;
    RETURN_IF_ERROR(binary::GetTensorQuant(ctx, a, "input 0", &qa));
    RETURN_IF_ERROR(binary::GetTensorQuant(ctx, b, "input 1", &qb));
    RETURN_IF_ERROR(binary::GetTensorQuant(ctx, out, "output", &qo));
    if (a.type == DataType::kInt16 &&
        (qa.zero_point != 0 || qb.zero_point != 0 || qo.zero_point != 0)) {
      // The int16 product of offset inputs could overflow int32.
      return ctx.InvalidArgument("int16 MUL needs zero points 0");
    }
    params_.input1_offset = -qa.zero_point;
    params_.input2_offset = -qb.zero_point;
    params_.output_offset = qo.zero_point;
    // TFLite computes the rescale factor in float before widening it.
    const float real = qa.scale * qb.scale / qo.scale;
    params_.output = reference::QuantizeMultiplier(static_cast<double>(real));
    ASSIGN_OR_RETURN(const QuantRange range,
                     QuantizedActivationRange(activation_, out));
    params_.act_min = range.min;
    params_.act_max = range.max;
    if (a.type != DataType::kInt16 &&
        reference::MakeXnnMulParams(qa.scale, qa.zero_point, qb.scale,
                                    qb.zero_point, qo.scale, qo.zero_point,
                                    &xnn_)) {
      // What the real TFLite runtime computes (see binary_arithmetic.h).
      const QuantRange type_range = TypeRange(out.type);
      const FloatRange bounds = FloatActivationRange(activation_);
      xnn_.act_min = reference::XnnQuantizeBound(
          bounds.min, qo.scale, qo.zero_point, type_range.min, type_range.max);
      xnn_.act_max = reference::XnnQuantizeBound(
          bounds.max, qo.scale, qo.zero_point, type_range.min, type_range.max);
      mode_ = a.type == DataType::kUInt8 ? Mode::kXnnU8 : Mode::kXnnS8;
    }
    return OkStatus();
  }

  Status PrepareInt16To8Bit(KernelContext& ctx, const Tensor& out) {
    const Shape& sa = ctx.input(0)->shape;
    const Shape& sb = ctx.input(1)->shape;
    if (sa.NumElements() != sb.NumElements() ||
        sa.NumElements() != out.shape.NumElements()) {
      return ctx.Unimplemented(
          "int16 x int16 -> 8-bit MUL does not broadcast (shapes " +
          sa.ToString() + " and " + sb.ToString() + ")");
    }
    binary::TensorQuant qo;
    RETURN_IF_ERROR(binary::GetTensorQuant(ctx, out, "output", &qo));
    ASSIGN_OR_RETURN(const QuantRange range,
                     QuantizedActivationRange(activation_, out));
    params_.output_offset = qo.zero_point;
    params_.act_min = range.min;
    params_.act_max = range.max;
    mode_ = out.type == DataType::kUInt8 ? Mode::kInt16ToU8 : Mode::kInt16ToS8;
    return OkStatus();
  }

  template <typename T>
  void EvalQuantized(KernelContext& ctx) {
    const reference::QuantizedMulParams p = params_;
    EvalBroadcast<T, T>(ctx, plan_, [p](T x, T y) {
      return static_cast<T>(reference::QuantizedMul(x, y, p));
    });
  }

  template <typename T>
  void EvalXnn(KernelContext& ctx) {
    const reference::XnnMulParams p = xnn_;
    EvalBroadcast<T, T>(ctx, plan_, [p](T x, T y) {
      return static_cast<T>(reference::XnnMul(x, y, p));
    });
  }

  template <typename Out>
  void EvalInt16To8Bit(KernelContext& ctx) {
    const reference::QuantizedMulParams p = params_;
    EvalBroadcast<int16_t, Out>(ctx, plan_, [p](int16_t x, int16_t y) {
      return static_cast<Out>(reference::Int16MulTo8Bit(x, y, p.output_offset,
                                                        p.act_min, p.act_max));
    });
  }

  reference::BroadcastPlan<2> plan_;
  Mode mode_ = Mode::kFloat;
  tfl::ActivationFunctionType activation_ = tfl::ActivationFunctionType_NONE;
  float float_min_ = 0, float_max_ = 0;
  int32_t i32_min_ = 0, i32_max_ = 0;
  int64_t i64_min_ = 0, i64_max_ = 0;
  reference::QuantizedMulParams params_;
  reference::XnnMulParams xnn_;
};

}  // namespace

void RegisterMulKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_MUL, [] {
    return std::unique_ptr<OpKernel>(new MulKernel());
  });
}

}  // namespace edgerun::kernels
