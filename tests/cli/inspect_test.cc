// `edgerun inspect`: every model of the golden manifest through
// `inspect --json` (in-process, the same code as the binary), checked against
// the manifest; text output; the partition plan of `--backends`; and error
// handling, in-process and through the real binary (exit code 2, exactly one
// line on stderr, no crash).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "format/tflite_generated.h"
#include "tests/support/cli_runner.h"
#include "tests/support/shared_data.h"
#include "tools/edgerun/command.h"

namespace edgerun::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::RunCli;
using testing::RunResult;

size_t Lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

json LoadManifest() {
  std::ifstream in(testing::GoldenDir() + "/manifest.json");
  return json::parse(in);
}

std::string ModelsDirFromManifest(const json& manifest) {
  return (fs::path(testing::GoldenDir()) /
          manifest.value("models_dir", "../models"))
      .lexically_normal()
      .string();
}

// The manifest's tensor description vs inspect's.
void ExpectTensorMatches(const json& want, const json& got,
                         const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(got["name"], want["name"]);
  EXPECT_EQ(got["shape"], want["shape"]);
  EXPECT_EQ(got["dtype"], want["dtype"]);
  const json& wq = want["quantization"];
  const json& gq = got["quantization"];
  if (wq.is_null()) {
    EXPECT_TRUE(gq.is_null()) << gq.dump();
    return;
  }
  ASSERT_TRUE(gq.is_object()) << "expected quantization " << wq.dump();
  if (wq["scale"].is_array()) {
    ASSERT_TRUE(gq["scale"].is_array()) << gq.dump();
    ASSERT_EQ(gq["scale"].size(), wq["scale"].size());
    for (size_t i = 0; i < wq["scale"].size(); ++i) {
      EXPECT_FLOAT_EQ(gq["scale"][i].get<float>(), wq["scale"][i].get<float>());
    }
    EXPECT_EQ(gq["zero_point"], wq["zero_point"]);
    EXPECT_EQ(gq["quantized_dimension"], wq["quantized_dimension"]);
  } else {
    EXPECT_FLOAT_EQ(gq["scale"].get<float>(), wq["scale"].get<float>());
    EXPECT_EQ(gq["zero_point"], wq["zero_point"]);
    if (wq.contains("quantized_dimension")) {
      EXPECT_EQ(gq.value("quantized_dimension", 0), wq["quantized_dimension"]);
    }
  }
}

TEST(InspectJson, EveryManifestModelMatchesTheManifest) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  const json manifest = LoadManifest();
  const std::string models_dir = ModelsDirFromManifest(manifest);
  ASSERT_TRUE(manifest["models"].is_object());
  size_t checked = 0, with_cases = 0;
  for (const auto& [key, model] : manifest["models"].items()) {
    SCOPED_TRACE(key);
    const std::string path =
        models_dir + "/" + model["file"].get<std::string>();
    for (const char* mode : {"mmap", "read"}) {
      // Both ByteSources must give the same description (bar "source").
      if (std::string(mode) == "read" && checked % 8 != 0) continue;
      const RunResult r = RunCli({"inspect", path, "--json", "--mode", mode});
      ASSERT_EQ(r.code, 0) << r.err;
      EXPECT_TRUE(r.err.empty()) << r.err;
      const json j = json::parse(r.out);
      EXPECT_EQ(j["source"], mode);
      EXPECT_EQ(j["file_bytes"], model["bytes"]);

      // Operator histogram: every "NAME" / "CUSTOM:name" with its count.
      std::map<std::string, size_t> ops;
      for (const json& op : j["operators"]) {
        const std::string name = op["custom"].get<bool>()
                                     ? "CUSTOM:" + op["name"].get<std::string>()
                                     : op["name"].get<std::string>();
        ops[name] = op["count"].get<size_t>();
      }
      std::map<std::string, size_t> want_ops;
      for (const auto& [name, count] : model["ops"].items()) {
        want_ops[name] = count.get<size_t>();
      }
      EXPECT_EQ(ops, want_ops);

      // Inputs and outputs of subgraph 0 against the first case.
      if (!model["cases"].empty()) {
        const json& c = model["cases"].begin().value();
        const json& sg = j["subgraphs"][0];
        ASSERT_EQ(sg["inputs"].size(), c["inputs"].size());
        ASSERT_EQ(sg["outputs"].size(), c["outputs"].size());
        for (size_t i = 0; i < c["inputs"].size(); ++i) {
          ExpectTensorMatches(c["inputs"][i], sg["inputs"][i],
                              "input " + std::to_string(i));
        }
        for (size_t i = 0; i < c["outputs"].size(); ++i) {
          ExpectTensorMatches(c["outputs"][i], sg["outputs"][i],
                              "output " + std::to_string(i));
        }
        if (std::string(mode) == "mmap") ++with_cases;
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, manifest["models"].size());
  EXPECT_GT(with_cases, 70u);
}

TEST(InspectJson, EdgeTpuModelsShowTheirCustomOp) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  for (const char* name : {"mobilenet_v1_0.25_128_quant_edgetpu.tflite",
                           "mobilenet_v2_1.0_224_quant_edgetpu.tflite"}) {
    SCOPED_TRACE(name);
    const RunResult r = RunCli({"inspect", testing::ModelPath(name), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const json j = json::parse(r.out);
    ASSERT_EQ(j["operators"].size(), 1u);
    EXPECT_EQ(j["operators"][0]["name"], "edgetpu-custom-op");
    EXPECT_EQ(j["operators"][0]["custom"], true);
    EXPECT_EQ(j["operators"][0]["builtin_code"], 32);
    EXPECT_EQ(j["operators"][0]["count"], 1);
    // README: uint8 in and out, same shapes as the CPU models.
    const json& sg = j["subgraphs"][0];
    EXPECT_EQ(sg["inputs"][0]["dtype"], "uint8");
    EXPECT_EQ(sg["outputs"][0]["shape"], json({1, 1001}));
    // They carry the classifier metadata and labels too.
    EXPECT_EQ(j["tflite_metadata"]["name"], "ImageClassifier");
    EXPECT_EQ(j["labels"]["file"], "imagenet_labels.txt");
    EXPECT_EQ(j["labels"]["count"], 1001);

    const RunResult text = RunCli({"inspect", testing::ModelPath(name)});
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("edgetpu-custom-op (custom)"), std::string::npos)
        << text.out;
  }
}

TEST(InspectJson, MetadataOfACoralClassifier) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  const RunResult r = RunCli(
      {"inspect", testing::ModelPath("mobilenet_v2_1.0_224_quant.tflite"),
       "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["format"], "edgerun inspect v1");
  const json& m = j["tflite_metadata"];
  ASSERT_TRUE(m.is_object());
  const json& in = m["subgraphs"][0]["inputs"][0];
  EXPECT_EQ(in["content"]["type"], "image");
  EXPECT_EQ(in["content"]["color_space"], "RGB");
  EXPECT_EQ(in["normalization"]["mean"], json({127.5}));
  EXPECT_EQ(in["normalization"]["std"], json({127.5}));
  EXPECT_EQ(in["stats"]["min"], json({0.0}));
  EXPECT_EQ(in["stats"]["max"], json({255.0}));
  const json& out = m["subgraphs"][0]["outputs"][0];
  EXPECT_EQ(out["associated_files"][0]["type"], "TENSOR_AXIS_LABELS");
  ASSERT_EQ(j["associated_files"].size(), 1u);
  EXPECT_EQ(j["associated_files"][0]["name"], "imagenet_labels.txt");
  EXPECT_EQ(j["associated_files"][0]["size"], 21686);
  EXPECT_EQ(j["labels"]["head"][0], "background");
  EXPECT_EQ(j["labels"]["head"].size(), 10u);
  EXPECT_EQ(j["min_runtime_version"], "1.5.0");
  EXPECT_TRUE(j["warnings"].empty()) << j["warnings"].dump();

  // A model without metadata: nulls and empty lists, same keys.
  const RunResult plain = RunCli(
      {"inspect", testing::ModelPath("hello_world_float.tflite"), "--json"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  const json p = json::parse(plain.out);
  EXPECT_TRUE(p["tflite_metadata"].is_null());
  EXPECT_TRUE(p["labels"].is_null());
  EXPECT_TRUE(p["associated_files"].empty());
  EXPECT_EQ(p["subgraphs"][0]["inputs"][0]["shape_signature"], json({-1, 1}));
  std::vector<std::string> keys, plain_keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  for (const auto& [k, v] : p.items()) plain_keys.push_back(k);
  EXPECT_EQ(keys, plain_keys);
}

TEST(InspectText, DescribesAQuantizedClassifier) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  const RunResult r = RunCli(
      {"inspect", testing::ModelPath("mobilenet_v2_1.0_224_quant.tflite")});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* want :
       {"3,610,798 bytes", "memory-mapped", "schema       version 3",
        "uint8[1,224,224,3]  scale 0.0078125 zero_point 128", "CONV_2D",
        "min runtime  1.5.0", "TFLITE_METADATA", "ImageClassifier",
        "normalization mean [127.5] std [127.5]", "value range [0, 255]",
        "imagenet_labels.txt: 1001 labels: \"background\"", "warnings: none"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
}

TEST(InspectText, PerChannelAndDynamicShapesAreCompact) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  const RunResult dyn =
      RunCli({"inspect", testing::ModelPath("hello_world_int8.tflite")});
  ASSERT_EQ(dyn.code, 0) << dyn.err;
  EXPECT_NE(dyn.out.find("int8[-1,1] (static [1,1])"), std::string::npos)
      << dyn.out;
  // person_detect warns about its rank-1 quantized_dimension = 3.
  const RunResult pd =
      RunCli({"inspect", testing::ModelPath("person_detect.tflite")});
  ASSERT_EQ(pd.code, 0) << pd.err;
  EXPECT_EQ(pd.out.find("warnings: none"), std::string::npos) << pd.out;
}

// A one-operator-free model whose input (= output) tensor is int8 with
// per-channel quantization over `channels` channels along axis 1, and a
// TFLITE_METADATA entry holding `metadata` when given.
std::string PerChannelModel(int channels,
                            const std::string* metadata = nullptr) {
  namespace tfl = ::edgerun::tfl;
  flatbuffers::FlatBufferBuilder b;
  std::vector<float> scales;
  std::vector<int64_t> zero_points(channels, 0);
  for (int i = 0; i < channels; ++i) scales.push_back(0.5f * (i + 1));
  const auto q = tfl::CreateQuantizationParametersDirect(
      b, nullptr, nullptr, &scales, &zero_points, tfl::QuantizationDetails_NONE,
      0, 1);
  const std::vector<int32_t> shape = {2, channels};
  const std::vector<flatbuffers::Offset<tfl::Tensor>> tensors = {
      tfl::CreateTensorDirect(b, &shape, tfl::TensorType_INT8, 0, "x", q)};
  const std::vector<int32_t> io = {0};
  const std::vector<flatbuffers::Offset<tfl::SubGraph>> subgraphs = {
      tfl::CreateSubGraphDirect(b, &tensors, &io, &io, nullptr, "main")};
  std::vector<flatbuffers::Offset<tfl::Buffer>> buffers = {
      tfl::CreateBuffer(b)};
  std::vector<flatbuffers::Offset<tfl::Metadata>> entries;
  if (metadata != nullptr) {
    const std::vector<uint8_t> data(metadata->begin(), metadata->end());
    buffers.push_back(tfl::CreateBufferDirect(b, &data));
    entries.push_back(tfl::CreateMetadataDirect(b, "TFLITE_METADATA", 1));
  }
  tfl::FinishModelBuffer(
      b, tfl::CreateModelDirect(b, 3, nullptr, &subgraphs, "per-channel test",
                                &buffers, nullptr, &entries));
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()),
                     b.GetSize());
}

class InspectSynthetic : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgerun_inspect_synthetic_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path dir_;
};

TEST_F(InspectSynthetic, PerChannelQuantizationIsCompact) {
  const std::string few = Write("few.tflite", PerChannelModel(3));
  RunResult r = RunCli({"inspect", few});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("int8[2,3]  per-channel axis 1, 3 channels: scale "
                       "[0.5, 1, 1.5] zero_point 0"),
            std::string::npos)
      << r.out;
  const std::string many = Write("many.tflite", PerChannelModel(64));
  r = RunCli({"inspect", many});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("per-channel axis 1, 64 channels: scale 0.5..32 "
                       "zero_point 0"),
            std::string::npos)
      << r.out;
  r = RunCli({"inspect", many, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json q =
      json::parse(r.out)["subgraphs"][0]["inputs"][0]["quantization"];
  EXPECT_EQ(q["scale"].size(), 64u);
  EXPECT_EQ(q["zero_point"].size(), 64u);
  EXPECT_EQ(q["quantized_dimension"], 1);
}

TEST_F(InspectSynthetic, CorruptMetadataIsAWarningNotAFailure) {
  const std::string junk =
      std::string("\x08\0\0\0M001", 8) + std::string(24, '\xee');
  const std::string path = Write("meta.tflite", PerChannelModel(2, &junk));
  RunResult r = RunCli({"inspect", path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(
      r.out.find("TFLITE_METADATA: DataLoss: TFLITE_METADATA buffer failed "
                 "FlatBuffers verification"),
      std::string::npos)
      << r.out;
  r = RunCli({"inspect", path, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_TRUE(j["tflite_metadata"].is_null());
  ASSERT_EQ(j["warnings"].size(), 1u);
}

// ------------------------------------------------------------------ errors

class InspectErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgerun_inspect_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // Hostile and broken inputs, each with a word its error must contain.
  std::vector<std::pair<std::string, std::string>> BadFiles() {
    std::vector<std::pair<std::string, std::string>> files = {
        {Write("empty.tflite", ""), "DataLoss: file is empty"},
        {Write("short.tflite", "TFL3"), "DataLoss"},
        {Write("text.tflite", "hello, this is not a model at all\n"),
         "not a TensorFlow Lite model"},
        {Write("ident.tflite",
               std::string("\x10\0\0\0TFL3", 8) + std::string(8, '\xff')),
         "DataLoss"},
        {(dir_ / "missing.tflite").string(), "NotFound"},
        {dir_.string(), "not a regular file"},
    };
    if (testing::HaveSharedData()) {
      std::ifstream in(testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite"),
                       std::ios::binary);
      const std::string model((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      files.emplace_back(
          Write("truncated.tflite", model.substr(0, model.size() / 3)),
          "DataLoss: FlatBuffers verification failed");
      std::string corrupt = model;
      for (size_t i = 64; i < 4096; i += 7) corrupt[i] = '\xfe';
      files.emplace_back(Write("corrupt.tflite", corrupt), "DataLoss");
    }
    return files;
  }

  fs::path dir_;
};

TEST_F(InspectErrors, BadFilesExitTwoWithOneLine) {
  for (const auto& [path, want] : BadFiles()) {
    for (const char* flag : {"--json", "--mode=read"}) {
      SCOPED_TRACE(path + " " + flag);
      const RunResult r = RunCli({"inspect", path, flag});
      EXPECT_EQ(r.code, 2);
      EXPECT_TRUE(r.out.empty()) << r.out;
      EXPECT_EQ(Lines(r.err), 1u) << r.err;
      EXPECT_EQ(r.err.rfind("edgerun: inspect: " + path + ": ", 0), 0u)
          << r.err;
      EXPECT_NE(r.err.find(want), std::string::npos) << r.err;
    }
  }
}

TEST_F(InspectErrors, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{},
        {"inspect"},
        {"inspect", "a", "b"},
        {"inspect", "m.tflite", "--mode", "carrier-pigeon"},
        {"inspect", "m.tflite", "--bogus"},
        {"frobnicate"}}) {
    const RunResult r = RunCli(args);
    EXPECT_EQ(r.code, 2) << ::testing::PrintToString(args);
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("edgerun: ", 0), 0u) << r.err;
  }
  const RunResult help = RunCli({"inspect", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--json"), std::string::npos) << help.out;
}

// ------------------------------------------------------ inspect --backends

// Every node of the model appears in exactly one partition of `plan`.
void ExpectEveryNodeOnce(const json& plan, size_t num_nodes) {
  std::vector<int> seen(num_nodes, 0);
  size_t total = 0;
  for (const json& p : plan["partitions"]) {
    EXPECT_EQ(p["nodes"].size(), p["ops"].size());
    for (const json& n : p["nodes"]) {
      const int node = n.get<int>();
      ASSERT_GE(node, 0);
      ASSERT_LT(static_cast<size_t>(node), num_nodes);
      ++seen[node];
      ++total;
    }
  }
  EXPECT_EQ(total, num_nodes);
  for (size_t n = 0; n < num_nodes; ++n) EXPECT_EQ(seen[n], 1) << "node " << n;
}

bool BackendUnavailable(const json& plan, const std::string& backend) {
  for (const json& e : plan["events"]) {
    if (e["backend"] == backend && e["reason"].get<std::string>().find(
                                       "not available") != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(InspectBackends, EdgeTpuCustomOpIsSupportedByNoBackend) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  for (const char* name : {"mobilenet_v1_0.25_128_quant_edgetpu.tflite",
                           "mobilenet_v2_1.0_224_quant_edgetpu.tflite"}) {
    SCOPED_TRACE(name);
    const std::string path = testing::ModelPath(name);
    const RunResult r =
        RunCli({"inspect", path, "--backends", "xnnpack", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(r.err.empty()) << r.err;
    const json plan = json::parse(r.out)["execution_plan"];
    ASSERT_TRUE(plan.is_object()) << r.out;
    EXPECT_EQ(plan["backends"], json({"xnnpack", "cpu"}));
    ASSERT_EQ(plan["partitions"].size(), 1u) << plan.dump(2);
    EXPECT_EQ(plan["partitions"][0]["backend"], "cpu");
    EXPECT_EQ(plan["partitions"][0]["ops"], json({"CUSTOM:edgetpu-custom-op"}));
    EXPECT_EQ(plan["nodes_per_backend"], json({{"cpu", 1}}));
    ASSERT_EQ(plan["fallbacks"].size(), 1u) << plan.dump(2);
    const json& f = plan["fallbacks"][0];
    EXPECT_EQ(f["node"], 0);
    EXPECT_EQ(f["op"], "CUSTOM:edgetpu-custom-op");
    EXPECT_EQ(f["backend"], "cpu");
    EXPECT_EQ(f["unsupported"], true) << f.dump(2);
    ASSERT_EQ(f["refusals"].size(), 2u) << f.dump(2);
    EXPECT_EQ(f["refusals"][0]["backend"], "xnnpack");
    EXPECT_FALSE(f["refusals"][0]["reason"].get<std::string>().empty());
    EXPECT_EQ(f["refusals"][1]["backend"], "cpu");
    EXPECT_EQ(f["refusals"][1]["reason"],
              "no CPU kernel for custom op 'edgetpu-custom-op'");
    EXPECT_TRUE(plan["boundary_tensors"].empty());
    // Allocation cannot succeed; the report says so instead of failing.
    EXPECT_TRUE(plan["allocate_error"].is_string()) << plan.dump(2);

    const RunResult text = RunCli({"inspect", path, "--backends", "xnnpack"});
    ASSERT_EQ(text.code, 0) << text.err;
    for (const char* want :
         {"execution plan (subgraph 0):", "backends     xnnpack > cpu",
          "partitions   1: cpu 1 node in 1 partition",
          "[0] cpu  1 node: CUSTOM:edgetpu-custom-op",
          "1 node not on its first-choice backend",
          "node 0 CUSTOM:edgetpu-custom-op -> cpu  UNSUPPORTED by every "
          "available backend",
          "      xnnpack: ",
          "      cpu: no CPU kernel for custom op 'edgetpu-custom-op'",
          "allocate     failed: "}) {
      EXPECT_NE(text.out.find(want), std::string::npos) << want << "\n"
                                                        << text.out;
    }
  }
}

TEST(InspectBackends, QuantizedClassifierOnXnnpack) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  const std::string path =
      testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite");
  const RunResult r =
      RunCli({"inspect", path, "--backends", "xnnpack,cpu", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  const size_t num_nodes = j["subgraphs"][0]["operators"].get<size_t>();
  const json& plan = j["execution_plan"];
  ASSERT_TRUE(plan.is_object());
  EXPECT_EQ(plan["backends"], json({"xnnpack", "cpu"}));
  EXPECT_EQ(plan["max_delegated_partitions"], 0);
  EXPECT_EQ(plan["min_nodes_per_partition"], 1);
  ExpectEveryNodeOnce(plan, num_nodes);
  EXPECT_TRUE(plan["allocate_error"].is_null()) << plan["allocate_error"];
  size_t counted = 0;
  for (const auto& [backend, n] : plan["nodes_per_backend"].items()) {
    EXPECT_TRUE(backend == "xnnpack" || backend == "cpu") << backend;
    counted += n.get<size_t>();
  }
  EXPECT_EQ(counted, num_nodes);
  // Every node on the CPU says why xnnpack did not take it.
  for (const json& p : plan["partitions"]) {
    if (p["backend"] != "cpu" || BackendUnavailable(plan, "xnnpack")) continue;
    for (const json& n : p["nodes"]) {
      bool listed = false;
      for (const json& f : plan["fallbacks"]) {
        if (f["node"] != n) continue;
        listed = true;
        ASSERT_FALSE(f["refusals"].empty());
        EXPECT_EQ(f["refusals"][0]["backend"], "xnnpack");
      }
      EXPECT_TRUE(listed) << "node " << n;
    }
  }
  // The same plan twice (deterministic).
  const RunResult again =
      RunCli({"inspect", path, "--backends", "xnnpack,cpu", "--json"});
  EXPECT_EQ(json::parse(again.out)["execution_plan"], plan);
}

TEST(InspectBackends, LimitsMoveNodesToTheCpuWithTheirReason) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  const std::string path =
      testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite");
  const RunResult r = RunCli({"inspect", path, "--backends", "xnnpack",
                              "--json", "--min-nodes-per-partition", "100000"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  const json& plan = j["execution_plan"];
  EXPECT_EQ(plan["min_nodes_per_partition"], 100000);
  ASSERT_EQ(plan["partitions"].size(), 1u);
  EXPECT_EQ(plan["partitions"][0]["backend"], "cpu");
  if (BackendUnavailable(plan, "xnnpack")) GTEST_SKIP() << "no xnnpack";
  bool limit_reason = false;
  for (const json& f : plan["fallbacks"]) {
    for (const json& refusal : f["refusals"]) {
      limit_reason |= refusal["reason"].get<std::string>().find(
                          "min_nodes_per_partition") != std::string::npos;
    }
  }
  EXPECT_TRUE(limit_reason) << plan.dump(2);

  const RunResult one = RunCli({"inspect", path, "--backends", "xnnpack",
                                "--json", "--max-delegated-partitions", "1"});
  ASSERT_EQ(one.code, 0) << one.err;
  size_t delegated = 0;
  // Keep the parsed document alive for the loop (a temporary would die
  // before the range is iterated).
  const json one_json = json::parse(one.out);
  for (const json& p : one_json["execution_plan"]["partitions"]) {
    delegated += p["backend"] != "cpu";
  }
  EXPECT_LE(delegated, 1u);
}

TEST(InspectBackends, CpuOnlyAndNoBackends) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  const std::string path = testing::ModelPath("hello_world_float.tflite");
  RunResult r = RunCli({"inspect", path, "--backends", "cpu", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json plan = json::parse(r.out)["execution_plan"];
  EXPECT_EQ(plan["backends"], json({"cpu"}));
  ASSERT_EQ(plan["partitions"].size(), 1u);
  EXPECT_EQ(plan["partitions"][0]["backend"], "cpu");
  EXPECT_TRUE(plan["fallbacks"].empty());
  EXPECT_TRUE(plan["boundary_tensors"].empty());

  // Without --backends the key is there, null, and the text has no plan.
  r = RunCli({"inspect", path, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out)["execution_plan"].is_null());
  r = RunCli({"inspect", path});
  EXPECT_EQ(r.out.find("execution plan"), std::string::npos) << r.out;
}

TEST_F(InspectSynthetic, UnsupportedOpSplitsThePlan) {
  // x -> ADD -> custom op (no backend has it) -> ADD -> y.
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 4});
  const int32_t a = g.AddTensor("a", DataType::kFloat32, {1, 4});
  const int32_t c = g.AddTensor("c", DataType::kFloat32, {1, 4});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 4});
  const auto add = [](flatbuffers::FlatBufferBuilder& fbb) {
    return tfl::CreateAddOptions(fbb);
  };
  g.AddOperator(OpCode::Builtin(tfl::BuiltinOperator_ADD), {x, x}, {a}, add);
  g.AddCustomOperator("NoSuchOp", {a}, {c});
  g.AddOperator(OpCode::Builtin(tfl::BuiltinOperator_ADD), {c, c}, {y}, add);
  StatusOr<std::vector<uint8_t>> bytes = b.Finish();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const std::string path =
      Write("split.tflite", std::string(bytes->begin(), bytes->end()));

  const RunResult r =
      RunCli({"inspect", path, "--backends", "xnnpack", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json plan = json::parse(r.out)["execution_plan"];
  ExpectEveryNodeOnce(plan, 3);
  const json* custom = nullptr;
  for (const json& f : plan["fallbacks"]) {
    if (f["node"] == 1) custom = &f;
  }
  ASSERT_NE(custom, nullptr) << plan.dump(2);
  EXPECT_EQ((*custom)["op"], "CUSTOM:NoSuchOp");
  EXPECT_EQ((*custom)["backend"], "cpu");
  EXPECT_EQ((*custom)["unsupported"], true);
  EXPECT_EQ((*custom)["refusals"].back()["reason"],
            "no CPU kernel for custom op 'NoSuchOp'");
  if (BackendUnavailable(plan, "xnnpack")) GTEST_SKIP() << "no xnnpack";
  // Both ADDs on xnnpack around the CPU node: three partitions, and the
  // tensors between them cross boundaries.
  ASSERT_EQ(plan["partitions"].size(), 3u) << plan.dump(2);
  EXPECT_EQ(plan["partitions"][0]["backend"], "xnnpack");
  EXPECT_EQ(plan["partitions"][1]["backend"], "cpu");
  EXPECT_EQ(plan["partitions"][2]["backend"], "xnnpack");
  EXPECT_EQ(plan["boundary_tensors"], json({a, c}));
  EXPECT_EQ(plan["partitions"][1]["inputs"], json({a}));
  EXPECT_EQ(plan["partitions"][1]["outputs"], json({c}));

  const RunResult text = RunCli({"inspect", path, "--backends", "xnnpack"});
  ASSERT_EQ(text.code, 0) << text.err;
  for (const char* want :
       {"partitions   3: xnnpack 2 nodes in 2 partitions, cpu 1 node in 1 "
        "partition",
        "[1] cpu      1 node: CUSTOM:NoSuchOp",
        "nodes 1; inputs t1; outputs t2", "boundary     2 tensors: t1, t2"}) {
    EXPECT_NE(text.out.find(want), std::string::npos) << want << "\n"
                                                      << text.out;
  }
}

TEST_F(InspectErrors, BackendUsageErrorsExitTwo) {
  const std::string model = "m.tflite";  // parsing fails before opening
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"inspect", model, "--max-delegated-partitions",
                                 "1"},
        {"inspect", model, "--min-nodes-per-partition", "2"},
        {"inspect", model, "--backends", "xnnpack",
         "--max-delegated-partitions", "-1"},
        {"inspect", model, "--backends", "xnnpack", "--min-nodes-per-partition",
         "0"}}) {
    const RunResult r = RunCli(args);
    EXPECT_EQ(r.code, 2) << ::testing::PrintToString(args);
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
  }
  if (!testing::HaveSharedData()) return;
  const std::string path = testing::ModelPath("hello_world_float.tflite");
  for (const char* list : {"nosuch", "xnnpack,,cpu", "XNNPACK", "cpu,cpu"}) {
    SCOPED_TRACE(list);
    const RunResult r = RunCli({"inspect", path, "--backends", list});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("edgerun: inspect: " + path + ": ", 0), 0u) << r.err;
  }
  const RunResult unknown = RunCli({"inspect", path, "--backends", "nosuch"});
  EXPECT_NE(unknown.err.find("unknown backend 'nosuch'"), std::string::npos)
      << unknown.err;
}

#ifdef EDGERUN_CLI_BINARY
// The real binary: exit status, one stderr line, and no signal.
TEST_F(InspectErrors, BinaryNeverCrashes) {
  const std::string binary = EDGERUN_CLI_BINARY;
  if (!fs::exists(binary)) GTEST_SKIP() << "no " << binary;
  const std::string err_path = (dir_ / "stderr.txt").string();
  auto run = [&](const std::string& args, int* status) {
    const std::string cmd =
        "'" + binary + "' " + args + " >/dev/null 2>'" + err_path + "'";
    *status = std::system(cmd.c_str());
    std::ifstream in(err_path);
    return std::string((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  };
  for (const auto& [path, want] : BadFiles()) {
    SCOPED_TRACE(path);
    int status = 0;
    const std::string err = run("inspect '" + path + "'", &status);
    ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal";
    EXPECT_EQ(WEXITSTATUS(status), 2);
    EXPECT_EQ(Lines(err), 1u) << err;
  }
  int status = 0;
  run("", &status);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  if (testing::HaveSharedData()) {
    const std::string err = run(
        "inspect --json '" + testing::ModelPath("split_concat.tflite") + "'",
        &status);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << err;
  }
}
#endif

}  // namespace
}  // namespace edgerun::cli
