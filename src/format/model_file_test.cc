#include "edgerun/format/model_file.h"
#include <gtest/gtest.h>
TEST(ModelFile, EmptyIsDataLoss) {
  auto m = edgerun::LoadModel(edgerun::ByteSource::FromVector({}));
  EXPECT_EQ(m.status().code(), edgerun::StatusCode::kDataLoss);
}
