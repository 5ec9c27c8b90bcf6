#pragma once
// JWT verification (RFC 7519, RFC 8725 best practices) for ID tokens, access tokens and
// logout tokens. One entry point, VerifyJwt, applies a JwtPolicy in a fixed order: the
// algorithm allow-list before any key lookup, the signature before any claim is read.
// Every failure is kUnauthenticated with a short message naming the failed check; messages
// never contain the token or claim values (they reach logs and clients).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "fhir/json/value.h"
#include "jose/jose.h"

namespace jose {

struct JwtPolicy {
  std::string issuer;                  // `iss` must equal it exactly
  std::vector<std::string> audiences;  // `aud` (string or array) must contain one of them
  bool single_audience = false;        // true: `aud` must hold exactly one value (HelseID rule)
  std::string authorized_party;        // when set and `aud` has >1 values, `azp` must equal it; if
                                       // `azp` is present it must equal it
  std::vector<Alg> algorithms;         // allow-list (none/HS* cannot even be named)
  std::vector<std::string> types;      // accepted `typ` values, compared case-insensitively, the
                                       // "application/" prefix optional; empty = any or absent
  std::chrono::seconds skew{60};
  std::optional<std::chrono::seconds> max_age;  // `iat` must not be older than this (+ skew)
  bool require_iat = true;
};

struct VerifiedJwt {
  fhir::json::Value header;
  fhir::json::Value claims;
};

// Resolves the verification key for a token's `kid` (may be empty) and alg. Returns an error
// to fail (reported as "signing key not found"; the resolver logs its own details).
using KeyResolver = std::function<common::StatusOr<PublicKey>(std::string_view kid, Alg alg)>;

// Order: parse; `alg` on the allow-list; no `jku`/`x5u`/`jwk`/`x5c` headers (keys come only
// from the configured issuer); `typ`; key; signature; then the claims (a JSON object): `iss`,
// `aud`, `azp`, `exp` (required, > now - skew), `nbf` (if present, <= now + skew), `iat`
// (required unless !require_iat; not beyond now + skew; not older than max_age + skew).
// Dates must be JSON numbers.
common::StatusOr<VerifiedJwt> VerifyJwt(std::string_view token, const JwtPolicy& policy,
                                        const KeyResolver& resolve_key, common::SystemTime now);

// OIDC at_hash / c_hash: base64url of the left half of the hash the alg uses (SHA-256 for
// *256, ...) over the ASCII token.
std::string AtHash(std::string_view access_token, Alg alg);

// Media type equality for `typ`/`cty` (RFC 7515 §4.1.9): case-insensitive, with the
// "application/" prefix optional when the rest contains no '/'.
bool MediaTypeEquals(std::string_view a, std::string_view b);

// The claim as a string; nullopt when absent or not a string.
std::optional<std::string> StringClaim(const fhir::json::Value& claims, std::string_view name);
// The claim as an integer (a NumericDate's fraction is dropped, rounding down); nullopt when
// absent, not a JSON number or out of range.
std::optional<int64_t> NumericClaim(const fhir::json::Value& claims, std::string_view name);

}  // namespace jose
