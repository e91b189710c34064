// Small helpers shared by the bench programs: median/min/max, percentiles,
// --name=value flags and the load average.
#ifndef EDGERUN_BENCH_SUMMARY_H_
#define EDGERUN_BENCH_SUMMARY_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
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

// {"median": m, "min": a, "max": b} with `decimals` digits after the point.
inline std::string SummaryJson(const Summary& s, int decimals = 2) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "{\"median\": %.*f, \"min\": %.*f, \"max\": %.*f}", decimals,
                s.median, decimals, s.min, decimals, s.max);
  return buf;
}

// Nearest-rank percentile, p in (0, 1]; 0 when `v` is empty.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(p * static_cast<double>(v.size()));
  const size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return v[std::min(i, v.size() - 1)];
}

// The value of `--name=value` in argv, or `fallback`.
inline std::string FlagValue(int argc, char** argv, const std::string& name,
                             const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
  }
  return fallback;
}

// The 1, 5 and 15 minute load averages as a JSON array.
inline std::string LoadAverageJson() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return "[]";
  char buf[96];
  std::snprintf(buf, sizeof buf, "[%.2f, %.2f, %.2f]", l[0], l[1], l[2]);
  return buf;
}

}  // namespace edgerun::bench

#endif  // EDGERUN_BENCH_SUMMARY_H_
