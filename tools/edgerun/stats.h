// Numerics shared by `edgerun bench` and `edgerun diff`: latency summaries
// (mean, std, percentiles) and element-wise error statistics between two
// output tensors (dequantized for quantized tensors).
//
// Kept free of the interpreter so tests can feed synthetic arrays.
//
// Thread-safety: the free functions are pure; an ErrorAccumulator is a plain
// value (one thread at a time).
#ifndef EDGERUN_TOOLS_EDGERUN_STATS_H_
#define EDGERUN_TOOLS_EDGERUN_STATS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/types.h"

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

// One output tensor's bytes and how to read them as real numbers.
struct TensorValues {
  DataType type = DataType::kFloat32;
  std::vector<int32_t> shape;
  std::span<const uint8_t> bytes;
  std::vector<float> scale;  // empty: not quantized
  std::vector<int64_t> zero_point;
  int32_t quantized_dimension = 0;
};

// Error of a test tensor against a reference tensor, accumulated over runs.
// Errors are |test - ref| per element of the real values (quantized values
// are dequantized with each tensor's own scale / zero point, per channel
// when the tensor has several scales). A NaN on exactly one side counts as
// a `nan_mismatch` (and not into the statistics); NaN on both sides, or the
// same infinity, is no error.
struct ErrorStats {
  int64_t runs = 0;
  int64_t elements = 0;        // compared elements over all runs
  int64_t mismatched = 0;      // elements whose values differ at all
  int64_t nan_mismatches = 0;  // NaN / Inf on one side only
  double max_abs_error = 0, min_abs_error = 0;
  double mean_abs_error = 0, std_abs_error = 0;  // over all elements
  bool integer = false;      // integer dtype: max_raw_diff is meaningful
  int64_t max_raw_diff = 0;  // max |q_test - q_ref| of the stored integers
};

class ErrorAccumulator {
 public:
  // Compares one run. kInvalidArgument when dtype, shape or byte count
  // differ, or the dtype has no numeric reading (strings, complex).
  Status Add(const TensorValues& test, const TensorValues& ref);
  ErrorStats stats() const;

 private:
  ErrorStats stats_;
  double sum_ = 0, sum_sq_ = 0;
};

// True when the element-wise error stays within `tolerance` (max_abs_error
// <= tolerance and no NaN mismatches); tolerance 0 demands exact equality.
bool WithinTolerance(const ErrorStats& stats, double tolerance);

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_STATS_H_
