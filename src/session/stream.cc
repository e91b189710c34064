#include "edgerun/session/stream.h"

#include <chrono>
#include <cmath>
#include <utility>

namespace edgerun::session {

StatusOr<std::unique_ptr<Stream>> Stream::Create(Session* session,
                                                 StreamOptions options,
                                                 Callback on_result) {
  if (session == nullptr) return InvalidArgumentError("stream: null session");
  if (!on_result) return InvalidArgumentError("stream: null callback");
  if (!std::isfinite(options.max_rate_hz) || options.max_rate_hz < 0) {
    return InvalidArgumentError("stream '" + options.name +
                                "': max_rate_hz must be finite and >= 0, got " +
                                std::to_string(options.max_rate_hz));
  }
  return std::unique_ptr<Stream>(
      new Stream(session, std::move(options), std::move(on_result)));
}

namespace {

Clock::duration IntervalOf(double hz) {
  if (hz <= 0) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / hz));
}

}  // namespace

Stream::Stream(Session* session, StreamOptions options, Callback on_result)
    : session_(session),
      options_(std::move(options)),
      on_result_(std::move(on_result)),
      min_interval_(IntervalOf(options_.max_rate_hz)) {
  thread_ = std::thread([this] { Loop(); });
}

Stream::~Stream() { Close(); }

uint64_t Stream::Push(std::vector<TensorData> frame) {
  uint64_t dropped = 0;
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    ++stats_.pushed;
    if (closed_) {
      dropped = 1;
    } else {
      if (waiting_) dropped = 1;  // keep-latest: the older frame goes
      waiting_ = Frame{id, std::move(frame), Clock::now()};
    }
    stats_.dropped += dropped;
    cv_.notify_all();
  }
  if (dropped) session_->AddDropped(dropped);
  return id;
}

void Stream::Close() {
  uint64_t dropped = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closed_) {
      closed_ = true;
      if (waiting_) {
        dropped = 1;
        waiting_.reset();
      }
      stats_.dropped += dropped;
      cv_.notify_all();
    }
  }
  if (dropped) session_->AddDropped(dropped);
  // The thread delivers the in-flight result, then exits.
  std::call_once(join_once_, [this] { thread_.join(); });
}

StreamStats Stream::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  StreamStats s = stats_;
  s.latency = LatencySummary::Of(latency_);
  return s;
}

void Stream::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (result_) {
      // Deliver the in-flight frame's result, then allow the next dispatch.
      StatusOr<Session::Outputs> result = std::move(*result_);
      result_.reset();
      const uint64_t id = in_flight_id_;
      latency_.Record(Clock::now() - in_flight_pushed_);
      if (result.ok()) {
        ++stats_.completed;
      } else {
        ++stats_.errors;
      }
      lock.unlock();
      on_result_(id, std::move(result));
      lock.lock();
      in_flight_ = false;
      continue;
    }
    if (in_flight_) {
      cv_.wait(lock);
      continue;
    }
    if (closed_) return;  // nothing in flight, nothing waiting
    if (!waiting_) {
      cv_.wait(lock);
      continue;
    }
    const Clock::time_point now = Clock::now();
    if (next_slot_ && now < *next_slot_) {
      cv_.wait_until(lock, *next_slot_);  // rate limit: hold the frame
      continue;
    }
    Frame frame = std::move(*waiting_);
    waiting_.reset();
    in_flight_ = true;
    in_flight_id_ = frame.id;
    in_flight_pushed_ = frame.pushed;
    if (min_interval_ > Clock::duration::zero()) next_slot_ = now + min_interval_;
    lock.unlock();
    RunOptions options;
    options.priority = options_.priority;
    session_->SubmitWithCallback(
        std::move(frame.tensors), options,
        [this](StatusOr<Session::Outputs> result) {
          // Notified under the lock: the stream cannot be destroyed between
          // the store and the notify.
          std::lock_guard<std::mutex> l(mu_);
          result_ = std::move(result);
          cv_.notify_all();
        });
    lock.lock();
  }
}

}  // namespace edgerun::session
