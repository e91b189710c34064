// AVX-512 (F, BW, VL, VNNI) micro-kernels of conv_8bit.h. Each function
// carries its own target attribute, so the rest of the binary stays
// baseline x86-64; conv_8bit.cc calls them only when CpuHasAvx512Vnni().
#if defined(__x86_64__)

// GCC 12 warns about the intrinsics' own deliberately undefined temporaries
// (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <cstring>

#include "kernels/optimized/conv_internal.h"

#define EDGERUN_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

namespace edgerun::kernels::optimized::internal {
namespace {

// The output stage of one 16-channel panel, loaded once per tile.
struct PanelRequant {
  __m512i multiplier, left_shift, right_shift;
  __m512i offset, act_min, act_max;
  __m512 scale, float_min, float_max;  // fp32 mode
  bool fp32;
};

EDGERUN_AVX512 inline PanelRequant LoadPanel(const Requant8& rq, int c0) {
  PanelRequant p;
  p.multiplier = _mm512_loadu_si512(rq.multiplier + c0);
  p.left_shift = _mm512_loadu_si512(rq.left_shift + c0);
  p.right_shift = _mm512_loadu_si512(rq.right_shift + c0);
  p.offset = _mm512_set1_epi32(rq.output_offset);
  p.act_min = _mm512_set1_epi32(rq.act_min);
  p.act_max = _mm512_set1_epi32(rq.act_max);
  p.scale = _mm512_loadu_ps(rq.scale + c0);
  p.float_min =
      _mm512_set1_ps(static_cast<float>(rq.act_min - rq.output_offset));
  p.float_max =
      _mm512_set1_ps(static_cast<float>(rq.act_max - rq.output_offset));
  p.fp32 = rq.fp32;
  return p;
}

// TFLite's MultiplyByQuantizedMultiplier on 16 lanes, then offset and
// clamp. SaturatingRoundingDoublingHighMul(x, m) equals
// (x * m + 2^30) >> 31 (arithmetic) for every x when m >= 0, which
// QuantizeMultiplier guarantees; RoundingDivideByPOT rounds half away from
// zero exactly as the scalar code does.
EDGERUN_AVX512 inline __m512i Requantize(__m512i acc, const PanelRequant& p) {
  if (p.fp32) {
    // XNNPACK's arithmetic: round to nearest even.
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), p.scale);
    f = _mm512_min_ps(_mm512_max_ps(f, p.float_min), p.float_max);
    return _mm512_add_epi32(
        _mm512_cvt_roundps_epi32(f,
                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
        p.offset);
  }
  const __m512i x = _mm512_sllv_epi32(acc, p.left_shift);
  const __m512i nudge = _mm512_set1_epi64(int64_t{1} << 30);
  __m512i even = _mm512_mul_epi32(x, p.multiplier);
  __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32),
                                 _mm512_srli_epi64(p.multiplier, 32));
  // Bits 31..62 of each 64-bit sum are the result: the low half of
  // even >> 31, the high half of odd << 1.
  even = _mm512_srli_epi64(_mm512_add_epi64(even, nudge), 31);
  odd = _mm512_slli_epi64(_mm512_add_epi64(odd, nudge), 1);
  const __m512i high = _mm512_mask_blend_epi32(0xAAAA, even, odd);
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i mask =
      _mm512_sub_epi32(_mm512_sllv_epi32(one, p.right_shift), one);
  const __m512i remainder = _mm512_and_si512(high, mask);
  const __m512i threshold =
      _mm512_add_epi32(_mm512_srli_epi32(mask, 1), _mm512_srli_epi32(high, 31));
  __m512i v = _mm512_srav_epi32(high, p.right_shift);
  v = _mm512_mask_add_epi32(v, _mm512_cmpgt_epi32_mask(remainder, threshold), v,
                            one);
  v = _mm512_add_epi32(v, p.offset);
  v = _mm512_max_epi32(v, p.act_min);
  return _mm512_min_epi32(v, p.act_max);
}

EDGERUN_AVX512 inline __mmask16 LaneMask(int lanes) {
  return lanes >= 16
             ? static_cast<__mmask16>(0xFFFF)
             : static_cast<__mmask16>((1u << (lanes > 0 ? lanes : 0)) - 1);
}

EDGERUN_AVX512 inline int32_t LoadPair(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// kTileRows rows x kPanels panels of the GEMM; rows >= `rows` are computed
// on the zero padding and not stored.
template <int kPanels>
EDGERUN_AVX512 void GemmTile(const int16_t* a, int kp, const int16_t* b,
                             int rows, int cols, const Requant8& rq, int c0,
                             uint8_t* out, int64_t out_stride) {
  __m512i acc[kTileRows][kPanels];
#pragma GCC unroll 2
  for (int p = 0; p < kPanels; ++p) {
    const __m512i bias = _mm512_loadu_si512(rq.bias + c0 + p * kPanel);
#pragma GCC unroll 8
    for (int r = 0; r < kTileRows; ++r) acc[r][p] = bias;
  }
  const int16_t* b1 = b + static_cast<int64_t>(kp) * kPanel;
  const int pairs = kp / 2;
  for (int j = 0; j < pairs; ++j) {
    const __m512i w0 = _mm512_loadu_si512(b + j * 2 * kPanel);
    __m512i w1 = w0;
    if constexpr (kPanels == 2) w1 = _mm512_loadu_si512(b1 + j * 2 * kPanel);
#pragma GCC unroll 8
    for (int r = 0; r < kTileRows; ++r) {
      const __m512i av = _mm512_set1_epi32(LoadPair(a + r * kp + 2 * j));
      acc[r][0] = _mm512_dpwssd_epi32(acc[r][0], av, w0);
      if constexpr (kPanels == 2) {
        acc[r][1] = _mm512_dpwssd_epi32(acc[r][1], av, w1);
      }
    }
  }
#pragma GCC unroll 2
  for (int p = 0; p < kPanels; ++p) {
    const PanelRequant pr = LoadPanel(rq, c0 + p * kPanel);
    const __mmask16 mask = LaneMask(cols - p * kPanel);
#pragma GCC unroll 8
    for (int r = 0; r < kTileRows; ++r) {
      if (r < rows) {
        const __m128i bytes = _mm512_cvtepi32_epi8(Requantize(acc[r][p], pr));
        _mm_mask_storeu_epi8(out + r * out_stride + p * kPanel, mask, bytes);
      }
    }
  }
}

}  // namespace

bool CpuHasAvx512Vnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vnni");
}

EDGERUN_AVX512 void GemmBlockAvx512(const int16_t* a, int rows, int kp,
                                    const int16_t* b, int n, const Requant8& rq,
                                    uint8_t* out, int64_t out_stride) {
  const int panels = (n + kPanel - 1) / kPanel;
  for (int p = 0; p < panels; p += 2) {
    const int16_t* bp = b + static_cast<int64_t>(p) * kp * kPanel;
    const int cols = n - p * kPanel;
    for (int r0 = 0; r0 < rows; r0 += kTileRows) {
      const int tile_rows = rows - r0 < kTileRows ? rows - r0 : kTileRows;
      const int16_t* ap = a + static_cast<int64_t>(r0) * kp;
      uint8_t* op = out + r0 * out_stride + p * kPanel;
      if (p + 1 < panels) {
        GemmTile<2>(ap, kp, bp, tile_rows, cols, rq, p * kPanel, op,
                    out_stride);
      } else {
        GemmTile<1>(ap, kp, bp, tile_rows, cols, rq, p * kPanel, op,
                    out_stride);
      }
    }
  }
}

EDGERUN_AVX512 void DepthwiseRowAvx512(const DepthwiseRow& d, int out_y,
                                       uint8_t* out) {
  constexpr int kMaxTaps = 64;
  if (d.filter_h * d.filter_w > kMaxTaps) {
    DepthwiseRowGeneric(d, out_y, out);
    return;
  }
  const uint8_t* src[kMaxTaps];
  const int32_t* wts[kMaxTaps];
  const int channels = d.channels;
  const int iy0 = out_y * d.stride_h - d.pad_h;
  const __m512i input_offset = _mm512_set1_epi32(d.input_offset);
  for (int ox = 0; ox < d.out_w; ++ox) {
    const int ix0 = ox * d.stride_w - d.pad_w;
    int taps = 0;
    for (int fy = 0; fy < d.filter_h; ++fy) {
      const int iy = iy0 + fy * d.dilation_h;
      if (iy < 0 || iy >= d.in_h) continue;
      for (int fx = 0; fx < d.filter_w; ++fx) {
        const int ix = ix0 + fx * d.dilation_w;
        if (ix < 0 || ix >= d.in_w) continue;
        src[taps] =
            d.input + (static_cast<int64_t>(iy) * d.in_w + ix) * channels;
        wts[taps] = d.weights + static_cast<int64_t>(fy * d.filter_w + fx) *
                                    d.padded_channels;
        ++taps;
      }
    }
    uint8_t* o = out + static_cast<int64_t>(ox) * channels;
    for (int c = 0; c < channels; c += kPanel) {
      const __mmask16 mask = LaneMask(channels - c);
      __m512i acc = _mm512_loadu_si512(d.rq.bias + c);
      if (d.input_signed) {
        for (int t = 0; t < taps; ++t) {
          const __m512i x = _mm512_add_epi32(
              _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, src[t] + c)),
              input_offset);
          acc = _mm512_add_epi32(
              acc, _mm512_mullo_epi32(x, _mm512_loadu_si512(wts[t] + c)));
        }
      } else {
        for (int t = 0; t < taps; ++t) {
          const __m512i x = _mm512_add_epi32(
              _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mask, src[t] + c)),
              input_offset);
          acc = _mm512_add_epi32(
              acc, _mm512_mullo_epi32(x, _mm512_loadu_si512(wts[t] + c)));
        }
      }
      const PanelRequant pr = LoadPanel(d.rq, c);
      _mm_mask_storeu_epi8(o + c, mask,
                           _mm512_cvtepi32_epi8(Requantize(acc, pr)));
    }
  }
}

}  // namespace edgerun::kernels::optimized::internal

#endif  // defined(__x86_64__)
