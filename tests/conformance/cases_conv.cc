// Conformance cases of the convolution family: CONV_2D and
// DEPTHWISE_CONV_2D for float32, uint8 (per-tensor), int8 (per-tensor and
// per-channel filters) and int16 activations with int8 filters (int64 and
// int32 bias), across SAME/VALID padding, strides, dilation, groups, depth
// multipliers, fused activations and extreme zero points. Inputs are the
// oracle's random values; filters and biases are deterministic
// pseudo-random constants; output scales are chosen so that most outputs
// land inside the quantized range.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "tests/conformance/case_util.h"
#include "tests/conformance/conformance_case.h"

namespace edgerun::conformance {
namespace {

enum class Kind { kConv, kDepthwise };

struct Spec {
  std::string name;
  Kind kind = Kind::kConv;
  DataType type = kF32;        // activations
  std::vector<int32_t> input;  // NHWC
  int out_c = 1;
  int filter_h = 1, filter_w = 1;
  int groups = 1;  // CONV_2D only
  tfl::Padding padding = tfl::Padding_SAME;
  int stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  tfl::ActivationFunctionType activation = tfl::ActivationFunctionType_NONE;
  bool bias = true;
  DataType bias_type = kF32;  // for int16: kI64 or kI32
  bool per_channel = true;    // int8 / int16 filters
  int64_t input_zp = 0;
  int64_t filter_zp = 0;  // uint8 only
  int64_t output_zp = 0;
  float input_scale = 0.05f;
  float output_scale_factor = 1.f;  // scales the automatic output scale
};

int OutSize(tfl::Padding padding, int in, int filter, int stride,
            int dilation) {
  const int eff = (filter - 1) * dilation + 1;
  return padding == tfl::Padding_SAME ? (in + stride - 1) / stride
                                      : (in + stride - eff) / stride;
}

ConformanceCase Make(const Spec& sp) {
  ConformanceCase c;
  c.name = sp.name;
  c.build = [sp]() -> StatusOr<std::vector<uint8_t>> {
    Rng rng(sp.name);
    const int in_c = sp.input[3];
    const bool depthwise = sp.kind == Kind::kDepthwise;
    const int filter_in_c = depthwise ? 1 : in_c / sp.groups;
    const std::vector<int32_t> filter_shape =
        depthwise ? std::vector<int32_t>{1, sp.filter_h, sp.filter_w, sp.out_c}
                  : std::vector<int32_t>{sp.out_c, sp.filter_h, sp.filter_w,
                                         filter_in_c};
    const int filter_count = sp.out_c * sp.filter_h * sp.filter_w * filter_in_c;
    const int depth = sp.filter_h * sp.filter_w * filter_in_c;
    const std::vector<int32_t> out_shape = {
        sp.input[0],
        OutSize(sp.padding, sp.input[1], sp.filter_h, sp.stride_h,
                sp.dilation_h),
        OutSize(sp.padding, sp.input[2], sp.filter_w, sp.stride_w,
                sp.dilation_w),
        sp.out_c};
    const int channel_dim = depthwise ? 3 : 0;

    ModelBuilder b;
    SubgraphBuilder& g = b.AddSubgraph("main");
    int32_t x, w, bias = -1, y;
    if (sp.type == kF32) {
      std::vector<float> wv(filter_count), bv(sp.out_c);
      for (float& v : wv) v = rng.Float(-1.f, 1.f);
      for (float& v : bv) v = rng.Float(-1.f, 1.f);
      x = g.AddInput("input", kF32, sp.input);
      w = g.AddConstTensor<float>("filter", filter_shape, wv);
      if (sp.bias) bias = g.AddConstTensor<float>("bias", {sp.out_c}, bv);
      y = g.AddOutput("output", kF32, out_shape);
    } else {
      // Filter scales: one per output channel (varied) or one.
      std::vector<float> filter_scales;
      const int scales = (sp.type != kU8 && sp.per_channel) ? sp.out_c : 1;
      for (int i = 0; i < scales; ++i)
        filter_scales.push_back(rng.Float(0.002f, 0.02f));
      // Typical |accumulator|: sqrt(depth) products of ~74 (uint8 with a
      // mid zero point) or ~74 x 8000 (int16 inputs).
      const double act_std = sp.type == kS16 ? 8000.0 : 74.0;
      const double acc_std =
          act_std * 74.0 * std::sqrt(static_cast<double>(depth));
      const double type_span = sp.type == kS16 ? 12000.0 : 50.0;
      const float output_scale =
          static_cast<float>(sp.input_scale * filter_scales[0] * acc_std /
                             type_span * sp.output_scale_factor);
      std::vector<uint8_t> wbytes;
      if (sp.type == kU8) {
        std::vector<uint8_t> wv(filter_count);
        for (auto& v : wv) v = static_cast<uint8_t>(rng.Int(0, 255));
        wbytes = ToBytes(wv);
      } else {
        std::vector<int8_t> wv(filter_count);
        for (auto& v : wv) v = static_cast<int8_t>(rng.Int(-127, 127));
        wbytes = ToBytes(wv);
      }
      const QuantizationSpec fq =
          scales > 1
              ? QuantizationSpec::PerChannel(
                    filter_scales, std::vector<int64_t>(scales, 0), channel_dim)
              : QuantizationSpec::PerTensor(filter_scales[0], sp.filter_zp);
      x = g.AddInput("input", sp.type, sp.input,
                     QuantizationSpec::PerTensor(sp.input_scale, sp.input_zp));
      w = g.AddConstTensor("filter", sp.type == kU8 ? kU8 : kS8, filter_shape,
                           wbytes, fq);
      if (sp.bias) {
        std::vector<float> bias_scales;
        for (float fs : filter_scales)
          bias_scales.push_back(sp.input_scale * fs);
        const QuantizationSpec bq =
            scales > 1 ? QuantizationSpec::PerChannel(
                             bias_scales, std::vector<int64_t>(scales, 0), 0)
                       : QuantizationSpec::PerTensor(bias_scales[0], 0);
        const int span = static_cast<int>(acc_std);
        if (sp.type == kS16 && sp.bias_type == kI64) {
          std::vector<int64_t> bv(sp.out_c);
          for (auto& v : bv) v = rng.Int(-span, span);
          bias = g.AddConstTensor<int64_t>("bias", {sp.out_c}, bv, bq);
        } else {
          std::vector<int32_t> bv(sp.out_c);
          for (auto& v : bv) v = rng.Int(-span, span);
          bias = g.AddConstTensor<int32_t>("bias", {sp.out_c}, bv, bq);
        }
      }
      y = g.AddOutput("output", sp.type, out_shape,
                      QuantizationSpec::PerTensor(output_scale, sp.output_zp));
    }
    std::vector<int32_t> inputs = {x, w};
    if (bias >= 0) inputs.push_back(bias);
    if (depthwise) {
      const int multiplier = sp.out_c / in_c;
      g.AddOperator(tfl::BuiltinOperator_DEPTHWISE_CONV_2D, inputs, {y},
                    [&](flatbuffers::FlatBufferBuilder& f) {
                      return tfl::CreateDepthwiseConv2DOptions(
                          f, sp.padding, sp.stride_w, sp.stride_h, multiplier,
                          sp.activation, sp.dilation_w, sp.dilation_h);
                    });
    } else {
      const tfl::TensorType bias_type = sp.type == kS16 && sp.bias_type == kI32
                                            ? tfl::TensorType_INT32
                                            : tfl::TensorType_FLOAT32;
      g.AddOperator(tfl::BuiltinOperator_CONV_2D, inputs, {y},
                    [&](flatbuffers::FlatBufferBuilder& f) {
                      return tfl::CreateConv2DOptions(
                          f, sp.padding, sp.stride_w, sp.stride_h,
                          sp.activation, sp.dilation_w, sp.dilation_h,
                          bias_type);
                    });
    }
    return b.Finish();
  };
  return c;
}

Spec Conv(std::string name, DataType type, std::vector<int32_t> input,
          int out_c, int fh, int fw) {
  Spec s;
  s.name = "conv_2d__" + std::move(name);
  s.type = type;
  s.input = std::move(input);
  s.out_c = out_c;
  s.filter_h = fh;
  s.filter_w = fw;
  if (type == kU8) s.input_zp = 128, s.filter_zp = 120, s.output_zp = 128;
  if (type == kS8) s.input_zp = -5, s.output_zp = 3;
  if (type == kS16) s.bias_type = kI64, s.input_scale = 0.0005f;
  return s;
}

Spec Depthwise(std::string name, DataType type, std::vector<int32_t> input,
               int multiplier, int fh, int fw) {
  Spec s = Conv("", type, input, input[3] * multiplier, fh, fw);
  s.name = "depthwise_conv_2d__" + std::move(name);
  s.kind = Kind::kDepthwise;
  return s;
}

template <typename F>
Spec With(Spec s, F&& f) {
  f(s);
  return s;
}

}  // namespace

void AddConvCases(std::vector<ConformanceCase>& cases) {
  using P = tfl::Padding;
  constexpr auto kRelu = tfl::ActivationFunctionType_RELU;
  constexpr auto kRelu6 = tfl::ActivationFunctionType_RELU6;
  constexpr auto kReluN1 = tfl::ActivationFunctionType_RELU_N1_TO_1;
  std::vector<Spec> specs = {
      // ---- CONV_2D float32
      Conv("f32_same_3x3", kF32, {1, 5, 5, 3}, 4, 3, 3),
      With(Conv("f32_valid_stride2_relu6", kF32, {2, 7, 6, 2}, 3, 3, 2),
           [&](Spec& s) {
             s.padding = P::Padding_VALID, s.stride_h = 2,
             s.activation = kRelu6;
           }),
      With(Conv("f32_same_dilation2_stride1x2_relu", kF32, {1, 8, 7, 3}, 5, 3,
                3),
           [&](Spec& s) {
             s.dilation_h = s.dilation_w = 2, s.stride_w = 2,
             s.activation = kRelu;
           }),
      With(Conv("f32_grouped2_relu_n1", kF32, {1, 4, 4, 6}, 4, 2, 2),
           [&](Spec& s) { s.groups = 2, s.activation = kReluN1; }),
      // ---- CONV_2D uint8 per-tensor
      Conv("u8_pointwise", kU8, {1, 4, 4, 8}, 12, 1, 1),
      With(
          Conv("u8_same_3x3_stride2_relu6", kU8, {1, 9, 8, 5}, 7, 3, 3),
          [&](Spec& s) { s.stride_h = s.stride_w = 2, s.activation = kRelu6; }),
      With(Conv("u8_valid_5x3_dilation2", kU8, {2, 9, 7, 3}, 4, 5, 3),
           [&](Spec& s) { s.padding = P::Padding_VALID, s.dilation_h = 2; }),
      With(Conv("u8_extreme_zero_points_relu", kU8, {1, 5, 6, 4}, 3, 3, 3),
           [&](Spec& s) {
             s.input_zp = 255, s.filter_zp = 0, s.output_zp = 0,
             s.activation = kRelu;
           }),
      With(Conv("u8_zero_points_0_255", kU8, {1, 4, 5, 17}, 18, 2, 2),
           [&](Spec& s) {
             s.input_zp = 0, s.filter_zp = 255, s.output_zp = 255;
           }),
      With(Conv("u8_filter_larger_than_input_same", kU8, {1, 2, 3, 2}, 3, 5, 5),
           [&](Spec& s) { s.stride_h = 3; }),
      With(Conv("u8_output_1x1_valid", kU8, {1, 3, 3, 24}, 17, 3, 3),
           [&](Spec& s) { s.padding = P::Padding_VALID; }),
      // ---- CONV_2D int8
      With(Conv("s8_perchannel_same_stride2", kS8, {1, 7, 7, 6}, 20, 3, 3),
           [&](Spec& s) { s.stride_h = s.stride_w = 2; }),
      With(Conv("s8_pertensor_valid_dilation2_relu6", kS8, {1, 9, 9, 4}, 5, 3,
                3),
           [&](Spec& s) {
             s.per_channel = false, s.padding = P::Padding_VALID;
             s.dilation_h = s.dilation_w = 2, s.activation = kRelu6;
           }),
      With(Conv("s8_pointwise_extreme_zero_points", kS8, {2, 3, 3, 33}, 17, 1,
                1),
           [&](Spec& s) { s.input_zp = -128, s.output_zp = 127; }),
      With(Conv("s8_zero_point_127_relu", kS8, {1, 5, 4, 3}, 4, 2, 3),
           [&](Spec& s) {
             s.input_zp = 127, s.output_zp = -128, s.activation = kRelu;
           }),
      With(Conv("s8_grouped3", kS8, {1, 5, 5, 6}, 9, 3, 3),
           [&](Spec& s) { s.groups = 3; }),
      With(Conv("s8_big_multiplier", kS8, {1, 4, 4, 2}, 3, 1, 1),
           [&](Spec& s) { s.output_scale_factor = 0.01f; }),
      // ---- CONV_2D int16 x int8
      Conv("s16_same_3x3_int64_bias", kS16, {1, 6, 6, 3}, 5, 3, 3),
      With(Conv("s16_valid_stride2_relu", kS16, {1, 9, 11, 4}, 6, 3, 5),
           [&](Spec& s) {
             s.padding = P::Padding_VALID, s.stride_w = 2, s.activation = kRelu;
           }),
      With(Conv("s16_pertensor_dilation2", kS16, {1, 7, 7, 2}, 3, 2, 2),
           [&](Spec& s) {
             s.per_channel = false, s.dilation_h = s.dilation_w = 2;
           }),
      With(Conv("s16_int32_bias", kS16, {1, 5, 5, 3}, 4, 3, 3),
           [&](Spec& s) { s.bias_type = kI32; }),
      // ---- DEPTHWISE_CONV_2D float32
      Depthwise("f32_same_3x3", kF32, {1, 6, 6, 4}, 1, 3, 3),
      With(Depthwise("f32_valid_multiplier3_stride2_relu6", kF32, {1, 7, 8, 2},
                     3, 3, 3),
           [&](Spec& s) {
             s.padding = P::Padding_VALID, s.stride_h = s.stride_w = 2,
             s.activation = kRelu6;
           }),
      With(Depthwise("f32_dilation2_nobias", kF32, {2, 6, 5, 3}, 1, 2, 3),
           [&](Spec& s) { s.dilation_h = s.dilation_w = 2, s.bias = false; }),
      // ---- DEPTHWISE_CONV_2D uint8
      Depthwise("u8_same_3x3", kU8, {1, 7, 7, 19}, 1, 3, 3),
      With(
          Depthwise("u8_stride2_relu6", kU8, {1, 8, 9, 32}, 1, 3, 3),
          [&](Spec& s) { s.stride_h = s.stride_w = 2, s.activation = kRelu6; }),
      With(Depthwise("u8_valid_multiplier2_dilation2", kU8, {1, 9, 9, 3}, 2, 3,
                     3),
           [&](Spec& s) {
             s.padding = P::Padding_VALID, s.dilation_h = s.dilation_w = 2;
           }),
      With(Depthwise("u8_extreme_zero_points_5x5", kU8, {1, 6, 6, 5}, 1, 5, 5),
           [&](Spec& s) {
             s.input_zp = 0, s.filter_zp = 255, s.output_zp = 255;
           }),
      With(Depthwise("u8_nobias_relu", kU8, {1, 5, 5, 17}, 1, 3, 3),
           [&](Spec& s) { s.bias = false, s.activation = kRelu; }),
      // ---- DEPTHWISE_CONV_2D int8
      Depthwise("s8_perchannel_same", kS8, {1, 6, 6, 24}, 1, 3, 3),
      With(Depthwise("s8_stride2_relu6_zp_min", kS8, {1, 9, 8, 18}, 1, 3, 3),
           [&](Spec& s) {
             s.stride_h = s.stride_w = 2, s.activation = kRelu6,
             s.input_zp = -128;
           }),
      With(Depthwise("s8_multiplier4_pertensor", kS8, {1, 5, 5, 2}, 4, 3, 2),
           [&](Spec& s) { s.per_channel = false; }),
      With(Depthwise("s8_multiplier8_one_channel_stride2", kS8, {1, 12, 12, 1},
                     8, 3, 3),
           [&](Spec& s) {
             s.stride_h = s.stride_w = 2, s.input_zp = -1, s.output_zp = -128;
           }),
      With(Depthwise("s8_valid_1x7", kS8, {2, 3, 12, 8}, 1, 1, 7),
           [&](Spec& s) { s.padding = P::Padding_VALID; }),
      // ---- DEPTHWISE_CONV_2D int16 x int8
      Depthwise("s16_same_3x3", kS16, {1, 6, 6, 5}, 1, 3, 3),
      With(Depthwise("s16_multiplier2_stride2_relu", kS16, {1, 7, 7, 3}, 2, 3,
                     3),
           [&](Spec& s) { s.stride_h = s.stride_w = 2, s.activation = kRelu; }),
  };
  for (const Spec& s : specs) cases.push_back(Make(s));
}

}  // namespace edgerun::conformance
