#include "gateway/http/session.h"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "common/log.h"
#include "common/time.h"
#include "gateway/http/edge_routes.h"
#include "gateway/http/target.h"

namespace gateway::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// SessionRegistry

void SessionRegistry::Add(const std::shared_ptr<SessionBase>& session) {
  std::lock_guard lock(mutex_);
  sessions_.emplace(session.get(), session);
}

void SessionRegistry::Remove(const SessionBase* session) {
  std::lock_guard lock(mutex_);
  sessions_.erase(session);
  if (sessions_.empty()) empty_.notify_all();
}

std::vector<std::shared_ptr<SessionBase>> SessionRegistry::Snapshot() {
  std::vector<std::shared_ptr<SessionBase>> out;
  std::lock_guard lock(mutex_);
  out.reserve(sessions_.size());
  for (auto& [ptr, weak] : sessions_) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

size_t SessionRegistry::Size() {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool SessionRegistry::WaitEmpty(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return empty_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
}

// ---------------------------------------------------------------------------------------------
// EdgeContext

EdgeContext::EdgeContext(ServerOptions o, Handler h, ReadinessProbe r, Metrics& m)
    : options(std::move(o)),
      handler(std::move(h)),
      ready(std::move(r)),
      metrics(m),
      read_pool_(std::make_unique<net::thread_pool>(
          static_cast<size_t>(std::max(1, options.read_handler_threads)))),
      write_pool_(std::make_unique<net::thread_pool>(
          static_cast<size_t>(std::max(1, options.handler_threads)))) {}

EdgeContext::Pool EdgeContext::PoolFor(std::string_view method) {
  return method == "GET" || method == "HEAD" ? Pool::kRead : Pool::kWrite;
}

bool EdgeContext::PostToPool(Pool pool, std::function<void()> job) {
  std::lock_guard lock(pool_mutex_);
  auto& target = pool == Pool::kRead ? read_pool_ : write_pool_;
  if (!target) return false;
  net::post(*target, std::move(job));
  return true;
}

std::vector<std::unique_ptr<net::thread_pool>> EdgeContext::TakePools() {
  std::lock_guard lock(pool_mutex_);
  std::vector<std::unique_ptr<net::thread_pool>> pools;
  if (read_pool_) pools.push_back(std::move(read_pool_));
  if (write_pool_) pools.push_back(std::move(write_pool_));
  return pools;
}

HttpResponse EdgeContext::InvokeHandler(const HttpRequest& request) {
  try {
    if (handler) return handler(request);
    return OutcomeResponse(404, "not-found", "no handler is configured", "unmatched");
  } catch (...) {
    // The exception's message may carry request data, so only the fact is logged.
    metrics.HandlerException();
    common::log::Error("handler_exception", {{"request_id", request.context.request_id}});
    return OutcomeResponse(500, "exception", "internal error while processing the request",
                           "unmatched");
  }
}

namespace {

// The interim response to "Expect: 100-continue" (RFC 9110 section 10.1.1).
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After a request or response of at least this size, free memory is returned to the system.
constexpr size_t kTrimAfterBytes = 1024 * 1024;
// Upper bound for lingering close (reading and discarding after our last response).
constexpr std::chrono::milliseconds kMaxLinger{2000};

bool IsHttpError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

std::string LowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Headers the edge owns; a handler's value for them is ignored.
bool IsEdgeOwnedHeader(std::string_view name) {
  return IEquals(name, "content-length") || IEquals(name, "transfer-encoding") ||
         IEquals(name, "connection") || IEquals(name, "keep-alive") ||
         IEquals(name, "x-request-id");
}

bool IsSafeHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= ' ' || c == ':' || c == 0x7f) return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

template <class Stream>
class Session : public SessionBase {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Session(tcp::socket&& socket, std::shared_ptr<EdgeContext> ctx) requires(!kTls)
      : executor_(socket.get_executor()), stream_(std::move(socket)), ctx_(std::move(ctx)) {
    Init();
  }
  Session(tcp::socket&& socket, ssl::context& tls, std::shared_ptr<EdgeContext> ctx) requires(kTls)
      : executor_(socket.get_executor()), stream_(std::move(socket), tls), ctx_(std::move(ctx)) {
    Init();
  }

  ~Session() override {
    if (in_flight_) ctx_->metrics.RequestFinished();
    ctx_->metrics.ConnectionClosed();
    ctx_->registry.Remove(this);
  }

  void Run() {
    ctx_->registry.Add(shared_from_this());
    net::dispatch(executor_, [self = Self()] { self->Begin(); });
  }

  void Drain() override {
    net::post(executor_, [self = Self()] {
      if (self->state_ == State::kIdle) self->CloseSocket();
    });
  }

  void ForceClose() override {
    net::post(executor_, [self = Self()] {
      self->state_ = State::kClosing;
      self->CloseSocket();
    });
  }

 private:
  enum class State { kStarting, kIdle, kReading, kHandling, kWriting, kClosing };

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  const ServerOptions& Options() const { return ctx_->options; }

  void Init() {
    ctx_->metrics.ConnectionOpened();
    beast::error_code ec;
    auto endpoint = Lowest().socket().remote_endpoint(ec);
    if (!ec) remote_address_ = endpoint.address().to_string();
    Lowest().socket().set_option(tcp::no_delay(true), ec);
  }

  void CloseSocket() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

  void Begin() {
    if constexpr (kTls) {
      Lowest().expires_after(Options().read_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              beast::bind_front_handler(&Session::OnHandshake, Self()));
    } else {
      ReadNext();
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) return;  // a client that cannot speak TLS 1.2+ (or a scanner); nothing to answer
    ReadNext();
  }

  // Waits for the first byte of the next request (idle timeout between requests).
  void ReadNext() {
    if (ctx_->draining.load()) return CloseGracefully();
    state_ = State::kIdle;
    parser_.emplace();
    parser_->header_limit(Options().header_limit_bytes);
    parser_->body_limit(Options().body_limit_bytes);
    if (buffer_.size() > 0) return BeginRequest();  // a pipelined request is already here
    Lowest().expires_after(first_request_ ? Options().read_timeout : Options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            beast::bind_front_handler(&Session::OnFirstBytes, Self()));
  }

  void OnFirstBytes(beast::error_code ec, size_t n) {
    if (ec) return;  // closed by the client, idle timeout, or drained
    buffer_.commit(n);
    BeginRequest();
  }

  void BeginRequest() {
    state_ = State::kReading;
    first_request_ = false;
    request_start_ = Clock::now();
    Lowest().expires_after(Options().read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::OnHeader, Self()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    auto length = parser_->content_length();
    if (length && *length > Options().body_limit_bytes) return SendBodyTooLarge();
    if (!parser_->is_done() && IEquals(parser_->get()[bhttp::field::expect], "100-continue")) {
      Lowest().expires_after(Options().write_timeout);
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = Self()](beast::error_code wec, size_t) {
                         if (wec) return;
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_after(Options().read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnBody, Self()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    Lowest().expires_never();
    Dispatch();
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) return SendBodyTooLarge();
    if (ec == bhttp::error::header_limit) {
      return SendEdgeResponse(
          OutcomeResponse(431, "too-long",
                          "the request header exceeds " +
                              std::to_string(Options().header_limit_bytes) + " bytes",
                          kRouteMalformed),
          /*close=*/true);
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return;
    if (IsHttpError(ec)) {
      return SendEdgeResponse(
          OutcomeResponse(400, "structure", "malformed HTTP request", kRouteMalformed),
          /*close=*/true);
    }
    // Timeout, reset, or closed by a drain: the socket is unusable; nothing to answer.
  }

  void SendBodyTooLarge() {
    SendEdgeResponse(OutcomeResponse(413, "too-long",
                                     "the request body exceeds " +
                                         std::to_string(Options().body_limit_bytes) + " bytes",
                                     kRouteTooLarge),
                     /*close=*/true);
  }

  // Fields of the current request for the access log and metrics. After a read error the
  // request line and fields parsed so far are still in the message (e.g. all of them for a
  // 413 found from Content-Length); an unparsed method is empty and becomes "OTHER".
  void NoteRequest() {
    const auto& msg = parser_->get();
    method_ = std::string(Metrics::NormalizeMethod(msg.method_string()));
    version_ = msg.version() == 10 ? 10 : 11;
    is_head_ = msg.method() == bhttp::verb::head;
    request_id_ = ChooseRequestId(msg["x-request-id"]);
  }

  void SendEdgeResponse(HttpResponse response, bool close) {
    NoteRequest();
    keep_alive_ = !close && parser_->is_header_done() && parser_->get().keep_alive();
    Write(std::move(response));
  }

  // RFC 9112 section 3.2: an HTTP/1.1 request without Host, any request with more than one
  // Host field, or with a Host value that is not host[:port], is answered 400. Empty when fine.
  std::string HostProblem() const {
    const auto& msg = parser_->get();
    size_t count = msg.count(bhttp::field::host);
    if (count > 1) return "the request has more than one Host header";
    if (count == 0) return version_ == 11 ? "an HTTP/1.1 request must have a Host header" : "";
    std::string_view host = msg[bhttp::field::host];
    bool ok =
        !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
                 c == '[' || c == ']' || c == '_';
        });
    return ok ? "" : "the Host header is not a host name or address with an optional port";
  }

  void Dispatch() {
    NoteRequest();
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    if (std::string problem = HostProblem(); !problem.empty()) {
      keep_alive_ = false;
      return Write(OutcomeResponse(400, "structure", problem, kRouteMalformed));
    }

    HttpRequest request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    request.headers.reserve(static_cast<size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& field : msg) {
      request.headers.emplace_back(LowerCase(field.name_string()), std::string(field.value()));
    }
    request.context.request_id = request_id_;
    request.context.remote_address = remote_address_;

    auto target = ParseTarget(request.target);
    if (!target.has_value()) {
      return Write(OutcomeResponse(400, "invalid", target.error().message(), kRouteMalformed));
    }
    request.path = std::move(target->path);
    request.query = std::move(target->query);
    request.body = std::move(msg.body());

    in_flight_ = true;
    ctx_->metrics.RequestStarted();
    bool ready = request.path != "/readyz" || !ctx_->ready || ctx_->ready();
    if (auto edge = ServeEdgeRoute(request, ready, ctx_->draining.load(), ctx_->metrics)) {
      return Write(std::move(*edge));
    }
    state_ = State::kHandling;
    EdgeContext::Pool pool = EdgeContext::PoolFor(request.method);
    bool posted = ctx_->PostToPool(pool, [self = Self(), request = std::move(request)] {
      HttpResponse response = self->ctx_->InvokeHandler(request);
      if (request.body.size() >= kTrimAfterBytes || response.body.size() >= kTrimAfterBytes) {
        // A large request leaves its parsed tree's pages in malloc's free lists: hand them back
        // so one big request does not keep the process large afterwards.
        ::malloc_trim(0);
      }
      net::post(self->executor_, [self, response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
    if (!posted) {
      keep_alive_ = false;
      Write(OutcomeResponse(503, "transient", "the server is shutting down", "unmatched"));
    }
  }

  // Builds the wire response. May throw (Beast validates field sizes); the caller catches.
  void BuildResponse(HttpResponse& r) {
    int status = (r.status >= 100 && r.status <= 599) ? r.status : 500;
    response_.emplace();
    auto& res = *response_;
    res.version(version_);
    res.result(static_cast<unsigned>(status));
    for (auto& [name, value] : r.headers) {
      if (IsEdgeOwnedHeader(name)) continue;
      if (!IsSafeHeader(name, value)) {
        common::log::Warn("response_header_dropped", {{"header", LowerCase(name)}});
        continue;
      }
      // Set-Cookie is the one header that may not be folded into one line (RFC 6265 §3).
      if (name == "Set-Cookie" || name == "set-cookie") {
        res.insert(name, value);
      } else {
        res.set(name, value);
      }
    }
    res.set("X-Request-Id", request_id_);
    if (res.find(bhttp::field::date) == res.end()) {
      res.set(bhttp::field::date, common::FormatHttpDate(common::SystemNow()));
    }
    bool no_body = status / 100 == 1 || status == 204 || status == 304;
    if (no_body) r.body.clear();
    size_t length = r.body.size();
    res.body() = std::move(r.body);
    res.prepare_payload();
    if (is_head_) {
      // HEAD: the headers of the GET response, without its body.
      if (!no_body) res.content_length(length);
      res.body().clear();
    }
    res.keep_alive(keep_alive_);
    status_ = status;
  }

  void Write(HttpResponse r) {
    if (state_ == State::kClosing) return;
    if (ctx_->draining.load()) keep_alive_ = false;
    route_ = std::move(r.route);
    try {
      BuildResponse(r);
    } catch (const std::exception& e) {
      common::log::Error("response_build_failed",
                         {{"request_id", request_id_}, {"what", e.what()}});
      keep_alive_ = false;
      route_ = "unmatched";
      HttpResponse fallback =
          OutcomeResponse(500, "exception", "internal error while writing the response", route_);
      response_.reset();
      BuildResponse(fallback);  // cannot throw: only edge-made, well-formed fields
    }
    state_ = State::kWriting;
    Lowest().expires_after(Options().write_timeout);
    bhttp::async_write(stream_, *response_, beast::bind_front_handler(&Session::OnWrite, Self()));
  }

  void OnWrite(beast::error_code ec, size_t bytes) {
    Lowest().expires_never();
    double seconds = std::chrono::duration<double>(Clock::now() - request_start_).count();
    ctx_->metrics.ObserveRequest(method_, route_, status_, seconds);
    if (in_flight_) {
      in_flight_ = false;
      ctx_->metrics.RequestFinished();
    }
    common::log::Info("request", {{"method", method_},
                                  {"route", route_},
                                  {"status", status_},
                                  {"duration_ms", seconds * 1000.0},
                                  {"request_id", request_id_},
                                  {"bytes", static_cast<unsigned long>(bytes)},
                                  {"request_bytes", static_cast<unsigned long>(RequestBytes())}});
    response_.reset();
    if (ec) return;
    if (!keep_alive_) return CloseGracefully();
    ReadNext();
  }

  size_t RequestBytes() const {
    return parser_ && parser_->is_done() ? parser_->get().body().size() : 0;
  }

  // Closes after our last response: TLS close_notify, or for plain TCP a lingering close that
  // reads and discards what the client still sends, so it sees our response rather than a
  // reset (e.g. after a 413 sent without reading the body).
  void CloseGracefully() {
    state_ = State::kClosing;
    auto linger = std::min<std::chrono::milliseconds>(kMaxLinger, Options().read_timeout);
    if constexpr (kTls) {
      Lowest().expires_after(linger);
      stream_.async_shutdown([self = Self()](beast::error_code) { self->Lowest().close(); });
    } else {
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return Lowest().close();
      buffer_.consume(buffer_.size());
      Lowest().expires_after(linger);
      Discard();
    }
  }

  void Discard() {
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            [self = Self()](beast::error_code ec, size_t) {
                              if (ec) return self->Lowest().close();
                              self->Discard();
                            });
  }

  const net::any_io_executor executor_;  // the connection's strand
  Stream stream_;
  std::shared_ptr<EdgeContext> ctx_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  State state_ = State::kStarting;
  bool first_request_ = true;
  bool keep_alive_ = false;
  bool in_flight_ = false;
  bool is_head_ = false;
  unsigned version_ = 11;
  int status_ = 0;
  Clock::time_point request_start_{};
  std::string method_;
  std::string route_;
  std::string request_id_;
  std::string remote_address_;
};

}  // namespace

void StartPlainSession(tcp::socket socket, std::shared_ptr<EdgeContext> ctx) {
  std::make_shared<Session<beast::tcp_stream>>(std::move(socket), std::move(ctx))->Run();
}

void StartTlsSession(tcp::socket socket, ssl::context& tls, std::shared_ptr<EdgeContext> ctx) {
  std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), tls,
                                                                  std::move(ctx))
      ->Run();
}

}  // namespace gateway::http
