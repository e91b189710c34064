#include "edgerun/ota/health_monitor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace edgerun::ota {
namespace {

// z of the one-sided ~99.9% bound used for the early verdict.
constexpr double kEarlyZ = 3.0;

// Wilson score lower bound of a binomial proportion.
double WilsonLower(uint64_t errors, uint64_t n, double z) {
  if (n == 0) return 0;
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(errors) / nn;
  const double z2 = z * z;
  const double centre = p + z2 / (2 * nn);
  const double spread = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return std::max(0.0, (centre - spread) / (1 + z2 / nn));
}

std::string Rate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", v);
  return buf;
}

std::string Fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

// "2.0", "1.25": one decimal unless that would lose digits.
std::string Ratio(double v) {
  if (std::fabs(v * 10 - std::round(v * 10)) < 1e-9) return Fixed1(v);
  return Rate(v);
}

std::string Seconds(Clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  if (s < 100) return Rate(s) + " s";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f s", s);
  return buf;
}

}  // namespace

std::string_view HealthStateName(HealthState state) {
  switch (state) {
    case HealthState::kPending:
      return "pending";
    case HealthState::kHealthy:
      return "healthy";
    case HealthState::kUnhealthy:
      return "unhealthy";
  }
  return "unknown";
}

HealthMonitor::HealthMonitor(HealthPolicy policy, NowFn now)
    : policy_(std::move(policy)), now_(std::move(now)) {}

void HealthMonitor::Record(uint64_t generation, bool ok,
                           Clock::duration latency) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = stats_.try_emplace(generation);
  Stats& s = it->second;
  ++s.requests;
  if (ok) {
    s.latency.Record(latency);
  } else {
    ++s.errors;
  }
  if (inserted && stats_.size() > kMaxGenerations) {
    // Drop the oldest generation that is not being judged.
    for (auto old = stats_.begin(); old != stats_.end(); ++old) {
      if (!(watching_ && old->first == generation_) && old != it) {
        stats_.erase(old);
        break;
      }
    }
  }
}

std::optional<HealthBaseline> HealthMonitor::Baseline(
    uint64_t generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stats_.find(generation);
  if (it == stats_.end() || it->second.requests == 0) return std::nullopt;
  const Stats& s = it->second;
  HealthBaseline b;
  b.requests = s.requests;
  b.error_rate =
      static_cast<double>(s.errors) / static_cast<double>(s.requests);
  b.p50_ms = s.latency.PercentileMicros(0.50) / 1000.0;
  b.p99_ms = s.latency.PercentileMicros(0.99) / 1000.0;
  return b;
}

void HealthMonitor::BeginWindow(uint64_t generation,
                                std::optional<HealthBaseline> baseline) {
  const Clock::time_point now = now_();
  std::lock_guard<std::mutex> lock(mu_);
  watching_ = true;
  generation_ = generation;
  baseline_ = std::move(baseline);
  start_ = now;
}

HealthVerdict HealthMonitor::Evaluate() const {
  const Clock::time_point now = now_();
  std::lock_guard<std::mutex> lock(mu_);
  HealthVerdict v;
  if (!watching_) {
    v.reason = "no health window started";
    return v;
  }
  v.generation = generation_;
  v.elapsed = now - start_;
  if (auto it = stats_.find(generation_); it != stats_.end()) {
    const Stats& s = it->second;
    v.requests = s.requests;
    v.errors = s.errors;
    v.p50_ms = s.latency.PercentileMicros(0.50) / 1000.0;
    v.p99_ms = s.latency.PercentileMicros(0.99) / 1000.0;
  }
  if (v.requests > 0) {
    v.error_rate =
        static_cast<double>(v.errors) / static_cast<double>(v.requests);
  }

  // The error-rate limit: absolute, or tighter relative to the baseline.
  double error_limit = policy_.max_error_rate;
  std::string limit_text = Rate(error_limit);
  if (baseline_.has_value()) {
    const double relative =
        baseline_->error_rate + policy_.max_error_rate_increase;
    if (relative < error_limit) {
      error_limit = relative;
      limit_text = Rate(relative) + " (baseline " +
                   Rate(baseline_->error_rate) + " + " +
                   Rate(policy_.max_error_rate_increase) + ")";
    }
  }
  const std::string over = " over " + std::to_string(v.requests) +
                           (v.requests == 1 ? " request" : " requests");
  const bool enough = v.requests >= policy_.min_requests && v.requests > 0;
  const bool window_over = v.elapsed >= policy_.window;

  if (enough && (WilsonLower(v.errors, v.requests, kEarlyZ) > error_limit ||
                 (window_over && v.error_rate > error_limit))) {
    v.state = HealthState::kUnhealthy;
    v.reason = "error rate " + Rate(v.error_rate) + " > " + limit_text + over;
    return v;
  }
  if (!window_over || !enough) {
    v.state = HealthState::kPending;
    v.reason = "waiting: " + Seconds(v.elapsed) + " of " +
               Seconds(policy_.window) + ", " + std::to_string(v.requests) +
               " of " + std::to_string(policy_.min_requests) + " requests";
    return v;
  }

  std::string latency_text;
  if (baseline_.has_value() && baseline_->p99_ms > 0 &&
      policy_.max_p99_latency_ratio > 0) {
    const double limit = policy_.max_p99_latency_ratio * baseline_->p99_ms;
    const std::string rule = Ratio(policy_.max_p99_latency_ratio) +
                             " x baseline " + Fixed1(baseline_->p99_ms) + " ms";
    if (v.p99_ms > limit) {
      v.state = HealthState::kUnhealthy;
      v.reason = "p99 latency " + Fixed1(v.p99_ms) + " ms > " + rule + over;
      return v;
    }
    latency_text = ", p99 latency " + Fixed1(v.p99_ms) + " ms <= " + rule;
  }
  v.state = HealthState::kHealthy;
  v.reason = "error rate " + Rate(v.error_rate) + " <= " + limit_text +
             latency_text + over + " in " + Seconds(v.elapsed);
  return v;
}

}  // namespace edgerun::ota
