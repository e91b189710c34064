// Validation and quantization setup shared by CONV_2D and
// DEPTHWISE_CONV_2D, following TFLite's Prepare (conv.cc, depthwise_conv.cc
// and PopulateConvolutionQuantizationParams).
// Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_OPS_CONV_COMMON_H_
#define EDGERUN_KERNELS_OPS_CONV_COMMON_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"
#include "format/tflite_generated.h"
#include "kernels/kernel_api.h"
#include "kernels/optimized/conv_8bit.h"
#include "kernels/reference/conv.h"

namespace edgerun::kernels {

// Which filter dimension holds the output channels.
enum class ConvKind { kConv2D, kDepthwise };

// Per-output-channel requantization of a quantized convolution.
struct ConvQuantization {
  std::vector<int32_t> multiplier;  // [out_c]
  std::vector<int> shift;           // [out_c], > 0 = left shift
  // XNNPACK's float multipliers, input_scale * filter_scale / output_scale
  // evaluated in float (see optimized::OutputStage8).
  std::vector<float> fp32_scale;  // [out_c]
  bool use_fp32 = false;          // requantize with fp32_scale
  int32_t input_offset = 0;       // -input zero point
  int32_t filter_offset = 0;      // -filter zero point (uint8 only)
  int32_t output_offset = 0;      // output zero point
  int32_t act_min = 0;
  int32_t act_max = 0;

  reference::ConvQuant view() const {
    reference::ConvQuant q;
    q.input_offset = input_offset;
    q.filter_offset = filter_offset;
    q.output_offset = output_offset;
    q.multiplier = multiplier.data();
    q.shift = shift.data();
    q.fp32_scale = use_fp32 ? fp32_scale.data() : nullptr;
    q.act_min = act_min;
    q.act_max = act_max;
    return q;
  }
};

// Whether TensorFlow Lite's default XNNPACK delegate takes this 8-bit
// CONV_2D / DEPTHWISE_CONV_2D node (the delegate's own acceptance rules:
// constant filter and bias present, normal positive scales, zero points
// present and valid, per-channel along the output channels). TFLite then
// computes it with XNNPACK's fp32 requantization, not its reference fixed
// point, and so must we to give the same bytes: see
// reference::RequantizeFp32. `depth_multiplier_option` is the DEPTHWISE
// option field (ignored for CONV_2D).
bool XnnpackTakesConv(const KernelContext& ctx, ConvKind kind,
                      const Tensor& input, const Tensor& filter,
                      const Tensor* bias, const Tensor& output,
                      int depth_multiplier_option);

// Checks the dtypes of input, filter, bias (may be null) and output:
// float32 / uint8 / int8 / int16-activations-with-int8-filter, bias
// float32 / int32 / int32 / int64 (or int32 for CONV_2D 16x8).
Status CheckConvTypes(const KernelContext& ctx, ConvKind kind,
                      const Tensor& input, const Tensor& filter,
                      const Tensor* bias, const Tensor& output);

// For quantized types: checks the quantization parameters (per-tensor
// input/output, per-tensor or per-channel filter along the output-channel
// dimension, zero points in range and zero where TFLite requires it) and
// computes TFLite's per-channel multipliers and the activation range. With
// `xnnpack` (see XnnpackTakesConv) it selects XNNPACK's arithmetic: float
// multipliers and XNNPACK's activation range, unless a multiplier is out of
// the range XNNPACK accepts.
Status PrepareConvQuantization(const KernelContext& ctx, ConvKind kind,
                               const Tensor& input, const Tensor& filter,
                               const Tensor* bias, const Tensor& output,
                               tfl::ActivationFunctionType activation,
                               int out_channels, bool xnnpack,
                               ConvQuantization* q);

// Fills the window geometry of `s` (its sizes already set): validates
// strides and dilations, computes the output size and leading padding.
Status ComputeConvWindow(const KernelContext& ctx, tfl::Padding padding,
                         int stride_h, int stride_w, int dilation_h,
                         int dilation_w, reference::ConvShape* s);

// The tensors of a CONV_2D / DEPTHWISE_CONV_2D node (bias optional), after
// checking arity, ranks, presence and dtypes (CheckConvTypes).
struct ConvTensors {
  const Tensor* input = nullptr;
  const Tensor* filter = nullptr;
  const Tensor* bias = nullptr;
  Tensor* output = nullptr;
};
Status GetConvTensors(KernelContext& ctx, ConvKind kind, ConvTensors* t);

// The bias, when present, has one element per output channel.
Status CheckConvBiasSize(const KernelContext& ctx, const Tensor* bias,
                         int out_channels);

// The end of both convolutions' Prepare, once `s` is complete: the float
// activation range (float32) or the quantization (XnnpackTakesConv, then
// PrepareConvQuantization), then the output shape.
Status PrepareConvOutput(KernelContext& ctx, ConvKind kind,
                         const ConvTensors& t,
                         tfl::ActivationFunctionType activation,
                         int depth_multiplier_option,
                         const reference::ConvShape& s, float* float_min,
                         float* float_max, ConvQuantization* quant);

// Loads the requantization of `quant` (and the int32 bias) into an 8-bit
// optimized kernel's output stage.
void SetConvOutputStage(const ConvQuantization& quant, int out_channels,
                        const Tensor* bias, optimized::OutputStage8& stage);

// The SharedKey of data packed from a constant filter and bias with
// `quant`'s output stage: everything SetConvOutputStage and the packers
// read.
SharedKey ConvPackKey(std::string_view kind, const Tensor& filter,
                      const Tensor* bias, const ConvQuantization& quant);

class KernelRegistry;
// DEPTHWISE_CONV_2D (depthwise_conv_2d.cc); RegisterConvKernels (ops.h)
// registers it together with CONV_2D.
void RegisterDepthwiseConv2DKernels(KernelRegistry& registry);

}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_OPS_CONV_COMMON_H_
