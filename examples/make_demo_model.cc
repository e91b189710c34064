// make_demo_model OUT.tflite [LABELS.txt]: writes a small MobileNet-shaped
// uint8 image classifier (conv -> depthwise -> pointwise blocks, global
// average pool, 1x1 classifier, softmax) with deterministic weights, using
// the public ModelBuilder API. It is the README's main job: a model that
// needs nothing from outside the repository.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "edgerun/format/model_builder.h"

namespace {

using edgerun::DataType;
using edgerun::QuantizationSpec;
namespace tfl = edgerun::tfl;

// Deterministic weights: xorshift32.
class Rng {
 public:
  explicit Rng(uint32_t seed) : s_(seed) {}
  uint32_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 17;
    s_ ^= s_ << 5;
    return s_;
  }

 private:
  uint32_t s_;
};

constexpr float kActScale = 6.0f / 255.0f;  // relu6 activations in uint8
constexpr float kWeightScale = 0.02f;

struct Builder {
  edgerun::SubgraphBuilder& g;
  Rng rng{20261121};
  int layer = 0;

  std::vector<uint8_t> Weights(size_t n) {
    std::vector<uint8_t> w(n);
    for (auto& v : w) v = static_cast<uint8_t>(128 + static_cast<int>(Next() % 61) - 30);
    return w;
  }
  uint32_t Next() { return rng.Next(); }

  int32_t Bias(int channels, float input_scale) {
    std::vector<int32_t> b(channels);
    for (auto& v : b) v = static_cast<int32_t>(Next() % 2001) - 1000;
    return g.AddConstTensor<int32_t>("bias_" + std::to_string(layer), {channels}, b,
                                     QuantizationSpec::PerTensor(input_scale * kWeightScale, 0));
  }

  int32_t Activation(std::vector<int32_t> shape, float scale = kActScale, int zp = 0) {
    return g.AddTensor("act_" + std::to_string(layer), DataType::kUInt8, std::move(shape),
                       QuantizationSpec::PerTensor(scale, zp));
  }

  int32_t Conv(int32_t in, std::vector<int32_t> in_shape, int out_c, int k, int stride,
               float in_scale, tfl::ActivationFunctionType act, float out_scale = kActScale,
               int out_zp = 0) {
    ++layer;
    const int in_c = in_shape[3];
    const int32_t w = g.AddConstTensor<uint8_t>(
        "conv_w_" + std::to_string(layer), {out_c, k, k, in_c},
        Weights(static_cast<size_t>(out_c) * k * k * in_c),
        QuantizationSpec::PerTensor(kWeightScale, 128));
    const int32_t b = Bias(out_c, in_scale);
    const int oh = (in_shape[1] + stride - 1) / stride, ow = (in_shape[2] + stride - 1) / stride;
    const int32_t out = Activation({1, oh, ow, out_c}, out_scale, out_zp);
    g.AddOperator(tfl::BuiltinOperator_CONV_2D, {in, w, b}, {out},
                  [&](flatbuffers::FlatBufferBuilder& fbb) {
                    return tfl::CreateConv2DOptions(fbb, tfl::Padding_SAME, stride, stride, act);
                  });
    return out;
  }

  int32_t Depthwise(int32_t in, std::vector<int32_t> in_shape, int stride, float in_scale) {
    ++layer;
    const int c = in_shape[3];
    const int32_t w = g.AddConstTensor<uint8_t>("dw_w_" + std::to_string(layer), {1, 3, 3, c},
                                                Weights(static_cast<size_t>(9) * c),
                                                QuantizationSpec::PerTensor(kWeightScale, 128));
    const int32_t b = Bias(c, in_scale);
    const int oh = (in_shape[1] + stride - 1) / stride, ow = (in_shape[2] + stride - 1) / stride;
    const int32_t out = Activation({1, oh, ow, c});
    g.AddOperator(tfl::BuiltinOperator_DEPTHWISE_CONV_2D, {in, w, b}, {out},
                  [&](flatbuffers::FlatBufferBuilder& fbb) {
                    return tfl::CreateDepthwiseConv2DOptions(
                        fbb, tfl::Padding_SAME, stride, stride, /*depth_multiplier=*/1,
                        tfl::ActivationFunctionType_RELU6);
                  });
    return out;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT.tflite [LABELS.txt]\n", argv[0]);
    return 2;
  }
  constexpr int kClasses = 10;
  edgerun::ModelBuilder model;
  model.set_description("edgerun demo: MobileNet-shaped uint8 classifier, deterministic weights");
  edgerun::SubgraphBuilder& g = model.AddSubgraph("main");
  Builder b{g};
  const float in_scale = 1.0f / 128.0f;
  const int32_t image = g.AddInput("image", DataType::kUInt8, {1, 64, 64, 3},
                                   QuantizationSpec::PerTensor(in_scale, 128));
  const auto relu6 = tfl::ActivationFunctionType_RELU6;
  int32_t x = b.Conv(image, {1, 64, 64, 3}, 8, 3, 2, in_scale, relu6);   // 32x32x8
  x = b.Depthwise(x, {1, 32, 32, 8}, 1, kActScale);                      // 32x32x8
  x = b.Conv(x, {1, 32, 32, 8}, 16, 1, 1, kActScale, relu6);             // 32x32x16
  x = b.Depthwise(x, {1, 32, 32, 16}, 2, kActScale);                     // 16x16x16
  x = b.Conv(x, {1, 16, 16, 16}, 32, 1, 1, kActScale, relu6);            // 16x16x32
  const int32_t pooled = b.Activation({1, 1, 1, 32});
  g.AddOperator(tfl::BuiltinOperator_AVERAGE_POOL_2D, {x}, {pooled},
                [](flatbuffers::FlatBufferBuilder& fbb) {
                  return tfl::CreatePool2DOptions(fbb, tfl::Padding_VALID, 1, 1, 16, 16);
                });
  const int32_t logits = b.Conv(pooled, {1, 1, 1, 32}, kClasses, 1, 1, kActScale,
                                tfl::ActivationFunctionType_NONE, 0.05f, 128);
  const int32_t flat = g.AddTensor("logits_flat", DataType::kUInt8, {1, kClasses},
                                   QuantizationSpec::PerTensor(0.05f, 128));
  const int32_t new_shape = g.AddConstTensor<int32_t>("shape", {2}, {1, kClasses});
  g.AddOperator(tfl::BuiltinOperator_RESHAPE, {logits, new_shape}, {flat});
  const int32_t probs = g.AddOutput("probabilities", DataType::kUInt8, {1, kClasses},
                                    QuantizationSpec::PerTensor(1.0f / 256.0f, 0));
  g.AddOperator(tfl::BuiltinOperator_SOFTMAX, {flat}, {probs},
                [](flatbuffers::FlatBufferBuilder& fbb) {
                  return tfl::CreateSoftmaxOptions(fbb, 1.0f);
                });
  model.AddSignature({"serving_default", 0, {{"image", image}}, {{"probabilities", probs}}});
  const edgerun::Status status = model.WriteToFile(argv[1]);
  if (!status.ok()) {
    std::fprintf(stderr, "make_demo_model: %s\n", status.ToString().c_str());
    return 1;
  }
  if (argc > 2) {
    std::ofstream labels(argv[2]);
    const char* names[kClasses] = {"airplane", "automobile", "bird", "cat", "deer",
                                   "dog", "frog", "horse", "ship", "truck"};
    for (const char* n : names) labels << n << "\n";
  }
  std::printf("wrote %s\n", argv[1]);
  return 0;
}
