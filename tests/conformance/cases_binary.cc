// Conformance cases of the elementwise binary family: ADD, SUB, MUL, DIV,
// SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, FLOOR_DIV, FLOOR_MOD, POW, the six
// comparisons, LOGICAL_AND/OR, SELECT and SELECT_V2. Each model holds one
// operator; shapes stay small (a few dozen elements) and cover broadcasting
// ([2,1,3] x [1,4,1], scalars, rank 5, size-1 and empty dims), every fused
// activation, extreme zero points and each dtype TFLite supports.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "tests/conformance/case_util.h"
#include "tests/conformance/conformance_case.h"

namespace edgerun::conformance {
namespace {

using Act = tfl::ActivationFunctionType;
constexpr Act kNone = tfl::ActivationFunctionType_NONE;
constexpr Act kRelu = tfl::ActivationFunctionType_RELU;
constexpr Act kRelu6 = tfl::ActivationFunctionType_RELU6;
constexpr Act kReluN1 = tfl::ActivationFunctionType_RELU_N1_TO_1;

OpOptions AddOpts(Act a, bool pot = false) {
  return [=](flatbuffers::FlatBufferBuilder& f) {
    return tfl::CreateAddOptions(f, a, pot);
  };
}
OpOptions SubOpts(Act a, bool pot = false) {
  return [=](flatbuffers::FlatBufferBuilder& f) {
    return tfl::CreateSubOptions(f, a, pot);
  };
}
OpOptions MulOpts(Act a) {
  return [=](flatbuffers::FlatBufferBuilder& f) {
    return tfl::CreateMulOptions(f, a);
  };
}
OpOptions DivOpts(Act a) {
  return [=](flatbuffers::FlatBufferBuilder& f) {
    return tfl::CreateDivOptions(f, a);
  };
}

const std::vector<int32_t> kA = {2, 1, 3};
const std::vector<int32_t> kB = {1, 4, 1};
const std::vector<int32_t> kAB = {2, 4, 3};

// Float values spread over [-8, 8) with exact repeats, for activations and
// comparisons that need equal pairs.
std::vector<float> Spread(int n, float step, float start) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i % 7);
  return v;
}

// ---------------------------------------------------------------- ADD / SUB

void AddAddSubCases(std::vector<ConformanceCase>& cases, bool sub) {
  const tfl::BuiltinOperator op =
      sub ? tfl::BuiltinOperator_SUB : tfl::BuiltinOperator_ADD;
  const std::string p = sub ? "sub__" : "add__";
  auto opts = [sub](Act a, bool pot = false) {
    return sub ? SubOpts(a, pot) : AddOpts(a, pot);
  };
  // float32: broadcasting, every activation, scalars, rank 5, size-1 and
  // empty dims.
  cases.push_back(OpCase(p + "f32_bcast", op, {In(kF32, kA), In(kF32, kB)},
                         In(kF32, kAB), opts(kNone)));
  cases.push_back(OpCase(p + "f32_relu", op, {In(kF32, kA), In(kF32, kB)},
                         In(kF32, kAB), opts(kRelu)));
  cases.push_back(OpCase(
      p + "f32_relu6", op,
      {Fixed(In(kF32, {2, 3, 4}), Spread(24, 2.5f, -7.f)), In(kF32, {4})},
      In(kF32, {2, 3, 4}), opts(kRelu6)));
  cases.push_back(OpCase(p + "f32_relu_n1_to_1", op,
                         {In(kF32, kA), In(kF32, kB)}, In(kF32, kAB),
                         opts(kReluN1)));
  cases.push_back(
      OpCase(p + "f32_scalar_const", op,
             {In(kF32, {3, 5}), Const(In(kF32, {}), std::vector<float>{0.75f})},
             In(kF32, {3, 5}), opts(kNone)));
  cases.push_back(OpCase(p + "f32_scalar_first", op,
                         {In(kF32, {}), In(kF32, {2, 3})}, In(kF32, {2, 3}),
                         opts(kNone)));
  cases.push_back(OpCase(p + "f32_rank5", op,
                         {In(kF32, {2, 1, 3, 1, 2}), In(kF32, {1, 2, 1, 2, 1})},
                         In(kF32, {2, 2, 3, 2, 2}), opts(kNone)));
  cases.push_back(OpCase(p + "f32_size1", op,
                         {In(kF32, {1, 1, 1}), In(kF32, {1})},
                         In(kF32, {1, 1, 1}), opts(kNone)));
  cases.push_back(OpCase(p + "f32_empty", op,
                         {In(kF32, {0, 3}), In(kF32, {1, 3})}, In(kF32, {0, 3}),
                         opts(kNone)));
  // int32 / int64: wrap-around arithmetic, activations as clamps.
  cases.push_back(OpCase(p + "i32_bcast_relu6", op,
                         {In(kI32, kA), In(kI32, kB)}, In(kI32, kAB),
                         opts(kRelu6)));
  cases.push_back(OpCase(p + "i32_same", op,
                         {In(kI32, {4, 5}), In(kI32, {4, 5})}, In(kI32, {4, 5}),
                         opts(kNone)));
  cases.push_back(OpCase(p + "i64_bcast", op, {In(kI64, kA), In(kI64, kB)},
                         In(kI64, kAB), opts(kNone)));
  cases.push_back(OpCase(p + "i64_relu", op, {In(kI64, {6}), In(kI64, {})},
                         In(kI64, {6}), opts(kRelu)));
  // uint8 / int8: general rescaling, different scales, extreme zero points.
  cases.push_back(OpCase(p + "u8_bcast", op,
                         {QIn(kU8, kA, 0.05f, 120), QIn(kU8, kB, 0.03f, 7)},
                         QIn(kU8, kAB, 0.08f, 130), opts(kNone)));
  cases.push_back(
      OpCase(p + "u8_relu6", op,
             {QIn(kU8, {3, 8}, 0.05f, 128), QIn(kU8, {8}, 0.05f, 128)},
             QIn(kU8, {3, 8}, 0.04f, 100), opts(kRelu6)));
  cases.push_back(
      OpCase(p + "u8_extreme_zp", op,
             {QIn(kU8, {4, 6}, 0.02f, 0), QIn(kU8, {4, 6}, 0.1f, 255)},
             QIn(kU8, {4, 6}, 0.1f, 255), opts(kReluN1)));
  cases.push_back(OpCase(p + "s8_bcast", op,
                         {QIn(kS8, kA, 0.05f, -3), QIn(kS8, kB, 0.07f, 10)},
                         QIn(kS8, kAB, 0.1f, 2), opts(kNone)));
  cases.push_back(
      OpCase(p + "s8_relu", op,
             {QIn(kS8, {5, 4}, 0.02f, -128), QIn(kS8, {5, 1}, 0.03f, 127)},
             QIn(kS8, {5, 4}, 0.03f, -128), opts(kRelu)));
  cases.push_back(
      OpCase(p + "s8_const_scalar", op,
             {QIn(kS8, {2, 2, 5}, 0.04f, 5),
              Const(QIn(kS8, {1}, 0.02f, 0), std::vector<int8_t>{-77})},
             QIn(kS8, {2, 2, 5}, 0.05f, -1), opts(kNone)));
  // 1024 random pairs: TFLite's reference rescaling and XNNPACK's (which
  // the real runtime uses for 8-bit) differ by 1 on a few percent of them.
  cases.push_back(
      OpCase(p + "u8_rounding_1k", op,
             {QIn(kU8, {32, 32}, 0.05f, 120), QIn(kU8, {32, 32}, 0.03f, 7)},
             QIn(kU8, {32, 32}, 0.08f, 130), opts(kNone)));
  cases.push_back(
      OpCase(p + "s8_rounding_1k", op,
             {QIn(kS8, {32, 32}, 0.0123f, -5), QIn(kS8, {32, 32}, 0.0371f, 17)},
             QIn(kS8, {32, 32}, 0.0417f, 3), opts(kNone)));
  // Input-2-to-output scale ratio < 2^-10: XNNPACK refuses the node and
  // TFLite runs its reference kernel.
  cases.push_back(
      OpCase(p + "u8_ratio_beyond_xnnpack", op,
             {QIn(kU8, {16, 16}, 0.05f, 120), QIn(kU8, {16}, 0.00001f, 100)},
             QIn(kU8, {16, 16}, 0.08f, 130), opts(kNone)));
  // int16: general rescaling (left shift 15), broadcast like the seanet
  // models, and the power-of-two path.
  cases.push_back(OpCase(p + "s16_general", op,
                         {QIn(kS16, {2, 3, 4}, 0.00058525f, 0),
                          QIn(kS16, {2, 3, 4}, 0.00080693f, 0)},
                         QIn(kS16, {2, 3, 4}, 0.00102444f, 0), opts(kNone)));
  cases.push_back(
      OpCase(p + "s16_bcast_relu", op,
             {QIn(kS16, {1, 2, 3, 8}, 0.0003f, 0), QIn(kS16, {8}, 0.0007f, 0)},
             QIn(kS16, {1, 2, 3, 8}, 0.0009f, 0), opts(kRelu)));
  cases.push_back(OpCase(
      p + "s16_pot", op,
      {QIn(kS16, {3, 7}, 1.f / 1024, 0), QIn(kS16, {3, 7}, 1.f / 4096, 0)},
      QIn(kS16, {3, 7}, 1.f / 1024, 0), opts(kNone, true)));
  if (!sub) {
    // int16 without quantization: plain wrap-around add.
    cases.push_back(OpCase(p + "s16_plain", op,
                           {In(kS16, {3, 4}), In(kS16, {4})}, In(kS16, {3, 4}),
                           opts(kNone)));
  }
}

// ---------------------------------------------------------------------- MUL

void AddMulCases(std::vector<ConformanceCase>& cases) {
  const auto op = tfl::BuiltinOperator_MUL;
  cases.push_back(OpCase("mul__f32_bcast", op, {In(kF32, kA), In(kF32, kB)},
                         In(kF32, kAB), MulOpts(kNone)));
  cases.push_back(
      OpCase("mul__f32_relu6", op,
             {Fixed(In(kF32, {2, 3, 4}), Spread(24, 1.5f, -4.f)),
              Const(In(kF32, {4}), std::vector<float>{3.f, -2.f, 0.5f, 1.f})},
             In(kF32, {2, 3, 4}), MulOpts(kRelu6)));
  cases.push_back(
      OpCase("mul__f32_relu_n1_to_1", op,
             {In(kF32, {3, 4}), Const(In(kF32, {}), std::vector<float>{2.5f})},
             In(kF32, {3, 4}), MulOpts(kReluN1)));
  cases.push_back(OpCase("mul__f32_rank5_relu", op,
                         {In(kF32, {1, 2, 1, 3, 2}), In(kF32, {2, 1, 2, 1, 1})},
                         In(kF32, {2, 2, 2, 3, 2}), MulOpts(kRelu)));
  cases.push_back(OpCase("mul__i32_bcast", op, {In(kI32, kA), In(kI32, kB)},
                         In(kI32, kAB), MulOpts(kNone)));
  cases.push_back(OpCase("mul__i32_relu6", op, {In(kI32, {5}), In(kI32, {1})},
                         In(kI32, {5}), MulOpts(kRelu6)));
  cases.push_back(OpCase("mul__i64_bcast", op, {In(kI64, kA), In(kI64, kB)},
                         In(kI64, kAB), MulOpts(kNone)));
  cases.push_back(OpCase("mul__u8_bcast", op,
                         {QIn(kU8, kA, 0.02f, 128), QIn(kU8, kB, 0.03f, 3)},
                         QIn(kU8, kAB, 0.05f, 100), MulOpts(kNone)));
  cases.push_back(
      OpCase("mul__u8_relu_extreme_zp", op,
             {QIn(kU8, {4, 5}, 0.01f, 255), QIn(kU8, {4, 5}, 0.02f, 0)},
             QIn(kU8, {4, 5}, 0.03f, 0), MulOpts(kRelu)));
  cases.push_back(OpCase("mul__s8_bcast", op,
                         {QIn(kS8, kA, 0.03f, -5), QIn(kS8, kB, 0.04f, 9)},
                         QIn(kS8, kAB, 0.06f, -2), MulOpts(kNone)));
  cases.push_back(
      OpCase("mul__s8_relu6_extreme_zp", op,
             {QIn(kS8, {3, 6}, 0.05f, -128), QIn(kS8, {6}, 0.02f, 127)},
             QIn(kS8, {3, 6}, 0.03f, -128), MulOpts(kRelu6)));
  cases.push_back(OpCase("mul__s8_scale_gt_1", op,
                         {QIn(kS8, {2, 6}, 0.5f, 0), QIn(kS8, {2, 6}, 0.4f, 0)},
                         QIn(kS8, {2, 6}, 0.1f, 0), MulOpts(kNone)));
  cases.push_back(
      OpCase("mul__u8_rounding_1k", op,
             {QIn(kU8, {32, 32}, 0.05f, 120), QIn(kU8, {32, 32}, 0.03f, 7)},
             QIn(kU8, {32, 32}, 0.08f, 130), MulOpts(kNone)));
  cases.push_back(
      OpCase("mul__s8_rounding_1k", op,
             {QIn(kS8, {32, 32}, 0.0123f, -5), QIn(kS8, {32, 32}, 0.0371f, 17)},
             QIn(kS8, {32, 32}, 0.0417f, 3), MulOpts(kNone)));
  // Product-to-output scale ratio < 2^-16: XNNPACK refuses, TFLite's
  // reference kernel runs.
  cases.push_back(
      OpCase("mul__u8_ratio_beyond_xnnpack", op,
             {QIn(kU8, {16, 16}, 0.002f, 128), QIn(kU8, {16}, 0.001f, 3)},
             QIn(kU8, {16, 16}, 0.15f, 7), MulOpts(kRelu)));
  cases.push_back(
      OpCase("mul__s16_quant", op,
             {QIn(kS16, {2, 3, 4}, 0.0002f, 0), QIn(kS16, {4}, 0.0003f, 0)},
             QIn(kS16, {2, 3, 4}, 0.0005f, 0), MulOpts(kNone)));
  cases.push_back(OpCase("mul__s16_plain", op,
                         {In(kS16, {3, 4}), In(kS16, {3, 4})}, In(kS16, {3, 4}),
                         MulOpts(kNone)));
}

// ---------------------------------------------------------------------- DIV

void AddDivCases(std::vector<ConformanceCase>& cases) {
  const auto op = tfl::BuiltinOperator_DIV;
  const std::vector<float> divisors = {0.5f, -1.25f, 2.f, -0.3f};
  cases.push_back(OpCase("div__f32_bcast", op,
                         {In(kF32, {3, 4}), Fixed(In(kF32, {4}), divisors)},
                         In(kF32, {3, 4}), DivOpts(kNone)));
  cases.push_back(OpCase("div__f32_relu", op,
                         {In(kF32, {2, 4}), Fixed(In(kF32, {4}), divisors)},
                         In(kF32, {2, 4}), DivOpts(kRelu)));
  cases.push_back(OpCase("div__f32_relu6", op,
                         {Fixed(In(kF32, {2, 4}), Spread(8, 3.f, -9.f)),
                          Fixed(In(kF32, {4}), divisors)},
                         In(kF32, {2, 4}), DivOpts(kRelu6)));
  cases.push_back(OpCase("div__f32_relu_n1_to_1", op,
                         {In(kF32, {2, 4}), Fixed(In(kF32, {4}), divisors)},
                         In(kF32, {2, 4}), DivOpts(kReluN1)));
  cases.push_back(
      OpCase("div__i32_bcast", op,
             {Fixed(In(kI32, {2, 4}),
                    std::vector<int32_t>{7, -7, 100, -100, 0, 9, -1, 255}),
              Fixed(In(kI32, {4}), std::vector<int32_t>{2, -3, 7, -1})},
             In(kI32, {2, 4}), DivOpts(kNone)));
  cases.push_back(
      OpCase("div__i32_relu6", op,
             {Fixed(In(kI32, {6}), std::vector<int32_t>{50, -50, 13, 3, 0, 40}),
              Const(In(kI32, {}), std::vector<int32_t>{3})},
             In(kI32, {6}), DivOpts(kRelu6)));
  std::vector<uint8_t> u8_div(6);
  for (int i = 0; i < 6; ++i) u8_div[i] = static_cast<uint8_t>(10 + 41 * i);
  cases.push_back(OpCase(
      "div__u8_bcast", op,
      {QIn(kU8, {4, 6}, 0.05f, 128), Fixed(QIn(kU8, {6}, 0.02f, 30), u8_div)},
      QIn(kU8, {4, 6}, 0.1f, 128), DivOpts(kNone)));
  std::vector<int8_t> s8_div(12);
  for (int i = 0; i < 12; ++i) s8_div[i] = static_cast<int8_t>(-120 + 21 * i);
  cases.push_back(OpCase(
      "div__s8_same_relu", op,
      {QIn(kS8, {3, 4}, 0.04f, -10), Fixed(QIn(kS8, {3, 4}, 0.03f, 5), s8_div)},
      QIn(kS8, {3, 4}, 0.08f, -20), DivOpts(kRelu)));
  // Numerators at and next to the zero point (TFLite's fixed-point path
  // shifts these by 32 or more bits).
  std::vector<int8_t> small_num(24), small_den(24);
  for (int i = 0; i < 24; ++i) {
    small_num[i] = static_cast<int8_t>(-10 + (i % 6) - 2);  // v1 in [-2, 3]
    small_den[i] = static_cast<int8_t>(i < 12 ? 6 + 9 * (i / 6) + 3 * (i % 6)
                                              : -120 + 11 * (i - 12));
  }
  cases.push_back(OpCase("div__s8_small_numerators", op,
                         {Fixed(QIn(kS8, {24}, 0.05f, -10), small_num),
                          Fixed(QIn(kS8, {24}, 0.02f, 5), small_den)},
                         QIn(kS8, {24}, 0.1f, 3), DivOpts(kNone)));
  std::vector<int16_t> s16_div(8);
  for (int i = 0; i < 8; ++i)
    s16_div[i] = static_cast<int16_t>(-30000 + 8111 * i);
  cases.push_back(OpCase(
      "div__s16_same", op,
      {QIn(kS16, {8}, 0.001f, 0), Fixed(QIn(kS16, {8}, 0.002f, 0), s16_div)},
      QIn(kS16, {8}, 0.004f, 0), DivOpts(kNone)));
  cases.push_back(OpCase(
      "div__s16_bcast", op,
      {QIn(kS16, {3, 8}, 0.001f, 0), Fixed(QIn(kS16, {8}, 0.002f, 0), s16_div)},
      QIn(kS16, {3, 8}, 0.004f, 0), DivOpts(kNone)));
}

// ------------------------------------------------ other arithmetic ops

void AddOtherArithmeticCases(std::vector<ConformanceCase>& cases) {
  {
    const auto op = tfl::BuiltinOperator_SQUARED_DIFFERENCE;
    cases.push_back(OpCase("squared_difference__f32_bcast", op,
                           {In(kF32, kA), In(kF32, kB)}, In(kF32, kAB)));
    cases.push_back(OpCase("squared_difference__i32_bcast", op,
                           {In(kI32, kA), In(kI32, kB)}, In(kI32, kAB)));
    cases.push_back(OpCase("squared_difference__s8_bcast", op,
                           {QIn(kS8, kA, 0.05f, -3), QIn(kS8, kB, 0.03f, 12)},
                           QIn(kS8, kAB, 0.2f, -128)));
    cases.push_back(
        OpCase("squared_difference__s8_same", op,
               {QIn(kS8, {4, 5}, 0.02f, 127), QIn(kS8, {4, 5}, 0.02f, -128)},
               QIn(kS8, {4, 5}, 0.1f, -100)));
  }
  for (const bool max : {true, false}) {
    const auto op =
        max ? tfl::BuiltinOperator_MAXIMUM : tfl::BuiltinOperator_MINIMUM;
    const std::string p = max ? "maximum__" : "minimum__";
    cases.push_back(OpCase(p + "f32_bcast", op, {In(kF32, kA), In(kF32, kB)},
                           In(kF32, kAB)));
    cases.push_back(OpCase(
        p + "u8", op, {QIn(kU8, {3, 4}, 0.1f, 128), QIn(kU8, {4}, 0.1f, 128)},
        QIn(kU8, {3, 4}, 0.1f, 128)));
    cases.push_back(
        OpCase(p + "s8_scalar", op,
               {QIn(kS8, {2, 5}, 0.1f, 0),
                Const(QIn(kS8, {}, 0.1f, 0), std::vector<int8_t>{-3})},
               QIn(kS8, {2, 5}, 0.1f, 0)));
    cases.push_back(
        OpCase(p + "s16", op, {In(kS16, kA), In(kS16, kB)}, In(kS16, kAB)));
    cases.push_back(OpCase(p + "i32", op, {In(kI32, {4, 3}), In(kI32, {4, 1})},
                           In(kI32, {4, 3})));
    cases.push_back(
        OpCase(p + "i64", op, {In(kI64, kA), In(kI64, kB)}, In(kI64, kAB)));
  }
  {
    const auto op = tfl::BuiltinOperator_FLOOR_DIV;
    const std::vector<int32_t> num = {7,    -7, 7,  -7,  0,   255,
                                      -256, 1,  13, -13, 100, -1};
    const std::vector<int32_t> den = {2, 2, -2, -2, 3, 16, 16, -5, 4, 4, -7, 3};
    cases.push_back(
        OpCase("floor_div__i32", op,
               {Fixed(In(kI32, {12}), num), Fixed(In(kI32, {12}), den)},
               In(kI32, {12})));
    cases.push_back(
        OpCase("floor_div__i32_bcast", op,
               {Fixed(In(kI32, {3, 4}), num),
                Const(In(kI32, {4}), std::vector<int32_t>{3, -3, 5, -5})},
               In(kI32, {3, 4})));
    cases.push_back(
        OpCase("floor_div__f32", op,
               {Fixed(In(kF32, {6}),
                      std::vector<float>{7.5f, -7.5f, 3.f, -3.f, 0.25f, -9.f}),
                Fixed(In(kF32, {6}),
                      std::vector<float>{2.f, 2.f, -1.5f, 0.7f, -0.5f, 4.f})},
               In(kF32, {6})));
    std::vector<int8_t> n8(12), d8(12);
    std::vector<int16_t> n16(12), d16(12);
    for (int i = 0; i < 12; ++i) {
      n8[i] = static_cast<int8_t>(num[i] % 128);
      d8[i] = static_cast<int8_t>(den[i]);
      n16[i] = static_cast<int16_t>(num[i] * 97);
      d16[i] = static_cast<int16_t>(den[i] * 11);
    }
    cases.push_back(OpCase("floor_div__s8", op,
                           {Fixed(In(kS8, {12}), n8), Fixed(In(kS8, {12}), d8)},
                           In(kS8, {12})));
    cases.push_back(
        OpCase("floor_div__s16", op,
               {Fixed(In(kS16, {12}), n16), Fixed(In(kS16, {12}), d16)},
               In(kS16, {12})));
    const auto mod = tfl::BuiltinOperator_FLOOR_MOD;
    cases.push_back(
        OpCase("floor_mod__i32", mod,
               {Fixed(In(kI32, {12}), num), Fixed(In(kI32, {12}), den)},
               In(kI32, {12})));
    std::vector<int64_t> n64(num.begin(), num.end()),
        d64(den.begin(), den.end());
    n64[0] = 5000000000LL;
    cases.push_back(
        OpCase("floor_mod__i64_bcast", mod,
               {Fixed(In(kI64, {3, 4}), n64),
                Const(In(kI64, {4}), std::vector<int64_t>{3, -3, 7, -7})},
               In(kI64, {3, 4})));
    cases.push_back(
        OpCase("floor_mod__f32", mod,
               {Fixed(In(kF32, {6}),
                      std::vector<float>{7.5f, -7.5f, 3.f, -3.f, 0.25f, -9.f}),
                Fixed(In(kF32, {6}),
                      std::vector<float>{2.f, 2.f, -1.5f, 0.7f, -0.5f, 4.f})},
               In(kF32, {6})));
    cases.push_back(OpCase("floor_mod__s8", mod,
                           {Fixed(In(kS8, {12}), n8), Fixed(In(kS8, {12}), d8)},
                           In(kS8, {12})));
    cases.push_back(
        OpCase("floor_mod__s16", mod,
               {Fixed(In(kS16, {12}), n16), Fixed(In(kS16, {12}), d16)},
               In(kS16, {12})));
  }
  {
    const auto op = tfl::BuiltinOperator_POW;
    cases.push_back(
        OpCase("pow__f32_bcast", op,
               {Fixed(In(kF32, {2, 3}),
                      std::vector<float>{0.5f, 1.5f, 2.f, 3.f, 0.1f, 4.f}),
                Fixed(In(kF32, {3}), std::vector<float>{2.f, -0.5f, 1.25f})},
               In(kF32, {2, 3})));
    cases.push_back(OpCase(
        "pow__i32", op,
        {Fixed(In(kI32, {8}), std::vector<int32_t>{2, -3, 0, 1, 5, -2, 7, 10}),
         Fixed(In(kI32, {8}), std::vector<int32_t>{10, 3, 0, 9, 4, 5, 2, 6})},
        In(kI32, {8})));
  }
}

// -------------------------------------------------------------- comparisons

void AddComparisonCases(std::vector<ConformanceCase>& cases) {
  struct Cmp {
    const char* name;
    tfl::BuiltinOperator op;
    bool equality;
  };
  const Cmp cmps[] = {
      {"equal", tfl::BuiltinOperator_EQUAL, true},
      {"not_equal", tfl::BuiltinOperator_NOT_EQUAL, true},
      {"less", tfl::BuiltinOperator_LESS, false},
      {"less_equal", tfl::BuiltinOperator_LESS_EQUAL, false},
      {"greater", tfl::BuiltinOperator_GREATER, false},
      {"greater_equal", tfl::BuiltinOperator_GREATER_EQUAL, false},
  };
  const std::vector<float> fa = {1.f, 2.f, 3.f, -1.f, 0.5f, 2.f};
  const std::vector<float> fb = {2.f, -1.f, 0.5f};
  const std::vector<int32_t> ia = {1, 2, 3, -1, 5, 2};
  const std::vector<int32_t> ib = {2, -1, 5};
  std::vector<uint8_t> ua(24), ub(24);
  std::vector<int8_t> sa(24);
  for (int i = 0; i < 24; ++i) {
    // Pairs that are equal, just below and just above in real value.
    ua[i] = static_cast<uint8_t>(100 + 5 * (i % 8));
    ub[i] = static_cast<uint8_t>(50 + 10 * (i % 8) + (i / 8) - 1);
    sa[i] = static_cast<int8_t>(-60 + 10 * (i % 8));
  }
  for (const Cmp& c : cmps) {
    const std::string p = std::string(c.name) + "__";
    cases.push_back(
        OpCase(p + "f32_bcast", c.op,
               {Fixed(In(kF32, {2, 3}), fa), Fixed(In(kF32, {3}), fb)},
               In(kBool, {2, 3})));
    cases.push_back(
        OpCase(p + "i32_bcast", c.op,
               {Fixed(In(kI32, {2, 1, 3}), ia), Fixed(In(kI32, {3}), ib)},
               In(kBool, {2, 1, 3})));
    cases.push_back(
        OpCase(p + "i64", c.op, {In(kI64, kA), In(kI64, kB)}, In(kBool, kAB)));
    // 8-bit inputs with different scales compare by real value:
    // a = 0.02 * (q - 100), b = 0.01 * (q - 50).
    cases.push_back(OpCase(p + "u8_scaled", c.op,
                           {Fixed(QIn(kU8, {24}, 0.02f, 100), ua),
                            Fixed(QIn(kU8, {24}, 0.01f, 50), ub)},
                           In(kBool, {24})));
    cases.push_back(OpCase(
        p + "s8_scaled_bcast", c.op,
        {Fixed(QIn(kS8, {3, 8}, 0.01f, -60), sa), QIn(kS8, {8}, 0.02f, -30)},
        In(kBool, {3, 8})));
    if (c.op != tfl::BuiltinOperator_NOT_EQUAL) {
      // TFLite's NOT_EQUAL leaves its output unwritten for raw int16.
      cases.push_back(OpCase(p + "s16", c.op, {In(kS16, {4, 5}), In(kS16, {5})},
                             In(kBool, {4, 5})));
    }
    if (c.equality) {
      cases.push_back(OpCase(p + "bool_bcast", c.op,
                             {In(kBool, kA), In(kBool, kB)}, In(kBool, kAB)));
      cases.push_back(
          OpCase(p + "s16_quant", c.op,
                 {QIn(kS16, {24}, 0.5f, 0), QIn(kS16, {24}, 0.5f, 0)},
                 In(kBool, {24})));
    }
  }
}

// ----------------------------------------------------------- logical/select

void AddLogicalSelectCases(std::vector<ConformanceCase>& cases) {
  for (const bool is_and : {true, false}) {
    const auto op = is_and ? tfl::BuiltinOperator_LOGICAL_AND
                           : tfl::BuiltinOperator_LOGICAL_OR;
    const std::string p = is_and ? "logical_and__" : "logical_or__";
    cases.push_back(OpCase(p + "bcast", op, {In(kBool, kA), In(kBool, kB)},
                           In(kBool, kAB)));
    cases.push_back(OpCase(
        p + "scalar", op,
        {In(kBool, {2, 5}), Const(In(kBool, {}), std::vector<bool>{is_and})},
        In(kBool, {2, 5})));
  }
  const auto logical_not = tfl::BuiltinOperator_LOGICAL_NOT;
  cases.push_back(OpCase("logical_not__rank3", logical_not,
                         {In(kBool, {2, 3, 4})}, In(kBool, {2, 3, 4})));
  cases.push_back(OpCase("logical_not__scalar", logical_not, {In(kBool, {})},
                         In(kBool, {})));
  const auto sel = tfl::BuiltinOperator_SELECT;
  cases.push_back(
      OpCase("select__f32_same", sel,
             {In(kBool, {2, 3, 4}), In(kF32, {2, 3, 4}), In(kF32, {2, 3, 4})},
             In(kF32, {2, 3, 4})));
  cases.push_back(OpCase("select__i32_scalar_cond", sel,
                         {In(kBool, {}), In(kI32, {3, 4}), In(kI32, {3, 4})},
                         In(kI32, {3, 4})));
  cases.push_back(OpCase("select__u8_rank1_cond", sel,
                         {In(kBool, {3}), QIn(kU8, {3, 2, 2}, 0.1f, 10),
                          QIn(kU8, {3, 2, 2}, 0.1f, 10)},
                         QIn(kU8, {3, 2, 2}, 0.1f, 10)));
  cases.push_back(OpCase("select__i64_same", sel,
                         {In(kBool, {7}), In(kI64, {7}), In(kI64, {7})},
                         In(kI64, {7})));
  const auto sel2 = tfl::BuiltinOperator_SELECT_V2;
  cases.push_back(
      OpCase("select_v2__f32_bcast", sel2,
             {In(kBool, {2, 1, 3}), In(kF32, {1, 4, 1}), In(kF32, {1})},
             In(kF32, {2, 4, 3})));
  cases.push_back(OpCase(
      "select_v2__s8_bcast", sel2,
      {In(kBool, {4, 1}), QIn(kS8, {4, 3}, 0.1f, -5), QIn(kS8, {3}, 0.1f, -5)},
      QIn(kS8, {4, 3}, 0.1f, -5)));
  cases.push_back(OpCase("select_v2__s16_rank5", sel2,
                         {In(kBool, {2, 1, 1, 2, 1}), In(kS16, {1, 3, 1, 1, 2}),
                          In(kS16, {2, 1, 2, 1, 1})},
                         In(kS16, {2, 3, 2, 2, 2})));
  cases.push_back(OpCase("select_v2__i32_scalar_cond", sel2,
                         {In(kBool, {}), In(kI32, {2, 3}), In(kI32, {2, 3})},
                         In(kI32, {2, 3})));
  cases.push_back(
      OpCase("select_v2__bool_bcast", sel2,
             {In(kBool, {3, 1}), In(kBool, {1, 4}), In(kBool, {3, 4})},
             In(kBool, {3, 4})));
}

}  // namespace

void AddBinaryCases(std::vector<ConformanceCase>& cases) {
  AddAddSubCases(cases, /*sub=*/false);
  AddAddSubCases(cases, /*sub=*/true);
  AddMulCases(cases);
  AddDivCases(cases);
  AddOtherArithmeticCases(cases);
  AddComparisonCases(cases);
  AddLogicalSelectCases(cases);
}

}  // namespace edgerun::conformance
