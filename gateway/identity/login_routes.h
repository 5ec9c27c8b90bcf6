#pragma once
// Patient login and sessions over HTTP (/auth/*), the browser-facing half of
// adapters/bankid/oidc_login.h:
//
//   GET  /auth/login?idp=<name>[&return_to=<path>][&app=1]
//        302 to the provider (PKCE S256, state, nonce, acr_values). Sets __Host-emg_login
//        (HttpOnly, Secure, SameSite=Lax) holding the state, so the callback must come back
//        to the browser that started the login.
//   GET  /auth/callback?code=&state=&iss=   (or ?error=)
//        Checks and consumes the state, redeems the code, verifies the ID token, links the
//        fødselsnummer to its Patient (created when new), opens a session and audits the
//        login. Browsers: 303 to return_to with the __Host-emg_session cookie (HttpOnly,
//        Secure, SameSite=Lax). Apps (app=1): 303 to return_to?handoff=<one-time code>.
//   POST /auth/session/exchange  handoff=<code>   -> {"access_token":"emgs...","token_type":
//        "Bearer","expires_in":N,"patient":"Patient/<id>"} (apps; single use, 60 s).
//   GET  /auth/session          who the session is (patient reference, expiry), or 401.
//   POST /auth/logout           ends the session (cookie or bearer) and returns the
//        provider's end-session URL for RP-initiated logout (browsers get a 303 to it).
//   POST /auth/backchannel-logout  logout_token=<jwt>  (OIDC Back-Channel Logout 1.0)
//        ends the sessions of that provider session (sid) or user (sub).
//   GET  /auth/dev, POST /auth/dev/login   development login (auth.dev_login, loopback only):
//        fnr=<synthetic fødselsnummer> for a patient, hpr=<HPR>&orgnr=<orgnr> for a
//        therapist, or system=ehr for the message service. Synthetic (month + 80) numbers
//        only. app=1 answers with the bearer token as JSON instead of setting a cookie.
// Errors are OperationOutcomes; nothing secret (codes, tokens, numbers) is echoed or logged.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "authz/access.h"
#include "gateway/identity/auth_policy.h"
#include "gateway/identity/directory.h"
#include "gateway/identity/sessions.h"
#include "gateway/rest/message.h"
#include "jose/dpop.h"
#include "jose/jwks.h"

namespace gateway::identity {

inline constexpr std::string_view kLoginCookie = "__Host-emg_login";

struct LoginDependencies {
  ::jose::Fetch fetch;              // GET for discovery and JWKS
  adapters::bankid::PostForm post;  // POST for the token endpoint
  std::function<common::SystemTime()> clock;
};

class LoginRoutes {
 public:
  LoginRoutes(const AuthPolicy& policy, SessionStore& sessions, fhir::store::Store& store,
              LoginDependencies deps, bool dev_login);

  static bool Matches(std::string_view path) { return path.starts_with("/auth/"); }
  std::optional<HttpResponse> Handle(const HttpRequest& request);

 private:
  HttpResponse Login(const HttpRequest& request);
  HttpResponse Callback(const HttpRequest& request);
  HttpResponse Exchange(const HttpRequest& request);
  HttpResponse Who(const HttpRequest& request);
  HttpResponse Logout(const HttpRequest& request);
  HttpResponse BackchannelLogout(const HttpRequest& request);
  HttpResponse DevPage(const HttpRequest& request);
  HttpResponse DevLogin(const HttpRequest& request);

  // The session a request carries (bearer or cookie), with its token.
  std::optional<std::pair<std::string, Session>> CurrentSession(const HttpRequest& request);
  HttpResponse StartSession(const HttpRequest& request, Session session, bool app,
                            const std::string& return_to);
  void AuditLogin(const HttpRequest& request, const authz::Principal& principal,
                  const std::string& interaction, int outcome, const std::string& text);
  bool AllowedReturnTo(std::string_view return_to) const;
  const adapters::bankid::PatientIssuer* FindIdp(std::string_view name) const;

  const AuthPolicy& policy_;
  SessionStore& sessions_;
  fhir::store::Store& store_;
  Directory directory_;
  LoginDependencies deps_;
  bool dev_login_;
  std::map<std::string, std::unique_ptr<::jose::IssuerKeys>> keys_;  // by idp name
  ::jose::ReplayCache logout_replay_;
};

}  // namespace gateway::identity
