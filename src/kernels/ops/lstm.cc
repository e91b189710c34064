// UNIDIRECTIONAL_SEQUENCE_LSTM, float32, with TensorFlow Lite's semantics:
// optional CIFG (no input gate), peephole, projection (+ bias), layer
// normalization, cell_clip / proj_clip, time_major both ways, and the
// output / cell state as variable tensors that persist across invokes.
//
// Input layout (TFLite): 0 input, 1-4 input-to-{input,forget,cell,output}
// weights, 5-8 recurrent-to-{...} weights, 9-11 cell-to-{input,forget,
// output} peepholes, 12-15 gate biases, 16 projection weights, 17
// projection bias, 18 output state, 19 cell state, 20-23 layer-norm
// coefficients. Quantized and hybrid LSTMs are not supported.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/op_util.h"
#include "kernels/ops/matrix_ops.h"
#include "kernels/reference/matmul.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

constexpr int kInput = 0;
constexpr int kInputToInput = 1;      // .. 4
constexpr int kRecurrentToInput = 5;  // .. 8
constexpr int kCellToInput = 9;       // .. 11 (no cell-to-cell peephole)
constexpr int kInputGateBias = 12;    // .. 15
constexpr int kProjectionWeights = 16;
constexpr int kProjectionBias = 17;
constexpr int kOutputState = 18;
constexpr int kCellState = 19;
constexpr int kLayerNormInput = 20;  // .. 23

enum Gate { kGateInput = 0, kGateForget = 1, kGateCell = 2, kGateOutput = 3 };

// A constant weight matrix packed for PackedMatVec.
struct PackedMatrix {
  int rows = 0;
  int depth = 0;
  const void* source = nullptr;
  std::vector<float> data;

  void Pack(const Tensor& t) {
    rows = t.shape.dim(0);
    depth = t.shape.dim(1);
    reference::PackRowsFloat(t.data_as<float>(), rows, depth, data);
    source = t.data;
  }
  // out[r] += W[r] . x
  void MulAcc(const float* x, float* out) const {
    reference::PackedMatVec<float>(data.data(), rows, depth, x, 0.f,
                                   [&](int r, float v) { out[r] += v; });
  }
};

float Sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

float Activate(tfl::ActivationFunctionType a, float v) {
  switch (a) {
    case tfl::ActivationFunctionType_RELU:
      return std::max(0.f, v);
    case tfl::ActivationFunctionType_RELU_N1_TO_1:
      return std::min(1.f, std::max(-1.f, v));
    case tfl::ActivationFunctionType_RELU6:
      return std::min(6.f, std::max(0.f, v));
    case tfl::ActivationFunctionType_TANH:
      return std::tanh(v);
    default:
      return v;
  }
}

// One kernel per node; owns packed weights and per-step buffers (sized in
// Prepare). Thread-safety: as OpKernel.
class LstmKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    if (ctx.num_inputs() != 20 && ctx.num_inputs() != 24) {
      return ctx.InvalidArgument("expects 20 or 24 inputs, got " +
                                 std::to_string(ctx.num_inputs()));
    }
    if (ctx.num_outputs() != 1) return ctx.InvalidArgument("expects 1 output");
    const Tensor* input = ctx.input(kInput);
    RETURN_IF_ERROR(CheckRank(ctx, input, 3, "input"));
    Tensor* output = ctx.output(0);
    RETURN_IF_ERROR(CheckPresent(ctx, output, "output"));
    if (input->type != DataType::kFloat32) {
      return ctx.Unimplemented("only float32 LSTM is supported, input is " +
                               TypeName(input->type));
    }
    activation_ = tfl::ActivationFunctionType_TANH;
    cell_clip_ = 0.f;
    proj_clip_ = 0.f;
    time_major_ = false;
    if (const auto* o =
            ctx.node().op == nullptr
                ? nullptr
                : ctx.node()
                      .op
                      ->builtin_options_as_UnidirectionalSequenceLSTMOptions()) {
      activation_ = o->fused_activation_function();
      cell_clip_ = o->cell_clip();
      proj_clip_ = o->proj_clip();
      time_major_ = o->time_major();
      if (o->diagonal_recurrent_tensors()) {
        return ctx.Unimplemented(
            "diagonal recurrent tensors are not supported");
      }
    }
    if (cell_clip_ < 0 || proj_clip_ < 0) {
      return ctx.InvalidArgument("cell_clip and proj_clip must be >= 0");
    }
    switch (activation_) {
      case tfl::ActivationFunctionType_NONE:
      case tfl::ActivationFunctionType_RELU:
      case tfl::ActivationFunctionType_RELU_N1_TO_1:
      case tfl::ActivationFunctionType_RELU6:
      case tfl::ActivationFunctionType_TANH:
        break;
      default:
        return ctx.Unimplemented("unsupported LSTM activation");
    }

    if (time_major_) {
      max_time_ = input->shape.dim(0);
      batch_ = input->shape.dim(1);
    } else {
      batch_ = input->shape.dim(0);
      max_time_ = input->shape.dim(1);
    }
    n_input_ = input->shape.dim(2);

    const Tensor* i2o = ctx.input(kInputToInput + kGateOutput);
    RETURN_IF_ERROR(CheckRank(ctx, i2o, 2, "input_to_output_weights"));
    n_cell_ = i2o->shape.dim(0);
    const Tensor* r2o = ctx.input(kRecurrentToInput + kGateOutput);
    RETURN_IF_ERROR(CheckRank(ctx, r2o, 2, "recurrent_to_output_weights"));
    n_output_ = r2o->shape.dim(1);

    // CIFG: the input gate is coupled to the forget gate when its weights
    // are absent.
    const bool has_i2i = ctx.input(kInputToInput) != nullptr;
    const bool has_r2i = ctx.input(kRecurrentToInput) != nullptr;
    if (has_i2i != has_r2i) {
      return ctx.InvalidArgument(
          "input_to_input and recurrent_to_input weights must be both "
          "present or both absent");
    }
    cifg_ = !has_i2i;
    for (int g = 0; g < 4; ++g) {
      const bool needed = g != kGateInput || !cifg_;
      const Tensor* wi = ctx.input(kInputToInput + g);
      const Tensor* wr = ctx.input(kRecurrentToInput + g);
      const Tensor* b = ctx.input(kInputGateBias + g);
      if (!needed) {
        if (b != nullptr)
          RETURN_IF_ERROR(CheckFloat(ctx, b, "input gate bias"));
        continue;
      }
      RETURN_IF_ERROR(CheckMatrix(ctx, wi, n_cell_, n_input_, "input weights"));
      RETURN_IF_ERROR(
          CheckMatrix(ctx, wr, n_cell_, n_output_, "recurrent weights"));
      if (b == nullptr)
        return ctx.InvalidArgument("gate bias " + std::to_string(g) +
                                   " missing");
      RETURN_IF_ERROR(CheckVector(ctx, b, n_cell_, "gate bias"));
    }
    // Peepholes (cell-to-input only without CIFG).
    const Tensor* c2i = ctx.input(kCellToInput);
    const Tensor* c2f = ctx.input(kCellToInput + 1);
    const Tensor* c2o = ctx.input(kCellToInput + 2);
    peephole_ = c2f != nullptr;
    if ((c2o != nullptr) != peephole_ ||
        (!cifg_ && (c2i != nullptr) != peephole_)) {
      return ctx.InvalidArgument(
          "peephole weights must be all present or all absent");
    }
    if (peephole_) {
      if (!cifg_)
        RETURN_IF_ERROR(
            CheckVector(ctx, c2i, n_cell_, "cell_to_input_weights"));
      RETURN_IF_ERROR(CheckVector(ctx, c2f, n_cell_, "cell_to_forget_weights"));
      RETURN_IF_ERROR(CheckVector(ctx, c2o, n_cell_, "cell_to_output_weights"));
    }
    const Tensor* proj = ctx.input(kProjectionWeights);
    const Tensor* proj_bias = ctx.input(kProjectionBias);
    projection_ = proj != nullptr;
    if (projection_) {
      RETURN_IF_ERROR(
          CheckMatrix(ctx, proj, n_output_, n_cell_, "projection_weights"));
      if (proj_bias != nullptr) {
        RETURN_IF_ERROR(
            CheckVector(ctx, proj_bias, n_output_, "projection_bias"));
      }
    } else {
      if (proj_bias != nullptr) {
        return ctx.InvalidArgument(
            "projection bias without projection weights");
      }
      if (n_output_ != n_cell_) {
        return ctx.InvalidArgument(
            "without projection the output size must equal the cell "
            "size");
      }
    }
    layer_norm_ = false;
    if (ctx.num_inputs() == 24) {
      layer_norm_ = ctx.input(kLayerNormInput + kGateForget) != nullptr;
      for (int g = 0; g < 4; ++g) {
        const Tensor* ln = ctx.input(kLayerNormInput + g);
        const bool needed = layer_norm_ && (g != kGateInput || !cifg_);
        if (needed) {
          RETURN_IF_ERROR(
              CheckVector(ctx, ln, n_cell_, "layer norm coefficients"));
        } else if (ln != nullptr && !(g == kGateInput && cifg_)) {
          return ctx.InvalidArgument(
              "layer norm coefficients must be all present or absent");
        }
      }
    }
    Tensor* out_state = ctx.mutable_input(kOutputState);
    Tensor* cell_state = ctx.mutable_input(kCellState);
    RETURN_IF_ERROR(CheckPresent(ctx, out_state, "output_state"));
    RETURN_IF_ERROR(CheckPresent(ctx, cell_state, "cell_state"));
    if (!out_state->is_variable || !cell_state->is_variable) {
      return ctx.InvalidArgument(
          "output_state and cell_state must be variable tensors");
    }
    if (out_state->type != DataType::kFloat32 ||
        cell_state->type != DataType::kFloat32) {
      return ctx.InvalidArgument("states must be float32");
    }
    if (out_state->NumElements() != static_cast<int64_t>(batch_) * n_output_ ||
        cell_state->NumElements() != static_cast<int64_t>(batch_) * n_cell_) {
      return ctx.InvalidArgument("state sizes do not match batch " +
                                 std::to_string(batch_) + ", output " +
                                 std::to_string(n_output_) + ", cell " +
                                 std::to_string(n_cell_));
    }
    if (output->type != DataType::kFloat32) {
      return ctx.InvalidArgument("output must be float32");
    }

    // Pack constant weights (others at Eval).
    pack_at_eval_ = false;
    for (int g = 0; g < 4; ++g) {
      if (g == kGateInput && cifg_) continue;
      const Tensor* wi = ctx.input(kInputToInput + g);
      const Tensor* wr = ctx.input(kRecurrentToInput + g);
      if (!wi->is_constant || !wr->is_constant) pack_at_eval_ = true;
      if (wi->is_constant && input_w_[g].source != wi->data)
        input_w_[g].Pack(*wi);
      if (wr->is_constant && recurrent_w_[g].source != wr->data)
        recurrent_w_[g].Pack(*wr);
    }
    if (projection_) {
      if (!proj->is_constant) pack_at_eval_ = true;
      if (proj->is_constant && projection_w_.source != proj->data)
        projection_w_.Pack(*proj);
    }
    const size_t cells = static_cast<size_t>(batch_) * n_cell_;
    for (auto& g : gates_) g.assign(cells, 0.f);
    hidden_.assign(cells, 0.f);

    Shape out_shape = input->shape;
    out_shape.set_dim(2, n_output_);
    return ctx.ResizeOutput(0, out_shape);
  }

  Status Eval(KernelContext& ctx) override {
    if (pack_at_eval_) {
      for (int g = 0; g < 4; ++g) {
        if (g == kGateInput && cifg_) continue;
        input_w_[g].Pack(*ctx.input(kInputToInput + g));
        recurrent_w_[g].Pack(*ctx.input(kRecurrentToInput + g));
      }
      if (projection_) projection_w_.Pack(*ctx.input(kProjectionWeights));
    }
    const float* input = ctx.input(kInput)->data_as<float>();
    float* output = ctx.output(0)->data_as<float>();
    float* out_state = ctx.mutable_input(kOutputState)->data_as<float>();
    float* cell_state = ctx.mutable_input(kCellState)->data_as<float>();
    if (time_major_) {
      for (int t = 0; t < max_time_; ++t) {
        Step(ctx, input + static_cast<size_t>(t) * batch_ * n_input_, batch_,
             out_state, cell_state);
        for (int b = 0; b < batch_; ++b) {
          std::memcpy(
              output + (static_cast<size_t>(t) * batch_ + b) * n_output_,
              out_state + static_cast<size_t>(b) * n_output_,
              sizeof(float) * n_output_);
        }
      }
    } else {
      // Batch-major: TFLite runs each sequence on its own (batch of 1).
      for (int b = 0; b < batch_; ++b) {
        float* os = out_state + static_cast<size_t>(b) * n_output_;
        float* cs = cell_state + static_cast<size_t>(b) * n_cell_;
        for (int t = 0; t < max_time_; ++t) {
          const size_t offset = static_cast<size_t>(b) * max_time_ + t;
          Step(ctx, input + offset * n_input_, 1, os, cs);
          std::memcpy(output + offset * n_output_, os,
                      sizeof(float) * n_output_);
        }
      }
    }
    return OkStatus();
  }

 private:
  static Status CheckFloat(const KernelContext& ctx, const Tensor* t,
                           const char* what) {
    if (t->type != DataType::kFloat32) {
      return ctx.Unimplemented(std::string(what) +
                               " must be float32 (quantized and hybrid "
                               "LSTMs are not supported), got " +
                               TypeName(t->type));
    }
    return OkStatus();
  }
  static Status CheckMatrix(const KernelContext& ctx, const Tensor* t, int rows,
                            int cols, const char* what) {
    RETURN_IF_ERROR(CheckRank(ctx, t, 2, what));
    RETURN_IF_ERROR(CheckFloat(ctx, t, what));
    if (t->shape.dim(0) != rows || t->shape.dim(1) != cols) {
      return ctx.InvalidArgument(std::string(what) + " has shape " +
                                 t->shape.ToString() + ", expected [" +
                                 std::to_string(rows) + "," +
                                 std::to_string(cols) + "]");
    }
    return OkStatus();
  }
  static Status CheckVector(const KernelContext& ctx, const Tensor* t, int n,
                            const char* what) {
    RETURN_IF_ERROR(CheckRank(ctx, t, 1, what));
    RETURN_IF_ERROR(CheckFloat(ctx, t, what));
    if (t->shape.dim(0) != n) {
      return ctx.InvalidArgument(std::string(what) + " must have " +
                                 std::to_string(n) + " elements, got " +
                                 t->shape.ToString());
    }
    return OkStatus();
  }

  // TFLite's CalculateLstmGateFloat (without the final activation).
  void ComputeGate(KernelContext& ctx, int g, const float* x, bool x_zero,
                   int n_batch, const float* out_state, const float* cell_state,
                   float* gate) const {
    const float* bias = ctx.input(kInputGateBias + g)->data_as<float>();
    const Tensor* peep =
        g == kGateCell || !peephole_
            ? nullptr
            : ctx.input(kCellToInput + (g == kGateOutput ? 2 : g));
    const Tensor* ln = layer_norm_ ? ctx.input(kLayerNormInput + g) : nullptr;
    for (int b = 0; b < n_batch; ++b) {
      float* gb = gate + static_cast<size_t>(b) * n_cell_;
      if (ln != nullptr) {
        std::fill_n(gb, n_cell_, 0.f);
      } else {
        std::copy_n(bias, n_cell_, gb);
      }
      if (!x_zero)
        input_w_[g].MulAcc(x + static_cast<size_t>(b) * n_input_, gb);
      recurrent_w_[g].MulAcc(out_state + static_cast<size_t>(b) * n_output_,
                             gb);
      if (peep != nullptr) {
        const float* p = peep->data_as<float>();
        const float* cs = cell_state + static_cast<size_t>(b) * n_cell_;
        for (int c = 0; c < n_cell_; ++c) gb[c] += p[c] * cs[c];
      }
      if (ln != nullptr) {
        float sum = 0.f;
        for (int c = 0; c < n_cell_; ++c) sum += gb[c];
        const float mean = sum / n_cell_;
        float sum_sq = 0.f;
        for (int c = 0; c < n_cell_; ++c) {
          const float d = gb[c] - mean;
          sum_sq += d * d;
        }
        const float variance = sum_sq / n_cell_;
        const float inv = 1.0f / std::sqrt(variance + 1e-8f);
        const float* w = ln->data_as<float>();
        for (int c = 0; c < n_cell_; ++c)
          gb[c] = (gb[c] - mean) * inv * w[c] + bias[c];
      }
    }
  }

  // One time step for n_batch rows (TFLite's LstmStepFloat).
  void Step(KernelContext& ctx, const float* x, int n_batch, float* out_state,
            float* cell_state) {
    const int n = n_batch * n_cell_;
    bool x_zero = true;
    for (int i = 0; i < n_batch * n_input_ && x_zero; ++i) x_zero = x[i] == 0.f;
    float* ig = gates_[kGateInput].data();
    float* fg = gates_[kGateForget].data();
    float* cg = gates_[kGateCell].data();
    float* og = gates_[kGateOutput].data();
    if (!cifg_) {
      ComputeGate(ctx, kGateInput, x, x_zero, n_batch, out_state, cell_state,
                  ig);
      for (int i = 0; i < n; ++i) ig[i] = Sigmoid(ig[i]);
    }
    ComputeGate(ctx, kGateForget, x, x_zero, n_batch, out_state, cell_state,
                fg);
    for (int i = 0; i < n; ++i) fg[i] = Sigmoid(fg[i]);
    ComputeGate(ctx, kGateCell, x, x_zero, n_batch, out_state, cell_state, cg);
    for (int i = 0; i < n; ++i) cg[i] = Activate(activation_, cg[i]);
    // Cell update: c = f * c + i * g (i = 1 - f with CIFG), then clip.
    for (int i = 0; i < n; ++i) {
      cell_state[i] = fg[i] * cell_state[i];
      const float in = cifg_ ? 1.0f - fg[i] : ig[i];
      cell_state[i] += cg[i] * in;
      if (cell_clip_ > 0)
        cell_state[i] =
            std::min(cell_clip_, std::max(-cell_clip_, cell_state[i]));
    }
    ComputeGate(ctx, kGateOutput, x, x_zero, n_batch, out_state, cell_state,
                og);
    for (int i = 0; i < n; ++i) og[i] = Sigmoid(og[i]);
    // Output: h = o * act(c), optionally projected.
    float* h = hidden_.data();
    for (int i = 0; i < n; ++i)
      h[i] = og[i] * Activate(activation_, cell_state[i]);
    if (projection_) {
      const Tensor* pb = ctx.input(kProjectionBias);
      for (int b = 0; b < n_batch; ++b) {
        float* os = out_state + static_cast<size_t>(b) * n_output_;
        if (pb != nullptr) {
          std::copy_n(pb->data_as<float>(), n_output_, os);
        } else {
          std::fill_n(os, n_output_, 0.f);
        }
        projection_w_.MulAcc(h + static_cast<size_t>(b) * n_cell_, os);
        if (proj_clip_ > 0) {
          for (int i = 0; i < n_output_; ++i) {
            os[i] = std::min(proj_clip_, std::max(-proj_clip_, os[i]));
          }
        }
      }
    } else {
      std::copy_n(h, static_cast<size_t>(n_batch) * n_output_, out_state);
    }
  }

  tfl::ActivationFunctionType activation_ = tfl::ActivationFunctionType_TANH;
  float cell_clip_ = 0.f;
  float proj_clip_ = 0.f;
  bool time_major_ = false;
  bool cifg_ = false;
  bool peephole_ = false;
  bool projection_ = false;
  bool layer_norm_ = false;
  int max_time_ = 0;
  int batch_ = 0;
  int n_input_ = 0;
  int n_cell_ = 0;
  int n_output_ = 0;
  bool pack_at_eval_ = false;
  PackedMatrix input_w_[4];
  PackedMatrix recurrent_w_[4];
  PackedMatrix projection_w_;
  std::vector<float> gates_[4];
  std::vector<float> hidden_;
};

}  // namespace

void RegisterLstmKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_UNIDIRECTIONAL_SEQUENCE_LSTM, [] {
    return std::unique_ptr<OpKernel>(new LstmKernel());
  });
}

}  // namespace edgerun::kernels
