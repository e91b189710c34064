// Stream: a camera-feed style sequence of frames through a Session, with
// keep-latest back-pressure.
//
//   auto stream = Stream::Create(session.get(), {.name = "cam0", .max_rate_hz = 15},
//       [](uint64_t frame, StatusOr<Session::Outputs> result) { Show(frame, result); });
//   (*stream)->Push({TensorData::From<float>(DataType::kFloat32, {1, 4}, pixels)});
//
// Semantics:
//  - At most ONE request of a stream is in the session (queued or running)
//    at a time, and at most one frame waits in the stream. Push never
//    blocks: it replaces the waiting frame, which is then dropped (counted
//    in `dropped` here and in the session's stats; a dropped frame gets no
//    callback).
//  - Frames are submitted in push order with the stream's priority; with
//    FIFO queues, N streams on one device therefore interleave round-robin.
//  - max_rate_hz > 0: dispatches are at least 1/max_rate_hz apart; the
//    waiting frame is held (and may be replaced) until the next slot. The
//    stream's thread sleeps until then (no busy waiting).
//  - The callback gets every submitted frame's result (outputs or error),
//    in frame order, one at a time, on the stream's own thread, which
//    submits the next frame only after the callback returned (a slow
//    callback slows the stream down, it does not pile up work).
//  - Close (and the destructor) stops accepting frames (later Pushes are
//    counted as dropped), drops the waiting frame, and waits until the
//    in-flight frame's callback returned. It must not be called from the
//    callback.
//
// Ownership: does not own the Session, which must outlive the stream; owns
// one thread. Thread-safety: Push, Close and stats may be called from any
// thread. Lock order: Stream::mu_ is a leaf, never held while calling the
// session (submit, AddDropped) or the callback.
#ifndef EDGERUN_SESSION_STREAM_H_
#define EDGERUN_SESSION_STREAM_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/session/scheduler.h"
#include "edgerun/session/session.h"

namespace edgerun::session {

struct StreamOptions {
  std::string name;
  double max_rate_hz = 0;  // 0 = unlimited
  int priority = 0;
};

struct StreamStats {
  uint64_t pushed = 0;
  uint64_t dropped = 0;    // replaced while waiting, or dropped by Close
  uint64_t completed = 0;  // callbacks with outputs
  uint64_t errors = 0;     // callbacks with an error
  LatencySummary latency;  // push -> result, submitted frames
};

class Stream {
 public:
  // frame_id counts pushes from 1; result is the session's outputs or error.
  using Callback =
      std::function<void(uint64_t frame_id, StatusOr<Session::Outputs> result)>;

  // kInvalidArgument for a null session or callback, or a negative or
  // non-finite max_rate_hz.
  static StatusOr<std::unique_ptr<Stream>> Create(Session* session,
                                                  StreamOptions options,
                                                  Callback on_result);
  ~Stream();  // = Close()
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Never blocks; returns the frame id.
  uint64_t Push(std::vector<TensorData> frame);
  // Stops accepting, drops the waiting frame, waits for the in-flight one.
  void Close();
  StreamStats stats() const;
  const std::string& name() const { return options_.name; }

 private:
  struct Frame {
    uint64_t id = 0;
    std::vector<TensorData> tensors;
    Clock::time_point pushed;
  };
  Stream(Session* session, StreamOptions options, Callback on_result);
  void Loop();

  Session* const session_;
  const StreamOptions options_;
  const Callback on_result_;
  const Clock::duration min_interval_;  // zero: unlimited

  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_ = 1;                  // guarded by mu_
  std::optional<Frame> waiting_;          // guarded by mu_
  bool in_flight_ = false;                // guarded by mu_
  uint64_t in_flight_id_ = 0;             // guarded by mu_
  Clock::time_point in_flight_pushed_;    // guarded by mu_
  std::optional<StatusOr<Session::Outputs>> result_;  // guarded by mu_
  std::optional<Clock::time_point> next_slot_;        // guarded by mu_
  bool closed_ = false;                   // guarded by mu_
  StreamStats stats_;                     // guarded by mu_ (latency unused)
  LatencyHistogram latency_;              // guarded by mu_

  std::once_flag join_once_;
  std::thread thread_;
};

}  // namespace edgerun::session

#endif  // EDGERUN_SESSION_STREAM_H_
