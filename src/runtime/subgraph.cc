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

// Slack after every runtime buffer: XNNPACK's SIMD kernels may read up to
// 16 bytes past the end of their inputs.
constexpr size_t kTailPadding = 64;

bool AlignedBuffer::Reserve(size_t bytes) {
  if (bytes <= capacity && data != nullptr) return true;
  const size_t size = AlignUp(std::max<size_t>(bytes, 1) + kTailPadding);
  void* block = std::aligned_alloc(kAlign, size);
  if (block == nullptr) return false;
  data.reset(static_cast<uint8_t*>(block));
  capacity = size - kTailPadding;
  return true;
}

// The KernelContext of one node, for one Prepare or Eval call.
class Subgraph::NodeContext final : public kernels::KernelContext {
 public:
  enum class Phase { kPrepare, kPrepareAtInvoke, kEval };

  NodeContext(Subgraph& graph, Node& node, Phase phase)
      : graph_(graph), node_(node), phase_(phase) {}

  bool shape_only() const override { return node_.delegated; }

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
    if (t < 0)
      return InvalidArgument("output " + std::to_string(i) + " is missing");
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
        return Error(
            StatusCode::kResourceExhausted,
            "cannot allocate " + std::to_string(total) + " bytes of scratch");
      }
      graph_.stats_.scratch_bytes =
          std::max(graph_.stats_.scratch_bytes, graph_.scratch_.capacity);
    }
    return OkStatus();
  }
  kernels::SharedData GetOrCreateShared(
      std::string_view key,
      const std::function<kernels::SharedData()>& make) override {
    Node::SharedUse use;
    kernels::SharedData data;
    if (graph_.shared_data_ != nullptr) {
      data = graph_.shared_data_->GetOrCreate(key, make, &use.hit);
      use.shared = true;
    } else {
      data = make();  // sharing off: this interpreter's own copy
    }
    use.data = data.data.get();
    use.bytes = data.bytes;
    node_.shared_data.push_back(use);
    return data;
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
    const InterpreterOptions& options,
    std::shared_ptr<kernels::SharedDataCache> shared_data) {
  const tfl::Model& m = model.model();
  if (m.subgraphs() == nullptr || index < 0 ||
      static_cast<size_t>(index) >= m.subgraphs()->size()) {
    return InvalidArgumentError("model has no subgraph " +
                                std::to_string(index));
  }
  const tfl::SubGraph& g = *m.subgraphs()->Get(index);
  std::unique_ptr<Subgraph> s(new Subgraph());
  s->max_arena_bytes_ = options.max_arena_bytes;
  s->options_ = options;
  s->shared_data_ = std::move(shared_data);
  const size_t num_tensors = g.tensors() ? g.tensors()->size() : 0;
  s->tensors_.resize(num_tensors);
  s->variable_buffers_.resize(num_tensors);
  s->dynamic_buffers_.resize(num_tensors);
  for (size_t i = 0; i < num_tensors; ++i) {
    const tfl::Tensor& src = *g.tensors()->Get(i);
    kernels::Tensor& t = s->tensors_[i];
    t.type = static_cast<DataType>(src.type());
    if (src.shape() != nullptr) {
      t.shape = kernels::Shape(
          std::vector<int32_t>(src.shape()->begin(), src.shape()->end()));
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
    if (op.inputs())
      node.inputs.assign(op.inputs()->begin(), op.inputs()->end());
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
  s->excluded_.resize(num_ops);
  RETURN_IF_ERROR(s->BuildPlan());
  return s;
}

Status Subgraph::BuildPlan() {
  std::vector<planner::BackendCandidate> candidates;
  plan_info_.backends.clear();
  std::vector<const backends::Backend*> impls;
  const backends::BackendRegistry& registry = options_.backend_registry
                                                  ? *options_.backend_registry
                                                  : backends::BuiltinBackends();
  for (const std::string& name : options_.backends) {
    if (name == "cpu") break;  // the CPU takes the rest
    const backends::Backend* backend = registry.Find(name);
    if (backend == nullptr) {
      std::string known;
      for (const std::string& n : registry.Names()) known += n + ", ";
      return InvalidArgumentError("unknown backend '" + name +
                                  "' (available: " + known + "cpu)");
    }
    plan_info_.backends.push_back(name);
    if (!backend->IsAvailable()) {
      plan_info_.fallbacks.push_back(
          {name, "support", {}, "backend is not available on this machine"});
      continue;
    }
    impls.push_back(backend);
    candidates.push_back(
        {name,
         [this, backend, name](const planner::GraphView& graph, int node) {
           for (const auto& [excluded, reason] : excluded_[node]) {
             if (excluded == name) return planner::NodeSupport::No(reason);
           }
           return backend->Supports(graph, node);
         }});
  }
  plan_info_.backends.push_back("cpu");
  // The CPU takes every node it has a kernel for; a node without one is
  // reported as supported by no backend (and fails in AllocateTensors).
  candidates.push_back({"cpu", [this](const planner::GraphView&, int node) {
                          const Status& e = nodes_[node].lookup_error;
                          if (e.ok()) return planner::NodeSupport::Yes();
                          // lookup_error reads "node N (OP): <why>".
                          const std::string& m = e.message();
                          const size_t p = m.find("): ");
                          return planner::NodeSupport::No(
                              p == std::string::npos ? m : m.substr(p + 3));
                        }});
  planner::PartitionOptions partition_options;
  partition_options.max_delegated_partitions =
      options_.max_delegated_partitions;
  partition_options.min_nodes_per_partition = options_.min_nodes_per_partition;
  ASSIGN_OR_RETURN(
      planner::PartitionPlan plan,
      planner::PartitionGraph(*this, candidates, partition_options));

  steps_.clear();
  for (Node& node : nodes_) node.delegated = false;
  for (const planner::Partition& part : plan.partitions) {
    Step step;
    step.backend = plan.backends[part.backend];
    step.impl = part.backend + 1 < static_cast<int>(plan.backends.size())
                    ? impls[part.backend]
                    : nullptr;
    step.segment = {part.nodes, part.inputs, part.outputs};
    if (step.impl != nullptr) {
      backends::BackendOptions backend_options;
      backend_options.num_threads = options_.num_threads;
      StatusOr<std::unique_ptr<backends::CompiledSegment>> compiled =
          step.impl->Compile(*this, step.segment, backend_options);
      if (!compiled.ok()) {
        return Demote(step.backend, "compile", part.nodes,
                      compiled.status().message());
      }
      step.compiled = std::move(compiled).value();
      for (int n : part.nodes) nodes_[n].delegated = true;
    }
    steps_.push_back(std::move(step));
  }
  order_ = plan.ExecutionOrder();

  // Report: partitions, and nodes that preferred backends refused.
  plan_info_.partitions.clear();
  plan_info_.boundary_tensors = plan.boundary_tensors;
  plan_info_.packed_weight_bytes = 0;
  for (const Step& step : steps_) {
    PartitionInfo info;
    info.backend = step.backend;
    info.nodes = step.segment.nodes;
    for (int n : info.nodes) info.ops.push_back(nodes_[n].info.op_name);
    info.inputs = step.segment.inputs;
    info.outputs = step.segment.outputs;
    if (step.compiled)
      plan_info_.packed_weight_bytes += step.compiled->packed_weight_bytes();
    plan_info_.partitions.push_back(std::move(info));
  }
  std::erase_if(plan_info_.fallbacks, [](const FallbackEvent& e) {
    return e.stage == "support" && !e.nodes.empty();
  });
  for (const planner::NodeFallback& f : plan.fallbacks) {
    for (const auto& [backend, reason] : f.refusals) {
      plan_info_.fallbacks.push_back({backend, "support", {f.node}, reason});
    }
  }
  if (options_.require_full_delegation && plan_info_.backends.size() > 1) {
    for (const Step& step : steps_) {
      if (step.impl != nullptr) continue;
      std::string message = "full delegation required, but " +
                            std::to_string(step.segment.nodes.size()) +
                            " node(s) would run on the CPU:";
      for (int n : step.segment.nodes) {
        message +=
            " " + std::to_string(n) + " (" + nodes_[n].info.op_name + ")";
      }
      for (const FallbackEvent& e : plan_info_.fallbacks) {
        message += "; " + e.backend + ": " + e.reason;
        break;
      }
      return FailedPreconditionError(message);
    }
  }
  allocated_ = false;
  return OkStatus();
}

Status Subgraph::Demote(const std::string& backend, const std::string& stage,
                        const std::vector<int>& nodes,
                        const std::string& reason) {
  plan_info_.fallbacks.push_back({backend, stage, nodes, reason});
  if (options_.require_full_delegation) {
    return FailedPreconditionError("full delegation required, but " + backend +
                                   " failed to " + stage + ": " + reason);
  }
  for (int n : nodes)
    excluded_[n].emplace_back(backend, stage + " failed: " + reason);
  return BuildPlan();
}

Status Subgraph::PrepareNode(Node& node, bool at_invoke) {
  if (!node.lookup_error.ok()) return node.lookup_error;
  node.scratch.clear();
  node.shared_data.clear();
  NodeContext ctx(*this, node,
                  at_invoke ? NodeContext::Phase::kPrepareAtInvoke
                            : NodeContext::Phase::kPrepare);
  RETURN_IF_ERROR(node.kernel->Prepare(ctx));
  if (node.delegated && ctx.dynamic_requested()) {
    return FailedPreconditionError("data-dependent output shape");
  }
  if (!at_invoke && ctx.dynamic_requested()) {
    node.dynamic = true;
    for (int t : node.outputs) {
      if (t >= 0) tensors_[t].is_dynamic = true;
    }
  }
  return OkStatus();
}

Status Subgraph::AllocateTensors() {
  // A backend may refuse the prepared graph (dynamic shapes, a failed
  // reshape); its nodes then move on and we prepare again. Each round
  // removes a backend from some nodes, so this terminates.
  for (;;) {
    bool replanned = false;
    RETURN_IF_ERROR(AllocateOnce(&replanned));
    if (!replanned) return OkStatus();
  }
}

Status Subgraph::AllocateOnce(bool* replanned) {
  allocated_ = false;
  for (kernels::Tensor& t : tensors_) {
    if (!t.is_constant && !t.is_variable) t.is_dynamic = false;
  }
  for (int index : order_) {
    Node& node = nodes_[index];
    node.dynamic = false;
    bool input_dynamic = false;
    for (int t : node.inputs) {
      if (t >= 0 && tensors_[t].is_dynamic) input_dynamic = true;
    }
    if (input_dynamic) {
      // Shapes upstream are only known at Invoke; so are ours.
      if (!node.lookup_error.ok()) return node.lookup_error;
      if (node.delegated) {
        *replanned = true;
        return DemoteNodeOf(index, "prepare",
                            "input shape known only at run time");
      }
      node.dynamic = true;
      for (int t : node.outputs) {
        if (t >= 0) tensors_[t].is_dynamic = true;
      }
      continue;
    }
    Status prepared = PrepareNode(node, /*at_invoke=*/false);
    if (!prepared.ok() && node.delegated &&
        prepared.code() == StatusCode::kFailedPrecondition) {
      *replanned = true;
      return DemoteNodeOf(index, "prepare", prepared.message());
    }
    RETURN_IF_ERROR(prepared);
  }
  RETURN_IF_ERROR(PlanAndAllocate());
  for (Step& step : steps_) {
    if (!step.compiled) continue;
    Status reshaped = step.compiled->Reshape(*this);
    if (!reshaped.ok()) {
      *replanned = true;
      return Demote(step.backend, "reshape", step.segment.nodes,
                    reshaped.message());
    }
  }
  allocated_ = true;
  return OkStatus();
}

Status Subgraph::DemoteNodeOf(int node, const std::string& stage,
                              const std::string& reason) {
  for (const Step& step : steps_) {
    if (step.compiled &&
        std::find(step.segment.nodes.begin(), step.segment.nodes.end(), node) !=
            step.segment.nodes.end()) {
      return Demote(step.backend, stage, step.segment.nodes,
                    "node " + std::to_string(node) + " (" +
                        nodes_[node].info.op_name + "): " + reason);
    }
  }
  return InternalError("node " + std::to_string(node) + " is not delegated");
}

Status Subgraph::PlanAndAllocate() {
  const int num_nodes = static_cast<int>(nodes_.size());
  // Lifetimes in execution positions: [producer, last reader]; graph inputs
  // and outputs live for the whole run so callers can read them after
  // Invoke.
  std::vector<int> first(tensors_.size(), -1);
  std::vector<int> last(tensors_.size(), -1);
  for (int t : inputs_) {
    first[t] = 0;
    last[t] = num_nodes;
  }
  // Tensors produced and consumed inside one delegated segment live in the
  // backend, not in the arena.
  std::vector<uint8_t> backend_internal(tensors_.size(), 0);
  for (const Step& step : steps_) {
    if (!step.compiled) continue;
    for (int n : step.segment.nodes) {
      for (int t : nodes_[n].outputs) {
        if (t >= 0) backend_internal[t] = 1;
      }
    }
    for (int t : step.segment.outputs) backend_internal[t] = 0;
  }
  for (int t : outputs_) backend_internal[t] = 0;
  for (int position = 0; position < num_nodes; ++position) {
    const int n = order_[position];
    for (int t : nodes_[n].outputs) {
      if (t >= 0 && first[t] < 0) first[t] = position;
      if (t >= 0) last[t] = std::max(last[t], position);
    }
    for (int t : nodes_[n].inputs) {
      if (t >= 0) last[t] = std::max(last[t], position);
    }
    for (int t : nodes_[n].intermediates) {
      if (first[t] < 0) first[t] = position;
      last[t] = std::max(last[t], position);
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
    if (backend_internal[i]) {
      t.data = nullptr;
      t.bytes = 0;
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
    t.data =
        t.bytes == 0 ? arena_.data.get() : arena_.data.get() + plan.offsets[r];
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
  UpdatePackedStats();
  return OkStatus();
}

void Subgraph::UpdatePackedStats() {
  stats_.shared_packed_bytes = 0;
  stats_.private_packed_bytes = 0;
  stats_.shared_packed_hits = 0;
  std::vector<const void*> counted;  // a copy two nodes share counts once
  for (const Node& node : nodes_) {
    for (const Node::SharedUse& use : node.shared_data) {
      if (use.hit) ++stats_.shared_packed_hits;
      if (std::find(counted.begin(), counted.end(), use.data) !=
          counted.end()) {
        continue;
      }
      counted.push_back(use.data);
      (use.shared ? stats_.shared_packed_bytes : stats_.private_packed_bytes) +=
          use.bytes;
    }
  }
}

Status Subgraph::AllocateDynamic(int tensor_index) {
  kernels::Tensor& t = tensors_[tensor_index];
  ASSIGN_OR_RETURN(const size_t bytes, TensorBytes(t));
  if (bytes > max_arena_bytes_) {
    return ResourceExhaustedError("dynamic tensor '" + t.name + "' of shape " +
                                  t.shape.ToString() +
                                  " exceeds the memory limit");
  }
  AlignedBuffer& buffer = dynamic_buffers_[tensor_index];
  if (!buffer.Reserve(bytes)) {
    return ResourceExhaustedError("cannot allocate dynamic tensor '" + t.name +
                                  "'");
  }
  t.data = buffer.data.get();
  t.bytes = bytes;
  t.is_dynamic = true;
  stats_.dynamic_bytes = 0;
  for (const AlignedBuffer& b : dynamic_buffers_)
    stats_.dynamic_bytes += b.capacity;
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
  // Cancellation is polled before every CPU node and delegated segment: a
  // relaxed load, nothing to pay when no flag is set.
  size_t done = 0;
  auto cancelled = [&] {
    return cancel_flag_ != nullptr &&
           cancel_flag_->load(std::memory_order_relaxed);
  };
  auto cancelled_error = [&] {
    return CancelledError("invoke cancelled after " + std::to_string(done) +
                          " of " + std::to_string(nodes_.size()) + " nodes");
  };
  for (size_t s = 0; s < steps_.size(); ++s) {
    Step& step = steps_[s];
    if (step.compiled) {
      if (cancelled()) return cancelled_error();
      Status executed = step.compiled->Execute(*this);
      if (!executed.ok()) return FallBackAtInvoke(s, executed);
      done += step.segment.nodes.size();
      continue;
    }
    for (int index : step.segment.nodes) {
      if (cancelled()) return cancelled_error();
      RETURN_IF_ERROR(EvalNode(nodes_[index]));
      ++done;
    }
  }
  return OkStatus();
}

Status Subgraph::EvalNode(Node& node) {
  if (node.dynamic) RETURN_IF_ERROR(PrepareNode(node, /*at_invoke=*/true));
  NodeContext ctx(*this, node, NodeContext::Phase::kEval);
  Status status = node.kernel->Eval(ctx);
  if (status.ok()) return status;
  const std::string prefix = "node " + std::to_string(node.info.index) + " (";
  if (status.message().rfind(prefix, 0) == 0) return status;
  return status.WithContext("node " + std::to_string(node.info.index) + " (" +
                            node.info.op_name + ")");
}

Status Subgraph::FallBackAtInvoke(size_t step_index, const Status& failure) {
  // The segment failed mid-run: its nodes move to the next backend, memory
  // is planned again (tensor addresses may change), the inputs the caller
  // set are restored, and the whole graph runs again.
  std::vector<std::vector<uint8_t>> saved(inputs_.size());
  for (size_t k = 0; k < inputs_.size(); ++k) {
    const kernels::Tensor& t = tensors_[inputs_[k]];
    const auto* p = static_cast<const uint8_t*>(t.data);
    if (p != nullptr) saved[k].assign(p, p + t.bytes);
  }
  const Step& step = steps_[step_index];
  RETURN_IF_ERROR(
      Demote(step.backend, "execute", step.segment.nodes, failure.message()));
  RETURN_IF_ERROR(AllocateTensors());
  for (size_t k = 0; k < inputs_.size(); ++k) {
    kernels::Tensor& t = tensors_[inputs_[k]];
    if (!saved[k].empty() && saved[k].size() == t.bytes) {
      std::memcpy(t.data, saved[k].data(), saved[k].size());
    }
  }
  return Invoke();
}

Status Subgraph::ResetVariables() {
  for (size_t i = 0; i < tensors_.size(); ++i) {
    kernels::Tensor& t = tensors_[i];
    if (t.is_variable && t.data != nullptr) std::memset(t.data, 0, t.bytes);
  }
  return OkStatus();
}

}  // namespace edgerun::runtime
