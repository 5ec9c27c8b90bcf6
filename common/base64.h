#pragma once
// Base64 (RFC 4648, standard alphabet, padded), as FHIR base64Binary and KITH
// Base64Container use it.

#include <optional>
#include <string>
#include <string_view>

namespace common {

std::string Base64Encode(std::string_view bytes);
// Decodes; ASCII white space (line breaks in KITH containers) is skipped. nullopt when the
// text has other characters, wrong padding or a length that is not a multiple of four.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace common
