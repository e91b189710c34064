// Matrix helpers shared by FULLY_CONNECTED, BATCH_MATMUL, SVDF and LSTM:
// weight packing for a cache- and SIMD-friendly matrix-vector product, and
// TensorFlow Lite's on-the-fly input quantization of the hybrid kernels.
// Framework-free.
//
// Packed layout: the rows of a [rows, depth] weight matrix are grouped in
// blocks of kPackRows; inside a block the kPackRows weights of one depth
// index are adjacent. A matrix-vector product then runs kPackRows
// independent accumulators over the depth in order, so each output sums its
// products in exactly the order of a naive dot product (float results match
// the reference loop) while the inner loop is a plain vector multiply-add.
#ifndef EDGERUN_KERNELS_REFERENCE_MATMUL_H_
#define EDGERUN_KERNELS_REFERENCE_MATMUL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace edgerun::kernels::reference {

inline constexpr int kPackRows = 8;

inline int PackedBlocks(int rows) { return (rows + kPackRows - 1) / kPackRows; }

// Packs `rows` x `depth` row-major `src` as described above, storing
// static_cast<Packed>(src[i] + offset); rows past the end are zero.
template <typename Packed, typename Src>
void PackRows(const Src* src, int rows, int depth, int32_t offset,
              std::vector<Packed>& packed) {
  const int blocks = PackedBlocks(rows);
  packed.assign(static_cast<size_t>(blocks) * kPackRows * depth, Packed(0));
  for (int r = 0; r < rows; ++r) {
    Packed* dst = packed.data() +
                  static_cast<size_t>(r / kPackRows) * kPackRows * depth +
                  r % kPackRows;
    const Src* row = src + static_cast<size_t>(r) * depth;
    for (int k = 0; k < depth; ++k) {
      dst[static_cast<size_t>(k) * kPackRows] =
          static_cast<Packed>(static_cast<int32_t>(row[k]) + offset);
    }
  }
}

template <typename Src>
void PackRowsFloat(const Src* src, int rows, int depth,
                   std::vector<float>& packed) {
  const int blocks = PackedBlocks(rows);
  packed.assign(static_cast<size_t>(blocks) * kPackRows * depth, 0.f);
  for (int r = 0; r < rows; ++r) {
    float* dst = packed.data() +
                 static_cast<size_t>(r / kPackRows) * kPackRows * depth +
                 r % kPackRows;
    const Src* row = src + static_cast<size_t>(r) * depth;
    for (int k = 0; k < depth; ++k) {
      dst[static_cast<size_t>(k) * kPackRows] = static_cast<float>(row[k]);
    }
  }
}

// acc[0..kPackRows) = sum_k (x[k] + x_offset) * block[k][j] for one packed
// block, summing k in increasing order.
template <typename Acc, typename X, typename Packed>
inline void PackedBlockDot(const Packed* block, int depth, const X* x,
                           Acc x_offset, Acc* acc) {
  Acc a[kPackRows] = {};
  for (int k = 0; k < depth; ++k) {
    const Acc xv = static_cast<Acc>(x[k]) + x_offset;
    const Packed* w = block + static_cast<size_t>(k) * kPackRows;
    for (int j = 0; j < kPackRows; ++j) a[j] += xv * static_cast<Acc>(w[j]);
  }
  for (int j = 0; j < kPackRows; ++j) acc[j] = a[j];
}

// Calls fn(row, acc) for every row of a packed [rows, depth] matrix times
// the vector x (+ x_offset).
template <typename Acc, typename X, typename Packed, typename Fn>
inline void PackedMatVec(const Packed* packed, int rows, int depth, const X* x,
                         Acc x_offset, Fn&& fn) {
  const int blocks = PackedBlocks(rows);
  Acc acc[kPackRows];
  for (int b = 0; b < blocks; ++b) {
    PackedBlockDot<Acc>(packed + static_cast<size_t>(b) * kPackRows * depth,
                        depth, x, x_offset, acc);
    const int base = b * kPackRows;
    const int n = std::min(kPackRows, rows - base);
    for (int j = 0; j < n; ++j) fn(base + j, acc[j]);
  }
}

// TfLiteRound: round half away from zero.
inline float RoundHalfAway(float v) { return std::round(v); }

// TFLite's SymmetricQuantizeFloats: int8 in [-127, 127] with
// scale = max|v| / 127 (1 when all values are zero).
inline void SymmetricQuantizeFloats(const float* values, int size,
                                    int8_t* quantized, float* scaling_factor) {
  float min_value = 0.f;
  float max_value = 0.f;
  if (size > 0) {
    const auto mm = std::minmax_element(values, values + size);
    min_value = *mm.first;
    max_value = *mm.second;
  }
  constexpr int32_t kScale = 127;
  const float range = std::max(std::abs(min_value), std::abs(max_value));
  if (range == 0) {
    std::memset(quantized, 0, static_cast<size_t>(size));
    *scaling_factor = 1;
    return;
  }
  *scaling_factor = range / kScale;
  const float inv = kScale / range;
  for (int i = 0; i < size; ++i) {
    const int32_t q = static_cast<int32_t>(RoundHalfAway(values[i] * inv));
    quantized[i] = static_cast<int8_t>(std::min(kScale, std::max(-kScale, q)));
  }
}

// TFLite's AsymmetricQuantizeFloats: int8 in [-128, 127] over
// [min(0, v), max(0, v)] with a nudged zero point (`offset`).
inline void AsymmetricQuantizeFloats(const float* values, int size,
                                     int8_t* quantized, float* scaling_factor,
                                     int32_t* offset) {
  constexpr int32_t kMin = -128;
  constexpr int32_t kMax = 127;
  const double qmin = kMin;
  const double qmax = kMax;
  double rmin = 0;
  double rmax = 0;
  if (size > 0) {
    const auto mm = std::minmax_element(values, values + size);
    rmin = std::fmin(0, *mm.first);
    rmax = std::fmax(0, *mm.second);
  }
  if (rmin == rmax) {
    std::memset(quantized, 0, static_cast<size_t>(size));
    *scaling_factor = 1;
    *offset = 0;
    return;
  }
  const double scale = (rmax - rmin) / (qmax - qmin);
  const double zp_from_min = qmin - rmin / scale;
  const double zp_from_max = qmax - rmax / scale;
  const double zp_from_min_error = std::abs(qmin) + std::abs(rmin / scale);
  const double zp_from_max_error = std::abs(qmax) + std::abs(rmax / scale);
  const double zp =
      zp_from_min_error < zp_from_max_error ? zp_from_min : zp_from_max;
  int8_t nudged = 0;
  if (zp <= qmin) {
    nudged = static_cast<int8_t>(kMin);
  } else if (zp >= qmax) {
    nudged = static_cast<int8_t>(kMax);
  } else {
    nudged = static_cast<int8_t>(std::round(zp));
  }
  *scaling_factor = static_cast<float>(scale);
  *offset = nudged;
  const float inv = 1.0f / *scaling_factor;
  for (int i = 0; i < size; ++i) {
    const int32_t q = static_cast<int32_t>(
        RoundHalfAway(static_cast<float>(*offset) + values[i] * inv));
    quantized[i] = static_cast<int8_t>(std::min(kMax, std::max(kMin, q)));
  }
}

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_MATMUL_H_
