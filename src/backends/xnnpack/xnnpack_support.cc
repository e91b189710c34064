#include "backends/xnnpack/xnnpack_support.h"

#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "format/tflite_generated.h"
#include "kernels/reference/binary_arithmetic.h"

namespace edgerun::backends::xnnpack {
namespace {

using kernels::QuantParams;
using kernels::Tensor;
using planner::GraphView;
using planner::NodeSupport;

// Carries the refusal reason out of the per-op checks; the op name prefix
// is added once in PlanNode.
struct Refusal {
  std::string why;
};

bool Is8Bit(DataType t) {
  return t == DataType::kInt8 || t == DataType::kUInt8;
}

std::string TypeStr(DataType t) {
  const std::string_view n = DataTypeName(t);
  return n.empty() ? "type " + std::to_string(static_cast<int>(t))
                   : std::string(n);
}

int32_t TypeMin(DataType t) { return t == DataType::kInt8 ? -128 : 0; }
int32_t TypeMax(DataType t) { return t == DataType::kInt8 ? 127 : 255; }

// Per-tensor quantization XNNPACK accepts for an activation: a normal
// positive scale and a zero point inside the type (the delegate's
// CheckAffineQuantization).
bool CheckActivationQuant(const Tensor& t, const char* role, Refusal* r) {
  const QuantParams& q = t.quant;
  if (!q.quantized() || q.zero_point.empty()) {
    r->why = std::string(role) + " has no quantization parameters";
    return false;
  }
  if (q.per_channel() || q.zero_point.size() != 1) {
    r->why = std::string("per-channel quantized ") + role +
             " not supported by XNNPACK";
    return false;
  }
  if (!std::isnormal(q.scale[0]) || q.scale[0] <= 0.f) {
    r->why = std::string(role) + " scale " + std::to_string(q.scale[0]) +
             " is not a normal positive number";
    return false;
  }
  if (q.zero_point[0] < TypeMin(t.type) || q.zero_point[0] > TypeMax(t.type)) {
    r->why = std::string(role) + " zero point out of range";
    return false;
  }
  return true;
}

// A data tensor (activation) flowing through XNNPACK: static shape, a
// type XNNPACK handles, `want` when given, and valid quantization.
bool CheckActivation(const Tensor& t, const char* role, DataType want,
                     Refusal* r) {
  if (t.type != DataType::kFloat32 && !Is8Bit(t.type)) {
    r->why = TypeStr(t.type) + " " + role + " not supported by XNNPACK";
    return false;
  }
  if (t.type != want) {
    r->why = std::string(role) + " is " + TypeStr(t.type) + ", expected " +
             TypeStr(want);
    return false;
  }
  if (t.is_dynamic) {
    r->why = std::string(role) + " has a dynamic shape";
    return false;
  }
  if (t.shape.rank() > XNN_MAX_TENSOR_DIMS) {
    r->why = std::string(role) + " rank " + std::to_string(t.shape.rank()) +
             " exceeds XNNPACK's " + std::to_string(XNN_MAX_TENSOR_DIMS);
    return false;
  }
  for (int i = 0; i < t.shape.rank(); ++i) {
    if (t.shape.dim(i) <= 0) {
      r->why = std::string(role) + " has an empty or unknown dimension";
      return false;
    }
  }
  if (Is8Bit(t.type)) return CheckActivationQuant(t, role, r);
  return true;
}

bool SameQuant(const Tensor& a, const Tensor& b) {
  return a.quant.scale == b.quant.scale &&
         a.quant.zero_point == b.quant.zero_point;
}

bool ActivationRange(tfl::ActivationFunctionType act, XnnOpPlan* p,
                     Refusal* r) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (act) {
    case tfl::ActivationFunctionType_NONE:
      p->output_min = -kInf, p->output_max = kInf;
      return true;
    case tfl::ActivationFunctionType_RELU:
      p->output_min = 0.f, p->output_max = kInf;
      return true;
    case tfl::ActivationFunctionType_RELU_N1_TO_1:
      p->output_min = -1.f, p->output_max = 1.f;
      return true;
    case tfl::ActivationFunctionType_RELU6:
      p->output_min = 0.f, p->output_max = 6.f;
      return true;
    default:
      r->why = std::string("fused ") +
               tfl::EnumNameActivationFunctionType(act) +
               " activation not supported by XNNPACK";
      return false;
  }
}

// Optional input i of the node, or nullptr.
const Tensor* InputOrNull(const GraphView& g, int node, size_t i) {
  const auto ins = g.node_inputs(node);
  if (i >= ins.size() || ins[i] < 0) return nullptr;
  return &g.tensor(ins[i]);
}

int InputIndex(const GraphView& g, int node, size_t i) {
  const auto ins = g.node_inputs(node);
  return i < ins.size() ? ins[i] : -1;
}

bool NeedInputs(const GraphView& g, int node, size_t min, size_t max,
                Refusal* r) {
  const size_t n = g.node_inputs(node).size();
  if (n < min || n > max || g.node_outputs(node).size() != 1) {
    r->why = "unexpected number of inputs or outputs";
    return false;
  }
  for (size_t i = 0; i < min; ++i) {
    if (g.node_inputs(node)[i] < 0) {
      r->why = "missing input " + std::to_string(i);
      return false;
    }
  }
  return true;
}

// Filter and bias of a quantized convolution / fully connected layer, as
// the delegate accepts them and XNNPACK's fp32 requantization handles them
// (requantization scale below 256). `channel_dim` is the filter's output
// channel dimension; per-channel filters only for int8 and only when
// `per_channel_ok`.
bool CheckQuantizedWeights(const Tensor& input, const Tensor& filter,
                           const Tensor* bias, const Tensor& output,
                           int channel_dim, bool per_channel_ok, Refusal* r) {
  if (filter.type != input.type) {
    r->why = TypeStr(filter.type) + " filter with " + TypeStr(input.type) +
             " input not supported by XNNPACK";
    return false;
  }
  if (bias == nullptr) {
    // TFLite's delegate takes these too, but edgerun's CPU kernels then use
    // TFLite's fixed-point arithmetic (numerics.md); keep them on the CPU.
    r->why = "quantized node without bias runs TFLite arithmetic on the CPU";
    return false;
  }
  if (bias->type != DataType::kInt32) {
    r->why = TypeStr(bias->type) + " bias not supported by XNNPACK";
    return false;
  }
  const QuantParams& fq = filter.quant;
  if (!fq.quantized() || fq.zero_point.empty()) {
    r->why = "filter has no quantization parameters";
    return false;
  }
  const size_t out_c = static_cast<size_t>(filter.shape.dim(channel_dim));
  if (fq.per_channel()) {
    if (!per_channel_ok || filter.type != DataType::kInt8) {
      r->why = "per-channel " + TypeStr(filter.type) +
               " filter not supported by XNNPACK here";
      return false;
    }
    if (fq.quantized_dimension != channel_dim || fq.scale.size() != out_c) {
      r->why = "per-channel filter not quantized along output channels";
      return false;
    }
  }
  if (fq.zero_point.size() != 1 && fq.zero_point.size() != fq.scale.size()) {
    r->why = "filter zero points do not match its scales";
    return false;
  }
  for (int64_t zp : fq.zero_point) {
    const bool ok =
        filter.type == DataType::kInt8 ? zp == 0 : (zp >= 0 && zp <= 255);
    if (!ok) {
      r->why = "filter zero point " + std::to_string(zp) +
               " not supported by XNNPACK";
      return false;
    }
  }
  for (float s : fq.scale) {
    if (!std::isnormal(s) || s <= 0.f) {
      r->why = "filter scale is not a normal positive number";
      return false;
    }
  }
  const QuantParams& bq = bias->quant;
  if (bq.quantized()) {
    for (int64_t zp : bq.zero_point) {
      if (zp != 0) {
        r->why = "bias zero point must be 0";
        return false;
      }
    }
    for (float s : bq.scale) {
      if (!std::isnormal(s) || s <= 0.f) {
        r->why = "bias scale is not a normal positive number";
        return false;
      }
    }
  }
  if (bias->NumElements() != static_cast<int64_t>(out_c)) {
    r->why = "bias size does not match the output channels";
    return false;
  }
  for (float s : fq.scale) {
    // Evaluated in float, as XNNPACK (and the CPU kernels) do.
    const float requant = input.quant.scale0() * s / output.quant.scale0();
    if (!(requant < 256.f)) {
      r->why = "requantization scale " + std::to_string(requant) +
               " >= 256 not supported by XNNPACK";
      return false;
    }
  }
  return true;
}

bool CheckConstant(const Tensor* t, const char* role, Refusal* r) {
  if (t != nullptr && !(t->is_constant && t->data != nullptr)) {
    r->why = std::string("dynamic ") + role;
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- CONV

bool PlanConv(const GraphView& g, int node, bool depthwise, XnnOpPlan* p,
              Refusal* r) {
  if (!NeedInputs(g, node, 2, 3, r)) return false;
  const Tensor& in = g.tensor(InputIndex(g, node, 0));
  const Tensor& filter = g.tensor(InputIndex(g, node, 1));
  const Tensor* bias = InputOrNull(g, node, 2);
  const Tensor& out = g.tensor(g.node_outputs(node)[0]);
  if (!CheckActivation(in, "input", in.type, r) ||
      !CheckActivation(out, "output", in.type, r)) {
    return false;
  }
  if (in.shape.rank() != 4 || out.shape.rank() != 4 ||
      filter.shape.rank() != 4) {
    r->why = "input, filter and output must be 4-D";
    return false;
  }
  if (!CheckConstant(&filter, "filter", r) || !CheckConstant(bias, "bias", r))
    return false;
  const int channel_dim = depthwise ? 3 : 0;
  if (in.type == DataType::kFloat32) {
    if (filter.type != DataType::kFloat32) {
      r->why = "hybrid float32 input with " + TypeStr(filter.type) +
               " filter not supported by XNNPACK";
      return false;
    }
    if (bias != nullptr && bias->type != DataType::kFloat32) {
      r->why = TypeStr(bias->type) + " bias with float32 input";
      return false;
    }
  } else if (!CheckQuantizedWeights(in, filter, bias, out, channel_dim,
                                    /*per_channel_ok=*/true, r)) {
    return false;
  }
  const int in_c = in.shape.dim(3);
  const int out_c = filter.shape.dim(channel_dim);
  if (out.shape.dim(3) != out_c) {
    r->why = "output channels do not match the filter";
    return false;
  }
  tfl::Padding padding;
  int stride_h, stride_w, dil_h, dil_w;
  tfl::ActivationFunctionType act;
  if (depthwise) {
    const auto* o =
        g.node(node).op->builtin_options_as_DepthwiseConv2DOptions();
    if (o == nullptr) {
      r->why = "missing options";
      return false;
    }
    padding = o->padding();
    stride_h = o->stride_h(), stride_w = o->stride_w();
    dil_h = o->dilation_h_factor(), dil_w = o->dilation_w_factor();
    act = o->fused_activation_function();
    const int dm = o->depth_multiplier();
    if (filter.shape.dim(0) != 1 || dm <= 0 || out_c % dm != 0 ||
        out_c / dm != in_c) {
      r->why = "depth_multiplier option inconsistent with the filter shape";
      return false;
    }
    p->kind = XnnOpKind::kDepthwiseConvolution2D;
    p->depth_multiplier = static_cast<uint32_t>(dm);
    p->kernel_h = filter.shape.dim(1), p->kernel_w = filter.shape.dim(2);
  } else {
    const auto* o = g.node(node).op->builtin_options_as_Conv2DOptions();
    if (o == nullptr) {
      r->why = "missing options";
      return false;
    }
    padding = o->padding();
    stride_h = o->stride_h(), stride_w = o->stride_w();
    dil_h = o->dilation_h_factor(), dil_w = o->dilation_w_factor();
    act = o->fused_activation_function();
    const int filter_c = filter.shape.dim(3);
    if (filter_c <= 0 || in_c % filter_c != 0 ||
        out_c % (in_c / filter_c) != 0) {
      r->why = "input channels do not match the filter";
      return false;
    }
    p->kind = XnnOpKind::kConvolution2D;
    p->depth_multiplier = static_cast<uint32_t>(in_c / filter_c);  // groups
    p->kernel_h = filter.shape.dim(1), p->kernel_w = filter.shape.dim(2);
  }
  if (stride_h <= 0 || stride_w <= 0 || dil_h <= 0 || dil_w <= 0) {
    r->why = "non-positive stride or dilation";
    return false;
  }
  if (padding != tfl::Padding_SAME && padding != tfl::Padding_VALID) {
    r->why = "unknown padding";
    return false;
  }
  if (!ActivationRange(act, p, r)) return false;
  p->same_padding = padding == tfl::Padding_SAME;
  p->stride_h = stride_h, p->stride_w = stride_w;
  p->dilation_h = dil_h, p->dilation_w = dil_w;
  p->input_channels = in_c;
  p->output_channels = out_c;
  p->inputs = {InputIndex(g, node, 0), InputIndex(g, node, 1),
               bias != nullptr ? InputIndex(g, node, 2) : -1};
  return true;
}

// ------------------------------------------------------ FULLY_CONNECTED

bool PlanFullyConnected(const GraphView& g, int node, XnnOpPlan* p,
                        Refusal* r) {
  if (!NeedInputs(g, node, 2, 3, r)) return false;
  const Tensor& in = g.tensor(InputIndex(g, node, 0));
  const Tensor& filter = g.tensor(InputIndex(g, node, 1));
  const Tensor* bias = InputOrNull(g, node, 2);
  const Tensor& out = g.tensor(g.node_outputs(node)[0]);
  if (!CheckActivation(in, "input", in.type, r) ||
      !CheckActivation(out, "output", in.type, r)) {
    return false;
  }
  if (!CheckConstant(&filter, "filter", r) || !CheckConstant(bias, "bias", r))
    return false;
  if (filter.shape.rank() != 2) {
    r->why = "filter must be 2-D";
    return false;
  }
  if (in.type == DataType::kFloat32) {
    if (filter.type != DataType::kFloat32) {
      r->why = "hybrid float32 input with " + TypeStr(filter.type) +
               " weights not supported";
      return false;
    }
    if (bias != nullptr && bias->type != DataType::kFloat32) {
      r->why = TypeStr(bias->type) + " bias with float32 input";
      return false;
    }
  } else if (!CheckQuantizedWeights(in, filter, bias, out, 0,
                                    /*per_channel_ok=*/false, r)) {
    return false;
  }
  const auto* o = g.node(node).op->builtin_options_as_FullyConnectedOptions();
  tfl::ActivationFunctionType act = tfl::ActivationFunctionType_NONE;
  bool keep_num_dims = false;
  if (o != nullptr) {
    if (o->weights_format() !=
        tfl::FullyConnectedOptionsWeightsFormat_DEFAULT) {
      r->why = "shuffled weights format not supported by XNNPACK";
      return false;
    }
    act = o->fused_activation_function();
    keep_num_dims = o->keep_num_dims();
  }
  if (!ActivationRange(act, p, r)) return false;
  const int64_t in_c = filter.shape.dim(1);
  const int64_t out_c = filter.shape.dim(0);
  if (in.NumElements() % in_c != 0 ||
      out.shape.dim(out.shape.rank() - 1) != out_c) {
    r->why = "input or output size does not match the weights";
    return false;
  }
  if (keep_num_dims) {
    if (in.shape.dim(in.shape.rank() - 1) != in_c ||
        out.shape.rank() != in.shape.rank()) {
      r->why = "keep_num_dims with a reshaping input";
      return false;
    }
  } else {
    if (out.shape.rank() != 2) {
      r->why = "output must be 2-D without keep_num_dims";
      return false;
    }
    p->flags |= XNN_FLAG_TENSORFLOW_RESHAPE_2D;
  }
  p->kind = XnnOpKind::kFullyConnected;
  p->inputs = {InputIndex(g, node, 0), InputIndex(g, node, 1),
               bias != nullptr ? InputIndex(g, node, 2) : -1};
  return true;
}

// --------------------------------------------------------------- POOLING

bool PlanPool(const GraphView& g, int node, bool max_pool, XnnOpPlan* p,
              Refusal* r) {
  if (!NeedInputs(g, node, 1, 1, r)) return false;
  const Tensor& in = g.tensor(InputIndex(g, node, 0));
  const Tensor& out = g.tensor(g.node_outputs(node)[0]);
  if (!CheckActivation(in, "input", in.type, r) ||
      !CheckActivation(out, "output", in.type, r)) {
    return false;
  }
  if (in.shape.rank() != 4) {
    r->why = "input must be 4-D";
    return false;
  }
  if (in.type != DataType::kFloat32) {
    if (!max_pool) {
      r->why =
          "quantized average pooling not in XNNPACK 2022-02's subgraph API";
      return false;
    }
    if (!SameQuant(in, out)) {
      r->why = "input and output quantization differ";
      return false;
    }
  }
  const auto* o = g.node(node).op->builtin_options_as_Pool2DOptions();
  if (o == nullptr) {
    r->why = "missing options";
    return false;
  }
  if (o->stride_h() <= 0 || o->stride_w() <= 0 || o->filter_height() <= 0 ||
      o->filter_width() <= 0) {
    r->why = "non-positive stride or filter size";
    return false;
  }
  if (!ActivationRange(o->fused_activation_function(), p, r)) return false;
  if (o->filter_height() == 1 && o->filter_width() == 1) {
    // XNNPACK rejects 1x1 windows; with stride 1 the op is an activation.
    if (o->stride_h() != 1 || o->stride_w() != 1) {
      r->why = "1x1 pooling window not supported by XNNPACK";
      return false;
    }
    p->kind = XnnOpKind::kClamp;
  } else {
    p->kind =
        max_pool ? XnnOpKind::kMaxPooling2D : XnnOpKind::kAveragePooling2D;
  }
  p->same_padding = o->padding() == tfl::Padding_SAME;
  p->kernel_h = o->filter_height(), p->kernel_w = o->filter_width();
  p->stride_h = o->stride_h(), p->stride_w = o->stride_w();
  p->inputs = {InputIndex(g, node, 0)};
  return true;
}

// ---------------------------------------------------------- ELEMENTWISE

bool PlanBinary(const GraphView& g, int node, int code, XnnOpPlan* p,
                Refusal* r) {
  if (!NeedInputs(g, node, 2, 2, r)) return false;
  const Tensor& a = g.tensor(InputIndex(g, node, 0));
  const Tensor& b = g.tensor(InputIndex(g, node, 1));
  const Tensor& out = g.tensor(g.node_outputs(node)[0]);
  if (!CheckActivation(a, "input 0", a.type, r) ||
      !CheckActivation(b, "input 1", a.type, r) ||
      !CheckActivation(out, "output", a.type, r)) {
    return false;
  }
  if (a.is_constant && b.is_constant) {
    r->why = "all inputs constant";
    return false;
  }
  const tfl::Operator* op = g.node(node).op;
  tfl::ActivationFunctionType act = tfl::ActivationFunctionType_NONE;
  switch (code) {
    case tfl::BuiltinOperator_ADD:
      p->kind = XnnOpKind::kAdd;
      if (auto* o = op->builtin_options_as_AddOptions()) {
        act = o->fused_activation_function();
      }
      break;
    case tfl::BuiltinOperator_SUB:
      p->kind = XnnOpKind::kSubtract;
      if (auto* o = op->builtin_options_as_SubOptions()) {
        act = o->fused_activation_function();
      }
      break;
    case tfl::BuiltinOperator_MUL:
      p->kind = XnnOpKind::kMultiply;
      if (auto* o = op->builtin_options_as_MulOptions()) {
        act = o->fused_activation_function();
      }
      break;
    case tfl::BuiltinOperator_DIV:
      p->kind = XnnOpKind::kDivide;
      if (auto* o = op->builtin_options_as_DivOptions()) {
        act = o->fused_activation_function();
      }
      break;
    case tfl::BuiltinOperator_MAXIMUM:
      p->kind = XnnOpKind::kMaximum;
      break;
    case tfl::BuiltinOperator_MINIMUM:
      p->kind = XnnOpKind::kMinimum;
      break;
    default:
      p->kind = XnnOpKind::kSquaredDifference;
      break;
  }
  if (!ActivationRange(act, p, r)) return false;
  if (a.type != DataType::kFloat32) {
    const bool add_like =
        p->kind == XnnOpKind::kAdd || p->kind == XnnOpKind::kSubtract;
    if (!add_like && p->kind != XnnOpKind::kMultiply) {
      r->why = "quantized " + TypeStr(a.type) + " not supported by XNNPACK";
      return false;
    }
    // The CPU kernels use XNNPACK's arithmetic exactly when XNNPACK accepts
    // the scales (binary_arithmetic.h); outside that range they run
    // TFLite's, and so must the node.
    bool ok;
    if (add_like) {
      kernels::reference::XnnAddParams unused;
      ok = kernels::reference::MakeXnnAddParams(
          a.quant.scale0(), a.quant.zero_point0(), b.quant.scale0(),
          b.quant.zero_point0(), out.quant.scale0(), out.quant.zero_point0(),
          p->kind == XnnOpKind::kSubtract, &unused);
    } else {
      kernels::reference::XnnMulParams unused;
      ok = kernels::reference::MakeXnnMulParams(
          a.quant.scale0(), a.quant.zero_point0(), b.quant.scale0(),
          b.quant.zero_point0(), out.quant.scale0(), out.quant.zero_point0(),
          &unused);
    }
    if (!ok) {
      r->why = "input-to-output scale ratio outside XNNPACK's range";
      return false;
    }
  }
  p->inputs = {InputIndex(g, node, 0), InputIndex(g, node, 1)};
  return true;
}

bool PlanUnary(const GraphView& g, int node, int code, XnnOpPlan* p,
               Refusal* r) {
  if (!NeedInputs(g, node, 1, 1, r)) return false;
  const Tensor& in = g.tensor(InputIndex(g, node, 0));
  const Tensor& out = g.tensor(g.node_outputs(node)[0]);
  if (!CheckActivation(in, "input", in.type, r) ||
      !CheckActivation(out, "output", in.type, r)) {
    return false;
  }
  const bool relu_family = code == tfl::BuiltinOperator_RELU ||
                           code == tfl::BuiltinOperator_RELU6 ||
                           code == tfl::BuiltinOperator_RELU_N1_TO_1 ||
                           code == tfl::BuiltinOperator_RELU_0_TO_1;
  if (in.type != DataType::kFloat32) {
    // XNNPACK 2022-02 has a quantized clamp (a ReLU whose input and output
    // share quantization), but no quantized leaky ReLU, hard swish or
    // softmax, and its quantized sigmoid fails at runtime creation.
    if (!relu_family) {
      r->why = "quantized " + TypeStr(in.type) + " not supported by XNNPACK";
      return false;
    }
    if (!SameQuant(in, out)) {
      r->why = "input and output quantization differ (requantizing ReLU)";
      return false;
    }
  }
  p->inputs = {InputIndex(g, node, 0)};
  switch (code) {
    case tfl::BuiltinOperator_RELU:
      p->kind = XnnOpKind::kClamp, p->output_min = 0.f;
      return true;
    case tfl::BuiltinOperator_RELU6:
      p->kind = XnnOpKind::kClamp, p->output_min = 0.f, p->output_max = 6.f;
      return true;
    case tfl::BuiltinOperator_RELU_N1_TO_1:
      p->kind = XnnOpKind::kClamp, p->output_min = -1.f, p->output_max = 1.f;
      return true;
    case tfl::BuiltinOperator_RELU_0_TO_1:
      p->kind = XnnOpKind::kClamp, p->output_min = 0.f, p->output_max = 1.f;
      return true;
    case tfl::BuiltinOperator_HARD_SWISH:
      p->kind = XnnOpKind::kHardSwish;
      return true;
    case tfl::BuiltinOperator_LOGISTIC:
      p->kind = XnnOpKind::kSigmoid;
      return true;
    case tfl::BuiltinOperator_LEAKY_RELU: {
      const auto* o = g.node(node).op->builtin_options_as_LeakyReluOptions();
      p->kind = XnnOpKind::kLeakyRelu;
      p->alpha = o != nullptr ? o->alpha() : 0.f;
      if (!std::isfinite(p->alpha)) {
        r->why = "non-finite alpha";
        return false;
      }
      return true;
    }
    case tfl::BuiltinOperator_SOFTMAX: {
      const auto* o = g.node(node).op->builtin_options_as_SoftmaxOptions();
      if (o == nullptr || o->beta() != 1.0f) {
        r->why = "beta != 1 not supported by XNNPACK";
        return false;
      }
      if (in.shape.rank() < 1) {
        r->why = "scalar input";
        return false;
      }
      p->kind = XnnOpKind::kSoftmax;
      return true;
    }
    default:
      r->why = "not supported by XNNPACK";
      return false;
  }
}

// --------------------------------------------------------------- LAYOUT

// Values of a constant int32/int64 tensor; false when not constant.
bool ConstInts(const Tensor* t, std::vector<int64_t>* v) {
  if (t == nullptr || !t->is_constant || t->data == nullptr) return false;
  const int64_t n = t->NumElements();
  v->resize(n);
  for (int64_t i = 0; i < n; ++i) {
    if (t->type == DataType::kInt32) {
      (*v)[i] = t->data_as<int32_t>()[i];
    } else if (t->type == DataType::kInt64) {
      (*v)[i] = t->data_as<int64_t>()[i];
    } else {
      return false;
    }
  }
  return true;
}

bool PlanLayout(const GraphView& g, int node, int code, XnnOpPlan* p,
                Refusal* r) {
  if (!NeedInputs(g, node, 1, 2, r)) return false;
  const Tensor& in = g.tensor(InputIndex(g, node, 0));
  const Tensor& out = g.tensor(g.node_outputs(node)[0]);
  if (!CheckActivation(in, "input", in.type, r) ||
      !CheckActivation(out, "output", in.type, r)) {
    return false;
  }
  p->inputs = {InputIndex(g, node, 0)};
  const bool quantized = in.type != DataType::kFloat32;
  if (code == tfl::BuiltinOperator_MEAN) {
    std::vector<int64_t> axes;
    if (!ConstInts(InputOrNull(g, node, 1), &axes)) {
      r->why = "dynamic reduction axes";
      return false;
    }
    for (int64_t& a : axes) {
      if (a < 0) a += in.shape.rank();
    }
    std::sort(axes.begin(), axes.end());
    if (in.shape.rank() != 4 || axes != std::vector<int64_t>{1, 2}) {
      r->why = "only a 4-D mean over height and width is supported";
      return false;
    }
    if (quantized &&
        !(in.quant.scale0() / out.quant.scale0() >= 1.0f / 256.0f &&
          in.quant.scale0() / out.quant.scale0() < 256.0f)) {
      r->why = "input-to-output scale ratio outside XNNPACK's range";
      return false;
    }
    const auto* o = g.node(node).op->builtin_options_as_ReducerOptions();
    if (o == nullptr || !o->keep_dims()) {
      // XNNPACK writes [N, 1, 1, C]; an internal value plus a reshape.
      p->new_shape.assign(out.shape.dims().begin(), out.shape.dims().end());
    }
    p->kind = XnnOpKind::kGlobalAveragePooling2D;
    return true;
  }
  if (quantized && !SameQuant(in, out)) {
    r->why = "input and output quantization differ";
    return false;
  }
  if (code == tfl::BuiltinOperator_RESHAPE) {
    if (in.NumElements() != out.NumElements()) {
      r->why = "element count changes";
      return false;
    }
    p->kind = XnnOpKind::kReshape;
    p->new_shape.assign(out.shape.dims().begin(), out.shape.dims().end());
    return true;
  }
  if (code == tfl::BuiltinOperator_PAD) {
    std::vector<int64_t> pads;
    if (!ConstInts(InputOrNull(g, node, 1), &pads)) {
      r->why = "dynamic paddings";
      return false;
    }
    const int rank = in.shape.rank();
    if (static_cast<int>(pads.size()) != 2 * rank || rank != out.shape.rank()) {
      r->why = "paddings shape does not match the input rank";
      return false;
    }
    for (int d = 0; d < rank; ++d) {
      if (pads[2 * d] < 0 || pads[2 * d + 1] < 0) {
        r->why = "negative paddings not supported by XNNPACK";
        return false;
      }
      p->pre_paddings.push_back(static_cast<size_t>(pads[2 * d]));
      p->post_paddings.push_back(static_cast<size_t>(pads[2 * d + 1]));
    }
    p->kind = XnnOpKind::kConstantPad;
    return true;
  }
  // RESIZE_BILINEAR
  std::vector<int64_t> size;
  if (!ConstInts(InputOrNull(g, node, 1), &size) || size.size() != 2) {
    r->why = "dynamic output size";
    return false;
  }
  if (in.shape.rank() != 4 || size[0] <= 0 || size[1] <= 0) {
    r->why = "input must be 4-D with a positive size";
    return false;
  }
  const auto* o = g.node(node).op->builtin_options_as_ResizeBilinearOptions();
  const bool align = o != nullptr && o->align_corners();
  const bool half = o != nullptr && o->half_pixel_centers();
  if (align && half) {
    r->why = "align_corners with half_pixel_centers";
    return false;
  }
  if (align) p->flags |= XNN_FLAG_ALIGN_CORNERS;
  if (!align && !half) p->flags |= XNN_FLAG_TENSORFLOW_LEGACY_MODE;
  p->new_height = static_cast<size_t>(size[0]);
  p->new_width = static_cast<size_t>(size[1]);
  p->kind = XnnOpKind::kResizeBilinear;
  return true;
}

bool PlanAny(const GraphView& g, int node, XnnOpPlan* p, Refusal* r) {
  const kernels::NodeInfo& info = g.node(node);
  if (info.op == nullptr) {
    r->why = "no operator table";
    return false;
  }
  for (int t : g.node_inputs(node)) {
    if (t >= 0 && g.tensor(t).type == DataType::kInt16) {
      r->why = "int16 activations not supported by XNNPACK";
      return false;
    }
  }
  switch (info.builtin_code) {
    case tfl::BuiltinOperator_CONV_2D:
      return PlanConv(g, node, /*depthwise=*/false, p, r);
    case tfl::BuiltinOperator_DEPTHWISE_CONV_2D:
      return PlanConv(g, node, /*depthwise=*/true, p, r);
    case tfl::BuiltinOperator_FULLY_CONNECTED:
      return PlanFullyConnected(g, node, p, r);
    case tfl::BuiltinOperator_AVERAGE_POOL_2D:
      return PlanPool(g, node, /*max_pool=*/false, p, r);
    case tfl::BuiltinOperator_MAX_POOL_2D:
      return PlanPool(g, node, /*max_pool=*/true, p, r);
    case tfl::BuiltinOperator_ADD:
    case tfl::BuiltinOperator_SUB:
    case tfl::BuiltinOperator_MUL:
    case tfl::BuiltinOperator_DIV:
    case tfl::BuiltinOperator_MAXIMUM:
    case tfl::BuiltinOperator_MINIMUM:
    case tfl::BuiltinOperator_SQUARED_DIFFERENCE:
      return PlanBinary(g, node, info.builtin_code, p, r);
    case tfl::BuiltinOperator_RELU:
    case tfl::BuiltinOperator_RELU6:
    case tfl::BuiltinOperator_RELU_N1_TO_1:
    case tfl::BuiltinOperator_RELU_0_TO_1:
    case tfl::BuiltinOperator_HARD_SWISH:
    case tfl::BuiltinOperator_LEAKY_RELU:
    case tfl::BuiltinOperator_LOGISTIC:
    case tfl::BuiltinOperator_SOFTMAX:
      return PlanUnary(g, node, info.builtin_code, p, r);
    case tfl::BuiltinOperator_RESHAPE:
    case tfl::BuiltinOperator_PAD:
    case tfl::BuiltinOperator_RESIZE_BILINEAR:
    case tfl::BuiltinOperator_MEAN:
      return PlanLayout(g, node, info.builtin_code, p, r);
    case tfl::BuiltinOperator_CONCATENATION:
      r->why = "no concatenate node in XNNPACK 2022-02";
      return false;
    default:
      r->why = "op not supported by the XNNPACK backend";
      return false;
  }
}

}  // namespace

NodeSupport PlanNode(const GraphView& graph, int node, XnnOpPlan* plan) {
  XnnOpPlan local;
  XnnOpPlan* p = plan != nullptr ? plan : &local;
  *p = XnnOpPlan();
  Refusal r;
  if (node < 0 || node >= graph.num_nodes()) {
    return NodeSupport::No("node " + std::to_string(node) + " out of range");
  }
  if (!PlanAny(graph, node, p, &r)) {
    return NodeSupport::No(graph.node(node).op_name + ": " + r.why);
  }
  p->output = graph.node_outputs(node)[0];
  return NodeSupport::Yes();
}

}  // namespace edgerun::backends::xnnpack
