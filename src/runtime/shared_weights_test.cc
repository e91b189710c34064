// Packed CPU weights are prepared once per loaded model and shared by all
// its interpreters (kernels/shared_data_cache.h): one copy however many
// interpreters, freed with the last one, results bit-identical to private
// copies, separate loads kept apart, weights computed by the graph never
// shared, and concurrent preparation from many threads (run under TSAN).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "edgerun/runtime/interpreter.h"
#include "kernels/shared_data_cache.h"
#include "tests/support/shared_data.h"

namespace edgerun {
namespace {

using kernels::SharedDataCache;

constexpr char kMobileNetV2[] = "mobilenet_v2_1.0_224_quant.tflite";
constexpr char kMobileNetV1Small[] = "mobilenet_v1_0.25_128_quant.tflite";

std::shared_ptr<const ModelFile> LoadShared(const char* name) {
  auto model = LoadModelFromFile(testing::ModelPath(name));
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

std::unique_ptr<Interpreter> MakeAllocated(
    std::shared_ptr<const ModelFile> model, InterpreterOptions options = {}) {
  auto interp = Interpreter::Create(std::move(model), options);
  EXPECT_TRUE(interp.ok()) << interp.status();
  if (!interp.ok()) return nullptr;
  const Status allocated = (*interp)->AllocateTensors();
  EXPECT_TRUE(allocated.ok()) << allocated;
  return std::move(interp).value();
}

// Fills input 0 with a fixed pattern, invokes, returns output 0's bytes.
std::vector<uint8_t> RunOnce(Interpreter& interp, int seed = 0) {
  TensorRef in = interp.input(0);
  auto* data = in.data_as<uint8_t>();
  for (size_t i = 0; i < in.bytes(); ++i) {
    data[i] = static_cast<uint8_t>((i * 131 + seed * 17) % 251);
  }
  const Status invoked = interp.Invoke();
  EXPECT_TRUE(invoked.ok()) << invoked;
  const TensorRef out = interp.output(0);
  const auto* bytes = out.data_as<uint8_t>();
  return std::vector<uint8_t>(bytes, bytes + out.bytes());
}

class SharedWeightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  }
};

TEST_F(SharedWeightsTest, InterpretersOfOneModelShareOneCopy) {
  auto model = LoadShared(kMobileNetV2);
  ASSERT_NE(model, nullptr);
  auto first = MakeAllocated(model);
  ASSERT_NE(first, nullptr);
  const MemoryStats one = first->memory_stats();
  EXPECT_GT(one.shared_packed_bytes, size_t{1} << 20);  // MBs of filters
  EXPECT_EQ(one.private_packed_bytes, 0u);
  EXPECT_EQ(one.shared_packed_hits, 0u);

  std::shared_ptr<SharedDataCache> cache = SharedDataCache::Find(*model);
  ASSERT_NE(cache, nullptr);
  const SharedDataCache::Stats after_one = cache->stats();
  EXPECT_EQ(after_one.live_bytes, one.shared_packed_bytes);
  EXPECT_EQ(after_one.misses, after_one.live_entries);

  auto second = MakeAllocated(model);
  ASSERT_NE(second, nullptr);
  const MemoryStats two = second->memory_stats();
  // The second interpreter packed nothing: every entry came from the cache.
  EXPECT_EQ(two.shared_packed_bytes, one.shared_packed_bytes);
  EXPECT_EQ(two.shared_packed_hits, after_one.live_entries);
  const SharedDataCache::Stats after_two = cache->stats();
  EXPECT_EQ(after_two.live_entries, after_one.live_entries);
  EXPECT_EQ(after_two.live_bytes, after_one.live_bytes);
  EXPECT_EQ(after_two.misses, after_one.misses);

  // Bit-identical to an interpreter with its own private copy.
  InterpreterOptions unshared;
  unshared.share_packed_weights = false;
  auto own = MakeAllocated(model, unshared);
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->memory_stats().shared_packed_bytes, 0u);
  EXPECT_EQ(own->memory_stats().private_packed_bytes, one.shared_packed_bytes);
  EXPECT_EQ(cache->stats().live_bytes, after_one.live_bytes);
  const std::vector<uint8_t> want = RunOnce(*own);
  EXPECT_EQ(RunOnce(*first), want);
  EXPECT_EQ(RunOnce(*second), want);

  // Re-preparing (AllocateTensors again) reuses the interpreter's own data.
  ASSERT_TRUE(first->AllocateTensors().ok());
  EXPECT_EQ(cache->stats().live_entries, after_one.live_entries);
  EXPECT_EQ(RunOnce(*first), want);

  // Destroying one keeps the data for the other; the last one frees it.
  first.reset();
  EXPECT_EQ(cache->stats().live_bytes, after_one.live_bytes);
  EXPECT_EQ(RunOnce(*second), want);
  second.reset();
  own.reset();
  EXPECT_EQ(cache->stats().live_bytes, 0u);
  EXPECT_EQ(cache->stats().live_entries, 0u);
  cache.reset();
  EXPECT_EQ(SharedDataCache::Find(*model), nullptr);
}

TEST_F(SharedWeightsTest, SeparateLoadsKeepSeparateCopies) {
  auto model_a = LoadShared(kMobileNetV1Small);
  auto model_b = LoadShared(kMobileNetV1Small);
  ASSERT_NE(model_a, nullptr);
  ASSERT_NE(model_b, nullptr);
  auto a = MakeAllocated(model_a);
  auto b = MakeAllocated(model_b);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->memory_stats().shared_packed_hits, 0u);
  EXPECT_NE(SharedDataCache::Find(*model_a), SharedDataCache::Find(*model_b));
  const std::vector<uint8_t> want = RunOnce(*a);
  EXPECT_EQ(RunOnce(*b), want);
  // Dropping model A's interpreter (and its cache) leaves B intact.
  a.reset();
  model_a.reset();
  EXPECT_EQ(RunOnce(*b), want);
  auto b2 = MakeAllocated(model_b);
  ASSERT_NE(b2, nullptr);
  EXPECT_GT(b2->memory_stats().shared_packed_hits, 0u);
  EXPECT_EQ(RunOnce(*b2), want);
}

TEST_F(SharedWeightsTest, EnvironmentVariableTurnsSharingOff) {
  auto model = LoadShared(kMobileNetV1Small);
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(setenv("EDGERUN_DISABLE_WEIGHT_SHARING", "1", 1), 0);
  auto a = MakeAllocated(model);
  auto b = MakeAllocated(model);
  unsetenv("EDGERUN_DISABLE_WEIGHT_SHARING");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(SharedDataCache::Find(*model), nullptr);
  EXPECT_EQ(a->memory_stats().shared_packed_bytes, 0u);
  EXPECT_GT(a->memory_stats().private_packed_bytes, 0u);
  EXPECT_EQ(b->memory_stats().private_packed_bytes,
            a->memory_stats().private_packed_bytes);
  EXPECT_EQ(RunOnce(*a), RunOnce(*b));
}

// y1 = FC(x, w) with w a graph input (packed at every Eval, never shared);
// y2 = FC(x, c) with constant c (shared).
std::shared_ptr<const ModelFile> RuntimeWeightsModel() {
  ModelBuilder builder;
  SubgraphBuilder& g = builder.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 4});
  const int32_t w = g.AddInput("w", DataType::kFloat32, {3, 4});
  const int32_t c = g.AddConstTensor<float>(
      "c", {2, 4}, {1, 2, 3, 4, -1, -2, -3, -4});
  const int32_t y1 = g.AddTensor("y1", DataType::kFloat32, {1, 3});
  const int32_t y2 = g.AddTensor("y2", DataType::kFloat32, {1, 2});
  g.AddOperator(tfl::BuiltinOperator_FULLY_CONNECTED, {x, w, -1}, {y1});
  g.AddOperator(tfl::BuiltinOperator_FULLY_CONNECTED, {x, c, -1}, {y2});
  g.MarkOutput(y1);
  g.MarkOutput(y2);
  auto bytes = builder.Finish();
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  auto model = LoadModel(ByteSource::FromVector(std::move(bytes).value()));
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

TEST(SharedWeightsBuiltModelTest, WeightsComputedAtRunTimeAreNotShared) {
  auto model = RuntimeWeightsModel();
  ASSERT_NE(model, nullptr);
  auto a = MakeAllocated(model);
  auto b = MakeAllocated(model);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  // Only the constant FC's packed weights are in the cache.
  std::shared_ptr<SharedDataCache> cache = SharedDataCache::Find(*model);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->stats().live_entries, 1u);
  EXPECT_EQ(b->memory_stats().shared_packed_hits, 1u);

  const float x[] = {1, 1, 1, 1};
  for (Interpreter* interp : {a.get(), b.get()}) {
    const float scale = interp == a.get() ? 1.f : 10.f;
    float w[12];
    for (int i = 0; i < 12; ++i) w[i] = scale * static_cast<float>(i);
    std::memcpy(interp->input(0).data(), x, sizeof(x));
    std::memcpy(interp->input(1).data(), w, sizeof(w));
  }
  ASSERT_TRUE(a->Invoke().ok());
  ASSERT_TRUE(b->Invoke().ok());
  for (Interpreter* interp : {a.get(), b.get()}) {
    const float scale = interp == a.get() ? 1.f : 10.f;
    const float* y1 = interp->output(0).data_as<float>();
    EXPECT_EQ(y1[0], scale * (0 + 1 + 2 + 3));
    EXPECT_EQ(y1[1], scale * (4 + 5 + 6 + 7));
    EXPECT_EQ(y1[2], scale * (8 + 9 + 10 + 11));
    const float* y2 = interp->output(1).data_as<float>();
    EXPECT_EQ(y2[0], 10.f);
    EXPECT_EQ(y2[1], -10.f);
  }
}

// Interpreters of one model created and prepared at once from many
// threads: each entry is packed once and every result is the same.
TEST_F(SharedWeightsTest, ConcurrentPreparationPacksOnce) {
  auto model = LoadShared(kMobileNetV1Small);
  ASSERT_NE(model, nullptr);
  InterpreterOptions unshared;
  unshared.share_packed_weights = false;
  auto reference = MakeAllocated(model, unshared);
  ASSERT_NE(reference, nullptr);
  const std::vector<uint8_t> want = RunOnce(*reference);

  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<Interpreter>> interps(kThreads);
  std::vector<std::vector<uint8_t>> got(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      interps[t] = MakeAllocated(model);
      if (interps[t] != nullptr) got[t] = RunOnce(*interps[t]);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_NE(interps[t], nullptr);
    EXPECT_EQ(got[t], want) << "thread " << t;
  }
  std::shared_ptr<SharedDataCache> cache = SharedDataCache::Find(*model);
  ASSERT_NE(cache, nullptr);
  const SharedDataCache::Stats stats = cache->stats();
  EXPECT_EQ(stats.misses, stats.live_entries);
  EXPECT_EQ(stats.hits, (kThreads - 1) * stats.live_entries);
  EXPECT_EQ(stats.live_bytes, reference->memory_stats().private_packed_bytes);
}

}  // namespace
}  // namespace edgerun
