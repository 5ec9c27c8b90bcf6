// FHIR R4 batch and transaction (http.html#transaction) against the real gateway binary over
// real sockets: atomicity (verified by searching afterwards), urn:uuid and conditional
// reference resolution, conditional entries, per-entry batch outcomes and GET entries. All
// data is synthetic.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "integration/support/fhir_support.h"
#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace emg::test {
namespace {

using namespace fhirt;

class FhirBundle : public GatewaySuite {
 protected:
  // How many Patients carry this fødselsnummer.
  int64_t PatientsWith(const std::string& fnr) {
    return Total(
        c().GetBundle("/Patient?identifier=" + UrlEncode(std::string(kFnrSystem) + "|" + fnr)));
  }
  int64_t ObservationsTagged(const std::string& tag) {
    return Total(c().GetBundle("/Observation?identifier=" + UrlEncode(tag + "|")));
  }
};

std::string PatientResource(const std::string& fnr, std::string_view extra = {},
                            std::string_view id = {}) {
  std::string s = R"({"resourceType":"Patient")";
  if (!id.empty()) s += R"(,"id":")" + std::string(id) + "\"";
  s += R"(,"identifier":[{"system":")" + std::string(kFnrSystem) + R"(","value":")" + fnr +
       R"("}],"name":[{"family":"Buntsen","given":["Testperson"]}])";
  if (!extra.empty()) s += "," + std::string(extra);
  return s + "}";
}

// A Patient with an identifier of a test system (not the fødselsnummer system, which may be
// configured unique): two of them make a criterion match twice.
std::string DuplicablePatient(const std::string& system, const std::string& value) {
  return R"({"resourceType":"Patient","identifier":[{"system":")" + system + R"(","value":")" +
         value + R"("}]})";
}

std::string ObservationResource(const std::string& tag, const std::string& subject) {
  return R"({"resourceType":"Observation","identifier":[{"system":")" + tag + R"(","value":")" +
         Unique("o") +
         R"("}],"status":"final","code":{"text":"synthetic"},"subject":{"reference":")" + subject +
         R"("}})";
}

struct Entry {
  Entry(std::string full_url_, std::string method_, std::string url_, std::string resource_ = {},
        std::string request_extra_ = {})
      : full_url(std::move(full_url_)),
        method(std::move(method_)),
        url(std::move(url_)),
        resource(std::move(resource_)),
        request_extra(std::move(request_extra_)) {}
  std::string full_url;
  std::string method;
  std::string url;
  std::string resource;       // JSON or empty
  std::string request_extra;  // e.g. R"("ifNoneExist":"...")"
};

std::string BundleOf(std::string_view type, const std::vector<Entry>& entries) {
  std::string s = R"({"resourceType":"Bundle","type":")" + std::string(type) + R"(","entry":[)";
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (i > 0) s += ",";
    s += "{";
    if (!e.full_url.empty()) s += R"("fullUrl":")" + e.full_url + R"(",)";
    if (!e.resource.empty()) s += R"("resource":)" + e.resource + ",";
    s += R"("request":{"method":")" + e.method + R"(","url":")" + e.url + "\"";
    if (!e.request_extra.empty()) s += "," + e.request_extra;
    s += "}}";
  }
  return s + "]}";
}

// A fresh urn:uuid (synthetic, unique within the test process).
std::string Urn() {
  static std::atomic<uint64_t> next{0};
  uint64_t v = (next.fetch_add(1) + (static_cast<uint64_t>(::getpid()) << 24)) & 0xffffffffffffULL;
  char buf[64];
  std::snprintf(buf, sizeof buf, "urn:uuid:6f1c7c1e-0d3b-4a39-9d7e-%012llx",
                static_cast<unsigned long long>(v));
  return buf;
}

// "Patient/abc/_history/1" -> "abc".
std::string IdFromLocation(const std::string& location) {
  std::string path = PathOf(location);
  if (!path.empty() && path[0] == '/') path.erase(0, 1);
  size_t slash = path.find('/');
  if (slash == std::string::npos) return {};
  size_t end = path.find('/', slash + 1);
  return path.substr(slash + 1, end == std::string::npos ? std::string::npos : end - slash - 1);
}

TEST_F(FhirBundle, TransactionCreatesEverythingAndRewritesUrnUuidReferences) {
  std::string fnr = NextFnr();
  std::string tag = "urn:emg-test:" + Unique("tx");
  std::string patient = Urn(), observation = Urn(), org = Urn();
  std::string client_id = Unique("tx-client-");
  std::string bundle = BundleOf(
      "transaction",
      {{patient, "POST", "Patient", PatientResource(fnr)},
       {observation, "POST", "Observation", ObservationResource(tag, patient)},
       {"", "PUT", "Patient/" + client_id,
        PatientResource(NextFnr(), R"("managingOrganization":{"reference":")" + org + R"("})",
                        client_id)},
       {org, "POST", "Organization",
        R"({"resourceType":"Organization","name":"Synthetic clinic"})"}});
  HttpResult r = c().Post("/", bundle);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(IsFhirJson(r));
  Json out = ParseJson(r.body);
  EXPECT_EQ(Str(out, "resourceType"), "Bundle");
  EXPECT_EQ(Str(out, "type"), "transaction-response");
  ASSERT_EQ(Count(out, "entry"), 4u);
  for (size_t i = 0; i < 4; ++i) {
    std::string e = "entry." + std::to_string(i);
    EXPECT_EQ(Str(out, e + ".response.status").substr(0, 3), "201") << i;
    EXPECT_EQ(Str(out, e + ".response.etag"), "W/\"1\"") << i;
    EXPECT_FALSE(Str(out, e + ".response.lastModified").empty()) << i;
    EXPECT_NE(Str(out, e + ".response.location").find("/_history/1"), std::string::npos) << i;
    EXPECT_EQ(Str(out, e + ".resource.meta.versionId"), "1") << i;
  }
  std::string pid = IdFromLocation(Str(out, "entry.0.response.location"));
  std::string oid = IdFromLocation(Str(out, "entry.1.response.location"));
  std::string orgid = IdFromLocation(Str(out, "entry.3.response.location"));
  EXPECT_EQ(IdFromLocation(Str(out, "entry.2.response.location")), client_id);
  EXPECT_TRUE(Str(out, "entry.0.fullUrl").ends_with("/Patient/" + pid));
  Json obs = ParseJson(c().Get("/Observation/" + oid).body);
  EXPECT_EQ(Str(obs, "subject.reference"), "Patient/" + pid);
  Json put = ParseJson(c().Get("/Patient/" + client_id).body);
  EXPECT_EQ(Str(put, "managingOrganization.reference"), "Organization/" + orgid);
  EXPECT_EQ(PatientsWith(fnr), 1);
  // The search index sees the rewritten reference.
  EXPECT_EQ(Total(c().GetBundle("/Observation?subject=Patient/" + pid)), 1);

  // The same PUT again is an update.
  r = c().Post("/", BundleOf("transaction", {{"", "PUT", "Patient/" + client_id,
                                              PatientResource(NextFnr(), "", client_id)}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Str(ParseJson(r.body), "entry.0.response.status").substr(0, 3), "200");
  EXPECT_EQ(Str(ParseJson(r.body), "entry.0.response.etag"), "W/\"2\"");
}

TEST_F(FhirBundle, TransactionIsAllOrNothing) {
  std::string existing_fnr = NextFnr();
  std::string existing = c().Create("Patient", PatientResource(existing_fnr));
  std::string victim_fnr = NextFnr();
  std::string victim = c().Create("Patient", PatientResource(victim_fnr));
  ASSERT_FALSE(existing.empty());
  ASSERT_FALSE(victim.empty());
  std::string tag = "urn:emg-test:" + Unique("atomic");
  struct Case {
    std::string name;
    int status;
    std::string expression;  // an issue expression that must be present, or ""
    std::vector<Entry> bad;  // after a valid POST Patient and POST Observation, before a DELETE
  };
  std::string dup = Urn();
  std::vector<Case> cases = {
      {"invalid resource",
       400,
       "Bundle.entry[2].resource.gender",
       {{"", "POST", "Patient", PatientResource(NextFnr(), R"("gender":"robot")")}}},
      {"stale ifMatch",
       412,
       "Bundle.entry[2]",
       {{"", "PUT", "Patient/" + existing, PatientResource(existing_fnr, "", existing),
         R"("ifMatch":"W/\"7\"")"}}},
      {"conditional update with two matches",
       412,
       "Bundle.entry[2]",
       {{"", "PUT", "Patient?name=Buntsen", PatientResource(NextFnr())}}},
      {"unresolvable conditional reference",
       412,
       "",
       {{"", "POST", "Observation",
         ObservationResource(tag, "Patient?identifier=urn:emg-test:none|none")}}},
      {"unresolved urn:uuid",
       400,
       "",
       {{"", "POST", "Observation", ObservationResource(tag, Urn())}}},
      {"delete and change the same resource",
       400,
       "",
       {{"", "PUT", "Patient/" + victim, PatientResource(victim_fnr, "", victim)}}},
      {"duplicate fullUrl",
       400,
       "",
       {{dup, "POST", "Patient", PatientResource(NextFnr())},
        {dup, "POST", "Patient", PatientResource(NextFnr())}}},
      {"unknown type", 400, "", {{"", "POST", "Frobnicate", R"({"resourceType":"Frobnicate"})"}}},
      {"type mismatch", 400, "", {{"", "POST", "Organization", PatientResource(NextFnr())}}},
      {"id mismatch", 400, "", {{"", "PUT", "Patient/abc", PatientResource(NextFnr(), "", "xyz")}}},
  };
  ASSERT_FALSE(c().Create("Patient", PatientResource(NextFnr())).empty());  // two "Buntsen"s
  for (const Case& k : cases) {
    std::string fnr = NextFnr();
    std::string p = Urn();
    std::vector<Entry> entries = {{p, "POST", "Patient", PatientResource(fnr)},
                                  {"", "POST", "Observation", ObservationResource(tag, p)}};
    for (const Entry& e : k.bad) entries.push_back(e);
    entries.push_back({"", "DELETE", "Patient/" + victim, ""});
    HttpResult r = c().Post("/", BundleOf("transaction", entries));
    EXPECT_TRUE(IsOutcome(r, k.status, "", k.expression)) << k.name;
    EXPECT_EQ(PatientsWith(fnr), 0) << k.name;
    EXPECT_EQ(ObservationsTagged(tag), 0) << k.name;
    HttpResult still = c().Get("/Patient/" + victim);
    EXPECT_EQ(still.status, 200) << k.name << ": the DELETE was rolled back";
    EXPECT_EQ(still.Header("etag"), "W/\"1\"") << k.name;
    EXPECT_EQ(c().Get("/Patient/" + existing).Header("etag"), "W/\"1\"") << k.name;
  }
}

TEST_F(FhirBundle, ConditionalReferencesAreResolvedInsideTheTransaction) {
  std::string fnr = NextFnr();
  std::string pid = c().Create("Patient", PatientResource(fnr));
  ASSERT_FALSE(pid.empty());
  std::string tag = "urn:emg-test:" + Unique("cref");
  std::string ref = "Patient?identifier=" + std::string(kFnrSystem) + "|" + fnr;
  HttpResult r = c().Post(
      "/", BundleOf("transaction", {{"", "POST", "Observation", ObservationResource(tag, ref)}}));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string oid = IdFromLocation(Str(ParseJson(r.body), "entry.0.response.location"));
  EXPECT_EQ(Str(ParseJson(c().Get("/Observation/" + oid).body), "subject.reference"),
            "Patient/" + pid);

  // An identifier system that is a URL (it contains '/').
  std::string mrn = Unique("mrn");
  std::string url_pid = c().Create(
      "Patient",
      R"({"resourceType":"Patient","identifier":[{"system":"http://emg.test/fhir/mrn","value":")" +
          mrn + R"("}]})");
  ASSERT_FALSE(url_pid.empty());
  r = c().Post(
      "/",
      BundleOf("transaction",
               {{"", "POST", "Observation",
                 ObservationResource(tag, "Patient?identifier=http://emg.test/fhir/mrn|" + mrn)}}));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string url_oid = IdFromLocation(Str(ParseJson(r.body), "entry.0.response.location"));
  EXPECT_EQ(Str(ParseJson(c().Get("/Observation/" + url_oid).body), "subject.reference"),
            "Patient/" + url_pid);

  // Several matches: the transaction fails and writes nothing.
  std::string dup_system = "urn:emg-test:" + Unique("dup");
  std::string twice = dup_system + "|v";
  ASSERT_FALSE(c().Create("Patient", DuplicablePatient(dup_system, "v")).empty());
  ASSERT_FALSE(c().Create("Patient", DuplicablePatient(dup_system, "v")).empty());
  std::string tag2 = "urn:emg-test:" + Unique("cref2");
  r = c().Post(
      "/", BundleOf("transaction", {{"", "POST", "Observation",
                                     ObservationResource(tag2, "Patient?identifier=" + twice)}}));
  EXPECT_TRUE(IsOutcome(r, 412));
  EXPECT_EQ(ObservationsTagged(tag2), 0);
  // Criteria that do not parse are a 400.
  r = c().Post(
      "/", BundleOf("transaction", {{"", "POST", "Observation",
                                     ObservationResource(tag2, "Patient?birthdate=notadate")}}));
  EXPECT_TRUE(IsOutcome(r, 400));
}

TEST_F(FhirBundle, IfNoneExistInsideATransaction) {
  std::string fnr = NextFnr();
  std::string tag = "urn:emg-test:" + Unique("ine");
  std::string p = Urn();
  std::string ine = R"("ifNoneExist":"identifier=)" + std::string(kFnrSystem) + "|" + fnr + "\"";
  std::string bundle =
      BundleOf("transaction", {{p, "POST", "Patient", PatientResource(fnr), ine},
                               {"", "POST", "Observation", ObservationResource(tag, p)}});
  HttpResult first = c().Post("/", bundle);
  ASSERT_EQ(first.status, 200) << first.body;
  Json a = ParseJson(first.body);
  EXPECT_EQ(Str(a, "entry.0.response.status").substr(0, 3), "201");
  std::string pid = IdFromLocation(Str(a, "entry.0.response.location"));
  HttpResult second = c().Post("/", bundle);
  ASSERT_EQ(second.status, 200) << second.body;
  Json b = ParseJson(second.body);
  EXPECT_EQ(Str(b, "entry.0.response.status").substr(0, 3), "200");
  EXPECT_EQ(IdFromLocation(Str(b, "entry.0.response.location")), pid);
  EXPECT_EQ(Str(b, "entry.1.response.status").substr(0, 3), "201");
  EXPECT_EQ(PatientsWith(fnr), 1);
  EXPECT_EQ(ObservationsTagged(tag), 2);
  // Both Observations point at the one Patient.
  EXPECT_EQ(Total(c().GetBundle("/Observation?identifier=" + UrlEncode(tag + "|") +
                                "&subject=Patient/" + pid)),
            2);

  // ifNoneExist matching several: 412, nothing written.
  std::string dup_system = "urn:emg-test:" + Unique("dup");
  ASSERT_FALSE(c().Create("Patient", DuplicablePatient(dup_system, "v")).empty());
  ASSERT_FALSE(c().Create("Patient", DuplicablePatient(dup_system, "v")).empty());
  std::string tag2 = "urn:emg-test:" + Unique("ine2");
  std::string p2 = Urn();
  HttpResult r = c().Post(
      "/", BundleOf("transaction", {{p2, "POST", "Patient", DuplicablePatient(dup_system, "v"),
                                     R"("ifNoneExist":"identifier=)" + dup_system + "|v\""},
                                    {"", "POST", "Observation", ObservationResource(tag2, p2)}}));
  EXPECT_TRUE(IsOutcome(r, 412, "", "Bundle.entry[0]"));
  EXPECT_EQ(ObservationsTagged(tag2), 0);
  EXPECT_EQ(Total(c().GetBundle("/Patient?identifier=" + UrlEncode(dup_system + "|v"))), 2);
}

TEST_F(FhirBundle, BatchEntriesSucceedAndFailIndependently) {
  std::string keep_fnr = NextFnr();
  std::string keep = c().Create("Patient", PatientResource(keep_fnr));
  std::string doomed = c().Create("Patient", PatientResource(NextFnr()));
  ASSERT_FALSE(keep.empty());
  ASSERT_FALSE(doomed.empty());
  std::string fnr = NextFnr();
  std::string bundle = BundleOf(
      "batch",
      {{"", "POST", "Patient", PatientResource(fnr)},
       {"", "POST", "Patient", PatientResource(NextFnr(), R"("gender":"robot")")},
       {"", "GET", "Patient/" + keep, ""},
       {"", "GET", "Patient/no-such-patient-4717", ""},
       {"", "PUT", "Patient/" + keep, PatientResource(keep_fnr, "", keep),
        R"("ifMatch":"W/\"9\"")"},
       {"", "DELETE", "Patient/" + doomed, ""},
       {"", "GET", "Patient?identifier=" + UrlEncode(std::string(kFnrSystem) + "|" + keep_fnr), ""},
       {"", "POST", "Frobnicate", R"({"resourceType":"Frobnicate"})"}});
  HttpResult r = c().Post("/", bundle);
  ASSERT_EQ(r.status, 200) << r.body;
  Json out = ParseJson(r.body);
  EXPECT_EQ(Str(out, "type"), "batch-response");
  ASSERT_EQ(Count(out, "entry"), 8u);
  auto status = [&](size_t i) {
    return Str(out, "entry." + std::to_string(i) + ".response.status").substr(0, 3);
  };
  auto outcome_code = [&](size_t i) {
    std::string e = "entry." + std::to_string(i) + ".response.outcome";
    EXPECT_EQ(Str(out, e + ".resourceType"), "OperationOutcome") << i;
    EXPECT_EQ(Str(out, e + ".issue.0.severity"), "error") << i;
    return Str(out, e + ".issue.0.code");
  };
  EXPECT_EQ(status(0), "201");
  EXPECT_EQ(Str(out, "entry.0.resource.resourceType"), "Patient");
  std::string created = Str(out, "entry.0.resource.id");
  EXPECT_TRUE(Str(out, "entry.0.fullUrl").ends_with("/Patient/" + created))
      << Str(out, "entry.0.fullUrl");
  EXPECT_EQ(status(1), "400");
  EXPECT_EQ(outcome_code(1), "code-invalid");
  EXPECT_EQ(Str(out, "entry.1.response.outcome.issue.0.expression.0"), "Patient.gender");
  EXPECT_EQ(status(2), "200");
  EXPECT_EQ(Str(out, "entry.2.resource.id"), keep);
  EXPECT_EQ(Str(out, "entry.2.response.etag"), "W/\"1\"");
  EXPECT_EQ(status(3), "404");
  EXPECT_EQ(outcome_code(3), "not-found");
  EXPECT_EQ(status(4), "412");
  EXPECT_EQ(outcome_code(4), "conflict");
  EXPECT_TRUE(status(5) == "204" || status(5) == "200") << status(5);
  EXPECT_EQ(status(6), "200");
  EXPECT_EQ(Str(out, "entry.6.resource.type"), "searchset");
  EXPECT_EQ(Total(*At(out, "entry.6.resource")), 1);
  EXPECT_EQ(status(7), "404");
  // The successes took effect, the failures did not.
  EXPECT_EQ(PatientsWith(fnr), 1);
  EXPECT_EQ(c().Get("/Patient/" + doomed).status, 410);
  EXPECT_EQ(c().Get("/Patient/" + keep).Header("etag"), "W/\"1\"");
}

TEST_F(FhirBundle, GetEntriesInATransactionSeeItsWritesAndPreferMinimalDropsBodies) {
  std::string fnr = NextFnr();
  std::string query = "Patient?identifier=" + UrlEncode(std::string(kFnrSystem) + "|" + fnr);
  HttpResult r = c().Post(
      "/", BundleOf("transaction",
                    {{"", "GET", query, ""}, {Urn(), "POST", "Patient", PatientResource(fnr)}}));
  ASSERT_EQ(r.status, 200) << r.body;
  Json out = ParseJson(r.body);
  EXPECT_EQ(Str(out, "entry.0.response.status").substr(0, 3), "200");
  EXPECT_EQ(Total(*At(out, "entry.0.resource")), 1) << "reads run after the writes";
  EXPECT_EQ(Str(out, "entry.1.response.status").substr(0, 3), "201");

  std::string fnr2 = NextFnr();
  r = c().Post("/", BundleOf("transaction", {{Urn(), "POST", "Patient", PatientResource(fnr2)}}),
               {{"Prefer", "return=minimal"}});
  ASSERT_EQ(r.status, 200) << r.body;
  out = ParseJson(r.body);
  EXPECT_EQ(At(out, "entry.0.resource"), nullptr);
  EXPECT_FALSE(Str(out, "entry.0.response.location").empty());
  EXPECT_EQ(PatientsWith(fnr2), 1);
}

TEST_F(FhirBundle, BundleLevelErrors) {
  EXPECT_TRUE(IsOutcome(c().Post("/", PatientResource(NextFnr())), 400, "", "resourceType"));
  EXPECT_TRUE(IsOutcome(c().Post("/", R"({"resourceType":"Bundle","type":"collection"})"), 400, "",
                        "Bundle.type"));
  EXPECT_TRUE(
      IsOutcome(c().Post("/", R"({"resourceType":"Bundle","type":"transaction","entry":[)"), 400));
  EXPECT_TRUE(IsOutcome(
      c().Post(
          "/",
          R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"}}]})"),
      400));
  // An empty transaction is fine.
  HttpResult empty = c().Post("/", R"({"resourceType":"Bundle","type":"transaction"})");
  EXPECT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(Str(ParseJson(empty.body), "type"), "transaction-response");
}

class FhirBundleLimits : public FhirBundle {
 protected:
  static void SetUpTestSuite() {
    GatewayOptions o;
    o.env = {{"EMG_MAX_BUNDLE_ENTRIES", "2"}};
    SharedGateway::Start(gateway_, std::move(o));
  }
};

TEST_F(FhirBundleLimits, TooManyEntriesIsRefused) {
  std::string fnr = NextFnr();
  std::vector<Entry> three = {{Urn(), "POST", "Patient", PatientResource(fnr)},
                              {Urn(), "POST", "Patient", PatientResource(NextFnr())},
                              {Urn(), "POST", "Patient", PatientResource(NextFnr())}};
  for (const char* type : {"transaction", "batch"}) {
    EXPECT_TRUE(IsOutcome(c().Post("/", BundleOf(type, three)), 413, "too-long", "Bundle.entry"))
        << type;
  }
  EXPECT_EQ(PatientsWith(fnr), 0);
  three.pop_back();
  EXPECT_EQ(c().Post("/", BundleOf("transaction", three)).status, 200);
  EXPECT_EQ(PatientsWith(fnr), 1);
}

}  // namespace
}  // namespace emg::test
