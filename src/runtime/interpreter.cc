#include "edgerun/runtime/interpreter.h"

#include <cstring>

#include "format/tflite_generated.h"
#include "runtime/subgraph.h"

namespace edgerun {
namespace {

// Marks an interpreter busy for the length of a call. A second thread that
// enters while busy gets an error instead of racing (best effort: it
// detects overlap, it does not serialize).
class ExclusiveUse {
 public:
  explicit ExclusiveUse(std::atomic<int>& active)
      : active_(active), first_(active.fetch_add(1) == 0) {}
  ~ExclusiveUse() { active_.fetch_sub(1); }
  Status status() const {
    if (first_) return OkStatus();
    return FailedPreconditionError(
        "Interpreter used from two threads at once; it is not thread-safe "
        "(use one interpreter per thread, or a Session)");
  }

 private:
  std::atomic<int>& active_;
  bool first_;
};

const std::vector<float> kNoScale;
const std::vector<int64_t> kNoZeroPoint;
const std::string kNoName;

}  // namespace

// ---------------------------------------------------------------- TensorRef

const std::string& TensorRef::name() const { return t_ ? t_->name : kNoName; }
DataType TensorRef::type() const { return t_ ? t_->type : DataType::kFloat32; }
std::vector<int32_t> TensorRef::shape() const {
  return t_ ? t_->shape.dims() : std::vector<int32_t>();
}
int64_t TensorRef::num_elements() const { return t_ ? t_->NumElements() : 0; }
size_t TensorRef::bytes() const {
  if (t_ == nullptr) return 0;
  return static_cast<size_t>(t_->NumElements()) * DataTypeSize(t_->type);
}
void* TensorRef::data() { return t_ ? t_->data : nullptr; }
const void* TensorRef::data() const { return t_ ? t_->data : nullptr; }
const std::vector<float>& TensorRef::scale() const {
  return t_ ? t_->quant.scale : kNoScale;
}
const std::vector<int64_t>& TensorRef::zero_point() const {
  return t_ ? t_->quant.zero_point : kNoZeroPoint;
}
int32_t TensorRef::quantized_dimension() const {
  return t_ ? t_->quant.quantized_dimension : 0;
}

// -------------------------------------------------------------- Interpreter

StatusOr<std::unique_ptr<Interpreter>> Interpreter::Create(
    std::shared_ptr<const ModelFile> model, const InterpreterOptions& options) {
  if (model == nullptr) return InvalidArgumentError("null model");
  std::unique_ptr<Interpreter> interp(new Interpreter());
  interp->model_ = std::move(model);
  interp->options_ = options;
  const tfl::Model& m = interp->model_->model();
  interp->subgraphs_.resize(m.subgraphs() ? m.subgraphs()->size() : 0);
  RETURN_IF_ERROR(interp->GetSubgraph(0).status());
  for (size_t i = 0; m.signature_defs() && i < m.signature_defs()->size();
       ++i) {
    const tfl::SignatureDef& def = *m.signature_defs()->Get(i);
    auto maps = [](const auto* v) {
      std::vector<std::pair<std::string, int>> out;
      for (size_t k = 0; v && k < v->size(); ++k) {
        out.emplace_back(v->Get(k)->name() ? v->Get(k)->name()->str() : "",
                         static_cast<int>(v->Get(k)->tensor_index()));
      }
      return out;
    };
    interp->signature_runners_.emplace_back(new SignatureRunner(
        interp.get(), def.signature_key() ? def.signature_key()->str() : "",
        static_cast<int>(def.subgraph_index()), maps(def.inputs()),
        maps(def.outputs())));
  }
  return interp;
}

Interpreter::~Interpreter() = default;

StatusOr<runtime::Subgraph*> Interpreter::GetSubgraph(int index) {
  if (index < 0 || static_cast<size_t>(index) >= subgraphs_.size()) {
    return InvalidArgumentError("model has no subgraph " +
                                std::to_string(index));
  }
  if (subgraphs_[index] == nullptr) {
    const kernels::KernelRegistry& registry =
        options_.registry ? *options_.registry
                          : kernels::BuiltinKernelRegistry();
    // One cache per loaded model, held by each of its subgraphs.
    std::shared_ptr<kernels::SharedDataCache> shared_data;
    if (options_.share_packed_weights &&
        kernels::SharedDataCache::SharingEnabledByEnvironment()) {
      shared_data = kernels::SharedDataCache::ForModel(model_);
    }
    ASSIGN_OR_RETURN(subgraphs_[index], runtime::Subgraph::Create(
                                            *model_, index, registry, options_,
                                            std::move(shared_data)));
    subgraphs_[index]->set_cancel_flag(cancel_flag_);
  }
  return subgraphs_[index].get();
}

Status Interpreter::AllocateTensors() {
  ExclusiveUse use(active_calls_);
  RETURN_IF_ERROR(use.status());
  return subgraphs_[0]->AllocateTensors();
}

Status Interpreter::ResizeInput(int i, std::span<const int32_t> shape) {
  ExclusiveUse use(active_calls_);
  RETURN_IF_ERROR(use.status());
  runtime::Subgraph& g = *subgraphs_[0];
  if (i < 0 || i >= num_inputs()) {
    return InvalidArgumentError("no input " + std::to_string(i) +
                                " (model has " + std::to_string(num_inputs()) +
                                ")");
  }
  const kernels::Tensor& t = g.tensor(g.inputs()[i]);
  if (static_cast<int>(shape.size()) != t.shape.rank()) {
    return InvalidArgumentError("input " + std::to_string(i) + " '" + t.name +
                                "' has rank " + std::to_string(t.shape.rank()) +
                                "; cannot resize to rank " +
                                std::to_string(shape.size()));
  }
  return g.ResizeTensor(g.inputs()[i], kernels::Shape(shape));
}

Status Interpreter::Invoke() {
  ExclusiveUse use(active_calls_);
  RETURN_IF_ERROR(use.status());
  return subgraphs_[0]->Invoke();
}

void Interpreter::SetCancellationFlag(const std::atomic<bool>* flag) {
  cancel_flag_ = flag;
  for (auto& g : subgraphs_) {
    if (g) g->set_cancel_flag(flag);
  }
}

Status Interpreter::ResetVariables() {
  ExclusiveUse use(active_calls_);
  RETURN_IF_ERROR(use.status());
  for (auto& g : subgraphs_) {
    if (g) RETURN_IF_ERROR(g->ResetVariables());
  }
  return OkStatus();
}

int Interpreter::num_inputs() const {
  return static_cast<int>(subgraphs_[0]->inputs().size());
}
int Interpreter::num_outputs() const {
  return static_cast<int>(subgraphs_[0]->outputs().size());
}
TensorRef Interpreter::input(int i) {
  if (i < 0 || i >= num_inputs()) return TensorRef();
  return TensorRef(&subgraphs_[0]->tensor(subgraphs_[0]->inputs()[i]));
}
TensorRef Interpreter::output(int i) {
  if (i < 0 || i >= num_outputs()) return TensorRef();
  return TensorRef(&subgraphs_[0]->tensor(subgraphs_[0]->outputs()[i]));
}

namespace {
StatusOr<int> FindByName(const runtime::Subgraph& g,
                         const std::vector<int>& list, std::string_view name,
                         const char* what) {
  for (size_t k = 0; k < list.size(); ++k) {
    if (g.tensor(list[k]).name == name) return static_cast<int>(k);
  }
  return NotFoundError(std::string("no ") + what + " named '" +
                       std::string(name) + "'");
}
}  // namespace

StatusOr<int> Interpreter::InputIndex(std::string_view name) const {
  return FindByName(*subgraphs_[0], subgraphs_[0]->inputs(), name, "input");
}
StatusOr<int> Interpreter::OutputIndex(std::string_view name) const {
  return FindByName(*subgraphs_[0], subgraphs_[0]->outputs(), name, "output");
}

Status Interpreter::SetInput(int i, std::span<const uint8_t> bytes) {
  ExclusiveUse use(active_calls_);
  RETURN_IF_ERROR(use.status());
  runtime::Subgraph& g = *subgraphs_[0];
  if (i < 0 || i >= num_inputs()) {
    return InvalidArgumentError("no input " + std::to_string(i) +
                                " (model has " + std::to_string(num_inputs()) +
                                ")");
  }
  if (!g.allocated()) RETURN_IF_ERROR(g.AllocateTensors());
  kernels::Tensor& t = g.tensor(g.inputs()[i]);
  const size_t expected =
      static_cast<size_t>(t.NumElements()) * DataTypeSize(t.type);
  if (bytes.size() != expected) {
    return InvalidArgumentError("input " + std::to_string(i) + " '" + t.name +
                                "' (" + std::string(DataTypeName(t.type)) +
                                t.shape.ToString() + ") needs " +
                                std::to_string(expected) + " bytes, got " +
                                std::to_string(bytes.size()));
  }
  if (expected > 0) std::memcpy(t.data, bytes.data(), expected);
  return OkStatus();
}

SignatureRunner* Interpreter::GetSignatureRunner(std::string_view key) {
  for (auto& r : signature_runners_) {
    if (r->key() == key) return r.get();
  }
  return nullptr;
}

std::vector<std::string> Interpreter::SignatureKeys() const {
  std::vector<std::string> keys;
  for (const auto& r : signature_runners_) keys.push_back(r->key());
  return keys;
}

MemoryStats Interpreter::memory_stats() const {
  MemoryStats total;
  for (const auto& g : subgraphs_) {
    if (!g) continue;
    const MemoryStats& s = g->memory_stats();
    total.arena_bytes += s.arena_bytes;
    total.tensor_bytes += s.tensor_bytes;
    total.variable_bytes += s.variable_bytes;
    total.scratch_bytes += s.scratch_bytes;
    total.dynamic_bytes += s.dynamic_bytes;
    total.shared_packed_bytes += s.shared_packed_bytes;
    total.private_packed_bytes += s.private_packed_bytes;
    total.shared_packed_hits += s.shared_packed_hits;
  }
  return total;
}

size_t Interpreter::num_nodes() const { return subgraphs_[0]->num_nodes(); }

ExecutionPlanInfo Interpreter::execution_plan() const {
  return subgraphs_[0]->plan_info();
}

std::string ExecutionPlanInfo::ToString() const {
  std::string out = "backends:";
  for (const std::string& b : backends) out += " " + b;
  out += "\n";
  for (size_t p = 0; p < partitions.size(); ++p) {
    const PartitionInfo& part = partitions[p];
    out += "partition " + std::to_string(p) + ": " + part.backend + ", " +
           std::to_string(part.nodes.size()) + " nodes:";
    for (size_t k = 0; k < part.nodes.size(); ++k) {
      out += " " + std::to_string(part.nodes[k]) + ":" + part.ops[k];
    }
    out += "\n";
  }
  for (const FallbackEvent& f : fallbacks) {
    out += "fallback (" + f.stage + ") from " + f.backend + ", nodes";
    for (int n : f.nodes) out += " " + std::to_string(n);
    out += ": " + f.reason + "\n";
  }
  out += "boundary tensors: " + std::to_string(boundary_tensors.size()) +
         ", boundary copies: " + std::to_string(boundary_copies) + "\n";
  return out;
}

// ----------------------------------------------------------- SignatureRunner

SignatureRunner::SignatureRunner(
    Interpreter* owner, std::string key, int subgraph,
    std::vector<std::pair<std::string, int>> inputs,
    std::vector<std::pair<std::string, int>> outputs)
    : owner_(owner),
      key_(std::move(key)),
      subgraph_index_(subgraph),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)) {}

StatusOr<runtime::Subgraph*> SignatureRunner::subgraph() {
  return owner_->GetSubgraph(subgraph_index_);
}

std::vector<std::string> SignatureRunner::input_names() const {
  std::vector<std::string> names;
  for (const auto& [name, index] : inputs_) names.push_back(name);
  return names;
}
std::vector<std::string> SignatureRunner::output_names() const {
  std::vector<std::string> names;
  for (const auto& [name, index] : outputs_) names.push_back(name);
  return names;
}

namespace {
StatusOr<int> FindAlias(const std::vector<std::pair<std::string, int>>& list,
                        std::string_view name, const std::string& key,
                        const char* what) {
  for (const auto& [alias, index] : list) {
    if (alias == name) return index;
  }
  return NotFoundError("signature '" + key + "' has no " + what + " named '" +
                       std::string(name) + "'");
}
}  // namespace

StatusOr<TensorRef> SignatureRunner::input(std::string_view name) {
  ASSIGN_OR_RETURN(const int index, FindAlias(inputs_, name, key_, "input"));
  ASSIGN_OR_RETURN(runtime::Subgraph * g, subgraph());
  return TensorRef(&g->tensor(index));
}

StatusOr<TensorRef> SignatureRunner::output(std::string_view name) {
  ASSIGN_OR_RETURN(const int index, FindAlias(outputs_, name, key_, "output"));
  ASSIGN_OR_RETURN(runtime::Subgraph * g, subgraph());
  return TensorRef(&g->tensor(index));
}

Status SignatureRunner::ResizeInput(std::string_view name,
                                    std::span<const int32_t> shape) {
  ExclusiveUse use(owner_->active_calls_);
  RETURN_IF_ERROR(use.status());
  ASSIGN_OR_RETURN(const int index, FindAlias(inputs_, name, key_, "input"));
  ASSIGN_OR_RETURN(runtime::Subgraph * g, subgraph());
  return g->ResizeTensor(index, kernels::Shape(shape));
}

Status SignatureRunner::AllocateTensors() {
  ExclusiveUse use(owner_->active_calls_);
  RETURN_IF_ERROR(use.status());
  ASSIGN_OR_RETURN(runtime::Subgraph * g, subgraph());
  return g->AllocateTensors();
}

Status SignatureRunner::Invoke() {
  ExclusiveUse use(owner_->active_calls_);
  RETURN_IF_ERROR(use.status());
  ASSIGN_OR_RETURN(runtime::Subgraph * g, subgraph());
  return g->Invoke();
}

}  // namespace edgerun
