#include "jose/jwks.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "fhir/json/parser.h"

namespace jose {
namespace {

// Discovery documents and key sets are a few KiB; anything near this is not one.
constexpr fhir::json::ParseLimits kDocumentLimits{1024 * 1024, 16};
// Keys considered per JWKS: providers publish two or three (current, next, previous).
constexpr size_t kMaxKeys = 100;
// Pause after a failed fetch so an unreachable issuer is not hit by every request.
constexpr std::chrono::seconds kMaxFailureBackoff{5};

std::unexpected<common::Status> Invalid(std::string message) {
  return common::Error(common::Code::kInvalidArgument, std::move(message));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Reads an optional string member into `out`; false when present but not a string.
bool OptionalString(const fhir::json::Value& doc, std::string_view name, std::string* out) {
  const fhir::json::Value* v = doc.Find(name);
  if (v == nullptr) return true;
  if (!v->is_string()) return false;
  *out = v->text();
  return true;
}

bool OptionalStringArray(const fhir::json::Value& doc, std::string_view name,
                         std::vector<std::string>* out) {
  const fhir::json::Value* v = doc.Find(name);
  if (v == nullptr) return true;
  if (!v->is_array()) return false;
  for (const auto& item : v->items()) {
    if (!item.is_string()) return false;
    out->push_back(item.text());
  }
  return true;
}

// The key in `keys` for `kid` and `alg`; an empty kid only when exactly one key fits.
std::optional<PublicKey> Pick(const KeySet& keys, std::string_view kid, Alg alg) {
  if (kid.empty()) {
    const PublicKey* only = nullptr;
    for (const auto& key : keys.keys()) {
      if (!key.Supports(alg)) continue;
      if (only != nullptr) return std::nullopt;  // ambiguous: refuse rather than guess
      only = &key;
    }
    if (only == nullptr) return std::nullopt;
    return *only;
  }
  // Not KeySet::Find: a provider may publish one kid for keys of several types.
  for (const auto& key : keys.keys()) {
    if (key.kid() == kid && key.Supports(alg)) return key;
  }
  return std::nullopt;
}

std::unexpected<common::Status> UnknownKey() {
  return common::Error(common::Code::kUnauthenticated, "unknown signing key");
}

}  // namespace

bool IsAcceptableEndpoint(std::string_view url, bool allow_http_loopback) {
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\' || c == '#') return false;
  }
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const std::string scheme = Lower(url.substr(0, scheme_end));
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;

  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
      if (port.empty()) return false;
    }
  } else if (const size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return false;
  }
  if (host.empty() || host == "[]") return false;
  if (port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  int port_number = 0;
  if (!port.empty() &&
      (std::from_chars(port.data(), port.data() + port.size(), port_number).ec != std::errc() ||
       port_number > 65535)) {
    return false;
  }

  if (scheme == "https") return true;
  if (scheme != "http" || !allow_http_loopback) return false;
  const std::string h = Lower(host);
  return h == "127.0.0.1" || h == "localhost" || h == "[::1]";
}

common::StatusOr<ProviderMetadata> ParseDiscovery(std::string_view json,
                                                  std::string_view expected_issuer,
                                                  bool allow_http_loopback) {
  auto doc = fhir::json::Parse(json, kDocumentLimits);
  if (!doc || !doc->is_object()) return Invalid("discovery document is not a JSON object");
  ProviderMetadata m;
  const fhir::json::Value* issuer = doc->Find("issuer");
  if (issuer == nullptr || !issuer->is_string() || issuer->text() != expected_issuer) {
    return Invalid("discovery issuer mismatch");
  }
  m.issuer = issuer->text();
  if (!IsAcceptableEndpoint(m.issuer, allow_http_loopback)) {
    return Invalid("issuer is not an acceptable URL");
  }

  const std::pair<std::string_view, std::string*> endpoints[] = {
      {"authorization_endpoint", &m.authorization_endpoint},
      {"token_endpoint", &m.token_endpoint},
      {"jwks_uri", &m.jwks_uri},
      {"end_session_endpoint", &m.end_session_endpoint},
      {"userinfo_endpoint", &m.userinfo_endpoint},
  };
  for (const auto& [name, out] : endpoints) {
    if (!OptionalString(*doc, name, out)) {
      return Invalid("discovery " + std::string(name) + " is not a string");
    }
    if (!out->empty() && !IsAcceptableEndpoint(*out, allow_http_loopback)) {
      return Invalid("discovery " + std::string(name) + " is not an acceptable URL");
    }
  }
  if (m.jwks_uri.empty()) return Invalid("discovery document without jwks_uri");

  if (!OptionalStringArray(*doc, "id_token_signing_alg_values_supported",
                           &m.id_token_signing_alg_values_supported) ||
      !OptionalStringArray(*doc, "code_challenge_methods_supported",
                           &m.code_challenge_methods_supported)) {
    return Invalid("discovery member is not an array of strings");
  }
  // Informational members (passed on in SMART discovery, never used to verify anything): kept
  // when well-formed, dropped otherwise, so an odd value cannot stop token verification.
  const std::pair<std::string_view, std::string*> informational_endpoints[] = {
      {"introspection_endpoint", &m.introspection_endpoint},
      {"revocation_endpoint", &m.revocation_endpoint},
  };
  for (const auto& [name, out] : informational_endpoints) {
    if (!OptionalString(*doc, name, out) || !IsAcceptableEndpoint(*out, allow_http_loopback)) {
      out->clear();
    }
  }
  const std::pair<std::string_view, std::vector<std::string>*> informational_lists[] = {
      {"grant_types_supported", &m.grant_types_supported},
      {"response_types_supported", &m.response_types_supported},
      {"token_endpoint_auth_methods_supported", &m.token_endpoint_auth_methods_supported},
      {"token_endpoint_auth_signing_alg_values_supported",
       &m.token_endpoint_auth_signing_alg_values_supported},
      {"dpop_signing_alg_values_supported", &m.dpop_signing_alg_values_supported},
  };
  for (const auto& [name, out] : informational_lists) {
    if (!OptionalStringArray(*doc, name, out)) out->clear();
  }
  if (const fhir::json::Value* v = doc->Find("authorization_response_iss_parameter_supported")) {
    if (!v->is_bool()) return Invalid("discovery member is not a boolean");
    m.authorization_response_iss_parameter_supported = v->boolean();
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// KeySet.

common::StatusOr<KeySet> KeySet::FromJwks(std::string_view json) {
  auto doc = fhir::json::Parse(json, kDocumentLimits);
  if (!doc || !doc->is_object()) return Invalid("not a JWKS");
  const fhir::json::Value* keys = doc->Find("keys");
  if (keys == nullptr || !keys->is_array()) return Invalid("not a JWKS");
  KeySet set;
  for (const auto& jwk : keys->items()) {
    if (set.keys_.size() >= kMaxKeys) break;
    if (!jwk.is_object()) continue;
    const fhir::json::Value* use = jwk.Find("use");
    if (use != nullptr && (!use->is_string() || use->text() != "sig")) continue;  // "enc" keys
    // FromJwk refuses private members, kty oct, unknown curves and bad values: all skipped,
    // so one odd key does not take the issuer's other keys down with it.
    auto key = PublicKey::FromJwk(jwk);
    if (key) set.keys_.push_back(std::move(*key));
  }
  return set;
}

const PublicKey* KeySet::Find(std::string_view kid) const {
  for (const auto& key : keys_) {
    if (key.kid() == kid) return &key;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// IssuerKeys.

namespace {

std::string DiscoveryUrl(const IssuerKeysOptions& options) {
  if (!options.discovery_url.empty()) return options.discovery_url;
  std::string base = options.issuer;
  // OIDC Discovery §4: a terminating '/' is removed before appending.
  if (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/.well-known/openid-configuration";
}

}  // namespace

IssuerKeys::IssuerKeys(IssuerKeysOptions options, Fetch fetch, Clock clock)
    : options_(std::move(options)),
      discovery_url_(DiscoveryUrl(options_)),
      fetch_(std::move(fetch)),
      clock_(std::move(clock)) {}

int IssuerKeys::fetch_count() const {
  std::lock_guard lock(mu_);
  return fetch_count_;
}

bool IssuerKeys::Fresh(common::SystemTime fetched, common::SystemTime now) const {
  return now - fetched < options_.max_age;
}

bool IssuerKeys::InBackoff(const std::optional<common::SystemTime>& failure,
                           common::SystemTime now) const {
  return failure && now - *failure < std::min(options_.min_refresh_interval, kMaxFailureBackoff);
}

common::StatusOr<std::string> IssuerKeys::DoFetch(const std::string& url) {
  {
    std::lock_guard lock(mu_);
    ++fetch_count_;
  }
  if (!fetch_) return common::Error(common::Code::kUnavailable, "no fetcher");
  return fetch_(url);
}

common::StatusOr<ProviderMetadata> IssuerKeys::Metadata() {
  const common::SystemTime now = clock_();
  {
    std::lock_guard lock(mu_);
    if (metadata_ && Fresh(metadata_fetched_, now)) return *metadata_;
  }
  std::lock_guard fetch_lock(fetch_mu_);
  return MetadataFetchLocked(now);
}

common::StatusOr<ProviderMetadata> IssuerKeys::MetadataFetchLocked(common::SystemTime now) {
  {
    std::lock_guard lock(mu_);
    // Someone may have fetched it while we waited for fetch_mu_.
    if (metadata_ && Fresh(metadata_fetched_, now)) return *metadata_;
    if (InBackoff(last_metadata_failure_, now)) {
      return common::Error(common::Code::kUnavailable, "issuer metadata unavailable");
    }
  }
  auto body = DoFetch(discovery_url_);
  common::StatusOr<ProviderMetadata> parsed =
      body ? ParseDiscovery(*body, options_.issuer, options_.allow_http_loopback)
           : common::Error(common::Code::kUnavailable, "issuer metadata unavailable");
  std::lock_guard lock(mu_);
  if (!parsed) {
    last_metadata_failure_ = now;
    return common::Error(common::Code::kUnavailable,
                         body ? "issuer metadata invalid: " + parsed.error().message()
                              : "issuer metadata unavailable");
  }
  last_metadata_failure_.reset();
  metadata_ = *parsed;
  metadata_fetched_ = now;
  return parsed;
}

common::StatusOr<PublicKey> IssuerKeys::Key(std::string_view kid, Alg alg) {
  const common::SystemTime now = clock_();
  uint64_t seen_generation = 0;
  bool forced = false;  // a refetch for an unknown kid, as opposed to expired keys
  {
    std::lock_guard lock(mu_);
    if (keys_ && Fresh(keys_fetched_, now)) {
      if (auto key = Pick(*keys_, kid, alg)) return std::move(*key);
      if (last_forced_refresh_ && now - *last_forced_refresh_ < options_.min_refresh_interval) {
        return UnknownKey();
      }
      forced = true;
    }
    if (InBackoff(last_failure_, now)) {
      return common::Error(common::Code::kUnavailable, "issuer keys unavailable");
    }
    seen_generation = generation_;
  }

  // One refresh at a time. A caller that waited here finds the refresh it needed done.
  std::lock_guard fetch_lock(fetch_mu_);
  {
    std::lock_guard lock(mu_);
    if (generation_ != seen_generation) {
      if (keys_ && Fresh(keys_fetched_, now)) {
        if (auto key = Pick(*keys_, kid, alg)) return std::move(*key);
        return UnknownKey();
      }
      return common::Error(common::Code::kUnavailable, "issuer keys unavailable");
    }
    if (forced) last_forced_refresh_ = now;
  }

  // fetch_mu_ is held, mu_ is not: readers with a current key set are never blocked by the
  // network.
  auto refreshed = [&]() -> common::StatusOr<std::shared_ptr<const KeySet>> {
    ASSIGN_OR_RETURN(ProviderMetadata metadata, MetadataFetchLocked(now));
    auto body = DoFetch(metadata.jwks_uri);
    if (!body) return common::Error(common::Code::kUnavailable, "issuer keys unavailable");
    auto set = KeySet::FromJwks(*body);
    if (!set) return common::Error(common::Code::kUnavailable, "issuer keys invalid");
    return std::make_shared<const KeySet>(std::move(*set));
  }();

  std::lock_guard lock(mu_);
  ++generation_;
  if (!refreshed) {
    // Fail closed: stale keys are not trusted past max_age, and an unknown kid stays unknown.
    last_failure_ = now;
    return common::Error(refreshed.error());
  }
  last_failure_.reset();
  keys_ = std::move(*refreshed);
  keys_fetched_ = now;
  if (auto key = Pick(*keys_, kid, alg)) return std::move(*key);
  return UnknownKey();
}

}  // namespace jose
