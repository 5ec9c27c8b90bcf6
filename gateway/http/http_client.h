#pragma once
// A small blocking HTTP/1.1 client for the gateway's own outbound calls (pushing outbox
// messages to the hospital's message service; OpenID Connect discovery, JWKS and token
// requests). One request per connection, a deadline over
// the whole exchange, TLS with certificate and host name verification for https.

#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/url.h"

namespace boost::asio::ssl {
class context;
}

namespace gateway::http {

struct ClientResponse {
  int status = 0;     // 0: no response (then `error` says why)
  std::string body;   // at most 1 MiB is read
  std::string error;  // transport failure: connect refused, timeout, TLS, ... (no payload)
};

class HttpClient {
 public:
  // `ca_file` (PEM) replaces the system's trust store for https when not empty.
  static common::StatusOr<std::unique_ptr<HttpClient>> Create(std::chrono::milliseconds timeout,
                                                              const std::string& ca_file);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Thread-safe: every call has its own connection and I/O context.
  ClientResponse Post(const common::HttpUrl& url, std::string_view body,
                      const std::vector<std::pair<std::string, std::string>>& headers);
  ClientResponse Get(const common::HttpUrl& url,
                     const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  ClientResponse Send(boost::beast::http::verb verb, const common::HttpUrl& url,
                      std::string_view body,
                      const std::vector<std::pair<std::string, std::string>>& headers);
  HttpClient(std::chrono::milliseconds timeout, std::unique_ptr<boost::asio::ssl::context> tls);
  std::chrono::milliseconds timeout_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace gateway::http
