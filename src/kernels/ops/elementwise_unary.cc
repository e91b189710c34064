// Element-wise unary math: FLOOR, CEIL, ROUND, NEG, SQRT, SIN, COS (float32;
// NEG also int32/int64), ABS (float32, int32, int16, quantized int8/int16),
// RSQRT (float32, quantized int8/int16), EXP and LOG (float32, quantized
// int8/int16 through TFLite's lookup tables).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/ops/unary_common.h"
#include "kernels/reference/fixed_point.h"
#include "kernels/reference/lut.h"
#include "kernels/reference/quantization.h"
#include "kernels/registry.h"

namespace edgerun::kernels::unary {
namespace {

using reference::MultiplyByQuantizedMultiplier;
using reference::QuantizedMultiplier;
using reference::QuantizeMultiplier;

// Round half to even, written as TFLite's reference RoundToNearest.
float RoundToNearest(float value) {
  const float floor_val = std::floor(value);
  const float diff = value - floor_val;
  if (diff < 0.5f || (diff == 0.5f && std::fmod(floor_val, 2.f) == 0.f)) {
    return floor_val;
  }
  return floor_val + 1.0f;
}

// A float32-only op given by a function.
class FloatUnaryKernel final : public OpKernel {
 public:
  explicit FloatUnaryKernel(float (*fn)(float)) : fn_(fn) {}

  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    return PrepareSameType(ctx, *input, *output, {DataType::kFloat32});
  }

  Status Eval(KernelContext& ctx) override {
    MapFloat(*ctx.input(0), *ctx.output(0), fn_);
    return OkStatus();
  }

 private:
  float (*fn_)(float);
};

float FloorF(float x) { return std::floor(x); }
float CeilF(float x) { return std::ceil(x); }
float SqrtF(float x) { return std::sqrt(x); }
float SinF(float x) { return std::sin(x); }
float CosF(float x) { return std::cos(x); }

template <float (*Fn)(float)>
std::unique_ptr<OpKernel> MakeFloat() {
  return std::make_unique<FloatUnaryKernel>(Fn);
}

// ------------------------------------------------------------------------ NEG

class NegKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    return PrepareSameType(
        ctx, *input, *output,
        {DataType::kFloat32, DataType::kInt32, DataType::kInt64});
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t n = input->NumElements();
    switch (input->type) {
      case DataType::kFloat32:
        Negate(input->data_as<float>(), output->data_as<float>(), n);
        break;
      case DataType::kInt32:
        NegateWrapping(input->data_as<int32_t>(), output->data_as<int32_t>(),
                       n);
        break;
      case DataType::kInt64:
        NegateWrapping(input->data_as<int64_t>(), output->data_as<int64_t>(),
                       n);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  static void Negate(const float* in, float* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = -in[i];
  }
  template <typename T>
  static void NegateWrapping(const T* in, T* out, int64_t n) {
    using U = std::make_unsigned_t<T>;
    for (int64_t i = 0; i < n; ++i) {
      out[i] = static_cast<T>(U{0} - static_cast<U>(in[i]));
    }
  }
};

// ------------------------------------------------------------------------ ABS

class AbsKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    RETURN_IF_ERROR(PrepareSameType(ctx, *input, *output,
                                    {DataType::kFloat32, DataType::kInt8,
                                     DataType::kInt16, DataType::kInt32}));
    quantized_ = input->type == DataType::kInt8 ||
                 (input->type == DataType::kInt16 && input->quant.quantized());
    if (!quantized_) return OkStatus();
    RETURN_IF_ERROR(CheckQuantizedUnary(ctx, *input, *output,
                                        /*int16_zero_points=*/true));
    const float in_scale = input->quant.scale0();
    const float out_scale = output->quant.scale0();
    needs_rescale_ = in_scale != out_scale;
    if (needs_rescale_) multiplier_ = QuantizeMultiplier(in_scale / out_scale);
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t n = input->NumElements();
    switch (input->type) {
      case DataType::kFloat32:
        MapFloat(*input, *output, [](float x) { return std::abs(x); });
        break;
      case DataType::kInt32: {
        const int32_t* in = input->data_as<int32_t>();
        int32_t* out = output->data_as<int32_t>();
        for (int64_t i = 0; i < n; ++i) {
          // abs(INT32_MIN) wraps to INT32_MIN, as in practice in TFLite.
          const uint32_t u = static_cast<uint32_t>(in[i]);
          out[i] = static_cast<int32_t>(in[i] < 0 ? 0u - u : u);
        }
        break;
      }
      case DataType::kInt8:
        Quantized(input->data_as<int8_t>(), output->data_as<int8_t>(), n,
                  *input, *output);
        break;
      case DataType::kInt16:
        if (quantized_) {
          Quantized(input->data_as<int16_t>(), output->data_as<int16_t>(), n,
                    *input, *output);
        } else {
          const int16_t* in = input->data_as<int16_t>();
          int16_t* out = output->data_as<int16_t>();
          for (int64_t i = 0; i < n; ++i) {
            out[i] =
                static_cast<int16_t>(std::abs(static_cast<int32_t>(in[i])));
          }
        }
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  void Quantized(const T* in, T* out, int64_t n, const Tensor& input,
                 const Tensor& output) const {
    constexpr int32_t kMin = std::numeric_limits<T>::min();
    constexpr int32_t kMax = std::numeric_limits<T>::max();
    const int32_t in_zp = input.quant.zero_point0();
    const int32_t out_zp = output.quant.zero_point0();
    for (int64_t i = 0; i < n; ++i) {
      const int32_t v = std::abs(static_cast<int32_t>(in[i]) - in_zp);
      const int32_t q =
          needs_rescale_
              ? MultiplyByQuantizedMultiplier(v, multiplier_) + out_zp
              : v + out_zp;
      out[i] = static_cast<T>(std::clamp(q, kMin, kMax));
    }
  }

  bool quantized_ = false;
  bool needs_rescale_ = false;
  QuantizedMultiplier multiplier_;
};

// ---------------------------------------------------------------------- RSQRT

class RsqrtKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    RETURN_IF_ERROR(PrepareSameType(
        ctx, *input, *output,
        {DataType::kFloat32, DataType::kInt8, DataType::kInt16}));
    if (input->type == DataType::kFloat32) return OkStatus();
    RETURN_IF_ERROR(CheckQuantizedUnary(ctx, *input, *output,
                                        /*int16_zero_points=*/true));
    const float in_scale = input->quant.scale0();
    const float out_scale = output->quant.scale0();
    if (input->type == DataType::kInt16) {
      table16_.resize(reference::kLut16Size);
      reference::PopulateLut16<float>(
          in_scale, 0, out_scale, 0,
          [out_scale](float v) {
            if (v <= 0.f)
              return std::numeric_limits<int16_t>::max() * out_scale;
            return 1.0f / std::sqrt(v);
          },
          table16_.data());
    } else {
      // 1 / (sqrt(in_scale) * out_scale): float product, double quotient.
      const float denom = std::sqrt(in_scale) * out_scale;
      multiplier_ = QuantizeMultiplier(1. / denom);
    }
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t n = input->NumElements();
    const int32_t in_zp = input->quant.zero_point0();
    switch (input->type) {
      case DataType::kFloat32:
        MapFloat(*input, *output, [](float x) { return 1.f / std::sqrt(x); });
        break;
      case DataType::kInt8: {
        const int8_t* in = input->data_as<int8_t>();
        int8_t* out = output->data_as<int8_t>();
        const int32_t out_zp = output->quant.zero_point0();
        for (int64_t i = 0; i < n; ++i) {
          if (in[i] < in_zp) {
            return ctx.InvalidArgument(
                "RSQRT is only defined for non-negative inputs");
          }
          const int32_t value = in[i] - in_zp;
          if (value == 0) {
            out[i] = std::numeric_limits<int8_t>::max();
            continue;
          }
          constexpr int kShift = 20;  // keeps the intermediate an integer
          int32_t inv_multiplier;
          int inv_shift;
          reference::InvSqrtQuantizedMultiplier(value, &inv_multiplier,
                                                &inv_shift);
          const int32_t data = MultiplyByQuantizedMultiplier(
              1, inv_multiplier, inv_shift + kShift);
          const int32_t q =
              MultiplyByQuantizedMultiplier(data, multiplier_.multiplier,
                                            multiplier_.shift - kShift) +
              out_zp;
          out[i] = static_cast<int8_t>(std::clamp(q, -128, 127));
        }
        break;
      }
      case DataType::kInt16: {
        const int16_t* in = input->data_as<int16_t>();
        for (int64_t i = 0; i < n; ++i) {
          if (in[i] < in_zp) {
            return ctx.InvalidArgument(
                "RSQRT is only defined for non-negative inputs");
          }
        }
        MapLut16(*input, *output, table16_.data());
        break;
      }
      default:
        break;
    }
    return OkStatus();
  }

 private:
  QuantizedMultiplier multiplier_;
  std::vector<int16_t> table16_;
};

// ------------------------------------------------------------------ EXP, LOG

// Float32 by formula, int8 / int16 through TFLite's lookup tables.
class LutMathKernel final : public OpKernel {
 public:
  enum class Function { kExp, kLog };
  explicit LutMathKernel(Function f) : f_(f) {}

  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    RETURN_IF_ERROR(PrepareSameType(
        ctx, *input, *output,
        {DataType::kFloat32, DataType::kInt8, DataType::kInt16}));
    if (input->type == DataType::kFloat32) return OkStatus();
    RETURN_IF_ERROR(
        CheckQuantizedUnary(ctx, *input, *output,
                            /*int16_zero_points=*/f_ == Function::kLog));
    const float in_scale = input->quant.scale0();
    const float out_scale = output->quant.scale0();
    const int32_t in_zp = input->quant.zero_point0();
    const int32_t out_zp = output->quant.zero_point0();
    // log(x <= 0) maps to the lowest representable output.
    const float output_min =
        static_cast<float>((input->type == DataType::kInt8 ? -128 : -32768) -
                           out_zp) *
        out_scale;
    auto fn = [this, output_min](float v) {
      if (f_ == Function::kExp) return std::exp(v);
      return v <= 0.f ? output_min : std::log(v);
    };
    if (input->type == DataType::kInt8) {
      PopulateLut8For(*input, *output, fn, table8_);
    } else {
      table16_.resize(reference::kLut16Size);
      reference::PopulateLut16<float>(in_scale, in_zp, out_scale, out_zp, fn,
                                      table16_.data());
    }
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    switch (input->type) {
      case DataType::kFloat32:
        if (f_ == Function::kExp) {
          MapFloat(*input, *output, [](float x) { return std::exp(x); });
        } else {
          MapFloat(*input, *output, [](float x) { return std::log(x); });
        }
        break;
      case DataType::kInt8:
        MapLut8<int8_t>(*input, *output, table8_);
        break;
      case DataType::kInt16:
        MapLut16(*input, *output, table16_.data());
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  Function f_;
  uint8_t table8_[reference::kLut8Size] = {};
  std::vector<int16_t> table16_;
};

std::unique_ptr<OpKernel> MakeExp() {
  return std::make_unique<LutMathKernel>(LutMathKernel::Function::kExp);
}
std::unique_ptr<OpKernel> MakeLog() {
  return std::make_unique<LutMathKernel>(LutMathKernel::Function::kLog);
}

}  // namespace

void RegisterElementwiseUnaryKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_FLOOR, &MakeFloat<FloorF>);
  registry.AddBuiltin(tfl::BuiltinOperator_CEIL, &MakeFloat<CeilF>);
  registry.AddBuiltin(tfl::BuiltinOperator_ROUND, &MakeFloat<RoundToNearest>);
  registry.AddBuiltin(tfl::BuiltinOperator_SQRT, &MakeFloat<SqrtF>);
  registry.AddBuiltin(tfl::BuiltinOperator_SIN, &MakeFloat<SinF>);
  registry.AddBuiltin(tfl::BuiltinOperator_COS, &MakeFloat<CosF>);
  registry.AddBuiltin(tfl::BuiltinOperator_NEG, &Make<NegKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_ABS, &Make<AbsKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_RSQRT, &Make<RsqrtKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_EXP, &MakeExp);
  registry.AddBuiltin(tfl::BuiltinOperator_LOG, &MakeLog);
}

}  // namespace edgerun::kernels::unary
