// AVERAGE_POOL_2D and MAX_POOL_2D on NHWC tensors: float32, uint8, int8,
// int16, with fused activation. Quantized pooling works on the raw values
// (input and output share quantization, as TFLite assumes); the average
// rounds half away from zero: (acc +- count/2) / count.
#include <algorithm>
#include <limits>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

struct PoolGeometry {
  int batches, in_h, in_w, channels, out_h, out_w;
  int stride_h, stride_w, filter_h, filter_w, pad_h, pad_w;
};

template <typename T, typename Acc>
void AveragePool(const PoolGeometry& g, const T* in, Acc act_min, Acc act_max,
                 T* out) {
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int iy0 = oy * g.stride_h - g.pad_h;
      const int fy0 = std::max(0, -iy0);
      const int fy1 = std::min(g.filter_h, g.in_h - iy0);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int ix0 = ox * g.stride_w - g.pad_w;
        const int fx0 = std::max(0, -ix0);
        const int fx1 = std::min(g.filter_w, g.in_w - ix0);
        const int count = (fy1 - fy0) * (fx1 - fx0);
        for (int c = 0; c < g.channels; ++c) {
          Acc acc = 0;
          for (int fy = fy0; fy < fy1; ++fy) {
            const T* row =
                in +
                ((static_cast<int64_t>(b) * g.in_h + iy0 + fy) * g.in_w + ix0) *
                    g.channels +
                c;
            for (int fx = fx0; fx < fx1; ++fx) acc += row[fx * g.channels];
          }
          Acc v;
          if constexpr (std::is_floating_point_v<Acc>) {
            v = acc / static_cast<Acc>(count);
          } else {
            v = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          v = std::min(std::max(v, act_min), act_max);
          *out++ = static_cast<T>(v);
        }
      }
    }
  }
}

template <typename T>
void MaxPool(const PoolGeometry& g, const T* in, T act_min, T act_max, T* out) {
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int iy0 = oy * g.stride_h - g.pad_h;
      const int fy0 = std::max(0, -iy0);
      const int fy1 = std::min(g.filter_h, g.in_h - iy0);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int ix0 = ox * g.stride_w - g.pad_w;
        const int fx0 = std::max(0, -ix0);
        const int fx1 = std::min(g.filter_w, g.in_w - ix0);
        for (int c = 0; c < g.channels; ++c) {
          T m = std::numeric_limits<T>::lowest();
          for (int fy = fy0; fy < fy1; ++fy) {
            const T* row =
                in +
                ((static_cast<int64_t>(b) * g.in_h + iy0 + fy) * g.in_w + ix0) *
                    g.channels +
                c;
            for (int fx = fx0; fx < fx1; ++fx)
              m = std::max(m, row[fx * g.channels]);
          }
          *out++ = std::min(std::max(m, act_min), act_max);
        }
      }
    }
  }
}

class PoolKernel final : public OpKernel {
 public:
  explicit PoolKernel(bool average) : average_(average) {}

  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 1, 1, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckRank(ctx, input, 4, "input"));
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *output));
    const auto* o = ctx.node().op != nullptr
                        ? ctx.node().op->builtin_options_as_Pool2DOptions()
                        : nullptr;
    if (o == nullptr) return ctx.InvalidArgument("missing Pool2DOptions");
    PoolGeometry& g = geometry_;
    g.batches = input->shape.dim(0);
    g.in_h = input->shape.dim(1);
    g.in_w = input->shape.dim(2);
    g.channels = input->shape.dim(3);
    g.stride_h = o->stride_h();
    g.stride_w = o->stride_w();
    g.filter_h = o->filter_height();
    g.filter_w = o->filter_width();
    if (g.stride_h < 1 || g.stride_w < 1 || g.filter_h < 1 || g.filter_w < 1) {
      return ctx.InvalidArgument("strides and filter sizes must be positive");
    }
    if (o->padding() != tfl::Padding_SAME &&
        o->padding() != tfl::Padding_VALID) {
      return ctx.InvalidArgument("unknown padding");
    }
    g.out_h = ComputeOutSize(o->padding(), g.in_h, g.filter_h, g.stride_h, 1);
    g.out_w = ComputeOutSize(o->padding(), g.in_w, g.filter_w, g.stride_w, 1);
    if (g.out_h < 0 || g.out_w < 0) {
      return ctx.InvalidArgument("filter larger than the input");
    }
    int offset = 0;
    g.pad_h =
        ComputePadding(g.stride_h, 1, g.in_h, g.filter_h, g.out_h, &offset);
    g.pad_w =
        ComputePadding(g.stride_w, 1, g.in_w, g.filter_w, g.out_w, &offset);
    const tfl::ActivationFunctionType act = o->fused_activation_function();
    switch (input->type) {
      case DataType::kFloat32: {
        const FloatRange r = FloatActivationRange(act);
        fmin_ = r.min;
        fmax_ = r.max;
        break;
      }
      case DataType::kUInt8:
      case DataType::kInt8:
      case DataType::kInt16: {
        if (!output->quant.quantized() || !(output->quant.scale0() > 0.f)) {
          if (act != tfl::ActivationFunctionType_NONE) {
            return ctx.InvalidArgument(
                "fused activation needs a quantized output");
          }
          const QuantRange r = TypeRange(input->type);
          qmin_ = r.min;
          qmax_ = r.max;
        } else {
          ASSIGN_OR_RETURN(const QuantRange r,
                           QuantizedActivationRange(act, *output));
          qmin_ = r.min;
          qmax_ = r.max;
        }
        break;
      }
      default:
        return ctx.Unimplemented("type " + TypeName(input->type) +
                                 " is not supported");
    }
    if (average_ && g.batches > 0 && g.channels > 0) {
      // Every window must overlap the input, or its average is undefined.
      for (int oy = 0; oy < g.out_h; ++oy) {
        const int iy0 = oy * g.stride_h - g.pad_h;
        if (std::min(g.filter_h, g.in_h - iy0) <= std::max(0, -iy0)) {
          return ctx.InvalidArgument("a pooling window lies outside the input");
        }
      }
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int ix0 = ox * g.stride_w - g.pad_w;
        if (std::min(g.filter_w, g.in_w - ix0) <= std::max(0, -ix0)) {
          return ctx.InvalidArgument("a pooling window lies outside the input");
        }
      }
    }
    return ctx.ResizeOutput(0,
                            Shape({g.batches, g.out_h, g.out_w, g.channels}));
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const PoolGeometry& g = geometry_;
    switch (input->type) {
      case DataType::kFloat32:
        if (average_) {
          AveragePool<float, float>(g, input->data_as<float>(), fmin_, fmax_,
                                    output->data_as<float>());
        } else {
          MaxPool<float>(g, input->data_as<float>(), fmin_, fmax_,
                         output->data_as<float>());
        }
        break;
      case DataType::kUInt8:
        Run<uint8_t>(*input, *output);
        break;
      case DataType::kInt8:
        Run<int8_t>(*input, *output);
        break;
      case DataType::kInt16:
        Run<int16_t>(*input, *output);
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  void Run(const Tensor& input, Tensor& output) {
    if (average_) {
      AveragePool<T, int32_t>(geometry_, input.data_as<T>(), qmin_, qmax_,
                              output.data_as<T>());
    } else {
      MaxPool<T>(geometry_, input.data_as<T>(), static_cast<T>(qmin_),
                 static_cast<T>(qmax_), output.data_as<T>());
    }
  }

  bool average_;
  PoolGeometry geometry_{};
  float fmin_ = 0, fmax_ = 0;
  int32_t qmin_ = 0, qmax_ = 0;
};

}  // namespace

void RegisterPoolingKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_AVERAGE_POOL_2D, [] {
    return std::unique_ptr<OpKernel>(new PoolKernel(true));
  });
  registry.AddBuiltin(tfl::BuiltinOperator_MAX_POOL_2D, [] {
    return std::unique_ptr<OpKernel>(new PoolKernel(false));
  });
}

}  // namespace edgerun::kernels
