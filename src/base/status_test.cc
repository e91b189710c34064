#include "edgerun/base/status.h"

#include <gtest/gtest.h>

#include <memory>

namespace edgerun {
namespace {

StatusOr<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgumentError("odd: " + std::to_string(v));
  return v / 2;
}

Status UseHalf(int v, int* out) {
  ASSIGN_OR_RETURN(*out, Half(v));
  RETURN_IF_ERROR(*out > 10 ? OutOfRangeError("too big") : OkStatus());
  return OkStatus();
}

TEST(Status, OkAndErrors) {
  EXPECT_TRUE(OkStatus().ok());
  EXPECT_EQ(OkStatus().ToString(), "OK");
  const Status s = DataLossError("bad byte");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.ToString(), "DataLoss: bad byte");
  EXPECT_EQ(s.WithContext("file.tflite").message(), "file.tflite: bad byte");
  EXPECT_TRUE(OkStatus().WithContext("x").ok());
}

TEST(StatusOr, ValueAndErrorPropagate) {
  int out = 0;
  EXPECT_TRUE(UseHalf(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_EQ(UseHalf(7, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UseHalf(40, &out).code(), StatusCode::kOutOfRange);
}

TEST(StatusOr, MoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> p = std::make_unique<int>(3);
  ASSERT_TRUE(p.ok());
  std::unique_ptr<int> v = std::move(p).value();
  EXPECT_EQ(*v, 3);
}

}  // namespace
}  // namespace edgerun
