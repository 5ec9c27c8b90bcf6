// JOSE building blocks: base64url, algorithm names, JWKs and thumbprints, and JWS signing
// and verification for every algorithm. Keys are generated here; none are committed.

#include "jose/jose.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "common/base64.h"
#include "common/digest.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "jose/jws.h"

namespace jose {
namespace {

using fhir::json::Value;

constexpr Alg kAllAlgs[] = {Alg::kRS256, Alg::kRS384, Alg::kRS512, Alg::kPS256,
                            Alg::kPS384, Alg::kPS512, Alg::kES256, Alg::kES384};

// RFC 7638 §3.1 (the key of RFC 7517 Appendix A.1).
constexpr const char* kRfc7638N =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPe"
    "bWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368"
    "QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd"
    "2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

Value Json(std::string_view text) {
  auto v = fhir::json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : Value();
}

// One generated key per kind, shared by the tests (RSA generation is the slow part).
const PrivateKey& KeyFor(Alg alg) {
  static const auto* keys = [] {
    auto* m = new std::map<int, PrivateKey>();
    for (Alg a : {Alg::kRS256, Alg::kES256, Alg::kES384}) {
      auto key = PrivateKey::Generate(a);
      if (!key) std::abort();
      m->emplace(static_cast<int>(a), std::move(*key));
    }
    return m;
  }();
  Alg kind = alg == Alg::kES256 || alg == Alg::kES384 ? alg : Alg::kRS256;
  return keys->at(static_cast<int>(kind));
}

Value Claims() { return Json(R"({"sub":"abc","n":1})"); }

// ---------------------------------------------------------------------------------------------
// Algorithm names.

TEST(Alg, NamesRoundTripAndUnsafeNamesDoNotExist) {
  for (Alg alg : kAllAlgs) {
    auto back = AlgFromName(AlgName(alg));
    ASSERT_TRUE(back.has_value()) << AlgName(alg);
    EXPECT_EQ(*back, alg);
  }
  for (const char* bad :
       {"none", "None", "HS256", "HS384", "HS512", "rs256", "ES512", "EdDSA", "", "RS256 "}) {
    EXPECT_FALSE(AlgFromName(bad).has_value()) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Keys.

TEST(PublicKey, Rfc7638ThumbprintVector) {
  Value jwk = Value::Object();
  jwk.Set("kty", Value::String("RSA"));
  jwk.Set("n", Value::String(kRfc7638N));
  jwk.Set("e", Value::String("AQAB"));
  jwk.Set("alg", Value::String("RS256"));
  jwk.Set("kid", Value::String("2011-04-29"));
  auto key = PublicKey::FromJwk(jwk);
  ASSERT_TRUE(key.has_value()) << key.error().message();
  EXPECT_EQ(key->Thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(key->kid(), "2011-04-29");
  EXPECT_EQ(key->alg(), "RS256");
  EXPECT_EQ(key->use(), "");
  // The optional members are kept in ToJwk but do not change the thumbprint.
  Value out = key->ToJwk();
  EXPECT_EQ(out.GetString("n"), kRfc7638N);
  EXPECT_EQ(out.GetString("e"), "AQAB");
  EXPECT_EQ(out.GetString("kid"), "2011-04-29");
  EXPECT_EQ(out.Find("d"), nullptr);
}

TEST(PublicKey, JwkRoundTripKeepsThumbprint) {
  for (Alg alg : {Alg::kRS256, Alg::kES256, Alg::kES384}) {
    PublicKey pub = KeyFor(alg).Public("kid-1");
    EXPECT_EQ(pub.kid(), "kid-1");
    Value jwk = pub.ToJwk();
    auto back = PublicKey::FromJwk(jwk);
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(back->Thumbprint(), pub.Thumbprint());
    EXPECT_EQ(back->kid(), "kid-1");
    EXPECT_EQ(pub.Thumbprint().size(), 43u);  // 32 bytes, base64url
  }
  EXPECT_NE(KeyFor(Alg::kES256).Public().Thumbprint(), KeyFor(Alg::kES384).Public().Thumbprint());
}

TEST(PublicKey, PemRoundTrip) {
  for (Alg alg : {Alg::kRS256, Alg::kES256, Alg::kES384}) {
    const PrivateKey& priv = KeyFor(alg);
    std::string pem = priv.Public().ToPem();
    EXPECT_NE(pem.find("BEGIN PUBLIC KEY"), std::string::npos);
    auto pub = PublicKey::FromPem(pem);
    ASSERT_TRUE(pub.has_value()) << pub.error().message();
    EXPECT_EQ(pub->Thumbprint(), priv.Public().Thumbprint());

    std::string priv_pem = priv.ToPem();
    EXPECT_NE(priv_pem.find("PRIVATE KEY"), std::string::npos);
    auto again = PrivateKey::FromPem(priv_pem);
    ASSERT_TRUE(again.has_value()) << again.error().message();
    EXPECT_EQ(again->Public().Thumbprint(), priv.Public().Thumbprint());
  }
  EXPECT_FALSE(PublicKey::FromPem("not a pem").has_value());
  EXPECT_FALSE(PrivateKey::FromPem(KeyFor(Alg::kRS256).Public().ToPem()).has_value());
}

TEST(PublicKey, PublicHalfHasNoPrivateMembers) {
  Value jwk = KeyFor(Alg::kRS256).Public().ToJwk();
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) {
    EXPECT_EQ(jwk.Find(member), nullptr) << member;
  }
  EXPECT_EQ(KeyFor(Alg::kRS256).Public().ToPem().find("PRIVATE"), std::string::npos);
}

TEST(PublicKey, RejectsPrivateMembersAndSymmetricKeys) {
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) {
    Value jwk = KeyFor(Alg::kRS256).Public().ToJwk();
    jwk.Set(member, Value::String("AQAB"));
    auto key = PublicKey::FromJwk(jwk);
    ASSERT_FALSE(key.has_value()) << member;
    EXPECT_NE(key.error().message().find("private"), std::string::npos);
  }
  Value ec = KeyFor(Alg::kES256).Public().ToJwk();
  ec.Set("d", Value::String("AAAA"));
  EXPECT_FALSE(PublicKey::FromJwk(ec).has_value());
  EXPECT_FALSE(PublicKey::FromJwk(Json(R"({"kty":"oct","k":"c2VjcmV0"})")).has_value());
  EXPECT_FALSE(PublicKey::FromJwk(Json(R"({"kty":"oct"})")).has_value());
  EXPECT_FALSE(PublicKey::FromJwk(Json(R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})")).has_value());
  EXPECT_FALSE(PublicKey::FromJwk(Json(R"(["kty"])")).has_value());
}

TEST(PublicKey, RejectsShortRsaAndNonMinimalEncodings) {
  // A 1024-bit odd modulus.
  std::string n(128, '\x5a');
  n[0] = '\xc1';
  n[127] = '\x01';
  Value jwk = Value::Object();
  jwk.Set("kty", Value::String("RSA"));
  jwk.Set("n", Value::String(common::Base64UrlEncode(n)));
  jwk.Set("e", Value::String("AQAB"));
  auto key = PublicKey::FromJwk(jwk);
  ASSERT_FALSE(key.has_value());
  EXPECT_NE(key.error().message().find("2048"), std::string::npos);

  // The RFC key with a leading zero octet on n.
  auto rfc_n = common::Base64UrlDecode(kRfc7638N);
  ASSERT_TRUE(rfc_n.has_value());
  jwk.Set("n", Value::String(common::Base64UrlEncode(std::string(1, '\0') + *rfc_n)));
  EXPECT_FALSE(PublicKey::FromJwk(jwk).has_value());
  // Even exponent; exponent 1.
  jwk.Set("n", Value::String(kRfc7638N));
  jwk.Set("e", Value::String(common::Base64UrlEncode("\x01\x00\x00")));
  EXPECT_FALSE(PublicKey::FromJwk(jwk).has_value());
  jwk.Set("e", Value::String(common::Base64UrlEncode("\x01")));
  EXPECT_FALSE(PublicKey::FromJwk(jwk).has_value());
  jwk.Set("e", Value::String("AQAB"));
  EXPECT_TRUE(PublicKey::FromJwk(jwk).has_value());
  jwk.Set("kid", Value::Number("7"));  // kid must be a string
  EXPECT_FALSE(PublicKey::FromJwk(jwk).has_value());
}

TEST(PublicKey, EcPointMustBeOnTheCurveAndFullSize) {
  Value good = KeyFor(Alg::kES256).Public().ToJwk();
  ASSERT_TRUE(PublicKey::FromJwk(good).has_value());

  Value off_curve = good;
  std::string y = *common::Base64UrlDecode(good.GetString("y"));
  y.back() = static_cast<char>(y.back() ^ 1);
  off_curve.Set("y", Value::String(common::Base64UrlEncode(y)));
  EXPECT_FALSE(PublicKey::FromJwk(off_curve).has_value());

  Value short_x = good;
  short_x.Set("x", Value::String(common::Base64UrlEncode(
                       common::Base64UrlDecode(good.GetString("x"))->substr(1))));
  EXPECT_FALSE(PublicKey::FromJwk(short_x).has_value());

  Value wrong_curve = good;  // P-256 coordinates announced as P-384
  wrong_curve.Set("crv", Value::String("P-384"));
  EXPECT_FALSE(PublicKey::FromJwk(wrong_curve).has_value());

  Value p521 = good;
  p521.Set("crv", Value::String("P-521"));
  EXPECT_FALSE(PublicKey::FromJwk(p521).has_value());
}

TEST(PublicKey, SupportsMatchesKeyTypeCurveAndJwkAlg) {
  PublicKey rsa = KeyFor(Alg::kRS256).Public();
  PublicKey p256 = KeyFor(Alg::kES256).Public();
  PublicKey p384 = KeyFor(Alg::kES384).Public();
  for (Alg alg : kAllAlgs) {
    const bool is_ec = alg == Alg::kES256 || alg == Alg::kES384;
    EXPECT_EQ(rsa.Supports(alg), !is_ec) << AlgName(alg);
    EXPECT_EQ(p256.Supports(alg), alg == Alg::kES256) << AlgName(alg);
    EXPECT_EQ(p384.Supports(alg), alg == Alg::kES384) << AlgName(alg);
  }
  Value jwk = rsa.ToJwk();
  jwk.Set("alg", Value::String("PS256"));
  auto pinned = PublicKey::FromJwk(jwk);
  ASSERT_TRUE(pinned.has_value());
  EXPECT_TRUE(pinned->Supports(Alg::kPS256));
  EXPECT_FALSE(pinned->Supports(Alg::kRS256));
  jwk.Set("alg", Value::String("RS256"));
  jwk.Set("use", Value::String("enc"));
  auto enc = PublicKey::FromJwk(jwk);
  ASSERT_TRUE(enc.has_value());
  EXPECT_FALSE(enc->Supports(Alg::kRS256));
}

TEST(PrivateKey, GeneratesTheRightKinds) {
  for (Alg alg : kAllAlgs) {
    auto key = PrivateKey::Generate(alg);
    ASSERT_TRUE(key.has_value()) << AlgName(alg);
    EXPECT_TRUE(key->Supports(alg)) << AlgName(alg);
    Value jwk = key->Public().ToJwk();
    if (alg == Alg::kES256) {
      EXPECT_EQ(jwk.GetString("crv"), "P-256");
    } else if (alg == Alg::kES384) {
      EXPECT_EQ(jwk.GetString("crv"), "P-384");
    } else {
      EXPECT_EQ(common::Base64UrlDecode(jwk.GetString("n"))->size(), 256u);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JWS.

TEST(Jws, SignAndVerifyEveryAlgorithm) {
  for (Alg alg : kAllAlgs) {
    const PrivateKey& key = KeyFor(alg);
    auto token = SignCompact(Json(R"({"typ":"JWT","kid":"k"})"), Claims(), key, alg);
    ASSERT_TRUE(token.has_value()) << AlgName(alg);
    auto jws = ParseCompact(*token);
    ASSERT_TRUE(jws.has_value()) << AlgName(alg) << ": " << jws.error().message();
    EXPECT_EQ(jws->header.members().front().first, "alg");
    EXPECT_EQ(jws->header.GetString("alg"), AlgName(alg));
    EXPECT_EQ(jws->header.GetString("kid"), "k");
    EXPECT_EQ(jws->payload, fhir::json::Write(Claims()));
    EXPECT_EQ(jws->signing_input, token->substr(0, token->rfind('.')));
    const size_t expected_size = alg == Alg::kES256 ? 64u : alg == Alg::kES384 ? 96u : 256u;
    EXPECT_EQ(jws->signature.size(), expected_size);
    common::Status s = VerifySignature(*jws, key.Public(), alg);
    EXPECT_TRUE(s.ok()) << AlgName(alg) << ": " << s.message();
  }
}

TEST(Jws, OtherKeyOfTheSameKindFails) {
  auto other = PrivateKey::Generate(Alg::kES256);
  ASSERT_TRUE(other.has_value());
  auto token = SignCompact(Value(), Claims(), KeyFor(Alg::kES256), Alg::kES256);
  ASSERT_TRUE(token.has_value());
  auto jws = ParseCompact(*token);
  ASSERT_TRUE(jws.has_value());
  EXPECT_FALSE(VerifySignature(*jws, other->Public(), Alg::kES256).ok());
}

TEST(Jws, TamperedPayloadOrSignatureFails) {
  for (Alg alg : kAllAlgs) {
    auto token = SignCompact(Value(), Claims(), KeyFor(alg), alg);
    ASSERT_TRUE(token.has_value());
    const size_t dot1 = token->find('.');
    const size_t dot2 = token->rfind('.');

    std::string tampered_payload = token->substr(0, dot1 + 1) +
                                   common::Base64UrlEncode(R"({"sub":"abd","n":1})") +
                                   token->substr(dot2);
    auto jws = ParseCompact(tampered_payload);
    ASSERT_TRUE(jws.has_value());
    EXPECT_FALSE(VerifySignature(*jws, KeyFor(alg).Public(), alg).ok()) << AlgName(alg);

    auto good = ParseCompact(*token);
    ASSERT_TRUE(good.has_value());
    Jws bad_sig = *good;
    bad_sig.signature[bad_sig.signature.size() / 2] ^= 0x01;
    EXPECT_FALSE(VerifySignature(bad_sig, KeyFor(alg).Public(), alg).ok()) << AlgName(alg);
    Jws short_sig = *good;
    short_sig.signature.pop_back();
    EXPECT_FALSE(VerifySignature(short_sig, KeyFor(alg).Public(), alg).ok()) << AlgName(alg);
    Jws long_sig = *good;
    long_sig.signature.push_back('\0');
    EXPECT_FALSE(VerifySignature(long_sig, KeyFor(alg).Public(), alg).ok()) << AlgName(alg);
    Jws empty_sig = *good;
    empty_sig.signature.clear();
    EXPECT_FALSE(VerifySignature(empty_sig, KeyFor(alg).Public(), alg).ok()) << AlgName(alg);
  }
}

TEST(Jws, HeaderAlgMustMatchTheGivenAlgAndTheKey) {
  auto token = SignCompact(Value(), Claims(), KeyFor(Alg::kRS256), Alg::kRS256);
  ASSERT_TRUE(token.has_value());
  auto jws = ParseCompact(*token);
  ASSERT_TRUE(jws.has_value());
  // The caller asks for PS256 but the header says RS256.
  common::Status s = VerifySignature(*jws, KeyFor(Alg::kRS256).Public(), Alg::kPS256);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), common::Code::kUnauthenticated);
  // An RSA token checked against an EC key.
  EXPECT_FALSE(VerifySignature(*jws, KeyFor(Alg::kES256).Public(), Alg::kRS256).ok());
  // An ES256 token against a P-384 key and ES384.
  auto es = SignCompact(Value(), Claims(), KeyFor(Alg::kES256), Alg::kES256);
  ASSERT_TRUE(es.has_value());
  auto es_jws = ParseCompact(*es);
  ASSERT_TRUE(es_jws.has_value());
  EXPECT_FALSE(VerifySignature(*es_jws, KeyFor(Alg::kES384).Public(), Alg::kES384).ok());

  // Header rewritten from RS256 to PS256: the PKCS#1 v1.5 signature is no PSS signature.
  Value header = jws->header;
  header.Set("alg", Value::String("PS256"));
  std::string rewritten =
      common::Base64UrlEncode(fhir::json::Write(header)) + token->substr(token->find('.'));
  auto re = ParseCompact(rewritten);
  ASSERT_TRUE(re.has_value());
  EXPECT_FALSE(VerifySignature(*re, KeyFor(Alg::kRS256).Public(), Alg::kPS256).ok());
}

TEST(Jws, DerEncodedEcdsaSignatureIsNotAJwsSignature) {
  auto token = SignCompact(Value(), Claims(), KeyFor(Alg::kES256), Alg::kES256);
  ASSERT_TRUE(token.has_value());
  auto jws = ParseCompact(*token);
  ASSERT_TRUE(jws.has_value());
  // Wrap r||s in a DER-looking SEQUENCE: the length alone makes it fail.
  Jws der = *jws;
  der.signature = std::string("\x30\x44\x02\x20", 4) + jws->signature.substr(0, 32) +
                  std::string("\x02\x20", 2) + jws->signature.substr(32);
  EXPECT_FALSE(VerifySignature(der, KeyFor(Alg::kES256).Public(), Alg::kES256).ok());
  // r = 0 and s = 0.
  Jws zeros = *jws;
  zeros.signature.assign(64, '\0');
  EXPECT_FALSE(VerifySignature(zeros, KeyFor(Alg::kES256).Public(), Alg::kES256).ok());
}

TEST(Jws, ParseRejectsMalformedTokens) {
  const std::string h = common::Base64UrlEncode(R"({"alg":"RS256"})");
  const std::string p = common::Base64UrlEncode("{}");
  const std::string s = common::Base64UrlEncode("sig");
  EXPECT_TRUE(ParseCompact(h + "." + p + "." + s).has_value());
  const std::vector<std::string> bad = {
      "",
      h + "." + p,
      h + "." + p + "." + s + "." + s,
      h + "." + p + "." + s + "=",
      h + "=." + p + "." + s,
      "." + p + "." + s,
      common::Base64UrlEncode(R"(["alg"])") + "." + p + "." + s,
      common::Base64UrlEncode(R"({"typ":"JWT"})") + "." + p + "." + s,
      common::Base64UrlEncode(R"({"alg":256})") + "." + p + "." + s,
      common::Base64UrlEncode(R"({"alg":"RS256","crit":["exp"],"exp":1})") + "." + p + "." + s,
      common::Base64UrlEncode(R"({"alg":"RS256","alg":"none"})") + "." + p + "." + s,
      common::Base64UrlEncode(R"({"alg":"RS256")") + "." + p + "." + s,
      h + "." + std::string(kMaxCompactJwsBytes, 'A') + "." + s,
  };
  for (const auto& token : bad) {
    auto jws = ParseCompact(token);
    ASSERT_FALSE(jws.has_value()) << token.substr(0, 80);
    EXPECT_EQ(jws.error().code(), common::Code::kUnauthenticated);
    // Nothing of the token comes back in the message.
    EXPECT_EQ(jws.error().message().find("RS256"), std::string::npos);
    EXPECT_EQ(jws.error().message().find("exp"), std::string::npos);
  }
}

}  // namespace
}  // namespace jose
