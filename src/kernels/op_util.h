// Helpers shared by kernels: fused activations, padding, type checks.
// Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_OP_UTIL_H_
#define EDGERUN_KERNELS_OP_UTIL_H_

#include <cstdint>
#include <string>

#include "edgerun/base/status.h"
#include "format/tflite_generated.h"
#include "kernels/kernel_api.h"

namespace edgerun::kernels {

// Clamp range of a fused activation on float outputs.
struct FloatRange {
  float min;
  float max;
};
FloatRange FloatActivationRange(tfl::ActivationFunctionType activation);

// Clamp range of a fused activation on a quantized output (uint8, int8,
// int16), in the output's quantized domain, as TFLite computes it.
struct QuantRange {
  int32_t min;
  int32_t max;
};
StatusOr<QuantRange> QuantizedActivationRange(
    tfl::ActivationFunctionType activation, const Tensor& output);

// Full range of a quantized type (uint8 0..255, int8 -128..127, ...).
QuantRange TypeRange(DataType type);

// Output size of a sliding window along one axis.
int ComputeOutSize(tfl::Padding padding, int image, int filter, int stride,
                   int dilation);

// Leading padding of a window along one axis; `offset` receives the odd
// extra padding TFLite puts at the end.
int ComputePadding(int stride, int dilation, int in_size, int filter_size,
                   int out_size, int* offset);

// "float32", "uint8", ...
std::string TypeName(DataType type);

// Fails with InvalidArgument naming the node when `t` is null (missing
// required input/output) or its rank differs.
Status CheckRank(const KernelContext& ctx, const Tensor* t, int rank,
                 const char* what);
Status CheckPresent(const KernelContext& ctx, const Tensor* t,
                    const char* what);

// Requires that the node has between min and max inputs / exactly `outputs`.
Status CheckArity(const KernelContext& ctx, int min_inputs, int max_inputs,
                  int outputs);

}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_OP_UTIL_H_
