// Identity and access over real HTTP: the gateway binary, a real OpenID Provider on loopback
// (panva's oidc-provider, tests/oidc) acting as ID-porten/BankID for patients and as HelseID
// for systems and personnel, real JWTs and DPoP proofs.
//
//  * Patient login (authorization code + PKCE through the gateway), sessions, logout
//    (RP-initiated and back-channel), and the ways a login must fail.
//  * The resource server: DPoP-bound access tokens, and the ways a token must fail.
//  * The authorization matrix: patient A never sees anything of patient B, for every resource
//    type the product uses and every interaction; personnel see only their patients.
//  * The audit trail: AuditEvents for reads, writes and denials, listable by the patient,
//    immutable through the API.

// GCC 12 reports -Wnull-dereference inside Boost.Asio (system headers; false positives).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/base64.h"
#include "common/time.h"
#include "common/uuid.h"
#include "fhir/json/parser.h"
#include "fhir/json/value.h"
#include "fhir/json/writer.h"
#include "integration/support/auth_support.h"
#include "jose/dpop.h"
#include "jose/jose.h"
#include "jose/jws.h"

namespace emg::test {
namespace {

using namespace std::chrono_literals;
using fhir::json::Value;

// Synthetic identities (Tenor: month + 80, valid mod-11).
constexpr std::string_view kFnrA = "17829010097";  // kari at the provider
constexpr std::string_view kFnrB = "05918510143";  // ola at the provider
constexpr std::string_view kFnrC = "01831250069";

Headers Json(Headers h = {}) {
  h.emplace_back("Content-Type", "application/fhir+json");
  h.emplace_back("Prefer", "return=representation");
  return h;
}

Headers Bearer(const std::string& token, Headers h = {}) {
  h.emplace_back("Authorization", "Bearer " + token);
  return h;
}

// Splits a compact JWS into its three parts.
std::vector<std::string> Parts(const std::string& jwt) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t dot = jwt.find('.', start);
    out.push_back(jwt.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new AuthEnv();
    // EHR messaging on, so /ehr/* and the adapter's audited writes are covered too.
    started_ = env_->Start({{"EMG_EHR_HER_ID", "8142519"},
                            {"EMG_EHR_ORGANISATION_NAME", "eMeistring DPS (syntetisk)"},
                            {"EMG_EHR_SCHEMA_DIR", EMG_SOURCE_DIR "/adapters/ehr/schemas/kith"}});
    if (!started_) return;
    std::string why;
    auto ehr = env_->SystemToken("ehr", "system/*.cruds", &why);
    if (!ehr) {
      setup_error_ = "ehr token: " + why;
      started_ = false;
      return;
    }
    ehr_ = new AccessToken(std::move(*ehr));
    SeedData();
    if (!setup_error_.empty()) {
      setup_error_ += " token payload: " + *::common::Base64UrlDecode(Parts(ehr_->token).at(1));
    }
  }
  static void TearDownTestSuite() {
    delete ehr_;
    ehr_ = nullptr;
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(started_) << (env_ ? env_->error() : "") << setup_error_;
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  }

  static HttpClient& Gw() {
    static HttpClient* client = nullptr;
    if (client == nullptr) client = new HttpClient("127.0.0.1", env_->port(), 30s);
    return *client;
  }

  // As the EHR system client (role ehr: *.cruds).
  static HttpResult AsEhr(const std::string& method, const std::string& target,
                          const std::string& body = {}) {
    return Gw().Request(method, target, env_->Dpop(*ehr_, method, target, Json()), body);
  }

  // Creates a resource as the EHR client; returns "Type/id" or records a setup error.
  static std::string Create(const std::string& type, const std::string& json) {
    HttpResult r = AsEhr("POST", "/" + type, json);
    if (!r.ok || r.status != 201) {
      setup_error_ += " create " + type + ": " + std::to_string(r.status) + " " + r.body;
      return {};
    }
    return type + "/" + JsonString(r.body, "id");
  }

  // Per patient: one resource of every patient-data type the product uses.
  static void SeedPatient(const std::string& key, std::string_view fnr) {
    std::string pid = Create(
        "Patient",
        R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":")" +
            std::string(fnr) + R"("}],"name":[{"family":"Testesen"}]})");
    std::map<std::string, std::string>& mine = data_[key];
    mine["Patient"] = pid;
    const std::string ref = R"({"reference":")" + pid + R"("})";
    mine["Observation"] = Create(
        "Observation",
        R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"44261-6"}]},"subject":)" +
            ref + R"(,"valueInteger":7})");
    mine["QuestionnaireResponse"] =
        Create("QuestionnaireResponse",
               R"({"resourceType":"QuestionnaireResponse","status":"completed","subject":)" + ref +
                   R"(,"item":[{"linkId":"q9","answer":[{"valueInteger":2}]}]})");
    mine["Condition"] = Create("Condition", R"({"resourceType":"Condition","subject":)" + ref +
                                                R"(,"code":{"text":"F41.0"}})");
    mine["CarePlan"] = Create(
        "CarePlan", R"({"resourceType":"CarePlan","status":"active","intent":"plan","subject":)" +
                        ref + R"(})");
    mine["ServiceRequest"] =
        Create("ServiceRequest",
               R"({"resourceType":"ServiceRequest","status":"active","intent":"order","subject":)" +
                   ref + R"(})");
    mine["Task"] =
        Create("Task", R"({"resourceType":"Task","status":"requested","intent":"order","for":)" +
                           ref + R"(})");
    mine["Communication"] = Create(
        "Communication", R"({"resourceType":"Communication","status":"completed","subject":)" +
                             ref + R"(,"payload":[{"contentString":"Ukens tilbakemelding"}]})");
    mine["DocumentReference"] =
        Create("DocumentReference",
               R"({"resourceType":"DocumentReference","status":"current","subject":)" + ref +
                   R"(,"content":[{"attachment":{"contentType":"text/plain","data":"aGVp"}}]})");
    mine["Flag"] = Create(
        "Flag",
        R"({"resourceType":"Flag","status":"active","code":{"text":"suicide risk screen positive"},"subject":)" +
            ref + R"(})");
    mine["Binary"] = Create(
        "Binary",
        R"({"resourceType":"Binary","contentType":"text/plain","data":"aGVp","securityContext":{"reference":")" +
            mine["DocumentReference"] + R"("}})");
  }

  static void SeedData() {
    SeedPatient("A", kFnrA);
    SeedPatient("B", kFnrB);
    SeedPatient("C", kFnrC);
    // Therapist "terapeut" at the provider has HPR 9144900: care team of A only.
    practitioner_ = Create(
        "Practitioner",
        R"({"resourceType":"Practitioner","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.4","value":"9144900"}],"name":[{"family":"Terapeut"}]})");
    Create("CareTeam", R"({"resourceType":"CareTeam","status":"active","subject":{"reference":")" +
                           data_["A"]["Patient"] + R"("},"participant":[{"member":{"reference":")" +
                           practitioner_ + R"("}}]})");
    // C was referred to the organisation in the therapist's token (orgnr_parent 999999999).
    std::string org = Create(
        "Organization",
        R"({"resourceType":"Organization","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.101","value":"999999999"}],"name":"eMeistring DPS"})");
    Create(
        "ServiceRequest",
        R"({"resourceType":"ServiceRequest","status":"active","intent":"order","subject":{"reference":")" +
            data_["C"]["Patient"] + R"("},"performer":[{"reference":")" + org + R"("}]})");
    Create(
        "Questionnaire",
        R"({"resourceType":"Questionnaire","status":"active","url":"urn:emeistring:q:phq9","item":[{"linkId":"q9","text":"Tanker om å skade seg","type":"integer"}]})");
  }

  static std::string Id(const std::string& ref) { return ref.substr(ref.find('/') + 1); }

  // Everything of B's that must never show up in an answer to A.
  static std::vector<std::string> SecretsOf(const std::string& key) {
    std::vector<std::string> out;
    for (const auto& [type, ref] : data_[key]) out.push_back(Id(ref));
    return out;
  }

  static AuthEnv* env_;
  static AccessToken* ehr_;
  static bool started_;
  static std::string setup_error_;
  static std::map<std::string, std::map<std::string, std::string>> data_;
  static std::string practitioner_;
};

AuthEnv* AuthTest::env_ = nullptr;
AccessToken* AuthTest::ehr_ = nullptr;
bool AuthTest::started_ = false;
std::string AuthTest::setup_error_;
std::map<std::string, std::map<std::string, std::string>> AuthTest::data_;
std::string AuthTest::practitioner_;

// ---------------------------------------------------------------- patient login

TEST_F(AuthTest, PatientLoginThroughTheProviderOpensACookieSessionLinkedToThePatient) {
  std::string why;
  auto login = env_->BrowserLoginAs("kari", "idporten-loa-high", &why);
  ASSERT_TRUE(login) << why;
  const HttpResult& cb = login->callback;
  ASSERT_EQ(cb.status, 303) << cb.body;
  EXPECT_EQ(cb.Header("location"), "/auth/session");
  std::string session_cookie;
  for (const auto& [k, v] : cb.headers) {
    if (k == "set-cookie" && v.starts_with("__Host-emg_session=")) session_cookie = v;
  }
  ASSERT_FALSE(session_cookie.empty()) << [&] {
    std::string all;
    for (const auto& [k, v] : cb.headers) all += k + ": " + v + "\n";
    return all;
  }();
  EXPECT_NE(session_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(session_cookie.find("Secure"), std::string::npos);
  EXPECT_NE(session_cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(session_cookie.find("Path=/"), std::string::npos);
  // No provider token reaches the browser.
  EXPECT_EQ(cb.body.find("eyJ"), std::string::npos);
  EXPECT_EQ(cb.Header("location").find("eyJ"), std::string::npos);

  HttpResult who = Gw().Get("/auth/session", login->gateway_jar.With());
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(JsonString(who.body, "kind"), "patient");
  EXPECT_EQ(JsonString(who.body, "patient"), data_["A"]["Patient"]);  // linked by fødselsnummer
  EXPECT_EQ(JsonString(who.body, "acr"), "idporten-loa-high");

  HttpResult own = Gw().Get("/" + data_["A"]["Patient"], login->gateway_jar.With());
  EXPECT_EQ(own.status, 200) << own.body;
  HttpResult other = Gw().Get("/" + data_["B"]["Patient"], login->gateway_jar.With());
  EXPECT_EQ(other.status, 404) << other.body;
}

TEST_F(AuthTest, NewPatientIsCreatedOnFirstLogin) {
  std::string why;
  auto login = env_->BrowserLoginAs("dnr", "idporten-loa-high", &why);  // a D-nummer
  ASSERT_TRUE(login) << why;
  ASSERT_EQ(login->callback.status, 303) << login->callback.body;
  HttpResult who = Gw().Get("/auth/session", login->gateway_jar.With());
  ASSERT_EQ(who.status, 200);
  std::string patient = JsonString(who.body, "patient");
  ASSERT_TRUE(patient.starts_with("Patient/")) << who.body;
  HttpResult r = AsEhr("GET", "/" + patient);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("urn:oid:2.16.578.1.12.4.1.4.2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("52867520066"), std::string::npos);
}

TEST_F(AuthTest, AuthorizationRequestUsesPkceS256StateNonceAndAcr) {
  HttpResult r = Gw().Get("/auth/login?idp=idporten");
  ASSERT_EQ(r.status, 302) << r.body;
  std::string url = r.Header("location");
  ASSERT_TRUE(url.starts_with(env_->op().issuer() + "/auth?")) << url;
  EXPECT_EQ(QueryParam(url, "code_challenge_method"), "S256");
  EXPECT_EQ(QueryParam(url, "code_challenge").size(), 43u);
  EXPECT_GE(QueryParam(url, "state").size(), 43u);
  EXPECT_GE(QueryParam(url, "nonce").size(), 43u);
  EXPECT_NE(QueryParam(url, "state"), QueryParam(url, "nonce"));
  EXPECT_EQ(QueryParam(url, "acr_values"), "idporten-loa-high");
  EXPECT_EQ(QueryParam(url, "response_type"), "code");
  HttpResult again = Gw().Get("/auth/login?idp=idporten");
  EXPECT_NE(QueryParam(again.Header("location"), "state"), QueryParam(url, "state"));
  EXPECT_NE(QueryParam(again.Header("location"), "code_challenge"),
            QueryParam(url, "code_challenge"));
}

TEST_F(AuthTest, ReplayedCallbackIsRefused) {
  std::string why;
  auto login = env_->BrowserLoginAs("kari", "idporten-loa-high", &why);
  ASSERT_TRUE(login) << why;
  ASSERT_EQ(login->callback.status, 303);
  // The same callback again (state, code and nonce all used): nothing is issued.
  HttpResult replay = Gw().Get(TargetOn(env_->base(), login->location), login->gateway_jar.With());
  EXPECT_EQ(replay.status, 400) << replay.body;
  EXPECT_FALSE(replay.HasHeader("set-cookie") &&
               replay.Header("set-cookie").starts_with("__Host-emg_session=emgs."));
}

TEST_F(AuthTest, ReusedCodeUnderAFreshLoginIsRefused) {
  std::string why;
  auto first = env_->BrowserLoginAs("kari", "idporten-loa-high", &why);
  ASSERT_TRUE(first) << why;
  const std::string old_code = QueryParam(first->location, "code");
  // A new login in the same browser: fresh state and verifier, then the old code.
  CookieJar jar;
  HttpResult start = Gw().Get("/auth/login?idp=idporten");
  ASSERT_EQ(start.status, 302);
  jar.Update(start);
  const std::string state = QueryParam(start.Header("location"), "state");
  HttpResult cb = Gw().Get("/auth/callback?code=" + UrlEncode(old_code) + "&state=" + state +
                               "&iss=" + UrlEncode(env_->op().issuer()),
                           jar.With());
  EXPECT_EQ(cb.status, 401) << cb.body;
}

TEST_F(AuthTest, LoginWithTooLowAssuranceIsRefused) {
  std::string why;
  auto login = env_->BrowserLoginAs("ola", "idporten-loa-substantial", &why);
  ASSERT_TRUE(login) << why;
  EXPECT_EQ(login->callback.status, 401) << login->callback.body;
  EXPECT_NE(login->callback.body.find("acr"), std::string::npos) << login->callback.body;
}

TEST_F(AuthTest, CallbackInAnotherBrowserIsRefused) {
  std::string why;
  auto login = env_->BrowserLoginAs("kari", "idporten-loa-high", &why);
  ASSERT_TRUE(login) << why;
  // Start another login and deliver its callback without the login cookie (login CSRF).
  HttpResult start = Gw().Get("/auth/login?idp=idporten");
  const std::string state = QueryParam(start.Header("location"), "state");
  HttpResult cb = Gw().Get("/auth/callback?code=x&state=" + state);
  EXPECT_EQ(cb.status, 400) << cb.body;
}

TEST_F(AuthTest, OpenRedirectIsRefused) {
  HttpResult r =
      Gw().Get("/auth/login?idp=idporten&return_to=" + UrlEncode("https://evil.example/"));
  EXPECT_EQ(r.status, 400);
  r = Gw().Get("/auth/login?idp=idporten&return_to=" + UrlEncode("//evil.example/"));
  EXPECT_EQ(r.status, 400);
}

TEST_F(AuthTest, LogoutEndsTheSessionAndPointsToTheProvider) {
  std::string why;
  auto login = env_->BrowserLoginAs("kari", "idporten-loa-high", &why);
  ASSERT_TRUE(login) << why;
  // A cookie-authenticated state change needs X-Requested-With (CSRF defence).
  HttpResult csrf =
      Gw().Request("POST", "/QuestionnaireResponse", login->gateway_jar.With(Json()), "{}");
  EXPECT_EQ(csrf.status, 403) << csrf.body;
  HttpResult out = Gw().Request("POST", "/auth/logout",
                                login->gateway_jar.With({{"X-Requested-With", "fetch"}}));
  ASSERT_EQ(out.status, 200) << out.body;
  std::string end = JsonString(out.body, "end_session_url");
  EXPECT_TRUE(end.starts_with(env_->op().issuer() + "/session/end?id_token_hint=")) << end;
  HttpResult who = Gw().Get("/auth/session", login->gateway_jar.With());
  EXPECT_EQ(who.status, 401);
  HttpResult data = Gw().Get("/" + data_["A"]["Patient"], login->gateway_jar.With());
  EXPECT_EQ(data.status, 401);
}

TEST_F(AuthTest, BackChannelLogoutFromTheProviderEndsTheSession) {
  std::string why;
  auto login = env_->BrowserLoginAs("kari", "idporten-loa-high", &why);
  ASSERT_TRUE(login) << why;
  ASSERT_EQ(Gw().Get("/auth/session", login->gateway_jar.With()).status, 200);
  // RP-initiated logout at the provider (its form, then confirm): the provider then POSTs a
  // logout token to our back-channel endpoint before it answers.
  HttpClient op("127.0.0.1", env_->op().port(), 10s);
  HttpResult form = op.Get("/session/end?client_id=emeistring-gateway", login->op_jar.With());
  ASSERT_EQ(form.status, 200) << form.body;
  login->op_jar.Update(form);
  size_t at = form.body.find("name=\"xsrf\" value=\"");
  ASSERT_NE(at, std::string::npos) << form.body;
  at += 19;
  std::string xsrf = form.body.substr(at, form.body.find('"', at) - at);
  HttpResult confirm =
      op.Request("POST", "/session/end/confirm",
                 login->op_jar.With({{"Content-Type", "application/x-www-form-urlencoded"}}),
                 "xsrf=" + UrlEncode(xsrf) + "&logout=yes");
  ASSERT_TRUE(confirm.status == 303 || confirm.status == 200) << confirm.status << confirm.body;
  HttpResult who;
  for (int i = 0; i < 50; ++i) {
    who = Gw().Get("/auth/session", login->gateway_jar.With());
    if (who.status == 401) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(who.status, 401) << "the session survived the provider's back-channel logout\n"
                             <<
      [&] {
        std::string out;
        for (const std::string& l : env_->gateway().StderrLines()) {
          if (l.find("logout") != std::string::npos || l.find("/auth") != std::string::npos)
            out += l + "\n";
        }
        return out + env_->op().OutputText().substr(0, 3000);
      }();
  // A forged logout token is refused.
  HttpResult forged = Gw().Request("POST", "/auth/backchannel-logout",
                                   {{"Content-Type", "application/x-www-form-urlencoded"}},
                                   "logout_token=eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.");
  EXPECT_EQ(forged.status, 400);
}

// ---------------------------------------------------------------- resource server

TEST_F(AuthTest, RequestsWithoutCredentialsGet401WithAChallenge) {
  HttpResult r = Gw().Get("/Patient");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.Header("www-authenticate").find("DPoP"), std::string::npos);
  EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos);
  EXPECT_EQ(Gw().Get("/metadata").status, 200);  // the CapabilityStatement is public
}

TEST_F(AuthTest, DpopBoundTokenWorksAndEveryTamperingFailsClosed) {
  const std::string target = "/" + data_["A"]["Patient"];
  ASSERT_EQ(AsEhr("GET", target).status, 200);
  const std::string& token = ehr_->token;

  // Presented as Bearer (no proof): refused.
  EXPECT_EQ(Gw().Get(target, Bearer(token)).status, 401);
  // The same proof twice: replay.
  Headers h = env_->Dpop(*ehr_, "GET", target);
  EXPECT_EQ(Gw().Get(target, h).status, 200);
  EXPECT_EQ(Gw().Get(target, h).status, 401);
  // A proof for another URL, and for another method.
  EXPECT_EQ(Gw().Get(target, env_->Dpop(*ehr_, "GET", "/Observation")).status, 401);
  EXPECT_EQ(Gw().Get(target, env_->Dpop(*ehr_, "POST", target)).status, 401);
  // A proof from another key (not the token's cnf.jkt).
  AccessToken stolen{token, *::jose::PrivateKey::Generate(::jose::Alg::kES256)};
  EXPECT_EQ(Gw().Get(target, env_->Dpop(stolen, "GET", target)).status, 401);

  std::vector<std::string> p = Parts(token);
  ASSERT_EQ(p.size(), 3u);
  auto with_token = [&](const std::string& t) {
    return Gw().Get(target, env_->Dpop(AccessToken{t, ehr_->dpop_key}, "GET", target)).status;
  };
  // Tampered signature and tampered payload.
  std::string sig = p[2];
  sig[5] = sig[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(with_token(p[0] + "." + p[1] + "." + sig), 401);
  std::string payload = *::common::Base64UrlDecode(p[1]);
  std::string altered = payload;
  altered.replace(altered.find("\"sub\":\"") + 7, 1, "X");
  EXPECT_EQ(with_token(p[0] + "." + ::common::Base64UrlEncode(altered) + "." + p[2]), 401);
  // alg: none.
  std::string none = ::common::Base64UrlEncode(R"({"alg":"none","typ":"at+jwt"})");
  EXPECT_EQ(with_token(none + "." + p[1] + "."), 401);
  // HS256 keyed with the provider's public key (algorithm confusion).
  HttpClient op("127.0.0.1", env_->op().port(), 10s);
  HttpResult jwks = op.Get("/jwks");
  auto keys = fhir::json::Parse(jwks.body);
  ASSERT_TRUE(keys.has_value());
  std::string hs_header = ::common::Base64UrlEncode(R"({"alg":"HS256","typ":"at+jwt"})");
  for (const auto& [k, v] : keys->members()) {
    if (k != "keys") continue;
    for (const Value& jwk : v.items()) {
      auto pub = ::jose::PublicKey::FromJwk(jwk);
      if (!pub.has_value()) continue;
      std::string input = hs_header + "." + p[1];
      const std::string pem = pub->ToPem();
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int mac_len = 0;
      HMAC(EVP_sha256(), pem.data(), static_cast<int>(pem.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
      EXPECT_EQ(with_token(input + "." +
                           ::common::Base64UrlEncode(
                               std::string_view(reinterpret_cast<const char*>(mac), mac_len))),
                401);
    }
  }
  // Signed by a key the issuer never published (unknown kid; refetched once, then refused).
  auto rogue = ::jose::PrivateKey::Generate(::jose::Alg::kES256);
  Value header = Value::Object();
  header.Set("typ", Value::String("at+jwt"));
  header.Set("kid", Value::String("rogue-key"));
  auto claims = fhir::json::Parse(payload);
  auto forged = ::jose::SignCompact(header, *claims, *rogue, ::jose::Alg::kES256);
  ASSERT_TRUE(forged.has_value());
  EXPECT_EQ(with_token(*forged), 401);
  // The untouched token still works after all of that.
  EXPECT_EQ(with_token(token), 200);
}

TEST_F(AuthTest, TokensFromUnknownIssuersOrForOtherAudiencesAreRefused) {
  const std::string target = "/" + data_["A"]["Patient"];
  auto payload = fhir::json::Parse(*::common::Base64UrlDecode(Parts(ehr_->token).at(1)));
  ASSERT_TRUE(payload.has_value());
  auto key = ::jose::PrivateKey::Generate(::jose::Alg::kES256);
  Value header = Value::Object();
  header.Set("typ", Value::String("at+jwt"));
  header.Set("kid", Value::String("k1"));
  auto send = [&](const Value& claims) {
    auto token = ::jose::SignCompact(header, claims, *key, ::jose::Alg::kES256);
    return Gw().Get(target, env_->Dpop(AccessToken{*token, ehr_->dpop_key}, "GET", target));
  };
  Value other_issuer = *payload;
  other_issuer.Set("iss", Value::String("https://helseid-sts.example.invalid"));
  HttpResult r = send(other_issuer);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("issuer"), std::string::npos) << r.body;
  Value other_audience = *payload;
  other_audience.Set("aud", Value::String("urn:someone-else"));
  EXPECT_EQ(send(other_audience).status, 401);
}

TEST_F(AuthTest, TheProviderRefusesAuthorizationWithoutPkce) {
  // Our requests always carry S256 (AuthorizationRequestUsesPkceS256StateNonceAndAcr); the
  // provider, configured like ID-porten, refuses one without it.
  HttpClient op("127.0.0.1", env_->op().port(), 10s);
  HttpResult r = op.Get(
      "/auth?client_id=emeistring-gateway&response_type=code&scope=openid"
      "&redirect_uri=" +
      UrlEncode(env_->base() + "/auth/callback") + "&state=s1&nonce=n1");
  ASSERT_TRUE(r.ok);
  std::string where = r.Header("location") + r.body;
  EXPECT_NE(where.find("invalid_request"), std::string::npos) << r.status << where;
  EXPECT_EQ(QueryParam(r.Header("location"), "code"), "");
}

TEST_F(AuthTest, ScopeTooNarrowIsRefused) {
  std::string why;
  auto narrow = env_->SystemToken("registry", "system/Patient.rs", &why);
  ASSERT_TRUE(narrow) << why;
  const std::string obs = "/" + data_["A"]["Observation"];
  HttpResult r = Gw().Get(obs, env_->Dpop(*narrow, "GET", obs));
  EXPECT_EQ(r.status, 403) << r.body;
  const std::string pat = "/" + data_["A"]["Patient"];
  EXPECT_EQ(Gw().Get(pat, env_->Dpop(*narrow, "GET", pat)).status, 200);
  // The registry role is export only: no writes even with a write scope.
  auto wide = env_->SystemToken("registry", "system/*.cruds", &why);
  ASSERT_TRUE(wide) << why;
  HttpResult w =
      Gw().Request("POST", "/Observation", env_->Dpop(*wide, "POST", "/Observation", Json()),
                   R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})");
  EXPECT_EQ(w.status, 403) << w.body;
}

TEST_F(AuthTest, HelsenorgeMaySubmitSelfReferralFormsOnly) {
  std::string why;
  auto hn = env_->SystemToken("helsenorge", "system/*.cruds", &why);
  ASSERT_TRUE(hn) << why;
  HttpResult qr = Gw().Request(
      "POST", "/QuestionnaireResponse", env_->Dpop(*hn, "POST", "/QuestionnaireResponse", Json()),
      R"({"resourceType":"QuestionnaireResponse","status":"completed","item":[{"linkId":"1","answer":[{"valueString":"henvisning"}]}]})");
  EXPECT_EQ(qr.status, 201) << qr.body;
  const std::string pat = "/" + data_["A"]["Patient"];
  EXPECT_EQ(Gw().Get(pat, env_->Dpop(*hn, "GET", pat)).status, 403);
}

// ---------------------------------------------------------------- the authorization matrix

TEST_F(AuthTest, PatientANeverSeesAnythingOfPatientB) {
  std::string a_ref;
  auto token = env_->DevPatient(std::string(kFnrA), &a_ref);
  ASSERT_TRUE(token);
  ASSERT_EQ(a_ref, data_["A"]["Patient"]);
  const Headers auth = Bearer(*token);
  const std::vector<std::string> secrets = SecretsOf("B");
  // What the answer carries (Bundle entries, a resource, an OperationOutcome), without the
  // Bundle's links, which echo the request's own query.
  auto leaks = [&](const HttpResult& r) {
    size_t entries = r.body.find("\"entry\"");
    std::string carried = r.body.find("\"resourceType\":\"Bundle\"") == std::string::npos
                              ? r.body
                              : (entries == std::string::npos ? "" : r.body.substr(entries));
    for (const std::string& s : secrets) {
      if (carried.find(s) != std::string::npos) return s;
    }
    return std::string();
  };
  const std::string b = data_["B"]["Patient"];
  for (const auto& [type, ref] : data_["B"]) {
    SCOPED_TRACE(type);
    // read, vread, instance history
    HttpResult r = Gw().Get("/" + ref, auth);
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(Gw().Get("/" + ref + "/_history/1", auth).status, 404);
    EXPECT_EQ(Gw().Get("/" + ref + "/_history", auth).status, 404);
    // searches: by id, by patient, the whole type, with includes
    for (const std::string& q : {"/" + type + "?_id=" + Id(ref), "/" + type,
                                 "/" + type + "?_revinclude=*", "/" + type + "?_include=*"}) {
      HttpResult s = Gw().Get(q, auth);
      EXPECT_TRUE(s.status == 200 || s.status == 403 || s.status == 400) << q << " " << s.status;
      EXPECT_EQ(leaks(s), "") << q;
    }
    // type-level history
    HttpResult h = Gw().Get("/" + type + "/_history", auth);
    EXPECT_EQ(leaks(h), "") << "history";
    // writes
    // A valid body (A's own resource of the type, under B's id).
    HttpResult mine = AsEhr("GET", "/" + data_["A"][type]);
    auto body = fhir::json::Parse(mine.body);
    ASSERT_TRUE(body.has_value());
    body->Set("id", Value::String(Id(ref)));
    HttpResult put = Gw().Request("PUT", "/" + ref, Json(auth), fhir::json::Write(*body));
    EXPECT_TRUE(put.status == 404 || put.status == 403) << put.status << put.body;
    HttpResult del = Gw().Request("DELETE", "/" + ref, auth);
    EXPECT_TRUE(del.status == 404 || del.status == 403) << del.status;
  }
  // Searching for B directly.
  for (const std::string& q : std::vector<std::string>{
           "/Observation?subject=" + b, "/Observation?patient=" + b,
           "/QuestionnaireResponse?subject=" + b,
           "/Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1|" + std::string(kFnrB),
           "/Observation?subject:Patient.identifier=" + std::string(kFnrB),
           "/AuditEvent?patient=" + b, "/Communication?subject=" + b, "/Task?patient=" + b,
           std::string("/_history"), std::string("/?_type=Patient")}) {
    HttpResult s = Gw().Get(q, auth);
    EXPECT_EQ(leaks(s), "") << q;
  }
  // Writing about B.
  HttpResult qr = Gw().Request(
      "POST", "/QuestionnaireResponse", Json(auth),
      R"({"resourceType":"QuestionnaireResponse","status":"completed","subject":{"reference":")" +
          b + R"("}})");
  EXPECT_EQ(qr.status, 403) << qr.body;
  // A batch mixing A's and B's resources: B's entries are 404, A's 200.
  std::string batch = R"({"resourceType":"Bundle","type":"batch","entry":[)"
                      R"({"request":{"method":"GET","url":")" +
                      data_["A"]["Observation"] +
                      R"("}},)"
                      R"({"request":{"method":"GET","url":")" +
                      data_["B"]["Observation"] + R"("}}]})";
  HttpResult br = Gw().Request("POST", "/", Json(auth), batch);
  ASSERT_EQ(br.status, 200) << br.body;
  EXPECT_EQ(leaks(br), "");
  EXPECT_NE(br.body.find("\"status\":\"200"), std::string::npos) << br.body;
  EXPECT_NE(br.body.find("\"status\":\"404"), std::string::npos) << br.body;
  // A transaction that reads B inside it.
  std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[)"
                   R"({"request":{"method":"GET","url":")" +
                   data_["B"]["Patient"] + R"("}}]})";
  HttpResult txr = Gw().Request("POST", "/", Json(auth), tx);
  EXPECT_EQ(leaks(txr), "");

  // And A does see A's own data.
  HttpResult own = Gw().Get("/Observation", auth);
  ASSERT_EQ(own.status, 200);
  EXPECT_NE(own.body.find(Id(data_["A"]["Observation"])), std::string::npos) << own.body;
  EXPECT_EQ(Gw().Get("/Questionnaire", auth).status, 200);  // published content
}

TEST_F(AuthTest, PatientWritesOnlyOwnAnswersAndMessagesToTheirCareTeam) {
  auto token = env_->DevPatient(std::string(kFnrA));
  ASSERT_TRUE(token);
  const Headers auth = Bearer(*token, {{"X-Requested-With", "app"}});
  const std::string a = data_["A"]["Patient"];
  HttpResult qr = Gw().Request(
      "POST", "/QuestionnaireResponse", Json(auth),
      R"({"resourceType":"QuestionnaireResponse","status":"completed","subject":{"reference":")" +
          a + R"("},"author":{"reference":")" + a +
          R"("},"item":[{"linkId":"q9","answer":[{"valueInteger":3}]}]})");
  EXPECT_EQ(qr.status, 201) << qr.body;
  HttpResult obs = Gw().Request(
      "POST", "/Observation", Json(auth),
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":")" +
          a + R"("}})");
  EXPECT_EQ(obs.status, 403) << obs.body;
  auto message = [&](const std::string& to) {
    return Gw().Request(
        "POST", "/Communication", Json(auth),
        R"({"resourceType":"Communication","status":"completed","subject":{"reference":")" + a +
            R"("},"sender":{"reference":")" + a + R"("},"recipient":[{"reference":")" + to +
            R"("}],"payload":[{"contentString":"Hei"}]})");
  };
  EXPECT_EQ(message(practitioner_).status, 201);
  EXPECT_EQ(message(data_["B"]["Patient"]).status, 403);  // not their care team
}

TEST_F(AuthTest, TherapistReachesOnlyPatientsWithACareRelationship) {
  std::string why;
  auto t = env_->PersonnelToken("terapeut", "openid user/*.cruds", &why);
  ASSERT_TRUE(t) << why;
  auto get = [&](const std::string& ref) {
    return Gw().Get("/" + ref, env_->Dpop(*t, "GET", "/" + ref)).status;
  };
  EXPECT_EQ(get(data_["A"]["Observation"]), 200);  // care team
  EXPECT_EQ(get(data_["C"]["Observation"]), 200);  // referral to the therapist's organisation
  EXPECT_EQ(get(data_["B"]["Observation"]), 404);  // no relationship
  EXPECT_EQ(get(data_["B"]["Patient"]), 404);
  EXPECT_EQ(get(data_["A"]["Binary"]), 200);  // through its securityContext
  EXPECT_EQ(get(data_["B"]["Binary"]), 404);
  HttpResult s = Gw().Get("/Observation", env_->Dpop(*t, "GET", "/Observation"));
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(s.body.find(Id(data_["B"]["Observation"])), std::string::npos);
  EXPECT_NE(s.body.find(Id(data_["A"]["Observation"])), std::string::npos);
}

// ---------------------------------------------------------------- audit

TEST_F(AuthTest, AccessIsAuditedAndThePatientCanSeeWhoLooked) {
  // The therapist reads A's observation; A then lists the access log.
  std::string why;
  auto t = env_->PersonnelToken("terapeut", "openid user/*.cruds", &why);
  ASSERT_TRUE(t) << why;
  const std::string obs = "/" + data_["A"]["Observation"];
  ASSERT_EQ(Gw().Get(obs, env_->Dpop(*t, "GET", obs)).status, 200);
  const std::string denied = "/" + data_["B"]["Observation"];
  ASSERT_EQ(Gw().Get(denied, env_->Dpop(*t, "GET", denied)).status, 404);

  auto token = env_->DevPatient(std::string(kFnrA));
  ASSERT_TRUE(token);
  const std::string a = data_["A"]["Patient"];
  HttpResult log = Gw().Get("/AuditEvent?patient=" + a + "&_count=200", Bearer(*token));
  ASSERT_EQ(log.status, 200) << log.body;
  EXPECT_NE(log.body.find(practitioner_), std::string::npos)
      << "the therapist's read is not listed";
  EXPECT_NE(log.body.find("9144900"), std::string::npos);  // HPR of who looked
  EXPECT_NE(log.body.find(Id(data_["A"]["Observation"])), std::string::npos);
  // A's own refused attempts name what A asked for, but no event links B's record.
  EXPECT_EQ(log.body.find("\"reference\":\"" + data_["B"]["Patient"] + "\""), std::string::npos);
  {
    size_t fnr_at = log.body.find(std::string(kFnrA));
    EXPECT_EQ(fnr_at, std::string::npos) << log.body.substr(
        fnr_at == std::string::npos ? 0 : (fnr_at > 600 ? fnr_at - 600 : 0), 800);
  }

  // The denial is audited too (outcome 4), visible to the EHR system.
  HttpResult all = AsEhr("GET", "/AuditEvent?outcome=4&_count=500");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_NE(all.body.find("requested: " + data_["B"]["Observation"]), std::string::npos);

  // Nobody changes or deletes audit records through the API.
  std::string some_event;
  size_t at = log.body.find("\"fullUrl\":\"");
  ASSERT_NE(at, std::string::npos);
  at = log.body.find("/AuditEvent/", at);
  some_event = log.body.substr(at + 1, log.body.find('"', at) - at - 1);
  HttpResult del = AsEhr("DELETE", "/" + some_event);
  EXPECT_EQ(del.status, 403) << some_event << " " << del.body;
  HttpResult event = AsEhr("GET", "/" + some_event);
  ASSERT_EQ(event.status, 200);
  auto body = fhir::json::Parse(event.body);
  ASSERT_TRUE(body.has_value());
  body->Set("outcome", Value::String("0"));
  HttpResult put = AsEhr("PUT", "/" + some_event, fhir::json::Write(*body));
  EXPECT_EQ(put.status, 403) << put.body;
  body->Remove("id");
  HttpResult post = AsEhr("POST", "/AuditEvent", fhir::json::Write(*body));
  EXPECT_EQ(post.status, 403) << post.body;
  EXPECT_EQ(AsEhr("GET", "/" + some_event).body, event.body);  // unchanged
}

TEST_F(AuthTest, WritesCarryTheirAuditEventInTheSameTransaction) {
  HttpResult r = AsEhr(
      "POST", "/Observation",
      R"({"resourceType":"Observation","status":"final","code":{"text":"phq9"},"subject":{"reference":")" +
          data_["C"]["Patient"] + R"("}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = JsonString(r.body, "id");
  HttpResult events = AsEhr("GET", "/AuditEvent?entity=Observation/" + id + "/_history/1");
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_NE(events.body.find("\"code\":\"create\""), std::string::npos) << events.body;
  EXPECT_NE(events.body.find(data_["C"]["Patient"]), std::string::npos) << events.body;
}

TEST_F(AuthTest, EhrMessagesNeedTheMessageServiceAndTheAdapterIsAudited) {
  std::ifstream in(EMG_TESTDATA_DIR "/ehr/henvisning-1.1/valid-depression-p76.xml",
                   std::ios::binary);
  std::stringstream xml;
  xml << in.rdbuf();
  ASSERT_FALSE(xml.str().empty());
  const Headers content = {{"Content-Type", "application/xml"}};
  EXPECT_EQ(Gw().Request("POST", "/ehr/messages", content, xml.str()).status, 401);
  auto patient = env_->DevPatient(std::string(kFnrA));
  ASSERT_TRUE(patient);
  EXPECT_EQ(Gw().Request("POST", "/ehr/messages", Bearer(*patient, content), xml.str()).status,
            403);
  HttpResult r = Gw().Request("POST", "/ehr/messages",
                              env_->Dpop(*ehr_, "POST", "/ehr/messages", content), xml.str());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-apprec-status"), "1") << r.body;
  // The adapter wrote the referral as its own principal, with AuditEvents in the transaction.
  HttpResult events = AsEhr("GET", "/AuditEvent?subtype=create&_count=1000");
  ASSERT_EQ(events.status, 200);
  EXPECT_NE(events.body.find("emeistring-gateway/ehr-adapter"), std::string::npos);
  EXPECT_NE(events.body.find("ServiceRequest/"), std::string::npos);
}

// ---------------------------------------------------------------- development mode

TEST(AuthConfig, DevelopmentLoginAndAuthOffAreRefusedOffLoopback) {
  const std::string data = MakeTempDir("emg-dev");
  RunResult dev = RunGateway({"serve", "--listen", "0.0.0.0:0", "--data", data},
                             {{"EMG_AUTH_MODE", "enforce"}, {"EMG_AUTH_DEV_LOGIN", "1"}});
  EXPECT_NE(dev.exit_code, 0);
  EXPECT_NE(dev.err.find("auth.dev_login"), std::string::npos) << dev.err;
  RunResult off =
      RunGateway({"serve", "--listen", "0.0.0.0:0", "--data", data}, {{"EMG_AUTH_MODE", "off"}});
  EXPECT_NE(off.exit_code, 0);
  EXPECT_NE(off.err.find("auth.mode"), std::string::npos) << off.err;
  std::filesystem::remove_all(data);
}

}  // namespace
}  // namespace emg::test
