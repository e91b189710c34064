// Tests of the broadcasting helpers (broadcast.h) and the element math of
// the binary ops (binary_arithmetic.h) against naive versions.
#include "kernels/reference/broadcast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/reference/binary_arithmetic.h"

namespace edgerun::kernels::reference {
namespace {

TEST(BroadcastShapes, TfLiteRules) {
  Shape out;
  ASSERT_TRUE(BroadcastShapes(Shape{2, 1, 3}, Shape{1, 4, 1}, &out));
  EXPECT_EQ(out, (Shape{2, 4, 3}));
  ASSERT_TRUE(BroadcastShapes(Shape{}, Shape{5, 2}, &out));
  EXPECT_EQ(out, (Shape{5, 2}));
  ASSERT_TRUE(BroadcastShapes(Shape{0, 3}, Shape{1, 3}, &out));
  EXPECT_EQ(out, (Shape{0, 3}));
  EXPECT_FALSE(BroadcastShapes(Shape{0, 3}, Shape{2, 3}, &out));
  EXPECT_FALSE(BroadcastShapes(Shape{2, 3}, Shape{4}, &out));
  ASSERT_TRUE(BroadcastShapes(Shape{3, 1}, Shape{1, 4}, Shape{1}, &out));
  EXPECT_EQ(out, (Shape{3, 4}));
  EXPECT_FALSE(
      BroadcastShapes(Shape{1, 1, 1, 1, 1, 1, 1, 1, 1}, Shape{1}, &out));
}

// Naive broadcast: index every output element from scratch.
std::vector<int> NaiveAdd(const Shape& sa, const std::vector<int>& a,
                          const Shape& sb, const std::vector<int>& b,
                          const Shape& out) {
  std::vector<int> r(out.NumElements());
  std::vector<int> idx(out.rank(), 0);
  for (int64_t i = 0; i < out.NumElements(); ++i) {
    int64_t rem = i;
    for (int d = out.rank() - 1; d >= 0; --d) {
      idx[d] = static_cast<int>(rem % out.dim(d));
      rem /= out.dim(d);
    }
    auto offset = [&](const Shape& s) {
      int64_t o = 0;
      for (int d = 0; d < s.rank(); ++d) {
        const int od = out.rank() - s.rank() + d;
        o = o * s.dim(d) + (s.dim(d) == 1 ? 0 : idx[od]);
      }
      return o;
    };
    r[i] = a[offset(sa)] * 1000 + b[offset(sb)];
  }
  return r;
}

TEST(BroadcastBinary, MatchesNaiveIndexing) {
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {Shape{2, 1, 3}, Shape{1, 4, 1}},
      {Shape{3, 5}, Shape{}},
      {Shape{}, Shape{2, 2}},
      {Shape{4, 1, 2, 1, 3}, Shape{1, 3, 2, 5, 1}},
      {Shape{1, 1}, Shape{1}},
      {Shape{2, 3, 4}, Shape{2, 3, 4}},
      {Shape{6, 1}, Shape{6}},
      {Shape{2, 1, 4, 1}, Shape{3, 1, 5}},
  };
  for (const auto& [sa, sb] : pairs) {
    Shape out;
    ASSERT_TRUE(BroadcastShapes(sa, sb, &out));
    std::vector<int> a(sa.NumElements()), b(sb.NumElements());
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<int>(i);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<int>(i);
    std::vector<int> got(out.NumElements(), -1);
    const BroadcastPlan<2> plan = MakeBroadcastPlan<2>(out, {&sa, &sb});
    BroadcastBinary(plan, a.data(), b.data(), got.data(),
                    [](int x, int y) { return x * 1000 + y; });
    EXPECT_EQ(got, NaiveAdd(sa, a, sb, b, out))
        << sa.ToString() << " x " << sb.ToString();
  }
}

TEST(BroadcastBinary, EmptyOutputTouchesNothing) {
  const Shape sa{0, 3}, sb{1, 3};
  Shape out;
  ASSERT_TRUE(BroadcastShapes(sa, sb, &out));
  const BroadcastPlan<2> plan = MakeBroadcastPlan<2>(out, {&sa, &sb});
  int calls = 0;
  BroadcastBinary(plan, static_cast<const int*>(nullptr),
                  static_cast<const int*>(nullptr), static_cast<int*>(nullptr),
                  [&](int, int) { return ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(BinaryArithmetic, FloorDivAndModMatchDoubleMath) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> dist(-100000, 100000);
  for (int i = 0; i < 10000; ++i) {
    const int32_t a = dist(rng);
    int32_t b = dist(rng) / 1000;
    if (b == 0) b = 3;
    const double q = std::floor(static_cast<double>(a) / b);
    EXPECT_EQ(FloorDiv(a, b), static_cast<int32_t>(q)) << a << " / " << b;
    EXPECT_EQ(FloorMod(a, b), a - static_cast<int32_t>(q) * b)
        << a << " % " << b;
  }
  EXPECT_EQ(FloorMod(-7.5f, 2.f), 0.5f);
  EXPECT_EQ(FloorMod(7.5f, -2.f), -0.5f);
}

TEST(BinaryArithmetic, IntegerPow) {
  EXPECT_EQ(IntegerPow<int32_t>(3, 4), 81);
  EXPECT_EQ(IntegerPow<int32_t>(-2, 5), -32);
  EXPECT_EQ(IntegerPow<int32_t>(7, 0), 1);
}

TEST(BinaryArithmetic, ReciprocalIsCloseToOneOverX) {
  for (int32_t x : {1, 2, 3, 7, 100, 255, 256, 1000, 65535}) {
    int shift = 0;
    const int32_t inv = GetReciprocal(x, 31, &shift);
    const double value = inv / 2147483648.0 * std::ldexp(1.0, -shift);
    EXPECT_NEAR(value * x, 1.0, 1e-6) << x;
  }
}

TEST(BinaryArithmetic, QuantizedDivIsCloseToRealDivision) {
  QuantizedDivParams p;
  p.input1_offset = -10;
  p.input2_offset = -5;
  p.output_offset = 3;
  p.output = QuantizeMultiplier(0.05 / (0.02 * 0.1));
  p.act_min = -128;
  p.act_max = 127;
  for (int a = -128; a < 128; a += 7) {
    for (int b = -128; b < 128; b += 5) {
      // TFLite's quirk: numerators within 2 of the zero point can need a
      // shift of 32+ bits and come out saturated (see QuantizedDiv).
      if (b == 5 || std::abs(a - 10) <= 2) continue;
      const double real = (0.05 * (a - 10)) / (0.02 * (b - 5));
      const double want =
          std::min(127.0, std::max(-128.0, std::round(real / 0.1) + 3));
      EXPECT_NEAR(QuantizedDiv(a, b, p), want, 1.0) << a << " / " << b;
    }
  }
}

TEST(BinaryArithmetic, XnnAddRoundsHalfUp) {
  // a_scale/out = 0.5, b_scale/out = 0.25: 0.5 * 1 + 0.25 * 2 = 1 exactly,
  // 0.5 * 1 = 0.5 rounds up to 1.
  XnnAddParams p;
  ASSERT_TRUE(MakeXnnAddParams(0.5f, 0, 0.25f, 0, 1.0f, 0, false, &p));
  p.act_min = -128;
  p.act_max = 127;
  EXPECT_EQ(XnnAdd(1, 2, p), 1);
  EXPECT_EQ(XnnAdd(1, 0, p), 1);
  EXPECT_EQ(XnnAdd(-1, 0, p), 0);
  XnnAddParams refused;
  EXPECT_FALSE(
      MakeXnnAddParams(1.0f, 0, 1.0f, 0, 1.0f / 512, 0, false, &refused));
}

}  // namespace
}  // namespace edgerun::kernels::reference
