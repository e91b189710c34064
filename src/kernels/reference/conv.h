// Reference CONV_2D and DEPTHWISE_CONV_2D with TensorFlow Lite's exact
// arithmetic: the same loop order, accumulator width and requantization as
// TFLite's reference kernels, so integer results are bit-identical.
// Framework-free (plain pointers, NHWC layout); the optimized kernels in
// kernels/optimized/ are tested against these.
//
// Layouts: input [batches, in_h, in_w, in_c]; output [batches, out_h, out_w,
// out_c]; CONV_2D filter [out_c, filter_h, filter_w, in_c / groups];
// DEPTHWISE_CONV_2D filter [1, filter_h, filter_w, out_c] with
// out_c = in_c * depth_multiplier.
//
// Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_REFERENCE_CONV_H_
#define EDGERUN_KERNELS_REFERENCE_CONV_H_

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/reference/quantization.h"

namespace edgerun::kernels::reference {

// Geometry of one convolution, validated by the caller.
struct ConvShape {
  int batches = 1;
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int filter_h = 1, filter_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_h = 0, pad_w = 0;  // leading padding (top, left)
  int groups = 1;            // CONV_2D: in_c / filter's in_c
  int depth_multiplier = 1;  // DEPTHWISE_CONV_2D: out_c / in_c
};

// Quantized output stage: real multiplier per output channel.
struct ConvQuant {
  int32_t input_offset = 0;   // -input zero point
  int32_t filter_offset = 0;  // -filter zero point (uint8 only; else 0)
  int32_t output_offset = 0;  // output zero point
  const int32_t* multiplier = nullptr;  // [out_c], Q0.31
  const int* shift = nullptr;           // [out_c], > 0 = left shift
  // When set, requantize as XNNPACK does (RequantizeFp32) with these
  // float multipliers instead of multiplier/shift.
  const float* fp32_scale = nullptr;  // [out_c]
  int32_t act_min = 0;
  int32_t act_max = 0;
};

// int32 accumulation wraps like TFLite's (two's complement) without UB.
inline int32_t AccumulateWrapping(int32_t acc, int32_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(acc) +
                              static_cast<uint32_t>(v));
}
inline int64_t AccumulateWrapping(int64_t acc, int64_t v) { return acc + v; }

// TFLite picks the requantization by accumulator width: the Q31 path for
// int32, the reduced Q15 path for int64 (16x8 kernels).
inline int32_t Requantize(int32_t acc, int32_t multiplier, int shift) {
  return MultiplyByQuantizedMultiplier(acc, multiplier, shift);
}
inline int32_t Requantize(int64_t acc, int32_t multiplier, int shift) {
  return MultiplyByQuantizedMultiplier(acc, multiplier, shift);
}

// XNNPACK's requantization of 8-bit convolutions, which TFLite runs when
// its default XNNPACK delegate takes the node: float(acc) * scale, clamped
// to the activation range, rounded to nearest even, plus the zero point.
inline int32_t RequantizeFp32(int32_t acc, float scale, int32_t output_offset,
                              int32_t act_min, int32_t act_max) {
  float f = static_cast<float>(acc) * scale;
  f = std::max(f, static_cast<float>(act_min - output_offset));
  f = std::min(f, static_cast<float>(act_max - output_offset));
  return static_cast<int32_t>(std::nearbyint(f)) + output_offset;
}

// The output stage of one accumulator.
template <typename Acc>
int32_t OutputStage(Acc acc, const ConvQuant& q, int oc) {
  if constexpr (sizeof(Acc) == sizeof(int32_t)) {
    if (q.fp32_scale != nullptr) {
      return RequantizeFp32(acc, q.fp32_scale[oc], q.output_offset, q.act_min,
                            q.act_max);
    }
  }
  int32_t v = Requantize(acc, q.multiplier[oc], q.shift[oc]);
  v += q.output_offset;
  return std::min(std::max(v, q.act_min), q.act_max);
}

inline int64_t InputIndex(const ConvShape& s, int b, int y, int x, int c) {
  return ((static_cast<int64_t>(b) * s.in_h + y) * s.in_w + x) * s.in_c + c;
}
inline int64_t OutputIndex(const ConvShape& s, int b, int y, int x, int c) {
  return ((static_cast<int64_t>(b) * s.out_h + y) * s.out_w + x) * s.out_c + c;
}

// CONV_2D, float: sum in (filter_y, filter_x, in_channel) order, then bias,
// then the activation clamp.
inline void ConvFloat(const ConvShape& s, const float* input,
                      const float* filter, const float* bias, float act_min,
                      float act_max, float* output) {
  const int filter_in_c = s.in_c / s.groups;
  const int per_group = s.out_c / s.groups;
  for (int b = 0; b < s.batches; ++b) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      const int iy0 = oy * s.stride_h - s.pad_h;
      for (int ox = 0; ox < s.out_w; ++ox) {
        const int ix0 = ox * s.stride_w - s.pad_w;
        for (int oc = 0; oc < s.out_c; ++oc) {
          const int group = oc / per_group;
          float total = 0.f;
          for (int fy = 0; fy < s.filter_h; ++fy) {
            const int iy = iy0 + s.dilation_h * fy;
            for (int fx = 0; fx < s.filter_w; ++fx) {
              const int ix = ix0 + s.dilation_w * fx;
              if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) continue;
              const float* in =
                  input + InputIndex(s, b, iy, ix, group * filter_in_c);
              const float* f =
                  filter +
                  ((static_cast<int64_t>(oc) * s.filter_h + fy) * s.filter_w +
                   fx) *
                      filter_in_c;
              for (int ic = 0; ic < filter_in_c; ++ic) total += in[ic] * f[ic];
            }
          }
          if (bias != nullptr) total += bias[oc];
          output[OutputIndex(s, b, oy, ox, oc)] =
              std::min(std::max(total, act_min), act_max);
        }
      }
    }
  }
}

// CONV_2D, quantized. Acc is int32_t (uint8, int8, 16x8 with int32 bias) or
// int64_t (16x8 with int64 bias), which also selects the requantization.
template <typename In, typename Filter, typename Bias, typename Acc,
          typename Out>
void ConvQuantized(const ConvShape& s, const ConvQuant& q, const In* input,
                   const Filter* filter, const Bias* bias, Out* output) {
  const int filter_in_c = s.in_c / s.groups;
  const int per_group = s.out_c / s.groups;
  for (int b = 0; b < s.batches; ++b) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      const int iy0 = oy * s.stride_h - s.pad_h;
      for (int ox = 0; ox < s.out_w; ++ox) {
        const int ix0 = ox * s.stride_w - s.pad_w;
        for (int oc = 0; oc < s.out_c; ++oc) {
          const int group = oc / per_group;
          Acc acc = 0;
          for (int fy = 0; fy < s.filter_h; ++fy) {
            const int iy = iy0 + s.dilation_h * fy;
            for (int fx = 0; fx < s.filter_w; ++fx) {
              const int ix = ix0 + s.dilation_w * fx;
              if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) continue;
              const In* in =
                  input + InputIndex(s, b, iy, ix, group * filter_in_c);
              const Filter* f =
                  filter +
                  ((static_cast<int64_t>(oc) * s.filter_h + fy) * s.filter_w +
                   fx) *
                      filter_in_c;
              for (int ic = 0; ic < filter_in_c; ++ic) {
                const int32_t x = static_cast<int32_t>(in[ic]) + q.input_offset;
                const int32_t w = static_cast<int32_t>(f[ic]) + q.filter_offset;
                acc = AccumulateWrapping(acc, static_cast<Acc>(x) * w);
              }
            }
          }
          if (bias != nullptr)
            acc = AccumulateWrapping(acc, static_cast<Acc>(bias[oc]));
          output[OutputIndex(s, b, oy, ox, oc)] =
              static_cast<Out>(OutputStage(acc, q, oc));
        }
      }
    }
  }
}

// DEPTHWISE_CONV_2D, float.
inline void DepthwiseConvFloat(const ConvShape& s, const float* input,
                               const float* filter, const float* bias,
                               float act_min, float act_max, float* output) {
  for (int b = 0; b < s.batches; ++b) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      const int iy0 = oy * s.stride_h - s.pad_h;
      for (int ox = 0; ox < s.out_w; ++ox) {
        const int ix0 = ox * s.stride_w - s.pad_w;
        for (int ic = 0; ic < s.in_c; ++ic) {
          for (int m = 0; m < s.depth_multiplier; ++m) {
            const int oc = ic * s.depth_multiplier + m;
            float total = 0.f;
            for (int fy = 0; fy < s.filter_h; ++fy) {
              const int iy = iy0 + s.dilation_h * fy;
              for (int fx = 0; fx < s.filter_w; ++fx) {
                const int ix = ix0 + s.dilation_w * fx;
                if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) continue;
                total += input[InputIndex(s, b, iy, ix, ic)] *
                         filter[(static_cast<int64_t>(fy) * s.filter_w + fx) *
                                    s.out_c +
                                oc];
              }
            }
            if (bias != nullptr) total += bias[oc];
            output[OutputIndex(s, b, oy, ox, oc)] =
                std::min(std::max(total, act_min), act_max);
          }
        }
      }
    }
  }
}

// DEPTHWISE_CONV_2D, quantized (see ConvQuantized for Acc).
template <typename In, typename Filter, typename Bias, typename Acc,
          typename Out>
void DepthwiseConvQuantized(const ConvShape& s, const ConvQuant& q,
                            const In* input, const Filter* filter,
                            const Bias* bias, Out* output) {
  for (int b = 0; b < s.batches; ++b) {
    for (int oy = 0; oy < s.out_h; ++oy) {
      const int iy0 = oy * s.stride_h - s.pad_h;
      for (int ox = 0; ox < s.out_w; ++ox) {
        const int ix0 = ox * s.stride_w - s.pad_w;
        for (int ic = 0; ic < s.in_c; ++ic) {
          for (int m = 0; m < s.depth_multiplier; ++m) {
            const int oc = ic * s.depth_multiplier + m;
            Acc acc = 0;
            for (int fy = 0; fy < s.filter_h; ++fy) {
              const int iy = iy0 + s.dilation_h * fy;
              for (int fx = 0; fx < s.filter_w; ++fx) {
                const int ix = ix0 + s.dilation_w * fx;
                if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) continue;
                const int32_t x =
                    static_cast<int32_t>(input[InputIndex(s, b, iy, ix, ic)]) +
                    q.input_offset;
                const int32_t w =
                    static_cast<int32_t>(
                        filter[(static_cast<int64_t>(fy) * s.filter_w + fx) *
                                   s.out_c +
                               oc]) +
                    q.filter_offset;
                acc = AccumulateWrapping(acc, static_cast<Acc>(x) * w);
              }
            }
            if (bias != nullptr)
              acc = AccumulateWrapping(acc, static_cast<Acc>(bias[oc]));
            output[OutputIndex(s, b, oy, ox, oc)] =
                static_cast<Out>(OutputStage(acc, q, oc));
          }
        }
      }
    }
  }
}

}  // namespace edgerun::kernels::reference

#endif  // EDGERUN_KERNELS_REFERENCE_CONV_H_
