// FHIR REST semantics through FhirApi over a real SQLite store (no sockets; the integration
// tests cover the HTTP edge).

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/served_types.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/rest/http_util.h"
#include "store/sqlite/sqlite_store.h"

namespace gateway {
namespace {

using fhir::json::Value;

class RestApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("emg-rest-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::sqlite::SqliteStoreOptions o;
    o.path = (dir_ / "rest.db").string();
    o.durable = false;
    store_ = std::move(*store::sqlite::OpenSqliteStore(o));
    FhirApiOptions opts;
    opts.base_url = "http://fhir.test";
    opts.max_body_bytes = 1 << 20;
    api_ = std::make_unique<FhirApi>(*store_, opts);
  }
  void TearDown() override {
    api_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  HttpResponse Do(std::string method, const std::string& target, std::string body = "",
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest req;
    req.method = std::move(method);
    req.target = target;
    size_t qm = target.find('?');
    req.path = target.substr(0, qm);
    if (qm != std::string::npos) {
      std::string qs = target.substr(qm + 1);
      size_t start = 0;
      while (start < qs.size()) {
        size_t amp = qs.find('&', start);
        std::string part = qs.substr(start, amp == std::string::npos ? amp : amp - start);
        size_t eq = part.find('=');
        req.query.emplace_back(part.substr(0, eq),
                               eq == std::string::npos ? "" : part.substr(eq + 1));
        if (amp == std::string::npos) break;
        start = amp + 1;
      }
    }
    req.body = std::move(body);
    if (!req.body.empty()) req.headers.emplace_back("content-type", "application/fhir+json");
    for (auto& h : headers) req.headers.push_back(std::move(h));
    req.context.request_id = "test";
    return api_->Handle(req);
  }
  static Value Json(const HttpResponse& r) {
    auto v = fhir::json::Parse(r.body);
    EXPECT_TRUE(v.has_value()) << r.body;
    return v ? *v : Value();
  }
  static std::string Patient(const std::string& family, const std::string& extra = "") {
    return R"({"resourceType":"Patient","name":[{"family":")" + family + R"("}])" + extra + "}";
  }
  std::string CreatePatient(const std::string& family, const std::string& extra = "") {
    HttpResponse r = Do("POST", "/Patient", Patient(family, extra));
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(Json(r).GetString("id"));
  }

  std::filesystem::path dir_;
  std::unique_ptr<fhir::store::Store> store_;
  std::unique_ptr<FhirApi> api_;
};

TEST_F(RestApiTest, CreateReadUpdateDeleteLifecycle) {
  HttpResponse created = Do("POST", "/Patient", Patient("Nordmann"));
  ASSERT_EQ(created.status, 201) << created.body;
  Value body = Json(created);
  std::string id(body.GetString("id"));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(created.Header("Location"), "http://fhir.test/Patient/" + id + "/_history/1");
  EXPECT_EQ(created.Header("ETag"), "W/\"1\"");
  EXPECT_EQ(created.route, "/{type}");

  HttpResponse read = Do("GET", "/Patient/" + id);
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(Json(read).Find("meta")->GetString("versionId"), "1");
  EXPECT_EQ(read.route, "/{type}/{id}");

  std::string updated = R"({"resourceType":"Patient","id":")" + id + R"(","active":false})";
  HttpResponse put = Do("PUT", "/Patient/" + id, updated, {{"if-match", "W/\"1\""}});
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.Header("ETag"), "W/\"2\"");

  HttpResponse stale = Do("PUT", "/Patient/" + id, updated, {{"if-match", "W/\"1\""}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(Json(stale).GetString("resourceType"), "OperationOutcome");

  EXPECT_EQ(Do("DELETE", "/Patient/" + id).status, 204);
  HttpResponse gone = Do("GET", "/Patient/" + id);
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(Json(gone).GetString("resourceType"), "OperationOutcome");
  EXPECT_EQ(Do("GET", "/Patient/" + id + "/_history/2").status, 200);
  EXPECT_EQ(Do("GET", "/Patient/" + id + "/_history/3").status, 410);
  EXPECT_EQ(Do("GET", "/Patient/" + id + "/_history/9").status, 404);

  HttpResponse hist = Do("GET", "/Patient/" + id + "/_history");
  ASSERT_EQ(hist.status, 200);
  Value h = Json(hist);
  EXPECT_EQ(h.GetString("type"), "history");
  EXPECT_EQ(h.Find("total")->text(), "3");
  EXPECT_EQ(h.Find("entry")->items()[0].Find("request")->GetString("method"), "DELETE");
}

TEST_F(RestApiTest, UpdateAsCreateAndIdRules) {
  HttpResponse r = Do("PUT", "/Patient/abc-1", R"({"resourceType":"Patient","id":"abc-1"})");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Do("PUT", "/Patient/abc-1", R"({"resourceType":"Patient","id":"other"})").status, 400);
  EXPECT_EQ(Do("PUT", "/Patient/abc-1", R"({"resourceType":"Patient"})").status, 400);
  EXPECT_EQ(Do("PUT", "/Patient/abc-1", R"({"resourceType":"Observation","id":"abc-1"})").status,
            400);
}

TEST_F(RestApiTest, ErrorsAreOperationOutcomes) {
  struct Case {
    std::string method, target, body;
    int status;
  };
  std::vector<Case> cases = {
      {"GET", "/Nonsense/1", "", 404},
      {"GET", "/Patient/does-not-exist", "", 404},
      {"PATCH", "/Patient/x", "", 405},
      {"POST", "/Patient", "{not json", 400},
      {"POST", "/Patient", R"({"resourceType":"Patient","bogus":1})", 400},
      {"POST", "/Patient", R"({"resourceType":"Patient","name":[{"family":"a","family":"b"}]})",
       400},
      {"GET", "/Patient?_count=abc", "", 400},
      {"DELETE", "/metadata", "", 405},
  };
  for (const Case& c : cases) {
    HttpResponse r = Do(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << r.body;
    EXPECT_EQ(Json(r).GetString("resourceType"), "OperationOutcome") << c.target;
    EXPECT_NE(r.Header("Content-Type").find("application/fhir+json"), std::string_view::npos);
  }
}

TEST_F(RestApiTest, ContentNegotiation) {
  EXPECT_EQ(Do("GET", "/metadata", "", {{"accept", "application/fhir+xml"}}).status, 406);
  EXPECT_EQ(Do("GET", "/metadata?_format=xml").status, 406);
  EXPECT_EQ(Do("GET", "/metadata", "", {{"accept", "application/fhir+json"}}).status, 200);
  EXPECT_EQ(Do("GET", "/metadata", "", {{"accept", "text/html, */*;q=0.8"}}).status, 200);
  HttpRequest req;
  req.method = "POST";
  req.path = "/Patient";
  req.target = "/Patient";
  req.body = Patient("X");
  req.headers.emplace_back("content-type", "application/xml");
  EXPECT_EQ(api_->Handle(req).status, 415);
}

TEST_F(RestApiTest, PreferReturn) {
  HttpResponse minimal = Do("POST", "/Patient", Patient("Min"), {{"prefer", "return=minimal"}});
  EXPECT_EQ(minimal.status, 201);
  EXPECT_TRUE(minimal.body.empty());
  EXPECT_FALSE(minimal.Header("Location").empty());
  HttpResponse oo = Do("POST", "/Patient", Patient("OO"), {{"prefer", "return=OperationOutcome"}});
  EXPECT_EQ(oo.status, 201);
  EXPECT_EQ(Json(oo).GetString("resourceType"), "OperationOutcome");
}

TEST_F(RestApiTest, ConditionalReadHeaders) {
  std::string id = CreatePatient("Cond");
  HttpResponse r = Do("GET", "/Patient/" + id, "", {{"if-none-match", "W/\"1\""}});
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(Do("GET", "/Patient/" + id, "", {{"if-none-match", "W/\"2\""}}).status, 200);
  HttpResponse first = Do("GET", "/Patient/" + id);
  std::string lm(first.Header("Last-Modified"));
  EXPECT_EQ(Do("GET", "/Patient/" + id, "", {{"if-modified-since", lm}}).status, 304);
  EXPECT_EQ(
      Do("GET", "/Patient/" + id, "", {{"if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT"}})
          .status,
      200);
}

TEST_F(RestApiTest, ConditionalCreateUpdateDelete) {
  const std::string ident =
      R"(,"identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"12839140000"}])";
  const std::string criteria = "identifier=urn:oid:2.16.578.1.12.4.1.4.1|12839140000";
  HttpResponse a = Do("POST", "/Patient", Patient("A", ident), {{"if-none-exist", criteria}});
  EXPECT_EQ(a.status, 201);
  HttpResponse b = Do("POST", "/Patient", Patient("A", ident), {{"if-none-exist", criteria}});
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(Json(a).GetString("id"), Json(b).GetString("id"));

  HttpResponse upd = Do("PUT", "/Patient?" + criteria, Patient("B", ident));
  EXPECT_EQ(upd.status, 200) << upd.body;
  EXPECT_EQ(Json(upd).GetString("id"), Json(a).GetString("id"));

  // A second match makes conditional operations ambiguous: 412.
  Do("POST", "/Patient", Patient("C", ident));
  EXPECT_EQ(Do("POST", "/Patient", Patient("D", ident), {{"if-none-exist", criteria}}).status, 412);
  EXPECT_EQ(Do("PUT", "/Patient?" + criteria, Patient("E", ident)).status, 412);
  EXPECT_EQ(Do("DELETE", "/Patient?" + criteria).status, 412);
  // Unknown criteria never silently match everything.
  EXPECT_EQ(Do("DELETE", "/Patient?nonsense=1").status, 400);
}

TEST_F(RestApiTest, ConcurrentConditionalCreatesMakeOneResource) {
  const std::string ident =
      R"(,"identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"27918540070"}])";
  const std::string criteria = "identifier=urn:oid:2.16.578.1.12.4.1.4.1|27918540070";
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, ok{0};
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      HttpResponse r =
          Do("POST", "/Patient", Patient("Race", ident), {{"if-none-exist", criteria}});
      if (r.status == 201) ++created;
      if (r.status == 200) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(ok.load(), 11);
  Value bundle = Json(Do("GET", "/Patient?" + criteria + "&_total=accurate"));
  EXPECT_EQ(bundle.Find("total")->text(), "1");
}

TEST_F(RestApiTest, SearchPagingIsStableUnderWrites) {
  for (int i = 0; i < 5; ++i) CreatePatient("Page");
  Value page1 = Json(Do("GET", "/Patient?family=page&_count=2"));
  ASSERT_EQ(page1.Find("entry")->items().size(), 2u);
  std::string next;
  for (const Value& link : page1.Find("link")->items()) {
    if (link.GetString("relation") == "next") next = std::string(link.GetString("url"));
  }
  ASSERT_FALSE(next.empty());
  // Writes after page 1 must not shift page 2.
  for (int i = 0; i < 3; ++i) CreatePatient("Page");
  std::string target = next.substr(std::string("http://fhir.test").size());
  Value page2 = Json(Do("GET", target));
  ASSERT_EQ(page2.Find("entry")->items().size(), 2u);
  EXPECT_EQ(page2.Find("total")->text(), "5");
  std::set<std::string> seen;
  for (const Value* p : {&page1, &page2}) {
    for (const Value& e : p->Find("entry")->items())
      seen.insert(std::string(e.GetString("fullUrl")));
  }
  EXPECT_EQ(seen.size(), 4u);
}

TEST_F(RestApiTest, TransactionIsAtomicAndResolvesReferences) {
  std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
     "resource":{"resourceType":"Patient","name":[{"family":"Tx"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"fullUrl":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059",
     "resource":{"resourceType":"Observation","status":"final","code":{"text":"PHQ-9"},
       "subject":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}},
     "request":{"method":"POST","url":"Observation"}}]})";
  HttpResponse r = Do("POST", "/", tx);
  ASSERT_EQ(r.status, 200) << r.body;
  Value resp = Json(r);
  EXPECT_EQ(resp.GetString("type"), "transaction-response");
  const auto& entries = resp.Find("entry")->items();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].Find("response")->GetString("status"), "201 Created");
  std::string patient_id(entries[0].Find("resource")->GetString("id"));
  EXPECT_EQ(entries[1].Find("resource")->Find("subject")->GetString("reference"),
            "Patient/" + patient_id);

  // Second entry fails (If-Match on a missing resource): nothing of the first may remain.
  std::string bad = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:0b7b3e5a-0a40-4b6a-9bd5-5f3b3c8b9a01",
     "resource":{"resourceType":"Patient","name":[{"family":"Atomic"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Patient","id":"nope","name":[{"family":"Atomic"}]},
     "request":{"method":"PUT","url":"Patient/nope","ifMatch":"W/\"4\""}}]})";
  HttpResponse f = Do("POST", "/", bad);
  EXPECT_EQ(f.status, 412) << f.body;
  Value oo = Json(f);
  EXPECT_EQ(oo.GetString("resourceType"), "OperationOutcome");
  EXPECT_EQ(oo.Find("issue")->items()[0].Find("expression")->items()[0].text(), "Bundle.entry[1]");
  EXPECT_EQ(Json(Do("GET", "/Patient?family=atomic&_total=accurate")).Find("total")->text(), "0");
}

TEST_F(RestApiTest, BatchEntriesFailIndependently) {
  std::string batch = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Patient","name":[{"family":"Batch"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"GET","url":"Patient/missing"}}]})";
  HttpResponse r = Do("POST", "/", batch);
  ASSERT_EQ(r.status, 200) << r.body;
  Value resp = Json(r);
  EXPECT_EQ(resp.GetString("type"), "batch-response");
  const auto& entries = resp.Find("entry")->items();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].Find("response")->GetString("status"), "201 Created");
  EXPECT_EQ(entries[1].Find("response")->GetString("status"), "404 Not Found");
  EXPECT_EQ(entries[1].Find("response")->Find("outcome")->GetString("resourceType"),
            "OperationOutcome");
}

TEST_F(RestApiTest, SeedIsIdempotent) {
  std::string seed = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:6f1c7c1e-0d3b-4a39-9d7e-1a2b3c4d5e03",
     "resource":{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"04867840058"}]},
     "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:oid:2.16.578.1.12.4.1.4.1|04867840058"}}]})";
  ASSERT_TRUE(api_->SeedFromBundle(seed).ok());
  ASSERT_TRUE(api_->SeedFromBundle(seed).ok());
  Value all = Json(Do("GET", "/Patient?_total=accurate"));
  EXPECT_EQ(all.Find("total")->text(), "1");
}

TEST_F(RestApiTest, CapabilityStatementListsTypesAndSearchParams) {
  HttpResponse r = Do("GET", "/metadata");
  ASSERT_EQ(r.status, 200);
  Value cs = Json(r);
  EXPECT_EQ(cs.GetString("fhirVersion"), "4.0.1");
  const Value& rest = cs.Find("rest")->items()[0];
  bool saw_patient = false;
  for (const Value& res : rest.Find("resource")->items()) {
    if (res.GetString("type") != "Patient") continue;
    saw_patient = true;
    bool has_family = false;
    for (const Value& p : res.Find("searchParam")->items())
      has_family |= p.GetString("name") == "family";
    EXPECT_TRUE(has_family);
  }
  EXPECT_TRUE(saw_patient);
}

TEST_F(RestApiTest, ServesTheConfiguredTypesAndContainsAnyR4Type) {
  // Goal is served by default; Device is an R4 type the defaults leave out.
  HttpResponse goal = Do("POST", "/Goal", R"({"resourceType":"Goal","lifecycleStatus":"active",
      "description":{"text":"Sleep better"},"subject":{"reference":"Patient/p"}})");
  EXPECT_EQ(goal.status, 201) << goal.body;
  HttpResponse device = Do("POST", "/Device", R"({"resourceType":"Device","status":"active"})");
  EXPECT_EQ(device.status, 404) << device.body;
  EXPECT_NE(device.body.find("resource type 'Device' is not supported"), std::string::npos);
  EXPECT_EQ(Do("GET", "/Device").status, 404);
  // Not served: not a transaction entry either.
  HttpResponse tx = Do("POST", "/", R"({"resourceType":"Bundle","type":"transaction","entry":[
      {"resource":{"resourceType":"Device","status":"active"},
       "request":{"method":"POST","url":"Device"}}]})");
  EXPECT_EQ(tx.status, 400) << tx.body;
  // Contained resources of any R4 type are validated and round-trip: a Goal and a Specimen.
  const std::string care_plan = R"({"resourceType":"CarePlan","status":"active",
      "intent":"plan","subject":{"reference":"Patient/p"},
      "contained":[{"resourceType":"Goal","id":"g","lifecycleStatus":"active",
                    "description":{"text":"Sleep better"},"subject":{"reference":"Patient/p"}},
                   {"resourceType":"Specimen","id":"s","note":[{"text":"n/a"}]}],
      "goal":[{"reference":"#g"}],"supportingInfo":[{"reference":"#s"}]})";
  HttpResponse created = Do("POST", "/CarePlan", care_plan);
  ASSERT_EQ(created.status, 201) << created.body;
  Value stored = Json(Do("GET", "/CarePlan/" + std::string(Json(created).GetString("id"))));
  Value sent = *fhir::json::Parse(care_plan);
  EXPECT_EQ(*stored.Find("contained"), *sent.Find("contained"));
  // ... and an invalid one is refused with its path.
  HttpResponse bad = Do("POST", "/CarePlan", R"({"resourceType":"CarePlan","status":"active",
      "intent":"plan","subject":{"reference":"Patient/p"},
      "contained":[{"resourceType":"Goal","id":"g","description":{"text":"x"},
                    "subject":{"reference":"Patient/p"}}],"goal":[{"reference":"#g"}]})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("CarePlan.contained[0].lifecycleStatus"), std::string::npos) << bad.body;
  // The CapabilityStatement lists exactly the served types.
  Value cs = Json(Do("GET", "/metadata"));
  std::vector<std::string> listed;
  for (const Value& res : cs.Find("rest")->items()[0].Find("resource")->items()) {
    listed.emplace_back(res.GetString("type"));
  }
  EXPECT_EQ(listed, fhir::DefaultServedTypes());
}

TEST_F(RestApiTest, BundleLocalReferencesResolveOnlyInsideTheirBundle) {
  // Stored alone, a urn:uuid reference dangles.
  HttpResponse alone = Do("POST", "/Observation", R"({"resourceType":"Observation","status":"final",
      "code":{"text":"x"},"subject":{"reference":"urn:uuid:9d0fa3f5-3b54-4f06-8a1c-0d1f3e2b7a11"}})");
  EXPECT_EQ(alone.status, 400) << alone.body;
  EXPECT_NE(alone.body.find("Observation.subject.reference"), std::string::npos);
  // In a document Bundle it names one of the Bundle's own entries (R4 bundle.html#references).
  const std::string document = R"({"resourceType":"Bundle","type":"collection","entry":[
      {"fullUrl":"urn:uuid:9d0fa3f5-3b54-4f06-8a1c-0d1f3e2b7a11",
       "resource":{"resourceType":"Patient","active":true}},
      {"fullUrl":"urn:uuid:1c2b3a4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d",
       "resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},
       "subject":{"reference":"urn:uuid:REF"}}}]})";
  auto with_ref = [&](const std::string& ref) {
    std::string body = document;
    body.replace(body.find("REF"), 3, ref);
    return body;
  };
  HttpResponse ok = Do("POST", "/Bundle", with_ref("9d0fa3f5-3b54-4f06-8a1c-0d1f3e2b7a11"));
  EXPECT_EQ(ok.status, 201) << ok.body;
  HttpResponse missing = Do("POST", "/Bundle", with_ref("00000000-0000-4000-8000-000000000000"));
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_NE(missing.body.find("Bundle.entry[1].resource.subject.reference"), std::string::npos)
      << missing.body;
}

TEST(RestErrors, InternalErrorsKeepTheirDetailOutOfTheAnswer) {
  HttpResponse r = rest::ErrorResponse(
      common::Status(common::Code::kInternal, "SQL logic error (Expression tree is too large)"),
      rest::Rendering{});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("SQL"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("internal error in the gateway"), std::string::npos) << r.body;
  HttpResponse bad = rest::ErrorResponse(
      common::Status(common::Code::kInvalidArgument, "the request body is empty"),
      rest::Rendering{});
  EXPECT_NE(bad.body.find("the request body is empty"), std::string::npos);  // ours: shown
}

TEST_F(RestApiTest, SummaryAndElements) {
  std::string id = CreatePatient("Sum", R"(,"gender":"female","birthDate":"1990-01-01")");
  Value e = Json(Do("GET", "/Patient/" + id + "?_elements=gender"));
  EXPECT_NE(e.Find("gender"), nullptr);
  EXPECT_EQ(e.Find("name"), nullptr);
  EXPECT_EQ(e.Find("meta")->Find("tag")->items()[0].GetString("code"), "SUBSETTED");
  Value count = Json(Do("GET", "/Patient?_summary=count"));
  EXPECT_EQ(count.Find("total")->text(), "1");
  EXPECT_EQ(count.Find("entry"), nullptr);
}

TEST_F(RestApiTest, PostSearchReadsTheFormBody) {
  CreatePatient("Skjemasen");
  CreatePatient("Skjemasen");
  HttpRequest req;
  req.method = "POST";
  req.target = req.path = "/Patient/_search";
  req.query = {{"_count", "1"}};  // URL parameters and form parameters together
  req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  req.body = "family=Skjemas%65n&_total=accurate";
  req.context.request_id = "test";
  HttpResponse r = api_->Handle(req);
  ASSERT_EQ(r.status, 200) << r.body;
  Value b = Json(r);
  EXPECT_EQ(b.Find("total")->text(), "2");
  EXPECT_EQ(b.Find("entry")->items().size(), 1u);

  // Media types are case-insensitive and may carry parameters.
  req.headers = {{"content-type", "Application/X-WWW-Form-Urlencoded; charset=utf-8"}};
  EXPECT_EQ(api_->Handle(req).status, 200);

  req.body = "family=%zz";
  r = api_->Handle(req);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("malformed percent-encoding in the form body"), std::string::npos);

  req.headers = {{"content-type", "application/fhir+json"}};
  req.body = "{}";
  EXPECT_EQ(api_->Handle(req).status, 415);
}

TEST_F(RestApiTest, HeadKeepsTheBodyForTheEdgeToMeasure) {
  std::string id = CreatePatient("Hodesen");
  HttpResponse get = Do("GET", "/Patient/" + id);
  HttpResponse head = Do("HEAD", "/Patient/" + id);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body.size(), get.body.size());  // the edge drops it and keeps Content-Length
  EXPECT_EQ(head.Header("ETag"), get.Header("ETag"));
}

TEST_F(RestApiTest, SummaryCountHasNoPageLinksAndUnknownInstanceHistoryIs404) {
  CreatePatient("Tellesen");
  Value count = Json(Do("GET", "/Patient?_summary=count"));
  for (const Value& link : count.Find("link")->items()) {
    EXPECT_EQ(link.GetString("relation"), "self");
  }
  EXPECT_EQ(Do("GET", "/Patient/never-was/_history").status, 404);
  HttpResponse formatted =
      Do("GET", "/Patient/never-was?_format=json", "", {{"accept", "application/fhir+xml"}});
  EXPECT_EQ(formatted.status, 404) << "_format overrides Accept";
}

}  // namespace
}  // namespace gateway
