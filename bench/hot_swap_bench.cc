// hot_swap_bench: tail latency of a throughput-mode Session while its model
// is hot-swapped (issue #6 bar: p99 of the requests overlapping a swap <=
// 2x the steady-state p99).
//
//   hot_swap_bench [--model=PATH] [--other=PATH] [--mode=same|reload|other]
//                  [--clients=8] [--steady-seconds=4] [--swaps=10]
//                  [--gap-ms=800] [--settle-ms=50] [--nice=0]
//
// 8 client threads run the model in a closed loop on random inputs. First
// the steady-state p99 over --steady-seconds; then --swaps swaps, each
// --gap-ms apart. A swap's window runs from the start of the new model's
// load to the end of SwapModel plus --settle-ms (the new pool's first
// Invokes); its p99 is over the requests whose [start, end] intersects the
// window. Modes: "same" swaps in the same ModelFile (shared packed
// weights: the new pool only allocates), "reload" a fresh LoadModelFromFile
// of the same file (everything is packed again, once), "other" alternates
// with --other (tf2_mobilenet_v2_1.0_224_ptq.tflite). --nice lowers the
// priority of the swapping thread only (setpriority on its tid), so
// building the new pool yields to the serving threads.
//
// Prints one JSON object: steady p50/p99, per-swap p99 and ratio, their
// median/min/max, the pooled p99 of all swap-overlapping requests, swap
// durations, load average. bench/run_hot_swap_bench.sh runs the modes.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/session_inputs.h"
#include "bench/summary.h"
#include "edgerun/format/model_file.h"
#include "edgerun/session/session.h"
#include "tests/support/shared_data.h"

namespace {

using edgerun::bench::FlagValue;
using edgerun::bench::Percentile;
using edgerun::bench::RandomInputs;
using edgerun::bench::Summarize;
using edgerun::bench::Summary;
using edgerun::session::Session;
using edgerun::session::TensorData;
using SteadyClock = std::chrono::steady_clock;

struct Sample {
  SteadyClock::time_point start, end;
  bool ok;
};

double Ms(SteadyClock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string model_path = FlagValue(
      argc, argv, "model",
      edgerun::testing::ModelPath("mobilenet_v2_1.0_224_quant.tflite"));
  const std::string other_path = FlagValue(
      argc, argv, "other",
      edgerun::testing::ModelPath("tf2_mobilenet_v2_1.0_224_ptq.tflite"));
  const std::string mode = FlagValue(argc, argv, "mode", "reload");
  const int clients = std::stoi(FlagValue(argc, argv, "clients", "8"));
  const double steady_s =
      std::stod(FlagValue(argc, argv, "steady-seconds", "4"));
  const int swaps = std::stoi(FlagValue(argc, argv, "swaps", "10"));
  const int gap_ms = std::stoi(FlagValue(argc, argv, "gap-ms", "800"));
  const int settle_ms = std::stoi(FlagValue(argc, argv, "settle-ms", "50"));
  const int nice_value = std::stoi(FlagValue(argc, argv, "nice", "0"));
  if (mode != "same" && mode != "reload" && mode != "other") {
    std::fprintf(stderr,
                 "hot_swap_bench: --mode must be same, reload or other\n");
    return 2;
  }

  auto model = edgerun::LoadModelFromFile(model_path);
  if (!model.ok()) {
    std::fprintf(stderr, "hot_swap_bench: %s\n",
                 model.status().ToString().c_str());
    return 1;
  }
  edgerun::session::SessionOptions options;
  options.mode = edgerun::session::SessionMode::kThroughput;
  options.max_queue = 256;
  auto created = Session::Create(*model, options);
  if (!created.ok()) {
    std::fprintf(stderr, "hot_swap_bench: %s\n",
                 created.status().ToString().c_str());
    return 1;
  }
  Session& session = **created;

  std::mutex mu;
  std::vector<Sample> samples;
  samples.reserve(1 << 16);
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      const std::vector<TensorData> inputs = RandomInputs(session, 1234u + c);
      std::vector<Sample> local;
      while (!stop.load(std::memory_order_relaxed)) {
        const auto t0 = SteadyClock::now();
        auto out = session.Run(inputs);
        const auto t1 = SteadyClock::now();
        if (!out.ok()) ++failed;
        local.push_back({t0, t1, out.ok()});
        if (local.size() >= 16) {
          std::lock_guard<std::mutex> l(mu);
          samples.insert(samples.end(), local.begin(), local.end());
          local.clear();
        }
      }
      std::lock_guard<std::mutex> l(mu);
      samples.insert(samples.end(), local.begin(), local.end());
    });
  }

  // Warm up, then the steady state.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto steady_begin = SteadyClock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(steady_s));
  const auto steady_end = SteadyClock::now();

  if (nice_value != 0) {
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)),
                nice_value);
  }
  struct Window {
    SteadyClock::time_point begin, swapped, end;
  };
  std::vector<Window> windows;
  std::shared_ptr<const edgerun::ModelFile> current = *model;
  int swap_errors = 0;
  for (int i = 0; i < swaps; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    Window w;
    w.begin = SteadyClock::now();
    std::shared_ptr<const edgerun::ModelFile> next = current;
    if (mode != "same") {
      const std::string& path =
          (mode == "other" && i % 2 == 0) ? other_path : model_path;
      auto loaded = edgerun::LoadModelFromFile(path);
      if (!loaded.ok()) {
        std::fprintf(stderr, "hot_swap_bench: %s\n",
                     loaded.status().ToString().c_str());
        ++swap_errors;
        continue;
      }
      next = *loaded;
    }
    const edgerun::Status s = session.SwapModel(next);
    w.swapped = SteadyClock::now();
    if (!s.ok()) {
      std::fprintf(stderr, "hot_swap_bench: swap: %s\n", s.ToString().c_str());
      ++swap_errors;
      continue;
    }
    current = next;
    w.end = w.swapped + std::chrono::milliseconds(settle_ms);
    windows.push_back(w);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
  stop = true;
  for (auto& t : threads) t.join();

  std::vector<double> steady;
  for (const auto& s : samples) {
    if (s.ok && s.start >= steady_begin && s.end <= steady_end)
      steady.push_back(Ms(s.end - s.start));
  }
  const double steady_p50 = Percentile(steady, 0.5),
               steady_p99 = Percentile(steady, 0.99);
  std::vector<double> swap_p99, ratios, durations, pooled;
  std::string per_swap;
  for (const auto& w : windows) {
    std::vector<double> lat;
    for (const auto& s : samples) {
      if (s.start <= w.end && s.end >= w.begin)
        lat.push_back(Ms(s.end - s.start));
    }
    pooled.insert(pooled.end(), lat.begin(), lat.end());
    const double p99 = Percentile(lat, 0.99);
    swap_p99.push_back(p99);
    ratios.push_back(steady_p99 > 0 ? p99 / steady_p99 : 0);
    durations.push_back(Ms(w.swapped - w.begin));
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "%s{\"requests\": %zu, \"p99_ms\": %.2f, \"swap_ms\": %.1f}",
                  per_swap.empty() ? "" : ", ", lat.size(), p99,
                  durations.back());
    per_swap += buf;
  }
  const Summary r = Summarize(ratios), p = Summarize(swap_p99),
                d = Summarize(durations);
  const double pooled_p99 = Percentile(pooled, 0.99);
  std::printf(
      "{\"mode\": \"%s\", \"nice\": %d, \"clients\": %d, \"interpreters\": %d, "
      "\"model\": \"%s\", \"requests\": %zu, \"failed_requests\": %d, "
      "\"swap_errors\": %d,\n"
      " \"steady\": {\"requests\": %zu, \"p50_ms\": %.2f, \"p99_ms\": %.2f},\n"
      " \"swap_p99_ms\": {\"median\": %.2f, \"min\": %.2f, \"max\": %.2f},\n"
      " \"ratio_swap_p99_to_steady_p99\": {\"median\": %.2f, \"min\": %.2f, "
      "\"max\": %.2f},\n"
      " \"pooled_swap_p99_ms\": %.2f, \"pooled_ratio\": %.2f,\n"
      " \"swap_duration_ms\": {\"median\": %.1f, \"min\": %.1f, \"max\": "
      "%.1f},\n"
      " \"loadavg\": %s,\n \"swaps\": [%s]}\n",
      mode.c_str(), nice_value, clients, session.num_interpreters(),
      model_path.c_str(), samples.size(), failed.load(), swap_errors,
      steady.size(), steady_p50, steady_p99, p.median, p.min, p.max, r.median,
      r.min, r.max, pooled_p99, steady_p99 > 0 ? pooled_p99 / steady_p99 : 0,
      d.median, d.min, d.max, edgerun::bench::LoadAverageJson().c_str(),
      per_swap.c_str());
  return failed.load() == 0 && swap_errors == 0 ? 0 : 1;
}
