#pragma once
// SMART on FHIR discovery (SMART App Launch 2.x, conformance.html): the document at
// GET /.well-known/smart-configuration and the CapabilityStatement's rest.security. Both are
// served without authentication (a client reads them to learn how to get a token) and both
// are derived from what this gateway really accepts, never written as constants (ADR 0013):
//
//  * the authorization server is the policy file's first API token issuer (api_issuers[0]);
//    its endpoints, client authentication methods and PKCE methods come from its own
//    discovery document, fetched and cached with its keys by the Authenticator;
//  * the grant types follow the clients registered for that issuer: authorization_code for
//    personnel clients (a user logs in at the issuer), client_credentials for system clients;
//  * the scopes are the ones that do something here: system/<permission> for the roles of its
//    system clients, user/<permission> for personnel_permissions;
//  * DPoP: the proof algorithms the Authenticator verifies (those the issuer also accepts, when
//    it says), and whether the issuer's tokens must be DPoP-bound (require_dpop).
// Patients do not use OAuth here: they log in through /auth/login (ID-porten or BankID) and get
// a gateway session. The CapabilityStatement's security description says so; the SMART document
// describes the authorization server only.

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "fhir/json/value.h"
#include "gateway/identity/auth_policy.h"
#include "gateway/identity/authenticator.h"
#include "gateway/rest/message.h"
#include "jose/jose.h"
#include "jose/jwks.h"

namespace gateway::identity {

inline constexpr std::string_view kSmartConfigurationPath = "/.well-known/smart-configuration";

// The SMART configuration document for `issuer` (one of policy.api_issuers) whose discovery
// metadata is `metadata`. kUnavailable when the metadata lacks a token endpoint.
common::StatusOr<fhir::json::Value> BuildSmartConfiguration(
    const AuthPolicy& policy, const ApiIssuer& issuer, const ::jose::ProviderMetadata& metadata,
    const std::vector<::jose::Alg>& dpop_algorithms);

// CapabilityStatement.rest.security: cors, the SMART-on-FHIR service and the oauth-uris
// extension when there is an API issuer (`metadata` when its discovery could be read), and a
// description of how patients and API clients authenticate.
fhir::json::Value BuildCapabilitySecurity(const AuthPolicy& policy, const ApiIssuer* issuer,
                                          const ::jose::ProviderMetadata* metadata);

// The /.well-known/ route and the CapabilityStatement's security block over the live policy.
class SmartDiscovery {
 public:
  // `authenticator` is null when auth is off (then nothing is advertised).
  SmartDiscovery(const AuthPolicy& policy, Authenticator* authenticator);

  // GET /.well-known/smart-configuration; nullopt for other paths.
  std::optional<HttpResponse> Handle(const HttpRequest& request);

  // For FhirApiOptions::capability_security; nullopt when auth is off.
  std::optional<fhir::json::Value> CapabilitySecurity();

 private:
  const ApiIssuer* Advertised() const;

  const AuthPolicy& policy_;
  Authenticator* authenticator_;
};

}  // namespace gateway::identity
