// POW: elementwise a^b with broadcasting.
//
// dtypes: float32 (std::pow); int32 (exact integer power with wrap-around; a
// negative exponent is an Eval error, as in TFLite).
#include <cmath>
#include <cstdint>
#include <memory>

#include "format/tflite_generated.h"
#include "kernels/kernel_api.h"
#include "kernels/op_util.h"
#include "kernels/ops/elementwise_binary.h"
#include "kernels/reference/binary_arithmetic.h"
#include "kernels/reference/broadcast.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// Ownership: none. Thread-safety: one instance per node, used by one thread
// at a time.
class PowKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(binary::PrepareBinary(ctx, std::nullopt, &plan_));
    type_ = ctx.input(0)->type;
    if (type_ != DataType::kFloat32 && type_ != DataType::kInt32) {
      return ctx.Unimplemented("POW does not support " + TypeName(type_));
    }
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    if (type_ == DataType::kFloat32) {
      binary::EvalBroadcast<float, float>(
          ctx, plan_, [](float x, float y) { return std::pow(x, y); });
      return OkStatus();
    }
    const Tensor& b = *ctx.input(1);
    const int32_t* exponent = b.data_as<int32_t>();
    const int64_t n = b.NumElements();
    for (int64_t i = 0; i < n; ++i) {
      if (exponent[i] < 0) {
        return ctx.InvalidArgument(
            "POW does not support negative int32 exponents (element " +
            std::to_string(i) + ")");
      }
    }
    binary::EvalBroadcast<int32_t, int32_t>(
        ctx, plan_,
        [](int32_t x, int32_t y) { return reference::IntegerPow(x, y); });
    return OkStatus();
  }

 private:
  reference::BroadcastPlan<2> plan_;
  DataType type_ = DataType::kFloat32;
};

}  // namespace

void RegisterPowKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_POW, [] {
    return std::unique_ptr<OpKernel>(new PowKernel());
  });
}

}  // namespace edgerun::kernels
