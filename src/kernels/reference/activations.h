// Quantized activation math with TensorFlow Lite's exact integer
// arithmetic: HARD_SWISH (uint8/int8), LEAKY_RELU and RELU-style requantize
// (8/16-bit), int16 LOGISTIC/TANH (fixed-point and table variants), GELU
// transforms. Framework-free; header-only. Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_REFERENCE_ACTIVATIONS_H_
#define EDGERUN_KERNELS_REFERENCE_ACTIVATIONS_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "kernels/reference/fixed_point.h"
#include "kernels/reference/lut.h"
#include "kernels/reference/quantization.h"

namespace edgerun::kernels::reference {

// ---- GELU (float transforms, also used to fill the 8-bit tables)
inline float GeluExact(float x) {
  // erfc form: no cancellation for large negative x.
  return 0.5f * x * std::erfc(x * static_cast<float>(-M_SQRT1_2));
}
inline float GeluApproximate(float x) {
  constexpr float kSqrt2OverPi = static_cast<float>(M_2_SQRTPI * M_SQRT1_2);
  return 0.5f * x *
         (1.f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

// ---- requantizing clamp (quantized RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1)
template <typename T>
void QuantizedReluX(const T* in, T* out, int64_t n, int32_t input_zp,
                    int32_t output_zp, QuantizedMultiplier m, int32_t act_min,
                    int32_t act_max) {
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v =
        output_zp + MultiplyByQuantizedMultiplier(
                        static_cast<int32_t>(in[i]) - input_zp, m);
    out[i] = static_cast<T>(std::clamp(v, act_min, act_max));
  }
}

// ---- LEAKY_RELU
struct LeakyReluParams {
  int32_t input_zp = 0;
  int32_t output_zp = 0;
  QuantizedMultiplier identity;  // input_scale / output_scale
  QuantizedMultiplier alpha;     // input_scale * |alpha| / output_scale
  bool alpha_negative = false;
};

template <typename T>
void QuantizedLeakyRelu(const LeakyReluParams& p, const T* in, T* out,
                        int64_t n) {
  constexpr int32_t kMin = std::numeric_limits<T>::min();
  constexpr int32_t kMax = std::numeric_limits<T>::max();
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v = static_cast<int32_t>(in[i]) - p.input_zp;
    int32_t r;
    if (v >= 0) {
      r = MultiplyByQuantizedMultiplier(v, p.identity);
    } else {
      r = MultiplyByQuantizedMultiplier(v, p.alpha);
      if (p.alpha_negative) r = -r;
    }
    out[i] = static_cast<T>(std::clamp(p.output_zp + r, kMin, kMax));
  }
}

// ---- HARD_SWISH (uint8/int8), 16-bit fixed point
struct HardSwishParams {
  int16_t input_zero_point = 0;
  int16_t output_zero_point = 0;
  int16_t reluish_multiplier_fixedpoint_int16 = 0;
  int reluish_multiplier_exponent = 0;
  int16_t output_multiplier_fixedpoint_int16 = 0;
  int output_multiplier_exponent = 0;
};

// Q0.31 multiplier -> Q0.15 with rounding (TFLite's
// DownScaleInt32ToInt16Multiplier).
inline int16_t DownScaleMultiplierToInt16(int32_t m) {
  constexpr int32_t kRound = 1 << 15;
  if (m >= std::numeric_limits<int32_t>::max() - kRound) {
    return std::numeric_limits<int16_t>::max();
  }
  return static_cast<int16_t>((m + kRound) >> 16);
}

inline int16_t SaturatingLeftShift16(int16_t value, int amount) {
  const int64_t r = static_cast<int64_t>(value) * (int64_t{1} << amount);
  return static_cast<int16_t>(std::clamp<int64_t>(r, -32768, 32767));
}

// Like SaturatingRoundingDoublingHighMul but truncating (ARM SQDMULH).
inline int16_t SaturatingDoublingHighMul16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min()) {
    return std::numeric_limits<int16_t>::max();
  }
  const int32_t ab = static_cast<int32_t>(a) * static_cast<int32_t>(b);
  return static_cast<int16_t>(ab / (1 << 15));
}

template <typename T>
void QuantizedHardSwish(const HardSwishParams& p, const T* in, T* out,
                        int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const int16_t input_value =
        static_cast<int16_t>(in[i] - p.input_zero_point);
    const int16_t hires = static_cast<int16_t>(input_value * (1 << 7));
    const int16_t preshift_output = SaturatingRoundingDoublingHighMul<int16_t>(
        hires, p.output_multiplier_fixedpoint_int16);
    // "relu-ish" factor: x rescaled so that 3.0 maps to 32768, saturated.
    int16_t reluish = hires;
    if (p.reluish_multiplier_exponent > 0) {
      reluish =
          SaturatingLeftShift16(reluish, p.reluish_multiplier_exponent - 1);
    }
    reluish = SaturatingRoundingDoublingHighMul<int16_t>(
        reluish, p.reluish_multiplier_fixedpoint_int16);
    if (p.reluish_multiplier_exponent > 0) {
      reluish = SaturatingLeftShift16(reluish, 1);
    }
    if (p.reluish_multiplier_exponent < 0) {
      reluish =
          RoundingDivideByPOT<int16_t>(reluish, -p.reluish_multiplier_exponent);
    }
    // [-1, 1] -> [0, 1]
    reluish = static_cast<int16_t>((reluish + (1 << 15)) >> 1);
    const int16_t preshift =
        SaturatingDoublingHighMul16(reluish, preshift_output);
    int16_t v =
        RoundingDivideByPOT<int16_t>(preshift, -p.output_multiplier_exponent);
    v = static_cast<int16_t>(v + p.output_zero_point);
    v = std::min<int16_t>(v, std::numeric_limits<T>::max());
    v = std::max<int16_t>(v, std::numeric_limits<T>::min());
    out[i] = static_cast<T>(v);
  }
}

// ---- int16 LOGISTIC / TANH
// Power-of-two input scales (input_multiplier == 0) use gemmlowp's Q3.12
// fixed-point functions, as TFLite's optimized int16 kernels do; other
// scales use the interpolated sigmoid table with a multiplier that maps the
// input to 1/(3*4096) units.

inline void LogisticInt16FixedPoint(const int16_t* in, int16_t* out,
                                    int64_t n) {
  using F3 = FixedPoint<int16_t, 3>;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = Logistic(F3::FromRaw(in[i])).raw();
  }
}

inline void TanhInt16FixedPoint(int input_left_shift, const int16_t* in,
                                int16_t* out, int64_t n) {
  using F3 = FixedPoint<int16_t, 3>;
  for (int64_t i = 0; i < n; ++i) {
    const int16_t x = input_left_shift == 0
                          ? in[i]
                          : SaturatingRoundingMultiplyByPOT<1, int16_t>(in[i]);
    out[i] = Tanh(F3::FromRaw(x)).raw();
  }
}

inline void LogisticInt16Table(int32_t input_multiplier, int input_left_shift,
                               const int16_t* in, int16_t* out, int64_t n) {
  if (input_multiplier == 0) {
    input_multiplier = 3 << input_left_shift;
    input_left_shift = 0;
  }
  const int32_t round = input_left_shift > 0 ? 1 << (input_left_shift - 1) : 0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t x = static_cast<int32_t>(
        (static_cast<int64_t>(in[i]) * input_multiplier + round) >>
        input_left_shift);
    const uint32_t abs_x = static_cast<uint32_t>(std::abs(x));
    // 2^9: 2^7 for the input format, 1/4 from the 3/4 range scaling.
    const uint32_t uh = abs_x >> 9;
    uint32_t result;
    if (uh >= 255) {
      result = 0x7FFF << 10;
    } else {
      const uint32_t ua = kSigmoidTableUint16[uh];
      const uint32_t ub = kSigmoidTableUint16[uh + 1];
      const uint32_t ut = abs_x & 0x1ff;
      result = (ua << 9) + ut * (ub - ua);
    }
    result = x >= 0 ? (result + (1 << 9))
                    : ((1 << (16 + 9)) - result + (1 << 9) - 1);
    out[i] = static_cast<int16_t>(result >> 10);
  }
}

inline void TanhInt16Table(int32_t input_multiplier, int input_left_shift,
                           const int16_t* in, int16_t* out, int64_t n) {
  if (input_multiplier == 0) {
    input_multiplier = 3 << input_left_shift;
    input_left_shift = 0;
  }
  const int32_t round = input_left_shift > 0 ? 1 << (input_left_shift - 1) : 0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t x = static_cast<int32_t>(
        (static_cast<int64_t>(in[i]) * input_multiplier + round) >>
        input_left_shift);
    const uint32_t abs_x = static_cast<uint32_t>(std::abs(x));
    const uint32_t uh = abs_x >> 8;
    int32_t result;
    if (uh >= 255) {
      result = 0xFFFF << 8;
    } else {
      const uint32_t ua = kSigmoidTableUint16[uh];
      const uint32_t ub = kSigmoidTableUint16[uh + 1];
      const uint8_t ut = static_cast<uint8_t>(abs_x & 0xFF);
      result = static_cast<int32_t>((ua << 8) + ut * (ub - ua));
    }
    result = x >= 0 ? (result - (1 << (14 + 9)) + (1 << (9 - 2)))
                    : (-result + (1 << (14 + 9)) + (1 << (9 - 2)) - 1);
    out[i] = static_cast<int16_t>(result >> (9 - 1));
  }
}

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_ACTIVATIONS_H_
