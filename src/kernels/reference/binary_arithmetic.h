// Element math of the elementwise binary ops (ADD, SUB, MUL, DIV,
// SQUARED_DIFFERENCE, FLOOR_DIV, FLOOR_MOD, POW, comparisons) with
// TensorFlow Lite's exact integer semantics. Framework-free: each function
// maps one pair of input values to one output value; the kernels in
// kernels/ops/ loop over broadcast shapes with reference/broadcast.h.
//
// Quantized paths follow TFLite's reference kernels (default "double
// rounding" build): inputs are offset by their zero points, shifted left to
// gain precision, rescaled with fixed-point multipliers and requantized.
//
// Thread-safety: pure functions and value types.
#ifndef EDGERUN_KERNELS_REFERENCE_BINARY_ARITHMETIC_H_
#define EDGERUN_KERNELS_REFERENCE_BINARY_ARITHMETIC_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/reference/quantization.h"

namespace edgerun::kernels::reference {

// ---------------------------------------------------------------- integers

// a + b, a - b, a * b with two's-complement wrap-around (TFLite's integer
// kernels overflow silently; doing it in unsigned arithmetic keeps that
// behaviour without undefined behaviour).
template <typename T>
inline T WrappingAdd(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    using P = std::common_type_t<U, unsigned int>;
    return static_cast<T>(static_cast<U>(static_cast<P>(static_cast<U>(a)) +
                                         static_cast<P>(static_cast<U>(b))));
  } else {
    return a + b;
  }
}
template <typename T>
inline T WrappingSub(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    using P = std::common_type_t<U, unsigned int>;
    return static_cast<T>(static_cast<U>(static_cast<P>(static_cast<U>(a)) -
                                         static_cast<P>(static_cast<U>(b))));
  } else {
    return a - b;
  }
}
template <typename T>
inline T WrappingMul(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    using P = std::common_type_t<U, unsigned int>;
    return static_cast<T>(static_cast<U>(static_cast<P>(static_cast<U>(a)) *
                                         static_cast<P>(static_cast<U>(b))));
  } else {
    return a * b;
  }
}

// floor(a / b). Integers: exact (equal to TFLite's floor of the double
// quotient for every int8/16/32 pair); b != 0 is checked by the kernel.
template <typename T>
inline T FloorDiv(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b == -1) return WrappingSub<T>(0, a);  // INT_MIN / -1 wraps
    T q = static_cast<T>(a / b);
    if (static_cast<T>(a % b) != 0 && ((a < 0) != (b < 0))) --q;
    return q;
  } else {
    return static_cast<T>(
        std::floor(static_cast<double>(a) / static_cast<double>(b)));
  }
}

// a - floor(a / b) * b with the sign of b (TFLite: truncated remainder,
// moved into b's sign). Floats use fmod, so b == 0 gives NaN.
template <typename T>
inline T FloorMod(T a, T b) {
  T r;
  if constexpr (std::is_integral_v<T>) {
    if (b == -1) return 0;  // avoids INT_MIN % -1
    r = static_cast<T>(a % b);
  } else {
    r = std::fmod(a, b);
  }
  return (r != 0 && ((b < 0) != (r < 0))) ? static_cast<T>(r + b) : r;
}

// base^exponent for integers by repeated squaring with wrap-around;
// exponent >= 0 is checked by the kernel.
template <typename T>
inline T IntegerPow(T base, T exponent) {
  T result = 1;
  while (exponent > 0) {
    if (exponent & 1) result = WrappingMul(result, base);
    base = WrappingMul(base, base);
    exponent >>= 1;
  }
  return result;
}

// ------------------------------------------------------- fixed-point helpers

// x * 2^exponent for exponent > 0, saturating (gemmlowp's
// SaturatingRoundingMultiplyByPOT with a positive exponent).
inline int32_t SaturatingShiftLeft(int32_t x, int exponent) {
  const int32_t threshold = static_cast<int32_t>((1LL << (31 - exponent)) - 1);
  if (x > threshold) return std::numeric_limits<int32_t>::max();
  if (x < -threshold) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(static_cast<uint32_t>(x) << exponent);
}

// Number of redundant sign bits (31 for 0 and -1).
inline int CountLeadingSignBits(int32_t x) {
  const uint32_t u = static_cast<uint32_t>(x < 0 ? ~x : x);
  return u == 0 ? 31 : __builtin_clz(u) - 1;
}

// 1 / (1 + a) for a in [0, 1) as Q0.31 (gemmlowp's
// one_over_one_plus_x_for_x_in_0_1: Newton-Raphson in Q2.29).
inline int32_t OneOverOnePlusX(int32_t a) {
  const int64_t sum =
      static_cast<int64_t>(a) + std::numeric_limits<int32_t>::max();
  const int32_t half_denominator =
      static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
  constexpr int32_t k48Over17 = 1515870810;      // Q2.29
  constexpr int32_t kNeg32Over17 = -1010580540;  // Q2.29
  constexpr int32_t kOneQ2 = 1 << 29;
  int32_t x = WrappingAdd(k48Over17, SaturatingRoundingDoublingHighMul(
                                         half_denominator, kNeg32Over17));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x =
        SaturatingRoundingDoublingHighMul(half_denominator, x);
    const int32_t one_minus = WrappingSub(kOneQ2, half_denominator_times_x);
    x = WrappingAdd(x, SaturatingShiftLeft(
                           SaturatingRoundingDoublingHighMul(x, one_minus), 2));
  }
  return SaturatingShiftLeft(x, 1);
}

// TFLite's GetReciprocal: 1/x for x > 0 with x_integer_digits integer bits,
// as a Q0.31 value and the number of bits it must be shifted left.
inline int32_t GetReciprocal(int32_t x, int x_integer_digits,
                             int* num_bits_over_unit) {
  const int headroom_plus_one = __builtin_clz(static_cast<uint32_t>(x));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const int32_t shifted_sum_minus_one = static_cast<int32_t>(
      (static_cast<uint32_t>(x) << headroom_plus_one) - (1u << 31));
  return OneOverOnePlusX(shifted_sum_minus_one);
}

// TFLite's CheckedLog2: true when x is (within 1e-3 in log2) a power of two.
inline bool CheckedLog2(float x, int* log2_result) {
  const float x_log2 = std::log(x) * (1.0f / std::log(2.0f));
  const float x_log2_rounded = std::round(x_log2);
  const float frac = x_log2 - x_log2_rounded;
  *log2_result = static_cast<int>(x_log2_rounded);
  return std::abs(frac) < 1e-3f;
}

// ---------------------------------------------------- quantized ADD and SUB

// Rescaling of TFLite's general quantized ADD/SUB: both inputs are moved to
// a common scale 2 * max(s1, s2) / 2^left_shift, added, and requantized.
struct QuantizedAddSubParams {
  int32_t input1_offset = 0;  // -zero_point
  int32_t input2_offset = 0;
  int32_t output_offset = 0;  // +zero_point
  int left_shift = 20;        // 20 for 8-bit, 15 for int16
  QuantizedMultiplier input1;
  QuantizedMultiplier input2;
  QuantizedMultiplier output;
  int32_t act_min = 0;
  int32_t act_max = 0;
};

// Multipliers as TFLite's add.cc / sub.cc compute them. `real_output` gets
// the output rescale factor, which ADD requires to be < 1.
inline QuantizedAddSubParams MakeQuantizedAddSubParams(
    float scale1, int32_t zero_point1, float scale2, int32_t zero_point2,
    float output_scale, int32_t output_zero_point, int left_shift,
    double* real_output) {
  QuantizedAddSubParams p;
  p.input1_offset = -zero_point1;
  p.input2_offset = -zero_point2;
  p.output_offset = output_zero_point;
  p.left_shift = left_shift;
  const double twice_max = 2 * static_cast<double>(std::max(scale1, scale2));
  p.input1 = QuantizeMultiplier(static_cast<double>(scale1) / twice_max);
  p.input2 = QuantizeMultiplier(static_cast<double>(scale2) / twice_max);
  *real_output = twice_max / (static_cast<double>(1 << left_shift) *
                              static_cast<double>(output_scale));
  p.output = QuantizeMultiplier(*real_output);
  return p;
}

inline int32_t QuantizedAddSub(int32_t a, int32_t b,
                               const QuantizedAddSubParams& p, bool subtract) {
  const int32_t shifted1 = (p.input1_offset + a) * (1 << p.left_shift);
  const int32_t shifted2 = (p.input2_offset + b) * (1 << p.left_shift);
  const int32_t scaled1 = MultiplyByQuantizedMultiplier(shifted1, p.input1);
  const int32_t scaled2 = MultiplyByQuantizedMultiplier(shifted2, p.input2);
  const int32_t raw = subtract ? scaled1 - scaled2 : scaled1 + scaled2;
  const int32_t out =
      MultiplyByQuantizedMultiplier(raw, p.output) + p.output_offset;
  return std::min(p.act_max, std::max(p.act_min, out));
}

// int16 ADD/SUB with power-of-two scales and zero points 0 (TFLite's LSTM
// path, AddOptions/SubOptions.pot_scale_int16): at most one input is
// rounding-shifted right to the output scale, then a saturating add.
struct PotAddSubParams {
  int input1_shift = 0;  // <= 0: right shift of input 1
  int input2_shift = 0;
  int32_t act_min = -32768;
  int32_t act_max = 32767;
};

inline int16_t PotAddSub(int16_t a, int16_t b, const PotAddSubParams& p,
                         bool subtract) {
  const int32_t sa = RoundingDivideByPOT(a, -p.input1_shift);
  const int32_t sb = RoundingDivideByPOT(b, -p.input2_shift);
  int32_t raw = subtract ? sa - sb : sa + sb;
  raw = std::min<int32_t>(32767, std::max<int32_t>(-32768, raw));
  return static_cast<int16_t>(std::min(p.act_max, std::max(p.act_min, raw)));
}

// ------------------------------------- 8-bit ADD/SUB/MUL as XNNPACK does it

// The real TFLite runtime hands 8-bit ADD, SUB and MUL to its default CPU
// delegate, XNNPACK, whenever the scale ratios are in XNNPACK's range; the
// results then come from XNNPACK's single-rounding math and differ from the
// reference kernels above by 1 on a few percent of the elements. These
// functions reproduce XNNPACK's parameters and kernels bit for bit; the
// kernels use them when XNNPACK would have taken the node.

// XNNPACK's quantization of a float clamp bound (xnn_qu8/qs8_quantize).
inline int32_t XnnQuantizeBound(float v, float scale, int32_t zero_point,
                                int32_t type_min, int32_t type_max) {
  float q = v / scale + static_cast<float>(zero_point);
  q = std::fmin(std::fmax(q, static_cast<float>(type_min)),
                static_cast<float>(type_max));
  return static_cast<int32_t>(std::lrint(q));
}

// ADD (and SUB, as ADD with the second input's scale negated):
// out = ((bias + a * a_mul + b * b_mul) >> shift) + zero_point.
struct XnnAddParams {
  int32_t a_multiplier = 0;
  int32_t b_multiplier = 0;
  int32_t bias = 0;
  int shift = 0;
  int32_t output_zero_point = 0;
  int32_t act_min = 0;  // quantized output bounds
  int32_t act_max = 0;
};

// Returns false when XNNPACK would refuse the node (a scale ratio outside
// [2^-10, 2^8)), in which case TFLite runs its reference kernel.
inline bool MakeXnnAddParams(float scale1, int32_t zero_point1, float scale2,
                             int32_t zero_point2, float output_scale,
                             int32_t output_zero_point, bool subtract,
                             XnnAddParams* p) {
  const float a_scale = scale1 / output_scale;
  const float b_abs_scale = scale2 / output_scale;
  constexpr float kMinRatio = 1.0f / 1024.0f;
  constexpr float kMaxRatio = 256.0f;
  if (!(a_scale >= kMinRatio && a_scale < kMaxRatio) ||
      !(b_abs_scale >= kMinRatio && b_abs_scale < kMaxRatio)) {
    return false;
  }
  const float max_scale = std::max(a_scale, b_abs_scale);
  uint32_t bits;
  std::memcpy(&bits, &max_scale, sizeof(bits));
  const int exponent = static_cast<int>(bits >> 23) - 127;
  const int shift = 20 - exponent;  // the larger multiplier gets 21 bits
  auto multiplier = [shift](float s) {
    // s * 2^shift exactly (exponent arithmetic), rounded half to even.
    return static_cast<int32_t>(std::lrint(std::ldexp(s, shift)));
  };
  p->a_multiplier = multiplier(a_scale);
  p->b_multiplier = multiplier(b_abs_scale);
  if (subtract) p->b_multiplier = -p->b_multiplier;
  p->shift = shift;
  p->bias =
      static_cast<int32_t>((int64_t{1} << (shift - 1)) -
                           static_cast<int64_t>(p->a_multiplier) * zero_point1 -
                           static_cast<int64_t>(p->b_multiplier) * zero_point2);
  p->output_zero_point = output_zero_point;
  return true;
}

inline int32_t XnnAdd(int32_t a, int32_t b, const XnnAddParams& p) {
  // XNNPACK accumulates in int32 with wrap-around.
  const uint32_t acc =
      static_cast<uint32_t>(p.bias) +
      static_cast<uint32_t>(a) * static_cast<uint32_t>(p.a_multiplier) +
      static_cast<uint32_t>(b) * static_cast<uint32_t>(p.b_multiplier);
  const int32_t out =
      (static_cast<int32_t>(acc) >> p.shift) + p.output_zero_point;
  return std::min(p.act_max, std::max(p.act_min, out));
}

// MUL: out = round_half_even(float((a - za) * (b - zb)) * scale) + zo.
struct XnnMulParams {
  int32_t a_zero_point = 0;
  int32_t b_zero_point = 0;
  int32_t output_zero_point = 0;
  float scale = 0.f;  // s1 * s2 / s_out in float
  int32_t act_min = 0;
  int32_t act_max = 0;
};

// Returns false when XNNPACK would refuse the node (product-to-output
// scale ratio outside [2^-16, 2^8)).
inline bool MakeXnnMulParams(float scale1, int32_t zero_point1, float scale2,
                             int32_t zero_point2, float output_scale,
                             int32_t output_zero_point, XnnMulParams* p) {
  const float product_scale = scale1 * scale2;
  const float ratio = product_scale / output_scale;
  if (!(ratio >= 1.0f / 65536.0f && ratio < 256.0f)) return false;
  p->a_zero_point = zero_point1;
  p->b_zero_point = zero_point2;
  p->output_zero_point = output_zero_point;
  p->scale = ratio;
  return true;
}

inline int32_t XnnMul(int32_t a, int32_t b, const XnnMulParams& p) {
  const int32_t acc = (a - p.a_zero_point) * (b - p.b_zero_point);
  float f = static_cast<float>(acc) * p.scale;
  f = std::fmax(f, static_cast<float>(p.act_min - p.output_zero_point));
  f = std::fmin(f, static_cast<float>(p.act_max - p.output_zero_point));
  return static_cast<int32_t>(std::lrint(f)) + p.output_zero_point;
}

// ------------------------------------------------------------ quantized MUL

struct QuantizedMulParams {
  int32_t input1_offset = 0;
  int32_t input2_offset = 0;
  int32_t output_offset = 0;
  QuantizedMultiplier output;  // s1 * s2 / s_out
  int32_t act_min = 0;
  int32_t act_max = 0;
};

inline int32_t QuantizedMul(int32_t a, int32_t b, const QuantizedMulParams& p) {
  const int32_t prod = (p.input1_offset + a) * (p.input2_offset + b);
  const int32_t out =
      p.output_offset + MultiplyByQuantizedMultiplier(prod, p.output);
  return std::min(p.act_max, std::max(p.act_min, out));
}

// int16 x int16 -> 8-bit MUL (TFLite's fixed-point Q0.15 product shifted
// right by 8; output scale and the inputs' scales are implied).
inline int32_t Int16MulTo8Bit(int16_t a, int16_t b, int32_t output_offset,
                              int32_t act_min, int32_t act_max) {
  int16_t prod;
  if (a == b && a == std::numeric_limits<int16_t>::min()) {
    prod = std::numeric_limits<int16_t>::max();
  } else {
    const int32_t ab = static_cast<int32_t>(a) * static_cast<int32_t>(b);
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    prod = static_cast<int16_t>((ab + nudge) / (1 << 15));
  }
  const int16_t rescaled = static_cast<int16_t>(RoundingDivideByPOT(prod, 8));
  int16_t clamped = std::min<int16_t>(
      static_cast<int16_t>(act_max - output_offset), rescaled);
  clamped =
      std::max<int16_t>(static_cast<int16_t>(act_min - output_offset), clamped);
  return output_offset + clamped;
}

// ------------------------------------------------------------ quantized DIV

struct QuantizedDivParams {
  int32_t input1_offset = 0;
  int32_t input2_offset = 0;
  int32_t output_offset = 0;
  QuantizedMultiplier output;  // s1 / (s2 * s_out)
  int32_t act_min = 0;
  int32_t act_max = 0;
};

// The kernel guarantees b != zero point (TFLite errors out otherwise).
inline int32_t QuantizedDiv(int32_t a, int32_t b, const QuantizedDivParams& p) {
  int32_t v1 = p.input1_offset + a;
  int32_t v2 = p.input2_offset + b;
  if (v2 < 0) {  // the reciprocal multiplier must be positive
    v1 = -v1;
    v2 = -v2;
  }
  int recip_shift = 0;
  const int32_t inv = GetReciprocal(v2, 31, &recip_shift);
  const int headroom = CountLeadingSignBits(v1);
  const int32_t unscaled = SaturatingRoundingDoublingHighMul(
      static_cast<int32_t>(static_cast<uint32_t>(v1) << headroom), inv);
  const int total_shift = p.output.shift - recip_shift - headroom;
  const int32_t scaled =
      SaturatingRoundingDoublingHighMul(unscaled, p.output.multiplier);
  int32_t quotient;
  if (total_shift > 0) {
    // Not reached for sane scales; keep it defined.
    quotient = MultiplyByQuantizedMultiplier(unscaled, p.output.multiplier,
                                             total_shift);
  } else if (total_shift >= -31) {
    quotient = RoundingDivideByPOT(scaled, -total_shift);
  } else {
    // Numerators of magnitude <= 2 can need a right shift of 32 or more.
    // TFLite does not check this: its mask becomes all ones and the shift
    // count wraps modulo 32 on the machines it runs on (x86, ARM,
    // WebAssembly), so the real runtime returns a large value that the
    // clamp saturates. Reproduce that without undefined behaviour.
    const int wrapped = (-total_shift) & 31;
    const int32_t threshold = -1 + (scaled < 0 ? 1 : 0);
    quotient = (scaled >> wrapped) + (scaled > threshold ? 1 : 0);
  }
  const int32_t out = p.output_offset + quotient;
  return std::min(p.act_max, std::max(p.act_min, out));
}

// ----------------------------------------- quantized SQUARED_DIFFERENCE int8

// TFLite: inputs rescaled with left_shift 7, the difference squared, the
// square requantized with (2 * max_scale)^2 / (2^14 * s_out).
inline int32_t QuantizedSquaredDifference(int32_t a, int32_t b,
                                          const QuantizedAddSubParams& p) {
  const int32_t shifted1 = (p.input1_offset + a) * (1 << p.left_shift);
  const int32_t shifted2 = (p.input2_offset + b) * (1 << p.left_shift);
  const int32_t scaled1 = MultiplyByQuantizedMultiplier(shifted1, p.input1);
  const int32_t scaled2 = MultiplyByQuantizedMultiplier(shifted2, p.input2);
  const int32_t diff = scaled1 - scaled2;
  const int32_t out =
      MultiplyByQuantizedMultiplier(diff * diff, p.output) + p.output_offset;
  return std::min(p.act_max, std::max(p.act_min, out));
}

// ------------------------------------------------ quantized comparisons

// One side of a quantized comparison: (q - zero_point) * 2^8 * scale in a
// common fixed-point domain, so values with different scales compare as
// their real values do (up to TFLite's rounding).
struct ComparisonScaling {
  int32_t offset = 0;  // -zero_point
  QuantizedMultiplier multiplier;
  int left_shift = 8;

  int32_t Apply(int32_t q) const {
    return MultiplyByQuantizedMultiplier((offset + q) * (1 << left_shift),
                                         multiplier);
  }
};

inline ComparisonScaling MakeComparisonScaling(float scale,
                                               int32_t zero_point) {
  ComparisonScaling s;
  s.offset = -zero_point;
  s.multiplier = QuantizeMultiplier(static_cast<double>(scale));
  return s;
}

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_BINARY_ARITHMETIC_H_
