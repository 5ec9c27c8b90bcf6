// The HTTP ceiling of this machine for the benchmark: a minimal Boost.Beast asynchronous
// HTTP/1.1 server answering every request with the same small JSON body, with keep-alive.
// It uses the gateway's threading model (one io_context run by N threads, a strand per
// connection) and nothing else: no routing, no handler pool, no logging, no timeouts.
//
//   ceiling_server [PORT [THREADS]]     defaults: 8081, one thread per CPU
//
// Prints {"event":"listening","port":N} on stderr (PORT 0 picks a free port) and stops on
// SIGINT/SIGTERM.

// GCC 12 at -O2 and above reports -Wnull-dereference inside Boost.Asio's strand and scheduler
// code (system headers; false positives). The pragma has to precede every include to reach them.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

constexpr std::string_view kBody = R"({"resourceType":"OperationOutcome","issue":[{"severity":)"
                                   R"("information","code":"informational"}]})";

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket&& socket) : stream_(std::move(socket)) {}

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return Close();
    response_ = {};
    response_.result(http::status::ok);
    response_.version(request_.version());
    response_.set(http::field::content_type, "application/fhir+json");
    response_.body() = kBody;
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec) return;
    if (!response_.keep_alive()) return Close();
    Read();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::acceptor&& acceptor)
      : ioc_(ioc), acceptor_(std::move(acceptor)) {}

  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket))->Run();
    }
    Accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
};

int Usage() {
  std::fprintf(stderr, "usage: ceiling_server [PORT [THREADS]]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 3) return Usage();
  char* end = nullptr;
  long port = argc > 1 ? std::strtol(argv[1], &end, 10) : 8081;
  if (argc > 1 && (*end != '\0' || port < 0 || port > 65535)) return Usage();
  long threads = argc > 2 ? std::strtol(argv[2], &end, 10)
                          : static_cast<long>(std::thread::hardware_concurrency());
  if (argc > 2 && (*end != '\0' || threads < 1 || threads > 1024)) return Usage();
  if (threads < 1) threads = 1;

  net::io_context ioc(static_cast<int>(threads));
  tcp::acceptor acceptor(ioc);
  beast::error_code ec;
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "ceiling_server: cannot listen on port %ld: %s\n", port,
                 ec.message().c_str());
    return 1;
  }
  unsigned short bound = acceptor.local_endpoint().port();
  std::make_shared<Listener>(ioc, std::move(acceptor))->Accept();

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&ioc](beast::error_code, int) { ioc.stop(); });

  std::fprintf(stderr, "{\"event\":\"listening\",\"port\":%u,\"threads\":%ld}\n", bound, threads);
  std::vector<std::thread> pool;
  for (long i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
