// Fuzz target: DPoP proofs (RFC 9449, jose/dpop.h) as the authenticator meets them in the DPoP
// header, and the htu normalisation they are compared with.
//   - The input as a proof.
//   - "HEADER\nPAYLOAD": signed with the target's own key; when HEADER is a JSON object
//     without `jwk`, that key's public JWK is put in, so the proof's signature holds and the
//     claim checks (htm, htu, iat, jti, ath, the key binding) and the replay cache are reached.
// Properties: a refusal is kUnauthenticated; an accepted proof returns the key's thumbprint,
// honours the expected binding, and is refused when presented a second time.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fuzz/support/harness.h"
#include "fuzz/support/jose_support.h"
#include "jose/dpop.h"

namespace {

void Check(std::string_view proof) {
  const std::string own = emg_fuzz::VerifyingKey().Thumbprint();
  for (int variant = 0; variant < 3; ++variant) {
    jose::DpopCheck check;
    check.method = "GET";
    check.url = "https://fhir.fuzz.example/Patient/pat1?_format=json";
    check.access_token = variant == 2 ? "" : "fuzz-access-token";  // "" as at a token endpoint
    check.expected_jkt = variant == 1 ? own : "";
    jose::ReplayCache replay(16);
    auto jkt = jose::VerifyDpopProof(proof, check, replay, emg_fuzz::FixedNow());
    if (!jkt.has_value()) {
      EMG_FUZZ_CHECK(jkt.error().code() == common::Code::kUnauthenticated,
                     "a DPoP refusal that is not kUnauthenticated");
      emg_fuzz::Note("proof refused: " + jkt.error().message());
      continue;
    }
    emg_fuzz::Note("proof accepted");
    EMG_FUZZ_CHECK(!jkt->empty(), "an accepted proof without a thumbprint");
    if (!check.expected_jkt.empty()) EMG_FUZZ_CHECK(*jkt == own, "key binding not checked");
    auto again = jose::VerifyDpopProof(proof, check, replay, emg_fuzz::FixedNow());
    EMG_FUZZ_CHECK(!again.has_value(), "a replayed proof was accepted");
  }
}

std::string WithOwnKey(std::string_view header) {
  auto parsed = fhir::json::Parse(header);
  if (!parsed.has_value() || !parsed->is_object() || parsed->Find("jwk") != nullptr) {
    return std::string(header);
  }
  parsed->Set("jwk", emg_fuzz::VerifyingKey().ToJwk());
  return fhir::json::Write(*parsed);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)emg_fuzz::SigningKey();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  Check(data);
  if (size_t nl = data.find('\n'); nl != std::string_view::npos) {
    Check(emg_fuzz::SignRaw(WithOwnKey(data.substr(0, nl)), data.substr(nl + 1)));
  }
  // htu normalisation is idempotent: a normalised URL is its own normal form.
  if (auto normal = jose::NormalizeHttpUrl(data)) {
    auto twice = jose::NormalizeHttpUrl(*normal);
    EMG_FUZZ_CHECK(twice.has_value() && *twice == *normal, "htu normalisation not idempotent");
  }
  return 0;
}
