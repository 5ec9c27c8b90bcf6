#pragma once
// Optional push delivery of the EHR outbox (ehr.push_url): a background thread POSTs every
// pending outbox message to the hospital's message service and acknowledges it on a 2xx
// answer, exactly as a pull client would (adapters/ehr/outbox.h).
//
//   2xx                      delivered: Outbox::Acknowledge
//   408, 429, 5xx, no answer retried with exponential backoff (initial * 2^(n-1), capped at
//                            max, with jitter of up to half the delay), the attempt and the
//                            next time recorded on the entry
//   any other 4xx            the service refuses the message: no retry helps, dead letter now
//   max_attempts reached     dead letter: the entry fails and a follow-up Task opens
//
// All state is on the entries themselves, so a restart picks up where it left off. Counts are
// in /metrics: emg_ehr_push_attempts_total{result}, emg_ehr_outbox_dead_letters_total,
// emg_ehr_outbox_pending. The request carries the XML as application/xml with the headers
// X-EHR-Msg-Id, X-EHR-Msg-Type, X-EHR-Destination-HER-Id and X-Outbox-Entry; logs carry the
// outcome and status code only.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "adapters/ehr/outbox.h"
#include "gateway/http/http_client.h"
#include "gateway/http/metrics.h"

namespace gateway::ehr {

struct PushOptions {
  common::HttpUrl url;
  int max_attempts = 10;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{300'000};
  std::chrono::milliseconds poll_interval{500};
  int batch = 100;  // entries looked at per pass
};

// The delay before attempt `failed + 1` after `failed` failures, before jitter.
std::chrono::milliseconds PushBackoff(const PushOptions& options, int failed);

class EhrPusher {
 public:
  EhrPusher(PushOptions options, std::unique_ptr<http::HttpClient> client,
            adapters::ehr::Outbox& outbox, http::Metrics& metrics);
  ~EhrPusher();  // Stop()
  EhrPusher(const EhrPusher&) = delete;
  EhrPusher& operator=(const EhrPusher&) = delete;

  void Start();
  // Finishes the attempt in flight (bounded by the client's timeout), then returns.
  void Stop();

  // One pass over the pending entries that are due: the background thread's work, callable
  // directly. Returns the number of delivery attempts made.
  int RunOnce();

 private:
  void Loop();
  void Deliver(const adapters::ehr::OutboxMessage& m);

  PushOptions options_;
  std::unique_ptr<http::HttpClient> client_;
  adapters::ehr::Outbox& outbox_;
  http::Metrics& metrics_;
  std::mt19937 jitter_{std::random_device{}()};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gateway::ehr
