// SMART discovery (gateway/identity/smart_configuration.h): the document and the
// CapabilityStatement security block follow the policy file and the authorization server's
// metadata, and claim nothing else.

#include "gateway/identity/smart_configuration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fhir/json/writer.h"

namespace gateway::identity {
namespace {

using fhir::json::Value;

std::vector<std::string> Strings(const Value& doc, std::string_view name) {
  std::vector<std::string> out;
  const Value* v = doc.Find(name);
  if (v == nullptr || !v->is_array()) return out;
  for (const Value& s : v->items()) out.push_back(s.text());
  return out;
}

bool Has(const Value& doc, std::string_view name, std::string_view item) {
  std::vector<std::string> list = Strings(doc, name);
  return std::find(list.begin(), list.end(), item) != list.end();
}

AuthPolicy Policy(bool personnel, bool system) {
  AuthPolicy p;
  ApiIssuer api;
  api.issuer = "https://helseid-sts.test.example";
  api.audience = "urn:emeistring:fhir";
  p.api_issuers.push_back(api);
  p.roles["ehr"] = {"*.cruds"};
  p.roles["registry"] = {"Patient.rs", "Observation.rs"};
  p.roles["unused"] = {"Condition.rs"};
  if (system) {
    p.clients[api.issuer]["dips"] = {"system", "ehr"};
    p.clients[api.issuer]["registry"] = {"system", "registry"};
  }
  if (personnel) p.clients[api.issuer]["app"] = {"personnel", ""};
  p.personnel_permissions = {"*.rs", "QuestionnaireResponse.cu"};
  adapters::bankid::PatientIssuer idporten;
  idporten.name = "idporten";
  p.patient_login.push_back(idporten);
  return p;
}

::jose::ProviderMetadata HelseIdLike() {
  ::jose::ProviderMetadata m;
  m.issuer = "https://helseid-sts.test.example";
  m.authorization_endpoint = "https://helseid-sts.test.example/connect/authorize";
  m.token_endpoint = "https://helseid-sts.test.example/connect/token";
  m.jwks_uri = "https://helseid-sts.test.example/.well-known/openid-configuration/jwks";
  m.revocation_endpoint = "https://helseid-sts.test.example/connect/revocation";
  m.grant_types_supported = {"authorization_code", "client_credentials", "refresh_token"};
  m.response_types_supported = {"code"};
  m.token_endpoint_auth_methods_supported = {"private_key_jwt"};
  m.token_endpoint_auth_signing_alg_values_supported = {"RS256", "PS256", "ES256"};
  m.code_challenge_methods_supported = {"S256", "plain"};
  m.dpop_signing_alg_values_supported = {"RS256", "PS256", "ES256", "ES384"};
  return m;
}

const std::vector<::jose::Alg> kDpop = {::jose::Alg::kES256, ::jose::Alg::kPS256,
                                        ::jose::Alg::kRS256};

TEST(SmartConfiguration, DescribesTheIssuerAndWhatThePolicyAllows) {
  AuthPolicy policy = Policy(/*personnel=*/true, /*system=*/true);
  auto doc = BuildSmartConfiguration(policy, policy.api_issuers[0], HelseIdLike(), kDpop);
  ASSERT_TRUE(doc.has_value()) << doc.error().message();
  EXPECT_EQ(doc->GetString("token_endpoint"), "https://helseid-sts.test.example/connect/token");
  EXPECT_EQ(doc->GetString("authorization_endpoint"),
            "https://helseid-sts.test.example/connect/authorize");
  EXPECT_EQ(doc->GetString("revocation_endpoint"),
            "https://helseid-sts.test.example/connect/revocation");
  EXPECT_EQ(doc->Find("introspection_endpoint"), nullptr) << "the issuer offers none";
  EXPECT_EQ(Strings(*doc, "grant_types_supported"),
            (std::vector<std::string>{"authorization_code", "client_credentials"}));
  EXPECT_EQ(Strings(*doc, "response_types_supported"), std::vector<std::string>{"code"});
  EXPECT_EQ(Strings(*doc, "token_endpoint_auth_methods_supported"),
            std::vector<std::string>{"private_key_jwt"});
  EXPECT_EQ(Strings(*doc, "code_challenge_methods_supported"), std::vector<std::string>{"S256"})
      << "plain is never advertised";
  EXPECT_EQ(Strings(*doc, "capabilities"),
            (std::vector<std::string>{"client-confidential-asymmetric", "permission-user",
                                      "permission-v1", "permission-v2"}));
  // Scopes: the roles of registered system clients and the personnel permissions; a role no
  // client has is not advertised.
  EXPECT_EQ(
      Strings(*doc, "scopes_supported"),
      (std::vector<std::string>{"system/*.cruds", "system/Patient.rs", "system/Observation.rs",
                                "user/*.rs", "user/QuestionnaireResponse.cu"}));
  EXPECT_EQ(Strings(*doc, "dpop_signing_alg_values_supported"),
            (std::vector<std::string>{"ES256", "PS256", "RS256"}));
  EXPECT_TRUE(doc->Find("dpop_bound_access_tokens_required")->boolean());
  // No OpenID Connect single sign-on is claimed, so no issuer or jwks_uri.
  EXPECT_EQ(doc->Find("issuer"), nullptr);
  EXPECT_EQ(doc->Find("jwks_uri"), nullptr);
  EXPECT_FALSE(Has(*doc, "capabilities", "sso-openid-connect"));
}

TEST(SmartConfiguration, SystemClientsOnlyMeansNoAuthorizationEndpoint) {
  AuthPolicy policy = Policy(/*personnel=*/false, /*system=*/true);
  policy.api_issuers[0].require_dpop = false;
  auto doc = BuildSmartConfiguration(policy, policy.api_issuers[0], HelseIdLike(), kDpop);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->Find("authorization_endpoint"), nullptr);
  EXPECT_EQ(doc->Find("response_types_supported"), nullptr);
  EXPECT_EQ(Strings(*doc, "grant_types_supported"), std::vector<std::string>{"client_credentials"});
  EXPECT_FALSE(Has(*doc, "capabilities", "permission-user"));
  EXPECT_FALSE(Has(*doc, "scopes_supported", "user/*.rs"));
  EXPECT_FALSE(doc->Find("dpop_bound_access_tokens_required")->boolean());
}

TEST(SmartConfiguration, FollowsWhatTheIssuerSaysItDoes) {
  AuthPolicy policy = Policy(true, true);
  ::jose::ProviderMetadata m = HelseIdLike();
  m.grant_types_supported = {"authorization_code"};  // no client credentials at this issuer
  m.token_endpoint_auth_methods_supported = {"client_secret_basic", "tls_client_auth"};
  m.dpop_signing_alg_values_supported = {"ES256"};
  auto doc = BuildSmartConfiguration(policy, policy.api_issuers[0], m, kDpop);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(Strings(*doc, "grant_types_supported"), std::vector<std::string>{"authorization_code"});
  EXPECT_EQ(Strings(*doc, "token_endpoint_auth_methods_supported"),
            std::vector<std::string>{"client_secret_basic"})
      << "only the methods SMART names";
  EXPECT_TRUE(Has(*doc, "capabilities", "client-confidential-symmetric"));
  EXPECT_FALSE(Has(*doc, "capabilities", "client-confidential-asymmetric"));
  EXPECT_EQ(Strings(*doc, "dpop_signing_alg_values_supported"), std::vector<std::string>{"ES256"});
  // Without a token endpoint there is nothing to describe.
  m.token_endpoint.clear();
  auto none = BuildSmartConfiguration(policy, policy.api_issuers[0], m, kDpop);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), common::Code::kUnavailable);
}

TEST(SmartConfiguration, CapabilitySecurityBlock) {
  AuthPolicy policy = Policy(true, true);
  ::jose::ProviderMetadata m = HelseIdLike();
  Value security = BuildCapabilitySecurity(policy, &policy.api_issuers[0], &m);
  EXPECT_FALSE(security.Find("cors")->boolean());
  const Value& coding = security.Find("service")->items()[0].Find("coding")->items()[0];
  EXPECT_EQ(coding.GetString("system"),
            "http://terminology.hl7.org/CodeSystem/restful-security-service");
  EXPECT_EQ(coding.GetString("code"), "SMART-on-FHIR");
  const Value& uris = security.Find("extension")->items()[0];
  EXPECT_EQ(uris.GetString("url"),
            "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
  std::string written = fhir::json::Write(uris);
  EXPECT_NE(
      written.find(
          R"({"url":"authorize","valueUri":"https://helseid-sts.test.example/connect/authorize"})"),
      std::string::npos)
      << written;
  EXPECT_NE(written.find(
                R"({"url":"token","valueUri":"https://helseid-sts.test.example/connect/token"})"),
            std::string::npos);
  EXPECT_NE(written.find("revoke"), std::string::npos);
  EXPECT_EQ(written.find("introspect"), std::string::npos);
  std::string description(security.GetString("description"));
  EXPECT_NE(description.find("/auth/login?idp=idporten"), std::string::npos) << description;
  EXPECT_NE(description.find("https://helseid-sts.test.example"), std::string::npos);
  EXPECT_NE(description.find("DPoP"), std::string::npos);

  // The issuer's metadata unreadable: the service stays, the URIs go.
  Value partial = BuildCapabilitySecurity(policy, &policy.api_issuers[0], nullptr);
  EXPECT_EQ(partial.Find("extension"), nullptr);
  EXPECT_NE(partial.Find("service"), nullptr);
  // No API issuer: no SMART service is claimed.
  AuthPolicy patients_only;
  patients_only.patient_login = policy.patient_login;
  Value local = BuildCapabilitySecurity(patients_only, nullptr, nullptr);
  EXPECT_EQ(local.Find("service"), nullptr);
  EXPECT_EQ(local.Find("extension"), nullptr);
  EXPECT_NE(std::string(local.GetString("description")).find("idporten"), std::string::npos);
}

TEST(SmartConfiguration, NothingIsAdvertisedWithoutAnAuthenticator) {
  AuthPolicy policy = Policy(true, true);
  SmartDiscovery off(policy, nullptr);
  EXPECT_FALSE(off.CapabilitySecurity().has_value());
  HttpRequest get;
  get.method = "GET";
  get.path = "/.well-known/smart-configuration";
  std::optional<HttpResponse> r = off.Handle(get);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("auth.mode off"), std::string::npos) << r->body;
  get.path = "/.well-known/openid-configuration";
  EXPECT_FALSE(off.Handle(get).has_value()) << "other well-known paths are not ours";
  get.path = "/.well-known/smart-configuration";
  get.method = "DELETE";
  EXPECT_EQ(off.Handle(get)->status, 405);
}

}  // namespace
}  // namespace gateway::identity
