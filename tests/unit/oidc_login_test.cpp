// Patient login with OpenID Connect (adapters/bankid/oidc_login.h): BeginLogin's authorization
// request, ID token verification (signature, iss, aud, times, nonce, at_hash, acr and the
// national identity number), CompleteLogin's callback and token request, back-channel logout
// tokens and the end-session URL. No network: the issuer's discovery document and JWKS are
// served from memory, tokens are signed here, and time is fixed.
// Synthetic data only: Tenor-style test numbers (month + 80) and made-up subjects.

#include "adapters/bankid/oidc_login.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base64.h"
#include "common/digest.h"
#include "common/norwegian_id.h"
#include "common/status.h"
#include "common/time.h"
#include "fhir/json/value.h"
#include "fhir/json/writer.h"
#include "jose/jose.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "jose/jwt.h"

namespace adapters::bankid {
namespace {

using common::Code;
using fhir::json::Value;
using jose::Alg;
using jose::PrivateKey;
using std::chrono::seconds;

constexpr const char* kIssuer = "https://idp.test.example";
constexpr const char* kDiscoveryUrl = "https://idp.test.example/.well-known/openid-configuration";
constexpr const char* kJwksUrl = "https://idp.test.example/jwks";
constexpr const char* kAuthorizeUrl = "https://idp.test.example/authorize";
constexpr const char* kTokenUrl = "https://idp.test.example/token";
constexpr const char* kEndSessionUrl = "https://idp.test.example/endsession";
constexpr const char* kClientId = "gateway-test-client";
constexpr const char* kClientSecret = "test-secret:with/odd chars";
constexpr const char* kRedirectUri = "https://gateway.test.example/auth/callback";
constexpr const char* kSubject = "synthetic-subject-0001";
constexpr const char* kSid = "synthetic-sid-0001";
constexpr const char* kNonce = "nonce-0123456789abcdef";
constexpr const char* kSyntheticFnr = "17829010097";      // Tenor test number (month 02 + 80)
constexpr const char* kBadCheckDigits = "17829010098";    // same, last check digit wrong
constexpr const char* kSyntheticDNummer = "52867520066";  // day 12 + 40, month 06 + 80
constexpr const char* kLogoutEvent = "http://schemas.openid.net/event/backchannel-logout";

// 2026-03-01T12:00:00Z, a fixed instant for every test.
constexpr int64_t kNowSeconds = 1772366400;
const common::SystemTime kNow = common::FromMicros(kNowSeconds * 1000000);

// Keys are generated once: RSA generation is slow.
struct TestKeys {
  PrivateKey rsa;
  PrivateKey rsa_rotated;
  PrivateKey ec;
};

const TestKeys& Keys() {
  static const TestKeys* keys = [] {
    auto rsa = PrivateKey::Generate(Alg::kRS256);
    auto rsa2 = PrivateKey::Generate(Alg::kRS256);
    auto ec = PrivateKey::Generate(Alg::kES256);
    if (!rsa || !rsa2 || !ec) std::abort();
    return new TestKeys{*rsa, *rsa2, *ec};
  }();
  return *keys;
}

Value Num(int64_t v) { return Value::Number(std::to_string(v)); }
Value Str(std::string s) { return Value::String(std::move(s)); }

Value Jwk(const PrivateKey& key, std::string kid) {
  Value jwk = key.Public(std::move(kid)).ToJwk();
  jwk.Set("use", Str("sig"));
  return jwk;
}

std::string DiscoveryJson(bool iss_parameter_supported) {
  Value doc = Value::Object();
  doc.Set("issuer", Str(kIssuer));
  doc.Set("authorization_endpoint", Str(kAuthorizeUrl));
  doc.Set("token_endpoint", Str(kTokenUrl));
  doc.Set("jwks_uri", Str(kJwksUrl));
  doc.Set("end_session_endpoint", Str(kEndSessionUrl));
  Value& algs = doc.Set("id_token_signing_alg_values_supported", Value::Array());
  algs.Append(Str("RS256"));
  algs.Append(Str("ES256"));
  Value& methods = doc.Set("code_challenge_methods_supported", Value::Array());
  methods.Append(Str("S256"));
  doc.Set("authorization_response_iss_parameter_supported", Value::Bool(iss_parameter_supported));
  return fhir::json::Write(doc);
}

PatientIssuer IdPorten() {
  PatientIssuer idp;
  idp.name = "idporten";
  idp.issuer = kIssuer;
  idp.client_id = kClientId;
  idp.client_secret = kClientSecret;
  idp.redirect_uri = kRedirectUri;
  idp.scope = "openid profile";
  idp.identity_claim = "pid";
  idp.acr_values = "idporten-loa-high";
  idp.acr_order = {"idporten-loa-substantial", "idporten-loa-high"};
  idp.minimum_acr = "idporten-loa-high";
  idp.algorithms = {Alg::kRS256, Alg::kES256};
  idp.post_logout_redirect_uri = "https://gateway.test.example/logged-out";
  idp.allow_synthetic_ids = true;  // a test environment: Tenor numbers
  return idp;
}

// The claims of a valid ID token issued a minute ago for kNonce.
Value IdClaims() {
  Value c = Value::Object();
  c.Set("iss", Str(kIssuer));
  c.Set("aud", Str(kClientId));
  c.Set("sub", Str(kSubject));
  c.Set("iat", Num(kNowSeconds - 60));
  c.Set("exp", Num(kNowSeconds + 120));
  c.Set("nonce", Str(kNonce));
  c.Set("acr", Str("idporten-loa-high"));
  Value& amr = c.Set("amr", Value::Array());
  amr.Append(Str("BankID"));
  amr.Append(Str("Minid-PIN"));
  c.Set("sid", Str(kSid));
  c.Set("pid", Str(kSyntheticFnr));
  c.Set("given_name", Str("Test"));
  c.Set("family_name", Str("Testesen"));
  c.Set("birthdate", Str("1990-02-17"));
  return c;
}

std::string Sign(const Value& claims, const PrivateKey& key, Alg alg, std::string kid,
                 std::string typ = "JWT") {
  Value header = Value::Object();
  header.Set("kid", Str(std::move(kid)));
  if (!typ.empty()) header.Set("typ", Str(std::move(typ)));
  auto token = jose::SignCompact(std::move(header), claims, key, alg);
  if (!token) {
    ADD_FAILURE() << token.error().message();
    return {};
  }
  return *token;
}

std::string SignRsa(const Value& claims) { return Sign(claims, Keys().rsa, Alg::kRS256, "rsa-1"); }

std::vector<std::string> SplitToken(const std::string& token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t dot = token.find('.', start);
    parts.push_back(
        token.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

// Query parameters of a URL, still encoded.
std::map<std::string, std::string> QueryOf(const std::string& url) {
  std::map<std::string, std::string> out;
  const size_t q = url.find('?');
  if (q == std::string::npos) return out;
  std::string_view rest = std::string_view(url).substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    const size_t eq = pair.find('=');
    out[std::string(pair.substr(0, eq))] =
        eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

// Asserts a kUnauthenticated failure whose message contains `what`.
template <typename T>
void ExpectRefused(const common::StatusOr<T>& result, std::string_view what) {
  ASSERT_FALSE(result.has_value()) << "expected a failure mentioning '" << what << "'";
  EXPECT_EQ(result.error().code(), Code::kUnauthenticated) << result.error().message();
  EXPECT_NE(result.error().message().find(what), std::string::npos)
      << "message: " << result.error().message() << "; expected: " << what;
}

class OidcLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    published_ = {Jwk(Keys().rsa, "rsa-1"), Jwk(Keys().ec, "ec-1")};
    keys_ = MakeKeys();
  }

  std::unique_ptr<jose::IssuerKeys> MakeKeys() {
    jose::IssuerKeysOptions options;
    options.issuer = kIssuer;
    return std::make_unique<jose::IssuerKeys>(
        options,
        [this](const std::string& url) -> common::StatusOr<std::string> {
          if (url == kDiscoveryUrl) {
            ++discovery_fetches_;
            return DiscoveryJson(iss_parameter_supported_);
          }
          if (url == kJwksUrl) {
            ++jwks_fetches_;
            Value doc = Value::Object();
            Value& arr = doc.Set("keys", Value::Array());
            for (const auto& k : published_) arr.Append(k);
            return fhir::json::Write(doc);
          }
          ADD_FAILURE() << "unexpected fetch of " << url;
          return common::Error(Code::kNotFound, "no such document");
        },
        [this] { return clock_now_; });
  }

  jose::ProviderMetadata Metadata() {
    auto m = keys_->Metadata();
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message());
    return m.value_or(jose::ProviderMetadata{});
  }

  common::StatusOr<VerifiedLogin> Verify(const std::string& token, std::string_view nonce = kNonce,
                                         std::string_view access_token = "") {
    return VerifyIdToken(idp_, *keys_, token, nonce, access_token, kNow);
  }

  PatientIssuer idp_ = IdPorten();
  std::vector<Value> published_;
  bool iss_parameter_supported_ = true;
  common::SystemTime clock_now_ = kNow;
  int discovery_fetches_ = 0;
  int jwks_fetches_ = 0;
  std::unique_ptr<jose::IssuerKeys> keys_;
};

// ---------------------------------------------------------------------------------------------
// Valid ID tokens.

TEST_F(OidcLoginTest, ValidRs256IdToken) {
  const std::string token = SignRsa(IdClaims());
  auto login = Verify(token);
  ASSERT_TRUE(login.has_value()) << login.error().message();
  EXPECT_EQ(login->issuer, kIssuer);
  EXPECT_EQ(login->subject, kSubject);
  EXPECT_EQ(login->national_id, kSyntheticFnr);
  EXPECT_FALSE(login->d_number);
  EXPECT_EQ(login->acr, "idporten-loa-high");
  EXPECT_EQ(login->amr, (std::vector<std::string>{"BankID", "Minid-PIN"}));
  EXPECT_EQ(login->sid, kSid);
  EXPECT_EQ(login->id_token, token);
  EXPECT_EQ(login->given_name, "Test");
  EXPECT_EQ(login->family_name, "Testesen");
  EXPECT_EQ(login->birthdate, "1990-02-17");
  EXPECT_EQ(discovery_fetches_, 1);
  EXPECT_EQ(jwks_fetches_, 1);
}

TEST_F(OidcLoginTest, ValidEs256IdToken) {
  const std::string token = Sign(IdClaims(), Keys().ec, Alg::kES256, "ec-1");
  auto login = Verify(token);
  ASSERT_TRUE(login.has_value()) << login.error().message();
  EXPECT_EQ(login->subject, kSubject);
  EXPECT_EQ(login->national_id, kSyntheticFnr);
  EXPECT_EQ(login->acr, "idporten-loa-high");
  EXPECT_EQ(login->amr, (std::vector<std::string>{"BankID", "Minid-PIN"}));
  EXPECT_EQ(login->sid, kSid);
}

TEST_F(OidcLoginTest, AmrAsSingleStringIsAccepted) {
  Value claims = IdClaims();
  claims.Set("amr", Str("BankID"));  // the old ID-porten form
  auto login = Verify(SignRsa(claims));
  ASSERT_TRUE(login.has_value()) << login.error().message();
  EXPECT_EQ(login->amr, std::vector<std::string>{"BankID"});
}

// ---------------------------------------------------------------------------------------------
// Token-level checks.

TEST_F(OidcLoginTest, WrongAudienceIsRefused) {
  Value claims = IdClaims();
  claims.Set("aud", Str("another-client"));
  ExpectRefused(Verify(SignRsa(claims)), "audience mismatch");
}

TEST_F(OidcLoginTest, WrongIssuerIsRefused) {
  Value claims = IdClaims();
  claims.Set("iss", Str("https://other-idp.test.example"));
  ExpectRefused(Verify(SignRsa(claims)), "issuer mismatch");
}

TEST_F(OidcLoginTest, ExpiredTokenIsRefused) {
  Value claims = IdClaims();
  claims.Set("iat", Num(kNowSeconds - 400));
  claims.Set("exp", Num(kNowSeconds - 61));  // beyond the 60 s skew
  ExpectRefused(Verify(SignRsa(claims)), "expired");
}

TEST_F(OidcLoginTest, IssuedInTheFutureIsRefused) {
  Value claims = IdClaims();
  claims.Set("iat", Num(kNowSeconds + 300));
  claims.Set("exp", Num(kNowSeconds + 900));
  ExpectRefused(Verify(SignRsa(claims)), "issued in the future");
}

TEST_F(OidcLoginTest, UnsignedAlgNoneIsRefused) {
  const std::string header = common::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})");
  const std::string payload = common::Base64UrlEncode(fhir::json::Write(IdClaims()));
  const std::string token = header + "." + payload + ".";
  ExpectRefused(Verify(token), "algorithm not allowed");
  EXPECT_EQ(jwks_fetches_, 0);  // refused before any key lookup
}

TEST_F(OidcLoginTest, Hs256KeyedWithTheRsaPublicKeyIsRefused) {
  const std::string pem = Keys().rsa.Public("rsa-1").ToPem();
  const std::string signing_input =
      common::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT","kid":"rsa-1"})") + "." +
      common::Base64UrlEncode(fhir::json::Write(IdClaims()));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  ASSERT_NE(HMAC(EVP_sha256(), pem.data(), static_cast<int>(pem.size()),
                 reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
                 mac, &mac_len),
            nullptr);
  const std::string token =
      signing_input + "." +
      common::Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
  ExpectRefused(Verify(token), "algorithm not allowed");
  EXPECT_EQ(jwks_fetches_, 0);
}

TEST_F(OidcLoginTest, TamperedPayloadIsRefused) {
  const std::vector<std::string> parts = SplitToken(SignRsa(IdClaims()));
  ASSERT_EQ(parts.size(), 3u);
  Value claims = IdClaims();
  claims.Set("sub", Str("synthetic-subject-9999"));  // someone else
  const std::string forged =
      parts[0] + "." + common::Base64UrlEncode(fhir::json::Write(claims)) + "." + parts[2];
  ExpectRefused(Verify(forged), "invalid signature");
}

TEST_F(OidcLoginTest, TamperedSignatureIsRefused) {
  const std::vector<std::string> parts = SplitToken(SignRsa(IdClaims()));
  ASSERT_EQ(parts.size(), 3u);
  auto signature = common::Base64UrlDecode(parts[2]);
  ASSERT_TRUE(signature.has_value());
  ASSERT_FALSE(signature->empty());
  (*signature)[signature->size() / 2] ^= 0x01;
  const std::string forged = parts[0] + "." + parts[1] + "." + common::Base64UrlEncode(*signature);
  ExpectRefused(Verify(forged), "invalid signature");
}

TEST_F(OidcLoginTest, UnknownKidFailsAfterExactlyOneRefetch) {
  ASSERT_TRUE(Verify(SignRsa(IdClaims())).has_value());  // the key set is now cached
  ASSERT_EQ(jwks_fetches_, 1);
  // Signed by a key the issuer never published.
  const std::string token = Sign(IdClaims(), Keys().rsa_rotated, Alg::kRS256, "unknown-kid");
  ExpectRefused(Verify(token), "signing key not found");
  EXPECT_EQ(jwks_fetches_, 2);  // one refetch for the unknown kid
  ExpectRefused(Verify(token), "signing key not found");
  EXPECT_EQ(jwks_fetches_, 2);  // and no more within min_refresh_interval
  EXPECT_EQ(keys_->fetch_count(), discovery_fetches_ + jwks_fetches_);
}

TEST_F(OidcLoginTest, RotatedKeyIsFoundAfterRefetch) {
  ASSERT_TRUE(Verify(SignRsa(IdClaims())).has_value());
  ASSERT_EQ(jwks_fetches_, 1);
  published_.push_back(Jwk(Keys().rsa_rotated, "rsa-2"));  // the issuer rotates
  auto login = Verify(Sign(IdClaims(), Keys().rsa_rotated, Alg::kRS256, "rsa-2"));
  ASSERT_TRUE(login.has_value()) << login.error().message();
  EXPECT_EQ(login->subject, kSubject);
  EXPECT_EQ(jwks_fetches_, 2);
}

// ---------------------------------------------------------------------------------------------
// nonce and at_hash.

TEST_F(OidcLoginTest, NonceMismatchIsRefused) {
  ExpectRefused(Verify(SignRsa(IdClaims()), "nonce-of-another-login"), "nonce");
}

TEST_F(OidcLoginTest, ReplayedTokenWithNoPendingNonceIsRefused) {
  // The pending login was consumed by the first callback; a replay has no nonce to match.
  const std::string token = SignRsa(IdClaims());
  ASSERT_TRUE(Verify(token).has_value());
  ExpectRefused(Verify(token, ""), "nonce");
}

TEST_F(OidcLoginTest, TokenWithoutNonceIsRefusedEvenForEmptyExpectation) {
  Value claims = IdClaims();
  claims.Remove("nonce");
  ExpectRefused(Verify(SignRsa(claims), ""), "nonce");
}

TEST_F(OidcLoginTest, MatchingAtHashIsAccepted) {
  const std::string access_token = "synthetic-access-token-abc123";
  Value claims = IdClaims();
  claims.Set("at_hash", Str(jose::AtHash(access_token, Alg::kRS256)));
  auto login = Verify(SignRsa(claims), kNonce, access_token);
  ASSERT_TRUE(login.has_value()) << login.error().message();
  EXPECT_EQ(login->subject, kSubject);
}

TEST_F(OidcLoginTest, MismatchedAtHashIsRefused) {
  Value claims = IdClaims();
  claims.Set("at_hash", Str(jose::AtHash("synthetic-access-token-abc123", Alg::kRS256)));
  ExpectRefused(Verify(SignRsa(claims), kNonce, "synthetic-access-token-other"), "at_hash");
}

TEST_F(OidcLoginTest, AtHashWithoutAccessTokenIsRefused) {
  Value claims = IdClaims();
  claims.Set("at_hash", Str(jose::AtHash("synthetic-access-token-abc123", Alg::kRS256)));
  ExpectRefused(Verify(SignRsa(claims), kNonce, ""), "at_hash");
}

// ---------------------------------------------------------------------------------------------
// acr.

TEST_F(OidcLoginTest, AcrBelowMinimumIsRefused) {
  Value claims = IdClaims();
  claims.Set("acr", Str("idporten-loa-substantial"));
  ExpectRefused(Verify(SignRsa(claims)), "acr");
}

TEST_F(OidcLoginTest, UnknownAcrIsRefused) {
  Value claims = IdClaims();
  claims.Set("acr", Str("Level4"));
  ExpectRefused(Verify(SignRsa(claims)), "acr");
}

TEST_F(OidcLoginTest, LowerAcrIsAcceptedWhenItIsTheMinimum) {
  idp_.minimum_acr = "idporten-loa-substantial";
  Value claims = IdClaims();
  claims.Set("acr", Str("idporten-loa-substantial"));
  auto login = Verify(SignRsa(claims));
  ASSERT_TRUE(login.has_value()) << login.error().message();
  EXPECT_EQ(login->acr, "idporten-loa-substantial");
}

// ---------------------------------------------------------------------------------------------
// The identity claim.

TEST_F(OidcLoginTest, BadCheckDigitsAreRefused) {
  ASSERT_FALSE(common::ParseNorwegianId(kBadCheckDigits).has_value());
  Value claims = IdClaims();
  claims.Set("pid", Str(kBadCheckDigits));
  ExpectRefused(Verify(SignRsa(claims)), "not a valid fødselsnummer or D-nummer");
}

TEST_F(OidcLoginTest, HNummerIsRefused) {
  // Day 17, month 02 + 40, year 90: an H-nummer (a local help number, never a login identity).
  std::string h;
  for (int individual = 100; individual < 200 && h.empty(); ++individual) {
    const std::string first_nine = "174290" + std::to_string(individual);
    if (auto digits = common::NorwegianIdCheckDigits(first_nine)) {
      h = first_nine + std::to_string(digits->first) + std::to_string(digits->second);
    }
  }
  ASSERT_EQ(h.size(), 11u);
  auto parsed = common::ParseNorwegianId(h);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->kind, common::NorwegianIdKind::kHNummer);
  Value claims = IdClaims();
  claims.Set("pid", Str(h));
  ExpectRefused(Verify(SignRsa(claims)), "not a valid fødselsnummer or D-nummer");
}

TEST_F(OidcLoginTest, MissingIdentityClaimIsRefused) {
  Value claims = IdClaims();
  claims.Remove("pid");
  ExpectRefused(Verify(SignRsa(claims)), "identity claim");
}

TEST_F(OidcLoginTest, IdentityClaimConfiguredAsNninAltsub) {
  idp_.name = "bankid";
  idp_.identity_claim = "nnin_altsub";
  Value claims = IdClaims();
  claims.Remove("pid");
  claims.Set("nnin_altsub", Str(kSyntheticFnr));
  auto login = Verify(SignRsa(claims));
  ASSERT_TRUE(login.has_value()) << login.error().message();
  EXPECT_EQ(login->national_id, kSyntheticFnr);
  // A `pid` claim is not read when the issuer is configured for nnin_altsub.
  ExpectRefused(Verify(SignRsa(IdClaims())), "identity claim");
}

TEST_F(OidcLoginTest, SyntheticNumberRefusedWhenNotAllowed) {
  idp_.allow_synthetic_ids = false;
  ExpectRefused(Verify(SignRsa(IdClaims())), "synthetic test number");
}

TEST_F(OidcLoginTest, SyntheticNumberAcceptedWhenAllowed) {
  idp_.allow_synthetic_ids = true;
  auto login = Verify(SignRsa(IdClaims()));
  ASSERT_TRUE(login.has_value()) << login.error().message();
  EXPECT_EQ(login->national_id, kSyntheticFnr);
}

TEST_F(OidcLoginTest, DNummerIsAccepted) {
  auto parsed = common::ParseNorwegianId(kSyntheticDNummer);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->kind, common::NorwegianIdKind::kDNummer);
  Value claims = IdClaims();
  claims.Set("pid", Str(kSyntheticDNummer));
  auto login = Verify(SignRsa(claims));
  ASSERT_TRUE(login.has_value()) << login.error().message();
  EXPECT_EQ(login->national_id, kSyntheticDNummer);
  EXPECT_TRUE(login->d_number);
}

// ---------------------------------------------------------------------------------------------
// BeginLogin.

TEST_F(OidcLoginTest, BeginLoginBuildsTheAuthorizationRequest) {
  auto begun = BeginLogin(idp_, Metadata(), "/app/home", true, kNow);
  ASSERT_TRUE(begun.has_value()) << begun.error().message();
  const PendingLogin& p = begun->pending;
  EXPECT_EQ(p.idp, "idporten");
  EXPECT_EQ(p.return_to, "/app/home");
  EXPECT_TRUE(p.app);
  EXPECT_EQ(p.created, kNow);

  ASSERT_TRUE(begun->url.starts_with(std::string(kAuthorizeUrl) + "?")) << begun->url;
  auto q = QueryOf(begun->url);
  EXPECT_EQ(q["response_type"], "code");
  EXPECT_EQ(q["client_id"], kClientId);
  EXPECT_EQ(q["redirect_uri"], "https%3A%2F%2Fgateway.test.example%2Fauth%2Fcallback");
  EXPECT_EQ(q["scope"], "openid%20profile");
  EXPECT_EQ(q["state"], p.state);
  EXPECT_EQ(q["nonce"], p.nonce);
  EXPECT_EQ(q["code_challenge"], common::Base64UrlEncode(common::Sha256(p.code_verifier)));
  EXPECT_EQ(q["code_challenge_method"], "S256");
  EXPECT_EQ(q["acr_values"], "idporten-loa-high");
  EXPECT_EQ(q.count("code_verifier"), 0u);  // the verifier never leaves the gateway

  EXPECT_FALSE(p.state.empty());
  EXPECT_FALSE(p.nonce.empty());
  EXPECT_NE(p.state, p.nonce);
  EXPECT_NE(p.state, p.code_verifier);
  EXPECT_NE(p.nonce, p.code_verifier);
  EXPECT_GE(p.code_verifier.size(), 43u);
  EXPECT_LE(p.code_verifier.size(), 128u);
  for (char c : p.code_verifier) {  // RFC 7636 §4.1: unreserved characters only
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
                c == '~')
        << c;
  }
  EXPECT_GE(p.state.size(), 43u);  // 32 random bytes
  EXPECT_GE(p.nonce.size(), 43u);
}

TEST_F(OidcLoginTest, BeginLoginGivesFreshValuesEachTime) {
  const jose::ProviderMetadata m = Metadata();
  auto a = BeginLogin(idp_, m, "/", false, kNow);
  auto b = BeginLogin(idp_, m, "/", false, kNow);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_NE(a->pending.state, b->pending.state);
  EXPECT_NE(a->pending.nonce, b->pending.nonce);
  EXPECT_NE(a->pending.code_verifier, b->pending.code_verifier);
  EXPECT_NE(a->url, b->url);
}

TEST_F(OidcLoginTest, BeginLoginRequiresS256) {
  jose::ProviderMetadata m = Metadata();
  m.code_challenge_methods_supported = {"plain"};
  auto begun = BeginLogin(idp_, m, "/", false, kNow);
  ASSERT_FALSE(begun.has_value());
  EXPECT_EQ(begun.error().code(), Code::kUnavailable);
  EXPECT_NE(begun.error().message().find("S256"), std::string::npos) << begun.error().message();
}

// ---------------------------------------------------------------------------------------------
// CompleteLogin.

struct PostedForm {
  int calls = 0;
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
};

PostForm FakeTokenEndpoint(PostedForm* posted, int status, const std::string& response) {
  return [posted, status, response](const std::string& url, const std::string& body,
                                    const std::vector<std::pair<std::string, std::string>>& headers)
             -> common::StatusOr<std::pair<int, std::string>> {
    ++posted->calls;
    posted->url = url;
    posted->body = body;
    posted->headers = headers;
    return std::make_pair(status, response);
  };
}

PendingLogin Pending() {
  PendingLogin p;
  p.idp = "idporten";
  p.state = "state-0123456789abcdef";
  p.nonce = kNonce;
  p.code_verifier = "verifier-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGH";
  p.return_to = "/";
  p.created = kNow;
  return p;
}

CallbackParams Callback() {
  CallbackParams cb;
  cb.code = "auth-code-xyz";
  cb.state = "state-0123456789abcdef";
  cb.iss = kIssuer;
  return cb;
}

std::string TokenResponse(const std::string& id_token, const std::string& access_token) {
  Value r = Value::Object();
  r.Set("access_token", Str(access_token));
  r.Set("token_type", Str("Bearer"));
  r.Set("expires_in", Num(120));
  r.Set("id_token", Str(id_token));
  return fhir::json::Write(r);
}

TEST_F(OidcLoginTest, CompleteLoginRefusesAResponseFromAnotherIssuer) {
  PostedForm posted;
  CallbackParams cb = Callback();
  cb.iss = "https://attacker-idp.test.example";
  auto login = CompleteLogin(idp_, Metadata(), *keys_, Pending(), cb,
                             FakeTokenEndpoint(&posted, 200, "{}"), kNow);
  ExpectRefused(login, "another issuer");
  EXPECT_EQ(posted.calls, 0);  // the code is never redeemed
}

TEST_F(OidcLoginTest, CompleteLoginRequiresIssWhenAdvertised) {
  PostedForm posted;
  CallbackParams cb = Callback();
  cb.iss.clear();
  auto login = CompleteLogin(idp_, Metadata(), *keys_, Pending(), cb,
                             FakeTokenEndpoint(&posted, 200, "{}"), kNow);
  ExpectRefused(login, "another issuer");
  EXPECT_EQ(posted.calls, 0);
}

TEST_F(OidcLoginTest, CompleteLoginReportsProviderError) {
  PostedForm posted;
  CallbackParams cb = Callback();
  cb.code.clear();
  cb.error = "access_denied";
  auto login = CompleteLogin(idp_, Metadata(), *keys_, Pending(), cb,
                             FakeTokenEndpoint(&posted, 200, "{}"), kNow);
  ExpectRefused(login, "access_denied");
  EXPECT_EQ(posted.calls, 0);
}

TEST_F(OidcLoginTest, CompleteLoginReportsInvalidGrant) {
  PostedForm posted;
  auto login = CompleteLogin(
      idp_, Metadata(), *keys_, Pending(), Callback(),
      FakeTokenEndpoint(&posted, 400,
                        R"({"error":"invalid_grant","error_description":"code already used"})"),
      kNow);
  ExpectRefused(login, "invalid_grant");
  ASSERT_FALSE(login.has_value());
  EXPECT_NE(login.error().message().find("HTTP 400"), std::string::npos);
  EXPECT_EQ(login.error().message().find("already used"), std::string::npos);  // not echoed
  EXPECT_EQ(posted.calls, 1);
}

TEST_F(OidcLoginTest, CompleteLoginRedeemsTheCodeWithVerifierAndBasicAuth) {
  const std::string access_token = "synthetic-access-token-abc123";
  Value claims = IdClaims();
  claims.Set("at_hash", Str(jose::AtHash(access_token, Alg::kRS256)));
  const std::string id_token = SignRsa(claims);
  PostedForm posted;
  const PendingLogin pending = Pending();
  auto login =
      CompleteLogin(idp_, Metadata(), *keys_, pending, Callback(),
                    FakeTokenEndpoint(&posted, 200, TokenResponse(id_token, access_token)), kNow);
  ASSERT_TRUE(login.has_value()) << login.error().message();
  EXPECT_EQ(login->subject, kSubject);
  EXPECT_EQ(login->national_id, kSyntheticFnr);
  EXPECT_EQ(login->id_token, id_token);

  EXPECT_EQ(posted.calls, 1);
  EXPECT_EQ(posted.url, kTokenUrl);
  auto form = QueryOf("?" + posted.body);
  EXPECT_EQ(form["grant_type"], "authorization_code");
  EXPECT_EQ(form["code"], "auth-code-xyz");
  EXPECT_EQ(form["code_verifier"], pending.code_verifier);
  EXPECT_EQ(form["redirect_uri"], "https%3A%2F%2Fgateway.test.example%2Fauth%2Fcallback");
  EXPECT_EQ(form.count("client_id"), 0u);
  EXPECT_EQ(form.count("client_secret"), 0u);
  EXPECT_EQ(posted.body.find("test-secret"), std::string::npos);
  // RFC 6749 §2.3.1: id and secret form-encoded, joined by ':', base64.
  EXPECT_EQ(posted.Header("Authorization"),
            "Basic " +
                common::Base64Encode(std::string(kClientId) + ":test-secret%3Awith%2Fodd%20chars"));
  EXPECT_EQ(posted.Header("Content-Type"), "application/x-www-form-urlencoded");
}

TEST_F(OidcLoginTest, CompleteLoginAsPublicClientSendsClientIdInBody) {
  idp_.client_secret.clear();
  PostedForm posted;
  auto login = CompleteLogin(
      idp_, Metadata(), *keys_, Pending(), Callback(),
      FakeTokenEndpoint(&posted, 200, TokenResponse(SignRsa(IdClaims()), "synthetic-at")), kNow);
  ASSERT_TRUE(login.has_value()) << login.error().message();
  auto form = QueryOf("?" + posted.body);
  EXPECT_EQ(form["client_id"], kClientId);
  EXPECT_EQ(form["code_verifier"], Pending().code_verifier);
  EXPECT_FALSE(posted.Header("Authorization").has_value());
}

TEST_F(OidcLoginTest, CompleteLoginChecksTheNonceOfThePendingLogin) {
  PendingLogin pending = Pending();
  pending.nonce = "nonce-of-another-login";
  PostedForm posted;
  auto login = CompleteLogin(
      idp_, Metadata(), *keys_, pending, Callback(),
      FakeTokenEndpoint(&posted, 200, TokenResponse(SignRsa(IdClaims()), "synthetic-at")), kNow);
  ExpectRefused(login, "nonce");
}

// ---------------------------------------------------------------------------------------------
// Back-channel logout tokens.

Value LogoutClaims() {
  Value c = Value::Object();
  c.Set("iss", Str(kIssuer));
  c.Set("aud", Str(kClientId));
  c.Set("iat", Num(kNowSeconds - 5));
  c.Set("exp", Num(kNowSeconds + 115));
  c.Set("jti", Str("logout-jti-0001"));
  c.Set("sub", Str(kSubject));
  c.Set("sid", Str(kSid));
  Value& events = c.Set("events", Value::Object());
  events.Set(kLogoutEvent, Value::Object());
  return c;
}

std::string SignLogout(const Value& claims) {
  return Sign(claims, Keys().rsa, Alg::kRS256, "rsa-1", "logout+jwt");
}

TEST_F(OidcLoginTest, ValidLogoutToken) {
  auto logout = VerifyLogoutToken(idp_, *keys_, SignLogout(LogoutClaims()), kNow);
  ASSERT_TRUE(logout.has_value()) << logout.error().message();
  EXPECT_EQ(logout->issuer, kIssuer);
  EXPECT_EQ(logout->subject, kSubject);
  EXPECT_EQ(logout->sid, kSid);
  EXPECT_EQ(logout->jti, "logout-jti-0001");
}

TEST_F(OidcLoginTest, LogoutTokenWithSidOnlyIsAccepted) {
  Value claims = LogoutClaims();
  claims.Remove("sub");
  auto logout = VerifyLogoutToken(idp_, *keys_, SignLogout(claims), kNow);
  ASSERT_TRUE(logout.has_value()) << logout.error().message();
  EXPECT_EQ(logout->subject, "");
  EXPECT_EQ(logout->sid, kSid);
}

TEST_F(OidcLoginTest, LogoutTokenWithoutEventsIsRefused) {
  Value claims = LogoutClaims();
  claims.Remove("events");
  ExpectRefused(VerifyLogoutToken(idp_, *keys_, SignLogout(claims), kNow),
                "no back-channel logout event");
}

TEST_F(OidcLoginTest, LogoutTokenWithNonceIsRefused) {
  // An ID token (it has a nonce) must not pass as a logout token.
  Value claims = LogoutClaims();
  claims.Set("nonce", Str(kNonce));
  ExpectRefused(VerifyLogoutToken(idp_, *keys_, SignLogout(claims), kNow), "nonce");
}

TEST_F(OidcLoginTest, LogoutTokenWithNeitherSubNorSidIsRefused) {
  Value claims = LogoutClaims();
  claims.Remove("sub");
  claims.Remove("sid");
  ExpectRefused(VerifyLogoutToken(idp_, *keys_, SignLogout(claims), kNow), "neither sub nor sid");
}

TEST_F(OidcLoginTest, LogoutTokenWithoutJtiIsRefused) {
  Value claims = LogoutClaims();
  claims.Remove("jti");
  ExpectRefused(VerifyLogoutToken(idp_, *keys_, SignLogout(claims), kNow), "jti");
}

// ---------------------------------------------------------------------------------------------
// RP-initiated logout.

TEST_F(OidcLoginTest, EndSessionUrlEncodesItsParameters) {
  jose::ProviderMetadata m = Metadata();
  const std::string url =
      EndSessionUrl(m, "hdr.pay+load/x.sig", "https://gateway.test.example/out?a=1", "st ate&x=y");
  ASSERT_TRUE(url.starts_with(std::string(kEndSessionUrl) + "?")) << url;
  auto q = QueryOf(url);
  EXPECT_EQ(q.size(), 3u) << url;
  EXPECT_EQ(q["id_token_hint"], "hdr.pay%2Bload%2Fx.sig");
  EXPECT_EQ(q["post_logout_redirect_uri"], "https%3A%2F%2Fgateway.test.example%2Fout%3Fa%3D1");
  EXPECT_EQ(q["state"], "st%20ate%26x%3Dy");

  m.end_session_endpoint = "https://idp.test.example/logout?ui_locales=nb";
  EXPECT_EQ(EndSessionUrl(m, "a.b.c", "", ""),
            "https://idp.test.example/logout?ui_locales=nb&id_token_hint=a.b.c");
  m.end_session_endpoint.clear();
  EXPECT_EQ(EndSessionUrl(m, "a.b.c", "", ""), "");
}

}  // namespace
}  // namespace adapters::bankid
