// What the XNNPACK backend can run, and how: the single source of truth
// that both XnnpackBackend::Supports and the segment compiler use, so that
// the planner's answer and the compiled subgraph cannot drift apart.
//
// PlanNode inspects one node (op, dtypes, quantization, constness, options)
// and either refuses it with a reason naming the op ("CONV_2D: int16
// activations not supported by XNNPACK") or fills an XnnOpPlan: the XNNPACK
// subgraph node to define and its parameters. The acceptance rules follow
// TensorFlow Lite's XNNPACK delegate, restricted to what Debian's XNNPACK
// (2022-02) implements, and to configurations where XNNPACK's arithmetic
// equals edgerun's CPU kernels (docs/numerics.md).
//
// Thread-safety: pure functions.
#ifndef EDGERUN_BACKENDS_XNNPACK_XNNPACK_SUPPORT_H_
#define EDGERUN_BACKENDS_XNNPACK_XNNPACK_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "planner/graph_view.h"
#include "planner/partitioner.h"

namespace edgerun::backends::xnnpack {

enum class XnnOpKind {
  kConvolution2D,
  kDepthwiseConvolution2D,
  kFullyConnected,
  kAveragePooling2D,
  kMaxPooling2D,
  kGlobalAveragePooling2D,  // MEAN over H, W
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kMaximum,
  kMinimum,
  kSquaredDifference,
  kClamp,
  kHardSwish,
  kLeakyRelu,
  kSigmoid,
  kSoftmax,
  kReshape,
  kConstantPad,
  kResizeBilinear,
};

// One XNNPACK subgraph node. Tensor indices refer to the GraphView.
struct XnnOpPlan {
  XnnOpKind kind = XnnOpKind::kClamp;
  // Data inputs in XNNPACK order (input, filter, bias; or input1, input2);
  // -1 for an absent bias.
  std::vector<int> inputs;
  int output = -1;

  // Convolution / pooling window.
  bool same_padding = false;  // XNN_FLAG_TENSORFLOW_SAME_PADDING
  uint32_t kernel_h = 0, kernel_w = 0;
  uint32_t stride_h = 1, stride_w = 1;
  uint32_t dilation_h = 1, dilation_w = 1;
  uint32_t depth_multiplier = 1;
  size_t input_channels = 0, output_channels = 0;

  // Fused activation (or the clamp bounds), in real (dequantized) units.
  float output_min = -std::numeric_limits<float>::infinity();
  float output_max = std::numeric_limits<float>::infinity();

  float alpha = 0.f;              // LEAKY_RELU slope
  uint32_t flags = 0;             // XNN_FLAG_* for the define call
  std::vector<size_t> new_shape;  // RESHAPE target; MEAN without keep_dims
  std::vector<size_t> pre_paddings, post_paddings;  // PAD
  size_t new_height = 0, new_width = 0;             // RESIZE_BILINEAR
};

// Decides whether `node` can run on XNNPACK; on yes fills *plan (may be
// null when only the answer is wanted).
planner::NodeSupport PlanNode(const planner::GraphView& graph, int node,
                              XnnOpPlan* plan);

}  // namespace edgerun::backends::xnnpack

#endif  // EDGERUN_BACKENDS_XNNPACK_XNNPACK_SUPPORT_H_
