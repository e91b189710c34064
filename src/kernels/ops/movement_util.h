// Helpers shared by the data-movement, pooling, reduction and resize kernels
// (kernels/ops/*.cc of the "movement" family): reading small index tensors,
// normalizing axes, and strided N-d iteration over raw element bytes.
//
// Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_OPS_MOVEMENT_UTIL_H_
#define EDGERUN_KERNELS_OPS_MOVEMENT_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgerun/base/status.h"
#include "kernels/kernel_api.h"

namespace edgerun::kernels::movement {

// Element types that data-movement kernels copy as raw bytes.
bool IsCopyableType(DataType type);

// True for uint8 / int8 / int16 (the quantized activation types).
bool IsQuantizedActivationType(DataType type);

// Reads the values of an int32 or int64 (int16 too when `allow_int16`)
// tensor of any rank into `out`. Fails naming `what` for other types.
Status ReadIndexTensor(const KernelContext& ctx, const Tensor& t,
                       const char* what, std::vector<int64_t>* out,
                       bool allow_int16 = false);

// Maps axis in [-rank, rank) to [0, rank); InvalidArgument otherwise.
Status NormalizeAxis(const KernelContext& ctx, int64_t axis, int rank,
                     const char* what, int* out);

// Fails unless output has the input's dtype.
Status CheckSameType(const KernelContext& ctx, const Tensor& input,
                     const Tensor& output);

// Fails unless both tensors carry the same per-tensor scale and zero point
// (or neither is quantized). `why` names the op's restriction.
Status CheckSameQuant(const KernelContext& ctx, const Tensor& a,
                      const Tensor& b, const char* why);

// Checked product of dims; InvalidArgument when it exceeds int32 range.
Status CheckedShape(const KernelContext& ctx, const std::vector<int64_t>& dims,
                    const char* what, Shape* out);

// Row-major strides (in elements) of `shape`.
std::vector<int64_t> Strides(const Shape& shape);

// Calls fn(index) for every index of `dims` in row-major order (nothing
// when a dimension is 0).
template <typename Fn>
void ForEachIndex(const std::vector<int32_t>& dims, Fn&& fn) {
  const int rank = static_cast<int>(dims.size());
  for (int32_t d : dims) {
    if (d <= 0) return;
  }
  std::vector<int32_t> index(rank, 0);
  while (true) {
    fn(index);
    int axis = rank - 1;
    while (axis >= 0) {
      if (++index[axis] < dims[axis]) break;
      index[axis] = 0;
      --axis;
    }
    if (axis < 0) return;
  }
}

}  // namespace edgerun::kernels::movement

#endif  // EDGERUN_KERNELS_OPS_MOVEMENT_UTIL_H_
