// Inputs and reference outputs for the concurrent `edgerun bench` modes
// (--clients, --streams): a small set of distinct seeded input sets (the
// existing bench's random inputs with seeds seed, seed+1, ...), each with
// the output a single-threaded interpreter computes for it, and the
// comparison that turns a wrong output into an error.
//
// Also: running one request on an interpreter (SetInput, Invoke, copy the
// outputs) and small reporting helpers (device, load, JSON report) shared
// by bench_clients.cc and bench_streams.cc.
//
// Ownership: a Workload owns its inputs and reference outputs (plain
// values); it keeps no interpreter.
// Thread-safety: a Workload is immutable after Create, so any number of
// threads may read it at once. RunRequest mutates the interpreter it is
// given (one thread at a time, like the interpreter).
#ifndef EDGERUN_TOOLS_EDGERUN_BENCH_WORKLOAD_H_
#define EDGERUN_TOOLS_EDGERUN_BENCH_WORKLOAD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "edgerun/session/session.h"
#include "tools/edgerun/stats.h"

namespace edgerun::cli {

// Output bytes of one request, one entry per model output.
using OutputBytes = std::vector<std::vector<uint8_t>>;

// One request: its inputs (raw bytes and as session tensors) and the
// single-threaded reference output.
struct WorkItem {
  std::vector<std::vector<uint8_t>> inputs;
  std::vector<session::TensorData> tensors;  // same bytes, for a Session
  OutputBytes reference;
};

class Workload {
 public:
  // Builds `count` input sets (file i for input i where given, otherwise
  // seeded random) and their reference outputs with a fresh interpreter of
  // `options` (num_threads 1). Inputs whose prepared shape differs from the
  // model's are kInvalidArgument (the concurrent modes do not resize).
  static StatusOr<Workload> Create(std::shared_ptr<const ModelFile> model,
                                   const InterpreterOptions& options,
                                   const std::vector<std::string>& files,
                                   uint32_t seed, int count);

  size_t size() const { return items_.size(); }
  const WorkItem& item(size_t i) const { return items_[i % items_.size()]; }
  // "seed 1..8" or the file descriptions, for reports.
  const std::string& description() const { return description_; }
  // Check every `check_every`-th request: 1 for small outputs, 16 when a
  // request's outputs exceed 64 KiB.
  int check_every() const { return check_every_; }

  // OK when `outputs` equal item(i)'s reference: integer outputs exactly,
  // float outputs within 1e-5 relative (thread counts may reorder sums).
  // kDataLoss naming the output and the first differing element otherwise.
  Status Check(size_t i, const OutputBytes& outputs) const;

 private:
  std::vector<WorkItem> items_;
  std::vector<DataType> output_types_;
  std::string description_;
  int check_every_ = 1;
};

// SetInput for every input, Invoke, and (when `outputs` is not null) a copy
// of every output. The interpreter's own errors come back unchanged.
Status RunRequest(Interpreter& interp, const WorkItem& item,
                  OutputBytes* outputs);

// True for the Interpreter's "used from two threads at once" error.
bool IsConcurrentUseError(const Status& status);

// "sim (simulated accelerator)" when the first backend is the simulated
// one, otherwise the comma-joined list ("cpu" when empty).
std::string DeviceDescription(const std::vector<std::string>& backends);

// The 1-minute load average, or -1 where /proc/loadavg is missing.
double LoadAverage1m();

// The "host" object of a JSON report: `hardware_threads` and the 1-minute
// load average at the start (`load_start`) and now, at the end.
nlohmann::json HostJson(int64_t hardware_threads, double load_start);

// Sets `report`'s "ok" and "error" from `verdict` (the first failure, if
// any) and writes it, indented, with a newline, to `out`.
void WriteJsonReport(nlohmann::json& report,
                     const std::optional<Status>& verdict, std::ostream& out);

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_BENCH_WORKLOAD_H_
