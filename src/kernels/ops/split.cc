// SPLIT and SPLIT_V: cut a tensor along one axis into consecutive pieces.
// SPLIT makes equal pieces (axis given by input 0); SPLIT_V takes the piece
// sizes from input 1 (one of them may be -1) and the axis from input 2.
// Non-constant axis or sizes make the outputs dynamic.
#include <cstring>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// Copies consecutive slices of `input` along `axis` to the outputs, whose
// shapes were set by Prepare.
void SplitInto(KernelContext& ctx, const Tensor& input, int axis) {
  const Shape& s = input.shape;
  const size_t elem = DataTypeSize(input.type);
  const int64_t outer = s.FlatSize(0, axis);
  const size_t inner =
      static_cast<size_t>(s.FlatSize(axis + 1, s.rank())) * elem;
  const uint8_t* in = static_cast<const uint8_t*>(input.data);
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < ctx.num_outputs(); ++i) {
      Tensor* out = ctx.output(i);
      const size_t n = static_cast<size_t>(out->shape.dim(axis)) * inner;
      if (n > 0) {
        std::memcpy(static_cast<uint8_t*>(out->data) + o * n, in, n);
      }
      in += n;
    }
  }
}

Status CheckOutputs(KernelContext& ctx, const Tensor& input) {
  if (!movement::IsCopyableType(input.type)) {
    return ctx.Unimplemented("type " + TypeName(input.type) +
                             " is not supported");
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    Tensor* out = ctx.output(i);
    RETURN_IF_ERROR(CheckPresent(ctx, out, "output"));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, input, *out));
  }
  return OkStatus();
}

Status ReadAxis(KernelContext& ctx, int index, int rank, int* axis) {
  const Tensor* t = ctx.input(index);
  RETURN_IF_ERROR(CheckPresent(ctx, t, "axis"));
  if (t->NumElements() != 1) {
    return ctx.InvalidArgument("axis must have one element, got shape " +
                               t->shape.ToString());
  }
  std::vector<int64_t> v;
  RETURN_IF_ERROR(movement::ReadIndexTensor(ctx, *t, "axis", &v));
  return movement::NormalizeAxis(ctx, v[0], rank, "axis", axis);
}

class SplitKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    if (ctx.num_inputs() != 2 || ctx.num_outputs() < 1) {
      return ctx.InvalidArgument("expects 2 inputs (axis, input) and outputs");
    }
    const Tensor* input = ctx.input(1);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(CheckOutputs(ctx, *input));
    const auto* o = ctx.node().op != nullptr
                        ? ctx.node().op->builtin_options_as_SplitOptions()
                        : nullptr;
    const int num = ctx.num_outputs();
    if (o != nullptr && o->num_splits() != num) {
      return ctx.InvalidArgument(
          "num_splits " + std::to_string(o->num_splits()) +
          " differs from the " + std::to_string(num) + " outputs");
    }
    const Tensor* axis_t = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, axis_t, "axis"));
    if (!ctx.HasValues(0)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    RETURN_IF_ERROR(ReadAxis(ctx, 0, input->shape.rank(), &axis_));
    const int32_t dim = input->shape.dim(axis_);
    if (dim % num != 0) {
      return ctx.InvalidArgument("dimension " + std::to_string(axis_) + " of " +
                                 input->shape.ToString() +
                                 " is not divisible into " +
                                 std::to_string(num) + " splits");
    }
    Shape piece = input->shape;
    piece.set_dim(axis_, dim / num);
    for (int i = 0; i < num; ++i) RETURN_IF_ERROR(ctx.ResizeOutput(i, piece));
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    SplitInto(ctx, *ctx.input(1), axis_);
    return OkStatus();
  }

 private:
  int axis_ = 0;
};

class SplitVKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    if (ctx.num_inputs() != 3 || ctx.num_outputs() < 1) {
      return ctx.InvalidArgument(
          "expects 3 inputs (input, size_splits, axis) and outputs");
    }
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(CheckOutputs(ctx, *input));
    const Tensor* sizes_t = ctx.input(1);
    RETURN_IF_ERROR(CheckPresent(ctx, sizes_t, "size_splits"));
    const int num = ctx.num_outputs();
    if (sizes_t->shape.rank() != 1 || sizes_t->shape.dim(0) != num) {
      return ctx.InvalidArgument("size_splits must be a vector of " +
                                 std::to_string(num) + " sizes, got shape " +
                                 sizes_t->shape.ToString());
    }
    if (!ctx.HasValues(1) || !ctx.HasValues(2)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    RETURN_IF_ERROR(ReadAxis(ctx, 2, input->shape.rank(), &axis_));
    std::vector<int64_t> sizes;
    RETURN_IF_ERROR(
        movement::ReadIndexTensor(ctx, *sizes_t, "size_splits", &sizes));
    const int64_t dim = input->shape.dim(axis_);
    int unknown = -1;
    int64_t known = 0;
    for (int i = 0; i < num; ++i) {
      if (sizes[i] == -1) {
        if (unknown >= 0) {
          return ctx.InvalidArgument("size_splits has more than one -1");
        }
        unknown = i;
      } else if (sizes[i] < 0) {
        return ctx.InvalidArgument("size_splits has negative size " +
                                   std::to_string(sizes[i]));
      } else {
        known += sizes[i];
      }
    }
    if (unknown >= 0) {
      if (known > dim) {
        return ctx.InvalidArgument("size_splits exceed dimension " +
                                   std::to_string(dim));
      }
      sizes[unknown] = dim - known;
    } else if (known != dim) {
      return ctx.InvalidArgument("size_splits sum to " + std::to_string(known) +
                                 ", dimension is " + std::to_string(dim));
    }
    for (int i = 0; i < num; ++i) {
      Shape piece = input->shape;
      piece.set_dim(axis_, static_cast<int32_t>(sizes[i]));
      RETURN_IF_ERROR(ctx.ResizeOutput(i, piece));
    }
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    SplitInto(ctx, *ctx.input(0), axis_);
    return OkStatus();
  }

 private:
  int axis_ = 0;
};

template <typename K>
std::unique_ptr<OpKernel> Make() {
  return std::unique_ptr<OpKernel>(new K());
}

}  // namespace

void RegisterSplitKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_SPLIT, Make<SplitKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_SPLIT_V, Make<SplitVKernel>);
}

}  // namespace edgerun::kernels
