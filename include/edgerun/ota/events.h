// Update events: what the updater did and why, for logs, metrics and the
// CLI. The updater appends one UpdateEvent per step (checked, downloaded,
// verified, staged, self-test, activated, rolled back, committed, ...);
// EventLog keeps the latest ones in a bounded ring, counts every type (the
// metrics: counts never drop, the ring does) and calls listeners.
//
//   EventLog log(256);
//   log.AddListener([](const UpdateEvent& e) { std::cerr << e.ToJson(); });
//   log.Append({.type = UpdateEventType::kActivated, .model = "kws",
//               .version = "7", .from_version = "6"});
//
// Ownership: the log owns copies of its events and listeners.
// Thread-safety: EventLog is thread-safe. Listeners run on the appending
// thread, after the log's lock is released (so they may call the log,
// including RemoveListener); events appended from one thread reach a
// listener in order, events from different threads may interleave (`seq`
// gives the log's order). A listener removed while another thread is
// appending may still see that one event.
#ifndef EDGERUN_OTA_EVENTS_H_
#define EDGERUN_OTA_EVENTS_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgerun::ota {

enum class UpdateEventType {
  kChecked,
  kNothingNew,
  kDownloaded,
  kVerified,
  kStaged,
  kSelfTestPassed,
  kSelfTestFailed,
  kActivated,
  kRolledBack,
  kCommitted,
  kRejected,
  kError,
};
inline constexpr size_t kNumUpdateEventTypes = 12;

// "checked", "nothing_new", "downloaded", "verified", "staged",
// "self_test_passed", "self_test_failed", "activated", "rolled_back",
// "committed", "rejected", "error".
std::string_view UpdateEventTypeName(UpdateEventType type);
std::optional<UpdateEventType> UpdateEventTypeFromName(std::string_view name);

struct UpdateEvent {
  using TimePoint = std::chrono::system_clock::time_point;

  UpdateEventType type = UpdateEventType::kChecked;
  std::string model;         // model name in the store / repository
  std::string version;       // the version this event is about
  std::string from_version;  // the version in service before (if any)
  std::string reason;        // human-readable detail, e.g. an error
  TimePoint time{};          // set by EventLog::Append when left at epoch
  uint64_t seq = 0;          // set by EventLog::Append: 1, 2, ...

  // One JSON object on one line, no trailing newline; empty strings are
  // left out; time as RFC 3339 UTC with milliseconds:
  // {"seq":3,"time":"2024-05-01T12:00:00.250Z","type":"activated",
  //  "model":"kws","version":"7","from_version":"6"}
  std::string ToJson() const;
};

class EventLog {
 public:
  using Listener = std::function<void(const UpdateEvent&)>;
  using NowFn = std::function<UpdateEvent::TimePoint()>;

  // Keeps the newest `capacity` events (at least 1).
  explicit EventLog(size_t capacity = 256,
                    NowFn now = std::chrono::system_clock::now);
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Stamps seq (and time, when unset), stores, counts, notifies. Returns
  // the stored event.
  UpdateEvent Append(UpdateEvent event);

  // Returns an id for RemoveListener.
  uint64_t AddListener(Listener listener);
  void RemoveListener(uint64_t id);

  // The newest `max` events in the ring, oldest first.
  std::vector<UpdateEvent> Recent(size_t max = SIZE_MAX) const;
  // Events of `type` appended since construction (not bounded by the ring).
  uint64_t Count(UpdateEventType type) const;
  std::array<uint64_t, kNumUpdateEventTypes> Counts() const;
  uint64_t total() const;    // all events appended
  uint64_t dropped() const;  // fell out of the ring
  // {"total":9,"dropped":0,"checked":3,"nothing_new":2,...} (every type).
  std::string MetricsJson() const;

 private:
  const size_t capacity_;
  const NowFn now_;
  mutable std::mutex mu_;
  std::deque<UpdateEvent> ring_;                         // guarded by mu_
  std::array<uint64_t, kNumUpdateEventTypes> counts_{};  // guarded by mu_
  uint64_t seq_ = 0;                                     // guarded by mu_
  uint64_t next_listener_ = 1;                           // guarded by mu_
  // Copy-on-write, so Append can call them outside the lock.
  std::shared_ptr<const std::vector<std::pair<uint64_t, Listener>>>
      listeners_;  // guarded by mu_
};

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_EVENTS_H_
