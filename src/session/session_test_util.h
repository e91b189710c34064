// Small models, a blocking custom op and session helpers (create or fail
// the test, single-threaded reference outputs) for session and scheduler
// tests.
//
// Gate: the custom op "session-gate" copies its float input to its output;
// while a Gate is closed, every Eval that reaches it blocks (and counts
// itself as entered), so a test can hold an interpreter busy without
// timing. Allow(n) lets exactly n more Evals through a closed gate, so a
// test can step a queue one request at a time. Thread-safe.
#ifndef EDGERUN_SESSION_SESSION_TEST_UTIL_H_
#define EDGERUN_SESSION_SESSION_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "edgerun/session/session.h"
#include "kernels/registry.h"

namespace edgerun::session::testing {

class Gate {
 public:
  void Close() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = false;
    permits_ = 0;
  }
  void Allow(int n) {
    {
      std::lock_guard<std::mutex> l(mu_);
      permits_ += n;
    }
    cv_.notify_all();
  }
  void Open() {
    {
      std::lock_guard<std::mutex> l(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void Pass() {
    std::unique_lock<std::mutex> l(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(l, [&] { return open_ || permits_ > 0; });
    if (!open_) --permits_;
  }
  // Blocks until at least n Evals reached the gate.
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return entered_ >= n; });
  }
  int entered() const {
    std::lock_guard<std::mutex> l(mu_);
    return entered_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int permits_ = 0;
  int entered_ = 0;
};

inline Gate& GlobalGate() {
  static Gate gate;
  return gate;
}

class GateOp final : public kernels::OpKernel {
 public:
  Status Prepare(kernels::KernelContext& ctx) override {
    return ctx.ResizeOutput(0, ctx.input(0)->shape);
  }
  Status Eval(kernels::KernelContext& ctx) override {
    GlobalGate().Pass();
    const kernels::Tensor* in = ctx.input(0);
    std::memcpy(ctx.output(0)->data, in->data, in->NumElements() * sizeof(float));
    return OkStatus();
  }
};

// Every builtin kernel plus "session-gate".
inline const kernels::KernelRegistry& GateRegistry() {
  static const kernels::KernelRegistry* registry = [] {
    auto* r = new kernels::KernelRegistry();
    kernels::RegisterBuiltinKernels(*r);
    r->AddCustom("session-gate", [] {
      return std::unique_ptr<kernels::OpKernel>(new GateOp());
    });
    return r;
  }();
  return *registry;
}

inline StatusOr<std::shared_ptr<const ModelFile>> Load(StatusOr<std::vector<uint8_t>> bytes) {
  if (!bytes.ok()) return bytes.status();
  return LoadModel(ByteSource::FromVector(std::move(bytes).value()));
}

// y = x * mul + add, float32 [1, n].
inline StatusOr<std::shared_ptr<const ModelFile>> FloatAffineModel(int n, float mul,
                                                                    float add) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, n});
  const int32_t m = g.AddConstTensor<float>("m", {n}, std::vector<float>(n, mul));
  const int32_t a = g.AddConstTensor<float>("a", {n}, std::vector<float>(n, add));
  const int32_t t = g.AddTensor("t", DataType::kFloat32, {1, n});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, n});
  g.AddOperator(tfl::BuiltinOperator_MUL, {x, m}, {t});
  g.AddOperator(tfl::BuiltinOperator_ADD, {t, a}, {y});
  return Load(b.Finish());
}

// out = params[indices], params uint8 [rows, 4] = (r * 4 + c) * 3, indices
// int32 [3] (an input, so a request can send an out-of-range index).
inline StatusOr<std::shared_ptr<const ModelFile>> Uint8GatherModel(int rows) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  std::vector<uint8_t> params(rows * 4);
  for (int i = 0; i < rows * 4; ++i) params[i] = static_cast<uint8_t>(i * 3);
  const int32_t p = g.AddConstTensor<uint8_t>("params", {rows, 4}, params);
  const int32_t idx = g.AddInput("indices", DataType::kInt32, {3});
  const int32_t y = g.AddOutput("y", DataType::kUInt8, {3, 4});
  g.AddOperator(tfl::BuiltinOperator_GATHER, {p, idx}, {y},
                [](flatbuffers::FlatBufferBuilder& fbb) {
                  return tfl::CreateGatherOptions(fbb, /*axis=*/0, /*batch_dims=*/0);
                });
  return Load(b.Finish());
}

// y = gate(x), float32 [1, 4]; needs GateRegistry().
inline StatusOr<std::shared_ptr<const ModelFile>> GateModel() {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 4});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 4});
  g.AddCustomOperator("session-gate", {x}, {y});
  return Load(b.Finish());
}

// y = gate(x) * scale, float32 [1, 4]; needs GateRegistry().
inline StatusOr<std::shared_ptr<const ModelFile>> GateScaleModel(float scale) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 4});
  const int32_t s = g.AddConstTensor<float>("s", {4}, std::vector<float>(4, scale));
  const int32_t t = g.AddTensor("t", DataType::kFloat32, {1, 4});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 4});
  g.AddCustomOperator("session-gate", {x}, {t});
  g.AddOperator(tfl::BuiltinOperator_MUL, {t, s}, {y});
  return Load(b.Finish());
}

// The model, or null after an EXPECT failure.
inline std::shared_ptr<const ModelFile> Must(StatusOr<std::shared_ptr<const ModelFile>> m) {
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : nullptr;
}

// A session of `model`, or null after an EXPECT failure.
inline std::unique_ptr<Session> MakeSession(std::shared_ptr<const ModelFile> model,
                                            SessionOptions options = {}) {
  auto s = Session::Create(std::move(model), std::move(options));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(s).value() : nullptr;
}

// The outputs of one plain Interpreter on this thread.
inline StatusOr<Session::Outputs> Reference(const std::shared_ptr<const ModelFile>& model,
                                            const std::vector<TensorData>& inputs,
                                            const InterpreterOptions& options = {}) {
  ASSIGN_OR_RETURN(auto interp, Interpreter::Create(model, options));
  RETURN_IF_ERROR(interp->AllocateTensors());
  for (size_t i = 0; i < inputs.size(); ++i) {
    RETURN_IF_ERROR(interp->SetInput(static_cast<int>(i), inputs[i].bytes));
  }
  RETURN_IF_ERROR(interp->Invoke());
  Session::Outputs out;
  for (int i = 0; i < interp->num_outputs(); ++i) {
    TensorRef t = interp->output(i);
    const auto* p = static_cast<const uint8_t*>(t.data());
    out.push_back({t.type(), t.shape(), std::vector<uint8_t>(p, p + t.bytes())});
  }
  return out;
}

}  // namespace edgerun::session::testing

#endif  // EDGERUN_SESSION_SESSION_TEST_UTIL_H_
