// FakeGraph: a GraphView built in code, so planner and backend tests run
// without model files.
//
//   FakeGraph g;
//   const int in = g.AddInput();                 // graph input tensor
//   const int w = g.AddConstant(DataType::kFloat32, {8, 8});
//   const int a = g.AddOp("FULLY_CONNECTED", {in, w});  // returns output
//   const int b = g.AddOp("RELU", {a});
//   g.MarkOutput(b);
//
// Nodes are numbered in the order they are added (that order is the
// "model order"; it need not be topological only if a test wants a
// malformed graph). Tensors have no data: `data` stays null.
//
// Ownership: owns every tensor and node. Thread-safety: none (test helper);
// read-only use from one thread.
#ifndef EDGERUN_PLANNER_FAKE_GRAPH_H_
#define EDGERUN_PLANNER_FAKE_GRAPH_H_

#include <span>
#include <string>
#include <vector>

#include "edgerun/format/types.h"
#include "kernels/kernel_api.h"
#include "kernels/shape.h"
#include "planner/graph_view.h"

namespace edgerun::planner {

class FakeGraph : public GraphView {
 public:
  // A plain (activation) tensor; returns its index.
  int AddTensor(DataType type = DataType::kFloat32, kernels::Shape shape = {1},
                std::string name = "");
  // A constant tensor (weights); `data` stays null.
  int AddConstant(DataType type = DataType::kFloat32,
                  kernels::Shape shape = {1}, std::string name = "");
  // A variable tensor (state read and written in place).
  int AddVariable(DataType type = DataType::kFloat32,
                  kernels::Shape shape = {1}, std::string name = "");
  // A new tensor that is also appended to the graph inputs.
  int AddInput(DataType type = DataType::kFloat32, kernels::Shape shape = {1},
               std::string name = "");
  void MarkInput(int tensor) { graph_inputs_.push_back(tensor); }
  void MarkOutput(int tensor) { graph_outputs_.push_back(tensor); }

  // A node reading `inputs` (-1 = omitted optional input) and writing
  // `outputs`; returns the node index. builtin_code is 0 unless set through
  // mutable_node().
  int AddNode(std::string op_name, std::vector<int> inputs,
              std::vector<int> outputs);
  // A node with one new float32 output tensor of shape {1}; returns that
  // tensor (the node is num_nodes() - 1).
  int AddOp(std::string op_name, std::vector<int> inputs);
  // The node writing `tensor`, or -1.
  int ProducerOf(int tensor) const;

  kernels::Tensor& mutable_tensor(int index) { return tensors_[index]; }
  kernels::NodeInfo& mutable_node(int index) { return nodes_[index].info; }

  // GraphView.
  int num_tensors() const override { return static_cast<int>(tensors_.size()); }
  const kernels::Tensor& tensor(int index) const override {
    return tensors_[index];
  }
  int num_nodes() const override { return static_cast<int>(nodes_.size()); }
  const kernels::NodeInfo& node(int index) const override {
    return nodes_[index].info;
  }
  std::span<const int> node_inputs(int index) const override {
    return nodes_[index].inputs;
  }
  std::span<const int> node_outputs(int index) const override {
    return nodes_[index].outputs;
  }
  std::span<const int> graph_inputs() const override { return graph_inputs_; }
  std::span<const int> graph_outputs() const override { return graph_outputs_; }

 private:
  struct Node {
    kernels::NodeInfo info;
    std::vector<int> inputs;
    std::vector<int> outputs;
  };
  std::vector<kernels::Tensor> tensors_;
  std::vector<Node> nodes_;
  std::vector<int> graph_inputs_;
  std::vector<int> graph_outputs_;
};

}  // namespace edgerun::planner

#endif  // EDGERUN_PLANNER_FAKE_GRAPH_H_
