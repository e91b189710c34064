// Self-test of a newly staged model before it is activated: run one known
// input set through a fresh Interpreter and compare every output with the
// expected arrays the update shipped, using the same tolerance rule as
// `edgerun diff` (edgerun/io/tensor_compare.h: max abs error in real units,
// quantized outputs dequantized with the model's output quantization; no NaN
// on one side only; atol 0 = exact). With rtol > 0 each element must meet
// |got - expected| <= atol + rtol * |expected| (numpy.allclose's rule).
//
//   ASSIGN_OR_RETURN(SelfTestReport report, RunSelfTest(model, spec, opts));
//   RETURN_IF_ERROR(report.status);  // kFailedPrecondition when it failed
//
// Two kinds of failure: the self-test could not run (malformed .npy, wrong
// number of arrays, dtype or shape that does not match the model, the model
// does not load on `options`) -> RunSelfTest's error, kInvalidArgument (or
// the interpreter's code); it ran and an output is off -> an OK StatusOr
// whose report has passed == false and status kFailedPrecondition
// "self-test failed: output 0 ('name') max abs error 3.2 > tolerance 0", so
// callers get both the verdict and the per-output numbers.
//
// Ownership: RunSelfTest keeps nothing; the model is shared. Thread-safety:
// RunSelfTest is reentrant (each call builds its own Interpreter); reports
// are plain values.
#ifndef EDGERUN_OTA_SELF_TEST_H_
#define EDGERUN_OTA_SELF_TEST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/model_file.h"
#include "edgerun/io/tensor_compare.h"
#include "edgerun/runtime/interpreter.h"

namespace edgerun::ota {

struct SelfTestSpec {
  // .npy files (bytes) in the order of the model's subgraph-0 inputs /
  // outputs. Expected quantized outputs hold the stored integers; they are
  // read with the model output's quantization.
  std::vector<std::vector<uint8_t>> input_npy;
  std::vector<std::vector<uint8_t>> expected_output_npy;
  double atol = 0;  // diff's tolerance, real units; 0 = exact
  double rtol = 0;  // relative part, times |expected|
};

struct SelfTestOutput {
  int index = 0;
  std::string name;
  ErrorStats stats;  // max_abs_error, mismatched, nan_mismatches, ...
  bool pass = false;
};

struct SelfTestReport {
  std::vector<SelfTestOutput> outputs;
  double atol = 0;
  double rtol = 0;
  bool passed = false;
  // OK when passed; otherwise kFailedPrecondition naming the worst output.
  Status status;
  // One line per output plus the verdict, for logs and the CLI.
  std::string ToString() const;
};

// A staged update's self-test files (what the Updater writes, activation
// reads).
inline constexpr char kSelfTestConfigFile[] = "selftest.json";
// "selftest_input_<i>.npy" / "selftest_output_<i>.npy".
std::string SelfTestInputFile(int index);
std::string SelfTestOutputFile(int index);
// selftest.json's tolerance: {"atol": 0.5} or {"atol": 0.5, "rtol": 0.01}
// (per element |got - expected| <= atol + rtol * |expected|).
// kInvalidArgument when malformed, atol missing, a tolerance negative, not
// finite or not a number, or unknown keys are present.
StatusOr<Tolerance> ParseSelfTestConfig(std::string_view json);
// The file text for a tolerance (what the Updater writes); rtol 0 is left
// out.
std::string SelfTestConfigJson(double atol, double rtol = 0);

[[nodiscard]] StatusOr<SelfTestReport> RunSelfTest(
    std::shared_ptr<const ModelFile> model, const SelfTestSpec& spec,
    const InterpreterOptions& options = {});

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_SELF_TEST_H_
