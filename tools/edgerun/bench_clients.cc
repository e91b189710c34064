#include "tools/edgerun/bench_clients.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <latch>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "tools/edgerun/bench_workload.h"
#include "tools/edgerun/command.h"
#include "tools/edgerun/interpreter_setup.h"
#include "tools/edgerun/stats.h"

namespace edgerun::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Distinct input sets per run; requests cycle through them.
constexpr int kInputSets = 8;

int HardwareThreads() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// What the clients call: one request in, its outputs out. Implementations
// are thread-safe in the way their mode promises (SharedTarget is not, on
// purpose, and relies on the Interpreter's concurrent-use detection).
// Ownership: a Target owns its interpreters or session.
class Target {
 public:
  virtual ~Target() = default;
  // Runs `item`. Fills `outputs` when reads_outputs(); errors unchanged.
  virtual Status Infer(const WorkItem& item, OutputBytes* outputs) = 0;
  virtual bool reads_outputs() const { return true; }
};

// One interpreter, no lock. With several clients the inputs are set once up
// front and the clients only call Invoke: Invoke is the region the
// Interpreter's detection covers (an overlapping call fails before touching
// any tensor), so the bench itself has no data race; reading outputs or
// setting inputs outside it would be one.
class SharedTarget final : public Target {
 public:
  SharedTarget(std::unique_ptr<Interpreter> interp, bool invoke_only)
      : interp_(std::move(interp)), invoke_only_(invoke_only) {}
  Status Infer(const WorkItem& item, OutputBytes* outputs) override {
    if (invoke_only_) return interp_->Invoke();
    return RunRequest(*interp_, item, outputs);
  }
  bool reads_outputs() const override { return !invoke_only_; }
  Interpreter& interpreter() { return *interp_; }

 private:
  std::unique_ptr<Interpreter> interp_;
  const bool invoke_only_;
};

// One interpreter behind a mutex (held for inputs, Invoke and outputs).
class MutexTarget final : public Target {
 public:
  explicit MutexTarget(std::unique_ptr<Interpreter> interp)
      : interp_(std::move(interp)) {}
  Status Infer(const WorkItem& item, OutputBytes* outputs) override {
    std::lock_guard<std::mutex> lock(mu_);
    return RunRequest(*interp_, item, outputs);
  }

 private:
  std::mutex mu_;
  std::unique_ptr<Interpreter> interp_;  // used only under mu_
};

// A fixed pool of interpreters; a request leases an idle one (waiting when
// none is) for inputs, Invoke and outputs.
class PoolTarget final : public Target {
 public:
  explicit PoolTarget(std::vector<std::unique_ptr<Interpreter>> pool)
      : pool_(std::move(pool)) {
    for (auto& p : pool_) idle_.push_back(p.get());
  }
  Status Infer(const WorkItem& item, OutputBytes* outputs) override {
    Interpreter* interp = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty(); });
      interp = idle_.back();
      idle_.pop_back();
    }
    Status s = RunRequest(*interp, item, outputs);
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.push_back(interp);
    }
    cv_.notify_one();
    return s;
  }

 private:
  std::vector<std::unique_ptr<Interpreter>> pool_;  // fixed
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Interpreter*> idle_;  // guarded by mu_
};

// An edgerun Session (thread-safe itself).
class SessionTarget final : public Target {
 public:
  explicit SessionTarget(std::unique_ptr<session::Session> s)
      : session_(std::move(s)) {}
  Status Infer(const WorkItem& item, OutputBytes* outputs) override {
    StatusOr<session::Session::Outputs> result = session_->Run(item.tensors);
    if (!result.ok()) return result.status();
    outputs->resize(result->size());
    for (size_t o = 0; o < result->size(); ++o) {
      (*outputs)[o] = std::move((*result)[o].bytes);
    }
    return OkStatus();
  }
  session::Session& session() { return *session_; }

 private:
  std::unique_ptr<session::Session> session_;
};

// What one client saw.
struct ClientResult {
  std::vector<double> latencies_us;  // answered requests
  uint64_t requests = 0, ok = 0, errors = 0, concurrent = 0;
  uint64_t checked = 0, mismatches = 0;
  std::optional<Status> first_error, first_mismatch;
};

// The results of one client count.
struct Point {
  int clients = 0;
  uint64_t requests = 0, ok = 0, errors = 0, concurrent = 0;
  uint64_t checked = 0, mismatches = 0;
  double seconds = 0;
  double throughput = 0;
  SampleSummary latency;  // microseconds
  std::optional<Status> first_error, first_mismatch;
  std::optional<session::SessionStats> session;
  int interpreters = 0;
  int threads_per_interpreter = 0;
};

StatusOr<std::unique_ptr<Interpreter>> NewInterpreter(
    const ClientsBenchConfig& config) {
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp,
                   Interpreter::Create(config.model, config.options));
  RETURN_IF_ERROR(interp->AllocateTensors());
  return interp;
}

StatusOr<std::unique_ptr<Target>> MakeTarget(const ClientsBenchConfig& config,
                                             const Workload& work, int clients,
                                             Point* point) {
  point->interpreters = 1;
  point->threads_per_interpreter = config.options.num_threads;
  switch (config.mode) {
    case ClientsMode::kShared: {
      ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp,
                       NewInterpreter(config));
      const bool invoke_only = clients > 1;
      // Warm-up; with several clients this also sets the one input set.
      RETURN_IF_ERROR(RunRequest(*interp, work.item(0), nullptr));
      return std::unique_ptr<Target>(
          new SharedTarget(std::move(interp), invoke_only));
    }
    case ClientsMode::kMutex: {
      ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp,
                       NewInterpreter(config));
      RETURN_IF_ERROR(RunRequest(*interp, work.item(0), nullptr));
      return std::unique_ptr<Target>(new MutexTarget(std::move(interp)));
    }
    case ClientsMode::kPool: {
      const int n =
          config.interpreters > 0 ? config.interpreters : HardwareThreads();
      std::vector<std::unique_ptr<Interpreter>> pool;
      for (int i = 0; i < n; ++i) {
        ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp,
                         NewInterpreter(config));
        RETURN_IF_ERROR(RunRequest(*interp, work.item(0), nullptr));
        pool.push_back(std::move(interp));
      }
      point->interpreters = n;
      return std::unique_ptr<Target>(new PoolTarget(std::move(pool)));
    }
    case ClientsMode::kSession: {
      session::SessionOptions options;
      options.mode = config.session_mode;
      options.num_interpreters = config.interpreters;
      options.threads_per_interpreter =
          config.threads_given ? config.options.num_threads : 0;
      options.interpreter = config.options;
      options.max_queue =
          std::max<size_t>(64, 2 * static_cast<size_t>(clients));
      ASSIGN_OR_RETURN(std::unique_ptr<session::Session> s,
                       session::Session::Create(config.model, options));
      // Warm-up: one request per interpreter, all at once.
      std::vector<std::future<StatusOr<session::Session::Outputs>>> warm;
      for (int i = 0; i < s->num_interpreters(); ++i) {
        warm.push_back(s->Submit(work.item(0).tensors));
      }
      for (auto& f : warm) RETURN_IF_ERROR(f.get().status());
      point->interpreters = s->num_interpreters();
      point->threads_per_interpreter = s->threads_per_interpreter();
      return std::unique_ptr<Target>(new SessionTarget(std::move(s)));
    }
  }
  return InternalError("unknown mode");
}

void ClientLoop(Target& target, const Workload& work, int client, int clients,
                std::latch& start, const std::atomic<bool>& stop,
                std::atomic<uint64_t>& concurrent_seen, ClientResult& r) {
  OutputBytes outputs;
  start.arrive_and_wait();
  for (uint64_t n = 0; !stop.load(std::memory_order_acquire); ++n) {
    const size_t index = static_cast<size_t>(client) +
                         static_cast<size_t>(n) * static_cast<size_t>(clients);
    const WorkItem& item = work.item(index);
    const Clock::time_point t0 = Clock::now();
    Status s = target.Infer(item, &outputs);
    const double us =
        std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    ++r.requests;
    if (!s.ok()) {
      ++r.errors;
      if (IsConcurrentUseError(s)) {
        ++r.concurrent;
        concurrent_seen.fetch_add(1, std::memory_order_relaxed);
      }
      if (!r.first_error) r.first_error = s;
      std::this_thread::yield();
      continue;
    }
    ++r.ok;
    r.latencies_us.push_back(us);
    if (target.reads_outputs() &&
        n % static_cast<uint64_t>(work.check_every()) == 0) {
      ++r.checked;
      if (Status c = work.Check(index, outputs); !c.ok()) {
        ++r.mismatches;
        if (!r.first_mismatch) r.first_mismatch = c;
      }
    }
  }
}

StatusOr<Point> RunPoint(const ClientsBenchConfig& config, const Workload& work,
                         int clients) {
  Point p;
  p.clients = clients;
  ASSIGN_OR_RETURN(std::unique_ptr<Target> target,
                   MakeTarget(config, work, clients, &p));
  std::vector<ClientResult> results(static_cast<size_t>(clients));
  std::latch start(clients + 1);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> concurrent_seen{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back(ClientLoop, std::ref(*target), std::cref(work), c,
                         clients, std::ref(start), std::cref(stop),
                         std::ref(concurrent_seen),
                         std::ref(results[static_cast<size_t>(c)]));
  }
  start.arrive_and_wait();
  const Clock::time_point t0 = Clock::now();
  const auto duration = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(config.duration_s));
  std::this_thread::sleep_until(t0 + duration);
  // Shared mode with several clients: keep going (at most 10x --duration)
  // until the detection fired once, so a short run on a fast model cannot
  // pass a racy setup off as fine.
  if (config.mode == ClientsMode::kShared && clients > 1) {
    while (concurrent_seen.load(std::memory_order_relaxed) == 0 &&
           Clock::now() < t0 + 10 * duration) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  stop.store(true, std::memory_order_release);
  for (std::thread& t : threads) t.join();
  p.seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  std::vector<double> all;
  for (ClientResult& r : results) {
    p.requests += r.requests;
    p.ok += r.ok;
    p.errors += r.errors;
    p.concurrent += r.concurrent;
    p.checked += r.checked;
    p.mismatches += r.mismatches;
    if (!p.first_error && r.first_error) p.first_error = r.first_error;
    if (!p.first_mismatch && r.first_mismatch)
      p.first_mismatch = r.first_mismatch;
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
  }
  p.latency = Summarize(std::move(all));
  p.throughput = p.seconds > 0 ? static_cast<double>(p.ok) / p.seconds : 0;

  // Shared mode, several clients: the clients never read outputs; check
  // the one input set's output now that they stopped.
  if (auto* shared = dynamic_cast<SharedTarget*>(target.get());
      shared != nullptr && !shared->reads_outputs() && p.ok > 0) {
    OutputBytes outputs;
    Interpreter& interp = shared->interpreter();
    for (int o = 0; o < interp.num_outputs(); ++o) {
      const TensorRef t = interp.output(o);
      const auto* data = static_cast<const uint8_t*>(t.data());
      outputs.emplace_back(data, data + t.bytes());
    }
    ++p.checked;
    if (Status c = work.Check(0, outputs); !c.ok()) {
      ++p.mismatches;
      p.first_mismatch = c;
    }
  }
  if (auto* s = dynamic_cast<SessionTarget*>(target.get())) {
    p.session = s->session().stats();
  }
  return p;
}

std::string Fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

nlohmann::json LatencyMsJson(const session::LatencySummary& l) {
  return {{"count", l.count},
          {"p50", l.p50_us / 1000.0},
          {"p90", l.p90_us / 1000.0},
          {"p99", l.p99_us / 1000.0},
          {"max", l.max_us / 1000.0}};
}

nlohmann::json PointJson(const Point& p) {
  nlohmann::json j = {
      {"clients", p.clients},
      {"seconds", p.seconds},
      {"requests", p.requests},
      {"ok", p.ok},
      {"errors", p.errors},
      {"concurrent_use_errors", p.concurrent},
      {"checked", p.checked},
      {"mismatches", p.mismatches},
      {"throughput_per_s", p.throughput},
      {"interpreters", p.interpreters},
      {"threads_per_interpreter", p.threads_per_interpreter},
      {"latency_ms",
       {{"count", p.latency.count},
        {"mean", p.latency.mean / 1000.0},
        {"min", p.latency.min / 1000.0},
        {"p50", p.latency.p50 / 1000.0},
        {"p90", p.latency.p90 / 1000.0},
        {"p99", p.latency.p99 / 1000.0},
        {"max", p.latency.max / 1000.0}}},
      {"first_error",
       p.first_error ? nlohmann::json(p.first_error->ToString()) : nullptr},
      {"first_mismatch", p.first_mismatch
                             ? nlohmann::json(p.first_mismatch->ToString())
                             : nullptr}};
  if (p.session) {
    const session::SessionStats& s = *p.session;
    j["session"] = {{"requests", s.requests},
                    {"ok", s.ok},
                    {"errors", s.errors},
                    {"latency_ms", LatencyMsJson(s.latency)},
                    {"queue_wait_ms", LatencyMsJson(s.device.queue_wait)},
                    {"run_ms", LatencyMsJson(s.device.run)},
                    {"rejections", s.device.rejections},
                    {"fallbacks", s.fallbacks}};
  }
  return j;
}

void PrintPoint(std::ostream& out, const Point& p) {
  char line[256];
  std::snprintf(
      line, sizeof(line), "%7d %12.1f %9.3f %9.3f %9.3f %10llu %8llu %8llu\n",
      p.clients, p.throughput, p.latency.p50 / 1000.0, p.latency.p90 / 1000.0,
      p.latency.p99 / 1000.0, static_cast<unsigned long long>(p.requests),
      static_cast<unsigned long long>(p.errors),
      static_cast<unsigned long long>(p.checked));
  out << line;
  if (p.session) {
    const session::SessionStats& s = *p.session;
    out << "        session: queue wait p50 "
        << Fixed(s.device.queue_wait.p50_us / 1000.0, 3) << " ms, p99 "
        << Fixed(s.device.queue_wait.p99_us / 1000.0, 3) << " ms; run p50 "
        << Fixed(s.device.run.p50_us / 1000.0, 3) << " ms, p99 "
        << Fixed(s.device.run.p99_us / 1000.0, 3) << " ms; errors " << s.errors
        << ", rejections " << s.device.rejections << ", fallbacks "
        << s.fallbacks << "\n";
  }
  if (p.concurrent > 0) {
    out << "        " << p.concurrent
        << " requests failed: Interpreter used from two threads at once\n";
  }
}

}  // namespace

StatusOr<ClientsMode> ParseClientsMode(std::string_view name) {
  if (name == "shared") return ClientsMode::kShared;
  if (name == "mutex") return ClientsMode::kMutex;
  if (name == "pool") return ClientsMode::kPool;
  if (name == "session") return ClientsMode::kSession;
  return InvalidArgumentError("--mode '" + std::string(name) +
                              "' is not one of shared, mutex, pool, session");
}

std::string_view ClientsModeName(ClientsMode mode) {
  switch (mode) {
    case ClientsMode::kShared:
      return "shared";
    case ClientsMode::kMutex:
      return "mutex";
    case ClientsMode::kPool:
      return "pool";
    case ClientsMode::kSession:
      return "session";
  }
  return "?";
}

StatusOr<std::vector<int>> ParseClientList(std::string_view list) {
  std::vector<int> counts;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string item(list.substr(start, comma == std::string_view::npos
                                                  ? std::string_view::npos
                                                  : comma - start));
    int value = 0;
    size_t used = 0;
    bool ok = !item.empty() &&
              item.find_first_not_of("0123456789") == std::string::npos &&
              item.size() <= 4;
    if (ok) {
      value = std::stoi(item, &used);
      ok = value >= 1 && value <= 256;
    }
    if (!ok) {
      return InvalidArgumentError("--clients '" + std::string(list) + "': '" +
                                  item +
                                  "' is not a client count in 1..256 "
                                  "(expected e.g. '1,2,4,8')");
    }
    counts.push_back(value);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return counts;
}

int RunClientsBench(const ClientsBenchConfig& config, std::ostream& out,
                    std::ostream& err) {
  auto fail = [&](const Status& s, int code) {
    err << ErrorLine("bench", config.model_path, s) << "\n";
    return code;
  };
  StatusOr<Workload> work =
      Workload::Create(config.model, config.options, config.input_files,
                       config.seed, kInputSets);
  if (!work.ok()) return fail(work.status(), kExitUsage);
  const std::string mode(ClientsModeName(config.mode));
  const std::vector<std::string> backends =
      config.options.backends.empty() ? std::vector<std::string>{"cpu"}
                                      : config.options.backends;
  const double load_start = LoadAverage1m();
  if (!config.json) {
    out << "model: " << config.model_path << "\n"
        << "mode: " << mode;
    if (config.mode == ClientsMode::kSession) {
      out << " ("
          << (config.session_mode == session::SessionMode::kLatency
                  ? "latency"
                  : "throughput")
          << ")";
    }
    out << ", device " << DeviceDescription(backends) << ", "
        << Fixed(config.duration_s, 2) << " s per client count, "
        << HardwareThreads() << " hardware threads, load average "
        << Fixed(load_start, 2) << "\n"
        << "inputs: " << work->description() << ", outputs checked "
        << (work->check_every() == 1
                ? std::string("on every request")
                : "on every " + std::to_string(work->check_every()) +
                      "th request")
        << " against a single-threaded reference\n"
        << "clients  infer/s     p50 ms    p90 ms    p99 ms   requests   "
           "errors  checked\n"
        << std::flush;
  }

  std::vector<Point> points;
  for (int clients : config.clients) {
    StatusOr<Point> p = RunPoint(config, *work, clients);
    if (!p.ok()) return fail(p.status(), kExitUsage);
    if (!config.json) PrintPoint(out, *p);
    out << std::flush;
    points.push_back(std::move(p).value());
  }

  // The verdict: wrong outputs first, then detected concurrent use, then
  // any other error.
  std::optional<Status> verdict;
  for (const Point& p : points) {
    if (p.mismatches > 0 && !verdict) {
      verdict = DataLossError(
          "--mode " + mode + " with " + std::to_string(p.clients) +
          " clients: " + std::to_string(p.mismatches) + " of " +
          std::to_string(p.checked) +
          " checked outputs differ from the single-threaded reference (" +
          p.first_mismatch->message() + ")");
    }
  }
  for (const Point& p : points) {
    if (p.concurrent > 0 && !verdict) {
      verdict = FailedPreconditionError(
          "--mode shared with " + std::to_string(p.clients) + " clients: " +
          std::to_string(p.concurrent) + " of " + std::to_string(p.requests) +
          " requests were refused because the Interpreter was used from two "
          "threads at once; an Interpreter is not thread-safe, use --mode "
          "session (or mutex, pool)");
    }
  }
  for (const Point& p : points) {
    if (p.errors > 0 && !verdict) {
      verdict = p.first_error->WithContext(
          "--mode " + mode + " with " + std::to_string(p.clients) +
          " clients: " + std::to_string(p.errors) + " of " +
          std::to_string(p.requests) + " requests failed, the first");
    }
  }

  if (config.json) {
    nlohmann::json j;
    j["format"] = "edgerun bench clients v1";
    j["model"] = {{"path", config.model_path}};
    j["config"] = {
        {"mode", mode},
        {"session_mode", config.session_mode == session::SessionMode::kLatency
                             ? "latency"
                             : "throughput"},
        {"backends", backends},
        {"device", DeviceDescription(backends)},
        {"threads", config.options.num_threads},
        {"interpreters", config.interpreters},
        {"duration_s", config.duration_s},
        {"clients", config.clients},
        {"seed", config.seed},
        {"inputs", work->description()},
        {"check_every", work->check_every()}};
    j["host"] = HostJson(HardwareThreads(), load_start);
    nlohmann::json list = nlohmann::json::array();
    for (const Point& p : points) list.push_back(PointJson(p));
    j["points"] = list;
    WriteJsonReport(j, verdict, out);
  }
  if (verdict) return fail(*verdict, kExitFailure);
  return kExitOk;
}

}  // namespace edgerun::cli
