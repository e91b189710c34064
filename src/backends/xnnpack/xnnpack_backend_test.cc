// XNNPACK backend: Supports answers and reasons, and single-op / small
// models run through the runtime with backends {"xnnpack"} (full
// delegation required) against the CPU kernels on the same inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/xnnpack/xnnpack_program.h"
#include "edgerun/format/byte_source.h"
#include "edgerun/format/model_builder.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "kernels/registry.h"
#include "runtime/subgraph.h"

namespace edgerun {
namespace {

using QS = QuantizationSpec;
constexpr DataType kF32 = DataType::kFloat32;
constexpr DataType kU8 = DataType::kUInt8;
constexpr DataType kS8 = DataType::kInt8;

std::shared_ptr<const ModelFile> Load(ModelBuilder& b) {
  auto bytes = b.Finish();
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  if (!bytes.ok()) return nullptr;
  auto model = LoadModel(ByteSource::FromVector(std::move(bytes).value()));
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

std::optional<QS> Q(DataType t, float scale, int zp) {
  if (t == kF32) return std::nullopt;
  return QS::PerTensor(scale, zp);
}

// Random constant data of `type` (int32 for bias).
std::vector<uint8_t> RandomBytes(DataType type, int64_t n, std::mt19937& rng) {
  std::vector<uint8_t> bytes;
  auto put = [&](auto v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(v));
  };
  for (int64_t i = 0; i < n; ++i) {
    switch (type) {
      case kF32:
        put(std::uniform_real_distribution<float>(-1.f, 1.f)(rng));
        break;
      case kU8:
        put(static_cast<uint8_t>(rng()));
        break;
      case kS8:
        put(static_cast<int8_t>(
            std::uniform_int_distribution<int>(-127, 127)(rng)));
        break;
      default:
        put(std::uniform_int_distribution<int32_t>(-2000, 2000)(rng));
        break;
    }
  }
  return bytes;
}

int64_t Count(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

struct Diff {
  double max_abs = 0;  // integer units or float absolute
  int64_t mismatches = 0;
  bool float_ok = true;
};

// Runs the model on the CPU and fully on XNNPACK with equal random inputs.
Diff RunBoth(const std::shared_ptr<const ModelFile>& model, int threads = 1) {
  Diff diff;
  if (model == nullptr) {
    ADD_FAILURE() << "no model";
    return diff;
  }
  InterpreterOptions cpu_options;
  InterpreterOptions xnn_options;
  xnn_options.backends = {"xnnpack"};
  xnn_options.require_full_delegation = true;
  xnn_options.num_threads = threads;
  auto cpu = Interpreter::Create(model, cpu_options);
  auto xnn = Interpreter::Create(model, xnn_options);
  EXPECT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_TRUE(xnn.ok()) << xnn.status();
  if (!cpu.ok() || !xnn.ok()) return diff;
  EXPECT_TRUE((*cpu)->AllocateTensors().ok());
  Status s = (*xnn)->AllocateTensors();
  EXPECT_TRUE(s.ok()) << s;
  if (!s.ok()) return diff;
  for (const FallbackEvent& f : (*xnn)->execution_plan().fallbacks) {
    ADD_FAILURE() << "fallback " << f.stage << ": " << f.reason;
  }
  for (const PartitionInfo& p : (*xnn)->execution_plan().partitions) {
    EXPECT_EQ(p.backend, "xnnpack");
  }
  EXPECT_FALSE((*xnn)->execution_plan().partitions.empty());
  std::mt19937 rng(7);
  for (int i = 0; i < (*cpu)->num_inputs(); ++i) {
    TensorRef in = (*cpu)->input(i);
    std::vector<uint8_t> bytes = RandomBytes(in.type(), in.num_elements(), rng);
    std::memcpy(in.data(), bytes.data(), in.bytes());
    std::memcpy((*xnn)->input(i).data(), bytes.data(), in.bytes());
  }
  s = (*cpu)->Invoke();
  EXPECT_TRUE(s.ok()) << s;
  s = (*xnn)->Invoke();
  EXPECT_TRUE(s.ok()) << s;
  for (int i = 0; i < (*cpu)->num_outputs(); ++i) {
    TensorRef a = (*cpu)->output(i);
    TensorRef b = (*xnn)->output(i);
    EXPECT_EQ(a.shape(), b.shape());
    const int64_t n = a.num_elements();
    if (a.type() == kF32) {
      double max_ref = 0;
      for (int64_t k = 0; k < n; ++k)
        max_ref = std::max(max_ref, double(std::fabs(a.data_as<float>()[k])));
      for (int64_t k = 0; k < n; ++k) {
        const double x = a.data_as<float>()[k], y = b.data_as<float>()[k];
        const double d = std::fabs(x - y);
        diff.max_abs = std::max(diff.max_abs, d);
        if (d > 1e-4 * std::max(std::fabs(x), 1e-2 * max_ref) + 1e-7) {
          diff.float_ok = false;
          ++diff.mismatches;
        }
      }
    } else {
      for (int64_t k = 0; k < n; ++k) {
        const int x =
            a.type() == kU8 ? a.data_as<uint8_t>()[k] : a.data_as<int8_t>()[k];
        const int y =
            b.type() == kU8 ? b.data_as<uint8_t>()[k] : b.data_as<int8_t>()[k];
        diff.max_abs = std::max<double>(diff.max_abs, std::abs(x - y));
        diff.mismatches += x != y;
      }
    }
  }
  return diff;
}

// ------------------------------------------------------------- models

// CONV_2D / DEPTHWISE_CONV_2D with bias; `per_channel` for int8 filters.
std::shared_ptr<const ModelFile> ConvModel(DataType t, bool depthwise,
                                           bool per_channel, tfl::Padding pad,
                                           int stride, int dm = 1) {
  std::mt19937 rng(1);
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int in_c = 3, out_c = depthwise ? in_c * dm : 5, k = 3, h = 9;
  const std::vector<int32_t> fshape =
      depthwise ? std::vector<int32_t>{1, k, k, out_c}
                : std::vector<int32_t>{out_c, k, k, in_c};
  const int oh = pad == tfl::Padding_SAME ? (h + stride - 1) / stride
                                          : (h - k) / stride + 1;
  const float in_s = 0.05f, out_s = 0.2f;
  std::vector<float> fscales;
  for (int c = 0; c < out_c; ++c) fscales.push_back(0.01f + 0.005f * c);
  std::optional<QS> fq, bq;
  if (t != kF32) {
    if (per_channel) {
      fq = QS::PerChannel(fscales, std::vector<int64_t>(out_c, 0),
                          depthwise ? 3 : 0);
      std::vector<float> bs;
      for (float s : fscales) bs.push_back(s * in_s);
      bq = QS::PerChannel(bs, std::vector<int64_t>(out_c, 0), 0);
    } else {
      fq = QS::PerTensor(0.02f, t == kU8 ? 120 : 0);
      bq = QS::PerTensor(0.02f * in_s, 0);
    }
  }
  const int x =
      g.AddInput("x", t, {1, h, h, in_c}, Q(t, in_s, t == kU8 ? 128 : -3));
  const int w =
      g.AddConstTensor("w", t, fshape, RandomBytes(t, Count(fshape), rng), fq);
  const DataType bt = t == kF32 ? kF32 : DataType::kInt32;
  const int bias =
      g.AddConstTensor("b", bt, {out_c}, RandomBytes(bt, out_c, rng), bq);
  const int y =
      g.AddOutput("y", t, {1, oh, oh, out_c}, Q(t, out_s, t == kU8 ? 100 : 5));
  if (depthwise) {
    g.AddOperator(tfl::BuiltinOperator_DEPTHWISE_CONV_2D, {x, w, bias}, {y},
                  [&](flatbuffers::FlatBufferBuilder& f) {
                    return tfl::CreateDepthwiseConv2DOptions(
                        f, pad, stride, stride, dm,
                        tfl::ActivationFunctionType_RELU6);
                  });
  } else {
    g.AddOperator(tfl::BuiltinOperator_CONV_2D, {x, w, bias}, {y},
                  [&](flatbuffers::FlatBufferBuilder& f) {
                    return tfl::CreateConv2DOptions(
                        f, pad, stride, stride,
                        tfl::ActivationFunctionType_RELU);
                  });
  }
  return Load(b);
}

std::shared_ptr<const ModelFile> FullyConnectedModel(DataType t,
                                                     bool keep_dims) {
  std::mt19937 rng(2);
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const float in_s = 0.05f;
  const int x = g.AddInput("x", t, {2, 3, 16}, Q(t, in_s, t == kU8 ? 128 : 1));
  const int w = g.AddConstTensor("w", t, {10, 16}, RandomBytes(t, 160, rng),
                                 Q(t, 0.02f, t == kU8 ? 127 : 0));
  const DataType bt = t == kF32 ? kF32 : DataType::kInt32;
  const int bias = g.AddConstTensor("b", bt, {10}, RandomBytes(bt, 10, rng),
                                    Q(t, 0.02f * in_s, 0));
  const std::vector<int32_t> oshape =
      keep_dims ? std::vector<int32_t>{2, 3, 10} : std::vector<int32_t>{6, 10};
  const int y = g.AddOutput("y", t, oshape, Q(t, 0.1f, t == kU8 ? 120 : -2));
  g.AddOperator(tfl::BuiltinOperator_FULLY_CONNECTED, {x, w, bias}, {y},
                [&](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreateFullyConnectedOptions(
                      f, tfl::ActivationFunctionType_NONE,
                      tfl::FullyConnectedOptionsWeightsFormat_DEFAULT,
                      keep_dims);
                });
  return Load(b);
}

std::shared_ptr<const ModelFile> PoolModel(DataType t, bool max_pool,
                                           tfl::Padding pad) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int x = g.AddInput("x", t, {1, 9, 9, 4}, Q(t, 0.1f, 3));
  const int oh = pad == tfl::Padding_SAME ? 5 : 4;
  const int y = g.AddOutput("y", t, {1, oh, oh, 4}, Q(t, 0.1f, 3));
  g.AddOperator(max_pool ? tfl::BuiltinOperator_MAX_POOL_2D
                         : tfl::BuiltinOperator_AVERAGE_POOL_2D,
                {x}, {y}, [&](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreatePool2DOptions(
                      f, pad, 2, 2, 3, 3, tfl::ActivationFunctionType_NONE);
                });
  return Load(b);
}

std::shared_ptr<const ModelFile> BinaryModel(tfl::BuiltinOperator op,
                                             DataType t, bool broadcast) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int x = g.AddInput("a", t, {1, 4, 5, 6}, Q(t, 0.05f, 2));
  const int z = g.AddInput("b", t,
                           broadcast ? std::vector<int32_t>{1, 1, 1, 6}
                                     : std::vector<int32_t>{1, 4, 5, 6},
                           Q(t, 0.03f, -1 + (t == kU8 ? 130 : 0)));
  const int y =
      g.AddOutput("y", t, {1, 4, 5, 6}, Q(t, 0.08f, t == kU8 ? 128 : 0));
  auto act = tfl::ActivationFunctionType_RELU6;
  switch (op) {
    case tfl::BuiltinOperator_ADD:
      g.AddOperator(op, {x, z}, {y}, [&](flatbuffers::FlatBufferBuilder& f) {
        return tfl::CreateAddOptions(f, act);
      });
      break;
    case tfl::BuiltinOperator_SUB:
      g.AddOperator(op, {x, z}, {y}, [&](flatbuffers::FlatBufferBuilder& f) {
        return tfl::CreateSubOptions(f, act);
      });
      break;
    case tfl::BuiltinOperator_MUL:
      g.AddOperator(op, {x, z}, {y}, [&](flatbuffers::FlatBufferBuilder& f) {
        return tfl::CreateMulOptions(f, act);
      });
      break;
    case tfl::BuiltinOperator_DIV:
      g.AddOperator(op, {x, z}, {y}, [&](flatbuffers::FlatBufferBuilder& f) {
        return tfl::CreateDivOptions(f, tfl::ActivationFunctionType_NONE);
      });
      break;
    default:
      g.AddOperator(op, {x, z}, {y});
      break;
  }
  return Load(b);
}

std::shared_ptr<const ModelFile> UnaryModel(tfl::BuiltinOperator op,
                                            DataType t) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int x = g.AddInput("x", t, {2, 3, 7}, Q(t, 0.05f, 1));
  const int y = g.AddOutput("y", t, {2, 3, 7}, Q(t, 0.05f, 1));
  if (op == tfl::BuiltinOperator_SOFTMAX) {
    g.AddOperator(op, {x}, {y}, [](flatbuffers::FlatBufferBuilder& f) {
      return tfl::CreateSoftmaxOptions(f, 1.0f);
    });
  } else if (op == tfl::BuiltinOperator_LEAKY_RELU) {
    g.AddOperator(op, {x}, {y}, [](flatbuffers::FlatBufferBuilder& f) {
      return tfl::CreateLeakyReluOptions(f, 0.2f);
    });
  } else {
    g.AddOperator(op, {x}, {y});
  }
  return Load(b);
}

std::shared_ptr<const ModelFile> LayoutModel(tfl::BuiltinOperator op,
                                             DataType t, int variant = 0) {
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const int x = g.AddInput("x", t, {1, 4, 6, 3}, Q(t, 0.05f, 2));
  switch (op) {
    case tfl::BuiltinOperator_RESHAPE: {
      const int s = g.AddConstTensor<int32_t>("s", {2}, {4, 18});
      const int y = g.AddOutput("y", t, {4, 18}, Q(t, 0.05f, 2));
      g.AddOperator(op, {x, s}, {y});
      break;
    }
    case tfl::BuiltinOperator_PAD: {
      const int p =
          g.AddConstTensor<int32_t>("p", {4, 2}, {0, 0, 1, 2, 0, 1, 0, 0});
      const int y = g.AddOutput("y", t, {1, 7, 7, 3}, Q(t, 0.05f, 2));
      g.AddOperator(op, {x, p}, {y});
      break;
    }
    case tfl::BuiltinOperator_RESIZE_BILINEAR: {
      const int s = g.AddConstTensor<int32_t>("s", {2}, {7, 11});
      const int y = g.AddOutput("y", t, {1, 7, 11, 3}, Q(t, 0.05f, 2));
      g.AddOperator(op, {x, s}, {y}, [&](flatbuffers::FlatBufferBuilder& f) {
        return tfl::CreateResizeBilinearOptions(f, variant == 1, variant == 2);
      });
      break;
    }
    default: {  // MEAN over H, W
      const int a = g.AddConstTensor<int32_t>("a", {2}, {1, 2});
      const int y = g.AddOutput("y", t,
                                variant == 1 ? std::vector<int32_t>{1, 3}
                                             : std::vector<int32_t>{1, 1, 1, 3},
                                Q(t, 0.02f, -4 + (t == kU8 ? 130 : 0)));
      g.AddOperator(tfl::BuiltinOperator_MEAN, {x, a}, {y},
                    [&](flatbuffers::FlatBufferBuilder& f) {
                      return tfl::CreateReducerOptions(f, variant != 1);
                    });
      break;
    }
  }
  return Load(b);
}

// conv -> (internal) -> depthwise -> (internal) -> add(residual) -> mean:
// exercises internal values, a tensor read twice, and segment outputs.
std::shared_ptr<const ModelFile> ChainModel(DataType t) {
  std::mt19937 rng(3);
  ModelBuilder b;
  SubgraphBuilder& g = b.AddSubgraph("main");
  const float s = 0.05f;
  const int zp = t == kU8 ? 128 : 0;
  const int x = g.AddInput("x", t, {1, 8, 8, 4}, Q(t, s, zp));
  const DataType bt = t == kF32 ? kF32 : DataType::kInt32;
  const int w1 =
      g.AddConstTensor("w1", t, {4, 1, 1, 4}, RandomBytes(t, 16, rng),
                       Q(t, 0.02f, t == kU8 ? 128 : 0));
  const int b1 = g.AddConstTensor("b1", bt, {4}, RandomBytes(bt, 4, rng),
                                  Q(t, 0.02f * s, 0));
  const int h1 = g.AddTensor("h1", t, {1, 8, 8, 4}, Q(t, s, zp));
  g.AddOperator(tfl::BuiltinOperator_CONV_2D, {x, w1, b1}, {h1},
                [](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreateConv2DOptions(
                      f, tfl::Padding_SAME, 1, 1,
                      tfl::ActivationFunctionType_RELU6);
                });
  const int w2 =
      g.AddConstTensor("w2", t, {1, 3, 3, 4}, RandomBytes(t, 36, rng),
                       Q(t, 0.02f, t == kU8 ? 128 : 0));
  const int b2 = g.AddConstTensor("b2", bt, {4}, RandomBytes(bt, 4, rng),
                                  Q(t, 0.02f * s, 0));
  const int h2 = g.AddTensor("h2", t, {1, 8, 8, 4}, Q(t, s, zp));
  g.AddOperator(tfl::BuiltinOperator_DEPTHWISE_CONV_2D, {h1, w2, b2}, {h2},
                [](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreateDepthwiseConv2DOptions(
                      f, tfl::Padding_SAME, 1, 1, 1,
                      tfl::ActivationFunctionType_NONE);
                });
  const int h3 = g.AddOutput("h3", t, {1, 8, 8, 4}, Q(t, 2 * s, zp));
  g.AddOperator(tfl::BuiltinOperator_ADD, {h1, h2}, {h3});
  const int a = g.AddConstTensor<int32_t>("a", {2}, {1, 2});
  const int y = g.AddOutput("y", t, {1, 4}, Q(t, s, zp));
  g.AddOperator(tfl::BuiltinOperator_MEAN, {h3, a}, {y},
                [](flatbuffers::FlatBufferBuilder& f) {
                  return tfl::CreateReducerOptions(f, false);
                });
  return Load(b);
}

// ------------------------------------------------------------- tests

void ExpectExact(const Diff& d) {
  EXPECT_EQ(d.mismatches, 0) << "max diff " << d.max_abs;
}

TEST(XnnpackBackendTest, Registered) {
  const backends::Backend* b = backends::BuiltinBackends().Find("xnnpack");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->IsAvailable());
  EXPECT_EQ(backends::BuiltinBackends().Find("nope"), nullptr);
}

TEST(XnnpackBackendTest, Conv2D) {
  for (DataType t : {kF32, kU8, kS8}) {
    for (tfl::Padding pad : {tfl::Padding_SAME, tfl::Padding_VALID}) {
      for (int stride : {1, 2}) {
        SCOPED_TRACE(std::string(DataTypeName(t)) + " pad " +
                     std::to_string(pad) + " stride " + std::to_string(stride));
        ExpectExact(RunBoth(ConvModel(t, false, false, pad, stride)));
        if (t == kS8)
          ExpectExact(RunBoth(ConvModel(t, false, true, pad, stride)));
      }
    }
  }
}

TEST(XnnpackBackendTest, DepthwiseConv2D) {
  for (DataType t : {kF32, kU8, kS8}) {
    for (int dm : {1, 2}) {
      SCOPED_TRACE(std::string(DataTypeName(t)) + " dm " + std::to_string(dm));
      ExpectExact(RunBoth(ConvModel(t, true, false, tfl::Padding_SAME, 1, dm)));
      ExpectExact(
          RunBoth(ConvModel(t, true, false, tfl::Padding_VALID, 2, dm)));
      if (t == kS8) {
        ExpectExact(
            RunBoth(ConvModel(t, true, true, tfl::Padding_SAME, 2, dm)));
      }
    }
  }
}

TEST(XnnpackBackendTest, FullyConnected) {
  for (DataType t : {kF32, kU8, kS8}) {
    for (bool keep : {false, true}) {
      SCOPED_TRACE(std::string(DataTypeName(t)) +
                   (keep ? " keep_num_dims" : ""));
      const Diff d = RunBoth(FullyConnectedModel(t, keep));
      // Quantized FC: the CPU uses TFLite's fixed-point requantization,
      // XNNPACK float; they may differ by one unit.
      EXPECT_LE(d.max_abs, t == kF32 ? 1e-4 : 1.0);
      EXPECT_TRUE(d.float_ok);
    }
  }
}

TEST(XnnpackBackendTest, Pooling) {
  for (tfl::Padding pad : {tfl::Padding_SAME, tfl::Padding_VALID}) {
    ExpectExact(RunBoth(PoolModel(kF32, false, pad)));
    for (DataType t : {kF32, kU8, kS8})
      ExpectExact(RunBoth(PoolModel(t, true, pad)));
  }
}

TEST(XnnpackBackendTest, Binary) {
  for (auto op : {tfl::BuiltinOperator_ADD, tfl::BuiltinOperator_SUB,
                  tfl::BuiltinOperator_MUL}) {
    for (DataType t : {kF32, kU8, kS8}) {
      for (bool bc : {false, true}) {
        SCOPED_TRACE(std::string(tfl::EnumNameBuiltinOperator(op)) + " " +
                     std::string(DataTypeName(t)) + (bc ? " broadcast" : ""));
        ExpectExact(RunBoth(BinaryModel(op, t, bc)));
      }
    }
  }
  for (auto op : {tfl::BuiltinOperator_DIV, tfl::BuiltinOperator_MAXIMUM,
                  tfl::BuiltinOperator_MINIMUM,
                  tfl::BuiltinOperator_SQUARED_DIFFERENCE}) {
    SCOPED_TRACE(tfl::EnumNameBuiltinOperator(op));
    const Diff d = RunBoth(BinaryModel(op, kF32, true));
    EXPECT_TRUE(d.float_ok) << d.max_abs;
  }
}

TEST(XnnpackBackendTest, Unary) {
  for (auto op :
       {tfl::BuiltinOperator_RELU, tfl::BuiltinOperator_RELU6,
        tfl::BuiltinOperator_RELU_N1_TO_1, tfl::BuiltinOperator_HARD_SWISH,
        tfl::BuiltinOperator_LEAKY_RELU, tfl::BuiltinOperator_LOGISTIC,
        tfl::BuiltinOperator_SOFTMAX}) {
    SCOPED_TRACE(tfl::EnumNameBuiltinOperator(op));
    const Diff d = RunBoth(UnaryModel(op, kF32));
    EXPECT_TRUE(d.float_ok) << d.max_abs;
  }
  // Quantized ReLUs become XNNPACK clamps; the bound 6 / scale may round
  // differently on an exact tie (TFLite rounds half away from zero).
  for (auto op : {tfl::BuiltinOperator_RELU, tfl::BuiltinOperator_RELU6,
                  tfl::BuiltinOperator_RELU_N1_TO_1}) {
    for (DataType t : {kU8, kS8}) {
      SCOPED_TRACE(std::string(tfl::EnumNameBuiltinOperator(op)) + " " +
                   std::string(DataTypeName(t)));
      EXPECT_LE(RunBoth(UnaryModel(op, t)).max_abs, 1.0);
    }
  }
}

TEST(XnnpackBackendTest, Layout) {
  for (DataType t : {kF32, kU8, kS8}) {
    SCOPED_TRACE(DataTypeName(t));
    ExpectExact(RunBoth(LayoutModel(tfl::BuiltinOperator_RESHAPE, t)));
    ExpectExact(RunBoth(LayoutModel(tfl::BuiltinOperator_PAD, t)));
    ExpectExact(RunBoth(LayoutModel(tfl::BuiltinOperator_MEAN, t, 0)));
    ExpectExact(RunBoth(LayoutModel(tfl::BuiltinOperator_MEAN, t, 1)));
  }
  for (int variant : {0, 1, 2}) {
    SCOPED_TRACE("resize variant " + std::to_string(variant));
    const Diff d = RunBoth(
        LayoutModel(tfl::BuiltinOperator_RESIZE_BILINEAR, kF32, variant));
    EXPECT_TRUE(d.float_ok) << d.max_abs;
    for (DataType t : {kU8, kS8}) {
      SCOPED_TRACE(DataTypeName(t));
      ExpectExact(RunBoth(
          LayoutModel(tfl::BuiltinOperator_RESIZE_BILINEAR, t, variant)));
    }
  }
}

TEST(XnnpackBackendTest, ChainWithInternalValues) {
  for (DataType t : {kF32, kU8, kS8}) {
    SCOPED_TRACE(DataTypeName(t));
    const Diff d = RunBoth(ChainModel(t));
    EXPECT_TRUE(d.float_ok);
    if (t != kF32) ExpectExact(d);
  }
  const Diff d = RunBoth(ChainModel(kU8), /*threads=*/4);
  ExpectExact(d);
}

// Supports: answers and reasons on nodes the backend refuses.
class SupportsTest : public ::testing::Test {
 protected:
  planner::NodeSupport Ask(const std::shared_ptr<const ModelFile>& model) {
    auto sg = runtime::Subgraph::Create(*model, 0,
                                        kernels::BuiltinKernelRegistry(), {});
    EXPECT_TRUE(sg.ok()) << sg.status();
    if (!sg.ok()) return planner::NodeSupport::No("no subgraph");
    return backends::BuiltinBackends().Find("xnnpack")->Supports(**sg, 0);
  }
};

TEST_F(SupportsTest, Reasons) {
  EXPECT_TRUE(Ask(ConvModel(kS8, false, true, tfl::Padding_SAME, 1)).supported);
  EXPECT_TRUE(Ask(FullyConnectedModel(kU8, false)).supported);
  {
    // int16 activations.
    ModelBuilder b;
    SubgraphBuilder& g = b.AddSubgraph("main");
    const int x =
        g.AddInput("x", DataType::kInt16, {1, 4}, QS::PerTensor(0.1f, 0));
    const int y =
        g.AddOutput("y", DataType::kInt16, {1, 4}, QS::PerTensor(0.1f, 0));
    g.AddOperator(tfl::BuiltinOperator_RELU, {x}, {y});
    const planner::NodeSupport s = Ask(Load(b));
    EXPECT_FALSE(s.supported);
    EXPECT_EQ(s.reason, "RELU: int16 activations not supported by XNNPACK");
  }
  {
    // Dynamic filter.
    ModelBuilder b;
    SubgraphBuilder& g = b.AddSubgraph("main");
    const int x = g.AddInput("x", kF32, {1, 5, 5, 2});
    const int w = g.AddInput("w", kF32, {3, 1, 1, 2});
    const int y = g.AddOutput("y", kF32, {1, 5, 5, 3});
    g.AddOperator(tfl::BuiltinOperator_CONV_2D, {x, w, -1}, {y},
                  [](flatbuffers::FlatBufferBuilder& f) {
                    return tfl::CreateConv2DOptions(f, tfl::Padding_SAME, 1, 1);
                  });
    const planner::NodeSupport s = Ask(Load(b));
    EXPECT_FALSE(s.supported);
    EXPECT_EQ(s.reason, "CONV_2D: dynamic filter");
  }
  {
    const planner::NodeSupport s =
        Ask(UnaryModel(tfl::BuiltinOperator_SOFTMAX, kS8));
    EXPECT_FALSE(s.supported);
    EXPECT_EQ(s.reason, "SOFTMAX: quantized int8 not supported by XNNPACK");
  }
  {
    const planner::NodeSupport s =
        Ask(PoolModel(kU8, false, tfl::Padding_SAME));
    EXPECT_FALSE(s.supported);
    EXPECT_NE(s.reason.find("AVERAGE_POOL_2D: quantized average pooling"),
              std::string::npos)
        << s.reason;
  }
  {
    const planner::NodeSupport s =
        Ask(BinaryModel(tfl::BuiltinOperator_DIV, kU8, false));
    EXPECT_FALSE(s.supported);
    EXPECT_EQ(s.reason, "DIV: quantized uint8 not supported by XNNPACK");
  }
}

// Weights are packed once per model: interpreters of one ModelFile share
// one program and, used one at a time, one runtime.
TEST(XnnpackBackendTest, InterpretersShareOneRuntime) {
  auto model = ChainModel(kS8);
  ASSERT_NE(model, nullptr);
  InterpreterOptions o;
  o.backends = {"xnnpack"};
  o.require_full_delegation = true;
  const size_t before =
      backends::xnnpack::ProgramCache::Global().live_entries();
  std::vector<std::unique_ptr<Interpreter>> interps;
  for (int i = 0; i < 4; ++i) {
    auto it = Interpreter::Create(model, o);
    ASSERT_TRUE(it.ok()) << it.status();
    ASSERT_TRUE((*it)->AllocateTensors().ok());
    interps.push_back(std::move(it).value());
  }
  EXPECT_EQ(backends::xnnpack::ProgramCache::Global().live_entries(),
            before + 1);
  // Different inputs per interpreter; each must get its own answer even
  // though they take turns on one runtime (setup re-binds pointers).
  std::vector<std::vector<int8_t>> outs;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 4; ++i) {
      TensorRef in = interps[i]->input(0);
      for (int64_t k = 0; k < in.num_elements(); ++k)
        in.data_as<int8_t>()[k] = static_cast<int8_t>(k * (i + 1));
      ASSERT_TRUE(interps[i]->Invoke().ok());
      const TensorRef out = interps[i]->output(1);
      std::vector<int8_t> v(out.data_as<int8_t>(),
                            out.data_as<int8_t>() + out.num_elements());
      if (round == 0) {
        outs.push_back(v);
      } else {
        EXPECT_EQ(outs[i], v) << "interpreter " << i;
      }
    }
  }
  EXPECT_NE(outs[0], outs[1]);
  interps.clear();
  EXPECT_EQ(backends::xnnpack::ProgramCache::Global().live_entries(), before);
}

}  // namespace
}  // namespace edgerun
