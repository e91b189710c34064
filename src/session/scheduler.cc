#include "edgerun/session/scheduler.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <set>
#include <thread>
#include <utility>

namespace edgerun::session {

// ---- CancellationToken

struct CancellationToken::State {
  std::mutex mu;
  bool cancelled = false;  // guarded by mu; also mirrored in `flag`
  std::atomic<bool> flag{false};
  uint64_t next_id = 1;
  std::map<uint64_t, std::function<void()>> callbacks;
};

CancellationToken::CancellationToken() : state_(std::make_shared<State>()) {}

void CancellationToken::Cancel() {
  std::map<uint64_t, std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->cancelled) return;
    state_->cancelled = true;
    state_->flag.store(true, std::memory_order_release);
    callbacks.swap(state_->callbacks);
  }
  // Outside the lock: callbacks take scheduler locks (see lock order).
  for (auto& [id, fn] : callbacks) fn();
}

bool CancellationToken::cancelled() const {
  return state_->flag.load(std::memory_order_acquire);
}

const std::atomic<bool>* CancellationToken::flag() const {
  return &state_->flag;
}

uint64_t CancellationToken::Register(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->cancelled) return 0;
  const uint64_t id = state_->next_id++;
  state_->callbacks.emplace(id, std::move(fn));
  return id;
}

void CancellationToken::Unregister(uint64_t id) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->callbacks.erase(id);
}

// ---- LatencyHistogram

void LatencyHistogram::Record(Clock::duration d) {
  const int64_t us = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  int index = 0;
  if (us >= 1) {
    index =
        static_cast<int>(std::floor(std::log2(static_cast<double>(us)) * 4)) +
        1;
    index = std::min(index, kBuckets - 1);
  }
  ++buckets_[index];
  ++count_;
  max_us_ = std::max<uint64_t>(max_us_, static_cast<uint64_t>(us));
}

double LatencyHistogram::PercentileMicros(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * count_)));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const double upper = i == 0 ? 1.0 : std::exp2(i / 4.0);
      return std::min(upper, static_cast<double>(max_us_));
    }
  }
  return static_cast<double>(max_us_);
}

LatencySummary LatencySummary::Of(const LatencyHistogram& h) {
  LatencySummary s;
  s.count = h.count();
  s.p50_us = h.PercentileMicros(0.50);
  s.p90_us = h.PercentileMicros(0.90);
  s.p99_us = h.PercentileMicros(0.99);
  s.max_us = h.max_micros();
  return s;
}

// ---- Device

namespace {

// Queue order: priority (higher first), deadline (earlier first; none is
// time_point::max), arrival.
struct QueueKey {
  int priority;
  Clock::time_point deadline;
  uint64_t seq;
  bool operator<(const QueueKey& o) const {
    if (priority != o.priority) return priority > o.priority;
    if (deadline != o.deadline) return deadline < o.deadline;
    return seq < o.seq;
  }
};

struct Item {
  Scheduler::Work work;
  Scheduler::Done done;
  Clock::time_point enqueued;
  std::optional<Clock::time_point> deadline;
  std::optional<CancellationToken> cancel;
  uint64_t cancel_id = 0;
  uint64_t group = 0;
  int bypassed = 0;  // grouping: later items of its level dispatched first

  // With Device::mu held: the token must stop pointing at this item.
  void DetachCancel() {
    if (cancel && cancel_id != 0) cancel->Unregister(cancel_id);
    cancel_id = 0;
  }
};

// Counters of one group on one device (latencies in the histograms).
struct GroupState {
  ModelStats counts;
  LatencyHistogram queue_wait;
  LatencyHistogram run;
};

enum class Counter {
  kRequests,
  kCompleted,
  kErrors,
  kRejections,
  kDeadline,
  kCancelled
};

template <typename S>
uint64_t& Field(S& s, Counter c) {
  switch (c) {
    case Counter::kRequests:
      return s.requests;
    case Counter::kCompleted:
      return s.completed;
    case Counter::kErrors:
      return s.errors;
    case Counter::kRejections:
      return s.rejections;
    case Counter::kDeadline:
      return s.deadline_exceeded;
    case Counter::kCancelled:
      break;
  }
  return s.cancelled;
}

}  // namespace

// One device: queue, workers and reaper. Shared (not unique) so that
// cancellation callbacks, which may fire on any thread at any time, can hold
// a weak_ptr and find the device gone instead of dangling.
struct Scheduler::Device {
  DeviceSpec spec;

  mutable std::mutex mu;
  std::condition_variable work_cv;        // queue non-empty or stop
  std::condition_variable space_cv;       // queue shrank or stop (kWait)
  std::condition_variable reaper_cv;      // new deadline or stop
  std::map<QueueKey, Item> queue;         // guarded by mu
  uint64_t next_seq = 0;                  // guarded by mu
  bool stop = false;                      // guarded by mu
  int running = 0;                        // guarded by mu
  DeviceStats counters;                   // guarded by mu (latencies unused)
  LatencyHistogram queue_wait;            // guarded by mu
  LatencyHistogram run;                   // guarded by mu
  std::map<uint64_t, GroupState> groups;  // guarded by mu
  bool has_last = false;                  // guarded by mu
  uint64_t last_group = 0;                // guarded by mu: last dispatched

  // With mu held: counts on the device and on `group`.
  void Add(uint64_t group, Counter c, uint64_t n = 1) {
    Field(counters, c) += n;
    Field(groups[group].counts, c) += n;
  }
  // With mu held and the queue non-empty: the next item to dispatch.
  std::map<QueueKey, Item>::iterator PickNext();

  std::vector<std::thread> workers;
  std::thread reaper;

  // With `lock` (on mu) held: occupies a slot, runs `work` unlocked and
  // records queue wait, run time, model switch and outcome. Shared by the
  // workers and TryRunInline so both count a dispatch the same way.
  Status RunInSlot(std::unique_lock<std::mutex>& lock, uint64_t group,
                   Clock::duration waited, Clock::time_point start,
                   const Scheduler::Work& work);
  void WorkerLoop();
  void ReaperLoop();
  void CancelQueued(const QueueKey& key);
};

std::map<QueueKey, Item>::iterator Scheduler::Device::PickNext() {
  const auto head = queue.begin();
  if (!spec.group_by_model || !has_last) return head;
  const int level = head->first.priority;
  // The first item of the last group at the head's level, unless an item
  // before it already reached the bypass bound: then the first such item.
  auto pick = head;
  for (auto it = head; it != queue.end() && it->first.priority == level; ++it) {
    if (it->second.bypassed >= spec.max_consecutive_same_model) {
      pick = it;
      break;
    }
    if (it->second.group == last_group) {
      pick = it;
      break;
    }
  }
  for (auto it = head; it != pick; ++it) ++it->second.bypassed;
  return pick;
}

Status Scheduler::Device::RunInSlot(std::unique_lock<std::mutex>& lock,
                                    uint64_t group_id, Clock::duration waited,
                                    Clock::time_point start,
                                    const Scheduler::Work& work) {
  GroupState& group = groups[group_id];  // map nodes are stable
  queue_wait.Record(waited);
  group.queue_wait.Record(waited);
  if (!has_last || last_group != group_id) ++counters.model_switches;
  has_last = true;
  last_group = group_id;
  ++running;
  lock.unlock();
  Status result = work();
  const Clock::time_point end = Clock::now();
  lock.lock();
  --running;
  run.Record(end - start);
  group.run.Record(end - start);
  // Work that stopped because its request was cancelled (a running Invoke
  // polls the token) counts as cancelled, not as an error.
  Add(group_id, result.ok()                               ? Counter::kCompleted
                : result.code() == StatusCode::kCancelled ? Counter::kCancelled
                                                          : Counter::kErrors);
  return result;
}

void Scheduler::Device::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu);
  while (true) {
    // `running` also counts inline runs (TryRunInline), so a worker waits
    // for a free slot, not only for work.
    work_cv.wait(
        lock, [&] { return stop || (!queue.empty() && running < spec.slots); });
    if (queue.empty()) return;  // stopping and drained
    Item item = std::move(queue.extract(PickNext()).mapped());
    item.DetachCancel();
    space_cv.notify_one();
    const Clock::time_point start = Clock::now();
    Status drop;
    if (item.cancel && item.cancel->cancelled()) {
      Add(item.group, Counter::kCancelled);
      drop = CancelledError("request cancelled while queued");
    } else if (item.deadline && start >= *item.deadline) {
      Add(item.group, Counter::kDeadline);
      drop = DeadlineExceededError("deadline passed while queued on device '" +
                                   spec.name + "'");
    }
    if (!drop.ok()) {
      lock.unlock();
      item.done(drop);
      item = Item();  // release captures outside the lock
      lock.lock();
      continue;
    }
    Status result =
        RunInSlot(lock, item.group, start - item.enqueued, start, item.work);
    // Stats are final before done runs, so a caller woken by done sees them.
    lock.unlock();
    item.done(std::move(result));
    item = Item();
    lock.lock();
  }
}

void Scheduler::Device::ReaperLoop() {
  std::unique_lock<std::mutex> lock(mu);
  while (!stop) {
    std::optional<Clock::time_point> earliest;
    for (const auto& [key, item] : queue) {
      if (item.deadline && (!earliest || *item.deadline < *earliest)) {
        earliest = item.deadline;
      }
    }
    if (!earliest) {
      reaper_cv.wait(lock);
      continue;
    }
    reaper_cv.wait_until(lock, *earliest);
    if (stop) break;
    const Clock::time_point now = Clock::now();
    std::vector<Item> expired;
    for (auto it = queue.begin(); it != queue.end();) {
      if (it->second.deadline && *it->second.deadline <= now) {
        it->second.DetachCancel();
        expired.push_back(std::move(it->second));
        it = queue.erase(it);
      } else {
        ++it;
      }
    }
    if (expired.empty()) continue;
    for (const Item& item : expired) Add(item.group, Counter::kDeadline);
    space_cv.notify_all();
    lock.unlock();
    for (Item& item : expired) {
      item.done(DeadlineExceededError(
          "deadline passed while queued on device '" + spec.name + "'"));
    }
    expired.clear();
    lock.lock();
  }
}

void Scheduler::Device::CancelQueued(const QueueKey& key) {
  std::unique_lock<std::mutex> lock(mu);
  auto it = queue.find(key);
  if (it == queue.end()) return;  // already running, done or reaped
  // The token already dropped its callbacks (Cancel swaps them out).
  Item item = std::move(it->second);
  queue.erase(it);
  Add(item.group, Counter::kCancelled);
  space_cv.notify_one();
  lock.unlock();
  item.done(CancelledError("request cancelled while queued"));
}

// ---- Scheduler

StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(
    std::vector<DeviceSpec> specs) {
  if (specs.empty()) return InvalidArgumentError("scheduler: no devices");
  std::set<std::string> names;
  for (const DeviceSpec& s : specs) {
    if (s.name.empty())
      return InvalidArgumentError("scheduler: device without a name");
    if (!names.insert(s.name).second) {
      return InvalidArgumentError("scheduler: device '" + s.name +
                                  "' given twice");
    }
    if (s.slots < 1) {
      return InvalidArgumentError("scheduler: device '" + s.name +
                                  "' needs at least 1 slot, got " +
                                  std::to_string(s.slots));
    }
    if (s.max_queue < 1) {
      return InvalidArgumentError("scheduler: device '" + s.name +
                                  "' needs max_queue >= 1");
    }
    if (s.group_by_model && s.max_consecutive_same_model < 1) {
      return InvalidArgumentError("scheduler: device '" + s.name +
                                  "' groups by model and needs "
                                  "max_consecutive_same_model >= 1, got " +
                                  std::to_string(s.max_consecutive_same_model));
    }
  }
  std::vector<std::shared_ptr<Device>> devices;
  for (DeviceSpec& s : specs) {
    auto d = std::make_shared<Device>();
    d->spec = std::move(s);
    d->counters.name = d->spec.name;
    d->counters.slots = d->spec.slots;
    devices.push_back(std::move(d));
  }
  // Threads start after every device exists; they only touch their own.
  for (auto& d : devices) {
    for (int i = 0; i < d->spec.slots; ++i) {
      d->workers.emplace_back([dev = d.get()] { dev->WorkerLoop(); });
    }
    d->reaper = std::thread([dev = d.get()] { dev->ReaperLoop(); });
  }
  return std::unique_ptr<Scheduler>(new Scheduler(std::move(devices)));
}

Scheduler::Scheduler(std::vector<std::shared_ptr<Device>> devices)
    : devices_(std::move(devices)) {}

Scheduler::~Scheduler() {
  for (auto& d : devices_) {
    std::vector<Item> dropped;
    {
      std::lock_guard<std::mutex> lock(d->mu);
      d->stop = true;
      for (auto& [key, item] : d->queue) {
        item.DetachCancel();
        d->Add(item.group, Counter::kCancelled);
        dropped.push_back(std::move(item));
      }
      d->queue.clear();
    }
    d->work_cv.notify_all();
    d->space_cv.notify_all();
    d->reaper_cv.notify_all();
    for (Item& item : dropped) item.done(CancelledError("scheduler shut down"));
  }
  for (auto& d : devices_) {
    for (std::thread& t : d->workers) t.join();
    d->reaper.join();
  }
}

uint64_t Scheduler::RegisterGroup(std::string name) {
  if (name.empty()) name = "group";
  std::lock_guard<std::mutex> lock(groups_mu_);
  std::set<std::string_view> taken;
  for (const auto& [id, n] : group_names_) taken.insert(n);
  std::string unique = name;
  for (int k = 2; taken.count(unique) || unique == "default"; ++k) {
    unique = name + "#" + std::to_string(k);
  }
  const uint64_t id = next_group_++;
  group_names_.emplace(id, std::move(unique));
  return id;
}

std::string Scheduler::GroupName(uint64_t group) const {
  if (group == 0) return "default";
  std::lock_guard<std::mutex> lock(groups_mu_);
  auto it = group_names_.find(group);
  return it == group_names_.end() ? std::string() : it->second;
}

size_t Scheduler::CancelQueued(int device, uint64_t group) {
  if (device < 0 || device >= num_devices()) return 0;
  Device& d = *devices_[device];
  std::vector<Item> dropped;
  {
    std::lock_guard<std::mutex> lock(d.mu);
    for (auto it = d.queue.begin(); it != d.queue.end();) {
      if (it->second.group == group) {
        it->second.DetachCancel();
        d.Add(group, Counter::kCancelled);
        dropped.push_back(std::move(it->second));
        it = d.queue.erase(it);
      } else {
        ++it;
      }
    }
    if (!dropped.empty()) d.space_cv.notify_all();
  }
  for (Item& item : dropped)
    item.done(CancelledError("request cancelled while queued"));
  return dropped.size();
}

StatusOr<int> Scheduler::DeviceIndex(std::string_view name) const {
  for (size_t i = 0; i < devices_.size(); ++i) {
    if (devices_[i]->spec.name == name) return static_cast<int>(i);
  }
  return NotFoundError("scheduler: no device '" + std::string(name) + "'");
}

Status Scheduler::Submit(int device, const WorkOptions& options, Work work,
                         Done done) {
  if (device < 0 || device >= num_devices()) {
    return InvalidArgumentError("scheduler: device index " +
                                std::to_string(device) + " out of range");
  }
  if (!work || !done) return InvalidArgumentError("scheduler: empty callable");
  Device& d = *devices_[device];
  const Clock::time_point now = Clock::now();
  std::unique_lock<std::mutex> lock(d.mu);
  if (d.stop) return UnavailableError("scheduler is shutting down");
  if (options.cancel && options.cancel->cancelled()) {
    d.Add(options.group, Counter::kCancelled);
    return CancelledError("request cancelled before it was queued");
  }
  if (options.deadline && now >= *options.deadline) {
    d.Add(options.group, Counter::kDeadline);
    return DeadlineExceededError(
        "deadline passed before the request was queued");
  }
  if (d.queue.size() >= d.spec.max_queue) {
    const std::string full = "device '" + d.spec.name + "': queue full (" +
                             std::to_string(d.spec.max_queue) + " queued)";
    if (d.spec.policy == QueuePolicy::kReject) {
      d.Add(options.group, Counter::kRejections);
      return UnavailableError(full);
    }
    Clock::time_point wait_end = now + d.spec.wait_timeout;
    const bool deadline_first =
        options.deadline && *options.deadline < wait_end;
    if (deadline_first) wait_end = *options.deadline;
    const bool space = d.space_cv.wait_until(lock, wait_end, [&] {
      return d.stop || d.queue.size() < d.spec.max_queue;
    });
    if (d.stop) return UnavailableError("scheduler is shutting down");
    if (!space) {
      if (deadline_first) {
        d.Add(options.group, Counter::kDeadline);
        return DeadlineExceededError(full + "; deadline passed while waiting");
      }
      d.Add(options.group, Counter::kRejections);
      return UnavailableError(
          full + " for " +
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                             d.spec.wait_timeout)
                             .count()) +
          " ms");
    }
  }
  const QueueKey key{options.priority,
                     options.deadline.value_or(Clock::time_point::max()),
                     d.next_seq++};
  Item item;
  item.work = std::move(work);
  item.done = std::move(done);
  item.enqueued = Clock::now();
  item.deadline = options.deadline;
  item.cancel = options.cancel;
  item.group = options.group;
  if (item.cancel) {
    // Registered under d.mu (lock order Device::mu -> token); the callback
    // itself takes d.mu, which Cancel() calls without holding the token lock.
    std::weak_ptr<Device> weak = devices_[device];
    item.cancel_id = item.cancel->Register([weak, key] {
      if (auto dev = weak.lock()) dev->CancelQueued(key);
    });
    if (item.cancel_id == 0) {
      d.Add(options.group, Counter::kCancelled);
      return CancelledError("request cancelled before it was queued");
    }
  }
  d.queue.emplace(key, std::move(item));
  d.Add(options.group, Counter::kRequests);
  d.work_cv.notify_one();
  if (options.deadline) d.reaper_cv.notify_one();
  return OkStatus();
}

std::optional<Status> Scheduler::TryRunInline(int device,
                                              const WorkOptions& options,
                                              const Work& work) {
  if (device < 0 || device >= num_devices() || !work) return std::nullopt;
  Device& d = *devices_[device];
  std::unique_lock<std::mutex> lock(d.mu);
  if (d.stop || !d.queue.empty() || d.running >= d.spec.slots) {
    return std::nullopt;
  }
  if (options.cancel && options.cancel->cancelled()) {
    d.Add(options.group, Counter::kCancelled);
    return CancelledError("request cancelled before it was queued");
  }
  const Clock::time_point start = Clock::now();
  if (options.deadline && start >= *options.deadline) {
    d.Add(options.group, Counter::kDeadline);
    return DeadlineExceededError(
        "deadline passed before the request was queued");
  }
  d.Add(options.group, Counter::kRequests);
  Status result =
      d.RunInSlot(lock, options.group, Clock::duration::zero(), start, work);
  // A request queued while this one held the slot finds a waiting worker.
  if (!d.queue.empty()) d.work_cv.notify_one();
  return result;
}

DeviceStats Scheduler::stats(int device) const {
  if (device < 0 || device >= num_devices()) return DeviceStats{};
  std::map<uint64_t, std::string> names;
  {
    std::lock_guard<std::mutex> lock(groups_mu_);  // a leaf: not nested
    names = group_names_;
  }
  names[0] = "default";
  const Device& d = *devices_[device];
  std::lock_guard<std::mutex> lock(d.mu);
  DeviceStats s = d.counters;
  s.queued = d.queue.size();
  s.running = d.running;
  s.queue_wait = LatencySummary::Of(d.queue_wait);
  s.run = LatencySummary::Of(d.run);
  for (const auto& [id, g] : d.groups) {
    ModelStats m = g.counts;
    m.queue_wait = LatencySummary::Of(g.queue_wait);
    m.run = LatencySummary::Of(g.run);
    auto name = names.find(id);
    s.models[name != names.end() ? name->second
                                 : "group " + std::to_string(id)] =
        std::move(m);
  }
  return s;
}

std::vector<DeviceStats> Scheduler::stats() const {
  std::vector<DeviceStats> all;
  for (int i = 0; i < num_devices(); ++i) all.push_back(stats(i));
  return all;
}

}  // namespace edgerun::session
