// CONV_2D: float32, uint8 (per-tensor), int8 (per-tensor or per-channel
// filter) and int16 activations with int8 filters (int64 or int32 bias),
// with fused activation, SAME/VALID padding, strides, dilation, groups and
// an optional bias.
//
// 8-bit convolutions without groups run the packed int16 GEMM of
// kernels/optimized/conv_8bit.h (weights packed once, in Prepare, when they
// are constant, into data shared by every interpreter of the model:
// KernelContext::GetOrCreateShared); everything else runs
// kernels/reference/conv.h.
//
// Arithmetic: what TensorFlow Lite computes with its default XNNPACK
// delegate. 8-bit nodes the delegate takes (XnnpackTakesConv) use XNNPACK's
// fp32 requantization; all others (int16, no bias, non-constant weights,
// ...) use TFLite's reference fixed point. Both match the real runtime bit
// for bit on the shared golden models.
#include <cstring>
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

// Longest dot product (filter_h * filter_w * in_c / groups) accepted; keeps
// index arithmetic in int.
constexpr int64_t kMaxDepth = int64_t{1} << 26;

class Conv2DKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    ConvTensors t;
    RETURN_IF_ERROR(GetConvTensors(ctx, ConvKind::kConv2D, &t));
    const Tensor* input = t.input;
    const Tensor* filter = t.filter;
    const Tensor* bias = t.bias;

    const tfl::Conv2DOptions* options =
        ctx.node().op != nullptr
            ? ctx.node().op->builtin_options_as_Conv2DOptions()
            : nullptr;
    if (options == nullptr) return ctx.InvalidArgument("missing Conv2DOptions");
    activation_ = options->fused_activation_function();

    reference::ConvShape s;
    s.batches = input->shape.dim(0);
    s.in_h = input->shape.dim(1);
    s.in_w = input->shape.dim(2);
    s.in_c = input->shape.dim(3);
    s.out_c = filter->shape.dim(0);
    s.filter_h = filter->shape.dim(1);
    s.filter_w = filter->shape.dim(2);
    const int filter_in_c = filter->shape.dim(3);
    if (filter_in_c <= 0 || s.in_c < filter_in_c || s.in_c % filter_in_c != 0) {
      return ctx.InvalidArgument(
          "input channels " + std::to_string(s.in_c) +
          " are not a positive multiple of the filter's " +
          std::to_string(filter_in_c));
    }
    s.groups = s.in_c / filter_in_c;
    if (s.out_c % s.groups != 0) {
      return ctx.InvalidArgument(std::to_string(s.out_c) +
                                 " filters do not divide into " +
                                 std::to_string(s.groups) + " groups");
    }
    if (static_cast<int64_t>(s.filter_h) * s.filter_w * filter_in_c >
        kMaxDepth) {
      return ctx.InvalidArgument("filter " + filter->shape.ToString() +
                                 " is too large");
    }
    RETURN_IF_ERROR(CheckConvBiasSize(ctx, bias, s.out_c));
    const tfl::TensorType bias_option = options->quantized_bias_type();
    if (input->type == DataType::kInt16 &&
        bias_option != tfl::TensorType_FLOAT32) {
      // TFLite reads the bias as the option says; a mismatch is an error.
      if ((bias_option != tfl::TensorType_INT32 &&
           bias_option != tfl::TensorType_INT64) ||
          (bias != nullptr &&
           static_cast<int>(bias->type) != static_cast<int>(bias_option))) {
        return ctx.InvalidArgument(std::string("quantized_bias_type ") +
                                   tfl::EnumNameTensorType(bias_option) +
                                   " does not match the bias");
      }
    }
    RETURN_IF_ERROR(ComputeConvWindow(
        ctx, options->padding(), options->stride_h(), options->stride_w(),
        options->dilation_h_factor(), options->dilation_w_factor(), &s));
    shape_ = s;

    RETURN_IF_ERROR(PrepareConvOutput(ctx, ConvKind::kConv2D, t, activation_,
                                      /*depth_multiplier_option=*/0, s,
                                      &float_min_, &float_max_, &quant_));

    // Delegated node: only shapes were asked for; skip packing and scratch.
    if (ctx.shape_only()) {
      gemm_.set_weights(nullptr);
      return OkStatus();
    }
    use_gemm_ =
        (input->type == DataType::kUInt8 || input->type == DataType::kInt8) &&
        s.groups == 1;
    pack_at_eval_ = false;
    if (use_gemm_) {
      RETURN_IF_ERROR(ctx.RequestScratch(
          optimized::QuantizedConvGemm::ScratchBytes(shape_), &scratch_));
      if (filter->is_constant && (bias == nullptr || bias->is_constant)) {
        // Derived from constants only: one copy for every interpreter.
        gemm_.set_weights(GetOrCreateShared<optimized::PackedConvGemm>(
            ctx, ConvPackKey("conv_2d/gemm", *filter, bias, quant_), [&] {
              auto weights = std::make_shared<optimized::PackedConvGemm>();
              PackConstants(*filter, bias, *weights);
              return weights;
            }));
      } else {
        pack_at_eval_ = true;  // weights computed by the graph: never shared
        gemm_.set_weights(nullptr);
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
    if (use_gemm_) {
      if (pack_at_eval_) {
        if (eval_weights_ == nullptr) {
          eval_weights_ = std::make_shared<optimized::PackedConvGemm>();
        }
        PackConstants(*filter, bias, *eval_weights_);
        gemm_.set_weights(eval_weights_);
      }
      if (input->type == DataType::kUInt8) {
        gemm_.Run(shape_, input->data_as<uint8_t>(), quant_.input_offset,
                  output->data_as<uint8_t>(), ctx.Scratch(scratch_));
      } else {
        gemm_.Run(shape_, input->data_as<int8_t>(), quant_.input_offset,
                  output->data_as<int8_t>(), ctx.Scratch(scratch_));
      }
      return OkStatus();
    }
    const reference::ConvQuant q = quant_.view();
    switch (input->type) {
      case DataType::kFloat32:
        reference::ConvFloat(shape_, input->data_as<float>(),
                             filter->data_as<float>(),
                             bias ? bias->data_as<float>() : nullptr,
                             float_min_, float_max_, output->data_as<float>());
        break;
      case DataType::kUInt8:
        reference::ConvQuantized<uint8_t, uint8_t, int32_t, int32_t, uint8_t>(
            shape_, q, input->data_as<uint8_t>(), filter->data_as<uint8_t>(),
            bias ? bias->data_as<int32_t>() : nullptr,
            output->data_as<uint8_t>());
        break;
      case DataType::kInt8:
        reference::ConvQuantized<int8_t, int8_t, int32_t, int32_t, int8_t>(
            shape_, q, input->data_as<int8_t>(), filter->data_as<int8_t>(),
            bias ? bias->data_as<int32_t>() : nullptr,
            output->data_as<int8_t>());
        break;
      case DataType::kInt16:
        if (bias != nullptr && bias->type == DataType::kInt32) {
          // TFLite accumulates 16x8 with an int32 bias in int32.
          reference::ConvQuantized<int16_t, int8_t, int32_t, int32_t, int16_t>(
              shape_, q, input->data_as<int16_t>(), filter->data_as<int8_t>(),
              bias->data_as<int32_t>(), output->data_as<int16_t>());
        } else {
          reference::ConvQuantized<int16_t, int8_t, int64_t, int64_t, int16_t>(
              shape_, q, input->data_as<int16_t>(), filter->data_as<int8_t>(),
              bias ? bias->data_as<int64_t>() : nullptr,
              output->data_as<int16_t>());
        }
        break;
      default:
        return ctx.Unimplemented("input type " + TypeName(input->type));
    }
    return OkStatus();
  }

 private:
  void PackConstants(const Tensor& filter, const Tensor* bias,
                     optimized::PackedConvGemm& weights) const {
    const int k = shape_.filter_h * shape_.filter_w * shape_.in_c;
    if (filter.type == DataType::kUInt8) {
      weights.Pack(filter.data_as<uint8_t>(), shape_.out_c, k,
                   quant_.filter_offset);
    } else {
      weights.Pack(filter.data_as<int8_t>(), shape_.out_c, k,
                   quant_.filter_offset);
    }
    SetConvOutputStage(quant_, shape_.out_c, bias, weights.output_stage());
  }

  tfl::ActivationFunctionType activation_ = tfl::ActivationFunctionType_NONE;
  reference::ConvShape shape_;
  ConvQuantization quant_;
  float float_min_ = -std::numeric_limits<float>::infinity();
  float float_max_ = std::numeric_limits<float>::infinity();
  bool use_gemm_ = false;
  bool pack_at_eval_ = false;
  int scratch_ = -1;
  optimized::QuantizedConvGemm gemm_;
  // Packed at every Eval when the weights are not constant; never shared.
  std::shared_ptr<optimized::PackedConvGemm> eval_weights_;
};

}  // namespace

void RegisterConvKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_CONV_2D, [] {
    return std::unique_ptr<OpKernel>(new Conv2DKernel());
  });
  RegisterDepthwiseConv2DKernels(registry);
}

}  // namespace edgerun::kernels
