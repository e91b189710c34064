#include "tools/edgerun/interpreter_setup.h"

#include <algorithm>
#include <map>

#include "edgerun/format/metadata.h"

namespace edgerun::cli {

StatusOr<std::vector<std::string>> ParseBackendList(std::string_view list) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string_view name = list.substr(
        start, comma == std::string_view::npos ? std::string_view::npos
                                               : comma - start);
    if (name.empty()) {
      return InvalidArgumentError(
          "backend list '" + std::string(list) +
          "' has an empty name (expected e.g. 'xnnpack,cpu')");
    }
    for (char c : name) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        return InvalidArgumentError("backend name '" + std::string(name) +
                                    "' may only hold a-z, 0-9 and '_'");
      }
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return InvalidArgumentError("backend '" + std::string(name) +
                                  "' is listed twice");
    }
    names.emplace_back(name);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return names;
}

std::string JoinBackends(const std::vector<std::string>& backends) {
  std::string s;
  for (const std::string& b : backends) {
    if (!s.empty()) s += ",";
    s += b;
  }
  return s;
}

std::vector<InputSpec> InputSpecs(Interpreter& interp, const ModelFile& model) {
  StatusOr<ModelMetadataInfo> metadata = ReadModelMetadata(model);
  std::vector<InputSpec> specs;
  for (int i = 0; i < interp.num_inputs(); ++i) {
    TensorRef t = interp.input(i);
    InputSpec spec{t.name(),  t.type(),       t.shape(),
                   t.scale(), t.zero_point(), {}};
    if (metadata.ok() && !metadata->subgraphs.empty() &&
        static_cast<size_t>(i) < metadata->subgraphs[0].inputs.size()) {
      spec.normalization = metadata->subgraphs[0].inputs[i].normalization;
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

StatusOr<std::vector<PreparedInput>> PrepareInputs(
    const std::vector<InputSpec>& specs, const std::vector<std::string>& files,
    uint32_t seed) {
  if (files.size() > specs.size()) {
    return InvalidArgumentError(std::to_string(files.size()) +
                                " --input given, model has " +
                                std::to_string(specs.size()) + " inputs");
  }
  std::vector<PreparedInput> inputs;
  for (size_t i = 0; i < specs.size(); ++i) {
    const bool from_file = i < files.size() && files[i] != "-";
    StatusOr<PreparedInput> prepared =
        from_file ? LoadInputFile(files[i], specs[i])
                  : RandomInput(specs[i], seed, static_cast<int>(i));
    if (!prepared.ok()) return prepared.status();
    inputs.push_back(std::move(prepared).value());
  }
  return inputs;
}

Status ApplyInputs(Interpreter& interp,
                   const std::vector<PreparedInput>& inputs) {
  bool resized = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int index = static_cast<int>(i);
    if (inputs[i].shape != interp.input(index).shape()) {
      RETURN_IF_ERROR(interp.ResizeInput(index, inputs[i].shape));
      resized = true;
    }
  }
  if (resized) RETURN_IF_ERROR(interp.AllocateTensors());
  for (size_t i = 0; i < inputs.size(); ++i) {
    RETURN_IF_ERROR(interp.SetInput(static_cast<int>(i), inputs[i].bytes));
  }
  return OkStatus();
}

std::string PlanSummary(const ExecutionPlanInfo& plan) {
  // Keep the preference order of the plan's backends, then any others.
  std::vector<std::string> order = plan.backends;
  std::map<std::string, std::pair<size_t, size_t>> counts;  // nodes, parts
  for (const PartitionInfo& p : plan.partitions) {
    auto& c = counts[p.backend];
    c.first += p.nodes.size();
    ++c.second;
    if (std::find(order.begin(), order.end(), p.backend) == order.end()) {
      order.push_back(p.backend);
    }
  }
  std::string s;
  for (const std::string& b : order) {
    auto it = counts.find(b);
    if (it == counts.end()) continue;
    if (!s.empty()) s += ", ";
    s += b + " " + std::to_string(it->second.first) + " nodes in " +
         std::to_string(it->second.second) +
         (it->second.second == 1 ? " partition" : " partitions");
  }
  return s.empty() ? "no partitions" : s;
}

}  // namespace edgerun::cli
