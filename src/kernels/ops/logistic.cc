// LOGISTIC and TANH: float32; uint8/int8 through a 256-entry table of the
// float function (TFLite's default kernels); int16 with zero points 0 and a
// 2^-15 output scale, by gemmlowp fixed point for power-of-two input scales
// and by the interpolated sigmoid table otherwise.
#include <cmath>

#include "format/tflite_generated.h"
#include "kernels/ops/unary_common.h"
#include "kernels/reference/activations.h"
#include "kernels/reference/lut.h"
#include "kernels/registry.h"

namespace edgerun::kernels::unary {
namespace {

enum class Function { kLogistic, kTanh };

float ApplyFloat(Function f, float x) {
  return f == Function::kLogistic ? 1.0f / (1.0f + std::exp(-x)) : std::tanh(x);
}

// Owns its table; parameters are recomputed by every Prepare.
class LogisticTanhKernel final : public OpKernel {
 public:
  explicit LogisticTanhKernel(Function f) : f_(f) {}

  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    RETURN_IF_ERROR(PrepareSameType(ctx, *input, *output,
                                    {DataType::kFloat32, DataType::kUInt8,
                                     DataType::kInt8, DataType::kInt16}));
    if (input->type == DataType::kFloat32) return OkStatus();
    RETURN_IF_ERROR(CheckQuantizedUnary(ctx, *input, *output,
                                        /*int16_zero_points=*/false));
    const float in_scale = input->quant.scale0();
    const float out_scale = output->quant.scale0();
    if (input->type == DataType::kUInt8 || input->type == DataType::kInt8) {
      if (f_ == Function::kLogistic && out_scale != 1.f / 256) {
        return ctx.InvalidArgument("output scale must be 1/256");
      }
      PopulateLut8For(
          *input, *output, [this](float x) { return ApplyFloat(f_, x); },
          table_);
      return OkStatus();
    }
    // int16
    RETURN_IF_ERROR(CheckZeroPoint(ctx, *input, 0, "input"));
    RETURN_IF_ERROR(CheckZeroPoint(ctx, *output, 0, "output"));
    int out_log2 = 0;
    if (!CheckedLog2(out_scale, &out_log2) || out_log2 != -15) {
      return ctx.InvalidArgument("int16 output scale must be 2^-15");
    }
    int in_log2 = 0;
    bool pot = CheckedLog2(in_scale, &in_log2);
    input_left_shift_ = (15 - 3) + in_log2;
    input_multiplier_ = 0;
    pot = pot && (input_left_shift_ == 0 ||
                  (f_ == Function::kTanh && input_left_shift_ == 1));
    if (!pot) {
      // Rescale the input to units of 1/(3*4096): +-2^17 covers +-10.7.
      double multiplier = static_cast<double>(in_scale) * 4096.0 * 3.0;
      input_left_shift_ = 0;
      while (multiplier <= 32767.0 / 2.0 && input_left_shift_ <= 30) {
        ++input_left_shift_;
        multiplier *= 2.0;
      }
      input_multiplier_ = static_cast<int32_t>(multiplier);
    }
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t n = input->NumElements();
    switch (input->type) {
      case DataType::kFloat32: {
        const Function f = f_;
        MapFloat(*input, *output, [f](float x) { return ApplyFloat(f, x); });
        break;
      }
      case DataType::kUInt8:
        MapLut8<uint8_t>(*input, *output, table_);
        break;
      case DataType::kInt8:
        MapLut8<int8_t>(*input, *output, table_);
        break;
      case DataType::kInt16: {
        const int16_t* in = input->data_as<int16_t>();
        int16_t* out = output->data_as<int16_t>();
        if (f_ == Function::kLogistic) {
          if (input_multiplier_ > 0) {
            reference::LogisticInt16Table(input_multiplier_, input_left_shift_,
                                          in, out, n);
          } else {
            reference::LogisticInt16FixedPoint(in, out, n);
          }
        } else {
          if (input_multiplier_ > 0) {
            reference::TanhInt16Table(input_multiplier_, input_left_shift_, in,
                                      out, n);
          } else {
            reference::TanhInt16FixedPoint(input_left_shift_, in, out, n);
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
  Function f_;
  uint8_t table_[reference::kLut8Size] = {};
  int32_t input_multiplier_ = 0;
  int input_left_shift_ = 0;
};

std::unique_ptr<OpKernel> MakeLogistic() {
  return std::make_unique<LogisticTanhKernel>(Function::kLogistic);
}
std::unique_ptr<OpKernel> MakeTanh() {
  return std::make_unique<LogisticTanhKernel>(Function::kTanh);
}

}  // namespace

void RegisterLogisticTanhKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_LOGISTIC, &MakeLogistic);
  registry.AddBuiltin(tfl::BuiltinOperator_TANH, &MakeTanh);
}

}  // namespace edgerun::kernels::unary
