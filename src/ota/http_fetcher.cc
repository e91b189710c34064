#include "edgerun/ota/http_fetcher.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>

namespace edgerun::ota {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxIdleHandles = 4;
constexpr long kMaxRedirects = 5;

// curl_global_init is not thread-safe; a function-local static is. libcurl
// stays initialised for the life of the process.
CURLcode GlobalInit() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  return rc;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                        s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<uint64_t> ParseU64(std::string_view s) {
  s = Trim(s);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

// "bytes START-END/TOTAL" with TOTAL a number or "*".
struct ContentRange {
  uint64_t start = 0;
  uint64_t end = 0;               // inclusive
  std::optional<uint64_t> total;  // nullopt for "*"
};
std::optional<ContentRange> ParseContentRange(std::string_view s) {
  s = Trim(s);
  if (!StartsWithNoCase(s, "bytes ")) return std::nullopt;
  s.remove_prefix(6);
  const size_t dash = s.find('-');
  const size_t slash = s.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos ||
      slash < dash) {
    return std::nullopt;
  }
  ContentRange r;
  auto start = ParseU64(s.substr(0, dash));
  auto end = ParseU64(s.substr(dash + 1, slash - dash - 1));
  if (!start || !end || *end < *start) return std::nullopt;
  r.start = *start;
  r.end = *end;
  std::string_view total = Trim(s.substr(slash + 1));
  if (total != "*") {
    r.total = ParseU64(total);
    if (!r.total || *r.total <= r.end) return std::nullopt;
  }
  return r;
}

Status StatusForHttpCode(int code, std::string_view reason,
                         const std::string& prefix) {
  std::string msg = prefix + "HTTP " + std::to_string(code);
  if (!reason.empty()) msg += " " + std::string(reason);
  if (code == 404 || code == 410) return NotFoundError(std::move(msg));
  if (code == 401 || code == 403) return PermissionDeniedError(std::move(msg));
  if (code >= 500 || code == 408 || code == 429) {
    return UnavailableError(std::move(msg));
  }
  return FailedPreconditionError(std::move(msg));
}

// State of one transfer, shared with the libcurl callbacks (all of which run
// on the thread calling curl_easy_perform).
struct Transfer {
  const FetchOptions* options = nullptr;
  ByteSink* sink = nullptr;
  std::string prefix;  // "fetch <url>: "

  // The response whose headers are being read (reset on each status line:
  // 1xx, redirects).
  int status = 0;
  std::string reason;
  std::optional<uint64_t> content_length;
  std::optional<std::string> content_range;
  std::string etag;
  bool has_location = false;

  // Set once the headers of the final response have been accepted.
  bool accepting_body = false;
  bool final_seen = false;
  bool resumed = false;
  bool not_modified = false;
  uint64_t allowed = 0;   // body bytes this fetch may give the sink
  uint64_t expected = 0;  // announced body length, when known
  bool expected_known = false;
  uint64_t received = 0;

  Clock::time_point last_activity;
  bool stalled = false;
  bool cancelled = false;
  Status error;  // first error raised by a callback

  // Called after the blank line that ends a header block.
  Status OnHeadersDone() {
    if (status >= 100 && status < 200) return OkStatus();  // more to come
    if (status >= 300 && status < 400 && status != 304 && has_location) {
      return OkStatus();  // libcurl follows the redirect
    }
    final_seen = true;
    const FetchOptions& o = *options;
    if (status == 304) {
      not_modified = true;
      return OkStatus();
    }
    if (status == 200) {
      if (content_length && *content_length > o.max_bytes) {
        return OutOfRangeError(prefix + "server announced " +
                               std::to_string(*content_length) +
                               " bytes, more than the " +
                               std::to_string(o.max_bytes) + " bytes allowed");
      }
      if (o.resume_from > 0) {
        // The server ignored the Range: the whole resource comes again.
        RETURN_IF_ERROR(sink->Restart().WithContext(prefix + "restart sink"));
      }
      allowed = o.max_bytes;
      if (content_length) {
        expected = *content_length;
        expected_known = true;
      }
      accepting_body = true;
      return OkStatus();
    }
    if (status == 206) {
      if (o.resume_from == 0) {
        return DataLossError(prefix + "HTTP 206 to a request without Range");
      }
      if (!content_range) {
        return DataLossError(prefix + "HTTP 206 without Content-Range");
      }
      auto range = ParseContentRange(*content_range);
      if (!range) {
        return DataLossError(prefix + "malformed Content-Range '" +
                             std::string(Trim(*content_range)) + "'");
      }
      if (range->start != o.resume_from) {
        return DataLossError(prefix + "asked for bytes from " +
                             std::to_string(o.resume_from) +
                             ", server sent Content-Range '" +
                             std::string(Trim(*content_range)) + "'");
      }
      const uint64_t size = range->total ? *range->total : range->end + 1;
      if (size > o.max_bytes) {
        return OutOfRangeError(prefix + "server announced " +
                               std::to_string(size) + " bytes, more than the " +
                               std::to_string(o.max_bytes) + " bytes allowed");
      }
      const uint64_t length = range->end - range->start + 1;
      if (content_length && *content_length != length) {
        return DataLossError(prefix + "Content-Length " +
                             std::to_string(*content_length) +
                             " does not match Content-Range '" +
                             std::string(Trim(*content_range)) + "'");
      }
      resumed = true;
      allowed = o.max_bytes - o.resume_from;
      expected = length;
      expected_known = true;
      accepting_body = true;
      return OkStatus();
    }
    return StatusForHttpCode(status, reason, prefix);
  }

  Status OnHeaderLine(std::string_view line) {
    if (StartsWithNoCase(line, "HTTP/")) {
      // A new response: "HTTP/1.1 200 OK", "HTTP/2 404".
      status = 0;
      reason.clear();
      content_length.reset();
      content_range.reset();
      etag.clear();
      has_location = false;
      const size_t sp = line.find(' ');
      if (sp == std::string_view::npos || line.size() < sp + 4) {
        return DataLossError(prefix + "malformed status line '" +
                             std::string(Trim(line)) + "'");
      }
      auto code = ParseU64(line.substr(sp + 1, 3));
      if (!code || *code < 100 || *code > 599) {
        return DataLossError(prefix + "malformed status line '" +
                             std::string(Trim(line)) + "'");
      }
      status = static_cast<int>(*code);
      reason = std::string(Trim(line.substr(sp + 4)));
      return OkStatus();
    }
    if (Trim(line).empty()) return OnHeadersDone();
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return OkStatus();
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    auto is = [&](std::string_view want) {
      return name.size() == want.size() && StartsWithNoCase(name, want);
    };
    if (is("content-length")) {
      content_length = ParseU64(value);
      if (!content_length) {
        return DataLossError(prefix + "malformed Content-Length '" +
                             std::string(value) + "'");
      }
    } else if (is("content-range")) {
      content_range = std::string(value);
    } else if (is("etag")) {
      etag = std::string(value);
    } else if (is("location")) {
      has_location = true;
    }
    return OkStatus();
  }
};

size_t HeaderCallback(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  t->last_activity = Clock::now();
  Status s = t->OnHeaderLine(std::string_view(data, bytes));
  if (!s.ok()) {
    t->error = std::move(s);
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  return bytes;
}

size_t WriteCallback(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  t->last_activity = Clock::now();
  if (!t->accepting_body) return bytes;  // body of an intermediate response
  if (bytes > t->allowed - t->received) {
    t->error = OutOfRangeError(t->prefix + "server sent more than the " +
                               std::to_string(t->options->max_bytes) +
                               " bytes allowed");
    return 0;
  }
  Status s = t->sink->Write(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data), bytes));
  if (!s.ok()) {
    t->error = s.WithContext(t->prefix.substr(0, t->prefix.size() - 2));
    return 0;
  }
  t->received += bytes;
  return bytes;
}

int ProgressCallback(void* user, curl_off_t, curl_off_t, curl_off_t,
                     curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->options->cancel != nullptr &&
      t->options->cancel->load(std::memory_order_relaxed)) {
    t->cancelled = true;
    return 1;
  }
  if (Clock::now() - t->last_activity > t->options->stall_timeout) {
    t->stalled = true;
    return 1;
  }
  return 0;
}

// Deletes the header list when the fetch returns.
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

HttpFetcher::HttpFetcher() { (void)GlobalInit(); }

HttpFetcher::~HttpFetcher() {
  for (void* h : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpFetcher::AcquireHandle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_handles_.empty()) {
      void* h = idle_handles_.back();
      idle_handles_.pop_back();
      return h;
    }
  }
  if (GlobalInit() != CURLE_OK) return nullptr;
  return curl_easy_init();
}

void HttpFetcher::ReleaseHandle(void* handle) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_handles_.size() < kMaxIdleHandles) {
      idle_handles_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

StatusOr<FetchResult> HttpFetcher::Fetch(const std::string& url, ByteSink& sink,
                                         const FetchOptions& options) {
  const std::string prefix = "fetch " + url + ": ";
  if (!StartsWithNoCase(url, "http://") && !StartsWithNoCase(url, "https://")) {
    return InvalidArgumentError(prefix +
                                "only http:// and https:// URLs are "
                                "allowed");
  }
  if (options.resume_from > options.max_bytes) {
    return InvalidArgumentError(
        prefix + "resume_from " + std::to_string(options.resume_from) +
        " is past max_bytes " + std::to_string(options.max_bytes));
  }
  if (options.if_none_match.find_first_of("\r\n") != std::string::npos) {
    return InvalidArgumentError(prefix + "line break in if_none_match");
  }

  CURL* curl = static_cast<CURL*>(AcquireHandle());
  if (curl == nullptr) {
    return InternalError(prefix + "could not initialise libcurl");
  }
  // Back to the cache on every path; reset keeps live connections.
  struct Release {
    HttpFetcher* self;
    CURL* curl;
    ~Release() {
      curl_easy_reset(curl);
      self->ReleaseHandle(curl);
    }
  } release{this, curl};

  Transfer t;
  t.options = &options;
  t.sink = &sink;
  t.prefix = prefix;
  t.last_activity = Clock::now();

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  if (!options.if_none_match.empty()) {
    headers.reset(curl_slist_append(
        nullptr, ("If-None-Match: " + options.if_none_match).c_str()));
  }
  const std::string range = std::to_string(options.resume_from) + "-";
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "edgerun-ota/1");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(options.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &HeaderCallback);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteCallback);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &ProgressCallback);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  if (!options.ca_file.empty()) {
    // Only this bundle: no fallback to the system's CA directory.
    curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  }
  if (options.resume_from > 0) {
    curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  }

  const CURLcode rc = curl_easy_perform(curl);
  // The error buffer and header list die with this frame.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);

  if (!t.error.ok()) return t.error;
  const std::string detail =
      errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_OK:
      break;
    case CURLE_OPERATION_TIMEDOUT: {
      curl_off_t connect_us = 0;
      curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_us);
      if (connect_us == 0) {
        return DeadlineExceededError(
            prefix + "connect timed out (limit " +
            std::to_string(options.connect_timeout.count()) + " ms)");
      }
      return DeadlineExceededError(
          prefix + "timed out after the total limit of " +
          std::to_string(options.total_timeout.count()) + " ms, " +
          std::to_string(t.received) + " body bytes received");
    }
    case CURLE_ABORTED_BY_CALLBACK:
      if (t.cancelled) return CancelledError(prefix + "cancelled");
      return DeadlineExceededError(
          prefix + "stalled: no data for " +
          std::to_string(options.stall_timeout.count()) + " ms after " +
          std::to_string(t.received) + " body bytes");
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return InvalidArgumentError(prefix + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
      return PermissionDeniedError(prefix +
                                   "server certificate not trusted: " + detail);
    case CURLE_SSL_CACERT_BADFILE:
      return InvalidArgumentError(prefix + "cannot use CA file '" +
                                  options.ca_file + "': " + detail);
    case CURLE_PARTIAL_FILE:
      return UnavailableError(
          prefix + "connection closed after " + std::to_string(t.received) +
          (t.expected_known ? " of " + std::to_string(t.expected) : "") +
          " body bytes");
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return DataLossError(prefix + "malformed response: " + detail);
    default:
      return UnavailableError(prefix + detail);
  }
  if (!t.final_seen) return DataLossError(prefix + "no HTTP response");

  FetchResult result;
  result.http_status = t.status;
  result.bytes_received = t.received;
  result.resumed = t.resumed;
  result.not_modified = t.not_modified;
  result.etag = t.etag;
  return result;
}

StatusOr<std::string> HttpFetcher::FetchSmall(const std::string& url,
                                              uint64_t max_bytes,
                                              const FetchOptions& options) {
  FetchOptions o = options;
  o.max_bytes = max_bytes;
  o.resume_from = 0;
  o.if_none_match.clear();
  StringSink sink;
  ASSIGN_OR_RETURN(FetchResult r, Fetch(url, sink, o));
  if (r.http_status != 200) {
    return DataLossError("fetch " + url + ": HTTP " +
                         std::to_string(r.http_status) +
                         " to a plain GET, expected 200");
  }
  return sink.Take();
}

}  // namespace edgerun::ota
