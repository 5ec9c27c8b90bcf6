#include "jose/jwt.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/base64.h"
#include "fhir/json/parser.h"
#include "jose/jws.h"

namespace jose {
namespace {

std::unexpected<common::Status> Reject(std::string message) {
  return common::Error(common::Code::kUnauthenticated, std::move(message));
}

// Claims sets are small; the bound is the compact token's.
constexpr fhir::json::ParseLimits kClaimsLimits{kMaxCompactJwsBytes, 16};

// NumericDates we accept: from the epoch to the end of year 9999. Keeps the arithmetic
// below far from overflow.
constexpr int64_t kMaxNumericDate = 253402300799;

enum class DateState { kAbsent, kMalformed, kOk };

DateState DateClaim(const fhir::json::Value& claims, std::string_view name, int64_t* out) {
  if (claims.Find(name) == nullptr) return DateState::kAbsent;
  std::optional<int64_t> v = NumericClaim(claims, name);
  if (!v || *v < 0 || *v > kMaxNumericDate) return DateState::kMalformed;
  *out = *v;
  return DateState::kOk;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string NormalizeMediaType(std::string_view type) {
  std::string out(type);
  std::transform(out.begin(), out.end(), out.begin(), Lower);
  constexpr std::string_view kPrefix = "application/";
  if (out.starts_with(kPrefix) && out.find('/', kPrefix.size()) == std::string::npos) {
    out.erase(0, kPrefix.size());
  }
  return out;
}

}  // namespace

bool MediaTypeEquals(std::string_view a, std::string_view b) {
  return NormalizeMediaType(a) == NormalizeMediaType(b);
}

std::optional<std::string> StringClaim(const fhir::json::Value& claims, std::string_view name) {
  const fhir::json::Value* v = claims.Find(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->text();
}

std::optional<int64_t> NumericClaim(const fhir::json::Value& claims, std::string_view name) {
  const fhir::json::Value* v = claims.Find(name);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  const std::string& raw = v->text();  // JSON number text, as the parser saw it
  const char* end = raw.data() + raw.size();
  int64_t integer = 0;
  auto [p, ec] = std::from_chars(raw.data(), end, integer);
  if (ec == std::errc() && p == end) return integer;
  // A fraction or an exponent ("1.7e9"): NumericDates may have them.
  double d = 0;
  auto [q, ec2] = std::from_chars(raw.data(), end, d);
  if (ec2 != std::errc() || q != end || !std::isfinite(d)) return std::nullopt;
  d = std::floor(d);
  if (d < -9.0e18 || d > 9.0e18) return std::nullopt;
  return static_cast<int64_t>(d);
}

std::string AtHash(std::string_view access_token, Alg alg) {
  std::string hash = AlgHash(alg, access_token);
  return common::Base64UrlEncode(std::string_view(hash).substr(0, hash.size() / 2));
}

common::StatusOr<VerifiedJwt> VerifyJwt(std::string_view token, const JwtPolicy& policy,
                                        const KeyResolver& resolve_key, common::SystemTime now) {
  auto jws = ParseCompact(token);
  if (!jws) return Reject(jws.error().message());  // ParseCompact's messages are content-free
  const fhir::json::Value& header = jws->header;

  // The allow-list comes first: no key lookup, no work for an algorithm we never accept.
  const std::optional<Alg> alg = AlgFromName(header.GetString("alg"));
  if (!alg || std::find(policy.algorithms.begin(), policy.algorithms.end(), *alg) ==
                  policy.algorithms.end()) {
    return Reject("algorithm not allowed");
  }
  // Keys come from the configured issuer only, never from the token (RFC 8725 §3.10).
  for (std::string_view name : {"jku", "x5u", "jwk", "x5c"}) {
    if (header.Find(name) != nullptr) return Reject("key reference header not allowed");
  }
  // Explicit typing (RFC 8725 §3.11) keeps, say, an ID token from passing as an access token.
  const fhir::json::Value* typ = header.Find("typ");
  if (typ != nullptr && !typ->is_string()) return Reject("malformed typ");
  if (!policy.types.empty()) {
    if (typ == nullptr) return Reject("type mismatch");
    const bool match =
        std::any_of(policy.types.begin(), policy.types.end(),
                    [&](const std::string& t) { return MediaTypeEquals(t, typ->text()); });
    if (!match) return Reject("type mismatch");
  }
  const fhir::json::Value* kid = header.Find("kid");
  if (kid != nullptr && !kid->is_string()) return Reject("malformed kid");

  if (!resolve_key) return Reject("signing key not found");
  common::StatusOr<PublicKey> key = resolve_key(kid != nullptr ? kid->text() : "", *alg);
  if (!key) return Reject("signing key not found");
  if (common::Status s = VerifySignature(*jws, *key, *alg); !s.ok()) return Reject(s.message());

  // Only now is the payload trusted enough to be parsed.
  auto claims = fhir::json::Parse(jws->payload, kClaimsLimits);
  if (!claims || !claims->is_object()) return Reject("malformed claims");

  if (policy.issuer.empty() || StringClaim(*claims, "iss") != policy.issuer) {
    return Reject("issuer mismatch");
  }

  std::vector<std::string_view> auds;
  if (const fhir::json::Value* aud = claims->Find("aud"); aud == nullptr) {
    return Reject("missing audience");
  } else if (aud->is_string()) {
    auds.push_back(aud->text());
  } else if (aud->is_array()) {
    for (const auto& item : aud->items()) {
      if (!item.is_string()) return Reject("malformed audience");
      auds.push_back(item.text());
    }
  } else {
    return Reject("malformed audience");
  }
  if (auds.empty()) return Reject("malformed audience");
  if (policy.single_audience && auds.size() != 1) return Reject("multiple audiences");
  const bool aud_match = std::any_of(auds.begin(), auds.end(), [&](std::string_view a) {
    return std::find(policy.audiences.begin(), policy.audiences.end(), a) != policy.audiences.end();
  });
  if (!aud_match) return Reject("audience mismatch");

  const fhir::json::Value* azp = claims->Find("azp");
  if (azp != nullptr && !azp->is_string()) return Reject("malformed azp");
  if (!policy.authorized_party.empty()) {
    if (azp != nullptr && azp->text() != policy.authorized_party) {
      return Reject("authorized party mismatch");
    }
    if (azp == nullptr && auds.size() > 1) return Reject("missing authorized party");
  }

  const int64_t now_s = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  const int64_t skew = policy.skew.count();
  int64_t exp = 0, nbf = 0, iat = 0;
  switch (DateClaim(*claims, "exp", &exp)) {
    case DateState::kAbsent:
      return Reject("missing exp");
    case DateState::kMalformed:
      return Reject("malformed exp");
    case DateState::kOk:
      break;
  }
  if (exp <= now_s - skew) return Reject("token expired");
  switch (DateClaim(*claims, "nbf", &nbf)) {
    case DateState::kAbsent:
      break;
    case DateState::kMalformed:
      return Reject("malformed nbf");
    case DateState::kOk:
      if (nbf > now_s + skew) return Reject("token not yet valid");
      break;
  }
  switch (DateClaim(*claims, "iat", &iat)) {
    case DateState::kAbsent:
      if (policy.require_iat) return Reject("missing iat");
      if (policy.max_age) return Reject("missing iat");  // an age limit needs an issue time
      break;
    case DateState::kMalformed:
      return Reject("malformed iat");
    case DateState::kOk:
      if (iat > now_s + skew) return Reject("token issued in the future");
      if (policy.max_age && now_s - iat > policy.max_age->count() + skew) {
        return Reject("token too old");
      }
      break;
  }

  return VerifiedJwt{std::move(jws->header), std::move(*claims)};
}

}  // namespace jose
