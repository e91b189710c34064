// Conformance cases of the matrix / sequence / detection family:
// FULLY_CONNECTED (float32, uint8, int8 per-tensor and per-channel, 16x8,
// hybrid symmetric/asymmetric, keep_num_dims, optional bias, activations),
// BATCH_MATMUL (float32, int8, int16, adj_x/adj_y, broadcasting),
// TRANSPOSE_CONV (float32, uint8, int8 per-channel, 16x8, constant and
// graph-input output shapes), UNIDIRECTIONAL_SEQUENCE_LSTM (float32 with
// CIFG, peephole, projection, layer norm, both time layouts), SVDF (float32
// and int8) and the TFLite_Detection_PostProcess custom op (fast and
// regular NMS, float and uint8 inputs). Activations are the oracle's random
// values unless fixed; weights are deterministic pseudo-random constants.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "flatbuffers/flexbuffers.h"
#include "tests/conformance/case_util.h"
#include "tests/conformance/conformance_case.h"

namespace edgerun::conformance {
namespace {

constexpr auto kNone = tfl::ActivationFunctionType_NONE;
constexpr auto kRelu = tfl::ActivationFunctionType_RELU;
constexpr auto kRelu6 = tfl::ActivationFunctionType_RELU6;
constexpr auto kReluN1 = tfl::ActivationFunctionType_RELU_N1_TO_1;
constexpr auto kTanh = tfl::ActivationFunctionType_TANH;

QuantizationSpec Q(float scale, int64_t zp) {
  return QuantizationSpec::PerTensor(scale, zp);
}

int64_t Product(const std::vector<int32_t>& s) {
  int64_t n = 1;
  for (int32_t d : s) n *= d;
  return n;
}

NpyArray Int32Array(std::vector<int32_t> values) {
  NpyArray a;
  a.type = kI32;
  a.shape = {static_cast<int64_t>(values.size())};
  a.data = ToBytes(values);
  return a;
}

ConformanceCase Case(std::string name,
                     std::function<StatusOr<std::vector<uint8_t>>(Rng&)> build,
                     std::vector<std::pair<int, NpyArray>> fixed = {}) {
  ConformanceCase c;
  c.name = name;
  c.build = [name, build]() {
    Rng rng(name);
    return build(rng);
  };
  c.fixed_inputs = std::move(fixed);
  return c;
}

// ---------------------------------------------------------------- FC
struct FcSpec {
  DataType type = kF32;  // activations (kF32 + int8 weights = hybrid)
  DataType weights = kF32;
  std::vector<int32_t> input;
  int units = 1;
  bool bias = true;
  bool keep_num_dims = false;
  bool asymmetric = false;
  bool per_channel = false;
  tfl::ActivationFunctionType act = kNone;
  int64_t input_zp = 0, weights_zp = 0, output_zp = 0;
  float input_scale = 0.05f;
};

StatusOr<std::vector<uint8_t>> BuildFc(const FcSpec& s, Rng& rng) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int depth = s.input.back();
  const int64_t batches = Product(s.input) / depth;
  std::vector<int32_t> out_shape = {static_cast<int32_t>(batches), s.units};
  if (s.keep_num_dims) {
    out_shape = s.input;
    out_shape.back() = s.units;
  }
  const size_t wcount = static_cast<size_t>(s.units) * depth;
  int32_t x, w, bias = -1, y;
  if (s.type == kF32) {
    x = g.AddInput("input", kF32, s.input);
    if (s.weights == kF32) {
      w = g.AddConstTensor<float>("weights", {s.units, depth},
                                  rng.Floats(wcount, -1, 1));
    } else {
      std::vector<float> scales(s.per_channel ? s.units : 1);
      for (float& v : scales) v = rng.Float(0.005f, 0.02f);
      const QuantizationSpec wq =
          s.per_channel ? QuantizationSpec::PerChannel(
                              scales, std::vector<int64_t>(scales.size(), 0), 0)
                        : Q(scales[0], 0);
      w = g.AddConstTensor<int8_t>("weights", {s.units, depth},
                                   rng.Ints<int8_t>(wcount, -127, 127), wq);
    }
    if (s.bias)
      bias = g.AddConstTensor<float>("bias", {s.units},
                                     rng.Floats(s.units, -1, 1));
    y = g.AddOutput("output", kF32, out_shape);
  } else {
    std::vector<float> wscales(s.per_channel ? s.units : 1);
    for (float& v : wscales) v = rng.Float(0.004f, 0.012f);
    const QuantizationSpec wq =
        s.per_channel ? QuantizationSpec::PerChannel(
                            wscales, std::vector<int64_t>(wscales.size(), 0), 0)
                      : Q(wscales[0], s.weights_zp);
    if (s.weights == kU8) {
      w = g.AddConstTensor<uint8_t>("weights", {s.units, depth},
                                    rng.Ints<uint8_t>(wcount, 0, 255), wq);
    } else {
      w = g.AddConstTensor<int8_t>("weights", {s.units, depth},
                                   rng.Ints<int8_t>(wcount, -127, 127), wq);
    }
    // Typical accumulator ~ sqrt(depth) * act * 74.
    const double act = s.type == kS16 ? 8000.0 : 74.0;
    const double acc = act * 74.0 * std::sqrt(static_cast<double>(depth));
    const double span = s.type == kS16 ? 12000.0 : 50.0;
    const float out_scale =
        static_cast<float>(s.input_scale * wscales[0] * acc / span);
    x = g.AddInput("input", s.type, s.input, Q(s.input_scale, s.input_zp));
    if (s.bias) {
      std::vector<float> bscales;
      for (float ws : wscales) bscales.push_back(s.input_scale * ws);
      const QuantizationSpec bq =
          s.per_channel
              ? QuantizationSpec::PerChannel(
                    bscales, std::vector<int64_t>(bscales.size(), 0), 0)
              : Q(bscales[0], 0);
      if (s.type == kS16) {
        std::vector<int64_t> bv(s.units);
        for (auto& v : bv)
          v = rng.Int(-static_cast<int>(acc), static_cast<int>(acc));
        bias = g.AddConstTensor<int64_t>("bias", {s.units}, bv, bq);
      } else {
        bias = g.AddConstTensor<int32_t>(
            "bias", {s.units},
            rng.Ints<int32_t>(s.units, -static_cast<int>(acc),
                              static_cast<int>(acc)),
            bq);
      }
    }
    y = g.AddOutput("output", s.type, out_shape, Q(out_scale, s.output_zp));
  }
  std::vector<int32_t> inputs = {x, w};
  if (bias >= 0) inputs.push_back(bias);
  g.AddOperator(tfl::BuiltinOperator_FULLY_CONNECTED, inputs, {y},
                [&](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreateFullyConnectedOptions(
                      f, s.act, tfl::FullyConnectedOptionsWeightsFormat_DEFAULT,
                      s.keep_num_dims, s.asymmetric);
                });
  return b.Finish();
}

void AddFullyConnected(std::vector<ConformanceCase>& cases) {
  auto add = [&](std::string name, FcSpec s) {
    cases.push_back(Case("fully_connected__" + name,
                         [s](Rng& rng) { return BuildFc(s, rng); }));
  };
  add("f32_basic", {.input = {3, 10}, .units = 7});
  add("f32_flatten_nobias_relu6",
      {.input = {2, 3, 5}, .units = 4, .bias = false, .act = kRelu6});
  add("f32_keep_num_dims_relu_n1",
      {.input = {2, 3, 6}, .units = 5, .keep_num_dims = true, .act = kReluN1});
  add("f32_odd_17x13_relu", {.input = {5, 17}, .units = 13, .act = kRelu});
  add("f32_single", {.input = {1, 1}, .units = 1});
  add("u8_relu", {.type = kU8,
                  .weights = kU8,
                  .input = {2, 20},
                  .units = 9,
                  .act = kRelu,
                  .input_zp = 128,
                  .weights_zp = 120,
                  .output_zp = 100,
                  .input_scale = 0.02f});
  add("u8_extreme_zero_points_nobias", {.type = kU8,
                                        .weights = kU8,
                                        .input = {3, 11},
                                        .units = 6,
                                        .bias = false,
                                        .input_zp = 255,
                                        .weights_zp = 0,
                                        .output_zp = 0});
  add("s8_per_tensor", {.type = kS8,
                        .weights = kS8,
                        .input = {4, 24},
                        .units = 10,
                        .input_zp = -5,
                        .output_zp = 3});
  add("s8_per_channel_relu6", {.type = kS8,
                               .weights = kS8,
                               .input = {2, 33},
                               .units = 19,
                               .per_channel = true,
                               .act = kRelu6,
                               .input_zp = -128,
                               .output_zp = 127,
                               .input_scale = 0.03f});
  add("s8_keep_num_dims", {.type = kS8,
                           .weights = kS8,
                           .input = {2, 2, 9},
                           .units = 8,
                           .keep_num_dims = true,
                           .input_zp = 7,
                           .output_zp = -9});
  add("s16x8_i64_bias", {.type = kS16,
                         .weights = kS8,
                         .input = {3, 16},
                         .units = 6,
                         .input_scale = 0.0005f});
  add("hybrid_s8_symmetric", {.type = kF32,
                              .weights = kS8,
                              .input = {3, 16},
                              .units = 5,
                              .act = kRelu});
  add("hybrid_s8_asymmetric_per_channel", {.type = kF32,
                                           .weights = kS8,
                                           .input = {2, 12},
                                           .units = 7,
                                           .asymmetric = true,
                                           .per_channel = true});
}

// ---------------------------------------------------------------- BATCH_MATMUL
struct BmmSpec {
  DataType type = kF32;
  std::vector<int32_t> lhs, rhs;
  bool adj_x = false, adj_y = false;
  bool const_rhs = false;
  int64_t lhs_zp = 0, rhs_zp = 0, out_zp = 0;
};

StatusOr<std::vector<uint8_t>> BuildBmm(const BmmSpec& s, Rng& rng) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int lr = static_cast<int>(s.lhs.size()),
            rr = static_cast<int>(s.rhs.size());
  const int r = std::max(lr, rr);
  std::vector<int32_t> ld(r, 1), rd(r, 1), out(r);
  for (int i = 0; i < lr; ++i) ld[r - lr + i] = s.lhs[i];
  for (int i = 0; i < rr; ++i) rd[r - rr + i] = s.rhs[i];
  for (int i = 0; i < r - 2; ++i) out[i] = std::max(ld[i], rd[i]);
  out[r - 2] = s.adj_x ? ld[r - 1] : ld[r - 2];
  out[r - 1] = s.adj_y ? rd[r - 2] : rd[r - 1];
  const int k = s.adj_x ? ld[r - 2] : ld[r - 1];
  int32_t x, w, y;
  if (s.type == kF32) {
    x = g.AddInput("lhs", kF32, s.lhs);
    w = s.const_rhs ? g.AddConstTensor<float>("rhs", s.rhs,
                                              rng.Floats(Product(s.rhs), -1, 1))
                    : g.AddInput("rhs", kF32, s.rhs);
    y = g.AddOutput("output", kF32, out);
  } else {
    const float ls = s.type == kS16 ? 0.0004f : 0.04f;
    const float rs = s.type == kS16 ? 0.0003f : 0.03f;
    const double act = s.type == kS16 ? 18000.0 : 74.0;
    const double span = s.type == kS16 ? 12000.0 : 50.0;
    const float os =
        static_cast<float>(ls * rs * act * act * std::sqrt(double(k)) / span);
    x = g.AddInput("lhs", s.type, s.lhs, Q(ls, s.lhs_zp));
    w = g.AddInput("rhs", s.type, s.rhs, Q(rs, s.rhs_zp));
    y = g.AddOutput("output", s.type, out, Q(os, s.out_zp));
  }
  g.AddOperator(tfl::BuiltinOperator_BATCH_MATMUL, {x, w}, {y},
                [&](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreateBatchMatMulOptions(f, s.adj_x, s.adj_y);
                });
  return b.Finish();
}

void AddBatchMatMul(std::vector<ConformanceCase>& cases) {
  auto add = [&](std::string name, BmmSpec s) {
    cases.push_back(Case("batch_matmul__" + name,
                         [s](Rng& rng) { return BuildBmm(s, rng); }));
  };
  add("f32_2d", {.lhs = {3, 5}, .rhs = {5, 4}});
  add("f32_adj_xy_broadcast",
      {.lhs = {2, 1, 5, 3}, .rhs = {4, 6, 5}, .adj_x = true, .adj_y = true});
  add("f32_rank5_broadcast_const_rhs",
      {.lhs = {1, 2, 1, 3, 4}, .rhs = {2, 1, 2, 4, 9}, .const_rhs = true});
  add("f32_adj_y_batch1",
      {.lhs = {1, 7, 11}, .rhs = {1, 3, 11}, .adj_y = true});
  add("s8_batched", {.type = kS8,
                     .lhs = {2, 3, 4},
                     .rhs = {2, 4, 5},
                     .lhs_zp = 10,
                     .rhs_zp = -3,
                     .out_zp = -7});
  add("s8_adj_x_broadcast_extreme_zp", {.type = kS8,
                                        .lhs = {3, 6, 2},
                                        .rhs = {6, 5},
                                        .adj_x = true,
                                        .lhs_zp = -128,
                                        .rhs_zp = 127,
                                        .out_zp = 5});
  add("s16_adj_y",
      {.type = kS16, .lhs = {1, 3, 8}, .rhs = {2, 5, 8}, .adj_y = true});
}

// ----------------------------------------------------------------
// TRANSPOSE_CONV
struct TcSpec {
  DataType type = kF32;
  std::vector<int32_t> input;   // NHWC
  std::vector<int32_t> output;  // NHWC
  int kh = 3, kw = 3;
  int sh = 1, sw = 1;
  tfl::Padding padding = tfl::Padding_SAME;
  tfl::ActivationFunctionType act = kNone;
  bool bias = true;
  bool shape_input = false;  // output_shape as a graph input
  bool per_channel = true;
  int64_t input_zp = 0, weights_zp = 0, output_zp = 0;
};

StatusOr<std::vector<uint8_t>> BuildTc(const TcSpec& s, Rng& rng) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int ic = s.input[3], oc = s.output[3];
  const std::vector<int32_t> wshape = {oc, s.kh, s.kw, ic};
  const size_t wcount = static_cast<size_t>(oc) * s.kh * s.kw * ic;
  const int32_t shape =
      s.shape_input ? g.AddInput("output_shape", kI32, {4})
                    : g.AddConstTensor<int32_t>("output_shape", {4}, s.output);
  int32_t w, x, bias = -1, y;
  if (s.type == kF32) {
    w = g.AddConstTensor<float>("weights", wshape, rng.Floats(wcount, -1, 1));
    x = g.AddInput("input", kF32, s.input);
    if (s.bias)
      bias = g.AddConstTensor<float>("bias", {oc}, rng.Floats(oc, -1, 1));
    y = g.AddOutput("output", kF32, s.output);
  } else {
    const float in_scale = s.type == kS16 ? 0.0005f : 0.05f;
    std::vector<float> wscales(s.per_channel && s.type != kU8 ? oc : 1);
    for (float& v : wscales) v = rng.Float(0.004f, 0.012f);
    const QuantizationSpec wq =
        wscales.size() > 1
            ? QuantizationSpec::PerChannel(
                  wscales, std::vector<int64_t>(wscales.size(), 0), 0)
            : Q(wscales[0], s.weights_zp);
    if (s.type == kU8) {
      w = g.AddConstTensor<uint8_t>("weights", wshape,
                                    rng.Ints<uint8_t>(wcount, 0, 255), wq);
    } else {
      w = g.AddConstTensor<int8_t>("weights", wshape,
                                   rng.Ints<int8_t>(wcount, -127, 127), wq);
    }
    const double act = s.type == kS16 ? 8000.0 : 74.0;
    const double taps = static_cast<double>(ic) * s.kh * s.kw / (s.sh * s.sw);
    const double acc = act * 74.0 * std::sqrt(taps);
    const double span = s.type == kS16 ? 12000.0 : 50.0;
    const float out_scale =
        static_cast<float>(in_scale * wscales[0] * acc / span);
    x = g.AddInput("input", s.type, s.input, Q(in_scale, s.input_zp));
    if (s.bias) {
      std::vector<float> bscales;
      for (float ws : wscales) bscales.push_back(in_scale * ws);
      const QuantizationSpec bq =
          bscales.size() > 1
              ? QuantizationSpec::PerChannel(
                    bscales, std::vector<int64_t>(bscales.size(), 0), 0)
              : Q(bscales[0], 0);
      if (s.type == kS16) {
        std::vector<int64_t> bv(oc);
        for (auto& v : bv)
          v = rng.Int(-static_cast<int>(acc), static_cast<int>(acc));
        bias = g.AddConstTensor<int64_t>("bias", {oc}, bv, bq);
      } else {
        bias = g.AddConstTensor<int32_t>(
            "bias", {oc},
            rng.Ints<int32_t>(oc, -static_cast<int>(acc),
                              static_cast<int>(acc)),
            bq);
      }
    }
    y = g.AddOutput("output", s.type, s.output, Q(out_scale, s.output_zp));
  }
  std::vector<int32_t> inputs = {shape, w, x};
  if (bias >= 0) inputs.push_back(bias);
  g.AddOperator(tfl::BuiltinOperator_TRANSPOSE_CONV, inputs, {y},
                [&](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreateTransposeConvOptions(f, s.padding, s.sw,
                                                         s.sh, s.act);
                });
  return b.Finish();
}

void AddTransposeConv(std::vector<ConformanceCase>& cases) {
  auto add = [&](std::string name, TcSpec s) {
    std::vector<std::pair<int, NpyArray>> fixed;
    if (s.shape_input) fixed.push_back({0, Int32Array(s.output)});
    cases.push_back(Case(
        "transpose_conv__" + name, [s](Rng& rng) { return BuildTc(s, rng); },
        std::move(fixed)));
  };
  using P = tfl::Padding;
  add("f32_same_stride2",
      {.input = {1, 4, 4, 2}, .output = {1, 8, 8, 3}, .sh = 2, .sw = 2});
  add("f32_valid_stride2x1_nobias", {.input = {1, 4, 5, 3},
                                     .output = {1, 9, 6, 2},
                                     .kh = 3,
                                     .kw = 2,
                                     .sh = 2,
                                     .sw = 1,
                                     .padding = P::Padding_VALID,
                                     .bias = false});
  add("f32_shape_input_batch2", {.input = {2, 3, 3, 2},
                                 .output = {2, 7, 6, 4},
                                 .kh = 3,
                                 .kw = 2,
                                 .sh = 2,
                                 .sw = 2,
                                 .padding = P::Padding_VALID,
                                 .shape_input = true});
  add("f32_relu", {.input = {1, 3, 3, 2},
                   .output = {1, 6, 6, 2},
                   .sh = 2,
                   .sw = 2,
                   .act = kRelu});
  add("u8_same_stride2", {.type = kU8,
                          .input = {1, 3, 4, 3},
                          .output = {1, 6, 8, 4},
                          .sh = 2,
                          .sw = 2,
                          .input_zp = 128,
                          .weights_zp = 119,
                          .output_zp = 131});
  add("s8_per_channel_stride3_odd", {.type = kS8,
                                     .input = {1, 2, 3, 5},
                                     .output = {1, 6, 9, 3},
                                     .kh = 2,
                                     .kw = 4,
                                     .sh = 3,
                                     .sw = 3,
                                     .input_zp = -3,
                                     .output_zp = 5});
  add("s8_valid_shape_input_extreme_zp", {.type = kS8,
                                          .input = {1, 3, 2, 4},
                                          .output = {1, 5, 4, 6},
                                          .kh = 3,
                                          .kw = 3,
                                          .padding = P::Padding_VALID,
                                          .shape_input = true,
                                          .input_zp = -128,
                                          .output_zp = 127});
  add("s16x8_i64_bias", {.type = kS16,
                         .input = {1, 2, 5, 4},
                         .output = {1, 3, 12, 5},
                         .kh = 3,
                         .kw = 4,
                         .sh = 1,
                         .sw = 2,
                         .padding = P::Padding_VALID});
}

// ---------------------------------------------------------------- LSTM
struct LstmSpec {
  int batch = 1, time = 1, input = 1, cell = 1,
      output = 0;  // output 0: no projection
  bool time_major = false;
  bool cifg = false;
  bool peephole = false;
  bool proj_bias = false;
  bool layer_norm = false;
  float cell_clip = 0.f, proj_clip = 0.f;
  tfl::ActivationFunctionType act = kTanh;
};

StatusOr<std::vector<uint8_t>> BuildLstm(const LstmSpec& s, Rng& rng) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int n_out = s.output > 0 ? s.output : s.cell;
  const std::vector<int32_t> in_shape =
      s.time_major ? std::vector<int32_t>{s.time, s.batch, s.input}
                   : std::vector<int32_t>{s.batch, s.time, s.input};
  std::vector<int32_t> out_shape = in_shape;
  out_shape[2] = n_out;
  std::vector<int32_t> in(24, -1);
  in[0] = g.AddInput("input", kF32, in_shape);
  auto mat = [&](const char* n, int r, int c) {
    return g.AddConstTensor<float>(
        n, {r, c}, rng.Floats(static_cast<size_t>(r) * c, -0.6f, 0.6f));
  };
  auto vec = [&](const char* n, int len, float lo, float hi) {
    return g.AddConstTensor<float>(n, {len}, rng.Floats(len, lo, hi));
  };
  const char* gates[4] = {"i", "f", "c", "o"};
  for (int k = 0; k < 4; ++k) {
    if (k == 0 && s.cifg) continue;
    in[1 + k] = mat((std::string("w_x") + gates[k]).c_str(), s.cell, s.input);
    in[5 + k] = mat((std::string("w_h") + gates[k]).c_str(), s.cell, n_out);
    in[12 + k] =
        vec((std::string("b_") + gates[k]).c_str(), s.cell, -0.5f, 0.5f);
  }
  if (s.peephole) {
    if (!s.cifg) in[9] = vec("p_i", s.cell, -0.5f, 0.5f);
    in[10] = vec("p_f", s.cell, -0.5f, 0.5f);
    in[11] = vec("p_o", s.cell, -0.5f, 0.5f);
  }
  if (s.output > 0) {
    in[16] = mat("w_proj", s.output, s.cell);
    if (s.proj_bias) in[17] = vec("b_proj", s.output, -0.3f, 0.3f);
  }
  in[18] = g.AddVariableTensor("output_state", kF32, {s.batch, n_out});
  in[19] = g.AddVariableTensor("cell_state", kF32, {s.batch, s.cell});
  if (s.layer_norm) {
    for (int k = 0; k < 4; ++k) {
      if (k == 0 && s.cifg) continue;
      in[20 + k] =
          vec((std::string("ln_") + gates[k]).c_str(), s.cell, 0.5f, 1.5f);
    }
  } else {
    in.resize(20);
  }
  const int32_t y = g.AddOutput("output", kF32, out_shape);
  g.AddOperator(tfl::BuiltinOperator_UNIDIRECTIONAL_SEQUENCE_LSTM, in, {y},
                [&](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreateUnidirectionalSequenceLSTMOptions(
                      f, s.act, s.cell_clip, s.proj_clip, s.time_major);
                });
  return b.Finish();
}

void AddLstm(std::vector<ConformanceCase>& cases) {
  auto add = [&](std::string name, LstmSpec s) {
    cases.push_back(Case("unidirectional_sequence_lstm__" + name,
                         [s](Rng& rng) { return BuildLstm(s, rng); }));
  };
  add("f32_basic_batch2", {.batch = 2, .time = 3, .input = 4, .cell = 5});
  add("f32_time_major_cifg_peephole_clip", {.batch = 2,
                                            .time = 4,
                                            .input = 3,
                                            .cell = 6,
                                            .time_major = true,
                                            .cifg = true,
                                            .peephole = true,
                                            .cell_clip = 0.8f});
  add("f32_projection_bias_clip_peephole", {.batch = 1,
                                            .time = 5,
                                            .input = 6,
                                            .cell = 7,
                                            .output = 3,
                                            .peephole = true,
                                            .proj_bias = true,
                                            .proj_clip = 0.25f});
  add("f32_layer_norm_projection", {.batch = 2,
                                    .time = 3,
                                    .input = 5,
                                    .cell = 4,
                                    .output = 3,
                                    .layer_norm = true});
  add("f32_relu_activation",
      {.batch = 1, .time = 4, .input = 2, .cell = 3, .act = kRelu});
}

// ---------------------------------------------------------------- SVDF
struct SvdfSpec {
  DataType type = kF32;
  int batch = 1, input = 1, filters = 1, rank = 1, memory = 1;
  bool bias = true;
  tfl::ActivationFunctionType act = kNone;
  int64_t input_zp = 0, output_zp = 0;
};

StatusOr<std::vector<uint8_t>> BuildSvdf(const SvdfSpec& s, Rng& rng) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int units = s.filters / s.rank;
  int32_t x, wf, wt, bias = -1, state, y;
  if (s.type == kF32) {
    x = g.AddInput("input", kF32, {s.batch, s.input});
    wf = g.AddConstTensor<float>(
        "weights_feature", {s.filters, s.input},
        rng.Floats(static_cast<size_t>(s.filters) * s.input, -1, 1));
    wt = g.AddConstTensor<float>(
        "weights_time", {s.filters, s.memory},
        rng.Floats(static_cast<size_t>(s.filters) * s.memory, -1, 1));
    if (s.bias)
      bias = g.AddConstTensor<float>("bias", {units}, rng.Floats(units, -1, 1));
    state = g.AddVariableTensor("state", kF32, {s.batch, s.memory * s.filters});
    y = g.AddOutput("output", kF32, {s.batch, units});
  } else {
    const float in_scale = 0.06f, wf_scale = 0.009f, state_scale = 0.004f,
                wt_scale = 0.003f;
    x = g.AddInput("input", kS8, {s.batch, s.input}, Q(in_scale, s.input_zp));
    wf = g.AddConstTensor<int8_t>(
        "weights_feature", {s.filters, s.input},
        rng.Ints<int8_t>(static_cast<size_t>(s.filters) * s.input, -127, 127),
        Q(wf_scale, 0));
    wt = g.AddConstTensor<int16_t>(
        "weights_time", {s.filters, s.memory},
        rng.Ints<int16_t>(static_cast<size_t>(s.filters) * s.memory, -1000,
                          1000),
        Q(wt_scale, 0));
    if (s.bias) {
      bias = g.AddConstTensor<int32_t>("bias", {units},
                                       rng.Ints<int32_t>(units, -20000, 20000),
                                       Q(state_scale * wt_scale, 0));
    }
    state = g.AddVariableTensor("state", kS16, {s.batch, s.memory * s.filters},
                                Q(state_scale, 0));
    y = g.AddOutput("output", kS8, {s.batch, units}, Q(0.4f, s.output_zp));
  }
  std::vector<int32_t> inputs = {x, wf, wt, bias, state};
  g.AddOperator(tfl::BuiltinOperator_SVDF, inputs, {y},
                [&](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreateSVDFOptions(f, s.rank, s.act);
                });
  return b.Finish();
}

void AddSvdf(std::vector<ConformanceCase>& cases) {
  auto add = [&](std::string name, SvdfSpec s) {
    cases.push_back(
        Case("svdf__" + name, [s](Rng& rng) { return BuildSvdf(s, rng); }));
  };
  add("f32_rank1_relu", {.batch = 2,
                         .input = 5,
                         .filters = 4,
                         .rank = 1,
                         .memory = 3,
                         .act = kRelu});
  add("f32_rank2_nobias", {.batch = 1,
                           .input = 7,
                           .filters = 6,
                           .rank = 2,
                           .memory = 4,
                           .bias = false});
  add("s8_rank1", {.type = kS8,
                   .batch = 1,
                   .input = 8,
                   .filters = 6,
                   .rank = 1,
                   .memory = 4,
                   .act = kRelu,
                   .input_zp = -3,
                   .output_zp = -128});
  add("s8_rank2_batch2", {.type = kS8,
                          .batch = 2,
                          .input = 5,
                          .filters = 8,
                          .rank = 2,
                          .memory = 3,
                          .act = kRelu,
                          .input_zp = 4,
                          .output_zp = -20});
}

// ----------------------------------------------------------------
// DETECTION_POSTPROCESS
struct DppSpec {
  DataType type = kF32;
  int boxes = 6;
  int classes = 2;
  bool background = true;
  int max_detections = 3;
  int max_classes_per_detection = 1;
  int detections_per_class = 100;
  bool regular = false;
  float score_threshold = 0.f;
  float iou_threshold = 0.5f;
};

StatusOr<std::vector<uint8_t>> BuildDpp(const DppSpec& s, Rng& rng) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int cwb = s.classes + (s.background ? 1 : 0);
  // Anchors (y, x, h, w) on a coarse grid so that neighbours overlap.
  std::vector<float> anchors;
  for (int i = 0; i < s.boxes; ++i) {
    anchors.push_back(0.2f + 0.12f * (i % 3) + rng.Float(-0.02f, 0.02f));
    anchors.push_back(0.3f + 0.1f * (i / 3 % 4) + rng.Float(-0.02f, 0.02f));
    anchors.push_back(rng.Float(0.2f, 0.4f));
    anchors.push_back(rng.Float(0.2f, 0.4f));
  }
  int32_t boxes, scores, anchor;
  if (s.type == kF32) {
    boxes = g.AddInput("box_encodings", kF32, {1, s.boxes, 4});
    scores = g.AddInput("class_predictions", kF32, {1, s.boxes, cwb});
    anchor = g.AddConstTensor<float>("anchors", {s.boxes, 4}, anchors);
  } else {
    boxes = g.AddInput("box_encodings", kU8, {1, s.boxes, 4}, Q(0.08f, 128));
    scores = g.AddInput("class_predictions", kU8, {1, s.boxes, cwb},
                        Q(1.f / 256, 0));
    std::vector<uint8_t> qa;
    for (float v : anchors)
      qa.push_back(static_cast<uint8_t>(std::lround(v / 0.004f)));
    anchor =
        g.AddConstTensor<uint8_t>("anchors", {s.boxes, 4}, qa, Q(0.004f, 0));
  }
  const int d = s.max_detections * s.max_classes_per_detection;
  const int32_t ob = g.AddOutput("detection_boxes", kF32, {1, d, 4});
  const int32_t oc = g.AddOutput("detection_classes", kF32, {1, d});
  const int32_t os = g.AddOutput("detection_scores", kF32, {1, d});
  const int32_t on = g.AddOutput("num_detections", kF32, {1});
  flexbuffers::Builder fb;
  fb.Map([&] {
    fb.Int("max_detections", s.max_detections);
    fb.Int("max_classes_per_detection", s.max_classes_per_detection);
    fb.Int("detections_per_class", s.detections_per_class);
    fb.Bool("use_regular_nms", s.regular);
    fb.Float("nms_score_threshold", s.score_threshold);
    fb.Float("nms_iou_threshold", s.iou_threshold);
    fb.Int("num_classes", s.classes);
    fb.Float("y_scale", 10.f);
    fb.Float("x_scale", 10.f);
    fb.Float("h_scale", 5.f);
    fb.Float("w_scale", 5.f);
  });
  fb.Finish();
  g.AddCustomOperator("TFLite_Detection_PostProcess", {boxes, scores, anchor},
                      {ob, oc, os, on}, fb.GetBuffer());
  return b.Finish();
}

void AddDetectionPostProcess(std::vector<ConformanceCase>& cases) {
  auto add = [&](std::string name, DppSpec s) {
    cases.push_back(Case("detection_postprocess__" + name,
                         [s](Rng& rng) { return BuildDpp(s, rng); }));
  };
  add("f32_fast",
      {.boxes = 8, .classes = 2, .max_detections = 3, .iou_threshold = 0.3f});
  add("f32_fast_multiclass", {.boxes = 10,
                              .classes = 3,
                              .max_detections = 4,
                              .max_classes_per_detection = 2,
                              .score_threshold = -0.5f,
                              .iou_threshold = 0.4f});
  add("f32_regular", {.boxes = 9,
                      .classes = 3,
                      .max_detections = 5,
                      .detections_per_class = 2,
                      .regular = true,
                      .score_threshold = -0.2f,
                      .iou_threshold = 0.35f});
  add("f32_regular_no_background", {.boxes = 7,
                                    .classes = 2,
                                    .background = false,
                                    .max_detections = 4,
                                    .detections_per_class = 3,
                                    .regular = true,
                                    .iou_threshold = 0.5f});
  add("u8_fast", {.type = kU8,
                  .boxes = 8,
                  .classes = 2,
                  .max_detections = 3,
                  .score_threshold = 0.3f,
                  .iou_threshold = 0.4f});
  add("u8_regular", {.type = kU8,
                     .boxes = 6,
                     .classes = 3,
                     .max_detections = 4,
                     .detections_per_class = 2,
                     .regular = true,
                     .score_threshold = 0.2f,
                     .iou_threshold = 0.5f});
}

}  // namespace

void AddMatrixCases(std::vector<ConformanceCase>& cases) {
  AddFullyConnected(cases);
  AddBatchMatMul(cases);
  AddTransposeConv(cases);
  AddLstm(cases);
  AddSvdf(cases);
  AddDetectionPostProcess(cases);
  // LiteRT.js hands these to XNNPACK paths that differ from TFLite's own
  // kernels (hybrid FC ~1% off; 16x8 FC rounds one tie differently); the
  // reference is TFLite's kernel, as tfjs-tflite runs it.
  for (ConformanceCase& c : cases) {
    if (c.name == "fully_connected__hybrid_s8_symmetric" ||
        c.name == "fully_connected__s16x8_i64_bias") {
      c.oracle_runtime = "tfjs-tflite";
    }
  }
}

}  // namespace edgerun::conformance
