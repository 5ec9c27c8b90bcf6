#include "gateway/http/metrics.h"

#include <charconv>
#include <cmath>
#include <mutex>

namespace gateway::http {
namespace {

constexpr double kLatencyBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
constexpr double kBatchBuckets[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

constexpr std::string_view kMethods[] = {"GET",   "HEAD",    "POST",  "PUT",    "DELETE",
                                         "PATCH", "OPTIONS", "TRACE", "CONNECT"};

std::string StatusClass(int status) {
  if (status < 100 || status > 599) return "other";
  return std::to_string(status / 100) + "xx";
}

void AppendHeader(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void AppendSample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  AppendNumber(out, value);
  out += '\n';
}

template <typename T>
void AppendInteger(std::string& out, T value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

}  // namespace

void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void AppendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general);
    out.append(buf, end);
  }
}

std::span<const double> LatencyBuckets() { return kLatencyBuckets; }
std::span<const double> BatchBuckets() { return kBatchBuckets; }

Histogram::Histogram(std::span<const double> upper_bounds)
    : bounds_(upper_bounds.begin(), upper_bounds.end()),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

uint64_t Histogram::Count() const {
  uint64_t n = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) n += buckets_[i].load(std::memory_order_relaxed);
  return n;
}

double Histogram::Sum() const { return sum_.load(std::memory_order_relaxed); }

void Histogram::Render(std::string& out, std::string_view name, std::string_view labels) const {
  std::string prefix(labels);
  if (!prefix.empty()) prefix += ',';
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += name;
    out += "_bucket{";
    out += prefix;
    out += "le=\"";
    AppendNumber(out, i < bounds_.size() ? bounds_[i] : INFINITY);
    out += "\"} ";
    AppendInteger(out, cumulative);
    out += '\n';
  }
  std::string base(name);
  AppendSample(out, base + "_sum", labels, Sum());
  AppendSample(out, base + "_count", labels, static_cast<double>(cumulative));
}

Metrics::Metrics()
    : commit_duration_(LatencyBuckets()),
      commit_units_(BatchBuckets()),
      start_steady_(std::chrono::steady_clock::now()),
      start_unix_seconds_(
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count()) {}

std::string_view Metrics::NormalizeMethod(std::string_view method) {
  for (std::string_view m : kMethods) {
    if (m == method) return m;
  }
  return "OTHER";
}

void Metrics::ObserveRequest(std::string_view method, std::string_view route, int status,
                             double seconds) {
  std::string_view m = NormalizeMethod(method);
  std::string status_class = StatusClass(status);
  std::atomic<uint64_t>* counter = nullptr;
  Histogram* histogram = nullptr;
  {
    std::shared_lock lock(mutex_);
    auto c = requests_.find(std::make_tuple(m, route, status));
    if (c != requests_.end()) counter = c->second.get();
    auto h = durations_.find(std::make_tuple(route, std::string_view(status_class)));
    if (h != durations_.end()) histogram = h->second.get();
  }
  if (counter == nullptr || histogram == nullptr) {
    std::unique_lock lock(mutex_);
    auto& c = requests_[RequestKey(std::string(m), std::string(route), status)];
    if (!c) c = std::make_unique<std::atomic<uint64_t>>(0);
    counter = c.get();
    auto& h = durations_[DurationKey(std::string(route), status_class)];
    if (!h) h = std::make_unique<Histogram>(LatencyBuckets());
    histogram = h.get();
  }
  counter->fetch_add(1, std::memory_order_relaxed);
  histogram->Observe(seconds);
}

void Metrics::ConnectionOpened() {
  connections_active_.fetch_add(1, std::memory_order_relaxed);
  connections_accepted_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::ObserveCommit(double seconds, size_t units) {
  commit_duration_.Observe(seconds);
  commit_units_.Observe(static_cast<double>(units));
}

uint64_t Metrics::RequestCount(std::string_view method, std::string_view route, int status) const {
  std::shared_lock lock(mutex_);
  auto it = requests_.find(std::make_tuple(NormalizeMethod(method), route, status));
  return it == requests_.end() ? 0 : it->second->load();
}

std::string Metrics::Render() const {
  std::string out;
  out.reserve(4096);
  std::string labels;
  {
    std::shared_lock lock(mutex_);
    AppendHeader(out, "emg_http_requests_total", "counter",
                 "HTTP requests answered, by method, route template and status.");
    for (const auto& [key, value] : requests_) {
      labels = "method=\"";
      AppendLabelValue(labels, std::get<0>(key));
      labels += "\",route=\"";
      AppendLabelValue(labels, std::get<1>(key));
      labels += "\",status=\"";
      AppendInteger(labels, std::get<2>(key));
      labels += '"';
      AppendSample(out, "emg_http_requests_total", labels,
                   static_cast<double>(value->load(std::memory_order_relaxed)));
    }
    AppendHeader(out, "emg_http_request_duration_seconds", "histogram",
                 "Time from the first request byte to the last response byte.");
    for (const auto& [key, histogram] : durations_) {
      labels = "route=\"";
      AppendLabelValue(labels, std::get<0>(key));
      labels += "\",status_class=\"";
      AppendLabelValue(labels, std::get<1>(key));
      labels += '"';
      histogram->Render(out, "emg_http_request_duration_seconds", labels);
    }
  }
  AppendHeader(out, "emg_http_requests_in_flight", "gauge", "Requests read and not yet answered.");
  AppendSample(out, "emg_http_requests_in_flight", "", static_cast<double>(InFlight()));
  AppendHeader(out, "emg_http_connections_active", "gauge", "Open client connections.");
  AppendSample(out, "emg_http_connections_active", "",
               static_cast<double>(connections_active_.load(std::memory_order_relaxed)));
  AppendHeader(out, "emg_http_connections_accepted_total", "counter",
               "Client connections accepted.");
  AppendSample(out, "emg_http_connections_accepted_total", "",
               static_cast<double>(connections_accepted_.load(std::memory_order_relaxed)));
  AppendHeader(out, "emg_http_handler_exceptions_total", "counter",
               "Exceptions that escaped a request handler (answered with 500).");
  AppendSample(out, "emg_http_handler_exceptions_total", "",
               static_cast<double>(HandlerExceptions()));
  AppendHeader(out, "emg_store_commit_duration_seconds", "histogram",
               "Store group-commit latency, first unit queued to fsync done.");
  commit_duration_.Render(out, "emg_store_commit_duration_seconds", "");
  AppendHeader(out, "emg_store_commit_batch_units", "histogram",
               "Units of work carried by one store commit.");
  commit_units_.Render(out, "emg_store_commit_batch_units", "");
  AppendHeader(out, "emg_ehr_push_attempts_total", "counter",
               "Attempts to push an EHR outbox message to the message service, by outcome.");
  for (size_t i = 0; i < std::size(kEhrPushResults); ++i) {
    labels = "result=\"";
    AppendLabelValue(labels, kEhrPushResults[i]);
    labels += '"';
    AppendSample(out, "emg_ehr_push_attempts_total", labels,
                 static_cast<double>(ehr_push_[i].load(std::memory_order_relaxed)));
  }
  AppendHeader(out, "emg_ehr_outbox_dead_letters_total", "counter",
               "EHR outbox messages given up after the configured push attempts (each has a "
               "follow-up Task).");
  AppendSample(out, "emg_ehr_outbox_dead_letters_total", "",
               static_cast<double>(ehr_dead_letters_.load(std::memory_order_relaxed)));
  AppendHeader(out, "emg_ehr_outbox_pending", "gauge",
               "EHR outbox messages waiting to be delivered, as of the pusher's last pass (at most "
               "its batch size).");
  AppendSample(out, "emg_ehr_outbox_pending", "",
               static_cast<double>(ehr_outbox_pending_.load(std::memory_order_relaxed)));
  AppendHeader(out, "emg_ehr_inbound_messages_total", "counter",
               "EHR messages received (not counting repeats of one already received), by the "
               "AppRec status given: 1 OK, 2 Avvist, 3 OK with an error in a part, none for a "
               "received receipt.");
  for (size_t i = 0; i < std::size(kEhrApprecStatuses); ++i) {
    labels = "apprec_status=\"";
    AppendLabelValue(labels, kEhrApprecStatuses[i]);
    labels += '"';
    AppendSample(out, "emg_ehr_inbound_messages_total", labels,
                 static_cast<double>(ehr_inbound_[i].load(std::memory_order_relaxed)));
  }
  AppendHeader(out, "emg_ehr_inbound_deviations_total", "counter",
               "EHR messages received in which a deviation from the KITH standards was tolerated, "
               "by kind (docs/kith-quirks.md); a message counts once per kind.");
  {
    std::shared_lock lock(mutex_);
    for (const auto& [kind, value] : ehr_deviations_) {
      labels = "kind=\"";
      AppendLabelValue(labels, kind);
      labels += '"';
      AppendSample(out, "emg_ehr_inbound_deviations_total", labels,
                   static_cast<double>(value->load(std::memory_order_relaxed)));
    }
  }
  AppendHeader(out, "emg_process_uptime_seconds", "gauge", "Seconds since the process started.");
  AppendSample(
      out, "emg_process_uptime_seconds", "",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_steady_).count());
  AppendHeader(out, "emg_process_start_time_seconds", "gauge",
               "Start time of the process since the Unix epoch in seconds.");
  AppendSample(out, "emg_process_start_time_seconds", "", start_unix_seconds_);
  AppendHeader(out, "emg_build_info", "gauge", "Build information.");
  labels = "version=\"";
  AppendLabelValue(labels, EMG_VERSION);
  labels += '"';
  AppendSample(out, "emg_build_info", labels, 1);
  return out;
}

void Metrics::CountEhrInbound(std::string_view apprec_status) {
  for (size_t i = 0; i < std::size(kEhrApprecStatuses); ++i) {
    if (kEhrApprecStatuses[i] == apprec_status) {
      ehr_inbound_[i].fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void Metrics::CountEhrDeviation(std::string_view kind) {
  {
    std::shared_lock lock(mutex_);
    if (auto it = ehr_deviations_.find(kind); it != ehr_deviations_.end()) {
      it->second->fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  std::unique_lock lock(mutex_);
  std::string label(kind);
  if (ehr_deviations_.size() >= kMaxEhrDeviationKinds && !ehr_deviations_.contains(label)) {
    label = "other";
  }
  auto& c = ehr_deviations_[label];
  if (!c) c = std::make_unique<std::atomic<uint64_t>>(0);
  c->fetch_add(1, std::memory_order_relaxed);
}

uint64_t Metrics::EhrDeviationCount(std::string_view kind) const {
  std::shared_lock lock(mutex_);
  auto it = ehr_deviations_.find(kind);
  return it == ehr_deviations_.end() ? 0 : it->second->load();
}

void Metrics::CountEhrPush(std::string_view result) {
  for (size_t i = 0; i < std::size(kEhrPushResults); ++i) {
    if (kEhrPushResults[i] == result) ehr_push_[i].fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace gateway::http
