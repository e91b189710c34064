#include "edgerun/format/metadata.h"

#include <cstring>
#include <memory>

#include "format/metadata_generated.h"
#include "format/tflite_generated.h"
#include "format/zip_reader.h"

namespace edgerun {
namespace {

namespace meta = tflmeta;

template <typename T>
using FbVector = flatbuffers::Vector<T>;
template <typename T>
using FbTables = flatbuffers::Vector<flatbuffers::Offset<T>>;

std::string Str(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : s->str();
}

template <typename T>
std::vector<T> Values(const FbVector<T>* v) {
  if (v == nullptr) return {};
  return std::vector<T>(v->begin(), v->end());
}

std::vector<std::string> Strings(const FbTables<flatbuffers::String>* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  out.reserve(v->size());
  for (const flatbuffers::String* s : *v) out.push_back(Str(s));
  return out;
}

// Enum name from the generated table, or `fallback` for values newer than
// the schema.
std::string NameOr(const char* name, std::string_view fallback) {
  return name != nullptr && name[0] != '\0' ? std::string(name)
                                            : std::string(fallback);
}

std::vector<AssociatedFileInfo> Files(const FbTables<meta::AssociatedFile>* v) {
  std::vector<AssociatedFileInfo> out;
  if (v == nullptr) return out;
  for (const meta::AssociatedFile* f : *v) {
    if (f == nullptr) continue;
    AssociatedFileInfo info;
    info.name = Str(f->name());
    info.description = Str(f->description());
    info.type = static_cast<AssociatedFileType>(f->type());
    info.locale = Str(f->locale());
    info.version = Str(f->version());
    out.push_back(std::move(info));
  }
  return out;
}

std::string_view ProcessUnitKind(meta::ProcessUnitOptions type) {
  switch (type) {
    case meta::ProcessUnitOptions_NormalizationOptions:
      return "normalization";
    case meta::ProcessUnitOptions_ScoreCalibrationOptions:
      return "score_calibration";
    case meta::ProcessUnitOptions_ScoreThresholdingOptions:
      return "score_thresholding";
    case meta::ProcessUnitOptions_BertTokenizerOptions:
      return "bert_tokenizer";
    case meta::ProcessUnitOptions_SentencePieceTokenizerOptions:
      return "sentence_piece_tokenizer";
    case meta::ProcessUnitOptions_RegexTokenizerOptions:
      return "regex_tokenizer";
    case meta::ProcessUnitOptions_NONE:
      return "none";
  }
  return "unknown";
}

std::vector<std::string> UnitKinds(const FbTables<meta::ProcessUnit>* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  for (const meta::ProcessUnit* u : *v) {
    if (u != nullptr) out.emplace_back(ProcessUnitKind(u->options_type()));
  }
  return out;
}

std::vector<TensorGroupInfo> Groups(const FbTables<meta::TensorGroup>* v) {
  std::vector<TensorGroupInfo> out;
  if (v == nullptr) return out;
  for (const meta::TensorGroup* g : *v) {
    if (g == nullptr) continue;
    out.push_back({Str(g->name()), Strings(g->tensor_names())});
  }
  return out;
}

void ReadContent(const meta::Content* content, TensorMetadataInfo* t) {
  if (content == nullptr) return;
  if (const meta::ValueRange* r = content->range()) {
    t->content_range = std::make_pair(r->min(), r->max());
  }
  switch (content->content_properties_type()) {
    case meta::ContentProperties_NONE:
      t->content = ContentType::kNone;
      return;
    case meta::ContentProperties_FeatureProperties:
      t->content = ContentType::kFeature;
      return;
    case meta::ContentProperties_ImageProperties: {
      t->content = ContentType::kImage;
      const meta::ImageProperties* p =
          content->content_properties_as_ImageProperties();
      if (p == nullptr) return;
      t->color_space =
          NameOr(meta::EnumNameColorSpaceType(p->color_space()), "UNKNOWN");
      if (const meta::ImageSize* size = p->default_size()) {
        t->default_width = size->width();
        t->default_height = size->height();
      }
      return;
    }
    case meta::ContentProperties_BoundingBoxProperties: {
      t->content = ContentType::kBoundingBox;
      const meta::BoundingBoxProperties* p =
          content->content_properties_as_BoundingBoxProperties();
      if (p == nullptr) return;
      t->box_type = NameOr(meta::EnumNameBoundingBoxType(p->type()), "UNKNOWN");
      t->coordinate_type =
          NameOr(meta::EnumNameCoordinateType(p->coordinate_type()), "UNKNOWN");
      t->box_index = Values(p->index());
      return;
    }
    case meta::ContentProperties_AudioProperties: {
      t->content = ContentType::kAudio;
      const meta::AudioProperties* p =
          content->content_properties_as_AudioProperties();
      if (p == nullptr) return;
      t->sample_rate = p->sample_rate();
      t->channels = p->channels();
      return;
    }
  }
  t->content = ContentType::kUnknown;
}

TensorMetadataInfo ReadTensor(const meta::TensorMetadata& m) {
  TensorMetadataInfo t;
  t.name = Str(m.name());
  t.description = Str(m.description());
  t.dimension_names = Strings(m.dimension_names());
  ReadContent(m.content(), &t);
  t.process_units = UnitKinds(m.process_units());
  if (m.process_units() != nullptr) {
    for (const meta::ProcessUnit* u : *m.process_units()) {
      if (u == nullptr) continue;
      if (const auto* n = u->options_as_NormalizationOptions();
          n != nullptr && !t.normalization.has_value()) {
        t.normalization =
            NormalizationInfo{Values(n->mean()), Values(n->std())};
      }
      if (const auto* c = u->options_as_ScoreCalibrationOptions();
          c != nullptr && !t.score_calibration.has_value()) {
        t.score_calibration =
            ScoreCalibrationInfo{NameOr(meta::EnumNameScoreTransformationType(
                                            c->score_transformation()),
                                        "UNKNOWN"),
                                 c->default_score()};
      }
      if (const auto* s = u->options_as_ScoreThresholdingOptions();
          s != nullptr && !t.score_threshold.has_value()) {
        t.score_threshold = s->global_score_threshold();
      }
    }
  }
  if (const meta::Stats* s = m.stats()) {
    t.stats = StatsInfo{Values(s->min()), Values(s->max())};
  }
  t.associated_files = Files(m.associated_files());
  return t;
}

std::vector<TensorMetadataInfo> Tensors(
    const FbTables<meta::TensorMetadata>* v) {
  std::vector<TensorMetadataInfo> out;
  if (v == nullptr) return out;
  for (const meta::TensorMetadata* t : *v) {
    out.push_back(t == nullptr ? TensorMetadataInfo{} : ReadTensor(*t));
  }
  return out;
}

SubgraphMetadataInfo ReadSubgraph(const meta::SubGraphMetadata& g) {
  SubgraphMetadataInfo s;
  s.name = Str(g.name());
  s.description = Str(g.description());
  s.inputs = Tensors(g.input_tensor_metadata());
  s.outputs = Tensors(g.output_tensor_metadata());
  s.associated_files = Files(g.associated_files());
  s.input_process_units = UnitKinds(g.input_process_units());
  s.output_process_units = UnitKinds(g.output_process_units());
  s.input_tensor_groups = Groups(g.input_tensor_groups());
  s.output_tensor_groups = Groups(g.output_tensor_groups());
  if (g.custom_metadata() != nullptr) {
    for (const meta::CustomMetadata* c : *g.custom_metadata()) {
      if (c == nullptr) continue;
      s.custom_metadata.emplace_back(Str(c->name()),
                                     c->data() ? c->data()->size() : 0);
    }
  }
  return s;
}

// The zip archive at the end of the model file.
StatusOr<format_internal::ZipReader> OpenArchive(const ModelFile& model,
                                                 uint64_t max_file_bytes) {
  format_internal::ZipLimits limits;
  limits.max_entry_bytes = max_file_bytes;
  return format_internal::ZipReader::Open(model.bytes(), limits);
}

}  // namespace

std::string AssociatedFileTypeName(AssociatedFileType type) {
  const char* name = meta::EnumNameAssociatedFileType(
      static_cast<meta::AssociatedFileType>(type));
  if (name != nullptr && name[0] != '\0') return name;
  return "TYPE_" + std::to_string(static_cast<int>(type));
}

std::string_view ContentTypeName(ContentType type) {
  switch (type) {
    case ContentType::kNone:
      return "none";
    case ContentType::kFeature:
      return "feature";
    case ContentType::kImage:
      return "image";
    case ContentType::kBoundingBox:
      return "bounding_box";
    case ContentType::kAudio:
      return "audio";
    case ContentType::kUnknown:
      return "unknown";
  }
  return "unknown";
}

StatusOr<ModelMetadataInfo> ParseModelMetadata(std::span<const uint8_t> bytes,
                                               const MetadataOptions& options) {
  if (bytes.size() < 8) {
    return DataLossError("TFLITE_METADATA buffer is " +
                         std::to_string(bytes.size()) +
                         " bytes, too short for a metadata FlatBuffer");
  }
  if (bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return DataLossError("TFLITE_METADATA buffer is larger than 2 GB");
  }
  if (!meta::ModelMetadataBufferHasIdentifier(bytes.data())) {
    std::string id;
    for (size_t i = 4; i < 8; ++i) {
      const char c = static_cast<char>(bytes[i]);
      id += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return DataLossError("TFLITE_METADATA buffer has file identifier '" + id +
                         "', expected 'M001'");
  }
  // FlatBuffers reads scalars in place; give it an aligned copy when the
  // caller's bytes are not (the verifier only checks relative alignment).
  std::vector<uint8_t> aligned_copy;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(double) != 0) {
    aligned_copy.assign(bytes.begin(), bytes.end());
    bytes = aligned_copy;
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), options.max_depth,
                                 options.max_tables);
  if (!meta::VerifyModelMetadataBuffer(verifier)) {
    return DataLossError(
        "TFLITE_METADATA buffer failed FlatBuffers verification (truncated or "
        "corrupt: an offset, vector or string is out of bounds, or the "
        "nesting/table limits were exceeded)");
  }
  const meta::ModelMetadata& m = *meta::GetModelMetadata(bytes.data());
  ModelMetadataInfo info;
  info.present = true;
  info.bytes = bytes.size();
  info.name = Str(m.name());
  info.description = Str(m.description());
  info.version = Str(m.version());
  info.author = Str(m.author());
  info.license = Str(m.license());
  info.min_parser_version = Str(m.min_parser_version());
  if (m.subgraph_metadata() != nullptr) {
    for (const meta::SubGraphMetadata* g : *m.subgraph_metadata()) {
      info.subgraphs.push_back(g == nullptr ? SubgraphMetadataInfo{}
                                            : ReadSubgraph(*g));
    }
  }
  info.associated_files = Files(m.associated_files());
  return info;
}

StatusOr<ModelMetadataInfo> ReadModelMetadata(const ModelFile& model,
                                              const MetadataOptions& options) {
  const tfl::Model& fb = model.model();
  const tfl::Metadata* entry = nullptr;
  size_t count = 0;
  for (size_t i = 0; fb.metadata() != nullptr && i < fb.metadata()->size();
       ++i) {
    const tfl::Metadata* m = fb.metadata()->Get(i);
    if (m == nullptr || m->name() == nullptr ||
        m->name()->string_view() != kTfliteMetadataName) {
      continue;
    }
    if (entry == nullptr) entry = m;
    ++count;
  }
  if (entry == nullptr) return ModelMetadataInfo{};

  const std::span<const uint8_t> data = model.BufferData(entry->buffer());
  if (data.empty()) {
    return DataLossError("TFLITE_METADATA names buffer " +
                         std::to_string(entry->buffer()) +
                         ", which is empty or does not exist");
  }
  StatusOr<ModelMetadataInfo> parsed = ParseModelMetadata(data, options);
  if (!parsed.ok()) return parsed.status();
  ModelMetadataInfo info = std::move(parsed).value();
  info.buffer = entry->buffer();
  info.bytes = data.size();
  if (count > 1) {
    info.warnings.push_back(std::to_string(count) +
                            " TFLITE_METADATA entries; the first is used");
  }
  // Tensor metadata is parallel to the subgraphs' inputs and outputs.
  const size_t num_subgraphs = fb.subgraphs() ? fb.subgraphs()->size() : 0;
  if (info.subgraphs.size() > num_subgraphs) {
    info.warnings.push_back(
        "metadata describes " + std::to_string(info.subgraphs.size()) +
        " subgraphs, the model has " + std::to_string(num_subgraphs));
  }
  for (size_t i = 0; i < info.subgraphs.size() && i < num_subgraphs; ++i) {
    const tfl::SubGraph& g = *fb.subgraphs()->Get(i);
    const size_t inputs = g.inputs() ? g.inputs()->size() : 0;
    const size_t outputs = g.outputs() ? g.outputs()->size() : 0;
    const SubgraphMetadataInfo& s = info.subgraphs[i];
    if (s.inputs.size() != inputs && !s.inputs.empty()) {
      info.warnings.push_back("metadata of subgraph " + std::to_string(i) +
                              " describes " + std::to_string(s.inputs.size()) +
                              " inputs, the subgraph has " +
                              std::to_string(inputs));
    }
    if (s.outputs.size() != outputs && !s.outputs.empty()) {
      info.warnings.push_back("metadata of subgraph " + std::to_string(i) +
                              " describes " + std::to_string(s.outputs.size()) +
                              " outputs, the subgraph has " +
                              std::to_string(outputs));
    }
  }
  return info;
}

StatusOr<std::vector<ArchiveFileInfo>> ListAssociatedFiles(
    const ModelFile& model) {
  StatusOr<format_internal::ZipReader> zip = OpenArchive(model, 0);
  if (!zip.ok()) {
    if (zip.status().code() == StatusCode::kNotFound) {
      return std::vector<ArchiveFileInfo>{};
    }
    return zip.status().WithContext("associated files");
  }
  std::vector<ArchiveFileInfo> out;
  for (const format_internal::ZipEntry& e : zip->entries()) {
    out.push_back({e.name, e.uncompressed_size, e.compressed_size,
                   format_internal::ZipMethodName(e.method), e.crc32});
  }
  return out;
}

StatusOr<std::vector<uint8_t>> ReadAssociatedFile(
    const ModelFile& model, std::string_view name,
    const MetadataOptions& options) {
  StatusOr<format_internal::ZipReader> zip =
      OpenArchive(model, options.max_file_bytes);
  if (!zip.ok()) {
    if (zip.status().code() == StatusCode::kNotFound) {
      return NotFoundError("associated file '" + std::string(name) +
                           "': the model has no zip archive appended");
    }
    return zip.status().WithContext("associated files");
  }
  return zip->Read(name);
}

std::vector<std::string> SplitLabels(std::span<const uint8_t> bytes) {
  std::vector<std::string> labels;
  const char* p = reinterpret_cast<const char*>(bytes.data());
  const char* end = p + bytes.size();
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* line_end = nl == nullptr ? end : nl;
    std::string label(p, line_end);
    if (!label.empty() && label.back() == '\r') label.pop_back();
    labels.push_back(std::move(label));
    p = nl == nullptr ? end : nl + 1;
  }
  return labels;
}

StatusOr<LabelsInfo> ReadOutputLabels(const ModelFile& model,
                                      size_t output_index,
                                      const MetadataOptions& options) {
  StatusOr<ModelMetadataInfo> meta_or = ReadModelMetadata(model, options);
  if (!meta_or.ok()) return meta_or.status();
  const ModelMetadataInfo& info = *meta_or;
  LabelsInfo out;
  if (info.subgraphs.empty() ||
      output_index >= info.subgraphs[0].outputs.size()) {
    return out;
  }
  for (const AssociatedFileInfo& f :
       info.subgraphs[0].outputs[output_index].associated_files) {
    if (f.type != AssociatedFileType::kTensorAxisLabels) continue;
    StatusOr<std::vector<uint8_t>> bytes =
        ReadAssociatedFile(model, f.name, options);
    if (!bytes.ok()) {
      return bytes.status().WithContext("labels of output " +
                                        std::to_string(output_index));
    }
    out.file = f.name;
    out.labels = SplitLabels(*bytes);
    return out;
  }
  return out;
}

StatusOr<std::vector<std::string>> ReadLabels(const ModelFile& model,
                                              const MetadataOptions& options) {
  StatusOr<LabelsInfo> labels = ReadOutputLabels(model, 0, options);
  if (!labels.ok()) return labels.status();
  return std::move(labels->labels);
}

}  // namespace edgerun
