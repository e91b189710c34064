#include "tools/edgerun/bench_streams.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "backends/sim/sim_device.h"
#include "edgerun/session/scheduler.h"
#include "edgerun/session/session.h"
#include "edgerun/session/stream.h"
#include "tools/edgerun/bench_workload.h"
#include "tools/edgerun/command.h"
#include "tools/edgerun/stats.h"

namespace edgerun::cli {
namespace {

using Clock = std::chrono::steady_clock;
namespace sim = backends::sim;

constexpr int kInputSets = 4;

// Counts of one camera in one strategy.
struct StreamCounts {
  int model = 0;           // index into the config's models
  uint64_t captured = 0;   // frames the camera produced
  uint64_t processed = 0;  // answered with outputs
  uint64_t dropped = 0;    // scheduler: replaced or dropped at close;
                           // direct: never processed by the end (backlog)
  uint64_t late = 0;       // answered > 1 frame period after capture
  uint64_t errors = 0;
  uint64_t mismatches = 0;
  std::optional<Status> first_error;
  std::vector<double> latencies_us;  // capture -> result
};

// One strategy's results.
struct StrategyResult {
  std::string name;  // "direct", "scheduler", "scheduler+grouping"
  std::vector<StreamCounts> streams;
  SampleSummary latency;  // microseconds, every processed frame
  double seconds = 0;
  // Model loads on the device: the simulated device's own count on sim,
  // else the scheduler's (scheduler strategies only).
  std::optional<uint64_t> switches;
  uint64_t sim_switches = 0;  // the simulated device's own count
  std::optional<uint64_t> scheduler_switches;  // DeviceStats::model_switches
  uint64_t processed = 0, dropped = 0, late = 0, errors = 0, mismatches = 0;
  double jain = 1;  // fairness of processed frames over streams
  std::optional<Status> first_error;
};

// The nominal capture time of frame k of a camera that started at `start`.
Clock::time_point CaptureTime(Clock::time_point start, double fps, uint64_t k) {
  return start +
         std::chrono::duration_cast<Clock::duration>(
             std::chrono::duration<double>(static_cast<double>(k) / fps));
}

uint64_t FramesIn(double duration_s, double fps) {
  return static_cast<uint64_t>(std::ceil(duration_s * fps - 1e-9));
}

void Finalize(StrategyResult& r, double period_us) {
  std::vector<double> all;
  double sum = 0, sum_sq = 0;
  for (StreamCounts& s : r.streams) {
    for (double us : s.latencies_us) s.late += us > period_us ? 1 : 0;
    r.processed += s.processed;
    r.dropped += s.dropped;
    r.late += s.late;
    r.errors += s.errors;
    r.mismatches += s.mismatches;
    if (!r.first_error && s.first_error) r.first_error = s.first_error;
    all.insert(all.end(), s.latencies_us.begin(), s.latencies_us.end());
    sum += static_cast<double>(s.processed);
    sum_sq +=
        static_cast<double>(s.processed) * static_cast<double>(s.processed);
  }
  r.latency = Summarize(std::move(all));
  r.jain = sum_sq > 0
               ? sum * sum / (static_cast<double>(r.streams.size()) * sum_sq)
               : 1.0;
}

// Records one answered frame into `s`.
void Record(StreamCounts& s, const Workload& work, size_t item,
            const StatusOr<OutputBytes>& outputs, double latency_us) {
  if (!outputs.ok()) {
    ++s.errors;
    if (!s.first_error) s.first_error = outputs.status();
    return;
  }
  ++s.processed;
  s.latencies_us.push_back(latency_us);
  if (Status c = work.Check(item, *outputs); !c.ok()) {
    ++s.mismatches;
    if (!s.first_error) s.first_error = c;
  }
}

size_t ItemOf(int stream, int streams, uint64_t frame) {
  return static_cast<size_t>(stream) +
         static_cast<size_t>(frame) * static_cast<size_t>(streams);
}

// direct: each camera thread owns an interpreter and invokes it for every
// frame, in order, as soon as the frame exists and the previous one is done.
StatusOr<StrategyResult> RunDirect(const StreamsBenchConfig& config,
                                   const std::vector<Workload>& work) {
  StrategyResult r;
  r.name = "direct";
  r.streams.resize(static_cast<size_t>(config.streams));
  std::vector<std::unique_ptr<Interpreter>> interps;
  for (int i = 0; i < config.streams; ++i) {
    const int m = i % static_cast<int>(config.models.size());
    r.streams[static_cast<size_t>(i)].model = m;
    ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp,
                     Interpreter::Create(config.models[static_cast<size_t>(m)],
                                         config.options));
    RETURN_IF_ERROR(interp->AllocateTensors());
    RETURN_IF_ERROR(
        RunRequest(*interp, work[static_cast<size_t>(m)].item(0), nullptr));
    interps.push_back(std::move(interp));
  }
  sim::ResetSimDeviceStats();
  const uint64_t frames = FramesIn(config.duration_s, config.fps);
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(5);
  const Clock::time_point end =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(config.duration_s));
  std::vector<std::thread> threads;
  for (int i = 0; i < config.streams; ++i) {
    threads.emplace_back([&, i] {
      StreamCounts& s = r.streams[static_cast<size_t>(i)];
      const Workload& w = work[static_cast<size_t>(s.model)];
      Interpreter& interp = *interps[static_cast<size_t>(i)];
      s.captured = frames;
      for (uint64_t k = 0; k < frames && Clock::now() < end; ++k) {
        const Clock::time_point capture = CaptureTime(start, config.fps, k);
        std::this_thread::sleep_until(capture);
        const size_t item = ItemOf(i, config.streams, k);
        OutputBytes outputs;
        Status st = RunRequest(interp, w.item(item), &outputs);
        const double us =
            std::chrono::duration<double, std::micro>(Clock::now() - capture)
                .count();
        Record(s, w, item,
               st.ok() ? StatusOr<OutputBytes>(std::move(outputs))
                       : StatusOr<OutputBytes>(st),
               us);
      }
      s.dropped = s.captured - s.processed - s.errors;
    });
  }
  for (std::thread& t : threads) t.join();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.sim_switches = sim::SimDeviceStats().switches;
  if (config.options.backends.empty() ||
      config.options.backends.front() == "sim") {
    r.switches = r.sim_switches;
  }
  Finalize(r, 1e6 / config.fps);
  return r;
}

// scheduler: one session per model on one shared 1-slot device, one Stream
// (keep-latest) per camera.
StatusOr<StrategyResult> RunScheduled(const StreamsBenchConfig& config,
                                      const std::vector<Workload>& work,
                                      bool grouping) {
  StrategyResult r;
  r.name = grouping ? "scheduler+grouping" : "scheduler";
  r.streams.resize(static_cast<size_t>(config.streams));
  session::DeviceSpec device;
  device.name =
      config.options.backends.empty() ? "cpu" : config.options.backends.front();
  device.slots = 1;
  device.max_queue = static_cast<size_t>(std::max(64, 2 * config.streams));
  device.group_by_model = grouping;
  ASSIGN_OR_RETURN(std::unique_ptr<session::Scheduler> created,
                   session::Scheduler::Create({device}));
  std::shared_ptr<session::Scheduler> scheduler(std::move(created));
  std::vector<std::unique_ptr<session::Session>> sessions;
  for (size_t m = 0; m < config.models.size(); ++m) {
    session::SessionOptions options;
    options.num_interpreters = 1;
    options.threads_per_interpreter = config.options.num_threads;
    options.interpreter = config.options;
    options.scheduler = scheduler;
    options.device = device.name;
    options.name = std::filesystem::path(config.model_paths[m]).stem().string();
    // No warm-up run: the fresh scheduler's model_switches then counts the
    // first load, like the simulated device's counter after the reset.
    ASSIGN_OR_RETURN(std::unique_ptr<session::Session> s,
                     session::Session::Create(config.models[m], options));
    sessions.push_back(std::move(s));
  }
  sim::ResetSimDeviceStats();

  const uint64_t frames = FramesIn(config.duration_s, config.fps);
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(5);
  std::mutex mu;  // guards r.streams' results (callbacks of many streams)
  std::vector<std::unique_ptr<session::Stream>> streams;
  for (int i = 0; i < config.streams; ++i) {
    const int m = i % static_cast<int>(config.models.size());
    r.streams[static_cast<size_t>(i)].model = m;
    const Workload* w = &work[static_cast<size_t>(m)];
    auto on_result = [&, i, w](uint64_t frame_id,
                               StatusOr<session::Session::Outputs> result) {
      const double us =
          std::chrono::duration<double, std::micro>(
              Clock::now() - CaptureTime(start, config.fps, frame_id - 1))
              .count();
      StatusOr<OutputBytes> outputs = OutputBytes{};
      if (result.ok()) {
        for (session::TensorData& t : *result) {
          outputs->push_back(std::move(t.bytes));
        }
      } else {
        outputs = result.status();
      }
      std::lock_guard<std::mutex> lock(mu);
      Record(r.streams[static_cast<size_t>(i)], *w,
             ItemOf(i, config.streams, frame_id - 1), outputs, us);
    };
    ASSIGN_OR_RETURN(std::unique_ptr<session::Stream> stream,
                     session::Stream::Create(
                         sessions[static_cast<size_t>(m)].get(),
                         {.name = "camera" + std::to_string(i)}, on_result));
    streams.push_back(std::move(stream));
  }
  std::vector<std::thread> cameras;
  for (int i = 0; i < config.streams; ++i) {
    cameras.emplace_back([&, i] {
      const Workload& w =
          work[static_cast<size_t>(i % static_cast<int>(config.models.size()))];
      for (uint64_t k = 0; k < frames; ++k) {
        std::this_thread::sleep_until(CaptureTime(start, config.fps, k));
        streams[static_cast<size_t>(i)]->Push(
            w.item(ItemOf(i, config.streams, k)).tensors);
      }
    });
  }
  for (std::thread& t : cameras) t.join();
  for (auto& s : streams) s->Close();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (int i = 0; i < config.streams; ++i) {
    const session::StreamStats st = streams[static_cast<size_t>(i)]->stats();
    StreamCounts& s = r.streams[static_cast<size_t>(i)];
    s.captured = st.pushed;
    s.dropped = st.dropped;
  }
  streams.clear();
  r.scheduler_switches = sessions.front()->stats().device.model_switches;
  r.sim_switches = sim::SimDeviceStats().switches;
  r.switches = device.name == "sim" ? r.sim_switches : *r.scheduler_switches;
  Finalize(r, 1e6 / config.fps);
  return r;
}

std::string Ms(double us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", us / 1000.0);
  return buf;
}

nlohmann::json StrategyJson(const StrategyResult& r,
                            const StreamsBenchConfig& config) {
  nlohmann::json per = nlohmann::json::array();
  for (size_t i = 0; i < r.streams.size(); ++i) {
    const StreamCounts& s = r.streams[i];
    per.push_back({{"stream", i},
                   {"model", config.model_paths[static_cast<size_t>(s.model)]},
                   {"captured", s.captured},
                   {"processed", s.processed},
                   {"dropped", s.dropped},
                   {"late", s.late},
                   {"errors", s.errors},
                   {"mismatches", s.mismatches}});
  }
  return {
      {"strategy", r.name},
      {"seconds", r.seconds},
      {"processed", r.processed},
      {"processed_per_s", r.seconds > 0 ? r.processed / r.seconds : 0},
      {"dropped", r.dropped},
      {"late", r.late},
      {"errors", r.errors},
      {"mismatches", r.mismatches},
      {"latency_ms",
       {{"count", r.latency.count},
        {"p50", r.latency.p50 / 1000.0},
        {"p90", r.latency.p90 / 1000.0},
        {"p99", r.latency.p99 / 1000.0},
        {"max", r.latency.max / 1000.0}}},
      {"model_switches",
       r.switches ? nlohmann::json(*r.switches) : nlohmann::json(nullptr)},
      {"sim_device_switches", r.sim_switches},
      {"scheduler_model_switches", r.scheduler_switches
                                       ? nlohmann::json(*r.scheduler_switches)
                                       : nlohmann::json(nullptr)},
      {"fairness_jain", r.jain},
      {"streams", per},
      {"first_error", r.first_error ? nlohmann::json(r.first_error->ToString())
                                    : nlohmann::json(nullptr)}};
}

void PrintStrategy(std::ostream& out, const StrategyResult& r) {
  char jain[16];
  std::snprintf(jain, sizeof(jain), "%.3f", r.jain);
  char line[256];
  std::snprintf(line, sizeof(line), "%-19s %9llu %9llu %7llu %9s %9s %9s %9s\n",
                r.name.c_str(), static_cast<unsigned long long>(r.processed),
                static_cast<unsigned long long>(r.dropped),
                static_cast<unsigned long long>(r.late),
                Ms(r.latency.p50).c_str(), Ms(r.latency.p99).c_str(),
                r.switches ? std::to_string(*r.switches).c_str() : "n/a", jain);
  out << line << "    per stream processed/captured:";
  for (const StreamCounts& s : r.streams) {
    out << " " << s.processed << "/" << s.captured;
  }
  out << "\n";
}

}  // namespace

int RunStreamsBench(const StreamsBenchConfig& config, std::ostream& out,
                    std::ostream& err) {
  const std::string subject =
      config.model_paths.empty() ? "" : config.model_paths[0];
  auto fail = [&](const Status& s, int code) {
    err << ErrorLine("bench", subject, s) << "\n";
    return code;
  };
  if (config.models.empty() ||
      config.models.size() != config.model_paths.size()) {
    return fail(InvalidArgumentError("--streams needs at least one model"),
                kExitUsage);
  }
  std::vector<Workload> work;
  for (size_t m = 0; m < config.models.size(); ++m) {
    StatusOr<Workload> w = Workload::Create(config.models[m], config.options,
                                            {}, config.seed, kInputSets);
    if (!w.ok()) {
      err << ErrorLine("bench", config.model_paths[m], w.status()) << "\n";
      return kExitUsage;
    }
    work.push_back(std::move(w).value());
  }
  const std::vector<std::string> backends =
      config.options.backends.empty() ? std::vector<std::string>{"cpu"}
                                      : config.options.backends;
  const bool on_sim = backends.front() == "sim";
  const sim::SimDeviceConfig sim_config = sim::SimDeviceConfiguration();
  const double load_start = LoadAverage1m();
  if (!config.json) {
    out << "streams: " << config.streams << " cameras x " << config.fps
        << " fps = " << config.streams * config.fps << " frames/s offered for "
        << config.duration_s << " s; models:";
    for (const std::string& p : config.model_paths) out << " " << p;
    out << "\ndevice: " << DeviceDescription(backends);
    if (on_sim) {
      out << ", latency " << sim_config.latency.count() << " us, switch "
          << sim_config.switch_cost.count() << " us";
      if (sim_config.latency.count() > 0) {
        out << " (at most ~"
            << static_cast<int>(1e6 /
                                static_cast<double>(sim_config.latency.count()))
            << " frames/s)";
      }
    }
    out << "; load average " << load_start << "\n"
        << "strategy            processed   dropped    late    p50 ms    "
           "p99 ms  switches  fairness\n"
        << std::flush;
  }

  std::vector<StrategyResult> results;
  StatusOr<StrategyResult> direct = RunDirect(config, work);
  if (!direct.ok()) return fail(direct.status(), kExitUsage);
  if (!config.json) PrintStrategy(out, *direct);
  results.push_back(std::move(direct).value());
  std::vector<bool> groupings = {false};
  if (config.models.size() > 1) groupings.push_back(true);
  for (bool grouping : groupings) {
    StatusOr<StrategyResult> sched = RunScheduled(config, work, grouping);
    if (!sched.ok()) return fail(sched.status(), kExitUsage);
    if (!config.json) PrintStrategy(out, *sched);
    results.push_back(std::move(sched).value());
  }
  if (!config.json) {
    out << "(direct: 'dropped' = frames never processed by the end, the "
           "backlog; late = answered more than one frame period after "
           "capture)\n";
  }

  std::optional<Status> verdict;
  for (const StrategyResult& r : results) {
    if (!verdict && (r.errors > 0 || r.mismatches > 0)) {
      verdict = r.first_error->WithContext(
          "--streams, " + r.name + ": " + std::to_string(r.errors) +
          " failed frames, " + std::to_string(r.mismatches) +
          " wrong outputs; the first");
    }
  }
  if (config.json) {
    nlohmann::json j;
    j["format"] = "edgerun bench streams v1";
    j["config"] = {{"models", config.model_paths},
                   {"backends", backends},
                   {"device", DeviceDescription(backends)},
                   {"streams", config.streams},
                   {"fps", config.fps},
                   {"duration_s", config.duration_s},
                   {"threads", config.options.num_threads},
                   {"seed", config.seed}};
    if (on_sim) {
      j["config"]["sim_latency_us"] = sim_config.latency.count();
      j["config"]["sim_switch_us"] = sim_config.switch_cost.count();
    }
    j["host"] = HostJson(std::thread::hardware_concurrency(), load_start);
    nlohmann::json list = nlohmann::json::array();
    for (const StrategyResult& r : results)
      list.push_back(StrategyJson(r, config));
    j["strategies"] = list;
    WriteJsonReport(j, verdict, out);
  }
  if (verdict) return fail(*verdict, kExitFailure);
  return kExitOk;
}

}  // namespace edgerun::cli
