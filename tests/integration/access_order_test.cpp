// Access control decides first (ADR 0013): over real HTTP, with auth enforced and real tokens
// from the loopback OpenID Provider, a caller without the right to an interaction gets 403
// whatever the request holds: before the body is validated, criteria are parsed or matched,
// the id or If-Match is looked at. Each test also shows that a caller with the right gets the
// content-based answer for the same request, so the 403 is not a coincidence. Also: PATCH is
// authorized and audited like an update (a patient cannot patch another's data), and SMART
// discovery and the CapabilityStatement are served without authentication.

// GCC 12 reports -Wnull-dereference inside Boost.Asio (system headers; false positives).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/base64.h"
#include "fhir/json/parser.h"
#include "fhir/json/value.h"
#include "integration/support/auth_support.h"

namespace emg::test {
namespace {

using namespace std::chrono_literals;
using fhir::json::Value;

// Synthetic identities (Tenor: month + 80, valid mod-11).
constexpr std::string_view kFnrA = "17829010097";
constexpr std::string_view kFnrB = "05918510143";

Headers Json(Headers h = {}) {
  h.emplace_back("Content-Type", "application/fhir+json");
  return h;
}

Headers PatchJson(Headers h = {}) {
  h.emplace_back("Content-Type", "application/json-patch+json");
  return h;
}

Headers Bearer(const std::string& token, Headers h = {}) {
  h.emplace_back("Authorization", "Bearer " + token);
  return h;
}

std::string IssueCode(const std::string& body) {
  auto v = fhir::json::Parse(body);
  if (!v || !v->is_object()) return {};
  const Value* issues = v->Find("issue");
  if (issues == nullptr || !issues->is_array() || issues->items().empty()) return {};
  return std::string(issues->items()[0].GetString("code"));
}

// A 403 OperationOutcome (issue code forbidden).
::testing::AssertionResult Forbidden(const HttpResult& r) {
  if (!r.ok) return ::testing::AssertionFailure() << "transport: " << r.error;
  if (r.status != 403 || IssueCode(r.body) != "forbidden") {
    return ::testing::AssertionFailure() << r.status << " " << r.body.substr(0, 400);
  }
  return ::testing::AssertionSuccess();
}

class AccessOrderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new AuthEnv();
    started_ = env_->Start();
    if (!started_) return;
    std::string why;
    auto ehr = env_->SystemToken("ehr", "system/*.cruds", &why);
    auto registry = env_->SystemToken("registry", "system/*.cruds", &why);
    if (!ehr || !registry) {
      setup_error_ = "tokens: " + why;
      return;
    }
    ehr_ = new AccessToken(std::move(*ehr));
    registry_ = new AccessToken(std::move(*registry));
    Seed("A", kFnrA);
    Seed("B", kFnrB);
  }
  static void TearDownTestSuite() {
    delete ehr_;
    delete registry_;
    delete env_;
    ehr_ = registry_ = nullptr;
    env_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(started_) << (env_ ? env_->error() : "");
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  }

  static HttpClient& Gw() {
    static HttpClient* client = nullptr;
    if (client == nullptr) client = new HttpClient("127.0.0.1", env_->port(), 30s);
    return *client;
  }
  static HttpResult As(const AccessToken& t, const std::string& method, const std::string& target,
                       const std::string& body = {}, Headers extra = Json()) {
    return Gw().Request(method, target, env_->Dpop(t, method, target, std::move(extra)), body);
  }
  static HttpResult AsEhr(const std::string& method, const std::string& target,
                          const std::string& body = {}, Headers extra = Json()) {
    return As(*ehr_, method, target, body, std::move(extra));
  }
  static HttpResult AsRegistry(const std::string& method, const std::string& target,
                               const std::string& body = {}, Headers extra = Json()) {
    return As(*registry_, method, target, body, std::move(extra));
  }

  static std::string Create(const std::string& type, const std::string& json) {
    HttpResult r = AsEhr("POST", "/" + type, json);
    if (r.status != 201) {
      setup_error_ += " create " + type + ": " + std::to_string(r.status) + " " + r.body;
      return {};
    }
    return type + "/" + JsonString(r.body, "id");
  }

  static void Seed(const std::string& key, std::string_view fnr) {
    std::map<std::string, std::string>& mine = data_[key];
    mine["Patient"] = Create(
        "Patient",
        R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":")" +
            std::string(fnr) + R"("}]})");
    const std::string subject = R"({"reference":")" + mine["Patient"] + R"("})";
    for (int i = 0; i < 2; ++i) {
      mine["Observation" + std::to_string(i)] = Create(
          "Observation",
          R"({"resourceType":"Observation","status":"final","code":{"text":"PHQ-9"},"subject":)" +
              subject + R"(,"valueInteger":)" + std::to_string(5 + i) + "}");
    }
    mine["QuestionnaireResponse"] = Create(
        "QuestionnaireResponse",
        R"({"resourceType":"QuestionnaireResponse","identifier":{"system":"urn:emeistring:test","value":"qr-)" +
            key + R"("},"status":"in-progress","subject":)" + subject +
            R"(,"item":[{"linkId":"q1","answer":[{"valueInteger":1}]}]})");
    mine["Condition"] = Create("Condition", R"({"resourceType":"Condition","subject":)" + subject +
                                                R"(,"code":{"text":"F32"}})");
  }

  static std::string Patient(const std::string& key) {
    std::string ref;
    auto token = env_->DevPatient(key == "A" ? std::string(kFnrA) : std::string(kFnrB), &ref);
    EXPECT_TRUE(token.has_value());
    EXPECT_EQ(ref, data_[key]["Patient"]);
    return token.value_or("");
  }

  static std::string Ref(const std::string& key, const std::string& type) {
    return data_[key][type];
  }

  static AuthEnv* env_;
  static AccessToken* ehr_;
  static AccessToken* registry_;  // role registry: Patient, Observation, QuestionnaireResponse .rs
  static bool started_;
  static std::string setup_error_;
  static std::map<std::string, std::map<std::string, std::string>> data_;
};

AuthEnv* AccessOrderTest::env_ = nullptr;
AccessToken* AccessOrderTest::ehr_ = nullptr;
AccessToken* AccessOrderTest::registry_ = nullptr;
bool AccessOrderTest::started_ = false;
std::string AccessOrderTest::setup_error_;
std::map<std::string, std::map<std::string, std::string>> AccessOrderTest::data_;

// ---------------------------------------------------------------- the cases found by probing

TEST_F(AccessOrderTest, UpdatingAnAuditEventIs403WhateverTheBody) {
  HttpResult events = AsEhr("GET", "/AuditEvent?patient=" + Ref("A", "Patient") + "&_count=1");
  ASSERT_EQ(events.status, 200) << events.body;
  size_t at = events.body.find("/AuditEvent/");
  ASSERT_NE(at, std::string::npos) << events.body;
  std::string id = events.body.substr(at + 12, events.body.find('"', at) - at - 12);
  EXPECT_TRUE(Forbidden(AsEhr("PUT", "/AuditEvent/" + id, "{not json")));
  EXPECT_TRUE(Forbidden(AsEhr("PUT", "/AuditEvent/" + id, R"({"resourceType":"AuditEvent"})")));
  EXPECT_TRUE(Forbidden(AsEhr("PUT", "/AuditEvent/bad$id", "{}")));
  EXPECT_TRUE(Forbidden(AsEhr("POST", "/AuditEvent", "[1,2]")));
  EXPECT_TRUE(Forbidden(
      AsEhr("PATCH", "/AuditEvent/" + id, R"([{"op":"remove","path":"/agent"}])", PatchJson())));
  // The same invalid body on a type the EHR may write: the content is judged (400).
  EXPECT_EQ(AsEhr("PUT", "/Observation/" + id, "{not json").status, 400);
}

TEST_F(AccessOrderTest, ConditionalDeleteOfAuditEventsIs403NotPreconditionFailed) {
  const std::string query = "/AuditEvent?patient=" + Ref("A", "Patient");
  HttpResult r = AsEhr("DELETE", query);
  EXPECT_TRUE(Forbidden(r));
  EXPECT_EQ(r.body.find("matched"), std::string::npos) << "nothing about the matches";
  HttpResult still = AsEhr("GET", query + "&_summary=count");
  EXPECT_NE(JsonString(still.body, "total"), "0") << still.body;
  // On a type the EHR may delete, the same several matches are a 412.
  EXPECT_EQ(AsEhr("DELETE", "/Observation?subject=" + Ref("A", "Patient")).status, 412);
}

// ---------------------------------------------------------------- every other interaction

TEST_F(AccessOrderTest, CreateWithoutTheRightIs403BeforeValidationOrMatching) {
  // The registry role reads and searches Observations; it writes nothing.
  EXPECT_TRUE(Forbidden(AsRegistry("POST", "/Observation", "{not json")));
  EXPECT_EQ(AsEhr("POST", "/Observation", "{not json").status, 400);
  Headers ine = Json({{"If-None-Exist", "subject=" + Ref("A", "Patient")}});
  const std::string obs = R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})";
  EXPECT_TRUE(Forbidden(AsRegistry("POST", "/Observation", obs, ine)));
  EXPECT_EQ(AsEhr("POST", "/Observation", obs, ine).status, 412) << "matched several";
  // Searching is needed too for a conditional create (it tells how many match).
  Headers bad_criteria = Json({{"If-None-Exist", "frobnicate=1"}});
  EXPECT_TRUE(Forbidden(AsRegistry("POST", "/Observation", obs, bad_criteria)));
}

TEST_F(AccessOrderTest, ConditionalUpdateWithoutTheRightIs403BeforeMatching) {
  const std::string target = "/Observation?subject=" + Ref("A", "Patient");
  const std::string obs = R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})";
  EXPECT_TRUE(Forbidden(AsRegistry("PUT", target, obs)));
  EXPECT_EQ(AsEhr("PUT", target, obs).status, 412);
  EXPECT_TRUE(Forbidden(AsRegistry("PUT", "/Observation?frobnicate=1", obs)));
  EXPECT_EQ(AsEhr("PUT", "/Observation?frobnicate=1", obs).status, 400);
  EXPECT_TRUE(Forbidden(AsRegistry("PUT", "/" + Ref("A", "Observation0"), "{not json")));
}

TEST_F(AccessOrderTest, DeleteWithoutTheRightIs403BeforeIdOrIfMatch) {
  const std::string obs = "/" + Ref("A", "Observation0");
  Headers garbage = {{"If-Match", "not-an-etag"}};
  EXPECT_TRUE(Forbidden(AsRegistry("DELETE", obs, {}, garbage)));
  EXPECT_EQ(AsEhr("DELETE", obs, {}, garbage).status, 400);
  EXPECT_TRUE(Forbidden(AsRegistry("DELETE", "/Observation/bad$id")));
  EXPECT_TRUE(Forbidden(AsRegistry("DELETE", "/Observation?subject=" + Ref("A", "Patient"))));
  EXPECT_EQ(AsRegistry("GET", obs).status, 200) << "still there, still readable";
}

TEST_F(AccessOrderTest, ReadsSearchesAndHistoryAreRefusedBeforeTheirParameters) {
  // The registry has no right to Conditions at all.
  const std::string cond = "/" + Ref("A", "Condition");
  EXPECT_TRUE(Forbidden(AsRegistry("GET", "/Condition?_count=abc")));
  EXPECT_EQ(AsEhr("GET", "/Condition?_count=abc").status, 400);
  EXPECT_TRUE(Forbidden(
      AsRegistry("POST", "/Condition/_search", "x=%zz", {{"Content-Type", "text/plain"}})));
  EXPECT_TRUE(Forbidden(AsRegistry("GET", cond + "/_history/abc")));
  EXPECT_EQ(AsEhr("GET", cond + "/_history/abc").status, 404);
  EXPECT_TRUE(Forbidden(AsRegistry("GET", "/Condition/bad$id")));
  EXPECT_TRUE(Forbidden(AsRegistry("GET", cond + "/_history?_since=yesterday")));
  EXPECT_TRUE(Forbidden(AsRegistry("GET", "/Condition/_history?_count=-1")));
  // A patient: type-level history is not available, whatever its parameters say.
  std::string a = Patient("A");
  EXPECT_TRUE(Forbidden(Gw().Get("/Observation/_history?_since=yesterday", Bearer(a))));
  EXPECT_TRUE(Forbidden(Gw().Get("/_history?_count=x", Bearer(a))));
  EXPECT_TRUE(Forbidden(Gw().Get("/?_type=Observation&_count=x", Bearer(a))));
}

TEST_F(AccessOrderTest, PatientWritesOfOtherTypesAre403BeforeValidation) {
  std::string a = Patient("A");
  const std::string own_obs = "/" + Ref("A", "Observation0");
  EXPECT_TRUE(Forbidden(Gw().Request("PUT", own_obs, Bearer(a, Json()), "{not json")));
  EXPECT_TRUE(Forbidden(Gw().Request("POST", "/Observation", Bearer(a, Json()), "{}")));
  EXPECT_TRUE(Forbidden(Gw().Request("DELETE", "/" + Ref("A", "QuestionnaireResponse"),
                                     Bearer(a, {{"If-Match", "garbage"}}))));
  // Where a patient may write, the body is judged.
  EXPECT_EQ(Gw().Request("POST", "/QuestionnaireResponse", Bearer(a, Json()), "{not json").status,
            400);
}

TEST_F(AccessOrderTest, TransactionEntriesAreAuthorizedBeforeTheBundleIsValidated) {
  const std::string invalid_audit =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"AuditEvent","bogus":true},"request":{"method":"PUT","url":"AuditEvent/x1"}}]})";
  HttpResult r = AsEhr("POST", "/", invalid_audit);
  EXPECT_TRUE(Forbidden(r));
  EXPECT_NE(r.body.find("Bundle.entry[0]"), std::string::npos) << r.body;
  const std::string delete_matches =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Observation?subject=)" +
      Ref("A", "Patient") + R"("}}]})";
  EXPECT_TRUE(Forbidden(AsRegistry("POST", "/", delete_matches)));
  EXPECT_EQ(AsEhr("POST", "/", delete_matches).status, 412);
  const std::string invalid_obs =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","bogus":1},"request":{"method":"POST","url":"Observation"}}]})";
  EXPECT_TRUE(Forbidden(AsRegistry("POST", "/", invalid_obs)));
  EXPECT_EQ(AsEhr("POST", "/", invalid_obs).status, 400);
  // A batch answers each entry on its own: the AuditEvent entry is 403.
  const std::string batch =
      R"({"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"AuditEvent","bogus":true},"request":{"method":"PUT","url":"AuditEvent/x1"}},{"request":{"method":"GET","url":")" +
      Ref("A", "Observation0") + R"("}}]})";
  HttpResult b = AsEhr("POST", "/", batch);
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_NE(b.body.find("\"status\":\"403"), std::string::npos) << b.body;
  EXPECT_NE(b.body.find("\"status\":\"200"), std::string::npos) << b.body;
}

// ---------------------------------------------------------------- PATCH is an update

TEST_F(AccessOrderTest, APatientCanPatchOnlyTheirOwnWritableData) {
  std::string a = Patient("A");
  const std::string own = "/" + Ref("A", "QuestionnaireResponse");
  const std::string theirs = "/" + Ref("B", "QuestionnaireResponse");
  const std::string complete = R"([{"op":"replace","path":"/status","value":"completed"}])";
  HttpResult before = AsEhr("GET", theirs);
  ASSERT_EQ(before.status, 200);

  // B's answers: not found (their existence does not leak), and unchanged.
  EXPECT_EQ(Gw().Request("PATCH", theirs, Bearer(a, PatchJson()), complete).status, 404);
  EXPECT_EQ(Gw().Request("PATCH", "/QuestionnaireResponse?identifier=urn:emeistring:test|qr-B",
                         Bearer(a, PatchJson()), complete)
                .status,
            404);
  // In a transaction as well.
  const std::string tx =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":")" +
      common::Base64Encode(complete) + R"("},"request":{"method":"PATCH","url":")" +
      Ref("B", "QuestionnaireResponse") + R"("}}]})";
  EXPECT_EQ(Gw().Request("POST", "/", Bearer(a, Json()), tx).status, 404);
  EXPECT_EQ(AsEhr("GET", theirs).body, before.body) << "B's answers are unchanged";

  // A's own answers: patched.
  HttpResult mine = Gw().Request("PATCH", own, Bearer(a, PatchJson()), complete);
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(JsonString(mine.body, "status"), "completed");
  // ... but not handed over to B.
  HttpResult moved = Gw().Request(
      "PATCH", own, Bearer(a, PatchJson()),
      R"([{"op":"replace","path":"/subject/reference","value":")" + Ref("B", "Patient") + R"("}])");
  EXPECT_TRUE(Forbidden(moved));
  // A's Observation is not patient-writable: 403, even for a patch that is not JSON.
  EXPECT_TRUE(Forbidden(
      Gw().Request("PATCH", "/" + Ref("A", "Observation0"), Bearer(a, PatchJson()), "[{")));
}

TEST_F(AccessOrderTest, APatchIsAuditedAsAPatchInItsOwnTransaction) {
  std::string a = Patient("A");
  HttpResult created = Gw().Request(
      "POST", "/QuestionnaireResponse", Bearer(a, Json()),
      R"({"resourceType":"QuestionnaireResponse","status":"in-progress","subject":{"reference":")" +
          Ref("A", "Patient") + R"("}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = JsonString(created.body, "id");
  HttpResult r = Gw().Request("PATCH", "/QuestionnaireResponse/" + id, Bearer(a, PatchJson()),
                              R"([{"op":"replace","path":"/status","value":"completed"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  HttpResult events =
      AsEhr("GET", "/AuditEvent?entity=QuestionnaireResponse/" + id + "/_history/2");
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_NE(events.body.find("\"code\":\"patch\""), std::string::npos) << events.body;
  EXPECT_NE(events.body.find(Ref("A", "Patient")), std::string::npos) << events.body;
  // The registry may read QuestionnaireResponses but not change them.
  EXPECT_TRUE(Forbidden(AsRegistry("PATCH", "/QuestionnaireResponse/" + id,
                                   R"([{"op":"remove","path":"/status"}])", PatchJson())));
}

// ---------------------------------------------------------------- discovery, unauthenticated

TEST_F(AccessOrderTest, SmartConfigurationIsServedWithoutAuthenticationFromTheRealPolicy) {
  HttpResult r = Gw().Get("/.well-known/smart-configuration");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type").rfind("application/json", 0), 0u) << r.Header("content-type");
  auto doc = fhir::json::Parse(r.body);
  ASSERT_TRUE(doc.has_value());
  // The endpoints are the issuer's own (from its discovery document).
  HttpClient op("127.0.0.1", env_->op().port(), 10s);
  auto op_meta = fhir::json::Parse(op.Get("/.well-known/openid-configuration").body);
  ASSERT_TRUE(op_meta.has_value());
  EXPECT_EQ(doc->GetString("token_endpoint"), op_meta->GetString("token_endpoint"));
  EXPECT_EQ(doc->GetString("authorization_endpoint"), op_meta->GetString("authorization_endpoint"));
  auto strings = [&](std::string_view name) {
    std::vector<std::string> out;
    if (const Value* v = doc->Find(name); v != nullptr && v->is_array()) {
      for (const Value& s : v->items()) out.push_back(s.text());
    }
    return out;
  };
  auto has = [&](std::string_view name, std::string_view item) {
    std::vector<std::string> list = strings(name);
    return std::find(list.begin(), list.end(), item) != list.end();
  };
  // Personnel clients log in (code flow); system clients use client credentials.
  EXPECT_TRUE(has("grant_types_supported", "authorization_code"));
  EXPECT_TRUE(has("grant_types_supported", "client_credentials"));
  EXPECT_EQ(strings("code_challenge_methods_supported"), std::vector<std::string>{"S256"});
  EXPECT_EQ(strings("response_types_supported"), std::vector<std::string>{"code"});
  EXPECT_TRUE(has("token_endpoint_auth_methods_supported", "private_key_jwt"));
  EXPECT_TRUE(has("capabilities", "client-confidential-asymmetric"));
  EXPECT_TRUE(has("capabilities", "permission-user"));
  EXPECT_TRUE(has("capabilities", "permission-v2"));
  EXPECT_FALSE(has("capabilities", "sso-openid-connect"));
  EXPECT_FALSE(has("capabilities", "launch-ehr"));
  // The scopes are the roles of the policy file (auth_support.cpp) and personnel permissions.
  EXPECT_TRUE(has("scopes_supported", "system/*.cruds"));
  EXPECT_TRUE(has("scopes_supported", "system/Observation.rs"));
  EXPECT_TRUE(has("scopes_supported", "system/QuestionnaireResponse.c"));
  EXPECT_TRUE(has("scopes_supported", "user/*.cruds"));
  EXPECT_TRUE(has("dpop_signing_alg_values_supported", "ES256"));
  const Value* required = doc->Find("dpop_bound_access_tokens_required");
  ASSERT_NE(required, nullptr);
  EXPECT_TRUE(required->boolean());
  // Only GET and HEAD; other FHIR paths still need credentials.
  EXPECT_EQ(Gw().Request("POST", "/.well-known/smart-configuration", {}, "x").status, 405);
  EXPECT_EQ(Gw().Get("/Patient").status, 401);
  EXPECT_EQ(Gw().Get("/.well-known/other").status, 401);
}

TEST_F(AccessOrderTest, TheCapabilityStatementDescribesSecurityWithoutAuthentication) {
  HttpResult r = Gw().Get("/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  auto cs = fhir::json::Parse(r.body);
  ASSERT_TRUE(cs.has_value());
  const Value& rest = cs->Find("rest")->items().at(0);
  const Value* security = rest.Find("security");
  ASSERT_NE(security, nullptr) << r.body.substr(0, 400);
  ASSERT_NE(security->Find("cors"), nullptr);
  EXPECT_FALSE(security->Find("cors")->boolean()) << "no CORS is granted";
  const Value& coding = security->Find("service")->items().at(0).Find("coding")->items().at(0);
  EXPECT_EQ(coding.GetString("system"),
            "http://terminology.hl7.org/CodeSystem/restful-security-service");
  EXPECT_EQ(coding.GetString("code"), "SMART-on-FHIR");
  std::map<std::string, std::string> uris;
  for (const Value& ext : security->Find("extension")->items()) {
    if (ext.GetString("url") !=
        "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris")
      continue;
    for (const Value& part : ext.Find("extension")->items()) {
      uris[std::string(part.GetString("url"))] = std::string(part.GetString("valueUri"));
    }
  }
  HttpResult smart = Gw().Get("/.well-known/smart-configuration");
  EXPECT_EQ(uris["token"], JsonString(smart.body, "token_endpoint"));
  EXPECT_EQ(uris["authorize"], JsonString(smart.body, "authorization_endpoint"));
  EXPECT_NE(security->GetString("description").find("/auth/login?idp=idporten"), std::string::npos);
  EXPECT_EQ(Gw().Get("/metadata/").status, 200);
}

}  // namespace
}  // namespace emg::test
