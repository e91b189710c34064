#include "planner/fake_graph.h"

#include <utility>

namespace edgerun::planner {

int FakeGraph::AddTensor(DataType type, kernels::Shape shape,
                         std::string name) {
  kernels::Tensor t;
  t.type = type;
  t.shape = std::move(shape);
  t.name =
      name.empty() ? "t" + std::to_string(tensors_.size()) : std::move(name);
  tensors_.push_back(std::move(t));
  return static_cast<int>(tensors_.size()) - 1;
}

int FakeGraph::AddConstant(DataType type, kernels::Shape shape,
                           std::string name) {
  const int t = AddTensor(type, std::move(shape), std::move(name));
  tensors_[t].is_constant = true;
  return t;
}

int FakeGraph::AddVariable(DataType type, kernels::Shape shape,
                           std::string name) {
  const int t = AddTensor(type, std::move(shape), std::move(name));
  tensors_[t].is_variable = true;
  return t;
}

int FakeGraph::AddInput(DataType type, kernels::Shape shape, std::string name) {
  const int t = AddTensor(type, std::move(shape), std::move(name));
  graph_inputs_.push_back(t);
  return t;
}

int FakeGraph::AddNode(std::string op_name, std::vector<int> inputs,
                       std::vector<int> outputs) {
  Node node;
  node.info.index = static_cast<int>(nodes_.size());
  node.info.op_name = std::move(op_name);
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  nodes_.push_back(std::move(node));
  return static_cast<int>(nodes_.size()) - 1;
}

int FakeGraph::AddOp(std::string op_name, std::vector<int> inputs) {
  const int out = AddTensor();
  AddNode(std::move(op_name), std::move(inputs), {out});
  return out;
}

int FakeGraph::ProducerOf(int tensor) const {
  for (int n = 0; n < num_nodes(); ++n) {
    for (int t : nodes_[n].outputs) {
      if (t == tensor) return n;
    }
  }
  return -1;
}

}  // namespace edgerun::planner
