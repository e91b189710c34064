// Per-op conformance cases: small models made with ModelBuilder, whose
// expected outputs come from the real TensorFlow Lite runtime (the oracle in
// ../shared/tools/oracle) and are committed under tests/conformance/cases/.
//
// Each op family adds its cases in tests/conformance/cases_<family>.cc:
//   void AddConvCases(std::vector<ConformanceCase>& cases);
// and lists that function in kCaseFamilies (generate_main.cc).
// tests/conformance/regen.sh builds the models and runs the oracle.
#ifndef EDGERUN_TESTS_CONFORMANCE_CONFORMANCE_CASE_H_
#define EDGERUN_TESTS_CONFORMANCE_CONFORMANCE_CASE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/io/npy.h"

namespace edgerun::conformance {

struct ConformanceCase {
  // Directory name under cases/: "<op>__<variant>", lower case, e.g.
  // "conv_2d__u8_same_stride2_dilation2". Must be unique.
  std::string name;
  // Builds the model (.tflite bytes).
  std::function<StatusOr<std::vector<uint8_t>>()> build;
  // Inputs that must have specific values (shapes, indices, axes, or data
  // that exercises edge cases): (input index, array). Other inputs are the
  // oracle's seeded random values (seed 1).
  std::vector<std::pair<int, NpyArray>> fixed_inputs;
  // Oracle runtime to use ("litert", "tfjs-tflite"); empty = the oracle's
  // default. For cases where LiteRT.js' XNNPACK path differs from TFLite's
  // reference kernels.
  std::string oracle_runtime;
};

using CaseFamily = void (*)(std::vector<ConformanceCase>& cases);

}  // namespace edgerun::conformance

#endif  // EDGERUN_TESTS_CONFORMANCE_CONFORMANCE_CASE_H_
