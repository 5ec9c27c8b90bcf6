// Fuzz target: JWS compact tokens and JWT verification (jose/jws.h, jose/jwt.h), as the
// authenticator meets access tokens and the login flow meets ID and logout tokens.
//   - The input as a token: parsing and every check before the signature.
//   - "HEADER\nPAYLOAD": the two parts (any bytes) signed with the target's own key, so the
//     checks behind a valid signature are reached: typ, the key headers refused, and every
//     claim (iss, aud, azp, exp, nbf, iat).
// Properties: every refusal is kUnauthenticated and its message repeats no part of the token;
// an accepted token satisfies the policy it was accepted under.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/support/harness.h"
#include "fuzz/support/jose_support.h"
#include "jose/jws.h"
#include "jose/jwt.h"

namespace {

constexpr std::string_view kIssuer = "https://helseid.fuzz.example";

jose::JwtPolicy Policy(bool helseid) {
  jose::JwtPolicy p;
  p.issuer = std::string(kIssuer);
  p.audiences = {"emeistring-api", "other-api"};
  p.single_audience = helseid;
  p.authorized_party = helseid ? "" : "client-1";
  p.algorithms = {jose::Alg::kES256, jose::Alg::kRS256, jose::Alg::kPS256};
  if (helseid) p.types = {"at+jwt", "JWT"};
  p.max_age = std::chrono::hours(1);
  p.require_iat = helseid;
  return p;
}

common::StatusOr<jose::PublicKey> Resolve(std::string_view kid, jose::Alg alg) {
  if ((kid.empty() || kid == "fuzz-key") && emg_fuzz::VerifyingKey().Supports(alg)) {
    return emg_fuzz::VerifyingKey();
  }
  return common::Error(common::Code::kNotFound, "no such key");
}

// The parts of a token (between dots) that are recognisably token text: base64url, 16
// characters or more (shorter or other text may be words of the message itself).
void CheckMessage(const std::string& message, std::string_view token) {
  const auto is_b64url = [](std::string_view p) {
    return p.size() >= 16 && std::all_of(p.begin(), p.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
           });
  };
  while (!token.empty()) {
    size_t dot = token.find('.');
    std::string_view part = token.substr(0, dot);
    if (is_b64url(part)) {
      EMG_FUZZ_CHECK(message.find(part) == std::string::npos, "a message repeats the token");
    }
    if (dot == std::string_view::npos) break;
    token.remove_prefix(dot + 1);
  }
}

void Verify(std::string_view token) {
  if (auto jws = jose::ParseCompact(token)) {
    EMG_FUZZ_CHECK(jws->header.is_object() && jws->header.Find("alg") != nullptr &&
                       jws->header.Find("alg")->is_string(),
                   "a JWS accepted without a string alg");
    EMG_FUZZ_CHECK(jws->header.Find("crit") == nullptr, "a JWS with crit accepted");
    EMG_FUZZ_CHECK(token.size() <= jose::kMaxCompactJwsBytes, "an oversized JWS accepted");
    for (jose::Alg alg : {jose::Alg::kES256, jose::Alg::kRS256}) {
      common::Status s = jose::VerifySignature(*jws, emg_fuzz::VerifyingKey(), alg);
      if (!s.ok()) {
        EMG_FUZZ_CHECK(s.code() == common::Code::kUnauthenticated, "signature failure code");
      }
    }
  } else {
    EMG_FUZZ_CHECK(jws.error().code() == common::Code::kUnauthenticated, "parse failure code");
    CheckMessage(jws.error().message(), token);
  }

  for (bool helseid : {true, false}) {
    jose::JwtPolicy policy = Policy(helseid);
    auto verified = jose::VerifyJwt(token, policy, Resolve, emg_fuzz::FixedNow());
    if (!verified.has_value()) {
      EMG_FUZZ_CHECK(verified.error().code() == common::Code::kUnauthenticated,
                     "a JWT refusal that is not kUnauthenticated");
      CheckMessage(verified.error().message(), token);
      emg_fuzz::Note("jwt refused: " + verified.error().message());
      continue;
    }
    emg_fuzz::Note(helseid ? "jwt accepted (helseid policy)" : "jwt accepted");
    const fhir::json::Value& claims = verified->claims;
    EMG_FUZZ_CHECK(jose::StringClaim(claims, "iss") == std::string(kIssuer), "iss not checked");
    auto exp = jose::NumericClaim(claims, "exp");
    EMG_FUZZ_CHECK(exp.has_value() && *exp > 1704067200 - 60, "exp not checked");
    if (helseid) EMG_FUZZ_CHECK(jose::NumericClaim(claims, "iat").has_value(), "iat required");
    for (std::string_view h : {"jku", "x5u", "jwk", "x5c"}) {
      EMG_FUZZ_CHECK(verified->header.Find(h) == nullptr, "a key header accepted");
    }
    auto alg = jose::AlgFromName(verified->header.GetString("alg"));
    EMG_FUZZ_CHECK(alg.has_value(), "an unknown alg accepted");
    (void)jose::AtHash(token, *alg);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)emg_fuzz::SigningKey();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  Verify(data);
  if (size_t nl = data.find('\n'); nl != std::string_view::npos) {
    Verify(emg_fuzz::SignRaw(data.substr(0, nl), data.substr(nl + 1)));
  }
  std::string_view a = data.substr(0, data.size() / 2), b = data.substr(data.size() / 2);
  EMG_FUZZ_CHECK(jose::MediaTypeEquals(a, b) == jose::MediaTypeEquals(b, a),
                 "media type equality is not symmetric");
  EMG_FUZZ_CHECK(jose::MediaTypeEquals(a, a), "media type equality is not reflexive");
  if (auto alg = jose::AlgFromName(data)) {
    EMG_FUZZ_CHECK(jose::AlgName(*alg) == data, "alg names are not exact");
  }
  return 0;
}
