// Fixed-point arithmetic on int16 / int32 raw values with gemmlowp's exact
// rounding, and the fixed-point math functions TensorFlow Lite's quantized
// kernels are built on (exp on negative values, logistic, tanh, 1/(1+x),
// inverse square root). Framework-free; header-only.
//
// FixedPoint<Raw, kIntegerBits> holds a value in [-2^kIntegerBits,
// 2^kIntegerBits) as raw / 2^kFractionalBits. Integer overflow wraps (two's
// complement), which is what TFLite's scalar code does in practice.
// Thread-safety: pure functions and value types.
#ifndef EDGERUN_KERNELS_REFERENCE_FIXED_POINT_H_
#define EDGERUN_KERNELS_REFERENCE_FIXED_POINT_H_

#include <cstdint>
#include <limits>
#include <type_traits>

namespace edgerun::kernels::reference {

namespace fp_internal {

template <typename Raw>
constexpr Raw Wrap(int64_t v) {
  using U = std::make_unsigned_t<Raw>;
  return static_cast<Raw>(static_cast<U>(static_cast<uint64_t>(v)));
}

template <typename Raw>
constexpr Raw AllOnesIf(bool c) {
  return c ? static_cast<Raw>(-1) : static_cast<Raw>(0);
}

}  // namespace fp_internal

// (a * b * 2) / 2^bits rounded to nearest; the one overflow case (min * min)
// saturates. Same as ARM's VQRDMULH.
template <typename Raw>
constexpr Raw SaturatingRoundingDoublingHighMul(Raw a, Raw b) {
  static_assert(std::is_same_v<Raw, int16_t> || std::is_same_v<Raw, int32_t>);
  constexpr int kBits = 8 * sizeof(Raw);
  if (a == b && a == std::numeric_limits<Raw>::min()) {
    return std::numeric_limits<Raw>::max();
  }
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge =
      ab >= 0 ? (int64_t{1} << (kBits - 2)) : (1 - (int64_t{1} << (kBits - 2)));
  return static_cast<Raw>((ab + nudge) / (int64_t{1} << (kBits - 1)));
}

// x / 2^exponent rounded to nearest, ties away from zero.
template <typename Raw>
constexpr Raw RoundingDivideByPOT(Raw x, int exponent) {
  const Raw mask = static_cast<Raw>((int64_t{1} << exponent) - 1);
  const Raw remainder = static_cast<Raw>(x & mask);
  const Raw threshold = static_cast<Raw>((mask >> 1) + (x < 0 ? 1 : 0));
  return static_cast<Raw>((x >> exponent) + (remainder > threshold ? 1 : 0));
}

// x * 2^exponent: saturating for exponent > 0, rounding for exponent < 0.
template <int kExponent, typename Raw>
constexpr Raw SaturatingRoundingMultiplyByPOT(Raw x) {
  if constexpr (kExponent == 0) {
    return x;
  } else if constexpr (kExponent > 0) {
    constexpr int kBits = 8 * sizeof(Raw);
    constexpr int32_t kThreshold = (int32_t{1} << (kBits - 1 - kExponent)) - 1;
    if (x > kThreshold) return std::numeric_limits<Raw>::max();
    if (x < -kThreshold) return std::numeric_limits<Raw>::min();
    return fp_internal::Wrap<Raw>(static_cast<int64_t>(x) *
                                  (int64_t{1} << kExponent));
  } else {
    return RoundingDivideByPOT<Raw>(x, -kExponent);
  }
}

// Same with a run-time exponent (TFLite's SaturatingRoundingMultiplyByPOTParam,
// left shifts only).
template <typename Raw>
constexpr Raw SaturatingLeftShiftParam(Raw x, int exponent) {
  if (exponent == 0) return x;
  constexpr int kBits = 8 * sizeof(Raw);
  const int32_t threshold = (int32_t{1} << (kBits - 1 - exponent)) - 1;
  if (x > threshold) return std::numeric_limits<Raw>::max();
  if (x < -threshold) return std::numeric_limits<Raw>::min();
  return fp_internal::Wrap<Raw>(static_cast<int64_t>(x) *
                                (int64_t{1} << exponent));
}

template <typename Raw, int kIntegerBits>
class FixedPoint {
 public:
  static_assert(std::is_same_v<Raw, int16_t> || std::is_same_v<Raw, int32_t>);
  static constexpr int kTotalBits = 8 * sizeof(Raw);
  static constexpr int kFractionalBits = kTotalBits - 1 - kIntegerBits;
  static_assert(kIntegerBits >= 0 && kIntegerBits < kTotalBits);

  static constexpr FixedPoint FromRaw(Raw raw) {
    FixedPoint f;
    f.raw_ = raw;
    return f;
  }
  static constexpr FixedPoint Zero() { return FromRaw(0); }
  static constexpr FixedPoint One() {
    return FromRaw(
        kIntegerBits == 0
            ? std::numeric_limits<Raw>::max()
            : static_cast<Raw>(Raw{1}
                               << (kIntegerBits == 0 ? 0 : kFractionalBits)));
  }
  // 2^kExponent, exactly representable.
  template <int kExponent>
  static constexpr FixedPoint ConstantPOT() {
    constexpr int kOffset = kFractionalBits + kExponent;
    static_assert(kOffset >= 0 && kOffset < kTotalBits - 1);
    return FromRaw(static_cast<Raw>(Raw{1} << kOffset));
  }
  // A constant given as its 32-bit raw value; 16-bit formats round it down
  // to 16 bits (gemmlowp's RescaleConstantInitializer).
  static constexpr FixedPoint FromInt32Constant(int32_t raw32) {
    return FromRaw(
        static_cast<Raw>(RoundingDivideByPOT<int32_t>(raw32, 32 - kTotalBits)));
  }

  constexpr Raw raw() const { return raw_; }

 private:
  Raw raw_ = 0;
};

template <typename Raw, int kBits>
constexpr FixedPoint<Raw, kBits> operator+(FixedPoint<Raw, kBits> a,
                                           FixedPoint<Raw, kBits> b) {
  return FixedPoint<Raw, kBits>::FromRaw(fp_internal::Wrap<Raw>(
      static_cast<int64_t>(a.raw()) + static_cast<int64_t>(b.raw())));
}
template <typename Raw, int kBits>
constexpr FixedPoint<Raw, kBits> operator-(FixedPoint<Raw, kBits> a,
                                           FixedPoint<Raw, kBits> b) {
  return FixedPoint<Raw, kBits>::FromRaw(fp_internal::Wrap<Raw>(
      static_cast<int64_t>(a.raw()) - static_cast<int64_t>(b.raw())));
}
template <typename Raw, int kBits>
constexpr FixedPoint<Raw, kBits> operator-(FixedPoint<Raw, kBits> a) {
  return FixedPoint<Raw, kBits>::FromRaw(
      fp_internal::Wrap<Raw>(-static_cast<int64_t>(a.raw())));
}
template <typename Raw, int kBits>
constexpr FixedPoint<Raw, kBits> operator&(FixedPoint<Raw, kBits> a,
                                           FixedPoint<Raw, kBits> b) {
  return FixedPoint<Raw, kBits>::FromRaw(static_cast<Raw>(a.raw() & b.raw()));
}
// Multiplication adds the integer bits.
template <typename Raw, int kBitsA, int kBitsB>
constexpr FixedPoint<Raw, kBitsA + kBitsB> operator*(
    FixedPoint<Raw, kBitsA> a, FixedPoint<Raw, kBitsB> b) {
  return FixedPoint<Raw, kBitsA + kBitsB>::FromRaw(
      SaturatingRoundingDoublingHighMul<Raw>(a.raw(), b.raw()));
}

// Same raw value read with kExponent more integer bits: exact * 2^kExponent.
template <int kExponent, typename Raw, int kBits>
constexpr FixedPoint<Raw, kBits + kExponent> ExactMulByPot(
    FixedPoint<Raw, kBits> a) {
  return FixedPoint<Raw, kBits + kExponent>::FromRaw(a.raw());
}

template <int kExponent, typename Raw, int kBits>
constexpr FixedPoint<Raw, kBits> SaturatingRoundingMultiplyByPOT(
    FixedPoint<Raw, kBits> a) {
  return FixedPoint<Raw, kBits>::FromRaw(
      SaturatingRoundingMultiplyByPOT<kExponent, Raw>(a.raw()));
}

// Changes the number of integer bits, keeping the value (saturating).
template <int kDstBits, typename Raw, int kSrcBits>
constexpr FixedPoint<Raw, kDstBits> Rescale(FixedPoint<Raw, kSrcBits> x) {
  return FixedPoint<Raw, kDstBits>::FromRaw(
      SaturatingRoundingMultiplyByPOT<kSrcBits - kDstBits, Raw>(x.raw()));
}

// (a + b) / 2 rounded to nearest, ties away from zero.
template <typename Raw, int kBits>
constexpr FixedPoint<Raw, kBits> RoundingHalfSum(FixedPoint<Raw, kBits> a,
                                                 FixedPoint<Raw, kBits> b) {
  const int64_t sum = static_cast<int64_t>(a.raw()) + b.raw();
  const int64_t sign = sum >= 0 ? 1 : -1;
  return FixedPoint<Raw, kBits>::FromRaw(static_cast<Raw>((sum + sign) / 2));
}

// a + b, saturating for 16-bit raw values only (as gemmlowp does).
template <typename Raw, int kBits>
constexpr FixedPoint<Raw, kBits> AddSaturatingIf16Bit(
    FixedPoint<Raw, kBits> a, FixedPoint<Raw, kBits> b) {
  if constexpr (std::is_same_v<Raw, int16_t>) {
    int32_t sum = static_cast<int32_t>(a.raw()) + b.raw();
    sum = sum > 32767 ? 32767 : (sum < -32768 ? -32768 : sum);
    return FixedPoint<Raw, kBits>::FromRaw(static_cast<Raw>(sum));
  } else {
    return a + b;
  }
}

template <typename Raw, int kBits>
constexpr FixedPoint<Raw, kBits> Select(bool c, FixedPoint<Raw, kBits> then_v,
                                        FixedPoint<Raw, kBits> else_v) {
  return c ? then_v : else_v;
}

// exp(a) for a in [-1/4, 0).
template <typename Raw>
constexpr FixedPoint<Raw, 0> ExpOnIntervalNegativeQuarterTo0(
    FixedPoint<Raw, 0> a) {
  using F = FixedPoint<Raw, 0>;
  const F constant_term = F::FromInt32Constant(1895147668);  // exp(-1/8)
  const F one_third = F::FromInt32Constant(715827883);
  // Taylor expansion around -1/8.
  const F x = a + F::template ConstantPOT<-3>();
  const F x2 = x * x;
  const F x3 = x2 * x;
  const F x4 = x2 * x2;
  const F x4_over_4 = SaturatingRoundingMultiplyByPOT<-2>(x4);
  const F poly =
      SaturatingRoundingMultiplyByPOT<-1>(((x4_over_4 + x3) * one_third) + x2);
  return AddSaturatingIf16Bit(constant_term, constant_term * (x + poly));
}

// exp(a) for a <= 0 (1 for a == 0).
template <typename Raw, int kIntegerBits>
constexpr FixedPoint<Raw, 0> ExpOnNegativeValues(
    FixedPoint<Raw, kIntegerBits> a) {
  using InputF = FixedPoint<Raw, kIntegerBits>;
  using ResultF = FixedPoint<Raw, 0>;
  constexpr int kFractionalBits = InputF::kFractionalBits;
  const InputF one_quarter = InputF::template ConstantPOT<-2>();
  const InputF mask = one_quarter - InputF::FromRaw(1);
  const InputF a_mod_quarter_minus_quarter = (a & mask) - one_quarter;
  ResultF result =
      ExpOnIntervalNegativeQuarterTo0(Rescale<0>(a_mod_quarter_minus_quarter));
  const Raw remainder = (a_mod_quarter_minus_quarter - a).raw();

  // Multiplies in exp(-2^k) for each set bit k of the remainder.
  struct Step {
    int exponent;
    int32_t multiplier;
  };
  constexpr Step kSteps[] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084},
                             {1, 290630308},   {2, 39332535},    {3, 720401},
                             {4, 242}};
  for (const Step& step : kSteps) {
    if (kIntegerBits > step.exponent) {
      const int shift = kFractionalBits + step.exponent;
      if ((static_cast<int64_t>(remainder) & (int64_t{1} << shift)) != 0) {
        result = result * ResultF::FromInt32Constant(step.multiplier);
      }
    }
  }
  if constexpr (kIntegerBits > 5) {
    constexpr int kClampBits = 36 - kIntegerBits;
    const InputF clamp = InputF::FromInt32Constant(-(1 << kClampBits));
    if (a.raw() < clamp.raw()) result = ResultF::Zero();
  }
  if (a.raw() == 0) result = ResultF::One();
  return result;
}

// (1 - a) / (1 + a) for a in (0, 1), by Newton-Raphson division.
template <typename Raw>
constexpr FixedPoint<Raw, 0> OneMinusXOverOnePlusXFor0To1(
    FixedPoint<Raw, 0> a) {
  using F0 = FixedPoint<Raw, 0>;
  using F2 = FixedPoint<Raw, 2>;
  const F0 half_denominator = RoundingHalfSum(a, F0::One());
  const F2 c48_over_17 = F2::FromInt32Constant(1515870810);
  const F2 c_neg32_over_17 = F2::FromInt32Constant(-1010580540);
  F2 x = c48_over_17 + half_denominator * c_neg32_over_17;
  for (int i = 0; i < 3; ++i) {
    const F2 half_denominator_times_x = half_denominator * x;
    const F2 one_minus = F2::One() - half_denominator_times_x;
    x = x + Rescale<2>(x * one_minus);
  }
  return Rescale<0>(x - F2::One());
}

// 1 / (1 + a) for a in (0, 1).
template <typename Raw>
constexpr FixedPoint<Raw, 0> OneOverOnePlusXFor0To1(FixedPoint<Raw, 0> a) {
  using F0 = FixedPoint<Raw, 0>;
  using F2 = FixedPoint<Raw, 2>;
  const F0 half_denominator = RoundingHalfSum(a, F0::One());
  const F2 c48_over_17 = F2::FromInt32Constant(1515870810);
  const F2 c_neg32_over_17 = F2::FromInt32Constant(-1010580540);
  F2 x = c48_over_17 + half_denominator * c_neg32_over_17;
  for (int i = 0; i < 3; ++i) {
    const F2 half_denominator_times_x = half_denominator * x;
    const F2 one_minus = F2::One() - half_denominator_times_x;
    x = x + Rescale<2>(x * one_minus);
  }
  return Rescale<0>(ExactMulByPot<-1>(x));
}

template <typename Raw, int kIntegerBits>
constexpr FixedPoint<Raw, 0> Tanh(FixedPoint<Raw, kIntegerBits> a) {
  using InputF = FixedPoint<Raw, kIntegerBits>;
  const bool negative = a.raw() < 0;
  const InputF n = negative ? a : -a;  // n <= 0
  const FixedPoint<Raw, 0> t =
      OneMinusXOverOnePlusXFor0To1(ExpOnNegativeValues(ExactMulByPot<1>(n)));
  if (a.raw() == 0) return FixedPoint<Raw, 0>::Zero();
  return negative ? -t : t;
}

template <typename Raw, int kIntegerBits>
constexpr FixedPoint<Raw, 0> Logistic(FixedPoint<Raw, kIntegerBits> a) {
  using ResultF = FixedPoint<Raw, 0>;
  const bool positive = a.raw() > 0;
  const FixedPoint<Raw, kIntegerBits> abs_input = positive ? a : -a;
  const ResultF if_positive =
      OneOverOnePlusXFor0To1(ExpOnNegativeValues(-abs_input));
  const ResultF if_negative = ResultF::One() - if_positive;
  if (a.raw() == 0) return ResultF::FromInt32Constant(1 << 30);
  return positive ? if_positive : if_negative;
}

inline int CountLeadingZeros32(uint32_t x) {
  if (x == 0) return 32;
  return __builtin_clz(x);
}

// 1/sqrt(input) as a Q0.31 multiplier and shift (TFLite's
// GetInvSqrtQuantizedMultiplierExp with reverse_shift = -1): the result
// multiplies like MultiplyByQuantizedMultiplier(x, *multiplier, *shift).
inline void InvSqrtQuantizedMultiplier(int32_t input, int32_t* multiplier,
                                       int* shift) {
  if (input <= 1) {
    // 0 is treated as 1 (TFLite guards the division the same way).
    *multiplier = std::numeric_limits<int32_t>::max();
    *shift = 0;
    return;
  }
  int out_shift = 11;
  while (input >= (1 << 29)) {
    input /= 4;
    ++out_shift;
  }
  const unsigned max_left_shift_bits =
      static_cast<unsigned>(CountLeadingZeros32(static_cast<uint32_t>(input))) -
      1;
  const unsigned left_shift_bit_pairs = max_left_shift_bits / 2 - 1;
  out_shift -= static_cast<int>(left_shift_bit_pairs);
  input <<= 2 * left_shift_bit_pairs;
  using F3 = FixedPoint<int32_t, 3>;
  using F0 = FixedPoint<int32_t, 0>;
  const F3 fixed_input = F3::FromRaw(input >> 1);
  const F3 half_input = SaturatingRoundingMultiplyByPOT<-1>(fixed_input);
  const F3 half_three = F3::FromRaw((1 << 28) + (1 << 27));
  F3 x = F3::One();
  for (int i = 0; i < 5; ++i) {
    const F3 x3 = Rescale<3>(x * x * x);
    x = Rescale<3>(half_three * x - half_input * x3);
  }
  const F0 half_sqrt_2 = F0::FromRaw(1518500250);
  x = x * half_sqrt_2;
  int32_t result = x.raw();
  if (out_shift < 0) {
    result <<= -out_shift;
    out_shift = 0;
  }
  *multiplier = result;
  *shift = -out_shift;
}

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_FIXED_POINT_H_
