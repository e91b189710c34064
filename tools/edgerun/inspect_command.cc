#include "tools/edgerun/inspect_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/format/byte_source.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "tools/edgerun/interpreter_setup.h"

namespace edgerun::cli {
namespace {

// Labels shown in the text report (the JSON has up to kLabelsHead).
constexpr size_t kLabelsShown = 5;
// Per-channel values listed in full up to this count, as a range above it.
constexpr size_t kChannelsListed = 4;

// ------------------------------------------------------------- formatting

std::string Number(uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Bytes(uint64_t v) {
  std::string s = Number(v) + (v == 1 ? " byte" : " bytes");
  char buf[32];
  if (v >= (uint64_t{1} << 20)) {
    std::snprintf(buf, sizeof(buf), " (%.2f MiB)", v / 1048576.0);
    s += buf;
  } else if (v >= 10240) {
    std::snprintf(buf, sizeof(buf), " (%.1f KiB)", v / 1024.0);
    s += buf;
  }
  return s;
}

std::string Float(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.7g", v);
  return buf;
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

template <typename T, typename F>
std::string List(const std::vector<T>& v, F format) {
  std::vector<std::string> parts;
  for (const T& x : v) parts.push_back(format(x));
  return "[" + Join(parts, ", ") + "]";
}

std::string Floats(const std::vector<float>& v) {
  return List(v, [](float x) { return Float(x); });
}

std::string Shape(const std::vector<int32_t>& shape) {
  std::vector<std::string> dims;
  for (int32_t d : shape) dims.push_back(std::to_string(d));
  return "[" + Join(dims, ",") + "]";
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// "1 buffer", "3 buffers".
std::string Count(uint64_t n, const char* singular, const char* plural) {
  return Number(n) + " " + (n == 1 ? singular : plural);
}

std::string SourceKind(const std::string& kind) {
  if (kind == "mmap") return "memory-mapped";
  if (kind == "read") return "read into memory";
  return kind;
}

std::string OrNone(const std::string& s) { return s.empty() ? "(none)" : s; }

// "scale 0.0078125 zero_point 128", or for per-channel parameters
// "per-channel axis 3, 32 channels: scale 0.0001..0.02 zero_point 0".
std::string Quantization(const QuantizationSummary& q) {
  if (!q.per_channel()) {
    return "scale " + Float(q.scale[0]) + " zero_point " +
           std::to_string(q.zero_point.empty() ? 0 : q.zero_point[0]);
  }
  std::string s = "per-channel axis " + std::to_string(q.quantized_dimension) +
                  ", " + std::to_string(q.scale.size()) + " channels: ";
  if (q.scale.size() <= kChannelsListed) {
    s += "scale " + Floats(q.scale);
  } else {
    const auto [lo, hi] = std::minmax_element(q.scale.begin(), q.scale.end());
    s += "scale " + Float(*lo) + ".." + Float(*hi);
  }
  if (q.zero_point.empty()) return s + " zero_point 0";
  const auto [zlo, zhi] =
      std::minmax_element(q.zero_point.begin(), q.zero_point.end());
  if (*zlo == *zhi) return s + " zero_point " + std::to_string(*zlo);
  return s + " zero_point " + std::to_string(*zlo) + ".." +
         std::to_string(*zhi);
}

// dtype[shape], with the signature's -1 dimensions when it has any.
std::string TypeAndShape(const TensorSummary& t) {
  std::string dtype(DataTypeName(t.type));
  if (dtype.empty()) dtype = "type" + std::to_string(static_cast<int>(t.type));
  const bool dynamic =
      std::find(t.shape_signature.begin(), t.shape_signature.end(), -1) !=
      t.shape_signature.end();
  if (!dynamic) return dtype + Shape(t.shape);
  return dtype + Shape(t.shape_signature) + " (static " + Shape(t.shape) + ")";
}

void PrintTensors(const char* title, const std::vector<TensorSummary>& tensors,
                  std::ostream& out) {
  out << "  " << title << ":";
  if (tensors.empty()) {
    out << " none\n";
    return;
  }
  out << "\n";
  auto prefix = [](size_t i, const TensorSummary& t) {
    return "[" + std::to_string(i) + "] tensor " + std::to_string(t.index);
  };
  size_t prefix_width = 0;
  size_t name_width = 0;
  size_t type_width = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    prefix_width = std::max(prefix_width, prefix(i, tensors[i]).size());
    name_width = std::max(name_width, Quoted(tensors[i].name).size());
    type_width = std::max(type_width, TypeAndShape(tensors[i]).size());
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorSummary& t = tensors[i];
    std::string line = prefix(i, t);
    line.resize(prefix_width, ' ');
    line = "    " + line + " ";
    std::string name = Quoted(t.name);
    name.resize(name_width, ' ');
    std::string type = TypeAndShape(t);
    type.resize(type_width, ' ');
    line += name + "  " + type;
    if (t.quantization.has_value())
      line += "  " + Quantization(*t.quantization);
    if (t.is_variable) line += "  variable";
    if (t.is_constant) line += "  constant";
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

void PrintSignatures(const ModelSummary& s, std::ostream& out) {
  if (s.signatures.empty()) {
    out << "signatures: none\n";
    return;
  }
  out << "signatures:\n";
  for (const SignatureSummary& sig : s.signatures) {
    out << "  " << Quoted(sig.key) << " -> subgraph " << sig.subgraph_index
        << "\n";
    for (const auto& [title, list] : {std::pair{"inputs", &sig.inputs},
                                      std::pair{"outputs", &sig.outputs}}) {
      std::vector<std::string> parts;
      for (const SignatureTensor& t : *list) {
        parts.push_back(t.name + " = tensor " + std::to_string(t.tensor_index));
      }
      out << "    " << title << ": "
          << (parts.empty() ? "none" : Join(parts, ", ")) << "\n";
    }
  }
}

void PrintOperators(const ModelSummary& s, std::ostream& out) {
  size_t nodes = 0;
  for (const OperatorUse& op : s.operators) nodes += op.count;
  out << "operators: " << Count(nodes, "node", "nodes") << ", "
      << s.operators.size() << " distinct\n";
  std::vector<const OperatorUse*> ops;
  size_t width = 0;
  for (const OperatorUse& op : s.operators) {
    ops.push_back(&op);
    width = std::max(width, op.name.size() + (op.custom ? 9 : 0));
  }
  // Most used first; builtins before custom ops on ties, then by name.
  std::stable_sort(ops.begin(), ops.end(),
                   [](const OperatorUse* a, const OperatorUse* b) {
                     return a->count > b->count;
                   });
  for (const OperatorUse* op : ops) {
    std::string name = op->name + (op->custom ? " (custom)" : "");
    name.resize(width, ' ');
    char count[16];
    std::snprintf(count, sizeof(count), "%6zu", op->count);
    std::vector<std::string> versions;
    for (int32_t v : op->versions) versions.push_back("v" + std::to_string(v));
    out << "  " << name << count << "  " << Join(versions, ",") << "\n";
  }
}

void PrintFiles(const std::vector<AssociatedFileInfo>& files,
                const std::string& indent, std::ostream& out) {
  for (const AssociatedFileInfo& f : files) {
    out << indent << "file " << f.name << " ("
        << AssociatedFileTypeName(f.type);
    if (!f.locale.empty()) out << ", locale " << f.locale;
    if (!f.version.empty()) out << ", version " << f.version;
    out << ")\n";
  }
}

void PrintTensorMetadata(const char* kind, size_t index,
                         const TensorMetadataInfo& t, std::ostream& out) {
  out << "  " << kind << " " << index << " " << Quoted(t.name) << ": "
      << ContentTypeName(t.content);
  switch (t.content) {
    case ContentType::kImage:
      out << ", " << t.color_space;
      if (t.default_width != 0 || t.default_height != 0) {
        out << ", default size " << t.default_width << "x" << t.default_height;
      }
      break;
    case ContentType::kBoundingBox:
      out << ", " << t.box_type << ", " << t.coordinate_type;
      break;
    case ContentType::kAudio:
      out << ", " << t.sample_rate << " Hz, " << t.channels << " channels";
      break;
    default:
      break;
  }
  if (t.content_range.has_value()) {
    out << ", dimensions " << t.content_range->first << ".."
        << t.content_range->second;
  }
  out << "\n";
  const std::string indent = "      ";
  if (t.normalization.has_value()) {
    out << indent << "normalization mean " << Floats(t.normalization->mean)
        << " std " << Floats(t.normalization->std) << "\n";
  }
  if (t.stats.has_value()) {
    if (t.stats->min.size() == 1 && t.stats->max.size() == 1) {
      out << indent << "value range [" << Float(t.stats->min[0]) << ", "
          << Float(t.stats->max[0]) << "]\n";
    } else {
      out << indent << "value range min " << Floats(t.stats->min) << " max "
          << Floats(t.stats->max) << "\n";
    }
  }
  if (t.score_calibration.has_value()) {
    out << indent << "score calibration " << t.score_calibration->transformation
        << ", default score " << Float(t.score_calibration->default_score)
        << "\n";
  }
  if (t.score_threshold.has_value()) {
    out << indent << "score threshold " << Float(*t.score_threshold) << "\n";
  }
  PrintFiles(t.associated_files, indent, out);
}

void PrintTfliteMetadata(const ModelSummary& s, std::ostream& out) {
  const ModelMetadataInfo& m = s.tflite_metadata;
  if (!m.present) return;
  out << "\nTFLite metadata (" << Bytes(m.bytes) << " in buffer " << m.buffer
      << "):\n";
  out << "  name         " << OrNone(m.name) << "\n";
  out << "  description  " << OrNone(m.description) << "\n";
  out << "  version      " << OrNone(m.version) << "\n";
  if (!m.author.empty()) out << "  author       " << m.author << "\n";
  if (!m.license.empty()) out << "  license      " << m.license << "\n";
  out << "  min parser   " << OrNone(m.min_parser_version) << "\n";
  PrintFiles(m.associated_files, "  ", out);
  for (size_t g = 0; g < m.subgraphs.size(); ++g) {
    const SubgraphMetadataInfo& sg = m.subgraphs[g];
    if (m.subgraphs.size() > 1 || !sg.name.empty()) {
      out << "  subgraph " << g << " " << Quoted(sg.name) << "\n";
    }
    for (size_t i = 0; i < sg.inputs.size(); ++i) {
      PrintTensorMetadata("input", i, sg.inputs[i], out);
    }
    for (size_t i = 0; i < sg.outputs.size(); ++i) {
      PrintTensorMetadata("output", i, sg.outputs[i], out);
    }
    PrintFiles(sg.associated_files, "  ", out);
    if (!sg.input_process_units.empty()) {
      out << "  input process units " << Join(sg.input_process_units, ", ")
          << "\n";
    }
    if (!sg.output_process_units.empty()) {
      out << "  output process units " << Join(sg.output_process_units, ", ")
          << "\n";
    }
    for (const auto* groups :
         {&sg.input_tensor_groups, &sg.output_tensor_groups}) {
      for (const TensorGroupInfo& tg : *groups) {
        out << "  tensor group " << Quoted(tg.name) << ": "
            << Join(tg.tensor_names, ", ") << "\n";
      }
    }
    for (const auto& [name, bytes] : sg.custom_metadata) {
      out << "  custom metadata " << Quoted(name) << " " << Bytes(bytes)
          << "\n";
    }
  }
  if (s.labels.has_value()) {
    std::vector<std::string> shown;
    for (size_t i = 0; i < s.labels->head.size() && i < kLabelsShown; ++i) {
      shown.push_back(Quoted(s.labels->head[i]));
    }
    out << "  labels       " << s.labels->file << ": " << s.labels->count
        << " labels: " << Join(shown, ", ")
        << (s.labels->count > shown.size() ? ", ..." : "") << "\n";
  }
}

// ------------------------------------------------------- execution plan

// The plan of `inspect --backends`, regrouped for reports: the runtime
// reports one FallbackEvent per (node, refusing backend); people want one
// entry per node with every refusal under it.
struct PlanReport {
  struct Refusal {
    std::string backend;
    std::string stage;
    std::string reason;
  };
  struct NodeEntry {
    int node = 0;
    std::string op;
    std::string backend;  // where it runs
    std::vector<Refusal> refusals;
    // Its own backend refused it too: no backend in the list can run it.
    bool unsupported = false;
  };
  std::vector<NodeEntry> nodes;              // ascending node index
  std::vector<const FallbackEvent*> events;  // not tied to one node's support
  std::string allocate_error;                // "" when AllocateTensors passed
};

PlanReport BuildPlanReport(const ExecutionPlanInfo& plan,
                           const Status& allocate) {
  PlanReport report;
  std::map<int, std::pair<std::string, std::string>> where;  // op, backend
  for (const PartitionInfo& p : plan.partitions) {
    for (size_t k = 0; k < p.nodes.size(); ++k) {
      where[p.nodes[k]] = {k < p.ops.size() ? p.ops[k] : "", p.backend};
    }
  }
  std::map<int, PlanReport::NodeEntry> by_node;
  for (const FallbackEvent& e : plan.fallbacks) {
    if (e.stage != "support" || e.nodes.empty()) {
      report.events.push_back(&e);
      continue;
    }
    for (int n : e.nodes) {
      PlanReport::NodeEntry& entry = by_node[n];
      entry.node = n;
      entry.refusals.push_back({e.backend, e.stage, e.reason});
    }
  }
  for (auto& [n, entry] : by_node) {
    auto it = where.find(n);
    if (it != where.end()) {
      entry.op = it->second.first;
      entry.backend = it->second.second;
    }
    for (const PlanReport::Refusal& r : entry.refusals) {
      entry.unsupported |= !entry.backend.empty() && r.backend == entry.backend;
    }
    report.nodes.push_back(std::move(entry));
  }
  if (!allocate.ok()) report.allocate_error = allocate.ToString();
  return report;
}

// "CONV_2D x3, RELU": ops in order of first appearance.
std::string OpHistogram(const std::vector<std::string>& ops) {
  std::vector<std::pair<std::string, int>> counts;
  for (const std::string& op : ops) {
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& c) { return c.first == op; });
    if (it == counts.end()) {
      counts.emplace_back(op, 1);
    } else {
      ++it->second;
    }
  }
  std::vector<std::string> parts;
  for (const auto& [op, n] : counts) {
    parts.push_back(n > 1 ? op + " x" + std::to_string(n) : op);
  }
  return Join(parts, ", ");
}

// "0-3, 5, 7-9" for ascending runs; other orders print as given.
std::string NodeRanges(const std::vector<int>& nodes) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < nodes.size();) {
    size_t j = i;
    while (j + 1 < nodes.size() && nodes[j + 1] == nodes[j] + 1) ++j;
    parts.push_back(j > i ? std::to_string(nodes[i]) + "-" +
                                std::to_string(nodes[j])
                          : std::to_string(nodes[i]));
    i = j + 1;
  }
  return parts.empty() ? "none" : Join(parts, ", ");
}

std::string TensorList(const std::vector<int>& tensors) {
  std::vector<std::string> parts;
  for (int t : tensors) parts.push_back("t" + std::to_string(t));
  return parts.empty() ? "none" : Join(parts, ", ");
}

// "xnnpack 29 nodes in 2 partitions, cpu 1 node in 1 partition", backends
// in preference order.
std::string BackendSummary(const ExecutionPlanInfo& plan) {
  std::vector<std::string> order = plan.backends;
  std::map<std::string, std::pair<size_t, size_t>> counts;  // nodes, parts
  for (const PartitionInfo& p : plan.partitions) {
    counts[p.backend].first += p.nodes.size();
    ++counts[p.backend].second;
    if (std::find(order.begin(), order.end(), p.backend) == order.end()) {
      order.push_back(p.backend);
    }
  }
  std::vector<std::string> parts;
  for (const std::string& b : order) {
    auto it = counts.find(b);
    if (it == counts.end()) continue;
    parts.push_back(b + " " + Count(it->second.first, "node", "nodes") +
                    " in " +
                    Count(it->second.second, "partition", "partitions"));
  }
  return parts.empty() ? "no nodes" : Join(parts, ", ");
}

void PrintExecutionPlan(const ExecutionPlanInfo& plan, const PlanReport& report,
                        std::ostream& out) {
  out << "\nexecution plan (subgraph 0):\n";
  out << "  backends     " << Join(plan.backends, " > ")
      << "  (preference order)\n";
  out << "  partitions   " << plan.partitions.size() << ": "
      << BackendSummary(plan) << "\n";
  size_t width = 0;
  for (const PartitionInfo& p : plan.partitions) {
    width = std::max(width, p.backend.size());
  }
  for (size_t i = 0; i < plan.partitions.size(); ++i) {
    const PartitionInfo& p = plan.partitions[i];
    std::string backend = p.backend;
    backend.resize(width, ' ');
    out << "  [" << i << "] " << backend << "  "
        << Count(p.nodes.size(), "node", "nodes") << ": " << OpHistogram(p.ops)
        << "\n";
    out << "      nodes " << NodeRanges(p.nodes) << "; inputs "
        << TensorList(p.inputs) << "; outputs " << TensorList(p.outputs)
        << "\n";
  }
  out << "  fallbacks    ";
  if (report.nodes.empty()) {
    out << "none\n";
  } else {
    out << (report.nodes.size() == 1
                ? "1 node not on its first-choice backend\n"
                : Number(report.nodes.size()) +
                      " nodes not on their first-choice backend\n");
  }
  for (const PlanReport::NodeEntry& e : report.nodes) {
    out << "    node " << e.node << " " << e.op << " -> "
        << (e.backend.empty() ? "?" : e.backend);
    if (e.unsupported) out << "  UNSUPPORTED by every available backend";
    out << "\n";
    for (const PlanReport::Refusal& r : e.refusals) {
      out << "      " << r.backend << ": " << r.reason << "\n";
    }
  }
  for (const FallbackEvent* e : report.events) {
    out << "  " << e->backend << " (" << e->stage << ")";
    if (!e->nodes.empty()) out << ", nodes " << NodeRanges(e->nodes);
    out << ": " << e->reason << "\n";
  }
  out << "  boundary     "
      << Count(plan.boundary_tensors.size(), "tensor", "tensors");
  if (!plan.boundary_tensors.empty()) {
    out << ": " << TensorList(plan.boundary_tensors);
  }
  out << "\n";
  if (!report.allocate_error.empty()) {
    out << "  allocate     failed: " << report.allocate_error << "\n";
  }
}

nlohmann::json ExecutionPlanToJson(const ExecutionPlanInfo& plan,
                                   const PlanReport& report,
                                   const InterpreterOptions& options) {
  using nlohmann::json;
  json partitions = json::array();
  for (size_t i = 0; i < plan.partitions.size(); ++i) {
    const PartitionInfo& p = plan.partitions[i];
    partitions.push_back({{"index", i},
                          {"backend", p.backend},
                          {"nodes", p.nodes},
                          {"ops", p.ops},
                          {"inputs", p.inputs},
                          {"outputs", p.outputs}});
  }
  json nodes = json::array();
  for (const PlanReport::NodeEntry& e : report.nodes) {
    json refusals = json::array();
    for (const PlanReport::Refusal& r : e.refusals) {
      refusals.push_back(
          {{"backend", r.backend}, {"stage", r.stage}, {"reason", r.reason}});
    }
    nodes.push_back({{"node", e.node},
                     {"op", e.op},
                     {"backend", e.backend},
                     {"unsupported", e.unsupported},
                     {"refusals", refusals}});
  }
  json events = json::array();
  for (const FallbackEvent* e : report.events) {
    events.push_back({{"backend", e->backend},
                      {"stage", e->stage},
                      {"nodes", e->nodes},
                      {"reason", e->reason}});
  }
  json nodes_per_backend = json::object();
  for (const PartitionInfo& p : plan.partitions) {
    nodes_per_backend[p.backend] =
        nodes_per_backend.value(p.backend, size_t{0}) + p.nodes.size();
  }
  return {{"backends", plan.backends},
          {"max_delegated_partitions", options.max_delegated_partitions},
          {"min_nodes_per_partition", options.min_nodes_per_partition},
          {"partitions", partitions},
          {"nodes_per_backend", nodes_per_backend},
          {"fallbacks", nodes},
          {"events", events},
          {"boundary_tensors", plan.boundary_tensors},
          {"allocate_error", report.allocate_error.empty()
                                 ? json(nullptr)
                                 : json(report.allocate_error)}};
}

}  // namespace

void PrintModelSummary(const ModelSummary& s, const std::string& path,
                       std::ostream& out) {
  out << "model        " << path << "\n";
  out << "file         " << Bytes(s.file_bytes) << ", "
      << SourceKind(s.source_kind) << "\n";
  out << "schema       version " << s.schema_version << "\n";
  out << "description  " << OrNone(s.description) << "\n";
  out << "min runtime  " << OrNone(s.min_runtime_version) << "\n";
  out << "tensors      " << Number(s.tensor_count) << " in "
      << Count(s.subgraphs.size(), "subgraph", "subgraphs") << "\n";
  const LoadStats& ls = s.load_stats;
  out << "constants    " << Count(ls.constant_buffers, "buffer", "buffers")
      << ": " << Bytes(ls.constant_bytes_mapped) << " mapped, "
      << Bytes(ls.constant_bytes_copied) << " copied";
  if (ls.buffers_copied > 0) {
    out << " (" << Count(ls.buffers_copied, "buffer", "buffers") << ")";
  }
  if (ls.source_bytes_copied > 0) {
    out << ", whole file copied for alignment ("
        << Bytes(ls.source_bytes_copied) << ")";
  }
  if (ls.external_buffers > 0) {
    out << ", " << ls.external_buffers << " stored outside the FlatBuffer";
  }
  out << "\n";

  for (const SubgraphSummary& g : s.subgraphs) {
    out << "\nsubgraph " << g.index;
    if (!g.name.empty()) out << " " << Quoted(g.name);
    out << ": " << Count(g.num_operators, "operator", "operators") << ", "
        << Count(g.num_tensors, "tensor", "tensors") << "\n";
    PrintTensors("inputs", g.inputs, out);
    PrintTensors("outputs", g.outputs, out);
  }
  out << "\n";
  PrintSignatures(s, out);
  out << "\n";
  PrintOperators(s, out);

  out << "\nmetadata entries:";
  if (s.metadata.empty()) out << " none";
  out << "\n";
  size_t width = 0;
  for (const MetadataEntry& e : s.metadata)
    width = std::max(width, e.name.size());
  for (const MetadataEntry& e : s.metadata) {
    std::string name = e.name;
    name.resize(width, ' ');
    out << "  " << name << "  buffer " << e.buffer << ", " << Bytes(e.bytes)
        << "\n";
  }
  PrintTfliteMetadata(s, out);
  if (!s.associated_files.empty()) {
    out << "\nassociated files (zip archive appended to the model):\n";
    for (const ArchiveFileInfo& f : s.associated_files) {
      char crc[16];
      std::snprintf(crc, sizeof(crc), "%08" PRIx32, f.crc32);
      out << "  " << f.name << "  " << Bytes(f.size) << ", " << f.method;
      if (f.method != "stored") out << " (" << Bytes(f.compressed_size) << ")";
      out << ", crc32 " << crc << "\n";
    }
  }
  out << "\nwarnings:";
  if (s.warnings.empty()) out << " none";
  out << "\n";
  for (const std::string& w : s.warnings) out << "  " << w << "\n";
}

namespace {

class InspectCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "inspect", "Describe a model: tensors, operators, metadata, warnings");
    sub->add_option("model", path_, "The .tflite file")->required();
    sub->add_flag("--json", json_,
                  "Print machine-readable JSON (keys in docs/inspect.md)");
    sub->add_option("--mode", mode_,
                    "How to read the file: mmap (default) or read")
        ->check(CLI::IsMember({"mmap", "read"}));
    CLI::Option* backends =
        sub->add_option("--backends", backends_,
                        "Also print the partition plan for this backend "
                        "preference list, e.g. 'xnnpack,cpu' (cpu is "
                        "implied last)");
    sub->add_option("--max-delegated-partitions", max_delegated_partitions_,
                    "Partitions kept per delegated backend (0 = no limit)")
        ->check(CLI::Range(0, 100000))
        ->needs(backends);
    sub->add_option("--min-nodes-per-partition", min_nodes_per_partition_,
                    "Smallest partition a delegated backend gets")
        ->check(CLI::Range(1, 100000))
        ->needs(backends);
    return sub;
  }

  int Run(std::ostream& out, std::ostream& err) override {
    StatusOr<std::unique_ptr<ByteSource>> source =
        mode_ == "read" ? ByteSource::ReadFile(path_)
                        : ByteSource::MapFile(path_);
    if (!source.ok()) {
      err << ErrorLine("inspect", path_, source.status()) << "\n";
      return kExitUsage;
    }
    StatusOr<std::shared_ptr<const ModelFile>> model =
        LoadModel(std::move(source).value());
    if (!model.ok()) {
      err << ErrorLine("inspect", path_, model.status()) << "\n";
      return kExitUsage;
    }
    const ModelSummary summary = SummarizeModel(**model);
    if (backends_.empty()) {
      if (json_) {
        nlohmann::json j = nlohmann::json::parse(ModelSummaryToJson(summary));
        j["execution_plan"] = nullptr;
        out << Dump(j) << "\n";
      } else {
        PrintModelSummary(summary, path_, out);
      }
      return kExitOk;
    }

    // The plan comes from the runtime, as `run` and `bench` would use it.
    StatusOr<std::vector<std::string>> names = ParseBackendList(backends_);
    if (!names.ok()) {
      err << ErrorLine("inspect", path_, names.status()) << "\n";
      return kExitUsage;
    }
    InterpreterOptions options;
    options.backends = *names;
    options.max_delegated_partitions = max_delegated_partitions_;
    options.min_nodes_per_partition = min_nodes_per_partition_;
    StatusOr<std::unique_ptr<Interpreter>> interp =
        Interpreter::Create(*model, options);
    if (!interp.ok()) {
      err << ErrorLine("inspect", path_, interp.status()) << "\n";
      return kExitUsage;
    }
    // Allocating compiles and reshapes the delegated partitions, which may
    // move nodes again; a failure (e.g. an op no backend has) is part of
    // the report, not an error of `inspect`.
    const Status allocate = (*interp)->AllocateTensors();
    const ExecutionPlanInfo plan = (*interp)->execution_plan();
    const PlanReport report = BuildPlanReport(plan, allocate);
    if (json_) {
      nlohmann::json j = nlohmann::json::parse(ModelSummaryToJson(summary));
      j["execution_plan"] = ExecutionPlanToJson(plan, report, options);
      out << Dump(j) << "\n";
    } else {
      PrintModelSummary(summary, path_, out);
      PrintExecutionPlan(plan, report, out);
    }
    return kExitOk;
  }

 private:
  // As ModelSummaryToJson: 2-space indent, invalid UTF-8 replaced (op names
  // and reasons can carry bytes from the file).
  static std::string Dump(const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  std::string path_;
  bool json_ = false;
  std::string mode_ = "mmap";
  std::string backends_;
  int max_delegated_partitions_ = 0;
  int min_nodes_per_partition_ = 1;
};

}  // namespace

std::unique_ptr<Command> MakeInspectCommand() {
  return std::make_unique<InspectCommand>();
}

}  // namespace edgerun::cli
