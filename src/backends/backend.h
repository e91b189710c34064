// Backend: an execution engine for parts of a graph (XNNPACK, later OpenCL,
// Arm NN, the simulated accelerator). The CPU kernels are the implicit last
// backend and run through the runtime directly.
//
//   Supports(graph, node)  -> yes, or no with a reason (feeds the planner)
//   Compile(graph, segment)-> CompiledSegment (weights packed here)
//   CompiledSegment::Reshape(graph)  after every memory plan: tensor shapes
//                                    and data pointers may have changed
//   CompiledSegment::Execute(graph)  runs the nodes; reads inputs and writes
//                                    outputs through the graph's tensors
//
// One `support` source per backend feeds both Supports and Compile, so they
// cannot drift. A backend's native errors become Status in one file.
//
// Ownership: backends are owned by the BackendRegistry (process lifetime);
// CompiledSegments by the interpreter that compiled them.
// Thread-safety: Backend methods are const and thread-safe; a
// CompiledSegment is used by one interpreter, one thread at a time.
#ifndef EDGERUN_BACKENDS_BACKEND_H_
#define EDGERUN_BACKENDS_BACKEND_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"
#include "planner/graph_view.h"
#include "planner/partitioner.h"

namespace edgerun::backends {

struct BackendOptions {
  int num_threads = 1;  // threads this backend may use for one Execute
};

struct Segment {
  std::vector<int> nodes;    // execution order
  std::vector<int> inputs;   // boundary tensors read (host memory)
  std::vector<int> outputs;  // boundary tensors written (host memory)
};

class CompiledSegment {
 public:
  virtual ~CompiledSegment() = default;
  virtual Status Reshape(const planner::GraphView& graph) = 0;
  virtual Status Execute(const planner::GraphView& graph) = 0;
  // Bytes of weights this segment packed (for memory reports).
  virtual size_t packed_weight_bytes() const { return 0; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // False when the backend cannot run here (no device, no library).
  virtual bool IsAvailable() const = 0;
  virtual planner::NodeSupport Supports(const planner::GraphView& graph,
                                        int node) const = 0;
  virtual StatusOr<std::unique_ptr<CompiledSegment>> Compile(
      const planner::GraphView& graph, const Segment& segment,
      const BackendOptions& options) const = 0;
};

// Named backends, filled explicitly by RegisterBuiltinBackends.
class BackendRegistry {
 public:
  void Add(std::unique_ptr<Backend> backend);
  // nullptr when unknown.
  const Backend* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::vector<std::unique_ptr<Backend>> backends_;
};

// Every backend compiled into this build ("xnnpack", ...). "cpu" is not a
// Backend object: the runtime runs CPU nodes with the kernels.
const BackendRegistry& BuiltinBackends();

}  // namespace edgerun::backends

#endif  // EDGERUN_BACKENDS_BACKEND_H_
