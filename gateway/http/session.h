#pragma once
// Internal to the HTTP edge: the state shared by the listener and its sessions, the session
// registry used for graceful shutdown, and the session entry points (gateway/http/session.cpp).

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/http/metrics.h"
#include "gateway/http/server.h"
#include "gateway/rest/message.h"

namespace gateway::http {

// What a session must offer the server at shutdown. Both calls may come from any thread; the
// session does the work on its own strand.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  // Close if idle between requests; otherwise finish the current request with Connection:
  // close.
  virtual void Drain() = 0;
  // Close the connection now.
  virtual void ForceClose() = 0;
};

// Live sessions, for draining. Sessions add themselves when they start and remove themselves
// when destroyed.
class SessionRegistry {
 public:
  void Add(const std::shared_ptr<SessionBase>& session);
  void Remove(const SessionBase* session);
  std::vector<std::shared_ptr<SessionBase>> Snapshot();
  size_t Size();
  // True when the registry became empty before `deadline`.
  bool WaitEmpty(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::condition_variable empty_;
  std::unordered_map<const SessionBase*, std::weak_ptr<SessionBase>> sessions_;
};

// Shared by the server and every session (sessions hold it by shared_ptr).
struct EdgeContext {
  // Starts the handler pools (options.read_handler_threads and options.handler_threads).
  EdgeContext(ServerOptions o, Handler h, ReadinessProbe r, Metrics& m);

  enum class Pool { kRead, kWrite };
  // The pool for a request method: kRead for GET and HEAD, kWrite otherwise.
  static Pool PoolFor(std::string_view method);
  // Runs `job` on a blocking pool. False once the pools have been stopped.
  bool PostToPool(Pool pool, std::function<void()> job);
  // Takes both pools out (at shutdown), so no more jobs can be posted.
  std::vector<std::unique_ptr<boost::asio::thread_pool>> TakePools();
  // Calls the handler, turning an escaping exception into a 500 OperationOutcome + counter.
  HttpResponse InvokeHandler(const HttpRequest& request);

  const ServerOptions options;
  const Handler handler;
  const ReadinessProbe ready;
  Metrics& metrics;
  std::atomic<bool> draining{false};
  SessionRegistry registry;

 private:
  std::mutex pool_mutex_;
  std::unique_ptr<boost::asio::thread_pool> read_pool_;
  std::unique_ptr<boost::asio::thread_pool> write_pool_;
};

// Starts a session on an accepted socket (whose executor is the connection's strand).
void StartPlainSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<EdgeContext> ctx);
void StartTlsSession(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
                     std::shared_ptr<EdgeContext> ctx);

}  // namespace gateway::http
