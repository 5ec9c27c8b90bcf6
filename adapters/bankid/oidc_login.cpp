#include "adapters/bankid/oidc_login.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "common/base64.h"
#include "common/digest.h"
#include "common/norwegian_id.h"
#include "common/url.h"
#include "fhir/json/parser.h"
#include "jose/jwt.h"

namespace adapters::bankid {
namespace {

using common::Code;
using common::Status;
using common::StatusOr;
using fhir::json::Value;

Status Unauthenticated(std::string why) { return Status(Code::kUnauthenticated, std::move(why)); }

int AcrRank(const PatientIssuer& idp, std::string_view acr) {
  auto it = std::find(idp.acr_order.begin(), idp.acr_order.end(), acr);
  return it == idp.acr_order.end() ? -1 : static_cast<int>(it - idp.acr_order.begin());
}

}  // namespace

std::string RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    // RAND_bytes only fails when the CSPRNG cannot be seeded: never hand out a weak token.
    std::abort();
  }
  return common::Base64UrlEncode(raw);
}

StatusOr<AuthorizationRequest> BeginLogin(const PatientIssuer& idp,
                                          const jose::ProviderMetadata& metadata,
                                          std::string return_to, bool app, common::SystemTime now) {
  if (metadata.authorization_endpoint.empty()) {
    return common::Error(Code::kUnavailable, "the identity provider has no authorization endpoint");
  }
  if (!metadata.code_challenge_methods_supported.empty() &&
      std::find(metadata.code_challenge_methods_supported.begin(),
                metadata.code_challenge_methods_supported.end(),
                "S256") == metadata.code_challenge_methods_supported.end()) {
    return common::Error(Code::kUnavailable, "the identity provider does not support PKCE S256");
  }
  AuthorizationRequest r;
  r.pending.idp = idp.name;
  r.pending.state = RandomToken(32);
  r.pending.nonce = RandomToken(32);
  r.pending.code_verifier = RandomToken(48);  // 64 characters (RFC 7636: 43..128)
  r.pending.return_to = std::move(return_to);
  r.pending.app = app;
  r.pending.created = now;
  const std::string challenge = common::Base64UrlEncode(common::Sha256(r.pending.code_verifier));
  std::string url = metadata.authorization_endpoint;
  url += metadata.authorization_endpoint.find('?') == std::string::npos ? '?' : '&';
  url += "response_type=code&client_id=" + common::PercentEncode(idp.client_id);
  url += "&redirect_uri=" + common::PercentEncode(idp.redirect_uri);
  url += "&scope=" + common::PercentEncode(idp.scope);
  url += "&state=" + r.pending.state;
  url += "&nonce=" + r.pending.nonce;
  url += "&code_challenge=" + challenge + "&code_challenge_method=S256";
  if (!idp.acr_values.empty()) url += "&acr_values=" + common::PercentEncode(idp.acr_values);
  r.url = std::move(url);
  return r;
}

StatusOr<VerifiedLogin> VerifyIdToken(const PatientIssuer& idp, jose::IssuerKeys& keys,
                                      std::string_view id_token, std::string_view expected_nonce,
                                      std::string_view access_token, common::SystemTime now) {
  jose::JwtPolicy policy;
  policy.issuer = idp.issuer;
  policy.audiences = {idp.client_id};
  policy.authorized_party = idp.client_id;
  policy.algorithms = idp.algorithms;
  policy.skew = idp.skew;
  policy.max_age = idp.max_id_token_age;
  auto resolve = [&keys](std::string_view kid, jose::Alg alg) { return keys.Key(kid, alg); };
  ASSIGN_OR_RETURN(jose::VerifiedJwt jwt, jose::VerifyJwt(id_token, policy, resolve, now));
  const Value& c = jwt.claims;

  // The nonce binds the token to this login attempt; the pending login it came from is
  // consumed by the caller, so a replayed token finds no nonce to match.
  std::string nonce(c.GetString("nonce"));
  if (expected_nonce.empty() || nonce != expected_nonce) {
    return common::Error(Unauthenticated("the ID token's nonce does not match this login"));
  }
  if (const Value* at_hash = c.Find("at_hash"); at_hash != nullptr) {
    auto alg = jose::AlgFromName(jwt.header.GetString("alg"));
    if (!at_hash->is_string() || !alg || access_token.empty() ||
        jose::AtHash(access_token, *alg) != at_hash->text()) {
      return common::Error(
          Unauthenticated("the ID token's at_hash does not match the access token"));
    }
  }
  VerifiedLogin out;
  out.issuer = idp.issuer;
  out.subject = std::string(c.GetString("sub"));
  if (out.subject.empty()) return common::Error(Unauthenticated("the ID token has no sub"));
  out.acr = std::string(c.GetString("acr"));
  const int rank = AcrRank(idp, out.acr);
  if (rank < 0 || rank < AcrRank(idp, idp.minimum_acr)) {
    return common::Error(Unauthenticated("the login's assurance level (acr) is too low"));
  }
  if (const Value* amr = c.Find("amr"); amr != nullptr) {
    if (amr->is_array()) {
      for (const Value& a : amr->items()) {
        if (a.is_string()) out.amr.push_back(a.text());
      }
    } else if (amr->is_string()) {
      out.amr.push_back(amr->text());  // ID-porten's old platform sent a string
    }
  }
  out.national_id = std::string(c.GetString(idp.identity_claim));
  std::optional<common::NorwegianId> id = common::ParseNorwegianId(out.national_id);
  if (!id || id->kind == common::NorwegianIdKind::kHNummer) {
    return common::Error(
        Unauthenticated("the ID token's identity claim is not a valid fødselsnummer or D-nummer"));
  }
  if (id->synthetic && !idp.allow_synthetic_ids) {
    return common::Error(Unauthenticated(
        "the identity is a synthetic test number, which this issuer is not configured to accept"));
  }
  out.d_number = id->kind == common::NorwegianIdKind::kDNummer;
  out.sid = std::string(c.GetString("sid"));
  out.id_token = std::string(id_token);
  out.given_name = std::string(c.GetString("given_name"));
  out.family_name = std::string(c.GetString("family_name"));
  out.birthdate = std::string(c.GetString("birthdate"));
  return out;
}

StatusOr<VerifiedLogin> CompleteLogin(const PatientIssuer& idp,
                                      const jose::ProviderMetadata& metadata,
                                      jose::IssuerKeys& keys, const PendingLogin& pending,
                                      const CallbackParams& callback, const PostForm& post,
                                      common::SystemTime now) {
  if (!callback.error.empty()) {
    return common::Error(
        Unauthenticated("the identity provider ended the login: " + callback.error.substr(0, 64)));
  }
  // RFC 9207: a response from another issuer (mix-up attack) must not be redeemed here.
  if (!callback.iss.empty() || metadata.authorization_response_iss_parameter_supported) {
    if (callback.iss != idp.issuer) {
      return common::Error(Unauthenticated("the authorization response came from another issuer"));
    }
  }
  if (callback.code.empty()) {
    return common::Error(Unauthenticated("the authorization response has no code"));
  }
  std::string body = "grant_type=authorization_code&code=" + common::PercentEncode(callback.code) +
                     "&redirect_uri=" + common::PercentEncode(idp.redirect_uri) +
                     "&code_verifier=" + common::PercentEncode(pending.code_verifier);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  if (!idp.client_secret.empty()) {
    headers.emplace_back(
        "Authorization",
        "Basic " + common::Base64Encode(common::PercentEncode(idp.client_id) + ":" +
                                        common::PercentEncode(idp.client_secret)));
  } else {
    body += "&client_id=" + common::PercentEncode(idp.client_id);
  }
  ASSIGN_OR_RETURN(auto response, post(metadata.token_endpoint, body, headers));
  if (response.first != 200) {
    // invalid_grant for a reused or expired code, a wrong verifier, ...: the body's error code
    // is safe to repeat, nothing else is.
    std::string code;
    if (auto parsed = fhir::json::Parse(response.second); parsed && parsed->is_object()) {
      code = std::string(parsed->GetString("error")).substr(0, 64);
    }
    return common::Error(Unauthenticated("the token request was refused (HTTP " +
                                         std::to_string(response.first) +
                                         (code.empty() ? "" : ", " + code) + ")"));
  }
  auto parsed = fhir::json::Parse(response.second);
  if (!parsed || !parsed->is_object()) {
    return common::Error(Unauthenticated("the token response is not a JSON object"));
  }
  std::string id_token(parsed->GetString("id_token"));
  if (id_token.empty()) return common::Error(Unauthenticated("the token response has no id_token"));
  return VerifyIdToken(idp, keys, id_token, pending.nonce,
                       std::string(parsed->GetString("access_token")), now);
}

StatusOr<LogoutToken> VerifyLogoutToken(const PatientIssuer& idp, jose::IssuerKeys& keys,
                                        std::string_view token, common::SystemTime now) {
  jose::JwtPolicy policy;
  policy.issuer = idp.issuer;
  policy.audiences = {idp.client_id};
  policy.algorithms = idp.algorithms;
  policy.skew = idp.skew;
  policy.max_age = idp.max_id_token_age;
  policy.types = {"logout+jwt", "JWT"};
  auto resolve = [&keys](std::string_view kid, jose::Alg alg) { return keys.Key(kid, alg); };
  ASSIGN_OR_RETURN(jose::VerifiedJwt jwt, jose::VerifyJwt(token, policy, resolve, now));
  const Value& c = jwt.claims;
  const Value* events = c.Find("events");
  if (events == nullptr ||
      events->Find("http://schemas.openid.net/event/backchannel-logout") == nullptr) {
    return common::Error(Unauthenticated("the logout token has no back-channel logout event"));
  }
  if (c.Find("nonce") != nullptr) {
    return common::Error(Unauthenticated("a logout token must not carry a nonce"));
  }
  LogoutToken out;
  out.issuer = idp.issuer;
  out.subject = std::string(c.GetString("sub"));
  out.sid = std::string(c.GetString("sid"));
  out.jti = std::string(c.GetString("jti"));
  if (out.subject.empty() && out.sid.empty()) {
    return common::Error(Unauthenticated("the logout token names neither sub nor sid"));
  }
  if (out.jti.empty()) return common::Error(Unauthenticated("the logout token has no jti"));
  return out;
}

std::string EndSessionUrl(const jose::ProviderMetadata& metadata, std::string_view id_token_hint,
                          std::string_view post_logout_redirect_uri, std::string_view state) {
  if (metadata.end_session_endpoint.empty()) return {};
  std::string url = metadata.end_session_endpoint;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "id_token_hint=" + common::PercentEncode(id_token_hint);
  if (!post_logout_redirect_uri.empty()) {
    url += "&post_logout_redirect_uri=" + common::PercentEncode(post_logout_redirect_uri);
  }
  if (!state.empty()) url += "&state=" + common::PercentEncode(state);
  return url;
}

}  // namespace adapters::bankid
