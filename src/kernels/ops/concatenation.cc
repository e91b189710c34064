// CONCATENATION, PACK, UNPACK: joining tensors along an axis and splitting
// them apart again. Data moves as raw element bytes; only uint8
// CONCATENATION requantizes inputs whose scale or zero point differ from the
// output's (TFLite's ConcatenationWithScaling, float math).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// Copies `count` blocks: block i of input k (size block_bytes[k]) goes to
// output position (i * sum(block_bytes)) + prefix(k). This is the memory
// pattern of concatenation along an axis (outer = product of leading dims).
void InterleaveBlocks(const std::vector<const uint8_t*>& inputs,
                      const std::vector<size_t>& block_bytes, int64_t outer,
                      uint8_t* output) {
  for (int64_t o = 0; o < outer; ++o) {
    for (size_t k = 0; k < inputs.size(); ++k) {
      const size_t n = block_bytes[k];
      if (n > 0) std::memcpy(output, inputs[k] + o * n, n);
      output += n;
    }
  }
}

// Requantizes uint8 values q (scale s, zero point z) to the output's scale
// and zero point as TFLite does: round(q * s/so - z * s/so) + zo, in float.
void RequantizeU8(const uint8_t* in, int64_t n, float in_scale, int32_t in_zp,
                  float out_scale, int32_t out_zp, uint8_t* out) {
  const float inverse_output_scale = 1.f / out_scale;
  const float scale = in_scale * inverse_output_scale;
  const float bias = -in_zp * scale;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v =
        static_cast<int32_t>(std::round(in[i] * scale + bias)) + out_zp;
    out[i] = static_cast<uint8_t>(std::clamp(v, 0, 255));
  }
}

class ConcatenationKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    if (ctx.num_inputs() < 1 || ctx.num_outputs() != 1) {
      return ctx.InvalidArgument("expects at least 1 input and 1 output");
    }
    const auto* o =
        ctx.node().op != nullptr
            ? ctx.node().op->builtin_options_as_ConcatenationOptions()
            : nullptr;
    if (o != nullptr &&
        o->fused_activation_function() != tfl::ActivationFunctionType_NONE) {
      return ctx.Unimplemented(
          "fused activation is not supported on CONCATENATION (as in TFLite)");
    }
    const Tensor* t0 = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, t0, "input 0"));
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(CheckPresent(ctx, output, "output"));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *t0, *output));
    if (!movement::IsCopyableType(t0->type)) {
      return ctx.Unimplemented("type " + TypeName(t0->type) +
                               " is not supported");
    }
    const int rank = t0->shape.rank();
    const int64_t raw_axis = o != nullptr ? o->axis() : 0;
    if (rank == 0) {
      // Scalars concatenate into a vector (TFLite's constant-scalar case).
      if (raw_axis != 0 && raw_axis != -1) {
        return ctx.InvalidArgument("axis must be 0 for scalar inputs");
      }
      axis_ = 0;
    } else {
      RETURN_IF_ERROR(
          movement::NormalizeAxis(ctx, raw_axis, rank, "axis", &axis_));
    }
    int64_t sum_axis = 0;
    requantize_ = false;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor* t = ctx.input(i);
      RETURN_IF_ERROR(CheckPresent(ctx, t, "input"));
      if (t->type != t0->type || t->shape.rank() != rank) {
        return ctx.InvalidArgument(
            "input " + std::to_string(i) + " (" + TypeName(t->type) +
            t->shape.ToString() + ") does not match input 0 (" +
            TypeName(t0->type) + t0->shape.ToString() + ")");
      }
      for (int d = 0; d < rank; ++d) {
        if (d != axis_ && t->shape.dim(d) != t0->shape.dim(d)) {
          return ctx.InvalidArgument("input " + std::to_string(i) + " shape " +
                                     t->shape.ToString() + " differs from " +
                                     t0->shape.ToString() + " off the axis");
        }
      }
      sum_axis += rank == 0 ? 1 : t->shape.dim(axis_);
      if (t0->type == DataType::kInt8) {
        RETURN_IF_ERROR(movement::CheckSameQuant(
            ctx, *t, *output, "int8 CONCATENATION does not rescale"));
      } else if (t0->type == DataType::kInt16) {
        if (t->quant.zero_point0() != 0 || output->quant.zero_point0() != 0) {
          return ctx.InvalidArgument(
              "int16 CONCATENATION needs zero points of 0");
        }
      } else if (t0->type == DataType::kUInt8 && output->quant.quantized() &&
                 t->quant.quantized() &&
                 (t->quant.scale0() != output->quant.scale0() ||
                  t->quant.zero_point0() != output->quant.zero_point0())) {
        if (!(output->quant.scale0() > 0.f)) {
          return ctx.InvalidArgument("output scale must be positive");
        }
        requantize_ = true;
      }
    }
    std::vector<int64_t> dims(t0->shape.dims().begin(), t0->shape.dims().end());
    if (rank == 0) {
      dims = {sum_axis};
    } else {
      dims[axis_] = sum_axis;
    }
    Shape out_shape;
    RETURN_IF_ERROR(
        movement::CheckedShape(ctx, dims, "output shape", &out_shape));
    return ctx.ResizeOutput(0, out_shape);
  }

  Status Eval(KernelContext& ctx) override {
    Tensor* output = ctx.output(0);
    const size_t elem = DataTypeSize(output->type);
    const Shape& s0 = ctx.input(0)->shape;
    const int64_t outer = s0.rank() == 0 ? 1 : s0.FlatSize(0, axis_);
    const int64_t inner =
        s0.rank() == 0 ? 1 : s0.FlatSize(axis_ + 1, s0.rank());
    std::vector<const uint8_t*> inputs;
    std::vector<size_t> block;
    std::vector<std::vector<uint8_t>> rescaled;  // requantized uint8 inputs
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor* t = ctx.input(i);
      const int64_t axis_dim = t->shape.rank() == 0 ? 1 : t->shape.dim(axis_);
      block.push_back(static_cast<size_t>(axis_dim * inner) * elem);
      const uint8_t* data = static_cast<const uint8_t*>(t->data);
      if (requantize_ && t->quant.quantized() &&
          (t->quant.scale0() != output->quant.scale0() ||
           t->quant.zero_point0() != output->quant.zero_point0())) {
        rescaled.emplace_back(static_cast<size_t>(t->NumElements()));
        RequantizeU8(data, t->NumElements(), t->quant.scale0(),
                     t->quant.zero_point0(), output->quant.scale0(),
                     output->quant.zero_point0(), rescaled.back().data());
        data = rescaled.back().data();
      }
      inputs.push_back(data);
    }
    if (output->NumElements() == 0) return OkStatus();
    InterleaveBlocks(inputs, block, outer, static_cast<uint8_t*>(output->data));
    return OkStatus();
  }

 private:
  int axis_ = 0;
  bool requantize_ = false;
};

// PACK: stacks N same-shaped tensors along a new axis.
class PackKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const auto* o = ctx.node().op != nullptr
                        ? ctx.node().op->builtin_options_as_PackOptions()
                        : nullptr;
    const int n = ctx.num_inputs();
    if (n < 1 || ctx.num_outputs() != 1) {
      return ctx.InvalidArgument("expects at least 1 input and 1 output");
    }
    if (o != nullptr && o->values_count() != n) {
      return ctx.InvalidArgument(
          "values_count " + std::to_string(o->values_count()) +
          " differs from the " + std::to_string(n) + " inputs");
    }
    const Tensor* t0 = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, t0, "input 0"));
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(CheckPresent(ctx, output, "output"));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *t0, *output));
    if (!movement::IsCopyableType(t0->type)) {
      return ctx.Unimplemented("type " + TypeName(t0->type) +
                               " is not supported");
    }
    const int rank = t0->shape.rank();
    RETURN_IF_ERROR(movement::NormalizeAxis(ctx, o != nullptr ? o->axis() : 0,
                                            rank + 1, "axis", &axis_));
    for (int i = 0; i < n; ++i) {
      const Tensor* t = ctx.input(i);
      RETURN_IF_ERROR(CheckPresent(ctx, t, "input"));
      if (t->type != t0->type || !(t->shape == t0->shape)) {
        return ctx.InvalidArgument(
            "input " + std::to_string(i) + " (" + TypeName(t->type) +
            t->shape.ToString() + ") does not match input 0 (" +
            TypeName(t0->type) + t0->shape.ToString() + ")");
      }
      if (movement::IsQuantizedActivationType(t->type)) {
        RETURN_IF_ERROR(movement::CheckSameQuant(
            ctx, *t, *output, "quantized PACK does not rescale"));
      }
    }
    std::vector<int64_t> dims(t0->shape.dims().begin(), t0->shape.dims().end());
    dims.insert(dims.begin() + axis_, n);
    Shape out_shape;
    RETURN_IF_ERROR(
        movement::CheckedShape(ctx, dims, "output shape", &out_shape));
    return ctx.ResizeOutput(0, out_shape);
  }

  Status Eval(KernelContext& ctx) override {
    Tensor* output = ctx.output(0);
    if (output->NumElements() == 0) return OkStatus();
    const Shape& s0 = ctx.input(0)->shape;
    const size_t elem = DataTypeSize(output->type);
    const int64_t outer = s0.FlatSize(0, axis_);
    const size_t inner =
        static_cast<size_t>(s0.FlatSize(axis_, s0.rank())) * elem;
    std::vector<const uint8_t*> inputs;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      inputs.push_back(static_cast<const uint8_t*>(ctx.input(i)->data));
    }
    InterleaveBlocks(inputs, std::vector<size_t>(inputs.size(), inner), outer,
                     static_cast<uint8_t*>(output->data));
    return OkStatus();
  }

 private:
  int axis_ = 0;
};

// UNPACK: splits a tensor along an axis into `num` tensors without it.
class UnpackKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const auto* o = ctx.node().op != nullptr
                        ? ctx.node().op->builtin_options_as_UnpackOptions()
                        : nullptr;
    if (ctx.num_inputs() != 1 || ctx.num_outputs() < 1) {
      return ctx.InvalidArgument("expects 1 input and at least 1 output");
    }
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    const int rank = input->shape.rank();
    if (rank == 0) return ctx.InvalidArgument("cannot unpack a scalar");
    RETURN_IF_ERROR(movement::NormalizeAxis(ctx, o != nullptr ? o->axis() : 0,
                                            rank, "axis", &axis_));
    const int num = input->shape.dim(axis_);
    if (ctx.num_outputs() != num || (o != nullptr && o->num() != num)) {
      return ctx.InvalidArgument(
          "dimension " + std::to_string(axis_) + " of shape " +
          input->shape.ToString() + " must equal num and the " +
          std::to_string(ctx.num_outputs()) + " outputs");
    }
    if (!movement::IsCopyableType(input->type)) {
      return ctx.Unimplemented("type " + TypeName(input->type) +
                               " is not supported");
    }
    std::vector<int32_t> dims = input->shape.dims();
    dims.erase(dims.begin() + axis_);
    for (int i = 0; i < num; ++i) {
      Tensor* out = ctx.output(i);
      RETURN_IF_ERROR(CheckPresent(ctx, out, "output"));
      RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *out));
      RETURN_IF_ERROR(ctx.ResizeOutput(i, Shape(dims)));
    }
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    const Shape& s = input->shape;
    const size_t elem = DataTypeSize(input->type);
    const int64_t outer = s.FlatSize(0, axis_);
    const int num = s.dim(axis_);
    const size_t inner =
        static_cast<size_t>(s.FlatSize(axis_ + 1, s.rank())) * elem;
    if (inner == 0) return OkStatus();
    const uint8_t* in = static_cast<const uint8_t*>(input->data);
    for (int64_t o = 0; o < outer; ++o) {
      for (int i = 0; i < num; ++i) {
        uint8_t* out = static_cast<uint8_t*>(ctx.output(i)->data);
        std::memcpy(out + o * inner, in, inner);
        in += inner;
      }
    }
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

void RegisterConcatenationKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_CONCATENATION,
                      Make<ConcatenationKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_PACK, Make<PackKernel>);
  registry.AddBuiltin(tfl::BuiltinOperator_UNPACK, Make<UnpackKernel>);
}

}  // namespace edgerun::kernels
