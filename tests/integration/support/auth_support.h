#pragma once
// Identity and access integration tests: a loopback OpenID Provider (panva's oidc-provider,
// tests/oidc) and the real gateway binary configured to trust it, started once per suite.
//
// The gateway listens on a port chosen before it starts, because the provider must know the
// gateway's redirect and back-channel logout URIs. Its policy file names the provider as the
// patient identity provider ("idporten") and as the API token issuer, with the system clients
// ehr (role ehr: *.cruds), registry (export: reads) and helsenorge (self-referral), and the
// confidential web client as a personnel client. Development login is on.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"
#include "integration/support/oidc_provider.h"
#include "jose/jose.h"

namespace emg::test {

struct AccessToken {
  std::string token;
  ::jose::PrivateKey dpop_key;  // the key the token is bound to
};

class AuthEnv {
 public:
  // Starts the provider and the gateway; false with a reason in error().
  bool Start(std::vector<std::pair<std::string, std::string>> extra_gateway_env = {});
  const std::string& error() const { return error_; }

  OidcProvider& op() { return *op_; }
  GatewayProcess& gateway() { return *gateway_; }
  uint16_t port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // client_credentials with a private_key_jwt assertion and a DPoP proof: a DPoP-bound JWT
  // access token for `client_id` (ehr, registry, helsenorge, helseid-like-system).
  std::optional<AccessToken> SystemToken(const std::string& client_id, const std::string& scope,
                                         std::string* failure = nullptr);

  // Authorization code + PKCE at the provider for the confidential client, as a user
  // (therapist), with a DPoP proof on the token request: a DPoP-bound personnel token.
  std::optional<AccessToken> PersonnelToken(const std::string& login, const std::string& scope,
                                            std::string* failure = nullptr);

  // Request headers for a FHIR call with a DPoP-bound token (fresh proof per call).
  Headers Dpop(const AccessToken& t, std::string_view method, std::string_view path,
               Headers extra = {}) const;

  // Development login (POST /auth/dev/login with app=1): a patient session bearer token.
  std::optional<std::string> DevPatient(const std::string& fnr, std::string* patient_ref = nullptr);

  struct BrowserLogin {
    HttpResult callback;  // the gateway's answer to the callback (303 + cookies)
    CookieJar gateway_jar;
    CookieJar op_jar;      // the provider's session (for RP-initiated logout there)
    std::string location;  // where the provider sent the browser (the callback URL)
  };
  // The browser flow through the gateway: /auth/login -> provider login as `login` with
  // `acr` -> the gateway's /auth/callback. Empty on a transport or protocol failure.
  std::optional<BrowserLogin> BrowserLoginAs(const std::string& login, const std::string& acr,
                                             std::string* failure = nullptr);

 private:
  std::unique_ptr<OidcProvider> op_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::string dir_;
  uint16_t port_ = 0;
  std::string error_;
};

// A free TCP port on 127.0.0.1 (bound and released).
uint16_t FreeLoopbackPort();

// JSON helpers on top of the project's parser.
std::string JsonString(std::string_view json, std::string_view member);

}  // namespace emg::test
