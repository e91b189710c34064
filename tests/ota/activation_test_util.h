// Shared by the activation / ManagedModel tests and the activation crash
// helper: real (tiny) model bytes, self-test files, and an Updater-like
// install of a version with its extra files into a ModelStore.
#ifndef EDGERUN_TESTS_OTA_ACTIVATION_TEST_UTIL_H_
#define EDGERUN_TESTS_OTA_ACTIVATION_TEST_UTIL_H_

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "edgerun/io/npy.h"
#include "edgerun/ota/activation.h"
#include "edgerun/ota/crypto.h"
#include "edgerun/ota/model_store.h"
#include "edgerun/session/session.h"

namespace edgerun::ota::testing {

// y = x * mul + add, float32 [1, 4].
inline std::string AffineModelBytes(float mul, float add) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 4});
  const int32_t m =
      g.AddConstTensor<float>("m", {4}, std::vector<float>(4, mul));
  const int32_t a =
      g.AddConstTensor<float>("a", {4}, std::vector<float>(4, add));
  const int32_t t = g.AddTensor("t", DataType::kFloat32, {1, 4});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 4});
  g.AddOperator(tfl::BuiltinOperator_MUL, {x, m}, {t});
  g.AddOperator(tfl::BuiltinOperator_ADD, {t, a}, {y});
  auto bytes = b.Finish();
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : std::string();
}

// out = params[indices]: params uint8 [rows, 4] = (r * 4 + c) * 3 + salt,
// indices int32 [3] (an input: an index >= rows makes Invoke fail).
inline std::string GatherModelBytes(int rows, int salt = 0) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  std::vector<uint8_t> params(rows * 4);
  for (int i = 0; i < rows * 4; ++i)
    params[i] = static_cast<uint8_t>(i * 3 + salt);
  const int32_t p = g.AddConstTensor<uint8_t>("params", {rows, 4}, params);
  const int32_t idx = g.AddInput("indices", DataType::kInt32, {3});
  const int32_t y = g.AddOutput("y", DataType::kUInt8, {3, 4});
  g.AddOperator(tfl::BuiltinOperator_GATHER, {p, idx}, {y},
                [](flatbuffers::FlatBufferBuilder& fbb) {
                  return tfl::CreateGatherOptions(fbb, /*axis=*/0,
                                                  /*batch_dims=*/0);
                });
  auto bytes = b.Finish();
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : std::string();
}

inline session::TensorData Indices(int32_t a, int32_t b, int32_t c) {
  return session::TensorData::From<int32_t>(DataType::kInt32, {3}, {a, b, c});
}

// What the gather model returns for `indices`.
inline std::vector<uint8_t> GatherExpected(const std::vector<int32_t>& indices,
                                           int salt = 0) {
  std::vector<uint8_t> out;
  for (int32_t r : indices) {
    for (int c = 0; c < 4; ++c)
      out.push_back(static_cast<uint8_t>((r * 4 + c) * 3 + salt));
  }
  return out;
}

inline std::string NpyBytes(DataType type, std::vector<int64_t> shape,
                            std::vector<uint8_t> data) {
  NpyArray a;
  a.type = type;
  a.shape = std::move(shape);
  a.data = std::move(data);
  const std::vector<uint8_t> bytes = SerializeNpy(a);
  return std::string(bytes.begin(), bytes.end());
}

// Self-test files for the gather models: indices {0, 1, 2} and what
// `salt` gives for them.
inline std::map<std::string, std::string> GatherSelfTest(int salt = 0) {
  std::vector<uint8_t> idx(12);
  const int32_t values[3] = {0, 1, 2};
  std::memcpy(idx.data(), values, 12);
  return {{SelfTestInputFile(0), NpyBytes(DataType::kInt32, {3}, idx)},
          {SelfTestOutputFile(0),
           NpyBytes(DataType::kUInt8, {3, 4}, GatherExpected({0, 1, 2}, salt))},
          {kSelfTestConfigFile, SelfTestConfigJson(0)}};
}

// Self-test files for an affine model: x = {1, 2, 3, 4} -> `expected`.
inline std::map<std::string, std::string> AffineSelfTest(
    const std::vector<float>& expected, double atol = 0, double rtol = 0) {
  const std::vector<float> x = {1, 2, 3, 4};
  std::vector<uint8_t> in(16), out(16);
  std::memcpy(in.data(), x.data(), 16);
  std::memcpy(out.data(), expected.data(), 16);
  return {{SelfTestInputFile(0), NpyBytes(DataType::kFloat32, {1, 4}, in)},
          {SelfTestOutputFile(0), NpyBytes(DataType::kFloat32, {1, 4}, out)},
          {kSelfTestConfigFile, SelfTestConfigJson(atol, rtol)}};
}

// Stages model.tflite plus `extra` files and commits them (what the Updater
// does); activates (and marks good) when asked.
inline Status InstallModel(ModelStore& store, const std::string& name,
                           int64_t version, const std::string& model,
                           const std::map<std::string, std::string>& extra = {},
                           bool activate = false, bool mark_good = false) {
  std::map<std::string, std::string> files = extra;
  files[kModelFileName] = model;
  ASSIGN_OR_RETURN(Staging staging, store.BeginStaging(name, version));
  std::vector<ExpectedFile> expected;
  for (const auto& [file, bytes] : files) {
    ASSIGN_OR_RETURN(auto out, store.OpenStagedFile(staging, file, false));
    RETURN_IF_ERROR(out->Append(bytes));
    RETURN_IF_ERROR(out->Close());
    expected.push_back({file, Sha256Hex(bytes), bytes.size()});
  }
  RETURN_IF_ERROR(store.CommitStaged(staging, expected, "test"));
  if (activate) RETURN_IF_ERROR(store.Activate(name, version, "install"));
  if (mark_good) RETURN_IF_ERROR(store.MarkGood(name));
  return OkStatus();
}

}  // namespace edgerun::ota::testing

#endif  // EDGERUN_TESTS_OTA_ACTIVATION_TEST_UTIL_H_
