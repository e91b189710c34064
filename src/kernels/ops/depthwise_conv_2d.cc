// DEPTHWISE_CONV_2D: float32, uint8 (per-tensor), int8 (per-tensor or
// per-channel filter) and int16 activations with int8 filters and int64
// bias, with fused activation, SAME/VALID padding, strides, dilation, any
// depth multiplier and an optional bias.
//
// 8-bit convolutions with depth multiplier 1 (MobileNet's) run the
// channel-vectorized kernel of kernels/optimized/conv_8bit.h (constant
// weights packed once, shared by every interpreter of the model); the rest
// run kernels/reference/conv.h. As in TFLite, the depth multiplier is
// out_channels / in_channels; the option field only matters for whether
// the XNNPACK delegate would take the node. Arithmetic as in conv_2d.cc:
// XNNPACK's fp32 requantization where TFLite's default delegate runs the
// node, TFLite's reference fixed point elsewhere.
#include <limits>
#include <memory>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/conv_common.h"
#include "kernels/ops/ops.h"
#include "kernels/optimized/conv_8bit.h"
#include "kernels/reference/conv.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

constexpr int64_t kMaxTaps = int64_t{1} << 24;

class DepthwiseConv2DKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    ConvTensors t;
    RETURN_IF_ERROR(GetConvTensors(ctx, ConvKind::kDepthwise, &t));
    const Tensor* input = t.input;
    const Tensor* filter = t.filter;
    const Tensor* bias = t.bias;

    const tfl::DepthwiseConv2DOptions* options =
        ctx.node().op != nullptr
            ? ctx.node().op->builtin_options_as_DepthwiseConv2DOptions()
            : nullptr;
    if (options == nullptr)
      return ctx.InvalidArgument("missing DepthwiseConv2DOptions");
    const tfl::ActivationFunctionType activation =
        options->fused_activation_function();

    if (filter->shape.dim(0) != 1) {
      return ctx.InvalidArgument("filter must be [1, h, w, channels], got " +
                                 filter->shape.ToString());
    }
    reference::ConvShape s;
    s.batches = input->shape.dim(0);
    s.in_h = input->shape.dim(1);
    s.in_w = input->shape.dim(2);
    s.in_c = input->shape.dim(3);
    s.filter_h = filter->shape.dim(1);
    s.filter_w = filter->shape.dim(2);
    s.out_c = filter->shape.dim(3);
    if (s.in_c <= 0 || s.out_c % s.in_c != 0) {
      return ctx.InvalidArgument("filter channels " + std::to_string(s.out_c) +
                                 " are not a multiple of the input's " +
                                 std::to_string(s.in_c));
    }
    s.depth_multiplier = s.out_c / s.in_c;
    if (static_cast<int64_t>(s.filter_h) * s.filter_w > kMaxTaps) {
      return ctx.InvalidArgument("filter " + filter->shape.ToString() +
                                 " is too large");
    }
    RETURN_IF_ERROR(CheckConvBiasSize(ctx, bias, s.out_c));
    RETURN_IF_ERROR(ComputeConvWindow(
        ctx, options->padding(), options->stride_h(), options->stride_w(),
        options->dilation_h_factor(), options->dilation_w_factor(), &s));
    shape_ = s;

    RETURN_IF_ERROR(PrepareConvOutput(ctx, ConvKind::kDepthwise, t, activation,
                                      options->depth_multiplier(), s,
                                      &float_min_, &float_max_, &quant_));

    // Delegated node: only shapes were asked for; skip packing.
    if (ctx.shape_only()) {
      depthwise_.set_weights(nullptr);
      return OkStatus();
    }
    use_optimized_ =
        (input->type == DataType::kUInt8 || input->type == DataType::kInt8) &&
        s.depth_multiplier == 1;
    pack_at_eval_ = false;
    if (use_optimized_) {
      if (filter->is_constant && (bias == nullptr || bias->is_constant)) {
        // Derived from constants only: one copy for every interpreter.
        depthwise_.set_weights(GetOrCreateShared<
                               optimized::PackedDepthwiseConv>(
            ctx, ConvPackKey("depthwise_conv_2d", *filter, bias, quant_), [&] {
              auto weights = std::make_shared<optimized::PackedDepthwiseConv>();
              PackConstants(*filter, bias, *weights);
              return weights;
            }));
      } else {
        pack_at_eval_ = true;  // weights computed by the graph: never shared
        depthwise_.set_weights(nullptr);
      }
    }
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    const Tensor* filter = ctx.input(1);
    const Tensor* bias = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    Tensor* output = ctx.output(0);
    if (output->NumElements() == 0) return OkStatus();
    if (use_optimized_) {
      if (pack_at_eval_) {
        if (eval_weights_ == nullptr) {
          eval_weights_ = std::make_shared<optimized::PackedDepthwiseConv>();
        }
        PackConstants(*filter, bias, *eval_weights_);
        depthwise_.set_weights(eval_weights_);
      }
      if (input->type == DataType::kUInt8) {
        depthwise_.Run(shape_, input->data_as<uint8_t>(), quant_.input_offset,
                       output->data_as<uint8_t>());
      } else {
        depthwise_.Run(shape_, input->data_as<int8_t>(), quant_.input_offset,
                       output->data_as<int8_t>());
      }
      return OkStatus();
    }
    const reference::ConvQuant q = quant_.view();
    switch (input->type) {
      case DataType::kFloat32:
        reference::DepthwiseConvFloat(
            shape_, input->data_as<float>(), filter->data_as<float>(),
            bias ? bias->data_as<float>() : nullptr, float_min_, float_max_,
            output->data_as<float>());
        break;
      case DataType::kUInt8:
        reference::DepthwiseConvQuantized<uint8_t, uint8_t, int32_t, int32_t,
                                          uint8_t>(
            shape_, q, input->data_as<uint8_t>(), filter->data_as<uint8_t>(),
            bias ? bias->data_as<int32_t>() : nullptr,
            output->data_as<uint8_t>());
        break;
      case DataType::kInt8:
        reference::DepthwiseConvQuantized<int8_t, int8_t, int32_t, int32_t,
                                          int8_t>(
            shape_, q, input->data_as<int8_t>(), filter->data_as<int8_t>(),
            bias ? bias->data_as<int32_t>() : nullptr,
            output->data_as<int8_t>());
        break;
      case DataType::kInt16:
        reference::DepthwiseConvQuantized<int16_t, int8_t, int64_t, int64_t,
                                          int16_t>(
            shape_, q, input->data_as<int16_t>(), filter->data_as<int8_t>(),
            bias ? bias->data_as<int64_t>() : nullptr,
            output->data_as<int16_t>());
        break;
      default:
        return ctx.Unimplemented("input type " + TypeName(input->type));
    }
    return OkStatus();
  }

 private:
  void PackConstants(const Tensor& filter, const Tensor* bias,
                     optimized::PackedDepthwiseConv& weights) const {
    const int taps = shape_.filter_h * shape_.filter_w;
    if (filter.type == DataType::kUInt8) {
      weights.Pack(filter.data_as<uint8_t>(), taps, shape_.out_c,
                   quant_.filter_offset);
    } else {
      weights.Pack(filter.data_as<int8_t>(), taps, shape_.out_c,
                   quant_.filter_offset);
    }
    SetConvOutputStage(quant_, shape_.out_c, bias, weights.output_stage());
  }

  reference::ConvShape shape_;
  ConvQuantization quant_;
  float float_min_ = -std::numeric_limits<float>::infinity();
  float float_max_ = std::numeric_limits<float>::infinity();
  bool use_optimized_ = false;
  bool pack_at_eval_ = false;
  optimized::QuantizedDepthwiseConv depthwise_;
  // Packed at every Eval when the weights are not constant; never shared.
  std::shared_ptr<optimized::PackedDepthwiseConv> eval_weights_;
};

}  // namespace

void RegisterDepthwiseConv2DKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_DEPTHWISE_CONV_2D, [] {
    return std::unique_ptr<OpKernel>(new DepthwiseConv2DKernel());
  });
}

}  // namespace edgerun::kernels
