#include "kernels/op_util.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgerun::kernels {

FloatRange FloatActivationRange(tfl::ActivationFunctionType activation) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (activation) {
    case tfl::ActivationFunctionType_RELU: return {0.f, kInf};
    case tfl::ActivationFunctionType_RELU6: return {0.f, 6.f};
    case tfl::ActivationFunctionType_RELU_N1_TO_1: return {-1.f, 1.f};
    default: return {-kInf, kInf};
  }
}

QuantRange TypeRange(DataType type) {
  switch (type) {
    case DataType::kUInt8: return {0, 255};
    case DataType::kInt8: return {-128, 127};
    case DataType::kInt16: return {-32768, 32767};
    case DataType::kInt32:
      return {std::numeric_limits<int32_t>::min(),
              std::numeric_limits<int32_t>::max()};
    default: return {0, 0};
  }
}

StatusOr<QuantRange> QuantizedActivationRange(
    tfl::ActivationFunctionType activation, const Tensor& output) {
  const QuantRange type_range = TypeRange(output.type);
  const float scale = output.quant.scale0();
  const int32_t zero_point = output.quant.zero_point0();
  auto quantize = [&](float f) {
    return zero_point + static_cast<int32_t>(std::round(f / scale));
  };
  switch (activation) {
    case tfl::ActivationFunctionType_NONE: return type_range;
    case tfl::ActivationFunctionType_RELU:
      return QuantRange{std::max(type_range.min, quantize(0.f)), type_range.max};
    case tfl::ActivationFunctionType_RELU6:
      return QuantRange{std::max(type_range.min, quantize(0.f)),
                        std::min(type_range.max, quantize(6.f))};
    case tfl::ActivationFunctionType_RELU_N1_TO_1:
      return QuantRange{std::max(type_range.min, quantize(-1.f)),
                        std::min(type_range.max, quantize(1.f))};
    default:
      return UnimplementedError(
          std::string("fused activation ") +
          tfl::EnumNameActivationFunctionType(activation) +
          " is not supported on quantized outputs");
  }
}

int ComputeOutSize(tfl::Padding padding, int image, int filter, int stride,
                   int dilation) {
  const int effective_filter = (filter - 1) * dilation + 1;
  if (stride <= 0) return 0;
  switch (padding) {
    case tfl::Padding_SAME: return (image + stride - 1) / stride;
    case tfl::Padding_VALID:
      return (image + stride - effective_filter) / stride;
    default: return 0;
  }
}

int ComputePadding(int stride, int dilation, int in_size, int filter_size,
                   int out_size, int* offset) {
  const int effective_filter = (filter_size - 1) * dilation + 1;
  int total = (out_size - 1) * stride + effective_filter - in_size;
  total = total > 0 ? total : 0;
  *offset = total % 2;
  return total / 2;
}

std::string TypeName(DataType type) {
  const std::string_view name = DataTypeName(type);
  if (name.empty()) return "type " + std::to_string(static_cast<int>(type));
  return std::string(name);
}

Status CheckPresent(const KernelContext& ctx, const Tensor* t,
                    const char* what) {
  if (t == nullptr) return ctx.InvalidArgument(std::string(what) + " is missing");
  return OkStatus();
}

Status CheckRank(const KernelContext& ctx, const Tensor* t, int rank,
                 const char* what) {
  RETURN_IF_ERROR(CheckPresent(ctx, t, what));
  if (t->shape.rank() != rank) {
    return ctx.InvalidArgument(std::string(what) + " must have rank " +
                               std::to_string(rank) + ", got shape " +
                               t->shape.ToString());
  }
  return OkStatus();
}

Status CheckArity(const KernelContext& ctx, int min_inputs, int max_inputs,
                  int outputs) {
  if (ctx.num_inputs() < min_inputs || ctx.num_inputs() > max_inputs) {
    return ctx.InvalidArgument(
        "expects " + std::to_string(min_inputs) +
        (min_inputs == max_inputs ? "" : ".." + std::to_string(max_inputs)) +
        " inputs, got " + std::to_string(ctx.num_inputs()));
  }
  if (ctx.num_outputs() != outputs) {
    return ctx.InvalidArgument("expects " + std::to_string(outputs) +
                               " outputs, got " +
                               std::to_string(ctx.num_outputs()));
  }
  return OkStatus();
}

}  // namespace edgerun::kernels
