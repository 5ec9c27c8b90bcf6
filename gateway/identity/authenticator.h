#pragma once
// Authentication at the HTTP edge: turns a request's credentials into a Principal, or refuses
// it (401 with WWW-Authenticate). Credentials, in order:
//  * a gateway session: `Authorization: Bearer emgs.<token>` (apps) or the session cookie
//    (browsers; state-changing methods must also send X-Requested-With, which a cross-site
//    form cannot);
//  * a JWT access token from a configured API issuer (HelseID-style), `Authorization: DPoP`
//    with a DPoP proof header, or `Bearer` when the issuer does not require DPoP and the
//    token is not DPoP-bound. Checks: `typ`, allow-listed `alg`, signature by `kid` from the
//    issuer's JWKS (refetched once on an unknown kid), `iss`, exactly our `aud`, `exp`/`nbf`/
//    `iat`, the client (client_id) and its configured kind and role, for personnel the HPR
//    number and security level, the organisation number; for DPoP `htm`, `htu`, `iat`,
//    `jti` (replay cache), `ath` and the `cnf.jkt` binding.
// Tokens, proofs and identity numbers are never logged or echoed.

#include <map>
#include <memory>
#include <string>

#include "authz/principal.h"
#include "common/status.h"
#include "fhir/store/store.h"
#include "gateway/identity/auth_policy.h"
#include "gateway/identity/directory.h"
#include "gateway/identity/sessions.h"
#include "gateway/rest/message.h"
#include "jose/dpop.h"
#include "jose/jwks.h"

namespace gateway::identity {

inline constexpr std::string_view kSessionCookie = "__Host-emg_session";
// What a patient session may do at most (with the patient compartment rules on top).
inline constexpr std::string_view kPatientSessionScopes =
    "patient/*.rs patient/QuestionnaireResponse.cu patient/Communication.c";

struct AuthenticationResult {
  authz::PrincipalPtr principal;  // set on success
  common::Status status;          // kUnauthenticated / kPermissionDenied on failure
  bool via_cookie = false;
};

class Authenticator {
 public:
  // `public_url`: the gateway's external base (DPoP htu is checked against it + path); when
  // empty, `scheme` + "://" + the request's Host header.
  Authenticator(const AuthPolicy& policy, SessionStore& sessions, fhir::store::Store& store,
                std::string public_url, std::string scheme, const ::jose::Fetch& fetch,
                std::function<common::SystemTime()> clock);

  AuthenticationResult Authenticate(const HttpRequest& request);

  // The WWW-Authenticate challenge for a 401 (RFC 6750 / RFC 9449).
  std::string Challenge(const common::Status& failure) const;

  // The discovery metadata of a configured API issuer (cached with its keys; kUnavailable
  // when it cannot be fetched, kNotFound for an issuer that is not configured).
  common::StatusOr<::jose::ProviderMetadata> IssuerMetadata(const std::string& issuer);

  // The algorithms a DPoP proof may be signed with (what VerifyDpopProof is given).
  static std::vector<::jose::Alg> DpopAlgorithms();

 private:
  AuthenticationResult FromSession(std::string_view token, bool via_cookie,
                                   const HttpRequest& request);
  AuthenticationResult FromAccessToken(std::string_view scheme, std::string_view token,
                                       const HttpRequest& request);

  const AuthPolicy& policy_;
  SessionStore& sessions_;
  Directory directory_;
  std::string public_url_;
  std::string scheme_;
  std::function<common::SystemTime()> clock_;
  std::map<std::string, std::unique_ptr<::jose::IssuerKeys>> keys_;  // by issuer
  ::jose::ReplayCache dpop_replay_;
};

// The value of cookie `name` in a Cookie header, or empty.
std::string CookieValue(std::string_view cookie_header, std::string_view name);

}  // namespace gateway::identity
