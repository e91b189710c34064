// GraphView: a read-only view of one executable subgraph (tensors and nodes
// in execution order) for the partitioner and the backends. The runtime's
// Subgraph implements it; planner tests use FakeGraph (fake_graph.h).
//
// Tensors are the kernels' Tensor structs (shape, type, quantization, data
// pointer once memory is planned). Backends read tensor data through the
// view at Execute time: graph inputs and boundary tensors live in host
// memory owned by the runtime.
//
// Thread-safety: a view is read by one thread at a time (the owning
// interpreter's).
#ifndef EDGERUN_PLANNER_GRAPH_VIEW_H_
#define EDGERUN_PLANNER_GRAPH_VIEW_H_

#include <span>

#include "kernels/kernel_api.h"

namespace edgerun::planner {

class GraphView {
 public:
  virtual ~GraphView() = default;
  virtual int num_tensors() const = 0;
  virtual const kernels::Tensor& tensor(int index) const = 0;
  virtual int num_nodes() const = 0;
  virtual const kernels::NodeInfo& node(int index) const = 0;
  // Tensor indices; -1 marks an omitted optional input.
  virtual std::span<const int> node_inputs(int index) const = 0;
  virtual std::span<const int> node_outputs(int index) const = 0;
  virtual std::span<const int> graph_inputs() const = 0;
  virtual std::span<const int> graph_outputs() const = 0;
};

}  // namespace edgerun::planner

#endif  // EDGERUN_PLANNER_GRAPH_VIEW_H_
