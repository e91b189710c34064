// Shared pieces of the unary kernel family (element-wise math, activations,
// softmax, quantize/dequantize/cast): Prepare-time checks and the per-file
// registration functions that RegisterUnaryKernels (unary_registry.cc) calls.
// Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_OPS_UNARY_COMMON_H_
#define EDGERUN_KERNELS_OPS_UNARY_COMMON_H_

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "edgerun/base/status.h"
#include "kernels/kernel_api.h"
#include "kernels/op_util.h"
#include "kernels/reference/lut.h"

namespace edgerun::kernels {

class KernelRegistry;

namespace unary {

template <typename Kernel>
std::unique_ptr<OpKernel> Make() {
  return std::make_unique<Kernel>();
}

inline bool TypeIn(DataType type, std::initializer_list<DataType> types) {
  for (DataType t : types) {
    if (t == type) return true;
  }
  return false;
}

// One input, one output, both present. Sets *input / *output.
inline Status GetUnaryTensors(KernelContext& ctx, const Tensor** input,
                              Tensor** output) {
  RETURN_IF_ERROR(CheckArity(ctx, 1, 1, 1));
  *input = ctx.input(0);
  RETURN_IF_ERROR(CheckPresent(ctx, *input, "input"));
  *output = ctx.output(0);
  RETURN_IF_ERROR(CheckPresent(ctx, *output, "output"));
  return OkStatus();
}

// Checks that the input type is one of `types` and the output has the same
// type, then gives the output the input's shape.
inline Status PrepareSameType(KernelContext& ctx, const Tensor& input,
                              const Tensor& output,
                              std::initializer_list<DataType> types) {
  if (!TypeIn(input.type, types)) {
    return ctx.Unimplemented("input type " + TypeName(input.type) +
                             " is not supported");
  }
  if (output.type != input.type) {
    return ctx.InvalidArgument("output type " + TypeName(output.type) +
                               " differs from input type " +
                               TypeName(input.type));
  }
  return ctx.ResizeOutput(0, input.shape);
}

// The tensor has one positive, finite scale (per-tensor quantization).
inline Status CheckPerTensorQuant(const KernelContext& ctx, const Tensor& t,
                                  const char* what) {
  if (!t.quant.quantized()) {
    return ctx.InvalidArgument(std::string(what) + " (" + TypeName(t.type) +
                               ") has no quantization parameters");
  }
  const float scale = t.quant.scale[0];
  if (!(scale > 0.f) || !std::isfinite(scale)) {
    return ctx.InvalidArgument(std::string(what) + " has invalid scale " +
                               std::to_string(scale));
  }
  // Like TFLite's kernels, extra per-channel entries are ignored: these ops
  // read params.scale / params.zero_point, i.e. entry 0.
  const QuantRange range =
      t.type == DataType::kInt4 ? QuantRange{-8, 7} : TypeRange(t.type);
  const int64_t zp = t.quant.zero_point.empty() ? 0 : t.quant.zero_point[0];
  if (t.type != DataType::kInt32 && (zp < range.min || zp > range.max)) {
    return ctx.InvalidArgument(std::string(what) + " zero point " +
                               std::to_string(zp) + " is outside the " +
                               TypeName(t.type) + " range");
  }
  return OkStatus();
}

inline Status CheckZeroPoint(const KernelContext& ctx, const Tensor& t,
                             int32_t expected, const char* what) {
  if (t.quant.zero_point0() != expected) {
    return ctx.InvalidArgument(std::string(what) + " zero point must be " +
                               std::to_string(expected) + ", got " +
                               std::to_string(t.quant.zero_point0()));
  }
  return OkStatus();
}

// The quantized-operand checks most unary kernels share: both tensors
// per-tensor quantized and, where TFLite requires it for int16
// (`int16_zero_points`), both zero points 0.
inline Status CheckQuantizedUnary(const KernelContext& ctx, const Tensor& input,
                                  const Tensor& output,
                                  bool int16_zero_points) {
  RETURN_IF_ERROR(CheckPerTensorQuant(ctx, input, "input"));
  RETURN_IF_ERROR(CheckPerTensorQuant(ctx, output, "output"));
  if (int16_zero_points && input.type == DataType::kInt16) {
    RETURN_IF_ERROR(CheckZeroPoint(ctx, input, 0, "input"));
    RETURN_IF_ERROR(CheckZeroPoint(ctx, output, 0, "output"));
  }
  return OkStatus();
}

// out[i] = fn(in[i]) over a float32 input.
template <typename Fn>
void MapFloat(const Tensor& input, Tensor& output, Fn fn) {
  const int64_t n = input.NumElements();
  const float* in = input.data_as<float>();
  float* out = output.data_as<float>();
  for (int64_t i = 0; i < n; ++i) out[i] = fn(in[i]);
}

// Fills the 256-entry table of `fn` for a uint8 or int8 input at the
// operands' scales and zero points.
template <typename Fn>
void PopulateLut8For(const Tensor& input, const Tensor& output, Fn fn,
                     uint8_t* table) {
  if (input.type == DataType::kUInt8) {
    reference::PopulateLut8<uint8_t>(
        input.quant.scale0(), input.quant.zero_point0(), output.quant.scale0(),
        output.quant.zero_point0(), fn, table);
  } else {
    reference::PopulateLut8<int8_t>(
        input.quant.scale0(), input.quant.zero_point0(), output.quant.scale0(),
        output.quant.zero_point0(), fn, table);
  }
}

// Maps a uint8 / int8 input through a 256-entry table.
template <typename T>
void MapLut8(const Tensor& input, Tensor& output, const uint8_t* table) {
  const int64_t n = input.NumElements();
  const T* in = input.data_as<T>();
  T* out = output.data_as<T>();
  for (int64_t i = 0; i < n; ++i) out[i] = reference::Lut8Lookup(in[i], table);
}

// Maps an int16 input through a 513-entry interpolated table.
inline void MapLut16(const Tensor& input, Tensor& output,
                     const int16_t* table) {
  const int64_t n = input.NumElements();
  const int16_t* in = input.data_as<int16_t>();
  int16_t* out = output.data_as<int16_t>();
  for (int64_t i = 0; i < n; ++i) out[i] = reference::Lut16Lookup(in[i], table);
}

// TFLite's CheckedLog2: *log2 = round(log2(x)); true when x is a power of
// two up to 1e-3 in the exponent. Float arithmetic, as in TFLite.
inline bool CheckedLog2(float x, int* log2) {
  const float x_log2 = std::log(x) * (1.0f / std::log(2.0f));
  const float rounded = std::round(x_log2);
  *log2 = static_cast<int>(rounded);
  return std::abs(x_log2 - rounded) < 1e-3f;
}

// Per-file registration, called by RegisterUnaryKernels.
void RegisterElementwiseUnaryKernels(KernelRegistry& registry);
void RegisterActivationKernels(KernelRegistry& registry);
void RegisterLogisticTanhKernels(KernelRegistry& registry);
void RegisterSoftmaxKernels(KernelRegistry& registry);
void RegisterL2NormalizationKernels(KernelRegistry& registry);
void RegisterQuantizeKernels(KernelRegistry& registry);
void RegisterDequantizeKernels(KernelRegistry& registry);
void RegisterCastKernels(KernelRegistry& registry);

// Checks per-channel quantization `q` of a tensor of `shape` (one scale per
// slice along quantized_dimension; zero points one per channel or shared) and
// copies it out. `which` ("input"/"output") names the tensor in errors.
inline Status GetPerChannelQuantization(const KernelContext& ctx,
                                        const QuantParams& q,
                                        const Shape& shape, const char* which,
                                        int* axis, std::vector<float>* scales,
                                        std::vector<int32_t>* zero_points) {
  const int dim = q.quantized_dimension;
  if (dim < 0 || dim >= shape.rank() ||
      shape.dim(dim) != static_cast<int32_t>(q.scale.size())) {
    return ctx.InvalidArgument(
        std::string(which) + " has " + std::to_string(q.scale.size()) +
        " scales for quantized dimension " + std::to_string(dim) +
        " of shape " + shape.ToString());
  }
  if (q.zero_point.size() != q.scale.size() && q.zero_point.size() > 1) {
    return ctx.InvalidArgument(std::string(which) +
                               " zero points do not match scales");
  }
  *axis = dim;
  *scales = q.scale;
  zero_points->assign(q.scale.size(), q.zero_point0());
  for (size_t c = 0; c < q.zero_point.size(); ++c) {
    (*zero_points)[c] = static_cast<int32_t>(q.zero_point[c]);
  }
  return OkStatus();
}

}  // namespace unary
}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_OPS_UNARY_COMMON_H_
