// TRANSPOSE, DEPTH_TO_SPACE, SPACE_TO_DEPTH: permutations of elements.
// Each is an N-d gather whose source offset is a linear function of the
// output index, so all three share one strided copy (GatherStrided).
#include <cstring>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// out[i0..in] (row-major over `dims`) = in[sum_k i_k * src_strides[k]].
template <typename T>
void GatherStridedT(const T* in, const std::vector<int32_t>& dims,
                    const std::vector<int64_t>& src_strides, T* out) {
  const int rank = static_cast<int>(dims.size());
  if (rank == 0) {
    *out = *in;
    return;
  }
  for (int32_t d : dims) {
    if (d == 0) return;
  }
  std::vector<int32_t> index(rank, 0);
  int64_t src = 0;
  const int last = rank - 1;
  const int32_t inner = dims[last];
  const int64_t inner_stride = src_strides[last];
  while (true) {
    for (int32_t i = 0; i < inner; ++i) *out++ = in[src + i * inner_stride];
    int axis = last - 1;
    while (axis >= 0) {
      src += src_strides[axis];
      if (++index[axis] < dims[axis]) break;
      src -= src_strides[axis] * dims[axis];
      index[axis] = 0;
      --axis;
    }
    if (axis < 0) return;
  }
}

void GatherStrided(const Tensor& input, const std::vector<int32_t>& dims,
                   const std::vector<int64_t>& src_strides, Tensor& output) {
  switch (DataTypeSize(input.type)) {
    case 1:
      GatherStridedT(input.data_as<uint8_t>(), dims, src_strides,
                     output.data_as<uint8_t>());
      break;
    case 2:
      GatherStridedT(input.data_as<uint16_t>(), dims, src_strides,
                     output.data_as<uint16_t>());
      break;
    case 4:
      GatherStridedT(input.data_as<uint32_t>(), dims, src_strides,
                     output.data_as<uint32_t>());
      break;
    case 8:
      GatherStridedT(input.data_as<uint64_t>(), dims, src_strides,
                     output.data_as<uint64_t>());
      break;
    default:
      break;  // rejected in Prepare
  }
}

Status CheckCopyable(KernelContext& ctx, const Tensor& input) {
  const size_t elem = DataTypeSize(input.type);
  if (!movement::IsCopyableType(input.type) ||
      (elem != 1 && elem != 2 && elem != 4 && elem != 8)) {
    return ctx.Unimplemented("type " + TypeName(input.type) +
                             " is not supported");
  }
  return OkStatus();
}

class TransposeKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* input = ctx.input(0);
    const Tensor* perm_t = ctx.input(1);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(CheckPresent(ctx, perm_t, "perm"));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *ctx.output(0)));
    RETURN_IF_ERROR(CheckCopyable(ctx, *input));
    const int rank = input->shape.rank();
    if (perm_t->shape.rank() != 1 || perm_t->shape.dim(0) != rank) {
      return ctx.InvalidArgument("perm must be a vector of " +
                                 std::to_string(rank) + " axes, got shape " +
                                 perm_t->shape.ToString());
    }
    if (!ctx.HasValues(1)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    std::vector<int64_t> perm;
    RETURN_IF_ERROR(movement::ReadIndexTensor(ctx, *perm_t, "perm", &perm));
    std::vector<bool> seen(rank, false);
    perm_.assign(rank, 0);
    std::vector<int32_t> dims(rank);
    for (int i = 0; i < rank; ++i) {
      int axis = 0;
      RETURN_IF_ERROR(
          movement::NormalizeAxis(ctx, perm[i], rank, "perm entry", &axis));
      if (seen[axis]) {
        return ctx.InvalidArgument("perm repeats axis " + std::to_string(axis));
      }
      seen[axis] = true;
      perm_[i] = axis;
      dims[i] = input->shape.dim(axis);
    }
    return ctx.ResizeOutput(0, Shape(std::move(dims)));
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const std::vector<int64_t> in_strides = movement::Strides(input->shape);
    std::vector<int64_t> src(perm_.size());
    for (size_t i = 0; i < perm_.size(); ++i) src[i] = in_strides[perm_[i]];
    GatherStrided(*input, output->shape.dims(), src, *output);
    return OkStatus();
  }

 private:
  std::vector<int> perm_;
};

// DEPTH_TO_SPACE (DCR order, as TFLite) and SPACE_TO_DEPTH on NHWC tensors.
// Both are expressed as a 6-d transpose of a reshaped view.
class SpaceDepthKernel final : public OpKernel {
 public:
  explicit SpaceDepthKernel(bool to_space) : to_space_(to_space) {}

  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 1, 1, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckRank(ctx, input, 4, "input"));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *ctx.output(0)));
    RETURN_IF_ERROR(CheckCopyable(ctx, *input));
    int32_t block = 0;
    if (ctx.node().op != nullptr) {
      if (to_space_) {
        if (const auto* o =
                ctx.node().op->builtin_options_as_DepthToSpaceOptions()) {
          block = o->block_size();
        }
      } else if (const auto* o =
                     ctx.node().op->builtin_options_as_SpaceToDepthOptions()) {
        block = o->block_size();
      }
    }
    if (block < 1 || block > 65536) {
      return ctx.InvalidArgument("block_size must be positive, got " +
                                 std::to_string(block));
    }
    block_ = block;
    const Shape& s = input->shape;
    const int64_t n = s.dim(0), h = s.dim(1), w = s.dim(2), c = s.dim(3);
    std::vector<int64_t> dims;
    if (to_space_) {
      if (c % (int64_t{block} * block) != 0) {
        return ctx.InvalidArgument("depth " + std::to_string(c) +
                                   " is not divisible by block_size^2");
      }
      dims = {n, h * block, w * block, c / (int64_t{block} * block)};
    } else {
      if (h % block != 0 || w % block != 0) {
        return ctx.InvalidArgument("height and width of " + s.ToString() +
                                   " must be divisible by block_size " +
                                   std::to_string(block));
      }
      dims = {n, h / block, w / block, c * block * block};
    }
    Shape out;
    RETURN_IF_ERROR(movement::CheckedShape(ctx, dims, "output shape", &out));
    return ctx.ResizeOutput(0, out);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t b = block_;
    std::vector<int32_t> dims;
    std::vector<int64_t> src;
    if (to_space_) {
      // out[n][h][bh][w][bw][c] = in[n][h][w][bh][bw][c]
      const Shape& s = input->shape;
      const int64_t h = s.dim(1), w = s.dim(2), oc = output->shape.dim(3);
      const int64_t in_w = s.dim(3), in_h = w * in_w;
      dims = {s.dim(0),
              static_cast<int32_t>(h),
              static_cast<int32_t>(b),
              static_cast<int32_t>(w),
              static_cast<int32_t>(b),
              static_cast<int32_t>(oc)};
      src = {h * in_h, in_h, b * oc, in_w, oc, 1};
    } else {
      // out[n][h][w][bh][bw][c] = in[n][h][bh][w][bw][c]
      const Shape& s = input->shape;
      const int64_t oh = output->shape.dim(1), ow = output->shape.dim(2);
      const int64_t c = s.dim(3), row = s.dim(2) * c;
      dims = {s.dim(0),
              static_cast<int32_t>(oh),
              static_cast<int32_t>(ow),
              static_cast<int32_t>(b),
              static_cast<int32_t>(b),
              static_cast<int32_t>(c)};
      src = {s.dim(1) * row, b * row, b * c, row, c, 1};
    }
    GatherStrided(*input, dims, src, *output);
    return OkStatus();
  }

 private:
  bool to_space_;
  int32_t block_ = 1;
};

}  // namespace

void RegisterTransposeKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_TRANSPOSE, [] {
    return std::unique_ptr<OpKernel>(new TransposeKernel());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_DEPTH_TO_SPACE, [] {
    return std::unique_ptr<OpKernel>(new SpaceDepthKernel(true));
  });
  registry.AddBuiltin(tfl::BuiltinOperator_SPACE_TO_DEPTH, [] {
    return std::unique_ptr<OpKernel>(new SpaceDepthKernel(false));
  });
}

}  // namespace edgerun::kernels
