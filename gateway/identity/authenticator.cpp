#include "gateway/identity/authenticator.h"

#include <algorithm>
#include <cctype>

#include "fhir/json/parser.h"
#include "jose/jws.h"
#include "jose/jwt.h"

namespace gateway::identity {
namespace {

using authz::Principal;
using authz::PrincipalKind;
using authz::ScopeContext;
using authz::ScopeSet;
using common::Code;
using common::Status;
using fhir::json::Value;

constexpr std::string_view kHprClaim = "helseid://claims/hpr/hpr_number";
constexpr std::string_view kSecurityLevelClaim = "helseid://claims/identity/security_level";
constexpr std::string_view kOrgnrChildClaim = "helseid://claims/client/claims/orgnr_child";
constexpr std::string_view kOrgnrParentClaim = "helseid://claims/client/claims/orgnr_parent";

AuthenticationResult Fail(Code code, std::string why) {
  AuthenticationResult r;
  r.status = Status(code, std::move(why));
  return r;
}

// A claim as text: strings as they are, numbers by their JSON text (security_level may come
// either way), the first element of an array of strings.
std::string ClaimText(const Value& claims, std::string_view name) {
  const Value* m = claims.Find(name);
  if (m == nullptr) return {};
  if (m->is_string() || m->is_number()) return m->text();
  if (m->is_array() && !m->items().empty() && m->items()[0].is_string()) {
    return m->items()[0].text();
  }
  return {};
}

// `scope` is a space-separated string (RFC 9068) or, from some issuers, an array.
std::string ScopeText(const Value& claims) {
  const Value* m = claims.Find("scope");
  if (m == nullptr) m = claims.Find("scp");
  if (m == nullptr) return {};
  if (m->is_string()) return m->text();
  std::string out;
  if (m->is_array()) {
    for (const Value& s : m->items()) {
      if (!s.is_string()) continue;
      if (!out.empty()) out += ' ';
      out += s.text();
    }
  }
  return out;
}

bool IsSafeMethod(std::string_view method) { return method == "GET" || method == "HEAD"; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view pair = Trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
  }
  return {};
}

Authenticator::Authenticator(const AuthPolicy& policy, SessionStore& sessions,
                             fhir::store::Store& store, std::string public_url, std::string scheme,
                             const ::jose::Fetch& fetch, std::function<common::SystemTime()> clock)
    : policy_(policy),
      sessions_(sessions),
      directory_(store),
      public_url_(std::move(public_url)),
      scheme_(std::move(scheme)),
      clock_(std::move(clock)) {
  for (const ApiIssuer& api : policy_.api_issuers) {
    ::jose::IssuerKeysOptions options;
    options.issuer = api.issuer;
    options.discovery_url = api.discovery_url;
    options.allow_http_loopback = api.allow_http_loopback;
    keys_[api.issuer] = std::make_unique<::jose::IssuerKeys>(options, fetch, clock_);
  }
}

std::vector<::jose::Alg> Authenticator::DpopAlgorithms() { return ::jose::DpopCheck{}.algorithms; }

common::StatusOr<::jose::ProviderMetadata> Authenticator::IssuerMetadata(
    const std::string& issuer) {
  auto it = keys_.find(issuer);
  if (it == keys_.end()) return common::Error(Code::kNotFound, "no such API issuer");
  return it->second->Metadata();
}

std::string Authenticator::Challenge(const Status& failure) const {
  std::string error = failure.code() == Code::kUnauthenticated ? "invalid_token" : "";
  std::string c = "Bearer realm=\"emeistring\"";
  if (!error.empty()) c += ", error=\"" + error + "\"";
  std::string algs;
  for (::jose::Alg alg : DpopAlgorithms()) {
    if (!algs.empty()) algs += ' ';
    algs += ::jose::AlgName(alg);
  }
  c += ", DPoP algs=\"" + algs + "\"";
  return c;
}

AuthenticationResult Authenticator::Authenticate(const HttpRequest& request) {
  std::string_view authorization = request.Header("authorization");
  if (!authorization.empty()) {
    size_t space = authorization.find(' ');
    if (space == std::string_view::npos) {
      return Fail(Code::kUnauthenticated, "the Authorization header is malformed");
    }
    std::string scheme(authorization.substr(0, space));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view token = Trim(authorization.substr(space + 1));
    if (scheme == "bearer" && token.starts_with(kSessionTokenPrefix)) {
      return FromSession(token, /*via_cookie=*/false, request);
    }
    if (scheme != "bearer" && scheme != "dpop") {
      return Fail(Code::kUnauthenticated, "unsupported authorization scheme (use Bearer or DPoP)");
    }
    return FromAccessToken(scheme, token, request);
  }
  std::string cookie = CookieValue(request.Header("cookie"), kSessionCookie);
  if (!cookie.empty()) return FromSession(cookie, /*via_cookie=*/true, request);
  return Fail(Code::kUnauthenticated, "authentication is required");
}

AuthenticationResult Authenticator::FromSession(std::string_view token, bool via_cookie,
                                                const HttpRequest& request) {
  std::optional<Session> session = sessions_.Find(token, clock_());
  if (!session) return Fail(Code::kUnauthenticated, "the session has expired or was ended");
  // A cookie rides along on cross-site requests; a custom header cannot be sent cross-site
  // without a CORS preflight, which this server never grants.
  if (via_cookie && !IsSafeMethod(request.method) && !request.HasHeader("x-requested-with")) {
    return Fail(Code::kPermissionDenied,
                "state-changing requests with the session cookie must send X-Requested-With");
  }
  auto principal = std::make_shared<Principal>(*session->principal);
  principal->remote_address = request.context.remote_address;
  AuthenticationResult r;
  r.principal = std::move(principal);
  r.via_cookie = via_cookie;
  return r;
}

AuthenticationResult Authenticator::FromAccessToken(std::string_view scheme, std::string_view token,
                                                    const HttpRequest& request) {
  const common::SystemTime now = clock_();
  // Pick the issuer's policy by the (still unverified) `iss`; nothing else is trusted before
  // the signature is checked against that issuer's keys.
  auto jws = ::jose::ParseCompact(token);
  if (!jws.has_value()) return Fail(Code::kUnauthenticated, "the access token is not a JWT");
  auto unverified = fhir::json::Parse(jws->payload);
  if (!unverified.has_value() || !unverified->is_object()) {
    return Fail(Code::kUnauthenticated, "the access token is not a JWT");
  }
  const std::string iss = ClaimText(*unverified, "iss");
  const ApiIssuer* api = nullptr;
  for (const ApiIssuer& candidate : policy_.api_issuers) {
    if (candidate.issuer == iss) api = &candidate;
  }
  if (api == nullptr) {
    return Fail(Code::kUnauthenticated, "the access token's issuer is not accepted here");
  }
  ::jose::JwtPolicy jwt_policy;
  jwt_policy.issuer = api->issuer;
  jwt_policy.audiences = {api->audience};
  jwt_policy.single_audience = true;
  jwt_policy.algorithms = api->algorithms;
  jwt_policy.types = api->token_types;
  jwt_policy.skew = std::chrono::seconds(30);
  ::jose::IssuerKeys& keys = *keys_.at(api->issuer);
  auto resolve = [&keys](std::string_view kid, ::jose::Alg alg) { return keys.Key(kid, alg); };
  auto verified = ::jose::VerifyJwt(token, jwt_policy, resolve, now);
  if (!verified.has_value()) {
    return Fail(Code::kUnauthenticated, "invalid access token: " + verified.error().message());
  }
  const Value& claims = verified->claims;

  // Sender constraint (RFC 9449): a DPoP-bound token only with its proof, never as Bearer.
  std::string jkt;
  if (const Value* cnf = claims.Find("cnf"); cnf != nullptr) jkt = ClaimText(*cnf, "jkt");
  if (!jkt.empty() || api->require_dpop) {
    if (scheme != "dpop") {
      return Fail(Code::kUnauthenticated,
                  jkt.empty() ? "this API requires DPoP-bound access tokens"
                              : "a DPoP-bound access token must be sent with the DPoP scheme");
    }
    if (jkt.empty()) return Fail(Code::kUnauthenticated, "the access token is not DPoP-bound");
    int proofs = 0;
    std::string_view proof;
    for (const auto& [name, value] : request.headers) {
      if (name == "dpop") {
        ++proofs;
        proof = value;
      }
    }
    if (proofs != 1) {
      return Fail(Code::kUnauthenticated, "exactly one DPoP proof header is required");
    }
    ::jose::DpopCheck check;
    check.method = request.method;
    check.url = (public_url_.empty() ? scheme_ + "://" + std::string(request.Header("host"))
                                     : public_url_) +
                request.path;
    check.access_token = std::string(token);
    check.expected_jkt = jkt;
    auto proven = ::jose::VerifyDpopProof(proof, check, dpop_replay_, now);
    if (!proven.has_value()) {
      return Fail(Code::kUnauthenticated, "invalid DPoP proof: " + proven.error().message());
    }
  } else if (scheme == "dpop") {
    return Fail(Code::kUnauthenticated, "the access token is not DPoP-bound");
  }

  std::string client_id = ClaimText(claims, "client_id");
  if (client_id.empty()) client_id = ClaimText(claims, "azp");
  auto issuer_clients = policy_.clients.find(api->issuer);
  const ClientRule* rule = nullptr;
  if (issuer_clients != policy_.clients.end()) {
    auto it = issuer_clients->second.find(client_id);
    if (it != issuer_clients->second.end()) rule = &it->second;
  }
  if (rule == nullptr) {
    return Fail(Code::kPermissionDenied, "the client is not registered with this gateway");
  }

  auto p = std::make_shared<Principal>();
  p->issuer = api->issuer;
  p->subject = ClaimText(claims, "sub");
  p->client_id = client_id;
  p->token_id = ClaimText(claims, "jti");
  p->remote_address = request.context.remote_address;
  p->scopes = ScopeSet::Parse(ScopeText(claims));
  p->organization_number = ClaimText(claims, kOrgnrChildClaim);
  if (p->organization_number.empty()) p->organization_number = ClaimText(claims, kOrgnrParentClaim);

  if (rule->kind == "system") {
    p->kind = PrincipalKind::kSystem;
    p->role = rule->role;
    p->permissions = ScopeSet::ParseRole(policy_.roles.at(rule->role), ScopeContext::kSystem);
  } else {
    p->kind = PrincipalKind::kPractitioner;
    p->hpr_number = ClaimText(claims, kHprClaim);
    if (p->hpr_number.empty()) {
      return Fail(Code::kPermissionDenied,
                  "personnel access needs a user with an HPR number in the token");
    }
    const std::string level = ClaimText(claims, kSecurityLevelClaim);
    if (level.size() != 1 || level[0] < '1' || level[0] > '4' ||
        level[0] - '0' < api->min_security_level) {
      return Fail(Code::kPermissionDenied, "the user's security level is too low for patient data");
    }
    p->purpose_of_use = "TREAT";
    p->permissions = ScopeSet::ParseRole(policy_.personnel_permissions, ScopeContext::kUser);
    auto practitioner = directory_.FindPractitioner(p->hpr_number);
    if (!practitioner.has_value()) {
      return Fail(Code::kUnavailable, "the user's record could not be looked up");
    }
    p->practitioner_id = *practitioner;
  }
  if (!p->organization_number.empty()) {
    auto orgs = directory_.FindOrganizations(p->organization_number);
    if (!orgs.has_value())
      return Fail(Code::kUnavailable, "the organisation could not be looked up");
    p->organization_ids = *orgs;
  }
  AuthenticationResult r;
  r.principal = std::move(p);
  return r;
}

}  // namespace gateway::identity
