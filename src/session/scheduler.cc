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
    index = static_cast<int>(std::floor(std::log2(static_cast<double>(us)) * 4)) + 1;
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

  // With Device::mu held: the token must stop pointing at this item.
  void DetachCancel() {
    if (cancel && cancel_id != 0) cancel->Unregister(cancel_id);
    cancel_id = 0;
  }
};

}  // namespace

// One device: queue, workers and reaper. Shared (not unique) so that
// cancellation callbacks, which may fire on any thread at any time, can hold
// a weak_ptr and find the device gone instead of dangling.
struct Scheduler::Device {
  DeviceSpec spec;

  mutable std::mutex mu;
  std::condition_variable work_cv;    // queue non-empty or stop
  std::condition_variable space_cv;   // queue shrank or stop (kWait)
  std::condition_variable reaper_cv;  // new deadline or stop
  std::map<QueueKey, Item> queue;     // guarded by mu
  uint64_t next_seq = 0;              // guarded by mu
  bool stop = false;                  // guarded by mu
  int running = 0;                    // guarded by mu
  DeviceStats counters;               // guarded by mu (latencies unused)
  LatencyHistogram queue_wait;        // guarded by mu
  LatencyHistogram run;               // guarded by mu

  std::vector<std::thread> workers;
  std::thread reaper;

  void WorkerLoop();
  void ReaperLoop();
  void CancelQueued(const QueueKey& key);
};

void Scheduler::Device::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu);
  while (true) {
    work_cv.wait(lock, [&] { return stop || !queue.empty(); });
    if (queue.empty()) return;  // stopping and drained
    Item item = std::move(queue.extract(queue.begin()).mapped());
    item.DetachCancel();
    space_cv.notify_one();
    const Clock::time_point start = Clock::now();
    Status drop;
    if (item.cancel && item.cancel->cancelled()) {
      ++counters.cancelled;
      drop = CancelledError("request cancelled while queued");
    } else if (item.deadline && start >= *item.deadline) {
      ++counters.deadline_exceeded;
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
    queue_wait.Record(start - item.enqueued);
    ++running;
    lock.unlock();
    Status result = item.work();
    const Clock::time_point end = Clock::now();
    lock.lock();
    --running;
    run.Record(end - start);
    if (result.ok()) {
      ++counters.completed;
    } else {
      ++counters.errors;
    }
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
    counters.deadline_exceeded += expired.size();
    space_cv.notify_all();
    lock.unlock();
    for (Item& item : expired) {
      item.done(DeadlineExceededError("deadline passed while queued on device '" +
                                      spec.name + "'"));
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
  ++counters.cancelled;
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
    if (s.name.empty()) return InvalidArgumentError("scheduler: device without a name");
    if (!names.insert(s.name).second) {
      return InvalidArgumentError("scheduler: device '" + s.name + "' given twice");
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
        dropped.push_back(std::move(item));
      }
      d->counters.cancelled += dropped.size();
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
    ++d.counters.cancelled;
    return CancelledError("request cancelled before it was queued");
  }
  if (options.deadline && now >= *options.deadline) {
    ++d.counters.deadline_exceeded;
    return DeadlineExceededError("deadline passed before the request was queued");
  }
  if (d.queue.size() >= d.spec.max_queue) {
    const std::string full = "device '" + d.spec.name + "': queue full (" +
                             std::to_string(d.spec.max_queue) + " queued)";
    if (d.spec.policy == QueuePolicy::kReject) {
      ++d.counters.rejections;
      return UnavailableError(full);
    }
    Clock::time_point wait_end = now + d.spec.wait_timeout;
    const bool deadline_first = options.deadline && *options.deadline < wait_end;
    if (deadline_first) wait_end = *options.deadline;
    const bool space = d.space_cv.wait_until(lock, wait_end, [&] {
      return d.stop || d.queue.size() < d.spec.max_queue;
    });
    if (d.stop) return UnavailableError("scheduler is shutting down");
    if (!space) {
      if (deadline_first) {
        ++d.counters.deadline_exceeded;
        return DeadlineExceededError(full + "; deadline passed while waiting");
      }
      ++d.counters.rejections;
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
  if (item.cancel) {
    // Registered under d.mu (lock order Device::mu -> token); the callback
    // itself takes d.mu, which Cancel() calls without holding the token lock.
    std::weak_ptr<Device> weak = devices_[device];
    item.cancel_id = item.cancel->Register([weak, key] {
      if (auto dev = weak.lock()) dev->CancelQueued(key);
    });
    if (item.cancel_id == 0) {
      ++d.counters.cancelled;
      return CancelledError("request cancelled before it was queued");
    }
  }
  d.queue.emplace(key, std::move(item));
  ++d.counters.requests;
  d.work_cv.notify_one();
  if (options.deadline) d.reaper_cv.notify_one();
  return OkStatus();
}

DeviceStats Scheduler::stats(int device) const {
  if (device < 0 || device >= num_devices()) return DeviceStats{};
  const Device& d = *devices_[device];
  std::lock_guard<std::mutex> lock(d.mu);
  DeviceStats s = d.counters;
  s.queued = d.queue.size();
  s.running = d.running;
  s.queue_wait = LatencySummary::Of(d.queue_wait);
  s.run = LatencySummary::Of(d.run);
  return s;
}

std::vector<DeviceStats> Scheduler::stats() const {
  std::vector<DeviceStats> all;
  for (int i = 0; i < num_devices(); ++i) all.push_back(stats(i));
  return all;
}

}  // namespace edgerun::session
