#pragma once
// A small blocking HTTP/1.1 client for integration tests (Beast, synchronous). Keeps the
// connection alive between requests and reconnects when the server closed it. Not
// thread-safe: use one client per thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emg::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  bool ok = false;  // false: transport failure (see `error`); status/headers/body unset
  std::string error;
  int status = 0;
  Headers headers;  // names lower-cased, in received order
  std::string body;
  bool keep_alive = false;

  // First header with this (case-insensitive) name, or empty.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port,
             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request (adds Host, and Content-Length when there is a body or the method is
  // POST/PUT/PATCH). Reuses the open connection when the previous response allowed it.
  HttpResult Request(std::string_view method, std::string_view target, const Headers& headers = {},
                     std::string_view body = {});
  HttpResult Get(std::string_view target, const Headers& headers = {}) {
    return Request("GET", target, headers);
  }

  // Opens a fresh connection, writes `bytes` as they are, half-closes only if asked, and
  // returns everything the server sends until it closes or `timeout` passes.
  std::string SendRaw(std::string_view bytes, bool shutdown_write = false);

  // Connections opened so far by Request() (keep-alive reuse tests).
  int connections_opened() const { return connections_opened_; }
  bool connected() const;
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int connections_opened_ = 0;
};

// Parses the status code of a raw response ("HTTP/1.1 400 Bad Request\r\n..."), or 0.
int RawStatus(std::string_view raw);

}  // namespace emg::test
