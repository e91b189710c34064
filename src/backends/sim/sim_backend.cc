#include "backends/sim/sim_backend.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/registry.h"

namespace edgerun::backends::sim {
namespace {

constexpr size_t kAlign = 64;
// Slack after each buffer, as the runtime's arena has: optimized kernels may
// read a few bytes past the end of their inputs.
constexpr size_t kTailPadding = 64;

size_t AlignUp(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// The custom code the kernel registry is keyed by ("" for builtins).
std::string_view CustomName(const kernels::NodeInfo& info) {
  return info.builtin_code == tfl::BuiltinOperator_CUSTOM
             ? std::string_view(info.op_name)
             : std::string_view();
}

// An aligned heap buffer that only grows.
struct Buffer {
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data;
  size_t capacity = 0;

  bool Reserve(size_t bytes) {
    if (data != nullptr && bytes <= capacity) return true;
    const size_t size = AlignUp(std::max<size_t>(bytes, 1) + kTailPadding);
    void* block = std::aligned_alloc(kAlign, size);
    if (block == nullptr) return false;
    data.reset(static_cast<uint8_t*>(block));
    capacity = size - kTailPadding;
    return true;
  }
};

// One node of the segment: its kernel and its tensors as local indices.
struct SimNode {
  int graph_index = 0;
  std::unique_ptr<kernels::OpKernel> kernel;
  std::vector<int> inputs;  // local tensor index, -1 = omitted
  std::vector<int> outputs;
  std::vector<int> intermediates;
  std::vector<size_t> scratch;  // bytes per RequestScratch handle
};

class SimSegment;

// The KernelContext of one node for one Prepare or Eval, over the segment's
// local tensor table (copies of the graph's tensors whose data points at
// host memory for boundary tensors and at the segment's own buffers for
// internal ones).
class SimContext final : public kernels::KernelContext {
 public:
  SimContext(const kernels::NodeInfo& info, SimNode& node,
             std::vector<kernels::Tensor>& tensors, Buffer& scratch, bool eval)
      : info_(info), node_(node), tensors_(tensors), scratch_(scratch),
        eval_(eval) {}

  const kernels::NodeInfo& node() const override { return info_; }
  int num_inputs() const override {
    return static_cast<int>(node_.inputs.size());
  }
  int num_outputs() const override {
    return static_cast<int>(node_.outputs.size());
  }
  const kernels::Tensor* input(int i) const override {
    return At(node_.inputs, i);
  }
  kernels::Tensor* mutable_input(int i) override { return At(node_.inputs, i); }
  kernels::Tensor* output(int i) override { return At(node_.outputs, i); }
  int num_intermediates() const override {
    return static_cast<int>(node_.intermediates.size());
  }
  const kernels::Tensor* intermediate(int i) const override {
    return At(node_.intermediates, i);
  }
  bool HasValues(int i) const override {
    const kernels::Tensor* t = input(i);
    return t != nullptr && (t->is_constant || eval_);
  }
  Status ResizeOutput(int i, const kernels::Shape& shape) override {
    kernels::Tensor* t = output(i);
    if (t == nullptr) {
      return InvalidArgument("output " + std::to_string(i) + " is missing");
    }
    if (eval_ && !(t->shape == shape)) {
      // Buffers were sized at Reshape; the runtime keeps nodes with
      // run-time shapes off backends, so this means a kernel bug.
      return Error(StatusCode::kInternal,
                   "simulated accelerator: output " + std::to_string(i) +
                       " changed shape at run time");
    }
    t->shape = shape;
    return OkStatus();
  }
  void SetOutputsDynamic() override { dynamic_requested_ = true; }
  Status RequestScratch(size_t bytes, int* handle) override {
    if (eval_) {
      return Error(StatusCode::kInternal,
                   "simulated accelerator: scratch requested at Eval");
    }
    *handle = static_cast<int>(node_.scratch.size());
    node_.scratch.push_back(bytes);
    return OkStatus();
  }
  void* Scratch(int handle) override {
    size_t offset = 0;
    for (int i = 0; i < handle; ++i) offset += AlignUp(node_.scratch[i]);
    return scratch_.data.get() + offset;
  }

  bool dynamic_requested() const { return dynamic_requested_; }

 private:
  kernels::Tensor* At(const std::vector<int>& list, int i) const {
    if (i < 0 || static_cast<size_t>(i) >= list.size() || list[i] < 0) {
      return nullptr;
    }
    return &tensors_[list[i]];
  }

  const kernels::NodeInfo& info_;
  SimNode& node_;
  std::vector<kernels::Tensor>& tensors_;
  Buffer& scratch_;
  const bool eval_;
  bool dynamic_requested_ = false;
};

// A compiled segment: CPU kernel instances for its nodes, run in the
// simulated device's slot.
//
// Ownership: owns the kernels, the local tensor table, the buffers of
// internal tensors and the scratch; borrows the graph's boundary tensors
// (host memory) and constants (the model mapping).
// Thread-safety: one thread at a time (the owning interpreter's); the
// device serializes Executes of different segments.
class SimSegment final : public CompiledSegment {
 public:
  static StatusOr<std::unique_ptr<SimSegment>> Create(
      const planner::GraphView& graph, const Segment& segment) {
    std::unique_ptr<SimSegment> s(new SimSegment());
    s->local_of_.assign(graph.num_tensors(), -1);
    auto local = [&](int t) {
      if (t < 0 || t >= graph.num_tensors()) return -1;
      if (s->local_of_[t] < 0) {
        s->local_of_[t] = static_cast<int>(s->graph_index_.size());
        s->graph_index_.push_back(t);
      }
      return s->local_of_[t];
    };
    for (int n : segment.nodes) {
      const kernels::NodeInfo& info = graph.node(n);
      ASSIGN_OR_RETURN(kernels::KernelFactory factory,
                       kernels::BuiltinKernelRegistry().Find(
                           info.builtin_code, CustomName(info), info.version));
      SimNode node;
      node.graph_index = n;
      node.kernel = factory();
      for (int t : graph.node_inputs(n)) node.inputs.push_back(local(t));
      for (int t : graph.node_outputs(n)) node.outputs.push_back(local(t));
      // GraphView does not list intermediates (quantized LSTM scales);
      // they come from the operator table, as the runtime reads them.
      if (info.op != nullptr && info.op->intermediates() != nullptr) {
        for (int32_t t : *info.op->intermediates()) {
          node.intermediates.push_back(local(t));
        }
      }
      s->nodes_.push_back(std::move(node));
    }
    s->tensors_.resize(s->graph_index_.size());
    s->internal_.assign(s->graph_index_.size(), 0);
    s->buffers_.resize(s->graph_index_.size());
    // The operator's address in the model's FlatBuffer is shared by every
    // interpreter of one loaded model: the device's notion of "the same
    // model". Graphs not built from a model fall back to this segment.
    const tfl::Operator* first = graph.node(segment.nodes.front()).op;
    s->model_key_ = first != nullptr ? static_cast<const void*>(first)
                                     : static_cast<const void*>(s.get());
    return s;
  }

  Status Reshape(const planner::GraphView& graph) override {
    prepared_ = false;
    // Fresh copies of the graph's tensors: shapes, quantization and data
    // pointers may all have changed with the new memory plan. The runtime
    // gives tensors produced and consumed inside the segment no memory
    // (data == nullptr); those are ours.
    for (size_t l = 0; l < tensors_.size(); ++l) {
      tensors_[l] = graph.tensor(graph_index_[l]);
      internal_[l] = !tensors_[l].is_constant && tensors_[l].data == nullptr;
    }
    size_t scratch = 0;
    for (SimNode& node : nodes_) {
      node.scratch.clear();
      SimContext ctx(graph.node(node.graph_index), node, tensors_, scratch_,
                     /*eval=*/false);
      RETURN_IF_ERROR(node.kernel->Prepare(ctx));
      if (ctx.dynamic_requested()) {
        return FailedPreconditionError(
            "simulated accelerator: node " + std::to_string(node.graph_index) +
            " has a data-dependent output shape");
      }
      size_t total = 0;
      for (size_t bytes : node.scratch) total += AlignUp(bytes);
      scratch = std::max(scratch, total);
      // Outputs in host memory were sized by the runtime's own Prepare; a
      // disagreement would make us write past its buffers.
      for (int l : node.outputs) {
        if (l < 0 || internal_[l]) continue;
        if (!(tensors_[l].shape == graph.tensor(graph_index_[l]).shape)) {
          return FailedPreconditionError(
              "simulated accelerator: node " +
              std::to_string(node.graph_index) + " output shape " +
              tensors_[l].shape.ToString() + " differs from the runtime's " +
              graph.tensor(graph_index_[l]).shape.ToString());
        }
      }
    }
    for (size_t l = 0; l < tensors_.size(); ++l) {
      if (!internal_[l]) continue;
      kernels::Tensor& t = tensors_[l];
      const size_t bytes =
          static_cast<size_t>(t.NumElements()) * DataTypeSize(t.type);
      if (!buffers_[l].Reserve(bytes)) {
        return ResourceExhaustedError(
            "simulated accelerator: cannot allocate " + std::to_string(bytes) +
            " bytes for tensor '" + t.name + "'");
      }
      t.data = buffers_[l].data.get();
      t.bytes = bytes;
    }
    if (!scratch_.Reserve(scratch)) {
      return ResourceExhaustedError(
          "simulated accelerator: cannot allocate " + std::to_string(scratch) +
          " bytes of scratch");
    }
    prepared_ = true;
    return OkStatus();
  }

  Status Execute(const planner::GraphView& graph) override {
    if (!prepared_) {
      return FailedPreconditionError(
          "simulated accelerator: Execute before a successful Reshape");
    }
    // Boundary tensors live in host memory the runtime may have moved since
    // Reshape only by re-planning, which calls Reshape again; re-reading the
    // pointers is cheap and keeps us honest.
    for (size_t l = 0; l < tensors_.size(); ++l) {
      if (internal_[l] || tensors_[l].is_constant) continue;
      tensors_[l].data = graph.tensor(graph_index_[l]).data;
    }
    return RunOnSimDevice(model_key_, [&]() -> Status {
      for (SimNode& node : nodes_) {
        const kernels::NodeInfo& info = graph.node(node.graph_index);
        SimContext ctx(info, node, tensors_, scratch_, /*eval=*/true);
        Status status = node.kernel->Eval(ctx);
        if (status.ok()) continue;
        const std::string prefix = "node " + std::to_string(info.index) + " (";
        if (status.message().rfind(prefix, 0) == 0) return status;
        return status.WithContext("node " + std::to_string(info.index) + " (" +
                                  info.op_name + ")");
      }
      return OkStatus();
    });
  }

 private:
  SimSegment() = default;

  std::vector<SimNode> nodes_;
  std::vector<int> local_of_;     // graph tensor -> local index (-1: unused)
  std::vector<int> graph_index_;  // local index -> graph tensor
  std::vector<kernels::Tensor> tensors_;
  std::vector<uint8_t> internal_;  // 1: lives in buffers_, not host memory
  std::vector<Buffer> buffers_;
  Buffer scratch_;  // shared by the nodes, like the runtime's
  const void* model_key_ = nullptr;
  bool prepared_ = false;
};

class SimBackend final : public Backend {
 public:
  std::string_view name() const override { return kSimBackendName; }

  // Simulated: always present.
  bool IsAvailable() const override { return true; }

  planner::NodeSupport Supports(const planner::GraphView& graph,
                                int node) const override {
    const kernels::NodeInfo& info = graph.node(node);
    StatusOr<kernels::KernelFactory> factory =
        kernels::BuiltinKernelRegistry().Find(info.builtin_code,
                                              CustomName(info), info.version);
    if (!factory.ok()) {
      return planner::NodeSupport::No("simulated accelerator: " +
                                      factory.status().message());
    }
    return planner::NodeSupport::Yes();
  }

  StatusOr<std::unique_ptr<CompiledSegment>> Compile(
      const planner::GraphView& graph, const Segment& segment,
      const BackendOptions& /*options*/) const override {
    if (segment.nodes.empty()) {
      return InvalidArgumentError("simulated accelerator: empty segment");
    }
    ASSIGN_OR_RETURN(std::unique_ptr<SimSegment> compiled,
                     SimSegment::Create(graph, segment));
    return std::unique_ptr<CompiledSegment>(std::move(compiled));
  }
};

}  // namespace

std::unique_ptr<Backend> CreateSimBackend() {
  return std::make_unique<SimBackend>();
}

}  // namespace edgerun::backends::sim
