#include "kernels/optimized/conv_8bit.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/reference/quantization.h"

namespace edgerun::kernels::optimized {
namespace {

using internal::kPanel;
using internal::kTileRows;
using internal::Requant8;

// Target size of one packed block of im2col rows: fits the L2 cache with
// room for a filter panel.
constexpr size_t kBlockBytes = 96 * 1024;

int32_t RequantScalar(int32_t acc, const Requant8& rq, int c) {
  if (rq.fp32) {
    return reference::RequantizeFp32(acc, rq.scale[c], rq.output_offset,
                                     rq.act_min, rq.act_max);
  }
  const int shift = rq.left_shift[c] - rq.right_shift[c];
  int32_t v =
      reference::MultiplyByQuantizedMultiplier(acc, rq.multiplier[c], shift);
  v += rq.output_offset;
  return std::min(std::max(v, rq.act_min), rq.act_max);
}

using GemmBlockFn = void (*)(const int16_t*, int, int, const int16_t*, int,
                             const Requant8&, uint8_t*, int64_t);
using DepthwiseRowFn = void (*)(const internal::DepthwiseRow&, int, uint8_t*);

GemmBlockFn SelectGemm(ConvIsa isa) {
#if defined(__x86_64__)
  static const bool avx512 = internal::CpuHasAvx512Vnni();
  if (isa == ConvIsa::kAuto && avx512) return internal::GemmBlockAvx512;
#endif
  return internal::GemmBlockGeneric;
}

DepthwiseRowFn SelectDepthwise(ConvIsa isa) {
#if defined(__x86_64__)
  static const bool avx512 = internal::CpuHasAvx512Vnni();
  if (isa == ConvIsa::kAuto && avx512) return internal::DepthwiseRowAvx512;
#endif
  return internal::DepthwiseRowGeneric;
}

// Writes im2col rows [m0, m0 + rows) as int16 (q + input_offset), kp values
// per row (taps outside the image and the odd tail are 0), then zero rows up
// to a multiple of kTileRows.
template <typename In>
void PackRows(const reference::ConvShape& s, const In* input,
              int32_t input_offset, int64_t m0, int rows, int kp, int16_t* a) {
  const int c = s.in_c;
  const int k = s.filter_h * s.filter_w * c;
  const bool pointwise = s.filter_h == 1 && s.filter_w == 1 &&
                         s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 &&
                         s.pad_w == 0 && s.in_h == s.out_h && s.in_w == s.out_w;
  const int64_t pixels = static_cast<int64_t>(s.out_h) * s.out_w;
  for (int r = 0; r < rows; ++r) {
    const int64_t m = m0 + r;
    int16_t* dst = a + static_cast<int64_t>(r) * kp;
    if (pointwise) {
      const In* src = input + m * c;
      for (int i = 0; i < c; ++i) {
        dst[i] =
            static_cast<int16_t>(static_cast<int32_t>(src[i]) + input_offset);
      }
    } else {
      const int b = static_cast<int>(m / pixels);
      const int rem = static_cast<int>(m % pixels);
      const int oy = rem / s.out_w;
      const int ox = rem % s.out_w;
      const int iy0 = oy * s.stride_h - s.pad_h;
      const int ix0 = ox * s.stride_w - s.pad_w;
      for (int fy = 0; fy < s.filter_h; ++fy) {
        const int iy = iy0 + fy * s.dilation_h;
        for (int fx = 0; fx < s.filter_w; ++fx) {
          const int ix = ix0 + fx * s.dilation_w;
          int16_t* d = dst + (fy * s.filter_w + fx) * c;
          if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) {
            std::memset(d, 0, sizeof(int16_t) * c);
            continue;
          }
          const In* src = input + reference::InputIndex(s, b, iy, ix, 0);
          for (int i = 0; i < c; ++i) {
            d[i] = static_cast<int16_t>(static_cast<int32_t>(src[i]) +
                                        input_offset);
          }
        }
      }
    }
    for (int i = k; i < kp; ++i) dst[i] = 0;
  }
  const int padded_rows = (rows + kTileRows - 1) / kTileRows * kTileRows;
  std::memset(a + static_cast<int64_t>(rows) * kp, 0,
              sizeof(int16_t) * (padded_rows - rows) * kp);
}

}  // namespace

void OutputStage8::Set(int channels, const int32_t* bias,
                       const int32_t* multiplier, const int* shift,
                       int32_t output_offset, int32_t act_min, int32_t act_max,
                       const float* fp32_scale) {
  const size_t padded =
      static_cast<size_t>(channels + kPanel - 1) / kPanel * kPanel;
  bias_.assign(padded, 0);
  scale_.assign(padded, 0.f);
  if (fp32_scale != nullptr)
    std::copy(fp32_scale, fp32_scale + channels, scale_.begin());
  multiplier_.assign(padded, 0);
  left_shift_.assign(padded, 0);
  right_shift_.assign(padded, 0);
  for (int c = 0; c < channels; ++c) {
    if (bias != nullptr) bias_[c] = bias[c];
    multiplier_[c] = multiplier[c];
    left_shift_[c] = shift[c] > 0 ? shift[c] : 0;
    right_shift_[c] = shift[c] > 0 ? 0 : -shift[c];
  }
  fp32_ = fp32_scale != nullptr;
  output_offset_ = output_offset;
  act_min_ = act_min;
  act_max_ = act_max;
}

internal::Requant8 OutputStage8::view() const {
  internal::Requant8 view;
  view.bias = bias_.data();
  view.multiplier = multiplier_.data();
  view.left_shift = left_shift_.data();
  view.right_shift = right_shift_.data();
  view.scale = scale_.data();
  view.fp32 = fp32_;
  view.output_offset = output_offset_;
  view.act_min = act_min_;
  view.act_max = act_max_;
  return view;
}

size_t OutputStage8::ByteSize() const {
  return sizeof(*this) +
         sizeof(int32_t) * (bias_.capacity() + multiplier_.capacity() +
                            left_shift_.capacity() + right_shift_.capacity()) +
         sizeof(float) * scale_.capacity();
}

size_t PackedConvGemm::ByteSize() const {
  return sizeof(*this) - sizeof(stage_) + stage_.ByteSize() +
         sizeof(int16_t) * packed_.capacity();
}

size_t PackedDepthwiseConv::ByteSize() const {
  return sizeof(*this) - sizeof(stage_) + stage_.ByteSize() +
         sizeof(int32_t) * weights_.capacity();
}

namespace internal {

void GemmBlockGeneric(const int16_t* a, int rows, int kp, const int16_t* b,
                      int n, const Requant8& rq, uint8_t* out,
                      int64_t out_stride) {
  const int panels = (n + kPanel - 1) / kPanel;
  for (int p = 0; p < panels; ++p) {
    const int16_t* panel = b + static_cast<int64_t>(p) * kp * kPanel;
    const int lanes = std::min(kPanel, n - p * kPanel);
    for (int r = 0; r < rows; ++r) {
      const int16_t* row = a + static_cast<int64_t>(r) * kp;
      int32_t acc[kPanel];
      for (int i = 0; i < kPanel; ++i) acc[i] = rq.bias[p * kPanel + i];
      for (int j = 0; j < kp / 2; ++j) {
        const int32_t a0 = row[2 * j];
        const int32_t a1 = row[2 * j + 1];
        const int16_t* w = panel + j * 2 * kPanel;
        for (int i = 0; i < kPanel; ++i) {
          // Wraps like TFLite's int32 accumulator, without UB.
          acc[i] = static_cast<int32_t>(
              static_cast<uint32_t>(acc[i]) +
              static_cast<uint32_t>(a0 * w[2 * i] + a1 * w[2 * i + 1]));
        }
      }
      uint8_t* o = out + r * out_stride + p * kPanel;
      for (int i = 0; i < lanes; ++i) {
        o[i] = static_cast<uint8_t>(RequantScalar(acc[i], rq, p * kPanel + i));
      }
    }
  }
}

void DepthwiseRowGeneric(const DepthwiseRow& d, int out_y, uint8_t* out) {
  const int channels = d.channels;
  const int iy0 = out_y * d.stride_h - d.pad_h;
  std::vector<int32_t> acc(channels);
  for (int ox = 0; ox < d.out_w; ++ox) {
    const int ix0 = ox * d.stride_w - d.pad_w;
    std::copy(d.rq.bias, d.rq.bias + channels, acc.begin());
    for (int fy = 0; fy < d.filter_h; ++fy) {
      const int iy = iy0 + fy * d.dilation_h;
      if (iy < 0 || iy >= d.in_h) continue;
      for (int fx = 0; fx < d.filter_w; ++fx) {
        const int ix = ix0 + fx * d.dilation_w;
        if (ix < 0 || ix >= d.in_w) continue;
        const int32_t* w =
            d.weights +
            static_cast<int64_t>(fy * d.filter_w + fx) * d.padded_channels;
        const uint8_t* src =
            d.input + (static_cast<int64_t>(iy) * d.in_w + ix) * channels;
        if (d.input_signed) {
          const int8_t* s8 = reinterpret_cast<const int8_t*>(src);
          for (int c = 0; c < channels; ++c) {
            acc[c] = static_cast<int32_t>(
                static_cast<uint32_t>(acc[c]) +
                static_cast<uint32_t>((s8[c] + d.input_offset) * w[c]));
          }
        } else {
          for (int c = 0; c < channels; ++c) {
            acc[c] = static_cast<int32_t>(
                static_cast<uint32_t>(acc[c]) +
                static_cast<uint32_t>((src[c] + d.input_offset) * w[c]));
          }
        }
      }
    }
    uint8_t* o = out + static_cast<int64_t>(ox) * channels;
    for (int c = 0; c < channels; ++c) {
      o[c] = static_cast<uint8_t>(RequantScalar(acc[c], d.rq, c));
    }
  }
}

}  // namespace internal

int QuantizedConvGemm::PaddedDepth(const reference::ConvShape& s) {
  return (s.filter_h * s.filter_w * s.in_c + 1) & ~1;
}

int QuantizedConvGemm::BlockRows(const reference::ConvShape& s) {
  const int64_t m = static_cast<int64_t>(s.batches) * s.out_h * s.out_w;
  const int64_t row_bytes =
      static_cast<int64_t>(PaddedDepth(s)) * sizeof(int16_t);
  int64_t rows =
      static_cast<int64_t>(kBlockBytes) / std::max<int64_t>(row_bytes, 1);
  rows = std::max<int64_t>(rows / kTileRows * kTileRows, kTileRows);
  const int64_t m_padded = (m + kTileRows - 1) / kTileRows * kTileRows;
  return static_cast<int>(
      std::max<int64_t>(std::min(rows, m_padded), kTileRows));
}

size_t QuantizedConvGemm::ScratchBytes(const reference::ConvShape& s) {
  return static_cast<size_t>(BlockRows(s)) * PaddedDepth(s) * sizeof(int16_t);
}

template <typename In>
void QuantizedConvGemm::RunImpl(const reference::ConvShape& s, const In* input,
                                int32_t input_offset, uint8_t* output,
                                void* scratch) const {
  const GemmBlockFn gemm = SelectGemm(isa_);
  const PackedConvGemm& w = *weights_;
  const int kp = w.padded_depth();
  const int out_c = w.out_c();
  const internal::Requant8 rq = w.output_stage().view();
  const int64_t m = static_cast<int64_t>(s.batches) * s.out_h * s.out_w;
  const int block_rows = BlockRows(s);
  int16_t* a = static_cast<int16_t*>(scratch);
  for (int64_t m0 = 0; m0 < m; m0 += block_rows) {
    const int rows = static_cast<int>(std::min<int64_t>(block_rows, m - m0));
    PackRows(s, input, input_offset, m0, rows, kp, a);
    gemm(a, rows, kp, w.panels(), out_c, rq, output + m0 * out_c, out_c);
  }
}

void QuantizedConvGemm::Run(const reference::ConvShape& s, const uint8_t* input,
                            int32_t input_offset, uint8_t* output,
                            void* scratch) const {
  RunImpl(s, input, input_offset, output, scratch);
}

void QuantizedConvGemm::Run(const reference::ConvShape& s, const int8_t* input,
                            int32_t input_offset, int8_t* output,
                            void* scratch) const {
  RunImpl(s, input, input_offset, reinterpret_cast<uint8_t*>(output), scratch);
}

void QuantizedDepthwiseConv::RunImpl(const reference::ConvShape& s,
                                     const uint8_t* input, bool input_signed,
                                     int32_t input_offset,
                                     uint8_t* output) const {
  const DepthwiseRowFn row_fn = SelectDepthwise(isa_);
  const PackedDepthwiseConv& w = *weights_;
  const int channels = w.channels();
  internal::DepthwiseRow d;
  d.input_signed = input_signed;
  d.input_offset = input_offset;
  d.in_h = s.in_h;
  d.in_w = s.in_w;
  d.channels = channels;
  d.out_w = s.out_w;
  d.filter_h = s.filter_h;
  d.filter_w = s.filter_w;
  d.stride_h = s.stride_h;
  d.stride_w = s.stride_w;
  d.dilation_h = s.dilation_h;
  d.dilation_w = s.dilation_w;
  d.pad_h = s.pad_h;
  d.pad_w = s.pad_w;
  d.weights = w.weights();
  d.padded_channels = w.padded_channels();
  d.rq = w.output_stage().view();
  const int64_t image = static_cast<int64_t>(s.in_h) * s.in_w * channels;
  const int64_t out_row = static_cast<int64_t>(s.out_w) * channels;
  for (int b = 0; b < s.batches; ++b) {
    d.input = input + b * image;
    for (int oy = 0; oy < s.out_h; ++oy) {
      row_fn(d, oy,
             output + (static_cast<int64_t>(b) * s.out_h + oy) * out_row);
    }
  }
}

void QuantizedDepthwiseConv::Run(const reference::ConvShape& s,
                                 const uint8_t* input, int32_t input_offset,
                                 uint8_t* output) const {
  RunImpl(s, input, false, input_offset, output);
}

void QuantizedDepthwiseConv::Run(const reference::ConvShape& s,
                                 const int8_t* input, int32_t input_offset,
                                 int8_t* output) const {
  RunImpl(s, reinterpret_cast<const uint8_t*>(input), true, input_offset,
          reinterpret_cast<uint8_t*>(output));
}

}  // namespace edgerun::kernels::optimized
