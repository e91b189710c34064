// FULLY_CONNECTED: output = input x weights^T + bias, with TensorFlow Lite's
// semantics for
//   float32;
//   uint8 / int8 activations with per-tensor weights (int32 bias);
//   int8 activations with per-channel int8 weights;
//   int16 activations with int8 weights (16x8; int32 or int64 bias);
//   hybrid: float32 activations with int8 weights (per-tensor or
//     per-channel), the input quantized per batch row on the fly,
//     symmetric or asymmetric (asymmetric_quantize_inputs).
// Weights are packed once in Prepare (reference/matmul.h) when constant, into
// data shared by every interpreter of the model (GetOrCreateShared), or at
// every Eval otherwise.
#include <cstring>
#include <memory>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/matrix_ops.h"
#include "kernels/reference/matmul.h"
#include "kernels/reference/quantization.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

using reference::QuantizedMultiplier;

enum class Mode { kFloat, kQuantized8, kQuantized16, kHybrid };

// Weights packed for PackedMatVec, and the hybrid mode's row sums. Built
// once, then shared read-only (by every interpreter of the model when the
// weights are constant).
struct FullyConnectedPacked {
  std::vector<float> f;        // kFloat
  std::vector<int16_t> q;      // quantized and hybrid modes
  std::vector<int32_t> row_sums;  // kHybrid: sum of each unit's weights
  size_t ByteSize() const {
    return sizeof(*this) + sizeof(float) * f.capacity() +
           sizeof(int16_t) * q.capacity() + sizeof(int32_t) * row_sums.capacity();
  }
};

// One kernel per node. Owns its requantization tables and shares its packed
// weights (see FullyConnectedPacked). Thread-safety: as OpKernel.
class FullyConnectedKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 3, 1));
    const Tensor* input = ctx.input(0);
    const Tensor* weights = ctx.input(1);
    const Tensor* bias = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(CheckPresent(ctx, input, "input"));
    RETURN_IF_ERROR(CheckRank(ctx, weights, 2, "weights"));
    RETURN_IF_ERROR(CheckPresent(ctx, output, "output"));

    activation_ = tfl::ActivationFunctionType_NONE;
    bool keep_num_dims = false;
    asymmetric_ = false;
    if (const auto* o =
            ctx.node().op == nullptr
                ? nullptr
                : ctx.node().op->builtin_options_as_FullyConnectedOptions()) {
      activation_ = o->fused_activation_function();
      keep_num_dims = o->keep_num_dims();
      asymmetric_ = o->asymmetric_quantize_inputs();
      if (o->weights_format() !=
          tfl::FullyConnectedOptionsWeightsFormat_DEFAULT) {
        return ctx.Unimplemented("shuffled weights format is not supported");
      }
    }

    units_ = weights->shape.dim(0);
    depth_ = weights->shape.dim(1);
    if (input->shape.rank() < 1) {
      return ctx.InvalidArgument("input must have rank >= 1");
    }
    const int64_t input_size = input->NumElements();
    if (depth_ > 0 && input_size % depth_ != 0) {
      return ctx.InvalidArgument("input shape " + input->shape.ToString() +
                                 " is not a multiple of the weights depth " +
                                 std::to_string(depth_));
    }
    if (depth_ > 0) {
      batches_ = static_cast<int>(input_size / depth_);
    } else {
      batches_ =
          static_cast<int>(input->shape.FlatSize(0, input->shape.rank() - 1));
    }
    if (bias != nullptr && bias->NumElements() != units_) {
      return ctx.InvalidArgument(
          "bias has " + std::to_string(bias->NumElements()) +
          " elements, expected " + std::to_string(units_));
    }

    RETURN_IF_ERROR(PrepareTypes(ctx, *input, *weights, bias, *output));

    // Output shape.
    Shape out_shape;
    if (keep_num_dims) {
      const int last = input->shape.rank() - 1;
      if (input->shape.dim(last) != depth_) {
        return ctx.InvalidArgument(
            "keep_num_dims needs the input's last dimension (" +
            std::to_string(input->shape.dim(last)) + ") to equal the depth " +
            std::to_string(depth_));
      }
      out_shape = input->shape;
      out_shape.set_dim(last, units_);
    } else {
      out_shape = Shape({batches_, units_});
    }

    // Delegated node: only shapes were asked for; skip packing and scratch.
    if (ctx.shape_only()) {
      packed_ = nullptr;
      return ctx.ResizeOutput(0, out_shape);
    }
    hybrid_scale_ = weights->quant.scale0();
    // Pack constant weights once, shared by every interpreter of the model;
    // weights computed by the graph are packed (privately) in Eval.
    pack_at_eval_ = !weights->is_constant;
    if (pack_at_eval_) {
      packed_ = nullptr;
    } else {
      SharedKey key("fully_connected");
      key.AddConstant(weights).Add(mode_).Add(units_).Add(depth_);
      key.Add(weights_offset_);
      packed_ = GetOrCreateShared<FullyConnectedPacked>(ctx, key, [&] {
        auto packed = std::make_shared<FullyConnectedPacked>();
        PackWeights(*weights, *packed);
        return packed;
      });
    }
    if (mode_ == Mode::kHybrid) {
      RETURN_IF_ERROR(ctx.RequestScratch(static_cast<size_t>(depth_) + 64,
                                         &scratch_quantized_));
    }
    return ctx.ResizeOutput(0, out_shape);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    const Tensor* weights = ctx.input(1);
    const Tensor* bias = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    Tensor* output = ctx.output(0);
    if (output->NumElements() == 0) return OkStatus();
    if (depth_ == 0) {
      std::memset(output->data, 0,
                  static_cast<size_t>(output->NumElements()) *
                      DataTypeSize(output->type));
      return OkStatus();
    }
    if (pack_at_eval_) {
      if (eval_packed_ == nullptr) {
        eval_packed_ = std::make_shared<FullyConnectedPacked>();
      }
      PackWeights(*weights, *eval_packed_);
      packed_ = eval_packed_;
    }
    switch (mode_) {
      case Mode::kFloat:
        EvalFloat(*input, bias, *output);
        break;
      case Mode::kQuantized8:
        EvalQuantized8(*input, bias, *output);
        break;
      case Mode::kQuantized16:
        EvalQuantized16(*input, bias, *output);
        break;
      case Mode::kHybrid:
        EvalHybrid(ctx, *input, bias, *output);
        break;
    }
    return OkStatus();
  }

 private:
  Status PrepareTypes(KernelContext& ctx, const Tensor& input,
                      const Tensor& weights, const Tensor* bias,
                      const Tensor& output) {
    const DataType in = input.type;
    const DataType w = weights.type;
    if (in == DataType::kFloat32 && w == DataType::kFloat32) {
      mode_ = Mode::kFloat;
      if (output.type != DataType::kFloat32) {
        return ctx.InvalidArgument("float input needs a float32 output, got " +
                                   TypeName(output.type));
      }
      if (bias != nullptr && bias->type != DataType::kFloat32) {
        return ctx.InvalidArgument("float bias must be float32, got " +
                                   TypeName(bias->type));
      }
      range_f_ = FloatActivationRange(activation_);
      return CheckFloatActivation(ctx);
    }
    if (in == DataType::kFloat32 && w == DataType::kInt8) {
      mode_ = Mode::kHybrid;
      if (output.type != DataType::kFloat32) {
        return ctx.InvalidArgument(
            "hybrid FULLY_CONNECTED needs a float32 output");
      }
      if (bias != nullptr && bias->type != DataType::kFloat32) {
        return ctx.InvalidArgument("hybrid bias must be float32, got " +
                                   TypeName(bias->type));
      }
      if (!weights.quant.quantized()) {
        return ctx.InvalidArgument(
            "int8 weights of a hybrid FULLY_CONNECTED need a scale");
      }
      hybrid_scales_.clear();
      if (weights.quant.per_channel()) {
        if (static_cast<int>(weights.quant.scale.size()) != units_ ||
            weights.quant.quantized_dimension != 0) {
          return ctx.InvalidArgument(
              "per-channel weight scales must run along dimension 0 (" +
              std::to_string(units_) + " scales)");
        }
        hybrid_scales_ = weights.quant.scale;
      }
      range_f_ = FloatActivationRange(activation_);
      return CheckFloatActivation(ctx);
    }
    const bool in8 = in == DataType::kUInt8 || in == DataType::kInt8;
    if (!(in8 || in == DataType::kInt16)) {
      return ctx.Unimplemented("input type " + TypeName(in) + " with weights " +
                               TypeName(w) + " is not supported");
    }
    if (output.type != in) {
      return ctx.Unimplemented("output type " + TypeName(output.type) +
                               " differs from input type " + TypeName(in));
    }
    if (in == DataType::kUInt8 && w != DataType::kUInt8) {
      return ctx.Unimplemented("uint8 input needs uint8 weights, got " +
                               TypeName(w));
    }
    if ((in == DataType::kInt8 || in == DataType::kInt16) &&
        w != DataType::kInt8) {
      return ctx.Unimplemented(TypeName(in) +
                               " input needs int8 weights, got " + TypeName(w));
    }
    if (!input.quant.quantized() || !weights.quant.quantized() ||
        !output.quant.quantized()) {
      return ctx.InvalidArgument(
          "quantized FULLY_CONNECTED needs scales on input, weights "
          "and output");
    }
    if (in == DataType::kInt16) {
      mode_ = Mode::kQuantized16;
      if (input.quant.zero_point0() != 0 || output.quant.zero_point0() != 0) {
        return ctx.InvalidArgument("int16 input and output need zero point 0");
      }
      if (bias != nullptr && bias->type != DataType::kInt32 &&
          bias->type != DataType::kInt64) {
        return ctx.InvalidArgument(
            "int16 FULLY_CONNECTED bias must be int32 or int64, got " +
            TypeName(bias->type));
      }
      bias64_ = bias != nullptr && bias->type == DataType::kInt64;
    } else {
      mode_ = Mode::kQuantized8;
      if (bias != nullptr && bias->type != DataType::kInt32) {
        return ctx.InvalidArgument("quantized bias must be int32, got " +
                                   TypeName(bias->type));
      }
    }
    // Per-channel scales only with signed activations (as TFLite).
    const bool per_channel = weights.quant.per_channel();
    if (per_channel) {
      if (in == DataType::kUInt8) {
        return ctx.Unimplemented(
            "per-channel weights need int8 or int16 activations");
      }
      if (static_cast<int>(weights.quant.scale.size()) != units_ ||
          weights.quant.quantized_dimension != 0) {
        return ctx.InvalidArgument(
            "per-channel weight scales must run along dimension 0 (" +
            std::to_string(units_) + " scales)");
      }
    }
    const double in_scale = input.quant.scale0();
    const double out_scale = output.quant.scale0();
    if (!(out_scale > 0))
      return ctx.InvalidArgument("output scale must be positive");
    multipliers_.assign(static_cast<size_t>(units_), QuantizedMultiplier());
    for (int u = 0; u < units_; ++u) {
      const double w_scale =
          per_channel ? weights.quant.scale[u] : weights.quant.scale0();
      multipliers_[u] =
          reference::QuantizeMultiplier(in_scale * w_scale / out_scale);
    }
    input_offset_ = -input.quant.zero_point0();
    // Per-channel weights are symmetric by definition: TFLite ignores their
    // zero points.
    weights_offset_ = per_channel ? 0 : -weights.quant.zero_point0();
    output_offset_ = output.quant.zero_point0();
    auto range = QuantizedActivationRange(activation_, output);
    if (!range.ok()) return ctx.Unimplemented(range.status().message());
    range_q_ = *range;
    return OkStatus();
  }

  Status CheckFloatActivation(KernelContext& ctx) const {
    switch (activation_) {
      case tfl::ActivationFunctionType_NONE:
      case tfl::ActivationFunctionType_RELU:
      case tfl::ActivationFunctionType_RELU6:
      case tfl::ActivationFunctionType_RELU_N1_TO_1:
        return OkStatus();
      default:
        return ctx.Unimplemented(
            std::string("fused activation ") +
            tfl::EnumNameActivationFunctionType(activation_) +
            " is not supported");
    }
  }

  void PackWeights(const Tensor& weights, FullyConnectedPacked& packed) const {
    switch (mode_) {
      case Mode::kFloat:
        reference::PackRowsFloat(weights.data_as<float>(), units_, depth_,
                                 packed.f);
        break;
      case Mode::kQuantized8:
        if (weights.type == DataType::kUInt8) {
          reference::PackRows<int16_t>(weights.data_as<uint8_t>(), units_,
                                       depth_, weights_offset_, packed.q);
        } else {
          reference::PackRows<int16_t>(weights.data_as<int8_t>(), units_,
                                       depth_, weights_offset_, packed.q);
        }
        break;
      case Mode::kQuantized16:
        reference::PackRows<int16_t>(weights.data_as<int8_t>(), units_, depth_,
                                     weights_offset_, packed.q);
        break;
      case Mode::kHybrid: {
        reference::PackRows<int16_t>(weights.data_as<int8_t>(), units_, depth_,
                                     0, packed.q);
        packed.row_sums.assign(static_cast<size_t>(units_), 0);
        const int8_t* w = weights.data_as<int8_t>();
        for (int u = 0; u < units_; ++u) {
          int32_t s = 0;
          for (int k = 0; k < depth_; ++k)
            s += w[static_cast<size_t>(u) * depth_ + k];
          packed.row_sums[u] = s;
        }
        break;
      }
    }
  }

  void EvalFloat(const Tensor& input, const Tensor* bias,
                 Tensor& output) const {
    const float* x = input.data_as<float>();
    const float* b = bias != nullptr ? bias->data_as<float>() : nullptr;
    float* y = output.data_as<float>();
    const float lo = range_f_.min;
    const float hi = range_f_.max;
    for (int r = 0; r < batches_; ++r) {
      const float* xr = x + static_cast<size_t>(r) * depth_;
      float* yr = y + static_cast<size_t>(r) * units_;
      reference::PackedMatVec<float>(packed_->f.data(), units_, depth_, xr, 0.f,
                                     [&](int u, float acc) {
                                       if (b != nullptr) acc += b[u];
                                       yr[u] = std::min(hi, std::max(lo, acc));
                                     });
    }
  }

  template <typename T>
  void EvalQuantized8Typed(const Tensor& input, const Tensor* bias,
                           Tensor& output) const {
    const T* x = input.data_as<T>();
    const int32_t* b = bias != nullptr ? bias->data_as<int32_t>() : nullptr;
    T* y = output.data_as<T>();
    for (int r = 0; r < batches_; ++r) {
      const T* xr = x + static_cast<size_t>(r) * depth_;
      T* yr = y + static_cast<size_t>(r) * units_;
      reference::PackedMatVec<int32_t>(
          packed_->q.data(), units_, depth_, xr, input_offset_,
          [&](int u, int32_t acc) {
            if (b != nullptr) acc += b[u];
            int32_t v =
                reference::MultiplyByQuantizedMultiplier(acc, multipliers_[u]);
            v += output_offset_;
            v = std::min(range_q_.max, std::max(range_q_.min, v));
            yr[u] = static_cast<T>(v);
          });
    }
  }

  void EvalQuantized8(const Tensor& input, const Tensor* bias,
                      Tensor& output) const {
    if (input.type == DataType::kUInt8) {
      EvalQuantized8Typed<uint8_t>(input, bias, output);
    } else {
      EvalQuantized8Typed<int8_t>(input, bias, output);
    }
  }

  // 16x8: TFLite accumulates in the bias type (int64 bias: 64-bit
  // accumulator and requantization; int32 bias: 32-bit).
  void EvalQuantized16(const Tensor& input, const Tensor* bias,
                       Tensor& output) const {
    const int16_t* x = input.data_as<int16_t>();
    int16_t* y = output.data_as<int16_t>();
    for (int r = 0; r < batches_; ++r) {
      const int16_t* xr = x + static_cast<size_t>(r) * depth_;
      int16_t* yr = y + static_cast<size_t>(r) * units_;
      auto finish = [&](int u, int32_t v) {
        v += output_offset_;
        v = std::min(range_q_.max, std::max(range_q_.min, v));
        yr[u] = static_cast<int16_t>(v);
      };
      if (bias64_ || bias == nullptr) {
        const int64_t* b = bias != nullptr ? bias->data_as<int64_t>() : nullptr;
        reference::PackedMatVec<int64_t>(
            packed_->q.data(), units_, depth_, xr,
            static_cast<int64_t>(input_offset_), [&](int u, int64_t acc) {
              if (b != nullptr) acc += b[u];
              finish(u, reference::MultiplyByQuantizedMultiplier(
                            acc, multipliers_[u].multiplier,
                            multipliers_[u].shift));
            });
      } else {
        const int32_t* b = bias->data_as<int32_t>();
        reference::PackedMatVec<int32_t>(
            packed_->q.data(), units_, depth_, xr, input_offset_,
            [&](int u, int32_t acc) {
              acc += b[u];
              finish(u, reference::MultiplyByQuantizedMultiplier(
                            acc, multipliers_[u]));
            });
      }
    }
  }

  // TFLite's EvalHybridDense: output = bias; per batch row quantize the
  // input, then output += dot(w, q) (- row_sum * offset) * scale.
  void EvalHybrid(KernelContext& ctx, const Tensor& input, const Tensor* bias,
                  Tensor& output) const {
    const float* x = input.data_as<float>();
    const float* b = bias != nullptr ? bias->data_as<float>() : nullptr;
    float* y = output.data_as<float>();
    const int64_t total = static_cast<int64_t>(batches_) * depth_;
    bool all_zero = true;
    for (int64_t i = 0; i < total && all_zero; ++i) all_zero = x[i] == 0.0f;
    int8_t* q = static_cast<int8_t*>(ctx.Scratch(scratch_quantized_));
    const float lo = range_f_.min;
    const float hi = range_f_.max;
    for (int r = 0; r < batches_; ++r) {
      float* yr = y + static_cast<size_t>(r) * units_;
      for (int u = 0; u < units_; ++u) yr[u] = b != nullptr ? b[u] : 0.f;
      if (!all_zero) {
        const float* xr = x + static_cast<size_t>(r) * depth_;
        float scale = 1.f;
        int32_t offset = 0;
        if (asymmetric_) {
          reference::AsymmetricQuantizeFloats(xr, depth_, q, &scale, &offset);
        } else {
          reference::SymmetricQuantizeFloats(xr, depth_, q, &scale);
        }
        if (hybrid_scales_.empty()) scale *= hybrid_scale_;
        reference::PackedMatVec<int32_t>(packed_->q.data(), units_, depth_, q, 0,
                                         [&](int u, int32_t dot) {
                                           float s = scale;
                                           if (!hybrid_scales_.empty())
                                             s *= hybrid_scales_[u];
                                           if (asymmetric_)
                                             dot -= packed_->row_sums[u] * offset;
                                           yr[u] += static_cast<float>(dot) * s;
                                         });
      }
      for (int u = 0; u < units_; ++u)
        yr[u] = std::min(hi, std::max(lo, yr[u]));
    }
  }

  Mode mode_ = Mode::kFloat;
  tfl::ActivationFunctionType activation_ = tfl::ActivationFunctionType_NONE;
  bool asymmetric_ = false;
  bool bias64_ = false;
  int units_ = 0;
  int depth_ = 0;
  int batches_ = 0;
  FloatRange range_f_{};
  QuantRange range_q_{};
  int32_t input_offset_ = 0;
  int32_t weights_offset_ = 0;
  int32_t output_offset_ = 0;
  std::vector<QuantizedMultiplier> multipliers_;
  float hybrid_scale_ = 1.f;
  std::vector<float> hybrid_scales_;
  int scratch_quantized_ = -1;

  bool pack_at_eval_ = false;
  std::shared_ptr<const FullyConnectedPacked> packed_;
  // Packed at every Eval when the weights are not constant; never shared.
  std::shared_ptr<FullyConnectedPacked> eval_packed_;
};

}  // namespace

void RegisterFullyConnectedKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_FULLY_CONNECTED, [] {
    return std::unique_ptr<OpKernel>(new FullyConnectedKernel());
  });
}

}  // namespace edgerun::kernels
