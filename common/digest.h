#pragma once
// Message digests (OpenSSL) and their hexadecimal form: hashes of original messages and
// attachments, PKCE challenges, token thumbprints, session keys.

#include <string>
#include <string_view>

namespace common {

enum class DigestAlgorithm { kSha1, kSha256, kSha384, kSha512 };

// The raw digest of `bytes` (20, 32, 48 or 64 bytes). SHA-1 only where a format demands it, as
// FHIR Attachment.hash does.
std::string Digest(DigestAlgorithm algorithm, std::string_view bytes);
inline std::string Sha256(std::string_view bytes) {
  return Digest(DigestAlgorithm::kSha256, bytes);
}
inline std::string Sha1(std::string_view bytes) { return Digest(DigestAlgorithm::kSha1, bytes); }

// Lower-case hexadecimal, two digits per byte.
std::string HexEncode(std::string_view bytes);

}  // namespace common
