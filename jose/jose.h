#pragma once
// JOSE building blocks: base64url (RFC 7515 §2, no padding), the JWS algorithms we accept
// (RFC 7518 §3) and public/private keys as JWKs (RFC 7517/7518 §6) with RFC 7638 thumbprints.
//
// Deliberately small: only asymmetric signature algorithms exist here. "none" and the HMAC
// algorithms have no Alg value at all, so no configuration or token can select them (the
// classic "HS256 keyed with the RSA public key" confusion cannot be expressed).
// OpenSSL stays inside jose.cpp: keys hold an opaque, immutable, shared EVP_PKEY.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "fhir/json/value.h"

namespace jose {

enum class Alg { kRS256, kRS384, kRS512, kPS256, kPS384, kPS512, kES256, kES384 };

// The hash `alg` signs with (SHA-256 for *256, SHA-384 for *384, SHA-512 for *512) over
// `bytes`, raw. For OIDC at_hash / c_hash.
std::string AlgHash(Alg alg, std::string_view bytes);

// Exact, case-sensitive JWS names ("RS256" ...). "none", "HS256" and anything else: nullopt.
std::optional<Alg> AlgFromName(std::string_view name);
std::string_view AlgName(Alg alg);

class PublicKey {
 public:
  // A public JWK: kty "RSA" (n, e; modulus 2048..8192 bits) or kty "EC" (crv "P-256" or
  // "P-384", x and y of the curve's full size, a point on the curve). A JWK with private
  // members (d, p, q, dp, dq, qi, oth, k) or another kty is refused. `kid`, `alg` and `use`
  // are kept when they are strings.
  static common::StatusOr<PublicKey> FromJwk(const fhir::json::Value& jwk);
  // A PEM "PUBLIC KEY" (SubjectPublicKeyInfo) of the same kinds.
  static common::StatusOr<PublicKey> FromPem(std::string_view pem);

  // RSA keys for RS* and PS*, P-256 for ES256, P-384 for ES384; a JWK's `alg` (when given)
  // must name `alg` and its `use` (when given) must be "sig".
  bool Supports(Alg alg) const;
  // Verifies a JWS signature (RFC 7518 form: raw r||s for ES*) over `data`. Fails closed:
  // any error, wrong length or unsupported alg is a failure (kUnauthenticated).
  common::Status Verify(Alg alg, std::string_view data, std::string_view signature) const;

  // RFC 7638 SHA-256 thumbprint, base64url.
  std::string Thumbprint() const;
  // The public members plus kid/alg/use when set.
  fhir::json::Value ToJwk() const;
  // PEM "PUBLIC KEY".
  std::string ToPem() const;

  const std::string& kid() const { return kid_; }
  const std::string& alg() const { return alg_; }  // may be empty
  const std::string& use() const { return use_; }  // may be empty

  struct Impl;  // opaque: the EVP_PKEY and its JWK members

 private:
  friend class PrivateKey;
  explicit PublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;  // never null
  std::string kid_;
  std::string alg_;
  std::string use_;
};

// A signing key: for tests, development-mode tokens and client assertions. Production
// tokens are signed by HelseID / ID-porten, never by us.
class PrivateKey {
 public:
  // RSA-2048 for RS*/PS*, P-256 for ES256, P-384 for ES384.
  static common::StatusOr<PrivateKey> Generate(Alg alg);
  // An unencrypted PEM private key (PKCS#8 or traditional) of the kinds PublicKey accepts.
  static common::StatusOr<PrivateKey> FromPem(std::string_view pem);
  // Unencrypted PKCS#8 PEM.
  std::string ToPem() const;
  PublicKey Public(std::string kid = "") const;

  bool Supports(Alg alg) const;
  // A JWS signature over `data` (raw r||s for ES*).
  common::StatusOr<std::string> Sign(Alg alg, std::string_view data) const;

 private:
  PrivateKey(std::shared_ptr<const PublicKey::Impl> impl,
             std::shared_ptr<const PublicKey::Impl> public_impl)
      : impl_(std::move(impl)), public_(std::move(public_impl)) {}

  std::shared_ptr<const PublicKey::Impl> impl_;    // holds the private key; never null
  std::shared_ptr<const PublicKey::Impl> public_;  // its public half alone; never null
};

}  // namespace jose
