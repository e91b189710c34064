// The optimized 8-bit convolutions (every ISA variant) must equal the
// reference kernels bit for bit, on random geometries and quantization.
#include "kernels/optimized/conv_8bit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/reference/conv.h"
#include "kernels/reference/quantization.h"

namespace edgerun::kernels::optimized {
namespace {

using reference::ConvShape;

struct Case {
  ConvShape shape;
  bool same_padding = true;
  bool has_bias = true;
};

int OutSize(bool same, int in, int filter, int stride, int dilation) {
  const int eff = (filter - 1) * dilation + 1;
  return same ? (in + stride - 1) / stride : (in + stride - eff) / stride;
}

int Pad(int stride, int dilation, int in, int filter, int out) {
  const int eff = (filter - 1) * dilation + 1;
  const int total = (out - 1) * stride + eff - in;
  return total > 0 ? total / 2 : 0;
}

// A random, valid geometry; `depthwise` makes out_c == in_c.
ConvShape RandomShape(std::mt19937& rng, bool depthwise, bool* same) {
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  ConvShape s;
  for (;;) {
    s.batches = pick(1, 2);
    s.in_h = pick(1, 13);
    s.in_w = pick(1, 13);
    s.in_c = pick(1, depthwise ? 70 : 40);
    s.out_c = depthwise ? s.in_c : pick(1, 70);
    s.filter_h = pick(1, 5);
    s.filter_w = pick(1, 5);
    s.stride_h = pick(1, 3);
    s.stride_w = pick(1, 3);
    s.dilation_h = pick(1, 2);
    s.dilation_w = pick(1, 2);
    *same = pick(0, 1) == 1;
    s.out_h = OutSize(*same, s.in_h, s.filter_h, s.stride_h, s.dilation_h);
    s.out_w = OutSize(*same, s.in_w, s.filter_w, s.stride_w, s.dilation_w);
    if (s.out_h <= 0 || s.out_w <= 0) continue;
    s.pad_h = Pad(s.stride_h, s.dilation_h, s.in_h, s.filter_h, s.out_h);
    s.pad_w = Pad(s.stride_w, s.dilation_w, s.in_w, s.filter_w, s.out_w);
    return s;
  }
}

// Random per-channel multipliers (some > 1), offsets and activation range.
// With `fp32`, the XNNPACK-style float requantization is used.
struct Quant {
  std::vector<int32_t> multiplier;
  std::vector<int> shift;
  std::vector<float> scale;
  reference::ConvQuant q;
  const float* fp32() const { return q.fp32_scale; }
};

Quant RandomQuant(std::mt19937& rng, int channels, bool is_signed,
                  bool uint8_filter, bool fp32) {
  Quant out;
  std::uniform_real_distribution<double> log_scale(-14.0, 1.0);
  for (int c = 0; c < channels; ++c) {
    const double real = std::exp2(log_scale(rng));
    const auto m = reference::QuantizeMultiplier(real);
    out.multiplier.push_back(m.multiplier);
    out.shift.push_back(m.shift);
    out.scale.push_back(static_cast<float>(real));
  }
  std::uniform_int_distribution<int> zp(is_signed ? -128 : 0,
                                        is_signed ? 127 : 255);
  out.q.input_offset = -zp(rng);
  out.q.filter_offset =
      uint8_filter ? -std::uniform_int_distribution<int>(0, 255)(rng) : 0;
  out.q.output_offset = zp(rng);
  const int lo = is_signed ? -128 : 0;
  const int hi = is_signed ? 127 : 255;
  out.q.act_min = std::uniform_int_distribution<int>(lo, lo + 40)(rng);
  out.q.act_max = std::uniform_int_distribution<int>(hi - 40, hi)(rng);
  out.q.multiplier = out.multiplier.data();
  out.q.shift = out.shift.data();
  out.q.fp32_scale = fp32 ? out.scale.data() : nullptr;
  return out;
}

template <typename T>
std::vector<T> RandomData(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> d(std::is_signed_v<T> ? -128 : 0,
                                       std::is_signed_v<T> ? 127 : 255);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

std::vector<int32_t> RandomBias(std::mt19937& rng, int n) {
  std::uniform_int_distribution<int32_t> d(-20000, 20000);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::string Describe(const ConvShape& s) {
  return "in " + std::to_string(s.batches) + "x" + std::to_string(s.in_h) +
         "x" + std::to_string(s.in_w) + "x" + std::to_string(s.in_c) +
         " out_c " + std::to_string(s.out_c) + " filter " +
         std::to_string(s.filter_h) + "x" + std::to_string(s.filter_w) +
         " stride " + std::to_string(s.stride_h) + "x" +
         std::to_string(s.stride_w) + " dilation " +
         std::to_string(s.dilation_h) + "x" + std::to_string(s.dilation_w) +
         " pad " + std::to_string(s.pad_h) + "," + std::to_string(s.pad_w);
}

template <typename T>
void CheckConv(std::mt19937& rng, const ConvShape& s, bool has_bias,
               bool fp32) {
  constexpr bool kSigned = std::is_signed_v<T>;
  const int k = s.filter_h * s.filter_w * s.in_c;
  const auto input = RandomData<T>(
      rng, static_cast<size_t>(s.batches) * s.in_h * s.in_w * s.in_c);
  const auto filter = RandomData<T>(rng, static_cast<size_t>(s.out_c) * k);
  const auto bias = RandomBias(rng, s.out_c);
  const Quant quant = RandomQuant(rng, s.out_c, kSigned, !kSigned, fp32);
  const size_t out_size =
      static_cast<size_t>(s.batches) * s.out_h * s.out_w * s.out_c;
  std::vector<T> want(out_size);
  reference::ConvQuantized<T, T, int32_t, int32_t, T>(
      s, quant.q, input.data(), filter.data(), has_bias ? bias.data() : nullptr,
      want.data());
  for (ConvIsa isa : {ConvIsa::kAuto, ConvIsa::kGeneric}) {
    auto weights = std::make_shared<PackedConvGemm>();
    weights->Pack(filter.data(), s.out_c, k, quant.q.filter_offset);
    weights->output_stage().Set(s.out_c, has_bias ? bias.data() : nullptr,
                                quant.multiplier.data(), quant.shift.data(),
                                quant.q.output_offset, quant.q.act_min,
                                quant.q.act_max, quant.fp32());
    QuantizedConvGemm gemm;
    gemm.set_isa(isa);
    gemm.set_weights(weights);
    std::vector<uint8_t> scratch(QuantizedConvGemm::ScratchBytes(s));
    std::vector<T> got(out_size, 0);
    gemm.Run(s, input.data(), quant.q.input_offset, got.data(), scratch.data());
    ASSERT_EQ(got, want) << (isa == ConvIsa::kAuto ? "auto" : "generic") << " "
                         << Describe(s);
  }
}

template <typename T>
void CheckDepthwise(std::mt19937& rng, const ConvShape& s, bool has_bias,
                    bool fp32) {
  constexpr bool kSigned = std::is_signed_v<T>;
  const int taps = s.filter_h * s.filter_w;
  const auto input = RandomData<T>(
      rng, static_cast<size_t>(s.batches) * s.in_h * s.in_w * s.in_c);
  const auto filter = RandomData<T>(rng, static_cast<size_t>(taps) * s.out_c);
  const auto bias = RandomBias(rng, s.out_c);
  const Quant quant = RandomQuant(rng, s.out_c, kSigned, !kSigned, fp32);
  const size_t out_size =
      static_cast<size_t>(s.batches) * s.out_h * s.out_w * s.out_c;
  std::vector<T> want(out_size);
  reference::DepthwiseConvQuantized<T, T, int32_t, int32_t, T>(
      s, quant.q, input.data(), filter.data(), has_bias ? bias.data() : nullptr,
      want.data());
  for (ConvIsa isa : {ConvIsa::kAuto, ConvIsa::kGeneric}) {
    auto weights = std::make_shared<PackedDepthwiseConv>();
    weights->Pack(filter.data(), taps, s.out_c, quant.q.filter_offset);
    weights->output_stage().Set(s.out_c, has_bias ? bias.data() : nullptr,
                                quant.multiplier.data(), quant.shift.data(),
                                quant.q.output_offset, quant.q.act_min,
                                quant.q.act_max, quant.fp32());
    QuantizedDepthwiseConv dw;
    dw.set_isa(isa);
    dw.set_weights(weights);
    std::vector<T> got(out_size, 0);
    dw.Run(s, input.data(), quant.q.input_offset, got.data());
    ASSERT_EQ(got, want) << (isa == ConvIsa::kAuto ? "auto" : "generic") << " "
                         << Describe(s);
  }
}

TEST(QuantizedConvGemmTest, RandomShapesUint8MatchReference) {
  std::mt19937 rng(1);
  for (int i = 0; i < 150; ++i) {
    bool same = false;
    const ConvShape s = RandomShape(rng, false, &same);
    CheckConv<uint8_t>(rng, s, i % 5 != 0, i % 2 == 0);
    if (HasFatalFailure()) return;
  }
}

TEST(QuantizedConvGemmTest, RandomShapesInt8MatchReference) {
  std::mt19937 rng(2);
  for (int i = 0; i < 150; ++i) {
    bool same = false;
    const ConvShape s = RandomShape(rng, false, &same);
    CheckConv<int8_t>(rng, s, i % 5 != 0, i % 2 == 0);
    if (HasFatalFailure()) return;
  }
}

TEST(QuantizedConvGemmTest, PointwiseAndLargeDepth) {
  std::mt19937 rng(3);
  ConvShape s;
  s.batches = 2;
  s.in_h = s.out_h = 7;
  s.in_w = s.out_w = 5;
  for (int c : {1, 2, 31, 96, 320}) {
    for (int n : {1, 16, 17, 33, 100}) {
      s.in_c = c;
      s.out_c = n;
      CheckConv<uint8_t>(rng, s, true, c % 2 == 0);
      CheckConv<int8_t>(rng, s, n != 17, c % 2 == 1);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(QuantizedConvGemmTest, ExtremeValuesSaturate) {
  // All-max inputs and filters with zero points at the far end of the
  // range: the largest products the int16 path sees.
  ConvShape s;
  s.in_h = s.out_h = 3;
  s.in_w = s.out_w = 3;
  s.in_c = 300;
  s.out_c = 20;
  s.filter_h = s.filter_w = 3;
  s.pad_h = s.pad_w = 1;
  const int k = 9 * s.in_c;
  std::vector<uint8_t> input(9 * s.in_c, 255), filter(s.out_c * k, 0);
  std::vector<int32_t> multiplier(s.out_c), bias(s.out_c, 0);
  std::vector<int> shift(s.out_c);
  for (int c = 0; c < s.out_c; ++c) {
    const auto m =
        reference::QuantizeMultiplier(c % 2 ? 1.0 / (1 << 20) : 3.0e-9);
    multiplier[c] = m.multiplier;
    shift[c] = m.shift;
  }
  reference::ConvQuant q;
  q.input_offset = 0;
  q.filter_offset = -255;
  q.output_offset = 128;
  q.multiplier = multiplier.data();
  q.shift = shift.data();
  q.act_min = 0;
  q.act_max = 255;
  std::vector<uint8_t> want(9 * s.out_c), got(9 * s.out_c);
  reference::ConvQuantized<uint8_t, uint8_t, int32_t, int32_t, uint8_t>(
      s, q, input.data(), filter.data(), bias.data(), want.data());
  auto weights = std::make_shared<PackedConvGemm>();
  weights->Pack(filter.data(), s.out_c, k, q.filter_offset);
  weights->output_stage().Set(s.out_c, bias.data(), multiplier.data(),
                              shift.data(), q.output_offset, q.act_min,
                              q.act_max);
  QuantizedConvGemm gemm;
  gemm.set_weights(weights);
  std::vector<uint8_t> scratch(QuantizedConvGemm::ScratchBytes(s));
  gemm.Run(s, input.data(), q.input_offset, got.data(), scratch.data());
  EXPECT_EQ(got, want);
}

TEST(QuantizedDepthwiseConvTest, RandomShapesMatchReference) {
  std::mt19937 rng(4);
  for (int i = 0; i < 200; ++i) {
    bool same = false;
    const ConvShape s = RandomShape(rng, true, &same);
    if (i % 2) {
      CheckDepthwise<uint8_t>(rng, s, i % 7 != 0, i % 4 == 1);
    } else {
      CheckDepthwise<int8_t>(rng, s, i % 7 != 0, i % 4 == 0);
    }
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace edgerun::kernels::optimized
