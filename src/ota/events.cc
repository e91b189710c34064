#include "edgerun/ota/events.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace edgerun::ota {
namespace {

constexpr std::array<std::string_view, kNumUpdateEventTypes> kNames = {
    "checked",     "nothing_new",      "downloaded",       "verified",
    "staged",      "self_test_passed", "self_test_failed", "activated",
    "rolled_back", "committed",        "rejected",         "error",
};
static_assert(static_cast<size_t>(UpdateEventType::kError) + 1 ==
              kNumUpdateEventTypes);

size_t Index(UpdateEventType type) {
  const size_t i = static_cast<size_t>(type);
  return i < kNumUpdateEventTypes ? i : kNumUpdateEventTypes - 1;
}

std::string Rfc3339(UpdateEvent::TimePoint t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(frac));
  return buf;
}

}  // namespace

std::string_view UpdateEventTypeName(UpdateEventType type) {
  const size_t i = static_cast<size_t>(type);
  return i < kNumUpdateEventTypes ? kNames[i] : "unknown";
}

std::optional<UpdateEventType> UpdateEventTypeFromName(std::string_view name) {
  for (size_t i = 0; i < kNumUpdateEventTypes; ++i) {
    if (kNames[i] == name) return static_cast<UpdateEventType>(i);
  }
  return std::nullopt;
}

std::string UpdateEvent::ToJson() const {
  // ordered_json keeps the documented key order.
  nlohmann::ordered_json j;
  j["seq"] = seq;
  j["time"] = Rfc3339(time);
  j["type"] = std::string(UpdateEventTypeName(type));
  if (!model.empty()) j["model"] = model;
  if (!version.empty()) j["version"] = version;
  if (!from_version.empty()) j["from_version"] = from_version;
  if (!reason.empty()) j["reason"] = reason;
  // Replace, not throw, on invalid UTF-8 (reasons may quote file bytes).
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

EventLog::EventLog(size_t capacity, NowFn now)
    : capacity_(std::max<size_t>(capacity, 1)),
      now_(std::move(now)),
      listeners_(std::make_shared<
                 const std::vector<std::pair<uint64_t, Listener>>>()) {}

UpdateEvent EventLog::Append(UpdateEvent event) {
  if (event.time == UpdateEvent::TimePoint{}) event.time = now_();
  std::shared_ptr<const std::vector<std::pair<uint64_t, Listener>>> listeners;
  {
    std::lock_guard<std::mutex> lock(mu_);
    event.seq = ++seq_;
    ++counts_[Index(event.type)];
    ring_.push_back(event);
    if (ring_.size() > capacity_) ring_.pop_front();
    listeners = listeners_;
  }
  for (const auto& [id, listener] : *listeners) listener(event);
  return event;
}

uint64_t EventLog::AddListener(Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next =
      std::make_shared<std::vector<std::pair<uint64_t, Listener>>>(*listeners_);
  const uint64_t id = next_listener_++;
  next->emplace_back(id, std::move(listener));
  listeners_ = std::move(next);
  return id;
}

void EventLog::RemoveListener(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next =
      std::make_shared<std::vector<std::pair<uint64_t, Listener>>>(*listeners_);
  std::erase_if(*next, [id](const auto& l) { return l.first == id; });
  listeners_ = std::move(next);
}

std::vector<UpdateEvent> EventLog::Recent(size_t max) const {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = std::min(max, ring_.size());
  return std::vector<UpdateEvent>(ring_.end() - static_cast<ptrdiff_t>(n),
                                  ring_.end());
}

uint64_t EventLog::Count(UpdateEventType type) const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_[Index(type)];
}

std::array<uint64_t, kNumUpdateEventTypes> EventLog::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

uint64_t EventLog::total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

uint64_t EventLog::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_ - ring_.size();
}

std::string EventLog::MetricsJson() const {
  nlohmann::ordered_json j;
  std::lock_guard<std::mutex> lock(mu_);
  j["total"] = seq_;
  j["dropped"] = seq_ - ring_.size();
  for (size_t i = 0; i < kNumUpdateEventTypes; ++i)
    j[std::string(kNames[i])] = counts_[i];
  return j.dump();
}

}  // namespace edgerun::ota
