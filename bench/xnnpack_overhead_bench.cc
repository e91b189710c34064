// xnnpack_overhead_bench: does the runtime add measurable overhead over
// running XNNPACK directly? (issue #4's bar: Invoke with backends
// {"xnnpack","cpu"} within 5% of a direct run of the same work.)
//
// Per model and thread count, in ONE process, three variants run
// interleaved round by round so that machine noise (a shared 2-core host)
// hits all of them alike; the order rotates every round (ABC, BCA, CAB) so
// no variant always runs right after another one's cache footprint:
//   A  Interpreter::Invoke, backends {"xnnpack","cpu"}.
//   B  direct: the same work without the runtime. Each XNNPACK partition is
//      an xnn_runtime built once by the backend's own builder
//      (xnnpack::CreateRuntimeForProgram over DescribeSegment, i.e. the
//      identical subgraph, on the same pthreadpool as A's runtime for that
//      segment) and set up once with its external pointers, then only
//      xnn_invoke_runtime per run; the CPU partitions'
//      nodes are raw OpKernel::Eval calls on kernels this program created
//      and prepared itself. Tensor memory comes from a runtime::Subgraph
//      planned exactly like A's (its own arena; it is never Invoked).
//   C  Invoke, backends {"cpu"} (CPU kernels only), for context.
// B's outputs are compared byte for byte with A's (same inputs): equal
// outputs show B did the same work.
//
// Init (A only): Interpreter::Create + AllocateTensors with no live
// ProgramCache entry for the model, so weight packing is included; repeated
// --init-reps times (each interpreter destroyed before the next).
//
//   xnnpack_overhead_bench --models-dir DIR [--models a,b,c] [--threads 1,2]
//       [--runs N] [--warmup W] [--init-reps R] [--json PATH]
//       [--separate-pools]
//
// --separate-pools gives B its own pthreadpools instead of borrowing the
// pool of A's runtime for the same segment (shows what two sets of
// spinning workers on one machine do to threads=2 numbers).
//
// Prints a table and, with --json, writes the numbers (see
// bench/run_xnnpack_bench.sh).
#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backends/xnnpack/xnnpack_program.h"
#include "edgerun/format/model_file.h"
#include "edgerun/runtime/interpreter.h"
#include "kernels/registry.h"
#include "runtime/subgraph.h"

namespace edgerun {
namespace {

using Clock = std::chrono::steady_clock;
namespace xnn = backends::xnnpack;

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start)
      .count();
}

// ------------------------------------------------------------ direct run

// A KernelContext over one node of a prepared runtime::Subgraph: only what
// a CPU kernel needs to Prepare (full, with packing) and Eval. Scratch is
// one buffer shared by all nodes, as in the runtime.
class DirectContext final : public kernels::KernelContext {
 public:
  DirectContext(runtime::Subgraph& graph, int node)
      : graph_(graph), node_(node) {}

  const kernels::NodeInfo& node() const override { return graph_.node(node_); }
  int num_inputs() const override {
    return static_cast<int>(graph_.node_inputs(node_).size());
  }
  int num_outputs() const override {
    return static_cast<int>(graph_.node_outputs(node_).size());
  }
  const kernels::Tensor* input(int i) const override {
    return At(graph_.node_inputs(node_), i);
  }
  kernels::Tensor* mutable_input(int i) override {
    return At(graph_.node_inputs(node_), i);
  }
  kernels::Tensor* output(int i) override {
    return At(graph_.node_outputs(node_), i);
  }
  bool HasValues(int i) const override {
    const kernels::Tensor* t = input(i);
    return t != nullptr && (t->is_constant || evaluating_);
  }
  Status ResizeOutput(int i, const kernels::Shape& shape) override {
    kernels::Tensor* t = output(i);
    if (t == nullptr) return InvalidArgument("missing output");
    // Memory was planned by the Subgraph; shapes must not change here.
    if (!(t->shape == shape)) {
      return Unimplemented("direct run: output shape changed from " +
                           t->shape.ToString() + " to " + shape.ToString());
    }
    return OkStatus();
  }
  void SetOutputsDynamic() override { dynamic_ = true; }
  Status RequestScratch(size_t bytes, int* handle) override {
    *handle = static_cast<int>(scratch_offsets_.size());
    scratch_offsets_.push_back(scratch_bytes_);
    scratch_bytes_ += (bytes + 63) / 64 * 64;
    return OkStatus();
  }
  void* Scratch(int handle) override {
    return *scratch_base_ + scratch_offsets_[handle];
  }

  bool dynamic() const { return dynamic_; }
  size_t scratch_bytes() const { return scratch_bytes_; }
  void StartEval(uint8_t* const* scratch_base) {
    scratch_base_ = scratch_base;
    evaluating_ = true;
  }

 private:
  kernels::Tensor* At(std::span<const int> list, int i) const {
    if (i < 0 || static_cast<size_t>(i) >= list.size() || list[i] < 0) {
      return nullptr;
    }
    return &graph_.tensor(list[i]);
  }

  runtime::Subgraph& graph_;
  const int node_;
  bool evaluating_ = false;
  bool dynamic_ = false;
  std::vector<size_t> scratch_offsets_;
  size_t scratch_bytes_ = 0;
  uint8_t* const* scratch_base_ = nullptr;
};

// Variant B: see the file comment.
class DirectRun {
 public:
  static StatusOr<std::unique_ptr<DirectRun>> Create(
      std::shared_ptr<const ModelFile> model, const InterpreterOptions& opts,
      bool separate_pools) {
    std::unique_ptr<DirectRun> d(new DirectRun());
    ASSIGN_OR_RETURN(d->graph_,
                     runtime::Subgraph::Create(
                         *model, 0, kernels::BuiltinKernelRegistry(), opts));
    RETURN_IF_ERROR(d->graph_->AllocateTensors());
    runtime::Subgraph& g = *d->graph_;
    d->plan_ = g.plan_info();
    size_t scratch = 0;
    for (const PartitionInfo& part : d->plan_.partitions) {
      Step step;
      if (part.backend == "xnnpack") {
        backends::Segment segment{part.nodes, part.inputs, part.outputs};
        ASSIGN_OR_RETURN(xnn::Program program,
                         xnn::DescribeSegment(g, segment, opts.num_threads));
        // Run on the thread pool of A's runtime for this segment (the live
        // SharedProgram of the same key): one set of workers for A and B,
        // as two pools' spinning workers would fight over the two cores.
        pthreadpool_t pool = nullptr;
        if (!separate_pools) {
          ASSIGN_OR_RETURN(step.shared,
                           xnn::ProgramCache::Global().GetOrCreate(program));
          ASSIGN_OR_RETURN(xnn::SharedProgram::Lease lease,
                           step.shared->Acquire());
          pool = lease->threadpool;
        }
        ASSIGN_OR_RETURN(step.xnn, xnn::CreateRuntimeForProgram(program, pool));
        std::vector<xnn_external_value> externals;
        for (size_t i = 0; i < program.external_tensors.size(); ++i) {
          externals.push_back(
              {static_cast<uint32_t>(i), g.tensor(program.external_tensors[i]).data});
        }
        if (xnn_setup_runtime(step.xnn->runtime, externals.size(),
                              externals.data()) != xnn_status_success) {
          return InternalError("xnn_setup_runtime failed");
        }
      } else if (part.backend == "cpu") {
        for (int n : part.nodes) {
          const kernels::NodeInfo& info = g.node(n);
          ASSIGN_OR_RETURN(
              kernels::KernelFactory factory,
              kernels::BuiltinKernelRegistry().Find(
                  info.builtin_code,
                  info.builtin_code == 32 ? info.op_name : std::string(),
                  info.version));
          CpuNode cpu{factory(), std::make_unique<DirectContext>(g, n)};
          RETURN_IF_ERROR(cpu.kernel->Prepare(*cpu.context));
          if (cpu.context->dynamic()) {
            return UnimplementedError("direct run: node " + std::to_string(n) +
                                      " has a data-dependent shape");
          }
          scratch = std::max(scratch, cpu.context->scratch_bytes());
          step.cpu.push_back(std::move(cpu));
        }
      } else {
        return UnimplementedError("direct run: backend " + part.backend);
      }
      d->steps_.push_back(std::move(step));
    }
    // 64 tail bytes, like the runtime's buffers.
    d->scratch_.reset(static_cast<uint8_t*>(
        std::aligned_alloc(64, (scratch + 64 + 63) / 64 * 64)));
    d->scratch_base_ = d->scratch_.get();
    for (Step& step : d->steps_) {
      for (CpuNode& cpu : step.cpu) cpu.context->StartEval(&d->scratch_base_);
    }
    return d;
  }

  // The timed call: nothing but the XNNPACK invokes and kernel Evals.
  Status Run() {
    for (Step& step : steps_) {
      if (step.xnn != nullptr) {
        if (xnn_invoke_runtime(step.xnn->runtime) != xnn_status_success) {
          return InternalError("xnn_invoke_runtime failed");
        }
        continue;
      }
      for (CpuNode& cpu : step.cpu) RETURN_IF_ERROR(cpu.kernel->Eval(*cpu.context));
    }
    return OkStatus();
  }

  runtime::Subgraph& graph() { return *graph_; }
  const ExecutionPlanInfo& plan() const { return plan_; }

 private:
  struct CpuNode {
    std::unique_ptr<kernels::OpKernel> kernel;
    std::unique_ptr<DirectContext> context;
  };
  struct Step {
    // Owns the borrowed thread pool; declared first so it outlives `xnn`.
    std::shared_ptr<xnn::SharedProgram> shared;
    std::unique_ptr<xnn::RuntimeSlot> xnn;  // null for a CPU partition
    std::vector<CpuNode> cpu;
  };
  DirectRun() = default;

  std::unique_ptr<runtime::Subgraph> graph_;
  ExecutionPlanInfo plan_;
  std::vector<Step> steps_;
  std::unique_ptr<uint8_t, void (*)(void*)> scratch_{nullptr, &std::free};
  uint8_t* scratch_base_ = nullptr;
};

// ------------------------------------------------------------ statistics

struct Summary {
  double median = 0, min = 0, max = 0, mean = 0, p90 = 0;
};

Summary Summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  s.p90 = v[std::min(n - 1, static_cast<size_t>(std::ceil(0.9 * n)) - 1)];
  return s;
}

std::string Json(const Summary& s) {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "{\"median\": %.1f, \"min\": %.1f, \"max\": %.1f, "
                "\"mean\": %.1f, \"p90\": %.1f}",
                s.median, s.min, s.max, s.mean, s.p90);
  return buf;
}

std::string LoadAvg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// ------------------------------------------------------------ the bench

struct Config {
  std::string models_dir;
  std::vector<std::string> models = {"mobilenet_v1_0.25_128_quant",
                                     "mobilenet_v2_1.0_224_quant",
                                     "tf2_mobilenet_v2_1.0_224_ptq"};
  std::vector<int> threads = {1, 2};
  int runs = 100;
  int warmup = 5;
  int init_reps = 5;
  std::string json_path;
  bool separate_pools = false;  // B on its own thread pools (diagnosis)
};

// Same deterministic inputs for every variant: bytes for integer inputs,
// values in [-1, 1) for floats (A rejects non-finite float inputs).
std::vector<std::vector<uint8_t>> MakeInputs(Interpreter& it) {
  uint32_t state = 12345;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  std::vector<std::vector<uint8_t>> inputs;
  for (int i = 0; i < it.num_inputs(); ++i) {
    const TensorRef t = it.input(i);
    std::vector<uint8_t> bytes(t.bytes());
    if (t.type() == DataType::kFloat32) {
      for (size_t k = 0; k + 4 <= bytes.size(); k += 4) {
        const float v = static_cast<float>(next() % 2000) / 1000.f - 1.f;
        std::memcpy(&bytes[k], &v, 4);
      }
    } else {
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(next());
    }
    inputs.push_back(std::move(bytes));
  }
  return inputs;
}

// Byte-equal outputs of A and B (the same work was done).
bool SameOutputs(Interpreter& a, runtime::Subgraph& b) {
  for (int i = 0; i < a.num_outputs(); ++i) {
    const TensorRef out = a.output(i);
    const kernels::Tensor& t = b.tensor(b.outputs()[i]);
    if (out.bytes() != t.bytes ||
        std::memcmp(out.data(), t.data, out.bytes()) != 0) {
      return false;
    }
  }
  return true;
}

StatusOr<std::unique_ptr<Interpreter>> MakeInterpreter(
    std::shared_ptr<const ModelFile> model, const InterpreterOptions& opts) {
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> it,
                   Interpreter::Create(std::move(model), opts));
  RETURN_IF_ERROR(it->AllocateTensors());
  return it;
}

int DelegatedNodes(const ExecutionPlanInfo& plan) {
  int n = 0;
  for (const PartitionInfo& p : plan.partitions) {
    if (p.backend != "cpu") n += static_cast<int>(p.nodes.size());
  }
  return n;
}

std::string PlanSummary(const ExecutionPlanInfo& plan) {
  std::string s;
  for (const PartitionInfo& p : plan.partitions) {
    if (!s.empty()) s += " | ";
    s += p.backend + ":" + std::to_string(p.nodes.size());
    if (p.backend == "cpu") {
      s += "(";
      for (size_t i = 0; i < p.ops.size(); ++i) s += (i ? "," : "") + p.ops[i];
      s += ")";
    }
  }
  return s;
}

bool SamePartitions(const ExecutionPlanInfo& a, const ExecutionPlanInfo& b) {
  if (a.partitions.size() != b.partitions.size()) return false;
  for (size_t i = 0; i < a.partitions.size(); ++i) {
    if (a.partitions[i].backend != b.partitions[i].backend ||
        a.partitions[i].nodes != b.partitions[i].nodes) {
      return false;
    }
  }
  return true;
}

// One model at one thread count; appends a JSON object to `json`.
Status BenchOne(const Config& cfg, const std::string& name, int threads,
                std::string* json) {
  ASSIGN_OR_RETURN(std::shared_ptr<const ModelFile> model,
                   LoadModelFromFile(cfg.models_dir + "/" + name + ".tflite"));
  InterpreterOptions xnn_opts;
  xnn_opts.backends = {"xnnpack", "cpu"};
  xnn_opts.num_threads = threads;
  InterpreterOptions cpu_opts;
  cpu_opts.backends = {"cpu"};
  cpu_opts.num_threads = threads;

  // Init of A, with nothing of this model alive, so packing is counted.
  std::vector<double> init_us;
  for (int r = 0; r < cfg.init_reps; ++r) {
    const auto start = Clock::now();
    ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> it,
                     MakeInterpreter(model, xnn_opts));
    init_us.push_back(MicrosSince(start));
  }

  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> a,
                   MakeInterpreter(model, xnn_opts));
  ASSIGN_OR_RETURN(std::unique_ptr<DirectRun> b,
                   DirectRun::Create(model, xnn_opts, cfg.separate_pools));
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> c,
                   MakeInterpreter(model, cpu_opts));
  const ExecutionPlanInfo plan = a->execution_plan();
  if (!SamePartitions(plan, b->plan())) {
    return InternalError("A and B were partitioned differently");
  }
  if (DelegatedNodes(plan) == 0) {
    return FailedPreconditionError("XNNPACK took no node of " + name);
  }

  const std::vector<std::vector<uint8_t>> inputs = MakeInputs(*a);
  runtime::Subgraph& bg = b->graph();
  for (int i = 0; i < a->num_inputs(); ++i) {
    RETURN_IF_ERROR(a->SetInput(i, inputs[i]));
    RETURN_IF_ERROR(c->SetInput(i, inputs[i]));
    std::memcpy(bg.tensor(bg.inputs()[i]).data, inputs[i].data(),
                inputs[i].size());
  }

  std::vector<double> ta, tb, tc, ratio_ab, ratio_ca;
  auto run_a = [&] { return a->Invoke(); };
  auto run_b = [&] { return b->Run(); };
  auto run_c = [&] { return c->Invoke(); };
  bool outputs_match = true;
  const std::string load_before = LoadAvg();
  for (int round = 0; round < cfg.warmup + cfg.runs; ++round) {
    double us[3] = {0, 0, 0};
    for (int k = 0; k < 3; ++k) {
      const int v = (round + k) % 3;  // rotate: ABC, BCA, CAB
      const auto start = Clock::now();
      const Status s = v == 0 ? run_a() : v == 1 ? run_b() : run_c();
      us[v] = MicrosSince(start);
      RETURN_IF_ERROR(s);
    }
    if (round == cfg.warmup - 1 || round == cfg.warmup + cfg.runs - 1) {
      outputs_match = outputs_match && SameOutputs(*a, bg);
    }
    if (round < cfg.warmup) continue;
    ta.push_back(us[0]);
    tb.push_back(us[1]);
    tc.push_back(us[2]);
    ratio_ab.push_back(us[0] / us[1]);
    ratio_ca.push_back(us[2] / us[0]);
  }
  const Summary sa = Summarize(ta), sb = Summarize(tb), sc = Summarize(tc),
                si = Summarize(init_us), rab = Summarize(ratio_ab),
                rca = Summarize(ratio_ca);
  const int within = static_cast<int>(std::count_if(
      ratio_ab.begin(), ratio_ab.end(), [](double r) { return r <= 1.05; }));

  std::printf(
      "%-30s t=%d  A %8.1f [%8.1f..%9.1f]  B %8.1f [%8.1f..%9.1f]  "
      "C %8.1f  A/B(med) %.3f  med(A/B) %.3f  init %.0f us  match %s\n",
      name.c_str(), threads, sa.median, sa.min, sa.max, sb.median, sb.min,
      sb.max, sc.median, sa.median / sb.median, rab.median, si.median,
      outputs_match ? "yes" : "NO");
  std::fflush(stdout);

  std::ostringstream o;
  char num[64];
  auto f3 = [&num](double v) {
    std::snprintf(num, sizeof(num), "%.4f", v);
    return std::string(num);
  };
  o << "    {\"model\": \"" << name << "\", \"threads\": " << threads
    << ", \"runs\": " << cfg.runs << ", \"warmup\": " << cfg.warmup
    << ",\n     \"plan\": \"" << PlanSummary(plan)
    << "\", \"delegated_nodes\": " << DelegatedNodes(plan)
    << ", \"total_nodes\": " << a->num_nodes()
    << ", \"outputs_a_equal_b\": " << (outputs_match ? "true" : "false")
    << ",\n     \"a_runtime_xnnpack_us\": " << Json(sa)
    << ",\n     \"b_direct_us\": " << Json(sb)
    << ",\n     \"c_cpu_only_us\": " << Json(sc)
    << ",\n     \"a_over_b_of_medians\": " << f3(sa.median / sb.median)
    << ", \"a_over_b_of_mins\": " << f3(sa.min / sb.min)
    << ",\n     \"a_over_b_per_round\": {\"median\": " << f3(rab.median)
    << ", \"min\": " << f3(rab.min) << ", \"max\": " << f3(rab.max)
    << ", \"mean\": " << f3(rab.mean) << ", \"rounds_within_5pct\": " << within
    << "}"
    << ",\n     \"c_over_a_per_round_median\": " << f3(rca.median)
    << ",\n     \"a_init_us\": " << Json(si) << ", \"a_init_reps\": "
    << cfg.init_reps << ", \"a_init_first_us\": " << f3(init_us.front())
    << ",\n     \"loadavg_before\": \"" << load_before
    << "\", \"loadavg_after\": \"" << LoadAvg() << "\"}";
  if (!json->empty()) *json += ",\n";
  *json += o.str();
  return OkStatus();
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int Main(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--separate-pools") {
      cfg.separate_pools = true;
      continue;
    }
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (value == nullptr) {
      std::fprintf(stderr, "missing value for %s\n", arg.c_str());
      return 2;
    }
    ++i;
    if (arg == "--models-dir") {
      cfg.models_dir = value;
    } else if (arg == "--models") {
      cfg.models = Split(value);
    } else if (arg == "--threads") {
      cfg.threads.clear();
      for (const std::string& t : Split(value)) cfg.threads.push_back(std::stoi(t));
    } else if (arg == "--runs") {
      cfg.runs = std::max(1, std::atoi(value));
    } else if (arg == "--warmup") {
      cfg.warmup = std::max(1, std::atoi(value));
    } else if (arg == "--init-reps") {
      cfg.init_reps = std::max(1, std::atoi(value));
    } else if (arg == "--json") {
      cfg.json_path = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", arg.c_str());
      return 2;
    }
  }
  if (cfg.models_dir.empty()) {
    std::fprintf(stderr,
                 "usage: %s --models-dir DIR [--models a,b] [--threads 1,2] "
                 "[--runs N] [--warmup W] [--init-reps R] [--json PATH]\n",
                 argv[0]);
    return 2;
  }
  std::printf("times in us; A = runtime (xnnpack,cpu), B = direct XNNPACK + "
              "raw kernel Eval, C = cpu only; [min..max]\n");
  std::string rows;
  int failures = 0;
  for (const std::string& model : cfg.models) {
    for (int threads : cfg.threads) {
      const Status s = BenchOne(cfg, model, threads, &rows);
      if (!s.ok()) {
        std::fprintf(stderr, "%s t=%d: %s\n", model.c_str(), threads,
                     s.ToString().c_str());
        ++failures;
      }
    }
  }
  if (!cfg.json_path.empty()) {
    std::ofstream out(cfg.json_path);
    out << "{\n  \"bench\": \"xnnpack_overhead\", \"unit\": \"us\", "
        << "\"host_cores\": " << std::thread::hardware_concurrency()
        << ",\n  \"order\": \"interleaved per round, rotating ABC/BCA/CAB\""
        << ",\n  \"b_thread_pools\": \""
        << (cfg.separate_pools ? "own" : "shared with A's runtime") << "\""
        << ",\n  \"variants\": {\"A\": \"Interpreter::Invoke, backends "
           "xnnpack,cpu\", \"B\": \"direct: xnn_invoke_runtime on runtimes "
           "built by the backend's builder + raw kernel Eval for CPU nodes\", "
           "\"C\": \"Interpreter::Invoke, backends cpu\"}"
        << ",\n  \"results\": [\n"
        << rows << "\n  ]\n}\n";
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", cfg.json_path.c_str());
      return 1;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace edgerun

int main(int argc, char** argv) { return edgerun::Main(argc, argv); }
