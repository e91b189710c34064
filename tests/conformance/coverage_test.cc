// The per-op suite covers every op issue #3 lists: each has a CPU kernel in
// the builtin registry and at least one committed conformance case
// (tests/conformance/cases/<op>__<variant>/ with oracle outputs).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "format/tflite_generated.h"
#include "kernels/registry.h"
#include "tests/support/shared_data.h"

namespace edgerun {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRequiredBuiltins[] = {
    "ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM",
    "FLOOR_DIV", "FLOOR_MOD", "FLOOR", "CEIL", "ROUND", "ABS", "NEG", "RSQRT",
    "SQRT", "EXP", "LOG", "POW", "SIN", "COS", "CONV_2D", "DEPTHWISE_CONV_2D",
    "TRANSPOSE_CONV", "FULLY_CONNECTED", "BATCH_MATMUL", "AVERAGE_POOL_2D",
    "MAX_POOL_2D", "L2_NORMALIZATION", "SOFTMAX", "LOG_SOFTMAX", "LOGISTIC",
    "TANH", "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "HARD_SWISH",
    "PRELU", "ELU", "GELU", "RESHAPE", "SQUEEZE", "EXPAND_DIMS",
    "CONCATENATION", "SPLIT", "SPLIT_V", "PACK", "UNPACK", "TRANSPOSE", "PAD",
    "PADV2", "MIRROR_PAD", "MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN",
    "REDUCE_PROD", "STRIDED_SLICE", "SLICE", "GATHER", "GATHER_ND", "TILE",
    "BROADCAST_TO", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR",
    "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "QUANTIZE", "DEQUANTIZE", "CAST",
    "ARG_MAX", "ARG_MIN", "SHAPE", "FILL", "ZEROS_LIKE", "SELECT", "SELECT_V2",
    "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL",
    "LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    // Not in the list but used by a shared model (keyword_scrambled).
    "SVDF",
};

int BuiltinCode(const std::string& name) {
  for (int code = tfl::BuiltinOperator_MIN; code <= tfl::BuiltinOperator_MAX; ++code) {
    const char* n = tfl::EnumNameBuiltinOperator(static_cast<tfl::BuiltinOperator>(code));
    if (n != nullptr && name == n) return code;
  }
  return -1;
}

int CasesWithPrefix(const std::string& prefix) {
  const fs::path root = fs::path(testing::SourceDir()) / "tests/conformance/cases";
  int n = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && fs::exists(entry.path() / "output_0.npy")) ++n;
  }
  return n;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(OpCoverage, EveryListedOpHasKernelAndConformanceCases) {
  const kernels::KernelRegistry& registry = kernels::BuiltinKernelRegistry();
  for (const char* op : kRequiredBuiltins) {
    const int code = BuiltinCode(op);
    ASSERT_GE(code, 0) << op;
    EXPECT_TRUE(registry.HasBuiltin(code)) << "no CPU kernel for " << op;
    EXPECT_GT(CasesWithPrefix(Lower(op) + "__"), 0) << "no conformance case for " << op;
  }
}

TEST(OpCoverage, DetectionPostProcessIsRegisteredAndTested) {
  const kernels::KernelRegistry& registry = kernels::BuiltinKernelRegistry();
  EXPECT_TRUE(registry.Find(tfl::BuiltinOperator_CUSTOM, "TFLite_Detection_PostProcess", 1).ok());
  EXPECT_GT(CasesWithPrefix("detection_postprocess__"), 0);
}

}  // namespace
}  // namespace edgerun
