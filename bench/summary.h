// Median, min and max of a benchmark's samples, shared by the bench programs.
#ifndef EDGERUN_BENCH_SUMMARY_H_
#define EDGERUN_BENCH_SUMMARY_H_

#include <algorithm>
#include <cstddef>
#include <vector>

namespace edgerun::bench {

struct Summary {
  double median = 0, min = 0, max = 0;
};

// The median (mean of the middle two for an even count), min and max of
// `v`; all zero when `v` is empty.
inline Summary Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Summary s;
  if (v.empty()) return s;
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  return s;
}

}  // namespace edgerun::bench

#endif  // EDGERUN_BENCH_SUMMARY_H_
