// HttpFetcher: downloads update metadata and model files over HTTP(S) with
// libcurl, with the limits an updater needs against a hostile or broken
// server: a hard byte cap (checked against Content-Length before the body and
// again while streaming), connect / total / stall timeouts, resume with
// Range, and conditional GET with If-None-Match.
//
// Only http:// and https:// URLs are accepted (kInvalidArgument otherwise),
// also for redirects. Bytes go to a caller-supplied ByteSink, so a model can
// stream straight into the store's staging file through its Env.
//
// Error codes (messages are one line: "fetch <url>: <what happened>"):
//   bad URL / option, non-http(s) scheme        -> kInvalidArgument
//   connection refused / reset / cut short, DNS,
//   TLS handshake, HTTP 5xx, 408, 429           -> kUnavailable (retry later;
//                                                  a cut-short download can
//                                                  be resumed)
//   connect, total or stall timeout             -> kDeadlineExceeded
//   HTTP 404, 410                               -> kNotFound
//   HTTP 401, 403; a server certificate that does
//   not verify (untrusted CA, wrong host name,
//   expired)                                    -> kPermissionDenied
//   other unexpected status (e.g. 416)          -> kFailedPrecondition
//   more bytes than max_bytes (announced/sent)  -> kOutOfRange
//   malformed response (bad Content-Range,
//   unasked-for 206, garbled headers)           -> kDataLoss
//   FetchOptions::cancel set                    -> kCancelled
//   a ByteSink error                            -> that error, unchanged
//                                                  except for a "fetch <url>: "
//                                                  prefix
#ifndef EDGERUN_OTA_HTTP_FETCHER_H_
#define EDGERUN_OTA_HTTP_FETCHER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/base/status.h"

namespace edgerun::ota {

struct FetchOptions {
  // Hard cap on the size of the whole resource (for a model: its signed
  // size). A resumed fetch may receive at most max_bytes - resume_from.
  // Refused up front when Content-Length (or Content-Range's total) is larger,
  // and aborted as soon as more bytes would arrive.
  uint64_t max_bytes = 0;
  std::chrono::milliseconds connect_timeout{2000};
  // Whole request, connect included.
  std::chrono::milliseconds total_timeout{30000};
  // No byte (header or body) for this long -> abort. Checked from libcurl's
  // progress callback, which runs about once a second while a transfer is
  // idle, so a stall is noticed up to ~1 s late.
  std::chrono::milliseconds stall_timeout{5000};
  // When > 0, sends "Range: bytes=N-". A 206 whose Content-Range starts at N
  // continues the sink (FetchResult::resumed); a 200 means the server ignored
  // the range: the sink is told to Restart() and receives the whole resource.
  uint64_t resume_from = 0;
  // When set, sends "If-None-Match: <etag>"; a 304 gives
  // FetchResult::not_modified and writes nothing to the sink.
  std::string if_none_match;
  // Optional; when it becomes true the fetch stops within about a second with
  // kCancelled. Must outlive the Fetch call.
  const std::atomic<bool>* cancel = nullptr;
  // https: a PEM file of the CA certificates to trust instead of the system
  // store (a device that pins its update server's CA). Empty: the system
  // store. The peer certificate and host name are always verified.
  std::string ca_file;
};

struct FetchResult {
  int http_status = 0;          // of the final response (after redirects)
  uint64_t bytes_received = 0;  // body bytes given to the sink by this fetch
  bool resumed = false;         // 206: the sink was continued at resume_from
  bool not_modified = false;    // 304 to If-None-Match
  std::string etag;             // ETag of the response, verbatim ("" if none)
};

// Receives a download. Called on the thread that runs Fetch, in order; never
// concurrently. Implemented by the caller (e.g. over an Env WritableFile).
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Discard everything written so far, including bytes of an earlier partial
  // download being resumed: the server is sending the resource from byte 0.
  virtual Status Restart() = 0;
  // Appends body bytes. A non-OK status aborts the fetch and is returned.
  virtual Status Write(std::span<const uint8_t> bytes) = 0;
};

// A ByteSink that collects the body in memory (metadata documents).
// Thread-compatible.
class StringSink final : public ByteSink {
 public:
  Status Restart() override {
    data_.clear();
    return OkStatus();
  }
  Status Write(std::span<const uint8_t> bytes) override {
    data_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return OkStatus();
  }
  const std::string& data() const { return data_; }
  std::string Take() { return std::move(data_); }

 private:
  std::string data_;
};

// Issues HTTP GETs. Owns a small cache of idle libcurl handles, so repeated
// fetches from the same server reuse the TCP (and TLS) connection.
//
// Thread-safety: thread-safe. Concurrent Fetch calls each get their own
// libcurl handle and are independent; the sink of a call is only used on the
// calling thread. libcurl's global state is initialised once per process on
// first construction (never cleaned up). Fetch blocks the calling thread for
// at most about total_timeout.
class HttpFetcher {
 public:
  HttpFetcher();
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // GETs `url` into `sink` within the limits of `options`. On error the sink
  // may hold a partial body (resumable after kUnavailable / kDeadlineExceeded
  // if the server supports ranges).
  StatusOr<FetchResult> Fetch(const std::string& url, ByteSink& sink,
                              const FetchOptions& options);

  // GETs a small document (timestamp.json, targets.json) of at most
  // `max_bytes` into memory. options.max_bytes, resume_from and
  // if_none_match are ignored (use Fetch with a StringSink for a conditional
  // GET). Any status other than 200 is an error.
  StatusOr<std::string> FetchSmall(const std::string& url, uint64_t max_bytes,
                                   const FetchOptions& options = {});

 private:
  void* AcquireHandle();             // CURL*; nullptr if libcurl fails
  void ReleaseHandle(void* handle);  // back to the idle cache (or freed)

  std::mutex mu_;
  std::vector<void*> idle_handles_;  // guarded by mu_; CURL* owned
};

}  // namespace edgerun::ota

#endif  // EDGERUN_OTA_HTTP_FETCHER_H_
