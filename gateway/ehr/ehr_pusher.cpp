#include "gateway/ehr/ehr_pusher.h"

#include <algorithm>

#include "common/log.h"
#include "common/time.h"

namespace gateway::ehr {

std::chrono::milliseconds PushBackoff(const PushOptions& options, int failed) {
  auto delay = options.initial_backoff;
  for (int i = 1; i < failed && delay < options.max_backoff; ++i) delay *= 2;
  return std::min(delay, options.max_backoff);
}

EhrPusher::EhrPusher(PushOptions options, std::unique_ptr<http::HttpClient> client,
                     adapters::ehr::Outbox& outbox, http::Metrics& metrics)
    : options_(std::move(options)),
      client_(std::move(client)),
      outbox_(outbox),
      metrics_(metrics) {}

EhrPusher::~EhrPusher() { Stop(); }

void EhrPusher::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void EhrPusher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EhrPusher::Loop() {
  for (;;) {
    int attempts = RunOnce();
    std::unique_lock lock(mu_);
    if (stopping_) return;
    // A full batch may mean more are waiting: go again at once.
    if (attempts < options_.batch) {
      wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_; });
    }
    if (stopping_) return;
  }
}

int EhrPusher::RunOnce() {
  auto pending = outbox_.Pending(options_.batch);
  if (!pending) {
    common::log::Warn("ehr_push_outbox_unreadable", {{"error", pending.error().message()}});
    return 0;
  }
  metrics_.SetEhrOutboxPending(static_cast<int64_t>(pending->size()));
  const std::string now = common::FormatInstant(common::SystemNow());
  int attempts = 0;
  for (const adapters::ehr::OutboxMessage& m : *pending) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    // Instants are all written by FormatInstant (UTC, fixed width): text order is time order.
    if (!m.next_attempt.empty() && m.next_attempt > now) continue;
    Deliver(m);
    ++attempts;
  }
  return attempts;
}

void EhrPusher::Deliver(const adapters::ehr::OutboxMessage& m) {
  http::ClientResponse r = client_->Post(options_.url, m.xml,
                                         {{"Content-Type", "application/xml; charset=utf-8"},
                                          {"X-EHR-Msg-Id", m.msg_id},
                                          {"X-EHR-Msg-Type", m.msg_type},
                                          {"X-EHR-Destination-HER-Id", m.destination},
                                          {"X-Outbox-Entry", "Task/" + m.id}});
  if (r.status >= 200 && r.status < 300) {
    auto acked = outbox_.Acknowledge(m.id);
    if (!acked) {
      // Delivered but not recorded: it stays pending and goes again; the receiver dedups on
      // MsgId (as every KITH receiver must).
      common::log::Warn("ehr_push_ack_failed", {{"error", acked.error().message()}});
      metrics_.CountEhrPush("ack_failed");
      return;
    }
    metrics_.CountEhrPush("delivered");
    common::log::Info("ehr_push_delivered", {{"type", m.msg_type}, {"status", r.status}});
    return;
  }
  const bool retryable = r.status == 0 || r.status == 408 || r.status == 429 || r.status >= 500;
  std::string reason =
      r.status == 0 ? r.error : "HTTP " + std::to_string(r.status) + " fra meldingstjenesten";
  int max_attempts = retryable ? options_.max_attempts : 1;  // a refusal is final
  auto delay = PushBackoff(options_, m.attempts + 1);
  std::uniform_int_distribution<int64_t> spread(0, delay.count() / 2);
  auto next = common::SystemNow() + std::chrono::milliseconds(delay.count() - spread(jitter_));
  auto recorded = outbox_.RecordFailure(m.id, reason, max_attempts, common::FormatInstant(next));
  if (!recorded) {
    common::log::Warn("ehr_push_failure_unrecorded", {{"error", recorded.error().message()}});
    metrics_.CountEhrPush("retry");
    return;
  }
  if (recorded->dead_letter) {
    metrics_.CountEhrPush("dead_letter");
    metrics_.CountEhrDeadLetter();
    common::log::Error(
        "ehr_push_dead_letter",
        {{"type", m.msg_type}, {"status", r.status}, {"attempts", recorded->attempts}});
  } else {
    metrics_.CountEhrPush("retry");
    common::log::Warn("ehr_push_retry", {{"type", m.msg_type},
                                         {"status", r.status},
                                         {"attempts", recorded->attempts},
                                         {"delay_ms", static_cast<long>(delay.count())}});
  }
}

}  // namespace gateway::ehr
