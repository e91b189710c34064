#include "ota/testing/loopback_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "edgerun/ota/crypto.h"

namespace edgerun::ota::testing {
namespace {

constexpr uint64_t kEndlessLength = uint64_t{1} << 50;  // "huge" length

std::string Key(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return std::string(path);
}

bool HasDotDot(const std::string& path) {
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part == "..") return true;
  }
  return false;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return data;
}

std::unique_ptr<httplib::Server> MakeServer(
    const std::optional<TlsFiles>& tls) {
  if (!tls) return std::make_unique<httplib::Server>();
  return std::make_unique<httplib::SSLServer>(tls->cert_pem.c_str(),
                                              tls->key_pem.c_str());
}

}  // namespace

LoopbackServer::LoopbackServer(std::string root_dir,
                               const std::optional<TlsFiles>& tls)
    : root_dir_(std::move(root_dir)),
      tls_(tls.has_value()),
      server_(MakeServer(tls)) {}

StatusOr<std::unique_ptr<LoopbackServer>> LoopbackServer::Start(
    std::string root_dir, int port, std::optional<TlsFiles> tls) {
  std::unique_ptr<LoopbackServer> s(
      new LoopbackServer(std::move(root_dir), tls));
  httplib::Server& svr = *s->server_;
  if (!svr.is_valid()) {
    return InvalidArgumentError("loopback server: cannot use certificate " +
                                tls->cert_pem + " with key " + tls->key_pem);
  }
  // Short keep-alive so Stop() does not wait long for idle connections.
  svr.set_keep_alive_timeout(1);
  // Headers and body go out in separate writes; without TCP_NODELAY the
  // second one waits for a delayed ACK (~40 ms per request on Linux).
  svr.set_tcp_nodelay(true);
  svr.set_keep_alive_max_count(1000);
  svr.set_read_timeout(5);
  svr.set_write_timeout(5);
  LoopbackServer* self = s.get();
  svr.Get(".*", [self](const httplib::Request& req, httplib::Response& res) {
    self->Handle(req, res);
  });
  if (port == 0) {
    s->port_ = svr.bind_to_any_port("127.0.0.1");
  } else if (svr.bind_to_port("127.0.0.1", port)) {
    s->port_ = port;
  }
  if (s->port_ <= 0) {
    return UnavailableError("loopback server: cannot bind 127.0.0.1:" +
                            std::to_string(port));
  }
  s->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  // stop() is a no-op until the accept loop runs; wait for it.
  while (!svr.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return s;
}

LoopbackServer::~LoopbackServer() { Stop(); }

void LoopbackServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string LoopbackServer::Url(std::string_view path) const {
  return std::string(tls_ ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(port_) + "/" + Key(path);
}

void LoopbackServer::SetFault(std::string_view path, const Fault& fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_[Key(path)] = fault;
}

void LoopbackServer::ClearFault(std::string_view path) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.erase(Key(path));
}

void LoopbackServer::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

PathStats LoopbackServer::Stats(std::string_view path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stats_.find(Key(path));
  return it == stats_.end() ? PathStats{} : it->second;
}

void LoopbackServer::ResetStats() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.clear();
}

bool LoopbackServer::SleepUnlessStopped(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !stop_cv_.wait_for(lock, d, [this] { return stopping_; });
}

void LoopbackServer::AddBytesSent(const std::string& path, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_[path].bytes_sent += n;
}

void LoopbackServer::Handle(const httplib::Request& req,
                            httplib::Response& res) {
  const std::string key = Key(req.path);
  // Range is answered here, so httplib must not slice the body a second
  // time: take the parsed ranges and clear them. `req` is a non-const object
  // owned by httplib's request loop, so this write is well-defined.
  const httplib::Ranges ranges = req.ranges;
  const_cast<httplib::Request&>(req).ranges.clear();

  Fault fault;
  {
    std::lock_guard<std::mutex> lock(mu_);
    PathStats& st = stats_[key];
    ++st.requests;
    if (!ranges.empty()) ++st.range_requests;
    auto it = faults_.find(key);
    if (it != faults_.end()) fault = it->second;
  }
  if (fault.header_delay.count() > 0 &&
      !SleepUnlessStopped(fault.header_delay)) {
    res.status = 503;
    return;
  }
  if (fault.redirect_to) {
    res.set_redirect(*fault.redirect_to, 302);
    return;
  }
  if (fault.status) {
    res.status = *fault.status;
    res.set_content("injected HTTP " + std::to_string(*fault.status) + "\n",
                    "text/plain");
    return;
  }
  const uint64_t chunk = std::max<uint64_t>(1, fault.chunk_bytes);
  const auto delay = fault.chunk_delay;

  if (fault.endless) {
    auto provider = [this, key, chunk, delay](size_t, httplib::DataSink& sink) {
      const std::string block(chunk, 'x');
      if (delay.count() > 0 && !SleepUnlessStopped(delay)) return false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return false;
      }
      // Counted before the write, so a client that has the bytes also sees
      // them in Stats().
      AddBytesSent(key, block.size());
      return sink.write(block.data(), block.size());
    };
    res.status = 200;
    if (fault.endless_with_length) {
      res.set_content_provider(
          kEndlessLength, "application/octet-stream",
          [provider](size_t offset, size_t, httplib::DataSink& sink) {
            return provider(offset, sink);
          });
    } else {
      res.set_chunked_content_provider("application/octet-stream", provider);
    }
    return;
  }

  if (key.empty() || HasDotDot(key)) {
    res.status = 404;
    res.set_content("not found\n", "text/plain");
    return;
  }
  std::optional<std::string> file = ReadFile(root_dir_ + "/" + key);
  if (!file) {
    res.status = 404;
    res.set_content("not found\n", "text/plain");
    return;
  }
  const std::string etag = "\"" + Sha256Hex(std::string_view(*file)) + "\"";
  if (fault.flip_byte_at && *fault.flip_byte_at < file->size()) {
    (*file)[*fault.flip_byte_at] ^= 0x01;
  }
  res.set_header("ETag", etag);
  res.set_header("Accept-Ranges", "bytes");

  if (req.has_header("If-None-Match")) {
    const std::string inm = req.get_header_value("If-None-Match");
    if (inm == etag || inm == "*") {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_[key].not_modified;
      res.status = 304;
      return;
    }
  }

  const uint64_t size = file->size();
  uint64_t start = 0;
  uint64_t length = size;
  res.status = 200;
  if (!ranges.empty() && !fault.ignore_range) {
    const auto [first, second] = ranges.front();
    uint64_t end = size == 0 ? 0 : size - 1;
    if (first < 0) {  // "bytes=-N": the last N bytes
      start = size - std::min<uint64_t>(static_cast<uint64_t>(second), size);
    } else {
      start = static_cast<uint64_t>(first);
      if (second >= 0) end = std::min<uint64_t>(end, second);
    }
    if (start >= size || end < start) {
      res.status = 416;
      res.set_header("Content-Range", "bytes */" + std::to_string(size));
      return;
    }
    length = end - start + 1;
    res.status = 206;
    res.set_header("Content-Range", "bytes " + std::to_string(start) + "-" +
                                        std::to_string(end) + "/" +
                                        std::to_string(size));
  }
  if (length == 0) {
    res.set_content("", "application/octet-stream");
    return;
  }
  auto body = std::make_shared<std::string>(file->substr(start, length));
  const uint64_t limit =
      fault.truncate_after ? std::min(length, *fault.truncate_after) : length;
  res.set_content_provider(
      length, "application/octet-stream",
      [this, key, body, limit, chunk, delay](size_t offset, size_t,
                                             httplib::DataSink& sink) {
        if (offset >= limit) return false;  // truncation: drop the connection
        const uint64_t n = std::min<uint64_t>(chunk, limit - offset);
        if (delay.count() > 0 && !SleepUnlessStopped(delay)) return false;
        AddBytesSent(key, n);  // before the write, see above
        return sink.write(body->data() + offset, n);
      });
}

StatusOr<std::string> LoopbackServer::ClosedPortUrl(std::string_view path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return UnavailableError("loopback server: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok =
      ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) return UnavailableError("loopback server: cannot bind 127.0.0.1");
  return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/" +
         Key(path);
}

}  // namespace edgerun::ota::testing
