// Optimized 8-bit convolutions (uint8 per-tensor and int8 per-channel,
// TFLite semantics, bit-identical to kernels/reference/conv.h).
//
// CONV_2D is lowered to a GEMM: each output pixel is one row of an im2col
// matrix of int16 values (q - input zero point), built one cache-sized
// block of rows at a time in scratch memory (a 1x1 stride-1 convolution,
// most of MobileNet, is a plain widening copy); the filter is packed once
// into int16 panels (q - filter zero point) that the micro-kernels read
// sequentially. int16 x int16 products summed in pairs into int32 (x86
// vpmaddwd / vpdpwssd) cannot overflow for 8-bit data, and the int32 sums
// equal TFLite's accumulator exactly.
//
// Ownership: the packed weights and output stage (PackedConvGemm,
// PackedDepthwiseConv) are separate immutable objects held by shared_ptr, so
// every interpreter of one model can run on a single packed copy (see
// kernels/shared_data_cache.h). Thread-safety: Pack/Set mutate a weights
// object before it is shared; afterwards it is read-only. Run is const and
// may be called from several threads with distinct scratch and output
// buffers.
#ifndef EDGERUN_KERNELS_OPTIMIZED_CONV_8BIT_H_
#define EDGERUN_KERNELS_OPTIMIZED_CONV_8BIT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/optimized/conv_internal.h"
#include "kernels/reference/conv.h"

namespace edgerun::kernels::optimized {

// Which micro-kernels run: the best the CPU has, or the portable ones
// (tests compare both).
enum class ConvIsa { kAuto, kGeneric };

// Per-output-channel bias and requantization of an 8-bit convolution,
// padded to whole kernel panels. Value type.
class OutputStage8 {
 public:
  // bias may be null (zeros). multiplier/shift: TFLite's per-channel
  // QuantizeMultiplier results (shift > 0 = left shift). fp32_scale: when
  // not null, requantize the XNNPACK way with these float multipliers
  // instead (see internal::Requant8).
  void Set(int channels, const int32_t* bias, const int32_t* multiplier,
           const int* shift, int32_t output_offset, int32_t act_min,
           int32_t act_max, const float* fp32_scale = nullptr);
  // Pointers into this object: valid while it lives and is not Set again.
  internal::Requant8 view() const;
  size_t ByteSize() const;

 private:
  std::vector<int32_t> bias_, multiplier_, left_shift_, right_shift_;
  std::vector<float> scale_;
  bool fp32_ = false;
  int32_t output_offset_ = 0;
  int32_t act_min_ = 0;
  int32_t act_max_ = 0;
};

// The filter of a QuantizedConvGemm packed into int16 panels, with its
// output stage. Built once (Pack, output_stage().Set), then shared
// read-only by any number of QuantizedConvGemm.
class PackedConvGemm {
 public:
  // `filter` is [out_c][k] with k = filter_h * filter_w * in_c; the integer
  // weight is filter + filter_offset (TFLite's weights_offset).
  template <typename Filter>
  void Pack(const Filter* filter, int out_c, int k, int32_t filter_offset) {
    out_c_ = out_c;
    k_ = k;
    kp_ = (k + 1) & ~1;
    const int panels = (out_c + internal::kPanel - 1) / internal::kPanel;
    packed_.assign(static_cast<size_t>(panels) * kp_ * internal::kPanel, 0);
    for (int oc = 0; oc < out_c; ++oc) {
      int16_t* panel =
          packed_.data() +
          static_cast<size_t>(oc / internal::kPanel) * kp_ * internal::kPanel;
      const int lane = oc % internal::kPanel;
      const Filter* row = filter + static_cast<int64_t>(oc) * k;
      for (int i = 0; i < k; ++i) {
        panel[(i / 2) * 2 * internal::kPanel + lane * 2 + (i % 2)] =
            static_cast<int16_t>(static_cast<int32_t>(row[i]) + filter_offset);
      }
    }
  }
  OutputStage8& output_stage() { return stage_; }
  const OutputStage8& output_stage() const { return stage_; }

  int out_c() const { return out_c_; }
  int padded_depth() const { return kp_; }  // k rounded up to even
  const int16_t* panels() const { return packed_.data(); }
  size_t ByteSize() const;

 private:
  int out_c_ = 0;
  int k_ = 0;
  int kp_ = 0;
  std::vector<int16_t> packed_;
  OutputStage8 stage_;
};

// CONV_2D with groups == 1 on uint8 or int8 data, over PackedConvGemm
// weights it shares.
class QuantizedConvGemm {
 public:
  void set_weights(std::shared_ptr<const PackedConvGemm> weights) {
    weights_ = std::move(weights);
  }
  const std::shared_ptr<const PackedConvGemm>& weights() const {
    return weights_;
  }
  void set_isa(ConvIsa isa) { isa_ = isa; }

  // Scratch bytes Run needs for this geometry (known before Pack).
  static size_t ScratchBytes(const reference::ConvShape& s);
  // Needs weights; s.groups must be 1 and s.out_c / the filter's k must
  // match the weights.
  void Run(const reference::ConvShape& s, const uint8_t* input,
           int32_t input_offset, uint8_t* output, void* scratch) const;
  void Run(const reference::ConvShape& s, const int8_t* input,
           int32_t input_offset, int8_t* output, void* scratch) const;

 private:
  static int PaddedDepth(const reference::ConvShape& s);
  static int BlockRows(const reference::ConvShape& s);
  template <typename In>
  void RunImpl(const reference::ConvShape& s, const In* input,
               int32_t input_offset, uint8_t* output, void* scratch) const;

  std::shared_ptr<const PackedConvGemm> weights_;
  ConvIsa isa_ = ConvIsa::kAuto;
};

// The filter of a QuantizedDepthwiseConv widened to int32 (weight + filter
// offset) per tap and channel, with its output stage. Built once, then
// shared read-only.
class PackedDepthwiseConv {
 public:
  // `filter` is [filter_h * filter_w][channels]; weight = filter +
  // filter_offset.
  template <typename Filter>
  void Pack(const Filter* filter, int taps, int channels,
            int32_t filter_offset) {
    channels_ = channels;
    padded_ =
        (channels + internal::kPanel - 1) / internal::kPanel * internal::kPanel;
    weights_.assign(static_cast<size_t>(taps) * padded_, 0);
    for (int t = 0; t < taps; ++t) {
      for (int c = 0; c < channels; ++c) {
        weights_[static_cast<size_t>(t) * padded_ + c] =
            static_cast<int32_t>(
                filter[static_cast<int64_t>(t) * channels + c]) +
            filter_offset;
      }
    }
  }
  OutputStage8& output_stage() { return stage_; }
  const OutputStage8& output_stage() const { return stage_; }

  int channels() const { return channels_; }
  int padded_channels() const { return padded_; }
  const int32_t* weights() const { return weights_.data(); }
  size_t ByteSize() const;

 private:
  int channels_ = 0;
  int padded_ = 0;
  std::vector<int32_t> weights_;
  OutputStage8 stage_;
};

// DEPTHWISE_CONV_2D with depth_multiplier == 1 on uint8 or int8 data, over
// PackedDepthwiseConv weights it shares.
class QuantizedDepthwiseConv {
 public:
  void set_weights(std::shared_ptr<const PackedDepthwiseConv> weights) {
    weights_ = std::move(weights);
  }
  const std::shared_ptr<const PackedDepthwiseConv>& weights() const {
    return weights_;
  }
  void set_isa(ConvIsa isa) { isa_ = isa; }

  // Needs weights; s.depth_multiplier must be 1 and s.in_c == s.out_c ==
  // the weights' channels.
  void Run(const reference::ConvShape& s, const uint8_t* input,
           int32_t input_offset, uint8_t* output) const;
  void Run(const reference::ConvShape& s, const int8_t* input,
           int32_t input_offset, int8_t* output) const;

 private:
  void RunImpl(const reference::ConvShape& s, const uint8_t* input,
               bool input_signed, int32_t input_offset, uint8_t* output) const;

  std::shared_ptr<const PackedDepthwiseConv> weights_;
  ConvIsa isa_ = ConvIsa::kAuto;
};

}  // namespace edgerun::kernels::optimized

#endif  // EDGERUN_KERNELS_OPTIMIZED_CONV_8BIT_H_
