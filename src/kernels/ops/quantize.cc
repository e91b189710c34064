// QUANTIZE: float32 -> uint8/int8/int16/int4 (per-tensor, or per-channel
// along quantized_dimension), and requantization between integer types:
// uint8/int8 -> uint8/int8, int16 -> int8/int16/int32, int32 -> int8/int16.
// Requantization is TFLite's: (q - zp_in) * M (double-rounding fixed point)
// + zp_out, clamped. Per-tensor float -> 8-bit and same-type 8-bit
// requantization use the XNNPACK delegate's arithmetic instead, as the TFLite
// runtime does (see reference/xnnpack_quantized.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/ops/unary_common.h"
#include "kernels/reference/quantization.h"
#include "kernels/reference/xnnpack_quantized.h"
#include "kernels/registry.h"

namespace edgerun::kernels::unary {
namespace {

using reference::MultiplyByQuantizedMultiplier;
using reference::QuantizedMultiplier;

// float -> int32 the way a WebAssembly/x86 build of TFLite ends up doing it
// for finite values; NaN becomes 0. Out-of-range values saturate (they are
// clamped to the output type right after).
inline int32_t SaturatingFloatToInt32(float v) {
  if (!(v == v)) return 0;
  if (v >= 2147483648.f) return std::numeric_limits<int32_t>::max();
  if (v < -2147483648.f) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(v);
}

// round(v / scale) + zero_point, clamped to [lo, hi]. The division is in
// float, as in TFLite's AffineQuantize.
inline int32_t QuantizeValue(float v, float scale, int32_t zero_point,
                             int32_t lo, int32_t hi) {
  const int32_t unclamped = static_cast<int32_t>(
      static_cast<uint32_t>(SaturatingFloatToInt32(std::round(v / scale)) +
                            static_cast<int64_t>(zero_point)));
  return std::clamp(unclamped, lo, hi);
}

template <typename Out>
void AffineQuantize(const float* in, Out* out, int64_t n, float scale,
                    int32_t zero_point, int32_t lo, int32_t hi) {
  for (int64_t i = 0; i < n; ++i) {
    out[i] = static_cast<Out>(QuantizeValue(in[i], scale, zero_point, lo, hi));
  }
}

template <typename Out>
void PerChannelQuantize(const float* in, Out* out, const Shape& shape, int axis,
                        const std::vector<float>& scales,
                        const std::vector<int32_t>& zero_points, int32_t lo,
                        int32_t hi) {
  const int64_t outer = shape.FlatSize(0, axis);
  const int channels = shape.dim(axis);
  const int64_t inner = shape.FlatSize(axis + 1, shape.rank());
  int64_t i = 0;
  for (int64_t o = 0; o < outer; ++o) {
    for (int c = 0; c < channels; ++c) {
      for (int64_t k = 0; k < inner; ++k, ++i) {
        out[i] = static_cast<Out>(
            QuantizeValue(in[i], scales[c], zero_points[c], lo, hi));
      }
    }
  }
}

template <typename In, typename Out>
void Requantize(const In* in, Out* out, int64_t n, QuantizedMultiplier m,
                int32_t input_zp, int32_t output_zp) {
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (int64_t i = 0; i < n; ++i) {
    // Wraps like TFLite's int32 arithmetic for extreme int32 inputs.
    const int32_t diff = static_cast<int32_t>(static_cast<uint32_t>(
        static_cast<int64_t>(in[i]) - static_cast<int64_t>(input_zp)));
    const int32_t scaled = MultiplyByQuantizedMultiplier(diff, m);
    const int32_t q = static_cast<int32_t>(
        static_cast<uint32_t>(static_cast<int64_t>(scaled) + output_zp));
    out[i] = static_cast<Out>(std::clamp(q, kMin, kMax));
  }
}

// Owns nothing but precomputed parameters.
class QuantizeKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    const DataType in = input->type;
    const DataType out = output->type;
    if (!output->quant.quantized()) {
      return ctx.InvalidArgument("output has no quantization parameters");
    }
    bool supported = false;
    if (in == DataType::kFloat32) {
      supported = TypeIn(out, {DataType::kUInt8, DataType::kInt8,
                               DataType::kInt16, DataType::kInt4});
    } else if (in == DataType::kInt16) {
      supported =
          TypeIn(out, {DataType::kInt8, DataType::kInt16, DataType::kInt32});
    } else if (in == DataType::kInt32) {
      supported = TypeIn(out, {DataType::kInt8, DataType::kInt16});
    } else if (in == DataType::kInt8 || in == DataType::kUInt8) {
      supported = TypeIn(out, {DataType::kInt8, DataType::kUInt8});
    }
    if (!supported) {
      return ctx.Unimplemented("input " + TypeName(in) + " with output " +
                               TypeName(out) + " is not supported");
    }
    range_ = out == DataType::kInt4 ? QuantRange{-8, 7} : TypeRange(out);
    per_channel_ = false;
    xnnpack_float_ = false;
    xnnpack_requantize_ = false;
    if (in == DataType::kFloat32) {
      const QuantParams& q = output->quant;
      if (q.scale.size() > 1) {
        if (out == DataType::kInt4) {
          return ctx.Unimplemented("per-channel int4 output is not supported");
        }
        RETURN_IF_ERROR(GetPerChannelQuantization(
            ctx, q, input->shape, "output", &axis_, &scales_, &zero_points_));
        per_channel_ = true;
        for (float s : scales_) {
          if (!(s > 0.f) || !std::isfinite(s)) {
            return ctx.InvalidArgument("output has an invalid scale");
          }
        }
      } else {
        RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *output, "output"));
        xnnpack_float_ = (out == DataType::kUInt8 || out == DataType::kInt8) &&
                         std::isnormal(output->quant.scale0());
      }
    } else {
      RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *input, "input"));
      RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *output, "output"));
      const double effective = static_cast<double>(input->quant.scale0()) /
                               static_cast<double>(output->quant.scale0());
      multiplier_ = reference::QuantizeMultiplier(effective);
      xnnpack_requantize_ = in == out &&
                            (in == DataType::kUInt8 || in == DataType::kInt8) &&
                            reference::XnnpackRequantizeApplies(
                                input->quant.scale0(), output->quant.scale0());
      if (xnnpack_requantize_) {
        xnnpack_multiplier_ = reference::XnnpackQ8Multiplier(
            input->quant.scale0() / output->quant.scale0());
      }
      if (in == DataType::kInt16 && out == DataType::kInt16) {
        RETURN_IF_ERROR(CheckZeroPoint(ctx, *input, 0, "input"));
        RETURN_IF_ERROR(CheckZeroPoint(ctx, *output, 0, "output"));
      }
    }
    return ctx.ResizeOutput(0, input->shape);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t n = input->NumElements();
    if (n == 0) return OkStatus();
    if (input->type == DataType::kFloat32) {
      return QuantizeFloat(*input, *output, n);
    }
    const int32_t in_zp = input->quant.zero_point0();
    const int32_t out_zp = output->quant.zero_point0();
    if (xnnpack_requantize_) {
      if (input->type == DataType::kUInt8) {
        reference::XnnpackRequantize(input->data_as<uint8_t>(),
                                     output->data_as<uint8_t>(), n,
                                     xnnpack_multiplier_, in_zp, out_zp);
      } else {
        reference::XnnpackRequantize(input->data_as<int8_t>(),
                                     output->data_as<int8_t>(), n,
                                     xnnpack_multiplier_, in_zp, out_zp);
      }
      return OkStatus();
    }
    switch (input->type) {
      case DataType::kUInt8:
        return RequantizeTo(input->data_as<uint8_t>(), *output, n, in_zp,
                            out_zp);
      case DataType::kInt8:
        return RequantizeTo(input->data_as<int8_t>(), *output, n, in_zp,
                            out_zp);
      case DataType::kInt16:
        return RequantizeTo(input->data_as<int16_t>(), *output, n, in_zp,
                            out_zp);
      case DataType::kInt32:
        return RequantizeTo(input->data_as<int32_t>(), *output, n, in_zp,
                            out_zp);
      default:
        return OkStatus();  // rejected in Prepare
    }
  }

 private:
  Status QuantizeFloat(const Tensor& input, Tensor& output, int64_t n) {
    const float* in = input.data_as<float>();
    if (per_channel_) {
      switch (output.type) {
        case DataType::kUInt8:
          PerChannelQuantize(in, output.data_as<uint8_t>(), input.shape, axis_,
                             scales_, zero_points_, range_.min, range_.max);
          break;
        case DataType::kInt8:
          PerChannelQuantize(in, output.data_as<int8_t>(), input.shape, axis_,
                             scales_, zero_points_, range_.min, range_.max);
          break;
        case DataType::kInt16:
          PerChannelQuantize(in, output.data_as<int16_t>(), input.shape, axis_,
                             scales_, zero_points_, range_.min, range_.max);
          break;
        default:
          break;
      }
      return OkStatus();
    }
    const float scale = output.quant.scale0();
    const int32_t zp = output.quant.zero_point0();
    if (xnnpack_float_) {
      if (output.type == DataType::kUInt8) {
        reference::XnnpackQuantizeFloat(in, output.data_as<uint8_t>(), n, scale,
                                        zp);
      } else {
        reference::XnnpackQuantizeFloat(in, output.data_as<int8_t>(), n, scale,
                                        zp);
      }
      return OkStatus();
    }
    switch (output.type) {
      case DataType::kUInt8:
        AffineQuantize(in, output.data_as<uint8_t>(), n, scale, zp, range_.min,
                       range_.max);
        break;
      case DataType::kInt8:
      case DataType::kInt4:  // unpacked in memory, one value per byte
        AffineQuantize(in, output.data_as<int8_t>(), n, scale, zp, range_.min,
                       range_.max);
        break;
      case DataType::kInt16:
        AffineQuantize(in, output.data_as<int16_t>(), n, scale, zp, range_.min,
                       range_.max);
        break;
      default:
        break;
    }
    return OkStatus();
  }

  template <typename In>
  Status RequantizeTo(const In* in, Tensor& output, int64_t n, int32_t in_zp,
                      int32_t out_zp) {
    switch (output.type) {
      case DataType::kUInt8:
        Requantize(in, output.data_as<uint8_t>(), n, multiplier_, in_zp,
                   out_zp);
        break;
      case DataType::kInt8:
        Requantize(in, output.data_as<int8_t>(), n, multiplier_, in_zp, out_zp);
        break;
      case DataType::kInt16:
        Requantize(in, output.data_as<int16_t>(), n, multiplier_, in_zp,
                   out_zp);
        break;
      case DataType::kInt32:
        Requantize(in, output.data_as<int32_t>(), n, multiplier_, in_zp,
                   out_zp);
        break;
      default:
        break;
    }
    return OkStatus();
  }

  QuantRange range_{0, 0};
  bool per_channel_ = false;
  int axis_ = 0;
  std::vector<float> scales_;
  std::vector<int32_t> zero_points_;
  QuantizedMultiplier multiplier_;
  bool xnnpack_float_ = false;
  bool xnnpack_requantize_ = false;
  int32_t xnnpack_multiplier_ = 0;
};

}  // namespace

void RegisterQuantizeKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_QUANTIZE, &Make<QuantizeKernel>);
}

}  // namespace edgerun::kernels::unary
