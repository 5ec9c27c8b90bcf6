#pragma once
// The identity and access policy file (auth.policy_file; format in docs/security.md): which
// identity providers patients log in with, which token issuers the API accepts, which clients
// exist and what their roles allow. Parsed and checked once at start; every error names the
// offending member, e.g. "api_issuers[0].audience: required".

#include <map>
#include <string>
#include <vector>

#include "adapters/bankid/oidc_login.h"
#include "common/status.h"
#include "jose/jose.h"

namespace gateway::identity {

// A HelseID-style issuer of JWT access tokens for the FHIR API (resource server side).
struct ApiIssuer {
  std::string issuer;
  std::string discovery_url;  // empty: issuer + /.well-known/openid-configuration
  std::string audience;       // exact `aud` (the API's name at the issuer)
  std::vector<::jose::Alg> algorithms;
  std::vector<std::string> token_types = {"at+jwt", "JWT"};
  bool require_dpop = true;    // tokens must be DPoP-bound (cnf.jkt) and presented with a proof
  int min_security_level = 4;  // helseid://claims/identity/security_level for personnel tokens
  bool allow_http_loopback = false;  // http:// discovery/JWKS on 127.0.0.1 (tests only)
};

// How a client (`client_id` of an access token) is treated.
struct ClientRule {
  std::string kind;  // "system" (no user: role decides) or "personnel" (user tokens with HPR)
  std::string role;  // system: a key of AuthPolicy::roles
};

struct AuthPolicy {
  std::vector<adapters::bankid::PatientIssuer> patient_login;
  std::vector<bool> patient_login_http_loopback;  // per patient_login entry
  std::vector<ApiIssuer> api_issuers;
  // Keyed by issuer, then client_id.
  std::map<std::string, std::map<std::string, ClientRule>> clients;
  // Role -> permissions in the SMART grammar without the context ("Patient.rs", "*.cruds").
  std::map<std::string, std::vector<std::string>> roles;
  // What personnel users may do at most (intersected with their scopes and care relationships).
  std::vector<std::string> personnel_permissions = {"*.cruds"};
  // Where the browser may be sent after login or logout: paths on this gateway ("/..."), or
  // absolute URLs starting with one of these prefixes (app redirect URIs).
  std::vector<std::string> return_to_prefixes;
};

// Parses the policy file's JSON. Secrets are read from the environment variables the file
// names (client_secret_env), never from the file itself.
common::StatusOr<AuthPolicy> ParseAuthPolicy(std::string_view json,
                                             const std::function<const char*(const char*)>& getenv);
common::StatusOr<AuthPolicy> LoadAuthPolicy(const std::string& path,
                                            const std::function<const char*(const char*)>& getenv);

}  // namespace gateway::identity
