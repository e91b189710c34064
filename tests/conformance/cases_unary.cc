// Conformance cases of the unary family: element-wise math (FLOOR, CEIL,
// ROUND, ABS, NEG, SQRT, RSQRT, EXP, LOG, SIN, COS), activations (LOGISTIC,
// TANH, RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1, LEAKY_RELU, PRELU,
// HARD_SWISH, ELU, GELU), SOFTMAX, LOG_SOFTMAX, L2_NORMALIZATION, QUANTIZE,
// DEQUANTIZE and CAST, for every dtype TFLite supports for each. One
// operator per model, a few dozen elements; quantized inputs are the
// oracle's full-range random values, float inputs are random in [-1, 1) or
// fixed sweeps where the interesting range is wider (or must be positive).
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "tests/conformance/case_util.h"
#include "tests/conformance/conformance_case.h"

namespace edgerun::conformance {
namespace {

int Count(const std::vector<int32_t>& shape) {
  int n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

// n values evenly spaced over [lo, hi].
std::vector<float> Sweep(int n, float lo, float hi) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) {
    v[i] = n == 1 ? lo : lo + (hi - lo) * static_cast<float>(i) / (n - 1);
  }
  return v;
}

// A same-shape unary case.
ConformanceCase Unary(std::string name, tfl::BuiltinOperator op, Operand in,
                      Operand out, OpOptions options = {}) {
  out.shape = in.shape;
  return OpCase(std::move(name), op, {std::move(in)}, std::move(out),
                std::move(options));
}

OpOptions SoftmaxOpts(float beta) {
  return [=](flatbuffers::FlatBufferBuilder& f) {
    return tfl::CreateSoftmaxOptions(f, beta);
  };
}
OpOptions LeakyOpts(float alpha) {
  return [=](flatbuffers::FlatBufferBuilder& f) {
    return tfl::CreateLeakyReluOptions(f, alpha);
  };
}
OpOptions GeluOpts(bool approximate) {
  return [=](flatbuffers::FlatBufferBuilder& f) {
    return tfl::CreateGeluOptions(f, approximate);
  };
}
OpOptions L2Opts() {
  return [](flatbuffers::FlatBufferBuilder& f) {
    return tfl::CreateL2NormOptions(f, tfl::ActivationFunctionType_NONE);
  };
}

const std::vector<int32_t> kShape = {2, 3, 5};

// --------------------------------------------------------- element-wise math

void AddMathCases(std::vector<ConformanceCase>& cases) {
  using tfl::BuiltinOperator;
  const int n = Count(kShape);
  const auto wide = Sweep(n, -7.3f, 6.9f);
  const auto positive = Sweep(n, 0.01f, 20.f);
  cases.push_back(Unary("floor__f32", tfl::BuiltinOperator_FLOOR,
                        Fixed(In(kF32, kShape), wide), In(kF32, {})));
  cases.push_back(Unary("ceil__f32", tfl::BuiltinOperator_CEIL,
                        Fixed(In(kF32, kShape), wide), In(kF32, {})));
  std::vector<float> ties = {-2.5f, -1.5f,  -0.5f, 0.5f, 1.5f, 2.5f,
                             3.5f,  -3.49f, 3.51f, 0.f,  -0.f, 1e7f};
  cases.push_back(Unary("round__f32_ties", tfl::BuiltinOperator_ROUND,
                        Fixed(In(kF32, {12}), ties), In(kF32, {})));
  cases.push_back(Unary("round__f32", tfl::BuiltinOperator_ROUND,
                        Fixed(In(kF32, kShape), wide), In(kF32, {})));
  cases.push_back(Unary("abs__f32", tfl::BuiltinOperator_ABS, In(kF32, kShape),
                        In(kF32, {})));
  cases.push_back(
      Unary("abs__i32", tfl::BuiltinOperator_ABS,
            Fixed(In(kI32, {6}),
                  std::vector<int32_t>{-5, 0, 7, -2147483647, 2147483647, -1}),
            In(kI32, {})));
  cases.push_back(Unary("abs__i16", tfl::BuiltinOperator_ABS, In(kS16, kShape),
                        In(kS16, {})));
  cases.push_back(Unary("abs__i8_quant", tfl::BuiltinOperator_ABS,
                        QIn(kS8, kShape, 0.05f, -3), QIn(kS8, {}, 0.05f, -3)));
  cases.push_back(Unary("abs__i8_rescale", tfl::BuiltinOperator_ABS,
                        QIn(kS8, kShape, 0.05f, 10),
                        QIn(kS8, {}, 0.03f, -128)));
  cases.push_back(Unary("abs__i16_quant", tfl::BuiltinOperator_ABS,
                        QIn(kS16, kShape, 0.001f, 0),
                        QIn(kS16, {}, 0.0007f, 0)));
  cases.push_back(Unary("neg__f32", tfl::BuiltinOperator_NEG, In(kF32, kShape),
                        In(kF32, {})));
  cases.push_back(
      Unary("neg__i32", tfl::BuiltinOperator_NEG,
            Fixed(In(kI32, {5}),
                  std::vector<int32_t>{3, -4, 0, 2147483647, -2147483647}),
            In(kI32, {})));
  cases.push_back(Unary("neg__i64", tfl::BuiltinOperator_NEG, In(kI64, kShape),
                        In(kI64, {})));
  cases.push_back(Unary("sqrt__f32", tfl::BuiltinOperator_SQRT,
                        Fixed(In(kF32, kShape), positive), In(kF32, {})));
  cases.push_back(Unary("rsqrt__f32", tfl::BuiltinOperator_RSQRT,
                        Fixed(In(kF32, kShape), positive), In(kF32, {})));
  {
    std::vector<int8_t> v(n);
    for (int i = 0; i < n; ++i) v[i] = static_cast<int8_t>(-20 + 5 * i);
    cases.push_back(Unary("rsqrt__i8", tfl::BuiltinOperator_RSQRT,
                          Fixed(QIn(kS8, kShape, 0.05f, -20), v),
                          QIn(kS8, {}, 0.04f, -100)));
    std::vector<int16_t> w(n);
    for (int i = 0; i < n; ++i) w[i] = static_cast<int16_t>(i * 1111);
    cases.push_back(Unary("rsqrt__i16", tfl::BuiltinOperator_RSQRT,
                          Fixed(QIn(kS16, kShape, 0.0005f, 0), w),
                          QIn(kS16, {}, 0.002f, 0)));
  }
  cases.push_back(Unary("exp__f32", tfl::BuiltinOperator_EXP,
                        Fixed(In(kF32, kShape), wide), In(kF32, {})));
  cases.push_back(Unary("exp__i8", tfl::BuiltinOperator_EXP,
                        QIn(kS8, kShape, 0.02f, 5),
                        QIn(kS8, {}, 0.015f, -120)));
  cases.push_back(Unary("exp__i16", tfl::BuiltinOperator_EXP,
                        QIn(kS16, kShape, 0.0001f, 0),
                        QIn(kS16, {}, 0.0003f, 0)));
  cases.push_back(Unary("log__f32", tfl::BuiltinOperator_LOG,
                        Fixed(In(kF32, kShape), positive), In(kF32, {})));
  cases.push_back(Unary("log__i8", tfl::BuiltinOperator_LOG,
                        QIn(kS8, kShape, 0.05f, -128),
                        QIn(kS8, {}, 0.03f, 60)));
  cases.push_back(Unary("sin__f32", tfl::BuiltinOperator_SIN,
                        Fixed(In(kF32, kShape), wide), In(kF32, {})));
  cases.push_back(Unary("cos__f32", tfl::BuiltinOperator_COS,
                        Fixed(In(kF32, kShape), wide), In(kF32, {})));
  cases.push_back(Unary("sin__f32_empty", tfl::BuiltinOperator_SIN,
                        In(kF32, {0, 3}), In(kF32, {})));
}

// ---------------------------------------------------------------- activations

void AddActivationCases(std::vector<ConformanceCase>& cases) {
  const int n = Count(kShape);
  const auto wide = Sweep(n, -7.3f, 6.9f);
  // LOGISTIC / TANH
  cases.push_back(Unary("logistic__f32", tfl::BuiltinOperator_LOGISTIC,
                        Fixed(In(kF32, kShape), wide), In(kF32, {})));
  cases.push_back(Unary("logistic__u8", tfl::BuiltinOperator_LOGISTIC,
                        QIn(kU8, kShape, 0.06f, 120),
                        QIn(kU8, {}, 1.f / 256, 0)));
  cases.push_back(Unary("logistic__i8", tfl::BuiltinOperator_LOGISTIC,
                        QIn(kS8, kShape, 0.07f, -5),
                        QIn(kS8, {}, 1.f / 256, -128)));
  cases.push_back(Unary("logistic__i16_pot", tfl::BuiltinOperator_LOGISTIC,
                        QIn(kS16, kShape, 1.f / 4096, 0),
                        QIn(kS16, {}, 1.f / 32768, 0)));
  cases.push_back(Unary("logistic__i16_general", tfl::BuiltinOperator_LOGISTIC,
                        QIn(kS16, kShape, 0.0003f, 0),
                        QIn(kS16, {}, 1.f / 32768, 0)));
  cases.push_back(Unary("tanh__f32", tfl::BuiltinOperator_TANH,
                        Fixed(In(kF32, kShape), wide), In(kF32, {})));
  cases.push_back(Unary("tanh__u8", tfl::BuiltinOperator_TANH,
                        QIn(kU8, kShape, 0.03f, 128),
                        QIn(kU8, {}, 1.f / 128, 128)));
  cases.push_back(Unary("tanh__i8", tfl::BuiltinOperator_TANH,
                        QIn(kS8, kShape, 0.025f, 3),
                        QIn(kS8, {}, 1.f / 128, 0)));
  cases.push_back(Unary("tanh__i16_pot", tfl::BuiltinOperator_TANH,
                        QIn(kS16, kShape, 1.f / 4096, 0),
                        QIn(kS16, {}, 1.f / 32768, 0)));
  cases.push_back(Unary("tanh__i16_pot_shift1", tfl::BuiltinOperator_TANH,
                        QIn(kS16, kShape, 1.f / 2048, 0),
                        QIn(kS16, {}, 1.f / 32768, 0)));
  cases.push_back(Unary("tanh__i16_general", tfl::BuiltinOperator_TANH,
                        QIn(kS16, kShape, 0.00021f, 0),
                        QIn(kS16, {}, 1.f / 32768, 0)));
  // RELU family
  struct ReluOp {
    const char* name;
    tfl::BuiltinOperator op;
    bool int16;
  };
  const ReluOp relus[] = {
      {"relu", tfl::BuiltinOperator_RELU, true},
      {"relu6", tfl::BuiltinOperator_RELU6, true},
      {"relu_n1_to_1", tfl::BuiltinOperator_RELU_N1_TO_1, false},
      {"relu_0_to_1", tfl::BuiltinOperator_RELU_0_TO_1, false}};
  cases.push_back(Unary("relu__f32_scalar", tfl::BuiltinOperator_RELU,
                        In(kF32, {}), In(kF32, {})));
  cases.push_back(Unary("relu6__u8_size1", tfl::BuiltinOperator_RELU6,
                        QIn(kU8, {1, 1, 1}, 0.05f, 0), QIn(kU8, {}, 0.05f, 0)));
  for (const ReluOp& r : relus) {
    const std::string p = std::string(r.name) + "__";
    cases.push_back(
        Unary(p + "f32", r.op, Fixed(In(kF32, kShape), wide), In(kF32, {})));
    cases.push_back(Unary(p + "u8", r.op, QIn(kU8, kShape, 0.05f, 100),
                          QIn(kU8, {}, 0.04f, 20)));
    cases.push_back(Unary(p + "i8", r.op, QIn(kS8, kShape, 0.06f, -10),
                          QIn(kS8, {}, 0.03f, -128)));
    if (r.int16) {
      cases.push_back(Unary(p + "i16", r.op, QIn(kS16, kShape, 0.0004f, 0),
                            QIn(kS16, {}, 0.0003f, 0)));
    }
  }
  // LEAKY_RELU
  cases.push_back(Unary("leaky_relu__f32", tfl::BuiltinOperator_LEAKY_RELU,
                        In(kF32, kShape), In(kF32, {}), LeakyOpts(0.2f)));
  cases.push_back(Unary("leaky_relu__u8", tfl::BuiltinOperator_LEAKY_RELU,
                        QIn(kU8, kShape, 0.05f, 128), QIn(kU8, {}, 0.03f, 100),
                        LeakyOpts(0.1f)));
  cases.push_back(Unary("leaky_relu__i8", tfl::BuiltinOperator_LEAKY_RELU,
                        QIn(kS8, kShape, 0.05f, 0), QIn(kS8, {}, 0.04f, -30),
                        LeakyOpts(0.3f)));
  cases.push_back(Unary(
      "leaky_relu__i8_alpha_gt1", tfl::BuiltinOperator_LEAKY_RELU,
      QIn(kS8, kShape, 0.02f, 20), QIn(kS8, {}, 0.05f, 0), LeakyOpts(1.5f)));
  // Enough values to tell the XNNPACK delegate's 8.8 fixed point from the
  // builtin kernel; a tiny alpha makes the delegate refuse the node.
  cases.push_back(Unary("leaky_relu__u8_many", tfl::BuiltinOperator_LEAKY_RELU,
                        QIn(kU8, {8, 16}, 0.0513f, 128),
                        QIn(kU8, {}, 0.0313f, 100), LeakyOpts(0.1f)));
  cases.push_back(Unary("leaky_relu__i8_many", tfl::BuiltinOperator_LEAKY_RELU,
                        QIn(kS8, {8, 16}, 0.0513f, 3),
                        QIn(kS8, {}, 0.0313f, -10), LeakyOpts(0.1f)));
  cases.push_back(Unary("leaky_relu__i8_tiny_alpha",
                        tfl::BuiltinOperator_LEAKY_RELU,
                        QIn(kS8, {8, 16}, 0.0513f, 3),
                        QIn(kS8, {}, 0.0313f, -10), LeakyOpts(0.001f)));
  cases.push_back(Unary(
      "leaky_relu__i8_neg_alpha", tfl::BuiltinOperator_LEAKY_RELU,
      QIn(kS8, {8, 16}, 0.04f, 0), QIn(kS8, {}, 0.05f, 0), LeakyOpts(-0.5f)));
  cases.push_back(Unary("leaky_relu__i16", tfl::BuiltinOperator_LEAKY_RELU,
                        QIn(kS16, kShape, 0.00031f, 0),
                        QIn(kS16, {}, 0.00029f, 0), LeakyOpts(0.2f)));
  // PRELU: alpha per channel (broadcast), and full-shape alpha.
  {
    const std::vector<int32_t> shape = {2, 3, 4};
    cases.push_back(OpCase(
        "prelu__f32_channel", tfl::BuiltinOperator_PRELU,
        {In(kF32, shape), Const(In(kF32, {1, 1, 4}),
                                std::vector<float>{0.1f, -0.5f, 0.25f, 2.f})},
        In(kF32, shape)));
    cases.push_back(OpCase("prelu__f32_full", tfl::BuiltinOperator_PRELU,
                           {In(kF32, shape), In(kF32, shape)},
                           In(kF32, shape)));
    cases.push_back(OpCase(
        "prelu__u8_channel", tfl::BuiltinOperator_PRELU,
        {QIn(kU8, shape, 0.04f, 128),
         Const(QIn(kU8, {4}, 0.01f, 50), std::vector<uint8_t>{60, 40, 255, 0})},
        QIn(kU8, shape, 0.03f, 120)));
    cases.push_back(OpCase(
        "prelu__i8_channel", tfl::BuiltinOperator_PRELU,
        {QIn(kS8, shape, 0.05f, 5),
         Const(QIn(kS8, {3, 1}, 0.02f, -10), std::vector<int8_t>{0, 20, -128})},
        QIn(kS8, shape, 0.04f, -20)));
  }
  // HARD_SWISH
  cases.push_back(Unary("hard_swish__f32", tfl::BuiltinOperator_HARD_SWISH,
                        Fixed(In(kF32, kShape), wide), In(kF32, {})));
  cases.push_back(Unary("hard_swish__u8", tfl::BuiltinOperator_HARD_SWISH,
                        QIn(kU8, kShape, 0.05f, 128), QIn(kU8, {}, 0.03f, 40)));
  cases.push_back(Unary("hard_swish__i8", tfl::BuiltinOperator_HARD_SWISH,
                        QIn(kS8, kShape, 0.06f, -3),
                        QIn(kS8, {}, 0.035f, -90)));
  cases.push_back(
      Unary("hard_swish__i8_small_scale", tfl::BuiltinOperator_HARD_SWISH,
            QIn(kS8, kShape, 0.005f, 0), QIn(kS8, {}, 0.004f, -50)));
  // ELU, GELU
  cases.push_back(Unary("elu__f32", tfl::BuiltinOperator_ELU,
                        Fixed(In(kF32, kShape), wide), In(kF32, {})));
  cases.push_back(Unary("elu__i8", tfl::BuiltinOperator_ELU,
                        QIn(kS8, kShape, 0.04f, 10), QIn(kS8, {}, 0.03f, 40)));
  cases.push_back(Unary("gelu__f32", tfl::BuiltinOperator_GELU,
                        Fixed(In(kF32, kShape), wide), In(kF32, {}),
                        GeluOpts(false)));
  cases.push_back(Unary("gelu__f32_approx", tfl::BuiltinOperator_GELU,
                        Fixed(In(kF32, kShape), wide), In(kF32, {}),
                        GeluOpts(true)));
  cases.push_back(Unary("gelu__u8", tfl::BuiltinOperator_GELU,
                        QIn(kU8, kShape, 0.04f, 130), QIn(kU8, {}, 0.03f, 10),
                        GeluOpts(false)));
  cases.push_back(Unary("gelu__i8_approx", tfl::BuiltinOperator_GELU,
                        QIn(kS8, kShape, 0.05f, 0), QIn(kS8, {}, 0.04f, -100),
                        GeluOpts(true)));
}

// ------------------------------------------------- softmax, log_softmax, l2

void AddNormalizationCases(std::vector<ConformanceCase>& cases) {
  cases.push_back(Unary("softmax__f32", tfl::BuiltinOperator_SOFTMAX,
                        In(kF32, {3, 7}), In(kF32, {}), SoftmaxOpts(1.f)));
  cases.push_back(Unary("softmax__f32_beta_rank4", tfl::BuiltinOperator_SOFTMAX,
                        Fixed(In(kF32, {1, 2, 3, 5}), Sweep(30, -6.f, 9.f)),
                        In(kF32, {}), SoftmaxOpts(0.7f)));
  cases.push_back(Unary("softmax__u8", tfl::BuiltinOperator_SOFTMAX,
                        QIn(kU8, {3, 11}, 0.1f, 100),
                        QIn(kU8, {}, 1.f / 256, 0), SoftmaxOpts(1.f)));
  cases.push_back(Unary("softmax__u8_beta", tfl::BuiltinOperator_SOFTMAX,
                        QIn(kU8, {2, 2, 9}, 0.05f, 0),
                        QIn(kU8, {}, 1.f / 256, 0), SoftmaxOpts(0.3f)));
  cases.push_back(Unary("softmax__u8_1001", tfl::BuiltinOperator_SOFTMAX,
                        QIn(kU8, {1, 1001}, 0.130833f, 96),
                        QIn(kU8, {}, 1.f / 256, 0), SoftmaxOpts(1.f)));
  cases.push_back(Unary("softmax__i8_beta", tfl::BuiltinOperator_SOFTMAX,
                        QIn(kS8, {5, 9}, 0.05f, 20),
                        QIn(kS8, {}, 1.f / 256, -128), SoftmaxOpts(2.5f)));
  cases.push_back(Unary("softmax__i8", tfl::BuiltinOperator_SOFTMAX,
                        QIn(kS8, {4, 6}, 0.08f, -10),
                        QIn(kS8, {}, 1.f / 256, -128), SoftmaxOpts(1.f)));
  cases.push_back(Unary("softmax__i8_rank1", tfl::BuiltinOperator_SOFTMAX,
                        QIn(kS8, {17}, 0.2f, 0), QIn(kS8, {}, 1.f / 256, -128),
                        SoftmaxOpts(1.f)));
  cases.push_back(Unary("softmax__u8_to_i16", tfl::BuiltinOperator_SOFTMAX,
                        QIn(kU8, {3, 8}, 0.07f, 128),
                        QIn(kS16, {}, 1.f / 32768, 0), SoftmaxOpts(1.f)));
  cases.push_back(Unary("softmax__i8_to_i16", tfl::BuiltinOperator_SOFTMAX,
                        QIn(kS8, {3, 8}, 0.09f, 0),
                        QIn(kS16, {}, 1.f / 32768, 0), SoftmaxOpts(1.f)));
  cases.push_back(Unary("softmax__i16", tfl::BuiltinOperator_SOFTMAX,
                        QIn(kS16, {3, 10}, 0.0002f, 0),
                        QIn(kS16, {}, 1.f / 32768, 0), SoftmaxOpts(1.f)));
  cases.push_back(Unary("softmax__i16_rank4_beta", tfl::BuiltinOperator_SOFTMAX,
                        QIn(kS16, {1, 2, 2, 7}, 0.0004f, 0),
                        QIn(kS16, {}, 1.f / 32768, 0), SoftmaxOpts(0.5f)));
  cases.push_back(Unary("log_softmax__f32", tfl::BuiltinOperator_LOG_SOFTMAX,
                        In(kF32, {3, 7}), In(kF32, {})));
  cases.push_back(Unary("log_softmax__u8", tfl::BuiltinOperator_LOG_SOFTMAX,
                        QIn(kU8, {3, 7}, 0.05f, 128),
                        QIn(kU8, {}, 16.f / 256, 255)));
  cases.push_back(Unary("log_softmax__i8", tfl::BuiltinOperator_LOG_SOFTMAX,
                        QIn(kS8, {3, 7}, 0.06f, 0),
                        QIn(kS8, {}, 16.f / 256, 127)));
  cases.push_back(Unary("l2_normalization__f32",
                        tfl::BuiltinOperator_L2_NORMALIZATION, In(kF32, {3, 7}),
                        In(kF32, {}), L2Opts()));
  cases.push_back(Unary(
      "l2_normalization__u8", tfl::BuiltinOperator_L2_NORMALIZATION,
      QIn(kU8, {2, 3, 6}, 0.05f, 128), QIn(kU8, {}, 1.f / 128, 128), L2Opts()));
  cases.push_back(Unary(
      "l2_normalization__i8", tfl::BuiltinOperator_L2_NORMALIZATION,
      QIn(kS8, {2, 3, 6}, 0.05f, -5), QIn(kS8, {}, 1.f / 128, 0), L2Opts()));
}

// --------------------------------------------- quantize, dequantize, cast

void AddConversionCases(std::vector<ConformanceCase>& cases) {
  const int n = Count(kShape);
  const auto wide = Sweep(n, -3.1f, 2.9f);
  const tfl::BuiltinOperator kQ = tfl::BuiltinOperator_QUANTIZE;
  cases.push_back(Unary("quantize__f32_to_u8", kQ,
                        Fixed(In(kF32, kShape), wide),
                        QIn(kU8, {}, 0.02f, 130)));
  cases.push_back(Unary("quantize__f32_to_i8", kQ,
                        Fixed(In(kF32, kShape), wide),
                        QIn(kS8, {}, 0.015f, -7)));
  cases.push_back(Unary("quantize__f32_to_i16", kQ,
                        Fixed(In(kF32, kShape), wide),
                        QIn(kS16, {}, 0.0001f, 0)));
  {
    Operand out = In(kS8, {});
    out.quant =
        QuantizationSpec::PerChannel({0.01f, 0.02f, 0.05f}, {0, 3, -4}, 1);
    cases.push_back(Unary("quantize__f32_to_i8_per_channel", kQ,
                          Fixed(In(kF32, kShape), wide), out));
  }
  cases.push_back(Unary("quantize__u8_to_i8", kQ, QIn(kU8, kShape, 0.03f, 128),
                        QIn(kS8, {}, 0.03f, 0)));
  cases.push_back(Unary("quantize__i8_to_u8", kQ, QIn(kS8, kShape, 0.03f, -1),
                        QIn(kU8, {}, 0.03f, 127)));
  cases.push_back(Unary("quantize__i8_to_i8_rescale", kQ,
                        QIn(kS8, kShape, 0.04f, 5), QIn(kS8, {}, 0.03f, -20)));
  cases.push_back(Unary("quantize__u8_to_u8_rescale", kQ,
                        QIn(kU8, kShape, 0.01f, 0), QIn(kU8, {}, 0.027f, 255)));
  cases.push_back(Unary("quantize__u8_to_i8_rescale", kQ,
                        QIn(kU8, kShape, 0.05f, 100), QIn(kS8, {}, 0.02f, 10)));
  cases.push_back(Unary("quantize__i16_to_i8", kQ, QIn(kS16, kShape, 0.001f, 0),
                        QIn(kS8, {}, 0.2f, 3)));
  cases.push_back(Unary("quantize__i16_to_i16", kQ,
                        QIn(kS16, kShape, 0.001f, 0),
                        QIn(kS16, {}, 0.0013f, 0)));
  cases.push_back(Unary("quantize__i16_to_i32", kQ,
                        QIn(kS16, kShape, 0.001f, 0),
                        QIn(kI32, {}, 0.0001f, 0)));
  cases.push_back(Unary("quantize__i32_to_i16", kQ,
                        QIn(kI32, kShape, 0.00001f, 0),
                        QIn(kS16, {}, 0.003f, 0)));
  cases.push_back(Unary("quantize__i32_to_i8", kQ,
                        QIn(kI32, kShape, 0.0001f, 3),
                        QIn(kS8, {}, 0.05f, -2)));
  // Exact ties of x / scale: TFLite's runtime rounds them half to even
  // (XNNPACK delegate), its reference kernel away from zero. Also values far
  // out of range (the runtime rejects non-finite inputs).
  {
    std::vector<float> ties;
    for (int i = -24; i < 24; ++i)
      ties.push_back((static_cast<float>(i) + 0.5f) * 0.25f);
    for (float v : {3e38f, -3e38f, 1e9f, -1e9f, 0.f, -0.f, 31.9f, -32.1f}) {
      ties.push_back(v);
    }
    cases.push_back(Unary("quantize__f32_to_i8_ties", kQ,
                          Fixed(In(kF32, {56}), ties), QIn(kS8, {}, 0.25f, 0)));
    cases.push_back(Unary("quantize__f32_to_u8_ties", kQ,
                          Fixed(In(kF32, {56}), ties),
                          QIn(kU8, {}, 0.25f, 128)));
    cases.push_back(Unary("quantize__f32_to_i16_ties", kQ,
                          Fixed(In(kF32, {56}), ties),
                          QIn(kS16, {}, 0.25f, 0)));
  }
  // Same-type 8-bit requantization in the delegate's 8.8 fixed point, and a
  // ratio below 1/256 that the delegate refuses.
  cases.push_back(Unary("quantize__u8_to_u8_ratio4", kQ,
                        QIn(kU8, {8, 16}, 0.05f, 100),
                        QIn(kU8, {}, 0.0123f, 7)));
  cases.push_back(Unary("quantize__i8_to_i8_ratio_tiny", kQ,
                        QIn(kS8, {8, 16}, 0.0001f, 3), QIn(kS8, {}, 0.1f, -1)));
  cases.push_back(Unary("quantize__i8_to_i8_ratio3", kQ,
                        QIn(kS8, {8, 16}, 0.09f, -7),
                        QIn(kS8, {}, 0.0291f, 11)));
  const tfl::BuiltinOperator kD = tfl::BuiltinOperator_DEQUANTIZE;
  cases.push_back(
      Unary("dequantize__u8", kD, QIn(kU8, kShape, 0.03f, 128), In(kF32, {})));
  cases.push_back(
      Unary("dequantize__i8", kD, QIn(kS8, kShape, 0.07f, -3), In(kF32, {})));
  cases.push_back(Unary("dequantize__i16", kD, QIn(kS16, kShape, 0.0002f, 0),
                        In(kF32, {})));
  {
    Operand in = In(kS8, kShape);
    in.quant = QuantizationSpec::PerChannel({0.1f, 0.02f, 0.5f}, {0, 0, 0}, 1);
    cases.push_back(Unary("dequantize__i8_per_channel", kD, in, In(kF32, {})));
  }
  const tfl::BuiltinOperator kC = tfl::BuiltinOperator_CAST;
  cases.push_back(Unary("cast__f32_to_i32", kC,
                        Fixed(In(kF32, kShape), Sweep(n, -40.7f, 41.3f)),
                        In(kI32, {})));
  cases.push_back(Unary("cast__f32_to_u8", kC,
                        Fixed(In(kF32, kShape), Sweep(n, 0.f, 250.5f)),
                        In(kU8, {})));
  cases.push_back(Unary("cast__f32_to_i16", kC,
                        Fixed(In(kF32, kShape), Sweep(n, -300.2f, 300.8f)),
                        In(kS16, {})));
  cases.push_back(
      Unary("cast__i32_to_f32", kC, In(kI32, kShape), In(kF32, {})));
  cases.push_back(Unary("cast__u8_to_f32", kC, In(kU8, kShape), In(kF32, {})));
  cases.push_back(Unary("cast__i8_to_i32", kC, In(kS8, kShape), In(kI32, {})));
  cases.push_back(
      Unary("cast__i16_to_f32", kC, In(kS16, kShape), In(kF32, {})));
  cases.push_back(
      Unary("cast__i32_to_i64", kC, In(kI32, kShape), In(kI64, {})));
  cases.push_back(
      Unary("cast__i64_to_i32", kC, In(kI64, kShape), In(kI32, {})));
  cases.push_back(Unary(
      "cast__i32_to_u8", kC,
      Fixed(In(kI32, {6}), std::vector<int32_t>{0, 255, 256, -1, 1000, -129}),
      In(kU8, {})));
  cases.push_back(
      Unary("cast__bool_to_f32", kC, In(kBool, kShape), In(kF32, {})));
  cases.push_back(
      Unary("cast__f32_to_bool", kC,
            Fixed(In(kF32, {6}),
                  std::vector<float>{0.f, -0.f, 0.5f, -2.f, 1e-30f, 3.f}),
            In(kBool, {})));
  cases.push_back(
      Unary("cast__i32_to_bool", kC, In(kI32, kShape), In(kBool, {})));
}

}  // namespace

void AddUnaryCases(std::vector<ConformanceCase>& cases) {
  AddMathCases(cases);
  AddActivationCases(cases);
  AddNormalizationCases(cases);
  AddConversionCases(cases);
}

}  // namespace edgerun::conformance
