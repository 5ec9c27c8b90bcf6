#pragma once
// The gateway's own short-lived sessions, created after a verified login (BankID/ID-porten,
// or development login), and the short-lived state between a login's redirect and its
// callback.
//
// A session token is 256 random bits, handed to browsers as an HttpOnly, Secure, SameSite
// cookie and to apps as a bearer token (the same value). Only its SHA-256 is kept, so a
// memory dump does not yield usable tokens. Sessions live in memory: a restart logs everyone
// out (ADR 0008), which is acceptable for sessions of minutes and keeps tokens off disk.
// Expiry is absolute (no sliding). Back-channel logout removes sessions by the provider's
// `sid` or by `sub`. Thread-safe; bounded (the oldest entries go first when full).

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/bankid/oidc_login.h"
#include "authz/principal.h"
#include "common/time.h"

namespace gateway::identity {

inline constexpr std::string_view kSessionTokenPrefix = "emgs.";

struct Session {
  authz::PrincipalPtr principal;
  std::string idp;  // identity provider name, or "development"
  std::string issuer;
  std::string subject;   // `sub` at the issuer
  std::string sid;       // the provider's session id (back-channel logout)
  std::string id_token;  // for RP-initiated logout (id_token_hint)
  std::string acr;
  common::SystemTime created{};
  common::SystemTime expires{};
};

class SessionStore {
 public:
  SessionStore(std::chrono::seconds ttl, size_t max_sessions = 100'000);

  // Creates a session and returns its token (the only copy).
  std::string Create(Session session, common::SystemTime now);
  // The live session for a token, or nullopt (unknown, expired or logged out).
  std::optional<Session> Find(std::string_view token, common::SystemTime now);
  bool Remove(std::string_view token);
  // Back-channel logout: removes the sessions of `issuer` with this sid (when not empty) or,
  // when sid is empty, this subject. Returns how many were removed.
  size_t RemoveFor(std::string_view issuer, std::string_view sid, std::string_view subject);

  // Login state between redirect and callback, keyed by `state`; Take() removes it (single
  // use: a second callback with the same state, code or nonce finds nothing).
  void PutPending(adapters::bankid::PendingLogin pending);
  std::optional<adapters::bankid::PendingLogin> TakePending(std::string_view state,
                                                            common::SystemTime now);

  // One-time codes that hand an app its bearer session after the browser login.
  std::string PutHandoff(std::string session_token, common::SystemTime now);
  std::optional<std::string> TakeHandoff(std::string_view code, common::SystemTime now);

  std::chrono::seconds ttl() const { return ttl_; }
  size_t size() const;

 private:
  static std::string Key(std::string_view token);
  void PurgeLocked(common::SystemTime now);

  const std::chrono::seconds ttl_;
  const size_t max_;
  mutable std::mutex mu_;
  std::map<std::string, Session, std::less<>> sessions_;  // SHA-256(token) -> session
  std::map<std::string, adapters::bankid::PendingLogin, std::less<>> pending_;
  std::map<std::string, std::pair<std::string, common::SystemTime>, std::less<>> handoffs_;
};

}  // namespace gateway::identity
