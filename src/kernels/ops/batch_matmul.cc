// BATCH_MATMUL: output[..., m, n] = sum_k lhs[..., m, k] * rhs[..., k, n]
// (adj_x / adj_y transpose the last two dims of lhs / rhs), numpy
// broadcasting over the leading (batch) dims, ranks 2..5, TensorFlow Lite
// semantics for float32, int8 (per-tensor, int32 accumulation) and int16
// (zero points 0, int64 accumulation). No fused activation: quantized
// outputs clamp to the type's range.
//
// Each rhs batch matrix is packed as its transpose (reference/matmul.h):
// once in Prepare when rhs is constant, at every Eval otherwise.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/matrix_ops.h"
#include "kernels/reference/matmul.h"
#include "kernels/reference/quantization.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

constexpr int kMaxRank = 5;

// One kernel per node; owns the packed rhs and buffers sized in Prepare.
// Thread-safety: as OpKernel.
class BatchMatMulKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(CheckArity(ctx, 2, 2, 1));
    const Tensor* lhs = ctx.input(0);
    const Tensor* rhs = ctx.input(1);
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(CheckPresent(ctx, lhs, "lhs"));
    RETURN_IF_ERROR(CheckPresent(ctx, rhs, "rhs"));
    RETURN_IF_ERROR(CheckPresent(ctx, output, "output"));
    adj_x_ = false;
    adj_y_ = false;
    if (const auto* o =
            ctx.node().op == nullptr
                ? nullptr
                : ctx.node().op->builtin_options_as_BatchMatMulOptions()) {
      adj_x_ = o->adj_x();
      adj_y_ = o->adj_y();
    }
    const int lr = lhs->shape.rank();
    const int rr = rhs->shape.rank();
    if (lr < 2 || lr > kMaxRank || rr < 2 || rr > kMaxRank) {
      return ctx.InvalidArgument("lhs and rhs ranks must be in [2, 5], got " +
                                 std::to_string(lr) + " and " +
                                 std::to_string(rr));
    }
    RETURN_IF_ERROR(PrepareTypes(ctx, *lhs, *rhs, *output));

    rank_ = std::max(lr, rr);
    std::vector<int32_t> ld(rank_, 1), rd(rank_, 1);
    for (int i = 0; i < lr; ++i) ld[rank_ - lr + i] = lhs->shape.dim(i);
    for (int i = 0; i < rr; ++i) rd[rank_ - rr + i] = rhs->shape.dim(i);
    m_ = adj_x_ ? ld[rank_ - 1] : ld[rank_ - 2];
    k_ = adj_x_ ? ld[rank_ - 2] : ld[rank_ - 1];
    const int rk = adj_y_ ? rd[rank_ - 1] : rd[rank_ - 2];
    n_ = adj_y_ ? rd[rank_ - 2] : rd[rank_ - 1];
    if (k_ != rk) {
      return ctx.InvalidArgument(
          "inner dimensions differ: lhs " + lhs->shape.ToString() + " rhs " +
          rhs->shape.ToString() + " (adj_x=" + std::to_string(adj_x_) +
          ", adj_y=" + std::to_string(adj_y_) + ")");
    }
    std::vector<int32_t> out_dims(rank_);
    batch_dims_.assign(rank_ - 2, 1);
    lhs_strides_.assign(rank_ - 2, 0);
    rhs_strides_.assign(rank_ - 2, 0);
    int64_t ls = 1, rs = 1;
    for (int i = rank_ - 3; i >= 0; --i) {
      if (ld[i] != rd[i] && ld[i] != 1 && rd[i] != 1) {
        return ctx.InvalidArgument("batch dimensions of " +
                                   lhs->shape.ToString() + " and " +
                                   rhs->shape.ToString() + " do not broadcast");
      }
      batch_dims_[i] = ld[i] == 1 ? rd[i] : ld[i];
      lhs_strides_[i] = ld[i] == 1 ? 0 : ls;
      rhs_strides_[i] = rd[i] == 1 ? 0 : rs;
      ls *= ld[i];
      rs *= rd[i];
      out_dims[i] = batch_dims_[i];
    }
    rhs_batches_ = static_cast<int>(rs);
    out_dims[rank_ - 2] = m_;
    out_dims[rank_ - 1] = n_;

    pack_at_eval_ = !rhs->is_constant;
    if (!pack_at_eval_ && packed_source_ != rhs->data) PackRhs(*rhs);
    lhs_row_.assign(static_cast<size_t>(k_) * (float_ ? 4 : 2), 0);
    return ctx.ResizeOutput(0, Shape(std::move(out_dims)));
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* lhs = ctx.input(0);
    const Tensor* rhs = ctx.input(1);
    Tensor* output = ctx.output(0);
    if (output->NumElements() == 0) return OkStatus();
    if (pack_at_eval_) PackRhs(*rhs);
    switch (lhs->type) {
      case DataType::kFloat32:
        Run<float, float>(*lhs, *output, 0.f, [&](float acc) { return acc; });
        break;
      case DataType::kInt8:
        Run<int8_t, int32_t>(*lhs, *output, input_offset_, [&](int32_t acc) {
          int32_t v =
              reference::MultiplyByQuantizedMultiplier(acc, multiplier_) +
              output_offset_;
          return static_cast<int8_t>(
              std::min<int32_t>(127, std::max<int32_t>(-128, v)));
        });
        break;
      default:
        Run<int16_t, int64_t>(*lhs, *output, 0, [&](int64_t acc) {
          int32_t v = reference::MultiplyByQuantizedMultiplier(
                          acc, multiplier_.multiplier, multiplier_.shift) +
                      output_offset_;
          return static_cast<int16_t>(
              std::min<int32_t>(32767, std::max<int32_t>(-32768, v)));
        });
        break;
    }
    return OkStatus();
  }

 private:
  Status PrepareTypes(KernelContext& ctx, const Tensor& lhs, const Tensor& rhs,
                      const Tensor& output) {
    if (lhs.type != rhs.type || output.type != lhs.type) {
      return ctx.Unimplemented(
          "lhs " + TypeName(lhs.type) + ", rhs " + TypeName(rhs.type) +
          ", output " + TypeName(output.type) +
          ": only matching float32, int8 or int16 types are supported");
    }
    float_ = lhs.type == DataType::kFloat32;
    if (float_) return OkStatus();
    if (lhs.type != DataType::kInt8 && lhs.type != DataType::kInt16) {
      return ctx.Unimplemented("type " + TypeName(lhs.type) +
                               " is not supported");
    }
    if (!lhs.quant.quantized() || !rhs.quant.quantized() ||
        !output.quant.quantized()) {
      return ctx.InvalidArgument(
          "quantized BATCH_MATMUL needs scales on all tensors");
    }
    if (lhs.quant.per_channel() || rhs.quant.per_channel() ||
        output.quant.per_channel()) {
      return ctx.Unimplemented("per-channel quantization is not supported");
    }
    if (lhs.type == DataType::kInt16 &&
        (lhs.quant.zero_point0() != 0 || rhs.quant.zero_point0() != 0 ||
         output.quant.zero_point0() != 0)) {
      return ctx.InvalidArgument("int16 BATCH_MATMUL needs zero points 0");
    }
    if (!(output.quant.scale0() > 0))
      return ctx.InvalidArgument("output scale must be positive");
    multiplier_ = reference::QuantizeMultiplier(
        static_cast<double>(lhs.quant.scale0()) *
        static_cast<double>(rhs.quant.scale0()) /
        static_cast<double>(output.quant.scale0()));
    input_offset_ = -lhs.quant.zero_point0();
    rhs_offset_ = -rhs.quant.zero_point0();
    output_offset_ = output.quant.zero_point0();
    return OkStatus();
  }

  // Packs every rhs batch matrix as its [N, K] transpose.
  void PackRhs(const Tensor& rhs) {
    const size_t mat = static_cast<size_t>(k_) * n_;
    const size_t stride = static_cast<size_t>(reference::PackedBlocks(n_)) *
                          reference::kPackRows * k_;
    packed_stride_ = stride;
    if (float_) {
      packed_f_.assign(stride * rhs_batches_, 0.f);
    } else {
      packed_q_.assign(stride * rhs_batches_, 0);
    }
    std::vector<float> tf;
    std::vector<int16_t> tq;
    std::vector<float> tmp_f(float_ ? mat : 0);
    std::vector<int32_t> tmp_q(float_ ? 0 : mat);
    for (int b = 0; b < rhs_batches_; ++b) {
      // Gather B^T[n][k] into a contiguous [N, K] matrix.
      for (int n = 0; n < n_; ++n) {
        for (int k = 0; k < k_; ++k) {
          const size_t src =
              b * mat + (adj_y_ ? static_cast<size_t>(n) * k_ + k
                                : static_cast<size_t>(k) * n_ + n);
          const size_t dst = static_cast<size_t>(n) * k_ + k;
          switch (rhs.type) {
            case DataType::kFloat32:
              tmp_f[dst] = rhs.data_as<float>()[src];
              break;
            case DataType::kInt8:
              tmp_q[dst] = rhs.data_as<int8_t>()[src];
              break;
            default:
              tmp_q[dst] = rhs.data_as<int16_t>()[src];
              break;
          }
        }
      }
      if (float_) {
        reference::PackRowsFloat(tmp_f.data(), n_, k_, tf);
        std::copy(tf.begin(), tf.end(), packed_f_.begin() + stride * b);
      } else {
        reference::PackRows<int16_t>(tmp_q.data(), n_, k_, rhs_offset_, tq);
        std::copy(tq.begin(), tq.end(), packed_q_.begin() + stride * b);
      }
    }
    packed_source_ = rhs.is_constant ? rhs.data : nullptr;
  }

  template <typename T, typename Acc, typename Finish>
  void Run(const Tensor& lhs, Tensor& output, Acc x_offset, Finish&& finish) {
    const T* l = lhs.data_as<T>();
    using Out = decltype(finish(Acc()));
    Out* out = output.data_as<Out>();
    const int batch_rank = rank_ - 2;
    int64_t batches = 1;
    for (int d : batch_dims_) batches *= d;
    const size_t lmat = static_cast<size_t>(m_) * k_;
    T* row = reinterpret_cast<T*>(lhs_row_.data());
    int idx[kMaxRank] = {0};
    for (int64_t b = 0; b < batches; ++b) {
      int64_t lb = 0, rb = 0;
      for (int i = 0; i < batch_rank; ++i) {
        lb += idx[i] * lhs_strides_[i];
        rb += idx[i] * rhs_strides_[i];
      }
      const T* lm = l + lb * lmat;
      for (int m = 0; m < m_; ++m) {
        const T* xr;
        if (adj_x_) {
          for (int k = 0; k < k_; ++k)
            row[k] = lm[static_cast<size_t>(k) * m_ + m];
          xr = row;
        } else {
          xr = lm + static_cast<size_t>(m) * k_;
        }
        Out* orow = out + (b * m_ + m) * static_cast<int64_t>(n_);
        if constexpr (std::is_same_v<T, float>) {
          reference::PackedMatVec<float>(
              packed_f_.data() + rb * packed_stride_, n_, k_, xr, 0.f,
              [&](int n, float acc) { orow[n] = finish(acc); });
        } else {
          reference::PackedMatVec<Acc>(
              packed_q_.data() + rb * packed_stride_, n_, k_, xr, x_offset,
              [&](int n, Acc acc) { orow[n] = finish(acc); });
        }
      }
      for (int i = batch_rank - 1; i >= 0; --i) {
        if (++idx[i] < batch_dims_[i]) break;
        idx[i] = 0;
      }
    }
  }

  bool adj_x_ = false;
  bool adj_y_ = false;
  bool float_ = true;
  int rank_ = 2;
  int m_ = 0;
  int k_ = 0;
  int n_ = 0;
  int rhs_batches_ = 1;
  std::vector<int> batch_dims_;
  std::vector<int64_t> lhs_strides_;
  std::vector<int64_t> rhs_strides_;
  reference::QuantizedMultiplier multiplier_;
  int32_t input_offset_ = 0;
  int32_t rhs_offset_ = 0;
  int32_t output_offset_ = 0;
  bool pack_at_eval_ = false;
  const void* packed_source_ = nullptr;
  size_t packed_stride_ = 0;
  std::vector<float> packed_f_;
  std::vector<int16_t> packed_q_;
  std::vector<uint8_t> lhs_row_;
};

}  // namespace

void RegisterBatchMatMulKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_BATCH_MATMUL, [] {
    return std::unique_ptr<OpKernel>(new BatchMatMulKernel());
  });
}

}  // namespace edgerun::kernels
