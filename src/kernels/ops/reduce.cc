// MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD over a set of axes
// (int32/int64 axis input, negative and repeated axes allowed, keep_dims).
//
// Quantized arithmetic follows the kernels TFLite actually runs:
//  * MEAN uint8/int8, rank 4, axes {1,2}: TFLite hands these to its
//    default XNNPACK delegate, whose mean is a float rescale of the
//    zero-point-corrected sum, rounded half to even. (TFLite's own Mean4D
//    kernel rounds differently; the reference runtime's outputs follow
//    XNNPACK.)
//  * other quantized MEAN: reference QuantizedMeanOrSum (integer: the
//    input/output multiplier absorbs 1/count with a shift).
//  * quantized SUM: optimized QuantizedMeanOrSum (float scale and bias).
//  * quantized REDUCE_PROD (int8/int16): every product step rescaled by
//    input_scale / output_scale^(1/count) with the 64-bit multiplier.
//  * quantized MAX/MIN: require equal input/output quantization.
#include <algorithm>
#include <cmath>
#include <limits>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/movement_util.h"
#include "kernels/ops/ops.h"
#include "kernels/reference/quantization.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

using reference::MultiplyByQuantizedMultiplier;
using reference::QuantizedMultiplier;
using reference::QuantizeMultiplier;

enum class ReduceOp { kMean, kSum, kMax, kMin, kProd };

// Maps every input element to its output element: out_stride[k] is the
// output stride of input axis k, 0 on reduced axes.
struct ReduceLayout {
  std::vector<int32_t> in_dims;
  std::vector<int64_t> out_stride;
  int64_t num_outputs = 1;
  int64_t count = 1;  // input elements per output
};

// Calls fn(out_index, in_index) for every input element in row-major order.
template <typename Fn>
void ForEachPair(const ReduceLayout& l, Fn&& fn) {
  const int rank = static_cast<int>(l.in_dims.size());
  if (rank == 0) {
    fn(int64_t{0}, int64_t{0});
    return;
  }
  const int last = rank - 1;
  const int32_t inner = l.in_dims[last];
  const int64_t inner_stride = l.out_stride[last];
  std::vector<int32_t> outer(l.in_dims.begin(), l.in_dims.end() - 1);
  int64_t in_index = 0;
  if (inner == 0) return;
  movement::ForEachIndex(outer, [&](const std::vector<int32_t>& idx) {
    int64_t o = 0;
    for (int k = 0; k < last; ++k) o += idx[k] * l.out_stride[k];
    for (int32_t i = 0; i < inner; ++i) fn(o + i * inner_stride, in_index++);
  });
}

template <typename T, typename Acc>
void Accumulate(const ReduceLayout& l, const T* in, ReduceOp op, Acc init,
                std::vector<Acc>& acc) {
  acc.assign(static_cast<size_t>(l.num_outputs), init);
  switch (op) {
    case ReduceOp::kMean:
    case ReduceOp::kSum:
      ForEachPair(l, [&](int64_t o, int64_t i) {
        if constexpr (std::is_integral_v<Acc>) {
          // Integer sums wrap like TFLite's WrappingAdd.
          using U = std::make_unsigned_t<Acc>;
          acc[o] = static_cast<Acc>(static_cast<U>(acc[o]) +
                                    static_cast<U>(static_cast<Acc>(in[i])));
        } else {
          acc[o] += static_cast<Acc>(in[i]);
        }
      });
      break;
    case ReduceOp::kProd:
      ForEachPair(l, [&](int64_t o, int64_t i) {
        if constexpr (std::is_integral_v<Acc>) {
          using U = std::make_unsigned_t<Acc>;
          acc[o] = static_cast<Acc>(static_cast<U>(acc[o]) *
                                    static_cast<U>(static_cast<Acc>(in[i])));
        } else {
          acc[o] *= static_cast<Acc>(in[i]);
        }
      });
      break;
    case ReduceOp::kMax:
      ForEachPair(l, [&](int64_t o, int64_t i) {
        if (static_cast<Acc>(in[i]) > acc[o]) acc[o] = static_cast<Acc>(in[i]);
      });
      break;
    case ReduceOp::kMin:
      ForEachPair(l, [&](int64_t o, int64_t i) {
        if (static_cast<Acc>(in[i]) < acc[o]) acc[o] = static_cast<Acc>(in[i]);
      });
      break;
  }
}

class ReduceKernel final : public OpKernel {
 public:
  explicit ReduceKernel(ReduceOp op) : op_(op) {}

  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* input = ctx.input(0);
    const Tensor* axis_t = ctx.input(1);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(CheckPresent(ctx, axis_t, "axis"));
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(movement::CheckSameType(ctx, *input, *output));
    if (axis_t->shape.rank() > 1) {
      return ctx.InvalidArgument("axis must be a scalar or vector");
    }
    if (axis_t->type != DataType::kInt32 && axis_t->type != DataType::kInt64) {
      return ctx.InvalidArgument("axis must be int32 or int64, got " +
                                 TypeName(axis_t->type));
    }
    RETURN_IF_ERROR(CheckTypes(ctx, *input, *output));
    if (!ctx.HasValues(1)) {
      ctx.SetOutputsDynamic();
      return OkStatus();
    }
    const auto* o = ctx.node().op != nullptr
                        ? ctx.node().op->builtin_options_as_ReducerOptions()
                        : nullptr;
    const bool keep_dims = o != nullptr && o->keep_dims();
    std::vector<int64_t> axes;
    RETURN_IF_ERROR(movement::ReadIndexTensor(ctx, *axis_t, "axis", &axes));
    const int rank = input->shape.rank();
    std::vector<bool> reduced(rank, false);
    resolved_.clear();
    for (int64_t a : axes) {
      int axis = 0;
      if (rank == 0) continue;  // TFLite ignores axes of a scalar
      RETURN_IF_ERROR(movement::NormalizeAxis(ctx, a, rank, "axis", &axis));
      if (!reduced[axis]) resolved_.push_back(axis);
      reduced[axis] = true;
    }
    layout_ = ReduceLayout();
    layout_.in_dims = input->shape.dims();
    layout_.out_stride.assign(rank, 0);
    std::vector<int32_t> out_dims;
    int64_t stride = 1;
    for (int k = rank - 1; k >= 0; --k) {
      if (reduced[k]) {
        layout_.count *= input->shape.dim(k);
      } else {
        layout_.out_stride[k] = stride;
        stride *= input->shape.dim(k);
      }
    }
    layout_.num_outputs = stride;
    for (int k = 0; k < rank; ++k) {
      if (!reduced[k]) {
        out_dims.push_back(input->shape.dim(k));
      } else if (keep_dims) {
        out_dims.push_back(1);
      }
    }
    RETURN_IF_ERROR(PrepareQuantized(*input, *output, rank));
    return ctx.ResizeOutput(0, Shape(std::move(out_dims)));
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    switch (input->type) {
      case DataType::kFloat32:
        return EvalPlain<float, float>(*input, *output);
      case DataType::kInt32:
        return EvalPlain<int32_t, int64_t>(*input, *output);
      case DataType::kInt64:
        return EvalPlain<int64_t, int64_t>(*input, *output);
      case DataType::kUInt8:
        return EvalQuant<uint8_t>(*input, *output);
      case DataType::kInt8:
        return EvalQuant<int8_t>(*input, *output);
      case DataType::kInt16:
        return EvalQuant<int16_t>(*input, *output);
      default:
        return ctx.Unimplemented("unsupported type");
    }
  }

 private:
  Status CheckTypes(KernelContext& ctx, const Tensor& input,
                    const Tensor& output) {
    const DataType t = input.type;
    bool ok = false;
    switch (op_) {
      case ReduceOp::kMean:
      case ReduceOp::kSum:
      case ReduceOp::kMax:
      case ReduceOp::kMin:
        ok = t == DataType::kFloat32 || t == DataType::kInt32 ||
             t == DataType::kInt64 || t == DataType::kUInt8 ||
             t == DataType::kInt8 || t == DataType::kInt16;
        break;
      case ReduceOp::kProd:
        ok = t == DataType::kFloat32 || t == DataType::kInt32 ||
             t == DataType::kInt64 ||
             ((t == DataType::kInt8 || t == DataType::kInt16) &&
              input.quant.quantized());
        break;
    }
    if (!ok) {
      return ctx.Unimplemented("type " + TypeName(t) + " is not supported" +
                               (op_ == ReduceOp::kProd
                                    ? " (uint8 and unquantized "
                                      "8/16-bit REDUCE_PROD)"
                                    : ""));
    }
    if (movement::IsQuantizedActivationType(t)) {
      if (!input.quant.quantized() || !output.quant.quantized() ||
          !(input.quant.scale0() > 0.f) || !(output.quant.scale0() > 0.f)) {
        if (op_ == ReduceOp::kMean || op_ == ReduceOp::kSum) {
          return ctx.InvalidArgument(
              "quantized " + TypeName(t) +
              " MEAN/SUM needs scales on input and output");
        }
      }
      if (t == DataType::kInt16 &&
          (input.quant.zero_point0() != 0 || output.quant.zero_point0() != 0)) {
        return ctx.InvalidArgument("int16 reductions need zero points of 0");
      }
      if (op_ == ReduceOp::kMax || op_ == ReduceOp::kMin) {
        RETURN_IF_ERROR(movement::CheckSameQuant(
            ctx, input, output, "quantized REDUCE_MAX/MIN does not rescale"));
      }
    }
    return OkStatus();
  }

  Status PrepareQuantized(const Tensor& input, const Tensor& output, int rank) {
    if (!movement::IsQuantizedActivationType(input.type)) return OkStatus();
    const double in_scale = input.quant.scale0();
    const double out_scale = output.quant.scale0();
    if (op_ == ReduceOp::kProd) {
      const int64_t n = layout_.count;
      if (n > 0 && layout_.num_outputs > 0) {
        const double scaling = in_scale / std::pow(out_scale, 1.0 / n);
        prod_multiplier_ = QuantizeMultiplier(scaling);
      }
      return OkStatus();
    }
    if (op_ != ReduceOp::kMean && op_ != ReduceOp::kSum) return OkStatus();
    multiplier_ = QuantizeMultiplier(in_scale / out_scale);
    std::vector<int> sorted = resolved_;
    std::sort(sorted.begin(), sorted.end());
    xnnpack_mean_ = op_ == ReduceOp::kMean && input.type != DataType::kInt16 &&
                    rank == 4 && sorted == std::vector<int>{1, 2};
    return OkStatus();
  }

  template <typename T, typename Acc>
  Status EvalPlain(const Tensor& input, Tensor& output) {
    T* out = output.data_as<T>();
    const int64_t n = layout_.num_outputs;
    std::vector<Acc> acc;
    Acc init{};
    if (op_ == ReduceOp::kProd) init = Acc(1);
    if (op_ == ReduceOp::kMax)
      init = static_cast<Acc>(std::numeric_limits<T>::lowest());
    if (op_ == ReduceOp::kMin)
      init = static_cast<Acc>(std::numeric_limits<T>::max());
    Accumulate<T, Acc>(layout_, input.data_as<T>(), op_, init, acc);
    if (op_ == ReduceOp::kMean) {
      if (layout_.count == 0) {
        // TFLite fills an empty mean with quiet NaN (0 for integers).
        for (int64_t i = 0; i < n; ++i)
          out[i] = std::numeric_limits<T>::quiet_NaN();
        return OkStatus();
      }
      for (int64_t i = 0; i < n; ++i) {
        out[i] = static_cast<T>(acc[i] / static_cast<Acc>(layout_.count));
      }
      return OkStatus();
    }
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(acc[i]);
    return OkStatus();
  }

  template <typename T>
  Status EvalQuant(const Tensor& input, Tensor& output) {
    T* out = output.data_as<T>();
    const T* in = input.data_as<T>();
    const int64_t n = layout_.num_outputs;
    const int32_t lo = std::numeric_limits<T>::min();
    const int32_t hi = std::numeric_limits<T>::max();
    const int32_t in_zp = input.quant.zero_point0();
    const int32_t out_zp = output.quant.zero_point0();
    switch (op_) {
      case ReduceOp::kMax:
      case ReduceOp::kMin: {
        std::vector<int32_t> acc;
        Accumulate<T, int32_t>(layout_, in, op_,
                               op_ == ReduceOp::kMax ? lo : hi, acc);
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(acc[i]);
        return OkStatus();
      }
      case ReduceOp::kProd:
        return EvalQuantProd<T>(in, in_zp, out_zp, out);
      case ReduceOp::kMean:
      case ReduceOp::kSum:
        break;
    }
    const int64_t count = layout_.count;
    if (count == 0) {
      // Empty input: TFLite leaves zeros (MEAN writes its "NaN", 0 too).
      for (int64_t i = 0; i < n; ++i) out[i] = T(0);
      return OkStatus();
    }
    std::vector<int32_t> sum;
    Accumulate<T, int32_t>(layout_, in, ReduceOp::kSum, 0, sum);
    if (op_ == ReduceOp::kSum) {
      const float scale = input.quant.scale0() / output.quant.scale0();
      const float bias = -in_zp * scale * static_cast<float>(count);
      for (int64_t i = 0; i < n; ++i) {
        int32_t v =
            static_cast<int32_t>(std::round(sum[i] * scale + bias)) + out_zp;
        out[i] = static_cast<T>(std::clamp(v, lo, hi));
      }
      return OkStatus();
    }
    if (xnnpack_mean_) {
      // XNNPACK (which TFLite's default delegate runs these on): float
      // rescale of the zero-point-corrected sum, round half to even.
      const float scale = (input.quant.scale0() / output.quant.scale0()) *
                          (1.0f / static_cast<float>(count));
      const float vmin = static_cast<float>(lo - out_zp);
      const float vmax = static_cast<float>(hi - out_zp);
      for (int64_t i = 0; i < n; ++i) {
        float v =
            static_cast<float>(static_cast<int64_t>(sum[i]) - in_zp * count) *
            scale;
        v = std::min(std::max(v, vmin), vmax);
        out[i] =
            static_cast<T>(static_cast<int32_t>(std::nearbyint(v)) + out_zp);
      }
      return OkStatus();
    }
    // Reference QuantizedMeanOrSum: fold 1/count into the multiplier.
    int32_t multiplier = multiplier_.multiplier;
    int shift_out = multiplier_.shift;
    int shift = 63 - __builtin_clzll(static_cast<uint64_t>(count));
    shift = std::min(shift, 32);
    shift = std::min(shift, 31 + shift_out);
    multiplier = static_cast<int32_t>(
        (static_cast<int64_t>(multiplier) << shift) / count);
    shift_out -= shift;
    for (int64_t i = 0; i < n; ++i) {
      const int32_t shifted =
          static_cast<int32_t>(static_cast<int64_t>(sum[i]) - in_zp * count);
      int32_t v =
          MultiplyByQuantizedMultiplier(shifted, multiplier, shift_out) +
          out_zp;
      out[i] = static_cast<T>(std::clamp(v, lo, hi));
    }
    return OkStatus();
  }

  template <typename T>
  Status EvalQuantProd(const T* in, int32_t in_zp, int32_t out_zp, T* out) {
    const int64_t n = layout_.num_outputs;
    if (layout_.count == 0 || n == 0) return OkStatus();
    if (resolved_.empty()) {
      // No axes: TFLite's optimized kernel copies the input unchanged.
      for (int64_t i = 0; i < n; ++i) out[i] = in[i];
      return OkStatus();
    }
    const int32_t lo = std::numeric_limits<T>::min();
    const int32_t hi = std::numeric_limits<T>::max();
    const QuantizedMultiplier m = prod_multiplier_;
    std::vector<int32_t> acc(static_cast<size_t>(n), 0);
    std::vector<bool> started(static_cast<size_t>(n), false);
    ForEachPair(layout_, [&](int64_t o, int64_t i) {
      const int32_t v = static_cast<int32_t>(in[i]) - in_zp;
      if (!started[o]) {
        acc[o] = v;
        started[o] = true;
      } else {
        acc[o] = MultiplyByQuantizedMultiplier(static_cast<int64_t>(acc[o]) * v,
                                               m.multiplier, m.shift);
      }
    });
    for (int64_t i = 0; i < n; ++i) {
      int32_t r = MultiplyByQuantizedMultiplier(static_cast<int64_t>(acc[i]),
                                                m.multiplier, m.shift) +
                  out_zp;
      out[i] = static_cast<T>(std::clamp(r, lo, hi));
    }
    return OkStatus();
  }

  ReduceOp op_;
  ReduceLayout layout_;
  std::vector<int> resolved_;
  QuantizedMultiplier multiplier_;
  QuantizedMultiplier prod_multiplier_;
  bool xnnpack_mean_ = false;
};

}  // namespace

void RegisterReduceKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_MEAN, [] {
    return std::unique_ptr<OpKernel>(new ReduceKernel(ReduceOp::kMean));
  });
  registry.AddBuiltin(tfl::BuiltinOperator_SUM, [] {
    return std::unique_ptr<OpKernel>(new ReduceKernel(ReduceOp::kSum));
  });
  registry.AddBuiltin(tfl::BuiltinOperator_REDUCE_MAX, [] {
    return std::unique_ptr<OpKernel>(new ReduceKernel(ReduceOp::kMax));
  });
  registry.AddBuiltin(tfl::BuiltinOperator_REDUCE_MIN, [] {
    return std::unique_ptr<OpKernel>(new ReduceKernel(ReduceOp::kMin));
  });
  registry.AddBuiltin(tfl::BuiltinOperator_REDUCE_PROD, [] {
    return std::unique_ptr<OpKernel>(new ReduceKernel(ReduceOp::kProd));
  });
}

}  // namespace edgerun::kernels
