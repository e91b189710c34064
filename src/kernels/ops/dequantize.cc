// DEQUANTIZE: uint8/int8/int16/int4 (per-tensor or per-channel) and float16
// -> float32. real = scale * (q - zero_point), computed exactly and rounded
// once to float, as TFLite does.
#include <cmath>
#include <cstring>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/ops/unary_common.h"
#include "kernels/reference/float16.h"
#include "kernels/registry.h"

namespace edgerun::kernels::unary {
namespace {

template <typename T>
void DequantizePerTensor(const T* in, float* out, int64_t n, float scale,
                         int32_t zero_point) {
  const double s = scale;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(s * (static_cast<int32_t>(in[i]) - zero_point));
  }
}

template <typename T>
void DequantizePerChannel(const T* in, float* out, const Shape& shape, int axis,
                          const std::vector<float>& scales,
                          const std::vector<int32_t>& zero_points) {
  const int64_t outer = shape.FlatSize(0, axis);
  const int channels = shape.dim(axis);
  const int64_t inner = shape.FlatSize(axis + 1, shape.rank());
  int64_t i = 0;
  for (int64_t o = 0; o < outer; ++o) {
    for (int c = 0; c < channels; ++c) {
      for (int64_t k = 0; k < inner; ++k, ++i) {
        out[i] = scales[c] * static_cast<float>(static_cast<int32_t>(in[i]) -
                                                zero_points[c]);
      }
    }
  }
}

class DequantizeKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    if (!TypeIn(input->type,
                {DataType::kUInt8, DataType::kInt8, DataType::kInt16,
                 DataType::kInt4, DataType::kFloat16})) {
      return ctx.Unimplemented("input type " + TypeName(input->type) +
                               " is not supported");
    }
    if (output->type != DataType::kFloat32) {
      return ctx.InvalidArgument("output must be float32, got " +
                                 TypeName(output->type));
    }
    per_channel_ = false;
    if (input->type != DataType::kFloat16) {
      const QuantParams& q = input->quant;
      if (q.scale.size() > 1) {
        RETURN_IF_ERROR(GetPerChannelQuantization(
            ctx, q, input->shape, "input", &axis_, &scales_, &zero_points_));
        per_channel_ = true;
      } else if (!q.quantized()) {
        return ctx.InvalidArgument("input has no quantization parameters");
      }
    }
    return ctx.ResizeOutput(0, input->shape);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t n = input->NumElements();
    float* out = output->data_as<float>();
    if (n == 0) return OkStatus();
    if (input->type == DataType::kFloat16) {
      const uint16_t* in = input->data_as<uint16_t>();
      for (int64_t i = 0; i < n; ++i) out[i] = reference::HalfToFloat(in[i]);
      return OkStatus();
    }
    switch (input->type) {
      case DataType::kUInt8:
        Run(input->data_as<uint8_t>(), *input, out, n);
        break;
      case DataType::kInt8:
      case DataType::kInt4:  // unpacked in memory, one value per byte
        Run(input->data_as<int8_t>(), *input, out, n);
        break;
      case DataType::kInt16:
        Run(input->data_as<int16_t>(), *input, out, n);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  void Run(const T* in, const Tensor& input, float* out, int64_t n) const {
    if (per_channel_) {
      DequantizePerChannel(in, out, input.shape, axis_, scales_, zero_points_);
    } else {
      DequantizePerTensor(in, out, n, input.quant.scale0(),
                          input.quant.zero_point0());
    }
  }

  bool per_channel_ = false;
  int axis_ = 0;
  std::vector<float> scales_;
  std::vector<int32_t> zero_points_;
};

}  // namespace

void RegisterDequantizeKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_DEQUANTIZE, &Make<DequantizeKernel>);
}

}  // namespace edgerun::kernels::unary
