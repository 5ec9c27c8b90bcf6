// GCC 12 at -O2 and above reports -Wnull-dereference inside Boost.Asio's strand and scheduler
// code (system headers; false positives). The pragma has to precede every include to reach them.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "gateway/http/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <charconv>
#include <exception>

namespace gateway::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

common::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(std::chrono::milliseconds timeout,
                                                                 const std::string& ca_file) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file, ec);
  }
  if (ec) {
    return common::Error(common::Code::kInvalidArgument,
                         "cannot load the TLS trust store" +
                             (ca_file.empty() ? std::string() : " '" + ca_file + "'") + ": " +
                             ec.message());
  }
  return std::unique_ptr<HttpClient>(new HttpClient(timeout, std::move(ctx)));
}

HttpClient::HttpClient(std::chrono::milliseconds timeout, std::unique_ptr<ssl::context> tls)
    : timeout_(timeout), tls_(std::move(tls)) {}

HttpClient::~HttpClient() = default;

namespace {

// Each step is asynchronous so that tcp_stream's deadline (set once, over the whole exchange)
// applies: Beast enforces timeouts on asynchronous operations only.
template <typename Stream>
asio::awaitable<ClientResponse> Exchange(
    Stream& stream, bhttp::verb verb, const common::HttpUrl& url, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  ClientResponse out;
  bhttp::request<bhttp::string_body> req{verb, url.target, 11};
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != (url.tls ? 443 : 80)) host += ":" + std::to_string(url.port);
  req.set(bhttp::field::host, host);
  req.set(bhttp::field::user_agent, "emeistring-gateway/" EMG_VERSION);
  req.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : headers) req.set(name, value);
  if (verb != bhttp::verb::get) {
    req.body() = std::string(body);
    req.prepare_payload();
  }
  auto [wec, written] =
      co_await bhttp::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
  (void)written;
  if (wec) {
    out.error = "sending failed: " + wec.message();
    co_return out;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1024 * 1024);
  auto [rec, read] =
      co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  (void)read;
  if (rec) {
    out.error = "no response: " + rec.message();
    co_return out;
  }
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
  co_return out;
}

asio::awaitable<ClientResponse> Run(bhttp::verb verb, const common::HttpUrl& url,
                                    std::string_view body,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::chrono::milliseconds timeout, ssl::context& tls) {
  auto executor = co_await asio::this_coro::executor;
  ClientResponse failed;
  tcp::resolver resolver(executor);
  auto [ec, endpoints] = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                         asio::as_tuple(asio::use_awaitable));
  if (ec) {
    failed.error = "cannot resolve the host: " + ec.message();
    co_return failed;
  }
  if (!url.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    auto [cec, ep] = co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
    (void)ep;
    if (cec) {
      failed.error = "cannot connect: " + cec.message();
      co_return failed;
    }
    ClientResponse r = co_await Exchange(stream, verb, url, body, headers);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return r;
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  beast::get_lowest_layer(stream).expires_after(timeout);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    failed.error = "TLS: cannot set the server name";
    co_return failed;
  }
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(
      endpoints, asio::as_tuple(asio::use_awaitable));
  (void)ep;
  if (cec) {
    failed.error = "cannot connect: " + cec.message();
    co_return failed;
  }
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client,
                                               asio::as_tuple(asio::use_awaitable));
  if (hec) {
    failed.error = "TLS handshake failed: " + hec.message();
    co_return failed;
  }
  ClientResponse r = co_await Exchange(stream, verb, url, body, headers);
  auto [sec] = co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
  (void)sec;  // many servers close without close_notify
  co_return r;
}

}  // namespace

ClientResponse HttpClient::Post(const common::HttpUrl& url, std::string_view body,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  return Send(bhttp::verb::post, url, body, headers);
}

ClientResponse HttpClient::Get(const common::HttpUrl& url,
                               const std::vector<std::pair<std::string, std::string>>& headers) {
  return Send(bhttp::verb::get, url, {}, headers);
}

ClientResponse HttpClient::Send(boost::beast::http::verb verb, const common::HttpUrl& url,
                                std::string_view body,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  asio::io_context io;
  ClientResponse result;
  result.error = "timed out";
  asio::co_spawn(io, Run(verb, url, body, headers, timeout_, *tls_),
                 [&result](const std::exception_ptr& e, ClientResponse r) {
                   if (e) {
                     result.error = "internal error in the HTTP client";
                     return;
                   }
                   result = std::move(r);
                 });
  // The stream deadline ends every network wait; this bounds name resolution as well.
  io.run_for(timeout_ + std::chrono::seconds(1));
  if (!io.stopped()) io.stop();
  return result;
}

}  // namespace gateway::http
