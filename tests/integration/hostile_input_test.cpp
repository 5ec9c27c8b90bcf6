// Hostile input against the real binary over real sockets: every request within the body
// limit gets a bounded answer (size, time, memory) that says which limit it met, and search
// internals never leak as 500. The cases are the ones a black-box test of ~220,000 malformed
// requests found (issue 11).
//
// The time and memory goals (< 2 s per request, peak RSS < 500 MB) are asserted as such in a
// plain build; under a sanitizer, which slows the process and keeps freed memory in
// quarantine, the same checks run with a wider margin (kSlowdown), so a regression to the old
// behaviour (8-27 s, 7.5 GB) still fails.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <set>
#include <string>

#include "fhir/json/parser.h"
#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace emg::test {
namespace {

using fhir::json::Value;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kSlowdown = 8;
#else
constexpr int kSlowdown = 1;
#endif
constexpr auto kMaxAnswerTime = std::chrono::seconds(2) * kSlowdown;
constexpr long kMaxPeakRssKb = 500L * 1024 * kSlowdown;
constexpr size_t kMaxAnswerBytes = 64 * 1024;

const Headers kJson = {{"Content-Type", "application/fhir+json"}};

// VmHWM of the process (peak resident set), in kB; -1 when unreadable.
long PeakRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// `n` copies of `item`, comma-separated.
std::string Repeat(std::string_view item, size_t n) {
  std::string out;
  out.reserve((item.size() + 1) * n);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += ',';
    out += item;
  }
  return out;
}

class HostileInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GatewayOptions options;
    options.env = {{"EMG_MAX_PAGE_BYTES", "65536"}};
    gw_ = new GatewayProcess(options);
    ASSERT_TRUE(gw_->Start()) << gw_->error();
  }
  static void TearDownTestSuite() {
    if (gw_ != nullptr) {
      long peak = PeakRssKb(gw_->pid());
      std::printf("gateway peak RSS over the hostile suite: %ld MB\n", peak / 1024);
      EXPECT_GT(peak, 0);
      EXPECT_LT(peak, kMaxPeakRssKb) << "peak RSS " << peak / 1024 << " MB";
    }
    delete gw_;
    gw_ = nullptr;
  }

  // Sends one request and checks the bounds every answer must keep.
  HttpResult Send(std::string_view method, const std::string& target, std::string_view body = {},
                  const Headers& headers = kJson) {
    HttpClient client("127.0.0.1", gw_->port(), std::chrono::seconds(60));
    auto start = std::chrono::steady_clock::now();
    HttpResult r = client.Request(method, target, headers, body);
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_LT(elapsed, kMaxAnswerTime)
        << method << " " << target.substr(0, 60) << " took "
        << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";
    EXPECT_LT(r.status, 500) << r.body.substr(0, 400);
    return r;
  }

  static Value Outcome(const HttpResult& r) {
    auto v = fhir::json::Parse(r.body);
    EXPECT_TRUE(v.has_value()) << r.body.substr(0, 200);
    if (!v) return Value();
    EXPECT_EQ(v->GetString("resourceType"), "OperationOutcome");
    return *v;
  }
  static std::string Diagnostics(const HttpResult& r) {
    Value oo = Outcome(r);
    const Value* issues = oo.Find("issue");
    if (issues == nullptr || issues->items().empty()) return {};
    return std::string(issues->items()[0].GetString("diagnostics"));
  }

  static GatewayProcess* gw_;
};
GatewayProcess* HostileInput::gw_ = nullptr;

TEST_F(HostileInput, MillionsOfArrayItemsAreRefusedByTheArrayLimit) {
  // 3,000,000 nulls in name[0].given (~15 MB, under the 16 MiB body limit).
  std::string nulls =
      R"({"resourceType":"Patient","name":[{"given":[)" + Repeat("null", 3'000'000) + "]}]}";
  ASSERT_LT(nulls.size(), 16u * 1024 * 1024);
  HttpResult r = Send("POST", "/Patient", nulls);
  EXPECT_EQ(r.status, 413);
  EXPECT_LT(r.body.size(), kMaxAnswerBytes);
  EXPECT_NE(Diagnostics(r).find("more than 100000 items in one JSON array at $.name[0].given"),
            std::string::npos)
      << r.body;

  // 3,000,000 empty extensions, and 2,000,000 given names (which used to be stored).
  std::string extensions =
      R"({"resourceType":"Patient","extension":[)" + Repeat("{}", 3'000'000) + "]}";
  r = Send("POST", "/Patient", extensions);
  EXPECT_EQ(r.status, 413);
  EXPECT_LT(r.body.size(), kMaxAnswerBytes);
  std::string names =
      R"({"resourceType":"Patient","name":[{"given":[)" + Repeat("\"a\"", 2'000'000) + "]}]}";
  r = Send("PUT", "/Patient/many-names", names);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(Send("GET", "/Patient/many-names").status, 404);  // nothing was stored
}

TEST_F(HostileInput, ManyProblemsGiveOneBoundedOutcome) {
  // 90,000 nulls: within the array limit, so each is a validation problem; the answer lists
  // 100 and says how many more there are.
  std::string body =
      R"({"resourceType":"Patient","name":[{"given":[)" + Repeat("null", 90'000) + "]}]}";
  HttpResult r = Send("POST", "/Patient", body);
  EXPECT_EQ(r.status, 400);
  EXPECT_LT(r.body.size(), kMaxAnswerBytes);
  Value oo = Outcome(r);
  const Value* issues = oo.Find("issue");
  ASSERT_NE(issues, nullptr);
  ASSERT_EQ(issues->items().size(), 101u);
  EXPECT_EQ(issues->items()[0].Find("expression")->items()[0].text(), "Patient.name[0].given[0]");
  const Value& last = issues->items().back();
  EXPECT_EQ(last.GetString("severity"), "error");
  EXPECT_EQ(last.GetString("diagnostics"),
            "89900 more issues found and not listed (at most 100 are listed)");
}

TEST_F(HostileInput, ObjectsWithManyMembersAreRefused) {
  std::string members;
  for (int i = 0; i < 100'000; ++i) {
    if (i > 0) members += ',';
    members += "\"k" + std::to_string(i) + "\":1";
  }
  HttpResult r = Send("POST", "/Patient", R"({"resourceType":"Patient",)" + members + "}");
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(Diagnostics(r).find("more than 1000 members in one JSON object at $"),
            std::string::npos)
      << r.body;
}

TEST_F(HostileInput, TooComplexSearchesAre4xxNamingTheLimit) {
  std::string anded;
  for (int i = 0; i < 1000; ++i) anded += (i > 0 ? "&" : "") + std::string("name=a");
  HttpResult r = Send("GET", "/Patient?" + anded);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Diagnostics(r),
            "The search has 1000 parameters; at most 100 are allowed in one search");
  r = Send("GET", "/Patient?name=" + Repeat("a", 2000));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Diagnostics(r).find("The search has 2000 values"), std::string::npos) << r.body;
  // Within the limits the database is never asked for more than it can parse: the largest
  // allowed searches run (they used to fail with "Expression tree is too large").
  std::string many;
  for (int i = 0; i < 99; ++i) many += "name=a" + std::to_string(i) + "&";
  EXPECT_EQ(Send("GET", "/Patient?" + many + "_count=1").status, 200);
  EXPECT_EQ(Send("GET", "/Patient?name=" + Repeat("a", 1000)).status, 200);
  EXPECT_EQ(Send("GET", "/Patient?_lastUpdated=" + Repeat("gt2020-01-01", 1000)).status, 200);
  HttpResult refs = Send("GET", "/Observation?subject=" + Repeat("Patient/x", 1000));
  EXPECT_EQ(refs.status, 200) << refs.body.substr(0, 300);
  // No answer names the database.
  for (const HttpResult& answer : {r, refs}) {
    EXPECT_EQ(answer.body.find("SQL"), std::string::npos);
    EXPECT_EQ(answer.body.find("sqlite"), std::string::npos);
  }
}

TEST_F(HostileInput, SearchPagesAreBoundedInBytesAndPagingGoesOn) {
  // Ten patients of ~20 kB each; with a 64 kB page bound a page of 10 holds 4.
  std::set<std::string> created;
  const std::string text(20'000, 'x');
  for (int i = 0; i < 10; ++i) {
    HttpResult r =
        Send("POST", "/Patient",
             R"({"resourceType":"Patient","name":[{"family":"Sidestørrelse"}],)"
             R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">)" +
                 text + R"(</div>"}})");
    ASSERT_EQ(r.status, 201) << r.body.substr(0, 300);
    created.insert(std::string(fhir::json::Parse(r.body)->GetString("id")));
  }
  std::set<std::string> seen;
  std::string target = "/Patient?family=Sidest%C3%B8rrelse&_count=10";
  int pages = 0;
  while (!target.empty() && pages < 20) {
    HttpResult r = Send("GET", target);
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    auto bundle = fhir::json::Parse(r.body);
    ASSERT_TRUE(bundle.has_value());
    ++pages;
    size_t entries = 0;
    if (const Value* list = bundle->Find("entry")) {
      for (const Value& e : list->items()) {
        ++entries;
        EXPECT_TRUE(seen.insert(std::string(e.Find("resource")->GetString("id"))).second)
            << "a resource came twice";
      }
    }
    EXPECT_LE(entries, 4u);
    EXPECT_GE(entries, 1u);
    target.clear();
    for (const Value& link : bundle->Find("link")->items()) {
      if (link.GetString("relation") != "next") continue;
      std::string url(link.GetString("url"));
      target = url.substr(url.find("/Patient"));
    }
  }
  EXPECT_EQ(seen, created);
  EXPECT_GE(pages, 3);
}

TEST_F(HostileInput, HostHeaderIsCheckedAndNeverEchoedIntoLinks) {
  // The client's Host is not a loopback name and no base URL is configured: links use
  // localhost, never the Host header.
  HttpClient raw("127.0.0.1", gw_->port(), std::chrono::seconds(5));
  const std::string body = R"({"resourceType":"Patient","active":true})";
  std::string created = raw.SendRaw(
      "POST /Patient HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/fhir+json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  EXPECT_EQ(created.rfind("HTTP/1.1 201", 0), 0u) << created.substr(0, 300);
  EXPECT_NE(created.find("Location: http://localhost/Patient/"), std::string::npos)
      << created.substr(0, 400);
  EXPECT_EQ(created.find("evil.example"), std::string::npos);
  std::string search = raw.SendRaw(
      "GET /Patient?_count=1 HTTP/1.1\r\nHost: evil.example:8080\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(search.rfind("HTTP/1.1 200", 0), 0u) << search.substr(0, 300);
  EXPECT_EQ(search.find("evil.example"), std::string::npos);
  // A loopback Host is used as it is (what a developer's browser sends).
  std::string local = raw.SendRaw(
      "GET /Patient?_count=1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nConnection: close\r\n\r\n");
  EXPECT_NE(local.find("http://127.0.0.1:9/Patient"), std::string::npos) << local.substr(0, 600);

  // RFC 9112 section 3.2: no Host in HTTP/1.1, two Hosts, or a malformed one: 400.
  std::string no_host = raw.SendRaw("GET /metadata HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(no_host.rfind("HTTP/1.1 400", 0), 0u) << no_host.substr(0, 200);
  EXPECT_NE(no_host.find("must have a Host header"), std::string::npos);
  std::string two =
      raw.SendRaw("GET /metadata HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(two.rfind("HTTP/1.1 400", 0), 0u) << two.substr(0, 200);
  std::string bad =
      raw.SendRaw("GET /metadata HTTP/1.1\r\nHost: a b/c\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(bad.rfind("HTTP/1.1 400", 0), 0u) << bad.substr(0, 200);
  // HTTP/1.0 had no Host requirement.
  std::string old = raw.SendRaw("GET /metadata HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.rfind("HTTP/1.0 200", 0), 0u) << old.substr(0, 200);
}

}  // namespace
}  // namespace emg::test
