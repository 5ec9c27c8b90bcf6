// GCC 12 at -O2 and above reports -Wnull-dereference inside Boost.Asio's strand and scheduler
// code (system headers; false positives). The pragma has to precede every include to reach them.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "integration/support/http_client.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <exception>

namespace emg::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string HttpResult::Header(std::string_view name) const {
  std::string lower = Lower(name);
  for (const auto& [k, v] : headers) {
    if (k == lower) return v;
  }
  return {};
}

bool HttpResult::HasHeader(std::string_view name) const {
  std::string lower = Lower(name);
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return h.first == lower; });
}

struct HttpClient::Impl {
  std::string host;
  uint16_t port;
  std::chrono::milliseconds timeout;
  net::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  beast::error_code Connect() {
    stream = std::make_unique<beast::tcp_stream>(ioc);
    buffer.clear();
    beast::error_code ec;
    auto address = net::ip::make_address(host, ec);
    if (ec) return ec;
    stream->expires_after(timeout);
    stream->connect(tcp::endpoint(address, port), ec);
    if (ec) stream.reset();
    return ec;
  }
};

HttpClient::HttpClient(std::string host, uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() { Close(); }

bool HttpClient::connected() const { return impl_->stream != nullptr; }

void HttpClient::Close() {
  if (!impl_->stream) return;
  beast::error_code ec;
  impl_->stream->socket().shutdown(tcp::socket::shutdown_both, ec);
  impl_->stream->close();
  impl_->stream.reset();
}

HttpResult HttpClient::Request(std::string_view method, std::string_view target,
                               const Headers& headers, std::string_view body) {
  HttpResult result;
  try {
    http::request<http::string_body> req;
    req.version(11);
    http::verb verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) {
      req.method_string(method);
    } else {
      req.method(verb);
    }
    req.target(target);
    req.set(http::field::host, impl_->host + ":" + std::to_string(impl_->port));
    for (const auto& [name, value] : headers) req.insert(name, value);
    req.body() = std::string(body);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.prepare_payload();
    }
    // A kept-alive connection may have been closed by the server meanwhile (idle timeout):
    // retry once on a fresh connection when the write or the first read fails.
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = impl_->stream != nullptr;
      if (!reused) {
        beast::error_code ec = impl_->Connect();
        if (ec) {
          result.error = "connect: " + ec.message();
          return result;
        }
        ++connections_opened_;
      }
      beast::error_code ec;
      impl_->stream->expires_after(impl_->timeout);
      http::write(*impl_->stream, req, ec);
      http::response_parser<http::string_body> parser;
      parser.body_limit(256 * 1024 * 1024);
      parser.skip(method == "HEAD");
      if (!ec) http::read(*impl_->stream, impl_->buffer, parser, ec);
      if (ec) {
        Close();
        if (reused && (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
                       ec == net::error::broken_pipe || ec == net::error::eof)) {
          continue;
        }
        result.error = ec.message();
        return result;
      }
      auto res = parser.release();
      result.ok = true;
      result.status = static_cast<int>(res.result_int());
      for (const auto& f : res) result.headers.emplace_back(Lower(f.name_string()), f.value());
      result.body = std::move(res.body());
      result.keep_alive = res.keep_alive();
      if (!result.keep_alive) Close();
      return result;
    }
    result.error = "connection closed twice";
  } catch (const std::exception& e) {
    Close();
    result.ok = false;
    result.error = e.what();
  }
  return result;
}

std::string HttpClient::SendRaw(std::string_view bytes, bool shutdown_write) {
  std::string out;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->host, ec);
  if (ec) return out;
  stream.expires_after(impl_->timeout);
  stream.connect(tcp::endpoint(address, impl_->port), ec);
  if (ec) return out;
  net::write(stream, net::buffer(bytes.data(), bytes.size()), ec);
  if (shutdown_write) stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  char buf[16 * 1024];
  for (;;) {
    stream.expires_after(impl_->timeout);
    size_t n = stream.read_some(net::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

int RawStatus(std::string_view raw) {
  // "HTTP/1.1 400 ..."
  if (raw.size() < 12 || !raw.starts_with("HTTP/1.")) return 0;
  int status = 0;
  std::from_chars(raw.data() + 9, raw.data() + 12, status);
  return status;
}

}  // namespace emg::test
