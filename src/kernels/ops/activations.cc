// RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1, LEAKY_RELU, PRELU, HARD_SWISH,
// ELU, GELU for float32 and the quantized types TFLite supports for each.
// Multipliers are derived from the scales exactly as TFLite derives them
// (including where it divides the float scales in float).
#include "kernels/reference/activations.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/ops/unary_common.h"
#include "kernels/reference/lut.h"
#include "kernels/reference/quantization.h"
#include "kernels/reference/xnnpack_quantized.h"
#include "kernels/registry.h"

namespace edgerun::kernels::unary {
namespace {

using reference::QuantizedMultiplier;
using reference::QuantizeMultiplier;

constexpr float kInf = std::numeric_limits<float>::infinity();

// ---------------------------------------------------------------- RELU family

// RELU-style clamp to [act_min, act_max] (real values); quantized inputs are
// requantized to the output scale first. Holds precomputed parameters only.
class ReluKernel final : public OpKernel {
 public:
  ReluKernel(float act_min, float act_max, bool allow_int16)
      : act_min_(act_min), act_max_(act_max), allow_int16_(allow_int16) {}

  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    if (allow_int16_) {
      RETURN_IF_ERROR(PrepareSameType(ctx, *input, *output,
                                      {DataType::kFloat32, DataType::kUInt8,
                                       DataType::kInt8, DataType::kInt16}));
    } else {
      RETURN_IF_ERROR(PrepareSameType(
          ctx, *input, *output,
          {DataType::kFloat32, DataType::kUInt8, DataType::kInt8}));
    }
    if (input->type == DataType::kFloat32) return OkStatus();
    RETURN_IF_ERROR(CheckQuantizedUnary(ctx, *input, *output,
                                        /*int16_zero_points=*/true));
    // float / float, widened: as in TFLite's ReluPrepare.
    const float real = input->quant.scale0() / output->quant.scale0();
    multiplier_ = QuantizeMultiplier(real);
    const QuantRange range = TypeRange(output->type);
    const float out_scale = output->quant.scale0();
    const int32_t out_zp = output->quant.zero_point0();
    act_min_q_ = std::max(
        range.min,
        out_zp + static_cast<int32_t>(std::round(act_min_ / out_scale)));
    act_max_q_ = act_max_ == kInf
                     ? range.max
                     : std::min(range.max,
                                out_zp + static_cast<int32_t>(
                                             std::round(act_max_ / out_scale)));
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t n = input->NumElements();
    const int32_t in_zp = input->quant.zero_point0();
    const int32_t out_zp = output->quant.zero_point0();
    switch (input->type) {
      case DataType::kFloat32: {
        const float lo = act_min_, hi = act_max_;
        MapFloat(*input, *output,
                 [lo, hi](float x) { return std::min(std::max(x, lo), hi); });
        break;
      }
      case DataType::kUInt8:
        reference::QuantizedReluX(input->data_as<uint8_t>(),
                                  output->data_as<uint8_t>(), n, in_zp, out_zp,
                                  multiplier_, act_min_q_, act_max_q_);
        break;
      case DataType::kInt8:
        reference::QuantizedReluX(input->data_as<int8_t>(),
                                  output->data_as<int8_t>(), n, in_zp, out_zp,
                                  multiplier_, act_min_q_, act_max_q_);
        break;
      case DataType::kInt16:
        reference::QuantizedReluX(input->data_as<int16_t>(),
                                  output->data_as<int16_t>(), n, in_zp, out_zp,
                                  multiplier_, act_min_q_, act_max_q_);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  float act_min_;
  float act_max_;
  bool allow_int16_;
  QuantizedMultiplier multiplier_;
  int32_t act_min_q_ = 0;
  int32_t act_max_q_ = 0;
};

std::unique_ptr<OpKernel> MakeRelu() {
  return std::make_unique<ReluKernel>(0.f, kInf, true);
}
std::unique_ptr<OpKernel> MakeRelu6() {
  return std::make_unique<ReluKernel>(0.f, 6.f, true);
}
std::unique_ptr<OpKernel> MakeReluN1To1() {
  return std::make_unique<ReluKernel>(-1.f, 1.f, false);
}
std::unique_ptr<OpKernel> MakeRelu0To1() {
  return std::make_unique<ReluKernel>(0.f, 1.f, false);
}

// ----------------------------------------------------------------- LEAKY_RELU

class LeakyReluKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    RETURN_IF_ERROR(PrepareSameType(ctx, *input, *output,
                                    {DataType::kFloat32, DataType::kUInt8,
                                     DataType::kInt8, DataType::kInt16}));
    alpha_ = 0.f;
    if (ctx.node().op != nullptr) {
      if (const auto* o =
              ctx.node().op->builtin_options_as_LeakyReluOptions()) {
        alpha_ = o->alpha();
      }
    }
    if (input->type == DataType::kFloat32) return OkStatus();
    RETURN_IF_ERROR(CheckQuantizedUnary(ctx, *input, *output,
                                        /*int16_zero_points=*/true));
    const float in_scale = input->quant.scale0();
    const float out_scale = output->quant.scale0();
    // Both products/quotients are float, then widened (TFLite's Prepare).
    const float alpha_real = in_scale * std::abs(alpha_) / out_scale;
    const float identity_real = in_scale / out_scale;
    params_.alpha = QuantizeMultiplier(alpha_real);
    params_.alpha_negative = alpha_ < 0.f;
    params_.identity = QuantizeMultiplier(identity_real);
    params_.input_zp = input->quant.zero_point0();
    params_.output_zp = output->quant.zero_point0();
    // 8-bit nodes that TFLite's XNNPACK delegate takes get its arithmetic.
    use_xnnpack_ = input->type != DataType::kInt16 &&
                   reference::XnnpackLeakyReluApplies(in_scale, out_scale,
                                                      alpha_, &xnnpack_params_);
    xnnpack_params_.input_zero_point = params_.input_zp;
    xnnpack_params_.output_zero_point = params_.output_zp;
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t n = input->NumElements();
    switch (input->type) {
      case DataType::kFloat32: {
        const float alpha = alpha_;
        MapFloat(*input, *output,
                 [alpha](float x) { return x > 0 ? x : x * alpha; });
        break;
      }
      case DataType::kUInt8:
        Run8(input->data_as<uint8_t>(), output->data_as<uint8_t>(), n);
        break;
      case DataType::kInt8:
        Run8(input->data_as<int8_t>(), output->data_as<int8_t>(), n);
        break;
      case DataType::kInt16:
        reference::QuantizedLeakyRelu(params_, input->data_as<int16_t>(),
                                      output->data_as<int16_t>(), n);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  void Run8(const T* in, T* out, int64_t n) const {
    if (use_xnnpack_) {
      reference::XnnpackLeakyRelu(xnnpack_params_, in, out, n);
    } else {
      reference::QuantizedLeakyRelu(params_, in, out, n);
    }
  }

  float alpha_ = 0.f;
  reference::LeakyReluParams params_;
  bool use_xnnpack_ = false;
  reference::XnnpackLeakyReluParams xnnpack_params_;
};

// ---------------------------------------------------------------------- PRELU

// out = x >= 0 ? x : x * alpha, alpha broadcast to the input's shape.
class PreluKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* input = ctx.input(0);
    const Tensor* alpha = ctx.input(1);
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(CheckPresent(ctx, alpha, "alpha"));
    RETURN_IF_ERROR(CheckPresent(ctx, output, "output"));
    if (!TypeIn(input->type,
                {DataType::kFloat32, DataType::kUInt8, DataType::kInt8})) {
      return ctx.Unimplemented("input type " + TypeName(input->type) +
                               " is not supported");
    }
    if (alpha->type != input->type || output->type != input->type) {
      return ctx.InvalidArgument("input, alpha and output types must match");
    }
    // The broadcast shape must be the input's shape.
    const int rank = input->shape.rank();
    if (alpha->shape.rank() > rank) {
      return ctx.InvalidArgument("alpha shape " + alpha->shape.ToString() +
                                 " does not broadcast to input shape " +
                                 input->shape.ToString());
    }
    alpha_strides_.assign(rank, 0);
    int64_t stride = 1;
    for (int a = alpha->shape.rank() - 1, i = rank - 1; a >= 0; --a, --i) {
      const int32_t ad = alpha->shape.dim(a);
      if (ad != 1 && ad != input->shape.dim(i)) {
        return ctx.InvalidArgument("alpha shape " + alpha->shape.ToString() +
                                   " does not broadcast to input shape " +
                                   input->shape.ToString());
      }
      alpha_strides_[i] = ad == 1 ? 0 : stride;
      stride *= ad;
    }
    if (input->type != DataType::kFloat32) {
      RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *input, "input"));
      RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *alpha, "alpha"));
      RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *output, "output"));
      const float in_scale = input->quant.scale0();
      const float out_scale = output->quant.scale0();
      const float real1 = in_scale / out_scale;
      const float real2 = in_scale * alpha->quant.scale0() / out_scale;
      multiplier_identity_ = QuantizeMultiplier(real1);
      multiplier_alpha_ = QuantizeMultiplier(real2);
    }
    return ctx.ResizeOutput(0, input->shape);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    const Tensor* alpha = ctx.input(1);
    Tensor* output = ctx.output(0);
    switch (input->type) {
      case DataType::kFloat32:
        Run(*input, *alpha, [&](int64_t i, int64_t a) {
          const float x = input->data_as<float>()[i];
          output->data_as<float>()[i] =
              x >= 0.f ? x : x * alpha->data_as<float>()[a];
        });
        break;
      case DataType::kUInt8:
        RunQuantized<uint8_t>(*input, *alpha, *output);
        break;
      case DataType::kInt8:
        RunQuantized<int8_t>(*input, *alpha, *output);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  // Calls fn(input_index, alpha_index) for every element, in order.
  template <typename Fn>
  void Run(const Tensor& input, const Tensor& alpha, Fn&& fn) const {
    const int rank = input.shape.rank();
    const int64_t n = input.NumElements();
    if (n == 0) return;
    if (alpha.NumElements() == n) {
      for (int64_t i = 0; i < n; ++i) fn(i, i);
      return;
    }
    std::vector<int32_t> index(rank, 0);
    int64_t a = 0;
    for (int64_t i = 0; i < n; ++i) {
      fn(i, a);
      for (int d = rank - 1; d >= 0; --d) {
        if (++index[d] < input.shape.dim(d)) {
          a += alpha_strides_[d];
          break;
        }
        a -= alpha_strides_[d] * (input.shape.dim(d) - 1);
        index[d] = 0;
      }
    }
  }

  template <typename T>
  void RunQuantized(const Tensor& input, const Tensor& alpha,
                    Tensor& output) const {
    const T* in = input.data_as<T>();
    const T* al = alpha.data_as<T>();
    T* out = output.data_as<T>();
    const int32_t in_zp = input.quant.zero_point0();
    const int32_t alpha_zp = alpha.quant.zero_point0();
    const int32_t out_zp = output.quant.zero_point0();
    constexpr int32_t kMin = std::numeric_limits<T>::min();
    constexpr int32_t kMax = std::numeric_limits<T>::max();
    Run(input, alpha, [&](int64_t i, int64_t a) {
      const int32_t x = static_cast<int32_t>(in[i]) - in_zp;
      int32_t v;
      if (x >= 0) {
        v = reference::MultiplyByQuantizedMultiplier(x, multiplier_identity_);
      } else {
        const int32_t alpha_v = static_cast<int32_t>(al[a]) - alpha_zp;
        v = reference::MultiplyByQuantizedMultiplier(x * alpha_v,
                                                     multiplier_alpha_);
      }
      out[i] = static_cast<T>(std::clamp(v + out_zp, kMin, kMax));
    });
  }

  std::vector<int64_t> alpha_strides_;
  QuantizedMultiplier multiplier_identity_;
  QuantizedMultiplier multiplier_alpha_;
};

// ----------------------------------------------------------------- HARD_SWISH

class HardSwishKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    RETURN_IF_ERROR(PrepareSameType(
        ctx, *input, *output,
        {DataType::kFloat32, DataType::kUInt8, DataType::kInt8}));
    if (input->type == DataType::kFloat32) return OkStatus();
    RETURN_IF_ERROR(CheckQuantizedUnary(ctx, *input, *output,
                                        /*int16_zero_points=*/false));
    params_.input_zero_point = static_cast<int16_t>(input->quant.zero_point0());
    params_.output_zero_point =
        static_cast<int16_t>(output->quant.zero_point0());
    const float hires_input_scale = (1.0f / 128.0f) * input->quant.scale0();
    const float reluish_scale = 3.0f / 32768.0f;
    const float output_multiplier = hires_input_scale / output->quant.scale0();
    const QuantizedMultiplier om = QuantizeMultiplier(output_multiplier);
    params_.output_multiplier_fixedpoint_int16 =
        reference::DownScaleMultiplierToInt16(om.multiplier);
    params_.output_multiplier_exponent = om.shift;
    if (om.shift > 0) {
      return ctx.Unimplemented(
          "output scale is too small relative to the input scale");
    }
    const float reluish_multiplier = hires_input_scale / reluish_scale;
    const QuantizedMultiplier rm = QuantizeMultiplier(reluish_multiplier);
    params_.reluish_multiplier_fixedpoint_int16 =
        reference::DownScaleMultiplierToInt16(rm.multiplier);
    params_.reluish_multiplier_exponent = rm.shift;
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t n = input->NumElements();
    switch (input->type) {
      case DataType::kFloat32:
        MapFloat(*input, *output, [](float x) {
          return x * std::min(6.f, std::max(0.f, x + 3)) / 6;
        });
        break;
      case DataType::kUInt8:
        reference::QuantizedHardSwish(params_, input->data_as<uint8_t>(),
                                      output->data_as<uint8_t>(), n);
        break;
      case DataType::kInt8:
        reference::QuantizedHardSwish(params_, input->data_as<int8_t>(),
                                      output->data_as<int8_t>(), n);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  reference::HardSwishParams params_;
};

// ------------------------------------------------------------------ ELU, GELU

// Float32 by formula; 8-bit types through a 256-entry table of the same
// float function. Owns its table.
class LutActivationKernel : public OpKernel {
 public:
  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    switch (input->type) {
      case DataType::kFloat32:
        MapFloat(*input, *output, [this](float x) { return Apply(x); });
        break;
      case DataType::kUInt8:
        MapLut8<uint8_t>(*input, *output, table_);
        break;
      case DataType::kInt8:
        MapLut8<int8_t>(*input, *output, table_);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 protected:
  virtual float Apply(float x) const = 0;

  Status PrepareWith(KernelContext& ctx,
                     std::initializer_list<DataType> types) {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    RETURN_IF_ERROR(PrepareSameType(ctx, *input, *output, types));
    if (input->type == DataType::kFloat32) return OkStatus();
    RETURN_IF_ERROR(CheckQuantizedUnary(ctx, *input, *output,
                                        /*int16_zero_points=*/false));
    PopulateLut8For(
        *input, *output, [this](float x) { return Apply(x); }, table_);
    return OkStatus();
  }

 private:
  uint8_t table_[reference::kLut8Size] = {};
};

class EluKernel final : public LutActivationKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    return PrepareWith(ctx, {DataType::kFloat32, DataType::kInt8});
  }

 protected:
  float Apply(float x) const override { return x < 0.f ? std::expm1(x) : x; }
};

class GeluKernel final : public LutActivationKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    approximate_ = false;
    if (ctx.node().op != nullptr) {
      if (const auto* o = ctx.node().op->builtin_options_as_GeluOptions()) {
        approximate_ = o->approximate();
      }
    }
    return PrepareWith(ctx,
                       {DataType::kFloat32, DataType::kUInt8, DataType::kInt8});
  }

 protected:
  float Apply(float x) const override {
    return approximate_ ? reference::GeluApproximate(x)
                        : reference::GeluExact(x);
  }

 private:
  bool approximate_ = false;
};

}  // namespace

void RegisterActivationKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_RELU, &MakeRelu);
  registry.AddBuiltin(tfl::BuiltinOperator_RELU6, &MakeRelu6);
  registry.AddBuiltin(tfl::BuiltinOperator_RELU_N1_TO_1, &MakeReluN1To1);
  registry.AddBuiltin(tfl::BuiltinOperator_RELU_0_TO_1, &MakeRelu0To1);
  registry.AddBuiltin(tfl::BuiltinOperator_LEAKY_RELU, &Make<LeakyReluKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_PRELU, &Make<PreluKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_HARD_SWISH, &Make<HardSwishKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_ELU, &Make<EluKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_GELU, &Make<GeluKernel>);
}

}  // namespace edgerun::kernels::unary
