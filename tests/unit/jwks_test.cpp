// Issuer metadata, JWK Sets and the IssuerKeys cache: caching, rotation, the refetch rate
// limit for unknown kids, failing closed, and one refresh at a time.

#include "jose/jwks.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "fhir/json/writer.h"

namespace jose {
namespace {

using fhir::json::Value;
using std::chrono::seconds;

constexpr const char* kIssuer = "https://helseid-sts.test.nhn.no";
constexpr const char* kDiscoveryUrl =
    "https://helseid-sts.test.nhn.no/.well-known/openid-configuration";
constexpr const char* kJwksUrl =
    "https://helseid-sts.test.nhn.no/.well-known/openid-configuration/jwks";
constexpr const char* kTokenEndpoint = "https://helseid-sts.test.nhn.no/connect/token";

std::string Discovery(std::string_view issuer = kIssuer, std::string_view jwks_uri = kJwksUrl,
                      std::string_view token_endpoint = kTokenEndpoint) {
  return std::string(R"({"issuer":")") + std::string(issuer) +
         R"(","authorization_endpoint":"https://helseid-sts.test.nhn.no/connect/authorize",)" +
         R"("token_endpoint":")" + std::string(token_endpoint) + R"(",)" + R"("jwks_uri":")" +
         std::string(jwks_uri) + R"(",)" +
         R"("end_session_endpoint":"https://helseid-sts.test.nhn.no/connect/endsession",)" +
         R"("id_token_signing_alg_values_supported":["RS256","PS256"],)" +
         R"("code_challenge_methods_supported":["S256"],)" +
         R"("authorization_response_iss_parameter_supported":true})";
}

std::string Jwks(const std::vector<Value>& keys) {
  Value doc = Value::Object();
  Value& arr = doc.Set("keys", Value::Array());
  for (const auto& k : keys) arr.Append(k);
  return fhir::json::Write(doc);
}

class Keys {
 public:
  static const PrivateKey& Rsa1() { return Get(0); }
  static const PrivateKey& Rsa2() { return Get(1); }
  static const PrivateKey& Ec() { return Get(2); }

 private:
  static const PrivateKey& Get(int i) {
    static const std::vector<PrivateKey>* keys = [] {
      auto* v = new std::vector<PrivateKey>();
      v->push_back(*PrivateKey::Generate(Alg::kRS256));
      v->push_back(*PrivateKey::Generate(Alg::kRS256));
      v->push_back(*PrivateKey::Generate(Alg::kES256));
      return v;
    }();
    return (*keys)[static_cast<size_t>(i)];
  }
};

Value JwkOf(const PrivateKey& key, std::string kid) {
  Value jwk = key.Public(std::move(kid)).ToJwk();
  jwk.Set("use", Value::String("sig"));
  return jwk;
}

// ---------------------------------------------------------------------------------------------
// Discovery.

TEST(Discovery, ParsesMetadata) {
  auto m = ParseDiscovery(Discovery(), kIssuer, false);
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_EQ(m->issuer, kIssuer);
  EXPECT_EQ(m->jwks_uri, kJwksUrl);
  EXPECT_EQ(m->token_endpoint, "https://helseid-sts.test.nhn.no/connect/token");
  EXPECT_EQ(m->end_session_endpoint, "https://helseid-sts.test.nhn.no/connect/endsession");
  EXPECT_EQ(m->userinfo_endpoint, "");
  EXPECT_EQ(m->id_token_signing_alg_values_supported, (std::vector<std::string>{"RS256", "PS256"}));
  EXPECT_EQ(m->code_challenge_methods_supported, std::vector<std::string>{"S256"});
  EXPECT_TRUE(m->authorization_response_iss_parameter_supported);
}

TEST(Discovery, IssuerMustMatchExactly) {
  for (const char* other : {"https://evil.example", "https://helseid-sts.test.nhn.no/",
                            "https://HELSEID-sts.test.nhn.no"}) {
    auto m = ParseDiscovery(Discovery(other), kIssuer, false);
    ASSERT_FALSE(m.has_value()) << other;
    EXPECT_NE(m.error().message().find("issuer mismatch"), std::string::npos);
  }
}

TEST(Discovery, EndpointsMustBeHttpsUnlessLoopbackAllowed) {
  auto plain = ParseDiscovery(Discovery(kIssuer, kJwksUrl, "http://helseid-sts.test.nhn.no/token"),
                              kIssuer, true);
  EXPECT_FALSE(plain.has_value());
  const char* loopback_issuer = "http://127.0.0.1:8080";
  const std::string doc =
      Discovery(loopback_issuer, "http://127.0.0.1:8080/jwks", "http://localhost:8080/token");
  EXPECT_FALSE(ParseDiscovery(doc, loopback_issuer, false).has_value());
  auto allowed = ParseDiscovery(doc, loopback_issuer, true);
  ASSERT_TRUE(allowed.has_value()) << allowed.error().message();
  EXPECT_EQ(allowed->jwks_uri, "http://127.0.0.1:8080/jwks");
}

TEST(Discovery, RejectsMalformedDocuments) {
  EXPECT_FALSE(ParseDiscovery("[]", kIssuer, false).has_value());
  EXPECT_FALSE(ParseDiscovery("{", kIssuer, false).has_value());
  EXPECT_FALSE(ParseDiscovery(R"({"issuer":"https://helseid-sts.test.nhn.no"})", kIssuer, false)
                   .has_value());  // no jwks_uri
  EXPECT_FALSE(
      ParseDiscovery(R"({"issuer":"https://helseid-sts.test.nhn.no","jwks_uri":5})", kIssuer, false)
          .has_value());
  EXPECT_FALSE(
      ParseDiscovery(Discovery(kIssuer, "https://user@host/jwks"), kIssuer, false).has_value());
}

TEST(Discovery, AcceptableEndpoints) {
  EXPECT_TRUE(IsAcceptableEndpoint("https://a.example/x?y=1", false));
  EXPECT_TRUE(IsAcceptableEndpoint("https://a.example:8443", false));
  EXPECT_TRUE(IsAcceptableEndpoint("http://[::1]:9000/jwks", true));
  EXPECT_TRUE(IsAcceptableEndpoint("http://LOCALHOST/jwks", true));
  EXPECT_FALSE(IsAcceptableEndpoint("http://[::1]:9000/jwks", false));
  EXPECT_FALSE(IsAcceptableEndpoint("http://127.0.0.2/jwks", true));
  EXPECT_FALSE(IsAcceptableEndpoint("http://localhost.evil.example/", true));
  EXPECT_FALSE(IsAcceptableEndpoint("https://a.example/x#frag", false));
  EXPECT_FALSE(IsAcceptableEndpoint("https://user:pw@a.example/", false));
  EXPECT_FALSE(IsAcceptableEndpoint("https:///path", false));
  EXPECT_FALSE(IsAcceptableEndpoint("https://a.example:99999/", false));
  EXPECT_FALSE(IsAcceptableEndpoint("https://a.example /", false));
  EXPECT_FALSE(IsAcceptableEndpoint("ftp://a.example/", false));
  EXPECT_FALSE(IsAcceptableEndpoint("a.example/jwks", false));
}

// ---------------------------------------------------------------------------------------------
// KeySet.

TEST(KeySet, KeepsSigningKeysAndSkipsTheRest) {
  Value with_private = JwkOf(Keys::Rsa2(), "private");
  with_private.Set("d", Value::String("AQAB"));
  Value enc = JwkOf(Keys::Rsa2(), "enc");
  enc.Set("use", Value::String("enc"));
  Value oct = Value::Object();
  oct.Set("kty", Value::String("oct"));
  oct.Set("kid", Value::String("oct"));
  oct.Set("k", Value::String("c2VjcmV0"));
  Value p521 = JwkOf(Keys::Ec(), "p521");
  p521.Set("crv", Value::String("P-521"));
  Value no_use = Keys::Ec().Public("no-use").ToJwk();

  auto set = KeySet::FromJwks(
      Jwks({JwkOf(Keys::Rsa1(), "r1"), with_private, enc, oct, p521, no_use, Value::String("x")}));
  ASSERT_TRUE(set.has_value()) << set.error().message();
  EXPECT_EQ(set->size(), 2u);
  ASSERT_NE(set->Find("r1"), nullptr);
  EXPECT_EQ(set->Find("r1")->Thumbprint(), Keys::Rsa1().Public().Thumbprint());
  EXPECT_NE(set->Find("no-use"), nullptr);
  for (const char* skipped : {"private", "enc", "oct", "p521"}) {
    EXPECT_EQ(set->Find(skipped), nullptr) << skipped;
  }
}

TEST(KeySet, FailsOnlyWhenNotAJwks) {
  EXPECT_FALSE(KeySet::FromJwks("[]").has_value());
  EXPECT_FALSE(KeySet::FromJwks(R"({"keys":{}})").has_value());
  EXPECT_FALSE(KeySet::FromJwks(R"({"kty":"RSA"})").has_value());
  EXPECT_FALSE(KeySet::FromJwks("not json").has_value());
  auto empty = KeySet::FromJwks(R"({"keys":[]})");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->size(), 0u);
}

// ---------------------------------------------------------------------------------------------
// IssuerKeys.

// A fake issuer: documents by URL, a settable clock, counts.
struct FakeIssuer {
  std::map<std::string, std::string> docs;
  common::SystemTime now = common::SystemTime(seconds(1'700'000'000));
  std::vector<std::string> fetched;

  Fetch MakeFetch() {
    return [this](const std::string& url) -> common::StatusOr<std::string> {
      fetched.push_back(url);
      auto it = docs.find(url);
      if (it == docs.end()) return common::Error(common::Code::kUnavailable, "404");
      return it->second;
    };
  }
  Clock MakeClock() {
    return [this] { return now; };
  }
};

IssuerKeysOptions Options() {
  IssuerKeysOptions o;
  o.issuer = kIssuer;
  o.max_age = seconds(3600);
  o.min_refresh_interval = seconds(60);
  return o;
}

class IssuerKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.docs[kDiscoveryUrl] = Discovery();
    fake_.docs[kJwksUrl] = Jwks({JwkOf(Keys::Rsa1(), "r1"), JwkOf(Keys::Ec(), "e1")});
  }
  FakeIssuer fake_;
  IssuerKeys keys_{Options(), fake_.MakeFetch(), fake_.MakeClock()};
};

TEST_F(IssuerKeysTest, FetchesOnceAndCaches) {
  auto k = keys_.Key("r1", Alg::kRS256);
  ASSERT_TRUE(k.has_value()) << k.error().message();
  EXPECT_EQ(k->Thumbprint(), Keys::Rsa1().Public().Thumbprint());
  EXPECT_EQ(keys_.fetch_count(), 2);  // discovery + JWKS
  EXPECT_EQ(fake_.fetched, (std::vector<std::string>{kDiscoveryUrl, kJwksUrl}));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(keys_.Key("r1", Alg::kRS256).has_value());
    EXPECT_TRUE(keys_.Key("e1", Alg::kES256).has_value());
  }
  auto m = keys_.Metadata();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->jwks_uri, kJwksUrl);
  EXPECT_EQ(keys_.fetch_count(), 2);
}

TEST_F(IssuerKeysTest, KidMustSupportTheAlg) {
  ASSERT_TRUE(keys_.Key("r1", Alg::kRS256).has_value());
  EXPECT_TRUE(keys_.Key("r1", Alg::kPS256).has_value());
  auto wrong = keys_.Key("e1", Alg::kRS256);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), common::Code::kUnauthenticated);
}

TEST_F(IssuerKeysTest, UnknownKidRefetchesOnceThenFailsAndIsRateLimited) {
  ASSERT_TRUE(keys_.Key("r1", Alg::kRS256).has_value());
  ASSERT_EQ(keys_.fetch_count(), 2);

  auto unknown = keys_.Key("nope", Alg::kRS256);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), common::Code::kUnauthenticated);
  EXPECT_EQ(keys_.fetch_count(), 3);  // exactly one JWKS refetch, metadata still cached
  EXPECT_EQ(fake_.fetched.back(), kJwksUrl);

  // A second unknown kid within min_refresh_interval: no fetch.
  fake_.now += seconds(59);
  auto again = keys_.Key("other", Alg::kRS256);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), common::Code::kUnauthenticated);
  EXPECT_EQ(keys_.fetch_count(), 3);

  // After the interval: one more refetch.
  fake_.now += seconds(1);
  EXPECT_FALSE(keys_.Key("other", Alg::kRS256).has_value());
  EXPECT_EQ(keys_.fetch_count(), 4);
  // Known keys keep working without fetches.
  EXPECT_TRUE(keys_.Key("r1", Alg::kRS256).has_value());
  EXPECT_EQ(keys_.fetch_count(), 4);
}

TEST_F(IssuerKeysTest, KeyRotationIsPickedUp) {
  ASSERT_TRUE(keys_.Key("r1", Alg::kRS256).has_value());
  fake_.docs[kJwksUrl] = Jwks({JwkOf(Keys::Rsa1(), "r1"), JwkOf(Keys::Rsa2(), "r2")});
  auto rotated = keys_.Key("r2", Alg::kRS256);
  ASSERT_TRUE(rotated.has_value()) << rotated.error().message();
  EXPECT_EQ(rotated->Thumbprint(), Keys::Rsa2().Public().Thumbprint());
  EXPECT_EQ(keys_.fetch_count(), 3);
  // The removed EC key is gone after the refresh.
  EXPECT_FALSE(keys_.Key("e1", Alg::kES256).has_value());
}

TEST_F(IssuerKeysTest, ExpiredCacheIsRefetchedAndFailsClosed) {
  ASSERT_TRUE(keys_.Key("r1", Alg::kRS256).has_value());
  fake_.now += seconds(3600);
  EXPECT_TRUE(keys_.Key("r1", Alg::kRS256).has_value());
  EXPECT_EQ(keys_.fetch_count(), 4);  // discovery and JWKS again

  // The issuer goes away: once the keys are past max_age they are not trusted.
  fake_.now += seconds(3600);
  fake_.docs.erase(kJwksUrl);
  auto down = keys_.Key("r1", Alg::kRS256);
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().code(), common::Code::kUnavailable);
  const int after_failure = keys_.fetch_count();
  // Backoff: an immediate retry does not fetch.
  EXPECT_FALSE(keys_.Key("r1", Alg::kRS256).has_value());
  EXPECT_EQ(keys_.fetch_count(), after_failure);
  // Back up, after the backoff.
  fake_.docs[kJwksUrl] = Jwks({JwkOf(Keys::Rsa1(), "r1")});
  fake_.now += seconds(5);
  EXPECT_TRUE(keys_.Key("r1", Alg::kRS256).has_value());
}

TEST_F(IssuerKeysTest, EmptyKidOnlyWithOneCandidate) {
  EXPECT_TRUE(keys_.Key("", Alg::kRS256).has_value());  // one RSA key
  EXPECT_TRUE(keys_.Key("", Alg::kES256).has_value());  // one P-256 key
  fake_.docs[kJwksUrl] = Jwks({JwkOf(Keys::Rsa1(), "r1"), JwkOf(Keys::Rsa2(), "r2")});
  fake_.now += seconds(3600);
  auto ambiguous = keys_.Key("", Alg::kRS256);
  ASSERT_FALSE(ambiguous.has_value());
  EXPECT_EQ(ambiguous.error().code(), common::Code::kUnauthenticated);
}

TEST(IssuerKeys, DiscoveryForAnotherIssuerFails) {
  FakeIssuer fake;
  fake.docs[kDiscoveryUrl] = Discovery("https://evil.example");
  fake.docs[kJwksUrl] = Jwks({JwkOf(Keys::Rsa1(), "r1")});
  IssuerKeys keys(Options(), fake.MakeFetch(), fake.MakeClock());
  auto m = keys.Metadata();
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message().find("issuer mismatch"), std::string::npos);
  fake.now += seconds(10);
  EXPECT_FALSE(keys.Key("r1", Alg::kRS256).has_value());
  // The JWKS was never fetched: its address came from a document we refused.
  for (const auto& url : fake.fetched) EXPECT_EQ(url, kDiscoveryUrl);
}

TEST(IssuerKeys, HttpLoopbackOnlyWhenAllowed) {
  const std::string issuer = "http://localhost:8081";
  FakeIssuer fake;
  fake.docs[issuer + "/.well-known/openid-configuration"] =
      Discovery(issuer, "http://localhost:8081/jwks", "http://localhost:8081/token");
  fake.docs["http://localhost:8081/jwks"] = Jwks({JwkOf(Keys::Ec(), "e1")});

  IssuerKeysOptions options = Options();
  options.issuer = issuer;
  options.allow_http_loopback = false;
  {
    IssuerKeys keys(options, fake.MakeFetch(), fake.MakeClock());
    auto refused = keys.Key("e1", Alg::kES256);
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message().find("not an acceptable URL"), std::string::npos)
        << refused.error().message();
  }
  options.allow_http_loopback = true;
  IssuerKeys keys(options, fake.MakeFetch(), fake.MakeClock());
  auto k = keys.Key("e1", Alg::kES256);
  EXPECT_TRUE(k.has_value()) << k.error().message();
}

TEST(IssuerKeys, ExplicitDiscoveryUrl) {
  FakeIssuer fake;
  fake.docs["https://config.example/oidc.json"] = Discovery();
  fake.docs[kJwksUrl] = Jwks({JwkOf(Keys::Rsa1(), "r1")});
  IssuerKeysOptions options = Options();
  options.discovery_url = "https://config.example/oidc.json";
  IssuerKeys keys(options, fake.MakeFetch(), fake.MakeClock());
  EXPECT_TRUE(keys.Key("r1", Alg::kRS256).has_value());
  EXPECT_EQ(fake.fetched.front(), "https://config.example/oidc.json");
}

TEST(IssuerKeys, TrailingSlashIsDroppedBeforeTheWellKnownPath) {
  const std::string issuer = "https://idp.example/realms/emeistring/";
  FakeIssuer fake;
  fake.docs["https://idp.example/realms/emeistring/.well-known/openid-configuration"] =
      Discovery(issuer, "https://idp.example/realms/emeistring/certs");
  fake.docs["https://idp.example/realms/emeistring/certs"] = Jwks({JwkOf(Keys::Rsa1(), "r1")});
  IssuerKeysOptions options = Options();
  options.issuer = issuer;
  IssuerKeys keys(options, fake.MakeFetch(), fake.MakeClock());
  auto k = keys.Key("r1", Alg::kRS256);
  EXPECT_TRUE(k.has_value()) << k.error().message();
  ASSERT_FALSE(fake.fetched.empty());
  EXPECT_EQ(fake.fetched.front(),
            "https://idp.example/realms/emeistring/.well-known/openid-configuration");
}

TEST(IssuerKeys, ConcurrentCallersShareOneRefresh) {
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  std::atomic<int> calls{0};
  const std::string discovery = Discovery();
  const std::string jwks = Jwks({JwkOf(Keys::Rsa1(), "r1")});
  Fetch fetch = [&](const std::string& url) -> common::StatusOr<std::string> {
    const int now_in = ++in_flight;
    int seen = max_in_flight.load();
    while (now_in > seen && !max_in_flight.compare_exchange_weak(seen, now_in)) {
    }
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    --in_flight;
    return url == kDiscoveryUrl ? discovery : jwks;
  };
  const common::SystemTime now = common::SystemTime(seconds(1'700'000'000));
  IssuerKeys keys(Options(), fetch, [now] { return now; });

  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (keys.Key("r1", Alg::kRS256).has_value()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(max_in_flight.load(), 1);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(keys.fetch_count(), 2);
}

}  // namespace
}  // namespace jose
