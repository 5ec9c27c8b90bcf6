#pragma once
// OpenID Provider metadata (OpenID Connect Discovery 1.0 / RFC 8414) and JWK Sets (RFC 7517
// §5), plus IssuerKeys: a thread-safe cache of one issuer's metadata and signing keys.
// No network here: the gateway supplies `Fetch` (and with it the TLS policy).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "jose/jose.h"

namespace jose {

struct ProviderMetadata {
  std::string issuer, authorization_endpoint, token_endpoint, jwks_uri, end_session_endpoint,
      userinfo_endpoint, introspection_endpoint, revocation_endpoint;
  std::vector<std::string> id_token_signing_alg_values_supported, code_challenge_methods_supported;
  // RFC 8414 §2 (absent members stay empty): what the authorization server offers, passed on
  // in the gateway's SMART discovery document.
  std::vector<std::string> grant_types_supported, response_types_supported,
      token_endpoint_auth_methods_supported, token_endpoint_auth_signing_alg_values_supported,
      dpop_signing_alg_values_supported;
  bool authorization_response_iss_parameter_supported = false;
};

// Parses a discovery document. Its `issuer` must equal `expected_issuer` exactly (OIDC
// Discovery §4.3: otherwise a provider could speak for another); `jwks_uri` is required;
// endpoints must be https URLs, or http URLs on 127.0.0.1, localhost or [::1] when
// `allow_http_loopback` (development). Failures are kInvalidArgument.
common::StatusOr<ProviderMetadata> ParseDiscovery(std::string_view json,
                                                  std::string_view expected_issuer,
                                                  bool allow_http_loopback);

// True when `url` is an absolute https URL with a host (or a loopback http URL when allowed),
// without user info or fragment.
bool IsAcceptableEndpoint(std::string_view url, bool allow_http_loopback);

class KeySet {
 public:
  KeySet() = default;
  // Keeps the usable signing keys of a JWKS: keys with `use` other than "sig", unsupported
  // kty/crv, private members or invalid values are skipped. Fails (kInvalidArgument) only when
  // the document is not a JWKS (an object with a `keys` array) or is unreasonably large.
  static common::StatusOr<KeySet> FromJwks(std::string_view json);

  // The first key with this kid; nullptr if none.
  const PublicKey* Find(std::string_view kid) const;
  size_t size() const { return keys_.size(); }
  const std::vector<PublicKey>& keys() const { return keys_; }

 private:
  std::vector<PublicKey> keys_;
};

// Does an HTTP GET and returns the body of a 200; anything else is an error.
using Fetch = std::function<common::StatusOr<std::string>(const std::string& url)>;
using Clock = std::function<common::SystemTime()>;

struct IssuerKeysOptions {
  std::string issuer;
  std::string discovery_url;  // empty: issuer (without a trailing '/') +
                              // "/.well-known/openid-configuration"
  bool allow_http_loopback = false;
  std::chrono::seconds max_age{3600};             // metadata and keys are refetched after this
  std::chrono::seconds min_refresh_interval{60};  // bound on refetches for unknown kids
};

// Thread-safe. Fetches happen outside the state lock, one at a time: concurrent callers that
// need the same refresh wait for it and share its result.
class IssuerKeys {
 public:
  IssuerKeys(IssuerKeysOptions options, Fetch fetch, Clock clock);

  // The issuer's metadata, cached for max_age. Fetch or parse failures: kUnavailable (and,
  // like JWKS failures, no new fetch for min(min_refresh_interval, 5 s)).
  common::StatusOr<ProviderMetadata> Metadata();

  // The key for `kid` that supports `alg`. An unknown kid refetches the JWKS once (key
  // rotation) — at most once per min_refresh_interval, so tokens with made-up kids cannot
  // make us hammer the issuer — and then fails closed (kUnauthenticated). An empty kid is
  // accepted only when exactly one key supports `alg`. Keys older than max_age are refetched;
  // if that fails the call fails (kUnavailable) rather than trusting stale keys. After a
  // failed fetch, further fetches wait min(min_refresh_interval, 5 s).
  common::StatusOr<PublicKey> Key(std::string_view kid, Alg alg);

  // Number of calls to `fetch` so far (discovery and JWKS), for tests.
  int fetch_count() const;

 private:
  bool Fresh(common::SystemTime fetched, common::SystemTime now) const;
  bool InBackoff(const std::optional<common::SystemTime>& failure, common::SystemTime now) const;
  // With fetch_mu_ held: the metadata, fetched if not fresh.
  common::StatusOr<ProviderMetadata> MetadataFetchLocked(common::SystemTime now);
  common::StatusOr<std::string> DoFetch(const std::string& url);

  const IssuerKeysOptions options_;
  const std::string discovery_url_;
  const Fetch fetch_;
  const Clock clock_;

  // Serializes fetches; never taken while holding mu_.
  std::mutex fetch_mu_;

  mutable std::mutex mu_;  // guards everything below
  std::optional<ProviderMetadata> metadata_;
  common::SystemTime metadata_fetched_{};
  std::shared_ptr<const KeySet> keys_;
  common::SystemTime keys_fetched_{};
  std::optional<common::SystemTime> last_forced_refresh_;  // last refetch for an unknown kid
  std::optional<common::SystemTime> last_failure_;         // last failed JWKS refresh
  std::optional<common::SystemTime> last_metadata_failure_;
  uint64_t generation_ = 0;  // bumped by every JWKS refresh attempt
  int fetch_count_ = 0;
};

}  // namespace jose
