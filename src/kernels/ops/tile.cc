// TILE and BROADCAST_TO: repeat an input along its axes. The multiples /
// target shape come from an int32/int64 input; when it is not constant the
// output is dynamic.
#include <cstring>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// out[idx] = in[sum_k (idx_k % in_dims[k]) * in_strides[k]] for output dims
// that are multiples of the (equal-rank) input dims.
template <typename T>
void Repeat(const T* in, const Shape& in_shape, const Shape& out_shape,
            T* out) {
  const int rank = in_shape.rank();
  if (rank == 0) {
    if (out_shape.NumElements() > 0) *out = *in;
    return;
  }
  if (out_shape.NumElements() == 0) return;
  const std::vector<int64_t> strides = movement::Strides(in_shape);
  const int last = rank - 1;
  const int32_t in_inner = in_shape.dim(last);
  const int32_t out_inner = out_shape.dim(last);
  std::vector<int32_t> outer(out_shape.dims().begin(),
                             out_shape.dims().end() - 1);
  movement::ForEachIndex(outer, [&](const std::vector<int32_t>& idx) {
    int64_t src = 0;
    for (int k = 0; k < last; ++k)
      src += (idx[k] % in_shape.dim(k)) * strides[k];
    const T* row = in + src;
    for (int32_t i = 0; i < out_inner; i += in_inner) {
      std::memcpy(out, row, sizeof(T) * in_inner);
      out += in_inner;
    }
  });
}

Status RepeatAny(KernelContext& ctx, const Tensor& input, const Shape& in_shape,
                 Tensor& output) {
  switch (DataTypeSize(input.type)) {
    case 1:
      Repeat(input.data_as<uint8_t>(), in_shape, output.shape,
             output.data_as<uint8_t>());
      break;
    case 2:
      Repeat(input.data_as<uint16_t>(), in_shape, output.shape,
             output.data_as<uint16_t>());
      break;
    case 4:
      Repeat(input.data_as<uint32_t>(), in_shape, output.shape,
             output.data_as<uint32_t>());
      break;
    case 8:
      Repeat(input.data_as<uint64_t>(), in_shape, output.shape,
             output.data_as<uint64_t>());
      break;
    default:
      return ctx.Unimplemented("type " + TypeName(input.type) +
                               " is not supported");
  }
  return OkStatus();
}

Status CheckTypes(KernelContext& ctx) {
  RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
  const Tensor* input = ctx.input(0);
  RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
  RETURN_IF_ERROR(CheckPresent(ctx, ctx.input(1), "shape input"));
  RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *ctx.output(0)));
  const size_t elem = DataTypeSize(input->type);
  if (!movement::IsCopyableType(input->type) ||
      (elem != 1 && elem != 2 && elem != 4 && elem != 8)) {
    return ctx.Unimplemented("type " + TypeName(input->type) +
                             " is not supported");
  }
  return OkStatus();
}

class TileKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckTypes(ctx));
    const Tensor* input = ctx.input(0);
    const Tensor* mult_t = ctx.input(1);
    const int rank = input->shape.rank();
    if (mult_t->shape.rank() != 1 || mult_t->shape.dim(0) != rank) {
      return ctx.InvalidArgument("multiples must be a vector of " +
                                 std::to_string(rank) + " values, got shape " +
                                 mult_t->shape.ToString());
    }
    if (!ctx.HasValues(1)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    std::vector<int64_t> mult;
    RETURN_IF_ERROR(
        movement::ReadIndexTensor(ctx, *mult_t, "multiples", &mult));
    std::vector<int64_t> dims(rank);
    for (int i = 0; i < rank; ++i) {
      if (mult[i] < 0) {
        return ctx.InvalidArgument("multiples must be non-negative, got " +
                                   std::to_string(mult[i]));
      }
      if (mult[i] > 0 && input->shape.dim(i) > (int64_t{1} << 31) / mult[i]) {
        return ctx.InvalidArgument("tiled dimension is too large");
      }
      dims[i] = input->shape.dim(i) * mult[i];
    }
    Shape out;
    RETURN_IF_ERROR(movement::CheckedShape(ctx, dims, "output shape", &out));
    return ctx.ResizeOutput(0, out);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    if (input->NumElements() == 0) return OkStatus();
    return RepeatAny(ctx, *input, input->shape, *ctx.output(0));
  }
};

class BroadcastToKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckTypes(ctx));
    const Tensor* input = ctx.input(0);
    const Tensor* shape_t = ctx.input(1);
    RETURN_IF_ERROR(CheckRank(ctx, shape_t, 1, "shape"));
    if (!ctx.HasValues(1)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    std::vector<int64_t> target;
    RETURN_IF_ERROR(movement::ReadIndexTensor(ctx, *shape_t, "shape", &target));
    const int rank = static_cast<int>(target.size());
    const int in_rank = input->shape.rank();
    if (rank < in_rank || rank > 8) {
      return ctx.InvalidArgument("target rank " + std::to_string(rank) +
                                 " must be in [input rank " +
                                 std::to_string(in_rank) + ", 8]");
    }
    std::vector<int32_t> padded(rank - in_rank, 1);
    for (int32_t d : input->shape.dims()) padded.push_back(d);
    for (int i = 0; i < rank; ++i) {
      if (padded[i] != target[i] && padded[i] != 1) {
        return ctx.InvalidArgument(
            "cannot broadcast " + input->shape.ToString() +
            " to the target shape at dimension " + std::to_string(i));
      }
    }
    in_shape_ = Shape(std::move(padded));
    Shape out;
    RETURN_IF_ERROR(movement::CheckedShape(ctx, target, "output shape", &out));
    return ctx.ResizeOutput(0, out);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    if (input->NumElements() == 0) return OkStatus();
    return RepeatAny(ctx, *input, in_shape_, *ctx.output(0));
  }

 private:
  Shape in_shape_;  // the input shape left-padded with 1s to the output rank
};

}  // namespace

void RegisterTileKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_TILE, [] {
    return std::unique_ptr<OpKernel>(new TileKernel());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_BROADCAST_TO, [] {
    return std::unique_ptr<OpKernel>(new BroadcastToKernel());
  });
}

}  // namespace edgerun::kernels
