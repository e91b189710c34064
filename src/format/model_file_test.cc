// LoadModel: header checks, the FlatBuffers verifier, constant placement
// (mapped vs copied), and every shared real model. The semantic checks have
// their own tests in model_verifier_test.cc.
#include "edgerun/format/model_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "edgerun/format/model_summary.h"
#include "format/tflite_generated.h"
#include "tests/support/shared_data.h"
#include "tests/support/status_matchers.h"

namespace edgerun {
namespace {

using ::edgerun::testing::IsOk;
using ::edgerun::testing::StatusIs;
using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using ModelOr = StatusOr<std::shared_ptr<const ModelFile>>;

ModelOr LoadBytes(std::vector<uint8_t> bytes, LoadOptions options = {}) {
  return LoadModel(ByteSource::FromVector(std::move(bytes)), options);
}

auto DataLoss(const std::string& substring) {
  return StatusIs(StatusCode::kDataLoss, HasSubstr(substring));
}

// x (uint8 [4]) and w (float [4]) and s (uint8 [3]) -> ops -> y; small but
// with every kind of table: codes, options, quantization, strings, metadata.
std::vector<uint8_t> SmallModel() {
  ModelBuilder b;
  b.set_description("small");
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 4});
  const int32_t w = g.AddConstTensor<float>("w", {1, 4}, {1, 2, 3, 4});
  const int32_t t = g.AddTensor("t", DataType::kFloat32, {1, 4});
  const int32_t q = g.AddOutput("q", DataType::kInt8, {1, 4},
                                QuantizationSpec::PerTensor(0.5f, 2));
  g.AddOperator(tfl::BuiltinOperator_ADD, {x, w}, {t}, [](auto& fbb) {
    return tfl::CreateAddOptions(fbb, tfl::ActivationFunctionType_RELU);
  });
  g.AddOperator(tfl::BuiltinOperator_QUANTIZE, {t}, {q});
  b.AddSignature({"serving_default", 0, {{"x", 0}}, {{"q", 3}}});
  b.AddMetadata("min_runtime_version", {'1', '.', '0', 0});
  StatusOr<std::vector<uint8_t>> bytes = b.Finish();
  EXPECT_OK(bytes);
  return bytes.ok() ? std::move(bytes).value() : std::vector<uint8_t>();
}

// ------------------------------------------------------------ header checks

TEST(LoadModelHeader, NullSource) {
  EXPECT_THAT(LoadModel(nullptr), StatusIs(StatusCode::kInvalidArgument,
                                           HasSubstr("null ByteSource")));
}

TEST(LoadModelHeader, EmptyFile) {
  EXPECT_THAT(LoadBytes({}), DataLoss("file is empty"));
}

TEST(LoadModelHeader, ShortFile) {
  EXPECT_THAT(LoadBytes({8, 0, 0, 0, 'T', 'F', 'L'}),
              DataLoss("file is 7 bytes, too short for a TFLite model"));
}

TEST(LoadModelHeader, WrongIdentifier) {
  std::vector<uint8_t> bytes = SmallModel();
  std::memcpy(bytes.data() + 4, "ONNX", 4);
  EXPECT_THAT(LoadBytes(bytes),
              DataLoss("not a TensorFlow Lite model: file identifier is "
                       "'ONNX', expected 'TFL3'"));
  bytes[5] = 0x01;  // unprintable bytes are shown as '?'
  EXPECT_THAT(LoadBytes(bytes), DataLoss("file identifier is 'O?NX'"));
}

TEST(LoadModelHeader, RootOffsetPastTheEnd) {
  std::vector<uint8_t> bytes = SmallModel();
  const uint32_t root = static_cast<uint32_t>(bytes.size()) + 100;
  std::memcpy(bytes.data(), &root, 4);
  EXPECT_THAT(LoadBytes(bytes),
              DataLoss("root table offset " + std::to_string(root) +
                       " is outside the file"));
}

TEST(LoadModelHeader, RootOffsetInsideTheHeader) {
  std::vector<uint8_t> bytes = SmallModel();
  const uint32_t root = 4;
  std::memcpy(bytes.data(), &root, 4);
  EXPECT_THAT(LoadBytes(bytes), DataLoss("root table offset 4 is outside"));
}

TEST(LoadModelHeader, RootTableMustFitInTheFile) {
  // The root table starts with a 4-byte offset to its vtable; a root offset
  // in the last 3 bytes leaves no room for it, even for header-only loads.
  std::vector<uint8_t> bytes = SmallModel();
  LoadOptions header_only;
  header_only.verification = Verification::kHeader;
  for (uint32_t back = 1; back <= 3; ++back) {
    const uint32_t root = static_cast<uint32_t>(bytes.size()) - back;
    std::memcpy(bytes.data(), &root, 4);
    EXPECT_THAT(LoadBytes(bytes, header_only), DataLoss("root table offset"))
        << back;
  }
}

TEST(LoadModelHeader, ErrorsFromFilesNameThePath) {
  EXPECT_THAT(LoadModelFromFile("/nonexistent/edgerun/model.tflite"),
              StatusIs(StatusCode::kNotFound,
                       HasSubstr("/nonexistent/edgerun/model.tflite")));
}

// ------------------------------------------------------------ FlatBuffers
// verifier

TEST(LoadModelFlatBuffers, SmallModelLoads) {
  const std::vector<uint8_t> bytes = SmallModel();
  ASSERT_FALSE(bytes.empty());
  ASSERT_OK_AND_ASSIGN(auto model, LoadBytes(bytes));
  EXPECT_EQ(model->verification(), Verification::kFull);
  EXPECT_THAT(model->warnings(), IsEmpty());
}

TEST(LoadModelFlatBuffers, EveryTruncationIsRejected) {
  const std::vector<uint8_t> bytes = SmallModel();
  ASSERT_FALSE(bytes.empty());
  // A FlatBuffer ends with the first object built (here buffer 0's table),
  // which the root reaches, so no proper prefix can verify.
  size_t flatbuffer_failures = 0;
  for (size_t size = 0; size < bytes.size(); ++size) {
    // An exact-size heap copy, so reading past the end is caught by ASan.
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + size);
    const ModelOr model = LoadBytes(std::move(prefix));
    ASSERT_FALSE(model.ok()) << "prefix of " << size << " bytes loaded";
    EXPECT_EQ(model.status().code(), StatusCode::kDataLoss) << size;
    if (model.status().message().find("FlatBuffers verification failed") !=
        std::string::npos) {
      ++flatbuffer_failures;
    }
  }
  // Everything past the header and root offset is the verifier's job.
  EXPECT_GT(flatbuffer_failures, bytes.size() / 2);
}

TEST(LoadModelFlatBuffers, FlippedBytesNeverCrash) {
  const std::vector<uint8_t> bytes = SmallModel();
  ASSERT_FALSE(bytes.empty());
  size_t rejected = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> corrupt = bytes;
      corrupt[i] ^= mask;
      const ModelOr model = LoadBytes(std::move(corrupt));
      if (model.ok()) continue;  // e.g. a changed float or name
      ++rejected;
      EXPECT_THAT(model.status().code(),
                  AnyOf(StatusCode::kDataLoss, StatusCode::kUnimplemented))
          << "byte " << i << ": " << model.status();
    }
  }
  EXPECT_GT(rejected, bytes.size() / 4);
}

TEST(LoadModelFlatBuffers, OffsetPointingOutsideTheBuffer) {
  std::vector<uint8_t> bytes = SmallModel();
  // Find the uoffset field that leads to the subgraphs vector and make it
  // point far past the end.
  const tfl::Model* model = tfl::GetModel(bytes.data());
  const uint8_t* field = reinterpret_cast<const uint8_t*>(model->subgraphs());
  ASSERT_NE(field, nullptr);
  bool patched = false;
  for (size_t at = 8; at + 4 <= bytes.size() && !patched; at += 4) {
    uint32_t value;
    std::memcpy(&value, bytes.data() + at, 4);
    if (bytes.data() + at + value == field) {
      const uint32_t far = 0x7ffffff0;
      std::memcpy(bytes.data() + at, &far, 4);
      patched = true;
    }
  }
  ASSERT_TRUE(patched);
  EXPECT_THAT(LoadBytes(bytes), DataLoss("FlatBuffers verification failed"));
}

TEST(LoadModelFlatBuffers, TableAndDepthLimits) {
  const std::vector<uint8_t> bytes = SmallModel();
  LoadOptions few_tables;
  few_tables.max_tables = 3;
  EXPECT_THAT(LoadBytes(bytes, few_tables),
              DataLoss("nesting/table limits were exceeded"));
  LoadOptions shallow;
  shallow.max_depth = 2;
  EXPECT_THAT(LoadBytes(bytes, shallow), DataLoss("FlatBuffers verification"));
  EXPECT_OK(LoadBytes(bytes));
}

// ------------------------------------------------------------ external buffers

TEST(LoadModelExternal, BufferOutsideTheFileIsRejectedEvenHeaderOnly) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  g.MarkOutput(g.AddConstTensor<float>("w", {4}, {1, 2, 3, 4}, std::nullopt,
                                       BufferPlacement::kExternal));
  b.buffers()[1].raw_offset = uint64_t{1} << 40;
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes,
                       b.Finish(ModelBuilder::Check::kNone));
  EXPECT_THAT(LoadBytes(bytes), DataLoss("buffer 1 points outside the file"));
  LoadOptions header_only;
  header_only.verification = Verification::kHeader;
  EXPECT_THAT(LoadBytes(bytes, header_only),
              DataLoss("buffer 1 points outside the file"));
}

TEST(LoadModelExternal, ExternalBufferTruncatedAway) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  g.MarkOutput(g.AddConstTensor<float>("w", {4}, {1, 2, 3, 4}, std::nullopt,
                                       BufferPlacement::kExternal));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, b.Finish());
  bytes.resize(bytes.size() - 1);
  EXPECT_THAT(LoadBytes(bytes), DataLoss("buffer 1 points outside the file"));
}

// ------------------------------------------------------------ constant
// placement

// Two constants: bytes (uint8, any address will do) and floats (need 4).
struct PlacementModel {
  std::vector<uint8_t> bytes;
  uint32_t u8_buffer = 0;
  uint32_t f32_buffer = 0;
};

PlacementModel BuildPlacementModel(BufferPlacement placement) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  const int32_t u8 = g.AddConstTensor<uint8_t>("u8", {5}, {1, 2, 3, 4, 5},
                                               std::nullopt, placement);
  const int32_t f32 = g.AddConstTensor<float>("f32", {3}, {1.5f, -2.5f, 8.0f},
                                              std::nullopt, placement);
  g.MarkOutput(u8);
  g.MarkOutput(f32);
  PlacementModel m;
  m.u8_buffer = g.tensors()[u8].buffer;
  m.f32_buffer = g.tensors()[f32].buffer;
  StatusOr<std::vector<uint8_t>> bytes = b.Finish();
  EXPECT_OK(bytes);
  if (bytes.ok()) m.bytes = std::move(bytes).value();
  return m;
}

void ExpectFloats(std::span<const uint8_t> data) {
  ASSERT_EQ(data.size(), 12u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data.data()) % alignof(float), 0u);
  const float* f = reinterpret_cast<const float*>(data.data());
  EXPECT_EQ(f[0], 1.5f);
  EXPECT_EQ(f[1], -2.5f);
  EXPECT_EQ(f[2], 8.0f);
}

TEST(LoadModelPlacement, AlignedConstantsAreMappedWithoutCopy) {
  const PlacementModel m = BuildPlacementModel(BufferPlacement::kInline);
  ASSERT_OK_AND_ASSIGN(auto model, LoadBytes(m.bytes));
  const LoadStats& stats = model->stats();
  EXPECT_EQ(stats.source_bytes_copied, 0u);
  EXPECT_EQ(stats.constant_buffers, 2u);
  EXPECT_EQ(stats.constant_bytes_mapped, 5u + 12u);
  EXPECT_EQ(stats.constant_bytes_copied, 0u);
  EXPECT_EQ(stats.buffers_copied, 0u);
  EXPECT_EQ(stats.external_buffers, 0u);
  // In place: the span points into the model's own bytes.
  const std::span<const uint8_t> f32 = model->BufferData(m.f32_buffer);
  EXPECT_GE(f32.data(), model->bytes().data());
  EXPECT_LE(f32.data() + f32.size(),
            model->bytes().data() + model->bytes().size());
  ExpectFloats(f32);
}

TEST(LoadModelPlacement, InlineConstantMisalignedForItsTypeIsCopied) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph();
  const int32_t i64 = g.AddConstTensor<int64_t>(
      "i64", {2}, {int64_t{1} << 40, -2}, std::nullopt,
      BufferPlacement::kInlineMisaligned);
  const int32_t f32 =
      g.AddConstTensor<float>("f32", {3}, {1.5f, -2.5f, 8.0f}, std::nullopt,
                              BufferPlacement::kInlineMisaligned);
  g.MarkOutput(i64);
  g.MarkOutput(f32);
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, b.Finish());
  const tfl::Model& root = *tfl::GetModel(bytes.data());
  for (uint32_t i : {1u, 2u}) {
    const size_t at = root.buffers()->Get(i)->data()->data() - bytes.data();
    EXPECT_EQ(at % 8, 4u) << "buffer " << i;
  }
  ASSERT_OK_AND_ASSIGN(auto model, LoadBytes(bytes));
  const LoadStats& stats = model->stats();
  EXPECT_EQ(stats.constant_buffers, 2u);
  EXPECT_EQ(stats.constant_bytes_mapped, 12u);  // floats: 4-aligned is enough
  EXPECT_EQ(stats.constant_bytes_copied, 16u);  // int64 needs 8
  EXPECT_EQ(stats.buffers_copied, 1u);
  EXPECT_EQ(stats.source_bytes_copied, 0u);
  ExpectFloats(model->BufferData(2));
  const std::span<const uint8_t> data = model->BufferData(1);
  ASSERT_EQ(data.size(), 16u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data.data()) % 8, 0u);
  EXPECT_EQ(reinterpret_cast<const int64_t*>(data.data())[0], int64_t{1} << 40);
  EXPECT_EQ(reinterpret_cast<const int64_t*>(data.data())[1], -2);
  // The summary reports the same counts.
  EXPECT_EQ(SummarizeModel(*model).load_stats.buffers_copied, 1u);
}

TEST(LoadModelPlacement, BytesAtAnOddAddressAreCopiedOnceAsAWhole) {
  // FlatBuffers tables cannot be read in place at an odd address, so the
  // loader copies the file once; the constants are then aligned in the copy.
  const PlacementModel m = BuildPlacementModel(BufferPlacement::kInline);
  std::vector<uint8_t> storage(m.bytes.size() + 1);
  std::memcpy(storage.data() + 1, m.bytes.data(), m.bytes.size());
  const std::span<const uint8_t> odd(storage.data() + 1, m.bytes.size());
  ASSERT_OK_AND_ASSIGN(auto model,
                       LoadModel(ByteSource::FromBuffer(odd, "odd")));
  const LoadStats& stats = model->stats();
  EXPECT_EQ(stats.source_bytes_copied, m.bytes.size());
  EXPECT_EQ(stats.constant_buffers, 2u);
  EXPECT_EQ(stats.constant_bytes_mapped, 17u);
  EXPECT_EQ(stats.constant_bytes_copied, 0u);
  EXPECT_EQ(model->source().name(), "odd");
  EXPECT_NE(model->bytes().data(), odd.data());
  ExpectFloats(model->BufferData(m.f32_buffer));
}

TEST(LoadModelPlacement, AlignedCallerBufferIsUsedInPlace) {
  const PlacementModel m = BuildPlacementModel(BufferPlacement::kInline);
  ASSERT_OK_AND_ASSIGN(auto model, LoadModel(ByteSource::FromBuffer(m.bytes)));
  EXPECT_EQ(model->stats().source_bytes_copied, 0u);
  EXPECT_EQ(model->bytes().data(), m.bytes.data());
  EXPECT_EQ(model->source().kind(), ByteSource::Kind::kCallerBuffer);
}

TEST(LoadModelPlacement, MisalignedExternalConstantIsCopiedFromAMappedFile) {
  const PlacementModel m =
      BuildPlacementModel(BufferPlacement::kExternalMisaligned);
  const std::string path = ::testing::TempDir() + "edgerun_misaligned_" +
                           std::to_string(::getpid()) + ".tflite";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(m.bytes.data(), 1, m.bytes.size(), f),
              m.bytes.size());
    std::fclose(f);
  }
  ASSERT_OK_AND_ASSIGN(auto model, LoadModelFromFile(path));
  std::filesystem::remove(path);
  EXPECT_EQ(model->source().kind(), ByteSource::Kind::kMapped);
  const LoadStats& stats = model->stats();
  EXPECT_EQ(stats.external_buffers, 2u);
  EXPECT_EQ(stats.constant_bytes_mapped, 5u);
  EXPECT_EQ(stats.constant_bytes_copied, 12u);
  EXPECT_EQ(stats.buffers_copied, 1u);
  ExpectFloats(model->BufferData(m.f32_buffer));
  const std::span<const uint8_t> u8 = model->BufferData(m.u8_buffer);
  ASSERT_EQ(u8.size(), 5u);
  EXPECT_EQ(u8[4], 5);
}

TEST(LoadModelPlacement, AlignedExternalConstantsAreMapped) {
  const PlacementModel m = BuildPlacementModel(BufferPlacement::kExternal);
  ASSERT_OK_AND_ASSIGN(auto model, LoadBytes(m.bytes));
  EXPECT_EQ(model->stats().external_buffers, 2u);
  EXPECT_EQ(model->stats().buffers_copied, 0u);
  EXPECT_EQ(model->stats().constant_bytes_mapped, 17u);
  ExpectFloats(model->BufferData(m.f32_buffer));
  EXPECT_TRUE(model->BufferData(99).empty());
}

// ------------------------------------------------------------ shared models

std::vector<std::filesystem::path> SharedModels() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           edgerun::testing::ModelsDir())) {
    if (entry.is_regular_file() && entry.path().extension() == ".tflite") {
      paths.push_back(entry.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST(SharedModels, EveryModelLoadsWithFullVerification) {
  if (!std::filesystem::is_directory(edgerun::testing::ModelsDir())) {
    GTEST_SKIP() << "no shared models at " << edgerun::testing::ModelsDir();
  }
  const std::vector<std::filesystem::path> paths = SharedModels();
  ASSERT_FALSE(paths.empty());
  for (const std::filesystem::path& path : paths) {
    SCOPED_TRACE(path.string());
    const ModelOr mapped = LoadModelFromFile(path.string());
    ASSERT_OK(mapped);
    const ModelSummary summary = SummarizeModel(**mapped);
    EXPECT_FALSE(summary.subgraphs.empty());
    EXPECT_EQ(summary.file_bytes, std::filesystem::file_size(path));
    EXPECT_EQ((*mapped)->verification(), Verification::kFull);
  }
}

TEST(SharedModels, PersonDetectLoadsWithQuantizedDimensionWarnings) {
  const std::string path = edgerun::testing::ModelPath("person_detect.tflite");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path;
  ASSERT_OK_AND_ASSIGN(auto model, LoadModelFromFile(path));
  EXPECT_THAT(model->warnings(),
              Contains(HasSubstr("quantized_dimension 3 is out of range for "
                                 "rank 1; treated as 0")));
  for (const std::string& warning : model->warnings()) {
    EXPECT_THAT(warning, HasSubstr("quantized_dimension"));
  }
}

TEST(SharedModels, ReadAndMappedLoadsAgree) {
  const std::string path =
      edgerun::testing::ModelPath("hello_world_int8.tflite");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path;
  ASSERT_OK_AND_ASSIGN(auto mapped, LoadModelFromFile(path));
  ASSERT_OK_AND_ASSIGN(auto read,
                       LoadModelFromFile(path, {}, FileReadMode::kReadWhole));
  const ModelSummary a = SummarizeModel(*mapped);
  const ModelSummary b = SummarizeModel(*read);
  EXPECT_EQ(a.tensor_count, b.tensor_count);
  EXPECT_EQ(a.operators.size(), b.operators.size());
  EXPECT_EQ(a.load_stats.constant_bytes_mapped,
            b.load_stats.constant_bytes_mapped);
  ASSERT_EQ(a.subgraphs.size(), 1u);
  ASSERT_EQ(a.subgraphs[0].inputs.size(), 1u);
  EXPECT_EQ(a.subgraphs[0].inputs[0].shape_signature[0], -1);
}

}  // namespace
}  // namespace edgerun
