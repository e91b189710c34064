// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR on NHWC tensors, with
// align_corners and half_pixel_centers. The arithmetic is TFLite's:
//  * bilinear float32: float interpolation weights;
//  * bilinear uint8/int8 with a constant size: XNNPACK's Q11 kernel, since
//    TFLite's default delegate runs those (BilinearXnnpack);
//  * bilinear uint8 otherwise: the float weights, + 0.5 then truncation
//    (TFLite's optimized ResizeBilinearGenericSmallChannel);
//  * bilinear int8 otherwise, int16: 10-bit fixed-point weights, 20-bit
//    products rounded half away from zero (reference ResizeBilinearInteger);
//  * nearest: float scale, floor (or round with align_corners).
// Quantized resizing works on raw values; input and output share scale.
// A non-constant size input makes the output dynamic.
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

struct ResizeGeometry {
  int batches, in_h, in_w, channels, out_h, out_w;
  bool align_corners, half_pixel_centers;
};

float Scale(int in, int out, bool align_corners) {
  return (align_corners && out > 1) ? static_cast<float>(in - 1) / (out - 1)
                                    : static_cast<float>(in) / out;
}

void Interpolation(int value, float scale, bool half_pixel, int in_size,
                   float* scaled, int32_t* lower, int32_t* upper) {
  *scaled = half_pixel ? (value + 0.5f) * scale - 0.5f : value * scale;
  // The min() only matters for sizes where TFLite would read out of bounds.
  *lower = std::min(std::max(static_cast<int32_t>(std::floor(*scaled)), 0),
                    in_size - 1);
  *upper = std::min(static_cast<int32_t>(std::ceil(*scaled)), in_size - 1);
}

// Float weights; `rounding` is 0.5 for integer outputs (then truncation).
template <typename T>
void BilinearFloat(const ResizeGeometry& g, const T* in, float rounding,
                   T* out) {
  const float hs = Scale(g.in_h, g.out_h, g.align_corners);
  const float ws = Scale(g.in_w, g.out_w, g.align_corners);
  const int64_t row = static_cast<int64_t>(g.in_w) * g.channels;
  for (int b = 0; b < g.batches; ++b) {
    const T* base = in + static_cast<int64_t>(b) * g.in_h * row;
    for (int y = 0; y < g.out_h; ++y) {
      float iy;
      int32_t y0, y1;
      Interpolation(y, hs, g.half_pixel_centers, g.in_h, &iy, &y0, &y1);
      for (int x = 0; x < g.out_w; ++x) {
        float ix;
        int32_t x0, x1;
        Interpolation(x, ws, g.half_pixel_centers, g.in_w, &ix, &x0, &x1);
        const T* p00 = base + y0 * row + static_cast<int64_t>(x0) * g.channels;
        const T* p01 = base + y0 * row + static_cast<int64_t>(x1) * g.channels;
        const T* p10 = base + y1 * row + static_cast<int64_t>(x0) * g.channels;
        const T* p11 = base + y1 * row + static_cast<int64_t>(x1) * g.channels;
        const float w00 = (1 - (iy - y0)) * (1 - (ix - x0));
        const float w01 = (1 - (iy - y0)) * (ix - x0);
        const float w10 = (iy - y0) * (1 - (ix - x0));
        const float w11 = (iy - y0) * (ix - x0);
        for (int c = 0; c < g.channels; ++c) {
          *out++ = static_cast<T>(p00[c] * w00 + p01[c] * w01 + p10[c] * w10 +
                                  p11[c] * w11 + rounding);
        }
      }
    }
  }
}

void InterpolationInt(int value, int32_t scale_10, bool half_pixel, int in_size,
                      int32_t* scaled, int32_t* lower, int32_t* upper) {
  *scaled = half_pixel ? value * scale_10 + scale_10 / 2 - (1 << 9)
                       : value * scale_10;
  constexpr int32_t kOne = 1 << 10;
  *lower = std::min(std::max(*scaled / kOne, 0), in_size - 1);
  *upper = std::min((*scaled + kOne - 1) / kOne, in_size - 1);
}

int32_t Scale10(int in, int out, bool align_corners) {
  if (align_corners && out > 1) {
    return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
  }
  return ((1 << 10) * in + out / 2) / out;
}

template <typename T>
void BilinearInteger(const ResizeGeometry& g, const T* in, T* out) {
  const int32_t hs = Scale10(g.in_h, g.out_h, g.align_corners);
  const int32_t ws = Scale10(g.in_w, g.out_w, g.align_corners);
  const int64_t row = static_cast<int64_t>(g.in_w) * g.channels;
  constexpr int64_t kOne = 1 << 10;
  for (int b = 0; b < g.batches; ++b) {
    const T* base = in + static_cast<int64_t>(b) * g.in_h * row;
    for (int y = 0; y < g.out_h; ++y) {
      int32_t iy, y0, y1;
      InterpolationInt(y, hs, g.half_pixel_centers, g.in_h, &iy, &y0, &y1);
      for (int x = 0; x < g.out_w; ++x) {
        int32_t ix, x0, x1;
        InterpolationInt(x, ws, g.half_pixel_centers, g.in_w, &ix, &x0, &x1);
        const T* p00 = base + y0 * row + static_cast<int64_t>(x0) * g.channels;
        const T* p01 = base + y0 * row + static_cast<int64_t>(x1) * g.channels;
        const T* p10 = base + y1 * row + static_cast<int64_t>(x0) * g.channels;
        const T* p11 = base + y1 * row + static_cast<int64_t>(x1) * g.channels;
        const int64_t dy = iy - kOne * y0;
        const int64_t dx = ix - kOne * x0;
        for (int c = 0; c < g.channels; ++c) {
          const int64_t v =
              static_cast<int64_t>(p00[c]) * (kOne - dy) * (kOne - dx) +
              static_cast<int64_t>(p10[c]) * dy * (kOne - dx) +
              static_cast<int64_t>(p01[c]) * (kOne - dy) * dx +
              static_cast<int64_t>(p11[c]) * dy * dx;
          const int64_t round = v > 0 ? (1 << 19) : -(1 << 19);
          *out++ = static_cast<T>((v + round) / (1 << 20));
        }
      }
    }
  }
}

// XNNPACK's 8-bit bilinear resize (TFLite's default delegate claims uint8
// and int8 RESIZE_BILINEAR with a constant size): source coordinates in
// float, weights rounded to Q11, two 11-bit lerps, rounding shift by 22.
template <typename T>
void BilinearXnnpack(const ResizeGeometry& g, const T* in, T* out) {
  const int wa = g.align_corners && g.out_w != 1 ? 1 : 0;
  const int ha = g.align_corners && g.out_h != 1 ? 1 : 0;
  const float ws =
      static_cast<float>(g.in_w - wa) / static_cast<float>(g.out_w - wa);
  const float hs =
      static_cast<float>(g.in_h - ha) / static_cast<float>(g.out_h - ha);
  const bool corner_aligned = g.align_corners || !g.half_pixel_centers;
  const int32_t y_max = g.in_h - 1, x_max = g.in_w - 1;
  // Source index (low), neighbour (high) and Q11 weight along one axis.
  auto axis = [&](int o, float scale, int32_t max, int32_t* lo, int32_t* hi,
                  int32_t* w) {
    float v = static_cast<float>(o) * scale;
    if (!corner_aligned) {
      v += 0.5f * scale - 0.5f;
      v = std::min(std::max(v, 0.0f), static_cast<float>(max));
    }
    *lo = std::min(static_cast<int32_t>(v), max);
    *hi = std::min(*lo + 1, max);
    *w = static_cast<int16_t>(
        std::lrint((v - static_cast<float>(*lo)) * 2048.0f));
  };
  std::vector<int32_t> x0(g.out_w), x1(g.out_w), wx(g.out_w);
  for (int x = 0; x < g.out_w; ++x) axis(x, ws, x_max, &x0[x], &x1[x], &wx[x]);
  const int64_t row = static_cast<int64_t>(g.in_w) * g.channels;
  for (int b = 0; b < g.batches; ++b) {
    const T* base = in + static_cast<int64_t>(b) * g.in_h * row;
    for (int y = 0; y < g.out_h; ++y) {
      int32_t y0, y1, wy;
      axis(y, hs, y_max, &y0, &y1, &wy);
      for (int x = 0; x < g.out_w; ++x) {
        const T* tl =
            base + y0 * row + static_cast<int64_t>(x0[x]) * g.channels;
        const T* tr =
            base + y0 * row + static_cast<int64_t>(x1[x]) * g.channels;
        const T* bl =
            base + y1 * row + static_cast<int64_t>(x0[x]) * g.channels;
        const T* br =
            base + y1 * row + static_cast<int64_t>(x1[x]) * g.channels;
        for (int c = 0; c < g.channels; ++c) {
          const int32_t t =
              static_cast<int32_t>(static_cast<uint32_t>(tl[c]) << 11) +
              (tr[c] - tl[c]) * wx[x];
          const int32_t bt =
              static_cast<int32_t>(static_cast<uint32_t>(bl[c]) << 11) +
              (br[c] - bl[c]) * wx[x];
          const int32_t acc =
              static_cast<int32_t>(static_cast<uint32_t>(t) << 11) +
              (bt - t) * wy;
          *out++ = static_cast<T>((acc + (1 << 21)) >> 22);
        }
      }
    }
  }
}

int32_t Nearest(int value, int in_size, int out_size, bool align_corners,
                bool half_pixel) {
  const float scale = (align_corners && out_size > 1)
                          ? (in_size - 1) / static_cast<float>(out_size - 1)
                          : in_size / static_cast<float>(out_size);
  const float offset = half_pixel ? 0.5f : 0.0f;
  int32_t r =
      std::min(align_corners
                   ? static_cast<int32_t>(std::round((value + offset) * scale))
                   : static_cast<int32_t>(std::floor((value + offset) * scale)),
               in_size - 1);
  if (half_pixel) r = std::max(0, r);
  return r;
}

class ResizeKernel final : public OpKernel {
 public:
  explicit ResizeKernel(bool bilinear) : bilinear_(bilinear) {}

  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* input = ctx.input(0);
    RETURN_IF_ERROR(CheckRank(ctx, input, 4, "input"));
    const Tensor* size = ctx.input(1);
    RETURN_IF_ERROR(CheckRank(ctx, size, 1, "size"));
    if (size->shape.dim(0) != 2 || size->type != DataType::kInt32) {
      return ctx.InvalidArgument("size must be int32[2], got " +
                                 TypeName(size->type) + size->shape.ToString());
    }
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *ctx.output(0)));
    switch (input->type) {
      case DataType::kFloat32:
      case DataType::kUInt8:
      case DataType::kInt8:
      case DataType::kInt16:
        break;
      case DataType::kInt32:
      case DataType::kInt64:
        if (!bilinear_) break;
        [[fallthrough]];
      default:
        return ctx.Unimplemented("type " + TypeName(input->type) +
                                 " is not supported");
    }
    ResizeGeometry& g = geometry_;
    g.align_corners = false;
    g.half_pixel_centers = false;
    if (ctx.node().op != nullptr) {
      if (bilinear_) {
        if (const auto* o =
                ctx.node().op->builtin_options_as_ResizeBilinearOptions()) {
          g.align_corners = o->align_corners();
          g.half_pixel_centers = o->half_pixel_centers();
        }
      } else if (const auto* o =
                     ctx.node()
                         .op
                         ->builtin_options_as_ResizeNearestNeighborOptions()) {
        g.align_corners = o->align_corners();
        g.half_pixel_centers = o->half_pixel_centers();
      }
    }
    if (bilinear_ && g.align_corners && g.half_pixel_centers) {
      return ctx.InvalidArgument(
          "If half_pixel_centers is True, align_corners must be False.");
    }
    if (!ctx.HasValues(1)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    // The delegate only takes resizes whose size is known when the graph is
    // prepared; dynamic sizes run on TFLite's own kernels.
    xnnpack_ = bilinear_ && size->is_constant;
    const int32_t* sz = size->data_as<int32_t>();
    if (sz[0] <= 0 || sz[1] <= 0) {
      return ctx.InvalidArgument("output size must be positive, got " +
                                 std::to_string(sz[0]) + "x" +
                                 std::to_string(sz[1]));
    }
    g.batches = input->shape.dim(0);
    g.in_h = input->shape.dim(1);
    g.in_w = input->shape.dim(2);
    g.channels = input->shape.dim(3);
    g.out_h = sz[0];
    g.out_w = sz[1];
    if ((g.in_h == 0 || g.in_w == 0) && g.batches > 0 && g.channels > 0) {
      return ctx.InvalidArgument("cannot resize an empty image");
    }
    if (g.in_h > (1 << 20) || g.in_w > (1 << 20) || g.out_h > (1 << 20) ||
        g.out_w > (1 << 20)) {
      return ctx.InvalidArgument(
          "image dimensions above 2^20 are not supported");
    }
    Shape out;
    RETURN_IF_ERROR(movement::CheckedShape(
        ctx, {g.batches, g.out_h, g.out_w, g.channels}, "output shape", &out));
    return ctx.ResizeOutput(0, out);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    if (output->NumElements() == 0) return OkStatus();
    const ResizeGeometry& g = geometry_;
    if (!bilinear_) {
      switch (DataTypeSize(input->type)) {
        case 1:
          NearestCopy<uint8_t>(*input, *output);
          break;
        case 2:
          NearestCopy<uint16_t>(*input, *output);
          break;
        case 4:
          NearestCopy<uint32_t>(*input, *output);
          break;
        case 8:
          NearestCopy<uint64_t>(*input, *output);
          break;
        default:
          break;
      }
      return OkStatus();
    }
    switch (input->type) {
      case DataType::kFloat32:
        BilinearFloat(g, input->data_as<float>(), 0.f,
                      output->data_as<float>());
        break;
      case DataType::kUInt8:
        if (xnnpack_) {
          BilinearXnnpack(g, input->data_as<uint8_t>(),
                          output->data_as<uint8_t>());
        } else {
          BilinearFloat(g, input->data_as<uint8_t>(), 0.5f,
                        output->data_as<uint8_t>());
        }
        break;
      case DataType::kInt8:
        if (xnnpack_) {
          BilinearXnnpack(g, input->data_as<int8_t>(),
                          output->data_as<int8_t>());
        } else {
          BilinearInteger(g, input->data_as<int8_t>(),
                          output->data_as<int8_t>());
        }
        break;
      case DataType::kInt16:
        BilinearInteger(g, input->data_as<int16_t>(),
                        output->data_as<int16_t>());
        break;
      default:
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  void NearestCopy(const Tensor& input, Tensor& output) {
    const ResizeGeometry& g = geometry_;
    const T* in = input.data_as<T>();
    T* out = output.data_as<T>();
    const int64_t row = static_cast<int64_t>(g.in_w) * g.channels;
    std::vector<int32_t> xs(g.out_w);
    for (int x = 0; x < g.out_w; ++x) {
      xs[x] =
          Nearest(x, g.in_w, g.out_w, g.align_corners, g.half_pixel_centers);
    }
    for (int b = 0; b < g.batches; ++b) {
      for (int y = 0; y < g.out_h; ++y) {
        const int32_t iy =
            Nearest(y, g.in_h, g.out_h, g.align_corners, g.half_pixel_centers);
        const T* src_row = in + (static_cast<int64_t>(b) * g.in_h + iy) * row;
        for (int x = 0; x < g.out_w; ++x) {
          std::memcpy(out, src_row + static_cast<int64_t>(xs[x]) * g.channels,
                      sizeof(T) * g.channels);
          out += g.channels;
        }
      }
    }
  }

  bool bilinear_;
  bool xnnpack_ = false;  // uint8/int8 bilinear the way XNNPACK computes it
  ResizeGeometry geometry_{};
};

}  // namespace

void RegisterResizeKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_RESIZE_BILINEAR, [] {
    return std::unique_ptr<OpKernel>(new ResizeKernel(true));
  });
  registry.AddBuiltin(tfl::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, [] {
    return std::unique_ptr<OpKernel>(new ResizeKernel(false));
  });
}

}  // namespace edgerun::kernels
