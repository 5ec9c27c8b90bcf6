#include "adapters/ehr/digest.h"

#include <openssl/evp.h>

#include "common/base64.h"

namespace adapters::ehr {
namespace {

std::string Digest(const EVP_MD* md, std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string raw = Digest(EVP_sha256(), bytes);
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Sha256Base64(std::string_view bytes) {
  return common::Base64Encode(Digest(EVP_sha256(), bytes));
}

std::string Sha1Base64(std::string_view bytes) {
  return common::Base64Encode(Digest(EVP_sha1(), bytes));
}

}  // namespace adapters::ehr
