// GCC 12 at -O2 and above reports -Wnull-dereference inside Boost.Asio's strand and scheduler
// code (system headers; false positives). The pragma has to precede every include to reach them.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "gateway/http/server.h"

#include <openssl/ssl.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/log.h"
#include "gateway/http/session.h"

namespace gateway::http {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

// Mozilla "intermediate" TLS 1.2 suites (forward secrecy, AEAD only). TLS 1.3 suites are
// OpenSSL's defaults, all of which are fine.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

common::StatusOr<std::unique_ptr<ssl::context>> MakeTlsContext(const ServerOptions& options) {
  auto fail = [](std::string key, std::string what) {
    return common::Error(common::Code::kInvalidArgument, std::move(key) + ": " + std::move(what));
  };
  std::unique_ptr<ssl::context> ctx;
  try {
    ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception& e) {
    return fail("server.tls", std::string("cannot create a TLS context: ") + e.what());
  }
  error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  SSL_CTX* native = ctx->native_handle();
  if (ec || SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return fail("server.tls", "cannot configure TLS 1.2+");
  }
  SSL_CTX_set_options(
      native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  ctx->use_certificate_chain_file(options.tls_certificate_file, ec);
  if (ec) {
    return fail("server.tls.certificate_file",
                "cannot load '" + options.tls_certificate_file + "': " + ec.message());
  }
  ctx->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
  if (ec) {
    return fail("server.tls.key_file",
                "cannot load '" + options.tls_key_file + "': " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return fail("server.tls.key_file", "does not match the certificate");
  }
  return ctx;
}

// Accepts connections and starts sessions. Lives on its own strand.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, std::shared_ptr<EdgeContext> ctx, ssl::context* tls)
      : ioc_(ioc),
        strand_(net::make_strand(ioc)),
        acceptor_(strand_),
        retry_timer_(strand_),
        ctx_(std::move(ctx)),
        tls_(tls) {}

  common::Status Open(const tcp::endpoint& endpoint) {
    error_code ec;
    auto step = [&](std::string_view what) {
      return common::Status(common::Code::kUnavailable,
                            "cannot listen on " + endpoint.address().to_string() + ":" +
                                std::to_string(endpoint.port()) + ": " + std::string(what) + ": " +
                                ec.message());
    };
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) return step("open");
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (ec) return step("set_option");
    acceptor_.bind(endpoint, ec);
    if (ec) return step("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return step("listen");
    bound_ = acceptor_.local_endpoint(ec);
    if (ec) return step("local_endpoint");
    return common::Status::Ok();
  }

  const tcp::endpoint& bound() const { return bound_; }

  void Run() {
    net::dispatch(strand_, [self = shared_from_this()] { self->Accept(); });
  }

  void Stop() {
    net::post(strand_, [self = shared_from_this()] {
      error_code ec;
      self->acceptor_.close(ec);
      self->retry_timer_.cancel();
    });
  }

 private:
  void Accept() {
    if (!acceptor_.is_open()) return;
    acceptor_.async_accept(net::make_strand(ioc_),
                           [self = shared_from_this()](error_code ec, tcp::socket socket) {
                             self->OnAccept(ec, std::move(socket));
                           });
  }

  void OnAccept(error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // E.g. out of file descriptors: back off briefly instead of spinning.
      common::log::Warn("accept_failed", {{"error", ec.message()}});
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([self = shared_from_this()](error_code wec) {
        if (!wec) self->Accept();
      });
      return;
    }
    if (ctx_->draining.load()) {
      error_code ignored;
      socket.close(ignored);
      return;
    }
    if (tls_ != nullptr) {
      StartTlsSession(std::move(socket), *tls_, ctx_);
    } else {
      StartPlainSession(std::move(socket), ctx_);
    }
    Accept();
  }

  net::io_context& ioc_;
  net::strand<net::io_context::executor_type> strand_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::shared_ptr<EdgeContext> ctx_;
  ssl::context* tls_;
  tcp::endpoint bound_;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::string address;
  uint16_t port = 0;
  std::unique_ptr<ssl::context> tls;
  std::shared_ptr<EdgeContext> ctx;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  std::once_flag shutdown_once;

  explicit Impl(int io_threads) : ioc(io_threads) {}

  void RunIo() {
    // The boundary for anything thrown inside a completion handler (Beast and Asio may throw,
    // e.g. std::bad_alloc): log it and keep the thread serving.
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        common::log::Error("io_exception", {{"what", e.what()}});
      } catch (...) {
        common::log::Error("io_exception", {{"what", "unknown"}});
      }
    }
  }

  void DoShutdown() {
    if (!ctx) return;
    ctx->draining.store(true);
    if (listener) listener->Stop();
    for (auto& session : ctx->registry.Snapshot()) session->Drain();
    auto deadline = std::chrono::steady_clock::now() + options.drain_timeout;
    bool drained = ctx->registry.WaitEmpty(deadline);
    if (!drained) {
      common::log::Warn("drain_timeout", {{"connections", ctx->registry.Size()}});
      for (auto& session : ctx->registry.Snapshot()) session->ForceClose();
      ctx->registry.WaitEmpty(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    }
    // Let handlers still running finish (they may hold the store), then drop queued ones.
    for (auto& pool : ctx->TakePools()) {
      if (!drained) pool->stop();
      pool->join();
      pool.reset();
    }
    work.reset();
    ioc.stop();
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Shutdown(); }

common::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options,
                                                        Handler handler, ReadinessProbe ready,
                                                        Metrics& metrics) {
  int io_threads = std::max(1, options.io_threads);
  auto impl = std::make_unique<Impl>(io_threads);
  impl->options = options;

  error_code ec;
  net::ip::address address = net::ip::make_address(options.host, ec);
  if (ec) {
    return common::Error(common::Code::kInvalidArgument,
                         "server.listen: not an IP address: " + options.host);
  }
  if (!options.tls_certificate_file.empty() || !options.tls_key_file.empty()) {
    ASSIGN_OR_RETURN(impl->tls, MakeTlsContext(options));
  }
  try {
    impl->ctx =
        std::make_shared<EdgeContext>(options, std::move(handler), std::move(ready), metrics);
  } catch (const std::exception& e) {
    return common::Error(common::Code::kInternal,
                         std::string("cannot start the handler pool: ") + e.what());
  }
  impl->listener = std::make_shared<Listener>(impl->ioc, impl->ctx, impl->tls.get());
  common::Status opened = impl->listener->Open(tcp::endpoint(address, options.port));
  if (!opened.ok()) {
    impl->DoShutdown();
    return common::Error(std::move(opened));
  }
  impl->address = impl->listener->bound().address().to_string();
  impl->port = impl->listener->bound().port();
  impl->work.emplace(impl->ioc.get_executor());
  impl->listener->Run();
  try {
    for (int i = 0; i < io_threads; ++i) {
      impl->threads.emplace_back([raw = impl.get()] { raw->RunIo(); });
    }
  } catch (const std::exception& e) {
    impl->DoShutdown();
    return common::Error(common::Code::kInternal,
                         std::string("cannot start the I/O threads: ") + e.what());
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

const std::string& Server::address() const { return impl_->address; }
uint16_t Server::port() const { return impl_->port; }
bool Server::tls() const { return impl_->tls != nullptr; }
bool Server::draining() const { return impl_->ctx && impl_->ctx->draining.load(); }

void Server::Shutdown() {
  if (!impl_) return;
  std::call_once(impl_->shutdown_once, [this] { impl_->DoShutdown(); });
}

}  // namespace gateway::http
