// ManagedModel: serves the store's active version of one model name and
// moves it to new versions while serving, with a health window and
// automatic rollback.
//
//   ASSIGN_OR_RETURN(auto managed, ManagedModel::Create(store, "kws", {
//       .device_class = "pi4", .policy = &watcher, .events = &log}));
//   managed->Run(inputs);                       // any thread
//   managed->ActivateVersion(7, "update");      // from the updater
//   managed->Tick();                            // periodically (or
//   managed->StartHealthWatcher(1s);            //   a thread does it)
//
// ActivateVersion(v): PrepareAndActivateModel (hash check, full load,
// self-test on the serving options, store.Activate), then the verified
// model goes live without dropping a request (Session::SwapModel: in-flight
// requests finish on the old model), and a health window starts for the new
// generation against the previous generation's baseline, taken from the
// live traffic HealthMonitor recorded before the swap. Tick() evaluates the
// window: kUnhealthy -> store.Rollback(name, reason), swap back (the
// previous model is still in memory when it is the rollback target), event
// kRolledBack with the reason; kHealthy -> store.MarkGood(name), event
// kCommitted. A window stays pending while fewer than min_requests arrived.
//
// Generations: every model (or option) change served is one generation,
// 1, 2, ...; RunOptions::info->model_generation reports the generation that
// served a request (0: it never reached a model) and VersionOf(generation)
// the store version. Only requests that reached a model are recorded in the
// health monitor (validation, queue-full and deadline refusals are the
// caller's or the load's, not the model's).
//
// Device policy: the PolicyWatcher's Current() rules for device_class are
// applied to options.session.interpreter at creation and at every
// activation, rollback and ReapplyPolicy(): denied backends are removed,
// max_threads caps threads_per_interpreter. When the resulting options
// equal the serving ones the model is swapped into the running Session;
// otherwise a new Session is built aside with the new options and the
// switch is atomic (requests already handed to the old Session finish
// there; it is destroyed once they have).
//
// Startup: serves store.Active(name) (hash-verified, falls back to the
// bundled model). When that version was never marked good (the process
// died during its health window), it keeps serving it and restarts the
// health window without a baseline (absolute limits only): rolling back a
// version that may be fine would be a guess, and a bad one is caught by the
// window as before.
//
// Ownership: borrows the store, the PolicyWatcher and the EventLog (all
// must outlive it); owns its Sessions and HealthMonitor. The destructor
// stops the watcher thread and destroys the Sessions (queued Submits get
// kCancelled, running ones finish), so it must not run inside a request.
// Thread-safety: thread-safe. Run/Submit take mu_ only to read the serving
// Session. Lock order: control_mu_ (ActivateVersion, Tick, Rollback,
// ReapplyPolicy: one at a time) -> mu_; watcher_mu_ is a leaf. No lock of
// this class is held while a request runs; control_mu_ is held while
// sessions are built and swapped.
#ifndef EDGERUN_OTA_MANAGED_MODEL_H_
#define EDGERUN_OTA_MANAGED_MODEL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "edgerun/base/env.h"
#include "edgerun/base/status.h"
#include "edgerun/ota/activation.h"
#include "edgerun/ota/device_policy.h"
#include "edgerun/ota/events.h"
#include "edgerun/ota/health_monitor.h"
#include "edgerun/ota/model_store.h"
#include "edgerun/session/session.h"

namespace edgerun::ota {

struct ManagedModelOptions {
  session::SessionOptions session;
  // Device policy: rules for `device_class` from `policy` (not owned; null:
  // no policy).
  std::string device_class;
  PolicyWatcher* policy = nullptr;
  HealthPolicy health;
  // Clock of the health window and request latencies (tests inject one).
  HealthMonitor::NowFn now = Clock::now;
  EventLog* events = nullptr;  // not owned; may be null
  Env* env = nullptr;          // file reads, crash points; null: default
};

// What is serving now.
struct ServingInfo {
  int64_t version = 0;  // store version; 0: bundled
  std::string sha256;
  uint64_t generation = 0;
  bool in_health_window = false;
  int64_t previous_version = 0;  // what a rollback swaps back to, when known
  std::vector<std::string> backends;  // the serving interpreter options
  int threads_per_interpreter = 0;
};

class ManagedModel {
 public:
  using Outputs = session::Session::Outputs;

  static StatusOr<std::unique_ptr<ManagedModel>> Create(ModelStore* store, std::string name,
                                                        ManagedModelOptions options = {});
  ~ManagedModel();
  ManagedModel(const ManagedModel&) = delete;
  ManagedModel& operator=(const ManagedModel&) = delete;

  // Forward to the serving Session; outcome and latency go to the health
  // monitor under the generation that served the request.
  StatusOr<Outputs> Run(const std::vector<session::TensorData>& inputs,
                        const session::RunOptions& options = {});
  std::future<StatusOr<Outputs>> Submit(std::vector<session::TensorData> inputs,
                                        const session::RunOptions& options = {});

  // Verify, self-test, activate in the store, swap in, start the health
  // window. Errors leave the old model serving; when the store activated it
  // but it cannot be served, the store is rolled back before returning.
  StatusOr<ActivationReport> ActivateVersion(int64_t version,
                                             const std::string& reason = "update");
  // Evaluates the health window (kPending when none is open) and commits or
  // rolls back. Errors: the store's.
  StatusOr<HealthVerdict> Tick();
  // Manual rollback (also outside a window). Returns the version now active.
  StatusOr<int64_t> Rollback(const std::string& reason);
  // Re-reads the policy now and rebuilds the serving Session when the
  // options it gives differ. OK(true) when rebuilt.
  StatusOr<bool> ReapplyPolicy();

  // A thread that calls Tick() every `interval` until StopHealthWatcher
  // (or destruction). Errors of Tick are reported as kError events.
  void StartHealthWatcher(std::chrono::milliseconds interval);
  void StopHealthWatcher();

  ServingInfo serving() const;
  // The store version served by `generation`; nullopt when unknown.
  std::optional<int64_t> VersionOf(uint64_t generation) const;
  session::SessionStats stats() const;
  HealthMonitor& health() { return health_; }
  const std::string& name() const { return name_; }

 private:
  // One Session and the generations it served: generation =
  // generation_offset + the Session's model_generation().
  struct Served {
    std::shared_ptr<session::Session> session;
    uint64_t generation_offset = 0;
    session::SessionOptions options;  // policy applied
    std::atomic<int64_t> outstanding{0};  // Submits not yet delivered
  };
  // The health window of a newly activated generation.
  struct Window {
    uint64_t generation = 0;
    int64_t version = 0;
    int64_t previous_version = 0;
    std::shared_ptr<const ModelFile> previous_model;  // null: read the store
    std::string previous_sha256;
  };

  ManagedModel(ModelStore* store, std::string name, ManagedModelOptions options);
  // The session options with the current device policy applied.
  session::SessionOptions EffectiveOptions() const;
  // Makes `model` serve: SwapModel into the current Session when `options`
  // match, else a new Session. Returns the new generation. control_mu_ held.
  StatusOr<uint64_t> Install(std::shared_ptr<const ModelFile> model,
                             const session::SessionOptions& options, int64_t version,
                             const std::string& sha256);
  StatusOr<int64_t> RollbackLocked(const std::string& reason);
  // Destroys retired Sessions with nothing outstanding. control_mu_ held.
  void ReapRetired();
  std::shared_ptr<Served> Current() const;
  void Record(const Served& served, const session::RunInfo& info, bool ok,
              Clock::time_point start);
  void Emit(UpdateEventType type, int64_t version, int64_t from, std::string reason);

  ModelStore* const store_;
  const std::string name_;
  const ManagedModelOptions options_;
  Env* const env_;
  HealthMonitor health_;

  std::mutex control_mu_;                 // serializes control operations
  std::optional<Window> window_;          // guarded by control_mu_
  std::vector<std::shared_ptr<Served>> retired_;  // guarded by control_mu_

  mutable std::mutex mu_;                 // after control_mu_
  std::shared_ptr<Served> served_;        // guarded by mu_
  int64_t version_ = 0;                   // guarded by mu_
  std::string sha256_;                    // guarded by mu_
  std::shared_ptr<const ModelFile> model_;  // guarded by mu_
  std::map<uint64_t, int64_t> generation_versions_;  // guarded by mu_
  bool in_window_ = false;                // guarded by mu_ (mirror of window_)
  int64_t previous_version_ = 0;          // guarded by mu_

  std::mutex watcher_mu_;  // leaf
  std::condition_variable watcher_cv_;
  bool watcher_stop_ = false;  // guarded by watcher_mu_
  std::thread watcher_;        // started/joined by Start/StopHealthWatcher
};

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_MANAGED_MODEL_H_
