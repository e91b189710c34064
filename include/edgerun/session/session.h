// Session: thread-safe inference on one model, for many callers at once.
//
//   auto model = LoadModelFromFile("m.tflite");
//   auto session = Session::Create(*model, {.mode = SessionMode::kThroughput});
//   StatusOr<std::vector<TensorData>> out =
//       (*session)->Run({TensorData::From<float>(DataType::kFloat32, {1, 4},
//                                                {1, 2, 3, 4})},
//                       {.deadline = Clock::now() + 50ms, .priority = 1});
//
// A Session owns a pool of Interpreters of one shared, immutable ModelFile
// (constants and packed backend weights are shared) and runs its requests
// on one Scheduler device: by default its own scheduler with one device
// ("cpu", one slot per interpreter); with SessionOptions::scheduler, a
// device of a scheduler shared with other sessions (models), e.g. a 1-slot
// accelerator that groups requests by model. Each request waits in that
// device's queue (priority, deadline, cancellation, bounded with a policy;
// see scheduler.h), then leases an interpreter for the duration of one
// Invoke. On a shared device the default pool has one interpreter per device
// slot, so a dispatched request always finds one idle; with a smaller pool
// (explicit num_interpreters, or kLatency) a dispatched request waits, on
// the device's worker, for one of its session's own interpreters (never
// another session's), which is at most one Invoke of this session away.
//
// SwapModel replaces the model while serving: a complete new pool is built
// aside; requests dispatched after the switch use it, running ones finish
// on the old pool, which is freed with its last request.
//
// Sizing: threads never exceed cores by default. kThroughput: one
// interpreter per core, one thread each; kLatency: one interpreter with
// every core (XNNPACK uses them; the CPU kernels are single-threaded).
// Explicit num_interpreters / threads_per_interpreter override this.
//
// Errors: input count, dtype, shape and byte size are checked before a
// request is queued (kInvalidArgument naming the input); Invoke errors come
// back unchanged and the interpreter returns to the pool, usable.
//
// Ownership: keeps the ModelFile(s) and the scheduler alive (a shared
// scheduler lives until its last session and other owners let go). The
// destructor cancels this session's queued requests (kCancelled) and waits
// for its running ones and their callbacks; it must not run inside one of
// them. Streams on a session must be closed before it is destroyed.
// Thread-safety: every method is thread-safe. Lock order: swap_mu_ ->
// pool_mu_; stats_mu_ and each pool's mutex are leaves. No session lock is
// held while calling the scheduler or user callbacks; the scheduler's
// locks are never held while Session code runs.
#ifndef EDGERUN_SESSION_SESSION_H_
#define EDGERUN_SESSION_SESSION_H_

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/model_file.h"
#include "edgerun/format/types.h"
#include "edgerun/runtime/interpreter.h"
#include "edgerun/session/scheduler.h"

namespace edgerun::session {

// One input or output tensor as a value: dtype, shape and raw little-endian
// bytes (num_elements * element size).
struct TensorData {
  DataType type = DataType::kFloat32;
  std::vector<int32_t> shape;
  std::vector<uint8_t> bytes;

  template <typename T>
  static TensorData From(DataType type, std::vector<int32_t> shape,
                         const std::vector<T>& values) {
    TensorData t{type, std::move(shape),
                 std::vector<uint8_t>(values.size() * sizeof(T))};
    if (!values.empty())
      std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    return t;
  }
  // Elements reinterpreted as T (caller picks the T matching `type`).
  template <typename T>
  std::vector<T> As() const {
    std::vector<T> v(bytes.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
    return v;
  }
  friend bool operator==(const TensorData&, const TensorData&) = default;
};

// Name, dtype and (current) shape of a model input or output.
struct TensorInfo {
  std::string name;
  DataType type = DataType::kFloat32;
  std::vector<int32_t> shape;
};

// What happened to one request, filled in before its result is delivered.
struct RunInfo {
  uint64_t model_generation = 0;  // the model that ran it; 0: it never ran
};

struct RunOptions {
  std::optional<Clock::time_point> deadline;
  int priority = 0;  // higher runs first
  // Cancel() completes a queued request at once and stops a running one at
  // its next node (kCancelled either way).
  std::optional<CancellationToken> cancel;
  // Optional; must stay valid until the result is delivered.
  RunInfo* info = nullptr;
};

enum class SessionMode { kThroughput, kLatency };

struct SessionOptions {
  SessionMode mode = SessionMode::kThroughput;
  int num_interpreters = 0;         // 0: from mode and cores
  int threads_per_interpreter = 0;  // 0: from mode and cores
  int num_cores = 0;                // 0: std::thread::hardware_concurrency()
  // Passed to every Interpreter (backends, registries, limits);
  // num_threads is replaced by threads_per_interpreter.
  InterpreterOptions interpreter;
  // The session's own queue (ignored with a shared `scheduler`, whose
  // DeviceSpec says how its queue behaves).
  size_t max_queue = 64;
  QueuePolicy queue_policy = QueuePolicy::kReject;
  Clock::duration queue_wait_timeout = std::chrono::milliseconds(100);
  // A scheduler shared with other sessions; null: the session creates its
  // own one-device scheduler.
  std::shared_ptr<Scheduler> scheduler;
  // The device of `scheduler` to run on; empty: its first device.
  std::string device;
  // Model name in stats (the scheduler group); empty: "session". Made
  // unique per scheduler ("name#2", ...), see SessionStats::name.
  std::string name;
};

struct SessionStats {
  std::string name;       // this session's model name in `device.models`
  uint64_t requests = 0;  // Run/Submit/SubmitWithCallback calls
  uint64_t ok = 0;
  uint64_t errors = 0;   // any non-OK result (validation, queue, Invoke)
  uint64_t dropped = 0;  // frames its streams dropped (never submitted)
  // FallbackEvents across its interpreters (nodes a backend refused, or
  // that moved off a failing backend at compile or run time).
  uint64_t fallbacks = 0;
  uint64_t model_generation = 0;
  LatencySummary latency;  // Submit -> result, every request
  ModelStats model;        // this session on its device
  DeviceStats device;      // the whole device, every model on it
};

class Session {
 public:
  using Outputs = std::vector<TensorData>;

  // Creates and prepares every interpreter now (AllocateTensors), so a
  // model the runtime cannot run fails here, not at the first request.
  static StatusOr<std::unique_ptr<Session>> Create(
      std::shared_ptr<const ModelFile> model, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Blocks until the request finished (or was rejected).
  StatusOr<Outputs> Run(const std::vector<TensorData>& inputs,
                        const RunOptions& options = {});
  // Queues the request; the future is always valid and always gets a value.
  std::future<StatusOr<Outputs>> Submit(std::vector<TensorData> inputs,
                                        const RunOptions& options = {});
  // Queues the request; `done` is called exactly once with the result: on
  // this thread when the request is refused (validation, queue full,
  // deadline or cancellation at submit), otherwise on a scheduler worker or
  // a cancelling thread. `done` must not destroy the session.
  void SubmitWithCallback(std::vector<TensorData> inputs,
                          const RunOptions& options,
                          std::function<void(StatusOr<Outputs>)> done);

  // Replaces the model while serving: builds and prepares a complete new
  // pool (same sizes and options) aside, then switches atomically. Requests
  // running now finish on the old interpreters; every request dispatched
  // after the switch runs on the new ones; the old pool is freed when its
  // last request returns. Errors leave the current model serving:
  // kFailedPrecondition when the input/output count or dtypes differ (the
  // message names the difference), or the new model's Create/Allocate
  // error. Swaps are serialized.
  Status SwapModel(std::shared_ptr<const ModelFile> model);
  std::shared_ptr<const ModelFile> model() const;
  // 1 for the model given to Create, +1 per successful SwapModel.
  uint64_t model_generation() const;

  // The current model's inputs and outputs (a copy: SwapModel may change
  // names and shapes).
  std::vector<TensorInfo> inputs() const;
  std::vector<TensorInfo> outputs() const;
  int num_interpreters() const { return pool_size_; }
  int threads_per_interpreter() const { return threads_per_interpreter_; }
  // The session's model name in device stats (unique per scheduler).
  const std::string& name() const { return name_; }
  SessionStats stats() const;

 private:
  friend class Stream;
  struct Request;
  struct Pool;
  Session() = default;
  StatusOr<std::shared_ptr<Pool>> BuildPool(
      std::shared_ptr<const ModelFile> model, uint64_t generation) const;
  std::shared_ptr<Pool> CurrentPool() const;
  // Runs one request on a leased interpreter (a scheduler worker calls it).
  // Validates and queues `request` on the device (done runs exactly once).
  void Enqueue(std::shared_ptr<Request> request, const RunOptions& options);
  // Enqueue with a `done` that fulfils the returned future.
  std::future<StatusOr<Outputs>> EnqueueForFuture(
      std::shared_ptr<Request> request, const RunOptions& options);
  // Finish with the outputs when `ran` is OK, else with `ran`.
  void Complete(Request& request, Status ran);
  Status Execute(Request& request);
  void Finish(Request& request, StatusOr<Outputs> result);
  WorkOptions ToWorkOptions(const RunOptions& options) const;
  // Requests accepted and not yet finished (the destructor waits for 0).
  void BeginOutstanding();
  void EndOutstanding();
  void AddFallbacks(int64_t delta);
  void AddDropped(uint64_t n);  // for Stream

  InterpreterOptions interpreter_options_;  // fixed after Create
  int pool_size_ = 1;
  int threads_per_interpreter_ = 1;
  std::string name_;
  int device_ = 0;
  uint64_t group_ = 0;

  std::mutex swap_mu_;  // serializes SwapModel; before pool_mu_
  mutable std::mutex pool_mu_;
  std::shared_ptr<Pool> pool_;  // guarded by pool_mu_

  mutable std::mutex stats_mu_;
  std::condition_variable idle_cv_;  // outstanding_ reached 0
  uint64_t requests_ = 0;            // guarded by stats_mu_
  uint64_t ok_ = 0;                  // guarded by stats_mu_
  uint64_t errors_ = 0;              // guarded by stats_mu_
  uint64_t dropped_ = 0;             // guarded by stats_mu_
  int64_t fallbacks_ = 0;            // guarded by stats_mu_
  uint64_t outstanding_ = 0;         // guarded by stats_mu_: accepted, not done
  LatencyHistogram latency_;         // guarded by stats_mu_

  std::shared_ptr<Scheduler> scheduler_;
};

}  // namespace edgerun::session

#endif  // EDGERUN_SESSION_SESSION_H_
