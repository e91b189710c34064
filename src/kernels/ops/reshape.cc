// RESHAPE, SQUEEZE, EXPAND_DIMS: views with a new shape; the data is copied
// because input and output are separate tensors in the arena.
#include <cstring>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// Copies the input's bytes to the output (same element count and type).
Status CopyData(KernelContext& ctx) {
  const Tensor* input = ctx.input(0);
  Tensor* output = ctx.output(0);
  const size_t bytes =
      static_cast<size_t>(input->NumElements()) * DataTypeSize(input->type);
  if (bytes > 0 && output->data != input->data) {
    std::memcpy(output->data, input->data, bytes);
  }
  return OkStatus();
}

// Checks what every view op needs: one data input, one output of its type.
Status CheckView(KernelContext& ctx, int min_inputs, int max_inputs) {
  RETURN_IF_ERROR(CheckArity(ctx, min_inputs, max_inputs, 1));
  const Tensor* input = ctx.input(0);
  RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
  RETURN_IF_ERROR(CheckPresent(ctx, ctx.output(0), "output"));
  return movement::CheckSameType(ctx, *input, *ctx.output(0));
}

class ReshapeKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckView(ctx, 1, 2));
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    std::vector<int32_t> dims;
    const Tensor* shape = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    if (shape != nullptr && shape->shape.rank() == 1 &&
        shape->shape.dim(0) >= 0) {
      if (shape->type != DataType::kInt32) {
        return ctx.InvalidArgument("shape input must be int32, got " +
                                   TypeName(shape->type));
      }
      if (!ctx.HasValues(1)) {
        ctx.SetOutputsDynamic();
        return OkStatus();
      }
      const int32_t* v = shape->data_as<int32_t>();
      dims.assign(v, v + shape->shape.dim(0));
    } else if (const auto* o =
                   ctx.node().op != nullptr
                       ? ctx.node().op->builtin_options_as_ReshapeOptions()
                       : nullptr;
               o != nullptr && o->new_shape() != nullptr) {
      dims.assign(o->new_shape()->begin(), o->new_shape()->end());
    } else {
      dims = output->shape.dims();
    }
    // One -1 dimension takes what is left.
    int64_t known = 1;
    int unknown = -1;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] == -1) {
        if (unknown >= 0)
          return ctx.InvalidArgument("more than one -1 in new shape");
        unknown = static_cast<int>(i);
      } else if (dims[i] < 0) {
        return ctx.InvalidArgument("negative dimension in new shape");
      } else {
        known *= dims[i];
      }
    }
    const int64_t count = input->NumElements();
    if (unknown >= 0) {
      if (known == 0 || count % known != 0) {
        return ctx.InvalidArgument("cannot infer -1 in new shape for " +
                                   std::to_string(count) + " elements");
      }
      dims[unknown] = static_cast<int32_t>(count / known);
      known = count;
    }
    if (known != count) {
      return ctx.InvalidArgument("new shape " + Shape(dims).ToString() +
                                 " does not hold the input's " +
                                 std::to_string(count) + " elements");
    }
    return ctx.ResizeOutput(0, Shape(std::move(dims)));
  }

  Status Eval(KernelContext& ctx) override { return CopyData(ctx); }
};

// SQUEEZE: drops the listed size-1 dimensions (all of them when none are
// listed).
class SqueezeKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckView(ctx, 1, 1));
    const Shape& in = ctx.input(0)->shape;
    const int rank = in.rank();
    std::vector<bool> drop(rank, false);
    const auto* o = ctx.node().op != nullptr
                        ? ctx.node().op->builtin_options_as_SqueezeOptions()
                        : nullptr;
    if (o != nullptr && o->squeeze_dims() != nullptr &&
        o->squeeze_dims()->size() > 0) {
      for (int32_t d : *o->squeeze_dims()) {
        int axis = 0;
        RETURN_IF_ERROR(
            movement::NormalizeAxis(ctx, d, rank, "squeeze dim", &axis));
        if (in.dim(axis) != 1) {
          return ctx.InvalidArgument("cannot squeeze dimension " +
                                     std::to_string(axis) + " of shape " +
                                     in.ToString() + ": size is not 1");
        }
        drop[axis] = true;
      }
    } else {
      for (int i = 0; i < rank; ++i) drop[i] = in.dim(i) == 1;
    }
    std::vector<int32_t> dims;
    for (int i = 0; i < rank; ++i) {
      if (!drop[i]) dims.push_back(in.dim(i));
    }
    return ctx.ResizeOutput(0, Shape(std::move(dims)));
  }
  Status Eval(KernelContext& ctx) override { return CopyData(ctx); }
};

// EXPAND_DIMS: inserts a size-1 dimension at the position given by the axis
// input (a scalar or one-element int32/int64 tensor, [-rank-1, rank]).
class ExpandDimsKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckView(ctx, 2, 2));
    const Tensor* axis_t = ctx.input(1);
    RETURN_IF_ERROR(CheckPresent(ctx, axis_t, "axis"));
    if (axis_t->NumElements() != 1) {
      return ctx.InvalidArgument(
          "axis must have exactly one element, got shape " +
          axis_t->shape.ToString());
    }
    if (axis_t->type != DataType::kInt32 && axis_t->type != DataType::kInt64) {
      return ctx.InvalidArgument("axis must be int32 or int64, got " +
                                 TypeName(axis_t->type));
    }
    if (!ctx.HasValues(1)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    std::vector<int64_t> axis_v;
    RETURN_IF_ERROR(movement::ReadIndexTensor(ctx, *axis_t, "axis", &axis_v));
    const Shape& in = ctx.input(0)->shape;
    int axis = 0;
    RETURN_IF_ERROR(
        movement::NormalizeAxis(ctx, axis_v[0], in.rank() + 1, "axis", &axis));
    std::vector<int32_t> dims = in.dims();
    dims.insert(dims.begin() + axis, 1);
    return ctx.ResizeOutput(0, Shape(std::move(dims)));
  }
  Status Eval(KernelContext& ctx) override { return CopyData(ctx); }
};

}  // namespace

void RegisterReshapeKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_RESHAPE, [] {
    return std::unique_ptr<OpKernel>(new ReshapeKernel());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_SQUEEZE, [] {
    return std::unique_ptr<OpKernel>(new SqueezeKernel());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_EXPAND_DIMS, [] {
    return std::unique_ptr<OpKernel>(new ExpandDimsKernel());
  });
}

}  // namespace edgerun::kernels
