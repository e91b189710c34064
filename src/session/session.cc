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

// One queued request: its inputs, the promise its future waits on, and the
// time it was submitted (for end-to-end latency).
struct Session::Request {
  std::vector<TensorData> inputs;
  std::promise<StatusOr<Outputs>> promise;
  Clock::time_point submitted;
  std::optional<Outputs> outputs;  // set by the worker before done runs
};

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
    return InvalidArgumentError("session: negative interpreter or thread count");
  }
  // Unset counts follow the mode; a set count shares the cores with the
  // other, so the product stays within the cores unless both are explicit.
  if (pool == 0 && threads == 0) {
    const bool latency = options.mode == SessionMode::kLatency;
    pool = latency ? 1 : cores;
    threads = latency ? cores : 1;
  } else if (pool == 0) {
    pool = std::max(1, cores / threads);
  } else if (threads == 0) {
    threads = std::max(1, cores / pool);
  }

  auto session = std::unique_ptr<Session>(new Session());
  session->model_ = model;
  session->threads_per_interpreter_ = threads;
  InterpreterOptions iopts = options.interpreter;
  iopts.num_threads = threads;
  for (int i = 0; i < pool; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp,
                     Interpreter::Create(model, iopts));
    RETURN_IF_ERROR(interp->AllocateTensors().WithContext(
        "session: interpreter " + std::to_string(i)));
    session->idle_.push_back(interp.get());
    session->pool_.push_back(std::move(interp));
  }
  Interpreter& first = *session->pool_.front();
  for (int i = 0; i < first.num_inputs(); ++i) {
    session->input_info_.push_back(InfoOf(first.input(i)));
  }
  for (int i = 0; i < first.num_outputs(); ++i) {
    session->output_info_.push_back(InfoOf(first.output(i)));
  }
  DeviceSpec device;
  device.name = "cpu";
  device.slots = pool;
  device.max_queue = options.max_queue;
  device.policy = options.queue_policy;
  device.wait_timeout = options.queue_wait_timeout;
  ASSIGN_OR_RETURN(session->scheduler_, Scheduler::Create({device}));
  return session;
}

Session::~Session() {
  // Cancels queued requests and joins the workers before the pool goes.
  scheduler_.reset();
}

Status Session::Validate(const std::vector<TensorData>& inputs) const {
  if (inputs.size() != input_info_.size()) {
    return InvalidArgumentError("session: model has " +
                                std::to_string(input_info_.size()) +
                                " inputs, got " + std::to_string(inputs.size()));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorData& in = inputs[i];
    const TensorInfo& info = input_info_[i];
    const std::string where =
        "session: input " + std::to_string(i) + " ('" + info.name + "')";
    if (in.type != info.type) {
      return InvalidArgumentError(where + " is " +
                                  std::string(DataTypeName(info.type)) + ", got " +
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
      if (d < 0) return InvalidArgumentError(where + ": negative dimension in " +
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
                                  " bytes, got " + std::to_string(in.bytes.size()));
    }
  }
  return OkStatus();
}

Interpreter* Session::Lease() {
  std::unique_lock<std::mutex> lock(pool_mu_);
  // One scheduler slot per interpreter, so this only waits if that changes.
  pool_cv_.wait(lock, [&] { return !idle_.empty(); });
  Interpreter* interp = idle_.back();
  idle_.pop_back();
  return interp;
}

void Session::Release(Interpreter* interp) {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    idle_.push_back(interp);
  }
  pool_cv_.notify_one();
}

StatusOr<Session::Outputs> Session::Execute(
    const std::vector<TensorData>& inputs) {
  Interpreter* interp = Lease();
  // Every path below hands the interpreter back, errors included.
  struct Returner {
    Session* s;
    Interpreter* i;
    ~Returner() { s->Release(i); }
  } returner{this, interp};

  bool resized = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (interp->input(static_cast<int>(i)).shape() != inputs[i].shape) {
      RETURN_IF_ERROR(interp->ResizeInput(static_cast<int>(i), inputs[i].shape));
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
  return outputs;
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
  request.promise.set_value(std::move(result));
}

std::future<StatusOr<Session::Outputs>> Session::Submit(
    std::vector<TensorData> inputs, const RunOptions& options) {
  auto request = std::make_shared<Request>();
  request->submitted = Clock::now();
  request->inputs = std::move(inputs);
  std::future<StatusOr<Outputs>> future = request->promise.get_future();
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++requests_;
  }
  if (Status s = Validate(request->inputs); !s.ok()) {
    Finish(*request, s);
    return future;
  }
  WorkOptions wo;
  wo.priority = options.priority;
  wo.deadline = options.deadline;
  wo.cancel = options.cancel;
  // work and done share the request; done runs exactly once after work (or
  // instead of it), so `outputs` needs no lock.
  Status queued = scheduler_->Submit(
      0, wo,
      [this, request]() -> Status {
        StatusOr<Outputs> out = Execute(request->inputs);
        if (!out.ok()) return out.status();
        request->outputs = std::move(out).value();
        return OkStatus();
      },
      [this, request](Status result) {
        if (result.ok()) {
          Finish(*request, std::move(*request->outputs));
        } else {
          Finish(*request, std::move(result));
        }
      });
  if (!queued.ok()) Finish(*request, std::move(queued));
  return future;
}

StatusOr<Session::Outputs> Session::Run(const std::vector<TensorData>& inputs,
                                        const RunOptions& options) {
  return Submit(inputs, options).get();
}

SessionStats Session::stats() const {
  SessionStats s;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    s.requests = requests_;
    s.ok = ok_;
    s.errors = errors_;
    s.latency = LatencySummary::Of(latency_);
  }
  s.device = scheduler_->stats(0);
  return s;
}

}  // namespace edgerun::session
