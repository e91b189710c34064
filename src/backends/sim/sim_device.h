// The simulated accelerator device behind the "sim" backend: a process-wide
// object with ONE execution slot, a fixed latency per request and a
// model-switch cost. It is a stand-in for tests and benchmarks of
// scheduling (queueing, model switching like an Edge TPU reloading its
// parameters); it is not real hardware and computes nothing itself.
//
// Configuration: ConfigureSimDevice, or on first use the environment
// variables EDGERUN_SIM_LATENCY_US and EDGERUN_SIM_SWITCH_US (non-negative
// integers in microseconds; anything else is ignored). Both default to 0,
// so the simulated accelerator costs nothing extra unless asked to.
//
// Timing: the latency and switch cost are SLEPT (std::this_thread::
// sleep_until), not busy-waited, while the request holds the slot. A real
// accelerator leaves the host CPU free while it works, and a busy-wait would
// burn a core and distort multi-interpreter benchmarks on small hosts. The
// price is oversleeping by the OS timer slack (typically tens of
// microseconds); the counters record the configured charges, not measured
// time, so tests assert them exactly.
//
// Thread-safety: every function here is thread-safe.
#ifndef EDGERUN_BACKENDS_SIM_SIM_DEVICE_H_
#define EDGERUN_BACKENDS_SIM_SIM_DEVICE_H_

#include <chrono>
#include <cstdint>
#include <functional>

#include "edgerun/base/status.h"

namespace edgerun::backends::sim {

struct SimDeviceConfig {
  // Added to every Execute, after the computation, while holding the slot.
  std::chrono::microseconds latency{0};
  // Added before the computation when the device last ran another model.
  std::chrono::microseconds switch_cost{0};
};

// Counters since process start or the last ResetSimDeviceStats.
struct DeviceStats {
  uint64_t executes = 0;  // requests admitted to the slot
  // Model loads: requests whose model differs from the device's last-run
  // one. The first request after a reset counts (the device starts empty).
  uint64_t switches = 0;
  uint64_t queued = 0;  // requests that found the slot busy and waited
  std::chrono::microseconds latency_charged{0};  // executes * latency
  std::chrono::microseconds switch_charged{0};   // switches * switch_cost
  // Requests inside the slot now, and the most ever at once (kept by the
  // request itself, independently of the lock, so a broken slot would show
  // a value above 1).
  int active = 0;
  int max_active = 0;
};

void ConfigureSimDevice(const SimDeviceConfig& config);
SimDeviceConfig SimDeviceConfiguration();
DeviceStats SimDeviceStats();
// Zeroes the counters and forgets the loaded model (the next request counts
// as a switch). `active` is left alone: it tracks requests in flight.
void ResetSimDeviceStats();

// Runs `work` (the request's computation) in the device's single slot:
// waits its turn (FIFO), pays the switch cost when `model_key` differs from
// the last-run model, runs `work`, pays the latency, frees the slot. The
// latency is charged even when `work` fails (the device was busy anyway).
// `model_key` identifies the model as the device sees it (an address that is
// the same for every interpreter of one loaded model).
Status RunOnSimDevice(const void* model_key,
                      const std::function<Status()>& work);

}  // namespace edgerun::backends::sim

#endif  // EDGERUN_BACKENDS_SIM_SIM_DEVICE_H_
