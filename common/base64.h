#pragma once
// Base64 (RFC 4648): the standard alphabet, padded, as FHIR base64Binary and KITH
// Base64Container use it; and base64url without padding, as JOSE (JWS, JWK, PKCE) uses it.

#include <optional>
#include <string>
#include <string_view>

namespace common {

std::string Base64Encode(std::string_view bytes);
// Decodes; ASCII white space (line breaks in KITH containers) is skipped. nullopt when the
// text has other characters, wrong padding or a length that is not a multiple of four.
std::optional<std::string> Base64Decode(std::string_view text);

// Base64url without padding. Decode is strict: no '=', '+', '/', white space, no length that
// is 1 mod 4 and no non-zero leftover bits (one encoding per byte string, so a signature or
// thumbprint cannot be re-encoded unnoticed).
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace common
