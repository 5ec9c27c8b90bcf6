#pragma once
// A stand-in for the hospital's message service on loopback: a real HTTP or HTTPS server
// (Beast, one thread) that records every request and answers with scripted statuses, for the
// push delivery tests.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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

// PEM files of a server certificate and its key, for HTTPS.
struct TlsFiles {
  std::string certificate;
  std::string key;
};

// Makes, with the openssl command, a test CA (`dir`/ca.pem) and a server certificate it
// signed (`dir`/server.pem, server.key) whose subjectAltName is `san` ("IP:127.0.0.1",
// "DNS:other.example"). Returns false (with the command's output in `error`) on failure.
bool MakeTestCertificates(const std::string& dir, const std::string& san, std::string* error);

class MessageService {
 public:
  // Answers the n-th request with statuses[n], and every later one with the last status.
  // With `tls`, it speaks HTTPS only.
  explicit MessageService(std::vector<int> statuses, std::optional<TlsFiles> tls = std::nullopt);
  ~MessageService();
  MessageService(const MessageService&) = delete;
  MessageService& operator=(const MessageService&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
           "/meldinger";
  }
  // TLS handshakes that failed (the client refused our certificate, or spoke plain HTTP).
  size_t failed_handshakes() const { return failed_handshakes_; }
  std::vector<ReceivedRequest> received() const;
  size_t count() const;

 private:
  void Serve();

  std::vector<int> statuses_;
  std::optional<TlsFiles> tls_;
  std::atomic<size_t> failed_handshakes_{0};
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<ReceivedRequest> received_;
  std::thread thread_;
};

}  // namespace emg::test
