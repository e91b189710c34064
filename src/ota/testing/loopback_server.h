// LoopbackServer: an HTTP/1.1 file server on 127.0.0.1 (ephemeral port) for
// tests of the fetcher and updater, with faults injectable per path at run
// time: cut the body short, serve slowly, never end, answer with a status
// code, flip a byte, ignore Range. Serves GET only; built on cpp-httplib
// (test support only: not linked into the runtime).
//
// What it serves for GET /<path> (the file <root>/<path>, read per request):
//   200 with Content-Length and ETag ("\"<sha256 of the content>\"");
//   "Range: bytes=N-" / "bytes=N-M" -> 206 with Content-Range (416 past end);
//   If-None-Match equal to the ETag -> 304, no body;
//   a missing file or a path with ".." -> 404.
//
// Ownership: owns its listening socket, its worker threads and the thread
// that runs the accept loop; Stop() (or the destructor) closes the socket,
// wakes slow or endless responses and joins all of them.
// Thread-safety: thread-safe. SetFault/ClearFaults/Stats/ResetStats may be
// called from any thread while requests are being served.
#ifndef EDGERUN_OTA_TESTING_LOOPBACK_SERVER_H_
#define EDGERUN_OTA_TESTING_LOOPBACK_SERVER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "edgerun/base/status.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace edgerun::ota::testing {

// PEM files of the server's certificate (chain) and private key.
struct TlsFiles {
  std::string cert_pem;
  std::string key_pem;
};

// What to do wrong for one path. Default: nothing.
struct Fault {
  // Answer with this status and a short text body instead of the file
  // (e.g. 500, 404, 503).
  std::optional<int> status;
  // Announce the full length but drop the connection after this many body
  // bytes (counted from the start of the response, also for a 206).
  std::optional<uint64_t> truncate_after;
  // Slow server: sleep chunk_delay before each chunk of chunk_bytes.
  std::chrono::milliseconds chunk_delay{0};
  uint64_t chunk_bytes = 16 * 1024;
  // Sleep this long before sending the response headers.
  std::chrono::milliseconds header_delay{0};
  // Never-ending body of 'x' bytes (until the client hangs up or Stop()):
  // chunked without Content-Length, or with a huge Content-Length if
  // endless_with_length.
  bool endless = false;
  bool endless_with_length = false;
  // XOR 0x01 into the byte at this offset of the file (tampering); the ETag
  // still is that of the real file.
  std::optional<uint64_t> flip_byte_at;
  // Answer Range requests with 200 and the whole file.
  bool ignore_range = false;
  // Answer with "302 Found" and this Location (any scheme).
  std::optional<std::string> redirect_to;
};

// Per-path counters since start or ResetStats().
struct PathStats {
  uint64_t requests = 0;
  uint64_t bytes_sent = 0;  // body bytes written (or tried) to the socket
  uint64_t not_modified = 0;
  uint64_t range_requests = 0;
};

class LoopbackServer {
 public:
  // Serves files under `root_dir` on 127.0.0.1:`port` (0: an ephemeral
  // port); over TLS (https) when `tls` is given. kUnavailable if the port
  // cannot be bound; kInvalidArgument if the certificate or key is unusable.
  static StatusOr<std::unique_ptr<LoopbackServer>> Start(
      std::string root_dir, int port = 0,
      std::optional<TlsFiles> tls = std::nullopt);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Idempotent. In-flight responses are aborted.
  void Stop();

  int port() const { return port_; }
  // "http://127.0.0.1:<port>/<path>" ("https://" in TLS mode; a leading '/'
  // in path is optional).
  std::string Url(std::string_view path) const;

  // `path` as in Url(): "models/a.tflite" or "/models/a.tflite".
  void SetFault(std::string_view path, const Fault& fault);
  void ClearFault(std::string_view path);
  void ClearFaults();
  PathStats Stats(std::string_view path) const;
  void ResetStats();

  // A URL on 127.0.0.1 at a port that was just bound and closed again, so
  // connecting is refused ("server down").
  static StatusOr<std::string> ClosedPortUrl(std::string_view path);

 private:
  LoopbackServer(std::string root_dir, const std::optional<TlsFiles>& tls);
  void Handle(const httplib::Request& req, httplib::Response& res);
  // Sleeps up to `d`; false if Stop() was called meanwhile.
  bool SleepUnlessStopped(std::chrono::milliseconds d);
  void AddBytesSent(const std::string& path, uint64_t n);

  const std::string root_dir_;
  const bool tls_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;                   // guarded by mu_
  std::map<std::string, Fault> faults_;     // guarded by mu_
  std::map<std::string, PathStats> stats_;  // guarded by mu_
};

}  // namespace edgerun::ota::testing

#endif  // EDGERUN_OTA_TESTING_LOOPBACK_SERVER_H_
