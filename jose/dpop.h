#pragma once
// DPoP (RFC 9449): verification of proof JWTs at a resource server or token endpoint, the
// replay cache it needs, and proof creation for clients and tests.
//
// A proof is a JWT signed by the key in its own `jwk` header; what binds it to anything is
// the checks: the request (htm, htu), time (iat), uniqueness (jti), the access token (ath)
// and the token's key binding (cnf.jkt == the returned thumbprint).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "jose/jose.h"

namespace jose {

// Remembers proof identifiers until they expire. Thread-safe.
class ReplayCache {
 public:
  explicit ReplayCache(size_t max_entries = 100000);

  // True when `key` was not seen and is now recorded until `expires`; false for a replay, or
  // when the cache is full (fail closed: a flood of proofs must not push out real entries).
  // Entries whose expiry is before `now` are purged first.
  bool CheckAndRecord(std::string_view key, common::SystemTime expires, common::SystemTime now);
  size_t size() const;

 private:
  void PurgeLocked(common::SystemTime now);

  const size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, common::SystemTime> entries_;
  std::set<std::pair<common::SystemTime, std::string>> by_expiry_;
};

struct DpopCheck {
  std::string method;        // the request method, e.g. "GET"
  std::string url;           // absolute request URL, scheme://host[:port]/path; query ignored
  std::string access_token;  // empty at a token endpoint
  std::string expected_jkt;  // cnf.jkt of the access token; empty = any
  std::vector<Alg> algorithms{Alg::kES256, Alg::kPS256, Alg::kRS256};
  std::chrono::seconds window{60};
};

// Verifies one DPoP proof JWT and returns the RFC 7638 thumbprint of its key. Checks: typ
// "dpop+jwt"; alg allowed; header `jwk` a public key (private members refused) that verifies
// the signature; `htm` equals the method exactly; `htu` equals the URL after normalisation
// (NormalizeHttpUrl); `iat` within ±window of now; `jti` present (<= 256 characters) and not
// replayed (key jkt + "|" + jti, kept until iat + window); `ath` == base64url(SHA-256(access
// token)) when an access token is given (required then); the thumbprint equals expected_jkt
// when set. Failures: kUnauthenticated with a short message naming the check.
common::StatusOr<std::string> VerifyDpopProof(std::string_view proof, const DpopCheck& check,
                                              ReplayCache& replay, common::SystemTime now);

// For clients and tests: a proof for `method` and `url` (query and fragment dropped), with
// `ath` when `access_token` is not empty.
common::StatusOr<std::string> MakeDpopProof(const PrivateKey& key, Alg alg, std::string_view method,
                                            std::string_view url, std::string_view access_token,
                                            common::SystemTime iat, std::string jti);

// RFC 9449 §4.3 / RFC 3986 §6 normalisation of an http(s) URL for comparing `htu`: scheme
// and host lower-case, default port and empty port removed, empty path as "/", percent
// escapes upper-case (unreserved characters decoded), query and fragment dropped. nullopt
// when `url` is not an absolute http(s) URL.
std::optional<std::string> NormalizeHttpUrl(std::string_view url);

}  // namespace jose
