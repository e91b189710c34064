// STRIDED_SLICE (begin/end/ellipsis/new_axis/shrink masks, negative strides,
// offset) and SLICE. The index arithmetic follows TFLite's
// BuildStridedSliceParams / StartForAxis / EndForAxis so output shapes and
// contents agree, including clamping of out-of-range bounds. Non-constant
// index tensors make the output dynamic.
#include <algorithm>
#include <cstring>
#include <limits>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

bool Bit(uint32_t mask, int i) { return i < 32 && (mask & (uint32_t{1} << i)); }

int64_t ClampI(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// A slice of a tensor: per input axis a start, a stride and a count.
struct SliceSpec {
  std::vector<int64_t> start;
  std::vector<int64_t> stride;
  std::vector<int64_t> count;
};

// Copies the sliced elements (row-major over the counts) to `out`.
template <typename T>
void CopySlice(const T* in, const Shape& in_shape, const SliceSpec& spec,
               T* out) {
  const int rank = in_shape.rank();
  if (rank == 0) {
    *out = *in;
    return;
  }
  std::vector<int32_t> counts(spec.count.begin(), spec.count.end());
  const std::vector<int64_t> strides = movement::Strides(in_shape);
  int64_t base = 0;
  std::vector<int64_t> step(rank);
  for (int a = 0; a < rank; ++a) {
    base += spec.start[a] * strides[a];
    step[a] = spec.stride[a] * strides[a];
  }
  for (int32_t c : counts) {
    if (c == 0) return;
  }
  const int last = rank - 1;
  const int32_t inner = counts[last];
  // An empty outer shape (rank 1) visits its single index once.
  std::vector<int32_t> outer(counts.begin(), counts.end() - 1);
  movement::ForEachIndex(outer, [&](const std::vector<int32_t>& idx) {
    int64_t src = base;
    for (int a = 0; a < last; ++a) src += idx[a] * step[a];
    if (step[last] == 1) {
      std::memcpy(out, in + src, sizeof(T) * inner);
      out += inner;
    } else {
      for (int32_t i = 0; i < inner; ++i) *out++ = in[src + i * step[last]];
    }
  });
}

Status CopySliceAny(KernelContext& ctx, const Tensor& input,
                    const SliceSpec& spec, Tensor& output) {
  switch (DataTypeSize(input.type)) {
    case 1:
      CopySlice(input.data_as<uint8_t>(), input.shape, spec,
                output.data_as<uint8_t>());
      break;
    case 2:
      CopySlice(input.data_as<uint16_t>(), input.shape, spec,
                output.data_as<uint16_t>());
      break;
    case 4:
      CopySlice(input.data_as<uint32_t>(), input.shape, spec,
                output.data_as<uint32_t>());
      break;
    case 8:
      CopySlice(input.data_as<uint64_t>(), input.shape, spec,
                output.data_as<uint64_t>());
      break;
    default:
      return ctx.Unimplemented("type " + TypeName(input.type) +
                               " is not supported");
  }
  return OkStatus();
}

Status CheckElementType(KernelContext& ctx, const Tensor& input) {
  const size_t elem = DataTypeSize(input.type);
  if (!movement::IsCopyableType(input.type) ||
      (elem != 1 && elem != 2 && elem != 4 && elem != 8)) {
    return ctx.Unimplemented("type " + TypeName(input.type) +
                             " is not supported");
  }
  return OkStatus();
}

class StridedSliceKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 4, 4, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *ctx.output(0)));
    RETURN_IF_ERROR(CheckElementType(ctx, *input));
    const char* names[] = {"begin", "end", "strides"};
    for (int i = 1; i <= 3; ++i) {
      const Tensor* t = ctx.input(i);
      RETURN_IF_ERROR(CheckRank(ctx, t, 1, names[i - 1]));
      if (t->type != DataType::kInt32 && t->type != DataType::kInt64) {
        return ctx.InvalidArgument(std::string(names[i - 1]) +
                                   " must be int32 or int64, got " +
                                   TypeName(t->type));
      }
    }
    const int count = ctx.input(1)->shape.dim(0);
    if (ctx.input(2)->shape.dim(0) != count ||
        ctx.input(3)->shape.dim(0) != count) {
      return ctx.InvalidArgument(
          "begin, end and strides must have equal lengths");
    }
    if (count > 31) {
      return ctx.InvalidArgument("at most 31 slice indices are supported");
    }
    if (!ctx.HasValues(1) || !ctx.HasValues(2) || !ctx.HasValues(3)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    std::vector<int32_t> out_dims;
    RETURN_IF_ERROR(Build(ctx, &out_dims));
    return ctx.ResizeOutput(0, Shape(std::move(out_dims)));
  }

  Status Eval(KernelContext& ctx) override {
    return CopySliceAny(ctx, *ctx.input(0), spec_, *ctx.output(0));
  }

 private:
  // Resolves masks and indices into spec_ (over the input's axes) and the
  // output dims, as TFLite's BuildStridedSliceParams does: new axes become
  // size-1 dims of an "effective" input, ellipsis expands to full ranges.
  Status Build(KernelContext& ctx, std::vector<int32_t>* out_dims) {
    const auto* o =
        ctx.node().op != nullptr
            ? ctx.node().op->builtin_options_as_StridedSliceOptions()
            : nullptr;
    const uint32_t begin_mask_in =
        o ? static_cast<uint32_t>(o->begin_mask()) : 0;
    const uint32_t end_mask_in = o ? static_cast<uint32_t>(o->end_mask()) : 0;
    const uint32_t ellipsis_mask =
        o ? static_cast<uint32_t>(o->ellipsis_mask()) : 0;
    const uint32_t new_axis_mask =
        o ? static_cast<uint32_t>(o->new_axis_mask()) : 0;
    const uint32_t shrink_mask_in =
        o ? static_cast<uint32_t>(o->shrink_axis_mask()) : 0;
    const bool offset = o ? o->offset() : false;

    const Tensor& input = *ctx.input(0);
    std::vector<int64_t> begin, end, strides;
    RETURN_IF_ERROR(
        movement::ReadIndexTensor(ctx, *ctx.input(1), "begin", &begin));
    RETURN_IF_ERROR(movement::ReadIndexTensor(ctx, *ctx.input(2), "end", &end));
    RETURN_IF_ERROR(
        movement::ReadIndexTensor(ctx, *ctx.input(3), "strides", &strides));
    const int begin_count = static_cast<int>(begin.size());
    const int input_dims = input.shape.rank();

    int num_add_axis = 0;
    for (int i = 0; i < begin_count; ++i) {
      if (!Bit(ellipsis_mask, i) && Bit(new_axis_mask, i)) ++num_add_axis;
    }
    const int effective_dims = input_dims + num_add_axis;
    if (effective_dims > 31) {
      return ctx.InvalidArgument("too many dimensions after new_axis_mask");
    }
    uint32_t eff_ellipsis = 0, eff_new_axis = 0;
    int ellipsis_start = effective_dims, expanded_ellipsis = 0;
    for (int i = 0; i < effective_dims;) {
      if (Bit(ellipsis_mask, i)) {
        ellipsis_start = i;
        const int ellipsis_end = std::max(
            i + 1, std::min(i + 1 + num_add_axis + input_dims - begin_count,
                            effective_dims));
        expanded_ellipsis = ellipsis_end - ellipsis_start - 1;
        for (; i < ellipsis_end; ++i) eff_ellipsis |= uint32_t{1} << i;
        continue;
      }
      if (i - expanded_ellipsis >= 0 &&
          Bit(new_axis_mask, i - expanded_ellipsis)) {
        eff_new_axis |= uint32_t{1} << i;
      }
      ++i;
    }

    // Effective (new-axis-expanded) per-axis parameters.
    std::vector<int64_t> e_dim(effective_dims), e_start(effective_dims, 0),
        e_stop(effective_dims, 0), e_stride(effective_dims, 1);
    std::vector<bool> e_begin_mask(effective_dims, false),
        e_end_mask(effective_dims, false), e_shrink(effective_dims, false),
        e_is_new(effective_dims, false);
    int added_ellipsis = 0, added_axes = 0;
    for (int i = 0; i < effective_dims; ++i) {
      if (Bit(eff_ellipsis, i)) {
        added_ellipsis = std::max(0, i - ellipsis_start);
        e_begin_mask[i] = e_end_mask[i] = true;
        e_dim[i] = input.shape.dim(i - added_axes);
      } else if (Bit(eff_new_axis, i)) {
        e_stop[i] = 1;
        e_dim[i] = 1;
        e_is_new[i] = true;
        ++added_axes;
      } else if (i >= begin_count + expanded_ellipsis) {
        e_begin_mask[i] = e_end_mask[i] = true;
        e_dim[i] = input.shape.dim(i - added_axes);
      } else {
        const int orig = i - added_ellipsis;
        e_start[i] = begin[orig];
        e_stop[i] = end[orig];
        e_stride[i] = strides[orig];
        e_begin_mask[i] = Bit(begin_mask_in, orig);
        e_end_mask[i] = Bit(end_mask_in, orig);
        e_shrink[i] = Bit(shrink_mask_in, orig);
        e_dim[i] = input.shape.dim(i - added_axes);
      }
      if (i - added_axes >= input_dims && !e_is_new[i]) {
        return ctx.InvalidArgument("slice indices exceed the input rank");
      }
    }

    spec_.start.assign(input_dims, 0);
    spec_.stride.assign(input_dims, 1);
    spec_.count.assign(input_dims, 0);
    out_dims->clear();
    int in_axis = 0;
    for (int i = 0; i < effective_dims; ++i) {
      const int64_t stride = e_stride[i];
      if (stride == 0)
        return ctx.InvalidArgument("stride value has to be non-zero");
      if (stride <= std::numeric_limits<int32_t>::min() ||
          stride > std::numeric_limits<int32_t>::max()) {
        return ctx.InvalidArgument("stride out of range");
      }
      const int64_t size = e_dim[i];
      // StartForAxis.
      int64_t start = e_start[i];
      if (start < 0) start += size;
      start = stride > 0 ? ClampI(start, 0, size) : ClampI(start, -1, size - 1);
      if (e_begin_mask[i]) start = stride > 0 ? 0 : size - 1;
      // EndForAxis.
      int64_t stop;
      if (e_shrink[i]) {
        if (start < 0 || start >= size) {
          return ctx.InvalidArgument(
              "shrink index out of range for dimension " + std::to_string(i) +
              " of size " + std::to_string(size));
        }
        stop = start + 1;
      } else {
        stop = e_stop[i];
        if (offset) stop += start;
        if (stop < 0) stop += size;
        stop = stride > 0 ? ClampI(stop, 0, size) : ClampI(stop, -1, size - 1);
        if (e_end_mask[i]) stop = stride > 0 ? size : -1;
      }
      int64_t n = stop - start;
      if ((n < 0) != (stride < 0)) {
        n = 0;
      } else if (stride < 0) {
        n = (n + 1) / stride + 1;
      } else {
        n = n == 0 ? 0 : (n - 1) / stride + 1;
      }
      if (!e_shrink[i]) out_dims->push_back(static_cast<int32_t>(n));
      if (!e_is_new[i]) {
        spec_.start[in_axis] = n > 0 ? start : 0;
        spec_.stride[in_axis] = stride;
        spec_.count[in_axis] = n;
        ++in_axis;
      }
    }
    return OkStatus();
  }

  SliceSpec spec_;
};

class SliceKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 3, 3, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *ctx.output(0)));
    RETURN_IF_ERROR(CheckElementType(ctx, *input));
    const int rank = input->shape.rank();
    RETURN_IF_ERROR(CheckRank(ctx, ctx.input(1), 1, "begin"));
    RETURN_IF_ERROR(CheckRank(ctx, ctx.input(2), 1, "size"));
    if (ctx.input(1)->shape.dim(0) != rank ||
        ctx.input(2)->shape.dim(0) != rank) {
      return ctx.InvalidArgument("begin and size must have " +
                                 std::to_string(rank) + " entries");
    }
    if (!ctx.HasValues(1) || !ctx.HasValues(2)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    std::vector<int64_t> begin, size;
    RETURN_IF_ERROR(
        movement::ReadIndexTensor(ctx, *ctx.input(1), "begin", &begin));
    RETURN_IF_ERROR(
        movement::ReadIndexTensor(ctx, *ctx.input(2), "size", &size));
    spec_.start.assign(rank, 0);
    spec_.stride.assign(rank, 1);
    spec_.count.assign(rank, 0);
    std::vector<int32_t> dims(rank);
    for (int a = 0; a < rank; ++a) {
      const int64_t d = input->shape.dim(a);
      int64_t n = size[a] == -1 ? d - begin[a] : size[a];
      if (begin[a] < 0 || begin[a] > d || n < 0 || begin[a] + n > d) {
        return ctx.InvalidArgument(
            "slice begin " + std::to_string(begin[a]) + " size " +
            std::to_string(size[a]) + " is out of range for dimension " +
            std::to_string(a) + " of size " + std::to_string(d));
      }
      spec_.start[a] = n > 0 ? begin[a] : 0;
      spec_.count[a] = n;
      dims[a] = static_cast<int32_t>(n);
    }
    return ctx.ResizeOutput(0, Shape(std::move(dims)));
  }

  Status Eval(KernelContext& ctx) override {
    return CopySliceAny(ctx, *ctx.input(0), spec_, *ctx.output(0));
  }

 private:
  SliceSpec spec_;
};

}  // namespace

void RegisterStridedSliceKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_STRIDED_SLICE, [] {
    return std::unique_ptr<OpKernel>(new StridedSliceKernel());
  });
  registry.AddBuiltin(tfl::BuiltinOperator_SLICE, [] {
    return std::unique_ptr<OpKernel>(new SliceKernel());
  });
}

}  // namespace edgerun::kernels
