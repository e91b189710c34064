// Scheduler: per-device request queues with concurrency limits, priorities,
// deadlines, cancellation and latency statistics.
//
// A Scheduler owns a fixed set of devices. Each device has `slots` worker
// threads (a CPU: one per core a caller wants to use; a single-queue
// accelerator: 1) and one bounded queue, ordered by priority (higher first),
// then deadline (earlier first, none last), then arrival. A work item is a
// callable run on one of the device's workers; its completion callback is
// called exactly once with the work's Status, or without the work running
// when the request was cancelled (kCancelled), expired in the queue
// (kDeadlineExceeded) or the scheduler shut down (kCancelled).
//
//   auto sched = Scheduler::Create({{.name = "cpu", .slots = 4}});
//   Status s = (*sched)->Submit(0, {.priority = 1},
//                               [] { return DoWork(); },
//                               [](Status result) { Report(result); });
//
// Model grouping (DeviceSpec::group_by_model, for single-queue accelerators
// that pay to switch models): every work item carries a group (a model; see
// RegisterGroup). Among the queued items of the highest priority level the
// worker prefers the first (in queue order) of the group it dispatched last,
// so runs of one model are not interleaved with others. Bounded unfairness:
// an item passed over by a later item of its own priority level counts a
// bypass; an item with `max_consecutive_same_model` bypasses is taken next
// (the first such one in queue order), so no item is overtaken more than
// that many times by grouping. Grouping never crosses priority levels.
//
// Queue full: QueuePolicy::kReject answers kUnavailable at once;
// QueuePolicy::kWait blocks Submit until space frees up, the wait timeout or
// the request's deadline, whichever comes first, then kUnavailable (or
// kDeadlineExceeded). A rejected Submit never calls `done`.
//
// Ownership: owns its worker threads; the destructor completes every queued
// item with kCancelled, waits for running items and joins the threads.
// Thread-safety: every method may be called from any thread, including from
// inside work and done callbacks (but the destructor must not run on a
// worker). Lock order: Device::mu -> CancellationToken::State::mu;
// Scheduler::groups_mu_ is a leaf (never held with another lock). No lock is
// held while work or done callbacks run.
#ifndef EDGERUN_SESSION_SCHEDULER_H_
#define EDGERUN_SESSION_SCHEDULER_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"

namespace edgerun::session {

using Clock = std::chrono::steady_clock;

// Cancellation shared between a caller and the requests it started. Copies
// share one state; Cancel() is sticky. Callbacks registered by the scheduler
// run on the cancelling thread, outside the token's lock.
// Thread-safety: fully thread-safe.
class CancellationToken {
 public:
  CancellationToken();
  void Cancel();
  bool cancelled() const;
  // The flag Cancel() sets, for polling in hot loops (e.g.
  // Interpreter::SetCancellationFlag); valid while any copy of the token
  // lives.
  const std::atomic<bool>* flag() const;

  // For the scheduler: runs `fn` once on Cancel(). Returns 0 (and does not
  // keep fn) when already cancelled; otherwise an id for Unregister.
  uint64_t Register(std::function<void()> fn);
  void Unregister(uint64_t id);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Latency histogram: logarithmic buckets (4 per power of two) from 1 us to
// about 12 days, so memory is fixed and percentiles are within ~19%.
// Thread-compatible (the owner locks).
class LatencyHistogram {
 public:
  void Record(Clock::duration d);
  uint64_t count() const { return count_; }
  // Upper bound (microseconds) of the bucket holding quantile q in [0, 1];
  // 0 when empty.
  double PercentileMicros(double q) const;
  double max_micros() const { return static_cast<double>(max_us_); }

 private:
  static constexpr int kBuckets = 4 * 40;
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t max_us_ = 0;
};

struct LatencySummary {
  uint64_t count = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
  static LatencySummary Of(const LatencyHistogram& h);
};

enum class QueuePolicy { kReject, kWait };

struct DeviceSpec {
  std::string name;
  int slots = 1;          // concurrent work items (worker threads)
  size_t max_queue = 64;  // queued (not running) items
  QueuePolicy policy = QueuePolicy::kReject;
  Clock::duration wait_timeout = std::chrono::milliseconds(100);  // kWait
  // Prefer items of the last-dispatched group (see the file comment).
  bool group_by_model = false;
  // Most bypasses an item suffers from grouping; >= 1 when grouping.
  int max_consecutive_same_model = 8;
};

struct WorkOptions {
  int priority = 0;  // higher runs first
  std::optional<Clock::time_point> deadline;
  std::optional<CancellationToken> cancel;
  // Model / group key from Scheduler::RegisterGroup; 0 = the unnamed
  // "default" group. Used for grouping, model_switches and per-model stats.
  uint64_t group = 0;
};

// Counters of one group (model) on one device; same meaning as the
// DeviceStats fields of the same names.
struct ModelStats {
  uint64_t requests = 0;
  uint64_t completed = 0;
  uint64_t errors = 0;
  uint64_t rejections = 0;
  uint64_t deadline_exceeded = 0;
  uint64_t cancelled = 0;
  LatencySummary queue_wait;
  LatencySummary run;
};

struct DeviceStats {
  std::string name;
  int slots = 0;
  uint64_t requests = 0;           // accepted by Submit
  uint64_t completed = 0;          // work ran and returned OK
  uint64_t errors = 0;             // work ran and returned an error
  uint64_t rejections = 0;         // queue full (kUnavailable)
  uint64_t deadline_exceeded = 0;  // expired before running
  uint64_t cancelled = 0;          // cancelled queued or while running
  size_t queued = 0;               // now
  int running = 0;                 // now
  LatencySummary queue_wait;       // Submit -> start of work
  LatencySummary run;              // work itself
  // Dispatches (work started) whose group differs from the previous
  // dispatch on this device; the first dispatch counts.
  uint64_t model_switches = 0;
  // Per group that submitted here, keyed by the group's stats name.
  std::map<std::string, ModelStats> models;
};

class Scheduler {
 public:
  using Work = std::function<Status()>;
  using Done = std::function<void(Status)>;

  // kInvalidArgument for no devices, duplicate names, slots < 1 or
  // max_queue < 1.
  static StatusOr<std::unique_ptr<Scheduler>> Create(
      std::vector<DeviceSpec> devices);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  int num_devices() const { return static_cast<int>(devices_.size()); }
  StatusOr<int> DeviceIndex(std::string_view name) const;

  // Registers a group (model) for WorkOptions::group and returns its id
  // (>= 1; ids are never reused). Its stats name is `name`, or `name#2`,
  // `name#3`... when another group already has that name; empty names
  // become "group".
  uint64_t RegisterGroup(std::string name);
  // The stats name of a group ("default" for 0, "" for unknown ids).
  std::string GroupName(uint64_t group) const;

  // Completes every item of `group` queued on `device` with kCancelled (on
  // this thread); running items are not affected. Returns how many.
  size_t CancelQueued(int device, uint64_t group);

  // Queues `work` on device `device`. OK: `done` will be called exactly
  // once, on a worker thread or (for cancellation) on the cancelling thread.
  // Errors (done not called): kInvalidArgument (bad device), kUnavailable
  // (queue full), kDeadlineExceeded / kCancelled (already so at Submit).
  Status Submit(int device, const WorkOptions& options, Work work, Done done);

  // Runs `work` on the calling thread when the device could start it at
  // once (nothing queued, a slot free), skipping the two thread hand-offs
  // of Submit -- most of a request's overhead on an idle device. Counted
  // like a dispatched request with zero queue wait. nullopt (nothing
  // counted, nothing run): the request must go through Submit. Cancelled or
  // past-deadline requests are refused as by Submit.
  std::optional<Status> TryRunInline(int device, const WorkOptions& options,
                                     const Work& work);

  DeviceStats stats(int device) const;
  std::vector<DeviceStats> stats() const;

 private:
  struct Device;
  explicit Scheduler(std::vector<std::shared_ptr<Device>> devices);
  std::vector<std::shared_ptr<Device>> devices_;

  mutable std::mutex groups_mu_;
  std::map<uint64_t, std::string> group_names_;  // guarded by groups_mu_
  uint64_t next_group_ = 1;                      // guarded by groups_mu_
};

}  // namespace edgerun::session

#endif  // EDGERUN_SESSION_SCHEDULER_H_
