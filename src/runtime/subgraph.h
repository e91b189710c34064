// Subgraph: the executable form of one model subgraph: tensors, nodes with
// their kernels, the planned arena, variable and dynamic buffers.
// Internal to the runtime; Interpreter is the public face.
//
// Ownership: owns tensors, kernels and memory; borrows the ModelFile (the
// Interpreter keeps it alive). Thread-safety: none (see Interpreter).
#ifndef EDGERUN_RUNTIME_SUBGRAPH_H_
#define EDGERUN_RUNTIME_SUBGRAPH_H_

#include <cstdlib>
#include <memory>
#include <vector>

#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "kernels/kernel_api.h"
#include "kernels/registry.h"

namespace edgerun::runtime {

// Heap block aligned to 64 bytes, freed with std::free.
struct AlignedBuffer {
  std::unique_ptr<uint8_t, void (*)(void*)> data{nullptr, &std::free};
  size_t capacity = 0;
  // Grows to at least `bytes` (contents are not kept); false on OOM.
  bool Reserve(size_t bytes);
};

class Subgraph {
 public:
  static StatusOr<std::unique_ptr<Subgraph>> Create(
      const ModelFile& model, int index, const kernels::KernelRegistry& registry,
      size_t max_arena_bytes);

  Status AllocateTensors();
  Status ResizeTensor(int tensor_index, const kernels::Shape& shape);
  Status Invoke();
  Status ResetVariables();

  int num_tensors() const { return static_cast<int>(tensors_.size()); }
  kernels::Tensor& tensor(int i) { return tensors_[i]; }
  const kernels::Tensor& tensor(int i) const { return tensors_[i]; }
  const std::vector<int>& inputs() const { return inputs_; }
  const std::vector<int>& outputs() const { return outputs_; }
  size_t num_nodes() const { return nodes_.size(); }
  bool allocated() const { return allocated_; }
  const MemoryStats& memory_stats() const { return stats_; }
  ExecutionPlanInfo plan_info() const;

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
    std::vector<size_t> scratch;  // requested scratch sizes
  };

  Subgraph() = default;
  Status PrepareNode(Node& node, bool at_invoke);
  Status PlanAndAllocate();
  Status AllocateDynamic(int tensor_index);
  Status CheckFiniteInputs() const;

  std::vector<kernels::Tensor> tensors_;
  std::vector<Node> nodes_;
  std::vector<int> inputs_;
  std::vector<int> outputs_;
  size_t max_arena_bytes_ = 0;
  bool allocated_ = false;

  AlignedBuffer arena_;
  AlignedBuffer scratch_;
  std::vector<AlignedBuffer> variable_buffers_;  // by tensor index
  std::vector<AlignedBuffer> dynamic_buffers_;   // by tensor index
  MemoryStats stats_;
};

}  // namespace edgerun::runtime

#endif  // EDGERUN_RUNTIME_SUBGRAPH_H_
