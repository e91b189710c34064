// L2_NORMALIZATION over the last dimension: float32 (norm clamped below at
// 1e-6), uint8 (output scale 1/128, zero point 128) and int8 (1/128, 0)
// with TFLite's fixed-point inverse square root.
#include <algorithm>
#include <cmath>

#include "format/tflite_generated.h"
#include "kernels/ops/unary_common.h"
#include "kernels/reference/fixed_point.h"
#include "kernels/reference/quantization.h"
#include "kernels/registry.h"

namespace edgerun::kernels::unary {
namespace {

using reference::MultiplyByQuantizedMultiplier;
using reference::RoundingDivideByPOT;
using reference::SaturatingRoundingDoublingHighMul;

class L2NormalizationKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    if (input->shape.rank() < 1) {
      return ctx.InvalidArgument("input must have rank >= 1");
    }
    RETURN_IF_ERROR(PrepareSameType(
        ctx, *input, *output,
        {DataType::kFloat32, DataType::kUInt8, DataType::kInt8}));
    if (ctx.node().op != nullptr) {
      if (const auto* o = ctx.node().op->builtin_options_as_L2NormOptions()) {
        if (o->fused_activation_function() !=
            tfl::ActivationFunctionType_NONE) {
          return ctx.Unimplemented("fused activations are not supported");
        }
      }
    }
    if (input->type == DataType::kFloat32) return OkStatus();
    RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *input, "input"));
    RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *output, "output"));
    if (output->quant.scale0() != 1.f / 128) {
      return ctx.InvalidArgument("output scale must be 1/128");
    }
    return CheckZeroPoint(ctx, *output,
                          input->type == DataType::kUInt8 ? 128 : 0, "output");
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int rank = input->shape.rank();
    const int depth = input->shape.dim(rank - 1);
    const int64_t rows = input->shape.FlatSize(0, rank - 1);
    if (depth == 0 || rows == 0) return OkStatus();
    const int32_t zp = input->quant.zero_point0();
    switch (input->type) {
      case DataType::kFloat32: {
        const float* in = input->data_as<float>();
        float* out = output->data_as<float>();
        for (int64_t r = 0; r < rows; ++r, in += depth, out += depth) {
          float sum = 0.f;
          for (int c = 0; c < depth; ++c) sum += in[c] * in[c];
          const float norm = std::max(std::sqrt(sum), 1e-6f);
          for (int c = 0; c < depth; ++c) out[c] = in[c] / norm;
        }
        break;
      }
      case DataType::kUInt8: {
        const uint8_t* in = input->data_as<uint8_t>();
        uint8_t* out = output->data_as<uint8_t>();
        for (int64_t r = 0; r < rows; ++r, in += depth, out += depth) {
          int32_t multiplier;
          int shift;
          reference::InvSqrtQuantizedMultiplier(SumSquares(in, depth, zp),
                                                &multiplier, &shift);
          for (int c = 0; c < depth; ++c) {
            const int32_t diff = static_cast<int32_t>(in[c]) - zp;
            // MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0).
            const int32_t rescaled = RoundingDivideByPOT<int32_t>(
                SaturatingRoundingDoublingHighMul<int32_t>(128 * diff,
                                                           multiplier),
                -shift);
            out[c] = static_cast<uint8_t>(std::clamp(128 + rescaled, 0, 255));
          }
        }
        break;
      }
      case DataType::kInt8: {
        const int8_t* in = input->data_as<int8_t>();
        int8_t* out = output->data_as<int8_t>();
        for (int64_t r = 0; r < rows; ++r, in += depth, out += depth) {
          int32_t multiplier;
          int shift;
          reference::InvSqrtQuantizedMultiplier(SumSquares(in, depth, zp),
                                                &multiplier, &shift);
          for (int c = 0; c < depth; ++c) {
            const int32_t diff = static_cast<int32_t>(in[c]) - zp;
            // Output is in 1/128 units: fold the 2^7 into the shift.
            const int32_t q =
                MultiplyByQuantizedMultiplier(diff, multiplier, shift + 7);
            out[c] = static_cast<int8_t>(std::clamp(q, -128, 127));
          }
        }
        break;
      }
      default:
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  static int32_t SumSquares(const T* in, int depth, int32_t zp) {
    // Wraps like TFLite's int32 accumulator for absurdly long rows.
    uint32_t acc = 0;
    for (int c = 0; c < depth; ++c) {
      const int32_t d = static_cast<int32_t>(in[c]) - zp;
      acc += static_cast<uint32_t>(d * d);
    }
    return static_cast<int32_t>(acc);
  }
};

}  // namespace

void RegisterL2NormalizationKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_L2_NORMALIZATION,
                      &Make<L2NormalizationKernel>);
}

}  // namespace edgerun::kernels::unary
