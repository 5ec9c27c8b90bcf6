#include "jose/jose.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <climits>
#include <cstdint>

#include "common/base64.h"
#include "common/digest.h"

namespace jose {

// ---------------------------------------------------------------------------------------------
// OpenSSL object ownership.

namespace {

template <auto F>
struct Free {
  template <typename T>
  void operator()(T* p) const {
    F(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Free<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Free<EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Free<BN_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Free<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Free<OSSL_PARAM_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Free<ECDSA_SIG_free>>;

// OpenSSL leaves failure details on a per-thread queue; we report our own message instead and
// must not leave stale entries behind for unrelated code to trip over.
struct ClearErrorsOnExit {
  ~ClearErrorsOnExit() { ERR_clear_error(); }
};

const auto* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string BnToBytes(const BIGNUM* bn, int width = 0) {
  const int len = width > 0 ? width : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(len), '\0');
  if (width > 0) {
    if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), width) != width) return {};
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

BnPtr BytesToBn(std::string_view bytes) {
  return BnPtr(BN_bin2bn(Bytes(bytes), static_cast<int>(bytes.size()), nullptr));
}

common::Status Fail(std::string message) {
  return common::Status(common::Code::kUnauthenticated, std::move(message));
}
common::Status BadKey(std::string message) {
  return common::Status(common::Code::kInvalidArgument, std::move(message));
}

// ---------------------------------------------------------------------------------------------
// Algorithms.

struct AlgInfo {
  Alg alg;
  std::string_view name;
};
constexpr AlgInfo kAlgs[] = {
    {Alg::kRS256, "RS256"}, {Alg::kRS384, "RS384"}, {Alg::kRS512, "RS512"}, {Alg::kPS256, "PS256"},
    {Alg::kPS384, "PS384"}, {Alg::kPS512, "PS512"}, {Alg::kES256, "ES256"}, {Alg::kES384, "ES384"},
};

bool IsRsa(Alg alg) { return alg != Alg::kES256 && alg != Alg::kES384; }
bool IsPss(Alg alg) { return alg == Alg::kPS256 || alg == Alg::kPS384 || alg == Alg::kPS512; }

const EVP_MD* MdFor(Alg alg) {
  switch (alg) {
    case Alg::kRS256:
    case Alg::kPS256:
    case Alg::kES256:
      return EVP_sha256();
    case Alg::kRS384:
    case Alg::kPS384:
    case Alg::kES384:
      return EVP_sha384();
    case Alg::kRS512:
    case Alg::kPS512:
      return EVP_sha512();
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Curves.

struct Curve {
  std::string_view jwk_name;   // "P-256"
  std::string_view ossl_name;  // OpenSSL's group name
  int field_bytes;             // size of x, y, r and s
  Alg alg;                     // the one JWS algorithm for the curve
};
constexpr Curve kCurves[] = {
    {"P-256", "prime256v1", 32, Alg::kES256},
    {"P-384", "secp384r1", 48, Alg::kES384},
};

const Curve* CurveByJwkName(std::string_view name) {
  for (const auto& c : kCurves) {
    if (c.jwk_name == name) return &c;
  }
  return nullptr;
}
const Curve* CurveByOsslName(std::string_view name) {
  for (const auto& c : kCurves) {
    // OpenSSL reports "prime256v1"; providers may use the NIST alias.
    if (c.ossl_name == name || c.jwk_name == name) return &c;
  }
  return nullptr;
}

// RSA limits: 2048 bits is the floor (NIST, HelseID); the ceiling bounds the work an
// attacker-chosen key (a DPoP proof carries its own) can cost us.
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr size_t kMaxRsaExponentBytes = 8;

}  // namespace

// ---------------------------------------------------------------------------------------------
// The key implementation: an immutable EVP_PKEY plus its JWK members, extracted once.

struct PublicKey::Impl {
  enum class Type { kRsa, kEc };
  Type type = Type::kRsa;
  const Curve* curve = nullptr;  // EC only
  std::string n, e;              // RSA, big-endian, minimal
  std::string x, y;              // EC, big-endian, field size
  PkeyPtr pkey;
};

namespace {

using Impl = PublicKey::Impl;

// Checks the kind and size of `pkey` and extracts its public members.
common::StatusOr<std::shared_ptr<const Impl>> MakeImpl(PkeyPtr pkey) {
  ClearErrorsOnExit clear;
  auto impl = std::make_shared<Impl>();
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_RSA: {
      const int bits = EVP_PKEY_get_bits(pkey.get());
      if (bits < kMinRsaBits) return common::Error(BadKey("RSA key shorter than 2048 bits"));
      if (bits > kMaxRsaBits) return common::Error(BadKey("RSA key longer than 8192 bits"));
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      const bool got = EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
                       EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E, &e) == 1;
      BnPtr n_owner(n), e_owner(e);
      if (!got) return common::Error(BadKey("unreadable RSA key"));
      // Cheap sanity checks; EVP_PKEY_public_check would add a primality test per key, which
      // costs real time for keys an attacker can send us (DPoP) and buys nothing for
      // signature verification.
      if (!BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e) ||
          static_cast<size_t>(BN_num_bytes(e)) > kMaxRsaExponentBytes) {
        return common::Error(BadKey("invalid RSA key"));
      }
      impl->type = Impl::Type::kRsa;
      impl->n = BnToBytes(n);
      impl->e = BnToBytes(e);
      break;
    }
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t group_len = 0;
      if (EVP_PKEY_get_group_name(pkey.get(), group, sizeof group, &group_len) != 1) {
        return common::Error(BadKey("EC key without a named curve"));
      }
      const Curve* curve = CurveByOsslName(std::string_view(group, group_len));
      if (curve == nullptr) return common::Error(BadKey("unsupported EC curve"));
      // On the curve, not the point at infinity, of the right order.
      PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
      if (!check || EVP_PKEY_public_check(check.get()) != 1) {
        return common::Error(BadKey("invalid EC public key"));
      }
      BIGNUM* x = nullptr;
      BIGNUM* y = nullptr;
      const bool got = EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                       EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
      BnPtr x_owner(x), y_owner(y);
      if (!got) return common::Error(BadKey("unreadable EC key"));
      impl->type = Impl::Type::kEc;
      impl->curve = curve;
      impl->x = BnToBytes(x, curve->field_bytes);
      impl->y = BnToBytes(y, curve->field_bytes);
      if (impl->x.empty() || impl->y.empty()) return common::Error(BadKey("invalid EC key"));
      break;
    }
    default:
      return common::Error(BadKey("unsupported key type"));
  }
  impl->pkey = std::move(pkey);
  return impl;
}

// Builds a public EVP_PKEY of `type` ("RSA", "EC") from OpenSSL parameters.
PkeyPtr PkeyFromParams(const char* type, OSSL_PARAM* params) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) return nullptr;
  return PkeyPtr(pkey);
}

common::StatusOr<PkeyPtr> RsaFromJwk(const fhir::json::Value& jwk) {
  const fhir::json::Value* n_member = jwk.Find("n");
  const fhir::json::Value* e_member = jwk.Find("e");
  if (n_member == nullptr || !n_member->is_string() || e_member == nullptr ||
      !e_member->is_string()) {
    return common::Error(BadKey("RSA JWK without n and e"));
  }
  // Bound the work before decoding: 8192 bits is 1366 base64url characters.
  if (n_member->text().size() > 1400 || e_member->text().size() > 16) {
    return common::Error(BadKey("RSA JWK members too long"));
  }
  auto n = common::Base64UrlDecode(n_member->text());
  auto e = common::Base64UrlDecode(e_member->text());
  if (!n || !e || n->empty() || e->empty()) return common::Error(BadKey("invalid RSA JWK"));
  // RFC 7518 §6.3.1: minimal big-endian encodings. Also what keeps thumbprints unambiguous.
  if ((*n)[0] == '\0' || (*e)[0] == '\0') return common::Error(BadKey("RSA JWK not minimal"));

  ClearErrorsOnExit clear;
  BnPtr bn_n = BytesToBn(*n);
  BnPtr bn_e = BytesToBn(*e);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return common::Error(common::Code::kInternal, "cannot build RSA key");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return common::Error(common::Code::kInternal, "cannot build RSA key");
  PkeyPtr pkey = PkeyFromParams("RSA", params.get());
  if (!pkey) return common::Error(BadKey("invalid RSA JWK"));
  return pkey;
}

common::StatusOr<PkeyPtr> EcFromJwk(const fhir::json::Value& jwk) {
  const Curve* curve = CurveByJwkName(jwk.GetString("crv"));
  if (curve == nullptr) return common::Error(BadKey("unsupported EC curve"));
  const fhir::json::Value* x_member = jwk.Find("x");
  const fhir::json::Value* y_member = jwk.Find("y");
  if (x_member == nullptr || !x_member->is_string() || y_member == nullptr ||
      !y_member->is_string()) {
    return common::Error(BadKey("EC JWK without x and y"));
  }
  auto x = common::Base64UrlDecode(x_member->text());
  auto y = common::Base64UrlDecode(y_member->text());
  const auto width = static_cast<size_t>(curve->field_bytes);
  // RFC 7518 §6.2.1.2: x and y are the full field size, leading zeros included.
  if (!x || !y || x->size() != width || y->size() != width) {
    return common::Error(BadKey("invalid EC JWK coordinates"));
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point

  ClearErrorsOnExit clear;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  const std::string group(curve->ossl_name);
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return common::Error(common::Code::kInternal, "cannot build EC key");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return common::Error(common::Code::kInternal, "cannot build EC key");
  PkeyPtr pkey = PkeyFromParams("EC", params.get());
  // A point off the curve already fails here; MakeImpl checks again through public_check.
  if (!pkey) return common::Error(BadKey("invalid EC public key"));
  return pkey;
}

// The public half of `pkey` as a key of its own, so a PublicKey never carries private
// material around.
PkeyPtr PublicOnly(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) return nullptr;
  const unsigned char* p = der;
  PkeyPtr out(d2i_PUBKEY(nullptr, &p, len));
  OPENSSL_free(der);
  return out;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<size_t>(len));
}

BioPtr ReadBio(std::string_view text) {
  if (text.size() > static_cast<size_t>(INT_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Never prompt for a passphrase (the default callback reads the terminal): encrypted PEM
// simply fails.
int NoPassphrase(char*, int, int, void*) { return -1; }

bool ImplSupports(const Impl& impl, Alg alg) {
  if (impl.type == Impl::Type::kRsa) return IsRsa(alg);
  return impl.curve != nullptr && impl.curve->alg == alg;
}

// Sets the RSA padding the alg prescribes on a sign/verify context: PKCS #1 v1.5 for RS*,
// PSS with MGF1 over the same hash and a salt as long as the hash for PS* (RFC 7518 §3.5).
bool ConfigurePadding(EVP_PKEY_CTX* pctx, Alg alg) {
  if (!IsRsa(alg)) return true;
  if (!IsPss(alg)) return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, MdFor(alg)) == 1;
}

// JWS raw r||s (RFC 7518 §3.4) to the DER ECDSA-Sig-Value OpenSSL verifies. Empty on error.
std::string RawToDer(std::string_view raw) {
  const size_t half = raw.size() / 2;
  BnPtr r = BytesToBn(raw.substr(0, half));
  BnPtr s = BytesToBn(raw.substr(half));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  // Now owned by sig.
  [[maybe_unused]] BIGNUM* owned_r = r.release();
  [[maybe_unused]] BIGNUM* owned_s = s.release();
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return {};
  return der;
}

// DER ECDSA-Sig-Value to JWS raw r||s, each `width` bytes. Empty on error.
std::string DerToRaw(std::string_view der, int width) {
  const auto* p = Bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return {};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw_r = BnToBytes(r, width);
  std::string raw_s = BnToBytes(s, width);
  if (raw_r.empty() || raw_s.empty()) return {};
  return raw_r + raw_s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Algorithm names.

std::string AlgHash(Alg alg, std::string_view bytes) {
  switch (alg) {
    case Alg::kRS384:
    case Alg::kPS384:
    case Alg::kES384:
      return common::Digest(common::DigestAlgorithm::kSha384, bytes);
    case Alg::kRS512:
    case Alg::kPS512:
      return common::Digest(common::DigestAlgorithm::kSha512, bytes);
    default:
      return common::Sha256(bytes);
  }
}

std::optional<Alg> AlgFromName(std::string_view name) {
  for (const auto& a : kAlgs) {
    if (a.name == name) return a.alg;
  }
  return std::nullopt;
}

std::string_view AlgName(Alg alg) {
  for (const auto& a : kAlgs) {
    if (a.alg == alg) return a.name;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// PublicKey.

common::StatusOr<PublicKey> PublicKey::FromJwk(const fhir::json::Value& jwk) {
  if (!jwk.is_object()) return common::Error(BadKey("JWK is not an object"));
  // Private members: a verifier has no business receiving them, and a JWKS or DPoP header
  // that carries them is broken or hostile ("k" is a symmetric key).
  for (std::string_view member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk.Find(member) != nullptr) {
      return common::Error(BadKey("JWK contains private key material"));
    }
  }
  std::string kid, alg, use;
  for (auto [name, out] :
       {std::pair<std::string_view, std::string*>{"kid", &kid}, {"alg", &alg}, {"use", &use}}) {
    const fhir::json::Value* v = jwk.Find(name);
    if (v == nullptr) continue;
    if (!v->is_string()) return common::Error(BadKey("JWK member is not a string"));
    *out = v->text();
  }

  const std::string_view kty = jwk.GetString("kty");
  common::StatusOr<PkeyPtr> pkey = common::Error(BadKey("unsupported JWK kty"));
  if (kty == "RSA") {
    pkey = RsaFromJwk(jwk);
  } else if (kty == "EC") {
    pkey = EcFromJwk(jwk);
  }
  if (!pkey) return common::Error(pkey.error());
  ASSIGN_OR_RETURN(auto impl, MakeImpl(std::move(*pkey)));
  PublicKey key(std::move(impl));
  key.kid_ = std::move(kid);
  key.alg_ = std::move(alg);
  key.use_ = std::move(use);
  return key;
}

common::StatusOr<PublicKey> PublicKey::FromPem(std::string_view pem) {
  ClearErrorsOnExit clear;
  BioPtr bio = ReadBio(pem);
  if (!bio) return common::Error(BadKey("unreadable PEM"));
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) return common::Error(BadKey("not a PEM public key"));
  ASSIGN_OR_RETURN(auto impl, MakeImpl(std::move(pkey)));
  return PublicKey(std::move(impl));
}

bool PublicKey::Supports(Alg alg) const {
  if (!alg_.empty() && alg_ != AlgName(alg)) return false;
  if (!use_.empty() && use_ != "sig") return false;
  return ImplSupports(*impl_, alg);
}

common::Status PublicKey::Verify(Alg alg, std::string_view data, std::string_view signature) const {
  if (!Supports(alg)) return Fail("key does not support the algorithm");
  ClearErrorsOnExit clear;
  EVP_PKEY* pkey = impl_->pkey.get();
  std::string der;
  if (impl_->type == Impl::Type::kEc) {
    // Exactly r||s at the curve's size; DER or short forms are not JWS signatures.
    if (signature.size() != 2 * static_cast<size_t>(impl_->curve->field_bytes)) {
      return Fail("invalid signature");
    }
    der = RawToDer(signature);
    if (der.empty()) return Fail("invalid signature");
    signature = der;
  } else if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(pkey))) {
    return Fail("invalid signature");
  }
  MdCtxPtr mctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by mctx
  if (!mctx || EVP_DigestVerifyInit(mctx.get(), &pctx, MdFor(alg), nullptr, pkey) != 1 ||
      !ConfigurePadding(pctx, alg)) {
    return Fail("invalid signature");
  }
  const int rc =
      EVP_DigestVerify(mctx.get(), Bytes(signature), signature.size(), Bytes(data), data.size());
  if (rc != 1) return Fail("invalid signature");
  return common::Status::Ok();
}

std::string PublicKey::Thumbprint() const {
  // RFC 7638 §3: the required members only, in lexicographic order, no white space. The
  // values are base64url or fixed names, so nothing needs JSON escaping.
  std::string canonical;
  if (impl_->type == Impl::Type::kRsa) {
    canonical = "{\"e\":\"" + common::Base64UrlEncode(impl_->e) + "\",\"kty\":\"RSA\",\"n\":\"" +
                common::Base64UrlEncode(impl_->n) + "\"}";
  } else {
    canonical = "{\"crv\":\"" + std::string(impl_->curve->jwk_name) + "\",\"kty\":\"EC\",\"x\":\"" +
                common::Base64UrlEncode(impl_->x) + "\",\"y\":\"" +
                common::Base64UrlEncode(impl_->y) + "\"}";
  }
  return common::Base64UrlEncode(common::Sha256(canonical));
}

fhir::json::Value PublicKey::ToJwk() const {
  using fhir::json::Value;
  Value jwk = Value::Object();
  if (impl_->type == Impl::Type::kRsa) {
    jwk.Set("kty", Value::String("RSA"));
    jwk.Set("n", Value::String(common::Base64UrlEncode(impl_->n)));
    jwk.Set("e", Value::String(common::Base64UrlEncode(impl_->e)));
  } else {
    jwk.Set("kty", Value::String("EC"));
    jwk.Set("crv", Value::String(std::string(impl_->curve->jwk_name)));
    jwk.Set("x", Value::String(common::Base64UrlEncode(impl_->x)));
    jwk.Set("y", Value::String(common::Base64UrlEncode(impl_->y)));
  }
  if (!kid_.empty()) jwk.Set("kid", Value::String(kid_));
  if (!alg_.empty()) jwk.Set("alg", Value::String(alg_));
  if (!use_.empty()) jwk.Set("use", Value::String(use_));
  return jwk;
}

std::string PublicKey::ToPem() const {
  ClearErrorsOnExit clear;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), impl_->pkey.get()) != 1) return {};
  return BioContents(bio.get());
}

// ---------------------------------------------------------------------------------------------
// PrivateKey.

namespace {

using ImplPair = std::pair<std::shared_ptr<const Impl>, std::shared_ptr<const Impl>>;

// The private key's impl and that of its public half.
common::StatusOr<ImplPair> PrivateImpls(PkeyPtr pkey) {
  PkeyPtr public_only = PublicOnly(pkey.get());
  if (!public_only) return common::Error(common::Code::kInternal, "cannot derive public key");
  ASSIGN_OR_RETURN(auto priv, MakeImpl(std::move(pkey)));
  ASSIGN_OR_RETURN(auto pub, MakeImpl(std::move(public_only)));
  return ImplPair(std::move(priv), std::move(pub));
}

}  // namespace

common::StatusOr<PrivateKey> PrivateKey::Generate(Alg alg) {
  ClearErrorsOnExit clear;
  PkeyPtr pkey;
  if (IsRsa(alg)) {
    pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(kMinRsaBits)));
  } else {
    const char* group = alg == Alg::kES256 ? "P-256" : "P-384";
    pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group));
  }
  if (!pkey) return common::Error(common::Code::kInternal, "key generation failed");
  ASSIGN_OR_RETURN(auto impls, PrivateImpls(std::move(pkey)));
  return PrivateKey(std::move(impls.first), std::move(impls.second));
}

common::StatusOr<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  ClearErrorsOnExit clear;
  BioPtr bio = ReadBio(pem);
  if (!bio) return common::Error(BadKey("unreadable PEM"));
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) return common::Error(BadKey("not an unencrypted PEM private key"));
  ASSIGN_OR_RETURN(auto impls, PrivateImpls(std::move(pkey)));
  return PrivateKey(std::move(impls.first), std::move(impls.second));
}

std::string PrivateKey::ToPem() const {
  ClearErrorsOnExit clear;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return {};
  }
  return BioContents(bio.get());
}

PublicKey PrivateKey::Public(std::string kid) const {
  PublicKey key(public_);
  key.kid_ = std::move(kid);
  return key;
}

bool PrivateKey::Supports(Alg alg) const { return ImplSupports(*impl_, alg); }

common::StatusOr<std::string> PrivateKey::Sign(Alg alg, std::string_view data) const {
  if (!Supports(alg)) {
    return common::Error(common::Code::kInvalidArgument, "key does not support the algorithm");
  }
  ClearErrorsOnExit clear;
  MdCtxPtr mctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by mctx
  size_t len = 0;
  if (!mctx || EVP_DigestSignInit(mctx.get(), &pctx, MdFor(alg), nullptr, impl_->pkey.get()) != 1 ||
      !ConfigurePadding(pctx, alg) ||
      EVP_DigestSign(mctx.get(), nullptr, &len, Bytes(data), data.size()) != 1) {
    return common::Error(common::Code::kInternal, "signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(mctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(data),
                     data.size()) != 1) {
    return common::Error(common::Code::kInternal, "signing failed");
  }
  sig.resize(len);
  if (impl_->type == Impl::Type::kEc) {
    sig = DerToRaw(sig, impl_->curve->field_bytes);
    if (sig.empty()) return common::Error(common::Code::kInternal, "signing failed");
  }
  return sig;
}

}  // namespace jose
