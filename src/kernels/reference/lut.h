// Lookup tables for quantized element-wise functions, filled exactly as
// TensorFlow Lite fills them (LUTPopulate): 256 entries for 8-bit types,
// 513 interpolated entries for int16. Framework-free; header-only.
// Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_REFERENCE_LUT_H_
#define EDGERUN_KERNELS_REFERENCE_LUT_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace edgerun::kernels::reference {

inline constexpr int kLut8Size = 256;
inline constexpr int kLut16Size = 513;

// table[uint8_t(q)] = quantize_out(fn(dequantize_in(q))) for every 8-bit q of
// type T (uint8_t or int8_t); int8 values index the table through their
// uint8 bit pattern. Arithmetic in float, rounding half away from zero.
template <typename T, typename Fn>
void PopulateLut8(float input_scale, int32_t input_zero_point,
                  float output_scale, int32_t output_zero_point, Fn&& fn,
                  uint8_t* table) {
  static_assert(std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t>);
  const float inverse_scale = 1 / output_scale;
  constexpr int32_t kMin = std::numeric_limits<T>::min();
  constexpr int32_t kMax = std::numeric_limits<T>::max();
  for (int32_t v = kMin; v <= kMax; ++v) {
    const float dequantized =
        input_scale * static_cast<float>(v - input_zero_point);
    const float transformed = fn(dequantized);
    const float rescaled = std::round(transformed * inverse_scale);
    // Saturating float->int conversion, as WebAssembly and x86 clamp agree
    // for the finite values that matter here.
    const float with_zp = rescaled + static_cast<float>(output_zero_point);
    int32_t q;
    if (!(with_zp == with_zp)) {
      q = 0;
    } else if (with_zp >= 2147483648.f) {
      q = std::numeric_limits<int32_t>::max();
    } else if (with_zp < -2147483648.f) {
      q = std::numeric_limits<int32_t>::min();
    } else {
      q = static_cast<int32_t>(with_zp);
    }
    q = std::clamp(q, kMin, kMax);
    table[static_cast<uint8_t>(static_cast<T>(v))] =
        static_cast<uint8_t>(static_cast<T>(q));
  }
}

template <typename T>
inline T Lut8Lookup(T value, const uint8_t* table) {
  return static_cast<T>(table[static_cast<uint8_t>(value)]);
}

// The 513-entry int16 table: 512 samples over the input range plus the end
// point, each biased to cancel the interpolation error at the midpoint.
// FloatT is float for most ops; SOFTMAX's int16 tables use double.
template <typename FloatT, typename Fn>
void PopulateLut16(FloatT input_scale, int32_t input_zero_point,
                   FloatT output_scale, int32_t output_zero_point, Fn&& fn,
                   int16_t* table) {
  constexpr int32_t kMin = std::numeric_limits<int16_t>::min();
  constexpr int32_t kMax = std::numeric_limits<int16_t>::max();
  const FloatT input_min =
      input_scale * static_cast<FloatT>(kMin - input_zero_point);
  const FloatT input_max =
      input_scale * static_cast<FloatT>(kMax - input_zero_point);
  const FloatT output_min =
      output_scale * static_cast<FloatT>(kMin - output_zero_point);
  const FloatT output_max =
      output_scale * static_cast<FloatT>(kMax - output_zero_point);
  constexpr int kSteps = 512;
  const FloatT step = (input_max - input_min) / kSteps;
  const FloatT half_step = step / 2;
  const FloatT output_scaling_inv =
      static_cast<FloatT>(kMax - kMin + 1) / (output_max - output_min);
  const FloatT table_min = static_cast<FloatT>(kMin);
  const FloatT table_max = static_cast<FloatT>(kMax);
  for (int i = 0; i < kSteps; ++i) {
    const FloatT val = fn(input_min + i * step);
    const FloatT val_midpoint = fn(input_min + i * step + half_step);
    const FloatT val_next = fn(input_min + (i + 1) * step);
    const FloatT sample_val = std::round(val * output_scaling_inv);
    const FloatT midpoint_interp_val = std::round(
        (val_next * output_scaling_inv + std::round(val * output_scaling_inv)) /
        2);
    const FloatT midpoint_val = std::round(val_midpoint * output_scaling_inv);
    const FloatT midpoint_err = midpoint_interp_val - midpoint_val;
    const FloatT bias = std::round(midpoint_err / 2);
    table[i] = static_cast<int16_t>(std::min<FloatT>(
        std::max<FloatT>(sample_val - bias, table_min), table_max));
  }
  table[kSteps] = static_cast<int16_t>(std::min<FloatT>(
      std::max<FloatT>(std::round(fn(input_max) * output_scaling_inv),
                       table_min),
      table_max));
}

// Interpolated lookup: the top 9 bits pick the entry, the low 7 bits
// interpolate towards the next one.
inline int16_t Lut16Lookup(int16_t value, const int16_t* table) {
  const uint16_t index = static_cast<uint16_t>(256 + (value >> 7));
  const int16_t offset = static_cast<int16_t>(value & 0x7f);
  const int16_t base = table[index];
  const int16_t slope = static_cast<int16_t>(table[index + 1] - table[index]);
  const int delta = (slope * offset + 64) >> 7;
  return static_cast<int16_t>(base + delta);
}

// sigmoid(i / 24) in 0.16 fixed point, i = 0..255; shared by the int16
// LOGISTIC and TANH kernels (tanh(x) = 2 * sigmoid(2x) - 1).
inline constexpr uint16_t kSigmoidTableUint16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498,
    40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255,
    46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865,
    52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174,
    56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288,
    59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441,
    61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886,
    62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835,
    63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450,
    64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
    64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097,
    65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
    65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465,
    65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508,
    65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518,
    65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525,
    65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
    65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531,
    65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533,
    65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65535};

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_LUT_H_
