#include "edgerun/ota/http_fetcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "edgerun/ota/crypto.h"
#include "ota/testing/loopback_server.h"
#include "ota/testing/test_certs.h"

namespace edgerun::ota {
namespace {

using ::edgerun::ota::testing::Fault;
using ::edgerun::ota::testing::LoopbackServer;
using ::edgerun::ota::testing::MakeSelfSignedCert;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uint64_t kModelSize = 1 << 20;

// Collects the body; counts restarts; can fail like a full disk.
class VectorSink : public ByteSink {
 public:
  Status Restart() override {
    ++restarts;
    data.clear();
    return OkStatus();
  }
  Status Write(std::span<const uint8_t> bytes) override {
    if (fail_after && data.size() + bytes.size() > *fail_after) {
      return ResourceExhaustedError(
          "write /store/staging/model.part: No space left on device");
    }
    data.insert(data.end(), bytes.begin(), bytes.end());
    return OkStatus();
  }
  std::vector<uint8_t> data;
  int restarts = 0;
  std::optional<size_t> fail_after;
};

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class HttpFetcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Loopback must not go through a proxy from the environment.
    for (const char* v : {"http_proxy", "HTTP_PROXY", "https_proxy",
                          "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
      unsetenv(v);
    }
  }

  void SetUp() override {
    char tmpl[] = "/tmp/edgerun_fetch_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    model_.resize(kModelSize);
    uint32_t x = 12345;
    for (auto& b : model_) {
      x = x * 1664525u + 1013904223u;
      b = static_cast<uint8_t>(x >> 24);
    }
    WriteFile("model.bin", std::string(model_.begin(), model_.end()));
    WriteFile("timestamp.json", std::string(1000, 't'));
    auto server = LoopbackServer::Start(dir_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  void TearDown() override {
    fetcher_.reset();  // closes kept-alive connections first
    if (server_) server_->Stop();
    std::filesystem::remove_all(dir_);
  }

  void WriteFile(const std::string& name, const std::string& content) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << content;
  }

  FetchOptions ModelOptions() const {
    FetchOptions o;
    o.max_bytes = kModelSize;
    return o;
  }

  std::string dir_;
  std::vector<uint8_t> model_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<HttpFetcher> fetcher_ = std::make_unique<HttpFetcher>();
};

TEST_F(HttpFetcherTest, FullDownloadMatchesHash) {
  VectorSink sink;
  auto r = fetcher_->Fetch(server_->Url("model.bin"), sink, ModelOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->bytes_received, kModelSize);
  EXPECT_FALSE(r->resumed);
  EXPECT_FALSE(r->not_modified);
  EXPECT_EQ(Sha256Hex(sink.data), Sha256Hex(model_));
  EXPECT_EQ(r->etag, "\"" + Sha256Hex(model_) + "\"");
  EXPECT_EQ(server_->Stats("model.bin").requests, 1u);
  EXPECT_EQ(server_->Stats("model.bin").bytes_sent, kModelSize);
}

TEST_F(HttpFetcherTest, FetchSmallReturnsBody) {
  auto body = fetcher_->FetchSmall(server_->Url("timestamp.json"), 4096);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, std::string(1000, 't'));
  // Exactly at the cap is allowed.
  EXPECT_TRUE(fetcher_->FetchSmall(server_->Url("timestamp.json"), 1000).ok());
}

TEST_F(HttpFetcherTest, ContentLengthOverMaxIsRefusedBeforeTheBody) {
  // Slow body, so anything that reached the sink would have had to wait.
  Fault slow;
  slow.chunk_delay = milliseconds(200);
  server_->SetFault("model.bin", slow);
  VectorSink sink;
  FetchOptions o = ModelOptions();
  o.max_bytes = kModelSize - 1;
  const auto start = Clock::now();
  auto r = fetcher_->Fetch(server_->Url("model.bin"), sink, o);
  ASSERT_EQ(r.status().code(), StatusCode::kOutOfRange) << r.status();
  EXPECT_THAT(r.status().message(),
              HasSubstr("server announced 1048576 bytes, more than the "
                        "1048575 bytes allowed"));
  EXPECT_THAT(r.status().message(), HasSubstr(server_->Url("model.bin")));
  EXPECT_TRUE(sink.data.empty());
  EXPECT_LT(Seconds(start), 5.0);

  auto small = fetcher_->FetchSmall(server_->Url("timestamp.json"), 999);
  EXPECT_EQ(small.status().code(), StatusCode::kOutOfRange);
}

TEST_F(HttpFetcherTest, EndlessChunkedBodyIsCapped) {
  Fault endless;
  endless.endless = true;
  server_->SetFault("timestamp.json", endless);
  VectorSink sink;
  FetchOptions o;
  o.max_bytes = 100000;
  auto r = fetcher_->Fetch(server_->Url("timestamp.json"), sink, o);
  ASSERT_EQ(r.status().code(), StatusCode::kOutOfRange) << r.status();
  EXPECT_THAT(r.status().message(),
              HasSubstr("server sent more than the 100000 bytes allowed"));
  EXPECT_LE(sink.data.size(), 100000u);
  EXPECT_GT(sink.data.size(), 100000u - 64 * 1024);  // it did stream
  // The server pushed at most the cap plus what sits in socket buffers.
  EXPECT_LT(server_->Stats("timestamp.json").bytes_sent, 100000u + (8 << 20));
}

TEST_F(HttpFetcherTest, EndlessBodyWithHugeLengthIsRefusedUpFront) {
  Fault endless;
  endless.endless = true;
  endless.endless_with_length = true;
  server_->SetFault("timestamp.json", endless);
  auto r = fetcher_->FetchSmall(server_->Url("timestamp.json"), 4096);
  ASSERT_EQ(r.status().code(), StatusCode::kOutOfRange) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("server announced"));
}

TEST_F(HttpFetcherTest, TruncatedDownloadResumesWithRange) {
  Fault cut;
  cut.truncate_after = 300000;
  server_->SetFault("model.bin", cut);
  VectorSink sink;
  auto first = fetcher_->Fetch(server_->Url("model.bin"), sink, ModelOptions());
  ASSERT_EQ(first.status().code(), StatusCode::kUnavailable) << first.status();
  EXPECT_THAT(first.status().message(), HasSubstr("connection closed after"));
  EXPECT_EQ(sink.data.size(), 300000u);

  server_->ClearFault("model.bin");
  FetchOptions o = ModelOptions();
  o.resume_from = sink.data.size();
  auto second = fetcher_->Fetch(server_->Url("model.bin"), sink, o);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->http_status, 206);
  EXPECT_TRUE(second->resumed);
  EXPECT_EQ(second->bytes_received, kModelSize - 300000);
  EXPECT_EQ(sink.restarts, 0);
  EXPECT_EQ(Sha256Hex(sink.data), Sha256Hex(model_));
  EXPECT_EQ(server_->Stats("model.bin").range_requests, 1u);
}

TEST_F(HttpFetcherTest, ServerIgnoringRangeRestartsTheSink) {
  Fault no_range;
  no_range.ignore_range = true;
  server_->SetFault("model.bin", no_range);
  VectorSink sink;
  sink.data.assign(5000, 0xAB);  // stale partial download
  FetchOptions o = ModelOptions();
  o.resume_from = 5000;
  auto r = fetcher_->Fetch(server_->Url("model.bin"), sink, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_FALSE(r->resumed);
  EXPECT_EQ(sink.restarts, 1);
  EXPECT_EQ(r->bytes_received, kModelSize);
  EXPECT_EQ(Sha256Hex(sink.data), Sha256Hex(model_));
}

TEST_F(HttpFetcherTest, ResumeAtTheEndIsRejectedByTheServer) {
  VectorSink sink;
  FetchOptions o = ModelOptions();
  o.resume_from = kModelSize;
  auto r = fetcher_->Fetch(server_->Url("model.bin"), sink, o);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("HTTP 416"));
  o.resume_from = kModelSize + 1;
  EXPECT_EQ(fetcher_->Fetch(server_->Url("model.bin"), sink, o).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(HttpFetcherTest, ServerDownIsUnavailableQuickly) {
  auto url = LoopbackServer::ClosedPortUrl("timestamp.json");
  ASSERT_TRUE(url.ok()) << url.status();
  const auto start = Clock::now();
  auto r = fetcher_->FetchSmall(*url, 4096);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(*url));
  EXPECT_LT(Seconds(start), 5.0);
}

TEST_F(HttpFetcherTest, StalledBodyHitsTheStallTimeout) {
  Fault slow;
  slow.chunk_bytes = 4096;
  slow.chunk_delay = milliseconds(10000);
  server_->SetFault("model.bin", slow);
  VectorSink sink;
  FetchOptions o = ModelOptions();
  o.stall_timeout = milliseconds(300);
  const auto start = Clock::now();
  auto r = fetcher_->Fetch(server_->Url("model.bin"), sink, o);
  ASSERT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("stalled: no data for 300 ms"));
  EXPECT_LT(Seconds(start), 5.0);
}

TEST_F(HttpFetcherTest, SilentServerHitsTheStallTimeoutBeforeHeaders) {
  Fault silent;
  silent.header_delay = milliseconds(10000);
  server_->SetFault("timestamp.json", silent);
  FetchOptions o;
  o.stall_timeout = milliseconds(300);
  const auto start = Clock::now();
  auto r = fetcher_->FetchSmall(server_->Url("timestamp.json"), 4096, o);
  ASSERT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(Seconds(start), 5.0);
}

TEST_F(HttpFetcherTest, SlowButSteadyServerHitsTheTotalTimeout) {
  Fault slow;
  slow.chunk_bytes = 1024;
  slow.chunk_delay = milliseconds(20);  // ~20 s for the whole model
  server_->SetFault("model.bin", slow);
  VectorSink sink;
  FetchOptions o = ModelOptions();
  o.total_timeout = milliseconds(500);
  const auto start = Clock::now();
  auto r = fetcher_->Fetch(server_->Url("model.bin"), sink, o);
  ASSERT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("total limit of 500 ms"));
  EXPECT_GT(sink.data.size(), 0u);
  EXPECT_LT(sink.data.size(), kModelSize);
  EXPECT_LT(Seconds(start), 5.0);
}

TEST_F(HttpFetcherTest, MissingFileIsNotFound) {
  auto r = fetcher_->FetchSmall(server_->Url("nope.json"), 4096);
  ASSERT_EQ(r.status().code(), StatusCode::kNotFound) << r.status();
  EXPECT_THAT(r.status().message(),
              HasSubstr("fetch " + server_->Url("nope.json") + ": HTTP 404"));
}

TEST_F(HttpFetcherTest, InjectedStatusCodesMapToCodes) {
  Fault f;
  f.status = 500;
  server_->SetFault("timestamp.json", f);
  auto r = fetcher_->FetchSmall(server_->Url("timestamp.json"), 4096);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("HTTP 500"));
  f.status = 404;
  server_->SetFault("timestamp.json", f);
  r = fetcher_->FetchSmall(server_->Url("timestamp.json"), 4096);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status();
  f.status = 403;
  server_->SetFault("timestamp.json", f);
  r = fetcher_->FetchSmall(server_->Url("timestamp.json"), 4096);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status();
  server_->ClearFaults();
  EXPECT_TRUE(fetcher_->FetchSmall(server_->Url("timestamp.json"), 4096).ok());
}

TEST_F(HttpFetcherTest, IfNoneMatchGivesNotModifiedWithoutBody) {
  StringSink first;
  FetchOptions o;
  o.max_bytes = 4096;
  auto r1 = fetcher_->Fetch(server_->Url("timestamp.json"), first, o);
  ASSERT_TRUE(r1.ok()) << r1.status();
  ASSERT_FALSE(r1->etag.empty());

  server_->ResetStats();
  StringSink second;
  o.if_none_match = r1->etag;
  auto r2 = fetcher_->Fetch(server_->Url("timestamp.json"), second, o);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_TRUE(r2->not_modified);
  EXPECT_EQ(r2->http_status, 304);
  EXPECT_EQ(r2->bytes_received, 0u);
  EXPECT_TRUE(second.data().empty());
  // An update check with nothing new costs one small request.
  const auto stats = server_->Stats("timestamp.json");
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.not_modified, 1u);
  EXPECT_EQ(stats.bytes_sent, 0u);

  // New content: the old ETag no longer matches.
  WriteFile("timestamp.json", std::string(900, 'n'));
  StringSink third;
  auto r3 = fetcher_->Fetch(server_->Url("timestamp.json"), third, o);
  ASSERT_TRUE(r3.ok()) << r3.status();
  EXPECT_FALSE(r3->not_modified);
  EXPECT_EQ(third.data(), std::string(900, 'n'));
  EXPECT_NE(r3->etag, r1->etag);
}

TEST_F(HttpFetcherTest, NonHttpUrlsAreRefused) {
  VectorSink sink;
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/x",
                          "gopher://127.0.0.1/x", "127.0.0.1/x", ""}) {
    auto r = fetcher_->Fetch(url, sink, ModelOptions());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << url;
  }
  EXPECT_TRUE(sink.data.empty());
}

TEST_F(HttpFetcherTest, RedirectsFollowHttpButNotOtherSchemes) {
  Fault to_http;
  to_http.redirect_to = server_->Url("timestamp.json");
  server_->SetFault("moved.json", to_http);
  auto ok = fetcher_->FetchSmall(server_->Url("moved.json"), 4096);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, std::string(1000, 't'));

  Fault to_file;
  to_file.redirect_to = "file:///etc/passwd";
  server_->SetFault("evil.json", to_file);
  auto r = fetcher_->FetchSmall(server_->Url("evil.json"), 1 << 20);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
}

TEST_F(HttpFetcherTest, SinkErrorIsReturned) {
  VectorSink sink;
  sink.fail_after = 64 * 1024;
  auto r = fetcher_->Fetch(server_->Url("model.bin"), sink, ModelOptions());
  ASSERT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("No space left on device"));
  EXPECT_THAT(r.status().message(), HasSubstr(server_->Url("model.bin")));
}

TEST_F(HttpFetcherTest, TamperedByteChangesTheHash) {
  Fault tamper;
  tamper.flip_byte_at = 12345;
  server_->SetFault("model.bin", tamper);
  VectorSink sink;
  auto r = fetcher_->Fetch(server_->Url("model.bin"), sink, ModelOptions());
  ASSERT_TRUE(r.ok()) << r.status();  // transport is fine; the hash is not
  ASSERT_EQ(sink.data.size(), kModelSize);
  EXPECT_NE(Sha256Hex(sink.data), Sha256Hex(model_));
  EXPECT_EQ(sink.data[12345], model_[12345] ^ 0x01);
}

TEST_F(HttpFetcherTest, CancelStopsAFetch) {
  Fault slow;
  slow.chunk_bytes = 1024;
  slow.chunk_delay = milliseconds(50);
  server_->SetFault("model.bin", slow);
  std::atomic<bool> cancel{false};
  FetchOptions o = ModelOptions();
  o.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(200));
    cancel = true;
  });
  VectorSink sink;
  const auto start = Clock::now();
  auto r = fetcher_->Fetch(server_->Url("model.bin"), sink, o);
  canceller.join();
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status();
  EXPECT_LT(Seconds(start), 5.0);
}

TEST_F(HttpFetcherTest, ConcurrentFetchesShareOneFetcher) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto body = fetcher_->FetchSmall(server_->Url("timestamp.json"), 4096);
        if (body.ok() && body->size() == 1000) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(server_->Stats("timestamp.json").requests, 40u);
}

TEST_F(HttpFetcherTest, StoppingTheServerEndsASlowDownloadPromptly) {
  Fault slow;
  slow.chunk_bytes = 1024;
  slow.chunk_delay = milliseconds(100);
  server_->SetFault("model.bin", slow);
  VectorSink sink;
  StatusOr<FetchResult> r = InternalError("not run");
  std::thread client([&] {
    r = fetcher_->Fetch(server_->Url("model.bin"), sink, ModelOptions());
  });
  std::this_thread::sleep_for(milliseconds(300));
  const auto start = Clock::now();
  server_->Stop();
  client.join();
  EXPECT_LT(Seconds(start), 5.0);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status();
}

// https against a loopback TLS server with a certificate made on the spot:
// trusted through FetchOptions::ca_file it works like http (resume
// included); any other trust anchor is refused as untrusted, never served.
TEST_F(HttpFetcherTest, HttpsVerifiesTheServerAgainstTheGivenCa) {
  auto server_cert = MakeSelfSignedCert(dir_, "server");
  ASSERT_TRUE(server_cert.ok()) << server_cert.status();
  auto stranger = MakeSelfSignedCert(dir_, "stranger");
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  auto tls = LoopbackServer::Start(
      dir_, 0, {{server_cert->cert_pem, server_cert->key_pem}});
  ASSERT_TRUE(tls.ok()) << tls.status();
  const std::string url = (*tls)->Url("model.bin");
  ASSERT_EQ(url.rfind("https://127.0.0.1:", 0), 0u) << url;

  FetchOptions trusted = ModelOptions();
  trusted.ca_file = server_cert->cert_pem;
  VectorSink sink;
  auto r = fetcher_->Fetch(url, sink, trusted);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(Sha256Hex(sink.data), Sha256Hex(model_));

  // Resume over TLS: one Range request for the rest.
  VectorSink rest;
  rest.data.assign(model_.begin(), model_.begin() + 1000);
  FetchOptions resume = trusted;
  resume.resume_from = 1000;
  r = fetcher_->Fetch(url, rest, resume);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->resumed);
  EXPECT_EQ(Sha256Hex(rest.data), Sha256Hex(model_));

  // Another CA: the handshake fails verification; nothing reaches the sink.
  FetchOptions wrong = ModelOptions();
  wrong.ca_file = stranger->cert_pem;
  VectorSink none;
  r = fetcher_->Fetch(url, none, wrong);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status();
  EXPECT_THAT(r.status().message(),
              HasSubstr("server certificate not trusted"));
  EXPECT_TRUE(none.data.empty());

  // The system store does not know the test CA either.
  r = fetcher_->Fetch(url, none, ModelOptions());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status();

  // A CA file that does not exist is a configuration error, named.
  FetchOptions missing = ModelOptions();
  missing.ca_file = dir_ + "/no-such-ca.pem";
  r = fetcher_->Fetch(url, none, missing);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("no-such-ca.pem"));
  (*tls)->Stop();
}

// A server whose certificate does not name the host it is reached by is
// refused even when its CA is trusted.
TEST_F(HttpFetcherTest, HttpsRefusesACertificateForAnotherHost) {
  auto other_host =
      MakeSelfSignedCert(dir_, "other", "DNS:updates.example.com");
  ASSERT_TRUE(other_host.ok()) << other_host.status();
  auto tls = LoopbackServer::Start(
      dir_, 0, {{other_host->cert_pem, other_host->key_pem}});
  ASSERT_TRUE(tls.ok()) << tls.status();
  FetchOptions o;
  o.ca_file = other_host->cert_pem;
  auto body = fetcher_->FetchSmall((*tls)->Url("timestamp.json"), 4096, o);
  EXPECT_EQ(body.status().code(), StatusCode::kPermissionDenied)
      << body.status();
  EXPECT_THAT(body.status().message(), HasSubstr("127.0.0.1"));
  (*tls)->Stop();
}

}  // namespace
}  // namespace edgerun::ota
