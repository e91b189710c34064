#include "tools/edgerun/bench_workload.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <utility>

#include "tools/edgerun/interpreter_setup.h"

namespace edgerun::cli {
namespace {

constexpr size_t kCheckAllBelowBytes = 64 * 1024;

template <typename T>
bool Close(const uint8_t* a, const uint8_t* b, size_t n, size_t* where) {
  for (size_t k = 0; k < n; ++k) {
    T x, y;
    std::memcpy(&x, a + k * sizeof(T), sizeof(T));
    std::memcpy(&y, b + k * sizeof(T), sizeof(T));
    if (std::isnan(x) && std::isnan(y)) continue;
    const double tol = 1e-5 * std::max(1.0, std::fabs(static_cast<double>(y)));
    if (!(std::fabs(static_cast<double>(x) - static_cast<double>(y)) <= tol)) {
      *where = k;
      return false;
    }
  }
  return true;
}

}  // namespace

StatusOr<Workload> Workload::Create(std::shared_ptr<const ModelFile> model,
                                    const InterpreterOptions& options,
                                    const std::vector<std::string>& files,
                                    uint32_t seed, int count) {
  InterpreterOptions ref_options = options;
  ref_options.num_threads = 1;
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp,
                   Interpreter::Create(model, ref_options));
  RETURN_IF_ERROR(interp->AllocateTensors());
  const std::vector<InputSpec> specs = InputSpecs(*interp, *model);
  Workload w;
  for (int o = 0; o < interp->num_outputs(); ++o) {
    w.output_types_.push_back(interp->output(o).type());
  }
  size_t output_bytes = 0;
  for (int k = 0; k < std::max(1, count); ++k) {
    ASSIGN_OR_RETURN(
        std::vector<PreparedInput> prepared,
        PrepareInputs(specs, files, seed + static_cast<uint32_t>(k)));
    WorkItem item;
    for (size_t i = 0; i < prepared.size(); ++i) {
      if (prepared[i].shape != specs[i].shape) {
        return InvalidArgumentError(
            "input " + std::to_string(i) + " ('" + specs[i].name + "') from " +
            prepared[i].description +
            " does not have the model's shape; the concurrent bench modes "
            "do not resize inputs");
      }
      item.tensors.push_back(
          {specs[i].type, specs[i].shape, prepared[i].bytes});
      item.inputs.push_back(std::move(prepared[i].bytes));
    }
    RETURN_IF_ERROR(
        RunRequest(*interp, item, &item.reference)
            .WithContext("reference run of input set " + std::to_string(k)));
    output_bytes = 0;
    for (const auto& o : item.reference) output_bytes += o.size();
    if (k == 0) {
      w.description_ = prepared.empty() ? "no inputs" : prepared[0].description;
      if (count > 1 && files.empty()) {
        w.description_ =
            "seeds " + std::to_string(seed) + ".." +
            std::to_string(seed + static_cast<uint32_t>(count) - 1);
      }
    }
    w.items_.push_back(std::move(item));
  }
  w.check_every_ = output_bytes > kCheckAllBelowBytes ? 16 : 1;
  return w;
}

Status Workload::Check(size_t i, const OutputBytes& outputs) const {
  const OutputBytes& ref = item(i).reference;
  if (outputs.size() != ref.size()) {
    return DataLossError("got " + std::to_string(outputs.size()) +
                         " outputs, the reference has " +
                         std::to_string(ref.size()));
  }
  for (size_t o = 0; o < ref.size(); ++o) {
    const std::vector<uint8_t>& a = outputs[o];
    const std::vector<uint8_t>& b = ref[o];
    if (a.size() != b.size()) {
      return DataLossError("output " + std::to_string(o) + " has " +
                           std::to_string(a.size()) + " bytes, the reference " +
                           std::to_string(b.size()));
    }
    if (a == b) continue;
    size_t where = 0;
    bool close = false;
    const DataType type = output_types_[o];
    if (type == DataType::kFloat32) {
      close = Close<float>(a.data(), b.data(), a.size() / 4, &where);
    } else if (type == DataType::kFloat64) {
      close = Close<double>(a.data(), b.data(), a.size() / 8, &where);
    } else {
      const size_t elem = std::max<size_t>(1, DataTypeSize(type));
      where =
          static_cast<size_t>(
              std::mismatch(a.begin(), a.end(), b.begin()).first - a.begin()) /
          elem;
    }
    if (!close) {
      return DataLossError("output " + std::to_string(o) + " of input set " +
                           std::to_string(i % items_.size()) +
                           " differs from the single-threaded reference at "
                           "element " +
                           std::to_string(where));
    }
  }
  return OkStatus();
}

Status RunRequest(Interpreter& interp, const WorkItem& item,
                  OutputBytes* outputs) {
  for (size_t i = 0; i < item.inputs.size(); ++i) {
    RETURN_IF_ERROR(interp.SetInput(static_cast<int>(i), item.inputs[i]));
  }
  RETURN_IF_ERROR(interp.Invoke());
  if (outputs == nullptr) return OkStatus();
  outputs->resize(static_cast<size_t>(interp.num_outputs()));
  for (int o = 0; o < interp.num_outputs(); ++o) {
    const TensorRef t = interp.output(o);
    const auto* data = static_cast<const uint8_t*>(t.data());
    (*outputs)[static_cast<size_t>(o)].assign(data, data + t.bytes());
  }
  return OkStatus();
}

bool IsConcurrentUseError(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition &&
         status.message().find("two threads at once") != std::string::npos;
}

std::string DeviceDescription(const std::vector<std::string>& backends) {
  if (backends.empty()) return "cpu";
  if (backends.front() == "sim") {
    std::string rest;
    for (size_t i = 1; i < backends.size(); ++i) rest += "," + backends[i];
    return "sim (simulated accelerator)" +
           (rest.empty() ? "" : " then " + rest.substr(1));
  }
  return JoinBackends(backends);
}

double LoadAverage1m() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  if (!(in >> load)) return -1;
  return load;
}

nlohmann::json HostJson(int64_t hardware_threads, double load_start) {
  return {{"hardware_threads", hardware_threads},
          {"load_average_1m_start", load_start},
          {"load_average_1m_end", LoadAverage1m()}};
}

void WriteJsonReport(nlohmann::json& report,
                     const std::optional<Status>& verdict, std::ostream& out) {
  report["ok"] = !verdict.has_value();
  report["error"] = verdict ? nlohmann::json(verdict->ToString()) : nullptr;
  out << report.dump(2) << "\n";
}

}  // namespace edgerun::cli
