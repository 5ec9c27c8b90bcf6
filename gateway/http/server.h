#pragma once
// The HTTP/1.1 edge: a Boost.Beast asynchronous server (plain or TLS, chosen by the options).
//
// Threading: one io_context run by `io_threads` threads; each connection has its own strand
// and keeps itself alive with shared_from_this. The request handler runs on one of two
// blocking pools and its response is posted back to the connection's strand, so I/O threads
// never block: GET and HEAD on `read_handler_threads` threads (about one per core: reads are
// CPU-bound and extra threads only add context switches), every other method on
// `handler_threads` threads (writes park on the store's group commit, and every parked
// request is one more unit the next commit can carry). Requests on one connection are handled
// one at a time, in order (pipelining-safe).
//
// Per request the edge: enforces the header limit (431) and the body limit (413, from
// Content-Length before reading the body and while reading a chunked one), answers malformed
// requests with 400, parses the target (HttpRequest::path and ::query), decodes form bodies of
// POST .../_search into the query (HttpRequest::form_search), chooses the request id
// (X-Request-Id on every response), serves /healthz, /readyz and /metrics itself, turns an
// exception escaping the handler into a 500 OperationOutcome, and writes one access-log line
// and the request metrics.
//
// Deadlines: `read_timeout` for the header and again for the body (from the first byte of the
// request), `write_timeout` per response, `idle_timeout` between requests on a kept-alive
// connection.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "gateway/http/metrics.h"
#include "gateway/rest/message.h"

namespace gateway::http {

// The FHIR handler. Called concurrently from the blocking pool; should not throw.
using Handler = std::function<HttpResponse(const HttpRequest&)>;
// True when the backing store can serve (for /readyz). Called on I/O threads: must be cheap.
using ReadinessProbe = std::function<bool()>;

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IP address literal
  uint16_t port = 8080;            // 0: any free port (see Server::port())
  int io_threads = 1;
  int handler_threads = 4;       // POST, PUT, DELETE, PATCH, ...
  int read_handler_threads = 2;  // GET, HEAD
  uint32_t header_limit_bytes = 16 * 1024;
  uint64_t body_limit_bytes = 16 * 1024 * 1024;
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds drain_timeout{10'000};
  // TLS (1.2 minimum) when both are set: PEM certificate chain and private key.
  std::string tls_certificate_file;
  std::string tls_key_file;
};

class Server {
 public:
  // Binds, starts the I/O threads and the handler pool, and begins accepting. Fails (never
  // throws) when the address cannot be bound or the TLS files cannot be loaded. `metrics`
  // must outlive the server.
  static common::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                         Handler handler, ReadinessProbe ready,
                                                         Metrics& metrics);
  ~Server();  // Shutdown() if not done yet
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound address and the real port (useful with port 0).
  const std::string& address() const;
  uint16_t port() const;
  bool tls() const;
  bool draining() const;

  // Graceful shutdown; blocks until done. Stops accepting and makes /readyz answer 503,
  // closes idle keep-alive connections, lets requests in flight finish (their responses carry
  // Connection: close) for up to `drain_timeout`, then closes whatever is left, waits for the
  // handler pool and stops the I/O threads. Idempotent. After it returns no handler runs.
  void Shutdown();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gateway::http
