// ADD and SUB kernel (one template: the two ops share TFLite's rescaling
// scheme and differ only in sign, options table and a few checks).
// Included by add.cc and sub.cc only.
//
// dtypes: float32, int32, int64 (wrap-around, fused activation as a clamp);
// uint8/int8 (XNNPACK's rescaling, as the real TFLite runtime delegates
// these nodes to XNNPACK, or TFLite's reference rescaling with left_shift
// 20 when XNNPACK would refuse the scales); int16 quantized with zero
// points 0 (general
// rescaling with left_shift 15, or the power-of-two path when the options
// ask for pot_scale_int16 and every scale is a power of two); int16 without
// quantization (ADD only: plain wrap-around add).
//
// Ownership: none beyond its precomputed parameters. Thread-safety: one
// instance per node, used by one thread at a time.
#ifndef EDGERUN_KERNELS_OPS_ADD_SUB_H_
#define EDGERUN_KERNELS_OPS_ADD_SUB_H_

#include <cstdint>
#include <memory>

#include "format/tflite_generated.h"
#include "kernels/kernel_api.h"
#include "kernels/op_util.h"
#include "kernels/ops/elementwise_binary.h"
#include "kernels/reference/binary_arithmetic.h"
#include "kernels/reference/broadcast.h"

namespace edgerun::kernels::binary {

template <bool kSub>
class AddSubKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(PrepareBinary(ctx, std::nullopt, &plan_));
    ReadOptions(ctx);
    const Tensor& a = *ctx.input(0);
    const Tensor& b = *ctx.input(1);
    const Tensor& out = *ctx.output(0);
    switch (a.type) {
      case DataType::kFloat32: {
        const FloatRange r = FloatActivationRange(activation_);
        float_min_ = r.min;
        float_max_ = r.max;
        mode_ = Mode::kFloat;
        return OkStatus();
      }
      case DataType::kInt32:
        IntActivationRange(activation_, &i32_min_, &i32_max_);
        mode_ = Mode::kInt32;
        return OkStatus();
      case DataType::kInt64:
        IntActivationRange(activation_, &i64_min_, &i64_max_);
        mode_ = Mode::kInt64;
        return OkStatus();
      case DataType::kUInt8:
      case DataType::kInt8:
        mode_ = a.type == DataType::kUInt8 ? Mode::kQuantU8 : Mode::kQuantS8;
        return PrepareGeneral(ctx, a, b, out, /*left_shift=*/20);
      case DataType::kInt16:
        return PrepareInt16(ctx, a, b, out);
      default:
        return ctx.Unimplemented(std::string(kSub ? "SUB" : "ADD") +
                                 " does not support " + TypeName(a.type));
    }
  }

  Status Eval(KernelContext& ctx) override {
    const bool sub = kSub;
    switch (mode_) {
      case Mode::kFloat: {
        const float lo = float_min_, hi = float_max_;
        EvalBroadcast<float, float>(ctx, plan_, [=](float x, float y) {
          return ClampFloat(sub ? x - y : x + y, lo, hi);
        });
        break;
      }
      case Mode::kInt32: {
        const int32_t lo = i32_min_, hi = i32_max_;
        EvalBroadcast<int32_t, int32_t>(ctx, plan_, [=](int32_t x, int32_t y) {
          return Clamp(
              sub ? reference::WrappingSub(x, y) : reference::WrappingAdd(x, y),
              lo, hi);
        });
        break;
      }
      case Mode::kInt64: {
        const int64_t lo = i64_min_, hi = i64_max_;
        EvalBroadcast<int64_t, int64_t>(ctx, plan_, [=](int64_t x, int64_t y) {
          return Clamp(
              sub ? reference::WrappingSub(x, y) : reference::WrappingAdd(x, y),
              lo, hi);
        });
        break;
      }
      case Mode::kInt16Plain: {
        const int16_t lo = static_cast<int16_t>(i32_min_);
        const int16_t hi = static_cast<int16_t>(i32_max_);
        EvalBroadcast<int16_t, int16_t>(ctx, plan_, [=](int16_t x, int16_t y) {
          return Clamp(reference::WrappingAdd(x, y), lo, hi);
        });
        break;
      }
      case Mode::kQuantU8:
        EvalGeneral<uint8_t>(ctx);
        break;
      case Mode::kQuantS8:
        EvalGeneral<int8_t>(ctx);
        break;
      case Mode::kXnnU8:
        EvalXnn<uint8_t>(ctx);
        break;
      case Mode::kXnnS8:
        EvalXnn<int8_t>(ctx);
        break;
      case Mode::kQuant16:
        EvalGeneral<int16_t>(ctx);
        break;
      case Mode::kPot16: {
        const reference::PotAddSubParams p = pot_;
        EvalBroadcast<int16_t, int16_t>(ctx, plan_, [=](int16_t x, int16_t y) {
          return reference::PotAddSub(x, y, p, sub);
        });
        break;
      }
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
    kPot16,
    kXnnU8,
    kXnnS8
  };

  void ReadOptions(const KernelContext& ctx) {
    activation_ = tfl::ActivationFunctionType_NONE;
    pot_scale_int16_ = false;  // TFLite's default when options are absent
    const tfl::Operator* op = ctx.node().op;
    if (op == nullptr) return;
    if constexpr (kSub) {
      if (const auto* o = op->builtin_options_as_SubOptions()) {
        activation_ = o->fused_activation_function();
        pot_scale_int16_ = o->pot_scale_int16();
      }
    } else {
      if (const auto* o = op->builtin_options_as_AddOptions()) {
        activation_ = o->fused_activation_function();
        pot_scale_int16_ = o->pot_scale_int16();
      }
    }
  }

  Status PrepareGeneral(KernelContext& ctx, const Tensor& a, const Tensor& b,
                        const Tensor& out, int left_shift) {
    TensorQuant qa, qb, qo;
    RETURN_IF_ERROR(GetTensorQuant(ctx, a, "input 0", &qa));
    RETURN_IF_ERROR(GetTensorQuant(ctx, b, "input 1", &qb));
    RETURN_IF_ERROR(GetTensorQuant(ctx, out, "output", &qo));
    if constexpr (kSub) {
      // TFLite's sub.cc range-checks every zero point.
      switch (out.type) {
        case DataType::kUInt8:
          RETURN_IF_ERROR(CheckZeroPointInRange<uint8_t>(ctx, qa, "input 0"));
          RETURN_IF_ERROR(CheckZeroPointInRange<uint8_t>(ctx, qb, "input 1"));
          RETURN_IF_ERROR(CheckZeroPointInRange<uint8_t>(ctx, qo, "output"));
          break;
        case DataType::kInt8:
          RETURN_IF_ERROR(CheckZeroPointInRange<int8_t>(ctx, qa, "input 0"));
          RETURN_IF_ERROR(CheckZeroPointInRange<int8_t>(ctx, qb, "input 1"));
          RETURN_IF_ERROR(CheckZeroPointInRange<int8_t>(ctx, qo, "output"));
          break;
        default:
          RETURN_IF_ERROR(CheckZeroPointInRange<int16_t>(ctx, qa, "input 0"));
          RETURN_IF_ERROR(CheckZeroPointInRange<int16_t>(ctx, qb, "input 1"));
          RETURN_IF_ERROR(CheckZeroPointInRange<int16_t>(ctx, qo, "output"));
          break;
      }
    }
    double real_output = 0;
    params_ = reference::MakeQuantizedAddSubParams(
        qa.scale, qa.zero_point, qb.scale, qb.zero_point, qo.scale,
        qo.zero_point, left_shift, &real_output);
    if (!kSub && !(real_output < 1.0)) {
      // TFLite's add.cc aborts here (QuantizeMultiplierSmallerThanOneExp).
      return ctx.InvalidArgument(
          "output scale " + std::to_string(qo.scale) +
          " is too small for the input scales (rescale factor >= 1)");
    }
    ASSIGN_OR_RETURN(const QuantRange range,
                     QuantizedActivationRange(activation_, out));
    params_.act_min = range.min;
    params_.act_max = range.max;
    if (out.type != DataType::kInt16 &&
        reference::MakeXnnAddParams(qa.scale, qa.zero_point, qb.scale,
                                    qb.zero_point, qo.scale, qo.zero_point,
                                    kSub, &xnn_)) {
      // What the real TFLite runtime computes (see binary_arithmetic.h).
      const QuantRange type_range = TypeRange(out.type);
      const FloatRange bounds = FloatActivationRange(activation_);
      xnn_.act_min = reference::XnnQuantizeBound(
          bounds.min, qo.scale, qo.zero_point, type_range.min, type_range.max);
      xnn_.act_max = reference::XnnQuantizeBound(
          bounds.max, qo.scale, qo.zero_point, type_range.min, type_range.max);
      mode_ = out.type == DataType::kUInt8 ? Mode::kXnnU8 : Mode::kXnnS8;
    }
    return OkStatus();
  }

  Status PrepareInt16(KernelContext& ctx, const Tensor& a, const Tensor& b,
                      const Tensor& out) {
    const bool any_quantized =
        a.quant.quantized() || b.quant.quantized() || out.quant.quantized();
    if (!any_quantized) {
      if (kSub) {
        return ctx.Unimplemented("SUB on int16 needs quantized tensors");
      }
      int16_t lo, hi;
      IntActivationRange<int16_t>(activation_, &lo, &hi);
      i32_min_ = lo;
      i32_max_ = hi;
      mode_ = Mode::kInt16Plain;
      return OkStatus();
    }
    TensorQuant qa, qb, qo;
    RETURN_IF_ERROR(GetTensorQuant(ctx, a, "input 0", &qa));
    RETURN_IF_ERROR(GetTensorQuant(ctx, b, "input 1", &qb));
    RETURN_IF_ERROR(GetTensorQuant(ctx, out, "output", &qo));
    // TFLite (as the oracle runs it) accepts only symmetric int16.
    if (qa.zero_point != 0 || qb.zero_point != 0 || qo.zero_point != 0) {
      return ctx.InvalidArgument(std::string("int16 ") +
                                 (kSub ? "SUB" : "ADD") +
                                 " needs zero points 0");
    }
    int log_a = 0, log_b = 0, log_o = 0;
    const bool pot = pot_scale_int16_ &&
                     reference::CheckedLog2(qa.scale, &log_a) &&
                     reference::CheckedLog2(qb.scale, &log_b) &&
                     reference::CheckedLog2(qo.scale, &log_o);
    if (!pot) {
      mode_ = Mode::kQuant16;
      return PrepareGeneral(ctx, a, b, out, /*left_shift=*/15);
    }
    // Power-of-two path (LSTM cells): one input may be shifted right to
    // the output scale, the other must already match it.
    pot_.input1_shift = log_a - log_o;
    pot_.input2_shift = log_b - log_o;
    if ((pot_.input1_shift != 0 && pot_.input2_shift != 0) ||
        pot_.input1_shift > 0 || pot_.input2_shift > 0) {
      return ctx.InvalidArgument(
          "int16 power-of-two scales: only one input may have a smaller "
          "scale than the output, the other must match it");
    }
    ASSIGN_OR_RETURN(const QuantRange range,
                     QuantizedActivationRange(activation_, out));
    pot_.act_min = range.min;
    pot_.act_max = range.max;
    mode_ = Mode::kPot16;
    return OkStatus();
  }

  template <typename T>
  void EvalGeneral(KernelContext& ctx) {
    const reference::QuantizedAddSubParams p = params_;
    EvalBroadcast<T, T>(ctx, plan_, [p](T x, T y) {
      return static_cast<T>(reference::QuantizedAddSub(x, y, p, kSub));
    });
  }

  template <typename T>
  void EvalXnn(KernelContext& ctx) {
    const reference::XnnAddParams p = xnn_;
    EvalBroadcast<T, T>(ctx, plan_, [p](T x, T y) {
      return static_cast<T>(reference::XnnAdd(x, y, p));
    });
  }

  reference::BroadcastPlan<2> plan_;
  Mode mode_ = Mode::kFloat;
  tfl::ActivationFunctionType activation_ = tfl::ActivationFunctionType_NONE;
  bool pot_scale_int16_ = false;
  float float_min_ = 0, float_max_ = 0;
  int32_t i32_min_ = 0, i32_max_ = 0;
  int64_t i64_min_ = 0, i64_max_ = 0;
  reference::QuantizedAddSubParams params_;
  reference::PotAddSubParams pot_;
  reference::XnnAddParams xnn_;
};

}  // namespace edgerun::kernels::binary

#endif  // EDGERUN_KERNELS_OPS_ADD_SUB_H_
