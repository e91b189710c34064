#include "edgerun/ota/managed_model.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace edgerun::ota {
namespace {

using session::RunInfo;
using session::RunOptions;
using session::Session;
using session::SessionMode;
using session::SessionOptions;
using session::TensorData;

// Policy changes touch only the backends and the thread count.
bool SameServingOptions(const SessionOptions& a, const SessionOptions& b) {
  return a.interpreter.backends == b.interpreter.backends &&
         a.interpreter.num_threads == b.interpreter.num_threads &&
         a.threads_per_interpreter == b.threads_per_interpreter;
}

}  // namespace

ManagedModel::ManagedModel(ModelStore* store, std::string name, ManagedModelOptions options)
    : store_(store),
      name_(std::move(name)),
      options_(std::move(options)),
      env_(options_.env != nullptr ? options_.env : Env::Default()),
      health_(options_.health, options_.now) {}

ManagedModel::~ManagedModel() {
  StopHealthWatcher();
  std::lock_guard<std::mutex> control(control_mu_);
  retired_.clear();
  std::shared_ptr<Served> last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last = std::move(served_);
  }
  last.reset();  // outside mu_: waits for running requests
}

StatusOr<std::unique_ptr<ManagedModel>> ManagedModel::Create(ModelStore* store,
                                                             std::string name,
                                                             ManagedModelOptions options) {
  if (store == nullptr) return InvalidArgumentError("managed model: null store");
  std::unique_ptr<ManagedModel> m(new ManagedModel(store, std::move(name), std::move(options)));
  ASSIGN_OR_RETURN(const ActiveModel active, store->Active(m->name_));
  ASSIGN_OR_RETURN(auto model, LoadVerifiedModel(m->env_, active.path, active.sha256));
  auto served = std::make_shared<Served>();
  served->options = m->EffectiveOptions();
  ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(model, served->options));
  served->session = std::move(session);
  served->generation_offset = 0;
  const uint64_t generation = served->session->model_generation();

  // A version that never passed its health window (the process died during
  // it): keep it and judge it again, with absolute limits only.
  bool unproven = false;
  int64_t previous = 0;
  if (!active.from_bundled && active.version != 0) {
    ASSIGN_OR_RETURN(const auto versions, store->List(m->name_));
    for (const auto& v : versions) {
      if (v.version == active.version) unproven = !v.last_good;
      if (v.previous) previous = v.version;
    }
  }
  {
    std::lock_guard<std::mutex> control(m->control_mu_);
    std::lock_guard<std::mutex> lock(m->mu_);
    m->served_ = std::move(served);
    m->version_ = active.version;
    m->sha256_ = active.sha256;
    m->model_ = model;
    m->generation_versions_[generation] = active.version;
    if (unproven) {
      m->window_ = Window{generation, active.version, previous, nullptr, ""};
      m->in_window_ = true;
      m->previous_version_ = previous;
      m->health_.BeginWindow(generation, std::nullopt);
    }
  }
  return m;
}

SessionOptions ManagedModel::EffectiveOptions() const {
  SessionOptions o = options_.session;
  if (options_.policy == nullptr) return o;
  const std::shared_ptr<const DevicePolicy> policy = options_.policy->Current();
  policy->ApplyTo(options_.device_class, o.interpreter);
  const DeviceRules rules = policy->RulesFor(options_.device_class);
  if (rules.max_threads.has_value()) {
    int threads = o.threads_per_interpreter;
    if (threads == 0) {  // what Session would pick
      int cores = o.num_cores > 0 ? o.num_cores
                                  : static_cast<int>(std::thread::hardware_concurrency());
      cores = std::max(cores, 1);
      threads = o.mode == SessionMode::kLatency ? cores : 1;
    }
    if (threads > *rules.max_threads) o.threads_per_interpreter = *rules.max_threads;
  }
  return o;
}

std::shared_ptr<ManagedModel::Served> ManagedModel::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return served_;
}

void ManagedModel::Record(const Served& served, const RunInfo& info, bool ok,
                          Clock::time_point start) {
  if (info.model_generation == 0) return;  // never reached a model
  health_.Record(served.generation_offset + info.model_generation, ok, options_.now() - start);
}

void ManagedModel::Emit(UpdateEventType type, int64_t version, int64_t from,
                        std::string reason) {
  if (options_.events == nullptr) return;
  UpdateEvent e;
  e.type = type;
  e.model = name_;
  e.version = std::to_string(version);
  e.from_version = std::to_string(from);
  e.reason = std::move(reason);
  options_.events->Append(std::move(e));
}

StatusOr<ManagedModel::Outputs> ManagedModel::Run(const std::vector<TensorData>& inputs,
                                                  const RunOptions& options) {
  const std::shared_ptr<Served> served = Current();
  RunInfo info;
  RunOptions opts = options;
  opts.info = &info;
  const Clock::time_point start = options_.now();
  StatusOr<Outputs> result = served->session->Run(inputs, opts);
  Record(*served, info, result.ok(), start);
  if (options.info != nullptr) {
    options.info->model_generation =
        info.model_generation == 0 ? 0 : served->generation_offset + info.model_generation;
  }
  return result;
}

std::future<StatusOr<ManagedModel::Outputs>> ManagedModel::Submit(
    std::vector<TensorData> inputs, const RunOptions& options) {
  struct Pending {
    std::promise<StatusOr<Outputs>> promise;
    RunInfo info;
    RunInfo* caller = nullptr;
    Clock::time_point start;
  };
  auto pending = std::make_shared<Pending>();
  pending->caller = options.info;
  std::future<StatusOr<Outputs>> future = pending->promise.get_future();
  std::shared_ptr<Served> served;
  {
    // Counted under mu_, so a Session that was retired is never reaped
    // while a Submit to it is on its way (ReapRetired).
    std::lock_guard<std::mutex> lock(mu_);
    served = served_;
    served->outstanding.fetch_add(1);
  }
  Served* raw = served.get();
  RunOptions opts = options;
  opts.info = &pending->info;
  pending->start = options_.now();
  served->session->SubmitWithCallback(
      std::move(inputs), opts, [this, raw, pending](StatusOr<Outputs> result) {
        Record(*raw, pending->info, result.ok(), pending->start);
        if (pending->caller != nullptr) {
          pending->caller->model_generation =
              pending->info.model_generation == 0
                  ? 0
                  : raw->generation_offset + pending->info.model_generation;
        }
        pending->promise.set_value(std::move(result));
        raw->outstanding.fetch_sub(1);  // last: the Session may go after this
      });
  return future;
}

void ManagedModel::ReapRetired() {
  std::erase_if(retired_, [](const std::shared_ptr<Served>& s) {
    return s->outstanding.load() == 0;
  });
}

StatusOr<uint64_t> ManagedModel::Install(std::shared_ptr<const ModelFile> model,
                                         const SessionOptions& options, int64_t version,
                                         const std::string& sha256) {
  const std::shared_ptr<Served> current = Current();
  uint64_t generation = 0;
  // The generation -> version entry is made BEFORE requests can run on the
  // new model: a request finishing right after the switch must already map
  // to the new version (control_mu_ serializes swaps, so the session's next
  // generation is known).
  if (SameServingOptions(current->options, options)) {
    generation = current->generation_offset + current->session->model_generation() + 1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_versions_[generation] = version;
    }
    if (Status s = current->session->SwapModel(model); !s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      generation_versions_.erase(generation);
      return s;
    }
  } else {
    // New options (device policy): a new Session, built aside.
    auto next = std::make_shared<Served>();
    next->options = options;
    ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(model, options));
    next->session = std::move(session);
    next->generation_offset =
        current->generation_offset + current->session->model_generation();
    generation = next->generation_offset + next->session->model_generation();
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_versions_[generation] = version;
      served_ = next;
    }
    retired_.push_back(current);  // destroyed by ReapRetired once idle
  }
  std::lock_guard<std::mutex> lock(mu_);
  version_ = version;
  sha256_ = sha256;
  model_ = std::move(model);
  generation_versions_[generation] = version;
  while (generation_versions_.size() > 64) generation_versions_.erase(generation_versions_.begin());
  return generation;
}

StatusOr<ActivationReport> ManagedModel::ActivateVersion(int64_t version,
                                                         const std::string& reason) {
  std::lock_guard<std::mutex> control(control_mu_);
  ReapRetired();
  uint64_t previous_generation = 0;
  int64_t previous_version = 0;
  std::string previous_sha;
  std::shared_ptr<const ModelFile> previous_model;
  {
    std::lock_guard<std::mutex> lock(mu_);
    previous_generation = served_->generation_offset + served_->session->model_generation();
    previous_version = version_;
    previous_sha = sha256_;
    previous_model = model_;
  }
  // The old generation's live traffic up to now.
  const std::optional<HealthBaseline> baseline = health_.Baseline(previous_generation);
  const SessionOptions options = EffectiveOptions();
  ASSIGN_OR_RETURN(ActivatedModel activated,
                   PrepareAndActivateModel(*store_, name_, version,
                                           {options.interpreter, reason, env_},
                                           options_.events));
  StatusOr<uint64_t> generation =
      Install(activated.model, options, version, activated.report.model_sha256);
  if (!generation.ok()) {
    // Activated in the store but not servable here: undo in the store.
    const std::string why = "cannot serve version " + std::to_string(version) + ": " +
                            generation.status().message();
    auto back = store_->Rollback(name_, why);
    Emit(UpdateEventType::kRolledBack, back.ok() ? *back : previous_version, version, why);
    return generation.status().WithContext("activate model " + name_);
  }
  env_->CrashPoint("managed.swapped");
  window_ = Window{*generation, version, previous_version, std::move(previous_model),
                   previous_sha};
  health_.BeginWindow(*generation, baseline);
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_window_ = true;
    previous_version_ = previous_version;
  }
  return std::move(activated.report);
}

StatusOr<int64_t> ManagedModel::RollbackLocked(const std::string& reason) {
  int64_t bad = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bad = version_;
  }
  ASSIGN_OR_RETURN(int64_t target, store_->Rollback(name_, reason));
  env_->CrashPoint("managed.store_rolled_back");
  std::shared_ptr<const ModelFile> model;
  std::string sha;
  if (window_ && window_->previous_model != nullptr && window_->previous_version == target) {
    model = window_->previous_model;  // still in memory, verified when loaded
    sha = window_->previous_sha256;
  } else {
    ASSIGN_OR_RETURN(const ActiveModel active, store_->Active(name_));
    ASSIGN_OR_RETURN(model, LoadVerifiedModel(env_, active.path, active.sha256));
    target = active.version;
    sha = active.sha256;
  }
  RETURN_IF_ERROR(Install(std::move(model), EffectiveOptions(), target, sha).status());
  window_.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_window_ = false;
    previous_version_ = 0;
  }
  Emit(UpdateEventType::kRolledBack, target, bad, reason);
  return target;
}

StatusOr<int64_t> ManagedModel::Rollback(const std::string& reason) {
  std::lock_guard<std::mutex> control(control_mu_);
  ReapRetired();
  return RollbackLocked(reason);
}

StatusOr<HealthVerdict> ManagedModel::Tick() {
  std::lock_guard<std::mutex> control(control_mu_);
  ReapRetired();
  if (!window_) {
    HealthVerdict none;
    none.reason = "no health window open";
    return none;
  }
  HealthVerdict verdict = health_.Evaluate();
  if (verdict.generation != window_->generation) return verdict;  // not ours
  if (verdict.state == HealthState::kUnhealthy) {
    RETURN_IF_ERROR(RollbackLocked("health window: " + verdict.reason).status());
  } else if (verdict.state == HealthState::kHealthy) {
    RETURN_IF_ERROR(store_->MarkGood(name_));
    env_->CrashPoint("managed.marked_good");
    const std::string why = "health window passed: " + std::to_string(verdict.requests) +
                            " requests, " + std::to_string(verdict.errors) + " errors";
    Emit(UpdateEventType::kCommitted, window_->version, window_->previous_version, why);
    window_.reset();
    std::lock_guard<std::mutex> lock(mu_);
    in_window_ = false;
  }
  return verdict;
}

StatusOr<bool> ManagedModel::ReapplyPolicy() {
  std::lock_guard<std::mutex> control(control_mu_);
  ReapRetired();
  const SessionOptions options = EffectiveOptions();
  const std::shared_ptr<Served> current = Current();
  if (SameServingOptions(current->options, options)) return false;
  std::shared_ptr<const ModelFile> model;
  int64_t version = 0;
  std::string sha;
  {
    std::lock_guard<std::mutex> lock(mu_);
    model = model_;
    version = version_;
    sha = sha256_;
  }
  ASSIGN_OR_RETURN(const uint64_t generation, Install(model, options, version, sha));
  // A window in progress follows the model to its new generation.
  if (window_) {
    window_->generation = generation;
    health_.BeginWindow(generation, health_.Baseline(generation - 1));
  }
  return true;
}

void ManagedModel::StartHealthWatcher(std::chrono::milliseconds interval) {
  StopHealthWatcher();
  {
    std::lock_guard<std::mutex> lock(watcher_mu_);
    watcher_stop_ = false;
  }
  watcher_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(watcher_mu_);
    while (!watcher_cv_.wait_for(lock, interval, [this] { return watcher_stop_; })) {
      lock.unlock();
      const StatusOr<HealthVerdict> verdict = Tick();
      if (!verdict.ok()) {
        Emit(UpdateEventType::kError, serving().version, 0,
             "health watcher: " + verdict.status().message());
      }
      lock.lock();
    }
  });
}

void ManagedModel::StopHealthWatcher() {
  {
    std::lock_guard<std::mutex> lock(watcher_mu_);
    watcher_stop_ = true;
  }
  watcher_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

ServingInfo ManagedModel::serving() const {
  std::lock_guard<std::mutex> lock(mu_);
  ServingInfo info;
  info.version = version_;
  info.sha256 = sha256_;
  info.generation = served_->generation_offset + served_->session->model_generation();
  info.in_health_window = in_window_;
  info.previous_version = previous_version_;
  info.backends = served_->options.interpreter.backends;
  info.threads_per_interpreter = served_->session->threads_per_interpreter();
  return info;
}

std::optional<int64_t> ManagedModel::VersionOf(uint64_t generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = generation_versions_.find(generation);
  if (it == generation_versions_.end()) return std::nullopt;
  return it->second;
}

session::SessionStats ManagedModel::stats() const { return Current()->session->stats(); }

}  // namespace edgerun::ota
