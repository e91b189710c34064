// GATHER (axis, batch_dims) and GATHER_ND. Indices are int16/int32/int64
// values read at Eval; any index outside the gathered dimension is an error
// (never an out-of-bounds read).
#include <cstring>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

Status CheckIndexType(KernelContext& ctx, const Tensor& indices) {
  if (indices.type != DataType::kInt32 && indices.type != DataType::kInt64 &&
      indices.type != DataType::kInt16) {
    return ctx.InvalidArgument("indices must be int16, int32 or int64, got " +
                               TypeName(indices.type));
  }
  return OkStatus();
}

int64_t IndexAt(const Tensor& t, int64_t i) {
  switch (t.type) {
    case DataType::kInt64:
      return t.data_as<int64_t>()[i];
    case DataType::kInt16:
      return t.data_as<int16_t>()[i];
    default:
      return t.data_as<int32_t>()[i];
  }
}

class GatherKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* params = ctx.input(0);
    const Tensor* indices = ctx.input(1);
    RETURN_IF_ERROR(CheckPresent(ctx, params, "params"));
    RETURN_IF_ERROR(CheckPresent(ctx, indices, "indices"));
    RETURN_IF_ERROR(CheckIndexType(ctx, *indices));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *params, *ctx.output(0)));
    if (!movement::IsCopyableType(params->type)) {
      return ctx.Unimplemented("type " + TypeName(params->type) +
                               " is not supported");
    }
    const auto* o = ctx.node().op != nullptr
                        ? ctx.node().op->builtin_options_as_GatherOptions()
                        : nullptr;
    const int p_rank = params->shape.rank();
    const int i_rank = indices->shape.rank();
    int64_t batch_dims = o != nullptr ? o->batch_dims() : 0;
    if (batch_dims < 0) batch_dims += i_rank;
    if (batch_dims < 0 || batch_dims > i_rank) {
      return ctx.InvalidArgument("batch_dims out of range for indices rank " +
                                 std::to_string(i_rank));
    }
    batch_dims_ = static_cast<int>(batch_dims);
    RETURN_IF_ERROR(movement::NormalizeAxis(ctx, o != nullptr ? o->axis() : 0,
                                            p_rank, "axis", &axis_));
    if (batch_dims_ > axis_) {
      return ctx.InvalidArgument("batch_dims must not exceed axis");
    }
    for (int i = 0; i < batch_dims_; ++i) {
      if (params->shape.dim(i) != indices->shape.dim(i)) {
        return ctx.InvalidArgument(
            "params and indices differ in batch dimension " +
            std::to_string(i));
      }
    }
    std::vector<int64_t> dims;
    for (int i = 0; i < axis_; ++i) dims.push_back(params->shape.dim(i));
    for (int i = batch_dims_; i < i_rank; ++i)
      dims.push_back(indices->shape.dim(i));
    for (int i = axis_ + 1; i < p_rank; ++i)
      dims.push_back(params->shape.dim(i));
    Shape out;
    RETURN_IF_ERROR(movement::CheckedShape(ctx, dims, "output shape", &out));
    return ctx.ResizeOutput(0, out);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* params = ctx.input(0);
    const Tensor* indices = ctx.input(1);
    Tensor* output = ctx.output(0);
    const Shape& ps = params->shape;
    const size_t elem = DataTypeSize(params->type);
    const int64_t batch = ps.FlatSize(0, batch_dims_);
    const int64_t outer = ps.FlatSize(batch_dims_, axis_);
    const int64_t axis_size = ps.dim(axis_);
    const size_t inner =
        static_cast<size_t>(ps.FlatSize(axis_ + 1, ps.rank())) * elem;
    const int64_t coords =
        batch == 0 ? 0 : indices->NumElements() / batch;  // per batch
    const uint8_t* in = static_cast<const uint8_t*>(params->data);
    uint8_t* out = static_cast<uint8_t*>(output->data);
    // Validate every index first so a bad one leaves no partial output.
    for (int64_t i = 0; i < indices->NumElements(); ++i) {
      const int64_t idx = IndexAt(*indices, i);
      if (idx < 0 || idx >= axis_size) {
        return ctx.InvalidArgument("index " + std::to_string(idx) +
                                   " at position " + std::to_string(i) +
                                   " is out of range [0, " +
                                   std::to_string(axis_size) + ")");
      }
    }
    if (inner == 0) return OkStatus();
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t o = 0; o < outer; ++o) {
        const uint8_t* src = in + ((b * outer + o) * axis_size) * inner;
        for (int64_t c = 0; c < coords; ++c) {
          const int64_t idx = IndexAt(*indices, b * coords + c);
          std::memcpy(out, src + idx * inner, inner);
          out += inner;
        }
      }
    }
    return OkStatus();
  }

 private:
  int axis_ = 0;
  int batch_dims_ = 0;
};

class GatherNdKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* params = ctx.input(0);
    const Tensor* indices = ctx.input(1);
    RETURN_IF_ERROR(CheckPresent(ctx, params, "params"));
    RETURN_IF_ERROR(CheckPresent(ctx, indices, "indices"));
    RETURN_IF_ERROR(CheckIndexType(ctx, *indices));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *params, *ctx.output(0)));
    if (!movement::IsCopyableType(params->type)) {
      return ctx.Unimplemented("type " + TypeName(params->type) +
                               " is not supported");
    }
    const int i_rank = indices->shape.rank();
    if (i_rank < 1) return ctx.InvalidArgument("indices must have rank >= 1");
    const int nd = indices->shape.dim(i_rank - 1);
    if (nd > params->shape.rank() || params->shape.rank() < 1) {
      return ctx.InvalidArgument("index depth " + std::to_string(nd) +
                                 " exceeds params rank " +
                                 std::to_string(params->shape.rank()));
    }
    std::vector<int64_t> dims;
    for (int i = 0; i < i_rank - 1; ++i) dims.push_back(indices->shape.dim(i));
    for (int i = nd; i < params->shape.rank(); ++i) {
      dims.push_back(params->shape.dim(i));
    }
    Shape out;
    RETURN_IF_ERROR(movement::CheckedShape(ctx, dims, "output shape", &out));
    return ctx.ResizeOutput(0, out);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* params = ctx.input(0);
    const Tensor* indices = ctx.input(1);
    Tensor* output = ctx.output(0);
    const Shape& ps = params->shape;
    const int nd = indices->shape.dim(indices->shape.rank() - 1);
    const size_t elem = DataTypeSize(params->type);
    const size_t slice = static_cast<size_t>(ps.FlatSize(nd, ps.rank())) * elem;
    const std::vector<int64_t> strides = movement::Strides(ps);
    const int64_t n = indices->shape.FlatSize(0, indices->shape.rank() - 1);
    const uint8_t* in = static_cast<const uint8_t*>(params->data);
    uint8_t* out = static_cast<uint8_t*>(output->data);
    for (int64_t i = 0; i < n; ++i) {
      int64_t offset = 0;
      for (int k = 0; k < nd; ++k) {
        const int64_t idx = IndexAt(*indices, i * nd + k);
        if (idx < 0 || idx >= ps.dim(k)) {
          return ctx.InvalidArgument("index " + std::to_string(idx) +
                                     " is out of range for dimension " +
                                     std::to_string(k) + " of size " +
                                     std::to_string(ps.dim(k)));
        }
        offset += idx * strides[k];
      }
      if (slice > 0) std::memcpy(out + i * slice, in + offset * elem, slice);
    }
    return OkStatus();
  }
};

}  // namespace

void RegisterGatherKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_GATHER, [] {
    return std::unique_ptr<OpKernel>(new GatherKernel());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_GATHER_ND, [] {
    return std::unique_ptr<OpKernel>(new GatherNdKernel());
  });
}

}  // namespace edgerun::kernels
