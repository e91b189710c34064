// scheduler_overhead_bench: what does a Session add per request over using
// an Interpreter directly? (issue #5's bar: < 20 us per request.)
//
// On a tiny model (ADD of 4 floats, built in memory with ModelBuilder, so
// the inference itself costs next to nothing and the overhead shows), two
// variants run interleaved in ONE process, alternating which goes first
// each round so machine noise hits both alike:
//   direct   Interpreter::SetInput + Invoke + copy of the output, on this
//            thread (what a single-threaded caller does).
//   session  Session::Run with the same input (one interpreter, one
//            thread): validation, the scheduler queue, the hand-off to the
//            device worker and back, the output copy, the statistics.
// Each round times --batch requests of each variant; the per-request
// average of a batch is one sample. Reports median, min and max over the
// rounds for both, and the overhead (session - direct) as the median of
// the per-round differences and as the difference of the medians.
// Outputs of both variants are checked against x + 1.
//
//   scheduler_overhead_bench [--rounds N] [--batch B] [--json PATH]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/summary.h"
#include "edgerun/format/byte_source.h"
#include "edgerun/format/model_builder.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "edgerun/session/session.h"

namespace {

using Clock = std::chrono::steady_clock;
using edgerun::DataType;

using edgerun::bench::Summarize;
using edgerun::bench::Summary;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "scheduler_overhead_bench: %s\n", what.c_str());
  std::exit(1);
}

bool IsXPlusOne(const std::vector<float>& in, const std::vector<float>& out) {
  if (in.size() != out.size()) return false;
  for (size_t i = 0; i < in.size(); ++i) {
    if (out[i] != in[i] + 1.f) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 300;
  int batch = 200;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--rounds") {
      rounds = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--batch") {
      batch = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--json") {
      json_path = next();
    } else {
      Die("unknown argument '" + a +
          "' (usage: [--rounds N] [--batch B] [--json PATH])");
    }
  }

  edgerun::ModelBuilder b;
  edgerun::SubgraphBuilder& g = b.AddSubgraph("main");
  const int32_t x = g.AddInput("x", DataType::kFloat32, {1, 4});
  const int32_t one = g.AddConstTensor<float>("one", {1}, {1.f});
  const int32_t y = g.AddOutput("y", DataType::kFloat32, {1, 4});
  g.AddOperator(edgerun::tfl::BuiltinOperator_ADD, {x, one}, {y});
  edgerun::StatusOr<std::vector<uint8_t>> bytes = b.Finish();
  if (!bytes.ok()) Die(bytes.status().ToString());
  auto model = edgerun::LoadModel(
      edgerun::ByteSource::FromVector(std::move(bytes).value()));
  if (!model.ok()) Die(model.status().ToString());

  auto interp = edgerun::Interpreter::Create(*model);
  if (!interp.ok()) Die(interp.status().ToString());
  if (auto s = (*interp)->AllocateTensors(); !s.ok()) Die(s.ToString());
  edgerun::session::SessionOptions options;
  options.num_interpreters = 1;
  options.threads_per_interpreter = 1;
  auto session = edgerun::session::Session::Create(*model, options);
  if (!session.ok()) Die(session.status().ToString());

  const std::vector<float> input = {1.f, 2.f, 3.f, 4.f};
  const std::vector<edgerun::session::TensorData> tensors = {
      edgerun::session::TensorData::From<float>(DataType::kFloat32, {1, 4},
                                                input)};
  const std::span<const uint8_t> input_bytes(
      reinterpret_cast<const uint8_t*>(input.data()), input.size() * 4);
  std::vector<float> out(4);

  auto direct_once = [&]() {
    edgerun::Interpreter& it = **interp;
    if (auto s = it.SetInput(0, input_bytes); !s.ok()) Die(s.ToString());
    if (auto s = it.Invoke(); !s.ok()) Die(s.ToString());
    const edgerun::TensorRef t = it.output(0);
    std::vector<float> copy(4);
    std::memcpy(copy.data(), t.data(), t.bytes());
    out.swap(copy);
  };
  auto session_once = [&]() {
    auto result = (*session)->Run(tensors);
    if (!result.ok()) Die(result.status().ToString());
    out = (*result)[0].As<float>();
  };
  // Submit always queues: the worker hand-off path a loaded device takes.
  auto queued_once = [&]() {
    auto result = (*session)->Submit(tensors).get();
    if (!result.ok()) Die(result.status().ToString());
    out = (*result)[0].As<float>();
  };
  auto time_batch = [&](auto&& once) {
    const Clock::time_point t0 = Clock::now();
    for (int k = 0; k < batch; ++k) once();
    return std::chrono::duration<double, std::micro>(Clock::now() - t0)
               .count() /
           batch;
  };

  // Warm-up and correctness.
  direct_once();
  if (!IsXPlusOne(input, out)) Die("direct output is not x + 1");
  session_once();
  if (!IsXPlusOne(input, out)) Die("session output is not x + 1");
  queued_once();
  if (!IsXPlusOne(input, out)) Die("queued session output is not x + 1");
  time_batch(direct_once);
  time_batch(session_once);
  time_batch(queued_once);

  std::vector<double> direct, via_session, diff, queued, queued_diff;
  for (int r = 0; r < rounds; ++r) {
    double d, s, q;
    if (r % 2 == 0) {
      d = time_batch(direct_once);
      s = time_batch(session_once);
      q = time_batch(queued_once);
    } else {
      q = time_batch(queued_once);
      s = time_batch(session_once);
      d = time_batch(direct_once);
    }
    direct.push_back(d);
    via_session.push_back(s);
    diff.push_back(s - d);
    queued.push_back(q);
    queued_diff.push_back(q - d);
  }
  if (!IsXPlusOne(input, out)) Die("output is not x + 1");

  const Summary sd = Summarize(direct), ss = Summarize(via_session),
                sx = Summarize(diff), sq = Summarize(queued),
                sqx = Summarize(queued_diff);
  double load = -1;
  if (std::ifstream in("/proc/loadavg"); in) in >> load;
  std::printf(
      "scheduler_overhead_bench: ADD of 4 floats, %d rounds x %d requests "
      "per variant, %u hardware threads, load average %.2f\n",
      rounds, batch, std::thread::hardware_concurrency(), load);
  std::printf("%-26s %10s %10s %10s   (us per request)\n", "variant", "median",
              "min", "max");
  std::printf("%-26s %10.2f %10.2f %10.2f\n", "direct Interpreter", sd.median,
              sd.min, sd.max);
  std::printf("%-26s %10.2f %10.2f %10.2f\n", "Session::Run", ss.median, ss.min,
              ss.max);
  std::printf("%-26s %10.2f %10.2f %10.2f\n", "overhead (per round)", sx.median,
              sx.min, sx.max);
  std::printf("%-26s %10.2f %10.2f %10.2f\n", "Session::Submit().get()",
              sq.median, sq.min, sq.max);
  std::printf("%-26s %10.2f %10.2f %10.2f\n", "queued overhead (per round)",
              sqx.median, sqx.min, sqx.max);
  std::printf("overhead (difference of medians): %.2f us per request\n",
              ss.median - sd.median);
  const auto stats = (*session)->stats();
  std::printf(
      "session: queue wait p50 %.0f us, run p50 %.0f us "
      "(histogram buckets, ~19%% resolution)\n",
      stats.device.queue_wait.p50_us, stats.device.run.p50_us);

  if (!json_path.empty()) {
    std::ofstream f(json_path);
    auto obj = [](const Summary& s) {
      return edgerun::bench::SummaryJson(s, 3);
    };
    f << "{\n  \"format\": \"scheduler_overhead_bench v1\",\n"
      << "  \"model\": \"ADD of 4 floats\",\n"
      << "  \"rounds\": " << rounds << ",\n  \"batch\": " << batch << ",\n"
      << "  \"hardware_threads\": " << std::thread::hardware_concurrency()
      << ",\n  \"load_average_1m\": " << load << ",\n"
      << "  \"direct_us\": " << obj(sd) << ",\n"
      << "  \"session_us\": " << obj(ss) << ",\n"
      << "  \"overhead_us\": " << obj(sx) << ",\n"
      << "  \"session_queued_us\": " << obj(sq) << ",\n"
      << "  \"queued_overhead_us\": " << obj(sqx) << ",\n"
      << "  \"overhead_of_medians_us\": " << (ss.median - sd.median) << "\n}\n";
    if (!f) Die("cannot write " + json_path);
  }
  return 0;
}
