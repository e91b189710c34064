#include "edgerun/format/model_summary.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "format/model_verifier.h"
#include "format/tflite_generated.h"

namespace edgerun {
namespace {

template <typename T>
std::vector<T> ToVector(const flatbuffers::Vector<T>* v) {
  if (v == nullptr) return {};
  return std::vector<T>(v->begin(), v->end());
}

TensorSummary SummarizeTensor(const ModelFile& file, const tfl::SubGraph& g,
                              int32_t index) {
  TensorSummary out;
  out.index = index;
  const tfl::Tensor* t = g.tensors()->Get(index);
  if (t->name() != nullptr) out.name = t->name()->str();
  out.shape = ToVector(t->shape());
  out.shape_signature = t->shape_signature() != nullptr
                            ? ToVector(t->shape_signature())
                            : out.shape;
  out.type = static_cast<DataType>(t->type());
  out.is_variable = t->is_variable();
  out.is_constant = !file.BufferData(t->buffer()).empty();
  const tfl::QuantizationParameters* q = t->quantization();
  if (q != nullptr && q->scale() != nullptr && q->scale()->size() > 0) {
    QuantizationSummary qs;
    qs.scale = ToVector(q->scale());
    qs.zero_point = ToVector(q->zero_point());
    qs.quantized_dimension = q->quantized_dimension();
    out.quantization = std::move(qs);
  }
  return out;
}

// Fills the TFLite Support metadata, the appended archive and the labels of
// output 0; problems become warnings.
void SummarizeMetadata(const ModelFile& file, ModelSummary* s) {
  StatusOr<ModelMetadataInfo> meta = ReadModelMetadata(file);
  if (meta.ok()) {
    s->tflite_metadata = std::move(meta).value();
    for (const std::string& w : s->tflite_metadata.warnings) {
      s->warnings.push_back("TFLITE_METADATA: " + w);
    }
  } else {
    s->warnings.push_back("TFLITE_METADATA: " + meta.status().ToString());
  }
  StatusOr<std::vector<ArchiveFileInfo>> files = ListAssociatedFiles(file);
  if (files.ok()) {
    s->associated_files = std::move(files).value();
  } else {
    s->warnings.push_back(files.status().ToString());
  }
  if (!s->tflite_metadata.present) return;
  StatusOr<LabelsInfo> labels = ReadOutputLabels(file, 0);
  if (!labels.ok()) {
    s->warnings.push_back(labels.status().ToString());
    return;
  }
  if (labels->file.empty()) return;
  LabelsSummary ls;
  ls.file = labels->file;
  ls.count = labels->labels.size();
  for (size_t i = 0; i < ls.count && i < LabelsSummary::kLabelsHead; ++i) {
    ls.head.push_back(labels->labels[i]);
  }
  // A classifier's labels name the entries of its last dimension.
  if (!s->subgraphs.empty() && !s->subgraphs[0].outputs.empty()) {
    const std::vector<int32_t>& shape = s->subgraphs[0].outputs[0].shape;
    if (!shape.empty() && shape.back() > 0 &&
        static_cast<size_t>(shape.back()) != ls.count) {
      s->warnings.push_back(
          "labels file '" + ls.file + "' has " + std::to_string(ls.count) +
          " labels, output 0 has " + std::to_string(shape.back()) + " entries");
    }
  }
  s->labels = std::move(ls);
}

}  // namespace

ModelSummary SummarizeModel(const ModelFile& file) {
  const tfl::Model& model = file.model();
  ModelSummary s;
  s.source_kind = std::string(ByteSourceKindName(file.source().kind()));
  s.file_bytes = file.bytes().size();
  s.schema_version = model.version();
  if (model.description() != nullptr)
    s.description = model.description()->str();
  s.load_stats = file.stats();
  s.warnings = file.warnings();

  std::map<std::string, OperatorUse> ops;
  for (size_t i = 0; model.subgraphs() && i < model.subgraphs()->size(); ++i) {
    const tfl::SubGraph& g = *model.subgraphs()->Get(i);
    SubgraphSummary sg;
    sg.index = static_cast<int32_t>(i);
    if (g.name() != nullptr) sg.name = g.name()->str();
    sg.num_tensors = g.tensors() ? g.tensors()->size() : 0;
    sg.num_operators = g.operators() ? g.operators()->size() : 0;
    s.tensor_count += sg.num_tensors;
    for (int32_t t : ToVector(g.inputs())) {
      sg.inputs.push_back(SummarizeTensor(file, g, t));
    }
    for (int32_t t : ToVector(g.outputs())) {
      sg.outputs.push_back(SummarizeTensor(file, g, t));
    }
    for (size_t n = 0; n < sg.num_operators; ++n) {
      const tfl::OperatorCode& code =
          *model.operator_codes()->Get(g.operators()->Get(n)->opcode_index());
      const int builtin = format_internal::EffectiveBuiltinCode(code);
      const bool custom = builtin == tfl::BuiltinOperator_CUSTOM;
      std::string name = format_internal::OperatorCodeName(code);
      if (custom) name = name.substr(sizeof("CUSTOM:") - 1);
      OperatorUse& use = ops[(custom ? "~" : "") + name];
      use.name = name;
      use.custom = custom;
      use.builtin_code = builtin;
      ++use.count;
      if (std::find(use.versions.begin(), use.versions.end(), code.version()) ==
          use.versions.end()) {
        use.versions.push_back(code.version());
        std::sort(use.versions.begin(), use.versions.end());
      }
    }
    s.subgraphs.push_back(std::move(sg));
  }
  // Builtins first (alphabetical), then custom ops ("~" sorts last).
  for (auto& [key, use] : ops) s.operators.push_back(std::move(use));

  for (size_t i = 0;
       model.signature_defs() && i < model.signature_defs()->size(); ++i) {
    const tfl::SignatureDef& def = *model.signature_defs()->Get(i);
    SignatureSummary sig;
    if (def.signature_key() != nullptr) sig.key = def.signature_key()->str();
    sig.subgraph_index = static_cast<int32_t>(def.subgraph_index());
    auto maps =
        [](const flatbuffers::Vector<flatbuffers::Offset<tfl::TensorMap>>* v) {
          std::vector<SignatureTensor> out;
          for (size_t k = 0; v && k < v->size(); ++k) {
            out.push_back({v->Get(k)->name() ? v->Get(k)->name()->str() : "",
                           static_cast<int32_t>(v->Get(k)->tensor_index())});
          }
          return out;
        };
    sig.inputs = maps(def.inputs());
    sig.outputs = maps(def.outputs());
    s.signatures.push_back(std::move(sig));
  }

  for (size_t i = 0; model.metadata() && i < model.metadata()->size(); ++i) {
    const tfl::Metadata& m = *model.metadata()->Get(i);
    MetadataEntry e;
    if (m.name() != nullptr) e.name = m.name()->str();
    e.buffer = m.buffer();
    const std::span<const uint8_t> data = file.BufferData(m.buffer());
    e.bytes = data.size();
    if (e.name == "min_runtime_version") {
      // A NUL-padded version string such as "1.5.0".
      s.min_runtime_version.assign(data.begin(), data.end());
      s.min_runtime_version.erase(std::find(s.min_runtime_version.begin(),
                                            s.min_runtime_version.end(), '\0'),
                                  s.min_runtime_version.end());
    }
    s.metadata.push_back(std::move(e));
  }
  SummarizeMetadata(file, &s);
  return s;
}

namespace {

nlohmann::json TensorJson(const TensorSummary& t) {
  nlohmann::json j;
  j["index"] = t.index;
  j["name"] = t.name;
  j["shape"] = t.shape;
  j["shape_signature"] = t.shape_signature;
  j["dtype"] = std::string(DataTypeName(t.type));
  if (t.quantization.has_value()) {
    const QuantizationSummary& q = *t.quantization;
    if (q.per_channel()) {
      j["quantization"] = {{"scale", q.scale},
                           {"zero_point", q.zero_point},
                           {"quantized_dimension", q.quantized_dimension}};
    } else {
      j["quantization"] = {
          {"scale", q.scale[0]},
          {"zero_point", q.zero_point.empty() ? 0 : q.zero_point[0]}};
    }
  } else {
    j["quantization"] = nullptr;
  }
  if (t.is_variable) j["variable"] = true;
  return j;
}

nlohmann::json FilesJson(const std::vector<AssociatedFileInfo>& files) {
  nlohmann::json out = nlohmann::json::array();
  for (const AssociatedFileInfo& f : files) {
    out.push_back({{"name", f.name},
                   {"description", f.description},
                   {"type", AssociatedFileTypeName(f.type)},
                   {"locale", f.locale},
                   {"version", f.version}});
  }
  return out;
}

nlohmann::json ContentJson(const TensorMetadataInfo& t) {
  nlohmann::json c;
  c["type"] = std::string(ContentTypeName(t.content));
  if (t.content_range.has_value()) {
    c["range"] = {t.content_range->first, t.content_range->second};
  } else {
    c["range"] = nullptr;
  }
  switch (t.content) {
    case ContentType::kImage:
      c["color_space"] = t.color_space;
      c["default_size"] = {t.default_width, t.default_height};
      break;
    case ContentType::kBoundingBox:
      c["box_type"] = t.box_type;
      c["coordinate_type"] = t.coordinate_type;
      c["index"] = t.box_index;
      break;
    case ContentType::kAudio:
      c["sample_rate"] = t.sample_rate;
      c["channels"] = t.channels;
      break;
    default:
      break;
  }
  return c;
}

nlohmann::json TensorMetadataJson(const TensorMetadataInfo& t) {
  nlohmann::json j;
  j["name"] = t.name;
  j["description"] = t.description;
  j["dimension_names"] = t.dimension_names;
  j["content"] = ContentJson(t);
  j["process_units"] = t.process_units;
  j["normalization"] = t.normalization.has_value()
                           ? nlohmann::json{{"mean", t.normalization->mean},
                                            {"std", t.normalization->std}}
                           : nlohmann::json(nullptr);
  j["stats"] = t.stats.has_value() ? nlohmann::json{{"min", t.stats->min},
                                                    {"max", t.stats->max}}
                                   : nlohmann::json(nullptr);
  j["score_calibration"] =
      t.score_calibration.has_value()
          ? nlohmann::json{{"transformation",
                            t.score_calibration->transformation},
                           {"default_score",
                            t.score_calibration->default_score}}
          : nlohmann::json(nullptr);
  j["score_threshold"] = t.score_threshold.has_value()
                             ? nlohmann::json(*t.score_threshold)
                             : nlohmann::json(nullptr);
  j["associated_files"] = FilesJson(t.associated_files);
  return j;
}

nlohmann::json GroupsJson(const std::vector<TensorGroupInfo>& groups) {
  nlohmann::json out = nlohmann::json::array();
  for (const TensorGroupInfo& g : groups) {
    out.push_back({{"name", g.name}, {"tensor_names", g.tensor_names}});
  }
  return out;
}

nlohmann::json MetadataJson(const ModelMetadataInfo& m) {
  if (!m.present) return nullptr;
  nlohmann::json j;
  j["buffer"] = m.buffer;
  j["bytes"] = m.bytes;
  j["name"] = m.name;
  j["description"] = m.description;
  j["version"] = m.version;
  j["author"] = m.author;
  j["license"] = m.license;
  j["min_parser_version"] = m.min_parser_version;
  j["associated_files"] = FilesJson(m.associated_files);
  j["subgraphs"] = nlohmann::json::array();
  for (const SubgraphMetadataInfo& g : m.subgraphs) {
    nlohmann::json jg;
    jg["name"] = g.name;
    jg["description"] = g.description;
    jg["inputs"] = nlohmann::json::array();
    for (const TensorMetadataInfo& t : g.inputs) {
      jg["inputs"].push_back(TensorMetadataJson(t));
    }
    jg["outputs"] = nlohmann::json::array();
    for (const TensorMetadataInfo& t : g.outputs) {
      jg["outputs"].push_back(TensorMetadataJson(t));
    }
    jg["associated_files"] = FilesJson(g.associated_files);
    jg["input_process_units"] = g.input_process_units;
    jg["output_process_units"] = g.output_process_units;
    jg["input_tensor_groups"] = GroupsJson(g.input_tensor_groups);
    jg["output_tensor_groups"] = GroupsJson(g.output_tensor_groups);
    jg["custom_metadata"] = nlohmann::json::array();
    for (const auto& [name, bytes] : g.custom_metadata) {
      jg["custom_metadata"].push_back({{"name", name}, {"bytes", bytes}});
    }
    j["subgraphs"].push_back(std::move(jg));
  }
  j["warnings"] = m.warnings;
  return j;
}

}  // namespace

std::string ModelSummaryToJson(const ModelSummary& s, int indent) {
  nlohmann::json j;
  j["format"] = "edgerun inspect v1";
  j["file_bytes"] = s.file_bytes;
  j["source"] = s.source_kind;
  j["schema_version"] = s.schema_version;
  j["description"] = s.description;
  j["min_runtime_version"] = s.min_runtime_version;
  j["tensor_count"] = s.tensor_count;
  nlohmann::json subgraphs = nlohmann::json::array();
  for (const SubgraphSummary& g : s.subgraphs) {
    nlohmann::json jg;
    jg["index"] = g.index;
    jg["name"] = g.name;
    jg["tensors"] = g.num_tensors;
    jg["operators"] = g.num_operators;
    jg["inputs"] = nlohmann::json::array();
    for (const TensorSummary& t : g.inputs)
      jg["inputs"].push_back(TensorJson(t));
    jg["outputs"] = nlohmann::json::array();
    for (const TensorSummary& t : g.outputs)
      jg["outputs"].push_back(TensorJson(t));
    subgraphs.push_back(std::move(jg));
  }
  j["subgraphs"] = std::move(subgraphs);
  nlohmann::json sigs = nlohmann::json::array();
  for (const SignatureSummary& sig : s.signatures) {
    nlohmann::json js;
    js["key"] = sig.key;
    js["subgraph"] = sig.subgraph_index;
    for (const char* side : {"inputs", "outputs"}) {
      const auto& list =
          std::string(side) == "inputs" ? sig.inputs : sig.outputs;
      js[side] = nlohmann::json::array();
      for (const SignatureTensor& t : list) {
        js[side].push_back({{"name", t.name}, {"tensor", t.tensor_index}});
      }
    }
    sigs.push_back(std::move(js));
  }
  j["signatures"] = std::move(sigs);
  nlohmann::json ops = nlohmann::json::array();
  for (const OperatorUse& op : s.operators) {
    ops.push_back({{"name", op.name},
                   {"custom", op.custom},
                   {"builtin_code", op.builtin_code},
                   {"count", op.count},
                   {"versions", op.versions}});
  }
  j["operators"] = std::move(ops);
  j["constants"] = {{"buffers", s.load_stats.constant_buffers},
                    {"bytes_mapped", s.load_stats.constant_bytes_mapped},
                    {"bytes_copied", s.load_stats.constant_bytes_copied},
                    {"buffers_copied", s.load_stats.buffers_copied},
                    {"source_bytes_copied", s.load_stats.source_bytes_copied},
                    {"external_buffers", s.load_stats.external_buffers}};
  nlohmann::json meta = nlohmann::json::array();
  for (const MetadataEntry& e : s.metadata) {
    meta.push_back(
        {{"name", e.name}, {"buffer", e.buffer}, {"bytes", e.bytes}});
  }
  j["metadata"] = std::move(meta);
  j["tflite_metadata"] = MetadataJson(s.tflite_metadata);
  nlohmann::json files = nlohmann::json::array();
  for (const ArchiveFileInfo& f : s.associated_files) {
    files.push_back({{"name", f.name},
                     {"size", f.size},
                     {"compressed_size", f.compressed_size},
                     {"method", f.method},
                     {"crc32", f.crc32}});
  }
  j["associated_files"] = std::move(files);
  if (s.labels.has_value()) {
    j["labels"] = {{"file", s.labels->file},
                   {"count", s.labels->count},
                   {"head", s.labels->head}};
  } else {
    j["labels"] = nullptr;
  }
  j["warnings"] = s.warnings;
  // Names and labels come from the file: replace invalid UTF-8 rather than
  // throw.
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace edgerun
