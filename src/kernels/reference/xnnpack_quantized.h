// 8-bit arithmetic of the XNNPACK delegate, which TensorFlow Lite's default
// CPU runtime applies to some quantized ops before its builtin kernels see
// them: LEAKY_RELU (uint8/int8), QUANTIZE float32 -> uint8/int8 and QUANTIZE
// between two tensors of the same 8-bit type. Where the delegate accepts a
// node, real TFLite produces these results (they differ from the builtin
// kernels by one step on a few percent of values), so edgerun reproduces
// them; the *Applies functions mirror the delegate's acceptance checks.
// Framework-free; header-only. Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_REFERENCE_XNNPACK_QUANTIZED_H_
#define EDGERUN_KERNELS_REFERENCE_XNNPACK_QUANTIZED_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace edgerun::kernels::reference {

// Multiplier with 8 fractional bits, rounded to nearest even (lrintf).
inline int32_t XnnpackQ8Multiplier(float scale) {
  return static_cast<int32_t>(std::nearbyint(256.0f * scale));
}

// ---- LEAKY_RELU
struct XnnpackLeakyReluParams {
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  int32_t positive_multiplier = 0;  // round(-256 * in_scale / out_scale)
  int32_t negative_multiplier = 0;  // round(-256 * that * alpha)
};

// The delegate takes the node when alpha is a normal non-zero float and the
// input-to-output scale ratios fit its 8.8 fixed-point multipliers.
inline bool XnnpackLeakyReluApplies(float input_scale, float output_scale,
                                    float alpha,
                                    XnnpackLeakyReluParams* params) {
  if (!std::isnormal(alpha)) return false;
  if (!std::isnormal(input_scale) || !std::isnormal(output_scale)) return false;
  const float positive_scale = input_scale / output_scale;
  if (positive_scale < 1.0f / 256.0f || positive_scale > 128.0f) return false;
  const float negative_scale = positive_scale * alpha;
  if (negative_scale < -127.99609375f || negative_scale > 128.0f ||
      std::fabs(negative_scale) < 1.0f / 256.0f) {
    return false;
  }
  params->positive_multiplier = XnnpackQ8Multiplier(-positive_scale);
  params->negative_multiplier = XnnpackQ8Multiplier(-negative_scale);
  return true;
}

template <typename T>
void XnnpackLeakyRelu(const XnnpackLeakyReluParams& p, const T* in, T* out,
                      int64_t n) {
  constexpr int32_t kMin = std::numeric_limits<T>::min();
  constexpr int32_t kMax = std::numeric_limits<T>::max();
  for (int64_t i = 0; i < n; ++i) {
    // Negated input, so that the rounding below (floor of x + 1/2) matches
    // the delegate's q15 rounding multiply exactly.
    const int32_t acc = p.input_zero_point - static_cast<int32_t>(in[i]);
    const int32_t m = acc < 0 ? p.positive_multiplier : p.negative_multiplier;
    const int32_t v = ((acc * m + 128) >> 8) + p.output_zero_point;
    out[i] = static_cast<T>(std::clamp(v, kMin, kMax));
  }
}

// ---- QUANTIZE between two tensors of the same 8-bit type
inline bool XnnpackRequantizeApplies(float input_scale, float output_scale) {
  if (!std::isnormal(input_scale) || !std::isnormal(output_scale)) return false;
  const float ratio = input_scale / output_scale;
  return ratio >= 1.0f / 256.0f && ratio <= 128.0f;
}

template <typename T>
void XnnpackRequantize(const T* in, T* out, int64_t n, int32_t multiplier,
                       int32_t input_zero_point, int32_t output_zero_point) {
  constexpr int32_t kMin = std::numeric_limits<T>::min();
  constexpr int32_t kMax = std::numeric_limits<T>::max();
  for (int64_t i = 0; i < n; ++i) {
    const int32_t acc = static_cast<int32_t>(in[i]) - input_zero_point;
    const int32_t v = ((acc * multiplier + 128) >> 8) + output_zero_point;
    out[i] = static_cast<T>(std::clamp(v, kMin, kMax));
  }
}

// ---- QUANTIZE float32 -> uint8/int8 (per-tensor): x * (1 / scale), rounded
// half to even, plus the zero point.
template <typename T>
void XnnpackQuantizeFloat(const float* in, T* out, int64_t n, float scale,
                          int32_t zero_point) {
  const float inv_scale = 1.0f / scale;
  const float lo =
      static_cast<float>(std::numeric_limits<T>::min() - zero_point);
  const float hi =
      static_cast<float>(std::numeric_limits<T>::max() - zero_point);
  for (int64_t i = 0; i < n; ++i) {
    float v = in[i] * inv_scale;
    // Clamp first (also maps +-inf); NaN stays NaN and becomes the zero point.
    v = v < lo ? lo : (v > hi ? hi : v);
    const float r = std::nearbyint(v);
    out[i] =
        static_cast<T>((r == r ? static_cast<int32_t>(r) : 0) + zero_point);
  }
}

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_XNNPACK_QUANTIZED_H_
