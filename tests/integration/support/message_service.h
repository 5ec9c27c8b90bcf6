#pragma once
// A stand-in for the hospital's message service on loopback: a real HTTP server (Beast, one
// thread) that records every request and answers with scripted statuses, for the push
// delivery tests.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace emg::test {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class MessageService {
 public:
  // Answers the n-th request with statuses[n], and every later one with the last status.
  explicit MessageService(std::vector<int> statuses);
  ~MessageService();
  MessageService(const MessageService&) = delete;
  MessageService& operator=(const MessageService&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/meldinger"; }
  std::vector<ReceivedRequest> received() const;
  size_t count() const;

 private:
  void Serve();

  std::vector<int> statuses_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<ReceivedRequest> received_;
  std::thread thread_;
};

}  // namespace emg::test
