// Pieces shared by the elementwise binary kernels of kernels/ops/ (ADD, SUB,
// MUL, DIV, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, FLOOR_DIV, FLOOR_MOD, POW,
// comparisons, LOGICAL_AND/OR, SELECT, SELECT_V2): Prepare-time checks,
// broadcast planning, activation ranges and the per-op registration hooks
// that RegisterBinaryKernels (elementwise_binary.cc) calls.
//
// Thread-safety: pure functions.
#ifndef EDGERUN_KERNELS_OPS_ELEMENTWISE_BINARY_H_
#define EDGERUN_KERNELS_OPS_ELEMENTWISE_BINARY_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "edgerun/base/status.h"
#include "format/tflite_generated.h"
#include "kernels/kernel_api.h"
#include "kernels/op_util.h"
#include "kernels/reference/broadcast.h"

namespace edgerun::kernels {

class KernelRegistry;

// Per-op registration (one per file in kernels/ops/).
void RegisterAddKernels(KernelRegistry& registry);
void RegisterSubKernels(KernelRegistry& registry);
void RegisterMulKernels(KernelRegistry& registry);
void RegisterDivKernels(KernelRegistry& registry);
void RegisterSquaredDifferenceKernels(KernelRegistry& registry);
void RegisterMaximumMinimumKernels(KernelRegistry& registry);
void RegisterFloorDivKernels(KernelRegistry& registry);
void RegisterFloorModKernels(KernelRegistry& registry);
void RegisterPowKernels(KernelRegistry& registry);
void RegisterComparisonKernels(KernelRegistry& registry);
void RegisterLogicalKernels(KernelRegistry& registry);
void RegisterSelectKernels(KernelRegistry& registry);

namespace binary {

// Checks the common shape of a two-input op: 2 inputs and 1 output present,
// both inputs of the same type, the output of type `output_type` (nullopt:
// the inputs' type); then sets the output to the broadcast shape and builds
// the iteration plan.
inline Status PrepareBinary(KernelContext& ctx,
                            std::optional<DataType> output_type,
                            reference::BroadcastPlan<2>* plan) {
  RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
  const Tensor* a = ctx.input(0);
  const Tensor* b = ctx.input(1);
  RETURN_IF_ERROR(CheckPresent(ctx, a, "input 0"));
  RETURN_IF_ERROR(CheckPresent(ctx, b, "input 1"));
  Tensor* out = ctx.output(0);
  RETURN_IF_ERROR(CheckPresent(ctx, out, "output"));
  if (a->type != b->type) {
    return ctx.InvalidArgument("input types differ: " + TypeName(a->type) +
                               " and " + TypeName(b->type));
  }
  const DataType want = output_type.value_or(a->type);
  if (out->type != want) {
    return ctx.InvalidArgument("output type " + TypeName(out->type) +
                               " must be " + TypeName(want));
  }
  Shape shape;
  if (!reference::BroadcastShapes(a->shape, b->shape, &shape)) {
    return ctx.InvalidArgument(
        "shapes " + a->shape.ToString() + " and " + b->shape.ToString() +
        " are not broadcastable (or rank > " +
        std::to_string(reference::kMaxBroadcastRank) + ")");
  }
  *plan = reference::MakeBroadcastPlan<2>(shape, {&a->shape, &b->shape});
  return ctx.ResizeOutput(0, shape);
}

// The single (per-tensor) scale and zero point of a quantized tensor.
struct TensorQuant {
  float scale = 0.f;
  int32_t zero_point = 0;
};

// Requires `t` to be per-tensor quantized with a positive finite scale.
inline Status GetTensorQuant(const KernelContext& ctx, const Tensor& t,
                             const char* what, TensorQuant* q) {
  if (!t.quant.quantized()) {
    return ctx.InvalidArgument(std::string(what) + " (" + TypeName(t.type) +
                               ") must be quantized");
  }
  if (t.quant.per_channel()) {
    return ctx.Unimplemented(std::string(what) +
                             " has per-channel quantization");
  }
  q->scale = t.quant.scale0();
  q->zero_point = t.quant.zero_point0();
  if (!(q->scale > 0.f) || !std::isfinite(q->scale)) {
    return ctx.InvalidArgument(std::string(what) + " has invalid scale " +
                               std::to_string(q->scale));
  }
  return OkStatus();
}

// Requires a zero point inside T's range (TFLite checks this for quantized
// SUB and SQUARED_DIFFERENCE; out-of-range ones would overflow the math).
template <typename T>
Status CheckZeroPointInRange(const KernelContext& ctx, const TensorQuant& q,
                             const char* what) {
  if (q.zero_point < std::numeric_limits<T>::min() ||
      q.zero_point > std::numeric_limits<T>::max()) {
    return ctx.InvalidArgument(std::string(what) + " zero point " +
                               std::to_string(q.zero_point) +
                               " is outside its type's range");
  }
  return OkStatus();
}

// Clamp range of a fused activation on a non-quantized integer output, as
// TFLite's CalculateActivationRange<T>: RELU [0, max], RELU6 [0, 6],
// RELU_N1_TO_1 [-1, 1], anything else the full range.
template <typename T>
void IntActivationRange(tfl::ActivationFunctionType activation, T* lo, T* hi) {
  *lo = std::numeric_limits<T>::lowest();
  *hi = std::numeric_limits<T>::max();
  switch (activation) {
    case tfl::ActivationFunctionType_RELU:
      *lo = 0;
      break;
    case tfl::ActivationFunctionType_RELU6:
      *lo = 0;
      *hi = 6;
      break;
    case tfl::ActivationFunctionType_RELU_N1_TO_1:
      *lo = -1;
      *hi = 1;
      break;
    default:
      break;
  }
}

template <typename T>
inline T Clamp(T v, T lo, T hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// Float clamp that lets NaN through, as TFLite's min(max(x, lo), hi) does.
inline float ClampFloat(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return hi < v ? hi : v;
}

// Fails when input 1 (the divisor) holds `zero` anywhere, as TFLite's DIV,
// FLOOR_DIV and FLOOR_MOD do before computing; elements are compared as Z
// (DIV compares quantized values against the zero point as int32).
template <typename T, typename Z>
Status CheckNoZeroDivisor(KernelContext& ctx, Z zero) {
  const Tensor& b = *ctx.input(1);
  const T* data = b.data_as<T>();
  const int64_t n = b.NumElements();
  for (int64_t i = 0; i < n; ++i) {
    if (static_cast<Z>(data[i]) == zero) {
      return ctx.InvalidArgument("division by zero (divisor element " +
                                 std::to_string(i) + ")");
    }
  }
  return OkStatus();
}

// Runs `op` elementwise over the plan on inputs 0 and 1 into output 0.
template <typename In, typename Out, typename Op>
void EvalBroadcast(KernelContext& ctx, const reference::BroadcastPlan<2>& plan,
                   Op op) {
  reference::BroadcastBinary(plan, ctx.input(0)->data_as<In>(),
                             ctx.input(1)->data_as<In>(),
                             ctx.output(0)->data_as<Out>(), op);
}

}  // namespace binary
}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_OPS_ELEMENTWISE_BINARY_H_
