#include "common/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace common {
std::string Digest(DigestAlgorithm algorithm, std::string_view bytes) {
  const EVP_MD* md = EVP_sha256();
  switch (algorithm) {
    case DigestAlgorithm::kSha1:
      md = EVP_sha1();
      break;
    case DigestAlgorithm::kSha256:
      md = EVP_sha256();
      break;
    case DigestAlgorithm::kSha384:
      md = EVP_sha384();
      break;
    case DigestAlgorithm::kSha512:
      md = EVP_sha512();
      break;
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fails only when OpenSSL cannot allocate or its provider is missing: nothing to recover.
  if (EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr) != 1) std::abort();
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace common
