#include "planner/memory_planner.h"

#include <gtest/gtest.h>

#include <random>

namespace edgerun::planner {
namespace {

bool Overlap(const BufferRequest& a, size_t oa, const BufferRequest& b,
             size_t ob) {
  const bool time = !(a.last_use < b.first_use || b.last_use < a.first_use);
  const bool space = oa < ob + b.bytes && ob < oa + a.bytes;
  return time && space && a.bytes > 0 && b.bytes > 0;
}

TEST(MemoryPlanner, ChainReusesMemory) {
  // a -> b -> c -> d: each tensor dies after the next node reads it.
  const std::vector<BufferRequest> requests = {
      {1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  const MemoryPlan plan = PlanMemory(requests);
  EXPECT_EQ(plan.total_bytes, 4000u);
  // Two live at a time -> two slots of 1024 (aligned).
  EXPECT_EQ(plan.arena_bytes, 2048u);
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
  EXPECT_NE(plan.offsets[0], plan.offsets[1]);
}

TEST(MemoryPlanner, AllAliveNeedsSum) {
  const std::vector<BufferRequest> requests = {{64, 0, 5}, {128, 0, 5}, {64, 0, 5}};
  const MemoryPlan plan = PlanMemory(requests);
  EXPECT_EQ(plan.arena_bytes, 256u);
}

TEST(MemoryPlanner, ZeroSizedAndAlignment) {
  const std::vector<BufferRequest> requests = {{0, 0, 1}, {3, 0, 1}, {5, 0, 1}};
  const MemoryPlan plan = PlanMemory(requests, 64);
  for (size_t o : plan.offsets) EXPECT_EQ(o % 64, 0u);
  EXPECT_EQ(plan.arena_bytes, 128u);
}

TEST(MemoryPlanner, RandomPlansNeverOverlap) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferRequest> requests(1 + rng() % 40);
    for (auto& r : requests) {
      r.bytes = rng() % 5000;
      r.first_use = static_cast<int>(rng() % 30);
      r.last_use = r.first_use + static_cast<int>(rng() % 10);
    }
    const MemoryPlan plan = PlanMemory(requests);
    size_t total = 0;
    for (size_t i = 0; i < requests.size(); ++i) {
      total += requests[i].bytes;
      EXPECT_LE(plan.offsets[i] + requests[i].bytes, plan.arena_bytes);
      for (size_t j = i + 1; j < requests.size(); ++j) {
        ASSERT_FALSE(Overlap(requests[i], plan.offsets[i], requests[j],
                             plan.offsets[j]))
            << "trial " << trial << " tensors " << i << " and " << j;
      }
    }
    EXPECT_EQ(plan.total_bytes, total);
  }
}

}  // namespace
}  // namespace edgerun::planner
