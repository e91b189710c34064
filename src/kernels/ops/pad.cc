// PAD, PADV2 (constant padding) and MIRROR_PAD (REFLECT / SYMMETRIC).
// Paddings are an int32/int64 [rank, 2] tensor; a non-constant one makes
// the output dynamic. PAD fills with 0, or with the output zero point for
// quantized tensors; PADV2 fills with its constant_values input.
#include <algorithm>
#include <cstring>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

// Reads and validates the paddings input and resizes the output.
Status PreparePaddings(KernelContext& ctx, const Tensor& input,
                       std::vector<int64_t>* before,
                       std::vector<int64_t>* after) {
  const Tensor* pads_t = ctx.input(1);
  RETURN_IF_ERROR(CheckPresent(ctx, pads_t, "paddings"));
  const int rank = input.shape.rank();
  if (pads_t->shape.rank() != 2 || pads_t->shape.dim(0) != rank ||
      pads_t->shape.dim(1) != 2) {
    return ctx.InvalidArgument("paddings must have shape [" +
                               std::to_string(rank) + ",2], got " +
                               pads_t->shape.ToString());
  }
  std::vector<int64_t> pads;
  RETURN_IF_ERROR(movement::ReadIndexTensor(ctx, *pads_t, "paddings", &pads));
  before->assign(rank, 0);
  after->assign(rank, 0);
  std::vector<int64_t> dims(rank);
  for (int i = 0; i < rank; ++i) {
    (*before)[i] = pads[2 * i];
    (*after)[i] = pads[2 * i + 1];
    if ((*before)[i] < 0 || (*after)[i] < 0) {
      return ctx.InvalidArgument(
          "paddings must be non-negative, got " + std::to_string((*before)[i]) +
          "," + std::to_string((*after)[i]) + " on dim " + std::to_string(i));
    }
    dims[i] = input.shape.dim(i) + (*before)[i] + (*after)[i];
  }
  Shape out;
  RETURN_IF_ERROR(movement::CheckedShape(ctx, dims, "output shape", &out));
  return ctx.ResizeOutput(0, out);
}

// Writes the padded tensor: copies each innermost input row into place and
// fills the rest with `fill` (one element's bytes).
template <typename T>
void ConstantPad(const Tensor& input, const std::vector<int64_t>& before,
                 T fill, Tensor& output) {
  T* out = output.data_as<T>();
  const int64_t total = output.NumElements();
  std::fill(out, out + total, fill);
  const int rank = input.shape.rank();
  const T* in = input.data_as<T>();
  if (rank == 0) {
    if (total > 0) *out = *in;
    return;
  }
  if (input.NumElements() == 0) return;
  const std::vector<int64_t> out_strides = movement::Strides(output.shape);
  const int32_t row = input.shape.dim(rank - 1);
  std::vector<int32_t> outer(input.shape.dims().begin(),
                             input.shape.dims().end() - 1);
  int64_t base = before[rank - 1];
  for (int i = 0; i < rank - 1; ++i) base += before[i] * out_strides[i];
  movement::ForEachIndex(outer, [&](const std::vector<int32_t>& idx) {
    int64_t o = base;
    for (size_t i = 0; i < idx.size(); ++i) o += idx[i] * out_strides[i];
    std::memcpy(out + o, in, sizeof(T) * row);
    in += row;
  });
}

template <typename T>
T ReadScalar(const Tensor* t, T fallback) {
  return t != nullptr && t->NumElements() > 0 ? *t->data_as<T>() : fallback;
}

class PadKernel final : public OpKernel {
 public:
  explicit PadKernel(bool v2) : v2_(v2) {}

  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, v2_ ? 3 : 2, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *output));
    if (!movement::IsCopyableType(input->type)) {
      return ctx.Unimplemented("type " + TypeName(input->type) +
                               " is not supported");
    }
    const Tensor* value = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    if (value != nullptr) {
      if (value->type != input->type || value->NumElements() != 1) {
        return ctx.InvalidArgument(
            "constant_values must be one element of the input type, got " +
            TypeName(value->type) + value->shape.ToString());
      }
      if (movement::IsQuantizedActivationType(input->type) &&
          output->quant.quantized()) {
        RETURN_IF_ERROR(movement::CheckSameQuant(
            ctx, *value, *output, "quantized PADV2 does not rescale"));
      }
    }
    if (!ctx.HasValues(1)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    return PreparePaddings(ctx, *input, &before_, &after_);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const Tensor* value = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const bool quantized = movement::IsQuantizedActivationType(input->type) &&
                           output->quant.quantized();
    const int32_t zp = quantized ? output->quant.zero_point0() : 0;
    switch (input->type) {
      case DataType::kFloat32:
        ConstantPad(*input, before_, ReadScalar<float>(value, 0.f), *output);
        break;
      case DataType::kUInt8:
        ConstantPad(*input, before_,
                    ReadScalar<uint8_t>(value, static_cast<uint8_t>(zp)),
                    *output);
        break;
      case DataType::kInt8:
        ConstantPad(*input, before_,
                    ReadScalar<int8_t>(value, static_cast<int8_t>(zp)),
                    *output);
        break;
      case DataType::kInt16:
        ConstantPad(*input, before_,
                    ReadScalar<int16_t>(value, static_cast<int16_t>(zp)),
                    *output);
        break;
      case DataType::kBool:
        ConstantPad(*input, before_, ReadScalar<uint8_t>(value, 0), *output);
        break;
      default:
        switch (DataTypeSize(input->type)) {
          case 2:
            ConstantPad(*input, before_, ReadScalar<uint16_t>(value, 0),
                        *output);
            break;
          case 4:
            ConstantPad(*input, before_, ReadScalar<uint32_t>(value, 0),
                        *output);
            break;
          case 8:
            ConstantPad(*input, before_, ReadScalar<uint64_t>(value, 0),
                        *output);
            break;
          default:
            return ctx.Unimplemented("type " + TypeName(input->type) +
                                     " is not supported");
        }
    }
    return OkStatus();
  }

 private:
  bool v2_;
  std::vector<int64_t> before_, after_;
};

// Source index along one axis of MIRROR_PAD (TFLite's GetInputDimension):
// offset is 1 for REFLECT (edge not repeated), 0 for SYMMETRIC.
int64_t MirrorIndex(int64_t padded, int64_t left, int64_t size,
                    int64_t offset) {
  if (padded < left) {
    const int64_t original = left + offset - 1;
    return original - std::min(padded, original - offset);
  }
  padded -= left;
  if (padded >= size) {
    padded -= size;
    const int64_t original = size - (1 + offset);
    return original - std::min(padded, original);
  }
  return padded;
}

class MirrorPadKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *ctx.output(0)));
    const size_t elem = DataTypeSize(input->type);
    if (!movement::IsCopyableType(input->type) ||
        (elem != 1 && elem != 2 && elem != 4 && elem != 8)) {
      return ctx.Unimplemented("type " + TypeName(input->type) +
                               " is not supported");
    }
    const auto* o = ctx.node().op != nullptr
                        ? ctx.node().op->builtin_options_as_MirrorPadOptions()
                        : nullptr;
    offset_ = (o == nullptr || o->mode() == tfl::MirrorPadMode_REFLECT) ? 1 : 0;
    if (!ctx.HasValues(1)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    RETURN_IF_ERROR(PreparePaddings(ctx, *input, &before_, &after_));
    for (int i = 0; i < input->shape.rank(); ++i) {
      const int64_t limit = input->shape.dim(i) - offset_;
      if (before_[i] > limit || after_[i] > limit ||
          (input->shape.dim(i) == 0 && before_[i] + after_[i] > 0)) {
        return ctx.InvalidArgument(
            std::string("paddings on dim ") + std::to_string(i) +
            " exceed the " + (offset_ ? "REFLECT" : "SYMMETRIC") +
            " limit for size " + std::to_string(input->shape.dim(i)));
      }
    }
    return OkStatus();
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    switch (DataTypeSize(input->type)) {
      case 1:
        Run<uint8_t>(*input, *output);
        break;
      case 2:
        Run<uint16_t>(*input, *output);
        break;
      case 4:
        Run<uint32_t>(*input, *output);
        break;
      case 8:
        Run<uint64_t>(*input, *output);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  void Run(const Tensor& input, Tensor& output) {
    const int rank = input.shape.rank();
    const T* in = input.data_as<T>();
    T* out = output.data_as<T>();
    if (rank == 0) {
      *out = *in;
      return;
    }
    const std::vector<int64_t> in_strides = movement::Strides(input.shape);
    // Per axis, the input offset of every output coordinate.
    std::vector<std::vector<int64_t>> offsets(rank);
    for (int a = 0; a < rank; ++a) {
      const int32_t n = output.shape.dim(a);
      offsets[a].resize(n);
      for (int32_t p = 0; p < n; ++p) {
        offsets[a][p] =
            MirrorIndex(p, before_[a], input.shape.dim(a), offset_) *
            in_strides[a];
      }
    }
    movement::ForEachIndex(output.shape.dims(),
                           [&](const std::vector<int32_t>& idx) {
                             int64_t src = 0;
                             for (int a = 0; a < rank; ++a)
                               src += offsets[a][idx[a]];
                             *out++ = in[src];
                           });
  }

  int offset_ = 1;
  std::vector<int64_t> before_, after_;
};

}  // namespace

void RegisterPadKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_PAD, [] {
    return std::unique_ptr<OpKernel>(new PadKernel(false));
  });
  registry.AddBuiltin(tfl::BuiltinOperator_PADV2, [] {
    return std::unique_ptr<OpKernel>(new PadKernel(true));
  });
  registry.AddBuiltin(tfl::BuiltinOperator_MIRROR_PAD, [] {
    return std::unique_ptr<OpKernel>(new MirrorPadKernel());
  });
}

}  // namespace edgerun::kernels
