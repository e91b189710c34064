// RESHAPE, SQUEEZE, EXPAND_DIMS: views with a new shape; the data is copied
// because input and output are separate tensors in the arena.
#include <cstring>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

class ReshapeKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 1, 2, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    Tensor* output = ctx.output(0);
    if (output->type != input->type) {
      return ctx.InvalidArgument("output type " + TypeName(output->type) +
                                 " differs from input type " +
                                 TypeName(input->type));
    }
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
    } else if (const auto* o = ctx.node().op->builtin_options_as_ReshapeOptions();
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
        if (unknown >= 0) return ctx.InvalidArgument("more than one -1 in new shape");
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

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const size_t bytes =
        static_cast<size_t>(input->NumElements()) * DataTypeSize(input->type);
    if (bytes > 0 && output->data != input->data) {
      std::memcpy(output->data, input->data, bytes);
    }
    return OkStatus();
  }
};

}  // namespace

void RegisterReshapeKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_RESHAPE,
                      [] { return std::unique_ptr<OpKernel>(new ReshapeKernel()); });
}

}  // namespace edgerun::kernels
