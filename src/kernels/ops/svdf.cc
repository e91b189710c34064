// SVDF (singular value decomposition filter), TensorFlow Lite semantics.
// Inputs: input [batch, input_size], weights_feature [filters, input_size],
// weights_time [filters, memory], optional bias [units], state (variable)
// [batch, memory * filters]; units = filters / rank.
//   float32: everything float.
//   int8:    int8 input/output/weights_feature, int16 weights_time and
//            state, int32 bias; TFLite's integer math (two requantization
//            steps; the fused activation must be RELU, as TFLite requires,
//            and only the int8 range clamps the output).
// Per step: shift each filter's memory left by one, write the newest
// feature activation W_f . x into the last column, then
// out[u] = bias[u] + sum_r dot(weights_time[u*rank + r], memory[u*rank + r]).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/matrix_ops.h"
#include "kernels/reference/binary_arithmetic.h"
#include "kernels/reference/matmul.h"
#include "kernels/reference/quantization.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// Float activations as TFLite's ApplyActivationToVector applies them.
bool FloatActivationSupported(tfl::ActivationFunctionType a) {
  return a == tfl::ActivationFunctionType_NONE ||
         a == tfl::ActivationFunctionType_RELU ||
         a == tfl::ActivationFunctionType_RELU_N1_TO_1 ||
         a == tfl::ActivationFunctionType_RELU6 ||
         a == tfl::ActivationFunctionType_TANH;
}

float ApplyFloatActivation(tfl::ActivationFunctionType a, float v) {
  switch (a) {
    case tfl::ActivationFunctionType_RELU:
      return std::max(0.f, v);
    case tfl::ActivationFunctionType_RELU_N1_TO_1:
      return std::min(1.f, std::max(-1.f, v));
    case tfl::ActivationFunctionType_RELU6:
      return std::min(6.f, std::max(0.f, v));
    case tfl::ActivationFunctionType_TANH:
      return std::tanh(v);
    default:
      return v;
  }
}

// One kernel per node; owns the packed feature weights and multipliers.
// Thread-safety: as OpKernel.
class SvdfKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 5, 5, 1));
    const Tensor* input = ctx.input(0);
    const Tensor* wf = ctx.input(1);
    const Tensor* wt = ctx.input(2);
    const Tensor* bias = ctx.input(3);
    Tensor* state = ctx.mutable_input(4);
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(CheckRank(ctx, input, 2, "input"));
    RETURN_IF_ERROR(CheckRank(ctx, wf, 2, "weights_feature"));
    RETURN_IF_ERROR(CheckRank(ctx, wt, 2, "weights_time"));
    RETURN_IF_ERROR(CheckRank(ctx, state, 2, "state"));
    RETURN_IF_ERROR(CheckPresent(ctx, output, "output"));
    if (!state->is_variable) {
      return ctx.InvalidArgument("state input must be a variable tensor");
    }
    rank_ = 1;
    activation_ = tfl::ActivationFunctionType_NONE;
    if (const auto* o = ctx.node().op == nullptr
                            ? nullptr
                            : ctx.node().op->builtin_options_as_SVDFOptions()) {
      rank_ = o->rank();
      activation_ = o->fused_activation_function();
    }
    batch_ = input->shape.dim(0);
    input_size_ = input->shape.dim(1);
    filters_ = wf->shape.dim(0);
    if (rank_ <= 0 || filters_ % rank_ != 0) {
      return ctx.InvalidArgument("rank " + std::to_string(rank_) +
                                 " must divide the " +
                                 std::to_string(filters_) + " filters");
    }
    units_ = filters_ / rank_;
    memory_ = wt->shape.dim(1);
    if (memory_ <= 0)
      return ctx.InvalidArgument("weights_time memory size must be positive");
    if (wf->shape.dim(1) != input_size_) {
      return ctx.InvalidArgument(
          "weights_feature depth " + std::to_string(wf->shape.dim(1)) +
          " differs from the input size " + std::to_string(input_size_));
    }
    if (wt->shape.dim(0) != filters_) {
      return ctx.InvalidArgument("weights_time must have " +
                                 std::to_string(filters_) + " rows");
    }
    if (bias != nullptr && bias->NumElements() != units_) {
      return ctx.InvalidArgument("bias must have " + std::to_string(units_) +
                                 " elements");
    }
    if (state->shape.dim(0) != batch_ ||
        static_cast<int64_t>(state->shape.dim(1)) !=
            static_cast<int64_t>(memory_) * filters_) {
      return ctx.InvalidArgument(
          "state shape " + state->shape.ToString() + " must be [" +
          std::to_string(batch_) + "," +
          std::to_string(static_cast<int64_t>(memory_) * filters_) + "]");
    }

    if (input->type == DataType::kFloat32) {
      integer_ = false;
      if (wf->type != DataType::kFloat32) {
        return ctx.Unimplemented("hybrid SVDF (float input, " +
                                 TypeName(wf->type) +
                                 " weights) is not supported");
      }
      if (wt->type != DataType::kFloat32 || state->type != DataType::kFloat32 ||
          output->type != DataType::kFloat32 ||
          (bias != nullptr && bias->type != DataType::kFloat32)) {
        return ctx.InvalidArgument(
            "float SVDF needs float32 weights, bias, state and output");
      }
      if (!FloatActivationSupported(activation_)) {
        return ctx.Unimplemented("unsupported fused activation");
      }
    } else if (input->type == DataType::kInt8) {
      integer_ = true;
      if (wf->type != DataType::kInt8 || wt->type != DataType::kInt16 ||
          state->type != DataType::kInt16 || output->type != DataType::kInt8 ||
          (bias != nullptr && bias->type != DataType::kInt32)) {
        return ctx.InvalidArgument(
            "int8 SVDF needs int8 weights_feature and output, int16 "
            "weights_time and state, "
            "int32 bias");
      }
      if (activation_ != tfl::ActivationFunctionType_RELU) {
        return ctx.Unimplemented(
            "integer SVDF supports only a RELU activation (as TFLite)");
      }
      if (!input->quant.quantized() || !wf->quant.quantized() ||
          !wt->quant.quantized() || !state->quant.quantized() ||
          !output->quant.quantized()) {
        return ctx.InvalidArgument(
            "int8 SVDF needs scales on input, weights, state and output");
      }
      if (!(state->quant.scale0() > 0) || !(output->quant.scale0() > 0)) {
        return ctx.InvalidArgument("state and output scales must be positive");
      }
      // TFLite multiplies the float scales in float, then widens.
      const float s1 =
          input->quant.scale0() * wf->quant.scale0() / state->quant.scale0();
      const float s2 =
          state->quant.scale0() * wt->quant.scale0() / output->quant.scale0();
      scale1_ = reference::QuantizeMultiplier(static_cast<double>(s1));
      scale2_ = reference::QuantizeMultiplier(static_cast<double>(s2));
      input_zp_ = input->quant.zero_point0();
      output_zp_ = output->quant.zero_point0();
    } else {
      return ctx.Unimplemented("input type " + TypeName(input->type) +
                               " is not supported");
    }
    if (!wf->is_constant || packed_source_ != wf->data) {
      if (integer_) {
        reference::PackRows<int16_t>(wf->data_as<int8_t>(), filters_,
                                     input_size_, 0, packed_q_);
      } else {
        reference::PackRowsFloat(wf->data_as<float>(), filters_, input_size_,
                                 packed_f_);
      }
      packed_source_ = wf->is_constant ? wf->data : nullptr;
    }
    pack_at_eval_ = !wf->is_constant;
    const size_t acc_bytes = static_cast<size_t>(batch_) * filters_ * 4;
    RETURN_IF_ERROR(ctx.RequestScratch(acc_bytes, &scratch_));
    return ctx.ResizeOutput(0, Shape({batch_, units_}));
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    const Tensor* wf = ctx.input(1);
    const Tensor* wt = ctx.input(2);
    const Tensor* bias = ctx.input(3);
    Tensor* state = ctx.mutable_input(4);
    Tensor* output = ctx.output(0);
    if (pack_at_eval_) {
      if (integer_) {
        reference::PackRows<int16_t>(wf->data_as<int8_t>(), filters_,
                                     input_size_, 0, packed_q_);
      } else {
        reference::PackRowsFloat(wf->data_as<float>(), filters_, input_size_,
                                 packed_f_);
      }
    }
    if (integer_) {
      EvalInteger(ctx, *input, *wt, bias, *state, *output);
    } else {
      EvalFloat(ctx, *input, *wt, bias, *state, *output);
    }
    return OkStatus();
  }

 private:
  template <typename S>
  void ShiftState(S* state) const {
    const int64_t n = static_cast<int64_t>(batch_) * memory_ * filters_;
    if (n > 1) std::memmove(state, state + 1, sizeof(S) * (n - 1));
  }

  void EvalFloat(KernelContext& ctx, const Tensor& input, const Tensor& wt,
                 const Tensor* bias, Tensor& state_t, Tensor& output) const {
    float* state = state_t.data_as<float>();
    ShiftState(state);
    const float* x = input.data_as<float>();
    for (int b = 0; b < batch_; ++b) {
      float* sb = state + static_cast<size_t>(b) * memory_ * filters_;
      reference::PackedMatVec<float>(
          packed_f_.data(), filters_, input_size_,
          x + static_cast<size_t>(b) * input_size_, 0.f, [&](int f, float v) {
            sb[static_cast<size_t>(f) * memory_ + memory_ - 1] = v;
          });
    }
    float* scratch = static_cast<float*>(ctx.Scratch(scratch_));
    const float* w = wt.data_as<float>();
    for (int b = 0; b < batch_; ++b) {
      const float* sb = state + static_cast<size_t>(b) * memory_ * filters_;
      for (int f = 0; f < filters_; ++f) {
        float dot = 0.f;
        const float* wf = w + static_cast<size_t>(f) * memory_;
        const float* sf = sb + static_cast<size_t>(f) * memory_;
        for (int m = 0; m < memory_; ++m) dot += wf[m] * sf[m];
        scratch[static_cast<size_t>(b) * filters_ + f] = dot;
      }
    }
    const float* bv = bias != nullptr ? bias->data_as<float>() : nullptr;
    float* y = output.data_as<float>();
    for (int b = 0; b < batch_; ++b) {
      const float* sc = scratch + static_cast<size_t>(b) * filters_;
      for (int u = 0; u < units_; ++u) {
        float v = bv != nullptr ? bv[u] : 0.f;
        for (int r = 0; r < rank_; ++r) v += sc[u * rank_ + r];
        y[static_cast<size_t>(b) * units_ + u] =
            ApplyFloatActivation(activation_, v);
      }
    }
  }

  void EvalInteger(KernelContext& ctx, const Tensor& input, const Tensor& wt,
                   const Tensor* bias, Tensor& state_t, Tensor& output) const {
    int16_t* state = state_t.data_as<int16_t>();
    ShiftState(state);
    const int8_t* x = input.data_as<int8_t>();
    constexpr int32_t kMin16 = std::numeric_limits<int16_t>::min();
    constexpr int32_t kMax16 = std::numeric_limits<int16_t>::max();
    for (int b = 0; b < batch_; ++b) {
      int16_t* sb = state + static_cast<size_t>(b) * memory_ * filters_;
      reference::PackedMatVec<int32_t>(
          packed_q_.data(), filters_, input_size_,
          x + static_cast<size_t>(b) * input_size_, -input_zp_,
          [&](int f, int32_t dot) {
            int32_t v = reference::MultiplyByQuantizedMultiplier(dot, scale1_);
            v = std::min(kMax16, std::max(kMin16, v));
            sb[static_cast<size_t>(f) * memory_ + memory_ - 1] =
                static_cast<int16_t>(v);
          });
    }
    int32_t* scratch = static_cast<int32_t*>(ctx.Scratch(scratch_));
    const int16_t* w = wt.data_as<int16_t>();
    for (int b = 0; b < batch_; ++b) {
      const int16_t* sb = state + static_cast<size_t>(b) * memory_ * filters_;
      for (int f = 0; f < filters_; ++f) {
        int32_t dot = 0;
        const int16_t* wf = w + static_cast<size_t>(f) * memory_;
        const int16_t* sf = sb + static_cast<size_t>(f) * memory_;
        // int32 sums wrap, as in TFLite's integer SVDF (signed overflow is
        // undefined in C++, so wrap explicitly; the result is identical).
        for (int m = 0; m < memory_; ++m)
          dot = reference::WrappingAdd(dot,
                                       static_cast<int32_t>(wf[m]) * sf[m]);
        scratch[static_cast<size_t>(b) * filters_ + f] = dot;
      }
    }
    const int32_t* bv = bias != nullptr ? bias->data_as<int32_t>() : nullptr;
    int8_t* y = output.data_as<int8_t>();
    for (int b = 0; b < batch_; ++b) {
      const int32_t* sc = scratch + static_cast<size_t>(b) * filters_;
      for (int u = 0; u < units_; ++u) {
        int32_t v = bv != nullptr ? bv[u] : 0;
        for (int r = 0; r < rank_; ++r) {
          v = reference::WrappingAdd(v, sc[u * rank_ + r]);
        }
        v = reference::MultiplyByQuantizedMultiplier(v, scale2_) + output_zp_;
        v = std::min<int32_t>(127, std::max<int32_t>(-128, v));
        y[static_cast<size_t>(b) * units_ + u] = static_cast<int8_t>(v);
      }
    }
  }

  bool integer_ = false;
  int rank_ = 1;
  tfl::ActivationFunctionType activation_ = tfl::ActivationFunctionType_NONE;
  int batch_ = 0;
  int input_size_ = 0;
  int filters_ = 0;
  int units_ = 0;
  int memory_ = 0;
  reference::QuantizedMultiplier scale1_;
  reference::QuantizedMultiplier scale2_;
  int32_t input_zp_ = 0;
  int32_t output_zp_ = 0;
  int scratch_ = -1;
  bool pack_at_eval_ = false;
  const void* packed_source_ = nullptr;
  std::vector<float> packed_f_;
  std::vector<int16_t> packed_q_;
};

}  // namespace

void RegisterSvdfKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_SVDF, [] {
    return std::unique_ptr<OpKernel>(new SvdfKernel());
  });
}

}  // namespace edgerun::kernels
