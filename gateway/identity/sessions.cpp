#include "gateway/identity/sessions.h"

#include <algorithm>

#include "common/digest.h"
#include "jose/jose.h"

namespace gateway::identity {
namespace {

constexpr std::chrono::minutes kPendingTtl{10};
constexpr std::chrono::seconds kHandoffTtl{60};
constexpr size_t kMaxPending = 100'000;

}  // namespace

SessionStore::SessionStore(std::chrono::seconds ttl, size_t max_sessions)
    : ttl_(ttl), max_(max_sessions) {}

std::string SessionStore::Key(std::string_view token) { return ::common::Sha256(token); }

void SessionStore::PurgeLocked(common::SystemTime now) {
  std::erase_if(sessions_, [now](const auto& kv) { return kv.second.expires <= now; });
  std::erase_if(pending_, [now](const auto& kv) { return kv.second.created + kPendingTtl <= now; });
  std::erase_if(handoffs_, [now](const auto& kv) { return kv.second.second <= now; });
}

std::string SessionStore::Create(Session session, common::SystemTime now) {
  std::string token = std::string(kSessionTokenPrefix) + adapters::bankid::RandomToken(32);
  session.created = now;
  session.expires = now + ttl_;
  std::lock_guard lock(mu_);
  PurgeLocked(now);
  while (sessions_.size() >= max_) {
    auto oldest = std::min_element(
        sessions_.begin(), sessions_.end(),
        [](const auto& a, const auto& b) { return a.second.created < b.second.created; });
    sessions_.erase(oldest);
  }
  sessions_.emplace(Key(token), std::move(session));
  return token;
}

std::optional<Session> SessionStore::Find(std::string_view token, common::SystemTime now) {
  if (!token.starts_with(kSessionTokenPrefix)) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = sessions_.find(Key(token));
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

bool SessionStore::Remove(std::string_view token) {
  std::lock_guard lock(mu_);
  return sessions_.erase(Key(token)) > 0;
}

size_t SessionStore::RemoveFor(std::string_view issuer, std::string_view sid,
                               std::string_view subject) {
  std::lock_guard lock(mu_);
  return std::erase_if(sessions_, [&](const auto& kv) {
    const Session& s = kv.second;
    if (s.issuer != issuer) return false;
    return sid.empty() ? (!subject.empty() && s.subject == subject) : s.sid == sid;
  });
}

void SessionStore::PutPending(adapters::bankid::PendingLogin pending) {
  std::lock_guard lock(mu_);
  PurgeLocked(pending.created);
  if (pending_.size() >= kMaxPending) pending_.erase(pending_.begin());
  std::string state = pending.state;
  pending_.emplace(std::move(state), std::move(pending));
}

std::optional<adapters::bankid::PendingLogin> SessionStore::TakePending(std::string_view state,
                                                                        common::SystemTime now) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(state);
  if (it == pending_.end()) return std::nullopt;
  adapters::bankid::PendingLogin p = std::move(it->second);
  pending_.erase(it);
  if (p.created + kPendingTtl <= now) return std::nullopt;
  return p;
}

std::string SessionStore::PutHandoff(std::string session_token, common::SystemTime now) {
  std::string code = adapters::bankid::RandomToken(32);
  std::lock_guard lock(mu_);
  handoffs_.emplace(Key(code), std::make_pair(std::move(session_token), now + kHandoffTtl));
  return code;
}

std::optional<std::string> SessionStore::TakeHandoff(std::string_view code,
                                                     common::SystemTime now) {
  std::lock_guard lock(mu_);
  auto it = handoffs_.find(Key(code));
  if (it == handoffs_.end()) return std::nullopt;
  auto [token, expires] = std::move(it->second);
  handoffs_.erase(it);
  if (expires <= now) return std::nullopt;
  return token;
}

size_t SessionStore::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace gateway::identity
