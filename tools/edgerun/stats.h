// Numerics of `edgerun bench` and `edgerun diff`: latency summaries (mean,
// std, percentiles). The element-wise error statistics of `diff` live in the
// library (edgerun/io/tensor_compare.h, shared with the OTA self-test) and
// are re-exported here under their old names.
//
// Kept free of the interpreter so tests can feed synthetic arrays.
//
// Thread-safety: the free functions are pure.
#ifndef EDGERUN_TOOLS_EDGERUN_STATS_H_
#define EDGERUN_TOOLS_EDGERUN_STATS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "edgerun/io/tensor_compare.h"

namespace edgerun::cli {

// Summary of a set of samples (microseconds in bench). Percentiles use the
// nearest-rank method on the sorted samples (p-th percentile = sample
// ceil(p/100 * n)), so min <= p50 <= p90 <= p99 <= max always holds and every
// percentile is a measured value. std is the population standard deviation.
struct SampleSummary {
  int64_t count = 0;
  double mean = 0, std = 0, min = 0, max = 0;
  double p50 = 0, p90 = 0, p99 = 0;
};
SampleSummary Summarize(std::vector<double> samples);

// The comparison core, from the library.
using ::edgerun::ErrorAccumulator;
using ::edgerun::ErrorStats;
using ::edgerun::TensorValues;
using ::edgerun::WithinTolerance;

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_STATS_H_
