// FHIR R4 RESTful API conformance (http.html) of the real gateway binary over real sockets:
// the instance and type interactions, history, versioning headers, Prefer, content
// negotiation, error responses and the CapabilityStatement. Search is in
// fhir_search_conformance_test.cpp, batch/transaction in fhir_bundle_conformance_test.cpp.
// All data is synthetic.

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "integration/support/fhir_support.h"
#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace emg::test {
namespace {

using namespace fhirt;
using namespace std::chrono_literals;

std::string PatientJson(std::string_view fnr, std::string_view family, std::string_view extra = {},
                        std::string_view id = {}) {
  std::string s = R"({"resourceType":"Patient")";
  if (!id.empty()) s += R"(,"id":")" + std::string(id) + "\"";
  s += R"(,"identifier":[{"system":")" + std::string(kFnrSystem) + R"(","value":")" +
       std::string(fnr) + R"("}])";
  s += R"(,"name":[{"family":")" + std::string(family) + R"(","given":["Testperson"]}])";
  if (!extra.empty()) s += "," + std::string(extra);
  return s + "}";
}

class FhirConformance : public GatewaySuite {};

// ---- Synthetic identities ---------------------------------------------------------------------

TEST(FhirTestData, SyntheticFodselsnummerHasValidMod11CheckDigits) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string fnr = NextFnr();
    ASSERT_EQ(fnr.size(), 11u);
    EXPECT_TRUE(seen.insert(fnr).second) << fnr;
    int day = (fnr[0] - '0') * 10 + (fnr[1] - '0');
    int month = (fnr[2] - '0') * 10 + (fnr[3] - '0');
    EXPECT_GE(day, 1);
    EXPECT_LE(day, 31);
    EXPECT_GE(month, 81) << "synthetic numbers have month + 80";
    EXPECT_LE(month, 92);
    // Both check digits: the weighted sums including the check digit are divisible by 11.
    static constexpr int kW1[10] = {3, 7, 6, 1, 8, 9, 4, 5, 2, 1};
    static constexpr int kW2[11] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1};
    int s1 = 0, s2 = 0;
    for (int k = 0; k < 10; ++k) s1 += kW1[k] * (fnr[k] - '0');
    for (int k = 0; k < 11; ++k) s2 += kW2[k] * (fnr[k] - '0');
    EXPECT_EQ(s1 % 11, 0) << fnr;
    EXPECT_EQ(s2 % 11, 0) << fnr;
  }
  // Remainder 1 has no check digit: such an individual number is skipped, never emitted.
  int invalid = 0;
  for (int individual = 0; individual < 1000; ++individual) {
    if (!SyntheticFnr(1, 1, 91, individual)) ++invalid;
  }
  EXPECT_GT(invalid, 0);
}

// ---- create / read / vread / update / delete -------------------------------------------------

TEST_F(FhirConformance, CreateReturns201WithLocationETagAndLastModified) {
  FhirClient c = Client();
  HttpResult r = c.Post("/Patient", PatientJson(NextFnr(), "Opprettsen", "", "client-chosen"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(IsFhirJson(r)) << r.Header("content-type");
  Json body = ParseJson(r.body);
  ASSERT_FALSE(body.HasParseError());
  std::string id = Str(body, "id");
  ASSERT_FALSE(id.empty());
  EXPECT_NE(id, "client-chosen") << "create assigns the id (http.html#create)";
  EXPECT_EQ(Str(body, "meta.versionId"), "1");
  std::string location = r.Header("location");
  EXPECT_EQ(location, "http://127.0.0.1:" + std::to_string(gateway_->port()) + "/Patient/" + id +
                          "/_history/1");
  EXPECT_EQ(r.Header("etag"), "W/\"1\"");
  auto modified = HttpDateSeconds(r.Header("last-modified"));
  auto updated = InstantMillis(Str(body, "meta.lastUpdated"));
  ASSERT_TRUE(modified.has_value()) << r.Header("last-modified");
  ASSERT_TRUE(updated.has_value()) << Str(body, "meta.lastUpdated");
  EXPECT_EQ(*modified, *updated / 1000);
  // The Location is readable.
  HttpResult read = c.Get(PathOf(location));
  EXPECT_EQ(read.status, 200);
}

TEST_F(FhirConformance, ReadAndVreadCarryETagAndLastModified) {
  FhirClient c = Client();
  std::string fnr = NextFnr();
  std::string id = c.Create("Patient", PatientJson(fnr, "Lesesen"));
  ASSERT_FALSE(id.empty());
  HttpResult r = c.Get("/Patient/" + id);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(IsFhirJson(r));
  EXPECT_EQ(r.Header("etag"), "W/\"1\"");
  EXPECT_TRUE(HttpDateSeconds(r.Header("last-modified")).has_value());
  Json v1 = ParseJson(r.body);
  EXPECT_EQ(Str(v1, "id"), id);
  EXPECT_EQ(Str(v1, "name.0.family"), "Lesesen");

  HttpResult put = c.Put("/Patient/" + id, PatientJson(fnr, "Endretsen", "", id));
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.Header("etag"), "W/\"2\"");
  EXPECT_EQ(Str(ParseJson(put.body), "meta.versionId"), "2");

  r = c.Get("/Patient/" + id);
  EXPECT_EQ(r.Header("etag"), "W/\"2\"");
  EXPECT_EQ(Str(ParseJson(r.body), "name.0.family"), "Endretsen");

  HttpResult old = c.Get("/Patient/" + id + "/_history/1");
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(old.Header("etag"), "W/\"1\"");
  EXPECT_TRUE(HttpDateSeconds(old.Header("last-modified")).has_value());
  Json old_body = ParseJson(old.body);
  EXPECT_EQ(Str(old_body, "meta.versionId"), "1");
  EXPECT_EQ(Str(old_body, "name.0.family"), "Lesesen");
  EXPECT_EQ(c.Get("/Patient/" + id + "/_history/2").Header("etag"), "W/\"2\"");

  EXPECT_TRUE(IsOutcome(c.Get("/Patient/" + id + "/_history/3"), 404, "not-found"));
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/" + id + "/_history/x"), 404, "not-found"));
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/no-such-patient-4711"), 404, "not-found"));
}

TEST_F(FhirConformance, HeadOnReadHasTheHeadersOfGetWithoutABody) {
  FhirClient c = Client();
  std::string id = c.Create("Patient", PatientJson(NextFnr(), "Hodesen"));
  ASSERT_FALSE(id.empty());
  HttpResult get = c.Get("/Patient/" + id);
  HttpResult head = c.Head("/Patient/" + id);
  ASSERT_TRUE(head.ok) << head.error;
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.Header("etag"), "W/\"1\"");
  EXPECT_EQ(head.Header("last-modified"), get.Header("last-modified"));
  EXPECT_TRUE(IsFhirJson(head));
  EXPECT_EQ(head.Header("content-length"), std::to_string(get.body.size()));
  HttpResult vhead = c.Head("/Patient/" + id + "/_history/1");
  EXPECT_EQ(vhead.status, 200);
  EXPECT_TRUE(vhead.body.empty());
  HttpResult missing = c.Head("/Patient/no-such-patient-4712");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.body.empty());
  // The connection is still usable (no body bytes were left on it).
  EXPECT_EQ(c.Get("/Patient/" + id).status, 200);
  // HEAD is answered wherever GET is: searches, history, the CapabilityStatement.
  for (const std::string& path : {std::string("/Patient?family=hodesen"),
                                  "/Patient/" + id + "/_history", std::string("/metadata")}) {
    HttpResult g = c.Get(path);
    HttpResult h = c.Head(path);
    ASSERT_TRUE(h.ok) << path << ": " << h.error;
    EXPECT_EQ(h.status, 200) << path;
    EXPECT_TRUE(h.body.empty()) << path;
    EXPECT_TRUE(IsFhirJson(h)) << path;
    EXPECT_FALSE(g.body.empty()) << path;
  }
  EXPECT_EQ(c.Get("/metadata").status, 200);
}

TEST_F(FhirConformance, UpdateOfANewIdCreatesIt) {
  FhirClient c = Client();
  std::string id = Unique("client-id-");
  std::string fnr = NextFnr();
  HttpResult r = c.Put("/Patient/" + id, PatientJson(fnr, "Klientsen", "", id));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Header("etag"), "W/\"1\"");
  EXPECT_EQ(PathOf(r.Header("location")), "/Patient/" + id + "/_history/1");
  EXPECT_EQ(Str(ParseJson(r.body), "id"), id);
  r = c.Put("/Patient/" + id, PatientJson(fnr, "Klientsen", R"("gender":"female")", id));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("etag"), "W/\"2\"");
  EXPECT_EQ(Str(ParseJson(c.Get("/Patient/" + id).body), "gender"), "female");
}

TEST_F(FhirConformance, DeleteMakesReadsGoneAndKeepsHistory) {
  FhirClient c = Client();
  std::string fnr = NextFnr();
  std::string id = c.Create("Patient", PatientJson(fnr, "Slettesen"));
  ASSERT_FALSE(id.empty());
  HttpResult del = c.Delete("/Patient/" + id);
  ASSERT_TRUE(del.status == 204 || del.status == 200) << del.status << " " << del.body;
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/" + id), 410, "deleted"));
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/" + id + "/_history/2"), 410, "deleted"));
  EXPECT_EQ(c.Get("/Patient/" + id + "/_history/1").status, 200);
  // Deleting again is not an error.
  HttpResult again = c.Delete("/Patient/" + id);
  EXPECT_TRUE(again.status == 204 || again.status == 200) << again.status;
  // The resource is gone from search.
  Json found = c.GetBundle("/Patient?identifier=" + UrlEncode(fnr));
  EXPECT_TRUE(EntryIds(found).empty());
  // History still lists both versions, the deletion first and without a resource.
  Json history = c.GetBundle("/Patient/" + id + "/_history");
  EXPECT_EQ(Str(history, "type"), "history");
  EXPECT_EQ(Total(history), 2);
  ASSERT_EQ(Count(history, "entry"), 2u);
  EXPECT_EQ(Str(history, "entry.0.request.method"), "DELETE");
  EXPECT_EQ(At(history, "entry.0.resource"), nullptr);
  EXPECT_EQ(Str(history, "entry.0.response.etag"), "W/\"2\"");
  EXPECT_EQ(Str(history, "entry.1.resource.meta.versionId"), "1");
  // A PUT brings it back as a new version.
  HttpResult back = c.Put("/Patient/" + id, PatientJson(fnr, "Slettesen", "", id));
  EXPECT_EQ(back.status, 201) << back.body;
  EXPECT_EQ(back.Header("etag"), "W/\"3\"");
  // Deleting an id that never existed.
  HttpResult none = c.Delete("/Patient/never-existed-4713");
  EXPECT_TRUE(none.status == 404 || none.status == 204 || none.status == 200) << none.status;
  if (none.status == 404) {
    EXPECT_TRUE(IsOutcome(none, 404, "not-found"));
  }
}

TEST_F(FhirConformance, ConditionalUpdateCreatesUpdatesOrFailsOnSeveralMatches) {
  FhirClient c = Client();
  std::string fnr = NextFnr();
  std::string url = "/Patient?identifier=" + UrlEncode(std::string(kFnrSystem) + "|" + fnr);
  HttpResult created = c.Put(url, PatientJson(fnr, "Betingetsen"));
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = Str(ParseJson(created.body), "id");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(created.Header("etag"), "W/\"1\"");

  HttpResult updated = c.Put(url, PatientJson(fnr, "Betingetsen", R"("gender":"male")"));
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Str(ParseJson(updated.body), "id"), id);
  EXPECT_EQ(updated.Header("etag"), "W/\"2\"");

  // A body id that differs from the matched resource's id.
  EXPECT_TRUE(IsOutcome(c.Put(url, PatientJson(fnr, "Betingetsen", "", "some-other-id")), 400));

  // Two matches: 412, and nothing is written.
  std::string family = Unique("Dobbel");
  ASSERT_FALSE(c.Create("Patient", PatientJson(NextFnr(), family)).empty());
  ASSERT_FALSE(c.Create("Patient", PatientJson(NextFnr(), family)).empty());
  HttpResult two = c.Put("/Patient?family:exact=" + family, PatientJson(NextFnr(), family));
  EXPECT_TRUE(IsOutcome(two, 412));
  EXPECT_EQ(Total(c.GetBundle("/Patient?family:exact=" + family)), 2);
  EXPECT_EQ(c.Get("/Patient/" + id).Header("etag"), "W/\"2\"");
  // Criteria that cannot be evaluated are rejected rather than ignored.
  EXPECT_TRUE(IsOutcome(c.Put("/Patient?no-such-param=1", PatientJson(fnr, "X")), 400));
}

TEST_F(FhirConformance, ConditionalDeleteDeletesOneAndRefusesSeveral) {
  FhirClient c = Client();
  std::string fnr = NextFnr();
  std::string id = c.Create("Patient", PatientJson(fnr, "Betingetslett"));
  ASSERT_FALSE(id.empty());
  HttpResult del =
      c.Delete("/Patient?identifier=" + UrlEncode(std::string(kFnrSystem) + "|" + fnr));
  EXPECT_TRUE(del.status == 204 || del.status == 200) << del.status << " " << del.body;
  EXPECT_EQ(c.Get("/Patient/" + id).status, 410);
  // No match: an ordinary delete of nothing.
  HttpResult none =
      c.Delete("/Patient?identifier=" + UrlEncode(std::string(kFnrSystem) + "|" + fnr));
  EXPECT_TRUE(none.status == 204 || none.status == 200 || none.status == 404) << none.status;
  // Several matches: this server deletes at most one (conditionalDelete = single) -> 412.
  std::string family = Unique("Flerslett");
  std::string a = c.Create("Patient", PatientJson(NextFnr(), family));
  std::string b = c.Create("Patient", PatientJson(NextFnr(), family));
  EXPECT_TRUE(IsOutcome(c.Delete("/Patient?family:exact=" + family), 412));
  EXPECT_EQ(c.Get("/Patient/" + a).status, 200);
  EXPECT_EQ(c.Get("/Patient/" + b).status, 200);
  EXPECT_TRUE(IsOutcome(c.Delete("/Patient"), 400));
}

TEST_F(FhirConformance, ConditionalCreateWithIfNoneExist) {
  FhirClient c = Client();
  std::string fnr = NextFnr();
  Headers ine = {{"If-None-Exist", "identifier=" + UrlEncode(std::string(kFnrSystem) + "|" + fnr)}};
  HttpResult first = c.Post("/Patient", PatientJson(fnr, "Finnesikke"), ine);
  ASSERT_EQ(first.status, 201) << first.body;
  std::string id = Str(ParseJson(first.body), "id");
  HttpResult second =
      c.Post("/Patient", PatientJson(fnr, "Finnesikke", R"("gender":"other")"), ine);
  ASSERT_EQ(second.status, 200) << second.body;
  Json existing = ParseJson(second.body);
  EXPECT_EQ(Str(existing, "id"), id);
  EXPECT_EQ(Str(existing, "meta.versionId"), "1");
  EXPECT_EQ(Str(existing, "gender"), "") << "the existing resource is returned unchanged";
  EXPECT_EQ(second.Header("etag"), "W/\"1\"");
  // The "Type?query" form of the header is accepted too.
  Headers full = {{"If-None-Exist", "Patient?identifier=" + UrlEncode(fnr)}};
  EXPECT_EQ(c.Post("/Patient", PatientJson(fnr, "Finnesikke"), full).status, 200);
  EXPECT_EQ(Total(c.GetBundle("/Patient?identifier=" + UrlEncode(fnr))), 1);

  std::string family = Unique("Tvilling");
  ASSERT_FALSE(c.Create("Patient", PatientJson(NextFnr(), family)).empty());
  ASSERT_FALSE(c.Create("Patient", PatientJson(NextFnr(), family)).empty());
  HttpResult two = c.Post("/Patient", PatientJson(NextFnr(), family),
                          {{"If-None-Exist", "family:exact=" + family}});
  EXPECT_TRUE(IsOutcome(two, 412));
  EXPECT_EQ(Total(c.GetBundle("/Patient?family:exact=" + family)), 2);
  EXPECT_TRUE(IsOutcome(
      c.Post("/Patient", PatientJson(NextFnr(), family), {{"If-None-Exist", "birthdate=notadate"}}),
      400));
}

// ---- history ------------------------------------------------------------------------------------

TEST_F(FhirConformance, HistoryAtInstanceTypeAndSystemLevel) {
  FhirClient c = Client();
  std::this_thread::sleep_for(5ms);  // apart from the previous test's writes (see _since below)
  std::string fnr = NextFnr();
  std::string id = c.Create("Patient", PatientJson(fnr, "Historiesen"));
  ASSERT_FALSE(id.empty());
  Json v1 = ParseJson(c.Get("/Patient/" + id).body);
  std::this_thread::sleep_for(5ms);
  ASSERT_EQ(c.Put("/Patient/" + id, PatientJson(fnr, "Historiesen", R"("active":true)", id)).status,
            200);
  std::this_thread::sleep_for(5ms);
  ASSERT_EQ(c.Delete("/Patient/" + id).status / 100, 2);

  Json h = c.GetBundle("/Patient/" + id + "/_history");
  EXPECT_EQ(Str(h, "type"), "history");
  EXPECT_EQ(Total(h), 3);
  ASSERT_EQ(Count(h, "entry"), 3u);
  const std::string instance = "Patient/" + id;
  // Newest first, each with request and response.
  EXPECT_EQ(Str(h, "entry.0.request.method"), "DELETE");
  EXPECT_EQ(Str(h, "entry.0.request.url"), instance);
  EXPECT_EQ(Str(h, "entry.0.response.etag"), "W/\"3\"");
  EXPECT_EQ(Str(h, "entry.0.response.status").substr(0, 3), "204");
  EXPECT_EQ(Str(h, "entry.1.request.method"), "PUT");
  EXPECT_EQ(Str(h, "entry.1.request.url"), instance);
  EXPECT_EQ(Str(h, "entry.1.response.status").substr(0, 3), "200");
  EXPECT_EQ(Str(h, "entry.1.resource.meta.versionId"), "2");
  EXPECT_EQ(Str(h, "entry.2.request.method"), "POST");
  EXPECT_EQ(Str(h, "entry.2.request.url"), "Patient");
  EXPECT_EQ(Str(h, "entry.2.response.status").substr(0, 3), "201");
  EXPECT_EQ(Str(h, "entry.2.response.etag"), "W/\"1\"");
  for (size_t i = 0; i < 3; ++i) {
    std::string e = "entry." + std::to_string(i);
    EXPECT_TRUE(Str(h, e + ".fullUrl").ends_with("/" + instance)) << Str(h, e + ".fullUrl");
    EXPECT_TRUE(InstantMillis(Str(h, e + ".response.lastModified")).has_value());
  }

  // _since: everything from just before version 1 (tests run one at a time, so the type and
  // system histories since then hold exactly these three versions).
  auto t1 = InstantMillis(Str(v1, "meta.lastUpdated"));
  ASSERT_TRUE(t1.has_value());
  std::string before = UrlEncode(FormatInstantMillis(*t1 - 1));
  for (const std::string& path : {"/Patient/" + id + "/_history", std::string("/Patient/_history"),
                                  std::string("/_history")}) {
    Json since = c.GetBundle(path + "?_since=" + before);
    EXPECT_EQ(Total(since), 3) << path;
    std::vector<std::string> methods;
    for (size_t i = 0; i < Count(since, "entry"); ++i) {
      methods.push_back(Str(since, "entry." + std::to_string(i) + ".request.method"));
      EXPECT_TRUE(Str(since, "entry." + std::to_string(i) + ".fullUrl").ends_with(instance));
    }
    EXPECT_EQ(methods, (std::vector<std::string>{"DELETE", "PUT", "POST"})) << path;
  }
  // From 1 ms after version 1: version 1 drops out.
  Json later =
      c.GetBundle("/Patient/" + id + "/_history?_since=" + UrlEncode(FormatInstantMillis(*t1 + 1)));
  EXPECT_EQ(Total(later), 2);
  Json future = c.GetBundle("/_history?_since=2999-01-01T00:00:00Z");
  EXPECT_EQ(Total(future), 0);
  EXPECT_EQ(Count(future, "entry"), 0u);
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/" + id + "/_history?_since=yesterday"), 400));
  EXPECT_TRUE(IsOutcome(c.Get("/_history?_count=-1"), 400));
  // The history of a resource that never existed is a 404, like its read.
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/never-existed-4718/_history"), 404, "not-found"));
  // A deleted resource still has its history.
  EXPECT_EQ(c.Get("/Patient/" + id + "/_history").status, 200);
}

TEST_F(FhirConformance, HistoryPagingFollowsNextLinksOverAStableSnapshot) {
  FhirClient c = Client();
  std::string fnr = NextFnr();
  std::string id = c.Create("Patient", PatientJson(fnr, "Sidesen"));
  ASSERT_FALSE(id.empty());
  for (int v = 2; v <= 3; ++v) {
    ASSERT_EQ(
        c.Put("/Patient/" + id, PatientJson(fnr, "Sidesen" + std::to_string(v), "", id)).status,
        200);
  }
  Json page = c.GetBundle("/Patient/" + id + "/_history?_count=1");
  EXPECT_EQ(Total(page), 3);
  EXPECT_TRUE(Link(page, "previous").empty());
  std::vector<std::string> versions;
  versions.push_back(Str(page, "entry.0.resource.meta.versionId"));
  // A write between page fetches does not shift the pages.
  ASSERT_EQ(c.Put("/Patient/" + id, PatientJson(fnr, "Sidesen4", "", id)).status, 200);
  for (int guard = 0; guard < 10; ++guard) {
    std::string next = Link(page, "next");
    if (next.empty()) break;
    page = c.GetBundle(PathOf(next));
    EXPECT_EQ(Total(page), 3);
    EXPECT_FALSE(Link(page, "previous").empty());
    ASSERT_EQ(Count(page, "entry"), 1u);
    versions.push_back(Str(page, "entry.0.resource.meta.versionId"));
  }
  EXPECT_EQ(versions, (std::vector<std::string>{"3", "2", "1"}));
  Json first = c.GetBundle(PathOf(Link(page, "first")));
  EXPECT_EQ(Str(first, "entry.0.resource.meta.versionId"), "3");
  EXPECT_EQ(Total(c.GetBundle("/Patient/" + id + "/_history")), 4);
}

// ---- versioning headers ----------------------------------------------------------------------

TEST_F(FhirConformance, IfMatchGuardsUpdateAndDelete) {
  FhirClient c = Client();
  std::string fnr = NextFnr();
  std::string id = c.Create("Patient", PatientJson(fnr, "Versjonsen"));
  ASSERT_FALSE(id.empty());
  // (An update that changes nothing makes no version: this one changes the name.)
  ASSERT_EQ(
      c.Put("/Patient/" + id, PatientJson(fnr, "Versjonsen", R"("gender":"other")", id)).status,
      200);
  HttpResult stale =
      c.Put("/Patient/" + id, PatientJson(fnr, "Foreldet", "", id), {{"If-Match", "W/\"1\""}});
  EXPECT_TRUE(IsOutcome(stale, 412, "conflict"));
  Json now = ParseJson(c.Get("/Patient/" + id).body);
  EXPECT_EQ(Str(now, "meta.versionId"), "2");
  EXPECT_EQ(Str(now, "name.0.family"), "Versjonsen");
  HttpResult current =
      c.Put("/Patient/" + id, PatientJson(fnr, "Gjeldende", "", id), {{"If-Match", "W/\"2\""}});
  EXPECT_EQ(current.status, 200) << current.body;
  EXPECT_EQ(current.Header("etag"), "W/\"3\"");
  EXPECT_TRUE(IsOutcome(
      c.Put("/Patient/" + id, PatientJson(fnr, "X", "", id), {{"If-Match", "version three"}}),
      400));
  EXPECT_TRUE(IsOutcome(c.Delete("/Patient/" + id, {{"If-Match", "W/\"2\""}}), 412, "conflict"));
  EXPECT_EQ(c.Get("/Patient/" + id).status, 200);
  HttpResult del = c.Delete("/Patient/" + id, {{"If-Match", "W/\"3\""}});
  EXPECT_EQ(del.status / 100, 2) << del.body;
  EXPECT_EQ(c.Get("/Patient/" + id).status, 410);
}

TEST_F(FhirConformance, ConditionalReadWithIfNoneMatchAndIfModifiedSince) {
  FhirClient c = Client();
  std::string fnr = NextFnr();
  std::string id = c.Create("Patient", PatientJson(fnr, "Betingetles"));
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(c.Put("/Patient/" + id, PatientJson(fnr, "Betingetles", R"("active":true)", id)).status,
            200);
  HttpResult r = c.Get("/Patient/" + id, {{"If-None-Match", "W/\"2\""}});
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.Header("etag"), "W/\"2\"");
  r = c.Get("/Patient/" + id, {{"If-None-Match", "W/\"1\""}});
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.body.empty());
  r = c.Get("/Patient/" + id + "/_history/1", {{"If-None-Match", "W/\"1\""}});
  EXPECT_EQ(r.status, 304);

  std::string modified = c.Get("/Patient/" + id).Header("last-modified");
  auto seconds = HttpDateSeconds(modified);
  ASSERT_TRUE(seconds.has_value()) << modified;
  r = c.Get("/Patient/" + id, {{"If-Modified-Since", modified}});
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  r = c.Get("/Patient/" + id, {{"If-Modified-Since", FormatHttpDate(*seconds + 3600)}});
  EXPECT_EQ(r.status, 304);
  r = c.Get("/Patient/" + id, {{"If-Modified-Since", FormatHttpDate(*seconds - 86400)}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Str(ParseJson(r.body), "id"), id);
}

// ---- Prefer ------------------------------------------------------------------------------------

TEST_F(FhirConformance, PreferReturnControlsTheBody) {
  FhirClient c = Client();
  std::string fnr = NextFnr();
  HttpResult minimal =
      c.Post("/Patient", PatientJson(fnr, "Foretrekk"), {{"Prefer", "return=minimal"}});
  ASSERT_EQ(minimal.status, 201);
  EXPECT_TRUE(minimal.body.empty()) << minimal.body;
  EXPECT_EQ(minimal.Header("etag"), "W/\"1\"");
  std::string location = PathOf(minimal.Header("location"));
  ASSERT_TRUE(location.starts_with("/Patient/")) << location;
  std::string id = location.substr(9, location.find("/_history") - 9);

  HttpResult rep = c.Put("/Patient/" + id, PatientJson(fnr, "Foretrekk", R"("gender":"male")", id),
                         {{"Prefer", "return=representation"}});
  ASSERT_EQ(rep.status, 200);
  Json body = ParseJson(rep.body);
  EXPECT_EQ(Str(body, "resourceType"), "Patient");
  EXPECT_EQ(Str(body, "meta.versionId"), "2");

  HttpResult oo = c.Put("/Patient/" + id, PatientJson(fnr, "Foretrekk", R"("gender":"female")", id),
                        {{"Prefer", "return=OperationOutcome"}});
  ASSERT_EQ(oo.status, 200);
  EXPECT_TRUE(IsFhirJson(oo));
  Json outcome = ParseJson(oo.body);
  EXPECT_EQ(Str(outcome, "resourceType"), "OperationOutcome");
  EXPECT_EQ(Str(outcome, "issue.0.severity"), "information");
  EXPECT_FALSE(Str(outcome, "issue.0.code").empty());
  EXPECT_EQ(oo.Header("etag"), "W/\"3\"");

  HttpResult minimal_put = c.Put("/Patient/" + id, PatientJson(fnr, "Foretrekk", "", id),
                                 {{"Prefer", "return=minimal"}});
  EXPECT_EQ(minimal_put.status, 200);
  EXPECT_TRUE(minimal_put.body.empty());
  HttpResult created_oo = c.Post("/Patient", PatientJson(NextFnr(), "Foretrekk"),
                                 {{"Prefer", "return=OperationOutcome"}});
  EXPECT_EQ(created_oo.status, 201);
  EXPECT_EQ(Str(ParseJson(created_oo.body), "resourceType"), "OperationOutcome");
  // Without Prefer: the representation.
  EXPECT_EQ(
      Str(ParseJson(c.Post("/Patient", PatientJson(NextFnr(), "Foretrekk")).body), "resourceType"),
      "Patient");
}

// ---- content negotiation -------------------------------------------------------------------

TEST_F(FhirConformance, AcceptAndFormatNegotiation) {
  FhirClient c = Client();
  std::string id = c.Create("Patient", PatientJson(NextFnr(), "Formatsen"));
  ASSERT_FALSE(id.empty());
  for (const char* accept : {"application/fhir+json", "application/json", "*/*",
                             "application/fhir+json; fhirVersion=4.0", "application/*",
                             "application/fhir+xml;q=0.9, application/fhir+json"}) {
    HttpResult r = c.Get("/Patient/" + id, {{"Accept", accept}});
    EXPECT_EQ(r.status, 200) << accept;
    EXPECT_TRUE(IsFhirJson(r)) << accept;
  }
  for (const char* format : {"json", "application/fhir+json", "application/json"}) {
    EXPECT_EQ(c.Get("/Patient/" + id + "?_format=" + UrlEncode(format)).status, 200) << format;
  }
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/" + id, {{"Accept", "application/fhir+xml"}}), 406));
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/" + id, {{"Accept", "text/html"}}), 406));
  EXPECT_TRUE(IsOutcome(c.Get("/Patient?_id=" + id, {{"Accept", "application/fhir+xml"}}), 406));
  EXPECT_TRUE(IsOutcome(c.Get("/metadata", {{"Accept", "application/xml"}}), 406));
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/" + id + "?_format=xml"), 406));
  // _format overrides Accept (http.html#mime-type), in both directions.
  HttpResult overridden =
      c.Get("/Patient/" + id + "?_format=json", {{"Accept", "application/fhir+xml"}});
  EXPECT_EQ(overridden.status, 200) << overridden.body;
  EXPECT_TRUE(IsFhirJson(overridden));
  EXPECT_TRUE(IsOutcome(
      c.Get("/Patient/" + id + "?_format=xml", {{"Accept", "application/fhir+json"}}), 406));
  EXPECT_TRUE(
      IsOutcome(c.Get("/Patient/" + id + "?_format=" + UrlEncode("application/fhir+xml")), 406));
}

TEST_F(FhirConformance, RequestBodiesMustBeFhirJson) {
  FhirClient c = Client();
  std::string body = PatientJson(NextFnr(), "Medietypesen");
  EXPECT_TRUE(IsOutcome(c.Post("/Patient", body, {{"Content-Type", "text/plain"}}), 415));
  EXPECT_TRUE(IsOutcome(c.Post("/Patient", body, {{"Content-Type", "application/xml"}}), 415));
  EXPECT_TRUE(IsOutcome(c.Post("/Patient", body, {{"Content-Type", "application/fhir+xml"}}), 415));
  EXPECT_TRUE(IsOutcome(
      c.Post("/Patient", body, {{"Content-Type", "application/fhir+json; charset=iso-8859-1"}}),
      415));
  EXPECT_TRUE(IsOutcome(c.Request("POST", "/Patient", {}, body), 415));
  EXPECT_TRUE(IsOutcome(c.Put("/Patient/x1", body, {{"Content-Type", "text/plain"}}), 415));
  EXPECT_TRUE(IsOutcome(
      c.Post("/", R"({"resourceType":"Bundle","type":"batch"})", {{"Content-Type", "text/plain"}}),
      415));
  EXPECT_EQ(c.Post("/Patient", body, {{"Content-Type", "application/json"}}).status, 201);
  EXPECT_EQ(c.Post("/Patient", PatientJson(NextFnr(), "Medietypesen"),
                   {{"Content-Type", "application/fhir+json; charset=UTF-8"}})
                .status,
            201);
}

class FhirConformanceSmallBody : public FhirConformance {
 protected:
  static void SetUpTestSuite() {
    GatewayOptions o;
    o.env = {{"EMG_BODY_LIMIT_BYTES", "2048"}};
    SharedGateway::Start(gateway_, std::move(o));
  }
};

TEST_F(FhirConformanceSmallBody, BodyOverTheConfiguredLimitGets413) {
  FhirClient c = Client();
  std::string small = PatientJson(NextFnr(), "Litensen");
  ASSERT_LT(small.size(), 2048u);
  EXPECT_EQ(c.Post("/Patient", small).status, 201);
  std::string large = PatientJson(NextFnr(), "Storesen",
                                  R"("address":[{"text":")" + std::string(3000, 'v') + R"("}])");
  ASSERT_GT(large.size(), 2048u);
  HttpResult r = c.Post("/Patient", large);
  EXPECT_TRUE(IsOutcome(r, 413, "too-long"));
  EXPECT_EQ(r.body.find("Storesen"), std::string::npos) << "the body is not echoed";
  FhirClient again = Client();
  EXPECT_TRUE(IsOutcome(again.Put("/Patient/big1", large), 413, "too-long"));
  FhirClient third = Client();
  std::string bundle =
      R"({"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"POST","url":"Patient"},"resource":)" +
      large + "}]}";
  EXPECT_TRUE(IsOutcome(third.Post("/", bundle), 413, "too-long"));
  FhirClient fourth = Client();
  EXPECT_EQ(fourth.Get("/metadata").status, 200);
}

// ---- errors ------------------------------------------------------------------------------------

TEST_F(FhirConformance, UnknownTypesIdsAndPathsAre404) {
  FhirClient c = Client();
  EXPECT_TRUE(IsOutcome(c.Get("/Frobnicate"), 404, "not-found"));
  EXPECT_TRUE(IsOutcome(c.Get("/Frobnicate/1"), 404, "not-found"));
  EXPECT_TRUE(
      IsOutcome(c.Post("/Frobnicate", R"({"resourceType":"Frobnicate"})"), 404, "not-found"));
  EXPECT_TRUE(IsOutcome(c.Get("/Medication/1"), 404, "not-found"))
      << "a type this server does not serve";
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/unknown-id-4714"), 404, "not-found"));
  EXPECT_TRUE(IsOutcome(c.Get("/Patient/a/b/c/d/e"), 404, "not-found"));
}

TEST_F(FhirConformance, UnsupportedMethodIs405WithAllow) {
  FhirClient c = Client();
  struct Case {
    const char* method;
    const char* path;
    const char* must_allow;
  };
  for (const Case& k :
       {Case{"PATCH", "/Binary/x", "PUT"}, Case{"POST", "/Patient/x", "GET"},
        Case{"DELETE", "/metadata", "GET"}, Case{"PUT", "/_history", "GET"},
        Case{"POST", "/Patient/x/_history", "GET"}, Case{"GET", "/Patient/_search", "POST"},
        Case{"PATCH", "/Patient/x/_history", "GET"}, Case{"DELETE", "/", "POST"}}) {
    HttpResult r = c.Request(k.method, k.path, {{"Content-Type", "application/fhir+json"}}, "{}");
    EXPECT_TRUE(IsOutcome(r, 405)) << k.method << " " << k.path;
    std::string allow = r.Header("allow");
    EXPECT_NE(allow.find(k.must_allow), std::string::npos)
        << k.method << " " << k.path << ": " << allow;
    EXPECT_EQ(allow.find(k.method), std::string::npos)
        << k.method << " " << k.path << ": " << allow;
  }
}

TEST_F(FhirConformance, BundleLocalReferencesOutsideATransactionAre400) {
  FhirClient c = Client();
  std::string body = R"({"resourceType":"Observation","status":"final","code":{"text":"PHQ-9"},
    "subject":{"reference":"urn:uuid:7d1c2e7a-0a37-4c52-9d2b-1f0e4f3a9b11"},
    "performer":[{"reference":"Practitioner/x"},{"reference":"urn:oid:2.16.578.1.12.4.1.4.4"}]})";
  HttpResult r = c.Post("/Observation", body);
  EXPECT_TRUE(IsOutcome(r, 400, "invalid", "Observation.subject.reference")) << r.body;
  EXPECT_NE(r.body.find("Observation.performer[1].reference"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("Observation.performer[0]"), std::string::npos) << r.body;
  // Nothing was stored.
  HttpResult search = c.Get("/Observation?code:text=PHQ-9&_summary=count");
  EXPECT_NE(search.body.find("\"total\":0"), std::string::npos) << search.body;
}

TEST_F(FhirConformance, MalformedBodiesAre400) {
  FhirClient c = Client();
  EXPECT_TRUE(IsOutcome(c.Post("/Patient", R"({"resourceType":"Patient",)"), 400, "invalid"));
  EXPECT_TRUE(IsOutcome(c.Post("/Patient", "[]"), 400));
  EXPECT_TRUE(IsOutcome(c.Post("/Patient", ""), 400));
  EXPECT_TRUE(IsOutcome(
      c.Post("/Patient", R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})"),
      400, "invalid", "resourceType"));
  std::string fnr = NextFnr();
  EXPECT_TRUE(IsOutcome(c.Put("/Patient/url-id", PatientJson(fnr, "Idsen", "", "body-id")), 400,
                        "invalid", "Patient.id"));
  EXPECT_TRUE(
      IsOutcome(c.Put("/Patient/url-id", PatientJson(fnr, "Idsen")), 400, "invalid", "Patient.id"));
  EXPECT_TRUE(IsOutcome(c.Put("/Patient/bad$id", PatientJson(fnr, "Idsen", "", "bad$id")), 400));
  // Nothing was created under the URL id.
  EXPECT_EQ(c.Get("/Patient/url-id").status, 404);
}

TEST_F(FhirConformance, EveryValidationProblemIsOneIssueWithAnExpression) {
  FhirClient c = Client();
  // R4 http.html: content that fails basic validation is 400 (422 is for profile and business
  // rules). The values are synthetic markers that must never be echoed.
  std::string body = R"({"resourceType":"Patient","gender":"robot-MARKER1","birthDate":"MARKER2",)"
                     R"("favouriteColour":"MARKER3","active":"MARKER4","name":[{"family":""}],)"
                     R"("telecom":[null]})";
  HttpResult r = c.Post("/Patient", body);
  ASSERT_TRUE(IsOutcome(r, 400));
  std::vector<IssueView> issues = Issues(r.body);
  std::multiset<std::string> expressions;
  for (const IssueView& i : issues) {
    EXPECT_TRUE(i.severity == "error" || i.severity == "fatal") << i.diagnostics;
    EXPECT_EQ(i.expression.size(), 1u) << i.diagnostics;
    for (const std::string& e : i.expression) expressions.insert(e);
  }
  EXPECT_EQ(expressions, (std::multiset<std::string>{
                             "Patient.gender", "Patient.birthDate", "Patient.favouriteColour",
                             "Patient.active", "Patient.name[0].family", "Patient.telecom[0]"}))
      << r.body;
  for (const char* marker : {"MARKER1", "MARKER2", "MARKER3", "MARKER4"}) {
    EXPECT_EQ(r.body.find(marker), std::string::npos) << marker << " echoed: " << r.body;
  }
  // Each kind of problem on its own.
  struct Case {
    std::string body;
    std::string code;
    std::string expression;
  };
  for (const Case& k : std::vector<Case>{
           {R"({"resourceType":"Patient","shoeSize":42})", "structure", "Patient.shoeSize"},
           {R"({"resourceType":"Patient","active":null})", "structure", "Patient.active"},
           {R"({"resourceType":"Patient","gender":""})", "value", "Patient.gender"},
           {R"({"resourceType":"Patient","birthDate":"12.03.1991"})", "value", "Patient.birthDate"},
           {R"({"resourceType":"Patient","birthDate":"1991-02-30"})", "value", "Patient.birthDate"},
           {R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)"
            R"("effectiveDateTime":"2020-01-01T10:00:00"})",
            "value", "Observation.effective.ofType(dateTime)"},
       }) {
    std::string type = ParseJson(k.body)["resourceType"].GetString();
    HttpResult one = c.Post("/" + type, k.body);
    EXPECT_TRUE(IsOutcome(one, 400, k.code, k.expression)) << k.body;
    EXPECT_EQ(Issues(one.body).size(), 1u) << one.body;
  }
  // A duplicate JSON key is a parse error (the JSON object model has no duplicate keys).
  HttpResult dup = c.Post("/Patient", R"({"resourceType":"Patient","active":true,"active":false})");
  EXPECT_TRUE(IsOutcome(dup, 400, "invalid"));
}

TEST_F(FhirConformance, ErrorMessagesAndLogsDoNotRepeatPersonalData) {
  FhirClient c = Client();
  // A synthetic fødselsnummer and name sent where a type, element or parameter name belongs,
  // and as bad values: every error must say what is wrong without repeating them.
  std::string fnr = NextFnr();
  const std::string name = "Hemmeligsen";
  struct Case {
    std::string method, target, body;
    int status;
  };
  std::vector<Case> cases = {
      {"GET", "/" + fnr, "", 404},
      {"GET", "/" + name + "%20Kari", "", 404},
      {"GET", "/Patient/" + fnr + "x", "", 404},
      {"POST", "/Patient", R"({"resourceType":")" + name + R"( Kari"})", 400},
      {"POST", "/Patient", R"({"resourceType":"Patient",")" + fnr + R"(":true})", 400},
      {"POST", "/Patient", R"({"resourceType":"Patient",")" + fnr + R"(":1,")" + fnr + R"(":2})",
       400},
      {"POST", "/Patient", R"({"resourceType":"Patient","name":[{")" + fnr + R"(":"x"}]})", 400},
      {"POST", "/Patient", R"({"resourceType":"Patient",")" + name + R"( Kari":"x"})", 400},
      {"POST", "/Patient", R"({"resourceType":"Patient","birthDate":")" + fnr + R"("})", 400},
      {"POST", "/Patient", R"({"resourceType":"Patient","gender":")" + name + R"("})", 400},
      {"GET", "/Patient?" + fnr, "", 200},
      {"GET", "/Patient?_sort=" + fnr, "", 200},
      {"GET", "/Patient?birthdate=" + fnr, "", 400},
      {"GET", "/Patient?subject:" + fnr + ".name=x", "", 400},
      {"GET", "/Patient/_history?" + fnr + "=1", "", 200},
  };
  for (const Case& k : cases) {
    HttpResult r =
        c.Request(k.method, k.target, {{"Content-Type", "application/fhir+json"}}, k.body);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, k.status) << k.target << " " << k.body << ": " << r.body;
    EXPECT_EQ(r.body.find(fnr), std::string::npos) << k.target << " " << k.body << ": " << r.body;
    EXPECT_EQ(r.body.find(name), std::string::npos) << k.target << " " << k.body << ": " << r.body;
  }
  // An element name that is not shown still points at where it is.
  EXPECT_TRUE(
      IsOutcome(c.Post("/Patient", R"({"resourceType":"Patient","name":[{")" + fnr + R"(":"x"}]})"),
                400, "structure", "Patient.name[0]"));
  // Strict handling turns the ignored names above into errors, still without repeating them.
  for (const std::string& target :
       {"/Patient?" + fnr, "/Patient?_sort=" + fnr, "/Patient/_history?" + fnr + "=1"}) {
    HttpResult r = c.Get(target, {{"Prefer", "handling=strict"}});
    EXPECT_TRUE(IsOutcome(r, 400)) << target;
    EXPECT_EQ(r.body.find(fnr), std::string::npos) << target << ": " << r.body;
  }
  ASSERT_TRUE(gateway_->WaitForStderr(R"("status":400)"));
  std::string log = gateway_->StderrText();
  EXPECT_EQ(log.find(fnr), std::string::npos);
  EXPECT_EQ(log.find(name), std::string::npos);
}

// ---- CapabilityStatement ----------------------------------------------------------------------

const JsonValue* ResourceEntry(const Json& cs, std::string_view type) {
  const JsonValue* resources = At(cs, "rest.0.resource");
  if (resources == nullptr || !resources->IsArray()) return nullptr;
  for (const JsonValue& r : resources->GetArray()) {
    if (Str(r, "type") == type) return &r;
  }
  return nullptr;
}

std::set<std::string> Codes(const JsonValue& v, std::string_view path) {
  std::set<std::string> out;
  const JsonValue* list = At(v, path);
  if (list == nullptr || !list->IsArray()) return out;
  for (const JsonValue& item : list->GetArray()) out.insert(Str(item, "code"));
  return out;
}

std::set<std::string> Strings(const JsonValue& v, std::string_view path) {
  std::set<std::string> out;
  const JsonValue* list = At(v, path);
  if (list == nullptr || !list->IsArray()) return out;
  for (const JsonValue& item : list->GetArray()) {
    if (item.IsString()) out.insert(item.GetString());
  }
  return out;
}

TEST_F(FhirConformance, CapabilityStatementDescribesTheServer) {
  FhirClient c = Client();
  HttpResult r = c.Get("/metadata");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(IsFhirJson(r));
  Json cs = ParseJson(r.body);
  EXPECT_EQ(Str(cs, "resourceType"), "CapabilityStatement");
  EXPECT_EQ(Str(cs, "fhirVersion"), "4.0.1");
  EXPECT_EQ(Str(cs, "kind"), "instance");
  EXPECT_EQ(Str(cs, "status"), "active");
  EXPECT_TRUE(Strings(cs, "format").count("application/fhir+json"));
  EXPECT_EQ(Str(cs, "rest.0.mode"), "server");
  EXPECT_EQ(Codes(cs, "rest.0.interaction"),
            (std::set<std::string>{"transaction", "batch", "search-system", "history-system"}));
  const JsonValue* patient = ResourceEntry(cs, "Patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_EQ(Codes(*patient, "interaction"),
            (std::set<std::string>{"read", "vread", "update", "patch", "delete", "history-instance",
                                   "history-type", "create", "search-type"}));
  EXPECT_TRUE(Strings(cs, "patchFormat").count("application/json-patch+json"));
  const JsonValue* binary = ResourceEntry(cs, "Binary");
  ASSERT_NE(binary, nullptr);
  EXPECT_EQ(Codes(*binary, "interaction").count("patch"), 0u) << "Binary has no patch";
  EXPECT_EQ(Str(*patient, "versioning"), "versioned-update");
  EXPECT_EQ(Str(*patient, "conditionalDelete"), "single");
  // Both If-Modified-Since and If-None-Match work on reads (see ConditionalRead above).
  EXPECT_EQ(Str(*patient, "conditionalRead"), "full-support");
  EXPECT_TRUE(At(*patient, "updateCreate")->GetBool());
  EXPECT_TRUE(At(*patient, "conditionalCreate")->GetBool());
  EXPECT_TRUE(At(*patient, "conditionalUpdate")->GetBool());
  EXPECT_TRUE(Strings(*patient, "searchInclude").count("Patient:general-practitioner"));
  EXPECT_TRUE(Strings(*patient, "searchRevInclude").count("Observation:subject"));
  std::map<std::string, std::string> params;
  const JsonValue* sp = At(*patient, "searchParam");
  ASSERT_NE(sp, nullptr);
  for (const JsonValue& p : sp->GetArray()) params[Str(p, "name")] = Str(p, "type");
  EXPECT_EQ(params["family"], "string");
  EXPECT_EQ(params["birthdate"], "date");
  EXPECT_EQ(params["identifier"], "token");
  EXPECT_EQ(params["general-practitioner"], "reference");
  EXPECT_EQ(params.count("phonetic"), 0u) << "not implemented, so not listed";
  EXPECT_EQ(ResourceEntry(cs, "Medication"), nullptr) << "not served, so not listed";
}

TEST_F(FhirConformance, CapabilityStatementClaimsHoldForEveryListedTypeAndParameter) {
  FhirClient c = Client();
  Json cs = ParseJson(c.Get("/metadata").body);
  const JsonValue* resources = At(cs, "rest.0.resource");
  ASSERT_NE(resources, nullptr);
  ASSERT_GT(resources->Size(), 10u);
  int checked = 0;
  Headers strict = {{"Prefer", "handling=strict"}};
  for (const JsonValue& res : resources->GetArray()) {
    std::string type = Str(res, "type");
    std::set<std::string> interactions = Codes(res, "interaction");
    if (interactions.count("search-type")) {
      EXPECT_EQ(c.Get("/" + type + "?_count=1").status, 200) << type;
    }
    if (interactions.count("history-type")) {
      EXPECT_EQ(c.Get("/" + type + "/_history?_count=1").status, 200) << type;
    }
    if (interactions.count("read")) {
      EXPECT_TRUE(IsOutcome(c.Get("/" + type + "/not-there-4715"), 404, "not-found")) << type;
    }
    // Every listed search parameter is understood in strict mode.
    const JsonValue* sp = At(res, "searchParam");
    if (sp == nullptr) continue;
    for (const JsonValue& p : sp->GetArray()) {
      std::string name = Str(p, "name");
      HttpResult r = c.Get("/" + type + "?" + name + ":missing=true&_summary=count", strict);
      EXPECT_EQ(r.status, 200) << type << "?" << name << ": " << r.body.substr(0, 300);
      ++checked;
    }
    for (const std::string& include : Strings(res, "searchInclude")) {
      HttpResult r = c.Get("/" + type + "?_count=1&_include=" + UrlEncode(include), strict);
      EXPECT_EQ(r.status, 200) << include << ": " << r.body.substr(0, 300);
    }
  }
  EXPECT_GT(checked, 500);
  // System level: search-system and history-system.
  EXPECT_EQ(c.Get("/?_id=x").status, 200);
  EXPECT_EQ(c.Get("/_history?_count=1").status, 200);
}

}  // namespace
}  // namespace emg::test
