// SELECT and SELECT_V2: out = condition ? x : y, elementwise.
//
// SELECT (v1, TFLite's rules): condition, x and y of the same shape; or x
// and y of the same shape with a scalar condition, or a rank-1 condition
// that picks whole slices along x's first dimension. SELECT_V2 broadcasts
// all three inputs against each other (up to kMaxBroadcastRank dims).
// Values are copied bit for bit, so every fixed-size dtype works (float32,
// uint8, int8, int16, int32, int64, bool, ...), quantized ones included.
#include <cstdint>
#include <cstring>
#include <memory>

#include "format/tflite_generated.h"
#include "kernels/kernel_api.h"
#include "kernels/op_util.h"
#include "kernels/ops/elementwise_binary.h"
#include "kernels/reference/broadcast.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// Ownership: none beyond its plan. Thread-safety: one instance per node,
// used by one thread at a time.
template <bool kV2>
class SelectKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 3, 3, 1));
    const Tensor* cond = ctx.input(0);
    const Tensor* x = ctx.input(1);
    const Tensor* y = ctx.input(2);
    Tensor* out = ctx.output(0);
    RETURN_IF_ERROR(CheckPresent(ctx, cond, "condition"));
    RETURN_IF_ERROR(CheckPresent(ctx, x, "x"));
    RETURN_IF_ERROR(CheckPresent(ctx, y, "y"));
    RETURN_IF_ERROR(CheckPresent(ctx, out, "output"));
    if (cond->type != DataType::kBool) {
      return ctx.InvalidArgument("condition must be bool, got " +
                                 TypeName(cond->type));
    }
    if (x->type != y->type || out->type != x->type) {
      return ctx.InvalidArgument(
          "x, y and output types differ: " + TypeName(x->type) + ", " +
          TypeName(y->type) + ", " + TypeName(out->type));
    }
    element_size_ = DataTypeSize(x->type);
    if (x->type == DataType::kString || x->type == DataType::kInt4 ||
        (element_size_ != 1 && element_size_ != 2 && element_size_ != 4 &&
         element_size_ != 8)) {
      return ctx.Unimplemented(std::string(kV2 ? "SELECT_V2" : "SELECT") +
                               " does not support " + TypeName(x->type));
    }
    rank_one_ = false;
    // TFLite keeps the declared output shape when everything holds one
    // element (scalars written with mixed ranks).
    if (cond->NumElements() == 1 && x->NumElements() == 1 &&
        y->NumElements() == 1 && out->NumElements() == 1) {
      const Shape shape = out->shape;
      plan_ = reference::MakeBroadcastPlan<3>(shape, {&shape, &shape, &shape});
      return ctx.ResizeOutput(0, shape);
    }
    if (cond->shape == x->shape && x->shape == y->shape) {
      plan_ = reference::MakeBroadcastPlan<3>(
          x->shape, {&cond->shape, &x->shape, &y->shape});
      return ctx.ResizeOutput(0, x->shape);
    }
    if constexpr (!kV2) {
      const bool scalar = cond->shape.rank() == 0;
      const bool rank_one = cond->shape.rank() == 1 && x->shape.rank() >= 1 &&
                            cond->shape.dim(0) == x->shape.dim(0);
      if (!scalar && !rank_one) {
        return ctx.InvalidArgument(
            "condition " + cond->shape.ToString() + " must match x " +
            x->shape.ToString() +
            ", be a scalar, or be rank 1 matching x's first dimension");
      }
      if (!(x->shape == y->shape)) {
        return ctx.InvalidArgument("x " + x->shape.ToString() + " and y " +
                                   y->shape.ToString() + " differ");
      }
      rank_one_ = true;
      return ctx.ResizeOutput(0, x->shape);
    } else {
      Shape shape;
      if (!reference::BroadcastShapes(cond->shape, x->shape, y->shape,
                                      &shape)) {
        return ctx.InvalidArgument(
            "shapes " + cond->shape.ToString() + ", " + x->shape.ToString() +
            " and " + y->shape.ToString() + " are not broadcastable");
      }
      plan_ = reference::MakeBroadcastPlan<3>(
          shape, {&cond->shape, &x->shape, &y->shape});
      return ctx.ResizeOutput(0, shape);
    }
  }

  Status Eval(KernelContext& ctx) override {
    switch (element_size_) {
      case 1:
        Run<uint8_t>(ctx);
        break;
      case 2:
        Run<uint16_t>(ctx);
        break;
      case 4:
        Run<uint32_t>(ctx);
        break;
      default:
        Run<uint64_t>(ctx);
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  void Run(KernelContext& ctx) {
    const Tensor& cond = *ctx.input(0);
    const T* x = ctx.input(1)->data_as<T>();
    const T* y = ctx.input(2)->data_as<T>();
    T* out = ctx.output(0)->data_as<T>();
    const bool* c = cond.data_as<bool>();
    if (rank_one_) {
      // Whole slices along the first dimension (one slice: a scalar).
      const int64_t outer = cond.NumElements();
      const int64_t total = ctx.output(0)->NumElements();
      if (outer == 0 || total == 0) return;
      const int64_t inner = total / outer;
      for (int64_t i = 0; i < outer; ++i) {
        const T* src = (c[i] ? x : y) + i * inner;
        std::memcpy(out + i * inner, src, inner * sizeof(T));
      }
      return;
    }
    reference::BroadcastTernary(plan_, c, x, y, out,
                                [](bool s, T a, T b) { return s ? a : b; });
  }

  reference::BroadcastPlan<3> plan_;
  size_t element_size_ = 4;
  bool rank_one_ = false;
};

}  // namespace

void RegisterSelectKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_SELECT, [] {
    return std::unique_ptr<OpKernel>(new SelectKernel<false>());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_SELECT_V2, [] {
    return std::unique_ptr<OpKernel>(new SelectKernel<true>());
  });
}

}  // namespace edgerun::kernels
