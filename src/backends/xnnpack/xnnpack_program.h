// XNNPACK programs: the description of one segment's XNNPACK subgraph, and
// the process-wide cache that shares packed weights between interpreters.
//
// Why a cache: XNNPACK 2022-02 packs weights inside each xnn_runtime and has
// no weights cache, so N interpreters of one model would pack (and keep) N
// copies of every filter. Instead a Program (values + nodes, plain data) is
// keyed by everything that determines the packed runtime: the model's
// operator tables and constant data pointers (which identify the loaded
// model), tensor shapes, types and quantization, and the thread count.
// Equal keys share one SharedProgram, which owns a small pool of
// xnn_runtimes. A CompiledSegment leases a runtime for the duration of one
// Execute, so interpreters used one at a time share a single runtime (one
// copy of the packed weights and one set of internal activation buffers);
// concurrent Executes create more runtimes on demand.
//
// Lifetime: the cache holds weak references; a SharedProgram dies with the
// last CompiledSegment using it. Every CompiledSegment belongs to an
// interpreter that keeps its ModelFile alive, so while a cache entry lives
// the constant data pointers in its key cannot be reused by another model.
//
// Thread-safety: ProgramCache and SharedProgram are thread-safe. Lock
// order: ProgramCache's mutex, then SharedProgram's (GetOrCreate packs the
// first runtime under the cache lock so concurrent compiles of one model
// pack once); further runtimes are created outside any lock. A leased
// runtime is used by one thread at a time.
#ifndef EDGERUN_BACKENDS_XNNPACK_XNNPACK_PROGRAM_H_
#define EDGERUN_BACKENDS_XNNPACK_XNNPACK_PROGRAM_H_

#include <pthreadpool.h>
#include <xnnpack.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/backend.h"
#include "backends/xnnpack/xnnpack_support.h"
#include "edgerun/base/status.h"
#include "planner/graph_view.h"

namespace edgerun::backends::xnnpack {

// One value of the XNNPACK subgraph.
struct ValueDesc {
  xnn_datatype type = xnn_datatype_fp32;
  std::vector<size_t> dims;
  float scale = 0.f;  // per-tensor quantized types
  int32_t zero_point = 0;
  std::vector<float> channel_scales;  // qcint8 / qcint32
  size_t channel_dim = 0;
  const void* data = nullptr;  // static (constant) values
  uint32_t external_id = XNN_INVALID_VALUE_ID;
  uint32_t flags = 0;  // XNN_VALUE_FLAG_EXTERNAL_*
};

// One XNNPACK node; inputs and output index Program::values (-1 = none).
struct OpDesc {
  XnnOpPlan plan;
  std::vector<int> inputs;
  int output = -1;
  int reshaped_output = -1;  // MEAN without keep_dims: reshape to this
  int node = 0;              // graph node, for error messages
  std::string op_name;
};

// A segment's subgraph as plain data, buildable any number of times.
struct Program {
  std::vector<ValueDesc> values;
  std::vector<OpDesc> ops;
  // Graph tensor bound to external id i (inputs first, then outputs).
  std::vector<int> external_tensors;
  int num_threads = 1;
  size_t static_bytes = 0;  // constant data handed to XNNPACK
  std::string key;          // identity for ProgramCache (see file comment)
};

// Describes `segment` over the graph's current shapes. Fails (with the
// planner's reason) if a node is not supported.
StatusOr<Program> DescribeSegment(const planner::GraphView& graph,
                                  const Segment& segment, int num_threads);

// An xnn_runtime with its thread pool and the external pointers it was last
// set up with (so a runtime re-leased by the same interpreter skips setup).
struct RuntimeSlot {
  RuntimeSlot() = default;
  RuntimeSlot(const RuntimeSlot&) = delete;
  RuntimeSlot& operator=(const RuntimeSlot&) = delete;
  ~RuntimeSlot();
  xnn_runtime_t runtime = nullptr;
  pthreadpool_t threadpool = nullptr;
  bool owns_threadpool = true;  // false: borrowed (CreateRuntimeForProgram)
  std::vector<void*> bound;  // data pointers of the last xnn_setup_runtime
};

// Builds a fresh xnn_runtime (packing the weights) for `program`. This is
// the one builder: SharedProgram uses it for its pool, and
// bench/xnnpack_overhead_bench.cc uses it to run the identical subgraph
// without the runtime around it (the "direct XNNPACK" baseline of issue #4).
// Not for production code paths: it bypasses ProgramCache, so every call
// packs another copy of the weights.
// `threadpool`: null = a new pool of program.num_threads (none for 1),
// owned by the slot; otherwise a borrowed pool that must outlive the slot
// (the bench runs on the runtime's own pool, so that two pools' spinning
// workers do not compete for the cores and skew the comparison).
StatusOr<std::unique_ptr<RuntimeSlot>> CreateRuntimeForProgram(
    const Program& program, pthreadpool_t threadpool = nullptr);

// A Program plus its pool of runtimes. See the file comment.
class SharedProgram {
 public:
  explicit SharedProgram(Program program) : program_(std::move(program)) {}

  const Program& program() const { return program_; }

  // A runtime returned to the pool when the Lease dies.
  class Lease {
   public:
    Lease(SharedProgram* owner, std::unique_ptr<RuntimeSlot> slot)
        : owner_(owner), slot_(std::move(slot)) {}
    Lease(Lease&&) = default;
    ~Lease();
    RuntimeSlot* operator->() { return slot_.get(); }

   private:
    SharedProgram* owner_;
    std::unique_ptr<RuntimeSlot> slot_;
  };

  // An idle runtime, or a new one (packs the weights again: only happens
  // when Executes overlap).
  StatusOr<Lease> Acquire();
  // Creates the first runtime now so that errors surface at Compile.
  Status Warm();
  size_t num_runtimes() const;

 private:
  const Program program_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<RuntimeSlot>> idle_;  // guarded by mu_
  size_t created_ = 0;                              // guarded by mu_
};

// Process-wide map from Program::key to the live SharedProgram.
class ProgramCache {
 public:
  static ProgramCache& Global();
  // The live program with this key, or a new one built from `program`
  // (with one runtime created, so build errors are reported here).
  StatusOr<std::shared_ptr<SharedProgram>> GetOrCreate(Program program);
  size_t live_entries();

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::weak_ptr<SharedProgram>> entries_;
};

}  // namespace edgerun::backends::xnnpack

#endif  // EDGERUN_BACKENDS_XNNPACK_XNNPACK_PROGRAM_H_
