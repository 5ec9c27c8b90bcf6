// Fuzz target: keys and key documents from identity providers (jose/jose.h, jose/jwks.h): a
// JWK Set as fetched from an issuer's jwks_uri, a single JWK (as in a DPoP header), a PEM
// public key, and an OpenID discovery document; plus signature verification with every key
// that was accepted over signature bytes from the input.
// Properties: an accepted key survives JWK and PEM round trips with the same RFC 7638
// thumbprint; no private key is ever accepted as a public one; a discovery document is
// accepted only for the expected issuer and with acceptable endpoints.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json/parser.h"
#include "fuzz/support/harness.h"
#include "jose/jose.h"
#include "jose/jwks.h"

namespace {

constexpr std::string_view kIssuer = "https://helseid.fuzz.example";

constexpr jose::Alg kAlgs[] = {jose::Alg::kRS256, jose::Alg::kRS384, jose::Alg::kRS512,
                               jose::Alg::kPS256, jose::Alg::kPS384, jose::Alg::kPS512,
                               jose::Alg::kES256, jose::Alg::kES384};

void CheckKey(const jose::PublicKey& key, const fhir::json::Value* jwk, std::string_view data) {
  emg_fuzz::Note("key accepted");
  std::string thumbprint = key.Thumbprint();
  EMG_FUZZ_CHECK(thumbprint.size() == 43, "a thumbprint that is not a base64url SHA-256");
  if (jwk != nullptr) {
    for (std::string_view m : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      EMG_FUZZ_CHECK(jwk->Find(m) == nullptr, "a JWK with private members accepted");
    }
  }
  auto from_jwk = jose::PublicKey::FromJwk(key.ToJwk());
  EMG_FUZZ_CHECK(from_jwk.has_value() && from_jwk->Thumbprint() == thumbprint,
                 "JWK round trip changed the key");
  auto from_pem = jose::PublicKey::FromPem(key.ToPem());
  EMG_FUZZ_CHECK(from_pem.has_value() && from_pem->Thumbprint() == thumbprint,
                 "PEM round trip changed the key");
  for (jose::Alg alg : kAlgs) {
    common::Status s = key.Verify(alg, "fuzz signing input", data);
    if (!key.Supports(alg)) {
      EMG_FUZZ_CHECK(!s.ok(), "a signature verified under an unsupported alg");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);

  if (auto set = jose::KeySet::FromJwks(data)) {
    for (const jose::PublicKey& key : set->keys()) CheckKey(key, nullptr, data);
    (void)set->Find("fuzz-key");
  }
  if (auto json = fhir::json::Parse(data); json.has_value() && json->is_object()) {
    if (auto key = jose::PublicKey::FromJwk(*json)) CheckKey(*key, &*json, data);
  }
  if (auto key = jose::PublicKey::FromPem(data)) CheckKey(*key, nullptr, data);

  for (bool loopback : {false, true}) {
    auto metadata = jose::ParseDiscovery(data, kIssuer, loopback);
    if (!metadata.has_value()) {
      EMG_FUZZ_CHECK(metadata.error().code() == common::Code::kInvalidArgument,
                     "a discovery refusal that is not kInvalidArgument");
      emg_fuzz::Note("discovery refused: " + metadata.error().message());
      continue;
    }
    emg_fuzz::Note("discovery accepted");
    EMG_FUZZ_CHECK(metadata->issuer == kIssuer, "discovery for another issuer accepted");
    EMG_FUZZ_CHECK(jose::IsAcceptableEndpoint(metadata->jwks_uri, loopback),
                   "an unacceptable jwks_uri accepted");
  }
  if (jose::IsAcceptableEndpoint(data, false)) {
    EMG_FUZZ_CHECK(data.starts_with("https://"), "a non-https endpoint accepted");
  }
  return 0;
}
