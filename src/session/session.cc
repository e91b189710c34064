#include "edgerun/session/session.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace edgerun::session {
namespace {

std::string ShapeString(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

TensorInfo InfoOf(TensorRef t) { return {t.name(), t.type(), t.shape()}; }

}  // namespace

// One request: its inputs, completion callback and submit time (for
// end-to-end latency). The worker fills `outputs` and `generation` before
// done runs; work and done never overlap, so they need no lock.
struct Session::Request {
  explicit Request(const RunOptions& options)
      : submitted(Clock::now()), info(options.info), cancel(options.cancel) {}
  std::vector<TensorData> inputs;
  // Run (which waits for the result) borrows the caller's inputs instead of
  // copying them.
  const std::vector<TensorData>* borrowed_inputs = nullptr;
  const std::vector<TensorData>& input_list() const {
    return borrowed_inputs != nullptr ? *borrowed_inputs : inputs;
  }
  std::function<void(StatusOr<Outputs>)> done;
  Clock::time_point submitted;
  RunInfo* info = nullptr;
  std::optional<CancellationToken> cancel;  // also stops a running Invoke
  std::optional<Outputs> outputs;
  uint64_t generation = 0;
};

// One model's interpreters. Immutable after BuildPool except `idle` and
// `fallbacks_seen`. Shared by the session (while current) and by every
// request running on it, so a swapped-out pool lives until its last request
// returns. Thread-safety: `mu` guards `idle`; fallbacks_seen[i] belongs to
// whoever leased interpreter i.
struct Session::Pool {
  std::shared_ptr<const ModelFile> model;
  uint64_t generation = 0;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  std::vector<std::unique_ptr<Interpreter>> interpreters;
  std::vector<size_t> fallbacks_seen;
  bool track_fallbacks = false;  // backends other than the CPU asked for

  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> idle;  // guarded by mu

  int Lease() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return !idle.empty(); });
    const int i = idle.back();
    idle.pop_back();
    return i;
  }
  void Release(int i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      idle.push_back(i);
    }
    cv.notify_one();
  }
};

namespace {

// Input count, dtypes of inputs and outputs: kFailedPrecondition naming the
// first difference.
Status CheckCompatible(const std::vector<TensorInfo>& cur_in,
                       const std::vector<TensorInfo>& cur_out,
                       const std::vector<TensorInfo>& new_in,
                       const std::vector<TensorInfo>& new_out) {
  auto compare = [](const char* what, const std::vector<TensorInfo>& cur,
                    const std::vector<TensorInfo>& next) -> Status {
    if (cur.size() != next.size()) {
      return FailedPreconditionError(
          "session: cannot swap model: new model has " +
          std::to_string(next.size()) + " " + what + "s, current has " +
          std::to_string(cur.size()));
    }
    for (size_t i = 0; i < cur.size(); ++i) {
      if (cur[i].type != next[i].type) {
        return FailedPreconditionError(
            "session: cannot swap model: " + std::string(what) + " " +
            std::to_string(i) + " ('" + next[i].name + "') is " +
            std::string(DataTypeName(next[i].type)) + " in the new model, " +
            std::string(DataTypeName(cur[i].type)) + " in the current one");
      }
    }
    return OkStatus();
  };
  RETURN_IF_ERROR(compare("input", cur_in, new_in));
  return compare("output", cur_out, new_out);
}

}  // namespace

StatusOr<std::shared_ptr<Session::Pool>> Session::BuildPool(
    std::shared_ptr<const ModelFile> model, uint64_t generation) const {
  auto pool = std::make_shared<Pool>();
  pool->model = model;
  pool->generation = generation;
  for (const std::string& b : interpreter_options_.backends) {
    if (b != "cpu") pool->track_fallbacks = true;
  }
  for (int i = 0; i < pool_size_; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp,
                     Interpreter::Create(model, interpreter_options_));
    RETURN_IF_ERROR(interp->AllocateTensors().WithContext(
        "session: interpreter " + std::to_string(i)));
    pool->fallbacks_seen.push_back(
        pool->track_fallbacks ? interp->execution_plan().fallbacks.size() : 0);
    pool->idle.push_back(i);
    pool->interpreters.push_back(std::move(interp));
  }
  Interpreter& first = *pool->interpreters.front();
  for (int i = 0; i < first.num_inputs(); ++i) {
    pool->inputs.push_back(InfoOf(first.input(i)));
  }
  for (int i = 0; i < first.num_outputs(); ++i) {
    pool->outputs.push_back(InfoOf(first.output(i)));
  }
  return pool;
}

StatusOr<std::unique_ptr<Session>> Session::Create(
    std::shared_ptr<const ModelFile> model, SessionOptions options) {
  if (!model) return InvalidArgumentError("session: null model");
  int cores = options.num_cores > 0
                  ? options.num_cores
                  : static_cast<int>(std::thread::hardware_concurrency());
  cores = std::max(1, cores);
  int pool = options.num_interpreters;
  int threads = options.threads_per_interpreter;
  if (pool < 0 || threads < 0) {
    return InvalidArgumentError(
        "session: negative interpreter or thread count");
  }
  int device = 0;
  if (options.scheduler) {
    if (!options.device.empty()) {
      ASSIGN_OR_RETURN(device, options.scheduler->DeviceIndex(options.device));
    }
  }
  // Unset counts follow the mode; a set count shares the cores with the
  // other, so the product stays within the cores unless both are explicit.
  // On a shared device, kThroughput has one interpreter per device slot.
  if (pool == 0 && threads == 0) {
    const bool latency = options.mode == SessionMode::kLatency;
    if (latency) {
      pool = 1;
      threads = cores;
    } else if (options.scheduler) {
      pool = std::max(1, options.scheduler->stats(device).slots);
      threads = std::max(1, cores / pool);
    } else {
      pool = cores;
      threads = 1;
    }
  } else if (pool == 0) {
    pool = std::max(1, cores / threads);
  } else if (threads == 0) {
    threads = std::max(1, cores / pool);
  }

  auto session = std::unique_ptr<Session>(new Session());
  session->pool_size_ = pool;
  session->threads_per_interpreter_ = threads;
  session->interpreter_options_ = options.interpreter;
  session->interpreter_options_.num_threads = threads;
  ASSIGN_OR_RETURN(session->pool_, session->BuildPool(model, /*generation=*/1));
  for (size_t seen : session->pool_->fallbacks_seen) {
    session->fallbacks_ += static_cast<int64_t>(seen);
  }
  if (options.scheduler) {
    session->scheduler_ = std::move(options.scheduler);
    session->device_ = device;
  } else {
    DeviceSpec spec;
    spec.name = "cpu";
    spec.slots = pool;
    spec.max_queue = options.max_queue;
    spec.policy = options.queue_policy;
    spec.wait_timeout = options.queue_wait_timeout;
    ASSIGN_OR_RETURN(std::unique_ptr<Scheduler> own, Scheduler::Create({spec}));
    session->scheduler_ = std::move(own);
  }
  session->group_ = session->scheduler_->RegisterGroup(
      options.name.empty() ? "session" : options.name);
  session->name_ = session->scheduler_->GroupName(session->group_);
  return session;
}

Session::~Session() {
  // Queued requests complete with kCancelled now; running ones (and every
  // callback) finish before the pool and the scheduler reference go.
  scheduler_->CancelQueued(device_, group_);
  std::unique_lock<std::mutex> lock(stats_mu_);
  idle_cv_.wait(lock, [&] { return outstanding_ == 0; });
}

std::shared_ptr<Session::Pool> Session::CurrentPool() const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  return pool_;
}

std::shared_ptr<const ModelFile> Session::model() const {
  return CurrentPool()->model;
}

uint64_t Session::model_generation() const { return CurrentPool()->generation; }

std::vector<TensorInfo> Session::inputs() const {
  return CurrentPool()->inputs;
}

std::vector<TensorInfo> Session::outputs() const {
  return CurrentPool()->outputs;
}

namespace {

// Count, dtype, shape and byte size of `inputs` against the model's.
Status Validate(const std::vector<TensorInfo>& input_info,
                const std::vector<TensorData>& inputs) {
  if (inputs.size() != input_info.size()) {
    return InvalidArgumentError(
        "session: model has " + std::to_string(input_info.size()) +
        " inputs, got " + std::to_string(inputs.size()));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorData& in = inputs[i];
    const TensorInfo& info = input_info[i];
    const std::string where =
        "session: input " + std::to_string(i) + " ('" + info.name + "')";
    if (in.type != info.type) {
      return InvalidArgumentError(
          where + " is " + std::string(DataTypeName(info.type)) + ", got " +
          std::string(DataTypeName(in.type)));
    }
    const size_t elem = DataTypeSize(in.type);
    if (elem == 0) {
      return UnimplementedError(where + ": dtype " +
                                std::string(DataTypeName(in.type)) +
                                " is not supported by sessions yet");
    }
    uint64_t count = 1;
    for (int32_t d : in.shape) {
      if (d < 0)
        return InvalidArgumentError(where + ": negative dimension in " +
                                    ShapeString(in.shape));
      count *= static_cast<uint64_t>(d);
      if (count > (uint64_t{1} << 40)) {
        return InvalidArgumentError(where + ": shape " + ShapeString(in.shape) +
                                    " is too large");
      }
    }
    if (in.bytes.size() != count * elem) {
      return InvalidArgumentError(where + ": shape " + ShapeString(in.shape) +
                                  " needs " + std::to_string(count * elem) +
                                  " bytes, got " +
                                  std::to_string(in.bytes.size()));
    }
  }
  return OkStatus();
}

}  // namespace

void Session::AddFallbacks(int64_t delta) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  fallbacks_ += delta;
}

void Session::AddDropped(uint64_t n) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  dropped_ += n;
}

Status Session::Execute(Request& request) {
  // The pool current at dispatch; it stays alive until this returns.
  const std::shared_ptr<Pool> pool = CurrentPool();
  const int index = pool->Lease();
  Interpreter* interp = pool->interpreters[index].get();
  // Every path below hands the interpreter back, errors included, after
  // accounting for fallbacks the Invoke may have caused.
  struct Returner {
    Session* s;
    Pool* p;
    int i;
    ~Returner() {
      if (p->track_fallbacks) {
        const size_t now =
            p->interpreters[i]->execution_plan().fallbacks.size();
        if (now != p->fallbacks_seen[i]) {
          s->AddFallbacks(static_cast<int64_t>(now) -
                          static_cast<int64_t>(p->fallbacks_seen[i]));
          p->fallbacks_seen[i] = now;
        }
      }
      p->interpreters[i]->SetCancellationFlag(nullptr);
      p->Release(i);
    }
  } returner{this, pool.get(), index};
  // A token cancelled from here on stops the Invoke before its next node
  // (the scheduler already refused requests cancelled before dispatch).
  if (request.cancel) interp->SetCancellationFlag(request.cancel->flag());
  request.generation = pool->generation;

  const std::vector<TensorData>& inputs = request.input_list();
  bool resized = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (interp->input(static_cast<int>(i)).shape() != inputs[i].shape) {
      RETURN_IF_ERROR(
          interp->ResizeInput(static_cast<int>(i), inputs[i].shape));
      resized = true;
    }
  }
  if (resized) RETURN_IF_ERROR(interp->AllocateTensors());
  for (size_t i = 0; i < inputs.size(); ++i) {
    RETURN_IF_ERROR(interp->SetInput(static_cast<int>(i), inputs[i].bytes));
  }
  RETURN_IF_ERROR(interp->Invoke());
  Outputs outputs;
  outputs.reserve(interp->num_outputs());
  for (int i = 0; i < interp->num_outputs(); ++i) {
    TensorRef t = interp->output(i);
    TensorData d;
    d.type = t.type();
    d.shape = t.shape();
    const auto* p = static_cast<const uint8_t*>(t.data());
    if (p != nullptr) d.bytes.assign(p, p + t.bytes());
    outputs.push_back(std::move(d));
  }
  request.outputs = std::move(outputs);
  return OkStatus();
}

void Session::Finish(Request& request, StatusOr<Outputs> result) {
  const Clock::time_point end = Clock::now();
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    latency_.Record(end - request.submitted);
    if (result.ok()) {
      ++ok_;
    } else {
      ++errors_;
    }
  }
  if (request.info != nullptr)
    request.info->model_generation = request.generation;
  request.done(std::move(result));
}

WorkOptions Session::ToWorkOptions(const RunOptions& options) const {
  WorkOptions wo;
  wo.priority = options.priority;
  wo.deadline = options.deadline;
  wo.cancel = options.cancel;
  wo.group = group_;
  return wo;
}

void Session::BeginOutstanding() {
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++outstanding_;
}

void Session::EndOutstanding() {
  std::lock_guard<std::mutex> lock(stats_mu_);
  if (--outstanding_ == 0) idle_cv_.notify_all();
}

void Session::SubmitWithCallback(std::vector<TensorData> inputs,
                                 const RunOptions& options,
                                 std::function<void(StatusOr<Outputs>)> done) {
  auto request = std::make_shared<Request>(options);
  request->inputs = std::move(inputs);
  request->done = done ? std::move(done) : [](StatusOr<Outputs>) {};
  Enqueue(std::move(request), options);
}

std::future<StatusOr<Session::Outputs>> Session::EnqueueForFuture(
    std::shared_ptr<Request> request, const RunOptions& options) {
  // The promise is owned by `done` (not a caller's frame): set_value may
  // still be returning on the worker when get() has already returned.
  auto promise = std::make_shared<std::promise<StatusOr<Outputs>>>();
  std::future<StatusOr<Outputs>> future = promise->get_future();
  request->done = [promise](StatusOr<Outputs> result) {
    promise->set_value(std::move(result));
  };
  Enqueue(std::move(request), options);
  return future;
}

void Session::Complete(Request& request, Status ran) {
  if (ran.ok()) {
    Finish(request, std::move(*request.outputs));
  } else {
    Finish(request, std::move(ran));
  }
}

void Session::Enqueue(std::shared_ptr<Request> request,
                      const RunOptions& options) {
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++requests_;
  }
  if (Status s = Validate(CurrentPool()->inputs, request->input_list());
      !s.ok()) {
    Finish(*request, s);
    return;
  }
  const WorkOptions wo = ToWorkOptions(options);
  BeginOutstanding();
  // The last thing a request does: the destructor may proceed after it.
  auto release = [this] { EndOutstanding(); };
  Status queued = scheduler_->Submit(
      device_, wo, [this, request]() -> Status { return Execute(*request); },
      [this, request, release](Status result) {
        Complete(*request, std::move(result));
        release();
      });
  if (!queued.ok()) {
    Finish(*request, std::move(queued));
    release();
  }
}

std::future<StatusOr<Session::Outputs>> Session::Submit(
    std::vector<TensorData> inputs, const RunOptions& options) {
  auto request = std::make_shared<Request>(options);
  request->inputs = std::move(inputs);
  return EnqueueForFuture(std::move(request), options);
}

StatusOr<Session::Outputs> Session::Run(const std::vector<TensorData>& inputs,
                                        const RunOptions& options) {
  // Idle device: run on the caller's thread (no hand-off to a worker and
  // back). Only valid requests take this path; the queued path reports
  // validation errors.
  if (Validate(CurrentPool()->inputs, inputs).ok()) {
    Request request(options);
    request.borrowed_inputs = &inputs;
    StatusOr<Outputs> result = InvalidArgumentError("unset");
    request.done = [&result](StatusOr<Outputs> r) { result = std::move(r); };
    const WorkOptions wo = ToWorkOptions(options);
    BeginOutstanding();
    std::optional<Status> ran = scheduler_->TryRunInline(
        device_, wo, [this, &request]() -> Status { return Execute(request); });
    if (ran.has_value()) {
      {
        std::lock_guard<std::mutex> lock(stats_mu_);
        ++requests_;
      }
      Complete(request, std::move(*ran));
    }
    EndOutstanding();
    if (ran.has_value()) return result;
  }
  // Queued: this thread waits for the result, so the request can borrow the
  // caller's inputs here too (done runs exactly once, before get returns).
  auto request = std::make_shared<Request>(options);
  request->borrowed_inputs = &inputs;
  return EnqueueForFuture(std::move(request), options).get();
}

Status Session::SwapModel(std::shared_ptr<const ModelFile> model) {
  if (!model)
    return InvalidArgumentError("session: cannot swap to a null model");
  std::lock_guard<std::mutex> swap(swap_mu_);
  std::shared_ptr<Pool> current = CurrentPool();
  StatusOr<std::shared_ptr<Pool>> built =
      BuildPool(std::move(model), current->generation + 1);
  if (!built.ok()) return built.status().WithContext("session: new model");
  std::shared_ptr<Pool> next = std::move(built).value();
  RETURN_IF_ERROR(CheckCompatible(current->inputs, current->outputs,
                                  next->inputs, next->outputs));
  int64_t fallbacks = 0;
  for (size_t seen : next->fallbacks_seen)
    fallbacks += static_cast<int64_t>(seen);
  AddFallbacks(fallbacks);
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    pool_ = std::move(next);
  }
  // `current` may be the old pool's last owner: then it is freed here.
  return OkStatus();
}

SessionStats Session::stats() const {
  SessionStats s;
  s.name = name_;
  s.model_generation = model_generation();
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    s.requests = requests_;
    s.ok = ok_;
    s.errors = errors_;
    s.dropped = dropped_;
    s.fallbacks = static_cast<uint64_t>(std::max<int64_t>(0, fallbacks_));
    s.latency = LatencySummary::Of(latency_);
  }
  s.device = scheduler_->stats(device_);
  if (auto it = s.device.models.find(name_); it != s.device.models.end()) {
    s.model = it->second;
  }
  return s;
}

}  // namespace edgerun::session
