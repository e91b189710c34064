// FLOOR_MOD: elementwise remainder of floor division (the result has the
// divisor's sign) with broadcasting.
//
// dtypes: float32 (fmod-based, x mod 0 is NaN), int8, int16, int32, int64
// (raw values; a zero divisor is an Eval error, as in TFLite).
#include <memory>

#include "format/tflite_generated.h"
#include "kernels/ops/floor_common.h"
#include "kernels/reference/binary_arithmetic.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

struct FloorModOp {
  static constexpr const char* kName = "FLOOR_MOD";
  static constexpr bool kInt64 = true;
  static constexpr bool kFloatZeroIsError = false;
  template <typename T>
  static T Apply(T x, T y) {
    return reference::FloorMod<T>(x, y);
  }
};

}  // namespace

void RegisterFloorModKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_FLOOR_MOD, [] {
    return std::unique_ptr<OpKernel>(new binary::FloorKernel<FloorModOp>());
  });
}

}  // namespace edgerun::kernels
