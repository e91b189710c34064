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
// (constants and packed backend weights are shared) and a Scheduler device
// ("cpu") with one slot per interpreter. Each request waits in that device's
// queue (priority, deadline, cancellation, bounded with a policy; see
// scheduler.h), then leases an interpreter for the duration of one Invoke.
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
// Ownership: keeps the ModelFile alive. The destructor cancels queued
// requests (their futures get kCancelled) and waits for running ones.
// Thread-safety: every method is thread-safe. Lock order: Session::stats_mu_
// and Session::pool_mu_ are leaves (never held together or while calling
// out); the scheduler's locks are never held while Session code runs.
#ifndef EDGERUN_SESSION_SESSION_H_
#define EDGERUN_SESSION_SESSION_H_

#include <condition_variable>
#include <cstdint>
#include <cstring>
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
    TensorData t{type, std::move(shape), std::vector<uint8_t>(values.size() * sizeof(T))};
    if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
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

struct RunOptions {
  std::optional<Clock::time_point> deadline;
  int priority = 0;  // higher runs first
  std::optional<CancellationToken> cancel;
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
  // The session's queue.
  size_t max_queue = 64;
  QueuePolicy queue_policy = QueuePolicy::kReject;
  Clock::duration queue_wait_timeout = std::chrono::milliseconds(100);
};

struct SessionStats {
  uint64_t requests = 0;  // Run/Submit calls
  uint64_t ok = 0;
  uint64_t errors = 0;    // any non-OK result (validation, queue, Invoke)
  LatencySummary latency; // Submit -> result, every request
  DeviceStats device;     // the session's scheduler device
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

  const std::vector<TensorInfo>& inputs() const { return input_info_; }
  const std::vector<TensorInfo>& outputs() const { return output_info_; }
  int num_interpreters() const { return static_cast<int>(pool_.size()); }
  int threads_per_interpreter() const { return threads_per_interpreter_; }
  SessionStats stats() const;

 private:
  struct Request;
  Session() = default;
  Status Validate(const std::vector<TensorData>& inputs) const;
  // Runs one request on a leased interpreter (a scheduler worker calls it).
  StatusOr<Outputs> Execute(const std::vector<TensorData>& inputs);
  Interpreter* Lease();
  void Release(Interpreter* interp);
  void Finish(Request& request, StatusOr<Outputs> result);

  std::shared_ptr<const ModelFile> model_;
  int threads_per_interpreter_ = 1;
  std::vector<TensorInfo> input_info_;
  std::vector<TensorInfo> output_info_;

  std::vector<std::unique_ptr<Interpreter>> pool_;  // fixed after Create
  mutable std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<Interpreter*> idle_;  // guarded by pool_mu_

  mutable std::mutex stats_mu_;
  uint64_t requests_ = 0;       // guarded by stats_mu_
  uint64_t ok_ = 0;             // guarded by stats_mu_
  uint64_t errors_ = 0;         // guarded by stats_mu_
  LatencyHistogram latency_;    // guarded by stats_mu_

  // Declared last: destroyed first, so its workers stop before the pool goes.
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace edgerun::session

#endif  // EDGERUN_SESSION_SESSION_H_
