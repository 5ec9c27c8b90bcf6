#include "fuzz/support/jose_support.h"

#include <cstdio>
#include <cstdlib>

#include "common/base64.h"

namespace emg_fuzz {

const jose::PrivateKey& SigningKey() {
  static const jose::PrivateKey key = [] {
    auto k = jose::PrivateKey::Generate(jose::Alg::kES256);
    if (!k.has_value()) {
      std::fprintf(stderr, "fuzz: cannot generate a key: %s\n", k.error().message().c_str());
      std::abort();
    }
    return *k;
  }();
  return key;
}

const jose::PublicKey& VerifyingKey() {
  static const jose::PublicKey key = SigningKey().Public("fuzz-key");
  return key;
}

std::string SignRaw(std::string_view header, std::string_view payload) {
  std::string input = common::Base64UrlEncode(header) + "." + common::Base64UrlEncode(payload);
  auto signature = SigningKey().Sign(jose::Alg::kES256, input);
  if (!signature.has_value()) std::abort();
  return input + "." + common::Base64UrlEncode(*signature);
}

common::SystemTime FixedNow() { return common::FromMicros(1704067200LL * 1000000); }

}  // namespace emg_fuzz
