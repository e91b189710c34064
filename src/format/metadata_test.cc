#include "edgerun/format/metadata.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "edgerun/format/model_summary.h"
#include "format/metadata_generated.h"
#include "format/tflite_generated.h"
#include "format/zip_test_util.h"
#include "tests/support/shared_data.h"

namespace edgerun {
namespace {

namespace meta = tflmeta;
using format_internal::ziptest::BuildZip;
using format_internal::ziptest::TestMember;

// ------------------------------------------------------------ builders

// A metadata FlatBuffer like the TFLite metadata tools write for an image
// classifier, with a few more fields set.
std::vector<uint8_t> ClassifierMetadata(const std::string& labels_file) {
  flatbuffers::FlatBufferBuilder b;
  const std::vector<float> mean = {127.5f, 127.0f, 126.5f};
  const std::vector<float> stddev = {128.0f};
  const auto norm = meta::CreateNormalizationOptionsDirect(b, &mean, &stddev);
  const std::vector<flatbuffers::Offset<meta::ProcessUnit>> input_units = {
      meta::CreateProcessUnit(b, meta::ProcessUnitOptions_NormalizationOptions,
                              norm.Union())};
  const auto image = meta::CreateImageProperties(
      b, meta::ColorSpaceType_RGB, meta::CreateImageSize(b, 224, 192));
  const auto input_content = meta::CreateContent(
      b, meta::ContentProperties_ImageProperties, image.Union());
  const std::vector<float> in_min = {0}, in_max = {255};
  const auto input_stats = meta::CreateStatsDirect(b, &in_max, &in_min);
  const std::vector<flatbuffers::Offset<flatbuffers::String>> dims = {
      b.CreateString("batch"), b.CreateString("height"),
      b.CreateString("width"), b.CreateString("channels")};
  const auto input = meta::CreateTensorMetadataDirect(
      b, "image", "Input image.", &dims, input_content, &input_units,
      input_stats, nullptr);

  const auto threshold = meta::CreateScoreThresholdingOptions(b, 0.25f);
  const auto calibration = meta::CreateScoreCalibrationOptions(
      b, meta::ScoreTransformationType_LOG, 0.5f);
  const std::vector<flatbuffers::Offset<meta::ProcessUnit>> output_units = {
      meta::CreateProcessUnit(b,
                              meta::ProcessUnitOptions_ScoreCalibrationOptions,
                              calibration.Union()),
      meta::CreateProcessUnit(b,
                              meta::ProcessUnitOptions_ScoreThresholdingOptions,
                              threshold.Union())};
  const auto feature = meta::CreateFeatureProperties(b);
  const auto output_content =
      meta::CreateContent(b, meta::ContentProperties_FeatureProperties,
                          feature.Union(), meta::CreateValueRange(b, 1, 1));
  const std::vector<flatbuffers::Offset<meta::AssociatedFile>> output_files = {
      meta::CreateAssociatedFileDirect(b, "readme.txt", "About",
                                       meta::AssociatedFileType_DESCRIPTIONS),
      meta::CreateAssociatedFileDirect(
          b, labels_file.c_str(), "Labels",
          meta::AssociatedFileType_TENSOR_AXIS_LABELS, "en", "2"),
      meta::CreateAssociatedFileDirect(
          b, "labels_fr.txt", "Etiquettes",
          meta::AssociatedFileType_TENSOR_AXIS_LABELS, "fr")};
  const auto output = meta::CreateTensorMetadataDirect(
      b, "probability", "Scores.", nullptr, output_content, &output_units, 0,
      &output_files);

  const std::vector<flatbuffers::Offset<meta::TensorMetadata>> inputs = {input};
  const std::vector<flatbuffers::Offset<meta::TensorMetadata>> outputs = {
      output};
  const std::vector<flatbuffers::Offset<flatbuffers::String>> group_names = {
      b.CreateString("probability")};
  const std::vector<flatbuffers::Offset<meta::TensorGroup>> groups = {
      meta::CreateTensorGroupDirect(b, "result", &group_names)};
  const std::vector<uint8_t> custom_bytes(40, 7);
  const std::vector<flatbuffers::Offset<meta::CustomMetadata>> custom = {
      meta::CreateCustomMetadataDirect(b, "vendor", &custom_bytes)};
  const std::vector<flatbuffers::Offset<meta::SubGraphMetadata>> subgraphs = {
      meta::CreateSubGraphMetadataDirect(b, "main", "The graph.", &inputs,
                                         &outputs, nullptr, nullptr, nullptr,
                                         nullptr, &groups, &custom)};
  const std::vector<flatbuffers::Offset<meta::AssociatedFile>> model_files = {
      meta::CreateAssociatedFileDirect(b, "LICENSE", "Licence text",
                                       meta::AssociatedFileType_DESCRIPTIONS)};
  const auto root = meta::CreateModelMetadataDirect(
      b, "TestClassifier", "Classifies test images.", "v7", &subgraphs,
      "edgerun tests", "Apache-2.0", &model_files, "1.5.0");
  meta::FinishModelMetadataBuffer(b, root);
  return std::vector<uint8_t>(b.GetBufferPointer(),
                              b.GetBufferPointer() + b.GetSize());
}

// A one-tensor TFLite model (input = output, no operators) whose buffer 1
// holds `metadata` under the entry name `entry`, when metadata is given.
std::vector<uint8_t> TinyModel(const std::vector<uint8_t>* metadata,
                               const char* entry = "TFLITE_METADATA") {
  flatbuffers::FlatBufferBuilder b;
  const std::vector<int32_t> shape = {1, 3};
  const std::vector<flatbuffers::Offset<tfl::Tensor>> tensors = {
      tfl::CreateTensorDirect(b, &shape, tfl::TensorType_FLOAT32, 0, "x")};
  const std::vector<int32_t> io = {0};
  const std::vector<flatbuffers::Offset<tfl::SubGraph>> subgraphs = {
      tfl::CreateSubGraphDirect(b, &tensors, &io, &io, nullptr, "main")};
  std::vector<flatbuffers::Offset<tfl::Buffer>> buffers = {
      tfl::CreateBuffer(b)};
  std::vector<flatbuffers::Offset<tfl::Metadata>> entries;
  if (metadata != nullptr) {
    buffers.push_back(tfl::CreateBufferDirect(b, metadata));
    entries.push_back(tfl::CreateMetadataDirect(b, entry, 1));
  }
  const auto model =
      tfl::CreateModelDirect(b, 3, nullptr, &subgraphs, "tiny", &buffers,
                             nullptr, metadata != nullptr ? &entries : nullptr);
  tfl::FinishModelBuffer(b, model);
  return std::vector<uint8_t>(b.GetBufferPointer(),
                              b.GetBufferPointer() + b.GetSize());
}

std::shared_ptr<const ModelFile> Load(std::vector<uint8_t> bytes) {
  StatusOr<std::shared_ptr<const ModelFile>> m =
      LoadModel(ByteSource::FromVector(std::move(bytes), "test.tflite"));
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : nullptr;
}

// TinyModel with the classifier metadata and an archive of its files.
std::vector<uint8_t> TinyClassifier(const std::string& labels) {
  const std::vector<uint8_t> metadata = ClassifierMetadata("labels.txt");
  std::vector<uint8_t> file = TinyModel(&metadata);
  const std::vector<uint8_t> zip =
      BuildZip({{"labels.txt", labels, format_internal::ZipReader::kDeflate},
                {"labels_fr.txt", "chat\nchien\noiseau\n"},
                {"readme.txt", "hello"}},
               static_cast<uint32_t>(file.size()));
  file.insert(file.end(), zip.begin(), zip.end());
  return file;
}

std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

// ------------------------------------------------------ synthetic models

TEST(Metadata, ReadsEveryFieldOfAClassifier) {
  const std::vector<uint8_t> bytes = ClassifierMetadata("labels.txt");
  auto model = Load(TinyModel(&bytes));
  ASSERT_NE(model, nullptr);
  StatusOr<ModelMetadataInfo> info = ReadModelMetadata(*model);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->present);
  EXPECT_EQ(info->buffer, 1u);
  EXPECT_EQ(info->bytes, bytes.size());
  EXPECT_EQ(info->name, "TestClassifier");
  EXPECT_EQ(info->description, "Classifies test images.");
  EXPECT_EQ(info->version, "v7");
  EXPECT_EQ(info->author, "edgerun tests");
  EXPECT_EQ(info->license, "Apache-2.0");
  EXPECT_EQ(info->min_parser_version, "1.5.0");
  ASSERT_EQ(info->associated_files.size(), 1u);
  EXPECT_EQ(info->associated_files[0].name, "LICENSE");
  EXPECT_TRUE(info->warnings.empty());

  ASSERT_EQ(info->subgraphs.size(), 1u);
  const SubgraphMetadataInfo& g = info->subgraphs[0];
  EXPECT_EQ(g.name, "main");
  ASSERT_EQ(g.output_tensor_groups.size(), 1u);
  EXPECT_EQ(g.output_tensor_groups[0].name, "result");
  EXPECT_EQ(g.output_tensor_groups[0].tensor_names,
            std::vector<std::string>{"probability"});
  ASSERT_EQ(g.custom_metadata.size(), 1u);
  EXPECT_EQ(g.custom_metadata[0].first, "vendor");
  EXPECT_EQ(g.custom_metadata[0].second, 40u);

  ASSERT_EQ(g.inputs.size(), 1u);
  const TensorMetadataInfo& in = g.inputs[0];
  EXPECT_EQ(in.name, "image");
  EXPECT_EQ(in.content, ContentType::kImage);
  EXPECT_EQ(in.color_space, "RGB");
  EXPECT_EQ(in.default_width, 224u);
  EXPECT_EQ(in.default_height, 192u);
  EXPECT_EQ(in.dimension_names.size(), 4u);
  EXPECT_EQ(in.process_units, std::vector<std::string>{"normalization"});
  ASSERT_TRUE(in.normalization.has_value());
  EXPECT_EQ(in.normalization->mean,
            (std::vector<float>{127.5f, 127.0f, 126.5f}));
  EXPECT_EQ(in.normalization->std, std::vector<float>{128.0f});
  ASSERT_TRUE(in.stats.has_value());
  EXPECT_EQ(in.stats->min, std::vector<float>{0});
  EXPECT_EQ(in.stats->max, std::vector<float>{255});
  EXPECT_FALSE(in.content_range.has_value());

  ASSERT_EQ(g.outputs.size(), 1u);
  const TensorMetadataInfo& out = g.outputs[0];
  EXPECT_EQ(out.content, ContentType::kFeature);
  ASSERT_TRUE(out.content_range.has_value());
  EXPECT_EQ(*out.content_range, std::make_pair(1, 1));
  EXPECT_EQ(out.process_units, (std::vector<std::string>{
                                   "score_calibration", "score_thresholding"}));
  ASSERT_TRUE(out.score_calibration.has_value());
  EXPECT_EQ(out.score_calibration->transformation, "LOG");
  EXPECT_EQ(out.score_calibration->default_score, 0.5f);
  ASSERT_TRUE(out.score_threshold.has_value());
  EXPECT_EQ(*out.score_threshold, 0.25f);
  EXPECT_FALSE(out.normalization.has_value());
  ASSERT_EQ(out.associated_files.size(), 3u);
  EXPECT_EQ(out.associated_files[1].name, "labels.txt");
  EXPECT_EQ(out.associated_files[1].type,
            AssociatedFileType::kTensorAxisLabels);
  EXPECT_EQ(out.associated_files[1].locale, "en");
  EXPECT_EQ(out.associated_files[1].version, "2");
  EXPECT_EQ(AssociatedFileTypeName(out.associated_files[0].type),
            "DESCRIPTIONS");
}

TEST(Metadata, ListsAndReadsAssociatedFiles) {
  auto model = Load(TinyClassifier("cat\ndog\r\nbird\n"));
  ASSERT_NE(model, nullptr);
  StatusOr<std::vector<ArchiveFileInfo>> files = ListAssociatedFiles(*model);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].name, "labels.txt");
  EXPECT_EQ((*files)[0].method, "deflate");
  EXPECT_EQ((*files)[0].size, 14u);
  EXPECT_EQ((*files)[2].name, "readme.txt");
  EXPECT_EQ((*files)[2].method, "stored");

  StatusOr<std::vector<uint8_t>> readme =
      ReadAssociatedFile(*model, "readme.txt");
  ASSERT_TRUE(readme.ok()) << readme.status();
  EXPECT_EQ(std::string(readme->begin(), readme->end()), "hello");
  EXPECT_EQ(ReadAssociatedFile(*model, "nope.txt").status().code(),
            StatusCode::kNotFound);

  // The first TENSOR_AXIS_LABELS file wins over the French one.
  StatusOr<std::vector<std::string>> labels = ReadLabels(*model);
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(*labels, (std::vector<std::string>{"cat", "dog", "bird"}));
  StatusOr<LabelsInfo> info = ReadOutputLabels(*model, 0);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->file, "labels.txt");
  // No such output: empty, not an error.
  StatusOr<LabelsInfo> none = ReadOutputLabels(*model, 5);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->file.empty());
}

TEST(Metadata, ReadAssociatedFileHonoursTheSizeCap) {
  auto model = Load(TinyClassifier(std::string(100000, 'a')));
  ASSERT_NE(model, nullptr);
  MetadataOptions options;
  options.max_file_bytes = 1000;
  EXPECT_EQ(ReadAssociatedFile(*model, "labels.txt", options).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(ReadLabels(*model, options).status().code(),
            StatusCode::kResourceExhausted);
}

TEST(Metadata, ModelWithoutMetadataIsEmptyNotAnError) {
  auto model = Load(TinyModel(nullptr));
  ASSERT_NE(model, nullptr);
  StatusOr<ModelMetadataInfo> info = ReadModelMetadata(*model);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_FALSE(info->present);
  StatusOr<std::vector<ArchiveFileInfo>> files = ListAssociatedFiles(*model);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->empty());
  StatusOr<std::vector<std::string>> labels = ReadLabels(*model);
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_TRUE(labels->empty());
  EXPECT_EQ(ReadAssociatedFile(*model, "labels.txt").status().code(),
            StatusCode::kNotFound);

  // Other metadata entries are not TFLITE_METADATA.
  const std::vector<uint8_t> version = {'1', '.', '5', '.', '0', 0};
  auto other = Load(TinyModel(&version, "min_runtime_version"));
  ASSERT_NE(other, nullptr);
  info = ReadModelMetadata(*other);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_FALSE(info->present);
}

TEST(Metadata, LabelFileMissingFromTheArchiveIsAnError) {
  const std::vector<uint8_t> bytes = ClassifierMetadata("labels.txt");
  auto model = Load(TinyModel(&bytes));  // no archive appended
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(ReadLabels(*model).status().code(), StatusCode::kNotFound);
  const ModelSummary s = SummarizeModel(*model);
  EXPECT_TRUE(s.tflite_metadata.present);
  EXPECT_FALSE(s.labels.has_value());
  ASSERT_FALSE(s.warnings.empty());
  EXPECT_NE(s.warnings.back().find("labels.txt"), std::string::npos)
      << s.warnings.back();
}

TEST(Metadata, CorruptMetadataBuffersAreDataLoss) {
  const std::vector<uint8_t> good = ClassifierMetadata("labels.txt");
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
  };
  std::vector<Case> cases;
  {
    std::vector<uint8_t> b = good;
    b[4] = 'X';  // identifier "X001"
    cases.push_back({"bad identifier", b});
  }
  {
    std::vector<uint8_t> b = good;
    b[0] = 0xf0;  // root offset far out
    b[1] = 0xff;
    cases.push_back({"root offset out of range", b});
  }
  cases.push_back(
      {"truncated",
       std::vector<uint8_t>(good.begin(), good.begin() + good.size() / 2)});
  cases.push_back(
      {"too short", std::vector<uint8_t>(good.begin(), good.begin() + 6)});
  {
    std::vector<uint8_t> b(64, 0xee);
    std::memcpy(b.data() + 4, "M001", 4);
    cases.push_back({"garbage with the identifier", b});
  }
  for (const Case& c : cases) {
    StatusOr<ModelMetadataInfo> parsed = ParseModelMetadata(c.bytes);
    EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss) << c.what;
    auto model = Load(TinyModel(&c.bytes));
    ASSERT_NE(model, nullptr) << c.what;
    StatusOr<ModelMetadataInfo> info = ReadModelMetadata(*model);
    EXPECT_EQ(info.status().code(), StatusCode::kDataLoss) << c.what;
    EXPECT_NE(info.status().message().find("TFLITE_METADATA"),
              std::string::npos)
        << info.status();
    // A summary reports it as a warning and goes on.
    const ModelSummary s = SummarizeModel(*model);
    EXPECT_FALSE(s.tflite_metadata.present);
    ASSERT_EQ(s.warnings.size(), 1u) << c.what;
    EXPECT_EQ(s.warnings[0].rfind("TFLITE_METADATA: DataLoss:", 0), 0u)
        << s.warnings[0];
    EXPECT_NE(ModelSummaryToJson(s).find("TFLITE_METADATA: DataLoss"),
              std::string::npos);
  }
  // An empty buffer.
  const std::vector<uint8_t> empty;
  auto model = Load(TinyModel(&empty));
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(ReadModelMetadata(*model).status().code(), StatusCode::kDataLoss);
}

TEST(Metadata, ByteMutationsNeverCrash) {
  const std::vector<uint8_t> good = ClassifierMetadata("labels.txt");
  size_t rejected = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t v : {uint8_t{0}, uint8_t{0xff}, uint8_t{0x7f},
                      static_cast<uint8_t>(good[i] + 1)}) {
      std::vector<uint8_t> b = good;
      b[i] = v;
      StatusOr<ModelMetadataInfo> parsed = ParseModelMetadata(b);
      if (!parsed.ok()) {
        EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss);
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 0u);
}

TEST(Metadata, TightVerifierLimitsAreDataLoss) {
  const std::vector<uint8_t> good = ClassifierMetadata("labels.txt");
  MetadataOptions options;
  options.max_tables = 3;
  EXPECT_EQ(ParseModelMetadata(good, options).status().code(),
            StatusCode::kDataLoss);
  options = MetadataOptions();
  options.max_depth = 2;
  EXPECT_EQ(ParseModelMetadata(good, options).status().code(),
            StatusCode::kDataLoss);
}

TEST(Metadata, ParsesFromAMisalignedAddress) {
  const std::vector<uint8_t> good = ClassifierMetadata("labels.txt");
  std::vector<uint8_t> shifted(good.size() + 1);
  std::memcpy(shifted.data() + 1, good.data(), good.size());
  StatusOr<ModelMetadataInfo> parsed =
      ParseModelMetadata(std::span<const uint8_t>(shifted).subspan(1));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->name, "TestClassifier");
}

TEST(Metadata, UnknownUnionMembersFromNewerWritersAreTolerated) {
  flatbuffers::FlatBufferBuilder b;
  const auto feature = meta::CreateFeatureProperties(b);
  const auto content = meta::CreateContent(
      b, static_cast<meta::ContentProperties>(9), feature.Union());
  const std::vector<flatbuffers::Offset<meta::ProcessUnit>> units = {
      meta::CreateProcessUnit(b, static_cast<meta::ProcessUnitOptions>(12),
                              feature.Union())};
  const std::vector<flatbuffers::Offset<meta::AssociatedFile>> files = {
      meta::CreateAssociatedFileDirect(
          b, "index.bin", nullptr, static_cast<meta::AssociatedFileType>(42))};
  const std::vector<flatbuffers::Offset<meta::TensorMetadata>> tensors = {
      meta::CreateTensorMetadataDirect(b, "x", nullptr, nullptr, content,
                                       &units, 0, &files)};
  const std::vector<flatbuffers::Offset<meta::SubGraphMetadata>> subgraphs = {
      meta::CreateSubGraphMetadataDirect(b, nullptr, nullptr, &tensors)};
  meta::FinishModelMetadataBuffer(
      b, meta::CreateModelMetadataDirect(b, "future", nullptr, nullptr,
                                         &subgraphs));
  const std::span<const uint8_t> bytes(b.GetBufferPointer(), b.GetSize());
  StatusOr<ModelMetadataInfo> parsed = ParseModelMetadata(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const TensorMetadataInfo& t = parsed->subgraphs[0].inputs[0];
  EXPECT_EQ(t.content, ContentType::kUnknown);
  EXPECT_EQ(t.process_units, std::vector<std::string>{"unknown"});
  EXPECT_EQ(AssociatedFileTypeName(t.associated_files[0].type), "TYPE_42");
}

TEST(Metadata, SplitLabels) {
  auto split = [](const std::string& s) {
    return SplitLabels(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  EXPECT_TRUE(split("").empty());
  EXPECT_EQ(split("a"), std::vector<std::string>{"a"});
  EXPECT_EQ(split("a\n"), std::vector<std::string>{"a"});
  EXPECT_EQ(split("a\r\nb"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split("a\n\nc\n"), (std::vector<std::string>{"a", "", "c"}));
}

TEST(Metadata, SummaryCarriesMetadataFilesAndLabels) {
  auto model = Load(TinyClassifier("cat\ndog\nbird\n"));
  ASSERT_NE(model, nullptr);
  const ModelSummary s = SummarizeModel(*model);
  EXPECT_TRUE(s.tflite_metadata.present);
  EXPECT_EQ(s.tflite_metadata.name, "TestClassifier");
  EXPECT_EQ(s.associated_files.size(), 3u);
  ASSERT_TRUE(s.labels.has_value());
  EXPECT_EQ(s.labels->file, "labels.txt");
  EXPECT_EQ(s.labels->count, 3u);
  EXPECT_EQ(s.labels->head, (std::vector<std::string>{"cat", "dog", "bird"}));
  // Output 0 has 3 entries: no mismatch warning.
  EXPECT_TRUE(s.warnings.empty()) << s.warnings[0];
  const std::string json = ModelSummaryToJson(s);
  EXPECT_NE(json.find("\"tflite_metadata\""), std::string::npos);
  EXPECT_NE(json.find("\"TENSOR_AXIS_LABELS\""), std::string::npos);

  auto mismatched = Load(TinyClassifier("cat\ndog\n"));
  ASSERT_NE(mismatched, nullptr);
  const ModelSummary m = SummarizeModel(*mismatched);
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_NE(m.warnings[0].find("has 2 labels, output 0 has 3"),
            std::string::npos)
      << m.warnings[0];
}

TEST(Metadata, CorruptArchiveIsAWarningInTheSummary) {
  std::vector<uint8_t> file = TinyClassifier("cat\ndog\nbird\n");
  // Break the end record's directory offset.
  const size_t eocd = file.size() - 22;
  file[eocd + 16] = 0xff;
  file[eocd + 17] = 0xff;
  file[eocd + 18] = 0xff;
  auto model = Load(file);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(ListAssociatedFiles(*model).status().code(), StatusCode::kDataLoss);
  const ModelSummary s = SummarizeModel(*model);
  EXPECT_TRUE(s.tflite_metadata.present);
  EXPECT_TRUE(s.associated_files.empty());
  EXPECT_FALSE(s.labels.has_value());
  EXPECT_EQ(s.warnings.size(), 2u);  // the listing and the labels
}

// ------------------------------------------------------ real Coral models

constexpr const char* kCoralModelsWithMetadata[] = {
    "mobilenet_v1_0.25_128_quant.tflite",
    "mobilenet_v1_0.25_128_quant_edgetpu.tflite",
    "mobilenet_v1_0.5_160_quant.tflite",
    "mobilenet_v2_1.0_224_quant.tflite",
    "mobilenet_v2_1.0_224_quant_edgetpu.tflite",
    "tf2_mobilenet_v2_1.0_224_ptq.tflite",
};

constexpr const char* kModelsWithoutMetadata[] = {
    "deeplabv3_mnv2_dm05_pascal_quant.tflite",
    "hello_world_float.tflite",
    "person_detect.tflite",
    "split_concat.tflite",
    "trained_lstm.tflite",
    "invalid_models/model_invoking_error.tflite",
};

TEST(CoralMetadata, ClassifiersCarryImagenetLabels) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  const std::vector<uint8_t> expected_bytes =
      ReadFileBytes(testing::ModelPath("imagenet_labels.txt"));
  const std::vector<std::string> expected = SplitLabels(expected_bytes);
  ASSERT_EQ(expected.size(), 1001u);
  ASSERT_EQ(expected[0], "background");
  for (const char* name : kCoralModelsWithMetadata) {
    SCOPED_TRACE(name);
    StatusOr<std::shared_ptr<const ModelFile>> model =
        LoadModelFromFile(testing::ModelPath(name));
    ASSERT_TRUE(model.ok()) << model.status();
    StatusOr<ModelMetadataInfo> info = ReadModelMetadata(**model);
    ASSERT_TRUE(info.ok()) << info.status();
    ASSERT_TRUE(info->present);
    EXPECT_EQ(info->name, "ImageClassifier");
    EXPECT_EQ(info->min_parser_version, "1.0.0");
    EXPECT_TRUE(info->warnings.empty());
    ASSERT_EQ(info->subgraphs.size(), 1u);
    ASSERT_EQ(info->subgraphs[0].inputs.size(), 1u);
    const TensorMetadataInfo& in = info->subgraphs[0].inputs[0];
    EXPECT_EQ(in.name, "image");
    EXPECT_EQ(in.content, ContentType::kImage);
    EXPECT_EQ(in.color_space, "RGB");
    ASSERT_TRUE(in.normalization.has_value());
    EXPECT_EQ(in.normalization->mean, std::vector<float>{127.5f});
    EXPECT_EQ(in.normalization->std, std::vector<float>{127.5f});
    ASSERT_TRUE(in.stats.has_value());
    EXPECT_EQ(in.stats->min, std::vector<float>{0.0f});
    EXPECT_EQ(in.stats->max, std::vector<float>{255.0f});
    ASSERT_EQ(info->subgraphs[0].outputs.size(), 1u);
    const TensorMetadataInfo& out = info->subgraphs[0].outputs[0];
    EXPECT_EQ(out.name, "probability");
    EXPECT_EQ(out.content, ContentType::kFeature);
    ASSERT_EQ(out.associated_files.size(), 1u);
    EXPECT_EQ(out.associated_files[0].name, "imagenet_labels.txt");
    EXPECT_EQ(out.associated_files[0].type,
              AssociatedFileType::kTensorAxisLabels);

    StatusOr<std::vector<ArchiveFileInfo>> files = ListAssociatedFiles(**model);
    ASSERT_TRUE(files.ok()) << files.status();
    ASSERT_EQ(files->size(), 1u);
    EXPECT_EQ((*files)[0].name, "imagenet_labels.txt");
    EXPECT_EQ((*files)[0].size, expected_bytes.size());
    EXPECT_EQ((*files)[0].method, "stored");

    // The embedded file is byte-for-byte the shared imagenet_labels.txt.
    StatusOr<std::vector<uint8_t>> raw =
        ReadAssociatedFile(**model, "imagenet_labels.txt");
    ASSERT_TRUE(raw.ok()) << raw.status();
    EXPECT_EQ(*raw, expected_bytes);
    StatusOr<std::vector<std::string>> labels = ReadLabels(**model);
    ASSERT_TRUE(labels.ok()) << labels.status();
    EXPECT_EQ(*labels, expected);

    const ModelSummary s = SummarizeModel(**model);
    ASSERT_TRUE(s.labels.has_value());
    EXPECT_EQ(s.labels->count, 1001u);
    EXPECT_EQ(s.labels->head[1], "tench, Tinca tinca");
    EXPECT_TRUE(s.warnings.empty()) << s.warnings[0];
  }
}

TEST(CoralMetadata, OtherModelsHaveNone) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  for (const char* name : kModelsWithoutMetadata) {
    SCOPED_TRACE(name);
    StatusOr<std::shared_ptr<const ModelFile>> model =
        LoadModelFromFile(testing::ModelPath(name));
    ASSERT_TRUE(model.ok()) << model.status();
    StatusOr<ModelMetadataInfo> info = ReadModelMetadata(**model);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_FALSE(info->present);
    StatusOr<std::vector<ArchiveFileInfo>> files = ListAssociatedFiles(**model);
    ASSERT_TRUE(files.ok()) << files.status();
    EXPECT_TRUE(files->empty());
    StatusOr<std::vector<std::string>> labels = ReadLabels(**model);
    ASSERT_TRUE(labels.ok()) << labels.status();
    EXPECT_TRUE(labels->empty());
  }
}

TEST(CoralMetadata, CorruptingTheEmbeddedMetadataIsAWarning) {
  if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  const std::vector<uint8_t> original =
      ReadFileBytes(testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite"));
  const std::string id = "M001";
  const auto it =
      std::search(original.begin(), original.end(), id.begin(), id.end());
  ASSERT_NE(it, original.end());
  const size_t root = static_cast<size_t>(it - original.begin()) - 4;
  // Point the metadata root table past the end of its buffer.
  std::vector<uint8_t> bytes = original;
  bytes[root + 2] = 0x7f;
  StatusOr<std::shared_ptr<const ModelFile>> model =
      LoadModel(ByteSource::FromVector(bytes, "corrupt.tflite"));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(ReadModelMetadata(**model).status().code(), StatusCode::kDataLoss);
  const ModelSummary s = SummarizeModel(**model);
  EXPECT_FALSE(s.tflite_metadata.present);
  EXPECT_FALSE(s.labels.has_value());
  EXPECT_EQ(s.associated_files.size(), 1u);  // the archive is still fine
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("FlatBuffers verification"), std::string::npos);
}

}  // namespace
}  // namespace edgerun
