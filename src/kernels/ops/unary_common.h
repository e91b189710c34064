// Shared pieces of the unary kernel family (element-wise math, activations,
// softmax, quantize/dequantize/cast): Prepare-time checks and the per-file
// registration functions that RegisterUnaryKernels (unary_registry.cc) calls.
// Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_OPS_UNARY_COMMON_H_
#define EDGERUN_KERNELS_OPS_UNARY_COMMON_H_

#include <cmath>
#include <initializer_list>
#include <memory>
#include <string>

#include "edgerun/base/status.h"
#include "kernels/kernel_api.h"
#include "kernels/op_util.h"

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

}  // namespace unary
}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_OPS_UNARY_COMMON_H_
