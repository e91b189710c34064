#include "tools/edgerun/bench_command.h"

#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "backends/sim/sim_device.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "tools/edgerun/bench_clients.h"
#include "tools/edgerun/bench_streams.h"
#include "tools/edgerun/interpreter_setup.h"
#include "tools/edgerun/stats.h"

namespace edgerun::cli {
namespace {

using Clock = std::chrono::steady_clock;

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start)
      .count();
}

// Resident memory of this process in KiB; -1 where the platform does not
// say (no /proc). VmHWM and ru_maxrss are both peaks; ru_maxrss is what
// getrusage users (and TFLite's benchmark) report, VmHWM is resettable and
// per-process on every Linux.
struct ProcessMemory {
  int64_t rss_kb = -1;
  int64_t hwm_kb = -1;
  int64_t ru_maxrss_kb = -1;
};

ProcessMemory ReadProcessMemory() {
  ProcessMemory m;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    auto field = [&](const char* key, int64_t* value) {
      const size_t n = std::char_traits<char>::length(key);
      if (line.compare(0, n, key) == 0) *value = std::atoll(line.c_str() + n);
    };
    field("VmRSS:", &m.rss_kb);
    field("VmHWM:", &m.hwm_kb);
  }
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0)
    m.ru_maxrss_kb = usage.ru_maxrss;  // KiB on Linux
  return m;
}

nlohmann::json KiB(int64_t kb) {
  return kb < 0 ? nlohmann::json(nullptr) : nlohmann::json(kb);
}

std::string Mib(int64_t kb) {
  if (kb < 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", kb / 1024.0);
  return buf;
}

std::string Ms(double us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f ms", us / 1000.0);
  return buf;
}

// Terminal progress bar for the measured loop, redrawn at most every 100 ms
// so that drawing does not show up in the timings. Draws only when enabled.
class Progress {
 public:
  Progress(std::ostream& out, bool enabled, int runs, double min_secs,
           double max_secs)
      : out_(out),
        enabled_(enabled),
        runs_(runs),
        min_secs_(min_secs),
        max_secs_(max_secs) {}

  void Update(int64_t done, double secs, bool force = false) {
    if (!enabled_) return;
    const Clock::time_point now = Clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    // Done when both targets are met, or at the time cap.
    double fraction = std::min(static_cast<double>(done) / runs_,
                               min_secs_ > 0 ? secs / min_secs_ : 1.0);
    fraction = std::clamp(std::max(fraction, secs / max_secs_), 0.0, 1.0);
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    char buf[160];
    std::snprintf(
        buf, sizeof(buf), "\r[%s%s] %3d%%  %lld runs, %.1f s",
        std::string(static_cast<size_t>(filled), '#').c_str(),
        std::string(static_cast<size_t>(kWidth - filled), '.').c_str(),
        static_cast<int>(fraction * 100), static_cast<long long>(done), secs);
    out_ << buf << std::flush;
  }
  void Finish() {
    if (enabled_) out_ << "\r" << std::string(60, ' ') << "\r" << std::flush;
  }

 private:
  std::ostream& out_;
  bool enabled_;
  int runs_;
  double min_secs_, max_secs_;
  Clock::time_point last_{};
};

class BenchCommand final : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "bench", "Measure init time, inference latency and memory of a model");
    sub->add_option("model", model_path_, "The .tflite model")->required();
    sub->add_option(
           "--backends", backends_,
           "Backend preference list, e.g. 'xnnpack,cpu' (cpu is implied last)")
        ->capture_default_str();
    threads_option_ =
        sub->add_option("--threads", threads_,
                        "Threads per Invoke for backends that use them")
            ->check(CLI::Range(1, 256))
            ->capture_default_str();
    sub->add_option("--warmup-runs", warmup_runs_,
                    "Untimed runs after the first inference")
        ->check(CLI::Range(0, 1000000))
        ->capture_default_str();
    sub->add_option("--runs", runs_, "Minimum number of measured runs")
        ->check(CLI::Range(1, 100000000))
        ->capture_default_str();
    sub->add_option("--min-secs", min_secs_, "Minimum measured time in seconds")
        ->check(CLI::Range(0.0, 1e6))
        ->capture_default_str();
    sub->add_option("--max-secs", max_secs_,
                    "Stop measuring after this many seconds (at least one run)")
        ->check(CLI::Range(1e-6, 1e6))
        ->capture_default_str();
    interpreters_option_ =
        sub->add_option("--interpreters", interpreters_,
                        "Interpreters of the same model, run round-robin "
                        "(--clients: pool / session size)")
            ->check(CLI::Range(1, 64))
            ->capture_default_str();
    sub->add_option("--max-delegated-partitions", max_delegated_partitions_,
                    "Partition limit (0 = none)")
        ->check(CLI::Range(0, 100000));
    sub->add_option("--min-nodes-per-partition", min_nodes_per_partition_,
                    "Smallest partition a backend gets")
        ->check(CLI::Range(1, 100000));
    sub->add_flag("--require-full-delegation", require_full_delegation_,
                  "Fail when any node would stay on the CPU kernels");
    sub->add_option(
        "--input", inputs_,
        "Input file per model input (.npy, raw, image) or '-' for random");
    sub->add_option("--seed", seed_, "Seed of the random inputs")
        ->capture_default_str();
    sub->add_flag("--json", json_,
                  "Print one JSON document (keys: docs/bench.md)");
    // Concurrency (bench_clients.h) and multi-camera (bench_streams.h).
    sub->add_option("--clients", clients_,
                    "Closed-loop client threads, e.g. '1,2,4,8' (see --mode)");
    sub->add_option("--mode", mode_,
                    "--clients: shared (one interpreter, no lock: fails), "
                    "mutex, pool or session")
        ->capture_default_str();
    sub->add_option("--session-mode", session_mode_,
                    "--mode session: throughput or latency")
        ->check(CLI::IsMember({"throughput", "latency"}))
        ->capture_default_str();
    sub->add_option("--duration", duration_s_,
                    "--clients / --streams: seconds per measurement")
        ->check(CLI::Range(0.01, 3600.0))
        ->capture_default_str();
    sub->add_option("--streams", streams_,
                    "Cameras feeding one device (direct vs scheduler)")
        ->check(CLI::Range(1, 64));
    sub->add_option("--fps", fps_, "--streams: frames per second per camera")
        ->check(CLI::Range(0.1, 10000.0))
        ->capture_default_str();
    sub->add_option("--models", models_,
                    "--streams: more models, comma-separated; the streams "
                    "cycle over MODEL and these");
    sub->add_option("--sim-latency-us", sim_latency_us_,
                    "Simulated accelerator: latency per request (us)")
        ->check(CLI::Range(int64_t{0}, int64_t{10000000}));
    sub->add_option("--sim-switch-us", sim_switch_us_,
                    "Simulated accelerator: model switch cost (us)")
        ->check(CLI::Range(int64_t{0}, int64_t{10000000}));
    return sub;
  }

  int Run(std::ostream& out, std::ostream& err) override {
    auto fail = [&](const Status& s, int code) {
      err << ErrorLine("bench", model_path_, s) << "\n";
      return code;
    };
    StatusOr<std::vector<std::string>> backends = ParseBackendList(backends_);
    if (!backends.ok()) return fail(backends.status(), kExitUsage);
    InterpreterOptions options;
    options.backends = *backends;
    options.num_threads = threads_;
    options.require_full_delegation = require_full_delegation_;
    options.max_delegated_partitions = max_delegated_partitions_;
    options.min_nodes_per_partition = min_nodes_per_partition_;
    if (!clients_.empty() && streams_ > 0) {
      return fail(InvalidArgumentError("--clients and --streams are separate "
                                       "benchmarks; give one of them"),
                  kExitUsage);
    }
    if (!models_.empty() && streams_ == 0) {
      return fail(InvalidArgumentError("--models goes with --streams"),
                  kExitUsage);
    }
    // The simulated accelerator is process-wide; the options override its
    // environment variables.
    if (sim_latency_us_ >= 0 || sim_switch_us_ >= 0) {
      backends::sim::SimDeviceConfig sim =
          backends::sim::SimDeviceConfiguration();
      if (sim_latency_us_ >= 0) {
        sim.latency = std::chrono::microseconds(sim_latency_us_);
      }
      if (sim_switch_us_ >= 0) {
        sim.switch_cost = std::chrono::microseconds(sim_switch_us_);
      }
      backends::sim::ConfigureSimDevice(sim);
    }
    if (!clients_.empty()) return RunClients(options, out, err);
    if (streams_ > 0) return RunStreams(options, out, err);

    // ---- init: load + Create + AllocateTensors (weight packing included).
    const ProcessMemory before = ReadProcessMemory();
    const Clock::time_point init_start = Clock::now();
    StatusOr<std::shared_ptr<const ModelFile>> model =
        LoadModelFromFile(model_path_);
    if (!model.ok()) return fail(model.status(), kExitUsage);
    const double load_us = MicrosSince(init_start);
    double create_us = 0, allocate_us = 0;
    std::vector<std::unique_ptr<Interpreter>> interps;
    for (int k = 0; k < interpreters_; ++k) {
      Clock::time_point t = Clock::now();
      StatusOr<std::unique_ptr<Interpreter>> created =
          Interpreter::Create(*model, options);
      if (!created.ok()) return fail(created.status(), kExitUsage);
      create_us += MicrosSince(t);
      t = Clock::now();
      if (Status s = (*created)->AllocateTensors(); !s.ok())
        return fail(s, kExitUsage);
      allocate_us += MicrosSince(t);
      interps.push_back(std::move(created).value());
    }
    const double init_us = MicrosSince(init_start);
    const ExecutionPlanInfo plan = interps[0]->execution_plan();
    if (Status s = CheckFullDelegation(plan, options); !s.ok())
      return fail(s, kExitUsage);

    const std::vector<InputSpec> specs = InputSpecs(*interps[0], **model);
    StatusOr<std::vector<PreparedInput>> inputs =
        PrepareInputs(specs, inputs_, seed_);
    if (!inputs.ok()) return fail(inputs.status(), kExitUsage);
    for (auto& interp : interps) {
      if (Status s = ApplyInputs(*interp, *inputs); !s.ok())
        return fail(s, kExitUsage);
    }
    const ProcessMemory after_init = ReadProcessMemory();

    const bool tty =
        !json_ && out.rdbuf() == std::cout.rdbuf() && isatty(STDOUT_FILENO);
    const uint64_t file_size = FileSize(model_path_);
    if (!json_) {
      out << "model: " << model_path_ << " (" << file_size << " bytes, "
          << interps[0]->num_nodes() << " nodes)\n";
      out << "backends: "
          << JoinBackends(options.backends.empty()
                              ? std::vector<std::string>{"cpu"}
                              : options.backends)
          << ", threads " << threads_ << ", interpreters " << interpreters_
          << "\n";
      out << "plan: " << PlanSummary(plan) << "\n";
      for (size_t i = 0; i < inputs->size(); ++i) {
        out << "input " << i << " '" << specs[i].name
            << "': " << (*inputs)[i].description << "\n";
      }
      out << "init: " << Ms(init_us) << " (load " << Ms(load_us) << ", create "
          << Ms(create_us) << ", allocate " << Ms(allocate_us) << ")\n"
          << std::flush;
    }

    // ---- first inference of each interpreter (lazy work shows up here).
    double first_us = 0;
    for (auto& interp : interps) {
      const Clock::time_point t = Clock::now();
      if (Status s = interp->Invoke(); !s.ok()) return fail(s, kExitFailure);
      first_us += MicrosSince(t);
    }
    first_us /= static_cast<double>(interps.size());

    // ---- warmup, round-robin.
    std::vector<double> warmup;
    for (int r = 0; r < warmup_runs_; ++r) {
      const Clock::time_point t = Clock::now();
      if (Status s = interps[r % interps.size()]->Invoke(); !s.ok()) {
        return fail(s, kExitFailure);
      }
      warmup.push_back(MicrosSince(t));
    }
    const SampleSummary warm = Summarize(warmup);
    if (!json_) {
      out << "first inference: " << Ms(first_us) << "\n";
      out << "warmup: " << warm.count << " runs, avg " << Ms(warm.mean) << "\n";
      if (!tty) {
        char line[160];
        std::snprintf(
            line, sizeof(line),
            "measuring: at least %d runs and %.3g s, at most %.3g s\n", runs_,
            min_secs_, max_secs_);
        out << line << std::flush;
      }
    }

    // ---- measured runs: until both --runs and --min-secs, capped by
    // --max-secs (at least one run).
    std::vector<double> samples;
    samples.reserve(static_cast<size_t>(runs_));
    Progress progress(out, tty, runs_, min_secs_, max_secs_);
    const Clock::time_point measure_start = Clock::now();
    double elapsed_s = 0;
    while (samples.empty() || ((static_cast<int64_t>(samples.size()) < runs_ ||
                                elapsed_s < min_secs_) &&
                               elapsed_s < max_secs_)) {
      const Clock::time_point t = Clock::now();
      if (Status s = interps[samples.size() % interps.size()]->Invoke();
          !s.ok()) {
        progress.Finish();
        return fail(s, kExitFailure);
      }
      samples.push_back(MicrosSince(t));
      elapsed_s = MicrosSince(measure_start) / 1e6;
      progress.Update(static_cast<int64_t>(samples.size()), elapsed_s);
    }
    progress.Update(static_cast<int64_t>(samples.size()), elapsed_s,
                    /*force=*/true);
    progress.Finish();
    const SampleSummary lat = Summarize(samples);
    const ProcessMemory peak = ReadProcessMemory();

    MemoryStats mem = interps[0]->memory_stats();
    size_t arena_all = 0;
    for (auto& interp : interps)
      arena_all += interp->memory_stats().arena_bytes;

    if (json_) {
      nlohmann::json j;
      j["format"] = "edgerun bench v1";
      j["model"] = {{"path", model_path_},
                    {"size_bytes", file_size},
                    {"nodes", interps[0]->num_nodes()}};
      nlohmann::json input_list = nlohmann::json::array();
      for (size_t i = 0; i < inputs->size(); ++i) {
        input_list.push_back(
            {{"name", specs[i].name}, {"source", (*inputs)[i].description}});
      }
      j["config"] = {{"backends", options.backends.empty()
                                      ? std::vector<std::string>{"cpu"}
                                      : options.backends},
                     {"threads", threads_},
                     {"interpreters", interpreters_},
                     {"warmup_runs", warmup_runs_},
                     {"runs", runs_},
                     {"min_secs", min_secs_},
                     {"max_secs", max_secs_},
                     {"require_full_delegation", require_full_delegation_},
                     {"seed", seed_},
                     {"inputs", input_list}};
      j["host"] = {{"hardware_threads", std::thread::hardware_concurrency()}};
      j["init"] = {{"total_us", init_us},
                   {"load_us", load_us},
                   {"create_us", create_us},
                   {"allocate_us", allocate_us}};
      j["first_inference_us"] = first_us;
      j["warmup"] = {{"count", warm.count}, {"avg_us", warm.mean}};
      j["inference"] = {{"count", lat.count},     {"avg_us", lat.mean},
                        {"std_us", lat.std},      {"min_us", lat.min},
                        {"max_us", lat.max},      {"p50_us", lat.p50},
                        {"p90_us", lat.p90},      {"p99_us", lat.p99},
                        {"total_secs", elapsed_s}};
      j["memory"] = {{"rss_before_load_kb", KiB(before.rss_kb)},
                     {"rss_after_init_kb", KiB(after_init.rss_kb)},
                     {"rss_end_kb", KiB(peak.rss_kb)},
                     {"peak_rss_kb", KiB(peak.hwm_kb)},
                     {"ru_maxrss_kb", KiB(peak.ru_maxrss_kb)},
                     {"arena_bytes", mem.arena_bytes},
                     {"arena_bytes_all_interpreters", arena_all},
                     {"tensor_bytes", mem.tensor_bytes},
                     {"variable_bytes", mem.variable_bytes},
                     {"scratch_bytes", mem.scratch_bytes},
                     {"dynamic_bytes", mem.dynamic_bytes},
                     {"packed_weight_bytes", plan.packed_weight_bytes}};
      j["plan"] = PlanJson(plan);
      out << j.dump(2) << "\n";
      return kExitOk;
    }

    char line[256];
    std::snprintf(line, sizeof(line),
                  "inference: count %lld, avg %.1f us, std %.1f us, min %.1f "
                  "us, max %.1f us\n"
                  "percentiles: p50 %.1f us, p90 %.1f us, p99 %.1f us (%.2f s "
                  "measured)\n",
                  static_cast<long long>(lat.count), lat.mean, lat.std, lat.min,
                  lat.max, lat.p50, lat.p90, lat.p99, elapsed_s);
    out << line;
    out << "memory: rss before load " << Mib(before.rss_kb) << ", after init "
        << Mib(after_init.rss_kb) << ", peak " << Mib(peak.hwm_kb)
        << " (VmHWM), " << Mib(peak.ru_maxrss_kb) << " (ru_maxrss)\n";
    out << "arena: " << mem.arena_bytes << " bytes per interpreter ("
        << arena_all << " in all), tensors " << mem.tensor_bytes << ", scratch "
        << mem.scratch_bytes << ", variables " << mem.variable_bytes
        << ", dynamic " << mem.dynamic_bytes << ", packed weights "
        << plan.packed_weight_bytes << "\n";
    for (const FallbackEvent& f : plan.fallbacks) {
      out << "fallback (" << f.stage << ") from " << f.backend << ", "
          << f.nodes.size() << " nodes: " << f.reason << "\n";
    }
    return kExitOk;
  }

 private:
  int RunClients(const InterpreterOptions& options, std::ostream& out,
                 std::ostream& err) {
    auto fail = [&](const Status& s) {
      err << ErrorLine("bench", model_path_, s) << "\n";
      return kExitUsage;
    };
    ClientsBenchConfig config;
    StatusOr<std::vector<int>> clients = ParseClientList(clients_);
    if (!clients.ok()) return fail(clients.status());
    StatusOr<ClientsMode> mode = ParseClientsMode(mode_);
    if (!mode.ok()) return fail(mode.status());
    StatusOr<std::shared_ptr<const ModelFile>> model =
        LoadModelFromFile(model_path_);
    if (!model.ok()) return fail(model.status());
    config.model_path = model_path_;
    config.model = *model;
    config.options = options;
    config.clients = *clients;
    config.mode = *mode;
    config.duration_s = duration_s_;
    config.interpreters = interpreters_option_->count() > 0 ? interpreters_ : 0;
    config.threads_given = threads_option_->count() > 0;
    config.session_mode = session_mode_ == "latency"
                              ? session::SessionMode::kLatency
                              : session::SessionMode::kThroughput;
    config.input_files = inputs_;
    config.seed = seed_;
    config.json = json_;
    return RunClientsBench(config, out, err);
  }

  int RunStreams(const InterpreterOptions& options, std::ostream& out,
                 std::ostream& err) {
    StreamsBenchConfig config;
    config.model_paths = {model_path_};
    if (!models_.empty()) {
      StatusOr<std::vector<std::string>> paths = SplitList(models_);
      if (!paths.ok()) {
        err << ErrorLine("bench", model_path_, paths.status()) << "\n";
        return kExitUsage;
      }
      config.model_paths.insert(config.model_paths.end(), paths->begin(),
                                paths->end());
    }
    for (const std::string& path : config.model_paths) {
      StatusOr<std::shared_ptr<const ModelFile>> model =
          LoadModelFromFile(path);
      if (!model.ok()) {
        err << ErrorLine("bench", path, model.status()) << "\n";
        return kExitUsage;
      }
      config.models.push_back(*model);
    }
    config.options = options;
    config.streams = streams_;
    config.fps = fps_;
    config.duration_s = duration_s_;
    config.seed = seed_;
    config.json = json_;
    return RunStreamsBench(config, out, err);
  }

  // "a.tflite,b.tflite" -> paths; empty entries are kInvalidArgument.
  static StatusOr<std::vector<std::string>> SplitList(const std::string& list) {
    std::vector<std::string> items;
    size_t start = 0;
    while (true) {
      const size_t comma = list.find(',', start);
      std::string item =
          list.substr(start, comma == std::string::npos ? std::string::npos
                                                        : comma - start);
      if (item.empty()) {
        return InvalidArgumentError("--models '" + list +
                                    "' has an empty entry");
      }
      items.push_back(std::move(item));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return items;
  }

  static uint64_t FileSize(const std::string& path) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(path, ec);
    return ec ? 0 : static_cast<uint64_t>(size);
  }

  // The runtime enforces require_full_delegation; this repeats the check on
  // the reported plan so that a runtime that does not (yet) honour the
  // option cannot make a CPU run pass for a delegated one.
  static Status CheckFullDelegation(const ExecutionPlanInfo& plan,
                                    const InterpreterOptions& options) {
    if (!options.require_full_delegation) return OkStatus();
    bool other = false;
    for (const std::string& b : options.backends) other |= b != "cpu";
    if (!other) return OkStatus();
    size_t cpu_nodes = 0;
    for (const PartitionInfo& p : plan.partitions) {
      if (p.backend == "cpu") cpu_nodes += p.nodes.size();
    }
    if (cpu_nodes == 0) return OkStatus();
    return FailedPreconditionError(
        "--require-full-delegation: " + std::to_string(cpu_nodes) +
        " nodes stay on the cpu (plan: " + PlanSummary(plan) + ")");
  }

  static nlohmann::json PlanJson(const ExecutionPlanInfo& plan) {
    nlohmann::json parts = nlohmann::json::array();
    size_t delegated = 0, cpu = 0;
    for (const PartitionInfo& p : plan.partitions) {
      (p.backend == "cpu" ? cpu : delegated) += p.nodes.size();
      parts.push_back({{"backend", p.backend},
                       {"nodes", p.nodes},
                       {"ops", p.ops},
                       {"inputs", p.inputs},
                       {"outputs", p.outputs}});
    }
    nlohmann::json fallbacks = nlohmann::json::array();
    for (const FallbackEvent& f : plan.fallbacks) {
      fallbacks.push_back({{"backend", f.backend},
                           {"stage", f.stage},
                           {"nodes", f.nodes},
                           {"reason", f.reason}});
    }
    return {{"backends", plan.backends},
            {"summary", PlanSummary(plan)},
            {"partitions", parts},
            {"delegated_nodes", delegated},
            {"cpu_nodes", cpu},
            {"fallbacks", fallbacks},
            {"boundary_tensors", plan.boundary_tensors.size()},
            {"boundary_copies", plan.boundary_copies}};
  }

  std::string model_path_;
  std::string backends_ = "cpu";
  int threads_ = 1;
  int warmup_runs_ = 1;
  int runs_ = 50;
  double min_secs_ = 1.0;
  double max_secs_ = 150.0;
  int interpreters_ = 1;
  int max_delegated_partitions_ = 0;
  int min_nodes_per_partition_ = 1;
  bool require_full_delegation_ = false;
  std::vector<std::string> inputs_;
  uint32_t seed_ = 1;
  bool json_ = false;
  CLI::Option* threads_option_ = nullptr;
  CLI::Option* interpreters_option_ = nullptr;
  std::string clients_;
  std::string mode_ = "session";
  std::string session_mode_ = "throughput";
  double duration_s_ = 5.0;
  int streams_ = 0;
  double fps_ = 30.0;
  std::string models_;
  int64_t sim_latency_us_ = -1;  // -1: not given (environment / default)
  int64_t sim_switch_us_ = -1;
};

}  // namespace

std::unique_ptr<Command> MakeBenchCommand() {
  return std::make_unique<BenchCommand>();
}

}  // namespace edgerun::cli
