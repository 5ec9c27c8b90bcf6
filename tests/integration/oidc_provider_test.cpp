// Smoke test of the loopback OpenID Provider fixture (tests/oidc/provider.mjs, panva's
// oidc-provider): discovery, JWKS and a full authorization-code + PKCE flow driven by hand over
// HTTP, the way a browser and the gateway's BFF would do it.

// GCC 12 at -O2 and above reports -Wnull-dereference inside Boost.Asio's strand and scheduler
// code (system headers; false positives). The pragma has to precede every include to reach them.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "integration/support/oidc_provider.h"

#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64.h"
#include "common/digest.h"
#include "integration/support/http_client.h"
#include "jose/jose.h"

namespace emg::test {
namespace {

using namespace std::chrono_literals;

// Encodings and hashes from common/ (the same code the gateway uses), with OpenSSL only for the
// randomness.
using common::Base64Encode;

std::string DecodeOrEmpty(std::string_view in) {
  return common::Base64UrlDecode(in).value_or(std::string());
}

std::string RandomB64Url(size_t bytes) {
  std::string raw(bytes, '\0');
  EXPECT_EQ(RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)), 1);
  return common::Base64UrlEncode(raw);
}

std::unique_ptr<rapidjson::Document> ParseJson(std::string_view text) {
  auto doc = std::make_unique<rapidjson::Document>();
  doc->Parse(text.data(), text.size());
  if (doc->HasParseError() || !doc->IsObject()) return nullptr;
  return doc;
}

std::string StringMember(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string{};
}

class OidcProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    provider_ = new OidcProvider();
    started_ = provider_->Start();
  }
  static void TearDownTestSuite() {
    delete provider_;
    provider_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(started_) << provider_->error();
    ASSERT_TRUE(provider_->running());
  }

  static OidcProvider* provider_;
  static bool started_;
};

OidcProvider* OidcProviderTest::provider_ = nullptr;
bool OidcProviderTest::started_ = false;

TEST_F(OidcProviderTest, DiscoveryDocumentMatchesIssuerAndRequiresS256) {
  EXPECT_EQ(provider_->issuer(), "http://127.0.0.1:" + std::to_string(provider_->port()));
  HttpClient http("127.0.0.1", provider_->port(), 10s);
  HttpResult r = http.Get("/.well-known/openid-configuration");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = ParseJson(r.body);
  ASSERT_TRUE(doc) << r.body;
  EXPECT_EQ(StringMember(*doc, "issuer"), provider_->issuer());
  EXPECT_EQ(StringMember(*doc, "token_endpoint"), provider_->issuer() + "/token");
  EXPECT_EQ(StringMember(*doc, "jwks_uri"), provider_->issuer() + "/jwks");
  ASSERT_TRUE(doc->HasMember("code_challenge_methods_supported"));
  const auto& methods = (*doc)["code_challenge_methods_supported"];
  ASSERT_TRUE(methods.IsArray());
  ASSERT_EQ(methods.Size(), 1u);
  EXPECT_STREQ(methods[0].GetString(), "S256");
}

TEST_F(OidcProviderTest, JwksPublishesSigningKeys) {
  HttpClient http("127.0.0.1", provider_->port(), 10s);
  HttpResult r = http.Get("/jwks");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = ParseJson(r.body);
  ASSERT_TRUE(doc) << r.body;
  ASSERT_TRUE(doc->HasMember("keys") && (*doc)["keys"].IsArray()) << r.body;
  ASSERT_GE((*doc)["keys"].Size(), 1u);
  for (const auto& key : (*doc)["keys"].GetArray()) {
    EXPECT_FALSE(StringMember(key, "kid").empty());
    EXPECT_FALSE(key.HasMember("d")) << "private key material published";
  }
}

TEST_F(OidcProviderTest, CodeFlowWithPkceYieldsIdPortenLikeIdToken) {
  const std::string& iss = provider_->issuer();
  const std::string redirect_uri(kDefaultRedirectUri);
  const std::string verifier = RandomB64Url(48);
  const std::string challenge = common::Base64UrlEncode(common::Sha256(verifier));
  const std::string state = RandomB64Url(16);
  const std::string nonce = RandomB64Url(16);
  HttpClient http("127.0.0.1", provider_->port(), 10s);
  CookieJar jar;

  // 1) Authorization request -> 303 to /interaction/<uid>.
  std::string target = "/auth?client_id=" + std::string(kGatewayClientId) +
                       "&response_type=code&scope=" + UrlEncode("openid profile") +
                       "&redirect_uri=" + UrlEncode(redirect_uri) + "&state=" + state +
                       "&nonce=" + nonce + "&code_challenge=" + challenge +
                       "&code_challenge_method=S256&acr_values=idporten-loa-high&login_hint=" +
                       UrlEncode("BID:kari");
  HttpResult r = http.Get(target, jar.With());
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 303) << r.body;
  jar.Update(r);
  std::string interaction = TargetOn(iss, r.Header("location"));
  ASSERT_TRUE(interaction.starts_with("/interaction/")) << r.Header("location");

  // 2) The interaction (login prompt), as JSON.
  r = http.Get(interaction, jar.With({{"Accept", "application/json"}}));
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  auto details = ParseJson(r.body);
  ASSERT_TRUE(details) << r.body;
  EXPECT_EQ(StringMember(*details, "prompt"), "login");
  EXPECT_EQ(StringMember(*details, "submit"), interaction + "/login");

  // 3) Non-interactive login (replaces the BankID UI) -> 303 to /auth/<uid>.
  r = http.Request("POST", interaction + "/login",
                   jar.With({{"Content-Type", "application/x-www-form-urlencoded"}}),
                   "login=kari&acr=idporten-loa-high");
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 303) << r.body;
  jar.Update(r);
  std::string location = r.Header("location");

  // 4) Resume (and any further hops on the provider) until the redirect to the client.
  for (int hop = 0; hop < 4; ++hop) {
    std::string next = TargetOn(iss, location);
    if (next.empty()) break;
    r = http.Get(next, jar.With());
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.status, 303) << next << ": " << r.body;
    jar.Update(r);
    location = r.Header("location");
  }
  ASSERT_TRUE(location.starts_with(redirect_uri + "?")) << location;
  const std::string code = QueryParam(location, "code");
  ASSERT_FALSE(code.empty()) << location;
  EXPECT_EQ(QueryParam(location, "state"), state);
  EXPECT_EQ(QueryParam(location, "iss"), iss);  // RFC 9207

  // 5) Token request, confidential client with HTTP Basic.
  const std::string basic =
      Base64Encode(std::string(kGatewayClientId) + ":" + std::string(kGatewayClientSecret));
  r = http.Request(
      "POST", "/token",
      {{"Authorization", "Basic " + basic}, {"Content-Type", "application/x-www-form-urlencoded"}},
      "grant_type=authorization_code&code=" + UrlEncode(code) +
          "&redirect_uri=" + UrlEncode(redirect_uri) + "&code_verifier=" + verifier);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  auto tokens = ParseJson(r.body);
  ASSERT_TRUE(tokens) << r.body;
  EXPECT_EQ(StringMember(*tokens, "token_type"), "Bearer");
  const std::string id_token = StringMember(*tokens, "id_token");
  ASSERT_FALSE(id_token.empty()) << r.body;

  // 6) ID token: header and payload (signature checking is the gateway's job, not this test's).
  size_t dot1 = id_token.find('.');
  size_t dot2 = id_token.find('.', dot1 + 1);
  ASSERT_NE(dot1, std::string::npos);
  ASSERT_NE(dot2, std::string::npos);
  auto header = ParseJson(DecodeOrEmpty(std::string_view(id_token).substr(0, dot1)));
  ASSERT_TRUE(header);
  EXPECT_EQ(StringMember(*header, "alg"), "RS256");
  EXPECT_FALSE(StringMember(*header, "kid").empty());
  const std::string payload_json =
      DecodeOrEmpty(std::string_view(id_token).substr(dot1 + 1, dot2 - dot1 - 1));
  auto payload = ParseJson(payload_json);
  ASSERT_TRUE(payload) << payload_json;
  EXPECT_EQ(StringMember(*payload, "pid"), "17829010097") << payload_json;
  EXPECT_EQ(StringMember(*payload, "acr"), "idporten-loa-high") << payload_json;
  EXPECT_EQ(StringMember(*payload, "iss"), iss);
  EXPECT_EQ(StringMember(*payload, "aud"), kGatewayClientId);
  EXPECT_EQ(StringMember(*payload, "nonce"), nonce);
  EXPECT_FALSE(StringMember(*payload, "sub").empty());
  EXPECT_NE(StringMember(*payload, "sub"), "17829010097");  // sub is opaque, never the fnr

  // The code is single-use.
  r = http.Request(
      "POST", "/token",
      {{"Authorization", "Basic " + basic}, {"Content-Type", "application/x-www-form-urlencoded"}},
      "grant_type=authorization_code&code=" + UrlEncode(code) +
          "&redirect_uri=" + UrlEncode(redirect_uri) + "&code_verifier=" + verifier);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST(OidcProviderFixture, StopsAndRestartsWithTheSameM2mKey) {
  OidcProvider provider;
  ASSERT_TRUE(provider.Start()) << provider.error();
  const std::string key = provider.m2m_private_key_pem();
  EXPECT_TRUE(key.starts_with("-----BEGIN PRIVATE KEY-----")) << key.substr(0, 40);
  provider.Stop();
  EXPECT_FALSE(provider.running());
  ASSERT_TRUE(provider.Start()) << provider.error();
  EXPECT_EQ(provider.m2m_private_key_pem(), key);
  HttpClient http("127.0.0.1", provider.port(), 10s);
  HttpResult r = http.Get("/jwks");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
}

TEST(OidcProviderFixture, MissingNodeIsAClearFailureNotASkip) {
  const char* old = std::getenv("EMG_NODE_BINARY");
  std::string saved = old != nullptr ? old : "";
  setenv("EMG_NODE_BINARY", "/nonexistent/node", 1);
  OidcProvider provider;
  EXPECT_FALSE(provider.Start());
  EXPECT_NE(provider.error().find("node"), std::string::npos) << provider.error();
  EXPECT_NE(provider.error().find("install-deps.sh --test"), std::string::npos) << provider.error();
  if (old != nullptr) {
    setenv("EMG_NODE_BINARY", saved.c_str(), 1);
  } else {
    unsetenv("EMG_NODE_BINARY");
  }
}

}  // namespace
}  // namespace emg::test
