// Subgraph: the executable form of one model subgraph: tensors, nodes with
// their kernels, the planned arena, variable and dynamic buffers.
// Internal to the runtime; Interpreter is the public face.
//
// Ownership: owns tensors, kernels and memory; borrows the ModelFile (the
// Interpreter keeps it alive); shares the model's SharedDataCache (kernel
// data prepared from constants) with the model's other interpreters.
// Thread-safety: none (see Interpreter).
#ifndef EDGERUN_RUNTIME_SUBGRAPH_H_
#define EDGERUN_RUNTIME_SUBGRAPH_H_

#include <atomic>
#include <cstdlib>
#include <memory>
#include <vector>

#include "backends/backend.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "kernels/kernel_api.h"
#include "kernels/registry.h"
#include "kernels/shared_data_cache.h"
#include "planner/graph_view.h"
#include "planner/partitioner.h"

namespace edgerun::runtime {

// Heap block aligned to 64 bytes, freed with std::free.
struct AlignedBuffer {
  std::unique_ptr<uint8_t, void (*)(void*)> data{nullptr, &std::free};
  size_t capacity = 0;
  // Grows to at least `bytes` (contents are not kept); false on OOM.
  bool Reserve(size_t bytes);
};

//
// Backends: with InterpreterOptions::backends the nodes are partitioned
// (planner/partitioner.h); each non-CPU partition is compiled into a
// CompiledSegment and runs as one step. Delegated nodes are still Prepared
// by their CPU kernels in shape-only mode (shape propagation, no packing);
// tensors internal to a delegated partition get no arena memory. A backend
// that fails to compile, reshape or execute gives its nodes to the next
// backend in the list (recorded as a FallbackEvent) and results stay right.
class Subgraph final : public planner::GraphView {
 public:
  // `shared_data`: the model's cache of prepared constant data; null =
  // every kernel keeps its own copy.
  static StatusOr<std::unique_ptr<Subgraph>> Create(
      const ModelFile& model, int index,
      const kernels::KernelRegistry& registry,
      const InterpreterOptions& options,
      std::shared_ptr<kernels::SharedDataCache> shared_data = nullptr);

  // planner::GraphView
  int num_tensors() const override { return static_cast<int>(tensors_.size()); }
  const kernels::Tensor& tensor(int i) const override { return tensors_[i]; }
  int num_nodes() const override { return static_cast<int>(nodes_.size()); }
  const kernels::NodeInfo& node(int i) const override { return nodes_[i].info; }
  std::span<const int> node_inputs(int i) const override {
    return nodes_[i].inputs;
  }
  std::span<const int> node_outputs(int i) const override {
    return nodes_[i].outputs;
  }
  std::span<const int> graph_inputs() const override { return inputs_; }
  std::span<const int> graph_outputs() const override { return outputs_; }

  Status AllocateTensors();
  Status ResizeTensor(int tensor_index, const kernels::Shape& shape);
  Status Invoke();
  Status ResetVariables();
  // Invoke checks *flag (when not null) before every step and CPU node and
  // stops with kCancelled once it is true. Not owned.
  void set_cancel_flag(const std::atomic<bool>* flag) { cancel_flag_ = flag; }

  kernels::Tensor& tensor(int i) { return tensors_[i]; }
  const std::vector<int>& inputs() const { return inputs_; }
  const std::vector<int>& outputs() const { return outputs_; }
  bool allocated() const { return allocated_; }
  const MemoryStats& memory_stats() const { return stats_; }
  ExecutionPlanInfo plan_info() const { return plan_info_; }

 private:
  class NodeContext;
  struct Node {
    kernels::NodeInfo info;
    std::vector<int> inputs;  // -1 = omitted optional input
    std::vector<int> outputs;
    std::vector<int> intermediates;
    std::unique_ptr<kernels::OpKernel> kernel;
    Status lookup_error;          // no kernel for this op
    bool dynamic = false;         // prepared at Invoke time
    bool delegated = false;       // runs in a backend segment
    std::vector<size_t> scratch;  // requested scratch sizes
    // Data from GetOrCreateShared in the last Prepare: address and bytes,
    // whether it came from the cache (vs. made), and whether it is shared.
    struct SharedUse {
      const void* data = nullptr;
      size_t bytes = 0;
      bool hit = false;
      bool shared = false;
    };
    std::vector<SharedUse> shared_data;
  };
  // One step of execution: a CPU partition (its nodes run one by one) or a
  // compiled backend segment.
  struct Step {
    std::string backend;                      // "cpu" or the backend name
    const backends::Backend* impl = nullptr;  // null for the CPU
    backends::Segment segment;
    std::unique_ptr<backends::CompiledSegment> compiled;
  };

  Subgraph() = default;
  // Partitions the nodes and compiles delegated segments, demoting nodes
  // whose backend fails to compile them.
  Status BuildPlan();
  // Moves `nodes` off `backend` (recording why) and rebuilds the plan.
  Status Demote(const std::string& backend, const std::string& stage,
                const std::vector<int>& nodes, const std::string& reason);
  Status AllocateOnce(bool* replanned);
  // Demotes the delegated segment that holds `node`.
  Status DemoteNodeOf(int node, const std::string& stage,
                      const std::string& reason);
  Status EvalNode(Node& node);
  Status FallBackAtInvoke(size_t step_index, const Status& failure);
  Status PrepareNode(Node& node, bool at_invoke);
  Status PlanAndAllocate();
  Status AllocateDynamic(int tensor_index);
  Status CheckFiniteInputs() const;
  // The shared/private packed-data fields of stats_, from every node.
  void UpdatePackedStats();

  std::vector<kernels::Tensor> tensors_;
  // Declared before nodes_: outlives the kernels (which do not need it).
  std::shared_ptr<kernels::SharedDataCache> shared_data_;
  std::vector<Node> nodes_;
  InterpreterOptions options_;
  std::vector<Step> steps_;
  std::vector<int> order_;  // node execution order (from the plan)
  // excluded_[node]: backends that must not take the node, with the reason.
  std::vector<std::vector<std::pair<std::string, std::string>>> excluded_;
  ExecutionPlanInfo plan_info_;
  std::vector<int> inputs_;
  std::vector<int> outputs_;
  size_t max_arena_bytes_ = 0;
  bool allocated_ = false;
  const std::atomic<bool>* cancel_flag_ = nullptr;

  AlignedBuffer arena_;
  AlignedBuffer scratch_;
  std::vector<AlignedBuffer> variable_buffers_;  // by tensor index
  std::vector<AlignedBuffer> dynamic_buffers_;   // by tensor index
  MemoryStats stats_;
};

}  // namespace edgerun::runtime

#endif  // EDGERUN_RUNTIME_SUBGRAPH_H_
