// model_timing MODEL [RUNS] [WARMUP]: times Interpreter::Invoke on one
// thread, inputs filled with fixed pseudo-random bytes; prints the median,
// minimum and maximum over RUNS invokes (default 30, after 3 warm-ups).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL [RUNS] [WARMUP]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 2 ? std::atoi(argv[2]) : 30;
  const int warmup = argc > 3 ? std::atoi(argv[3]) : 3;
  auto model = edgerun::LoadModelFromFile(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "load: %s\n", model.status().ToString().c_str());
    return 1;
  }
  auto interp = edgerun::Interpreter::Create(*model);
  if (!interp.ok()) {
    std::fprintf(stderr, "create: %s\n", interp.status().ToString().c_str());
    return 1;
  }
  edgerun::Interpreter& it = **interp;
  if (auto s = it.AllocateTensors(); !s.ok()) {
    std::fprintf(stderr, "allocate: %s\n", s.ToString().c_str());
    return 1;
  }
  uint32_t state = 12345;
  for (int i = 0; i < it.num_inputs(); ++i) {
    const edgerun::TensorRef t = it.input(i);
    std::vector<uint8_t> bytes(t.bytes());
    for (auto& b : bytes) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      b = static_cast<uint8_t>(state);
    }
    if (auto s = it.SetInput(i, bytes); !s.ok()) {
      std::fprintf(stderr, "input %d: %s\n", i, s.ToString().c_str());
      return 1;
    }
  }
  std::vector<double> ms;
  for (int r = 0; r < warmup + runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    if (auto s = it.Invoke(); !s.ok()) {
      std::fprintf(stderr, "invoke: %s\n", s.ToString().c_str());
      return 1;
    }
    const auto end = std::chrono::steady_clock::now();
    if (r >= warmup)
      ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%s: %d runs, median %.3f ms, min %.3f ms, max %.3f ms\n",
              argv[1], runs, ms[ms.size() / 2], ms.front(), ms.back());
  return 0;
}
