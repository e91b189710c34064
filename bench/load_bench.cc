// load_bench: time to load and verify a real model (Google Benchmark).
//
// LoadModelFromFile of mobilenet_v2_1.0_224_quant.tflite (3.6 MB) with
// kFull verification, memory-mapped vs read whole into an aligned block,
// and with kHeader verification for comparison. The file is read once
// before timing, so the page cache is warm: this measures verification plus
// the mapping or copy, not the disk. "mmap_touch" also reads one byte per
// page of every constant buffer, the cost a first Invoke pays on top of a
// lazy mapping.
//
//   load_bench [--model=PATH] [--repetitions=N] [--benchmark_* flags]
//
// Each case runs N repetitions (default 40) of at least 50 ms; the
// aggregates report the median, min and max of the per-repetition means
// (bench/run_load_bench.sh prints a table and the ratios).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/format/model_file.h"
#include "tests/support/shared_data.h"

namespace {

constexpr int kDefaultRepetitions = 40;
constexpr double kMinTimePerRepetition = 0.05;  // seconds
constexpr size_t kPageBytes = 4096;

struct Case {
  const char* name;
  edgerun::FileReadMode mode;
  edgerun::Verification verification;
  bool touch_constants;
};

constexpr Case kCases[] = {
    {"mmap_full", edgerun::FileReadMode::kMmap, edgerun::Verification::kFull,
     false},
    {"read_full", edgerun::FileReadMode::kReadWhole,
     edgerun::Verification::kFull, false},
    {"mmap_header", edgerun::FileReadMode::kMmap,
     edgerun::Verification::kHeader, false},
    {"read_header", edgerun::FileReadMode::kReadWhole,
     edgerun::Verification::kHeader, false},
    {"mmap_full_touch", edgerun::FileReadMode::kMmap,
     edgerun::Verification::kFull, true},
};

void LoadModel(benchmark::State& state, const std::string& path,
               const Case& c) {
  edgerun::LoadOptions options;
  options.verification = c.verification;
  size_t file_bytes = 0;
  for (auto _ : state) {
    auto model = edgerun::LoadModelFromFile(path, options, c.mode);
    if (!model.ok()) {
      state.SkipWithError(model.status().ToString().c_str());
      return;
    }
    if (c.touch_constants) {
      const edgerun::ModelFile& file = **model;
      uint64_t sum = 0;
      for (uint32_t i = 0; i < file.num_buffers(); ++i) {
        const std::span<const uint8_t> data = file.BufferData(i);
        for (size_t at = 0; at < data.size(); at += kPageBytes) sum += data[at];
      }
      benchmark::DoNotOptimize(sum);
    }
    file_bytes = (*model)->stats().file_bytes;
    benchmark::DoNotOptimize(model);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(file_bytes));
}

double Min(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::min_element(v.begin(), v.end());
}
double Max(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string path =
      edgerun::testing::ModelPath("mobilenet_v2_1.0_224_quant.tflite");
  int repetitions = kDefaultRepetitions;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--model=")) {
      path = std::string(arg.substr(8));
    } else if (arg.starts_with("--repetitions=")) {
      repetitions = std::max(1, std::atoi(argv[i] + 14));
    } else {
      std::fprintf(stderr, "load_bench: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  {
    // Warm the page cache, and fail early on a missing file.
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr,
                   "load_bench: cannot read %s (set --model= or "
                   "EDGERUN_SHARED_DIR)\n",
                   path.c_str());
      return 2;
    }
    std::vector<char> sink(1 << 16);
    while (in.read(sink.data(), static_cast<std::streamsize>(sink.size()))) {
    }
  }
  for (const Case& c : kCases) {
    benchmark::RegisterBenchmark(
        (std::string("load/") + c.name).c_str(),
        [path, c](benchmark::State& state) { LoadModel(state, path, c); })
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(kMinTimePerRepetition)
        ->Repetitions(repetitions)
        ->ComputeStatistics("min", Min)
        ->ComputeStatistics("max", Max)
        ->DisplayAggregatesOnly(true);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
