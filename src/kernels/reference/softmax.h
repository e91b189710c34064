// SOFTMAX and LOG_SOFTMAX math, matching TensorFlow Lite's CPU kernels:
// float; uint8/int8 inputs through a 256-entry float exp table (TFLite's
// optimized path, which its builtin resolver uses); int16 through the
// interpolated exp and 1/(1+x) tables. Rows are the last dimension.
// Framework-free; header-only. Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_REFERENCE_SOFTMAX_H_
#define EDGERUN_KERNELS_REFERENCE_SOFTMAX_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/reference/fixed_point.h"
#include "kernels/reference/lut.h"
#include "kernels/reference/quantization.h"

namespace edgerun::kernels::reference {

inline void SoftmaxFloat(const float* input, float* output, int64_t rows,
                         int depth, float beta) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = input + r * depth;
    float* out = output + r * depth;
    float max = std::numeric_limits<float>::lowest();
    for (int c = 0; c < depth; ++c) max = std::max(max, in[c]);
    float sum = 0.f;
    for (int c = 0; c < depth; ++c) {
      out[c] = std::exp((in[c] - max) * beta);
      sum += out[c];
    }
    const float inv_sum = 1.f / sum;
    for (int c = 0; c < depth; ++c) out[c] *= inv_sum;
  }
}

inline void LogSoftmaxFloat(const float* input, float* output, int64_t rows,
                            int depth) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = input + r * depth;
    float* out = output + r * depth;
    float max = std::numeric_limits<float>::lowest();
    for (int c = 0; c < depth; ++c) max = std::max(max, in[c]);
    float sum = 0.f;
    for (int c = 0; c < depth; ++c) sum += std::exp(in[c] - max);
    const float log_sum = std::log(sum);
    for (int c = 0; c < depth; ++c) out[c] = in[c] - max - log_sum;
  }
}

// table[255 - d] = exp(-input_scale * beta * d): exp of (q - max) * scale
// for the 256 possible differences d = max - q.
inline void PopulateSoftmaxTable(float input_scale, float beta, float* table) {
  const float scale = -input_scale * beta;
  for (int32_t d = 0; d <= 255; ++d) table[255 - d] = std::exp(scale * d);
}

// Rounds a non-negative rescaled probability as TFLite does: uint8 outputs
// by adding 0.5 and truncating (non-ARM64 builds), others with round().
template <typename Out>
inline int32_t QuantizeSoftmaxOutput(float prob_rescaled, int32_t zero_point) {
  if constexpr (std::is_same_v<Out, uint8_t>) {
    return static_cast<int32_t>(prob_rescaled + 0.5f);
  } else {
    return static_cast<int32_t>(std::round(prob_rescaled)) + zero_point;
  }
}

// uint8/int8 input, uint8/int8/int16 output.
template <typename In, typename Out>
void SoftmaxQuantizedLut(const float* table, float output_scale,
                         int32_t output_zero_point, const In* input,
                         Out* output, int64_t rows, int depth) {
  constexpr int32_t kClampMin = std::numeric_limits<Out>::min();
  constexpr int32_t kClampMax = std::numeric_limits<Out>::max();
  for (int64_t r = 0; r < rows; ++r) {
    const In* in = input + r * depth;
    Out* out = output + r * depth;
    int32_t max_val = std::numeric_limits<In>::min();
    for (int c = 0; c < depth; ++c) max_val = std::max<int32_t>(max_val, in[c]);
    // table_offset[q] = exp((q - max) * scale * beta)
    const float* table_offset = table + (255 - max_val);
    float sum_exp = 0.f;
    for (int c = 0; c < depth; ++c) sum_exp += table_offset[in[c]];
    const float inv_sum_exp = 1.f / (sum_exp * output_scale);
    for (int c = 0; c < depth; ++c) {
      const float prob_rescaled = table_offset[in[c]] * inv_sum_exp;
      const int32_t q =
          QuantizeSoftmaxOutput<Out>(prob_rescaled, output_zero_point);
      out[c] = static_cast<Out>(std::clamp(q, kClampMin, kClampMax));
    }
  }
}

// The two int16 tables of SoftmaxInt16.
struct SoftmaxInt16Tables {
  int16_t exp_lut[kLut16Size];                  // exp(x), x in [-10, 0]
  int16_t one_over_one_plus_x_lut[kLut16Size];  // 1 / (1 + x), x in [0, 1]
};

inline void PopulateSoftmaxInt16Tables(SoftmaxInt16Tables* tables) {
  constexpr double kRange = 65535.0;  // int16 max - min
  PopulateLut16<double>(
      10.0 / kRange, 32767, 2.0 / kRange, 0,
      [](double v) { return std::exp(v); }, tables->exp_lut);
  PopulateLut16<double>(
      1.0 / kRange, -32768, 2.0 / kRange, 0,
      [](double v) { return 1.0 / (1.0 + v); },
      tables->one_over_one_plus_x_lut);
}

// int16 -> int16. `multiplier`/`shift` rescale input differences so that
// [-65535, 0] covers [-10, 0] (input_scale * beta / (10 / 65535)).
inline void SoftmaxInt16(const SoftmaxInt16Tables& tables, int32_t multiplier,
                         int shift, const int16_t* input, int16_t* output,
                         int64_t rows, int depth) {
  for (int64_t r = 0; r < rows; ++r) {
    const int16_t* in = input + r * depth;
    int16_t* out = output + r * depth;
    int16_t max_in_row = std::numeric_limits<int16_t>::min();
    for (int c = 0; c < depth; ++c) max_in_row = std::max(max_in_row, in[c]);
    // exp values in Q0.15, cached in the output row; sum in Q16.15.
    int32_t sum_of_exps = 0;
    for (int c = 0; c < depth; ++c) {
      const int32_t input_diff = in[c] - max_in_row;
      const int32_t scaled_diff =
          MultiplyByQuantizedMultiplier(input_diff, multiplier, shift);
      const int32_t sym_scaled_diff = scaled_diff + 32767;
      const int16_t sat = static_cast<int16_t>(
          std::clamp<int32_t>(sym_scaled_diff, -32768, 32767));
      out[c] = Lut16Lookup(sat, tables.exp_lut);
      sum_of_exps += out[c];
    }
    // 1 / sum through the 1/(1+x) table, x = sum - 1 recentred on int16.
    const int headroom_plus_one =
        CountLeadingZeros32(static_cast<uint32_t>(sum_of_exps));
    const int32_t shifted_sum = static_cast<int32_t>(
        ((static_cast<int64_t>(sum_of_exps) << (headroom_plus_one - 1)) +
         (1 << 13)) >>
        14);
    const int32_t sym_shifted_sum = shifted_sum + (-((1 << 15) + (1 << 16)));
    const int16_t sat_sum = static_cast<int16_t>(
        std::clamp<int32_t>(sym_shifted_sum, -32768, 32767));
    const int16_t reciprocal_q015 =
        Lut16Lookup(sat_sum, tables.one_over_one_plus_x_lut);
    const int right_shift = 31 - headroom_plus_one;
    const int64_t round = int64_t{1} << (right_shift - 1);
    for (int c = 0; c < depth; ++c) {
      const int32_t result = static_cast<int32_t>(
          (static_cast<int64_t>(out[c]) * reciprocal_q015 + round) >>
          right_shift);
      out[c] = static_cast<int16_t>(std::clamp<int32_t>(result, 0, 32767));
    }
  }
}

// uint8/int8 LOG_SOFTMAX through the float exp table (beta = 1).
template <typename T>
void LogSoftmaxQuantizedLut(const float* table, float input_scale,
                            float output_scale, int32_t output_zero_point,
                            const T* input, T* output, int64_t rows,
                            int depth) {
  constexpr int32_t kClampMin = std::numeric_limits<T>::min();
  constexpr int32_t kClampMax = std::numeric_limits<T>::max();
  for (int64_t r = 0; r < rows; ++r) {
    const T* in = input + r * depth;
    T* out = output + r * depth;
    T max_val = std::numeric_limits<T>::min();
    for (int c = 0; c < depth; ++c) max_val = std::max(max_val, in[c]);
    const float* table_offset = table + (255 - max_val);
    float sum_exp = 0.f;
    for (int c = 0; c < depth; ++c) sum_exp += table_offset[in[c]];
    const float log_sum_exp = std::log(sum_exp);
    const float scale = input_scale / output_scale;
    const float precomputed =
        (input_scale * max_val + log_sum_exp) / output_scale;
    for (int c = 0; c < depth; ++c) {
      const float log_prob = scale * in[c] - precomputed;
      const int32_t q =
          static_cast<int32_t>(std::rint(log_prob)) + output_zero_point;
      out[c] = static_cast<T>(std::clamp(q, kClampMin, kClampMax));
    }
  }
}

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_SOFTMAX_H_
