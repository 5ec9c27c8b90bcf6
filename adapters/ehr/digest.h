#pragma once
// Message digests (OpenSSL) for stored originals: FHIR Attachment.hash is SHA-1 (R4), so we
// keep SHA-256 beside it; SHA-256 hex also names messages that have no readable MsgId.

#include <string>
#include <string_view>

namespace adapters::ehr {

std::string Sha256Hex(std::string_view bytes);
std::string Sha256Base64(std::string_view bytes);
std::string Sha1Base64(std::string_view bytes);

}  // namespace adapters::ehr
