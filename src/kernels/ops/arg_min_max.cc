// ARG_MAX and ARG_MIN over one axis, int32 or int64 output. Ties resolve to
// the first index, as TFLite's strict comparison does. The axis input may be
// non-constant (dynamic output).
#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

template <typename T, typename Index>
void ArgMinMax(const T* in, int64_t outer, int64_t axis_size, int64_t inner,
               bool is_max, Index* out) {
  for (int64_t o = 0; o < outer; ++o) {
    const T* base = in + o * axis_size * inner;
    for (int64_t i = 0; i < inner; ++i) {
      T best = base[i];
      Index best_index = 0;
      for (int64_t a = 1; a < axis_size; ++a) {
        const T v = base[a * inner + i];
        if (is_max ? (v > best) : (v < best)) {
          best = v;
          best_index = static_cast<Index>(a);
        }
      }
      out[o * inner + i] = best_index;
    }
  }
}

class ArgMinMaxKernel final : public OpKernel {
 public:
  explicit ArgMinMaxKernel(bool is_max) : is_max_(is_max) {}

  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* input = ctx.input(0);
    const Tensor* axis_t = ctx.input(1);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(CheckPresent(ctx, axis_t, "axis"));
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(CheckPresent(ctx, output, "output"));
    switch (input->type) {
      case DataType::kFloat32:
      case DataType::kUInt8:
      case DataType::kInt8:
      case DataType::kInt16:
      case DataType::kInt32:
      case DataType::kInt64:
      case DataType::kBool:
        break;
      default:
        return ctx.Unimplemented("input type " + TypeName(input->type) +
                                 " is not supported");
    }
    if (output->type != DataType::kInt32 && output->type != DataType::kInt64) {
      return ctx.InvalidArgument("output must be int32 or int64, got " +
                                 TypeName(output->type));
    }
    if (axis_t->NumElements() != 1) {
      return ctx.InvalidArgument("axis must have one element, got shape " +
                                 axis_t->shape.ToString());
    }
    if (axis_t->type != DataType::kInt32 && axis_t->type != DataType::kInt64) {
      return ctx.InvalidArgument("axis must be int32 or int64, got " +
                                 TypeName(axis_t->type));
    }
    if (input->shape.rank() == 0) {
      return ctx.InvalidArgument("input must have rank >= 1");
    }
    if (!ctx.HasValues(1)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    std::vector<int64_t> axis_v;
    RETURN_IF_ERROR(movement::ReadIndexTensor(ctx, *axis_t, "axis", &axis_v));
    RETURN_IF_ERROR(movement::NormalizeAxis(ctx, axis_v[0], input->shape.rank(),
                                            "axis", &axis_));
    if (input->shape.dim(axis_) == 0) {
      return ctx.InvalidArgument("cannot reduce an empty axis");
    }
    std::vector<int32_t> dims = input->shape.dims();
    dims.erase(dims.begin() + axis_);
    return ctx.ResizeOutput(0, Shape(std::move(dims)));
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const Shape& s = input->shape;
    const int64_t outer = s.FlatSize(0, axis_);
    const int64_t axis_size = s.dim(axis_);
    const int64_t inner = s.FlatSize(axis_ + 1, s.rank());
    if (output->type == DataType::kInt64) {
      Dispatch(*input, outer, axis_size, inner, output->data_as<int64_t>());
    } else {
      Dispatch(*input, outer, axis_size, inner, output->data_as<int32_t>());
    }
    return OkStatus();
  }

 private:
  template <typename Index>
  void Dispatch(const Tensor& in, int64_t outer, int64_t axis_size,
                int64_t inner, Index* out) const {
    switch (in.type) {
      case DataType::kFloat32:
        ArgMinMax(in.data_as<float>(), outer, axis_size, inner, is_max_, out);
        break;
      case DataType::kUInt8:
      case DataType::kBool:
        ArgMinMax(in.data_as<uint8_t>(), outer, axis_size, inner, is_max_, out);
        break;
      case DataType::kInt8:
        ArgMinMax(in.data_as<int8_t>(), outer, axis_size, inner, is_max_, out);
        break;
      case DataType::kInt16:
        ArgMinMax(in.data_as<int16_t>(), outer, axis_size, inner, is_max_, out);
        break;
      case DataType::kInt32:
        ArgMinMax(in.data_as<int32_t>(), outer, axis_size, inner, is_max_, out);
        break;
      case DataType::kInt64:
        ArgMinMax(in.data_as<int64_t>(), outer, axis_size, inner, is_max_, out);
        break;
      default:
        break;
    }
  }

  bool is_max_;
  int axis_ = 0;
};

}  // namespace

void RegisterArgMinMaxKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_ARG_MAX, [] {
    return std::unique_ptr<OpKernel>(new ArgMinMaxKernel(true));
  });
  registry.AddBuiltin(tfl::BuiltinOperator_ARG_MIN, [] {
    return std::unique_ptr<OpKernel>(new ArgMinMaxKernel(false));
  });
}

}  // namespace edgerun::kernels
