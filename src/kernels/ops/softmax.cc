// SOFTMAX (float32; uint8 -> uint8/int16; int8 -> int8/int16; int16 ->
// int16) and LOG_SOFTMAX (float32, uint8, int8) over the last dimension.
// Quantized paths follow TFLite's builtin kernels bit for bit: 8-bit inputs
// use a float exp table, int16 uses interpolated int16 tables.
#include "kernels/reference/softmax.h"

#include <memory>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/ops/unary_common.h"
#include "kernels/reference/quantization.h"
#include "kernels/registry.h"

namespace edgerun::kernels::unary {
namespace {

using reference::QuantizeMultiplier;

// Rows and row length of a softmax over the last dimension.
struct RowLayout {
  int64_t rows = 0;
  int depth = 0;
};

RowLayout LayoutOf(const Shape& shape) {
  RowLayout l;
  l.depth = shape.dim(shape.rank() - 1);
  l.rows = shape.FlatSize(0, shape.rank() - 1);
  return l;
}

// Owns its lookup tables (one per node); not shared between threads.
class SoftmaxKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    if (input->shape.rank() < 1) {
      return ctx.InvalidArgument("input must have rank >= 1");
    }
    beta_ = 0.f;  // TFLite's value when the options are missing
    if (ctx.node().op != nullptr) {
      if (const auto* o = ctx.node().op->builtin_options_as_SoftmaxOptions()) {
        beta_ = o->beta();
      }
    }
    const DataType in = input->type;
    const DataType out = output->type;
    const bool supported =
        (in == DataType::kFloat32 && out == DataType::kFloat32) ||
        (in == DataType::kUInt8 &&
         (out == DataType::kUInt8 || out == DataType::kInt16)) ||
        (in == DataType::kInt8 &&
         (out == DataType::kInt8 || out == DataType::kInt16)) ||
        (in == DataType::kInt16 && out == DataType::kInt16);
    if (!supported) {
      return ctx.Unimplemented("input " + TypeName(in) + " with output " +
                               TypeName(out) + " is not supported");
    }
    if (in != DataType::kFloat32) {
      RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *input, "input"));
      RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *output, "output"));
    }
    if (in == DataType::kInt8 && out == DataType::kInt8) {
      RETURN_IF_ERROR(CheckZeroPoint(ctx, *output, -128, "output"));
      if (std::abs(output->quant.scale0() - 1.f / 256) > 0.001f / 256) {
        return ctx.InvalidArgument("int8 output scale must be 1/256");
      }
    }
    if (in == DataType::kUInt8 || in == DataType::kInt8) {
      table_.resize(256);
      reference::PopulateSoftmaxTable(input->quant.scale0(), beta_,
                                      table_.data());
    }
    if (in == DataType::kInt16) {
      if (input->shape.rank() > 4) {
        return ctx.Unimplemented("int16 input supports rank 1 to 4, got " +
                                 std::to_string(input->shape.rank()));
      }
      RETURN_IF_ERROR(CheckZeroPoint(ctx, *input, 0, "input"));
      RETURN_IF_ERROR(CheckZeroPoint(ctx, *output, 0, "output"));
      if (std::abs(output->quant.scale0() - 1.f / 32768) > 0.001f / 32768) {
        return ctx.InvalidArgument("int16 output scale must be 1/32768");
      }
      if (int16_tables_ == nullptr) {
        int16_tables_ = std::make_unique<reference::SoftmaxInt16Tables>();
        reference::PopulateSoftmaxInt16Tables(int16_tables_.get());
      }
      // TFLite multiplies scale and beta in float, then rescales in double.
      const float scale_beta = input->quant.scale0() * beta_;
      input_multiplier_ = QuantizeMultiplier(static_cast<double>(scale_beta) /
                                             (10.0 / 65535.0));
    }
    return ctx.ResizeOutput(0, input->shape);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const RowLayout l = LayoutOf(input->shape);
    if (l.rows == 0 || l.depth == 0) return OkStatus();
    const float out_scale = output->quant.scale0();
    const int32_t out_zp = output->quant.zero_point0();
    switch (input->type) {
      case DataType::kFloat32:
        reference::SoftmaxFloat(input->data_as<float>(),
                                output->data_as<float>(), l.rows, l.depth,
                                beta_);
        break;
      case DataType::kUInt8:
        if (output->type == DataType::kUInt8) {
          reference::SoftmaxQuantizedLut(
              table_.data(), out_scale, out_zp, input->data_as<uint8_t>(),
              output->data_as<uint8_t>(), l.rows, l.depth);
        } else {
          reference::SoftmaxQuantizedLut(
              table_.data(), out_scale, out_zp, input->data_as<uint8_t>(),
              output->data_as<int16_t>(), l.rows, l.depth);
        }
        break;
      case DataType::kInt8:
        if (output->type == DataType::kInt8) {
          reference::SoftmaxQuantizedLut(
              table_.data(), out_scale, out_zp, input->data_as<int8_t>(),
              output->data_as<int8_t>(), l.rows, l.depth);
        } else {
          reference::SoftmaxQuantizedLut(
              table_.data(), out_scale, out_zp, input->data_as<int8_t>(),
              output->data_as<int16_t>(), l.rows, l.depth);
        }
        break;
      case DataType::kInt16:
        reference::SoftmaxInt16(*int16_tables_, input_multiplier_.multiplier,
                                input_multiplier_.shift,
                                input->data_as<int16_t>(),
                                output->data_as<int16_t>(), l.rows, l.depth);
        break;
      default:
        break;  // rejected in Prepare
    }
    return OkStatus();
  }

 private:
  float beta_ = 0.f;
  std::vector<float> table_;
  std::unique_ptr<reference::SoftmaxInt16Tables> int16_tables_;
  reference::QuantizedMultiplier input_multiplier_;
};

class LogSoftmaxKernel final : public OpKernel {
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
    if (input->type != DataType::kFloat32) {
      RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *input, "input"));
      RETURN_IF_ERROR(CheckPerTensorQuant(ctx, *output, "output"));
      if (output->quant.scale0() != 16.f / 256) {
        return ctx.InvalidArgument("output scale must be 16/256");
      }
      RETURN_IF_ERROR(CheckZeroPoint(
          ctx, *output, input->type == DataType::kUInt8 ? 255 : 127, "output"));
      table_.resize(256);
      reference::PopulateSoftmaxTable(input->quant.scale0(), 1.f,
                                      table_.data());
    }
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const RowLayout l = LayoutOf(input->shape);
    if (l.rows == 0 || l.depth == 0) return OkStatus();
    switch (input->type) {
      case DataType::kFloat32:
        reference::LogSoftmaxFloat(input->data_as<float>(),
                                   output->data_as<float>(), l.rows, l.depth);
        break;
      case DataType::kUInt8:
        reference::LogSoftmaxQuantizedLut(
            table_.data(), input->quant.scale0(), output->quant.scale0(),
            output->quant.zero_point0(), input->data_as<uint8_t>(),
            output->data_as<uint8_t>(), l.rows, l.depth);
        break;
      case DataType::kInt8:
        reference::LogSoftmaxQuantizedLut(
            table_.data(), input->quant.scale0(), output->quant.scale0(),
            output->quant.zero_point0(), input->data_as<int8_t>(),
            output->data_as<int8_t>(), l.rows, l.depth);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  std::vector<float> table_;
};

}  // namespace

void RegisterSoftmaxKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_SOFTMAX, &Make<SoftmaxKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_LOG_SOFTMAX,
                      &Make<LogSoftmaxKernel>);
}

}  // namespace edgerun::kernels::unary
