// SHAPE, FILL, ZEROS_LIKE: tensors made from shapes or constants.
// FILL's dims input decides the output shape; when it is not constant the
// output is dynamic.
#include <cstring>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

class ShapeKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 1, 1, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(CheckPresent(ctx, output, "output"));
    if (output->type != DataType::kInt32 && output->type != DataType::kInt64) {
      return ctx.InvalidArgument("output must be int32 or int64, got " +
                                 TypeName(output->type));
    }
    return ctx.ResizeOutput(0, Shape({input->shape.rank()}));
  }

  Status Eval(KernelContext& ctx) override {
    const Shape& s = ctx.input(0)->shape;
    Tensor* output = ctx.output(0);
    for (int i = 0; i < s.rank(); ++i) {
      if (output->type == DataType::kInt64) {
        output->data_as<int64_t>()[i] = s.dim(i);
      } else {
        output->data_as<int32_t>()[i] = s.dim(i);
      }
    }
    return OkStatus();
  }
};

class FillKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* dims_t = ctx.input(0);
    const Tensor* value = ctx.input(1);
    RETURN_IF_ERROR(CheckRank(ctx, dims_t, 1, "dims"));
    RETURN_IF_ERROR(CheckPresent(ctx, value, "value"));
    if (value->NumElements() != 1) {
      return ctx.InvalidArgument("value must be a scalar, got shape " +
                                 value->shape.ToString());
    }
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *value, *ctx.output(0)));
    const size_t elem = DataTypeSize(value->type);
    if (!movement::IsCopyableType(value->type) ||
        (elem != 1 && elem != 2 && elem != 4 && elem != 8)) {
      return ctx.Unimplemented("type " + TypeName(value->type) +
                               " is not supported");
    }
    if (dims_t->type != DataType::kInt32 && dims_t->type != DataType::kInt64) {
      return ctx.InvalidArgument("dims must be int32 or int64, got " +
                                 TypeName(dims_t->type));
    }
    if (!ctx.HasValues(0)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    std::vector<int64_t> dims;
    RETURN_IF_ERROR(movement::ReadIndexTensor(ctx, *dims_t, "dims", &dims));
    Shape out;
    RETURN_IF_ERROR(movement::CheckedShape(ctx, dims, "dims", &out));
    return ctx.ResizeOutput(0, out);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* value = ctx.input(1);
    Tensor* output = ctx.output(0);
    const int64_t n = output->NumElements();
    switch (DataTypeSize(value->type)) {
      case 1:
        Fill<uint8_t>(*value, n, *output);
        break;
      case 2:
        Fill<uint16_t>(*value, n, *output);
        break;
      case 4:
        Fill<uint32_t>(*value, n, *output);
        break;
      case 8:
        Fill<uint64_t>(*value, n, *output);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  static void Fill(const Tensor& value, int64_t n, Tensor& output) {
    const T v = *value.data_as<T>();
    T* out = output.data_as<T>();
    for (int64_t i = 0; i < n; ++i) out[i] = v;
  }
};

class ZerosLikeKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 1, 1, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *ctx.output(0)));
    if (!movement::IsCopyableType(input->type)) {
      return ctx.Unimplemented("type " + TypeName(input->type) +
                               " is not supported");
    }
    return ctx.ResizeOutput(0, input->shape);
  }

  Status Eval(KernelContext& ctx) override {
    Tensor* output = ctx.output(0);
    const size_t bytes =
        static_cast<size_t>(output->NumElements()) * DataTypeSize(output->type);
    if (bytes > 0) std::memset(output->data, 0, bytes);
    return OkStatus();
  }
};

}  // namespace

void RegisterShapeKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_SHAPE, [] {
    return std::unique_ptr<OpKernel>(new ShapeKernel());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_FILL, [] {
    return std::unique_ptr<OpKernel>(new FillKernel());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_ZEROS_LIKE, [] {
    return std::unique_ptr<OpKernel>(new ZerosLikeKernel());
  });
}

}  // namespace edgerun::kernels
