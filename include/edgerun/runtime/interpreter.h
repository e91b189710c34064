// Interpreter: runs one loaded model on the CPU kernels.
//
//   auto model = LoadModelFromFile("m.tflite");
//   auto interp = Interpreter::Create(*model);
//   (*interp)->AllocateTensors();
//   std::memcpy((*interp)->input(0).data(), bytes,
//   (*interp)->input(0).bytes());
//   (*interp)->Invoke();
//   const TensorRef out = (*interp)->output(0);
//
// Memory: one arena per interpreter, planned by tensor lifetimes; constant
// tensors point into the model's bytes (shared by every interpreter of the
// model); variable tensors (LSTM/SVDF state) have their own zeroed buffers.
//
// Ownership: keeps the ModelFile alive (shared_ptr).
// Thread-safety: NOT thread-safe. Use one interpreter per thread (or a
// Session). Concurrent calls are detected: the second caller gets
// kFailedPrecondition instead of corrupting the first caller's results.
#ifndef EDGERUN_RUNTIME_INTERPRETER_H_
#define EDGERUN_RUNTIME_INTERPRETER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/model_file.h"
#include "edgerun/format/types.h"

namespace edgerun {

namespace kernels {
struct Tensor;
class KernelRegistry;
}  // namespace kernels
namespace runtime {
class Subgraph;
}  // namespace runtime
namespace backends {
class BackendRegistry;
}  // namespace backends

// A non-owning view of one tensor of an interpreter. Valid until the next
// AllocateTensors / ResizeInput (or Invoke, for dynamic outputs).
class TensorRef {
 public:
  explicit TensorRef(kernels::Tensor* t = nullptr) : t_(t) {}
  bool valid() const { return t_ != nullptr; }
  const std::string& name() const;
  DataType type() const;
  std::vector<int32_t> shape() const;
  int64_t num_elements() const;
  size_t bytes() const;
  void* data();
  const void* data() const;
  template <typename T>
  T* data_as() {
    return static_cast<T*>(data());
  }
  template <typename T>
  const T* data_as() const {
    return static_cast<const T*>(data());
  }
  // Quantization (empty vectors when the tensor is not quantized).
  const std::vector<float>& scale() const;
  const std::vector<int64_t>& zero_point() const;
  int32_t quantized_dimension() const;

 private:
  kernels::Tensor* t_;
};

struct InterpreterOptions {
  // Kernels to use; nullptr = every builtin CPU kernel. Tests pass their
  // own registry to add custom ops.
  const kernels::KernelRegistry* registry = nullptr;
  // Refuse plans whose arena would exceed this (hostile shapes).
  size_t max_arena_bytes = size_t{4} << 30;

  // Backend preference list, e.g. {"xnnpack", "cpu"}; the CPU is always
  // implied last. Empty or {"cpu"}: everything on the CPU kernels.
  std::vector<std::string> backends;
  // Partitioning limits (0 = no limit on delegated partitions).
  int max_delegated_partitions = 0;
  int min_nodes_per_partition = 1;
  // Any node left on the CPU while other backends were asked for, or any
  // fallback at run time, becomes an error.
  bool require_full_delegation = false;
  // Threads a backend may use for one Invoke (XNNPACK's pthreadpool).
  int num_threads = 1;
  // Where backend names are looked up; nullptr = every built-in backend.
  // Tests pass their own to add fake accelerators.
  const backends::BackendRegistry* backend_registry = nullptr;
  // CPU kernels share the data they prepare from constant tensors (packed
  // weights) with every other interpreter of the same ModelFile. false (or
  // the environment variable EDGERUN_DISABLE_WEIGHT_SHARING=1): each
  // interpreter packs its own copy (for A/B memory measurements).
  bool share_packed_weights = true;
};

// Where each part of the graph runs, for `inspect --backends` and `bench`.
struct PartitionInfo {
  std::string backend;
  std::vector<int> nodes;
  std::vector<std::string> ops;  // op name per node
  std::vector<int> inputs;       // boundary tensors read
  std::vector<int> outputs;      // boundary tensors written
};

struct FallbackEvent {
  std::string backend;  // the backend that failed or refused
  std::string stage;    // "support", "compile" or "execute"
  std::vector<int> nodes;
  std::string reason;
};

struct ExecutionPlanInfo {
  std::vector<std::string> backends;  // preference list, "cpu" last
  std::vector<PartitionInfo> partitions;
  // Nodes a preferred backend refused, with the reason (stage "support"),
  // and compile / execute failures that moved nodes to the next backend.
  std::vector<FallbackEvent> fallbacks;
  std::vector<int> boundary_tensors;
  size_t boundary_copies = 0;  // 0 while every backend uses host memory
  size_t packed_weight_bytes = 0;
  std::string ToString() const;
};

struct MemoryStats {
  size_t arena_bytes = 0;     // planned arena (shared by tensors)
  size_t tensor_bytes = 0;    // sum of all non-constant tensor sizes
  size_t variable_bytes = 0;  // persistent state buffers
  size_t scratch_bytes = 0;   // kernel scratch
  size_t dynamic_bytes = 0;   // heap-allocated dynamic outputs
  // CPU kernel data prepared from constant tensors (packed weights):
  // shared with the other interpreters of the model (each distinct copy
  // counted once per interpreter), or private to this interpreter when
  // sharing is off.
  size_t shared_packed_bytes = 0;
  size_t private_packed_bytes = 0;
  // Shared data this interpreter found already prepared (by another
  // interpreter, or by its own earlier Prepare) instead of packing it.
  size_t shared_packed_hits = 0;
};

class SignatureRunner;

class Interpreter {
 public:
  static StatusOr<std::unique_ptr<Interpreter>> Create(
      std::shared_ptr<const ModelFile> model,
      const InterpreterOptions& options = {});
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Prepares every node and plans memory. Errors name the node, op and
  // reason (unsupported op, dtype or parameters).
  Status AllocateTensors();
  // Changes the shape of input i (e.g. batch); shapes propagate and memory
  // is planned again at the next AllocateTensors or Invoke.
  Status ResizeInput(int i, std::span<const int32_t> shape);
  // Runs the graph. A failing node returns its error; the interpreter stays
  // usable and the next Invoke runs normally.
  Status Invoke();
  // While `flag` is set (not null), Invoke checks *flag before every node
  // (a delegated partition counts as one) and returns kCancelled once it is
  // true; the outputs are then undefined, and so are the variable tensors
  // of a stateful model (ResetVariables). *flag may be set from any thread;
  // it is not owned and must outlive its use. Null (the default) turns the
  // checks off. Like every non-const method, not concurrently with Invoke.
  void SetCancellationFlag(const std::atomic<bool>* flag);
  // Zeroes every variable tensor (state of stateful models).
  Status ResetVariables();

  int num_inputs() const;
  int num_outputs() const;
  TensorRef input(int i);
  TensorRef output(int i);
  // Index of the input/output called `name`, or kNotFound.
  StatusOr<int> InputIndex(std::string_view name) const;
  StatusOr<int> OutputIndex(std::string_view name) const;
  // Copies `bytes` into input i after checking the size.
  Status SetInput(int i, std::span<const uint8_t> bytes);

  // Runner for a signature_def (by key); nullptr when there is none.
  SignatureRunner* GetSignatureRunner(std::string_view key);
  std::vector<std::string> SignatureKeys() const;

  MemoryStats memory_stats() const;
  // The partition plan of subgraph 0 and the fallbacks so far.
  ExecutionPlanInfo execution_plan() const;
  const ModelFile& model() const { return *model_; }
  size_t num_nodes() const;

 private:
  friend class SignatureRunner;
  Interpreter() = default;
  StatusOr<runtime::Subgraph*> GetSubgraph(int index);

  std::shared_ptr<const ModelFile> model_;
  InterpreterOptions options_;
  std::vector<std::unique_ptr<runtime::Subgraph>> subgraphs_;  // lazy
  std::vector<std::unique_ptr<SignatureRunner>> signature_runners_;
  std::atomic<int> active_calls_{0};
  const std::atomic<bool>* cancel_flag_ = nullptr;  // see SetCancellationFlag
};

// Runs one signature_def: inputs and outputs by their signature names.
// Owned by its Interpreter; same thread-safety (none).
class SignatureRunner {
 public:
  const std::string& key() const { return key_; }
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;
  StatusOr<TensorRef> input(std::string_view name);
  StatusOr<TensorRef> output(std::string_view name);
  Status ResizeInput(std::string_view name, std::span<const int32_t> shape);
  Status AllocateTensors();
  Status Invoke();

 private:
  friend class Interpreter;
  SignatureRunner(Interpreter* owner, std::string key, int subgraph,
                  std::vector<std::pair<std::string, int>> inputs,
                  std::vector<std::pair<std::string, int>> outputs);
  StatusOr<runtime::Subgraph*> subgraph();

  Interpreter* owner_;
  std::string key_;
  int subgraph_index_;
  std::vector<std::pair<std::string, int>> inputs_;  // name -> tensor index
  std::vector<std::pair<std::string, int>> outputs_;
};

}  // namespace edgerun

#endif  // EDGERUN_RUNTIME_INTERPRETER_H_
