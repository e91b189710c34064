#include "planner/memory_planner.h"

#include <algorithm>
#include <numeric>

namespace edgerun::planner {
namespace {

size_t AlignUp(size_t v, size_t a) { return (v + a - 1) / a * a; }

}  // namespace

MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests,
                      size_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  // Biggest first; ties by first use, then index, so plans are deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) {
      return requests[a].bytes > requests[b].bytes;
    }
    return requests[a].first_use < requests[b].first_use;
  });

  struct Placed {
    size_t offset;
    size_t end;
    int first;
    int last;
  };
  std::vector<Placed> placed;  // kept sorted by offset
  for (size_t index : order) {
    const BufferRequest& r = requests[index];
    plan.total_bytes += r.bytes;
    if (r.bytes == 0) continue;
    size_t candidate = 0;
    for (const Placed& p : placed) {
      const bool overlaps_in_time =
          !(p.last < r.first_use || r.last_use < p.first);
      if (!overlaps_in_time) continue;
      if (candidate + r.bytes <= p.offset) break;  // fits in the gap before p
      candidate = std::max(candidate, AlignUp(p.end, alignment));
    }
    plan.offsets[index] = candidate;
    const Placed item{candidate, candidate + r.bytes, r.first_use, r.last_use};
    placed.insert(std::upper_bound(placed.begin(), placed.end(), item,
                                   [](const Placed& a, const Placed& b) {
                                     return a.offset < b.offset;
                                   }),
                  item);
    plan.arena_bytes = std::max(plan.arena_bytes, AlignUp(item.end, alignment));
  }
  return plan;
}

}  // namespace edgerun::planner
