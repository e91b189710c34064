#include "tools/edgerun/stats.h"

#include <algorithm>
#include <cmath>

namespace edgerun::cli {

SampleSummary Summarize(std::vector<double> samples) {
  SampleSummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  s.count = static_cast<int64_t>(n);
  s.min = samples.front();
  s.max = samples.back();
  double sum = 0;
  for (double v : samples) sum += v;
  s.mean = sum / static_cast<double>(n);
  double sq = 0;
  for (double v : samples) sq += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(sq / static_cast<double>(n));
  // The mean of sorted doubles can round just outside [min, max].
  s.mean = std::clamp(s.mean, s.min, s.max);
  auto rank = [&](double p) {
    size_t r =
        static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
    return samples[std::clamp<size_t>(r, 1, n) - 1];
  };
  s.p50 = rank(50);
  s.p90 = rank(90);
  s.p99 = rank(99);
  return s;
}

}  // namespace edgerun::cli
