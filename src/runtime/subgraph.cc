#include "runtime/subgraph.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "format/model_verifier.h"
#include "format/tflite_generated.h"
#include "planner/memory_planner.h"

namespace edgerun::runtime {
namespace {

constexpr size_t kAlign = planner::kArenaAlignment;

size_t AlignUp(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

// Bytes a tensor of this type and shape needs; 0 for variable-size types.
StatusOr<size_t> TensorBytes(const kernels::Tensor& t) {
  const size_t element = DataTypeSize(t.type);
  int64_t n = 1;
  for (int32_t d : t.shape.dims()) {
    if (d < 0) {
      return InvalidArgumentError("tensor '" + t.name +
                                  "' has negative dimension in shape " +
                                  t.shape.ToString());
    }
    if (__builtin_mul_overflow(n, static_cast<int64_t>(d), &n)) {
      return ResourceExhaustedError("tensor '" + t.name + "' shape " +
                                    t.shape.ToString() + " overflows");
    }
  }
  size_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<size_t>(n), element, &bytes)) {
    return ResourceExhaustedError("tensor '" + t.name + "' is too large");
  }
  return bytes;
}

}  // namespace

bool AlignedBuffer::Reserve(size_t bytes) {
  if (bytes <= capacity && data != nullptr) return true;
  const size_t size = AlignUp(std::max<size_t>(bytes, 1));
  void* block = std::aligned_alloc(kAlign, size);
  if (block == nullptr) return false;
  data.reset(static_cast<uint8_t*>(block));
  capacity = size;
  return true;
}

// The KernelContext of one node, for one Prepare or Eval call.
class Subgraph::NodeContext final : public kernels::KernelContext {
 public:
  enum class Phase { kPrepare, kPrepareAtInvoke, kEval };

  NodeContext(Subgraph& graph, Node& node, Phase phase)
      : graph_(graph), node_(node), phase_(phase) {}

  const kernels::NodeInfo& node() const override { return node_.info; }
  int num_inputs() const override {
    return static_cast<int>(node_.inputs.size());
  }
  int num_outputs() const override {
    return static_cast<int>(node_.outputs.size());
  }
  const kernels::Tensor* input(int i) const override {
    const int t = TensorAt(node_.inputs, i);
    return t < 0 ? nullptr : &graph_.tensors_[t];
  }
  kernels::Tensor* mutable_input(int i) override {
    const int t = TensorAt(node_.inputs, i);
    return t < 0 ? nullptr : &graph_.tensors_[t];
  }
  kernels::Tensor* output(int i) override {
    const int t = TensorAt(node_.outputs, i);
    return t < 0 ? nullptr : &graph_.tensors_[t];
  }
  int num_intermediates() const override {
    return static_cast<int>(node_.intermediates.size());
  }
  const kernels::Tensor* intermediate(int i) const override {
    const int t = TensorAt(node_.intermediates, i);
    return t < 0 ? nullptr : &graph_.tensors_[t];
  }
  bool HasValues(int i) const override {
    const kernels::Tensor* t = input(i);
    if (t == nullptr) return false;
    return t->is_constant || phase_ != Phase::kPrepare;
  }
  Status ResizeOutput(int i, const kernels::Shape& shape) override {
    const int t = TensorAt(node_.outputs, i);
    if (t < 0) return InvalidArgument("output " + std::to_string(i) + " is missing");
    for (int32_t d : shape.dims()) {
      if (d < 0) {
        return InvalidArgument("output " + std::to_string(i) +
                               " would get negative shape " + shape.ToString());
      }
    }
    graph_.tensors_[t].shape = shape;
    if (phase_ != Phase::kPrepare) return graph_.AllocateDynamic(t);
    return OkStatus();
  }
  void SetOutputsDynamic() override { dynamic_requested_ = true; }
  Status RequestScratch(size_t bytes, int* handle) override {
    *handle = static_cast<int>(node_.scratch.size());
    node_.scratch.push_back(bytes);
    if (phase_ != Phase::kPrepare) {
      // Prepared at Invoke: grow the shared scratch right away.
      size_t total = 0;
      for (size_t s : node_.scratch) total += AlignUp(s);
      if (!graph_.scratch_.Reserve(total)) {
        return Error(StatusCode::kResourceExhausted,
                     "cannot allocate " + std::to_string(total) +
                         " bytes of scratch");
      }
      graph_.stats_.scratch_bytes =
          std::max(graph_.stats_.scratch_bytes, graph_.scratch_.capacity);
    }
    return OkStatus();
  }
  void* Scratch(int handle) override {
    size_t offset = 0;
    for (int i = 0; i < handle; ++i) offset += AlignUp(node_.scratch[i]);
    return graph_.scratch_.data.get() + offset;
  }

  bool dynamic_requested() const { return dynamic_requested_; }

 private:
  static int TensorAt(const std::vector<int>& list, int i) {
    if (i < 0 || static_cast<size_t>(i) >= list.size()) return -1;
    return list[i];
  }

  Subgraph& graph_;
  Node& node_;
  Phase phase_;
  bool dynamic_requested_ = false;
};

StatusOr<std::unique_ptr<Subgraph>> Subgraph::Create(
    const ModelFile& model, int index, const kernels::KernelRegistry& registry,
    size_t max_arena_bytes) {
  const tfl::Model& m = model.model();
  if (m.subgraphs() == nullptr || index < 0 ||
      static_cast<size_t>(index) >= m.subgraphs()->size()) {
    return InvalidArgumentError("model has no subgraph " + std::to_string(index));
  }
  const tfl::SubGraph& g = *m.subgraphs()->Get(index);
  std::unique_ptr<Subgraph> s(new Subgraph());
  s->max_arena_bytes_ = max_arena_bytes;
  const size_t num_tensors = g.tensors() ? g.tensors()->size() : 0;
  s->tensors_.resize(num_tensors);
  s->variable_buffers_.resize(num_tensors);
  s->dynamic_buffers_.resize(num_tensors);
  for (size_t i = 0; i < num_tensors; ++i) {
    const tfl::Tensor& src = *g.tensors()->Get(i);
    kernels::Tensor& t = s->tensors_[i];
    t.type = static_cast<DataType>(src.type());
    if (src.shape() != nullptr) {
      t.shape = kernels::Shape(std::vector<int32_t>(src.shape()->begin(),
                                                    src.shape()->end()));
    }
    if (src.name() != nullptr) t.name = src.name()->str();
    t.is_variable = src.is_variable();
    if (const tfl::QuantizationParameters* q = src.quantization()) {
      if (q->scale() != nullptr) {
        t.quant.scale.assign(q->scale()->begin(), q->scale()->end());
      }
      if (q->zero_point() != nullptr) {
        t.quant.zero_point.assign(q->zero_point()->begin(),
                                  q->zero_point()->end());
      }
      t.quant.quantized_dimension = q->quantized_dimension();
      // Rank-1 per-channel vectors with an out-of-range dimension were
      // accepted by the loader (TFLite Micro convention): it means 0.
      if (t.quant.quantized_dimension >= t.shape.rank()) {
        t.quant.quantized_dimension = 0;
      }
    }
    const std::span<const uint8_t> data = model.BufferData(src.buffer());
    if (!data.empty() && !t.is_variable) {
      t.is_constant = true;
      t.data = const_cast<uint8_t*>(data.data());  // kernels never write it
      t.bytes = data.size();
    }
  }
  if (g.inputs()) s->inputs_.assign(g.inputs()->begin(), g.inputs()->end());
  if (g.outputs()) s->outputs_.assign(g.outputs()->begin(), g.outputs()->end());

  const size_t num_ops = g.operators() ? g.operators()->size() : 0;
  s->nodes_.resize(num_ops);
  for (size_t n = 0; n < num_ops; ++n) {
    const tfl::Operator& op = *g.operators()->Get(n);
    const tfl::OperatorCode& code = *m.operator_codes()->Get(op.opcode_index());
    Node& node = s->nodes_[n];
    node.info.index = static_cast<int>(n);
    node.info.builtin_code = format_internal::EffectiveBuiltinCode(code);
    node.info.op_name = format_internal::OperatorCodeName(code);
    node.info.version = code.version();
    node.info.op = &op;
    if (op.large_custom_options_offset() > 1) {
      node.info.custom_options = model.bytes().subspan(
          op.large_custom_options_offset(), op.large_custom_options_size());
    } else if (op.custom_options() != nullptr) {
      node.info.custom_options = {op.custom_options()->data(),
                                  op.custom_options()->size()};
    }
    if (op.inputs()) node.inputs.assign(op.inputs()->begin(), op.inputs()->end());
    if (op.outputs()) {
      node.outputs.assign(op.outputs()->begin(), op.outputs()->end());
    }
    if (op.intermediates()) {
      node.intermediates.assign(op.intermediates()->begin(),
                                op.intermediates()->end());
    }
    const std::string custom_name =
        code.custom_code() ? code.custom_code()->str() : std::string();
    StatusOr<kernels::KernelFactory> factory =
        registry.Find(node.info.builtin_code, custom_name, node.info.version);
    if (factory.ok()) {
      node.kernel = (*factory)();
    } else {
      node.lookup_error =
          Status(StatusCode::kUnimplemented,
                 "node " + std::to_string(n) + " (" + node.info.op_name +
                     "): " + factory.status().message());
    }
  }
  return s;
}

Status Subgraph::PrepareNode(Node& node, bool at_invoke) {
  if (!node.lookup_error.ok()) return node.lookup_error;
  node.scratch.clear();
  NodeContext ctx(*this, node,
                  at_invoke ? NodeContext::Phase::kPrepareAtInvoke
                            : NodeContext::Phase::kPrepare);
  RETURN_IF_ERROR(node.kernel->Prepare(ctx));
  if (!at_invoke && ctx.dynamic_requested()) {
    node.dynamic = true;
    for (int t : node.outputs) {
      if (t >= 0) tensors_[t].is_dynamic = true;
    }
  }
  return OkStatus();
}

Status Subgraph::AllocateTensors() {
  allocated_ = false;
  for (kernels::Tensor& t : tensors_) {
    if (!t.is_constant && !t.is_variable) t.is_dynamic = false;
  }
  for (Node& node : nodes_) {
    node.dynamic = false;
    bool input_dynamic = false;
    for (int t : node.inputs) {
      if (t >= 0 && tensors_[t].is_dynamic) input_dynamic = true;
    }
    if (input_dynamic) {
      // Shapes upstream are only known at Invoke; so are ours.
      if (!node.lookup_error.ok()) return node.lookup_error;
      node.dynamic = true;
      for (int t : node.outputs) {
        if (t >= 0) tensors_[t].is_dynamic = true;
      }
      continue;
    }
    RETURN_IF_ERROR(PrepareNode(node, /*at_invoke=*/false));
  }
  RETURN_IF_ERROR(PlanAndAllocate());
  allocated_ = true;
  return OkStatus();
}

Status Subgraph::PlanAndAllocate() {
  const int num_nodes = static_cast<int>(nodes_.size());
  // Lifetimes: [producer, last reader]; graph inputs and outputs live for
  // the whole run so callers can read them after Invoke.
  std::vector<int> first(tensors_.size(), -1);
  std::vector<int> last(tensors_.size(), -1);
  for (int t : inputs_) {
    first[t] = 0;
    last[t] = num_nodes;
  }
  for (int n = 0; n < num_nodes; ++n) {
    for (int t : nodes_[n].outputs) {
      if (t >= 0 && first[t] < 0) first[t] = n;
      if (t >= 0) last[t] = std::max(last[t], n);
    }
    for (int t : nodes_[n].inputs) {
      if (t >= 0) last[t] = std::max(last[t], n);
    }
    for (int t : nodes_[n].intermediates) {
      if (first[t] < 0) first[t] = n;
      last[t] = std::max(last[t], n);
    }
  }
  for (int t : outputs_) last[t] = num_nodes;

  std::vector<planner::BufferRequest> requests;
  std::vector<int> planned;  // tensor index per request
  stats_ = MemoryStats();
  for (size_t i = 0; i < tensors_.size(); ++i) {
    kernels::Tensor& t = tensors_[i];
    if (t.is_constant) continue;
    if (t.is_dynamic) {
      t.data = dynamic_buffers_[i].data.get();
      continue;
    }
    ASSIGN_OR_RETURN(const size_t bytes, TensorBytes(t));
    if (t.is_variable) {
      if (!variable_buffers_[i].Reserve(bytes)) {
        return ResourceExhaustedError("cannot allocate variable tensor '" +
                                      t.name + "'");
      }
      // Keep state across re-planning only when the size is unchanged.
      if (t.bytes != bytes || t.data != variable_buffers_[i].data.get()) {
        std::memset(variable_buffers_[i].data.get(), 0, bytes);
      }
      t.data = variable_buffers_[i].data.get();
      t.bytes = bytes;
      stats_.variable_bytes += bytes;
      continue;
    }
    if (first[i] < 0) {
      // Neither produced nor a graph input: nothing reads meaningful data,
      // but kernels may still expect a buffer of the right size.
      first[i] = 0;
      last[i] = std::max(last[i], 0);
    }
    requests.push_back({bytes, first[i], std::max(first[i], last[i])});
    planned.push_back(static_cast<int>(i));
    t.bytes = bytes;
  }
  const planner::MemoryPlan plan = planner::PlanMemory(requests);
  if (plan.arena_bytes > max_arena_bytes_) {
    return ResourceExhaustedError(
        "tensor arena would need " + std::to_string(plan.arena_bytes) +
        " bytes, over the limit of " + std::to_string(max_arena_bytes_));
  }
  if (!arena_.Reserve(plan.arena_bytes)) {
    return ResourceExhaustedError("cannot allocate a tensor arena of " +
                                  std::to_string(plan.arena_bytes) + " bytes");
  }
  for (size_t r = 0; r < planned.size(); ++r) {
    kernels::Tensor& t = tensors_[planned[r]];
    t.data = t.bytes == 0 ? arena_.data.get() : arena_.data.get() + plan.offsets[r];
  }
  stats_.arena_bytes = plan.arena_bytes;
  stats_.tensor_bytes = plan.total_bytes;

  size_t scratch = 0;
  for (const Node& node : nodes_) {
    size_t total = 0;
    for (size_t s : node.scratch) total += AlignUp(s);
    scratch = std::max(scratch, total);
  }
  if (!scratch_.Reserve(scratch)) {
    return ResourceExhaustedError("cannot allocate " + std::to_string(scratch) +
                                  " bytes of kernel scratch");
  }
  stats_.scratch_bytes = scratch_.capacity;
  return OkStatus();
}

Status Subgraph::AllocateDynamic(int tensor_index) {
  kernels::Tensor& t = tensors_[tensor_index];
  ASSIGN_OR_RETURN(const size_t bytes, TensorBytes(t));
  if (bytes > max_arena_bytes_) {
    return ResourceExhaustedError("dynamic tensor '" + t.name + "' of shape " +
                                  t.shape.ToString() + " exceeds the memory limit");
  }
  AlignedBuffer& buffer = dynamic_buffers_[tensor_index];
  if (!buffer.Reserve(bytes)) {
    return ResourceExhaustedError("cannot allocate dynamic tensor '" + t.name + "'");
  }
  t.data = buffer.data.get();
  t.bytes = bytes;
  t.is_dynamic = true;
  stats_.dynamic_bytes = 0;
  for (const AlignedBuffer& b : dynamic_buffers_) stats_.dynamic_bytes += b.capacity;
  return OkStatus();
}

Status Subgraph::ResizeTensor(int tensor_index, const kernels::Shape& shape) {
  if (tensor_index < 0 || tensor_index >= num_tensors()) {
    return InvalidArgumentError("no tensor " + std::to_string(tensor_index));
  }
  for (int32_t d : shape.dims()) {
    if (d < 0) {
      return InvalidArgumentError("shape " + shape.ToString() +
                                  " has a negative dimension");
    }
  }
  kernels::Tensor& t = tensors_[tensor_index];
  if (t.is_constant) {
    return InvalidArgumentError("tensor '" + t.name + "' is constant");
  }
  if (t.shape == shape) return OkStatus();
  t.shape = shape;
  allocated_ = false;
  return OkStatus();
}

Status Subgraph::CheckFiniteInputs() const {
  for (size_t k = 0; k < inputs_.size(); ++k) {
    const kernels::Tensor& t = tensors_[inputs_[k]];
    if (t.type != DataType::kFloat32) continue;
    const float* v = t.data_as<float>();
    const int64_t n = t.NumElements();
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(v[i])) {
        return InvalidArgumentError(
            "input " + std::to_string(k) + " '" + t.name + "' has " +
            (std::isnan(v[i]) ? "NaN" : "Inf") + " at element " +
            std::to_string(i) + "; inputs must be finite");
      }
    }
  }
  return OkStatus();
}

Status Subgraph::Invoke() {
  if (!allocated_) RETURN_IF_ERROR(AllocateTensors());
  RETURN_IF_ERROR(CheckFiniteInputs());
  for (Node& node : nodes_) {
    if (node.dynamic) RETURN_IF_ERROR(PrepareNode(node, /*at_invoke=*/true));
    NodeContext ctx(*this, node, NodeContext::Phase::kEval);
    Status status = node.kernel->Eval(ctx);
    if (!status.ok()) {
      const std::string prefix =
          "node " + std::to_string(node.info.index) + " (";
      if (status.message().rfind(prefix, 0) == 0) return status;
      return status.WithContext("node " + std::to_string(node.info.index) +
                                " (" + node.info.op_name + ")");
    }
  }
  return OkStatus();
}

ExecutionPlanInfo Subgraph::plan_info() const {
  ExecutionPlanInfo info;
  info.backends = {"cpu"};
  PartitionInfo cpu;
  cpu.backend = "cpu";
  for (const Node& node : nodes_) {
    cpu.nodes.push_back(node.info.index);
    cpu.ops.push_back(node.info.op_name);
  }
  cpu.inputs = inputs_;
  cpu.outputs = outputs_;
  info.partitions.push_back(std::move(cpu));
  return info;
}

Status Subgraph::ResetVariables() {
  for (size_t i = 0; i < tensors_.size(); ++i) {
    kernels::Tensor& t = tensors_[i];
    if (t.is_variable && t.data != nullptr) std::memset(t.data, 0, t.bytes);
  }
  return OkStatus();
}

}  // namespace edgerun::runtime
