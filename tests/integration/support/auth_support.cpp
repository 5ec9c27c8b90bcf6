// GCC 12 reports -Wnull-dereference inside Boost.Asio (system headers; false positives).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "integration/support/auth_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "common/base64.h"
#include "common/digest.h"
#include "common/time.h"
#include "common/uuid.h"
#include "fhir/json/parser.h"
#include "fhir/json/value.h"
#include "jose/dpop.h"
#include "jose/jws.h"

namespace emg::test {
namespace {

using fhir::json::Value;
using namespace std::chrono_literals;

constexpr std::string_view kSecretEnv = "EMG_TEST_IDP_SECRET";

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Headers Form() { return {{"Content-Type", "application/x-www-form-urlencoded"}}; }

}  // namespace

uint16_t FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
  }
  ::close(fd);
  return port;
}

std::string JsonString(std::string_view json, std::string_view member) {
  auto parsed = fhir::json::Parse(json);
  if (!parsed.has_value() || !parsed->is_object()) return {};
  for (const auto& [k, v] : parsed->members()) {
    if (k == member && (v.is_string() || v.is_number())) return v.text();
  }
  return {};
}

bool AuthEnv::Start(std::vector<std::pair<std::string, std::string>> extra_gateway_env) {
  port_ = FreeLoopbackPort();
  if (port_ == 0) {
    error_ = "no free port";
    return false;
  }
  OidcProviderOptions op_options;
  op_options.env = {{"OIDC_REDIRECT_URIS", base() + "/auth/callback"},
                    {"OIDC_POST_LOGOUT_REDIRECT_URIS", base() + "/logged-out"},
                    {"OIDC_BACKCHANNEL_LOGOUT_URI", base() + "/auth/backchannel-logout"},
                    {"OIDC_M2M_CLIENTS", "ehr,registry,helsenorge"}};
  op_ = std::make_unique<OidcProvider>(op_options);
  if (!op_->Start()) {
    error_ = "OpenID Provider: " + op_->error();
    return false;
  }
  dir_ = MakeTempDir("emg-auth");
  const std::string iss = op_->issuer();
  const std::string policy = R"({
  "patient_login": [{
    "name": "idporten", "issuer": ")" +
                             iss + R"(", "client_id": "emeistring-gateway",
    "client_secret_env": ")" +
                             std::string(kSecretEnv) + R"(",
    "redirect_uri": ")" + base() +
                             R"(/auth/callback",
    "post_logout_redirect_uri": ")" +
                             base() + R"(/logged-out",
    "scope": "openid profile", "identity_claim": "pid", "acr_values": "idporten-loa-high",
    "acr_order": ["idporten-loa-substantial", "idporten-loa-high"],
    "minimum_acr": "idporten-loa-high", "algorithms": ["RS256", "ES256"],
    "allow_synthetic_ids": true, "allow_http_loopback": true
  }],
  "api_issuers": [{
    "issuer": ")" + iss + R"(", "audience": "urn:emeistring:fhir",
    "algorithms": ["RS256", "PS256", "ES256"], "require_dpop": true,
    "min_security_level": 4, "allow_http_loopback": true
  }],
  "roles": {
    "ehr": ["*.cruds"],
    "registry": ["Patient.rs", "Observation.rs", "QuestionnaireResponse.rs"],
    "helsenorge": ["QuestionnaireResponse.c", "Questionnaire.rs"]
  },
  "clients": [
    {"issuer": ")" + iss + R"(", "client_id": "ehr", "kind": "system", "role": "ehr"},
    {"issuer": ")" + iss + R"(", "client_id": "registry", "kind": "system", "role": "registry"},
    {"issuer": ")" + iss + R"(", "client_id": "helsenorge", "kind": "system", "role": "helsenorge"},
    {"issuer": ")" + iss + R"(", "client_id": "emeistring-gateway", "kind": "personnel"}
  ],
  "return_to_prefixes": ["http://127.0.0.1:8400/app"]
})";
  const std::string policy_path = dir_ + "/auth-policy.json";
  std::ofstream(policy_path) << policy;

  GatewayOptions options;
  options.pass_listen = false;
  options.extra_args = {"--listen", "127.0.0.1:" + std::to_string(port_)};
  options.env = {{"EMG_AUTH_MODE", "enforce"},
                 {"EMG_AUTH_POLICY_FILE", policy_path},
                 {"EMG_AUTH_DEV_LOGIN", "1"},
                 {std::string(kSecretEnv), std::string(kGatewayClientSecret)}};
  for (auto& kv : extra_gateway_env) options.env.push_back(std::move(kv));
  gateway_ = std::make_unique<GatewayProcess>(options);
  if (!gateway_->Start()) {
    error_ = "gateway: " + gateway_->error();
    return false;
  }
  return true;
}

std::optional<AccessToken> AuthEnv::SystemToken(const std::string& client_id,
                                                const std::string& scope, std::string* failure) {
  auto fail = [&](std::string why) -> std::optional<AccessToken> {
    if (failure != nullptr) *failure = std::move(why);
    return std::nullopt;
  };
  auto key = ::jose::PrivateKey::FromPem(op_->m2m_private_key_pem());
  if (!key.has_value()) return fail("m2m key: " + key.error().message());
  const int64_t now = NowSeconds();
  Value header = Value::Object();
  header.Set("typ", Value::String("JWT"));
  header.Set("kid", Value::String("m2m-1"));
  Value claims = Value::Object();
  claims.Set("iss", Value::String(client_id));
  claims.Set("sub", Value::String(client_id));
  claims.Set("aud", Value::String(op_->issuer()));
  claims.Set("jti", Value::String(common::NewUuid()));
  claims.Set("iat", Value::Number(std::to_string(now)));
  claims.Set("nbf", Value::Number(std::to_string(now)));
  claims.Set("exp", Value::Number(std::to_string(now + 60)));
  auto assertion = ::jose::SignCompact(header, claims, *key, ::jose::Alg::kRS256);
  if (!assertion.has_value()) return fail("assertion: " + assertion.error().message());
  auto dpop = ::jose::PrivateKey::Generate(::jose::Alg::kES256);
  if (!dpop.has_value()) return fail("dpop key");
  auto proof = ::jose::MakeDpopProof(*dpop, ::jose::Alg::kES256, "POST", op_->issuer() + "/token",
                                     "", common::SystemNow(), common::NewUuid());
  if (!proof.has_value()) return fail("dpop proof: " + proof.error().message());
  HttpClient http("127.0.0.1", op_->port(), 10s);
  Headers headers = Form();
  headers.emplace_back("DPoP", *proof);
  HttpResult r =
      http.Request("POST", "/token", headers,
                   "grant_type=client_credentials&scope=" + UrlEncode(scope) +
                       "&resource=" + UrlEncode("urn:emeistring:fhir") + "&client_assertion_type=" +
                       UrlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                       "&client_assertion=" + *assertion);
  if (!r.ok || r.status != 200)
    return fail("token endpoint: " + std::to_string(r.status) + " " + r.body);
  std::string token = JsonString(r.body, "access_token");
  if (token.empty()) return fail("no access_token: " + r.body);
  return AccessToken{token, std::move(*dpop)};
}

std::optional<AccessToken> AuthEnv::PersonnelToken(const std::string& login,
                                                   const std::string& scope, std::string* failure) {
  auto fail = [&](std::string why) -> std::optional<AccessToken> {
    if (failure != nullptr) *failure = std::move(why);
    return std::nullopt;
  };
  const std::string iss = op_->issuer();
  const std::string redirect_uri = base() + "/auth/callback";
  const std::string verifier = common::NewUuid() + common::NewUuid();
  const std::string challenge = ::common::Base64UrlEncode(::common::Sha256(verifier));
  HttpClient http("127.0.0.1", op_->port(), 10s);
  CookieJar jar;
  HttpResult r =
      http.Get("/auth?client_id=emeistring-gateway&response_type=code&scope=" + UrlEncode(scope) +
                   "&redirect_uri=" + UrlEncode(redirect_uri) + "&state=s" + common::NewUuid() +
                   "&nonce=n" + common::NewUuid() + "&code_challenge=" + challenge +
                   "&code_challenge_method=S256&resource=" + UrlEncode("urn:emeistring:fhir") +
                   "&prompt=login",
               jar.With());
  if (!r.ok || r.status != 303) return fail("authorize: " + std::to_string(r.status) + r.body);
  jar.Update(r);
  std::string interaction = TargetOn(iss, r.Header("location"));
  r = http.Request("POST", interaction + "/login", jar.With(Form()),
                   "login=" + UrlEncode(login) + "&acr=idporten-loa-high");
  if (!r.ok || r.status != 303) return fail("login: " + std::to_string(r.status) + r.body);
  jar.Update(r);
  std::string location = r.Header("location");
  for (int hop = 0; hop < 5 && !TargetOn(iss, location).empty(); ++hop) {
    r = http.Get(TargetOn(iss, location), jar.With());
    if (!r.ok || r.status != 303) return fail("resume: " + std::to_string(r.status) + r.body);
    jar.Update(r);
    location = r.Header("location");
  }
  std::string code = QueryParam(location, "code");
  if (code.empty()) return fail("no code in " + location);
  auto dpop = ::jose::PrivateKey::Generate(::jose::Alg::kES256);
  auto proof = ::jose::MakeDpopProof(*dpop, ::jose::Alg::kES256, "POST", iss + "/token", "",
                                     common::SystemNow(), common::NewUuid());
  Headers headers = Form();
  headers.emplace_back("DPoP", *proof);
  headers.emplace_back("Authorization",
                       "Basic " + common::Base64Encode(std::string(kGatewayClientId) + ":" +
                                                       std::string(kGatewayClientSecret)));
  r = http.Request("POST", "/token", headers,
                   "grant_type=authorization_code&code=" + UrlEncode(code) +
                       "&redirect_uri=" + UrlEncode(redirect_uri) + "&code_verifier=" + verifier +
                       "&resource=" + UrlEncode("urn:emeistring:fhir"));
  if (!r.ok || r.status != 200) return fail("token: " + std::to_string(r.status) + r.body);
  std::string token = JsonString(r.body, "access_token");
  if (token.empty()) return fail("no access token: " + r.body);
  return AccessToken{token, std::move(*dpop)};
}

Headers AuthEnv::Dpop(const AccessToken& t, std::string_view method, std::string_view path,
                      Headers extra) const {
  std::string p(path);
  size_t q = p.find('?');
  if (q != std::string::npos) p.resize(q);
  auto proof = ::jose::MakeDpopProof(t.dpop_key, ::jose::Alg::kES256, method, base() + p, t.token,
                                     common::SystemNow(), common::NewUuid());
  extra.emplace_back("Authorization", "DPoP " + t.token);
  extra.emplace_back("DPoP", proof.has_value() ? *proof : std::string("invalid"));
  return extra;
}

std::optional<std::string> AuthEnv::DevPatient(const std::string& fnr, std::string* patient_ref) {
  HttpClient http("127.0.0.1", port_, 10s);
  HttpResult r = http.Request("POST", "/auth/dev/login", Form(), "fnr=" + fnr + "&app=1");
  if (!r.ok || r.status != 200) return std::nullopt;
  if (patient_ref != nullptr) *patient_ref = JsonString(r.body, "patient");
  std::string token = JsonString(r.body, "access_token");
  if (token.empty()) return std::nullopt;
  return token;
}

std::optional<AuthEnv::BrowserLogin> AuthEnv::BrowserLoginAs(const std::string& login,
                                                             const std::string& acr,
                                                             std::string* failure) {
  auto fail = [&](std::string why) -> std::optional<BrowserLogin> {
    if (failure != nullptr) *failure = std::move(why);
    return std::nullopt;
  };
  BrowserLogin out;
  HttpClient gw("127.0.0.1", port_, 10s);
  HttpResult r = gw.Get("/auth/login?idp=idporten&return_to=" + UrlEncode("/auth/session"));
  if (!r.ok || r.status != 302) return fail("login: " + std::to_string(r.status) + r.body);
  out.gateway_jar.Update(r);
  const std::string iss = op_->issuer();
  std::string location = r.Header("location");
  HttpClient http("127.0.0.1", op_->port(), 10s);
  CookieJar& jar = out.op_jar;
  r = http.Get(TargetOn(iss, location), jar.With());
  if (!r.ok || r.status != 303) return fail("authorize: " + std::to_string(r.status) + r.body);
  jar.Update(r);
  std::string interaction = TargetOn(iss, r.Header("location"));
  r = http.Request("POST", interaction + "/login", jar.With(Form()),
                   "login=" + UrlEncode(login) + "&acr=" + UrlEncode(acr));
  if (!r.ok || r.status != 303) return fail("op login: " + std::to_string(r.status) + r.body);
  jar.Update(r);
  location = r.Header("location");
  for (int hop = 0; hop < 5 && !TargetOn(iss, location).empty(); ++hop) {
    r = http.Get(TargetOn(iss, location), jar.With());
    if (!r.ok || r.status != 303) return fail("resume: " + std::to_string(r.status) + r.body);
    jar.Update(r);
    location = r.Header("location");
  }
  out.location = location;
  std::string target = TargetOn(base(), location);
  if (!target.starts_with("/auth/callback")) return fail("not sent back to us: " + location);
  out.callback = gw.Get(target, out.gateway_jar.With());
  if (!out.callback.ok) return fail("callback: " + out.callback.error);
  out.gateway_jar.Update(out.callback);
  return out;
}

}  // namespace emg::test
