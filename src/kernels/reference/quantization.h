// Fixed-point helpers with TensorFlow Lite's exact rounding (the default
// "double rounding" build), shared by all quantized kernels. Framework-free.
//
// A real multiplier M is stored as a Q0.31 integer m in [2^30, 2^31) and a
// power-of-two exponent: M = m * 2^(shift - 31).
#ifndef EDGERUN_KERNELS_REFERENCE_QUANTIZATION_H_
#define EDGERUN_KERNELS_REFERENCE_QUANTIZATION_H_

#include <cmath>
#include <cstdint>
#include <limits>

namespace edgerun::kernels::reference {

struct QuantizedMultiplier {
  int32_t multiplier = 0;
  int shift = 0;  // > 0: left shift, < 0: right shift
};

// TFLite's QuantizeMultiplier: frexp, round the mantissa to Q31, fold the
// 2^31 overflow into the exponent, flush tiny multipliers to zero.
inline QuantizedMultiplier QuantizeMultiplier(double real_multiplier) {
  QuantizedMultiplier out;
  if (real_multiplier == 0.0) return out;
  int shift = 0;
  const double q = std::frexp(real_multiplier, &shift);
  int64_t q_fixed = static_cast<int64_t>(std::round(q * (1LL << 31)));
  if (q_fixed == (1LL << 31)) {
    q_fixed /= 2;
    ++shift;
  }
  if (shift < -31) {
    shift = 0;
    q_fixed = 0;
  }
  if (shift > 30) {  // TFLite clamps huge multipliers the same way
    shift = 30;
    q_fixed = (1LL << 31) - 1;
  }
  out.multiplier = static_cast<int32_t>(q_fixed);
  out.shift = shift;
  return out;
}

// (a * b * 2) >> 32 with round-to-nearest, saturating the one overflow case.
inline int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) {
    return std::numeric_limits<int32_t>::max();
  }
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return static_cast<int32_t>((ab + nudge) / (1LL << 31));
}

// x / 2^exponent rounded to nearest, ties away from zero.
inline int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

inline int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier,
                                             int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(
          static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift),
          multiplier),
      right_shift);
}

inline int32_t MultiplyByQuantizedMultiplier(int32_t x,
                                             const QuantizedMultiplier& m) {
  return MultiplyByQuantizedMultiplier(x, m.multiplier, m.shift);
}

// 64-bit accumulator variant used by the 16x8 kernels: the multiplier is
// reduced to Q0.15 and applied with one rounding shift.
inline int32_t MultiplyByQuantizedMultiplier(int64_t x, int32_t multiplier,
                                             int shift) {
  const int32_t reduced =
      multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - shift;
  const int64_t round = static_cast<int64_t>(1) << (total_shift - 1);
  const int64_t result = (x * static_cast<int64_t>(reduced) + round) >> total_shift;
  return static_cast<int32_t>(result);
}

// Clamp to [lo, hi].
template <typename T>
inline T Clamp(T v, T lo, T hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_QUANTIZATION_H_
