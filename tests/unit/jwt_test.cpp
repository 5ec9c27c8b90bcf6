// JWT verification: the policy checks, their order, and the classic attacks (alg none, HS256
// keyed with the public key, keys from the token, cross-JWT confusion through typ).

#include "jose/jwt.h"

#include <gtest/gtest.h>

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
using std::chrono::seconds;

constexpr int64_t kNow = 1'700'000'000;
const common::SystemTime kNowTime = common::SystemTime(seconds(kNow));
constexpr const char* kIssuer = "https://helseid-sts.test.nhn.no";

Value Json(std::string_view text) {
  auto v = fhir::json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : Value();
}

Value Num(int64_t n) { return Value::Number(std::to_string(n)); }

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new PrivateKey(*PrivateKey::Generate(Alg::kRS256));
    ec_ = new PrivateKey(*PrivateKey::Generate(Alg::kES256));
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
    rsa_ = ec_ = nullptr;
  }

  void SetUp() override {
    policy_.issuer = kIssuer;
    policy_.audiences = {"emeistring-api"};
    policy_.algorithms = {Alg::kRS256, Alg::kPS256, Alg::kES256};
  }

  static Value GoodClaims() {
    Value c = Value::Object();
    c.Set("iss", Value::String(kIssuer));
    c.Set("aud", Value::String("emeistring-api"));
    c.Set("sub", Value::String("secret-subject"));
    c.Set("exp", Num(kNow + 300));
    c.Set("iat", Num(kNow - 10));
    return c;
  }

  static std::string Sign(const Value& claims, Value header = Value::Object(),
                          Alg alg = Alg::kRS256) {
    if (header.Find("kid") == nullptr) {
      header.Set("kid", Value::String(alg == Alg::kES256 ? "ec" : "rsa"));
    }
    auto token = SignCompact(std::move(header), claims, alg == Alg::kES256 ? *ec_ : *rsa_, alg);
    EXPECT_TRUE(token.has_value());
    return token ? *token : "";
  }

  // Resolves "rsa" and "ec"; counts lookups.
  KeyResolver Resolver() {
    return [this](std::string_view kid, Alg) -> common::StatusOr<PublicKey> {
      ++lookups_;
      if (kid == "rsa") return rsa_->Public("rsa");
      if (kid == "ec") return ec_->Public("ec");
      return common::Error(common::Code::kUnauthenticated, "unknown signing key");
    };
  }

  common::StatusOr<VerifiedJwt> Verify(const std::string& token) {
    return VerifyJwt(token, policy_, Resolver(), kNowTime);
  }

  // Expects a failure whose message contains `check`, and that no claim value leaks.
  void ExpectReject(const std::string& token, std::string_view check) {
    auto r = Verify(token);
    ASSERT_FALSE(r.has_value()) << "expected failure: " << check;
    EXPECT_EQ(r.error().code(), common::Code::kUnauthenticated);
    EXPECT_NE(r.error().message().find(check), std::string::npos) << r.error().message();
    EXPECT_EQ(r.error().message().find("secret-subject"), std::string::npos);
    EXPECT_EQ(r.error().message().find("https://"), std::string::npos);
    EXPECT_EQ(r.error().message().find(token.substr(0, 10)), std::string::npos);
  }

  static PrivateKey* rsa_;
  static PrivateKey* ec_;
  JwtPolicy policy_;
  int lookups_ = 0;
};

PrivateKey* JwtTest::rsa_ = nullptr;
PrivateKey* JwtTest::ec_ = nullptr;

// HMAC-SHA256 (RFC 2104) on our own SHA-256, to forge the classic confused-deputy token.
std::string HmacSha256(std::string key, std::string_view message) {
  if (key.size() > 64) key = common::Sha256(key);
  key.resize(64, '\0');
  std::string inner(64, '\0'), outer(64, '\0');
  for (size_t i = 0; i < 64; ++i) {
    inner[i] = static_cast<char>(key[i] ^ 0x36);
    outer[i] = static_cast<char>(key[i] ^ 0x5c);
  }
  return common::Sha256(outer + common::Sha256(inner + std::string(message)));
}

TEST(Hmac, Rfc4231TestCase2) {
  // Guards the forged-token test below: the HMAC really is HMAC-SHA256.
  std::string mac = HmacSha256("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(common::Base64UrlEncode(mac), "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
}

TEST_F(JwtTest, ValidTokenPasses) {
  auto r = Verify(Sign(GoodClaims()));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(StringClaim(r->claims, "sub"), "secret-subject");
  EXPECT_EQ(NumericClaim(r->claims, "exp"), kNow + 300);
  EXPECT_EQ(r->header.GetString("kid"), "rsa");
  EXPECT_EQ(lookups_, 1);

  auto ec = Verify(Sign(GoodClaims(), Value::Object(), Alg::kES256));
  EXPECT_TRUE(ec.has_value()) << ec.error().message();
}

TEST_F(JwtTest, AlgNoneFailsBeforeAnyKeyLookup) {
  for (const char* alg : {"none", "None", "NONE"}) {
    Value header = Value::Object();
    header.Set("alg", Value::String(alg));
    header.Set("kid", Value::String("rsa"));
    std::string token = common::Base64UrlEncode(fhir::json::Write(header)) + "." +
                        common::Base64UrlEncode(fhir::json::Write(GoodClaims())) + ".";
    ExpectReject(token, "algorithm not allowed");
  }
  EXPECT_EQ(lookups_, 0);
}

TEST_F(JwtTest, Hs256WithThePublicKeyFails) {
  const std::string pem = rsa_->Public().ToPem();
  ASSERT_FALSE(pem.empty());
  Value header = Json(R"({"alg":"HS256","kid":"rsa","typ":"JWT"})");
  std::string input = common::Base64UrlEncode(fhir::json::Write(header)) + "." +
                      common::Base64UrlEncode(fhir::json::Write(GoodClaims()));
  std::string token = input + "." + common::Base64UrlEncode(HmacSha256(pem, input));
  ExpectReject(token, "algorithm not allowed");
  // Nor with the JWK serialization as the HMAC key.
  std::string token2 =
      input + "." +
      common::Base64UrlEncode(HmacSha256(fhir::json::Write(rsa_->Public().ToJwk()), input));
  ExpectReject(token2, "algorithm not allowed");
  EXPECT_EQ(lookups_, 0);
  // And the signature layer itself refuses it whatever alg the caller asks for.
  auto jws = ParseCompact(token);
  ASSERT_TRUE(jws.has_value());
  EXPECT_FALSE(VerifySignature(*jws, rsa_->Public(), Alg::kRS256).ok());
}

TEST_F(JwtTest, AlgorithmOffTheAllowListFails) {
  policy_.algorithms = {Alg::kES256};
  ExpectReject(Sign(GoodClaims()), "algorithm not allowed");
  policy_.algorithms = {};
  ExpectReject(Sign(GoodClaims(), Value::Object(), Alg::kES256), "algorithm not allowed");
  EXPECT_EQ(lookups_, 0);
}

TEST_F(JwtTest, HeaderAlgDifferentFromKeyTypeFails) {
  // Signed with the EC key (ES256) but the kid points at the RSA key.
  Value header = Value::Object();
  header.Set("kid", Value::String("rsa"));
  ExpectReject(Sign(GoodClaims(), header, Alg::kES256), "algorithm");
  // RS256 header, EC key from the resolver.
  header.Set("kid", Value::String("ec"));
  ExpectReject(Sign(GoodClaims(), header, Alg::kRS256), "algorithm");
}

TEST_F(JwtTest, TamperedTokensFail) {
  std::string token = Sign(GoodClaims());
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.rfind('.');
  Value claims = GoodClaims();
  claims.Set("sub", Value::String("someone-else"));
  std::string swapped = token.substr(0, dot1 + 1) +
                        common::Base64UrlEncode(fhir::json::Write(claims)) + token.substr(dot2);
  ExpectReject(swapped, "invalid signature");
  std::string bad_sig = token;
  bad_sig[dot2 + 5] = bad_sig[dot2 + 5] == 'A' ? 'B' : 'A';
  ExpectReject(bad_sig, "invalid signature");
  ExpectReject(token.substr(0, dot2 + 1), "invalid signature");
  ExpectReject("not.a.token", "malformed");
  ExpectReject(token + ".x", "malformed");
}

TEST_F(JwtTest, UnknownKeyFails) {
  Value header = Value::Object();
  header.Set("kid", Value::String("other"));
  ExpectReject(Sign(GoodClaims(), header), "signing key not found");
  header.Set("kid", Num(3));
  ExpectReject(Sign(GoodClaims(), header), "malformed kid");
}

TEST_F(JwtTest, KeysFromTheTokenAreRefused) {
  for (const char* name : {"jku", "x5u", "jwk", "x5c"}) {
    Value header = Value::Object();
    if (std::string_view(name) == "jwk") {
      header.Set(name, rsa_->Public().ToJwk());
    } else if (std::string_view(name) == "x5c") {
      header.Set(name, Json(R"(["MIIB"])"));
    } else {
      header.Set(name, Value::String("https://attacker.example/keys"));
    }
    ExpectReject(Sign(GoodClaims(), header), "key reference header not allowed");
  }
  EXPECT_EQ(lookups_, 0);
}

TEST_F(JwtTest, TypeChecks) {
  policy_.types = {"at+jwt"};
  Value header = Value::Object();
  header.Set("typ", Value::String("JWT"));
  ExpectReject(Sign(GoodClaims(), header), "type mismatch");
  ExpectReject(Sign(GoodClaims()), "type mismatch");  // absent
  for (const char* ok : {"at+jwt", "AT+JWT", "application/at+jwt", "Application/At+JWT"}) {
    header.Set("typ", Value::String(ok));
    auto r = Verify(Sign(GoodClaims(), header));
    EXPECT_TRUE(r.has_value()) << ok;
  }
  header.Set("typ", Value::String("application/vnd/at+jwt"));
  ExpectReject(Sign(GoodClaims(), header), "type mismatch");
  // Without a policy any string typ (or none) is fine, but not a non-string.
  policy_.types.clear();
  header.Set("typ", Value::String("JWT"));
  EXPECT_TRUE(Verify(Sign(GoodClaims(), header)).has_value());
  header.Set("typ", Num(1));
  ExpectReject(Sign(GoodClaims(), header), "typ");
}

TEST_F(JwtTest, IssuerMustMatchExactly) {
  for (const char* iss : {"https://helseid-sts.test.nhn.no/", "https://evil.example",
                          "HTTPS://helseid-sts.test.nhn.no"}) {
    Value c = GoodClaims();
    c.Set("iss", Value::String(iss));
    ExpectReject(Sign(c), "issuer mismatch");
  }
  Value c = GoodClaims();
  c.Remove("iss");
  ExpectReject(Sign(c), "issuer mismatch");
}

TEST_F(JwtTest, AudienceChecks) {
  Value c = GoodClaims();
  c.Set("aud", Value::String("another-api"));
  ExpectReject(Sign(c), "audience mismatch");
  c.Set("aud", Json(R"(["another-api","third"])"));
  ExpectReject(Sign(c), "audience mismatch");
  c.Remove("aud");
  ExpectReject(Sign(c), "audience");
  c.Set("aud", Json("[]"));
  ExpectReject(Sign(c), "audience");
  c.Set("aud", Json(R"(["emeistring-api", 5])"));
  ExpectReject(Sign(c), "audience");

  // An array containing ours passes (no azp rule configured).
  c.Set("aud", Json(R"(["another-api","emeistring-api"])"));
  EXPECT_TRUE(Verify(Sign(c)).has_value());
}

TEST_F(JwtTest, AuthorizedPartyRules) {
  policy_.authorized_party = "emeistring-client";
  Value c = GoodClaims();
  c.Set("aud", Json(R"(["emeistring-api","another-api"])"));
  ExpectReject(Sign(c), "authorized party");  // several audiences, no azp
  c.Set("azp", Value::String("someone-else"));
  ExpectReject(Sign(c), "authorized party mismatch");
  c.Set("azp", Value::String("emeistring-client"));
  EXPECT_TRUE(Verify(Sign(c)).has_value());

  // One audience: azp optional, but checked when present.
  Value single = GoodClaims();
  EXPECT_TRUE(Verify(Sign(single)).has_value());
  single.Set("azp", Value::String("someone-else"));
  ExpectReject(Sign(single), "authorized party mismatch");
}

TEST_F(JwtTest, SingleAudienceRule) {
  policy_.single_audience = true;
  Value c = GoodClaims();
  c.Set("aud", Json(R"(["emeistring-api","another-api"])"));
  ExpectReject(Sign(c), "multiple audiences");
  c.Set("aud", Json(R"(["emeistring-api"])"));
  EXPECT_TRUE(Verify(Sign(c)).has_value());
}

TEST_F(JwtTest, ExpiryWithSkew) {
  Value c = GoodClaims();
  c.Set("exp", Num(kNow - 61));
  ExpectReject(Sign(c), "token expired");
  c.Set("exp", Num(kNow - 60));
  ExpectReject(Sign(c), "token expired");
  c.Set("exp", Num(kNow - 59));  // within the default 60 s skew
  EXPECT_TRUE(Verify(Sign(c)).has_value());
  policy_.skew = seconds(0);
  c.Set("exp", Num(kNow));
  ExpectReject(Sign(c), "token expired");
  c.Set("exp", Num(kNow + 1));
  EXPECT_TRUE(Verify(Sign(c)).has_value());
}

TEST_F(JwtTest, ExpIsRequiredAndNumeric) {
  Value c = GoodClaims();
  c.Remove("exp");
  ExpectReject(Sign(c), "missing exp");
  c.Set("exp", Value::String(std::to_string(kNow + 300)));
  ExpectReject(Sign(c), "malformed exp");
  c.Set("exp", Value::Number("1e300"));
  ExpectReject(Sign(c), "malformed exp");
  c.Set("exp", Value::Number("1.7000003e9"));  // fractional / exponent forms are numbers
  EXPECT_TRUE(Verify(Sign(c)).has_value());
}

TEST_F(JwtTest, NotBefore) {
  Value c = GoodClaims();
  c.Set("nbf", Num(kNow + 61));
  ExpectReject(Sign(c), "token not yet valid");
  c.Set("nbf", Num(kNow + 60));
  EXPECT_TRUE(Verify(Sign(c)).has_value());
  c.Set("nbf", Value::String("0"));
  ExpectReject(Sign(c), "malformed nbf");
}

TEST_F(JwtTest, IssuedAt) {
  Value c = GoodClaims();
  c.Set("iat", Num(kNow + 61));
  ExpectReject(Sign(c), "token issued in the future");
  c.Set("iat", Num(kNow + 60));
  EXPECT_TRUE(Verify(Sign(c)).has_value());
  c.Remove("iat");
  ExpectReject(Sign(c), "missing iat");
  policy_.require_iat = false;
  EXPECT_TRUE(Verify(Sign(c)).has_value());
  c.Set("iat", Value::Bool(true));
  ExpectReject(Sign(c), "malformed iat");
}

TEST_F(JwtTest, MaxAge) {
  policy_.max_age = seconds(300);
  Value c = GoodClaims();
  c.Set("iat", Num(kNow - 361));
  ExpectReject(Sign(c), "token too old");
  c.Set("iat", Num(kNow - 360));  // max_age + skew
  EXPECT_TRUE(Verify(Sign(c)).has_value());
}

TEST_F(JwtTest, ClaimsMustBeAnObject) {
  auto token = SignCompact(Json(R"({"kid":"rsa"})"), Json(R"(["iss"])"), *rsa_, Alg::kRS256);
  ASSERT_TRUE(token.has_value());
  ExpectReject(*token, "malformed claims");
}

TEST(JwtHelpers, AtHashOidcExample) {
  // OpenID Connect Core 1.0, Appendix A.3.
  EXPECT_EQ(AtHash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", Alg::kRS256),
            "77QmUPtjPfzWtF2AnpK9RQ");
  EXPECT_EQ(AtHash("x", Alg::kES384).size(), 32u);  // 24 bytes
  EXPECT_EQ(AtHash("x", Alg::kPS512).size(), 43u);  // 32 bytes
}

TEST(JwtHelpers, ClaimAccessors) {
  Value c = Json(R"({"s":"v","n":1700000000,"f":1700000000.9,"e":1.7e9,"neg":-1.5,"str":"5",
                     "big":1e30})");
  EXPECT_EQ(StringClaim(c, "s"), "v");
  EXPECT_EQ(StringClaim(c, "n"), std::nullopt);
  EXPECT_EQ(StringClaim(c, "missing"), std::nullopt);
  EXPECT_EQ(NumericClaim(c, "n"), 1700000000);
  EXPECT_EQ(NumericClaim(c, "f"), 1700000000);
  EXPECT_EQ(NumericClaim(c, "e"), 1700000000);
  EXPECT_EQ(NumericClaim(c, "neg"), -2);
  EXPECT_EQ(NumericClaim(c, "str"), std::nullopt);
  EXPECT_EQ(NumericClaim(c, "big"), std::nullopt);
  EXPECT_EQ(NumericClaim(c, "missing"), std::nullopt);
}

TEST(JwtHelpers, MediaTypeEquals) {
  EXPECT_TRUE(MediaTypeEquals("dpop+jwt", "DPoP+JWT"));
  EXPECT_TRUE(MediaTypeEquals("application/logout+jwt", "logout+jwt"));
  EXPECT_FALSE(MediaTypeEquals("jwt", "at+jwt"));
  EXPECT_FALSE(MediaTypeEquals("text/jwt", "jwt"));
}

}  // namespace
}  // namespace jose
