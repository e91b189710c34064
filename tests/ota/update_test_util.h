// Shared by the update client's end-to-end and crash tests and the bench:
// loadable models per version (ModelBuilder), and a signed repository in a
// directory built with the publisher library.
#ifndef EDGERUN_TESTS_OTA_UPDATE_TEST_UTIL_H_
#define EDGERUN_TESTS_OTA_UPDATE_TEST_UTIL_H_

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "edgerun/ota/publisher.h"
#include "edgerun/ota/updater.h"
#include "format/tflite_generated.h"

namespace edgerun::ota::testing {

// y = x + c, with c a [1, n] constant filled with `version`: distinct,
// loadable bytes per version; n floats make it ~4n bytes large.
inline std::vector<uint8_t> AdderModel(int64_t version, int32_t n = 4) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, n});
  const int32_t c = g.AddConstTensor<float>(
      "c", {1, n}, std::vector<float>(n, static_cast<float>(version)));
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, n});
  g.AddOperator(tfl::BuiltinOperator_ADD, {x, c}, {y});
  StatusOr<std::vector<uint8_t>> bytes = b.Finish();
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

inline void WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}
inline void WriteFile(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
  WriteFile(p, std::string(bytes.begin(), bytes.end()));
}
inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A repository under `dir`/repo published from `dir`/src.
class TestRepo {
 public:
  TestRepo(std::filesystem::path dir, std::vector<SigningKey> keys, int threshold = 1)
      : dir_(std::move(dir)), keys_(std::move(keys)), threshold_(threshold) {}

  std::string repo() const { return (dir_ / "repo").string(); }
  std::filesystem::path src() const { return dir_ / "src"; }
  const std::vector<SigningKey>& keys() const { return keys_; }

  // Adds <name>@<version> (model of `n` floats; optional target.json text)
  // and publishes.
  StatusOr<PublishResult> Publish(const std::string& name, int64_t version, int32_t n = 4,
                                  const std::string& target_json = "") {
    const auto vdir = src() / name / std::to_string(version);
    WriteFile(vdir / "model.tflite", AdderModel(version, n));
    if (!target_json.empty()) WriteFile(vdir / "target.json", target_json);
    PublishOptions options;
    options.keys = keys_;
    options.threshold = threshold_;
    return ota::Publish(src().string(), repo(), options);
  }
  std::string RootBytes() const { return ReadFile(dir_ / "repo" / "1.root.json"); }

 private:
  std::filesystem::path dir_;
  std::vector<SigningKey> keys_;
  int threshold_;
};

}  // namespace edgerun::ota::testing

#endif  // EDGERUN_TESTS_OTA_UPDATE_TEST_UTIL_H_
