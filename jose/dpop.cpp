#include "jose/dpop.h"

#include <algorithm>
#include <charconv>

#include "common/base64.h"
#include "common/digest.h"
#include "common/url.h"
#include "fhir/json/parser.h"
#include "jose/jws.h"
#include "jose/jwt.h"

namespace jose {
namespace {

std::unexpected<common::Status> Reject(std::string message) {
  return common::Error(common::Code::kUnauthenticated, std::move(message));
}

constexpr size_t kMaxJtiLength = 256;
constexpr fhir::json::ParseLimits kClaimsLimits{kMaxCompactJwsBytes, 8};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// A host as HTTP clients send one: a DNS name or IPv4 address (letters, digits, '-', '.', '_',
// '~'), or an IPv6 literal in brackets (hex digits, ':' and '.'). Anything else (':' or ']'
// outside brackets, percent escapes, sub-delimiters) is refused, so that a normalised URL is its
// own normal form (fuzzing found "http://a].b:7x:/" normalised to a URL that was refused).
bool IsHost(std::string_view host) {
  const auto is = [](std::string_view s, auto pred) {
    return !s.empty() && std::all_of(s.begin(), s.end(), pred);
  };
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return is(host.substr(1, host.size() - 2),
              [](char c) { return common::HexDigitValue(c) >= 0 || c == ':' || c == '.'; });
  }
  return is(host, [](char c) { return common::IsUnreserved(c); });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ReplayCache.

ReplayCache::ReplayCache(size_t max_entries) : max_entries_(max_entries) {}

size_t ReplayCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void ReplayCache::PurgeLocked(common::SystemTime now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now) {
    entries_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

bool ReplayCache::CheckAndRecord(std::string_view key, common::SystemTime expires,
                                 common::SystemTime now) {
  std::lock_guard lock(mu_);
  PurgeLocked(now);
  std::string k(key);
  if (entries_.contains(k)) return false;
  if (entries_.size() >= max_entries_) return false;
  entries_.emplace(k, expires);
  by_expiry_.emplace(expires, std::move(k));
  return true;
}

// ---------------------------------------------------------------------------------------------
// URL normalisation.

std::optional<std::string> NormalizeHttpUrl(std::string_view url) {
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') return std::nullopt;
  }
  url = url.substr(0, url.find_first_of("?#"));  // query and fragment are not compared
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  std::string scheme(url.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), Lower);
  if (scheme != "http" && scheme != "https") return std::nullopt;

  std::string_view rest = url.substr(scheme_end + 3);
  const size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view host = authority;
  std::string_view port;
  const size_t bracket = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!IsHost(host)) return std::nullopt;
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  // Leading zeros are the same port ("0443"); compare numerically.
  std::string port_text;
  if (!port.empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value > 65535) return std::nullopt;
    const unsigned default_port = scheme == "https" ? 443 : 80;
    if (value != default_port) port_text = ":" + std::to_string(value);
  }

  std::string out = scheme + "://";
  for (char c : host) out += Lower(c);
  out += port_text;
  if (path.empty()) path = "/";
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    const int hi = i + 2 < path.size() ? common::HexDigitValue(path[i + 1]) : -1;
    const int lo = i + 2 < path.size() ? common::HexDigitValue(path[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    const char decoded = static_cast<char>(hi * 16 + lo);
    if (common::IsUnreserved(decoded)) {
      out += decoded;
    } else {
      out += '%';
      out += Upper(path[i + 1]);
      out += Upper(path[i + 2]);
    }
    i += 2;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Proofs.

common::StatusOr<std::string> VerifyDpopProof(std::string_view proof, const DpopCheck& check,
                                              ReplayCache& replay, common::SystemTime now) {
  auto jws = ParseCompact(proof);
  if (!jws) return Reject("malformed DPoP proof");
  const fhir::json::Value& header = jws->header;

  const fhir::json::Value* typ = header.Find("typ");
  if (typ == nullptr || !typ->is_string() || !MediaTypeEquals(typ->text(), "dpop+jwt")) {
    return Reject("DPoP proof type mismatch");
  }
  const std::optional<Alg> alg = AlgFromName(header.GetString("alg"));
  if (!alg ||
      std::find(check.algorithms.begin(), check.algorithms.end(), *alg) == check.algorithms.end()) {
    return Reject("DPoP algorithm not allowed");
  }
  const fhir::json::Value* jwk = header.Find("jwk");
  if (jwk == nullptr || !jwk->is_object()) return Reject("DPoP proof without jwk");
  auto key = PublicKey::FromJwk(*jwk);  // refuses private members
  if (!key) return Reject("DPoP jwk is not an acceptable public key");
  if (common::Status s = VerifySignature(*jws, *key, *alg); !s.ok()) {
    return Reject("DPoP signature invalid");
  }

  auto claims = fhir::json::Parse(jws->payload, kClaimsLimits);
  if (!claims || !claims->is_object()) return Reject("malformed DPoP claims");

  const fhir::json::Value* htm = claims->Find("htm");
  if (htm == nullptr || !htm->is_string() || htm->text() != check.method) {
    return Reject("DPoP htm mismatch");
  }
  const fhir::json::Value* htu = claims->Find("htu");
  if (htu == nullptr || !htu->is_string()) return Reject("DPoP htu mismatch");
  const std::optional<std::string> proof_url = NormalizeHttpUrl(htu->text());
  const std::optional<std::string> request_url = NormalizeHttpUrl(check.url);
  if (!proof_url || !request_url || *proof_url != *request_url) {
    return Reject("DPoP htu mismatch");
  }

  const std::optional<int64_t> iat = NumericClaim(*claims, "iat");
  if (!iat) return Reject("DPoP iat missing");
  const int64_t now_s = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  const int64_t window = check.window.count();
  // Compare as differences of bounded values: iat comes from the client.
  if (*iat < now_s - window || *iat > now_s + window) return Reject("DPoP iat outside window");

  const fhir::json::Value* jti = claims->Find("jti");
  if (jti == nullptr || !jti->is_string() || jti->text().empty()) return Reject("DPoP jti missing");
  if (jti->text().size() > kMaxJtiLength) return Reject("DPoP jti too long");

  if (!check.access_token.empty()) {
    const fhir::json::Value* ath = claims->Find("ath");
    if (ath == nullptr || !ath->is_string()) return Reject("DPoP ath missing");
    if (ath->text() != common::Base64UrlEncode(common::Sha256(check.access_token))) {
      return Reject("DPoP ath mismatch");
    }
  }

  std::string jkt = key->Thumbprint();
  if (!check.expected_jkt.empty() && jkt != check.expected_jkt) return Reject("DPoP jkt mismatch");

  // Last, so that proofs failing any other check do not fill the cache. The entry lives as
  // long as the proof would pass the iat check: through the whole second iat + window (the
  // check compares whole seconds).
  const common::SystemTime expires =
      common::SystemTime(std::chrono::seconds(*iat) + check.window + std::chrono::seconds(1));
  if (!replay.CheckAndRecord(jkt + "|" + jti->text(), expires, now)) {
    return Reject("DPoP proof replayed");
  }
  return jkt;
}

common::StatusOr<std::string> MakeDpopProof(const PrivateKey& key, Alg alg, std::string_view method,
                                            std::string_view url, std::string_view access_token,
                                            common::SystemTime iat, std::string jti) {
  using fhir::json::Value;
  Value header = Value::Object();
  header.Set("typ", Value::String("dpop+jwt"));
  header.Set("jwk", key.Public().ToJwk());
  Value claims = Value::Object();
  claims.Set("jti", Value::String(std::move(jti)));
  claims.Set("htm", Value::String(std::string(method)));
  claims.Set("htu", Value::String(std::string(url.substr(0, url.find_first_of("?#")))));
  const int64_t seconds = std::chrono::floor<std::chrono::seconds>(iat).time_since_epoch().count();
  claims.Set("iat", Value::Number(std::to_string(seconds)));
  if (!access_token.empty()) {
    claims.Set("ath", Value::String(common::Base64UrlEncode(common::Sha256(access_token))));
  }
  return SignCompact(std::move(header), claims, key, alg);
}

}  // namespace jose
