#include "gateway/identity/smart_configuration.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "fhir/json/writer.h"
#include "gateway/rest/http_util.h"

namespace gateway::identity {
namespace {

using common::Code;
using common::Status;
using fhir::json::Value;

constexpr std::string_view kOauthUrisExtension =
    "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";
constexpr std::string_view kRestfulSecurityService =
    "http://terminology.hl7.org/CodeSystem/restful-security-service";

// The client authentication methods SMART names (conformance.html#metadata).
constexpr std::string_view kSmartAuthMethods[] = {"client_secret_post", "client_secret_basic",
                                                  "private_key_jwt"};

Value Strings(const std::vector<std::string>& items) {
  Value list = Value::Array();
  for (const std::string& s : items) list.Append(Value::String(s));
  return list;
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void AddOnce(std::vector<std::string>& list, std::string item) {
  if (!Contains(list, item)) list.push_back(std::move(item));
}

// Which kinds of clients are registered for the issuer.
struct ClientKinds {
  bool personnel = false;
  bool system = false;
  std::vector<std::string> roles;  // of the system clients, in policy order
};

ClientKinds KindsFor(const AuthPolicy& policy, const ApiIssuer& issuer) {
  ClientKinds kinds;
  auto clients = policy.clients.find(issuer.issuer);
  if (clients == policy.clients.end()) return kinds;
  for (const auto& [client_id, rule] : clients->second) {
    if (rule.kind == "personnel") kinds.personnel = true;
    if (rule.kind == "system") {
      kinds.system = true;
      AddOnce(kinds.roles, rule.role);
    }
  }
  return kinds;
}

std::vector<std::string> GrantTypes(const ClientKinds& kinds, const ::jose::ProviderMetadata& m) {
  std::vector<std::string> grants;
  if (kinds.personnel) grants.emplace_back("authorization_code");
  if (kinds.system) grants.emplace_back("client_credentials");
  // What the issuer itself does not offer, no client of it can use.
  if (!m.grant_types_supported.empty()) {
    std::erase_if(grants,
                  [&](const std::string& g) { return !Contains(m.grant_types_supported, g); });
  }
  return grants;
}

// The scopes that take effect here: the token's scopes are intersected with the client's role
// (system) or the personnel permissions (user) by the access rules (authz/access.h).
std::vector<std::string> Scopes(const AuthPolicy& policy, const ClientKinds& kinds) {
  std::vector<std::string> scopes;
  for (const std::string& role : kinds.roles) {
    auto it = policy.roles.find(role);
    if (it == policy.roles.end()) continue;
    for (const std::string& permission : it->second) AddOnce(scopes, "system/" + permission);
  }
  if (kinds.personnel) {
    for (const std::string& permission : policy.personnel_permissions) {
      AddOnce(scopes, "user/" + permission);
    }
  }
  return scopes;
}

}  // namespace

common::StatusOr<Value> BuildSmartConfiguration(const AuthPolicy& policy, const ApiIssuer& issuer,
                                                const ::jose::ProviderMetadata& metadata,
                                                const std::vector<::jose::Alg>& dpop_algorithms) {
  if (metadata.token_endpoint.empty()) {
    return common::Error(Code::kUnavailable,
                         "the authorization server's metadata names no token endpoint");
  }
  const ClientKinds kinds = KindsFor(policy, issuer);
  const std::vector<std::string> grants = GrantTypes(kinds, metadata);
  const bool code_flow = Contains(grants, "authorization_code");

  Value doc = Value::Object();
  // No `issuer` or `jwks_uri`: SMART asks for them with sso-openid-connect, which this server
  // does not claim (its tokens come from the issuer below; no fhirUser id token is issued).
  if (code_flow && !metadata.authorization_endpoint.empty()) {
    doc.Set("authorization_endpoint", Value::String(metadata.authorization_endpoint));
  }
  doc.Set("token_endpoint", Value::String(metadata.token_endpoint));
  doc.Set("grant_types_supported", Strings(grants));

  std::vector<std::string> auth_methods;
  for (const std::string& m : metadata.token_endpoint_auth_methods_supported) {
    if (std::find(std::begin(kSmartAuthMethods), std::end(kSmartAuthMethods), m) !=
        std::end(kSmartAuthMethods)) {
      AddOnce(auth_methods, m);
    }
  }
  if (!auth_methods.empty())
    doc.Set("token_endpoint_auth_methods_supported", Strings(auth_methods));
  if (!metadata.token_endpoint_auth_signing_alg_values_supported.empty()) {
    doc.Set("token_endpoint_auth_signing_alg_values_supported",
            Strings(metadata.token_endpoint_auth_signing_alg_values_supported));
  }
  doc.Set("scopes_supported", Strings(Scopes(policy, kinds)));
  if (code_flow) {
    std::vector<std::string> response_types = {"code"};
    if (!metadata.response_types_supported.empty() &&
        !Contains(metadata.response_types_supported, "code")) {
      response_types.clear();
    }
    doc.Set("response_types_supported", Strings(response_types));
  }
  if (!metadata.introspection_endpoint.empty()) {
    doc.Set("introspection_endpoint", Value::String(metadata.introspection_endpoint));
  }
  if (!metadata.revocation_endpoint.empty()) {
    doc.Set("revocation_endpoint", Value::String(metadata.revocation_endpoint));
  }

  std::vector<std::string> capabilities;
  if (Contains(auth_methods, "private_key_jwt"))
    capabilities.emplace_back("client-confidential-asymmetric");
  if (Contains(auth_methods, "client_secret_basic") ||
      Contains(auth_methods, "client_secret_post")) {
    capabilities.emplace_back("client-confidential-symmetric");
  }
  if (kinds.personnel) capabilities.emplace_back("permission-user");
  // authz/scopes.h reads both grammars.
  capabilities.emplace_back("permission-v1");
  capabilities.emplace_back("permission-v2");
  doc.Set("capabilities", Strings(capabilities));

  // SMART: S256 SHALL be listed and plain SHALL NOT; list what the issuer really does.
  std::vector<std::string> pkce;
  for (const std::string& method : metadata.code_challenge_methods_supported) {
    if (method != "plain") AddOnce(pkce, method);
  }
  doc.Set("code_challenge_methods_supported", Strings(pkce));

  // RFC 9449 §5.1 (proof algorithms) and RFC 9728 §2 (whether tokens must be DPoP-bound): the
  // algorithms this resource server verifies, narrowed to those the issuer takes when it says.
  std::vector<std::string> dpop;
  for (::jose::Alg alg : dpop_algorithms) {
    std::string name(::jose::AlgName(alg));
    if (metadata.dpop_signing_alg_values_supported.empty() ||
        Contains(metadata.dpop_signing_alg_values_supported, name)) {
      dpop.push_back(std::move(name));
    }
  }
  doc.Set("dpop_signing_alg_values_supported", Strings(dpop));
  doc.Set("dpop_bound_access_tokens_required", Value::Bool(issuer.require_dpop));
  return doc;
}

Value BuildCapabilitySecurity(const AuthPolicy& policy, const ApiIssuer* issuer,
                              const ::jose::ProviderMetadata* metadata) {
  Value security = Value::Object();
  if (issuer != nullptr && metadata != nullptr) {
    Value uris = Value::Object();
    uris.Set("url", Value::String(std::string(kOauthUrisExtension)));
    Value& parts = uris.Set("extension", Value::Array());
    auto add = [&](const char* name, const std::string& uri) {
      if (uri.empty()) return;
      Value e = Value::Object();
      e.Set("url", Value::String(name));
      e.Set("valueUri", Value::String(uri));
      parts.Append(std::move(e));
    };
    if (KindsFor(policy, *issuer).personnel) add("authorize", metadata->authorization_endpoint);
    add("token", metadata->token_endpoint);
    add("introspect", metadata->introspection_endpoint);
    add("revoke", metadata->revocation_endpoint);
    if (!parts.items().empty()) security.Set("extension", Value::Array()).Append(std::move(uris));
  }
  // The gateway answers no CORS preflight and sends no Access-Control-* headers: browser apps
  // use the session cookie on this origin (gateway/identity/authenticator.h).
  security.Set("cors", Value::Bool(false));
  if (issuer != nullptr) {
    Value service = Value::Object();
    Value& coding = service.Set("coding", Value::Array()).Append(Value::Object());
    coding.Set("system", Value::String(std::string(kRestfulSecurityService)));
    coding.Set("code", Value::String("SMART-on-FHIR"));
    coding.Set("display", Value::String("SMART-on-FHIR"));
    service.Set("text", Value::String("OAuth 2.0 access tokens with SMART v2 scopes, see " +
                                      std::string(kSmartConfigurationPath)));
    security.Set("service", Value::Array()).Append(std::move(service));
  }
  std::string text;
  if (!policy.patient_login.empty()) {
    text += "Patients log in with ";
    for (size_t i = 0; i < policy.patient_login.size(); ++i) {
      if (i > 0) text += i + 1 == policy.patient_login.size() ? " or " : ", ";
      text += "`/auth/login?idp=" + policy.patient_login[i].name + "`";
    }
    text +=
        " (OpenID Connect, PKCE S256) and then send the gateway session: the "
        "`__Host-emg_session` cookie, or `Authorization: Bearer emgs...` in apps. ";
  }
  if (issuer != nullptr) {
    text += "API clients send JWT access tokens issued by " + issuer->issuer +
            (issuer->require_dpop ? ", DPoP-bound (`Authorization: DPoP` and a `DPoP` proof, "
                                    "RFC 9449)"
                                  : " (`Authorization: Bearer`, or DPoP when the token is bound)") +
            "; see " + std::string(kSmartConfigurationPath) + ".";
  }
  if (text.empty()) text = "No login is configured: only development login, if enabled.";
  security.Set("description", Value::String(text));
  return security;
}

SmartDiscovery::SmartDiscovery(const AuthPolicy& policy, Authenticator* authenticator)
    : policy_(policy), authenticator_(authenticator) {}

const ApiIssuer* SmartDiscovery::Advertised() const {
  if (authenticator_ == nullptr || policy_.api_issuers.empty()) return nullptr;
  return &policy_.api_issuers.front();
}

std::optional<HttpResponse> SmartDiscovery::Handle(const HttpRequest& request) {
  if (request.path != kSmartConfigurationPath) return std::nullopt;
  HttpResponse r;
  if (request.method != "GET" && request.method != "HEAD") {
    r = rest::ErrorResponse(
        Status(Code::kInvalidArgument, "method not allowed here; allowed: GET, HEAD"));
    r.status = 405;
    r.SetHeader("Allow", "GET, HEAD");
  } else if (authenticator_ == nullptr) {
    r = rest::ErrorResponse(
        Status(Code::kNotFound,
               "authentication is off (auth.mode off): there is no authorization server"));
  } else if (const ApiIssuer* issuer = Advertised(); issuer == nullptr) {
    r = rest::ErrorResponse(
        Status(Code::kNotFound,
               "this FHIR server has no OAuth authorization server "
               "(auth.policy_file api_issuers); patients log in at /auth/login"));
  } else {
    auto metadata = authenticator_->IssuerMetadata(issuer->issuer);
    auto doc = metadata ? BuildSmartConfiguration(policy_, *issuer, *metadata,
                                                  Authenticator::DpopAlgorithms())
                        : common::StatusOr<Value>(common::Error(metadata.error()));
    if (!doc) {
      common::log::Warn("smart_configuration_unavailable", {{"error", doc.error().message()}});
      r = rest::ErrorResponse(Status(Code::kUnavailable,
                                     "the authorization server's metadata cannot be read just "
                                     "now; try again"));
      r.SetHeader("Retry-After", "5");
    } else {
      r.status = 200;
      // SMART: application/json whatever the Accept header says.
      r.SetHeader("Content-Type", "application/json");
      r.SetHeader("Cache-Control", "max-age=300");
      r.body = fhir::json::Write(*doc);
    }
  }
  r.route = std::string(kSmartConfigurationPath);
  return r;
}

std::optional<Value> SmartDiscovery::CapabilitySecurity() {
  if (authenticator_ == nullptr) return std::nullopt;
  const ApiIssuer* issuer = Advertised();
  std::optional<::jose::ProviderMetadata> metadata;
  if (issuer != nullptr) {
    // Without the issuer's metadata the statement is still served, without the endpoints.
    if (auto m = authenticator_->IssuerMetadata(issuer->issuer)) metadata = std::move(*m);
  }
  return BuildCapabilitySecurity(policy_, issuer, metadata ? &*metadata : nullptr);
}

}  // namespace gateway::identity
