// HealthMonitor: judges a newly activated model over a health window against
// the previous version's baseline, so the updater can commit it or roll back.
//
// The serving path reports every request with Record(generation, ok,
// latency); `generation` identifies the model version that served it (the
// updater numbers activations), so requests still finishing on the old model
// after a swap count for the old one. BeginWindow(generation, baseline)
// starts judging `generation`; Evaluate() answers:
//
//   kUnhealthy  as soon as min_requests are in and the error rate is above
//               its limit with ~99.9% confidence (Wilson lower bound, z = 3):
//               a broken model is rolled back without waiting out the window;
//               and at the end of the window when the error rate or the p99
//               latency is over its limit;
//   kHealthy    once the window has passed with at least min_requests and
//               every metric within its limit;
//   kPending    otherwise (also past the window while fewer than
//               min_requests came in: the caller decides how long to wait).
//
// Limits: error rate <= max_error_rate, and, with a baseline, error rate <=
// baseline + max_error_rate_increase (the smaller of the two applies); p99
// latency <= max_p99_latency_ratio x baseline p99 (only with a baseline p99
// > 0). Latencies of successful requests only; percentiles come from
// session::LatencyHistogram (log buckets, within ~19%), so compare a
// baseline taken from this monitor's own records (Baseline(generation)) for
// like-for-like numbers.
//
// Reasons name the metric, value and limit: "error rate 0.31 > 0.05 over
// 120 requests", "p99 latency 48.1 ms > 2.0 x baseline 12.0 ms".
//
// Ownership: owns its counters; the clock callable is copied.
// Thread-safety: thread-safe. Record takes one mutex and updates counters
// and a fixed-size histogram (no allocation after a generation's first
// record); Evaluate and the rest may run concurrently with it.
#ifndef EDGERUN_OTA_HEALTH_MONITOR_H_
#define EDGERUN_OTA_HEALTH_MONITOR_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "edgerun/session/scheduler.h"

namespace edgerun::ota {

using Clock = session::Clock;

struct HealthPolicy {
  Clock::duration window = std::chrono::minutes(5);
  uint64_t min_requests = 100;
  double max_error_rate = 0.05;           // absolute, in [0, 1]
  double max_error_rate_increase = 0.02;  // over the baseline's rate
  double max_p99_latency_ratio = 2.0;     // x baseline p99; <= 0: no check
};

// What the previous version did: its error rate and latency percentiles.
struct HealthBaseline {
  uint64_t requests = 0;
  double error_rate = 0;
  double p50_ms = 0;
  double p99_ms = 0;  // <= 0: unknown, no latency check
};

enum class HealthState { kPending, kHealthy, kUnhealthy };
std::string_view HealthStateName(HealthState state);  // "pending", ...

struct HealthVerdict {
  HealthState state = HealthState::kPending;
  std::string reason;
  uint64_t generation = 0;
  uint64_t requests = 0, errors = 0;
  double error_rate = 0;
  double p50_ms = 0, p99_ms = 0;
  Clock::duration elapsed{};  // since BeginWindow
};

class HealthMonitor {
 public:
  using NowFn = std::function<Clock::time_point()>;

  explicit HealthMonitor(HealthPolicy policy, NowFn now = Clock::now);
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // One finished request served by `generation`. Cheap; any thread. Keeps
  // statistics for the newest few generations (older ones are dropped).
  void Record(uint64_t generation, bool ok, Clock::duration latency);

  // The statistics recorded for `generation` as a baseline; nullopt when
  // none were recorded (or they were dropped).
  std::optional<HealthBaseline> Baseline(uint64_t generation) const;

  // Starts judging `generation` now. Every record of that generation counts
  // (also ones made just before). nullopt baseline: absolute limits only.
  void BeginWindow(uint64_t generation, std::optional<HealthBaseline> baseline);

  // kPending before any BeginWindow.
  HealthVerdict Evaluate() const;

  const HealthPolicy& policy() const { return policy_; }

 private:
  struct Stats {
    uint64_t requests = 0, errors = 0;
    session::LatencyHistogram latency;  // successful requests only
  };
  static constexpr size_t kMaxGenerations = 4;

  const HealthPolicy policy_;
  const NowFn now_;
  mutable std::mutex mu_;
  std::map<uint64_t, Stats> stats_;  // by generation, newest kept
  bool watching_ = false;
  uint64_t generation_ = 0;
  std::optional<HealthBaseline> baseline_;
  Clock::time_point start_{};
};

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_HEALTH_MONITOR_H_
