#pragma once
// Patient login with OpenID Connect: ID-porten (BankID underneath) or BankID OIDC directly,
// as a confidential relying party using the authorization code flow with PKCE (S256), `state`,
// `nonce` and `acr_values` (OIDC Core 3.1; ASVS 5.0 V10; ../docs/security.md).
//
// The gateway keeps the browser-facing part (cookies, redirects, sessions); this file holds the
// protocol checks, so they are testable without sockets:
//  * BeginLogin: a fresh state, nonce and code verifier per attempt, and the authorization URL.
//  * CompleteLogin: the callback's `iss` (RFC 9207 mix-up defence) and `error`; the token
//    request (code + verifier, client_secret_basic); the ID token: allow-listed algorithm,
//    signature by `kid` from the issuer's JWKS (refreshed once on an unknown kid), `iss`,
//    `aud`/`azp`, `exp`/`nbf`/`iat` with skew, the single-use `nonce`, `at_hash` when present,
//    `acr` at least the configured minimum, and the identity claim (`pid` for ID-porten,
//    `nnin_altsub` for BankID, configurable) as a fødselsnummer or D-nummer with valid mod-11
//    check digits.
//  * VerifyLogoutToken: OpenID Connect Back-Channel Logout 1.0 logout tokens.
// The session subject is `iss` + `sub`; the national identity number only links the FHIR
// Patient and is never logged.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "jose/jose.h"
#include "jose/jwks.h"

namespace adapters::bankid {

struct PatientIssuer {
  std::string name;    // short label: /auth/login?idp=<name>, logs, audit
  std::string issuer;  // exact `iss`
  std::string client_id;
  std::string client_secret;  // client_secret_basic; empty: a public client (PKCE only)
  std::string redirect_uri;   // our /auth/callback as registered with the provider
  std::string scope = "openid profile";
  std::string identity_claim = "pid";  // pid (ID-porten), nnin_altsub (BankID), nin, socialno
  std::string acr_values;              // sent in the request, e.g. idporten-loa-high
  std::vector<std::string> acr_order;  // accepted acr values, weakest first
  std::string minimum_acr;             // must be in acr_order
  std::vector<jose::Alg> algorithms;
  std::string post_logout_redirect_uri;
  bool allow_synthetic_ids = false;  // Tenor test numbers (month + 80): test environments only
  std::chrono::seconds skew{60};
  std::chrono::seconds max_id_token_age{600};
};

// What the gateway keeps between the redirect to the provider and the callback (keyed by
// `state`, single use).
struct PendingLogin {
  std::string idp;  // PatientIssuer::name
  std::string state;
  std::string nonce;
  std::string code_verifier;
  std::string return_to;  // where the browser goes after login (checked by the gateway)
  bool app = false;       // an app login: hand over a bearer session instead of a cookie
  common::SystemTime created{};
};

struct AuthorizationRequest {
  std::string url;
  PendingLogin pending;
};

// High-entropy random bytes as base64url (for state, nonce, verifier and session ids).
std::string RandomToken(size_t bytes = 32);

common::StatusOr<AuthorizationRequest> BeginLogin(const PatientIssuer& idp,
                                                  const jose::ProviderMetadata& metadata,
                                                  std::string return_to, bool app,
                                                  common::SystemTime now);

struct CallbackParams {
  std::string code;
  std::string state;
  std::string iss;    // RFC 9207; required when the provider advertises it
  std::string error;  // error=access_denied etc.
};

struct VerifiedLogin {
  std::string issuer;
  std::string subject;      // `sub`
  std::string national_id;  // fødselsnummer or D-nummer (mod-11 checked)
  bool d_number = false;
  std::string acr;
  std::vector<std::string> amr;
  std::string sid;       // provider session id, for back-channel logout
  std::string id_token;  // kept server-side for RP-initiated logout (id_token_hint)
  std::string given_name;
  std::string family_name;
  std::string birthdate;
};

// POSTs a form and returns (HTTP status, body); the transport and TLS policy are the caller's.
using PostForm = std::function<common::StatusOr<std::pair<int, std::string>>(
    const std::string& url, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers)>;

common::StatusOr<VerifiedLogin> CompleteLogin(const PatientIssuer& idp,
                                              const jose::ProviderMetadata& metadata,
                                              jose::IssuerKeys& keys, const PendingLogin& pending,
                                              const CallbackParams& callback, const PostForm& post,
                                              common::SystemTime now);

// Checks an ID token (exposed for tests and for the callback above).
common::StatusOr<VerifiedLogin> VerifyIdToken(const PatientIssuer& idp, jose::IssuerKeys& keys,
                                              std::string_view id_token,
                                              std::string_view expected_nonce,
                                              std::string_view access_token,
                                              common::SystemTime now);

struct LogoutToken {
  std::string issuer;
  std::string subject;  // may be empty when sid is given
  std::string sid;      // may be empty when sub is given
  std::string jti;
};

// Back-Channel Logout 1.0 §2.6: signature, iss, aud, iat, jti, the back-channel `events`
// member, sub and/or sid present, and no `nonce`.
common::StatusOr<LogoutToken> VerifyLogoutToken(const PatientIssuer& idp, jose::IssuerKeys& keys,
                                                std::string_view token, common::SystemTime now);

// The provider's end_session URL for RP-initiated logout (empty when it has none).
std::string EndSessionUrl(const jose::ProviderMetadata& metadata, std::string_view id_token_hint,
                          std::string_view post_logout_redirect_uri, std::string_view state);

}  // namespace adapters::bankid
