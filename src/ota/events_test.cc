// EventLog: ring, counters, listeners, JSON lines, concurrent appends.
#include "edgerun/ota/events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace edgerun::ota {
namespace {

using ::testing::HasSubstr;
using Tp = UpdateEvent::TimePoint;

EventLog::NowFn FixedClock() {
  // 2024-05-01T12:00:00.250Z
  return [] { return Tp(std::chrono::milliseconds(1714564800250)); };
}

TEST(EventsTest, TypeNamesRoundTrip) {
  for (size_t i = 0; i < kNumUpdateEventTypes; ++i) {
    const auto type = static_cast<UpdateEventType>(i);
    const std::string_view name = UpdateEventTypeName(type);
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(UpdateEventTypeFromName(name), type);
  }
  EXPECT_EQ(UpdateEventTypeName(UpdateEventType::kSelfTestFailed),
            "self_test_failed");
  EXPECT_EQ(UpdateEventTypeFromName("bogus"), std::nullopt);
}

TEST(EventsTest, AppendStampsStoresAndCounts) {
  EventLog log(3, FixedClock());
  UpdateEvent e = log.Append({.type = UpdateEventType::kActivated,
                              .model = "kws",
                              .version = "7",
                              .from_version = "6"});
  EXPECT_EQ(e.seq, 1u);
  EXPECT_EQ(e.time, FixedClock()());
  EXPECT_EQ(e.ToJson(),
            R"({"seq":1,"time":"2024-05-01T12:00:00.250Z","type":"activated",)"
            R"("model":"kws","version":"7","from_version":"6"})");

  // An explicit time is kept.
  e = log.Append({.type = UpdateEventType::kChecked,
                  .time = Tp{} + std::chrono::seconds(1)});
  EXPECT_EQ(e.time, Tp{} + std::chrono::seconds(1));
  EXPECT_THAT(e.ToJson(), HasSubstr(R"("time":"1970-01-01T00:00:01.000Z")"));

  for (int i = 0; i < 3; ++i)
    log.Append({.type = UpdateEventType::kNothingNew, .model = "kws"});
  log.Append({.type = UpdateEventType::kError, .reason = "line \"1\"\nline 2"});

  const std::vector<UpdateEvent> recent = log.Recent();
  ASSERT_EQ(recent.size(), 3u);  // ring of 3, oldest first
  EXPECT_EQ(recent[0].seq, 4u);
  EXPECT_EQ(recent[2].type, UpdateEventType::kError);
  ASSERT_EQ(log.Recent(1).size(), 1u);
  EXPECT_EQ(log.Recent(1)[0].seq, 6u);

  EXPECT_EQ(log.total(), 6u);
  EXPECT_EQ(log.dropped(), 3u);
  EXPECT_EQ(log.Count(UpdateEventType::kNothingNew), 3u);  // never dropped
  EXPECT_EQ(log.Count(UpdateEventType::kActivated), 1u);
  EXPECT_EQ(log.Count(UpdateEventType::kRolledBack), 0u);
  EXPECT_EQ(log.Counts()[static_cast<size_t>(UpdateEventType::kError)], 1u);

  // One line, even for a reason with newlines and quotes.
  const std::string line = recent[2].ToJson();
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["reason"], "line \"1\"\nline 2");
  EXPECT_FALSE(j.contains("model"));  // empty fields left out

  const auto m = nlohmann::json::parse(log.MetricsJson(), nullptr, false);
  ASSERT_FALSE(m.is_discarded());
  EXPECT_EQ(m["total"], 6);
  EXPECT_EQ(m["dropped"], 3);
  EXPECT_EQ(m["nothing_new"], 3);
  EXPECT_EQ(m["committed"], 0);
  EXPECT_EQ(m.size(), 2 + kNumUpdateEventTypes);
}

TEST(EventsTest, ListenersSeeEveryEventAndCanBeRemoved) {
  EventLog log(8, FixedClock());
  std::vector<std::string> seen;
  const uint64_t id = log.AddListener([&](const UpdateEvent& e) {
    seen.push_back(std::string(UpdateEventTypeName(e.type)) + ":" + e.version);
  });
  uint64_t self_removing = 0;
  int calls = 0;
  self_removing = log.AddListener([&](const UpdateEvent&) {
    ++calls;
    log.RemoveListener(self_removing);  // allowed from inside a listener
  });
  log.Append({.type = UpdateEventType::kDownloaded, .version = "2"});
  log.Append({.type = UpdateEventType::kVerified, .version = "2"});
  log.RemoveListener(id);
  log.Append({.type = UpdateEventType::kStaged, .version = "2"});
  EXPECT_EQ(seen, (std::vector<std::string>{"downloaded:2", "verified:2"}));
  EXPECT_EQ(calls, 1);
}

TEST(EventsTest, ConcurrentAppendsAreAllCounted) {
  EventLog log(16);
  std::atomic<int> heard{0};
  log.AddListener([&](const UpdateEvent&) { heard.fetch_add(1); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 250; ++i) {
        log.Append({.type = t % 2 ? UpdateEventType::kChecked
                                  : UpdateEventType::kNothingNew});
        if (i % 50 == 0) (void)log.Recent();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(heard.load(), 1000);
  EXPECT_EQ(log.total(), 1000u);
  EXPECT_EQ(log.Count(UpdateEventType::kChecked), 500u);
  EXPECT_EQ(log.Count(UpdateEventType::kNothingNew), 500u);
  const std::vector<UpdateEvent> recent = log.Recent();
  ASSERT_EQ(recent.size(), 16u);
  for (size_t i = 1; i < recent.size(); ++i)
    EXPECT_EQ(recent[i].seq, recent[i - 1].seq + 1);
  EXPECT_EQ(recent.back().seq, 1000u);
}

}  // namespace
}  // namespace edgerun::ota
