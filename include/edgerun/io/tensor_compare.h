// Element-wise comparison of two tensors in real units: the one tolerance
// rule shared by `edgerun diff` and the OTA self-test (ota/self_test.h).
//
// Errors are |test - ref| per element of the real values: quantized integer
// tensors are dequantized with each tensor's own scale / zero point (per
// channel when the tensor has several scales), float tensors are read as
// they are. A NaN or infinity on exactly one side is a `nan_mismatch` (and
// does not enter the statistics); NaN on both sides, or the same infinity,
// is no error. A comparison passes when WithinTolerance holds: no NaN
// mismatches and max_abs_error <= tolerance (0 demands exact equality).
// With a relative part (Tolerance::rtol, numpy.allclose's rule) each element
// must satisfy |test - ref| <= atol + rtol * |ref|; an accumulator built
// with that Tolerance counts the elements that do not (out_of_tolerance).
//
// Kept free of the interpreter so tests can feed synthetic arrays.
//
// Ownership: TensorValues borrows its bytes (the caller keeps them alive
// during Add). Thread-safety: the free functions are pure; an
// ErrorAccumulator is a plain value (one thread at a time).
#ifndef EDGERUN_IO_TENSOR_COMPARE_H_
#define EDGERUN_IO_TENSOR_COMPARE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/types.h"

namespace edgerun {

// One tensor's bytes and how to read them as real numbers.
struct TensorValues {
  DataType type = DataType::kFloat32;
  std::vector<int32_t> shape;
  std::span<const uint8_t> bytes;
  std::vector<float> scale;  // empty: not quantized
  std::vector<int64_t> zero_point;
  int32_t quantized_dimension = 0;
};

// Per element: |test - ref| <= atol + rtol * |ref| (real units).
struct Tolerance {
  double atol = 0;
  double rtol = 0;
};

// Error of a test tensor against a reference tensor, accumulated over runs.
struct ErrorStats {
  int64_t runs = 0;
  int64_t elements = 0;        // compared elements over all runs
  int64_t mismatched = 0;      // elements whose values differ at all
  int64_t nan_mismatches = 0;  // NaN / Inf on one side only
  double max_abs_error = 0, min_abs_error = 0;
  double mean_abs_error = 0, std_abs_error = 0;  // over all elements
  bool integer = false;      // integer dtype: max_raw_diff is meaningful
  int64_t max_raw_diff = 0;  // max |q_test - q_ref| of the stored integers
  // Finite elements beyond the accumulator's Tolerance (NaN mismatches are
  // counted apart).
  int64_t out_of_tolerance = 0;
};

class ErrorAccumulator {
 public:
  explicit ErrorAccumulator(Tolerance tolerance = {}) : tolerance_(tolerance) {}
  // Compares one run. kInvalidArgument when dtype, shape or byte count
  // differ, or the dtype has no numeric reading (strings, complex).
  Status Add(const TensorValues& test, const TensorValues& ref);
  ErrorStats stats() const;

 private:
  Tolerance tolerance_;
  ErrorStats stats_;
  double sum_ = 0, sum_sq_ = 0;
};

// True when the element-wise error stays within `tolerance` (max_abs_error
// <= tolerance and no NaN mismatches); tolerance 0 demands exact equality.
bool WithinTolerance(const ErrorStats& stats, double tolerance);
// True when every element met the Tolerance the accumulator was built with
// (out_of_tolerance == 0) and there are no NaN mismatches.
bool WithinAccumulatorTolerance(const ErrorStats& stats);

}  // namespace edgerun

#endif  // EDGERUN_IO_TENSOR_COMPARE_H_
