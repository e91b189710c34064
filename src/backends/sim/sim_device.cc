#include "backends/sim/sim_device.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace edgerun::backends::sim {
namespace {

// Reads a non-negative microsecond count from the environment; 0 when unset
// or malformed (a typo must not slow every run down unexpectedly).
std::chrono::microseconds EnvMicros(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::chrono::microseconds(0);
  char* end = nullptr;
  const long long v = std::strtoll(value, &end, 10);
  if (*end != '\0' || v < 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(v);
}

// The one simulated device of the process.
//
// Ownership: a function-local static, never destroyed before exit.
// Thread-safety: all members are guarded by mu_, except active_/max_active_,
// which the request in the slot updates itself (see DeviceStats).
class SimDevice {
 public:
  static SimDevice& Get() {
    static SimDevice* device = new SimDevice();  // leaked: no exit-order races
    return *device;
  }

  void Configure(const SimDeviceConfig& config) {
    std::lock_guard<std::mutex> lock(mu_);
    config_ = config;
  }

  SimDeviceConfig config() {
    std::lock_guard<std::mutex> lock(mu_);
    return config_;
  }

  DeviceStats Stats() {
    std::lock_guard<std::mutex> lock(mu_);
    DeviceStats stats = stats_;
    stats.active = active_.load();
    stats.max_active = max_active_.load();
    return stats;
  }

  void Reset() {
    std::lock_guard<std::mutex> lock(mu_);
    stats_ = DeviceStats();
    loaded_model_ = nullptr;
    max_active_ = active_.load();
  }

  Status Run(const void* model_key, const std::function<Status()>& work) {
    std::chrono::microseconds latency{0};
    std::chrono::microseconds switch_cost{0};
    {
      std::unique_lock<std::mutex> lock(mu_);
      // A ticket queue rather than a bare condition: requests are admitted
      // in arrival order, like a device command queue, so no interpreter
      // starves under contention.
      const uint64_t ticket = next_ticket_++;
      if (ticket != serving_) {
        ++stats_.queued;
        admitted_.wait(lock, [&] { return ticket == serving_; });
      }
      ++stats_.executes;
      latency = config_.latency;
      stats_.latency_charged += latency;
      if (model_key != loaded_model_) {
        loaded_model_ = model_key;
        ++stats_.switches;
        switch_cost = config_.switch_cost;
        stats_.switch_charged += switch_cost;
      }
    }
    const int now_active = ++active_;
    int seen = max_active_.load();
    while (now_active > seen &&
           !max_active_.compare_exchange_weak(seen, now_active)) {
    }
    Wait(switch_cost);  // "reloading parameters"
    Status status = work();
    Wait(latency);
    --active_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++serving_;
    }
    admitted_.notify_all();
    return status;
  }

 private:
  SimDevice() {
    config_.latency = EnvMicros("EDGERUN_SIM_LATENCY_US");
    config_.switch_cost = EnvMicros("EDGERUN_SIM_SWITCH_US");
  }

  static void Wait(std::chrono::microseconds duration) {
    if (duration.count() <= 0) return;
    // sleep_until against a steady deadline: see the header for why we
    // sleep rather than spin.
    std::this_thread::sleep_until(std::chrono::steady_clock::now() + duration);
  }

  std::mutex mu_;
  std::condition_variable admitted_;
  SimDeviceConfig config_;
  DeviceStats stats_;
  const void* loaded_model_ = nullptr;
  uint64_t next_ticket_ = 0;
  uint64_t serving_ = 0;
  std::atomic<int> active_{0};
  std::atomic<int> max_active_{0};
};

}  // namespace

void ConfigureSimDevice(const SimDeviceConfig& config) {
  SimDevice::Get().Configure(config);
}

SimDeviceConfig SimDeviceConfiguration() { return SimDevice::Get().config(); }

DeviceStats SimDeviceStats() { return SimDevice::Get().Stats(); }

void ResetSimDeviceStats() { SimDevice::Get().Reset(); }

Status RunOnSimDevice(const void* model_key,
                      const std::function<Status()>& work) {
  return SimDevice::Get().Run(model_key, work);
}

}  // namespace edgerun::backends::sim
