// FLOOR_DIV: elementwise floor(a / b) with broadcasting.
//
// dtypes: float32, int8, int16, int32 (raw values; quantization is not
// applied, as in TFLite). Any zero in the divisor, float included, is an
// Eval error ("Division by 0"), as in TFLite.
#include <memory>

#include "format/tflite_generated.h"
#include "kernels/ops/floor_common.h"
#include "kernels/reference/binary_arithmetic.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

struct FloorDivOp {
  static constexpr const char* kName = "FLOOR_DIV";
  static constexpr bool kInt64 = false;
  static constexpr bool kFloatZeroIsError = true;
  template <typename T>
  static T Apply(T x, T y) {
    return reference::FloorDiv<T>(x, y);
  }
};

}  // namespace

void RegisterFloorDivKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_FLOOR_DIV, [] {
    return std::unique_ptr<OpKernel>(new binary::FloorKernel<FloorDivOp>());
  });
}

}  // namespace edgerun::kernels
