// Micro-kernels behind the optimized 8-bit convolutions (conv_8bit.h): a
// portable version and, on x86-64, AVX-512 VNNI ones chosen at run time.
// All versions compute bit-identical results: the requantization is
// TFLite's fixed-point MultiplyByQuantizedMultiplier.
// Internal to kernels/optimized/. Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_OPTIMIZED_CONV_INTERNAL_H_
#define EDGERUN_KERNELS_OPTIMIZED_CONV_INTERNAL_H_

#include <cstdint>

namespace edgerun::kernels::optimized::internal {

// Output channels per packed filter panel (one 512-bit vector of int32).
inline constexpr int kPanel = 16;
// Rows (output pixels) of one GEMM micro-tile; packed input blocks are
// padded with zero rows to a multiple of it.
inline constexpr int kTileRows = 8;

// Per-output-channel output stage; every array is padded with zeros to a
// whole number of panels so vector code may read full panels.
//
// Two arithmetics: TFLite's reference fixed point (multiplier and shifts),
// or XNNPACK's fp32 requantization (`fp32`), which TFLite uses when its
// default XNNPACK delegate runs the op: float(acc) * scale, clamped, rounded
// to nearest even, plus the zero point.
struct Requant8 {
  const int32_t* bias = nullptr;         // accumulator start (bias or 0)
  const int32_t* multiplier = nullptr;   // Q0.31
  const int32_t* left_shift = nullptr;   // max(shift, 0)
  const int32_t* right_shift = nullptr;  // max(-shift, 0)
  const float* scale = nullptr;          // fp32 mode: real multiplier
  bool fp32 = false;
  int32_t output_offset = 0;
  int32_t act_min = 0;
  int32_t act_max = 0;
};

// out[r][c] = requant(bias[c] + sum_k a[r][k] * w[c][k]) for r < rows,
// c < n. `a`: int16 rows of kp (even) values, rows padded to kTileRows.
// `b`: panels of kPanel channels; panel p holds, for each k pair j, the
// 2 x kPanel values w[16p + i][2j], w[16p + i][2j + 1] interleaved by i.
// `out`: 8-bit values (uint8 or int8: the bits are the same after the
// clamp), row r at out + r * out_stride.
void GemmBlockGeneric(const int16_t* a, int rows, int kp, const int16_t* b,
                      int n, const Requant8& rq, uint8_t* out,
                      int64_t out_stride);

// Depthwise convolution with depth multiplier 1 over one output row.
struct DepthwiseRow {
  const uint8_t* input = nullptr;  // image of this batch (8-bit)
  bool input_signed = false;       // int8 (true) or uint8 input
  int32_t input_offset = 0;        // -input zero point
  int in_h = 0, in_w = 0, channels = 0;
  int out_w = 0;
  int filter_h = 0, filter_w = 0;
  int stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int pad_h = 0, pad_w = 0;
  const int32_t* weights = nullptr;  // [filter_h * filter_w][padded channels]
  int padded_channels = 0;           // channels rounded up to kPanel
  Requant8 rq;
};
void DepthwiseRowGeneric(const DepthwiseRow& args, int out_y, uint8_t* out);

#if defined(__x86_64__)
bool CpuHasAvx512Vnni();
void GemmBlockAvx512(const int16_t* a, int rows, int kp, const int16_t* b,
                     int n, const Requant8& rq, uint8_t* out,
                     int64_t out_stride);
void DepthwiseRowAvx512(const DepthwiseRow& args, int out_y, uint8_t* out);
#endif

}  // namespace edgerun::kernels::optimized::internal

#endif  // EDGERUN_KERNELS_OPTIMIZED_CONV_INTERNAL_H_
