#pragma once
// A small metrics registry rendering the Prometheus text exposition format 0.0.4.
// Lock-light: every series is a set of atomics; a series is created once under a mutex and
// found afterwards under a shared lock. Label values are bounded by construction: methods are
// normalised to a fixed set, routes are templates, statuses are 100-599.
//
// Series:
//   emg_http_requests_total{method,route,status}                     counter
//   emg_http_request_duration_seconds{route,status_class}            histogram (0.1 ms .. 10 s)
//   emg_http_requests_in_flight                                      gauge
//   emg_http_connections_active, emg_http_connections_accepted_total gauge, counter
//   emg_http_handler_exceptions_total                                counter
//   emg_store_commit_duration_seconds                                histogram
//   emg_store_commit_batch_units                                     histogram
//   emg_ehr_push_attempts_total{result}                              counter (ehr_pusher.h)
//   emg_ehr_outbox_dead_letters_total, emg_ehr_outbox_pending        counter, gauge
//   emg_ehr_inbound_messages_total{apprec_status}                    counter (ehr_routes.h)
//   emg_ehr_inbound_deviations_total{kind}                           counter (ehr_routes.h)
//   emg_process_uptime_seconds, emg_process_start_time_seconds       gauges
//   emg_build_info{version}                                          gauge (always 1)

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace gateway::http {

// A histogram with fixed upper bounds (seconds or units). Thread-safe, wait-free Observe().
class Histogram {
 public:
  explicit Histogram(std::span<const double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);
  uint64_t Count() const;
  double Sum() const;

  // Appends _bucket/_sum/_count lines. `labels` is `k="v",...` without braces (may be empty).
  void Render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, last is +Inf
  std::atomic<double> sum_{0.0};
};

// Bucket bounds for request latency: 0.1 ms .. 10 s.
std::span<const double> LatencyBuckets();
// Bucket bounds for commit batch sizes: 1 .. 1024 units.
std::span<const double> BatchBuckets();

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished request (counter and latency histogram).
  void ObserveRequest(std::string_view method, std::string_view route, int status, double seconds);
  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void RequestFinished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  void ConnectionOpened();
  void ConnectionClosed() { connections_active_.fetch_sub(1, std::memory_order_relaxed); }
  void HandlerException() { handler_exceptions_.fetch_add(1, std::memory_order_relaxed); }
  // Fed by fhir::store::Store::SetCommitObserver.
  void ObserveCommit(double seconds, size_t units);

  // EHR outbox push (gateway/ehr/ehr_pusher.h). `result` is one of kEhrPushResults.
  void CountEhrPush(std::string_view result);
  void CountEhrDeadLetter() { ehr_dead_letters_.fetch_add(1, std::memory_order_relaxed); }
  void SetEhrOutboxPending(int64_t n) { ehr_outbox_pending_.store(n, std::memory_order_relaxed); }
  static constexpr std::string_view kEhrPushResults[] = {"delivered", "retry", "dead_letter",
                                                         "ack_failed"};
  // Inbound EHR messages newly received (gateway/ehr/ehr_routes.h): by the AppRec status given
  // (one of kEhrApprecStatuses; "none" for a received receipt), and once per message for every
  // kind of deviation tolerated in it (adapters/ehr/quirks.h). Kinds are the adapter's fixed
  // codes; at most kMaxEhrDeviationKinds distinct labels are kept, the rest count as "other".
  void CountEhrInbound(std::string_view apprec_status);
  void CountEhrDeviation(std::string_view kind);
  uint64_t EhrDeviationCount(std::string_view kind) const;  // for tests
  static constexpr std::string_view kEhrApprecStatuses[] = {"1", "2", "3", "none"};
  static constexpr size_t kMaxEhrDeviationKinds = 64;

  int64_t InFlight() const { return in_flight_.load(std::memory_order_relaxed); }
  uint64_t HandlerExceptions() const { return handler_exceptions_.load(); }
  // The current value of one requests_total series (0 if absent). For tests.
  uint64_t RequestCount(std::string_view method, std::string_view route, int status) const;

  // Prometheus text format 0.0.4.
  std::string Render() const;

  // "GET", "POST", ... for the standard methods, else "OTHER" (bounds label cardinality).
  static std::string_view NormalizeMethod(std::string_view method);
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  using RequestKey = std::tuple<std::string, std::string, int>;  // method, route, status
  using DurationKey = std::tuple<std::string, std::string>;      // route, status class

  mutable std::shared_mutex mutex_;  // guards the maps' structure, not the values
  std::map<RequestKey, std::unique_ptr<std::atomic<uint64_t>>, std::less<>> requests_;
  std::map<DurationKey, std::unique_ptr<Histogram>, std::less<>> durations_;

  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> connections_active_{0};
  std::atomic<uint64_t> connections_accepted_{0};
  std::atomic<uint64_t> handler_exceptions_{0};
  std::atomic<uint64_t> ehr_push_[4] = {};  // by kEhrPushResults
  std::atomic<uint64_t> ehr_dead_letters_{0};
  std::atomic<int64_t> ehr_outbox_pending_{0};
  std::atomic<uint64_t> ehr_inbound_[4] = {};  // by kEhrApprecStatuses
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>, std::less<>>
      ehr_deviations_;  // guarded by mutex_ (structure)
  Histogram commit_duration_;
  Histogram commit_units_;
  std::chrono::steady_clock::time_point start_steady_;
  double start_unix_seconds_;
};

// Appends a label value escaped for the text format (\\, \", \n).
void AppendLabelValue(std::string& out, std::string_view value);
// Appends a number: shortest round-trip form, "+Inf"/"-Inf"/"NaN" for the specials.
void AppendNumber(std::string& out, double value);

}  // namespace gateway::http
