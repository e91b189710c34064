// Comparison of an interpreter output with an expected .npy array, using
// the project's conformance rules (see tests/golden/golden_test.cc).
#ifndef EDGERUN_TESTS_SUPPORT_OUTPUT_COMPARE_H_
#define EDGERUN_TESTS_SUPPORT_OUTPUT_COMPARE_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "edgerun/io/npy.h"
#include "edgerun/runtime/interpreter.h"

namespace edgerun::testing {

struct Comparison {
  bool supported = true;
  double max_diff = 0;
  int64_t exact = 0;
  int64_t count = 0;
  bool float_within_tolerance = true;  // |d| <= 1e-4 * max(1, |ref|)
  double exact_percent() const {
    return count ? 100.0 * static_cast<double>(exact) / count : 100.0;
  }
  // Integer rule: max |diff| <= 1 and >= 99% exact. Float rule above.
  bool Passes(bool is_float) const {
    if (!supported) return false;
    if (is_float) return float_within_tolerance;
    return max_diff <= 1.0 && exact_percent() >= 99.0;
  }
};

template <typename T>
void CompareValues(const T* got, const T* want, int64_t n, Comparison* c) {
  for (int64_t i = 0; i < n; ++i) {
    const double g = static_cast<double>(got[i]);
    const double w = static_cast<double>(want[i]);
    const double d = (std::isnan(g) && std::isnan(w)) ? 0.0 : std::abs(g - w);
    const bool same = got[i] == want[i] || (std::isnan(g) && std::isnan(w));
    c->max_diff = std::isnan(d) ? INFINITY : std::max(c->max_diff, d);
    if (same) ++c->exact;
    if (!same && !(d <= 1e-4 * std::max(1.0, std::abs(w)))) {
      c->float_within_tolerance = false;
    }
  }
}

inline Comparison CompareOutput(const TensorRef& got, const NpyArray& want) {
  Comparison c;
  c.count = want.NumElements();
  if (got.num_elements() != c.count || got.type() != want.type) {
    c.supported = false;
    return c;
  }
  switch (want.type) {
    case DataType::kFloat32:
      CompareValues(got.data_as<float>(), want.data_as<float>(), c.count, &c);
      break;
    case DataType::kUInt8:
      CompareValues(got.data_as<uint8_t>(), want.data_as<uint8_t>(), c.count, &c);
      break;
    case DataType::kInt8:
      CompareValues(got.data_as<int8_t>(), want.data_as<int8_t>(), c.count, &c);
      break;
    case DataType::kInt16:
      CompareValues(got.data_as<int16_t>(), want.data_as<int16_t>(), c.count, &c);
      break;
    case DataType::kInt32:
      CompareValues(got.data_as<int32_t>(), want.data_as<int32_t>(), c.count, &c);
      break;
    case DataType::kInt64:
      CompareValues(got.data_as<int64_t>(), want.data_as<int64_t>(), c.count, &c);
      break;
    case DataType::kBool:
      CompareValues(got.data_as<bool>(), want.data_as<bool>(), c.count, &c);
      break;
    default:
      c.supported = false;
  }
  return c;
}

}  // namespace edgerun::testing

#endif  // EDGERUN_TESTS_SUPPORT_OUTPUT_COMPARE_H_
