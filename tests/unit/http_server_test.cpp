// In-process tests of the HTTP edge over real loopback sockets, with a fake handler.

// GCC 12 at -O2 and above reports -Wnull-dereference inside Boost.Asio's strand and scheduler
// code (system headers; false positives). The pragma has to precede every include to reach them.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "gateway/http/server.h"

namespace gateway::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool Contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

// A blocking client connection.
class Connection {
 public:
  explicit Connection(uint16_t port) : stream_(ioc_) {
    stream_.expires_after(10s);
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  bhttp::response<bhttp::string_body> Send(
      bhttp::verb verb, const std::string& target,
      const std::vector<std::pair<std::string, std::string>>& headers = {}, std::string body = {}) {
    bhttp::request<bhttp::string_body> req{verb, target, 11};
    req.set(bhttp::field::host, "localhost");
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    if (!req.body().empty() || verb == bhttp::verb::post) req.prepare_payload();
    stream_.expires_after(10s);
    bhttp::write(stream_, req);
    return Read(verb == bhttp::verb::head);
  }

  bhttp::response<bhttp::string_body> Read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(head);
    stream_.expires_after(10s);
    bhttp::read(stream_, buffer_, parser);
    return parser.release();
  }

  void WriteRaw(std::string_view bytes) {
    stream_.expires_after(10s);
    net::write(stream_, net::buffer(bytes.data(), bytes.size()));
  }

  // Reads until the server closes (or 10 s pass); returns what arrived.
  std::string ReadUntilClose(beast::error_code* last = nullptr) {
    std::string out(beast::buffers_to_string(buffer_.data()));
    buffer_.consume(buffer_.size());
    char buf[4096];
    beast::error_code ec;
    for (;;) {
      stream_.expires_after(10s);
      size_t n = stream_.read_some(net::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    if (last != nullptr) *last = ec;
    return out;
  }

  // True when the server closed the connection (EOF) within `within`.
  bool ClosedByServer(std::chrono::milliseconds within) {
    char c;
    beast::error_code ec;
    stream_.expires_after(within);
    stream_.read_some(net::buffer(&c, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

std::string RawExchange(uint16_t port, std::string_view bytes) {
  Connection c(port);
  c.WriteRaw(bytes);
  return c.ReadUntilClose();
}

int StatusOf(std::string_view raw) {
  if (raw.size() < 12) return 0;
  return std::atoi(std::string(raw.substr(9, 3)).c_str());
}

HttpResponse Text(int status, std::string body, std::string route = "/test") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.route = std::move(route);
  r.SetHeader("Content-Type", "text/plain");
  return r;
}

class ServerTest : public ::testing::Test {
 protected:
  static ServerOptions Options() {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.io_threads = 2;
    o.handler_threads = 2;
    o.header_limit_bytes = 4096;
    o.body_limit_bytes = 1024;
    o.read_timeout = 2000ms;
    o.write_timeout = 2000ms;
    o.idle_timeout = 2000ms;
    o.drain_timeout = 2000ms;
    return o;
  }

  void Start(Handler handler, const ServerOptions& options = Options()) {
    auto s = Server::Start(
        options, std::move(handler), [this] { return ready_.load(); }, metrics_);
    ASSERT_TRUE(s.has_value()) << s.error().message();
    server_ = std::move(*s);
    ASSERT_NE(server_->port(), 0);
  }

  // A handler that echoes what it saw: method, path, query pairs and body size.
  static HttpResponse Echo(const HttpRequest& r) {
    std::string body = r.method + " " + r.path;
    for (const auto& [k, v] : r.query) body += " [" + k + "=" + v + "]";
    if (!r.body.empty()) body += " body=" + std::to_string(r.body.size());
    return Text(200, body, "/echo");
  }

  uint16_t port() const { return server_->port(); }

  Metrics metrics_;
  std::atomic<bool> ready_{true};
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, EdgeRoutesAndGeneratedRequestId) {
  Start(Echo);
  Connection c(port());
  auto r = c.Send(bhttp::verb::get, "/healthz");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r["X-Request-Id"].size(), 36u);
  EXPECT_FALSE(r[bhttp::field::date].empty());
  EXPECT_EQ(c.Send(bhttp::verb::get, "/readyz").result_int(), 200u);
  ready_ = false;
  EXPECT_EQ(c.Send(bhttp::verb::get, "/readyz").result_int(), 503u);
  r = c.Send(bhttp::verb::get, "/metrics");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r[bhttp::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(Contains(r.body(),
                       "emg_http_requests_total{method=\"GET\",route=\"/healthz\","
                       "status=\"200\"} 1"));
  EXPECT_TRUE(Contains(r.body(), "emg_http_requests_in_flight 1"));  // this very request
}

TEST_F(ServerTest, HandlerSeesDecodedPathQueryAndRequestId) {
  std::mutex mu;
  HttpRequest seen;
  Start([&](const HttpRequest& r) {
    std::lock_guard lock(mu);
    seen = r;
    return Echo(r);
  });
  Connection c(port());
  auto r = c.Send(bhttp::verb::get, "/Patient/a%2Db?name=Kari+Nordmann&_count=2",
                  {{"X-Request-Id", "client-id_1.2"}, {"Accept", "application/fhir+json"}});
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r.body(), "GET /Patient/a-b [name=Kari Nordmann] [_count=2]");
  EXPECT_EQ(r["X-Request-Id"], "client-id_1.2");
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.target, "/Patient/a%2Db?name=Kari+Nordmann&_count=2");
  EXPECT_EQ(seen.context.request_id, "client-id_1.2");
  EXPECT_EQ(seen.context.remote_address, "127.0.0.1");
  EXPECT_EQ(seen.Header("accept"), "application/fhir+json");
  EXPECT_EQ(seen.Header("x-request-id"), "client-id_1.2");
}

TEST_F(ServerTest, InvalidClientRequestIdIsReplaced) {
  Start(Echo);
  Connection c(port());
  for (std::string bad : {std::string(65, 'a'), std::string("has space"), std::string("a/b")}) {
    auto r = c.Send(bhttp::verb::get, "/x", {{"X-Request-Id", bad}});
    EXPECT_EQ(r["X-Request-Id"].size(), 36u) << bad;
    EXPECT_NE(r["X-Request-Id"], bad);
  }
}

TEST_F(ServerTest, FormSearchBodyReachesTheHandlerUntouched) {
  // The edge knows nothing of FHIR search: the REST layer reads the form (rest_api_test).
  Start(Echo);
  Connection c(port());
  auto r = c.Send(bhttp::verb::post, "/Patient/_search?_id=1",
                  {{"Content-Type", "application/x-www-form-urlencoded"}},
                  "name=Kari+N%C3%B8rdmann&_count=2");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r.body(), "POST /Patient/_search [_id=1] body=32");
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
  Start(Echo);
  Connection c(port());
  for (int i = 0; i < 3; ++i) {
    auto r = c.Send(bhttp::verb::get, "/x");
    EXPECT_EQ(r.result_int(), 200u);
    EXPECT_TRUE(r.keep_alive());
  }
  auto r = c.Send(bhttp::verb::get, "/metrics");
  EXPECT_TRUE(Contains(r.body(), "emg_http_connections_accepted_total 1\n")) << r.body();
  EXPECT_TRUE(Contains(r.body(), "emg_http_connections_active 1\n"));
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Start([](const HttpRequest& r) {
    if (r.path == "/slow") std::this_thread::sleep_for(100ms);
    return Echo(r);
  });
  std::string raw = RawExchange(port(),
                                "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  size_t a = raw.find("GET /slow");
  size_t b = raw.find("GET /fast");
  size_t c = raw.find("GET /last");
  ASSERT_NE(a, std::string::npos) << raw;
  ASSERT_NE(b, std::string::npos) << raw;
  ASSERT_NE(c, std::string::npos) << raw;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST_F(ServerTest, BodyTooLargeByContentLengthGets413BeforeReading) {
  std::atomic<int> calls{0};
  Start([&](const HttpRequest& r) {
    ++calls;
    return Echo(r);
  });
  std::string body(4000, 'x');
  std::string raw = RawExchange(port(),
                                "POST /Patient HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                "application/fhir+json\r\nContent-Length: 4000\r\n\r\n" +
                                    body);
  EXPECT_EQ(StatusOf(raw), 413) << raw;
  EXPECT_TRUE(Contains(raw, "Connection: close"));
  EXPECT_TRUE(Contains(raw, "X-Request-Id: "));
  EXPECT_TRUE(Contains(raw, R"("resourceType":"OperationOutcome")"));
  EXPECT_TRUE(Contains(raw, R"("code":"too-long")"));
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(metrics_.RequestCount("POST", "too_large", 413), 1u);

  // At the limit is fine.
  Connection c(port());
  auto r = c.Send(bhttp::verb::post, "/Patient", {}, std::string(1024, 'y'));
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r.body(), "POST /Patient body=1024");
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitGets413WhileReading) {
  Start(Echo);
  std::string chunk(800, 'z');
  std::string raw = RawExchange(port(),
                                "POST /Patient HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                                "\r\n\r\n320\r\n" +
                                    chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(StatusOf(raw), 413) << raw;
  EXPECT_TRUE(Contains(raw, R"("resourceType":"OperationOutcome")"));
}

TEST_F(ServerTest, ExpectContinueIsHonoured) {
  Start(Echo);
  Connection c(port());
  c.WriteRaw(
      "POST /Patient HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\n\r\n");
  auto interim = c.Read();
  EXPECT_EQ(interim.result_int(), 100u);
  c.WriteRaw("hello");
  auto r = c.Read();
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r.body(), "POST /Patient body=5");
}

TEST_F(ServerTest, HeaderTooLargeGets431) {
  Start(Echo);
  std::string raw = RawExchange(
      port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  EXPECT_EQ(StatusOf(raw), 431) << raw.substr(0, 200);
  EXPECT_TRUE(Contains(raw, R"("resourceType":"OperationOutcome")"));
}

TEST_F(ServerTest, MalformedRequestsGet400) {
  Start(Echo);
  for (const std::string& bad : {std::string("GARBAGE\r\n\r\n"),
                                 std::string("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"),
                                 std::string("GET / HTTP/9.9\r\n\r\n"),
                                 std::string("POST / HTTP/1.1\r\nContent-Length: zz\r\n\r\n")}) {
    std::string raw = RawExchange(port(), bad);
    EXPECT_EQ(StatusOf(raw), 400) << bad;
    EXPECT_TRUE(Contains(raw, R"("resourceType":"OperationOutcome")")) << bad;
    EXPECT_TRUE(Contains(raw, "X-Request-Id: ")) << bad;
  }
  // A bad escape in the target: 400, but the connection stays usable.
  Connection c(port());
  auto r = c.Send(bhttp::verb::get, "/Patient/%zz");
  EXPECT_EQ(r.result_int(), 400u);
  EXPECT_EQ(c.Send(bhttp::verb::get, "/ok").result_int(), 200u);
}

TEST_F(ServerTest, HandlerExceptionBecomes500AndIsCounted) {
  Start([](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom: secret"); });
  Connection c(port());
  auto r = c.Send(bhttp::verb::get, "/Patient/1");
  EXPECT_EQ(r.result_int(), 500u);
  EXPECT_TRUE(Contains(r.body(), R"("code":"exception")"));
  EXPECT_FALSE(Contains(r.body(), "secret"));
  EXPECT_EQ(r["X-Request-Id"].size(), 36u);
  EXPECT_EQ(metrics_.HandlerExceptions(), 1u);
  EXPECT_EQ(c.Send(bhttp::verb::get, "/healthz").result_int(), 200u);
}

TEST_F(ServerTest, HandlerRunsOffTheIoThreads) {
  ServerOptions o = Options();
  o.io_threads = 1;
  o.handler_threads = 2;
  std::atomic<bool> entered{false};
  Start(
      [&](const HttpRequest& r) {
        if (r.path == "/slow") {
          entered = true;
          std::this_thread::sleep_for(1500ms);
        }
        return Echo(r);
      },
      o);
  auto slow = std::async(std::launch::async, [this] {
    Connection c(port());
    return c.Send(bhttp::verb::get, "/slow").result_int();
  });
  while (!entered) std::this_thread::sleep_for(5ms);
  // The single I/O thread keeps serving while the handler blocks a pool thread.
  Connection c(port());
  EXPECT_EQ(c.Send(bhttp::verb::get, "/healthz").result_int(), 200u);
  EXPECT_EQ(c.Send(bhttp::verb::get, "/fast").result_int(), 200u);
  EXPECT_EQ(slow.wait_for(0s), std::future_status::timeout);
  EXPECT_EQ(slow.get(), 200u);
}

TEST_F(ServerTest, HeadHasLengthButNoBodyAndUnsafeHeadersAreDropped) {
  Start([](const HttpRequest&) {
    HttpResponse r = Text(200, "hello");
    r.SetHeader("X-Injected", "a\r\nSet-Cookie: x=1");
    r.SetHeader("ETag", "W/\"1\"");
    return r;
  });
  Connection c(port());
  auto r = c.Send(bhttp::verb::head, "/x");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r[bhttp::field::content_length], "5");
  EXPECT_TRUE(r.body().empty());
  EXPECT_EQ(r["X-Injected"], "");
  EXPECT_EQ(r["Set-Cookie"], "");
  EXPECT_EQ(r[bhttp::field::etag], "W/\"1\"");
  r = c.Send(bhttp::verb::get, "/x");  // the connection is still in sync
  EXPECT_EQ(r.body(), "hello");
}

TEST_F(ServerTest, NoContentResponsesCarryNoBody) {
  Start([](const HttpRequest&) { return Text(204, "ignored"); });
  Connection c(port());
  auto r = c.Send(bhttp::verb::delete_, "/Patient/1");
  EXPECT_EQ(r.result_int(), 204u);
  EXPECT_TRUE(r.body().empty());
  EXPECT_EQ(c.Send(bhttp::verb::get, "/healthz").result_int(), 200u);
}

TEST_F(ServerTest, AccessLogHasRouteTemplateButNoQueryOrPath) {
  Start(Echo);
  testing::internal::CaptureStderr();
  {
    Connection c(port());
    c.Send(bhttp::verb::get, "/Patient/pat-4711?name=Secretname", {{"X-Request-Id", "log-test-1"}});
    c.Send(bhttp::verb::get, "/healthz");  // its answer means the first line is written
  }
  std::string log = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(Contains(log, R"("event":"request","method":"GET","route":"/echo","status":200)"))
      << log;
  EXPECT_TRUE(Contains(log, R"("request_id":"log-test-1")"));
  EXPECT_TRUE(Contains(log, R"("duration_ms":)"));
  EXPECT_TRUE(Contains(log, R"("bytes":)"));
  EXPECT_FALSE(Contains(log, "Secretname"));
  EXPECT_FALSE(Contains(log, "pat-4711"));
  EXPECT_FALSE(Contains(log, "/Patient"));
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions o = Options();
  o.idle_timeout = 300ms;
  Start(Echo, o);
  Connection c(port());
  EXPECT_EQ(c.Send(bhttp::verb::get, "/x").result_int(), 200u);
  EXPECT_TRUE(c.ClosedByServer(3s));
}

TEST_F(ServerTest, SlowHeaderIsCutOffByTheReadTimeout) {
  ServerOptions o = Options();
  o.read_timeout = 300ms;
  Start(Echo, o);
  Connection c(port());
  c.WriteRaw("GET / HTTP/1.1\r\nHo");
  auto start = Clock::now();
  EXPECT_TRUE(c.ClosedByServer(3s));
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST_F(ServerTest, ShutdownLetsInFlightRequestsFinishAndClosesIdleOnes) {
  ServerOptions o = Options();
  o.drain_timeout = 8000ms;
  std::atomic<bool> entered{false};
  Start(
      [&](const HttpRequest& r) {
        if (r.path == "/slow") {
          entered = true;
          std::this_thread::sleep_for(500ms);
        }
        return Echo(r);
      },
      o);
  Connection idle(port());
  EXPECT_EQ(idle.Send(bhttp::verb::get, "/x").result_int(), 200u);
  auto slow = std::async(std::launch::async, [this] {
    Connection c(port());
    auto r = c.Send(bhttp::verb::get, "/slow");
    return std::make_pair(r.result_int(), r.keep_alive());
  });
  while (!entered) std::this_thread::sleep_for(5ms);
  auto start = Clock::now();
  server_->Shutdown();
  auto took = Clock::now() - start;
  auto [status, keep_alive] = slow.get();
  EXPECT_EQ(status, 200u);
  EXPECT_FALSE(keep_alive);  // Connection: close while draining
  EXPECT_TRUE(idle.ClosedByServer(1s));
  EXPECT_LT(took, 5000ms);  // ended with the last request, not at the drain timeout
  EXPECT_TRUE(server_->draining());
  EXPECT_EQ(metrics_.InFlight(), 0);
  beast::error_code ec;
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port()), ec);
  EXPECT_TRUE(ec);  // no longer accepting
}

TEST_F(ServerTest, DrainTimeoutClosesWhatIsLeft) {
  ServerOptions o = Options();
  o.drain_timeout = 200ms;
  std::atomic<bool> entered{false};
  Start(
      [&](const HttpRequest& r) {
        entered = true;
        std::this_thread::sleep_for(1200ms);
        return Echo(r);
      },
      o);
  auto slow = std::async(std::launch::async, [this] {
    Connection c(port());
    try {
      c.Send(bhttp::verb::get, "/stuck");
      return true;
    } catch (const std::exception&) {
      return false;
    }
  });
  while (!entered) std::this_thread::sleep_for(5ms);
  server_->Shutdown();  // returns once the handler is done: no handler runs afterwards
  EXPECT_FALSE(slow.get());
}

TEST_F(ServerTest, BindFailureIsAStatusNotACrash) {
  Start(Echo);
  ServerOptions o = Options();
  o.port = port();
  auto second = Server::Start(o, Echo, nullptr, metrics_);
  ASSERT_FALSE(second.has_value());
  EXPECT_TRUE(Contains(second.error().message(), "cannot listen on 127.0.0.1:"))
      << second.error().message();
}

// --- TLS -------------------------------------------------------------------------------------

struct TlsFiles {
  std::string dir;
  std::string cert;
  std::string key;
  ~TlsFiles() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// A self-signed P-256 certificate for localhost.
bool MakeSelfSigned(TlsFiles* files) {
  files->dir =
      (std::filesystem::temp_directory_path() / ("emg-tls-test-" + std::to_string(::getpid())))
          .string();
  std::filesystem::create_directories(files->dir);
  files->cert = files->dir + "/cert.pem";
  files->key = files->dir + "/key.pem";
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  X509* x = X509_new();
  if (pkey == nullptr || x == nullptr) return false;
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  bool ok = X509_sign(x, pkey, EVP_sha256()) > 0;
  FILE* f = std::fopen(files->cert.c_str(), "wb");
  ok = ok && f != nullptr && PEM_write_X509(f, x) == 1;
  if (f != nullptr) std::fclose(f);
  f = std::fopen(files->key.c_str(), "wb");
  ok = ok && f != nullptr &&
       PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (f != nullptr) std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(pkey);
  return ok;
}

TEST_F(ServerTest, ServesTls12OrNewer) {
  TlsFiles files;
  ASSERT_TRUE(MakeSelfSigned(&files));
  ServerOptions o = Options();
  o.tls_certificate_file = files.cert;
  o.tls_key_file = files.key;
  Start(Echo, o);
  EXPECT_TRUE(server_->tls());

  net::io_context ioc;
  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.set_verify_mode(net::ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  beast::get_lowest_layer(stream).expires_after(10s);
  beast::get_lowest_layer(stream).connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), port()));
  stream.handshake(net::ssl::stream_base::client);
  EXPECT_GE(SSL_version(stream.native_handle()), TLS1_2_VERSION);
  for (const char* target : {"/healthz", "/Patient?name=x"}) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "localhost");
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    EXPECT_EQ(res.result_int(), 200u);
  }

  // Plain HTTP to a TLS port gets no HTTP answer.
  std::string raw = RawExchange(port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_FALSE(raw.starts_with("HTTP/1.1 200"));
}

TEST_F(ServerTest, BadTlsFilesFailTheStart) {
  ServerOptions o = Options();
  o.tls_certificate_file = "/nonexistent/cert.pem";
  o.tls_key_file = "/nonexistent/key.pem";
  auto s = Server::Start(o, Echo, nullptr, metrics_);
  ASSERT_FALSE(s.has_value());
  EXPECT_TRUE(s.error().message().starts_with("server.tls.certificate_file: cannot load"))
      << s.error().message();
}

}  // namespace
}  // namespace gateway::http
