// TRANSPOSE_CONV (a.k.a. deconvolution), TensorFlow Lite semantics:
// inputs (output_shape int32[4], weights [OC, KH, KW, IC], input
// [N, H, W, IC], optional bias [OC]); options padding, strides and a fused
// activation. dtypes: float32; uint8 (per-tensor weights); int8 with
// per-channel (or per-tensor) int8 weights; int16 activations with int8
// weights (16x8, int64 or int32 bias).
//
// The output shape comes from the output_shape input; when that is not a
// constant the node is prepared at Invoke time (dynamic output).
//
// Each input pixel scatters W[:, fy, fx, :] . x into the output pixels it
// reaches; the per-tap [OC, IC] weight matrices are packed once so that
// scatter is a packed matrix-vector product (reference/matmul.h). Integer
// accumulation is exact, so the order does not change quantized results.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/matrix_ops.h"
#include "kernels/reference/matmul.h"
#include "kernels/reference/quantization.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

using reference::QuantizedMultiplier;

enum class Mode { kFloat, kUInt8, kInt8, kInt16 };

// One kernel per node; owns its packed weights and multipliers.
// Thread-safety: as OpKernel.
class TransposeConvKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 3, 4, 1));
    const Tensor* output_shape = ctx.input(0);
    const Tensor* weights = ctx.input(1);
    const Tensor* input = ctx.input(2);
    const Tensor* bias = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(CheckRank(ctx, output_shape, 1, "output_shape"));
    RETURN_IF_ERROR(CheckRank(ctx, weights, 4, "weights"));
    RETURN_IF_ERROR(CheckRank(ctx, input, 4, "input"));
    RETURN_IF_ERROR(CheckPresent(ctx, output, "output"));
    if (output_shape->type != DataType::kInt32) {
      return ctx.InvalidArgument("output_shape must be int32, got " +
                                 TypeName(output_shape->type));
    }
    if (output_shape->shape.dim(0) != 4) {
      return ctx.InvalidArgument("output_shape must have 4 elements, got " +
                                 std::to_string(output_shape->shape.dim(0)));
    }

    padding_ = tfl::Padding_SAME;
    stride_h_ = 1;
    stride_w_ = 1;
    activation_ = tfl::ActivationFunctionType_NONE;
    tfl::TensorType bias_type_option = tfl::TensorType_FLOAT32;
    if (const auto* o =
            ctx.node().op == nullptr
                ? nullptr
                : ctx.node().op->builtin_options_as_TransposeConvOptions()) {
      padding_ = o->padding();
      stride_h_ = o->stride_h();
      stride_w_ = o->stride_w();
      activation_ = o->fused_activation_function();
      bias_type_option = o->quantized_bias_type();
    }
    if (stride_h_ <= 0 || stride_w_ <= 0) {
      return ctx.InvalidArgument("strides must be positive, got " +
                                 std::to_string(stride_h_) + "x" +
                                 std::to_string(stride_w_));
    }
    if (padding_ != tfl::Padding_SAME && padding_ != tfl::Padding_VALID) {
      return ctx.InvalidArgument("unknown padding");
    }
    oc_ = weights->shape.dim(0);
    kh_ = weights->shape.dim(1);
    kw_ = weights->shape.dim(2);
    ic_ = weights->shape.dim(3);
    if (input->shape.dim(3) != ic_) {
      return ctx.InvalidArgument(
          "input has " + std::to_string(input->shape.dim(3)) +
          " channels, weights expect " + std::to_string(ic_));
    }
    if (bias != nullptr && bias->NumElements() != oc_) {
      return ctx.InvalidArgument("bias has " +
                                 std::to_string(bias->NumElements()) +
                                 " elements, expected " + std::to_string(oc_));
    }
    RETURN_IF_ERROR(
        PrepareTypes(ctx, *input, *weights, bias, *output, bias_type_option));

    // Pack the weights (once when constant).
    pack_at_eval_ = !weights->is_constant;
    if (!pack_at_eval_ && packed_source_ != weights->data)
      PackWeights(*weights);

    if (!ctx.HasValues(0)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    const int32_t* dims = output_shape->data_as<int32_t>();
    // The shape may come from user data: bound it before sizing buffers.
    constexpr int64_t kMaxElements = int64_t{1} << 31;
    int64_t elements = 1;
    for (int i = 0; i < 4; ++i) {
      if (dims[i] < 0) {
        return ctx.InvalidArgument("output_shape has a negative dimension");
      }
      elements *= dims[i];
      if (elements > kMaxElements) {
        return ctx.InvalidArgument("output_shape describes too many elements");
      }
    }
    if (dims[0] != input->shape.dim(0)) {
      return ctx.InvalidArgument("output batch " + std::to_string(dims[0]) +
                                 " differs from input batch " +
                                 std::to_string(input->shape.dim(0)));
    }
    if (dims[3] != oc_) {
      return ctx.InvalidArgument(
          "output_shape channels " + std::to_string(dims[3]) +
          " differ from the weights' " + std::to_string(oc_));
    }
    const Shape out_shape({dims[0], dims[1], dims[2], dims[3]});
    // Padding as TFLite computes it: that of a conv from the output back to
    // the input.
    int offset = 0;
    const int conv_out_h = ComputeOutSize(padding_, dims[1], kh_, stride_h_, 1);
    const int conv_out_w = ComputeOutSize(padding_, dims[2], kw_, stride_w_, 1);
    pad_h_ = ComputePadding(stride_h_, 1, dims[1], kh_, conv_out_h, &offset);
    pad_w_ = ComputePadding(stride_w_, 1, dims[2], kw_, conv_out_w, &offset);
    if (mode_ != Mode::kFloat) {
      const size_t acc_bytes = acc64_ ? sizeof(int64_t) : sizeof(int32_t);
      RETURN_IF_ERROR(ctx.RequestScratch(
          static_cast<size_t>(out_shape.NumElements()) * acc_bytes,
          &scratch_acc_));
    }
    return ctx.ResizeOutput(0, out_shape);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* weights = ctx.input(1);
    const Tensor* input = ctx.input(2);
    const Tensor* bias = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    Tensor* output = ctx.output(0);
    if (pack_at_eval_) PackWeights(*weights);
    switch (mode_) {
      case Mode::kFloat: {
        float* out = output->data_as<float>();
        std::fill_n(out, output->NumElements(), 0.f);
        Scatter<float>(*input, input->data_as<float>(), 0.f, out,
                       output->shape);
        const float* b = bias != nullptr ? bias->data_as<float>() : nullptr;
        const int64_t pixels = output->NumElements() / std::max(oc_, 1);
        for (int64_t p = 0; p < pixels; ++p) {
          float* o = out + p * oc_;
          for (int c = 0; c < oc_; ++c) {
            float v = o[c];
            if (b != nullptr) v += b[c];
            o[c] = std::min(range_f_.max, std::max(range_f_.min, v));
          }
        }
        break;
      }
      case Mode::kUInt8:
        EvalQuantized<uint8_t, int32_t>(ctx, *input, bias, *output);
        break;
      case Mode::kInt8:
        EvalQuantized<int8_t, int32_t>(ctx, *input, bias, *output);
        break;
      case Mode::kInt16:
        if (acc64_) {
          EvalQuantized<int16_t, int64_t>(ctx, *input, bias, *output);
        } else {
          EvalQuantized<int16_t, int32_t>(ctx, *input, bias, *output);
        }
        break;
    }
    return OkStatus();
  }

 private:
  Status PrepareTypes(KernelContext& ctx, const Tensor& input,
                      const Tensor& weights, const Tensor* bias,
                      const Tensor& output, tfl::TensorType bias_type_option) {
    if (output.type != input.type) {
      return ctx.InvalidArgument("output type " + TypeName(output.type) +
                                 " differs from input type " +
                                 TypeName(input.type));
    }
    switch (input.type) {
      case DataType::kFloat32:
        if (weights.type != DataType::kFloat32) {
          return ctx.Unimplemented("float input with " +
                                   TypeName(weights.type) +
                                   " weights is not supported");
        }
        if (bias != nullptr && bias->type != DataType::kFloat32) {
          return ctx.InvalidArgument("float bias must be float32");
        }
        mode_ = Mode::kFloat;
        switch (activation_) {
          case tfl::ActivationFunctionType_NONE:
          case tfl::ActivationFunctionType_RELU:
          case tfl::ActivationFunctionType_RELU6:
          case tfl::ActivationFunctionType_RELU_N1_TO_1:
            break;
          default:
            return ctx.Unimplemented("unsupported fused activation");
        }
        range_f_ = FloatActivationRange(activation_);
        return OkStatus();
      case DataType::kUInt8:
        if (weights.type != DataType::kUInt8) {
          return ctx.Unimplemented("uint8 input needs uint8 weights");
        }
        mode_ = Mode::kUInt8;
        break;
      case DataType::kInt8:
        if (weights.type != DataType::kInt8) {
          return ctx.Unimplemented("int8 input needs int8 weights");
        }
        mode_ = Mode::kInt8;
        break;
      case DataType::kInt16:
        if (weights.type != DataType::kInt8) {
          return ctx.Unimplemented("int16 input needs int8 weights");
        }
        if (input.quant.zero_point0() != 0 || output.quant.zero_point0() != 0) {
          return ctx.InvalidArgument(
              "int16 input and output need zero point 0");
        }
        mode_ = Mode::kInt16;
        break;
      default:
        return ctx.Unimplemented("input type " + TypeName(input.type) +
                                 " is not supported");
    }
    if (!input.quant.quantized() || !weights.quant.quantized() ||
        !output.quant.quantized()) {
      return ctx.InvalidArgument(
          "quantized TRANSPOSE_CONV needs scales on input, weights and "
          "output");
    }
    acc64_ = false;
    if (mode_ == Mode::kInt16) {
      // TFLite accumulates 16x8 in int64 unless the options ask for an
      // int32 bias.
      acc64_ = bias_type_option != tfl::TensorType_INT32;
      if (bias != nullptr) {
        if (bias->type != DataType::kInt64 && bias->type != DataType::kInt32) {
          return ctx.InvalidArgument("int16 bias must be int64 or int32, got " +
                                     TypeName(bias->type));
        }
        if (!acc64_ && bias->type != DataType::kInt32) {
          return ctx.InvalidArgument(
              "quantized_bias_type INT32 needs an int32 bias");
        }
      }
    } else if (bias != nullptr && bias->type != DataType::kInt32) {
      return ctx.InvalidArgument("quantized bias must be int32, got " +
                                 TypeName(bias->type));
    }
    const size_t nscales = weights.quant.scale.size();
    if (nscales != 1 && static_cast<int>(nscales) != oc_) {
      return ctx.InvalidArgument("weights need 1 or " + std::to_string(oc_) +
                                 " scales, got " + std::to_string(nscales));
    }
    if (nscales > 1 && weights.quant.quantized_dimension != 0) {
      return ctx.InvalidArgument(
          "per-channel weight scales must run along dimension 0");
    }
    if (mode_ == Mode::kUInt8 && nscales != 1) {
      return ctx.Unimplemented("uint8 TRANSPOSE_CONV needs per-tensor weights");
    }
    const double in_scale = input.quant.scale0();
    const double out_scale = output.quant.scale0();
    if (!(out_scale > 0))
      return ctx.InvalidArgument("output scale must be positive");
    multipliers_.assign(static_cast<size_t>(oc_), QuantizedMultiplier());
    for (int c = 0; c < oc_; ++c) {
      const double w_scale =
          nscales > 1 ? weights.quant.scale[c] : weights.quant.scale0();
      multipliers_[c] =
          reference::QuantizeMultiplier(in_scale * w_scale / out_scale);
    }
    input_offset_ = -input.quant.zero_point0();
    // Only uint8 uses the weights' zero point (int8/int16 weights are
    // symmetric in TFLite's kernels).
    weights_offset_ = mode_ == Mode::kUInt8 ? -weights.quant.zero_point0() : 0;
    output_offset_ = output.quant.zero_point0();
    auto range = QuantizedActivationRange(activation_, output);
    if (!range.ok()) return ctx.Unimplemented(range.status().message());
    range_q_ = *range;
    return OkStatus();
  }

  void PackWeights(const Tensor& weights) {
    const int taps = kh_ * kw_;
    const int blocks = reference::PackedBlocks(oc_);
    tap_stride_ = static_cast<size_t>(blocks) * reference::kPackRows * ic_;
    std::vector<float> tap_f;
    std::vector<int16_t> tap_q;
    if (mode_ == Mode::kFloat) {
      packed_f_.assign(tap_stride_ * taps, 0.f);
    } else {
      packed_q_.assign(tap_stride_ * taps, 0);
    }
    for (int t = 0; t < taps; ++t) {
      // Gather W[:, fy, fx, :] into a contiguous [OC, IC] matrix.
      const size_t count = static_cast<size_t>(oc_) * ic_;
      if (mode_ == Mode::kFloat) {
        std::vector<float> m(count);
        const float* w = weights.data_as<float>();
        for (int c = 0; c < oc_; ++c) {
          std::memcpy(&m[static_cast<size_t>(c) * ic_],
                      w + (static_cast<size_t>(c) * taps + t) * ic_,
                      sizeof(float) * ic_);
        }
        reference::PackRowsFloat(m.data(), oc_, ic_, tap_f);
        std::copy(tap_f.begin(), tap_f.end(),
                  packed_f_.begin() + tap_stride_ * t);
      } else if (mode_ == Mode::kUInt8) {
        std::vector<uint8_t> m(count);
        const uint8_t* w = weights.data_as<uint8_t>();
        for (int c = 0; c < oc_; ++c) {
          std::memcpy(&m[static_cast<size_t>(c) * ic_],
                      w + (static_cast<size_t>(c) * taps + t) * ic_, ic_);
        }
        reference::PackRows<int16_t>(m.data(), oc_, ic_, weights_offset_,
                                     tap_q);
        std::copy(tap_q.begin(), tap_q.end(),
                  packed_q_.begin() + tap_stride_ * t);
      } else {
        std::vector<int8_t> m(count);
        const int8_t* w = weights.data_as<int8_t>();
        for (int c = 0; c < oc_; ++c) {
          std::memcpy(&m[static_cast<size_t>(c) * ic_],
                      w + (static_cast<size_t>(c) * taps + t) * ic_, ic_);
        }
        reference::PackRows<int16_t>(m.data(), oc_, ic_, 0, tap_q);
        std::copy(tap_q.begin(), tap_q.end(),
                  packed_q_.begin() + tap_stride_ * t);
      }
    }
    packed_source_ = weights.data;
  }

  // acc[n, oy, ox, :] += W[:, fy, fx, :] . (x[n, iy, ix, :] + x_offset) for
  // every tap that lands inside the output.
  template <typename Acc, typename X>
  void Scatter(const Tensor& input, const X* x, Acc x_offset, Acc* acc,
               const Shape& out_shape) const {
    const int batches = input.shape.dim(0);
    const int in_h = input.shape.dim(1);
    const int in_w = input.shape.dim(2);
    const int out_h = out_shape.dim(1);
    const int out_w = out_shape.dim(2);
    const int taps_w = kw_;
    for (int n = 0; n < batches; ++n) {
      for (int iy = 0; iy < in_h; ++iy) {
        for (int ix = 0; ix < in_w; ++ix) {
          const X* xv =
              x + ((static_cast<size_t>(n) * in_h + iy) * in_w + ix) * ic_;
          const int oy0 = iy * stride_h_ - pad_h_;
          const int ox0 = ix * stride_w_ - pad_w_;
          for (int fy = 0; fy < kh_; ++fy) {
            const int oy = oy0 + fy;
            if (oy < 0 || oy >= out_h) continue;
            for (int fx = 0; fx < kw_; ++fx) {
              const int ox = ox0 + fx;
              if (ox < 0 || ox >= out_w) continue;
              Acc* dst =
                  acc +
                  ((static_cast<size_t>(n) * out_h + oy) * out_w + ox) * oc_;
              const size_t tap = static_cast<size_t>(fy) * taps_w + fx;
              if constexpr (std::is_same_v<Acc, float>) {
                reference::PackedMatVec<float>(
                    packed_f_.data() + tap * tap_stride_, oc_, ic_, xv,
                    x_offset, [&](int c, float v) { dst[c] += v; });
              } else {
                reference::PackedMatVec<Acc>(
                    packed_q_.data() + tap * tap_stride_, oc_, ic_, xv,
                    x_offset, [&](int c, Acc v) { dst[c] += v; });
              }
            }
          }
        }
      }
    }
  }

  template <typename T, typename Acc>
  void EvalQuantized(KernelContext& ctx, const Tensor& input,
                     const Tensor* bias, Tensor& output) const {
    Acc* acc = static_cast<Acc*>(ctx.Scratch(scratch_acc_));
    const int64_t count = output.NumElements();
    std::fill_n(acc, count, Acc(0));
    Scatter<Acc>(input, input.data_as<T>(), static_cast<Acc>(input_offset_),
                 acc, output.shape);
    T* out = output.data_as<T>();
    const int64_t pixels = count / std::max(oc_, 1);
    const bool bias64 = bias != nullptr && bias->type == DataType::kInt64;
    for (int64_t p = 0; p < pixels; ++p) {
      const Acc* a = acc + p * oc_;
      T* o = out + p * oc_;
      for (int c = 0; c < oc_; ++c) {
        Acc v = a[c];
        if (bias != nullptr) {
          v += bias64 ? static_cast<Acc>(bias->data_as<int64_t>()[c])
                      : static_cast<Acc>(bias->data_as<int32_t>()[c]);
        }
        int32_t s;
        if constexpr (std::is_same_v<Acc, int64_t>) {
          s = reference::MultiplyByQuantizedMultiplier(
              v, multipliers_[c].multiplier, multipliers_[c].shift);
        } else {
          s = reference::MultiplyByQuantizedMultiplier(v, multipliers_[c]);
        }
        s += output_offset_;
        s = std::min(range_q_.max, std::max(range_q_.min, s));
        o[c] = static_cast<T>(s);
      }
    }
  }

  Mode mode_ = Mode::kFloat;
  tfl::Padding padding_ = tfl::Padding_SAME;
  tfl::ActivationFunctionType activation_ = tfl::ActivationFunctionType_NONE;
  int stride_h_ = 1;
  int stride_w_ = 1;
  int pad_h_ = 0;
  int pad_w_ = 0;
  int oc_ = 0;
  int kh_ = 0;
  int kw_ = 0;
  int ic_ = 0;
  bool acc64_ = false;
  FloatRange range_f_{};
  QuantRange range_q_{};
  int32_t input_offset_ = 0;
  int32_t weights_offset_ = 0;
  int32_t output_offset_ = 0;
  std::vector<QuantizedMultiplier> multipliers_;
  int scratch_acc_ = -1;

  bool pack_at_eval_ = false;
  const void* packed_source_ = nullptr;
  size_t tap_stride_ = 0;
  std::vector<float> packed_f_;
  std::vector<int16_t> packed_q_;
};

}  // namespace

void RegisterTransposeConvKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_TRANSPOSE_CONV, [] {
    return std::unique_ptr<OpKernel>(new TransposeConvKernel());
  });
}

}  // namespace edgerun::kernels
