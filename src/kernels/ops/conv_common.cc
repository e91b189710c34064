#include "kernels/ops/conv_common.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "kernels/op_util.h"
#include "kernels/reference/quantization.h"

namespace edgerun::kernels {
namespace {

// Per-tensor scale and zero point of an activation tensor.
Status CheckActivationQuant(const KernelContext& ctx, const Tensor& t,
                            const char* what) {
  if (!t.quant.quantized()) {
    return ctx.InvalidArgument(std::string(what) + " '" + t.name +
                               "' has no quantization parameters");
  }
  if (t.quant.per_channel()) {
    return ctx.Unimplemented(std::string(what) +
                             " with per-channel quantization");
  }
  if (!(t.quant.scale0() > 0.f) || !std::isfinite(t.quant.scale0())) {
    return ctx.InvalidArgument(std::string(what) +
                               " scale must be positive, got " +
                               std::to_string(t.quant.scale0()));
  }
  const QuantRange range = TypeRange(t.type);
  const int64_t zp = t.quant.zero_point.empty() ? 0 : t.quant.zero_point[0];
  if (zp < range.min || zp > range.max) {
    return ctx.InvalidArgument(std::string(what) + " zero point " +
                               std::to_string(zp) + " is outside the " +
                               TypeName(t.type) + " range");
  }
  if (t.type == DataType::kInt16 && zp != 0) {
    return ctx.InvalidArgument(std::string(what) +
                               " int16 zero point must be 0 (symmetric)");
  }
  return OkStatus();
}

// XNNPACK's quantization of an activation bound (xnn_qu8_quantize /
// xnn_qs8_quantize): val / scale + zero_point in float, clamped to the type,
// rounded to nearest even.
int32_t XnnpackQuantizeBound(float value, const Tensor& t) {
  const QuantRange range = TypeRange(t.type);
  float f =
      value / t.quant.scale0() + static_cast<float>(t.quant.zero_point0());
  f = std::min(std::max(f, static_cast<float>(range.min)),
               static_cast<float>(range.max));
  return static_cast<int32_t>(std::nearbyint(f));
}

// The delegate's CheckAffineQuantization plus its zero-point rules.
bool XnnpackQuantOk(const Tensor& t, bool per_channel_ok, int channel_dim,
                    bool zero_points_must_be_zero) {
  const QuantParams& q = t.quant;
  if (q.scale.empty() || q.zero_point.empty()) return false;
  if (q.zero_point.size() != 1 && q.zero_point.size() != q.scale.size())
    return false;
  for (float s : q.scale) {
    if (!std::isnormal(s) || s <= 0.f) return false;
  }
  if (q.scale.size() > 1) {
    if (!per_channel_ok || q.quantized_dimension != channel_dim ||
        channel_dim >= t.shape.rank() ||
        static_cast<size_t>(t.shape.dim(channel_dim)) != q.scale.size()) {
      return false;
    }
  }
  const QuantRange range = TypeRange(t.type);
  for (int64_t zp : q.zero_point) {
    if (zero_points_must_be_zero ? zp != 0
                                 : (zp < range.min || zp > range.max)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool XnnpackTakesConv(const KernelContext& ctx, ConvKind kind,
                      const Tensor& input, const Tensor& filter,
                      const Tensor* bias, const Tensor& output,
                      int depth_multiplier_option) {
  if (input.type != DataType::kUInt8 && input.type != DataType::kInt8)
    return false;
  // Three inputs with a constant filter and bias.
  if (ctx.num_inputs() != 3 || bias == nullptr || !filter.is_constant ||
      !bias->is_constant || bias->type != DataType::kInt32) {
    return false;
  }
  const int channel_dim = kind == ConvKind::kConv2D ? 0 : 3;
  const bool filter_per_channel_ok = filter.type == DataType::kInt8;
  if (!XnnpackQuantOk(input, false, 0, false) ||
      !XnnpackQuantOk(output, false, 0, false) ||
      !XnnpackQuantOk(filter, filter_per_channel_ok, channel_dim,
                      filter.quant.per_channel()) ||
      !XnnpackQuantOk(*bias, true, 0, true)) {
    return false;
  }
  if (kind == ConvKind::kDepthwise) {
    const int out_c = filter.shape.dim(3);
    if (depth_multiplier_option <= 0 || out_c % depth_multiplier_option != 0 ||
        out_c / depth_multiplier_option != input.shape.dim(3)) {
      return false;
    }
  }
  return true;
}

Status CheckConvTypes(const KernelContext& ctx, ConvKind kind,
                      const Tensor& input, const Tensor& filter,
                      const Tensor* bias, const Tensor& output) {
  if (output.type != input.type) {
    return ctx.InvalidArgument("output type " + TypeName(output.type) +
                               " differs from input type " +
                               TypeName(input.type));
  }
  DataType want_filter;
  bool bias_ok = bias == nullptr;
  switch (input.type) {
    case DataType::kFloat32:
      if (filter.type == DataType::kInt8 || filter.type == DataType::kUInt8) {
        return ctx.Unimplemented("hybrid float32 input with " +
                                 TypeName(filter.type) + " filter");
      }
      want_filter = DataType::kFloat32;
      bias_ok = bias_ok || bias->type == DataType::kFloat32;
      break;
    case DataType::kUInt8:
      want_filter = DataType::kUInt8;
      bias_ok = bias_ok || bias->type == DataType::kInt32;
      break;
    case DataType::kInt8:
      want_filter = DataType::kInt8;
      bias_ok = bias_ok || bias->type == DataType::kInt32;
      break;
    case DataType::kInt16:
      want_filter = DataType::kInt8;
      bias_ok = bias_ok || bias->type == DataType::kInt64 ||
                (kind == ConvKind::kConv2D && bias->type == DataType::kInt32);
      break;
    default:
      return ctx.Unimplemented("input type " + TypeName(input.type));
  }
  if (filter.type != want_filter) {
    if (filter.type == DataType::kInt4) {
      return ctx.Unimplemented("int4 filter");
    }
    return ctx.InvalidArgument("filter type " + TypeName(filter.type) +
                               " does not fit input type " +
                               TypeName(input.type));
  }
  if (!bias_ok) {
    return ctx.InvalidArgument("bias type " + TypeName(bias->type) +
                               " does not fit input type " +
                               TypeName(input.type));
  }
  return OkStatus();
}

Status PrepareConvQuantization(const KernelContext& ctx, ConvKind kind,
                               const Tensor& input, const Tensor& filter,
                               const Tensor* bias, const Tensor& output,
                               tfl::ActivationFunctionType activation,
                               int out_channels, bool xnnpack,
                               ConvQuantization* q) {
  RETURN_IF_ERROR(CheckActivationQuant(ctx, input, "input"));
  RETURN_IF_ERROR(CheckActivationQuant(ctx, output, "output"));
  const QuantParams& fq = filter.quant;
  if (!fq.quantized()) {
    return ctx.InvalidArgument("filter '" + filter.name +
                               "' has no quantization parameters");
  }
  const int channel_dim = kind == ConvKind::kConv2D ? 0 : 3;
  const size_t num_scales = fq.scale.size();
  if (num_scales != 1 && num_scales != static_cast<size_t>(out_channels)) {
    return ctx.InvalidArgument("filter has " + std::to_string(num_scales) +
                               " scales for " + std::to_string(out_channels) +
                               " output channels");
  }
  if (num_scales > 1 && fq.quantized_dimension != channel_dim) {
    return ctx.InvalidArgument("filter quantized_dimension must be " +
                               std::to_string(channel_dim) + ", got " +
                               std::to_string(fq.quantized_dimension));
  }
  if (!fq.zero_point.empty() && fq.zero_point.size() != 1 &&
      fq.zero_point.size() != num_scales) {
    return ctx.InvalidArgument(
        "filter has " + std::to_string(fq.zero_point.size()) +
        " zero points for " + std::to_string(num_scales) + " scales");
  }
  if (filter.type == DataType::kUInt8) {
    if (num_scales > 1) {
      return ctx.Unimplemented("uint8 filter with per-channel quantization");
    }
    const int64_t zp = fq.zero_point.empty() ? 0 : fq.zero_point[0];
    if (zp < 0 || zp > 255) {
      return ctx.InvalidArgument("filter zero point " + std::to_string(zp) +
                                 " is outside the uint8 range");
    }
    q->filter_offset = static_cast<int32_t>(-zp);
  } else {
    // int8 filters (int8 and 16x8 kernels) are symmetric; TFLite ignores
    // a filter zero point in the math, so it must be 0.
    for (int64_t zp : fq.zero_point) {
      if (zp != 0) {
        return ctx.InvalidArgument("int8 filter zero points must be 0, got " +
                                   std::to_string(zp));
      }
    }
    q->filter_offset = 0;
  }
  q->input_offset = -input.quant.zero_point0();
  q->output_offset = output.quant.zero_point0();

  const double input_scale = static_cast<double>(input.quant.scale0());
  const double output_scale = static_cast<double>(output.quant.scale0());
  const bool wide_accumulator = input.type == DataType::kInt16 &&
                                bias != nullptr &&
                                bias->type == DataType::kInt64;
  const bool int16_default = input.type == DataType::kInt16 && bias == nullptr;
  q->multiplier.resize(out_channels);
  q->shift.resize(out_channels);
  q->fp32_scale.resize(out_channels);
  for (int c = 0; c < out_channels; ++c) {
    const float filter_scale = fq.scale[num_scales > 1 ? c : 0];
    if (!(filter_scale >= 0.f) || !std::isfinite(filter_scale)) {
      return ctx.InvalidArgument("filter scale must be non-negative, got " +
                                 std::to_string(filter_scale));
    }
    const double effective =
        input_scale * static_cast<double>(filter_scale) / output_scale;
    const reference::QuantizedMultiplier m =
        reference::QuantizeMultiplier(effective);
    // The 64-bit requantization shifts right by 15 - shift; keep it defined.
    if ((wide_accumulator || int16_default) && m.shift > 14) {
      return ctx.InvalidArgument("effective output scale " +
                                 std::to_string(effective) + " is too large");
    }
    q->multiplier[c] = m.multiplier;
    q->shift[c] = m.shift;
    q->fp32_scale[c] =
        input.quant.scale0() * filter_scale / output.quant.scale0();
  }
  ASSIGN_OR_RETURN(QuantRange range,
                   QuantizedActivationRange(activation, output));
  // XNNPACK refuses requantization scales of 256 and more (the node then
  // runs TFLite's kernel).
  q->use_fp32 = xnnpack;
  for (float scale : q->fp32_scale) {
    if (!(scale < 256.f)) q->use_fp32 = false;
  }
  if (q->use_fp32) {
    const FloatRange bounds = FloatActivationRange(activation);
    range.min = XnnpackQuantizeBound(bounds.min, output);
    range.max = XnnpackQuantizeBound(bounds.max, output);
  }
  if (range.min > range.max) {
    return ctx.InvalidArgument("empty fused activation range");
  }
  q->act_min = range.min;
  q->act_max = range.max;
  return OkStatus();
}

Status GetConvTensors(KernelContext& ctx, ConvKind kind, ConvTensors* t) {
  RETURN_IF_ERROR(CheckArity(ctx, 2, 3, 1));
  t->input = ctx.input(0);
  t->filter = ctx.input(1);
  t->bias = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
  t->output = ctx.output(0);
  RETURN_IF_ERROR(CheckRank(ctx, t->input, 4, "input"));
  RETURN_IF_ERROR(CheckRank(ctx, t->filter, 4, "filter"));
  RETURN_IF_ERROR(CheckPresent(ctx, t->output, "output"));
  return CheckConvTypes(ctx, kind, *t->input, *t->filter, t->bias, *t->output);
}

Status CheckConvBiasSize(const KernelContext& ctx, const Tensor* bias,
                         int out_channels) {
  if (bias != nullptr && bias->NumElements() != out_channels) {
    return ctx.InvalidArgument(
        "bias has " + std::to_string(bias->NumElements()) + " elements for " +
        std::to_string(out_channels) + " output channels");
  }
  return OkStatus();
}

Status PrepareConvOutput(KernelContext& ctx, ConvKind kind,
                         const ConvTensors& t,
                         tfl::ActivationFunctionType activation,
                         int depth_multiplier_option,
                         const reference::ConvShape& s, float* float_min,
                         float* float_max, ConvQuantization* quant) {
  if (t.input->type == DataType::kFloat32) {
    const FloatRange range = FloatActivationRange(activation);
    *float_min = range.min;
    *float_max = range.max;
  } else {
    const bool xnnpack =
        XnnpackTakesConv(ctx, kind, *t.input, *t.filter, t.bias, *t.output,
                         depth_multiplier_option);
    RETURN_IF_ERROR(PrepareConvQuantization(ctx, kind, *t.input, *t.filter,
                                            t.bias, *t.output, activation,
                                            s.out_c, xnnpack, quant));
  }
  return ctx.ResizeOutput(0, Shape({s.batches, s.out_h, s.out_w, s.out_c}));
}

void SetConvOutputStage(const ConvQuantization& quant, int out_channels,
                        const Tensor* bias, optimized::OutputStage8& stage) {
  stage.Set(out_channels, bias ? bias->data_as<int32_t>() : nullptr,
            quant.multiplier.data(), quant.shift.data(), quant.output_offset,
            quant.act_min, quant.act_max,
            quant.use_fp32 ? quant.fp32_scale.data() : nullptr);
}

SharedKey ConvPackKey(std::string_view kind, const Tensor& filter,
                      const Tensor* bias, const ConvQuantization& quant) {
  SharedKey key(kind);
  key.AddConstant(&filter).AddConstant(bias);
  key.Add(quant.filter_offset).Add(quant.output_offset);
  key.Add(quant.act_min).Add(quant.act_max).Add(quant.use_fp32);
  key.Add(quant.multiplier).Add(quant.shift);
  if (quant.use_fp32) key.Add(quant.fp32_scale);
  return key;
}

Status ComputeConvWindow(const KernelContext& ctx, tfl::Padding padding,
                         int stride_h, int stride_w, int dilation_h,
                         int dilation_w, reference::ConvShape* s) {
  if (stride_h <= 0 || stride_w <= 0) {
    return ctx.InvalidArgument("strides must be positive, got " +
                               std::to_string(stride_h) + "x" +
                               std::to_string(stride_w));
  }
  if (dilation_h <= 0 || dilation_w <= 0) {
    return ctx.InvalidArgument("dilations must be positive, got " +
                               std::to_string(dilation_h) + "x" +
                               std::to_string(dilation_w));
  }
  if (padding != tfl::Padding_SAME && padding != tfl::Padding_VALID) {
    return ctx.InvalidArgument("unknown padding " + std::to_string(padding));
  }
  if (s->filter_h <= 0 || s->filter_w <= 0) {
    return ctx.InvalidArgument("filter height and width must be positive");
  }
  // Effective filter extent must stay in int range.
  const int64_t eff_h = static_cast<int64_t>(s->filter_h - 1) * dilation_h + 1;
  const int64_t eff_w = static_cast<int64_t>(s->filter_w - 1) * dilation_w + 1;
  constexpr int64_t kMaxExtent = std::numeric_limits<int32_t>::max() / 2;
  if (eff_h > kMaxExtent || eff_w > kMaxExtent || stride_h > kMaxExtent ||
      stride_w > kMaxExtent || s->in_h > kMaxExtent || s->in_w > kMaxExtent) {
    return ctx.InvalidArgument("image, filter extent or stride too large");
  }
  s->stride_h = stride_h;
  s->stride_w = stride_w;
  s->dilation_h = dilation_h;
  s->dilation_w = dilation_w;
  s->out_h =
      ComputeOutSize(padding, s->in_h, s->filter_h, stride_h, dilation_h);
  s->out_w =
      ComputeOutSize(padding, s->in_w, s->filter_w, stride_w, dilation_w);
  if (s->out_h < 0 || s->out_w < 0) {
    return ctx.InvalidArgument("input " + std::to_string(s->in_h) + "x" +
                               std::to_string(s->in_w) +
                               " is smaller than the VALID filter window");
  }
  int offset = 0;
  s->pad_h = ComputePadding(stride_h, dilation_h, s->in_h, s->filter_h,
                            s->out_h, &offset);
  s->pad_w = ComputePadding(stride_w, dilation_w, s->in_w, s->filter_w,
                            s->out_w, &offset);
  return OkStatus();
}

}  // namespace edgerun::kernels
