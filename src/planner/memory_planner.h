// MemoryPlanner: places tensors in one arena so that tensors whose lifetimes
// do not overlap share memory ("greedy by size", as TFLite's arena planner):
// biggest tensors first, each at the lowest aligned offset that collides with
// no already-placed tensor alive at the same time.
//
// Lifetimes are inclusive node index ranges [first, last] in execution order.
// Thread-safety: value type; Plan is pure.
#ifndef EDGERUN_PLANNER_MEMORY_PLANNER_H_
#define EDGERUN_PLANNER_MEMORY_PLANNER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgerun::planner {

struct BufferRequest {
  size_t bytes = 0;
  int first_use = 0;  // node index that writes it (or 0 for graph inputs)
  int last_use = 0;   // last node index that reads it
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request
  size_t arena_bytes = 0;       // size of the arena
  size_t total_bytes = 0;       // sum of all requests (no sharing)
};

inline constexpr size_t kArenaAlignment = 64;

MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests,
                      size_t alignment = kArenaAlignment);

}  // namespace edgerun::planner

#endif  // EDGERUN_PLANNER_MEMORY_PLANNER_H_
