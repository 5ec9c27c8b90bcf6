#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "integration/support/message_service.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstdio>
#include <fstream>

namespace emg::test {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

bool MakeTestCertificates(const std::string& dir, const std::string& san, std::string* error) {
  {
    std::ofstream ext(dir + "/server.ext");
    ext << "subjectAltName=" << san << "\nbasicConstraints=CA:FALSE\n";
  }
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string commands =
      "(cd '" + dir +
      "' && "
      "openssl req -x509 " +
      ec +
      " -keyout ca.key -out ca.pem -days 2 -subj /CN=emg-test-ca && "
      "openssl req " +
      ec +
      " -keyout server.key -out server.csr -subj /CN=emg-test-server && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem "
      "-days 2 -extfile server.ext)";
  std::string out;
  FILE* p = ::popen((commands + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    *error = "cannot run openssl";
    return false;
  }
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  int rc = ::pclose(p);
  if (rc != 0) *error = out;
  return rc == 0;
}

MessageService::MessageService(std::vector<int> statuses, std::optional<TlsFiles> tls)
    : statuses_(std::move(statuses)), tls_(std::move(tls)) {
  if (statuses_.empty()) statuses_.push_back(200);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    ADD_FAILURE() << "the test message service cannot listen on loopback";
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

MessageService::~MessageService() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

std::vector<ReceivedRequest> MessageService::received() const {
  std::lock_guard lock(mu_);
  return received_;
}

size_t MessageService::count() const {
  std::lock_guard lock(mu_);
  return received_.size();
}

namespace {

// Reads one request from `stream`, records it with `record`, answers with the status it returns.
template <typename Stream, typename Record>
void Exchange(Stream& stream, Record record) {
  boost::system::error_code ec;
  boost::beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> req;
  bhttp::read(stream, buffer, req, ec);
  if (ec) return;
  ReceivedRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(field.value());
  }
  r.body = req.body();
  int status = record(std::move(r));
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "text/plain");
  res.set(bhttp::field::connection, "close");
  res.body() = status < 300 ? "mottatt" : "feil";
  res.prepare_payload();
  bhttp::write(stream, res, ec);
}

}  // namespace

void MessageService::Serve() {
  asio::io_context io;
  std::optional<asio::ssl::context> ctx;
  if (tls_) {
    ctx.emplace(asio::ssl::context::tls_server);
    ctx->use_certificate_chain_file(tls_->certificate);
    ctx->use_private_key_file(tls_->key, asio::ssl::context::pem);
  }
  auto record = [this](ReceivedRequest r) {
    std::lock_guard lock(mu_);
    int status = statuses_[std::min(received_.size(), statuses_.size() - 1)];
    received_.push_back(std::move(r));
    return status;
  };
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    timeval limit{5, 0};  // a client that connects and says nothing cannot hold the service
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    (void)socket.assign(asio::ip::tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      continue;
    }
    if (!ctx) {
      Exchange(socket, record);
      (void)socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      continue;
    }
    asio::ssl::stream<asio::ip::tcp::socket> stream(std::move(socket), *ctx);
    (void)stream.handshake(asio::ssl::stream_base::server, ec);
    if (ec) {
      ++failed_handshakes_;
      continue;
    }
    Exchange(stream, record);
    (void)stream.shutdown(ec);
  }
}

}  // namespace emg::test
