#include "backends/xnnpack/xnnpack_program.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

#include "backends/xnnpack/xnnpack_status.h"

namespace edgerun::backends::xnnpack {
namespace {

using kernels::Tensor;

// Appends raw bytes of trivially copyable values to the cache key.
class KeyWriter {
 public:
  explicit KeyWriter(std::string* out) : out_(out) {}
  template <typename T>
  KeyWriter& operator<<(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_->append(reinterpret_cast<const char*>(&v), sizeof(v));
    return *this;
  }
  template <typename T>
  KeyWriter& operator<<(const std::vector<T>& v) {
    *this << v.size();
    if (!v.empty()) {
      out_->append(reinterpret_cast<const char*>(v.data()),
                   v.size() * sizeof(T));
    }
    return *this;
  }

 private:
  std::string* out_;
};

std::vector<size_t> Dims(const Tensor& t) {
  return std::vector<size_t>(t.shape.dims().begin(), t.shape.dims().end());
}

xnn_datatype ActivationType(DataType t) {
  switch (t) {
    case DataType::kInt8:
      return xnn_datatype_qint8;
    case DataType::kUInt8:
      return xnn_datatype_quint8;
    default:
      return xnn_datatype_fp32;
  }
}

// The value a graph tensor becomes, given its role in the consuming op.
// `filter` is the node's filter when `t` is a bias (its scales make the
// bias scales: XNNPACK checks nothing else but they must be positive).
ValueDesc TensorValue(const Tensor& t, const OpDesc& op, int role,
                      const planner::GraphView& g) {
  ValueDesc v;
  v.dims = Dims(t);
  if (t.is_constant) v.data = t.data;
  if (t.type == DataType::kFloat32) {
    v.type = xnn_datatype_fp32;
    return v;
  }
  const bool weights = (op.plan.kind == XnnOpKind::kConvolution2D ||
                        op.plan.kind == XnnOpKind::kDepthwiseConvolution2D ||
                        op.plan.kind == XnnOpKind::kFullyConnected) &&
                       role > 0;
  if (!weights) {
    v.type = ActivationType(t.type);
    v.scale = t.quant.scale0();
    v.zero_point = t.quant.zero_point0();
    return v;
  }
  const Tensor& input = g.tensor(op.plan.inputs[0]);
  const Tensor& filter = g.tensor(op.plan.inputs[1]);
  const size_t channel_dim =
      op.plan.kind == XnnOpKind::kDepthwiseConvolution2D ? 3 : 0;
  if (role == 1) {  // filter
    if (t.quant.per_channel()) {
      v.type = xnn_datatype_qcint8;
      v.channel_scales = t.quant.scale;
      v.channel_dim = channel_dim;
    } else {
      v.type = ActivationType(t.type);
      v.scale = t.quant.scale0();
      v.zero_point = t.quant.zero_point0();
    }
    return v;
  }
  // Bias: int32 with scale input_scale * filter_scale[c].
  if (filter.quant.per_channel()) {
    v.type = xnn_datatype_qcint32;
    for (float s : filter.quant.scale) {
      v.channel_scales.push_back(input.quant.scale0() * s);
    }
    v.channel_dim = 0;
  } else {
    v.type = xnn_datatype_qint32;
    v.scale = input.quant.scale0() * filter.quant.scale0();
  }
  return v;
}

}  // namespace

StatusOr<Program> DescribeSegment(const planner::GraphView& graph,
                                  const Segment& segment, int num_threads) {
  Program prog;
  prog.num_threads = std::max(1, num_threads);
  // Tensors produced inside the segment, and those read outside of it
  // (later nodes not in the segment, graph outputs).
  std::set<int> produced,
      in_segment(segment.nodes.begin(), segment.nodes.end());
  for (int n : segment.nodes) {
    for (int t : graph.node_outputs(n)) produced.insert(t);
  }
  std::set<int> read_outside(segment.outputs.begin(), segment.outputs.end());
  for (int t : graph.graph_outputs()) {
    if (produced.count(t)) read_outside.insert(t);
  }
  for (int n = 0; n < graph.num_nodes(); ++n) {
    if (in_segment.count(n)) continue;
    for (int t : graph.node_inputs(n)) {
      if (t >= 0 && produced.count(t)) read_outside.insert(t);
    }
  }
  // Plan every node first: the same checks the planner asked.
  std::vector<int> value_of(graph.num_tensors(), -1);
  std::vector<int> inputs, outputs;
  for (int n : segment.nodes) {
    OpDesc op;
    const planner::NodeSupport s = PlanNode(graph, n, &op.plan);
    if (!s.supported) {
      return UnimplementedError("node " + std::to_string(n) + " " + s.reason);
    }
    op.node = n;
    op.op_name = graph.node(n).op_name;
    for (int t : op.plan.inputs) {
      if (t < 0 || graph.tensor(t).is_constant || produced.count(t)) continue;
      if (std::find(inputs.begin(), inputs.end(), t) == inputs.end()) {
        inputs.push_back(t);
      }
    }
    prog.ops.push_back(std::move(op));
  }
  for (int t : segment.outputs) {
    if (produced.count(t)) outputs.push_back(t);
  }
  for (int t : read_outside) {
    if (std::find(outputs.begin(), outputs.end(), t) == outputs.end()) {
      outputs.push_back(t);
    }
  }
  prog.external_tensors = inputs;
  prog.external_tensors.insert(prog.external_tensors.end(), outputs.begin(),
                               outputs.end());
  for (size_t i = 0; i < prog.external_tensors.size(); ++i) {
    const int t = prog.external_tensors[i];
    ValueDesc v;
    const Tensor& tensor = graph.tensor(t);
    v.type = ActivationType(tensor.type);
    v.dims = Dims(tensor);
    v.scale = tensor.quant.scale0();
    v.zero_point = tensor.quant.zero_point0();
    v.external_id = static_cast<uint32_t>(i);
    v.flags = i < inputs.size() ? XNN_VALUE_FLAG_EXTERNAL_INPUT
                                : XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
    value_of[t] = static_cast<int>(prog.values.size());
    prog.values.push_back(std::move(v));
  }
  for (OpDesc& op : prog.ops) {
    for (size_t role = 0; role < op.plan.inputs.size(); ++role) {
      const int t = op.plan.inputs[role];
      if (t < 0) {
        op.inputs.push_back(-1);
        continue;
      }
      if (value_of[t] < 0) {
        value_of[t] = static_cast<int>(prog.values.size());
        prog.values.push_back(
            TensorValue(graph.tensor(t), op, static_cast<int>(role), graph));
        if (graph.tensor(t).is_constant)
          prog.static_bytes += graph.tensor(t).bytes;
      }
      op.inputs.push_back(value_of[t]);
    }
    const int out = op.plan.output;
    if (value_of[out] < 0) {
      value_of[out] = static_cast<int>(prog.values.size());
      prog.values.push_back(TensorValue(graph.tensor(out), op, 0, graph));
    }
    op.output = value_of[out];
    if (op.plan.kind == XnnOpKind::kGlobalAveragePooling2D &&
        !op.plan.new_shape.empty()) {
      // XNNPACK writes [N, 1, 1, C]; reshape that internal value.
      ValueDesc pooled = prog.values[op.output];
      pooled.external_id = XNN_INVALID_VALUE_ID;
      pooled.flags = 0;
      const Tensor& in = graph.tensor(op.plan.inputs[0]);
      pooled.dims = {static_cast<size_t>(in.shape.dim(0)), 1, 1,
                     static_cast<size_t>(in.shape.dim(3))};
      op.reshaped_output = op.output;
      op.output = static_cast<int>(prog.values.size());
      prog.values.push_back(std::move(pooled));
    }
  }

  // The key: everything the packed runtime depends on (file comment).
  KeyWriter key(&prog.key);
  key << prog.num_threads << prog.values.size();
  for (const ValueDesc& v : prog.values) {
    key << v.type << v.dims << v.scale << v.zero_point << v.channel_scales
        << v.channel_dim << v.data << v.external_id << v.flags;
  }
  for (const OpDesc& op : prog.ops) {
    key << graph.node(op.node).op << op.node << op.inputs << op.output
        << op.reshaped_output;
  }
  return prog;
}

// ------------------------------------------------------------- building

namespace {

Status DefineValue(xnn_subgraph_t sg, const ValueDesc& v, uint32_t* id) {
  xnn_status s;
  switch (v.type) {
    case xnn_datatype_fp32:
      s = xnn_define_tensor_value(sg, v.type, v.dims.size(), v.dims.data(),
                                  v.data, v.external_id, v.flags, id);
      break;
    case xnn_datatype_qcint8:
    case xnn_datatype_qcint32:
      s = xnn_define_channelwise_quantized_tensor_value(
          sg, v.type, v.channel_scales.data(), v.dims.size(), v.channel_dim,
          v.dims.data(), v.data, v.external_id, v.flags, id);
      break;
    default:
      s = xnn_define_quantized_tensor_value(sg, v.type, v.zero_point, v.scale,
                                            v.dims.size(), v.dims.data(),
                                            v.data, v.external_id, v.flags, id);
      break;
  }
  return FromXnnStatus(s, "defining a tensor value");
}

xnn_status DefineOp(xnn_subgraph_t sg, const OpDesc& op,
                    const std::vector<uint32_t>& ids) {
  const XnnOpPlan& p = op.plan;
  auto in = [&](size_t i) {
    return i < op.inputs.size() && op.inputs[i] >= 0 ? ids[op.inputs[i]]
                                                     : XNN_INVALID_VALUE_ID;
  };
  const uint32_t out = ids[op.output];
  const uint32_t pad_flag =
      p.same_padding ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0;
  switch (p.kind) {
    case XnnOpKind::kConvolution2D: {
      const uint32_t groups = p.depth_multiplier;
      return xnn_define_convolution_2d(
          sg, 0, 0, 0, 0, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
          p.dilation_h, p.dilation_w, groups, p.input_channels / groups,
          p.output_channels / groups, p.output_min, p.output_max, in(0), in(1),
          in(2), out, pad_flag);
    }
    case XnnOpKind::kDepthwiseConvolution2D:
      return xnn_define_depthwise_convolution_2d(
          sg, 0, 0, 0, 0, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
          p.dilation_h, p.dilation_w, p.depth_multiplier, p.input_channels,
          p.output_min, p.output_max, in(0), in(1), in(2), out, pad_flag);
    case XnnOpKind::kFullyConnected:
      return xnn_define_fully_connected(sg, p.output_min, p.output_max, in(0),
                                        in(1), in(2), out, p.flags);
    case XnnOpKind::kAveragePooling2D:
      return xnn_define_average_pooling_2d(
          sg, 0, 0, 0, 0, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
          p.output_min, p.output_max, in(0), out, pad_flag);
    case XnnOpKind::kMaxPooling2D:
      return xnn_define_max_pooling_2d(
          sg, 0, 0, 0, 0, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, 1, 1,
          p.output_min, p.output_max, in(0), out, pad_flag);
    case XnnOpKind::kGlobalAveragePooling2D:
      return xnn_define_global_average_pooling_2d(sg, p.output_min,
                                                  p.output_max, in(0), out, 0);
    case XnnOpKind::kAdd:
      return xnn_define_add2(sg, p.output_min, p.output_max, in(0), in(1), out,
                             0);
    case XnnOpKind::kSubtract:
      return xnn_define_subtract(sg, p.output_min, p.output_max, in(0), in(1),
                                 out, 0);
    case XnnOpKind::kMultiply:
      return xnn_define_multiply2(sg, p.output_min, p.output_max, in(0), in(1),
                                  out, 0);
    case XnnOpKind::kDivide:
      return xnn_define_divide(sg, p.output_min, p.output_max, in(0), in(1),
                               out, 0);
    case XnnOpKind::kMaximum:
      return xnn_define_maximum2(sg, in(0), in(1), out, 0);
    case XnnOpKind::kMinimum:
      return xnn_define_minimum2(sg, in(0), in(1), out, 0);
    case XnnOpKind::kSquaredDifference:
      return xnn_define_squared_difference(sg, in(0), in(1), out, 0);
    case XnnOpKind::kClamp:
      return xnn_define_clamp(sg, p.output_min, p.output_max, in(0), out, 0);
    case XnnOpKind::kHardSwish:
      return xnn_define_hardswish(sg, in(0), out, 0);
    case XnnOpKind::kLeakyRelu:
      return xnn_define_leaky_relu(sg, p.alpha, in(0), out, 0);
    case XnnOpKind::kSigmoid:
      return xnn_define_sigmoid(sg, in(0), out, 0);
    case XnnOpKind::kSoftmax:
      return xnn_define_softmax(sg, in(0), out, 0);
    case XnnOpKind::kReshape:
      return xnn_define_static_reshape(sg, p.new_shape.size(),
                                       p.new_shape.data(), in(0), out, 0);
    case XnnOpKind::kConstantPad:
      return xnn_define_static_constant_pad(sg, p.pre_paddings.data(),
                                            p.post_paddings.data(), 0.f, in(0),
                                            out, 0);
    case XnnOpKind::kResizeBilinear:
      return xnn_define_static_resize_bilinear_2d(sg, p.new_height, p.new_width,
                                                  in(0), out, p.flags);
  }
  return xnn_status_invalid_parameter;
}

}  // namespace

RuntimeSlot::~RuntimeSlot() {
  if (runtime != nullptr) xnn_delete_runtime(runtime);
  if (threadpool != nullptr && owns_threadpool) pthreadpool_destroy(threadpool);
}

StatusOr<std::unique_ptr<RuntimeSlot>> CreateRuntimeForProgram(
    const Program& prog, pthreadpool_t threadpool) {
  RETURN_IF_ERROR(EnsureXnnpackInitialized());
  xnn_subgraph_t sg = nullptr;
  RETURN_IF_ERROR(FromXnnStatus(
      xnn_create_subgraph(static_cast<uint32_t>(prog.external_tensors.size()),
                          0, &sg),
      "xnn_create_subgraph"));
  // The subgraph is only needed until the runtime exists.
  std::unique_ptr<xnn_subgraph, xnn_status (*)(xnn_subgraph_t)> owner(
      sg, &xnn_delete_subgraph);
  std::vector<uint32_t> ids(prog.values.size(), XNN_INVALID_VALUE_ID);
  for (size_t i = 0; i < prog.values.size(); ++i) {
    RETURN_IF_ERROR(DefineValue(sg, prog.values[i], &ids[i]));
  }
  for (const OpDesc& op : prog.ops) {
    const std::string what =
        "defining node " + std::to_string(op.node) + " (" + op.op_name + ")";
    RETURN_IF_ERROR(FromXnnStatus(DefineOp(sg, op, ids), what));
    if (op.reshaped_output >= 0) {
      const ValueDesc& final_value = prog.values[op.reshaped_output];
      RETURN_IF_ERROR(FromXnnStatus(
          xnn_define_static_reshape(sg, final_value.dims.size(),
                                    final_value.dims.data(), ids[op.output],
                                    ids[op.reshaped_output], 0),
          what + " (reshape)"));
    }
  }
  auto slot = std::make_unique<RuntimeSlot>();
  if (threadpool != nullptr) {
    slot->threadpool = threadpool;
    slot->owns_threadpool = false;
  } else if (prog.num_threads > 1) {
    slot->threadpool =
        pthreadpool_create(static_cast<size_t>(prog.num_threads));
    if (slot->threadpool == nullptr) {
      return ResourceExhaustedError("XNNPACK: pthreadpool_create failed");
    }
  }
  RETURN_IF_ERROR(FromXnnStatus(
      // Yielding workers: after each parallel operator the pool's threads
      // sleep instead of spinning, which matters on small, shared CPUs
      // (spinning workers starve the caller when cores are oversubscribed).
      xnn_create_runtime_v2(sg, slot->threadpool,
                            prog.num_threads > 1 ? XNN_FLAG_YIELD_WORKERS : 0,
                            &slot->runtime),
      "xnn_create_runtime_v2"));
  return slot;
}

SharedProgram::Lease::~Lease() {
  if (slot_ == nullptr) return;
  std::lock_guard<std::mutex> lock(owner_->mu_);
  owner_->idle_.push_back(std::move(slot_));
}

StatusOr<SharedProgram::Lease> SharedProgram::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<RuntimeSlot> slot = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(slot));
    }
  }
  // Only when Executes overlap: pack another runtime outside the lock.
  ASSIGN_OR_RETURN(std::unique_ptr<RuntimeSlot> slot,
                   CreateRuntimeForProgram(program_));
  std::lock_guard<std::mutex> lock(mu_);
  ++created_;
  return Lease(this, std::move(slot));
}

Status SharedProgram::Warm() {
  ASSIGN_OR_RETURN(Lease lease, Acquire());
  return OkStatus();
}

size_t SharedProgram::num_runtimes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return created_;
}

ProgramCache& ProgramCache::Global() {
  // Function-local, never destroyed: SharedPrograms may outlive static
  // destruction order in user code.
  static ProgramCache* cache = new ProgramCache();
  return *cache;
}

StatusOr<std::shared_ptr<SharedProgram>> ProgramCache::GetOrCreate(
    Program program) {
  // Lock order: ProgramCache::mu_, then SharedProgram::mu_ (in Warm). The
  // cache lock is held while the first runtime packs, so two interpreters
  // compiling the same model at once pack it once.
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(program.key);
  if (it != entries_.end()) {
    if (std::shared_ptr<SharedProgram> live = it->second.lock()) return live;
  }
  // Drop expired entries so the map does not grow with dead models.
  for (auto e = entries_.begin(); e != entries_.end();) {
    e = e->second.expired() ? entries_.erase(e) : std::next(e);
  }
  std::string key = program.key;
  auto shared = std::make_shared<SharedProgram>(std::move(program));
  RETURN_IF_ERROR(shared->Warm());
  entries_[std::move(key)] = shared;
  return shared;
}

size_t ProgramCache::live_entries() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& e : entries_) n += e.second.expired() ? 0 : 1;
  return n;
}

}  // namespace edgerun::backends::xnnpack
