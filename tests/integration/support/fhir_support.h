#pragma once
// Helpers for the FHIR REST conformance tests (tests/integration/fhir_*_conformance_test.cpp):
// a thin FHIR client over HttpClient, JSON access with rapidjson, OperationOutcome and Bundle
// checks, URL encoding and synthetic Norwegian fødselsnummer. Header-only.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/url.h"
#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace emg::test::fhirt {

// ---- JSON ------------------------------------------------------------------------------------

using Json = rapidjson::Document;
using JsonValue = rapidjson::Value;

inline Json ParseJson(std::string_view text) {
  Json d;
  d.Parse(text.data(), text.size());
  return d;
}

// Member/element at a dotted path such as "entry.0.resource.id" (numbers index arrays), or
// nullptr.
inline const JsonValue* At(const JsonValue& root, std::string_view path) {
  const JsonValue* v = &root;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view seg = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (v->IsObject()) {
      auto it =
          v->FindMember(rapidjson::Value(seg.data(), static_cast<rapidjson::SizeType>(seg.size())));
      if (it == v->MemberEnd()) return nullptr;
      v = &it->value;
    } else if (v->IsArray()) {
      size_t index = 0;
      for (char c : seg) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return nullptr;
        index = index * 10 + static_cast<size_t>(c - '0');
      }
      if (seg.empty() || index >= v->Size()) return nullptr;
      v = &(*v)[static_cast<rapidjson::SizeType>(index)];
    } else {
      return nullptr;
    }
  }
  return v;
}

// The string at `path`, or "" when missing or not a string.
inline std::string Str(const JsonValue& root, std::string_view path) {
  const JsonValue* v = At(root, path);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                       : std::string();
}

// The size of the array at `path` (0 when missing).
inline size_t Count(const JsonValue& root, std::string_view path) {
  const JsonValue* v = At(root, path);
  return v != nullptr && v->IsArray() ? v->Size() : 0;
}

inline std::string Serialize(const JsonValue& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// ---- URLs ------------------------------------------------------------------------------------

// A query component as a client would encode it (RFC 3986 unreserved characters only).
inline std::string UrlEncode(std::string_view s) { return common::PercentEncode(s); }

// "http://127.0.0.1:1234/Patient?x=1" -> "/Patient?x=1" (relative targets are returned as is).
inline std::string PathOf(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t slash = url.find('/', scheme + 3);
  return slash == std::string_view::npos ? std::string("/") : std::string(url.substr(slash));
}

// ---- Time ------------------------------------------------------------------------------------

// Seconds since the epoch of an HTTP date ("Fri, 04 Dec 2026 19:29:35 GMT").
inline std::optional<int64_t> HttpDateSeconds(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

inline std::string FormatHttpDate(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Milliseconds since the epoch of a FHIR instant in UTC with milliseconds
// ("2026-12-04T19:29:35.473Z", the form meta.lastUpdated has here).
inline std::optional<int64_t> InstantMillis(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  int millis = 0;
  if (*end == '.') {
    ++end;
    int digits = 0;
    while (std::isdigit(static_cast<unsigned char>(*end))) {
      if (digits++ < 3) millis = millis * 10 + (*end - '0');
      ++end;
    }
    while (digits++ < 3) millis *= 10;
  }
  if (std::string_view(end) != "Z") return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

inline std::string FormatInstantMillis(int64_t millis) {
  time_t t = static_cast<time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis % 1000));
  return buf;
}

// ---- Synthetic test identities --------------------------------------------------------------

// A synthetic Norwegian fødselsnummer (11 digits): day 01-31, month + 80 (the synthetic range
// used by test data generators), two-digit year, three-digit individual number and the two
// mod-11 check digits. nullopt when a check digit would be 10 (no valid number; pick another
// individual number).
inline std::optional<std::string> SyntheticFnr(int day, int month, int year2, int individual) {
  if (day < 1 || day > 31 || month < 1 || month > 12 || year2 < 0 || year2 > 99 || individual < 0 ||
      individual > 999) {
    return std::nullopt;
  }
  int digits[11] = {
      day / 10,   day % 10,         (month + 80) / 10,      (month + 80) % 10, year2 / 10,
      year2 % 10, individual / 100, (individual / 10) % 10, individual % 10,   0,
      0};
  static constexpr int kW1[9] = {3, 7, 6, 1, 8, 9, 4, 5, 2};
  static constexpr int kW2[10] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
  auto check = [&](const int* weights, int n) -> int {
    int sum = 0;
    for (int i = 0; i < n; ++i) sum += weights[i] * digits[i];
    int r = sum % 11;
    if (r == 0) return 0;
    if (r == 1) return -1;  // the check digit would be 10
    return 11 - r;
  };
  int k1 = check(kW1, 9);
  if (k1 < 0) return std::nullopt;
  digits[9] = k1;
  int k2 = check(kW2, 10);
  if (k2 < 0) return std::nullopt;
  digits[10] = k2;
  std::string out;
  for (int d : digits) out.push_back(static_cast<char>('0' + d));
  return out;
}

// A fresh valid synthetic fødselsnummer on each call (process-wide sequence).
inline std::string NextFnr() {
  static std::atomic<int> next{0};
  for (;;) {
    int n = next.fetch_add(1);
    int day = 1 + n % 28;
    int month = 1 + (n / 28) % 12;
    int individual = 100 + (n / 336) % 900;
    if (auto fnr = SyntheticFnr(day, month, 91, individual)) return *fnr;
  }
}

inline constexpr std::string_view kFnrSystem = "urn:oid:2.16.578.1.12.4.1.4.1";

// A token unique within the test process (for isolating test data in a shared server).
inline std::string Unique(std::string_view prefix) {
  static std::atomic<int> next{0};
  return std::string(prefix) + std::to_string(next.fetch_add(1)) + "x" +
         std::to_string(static_cast<unsigned>(::getpid()) % 10000);
}

// ---- Client ----------------------------------------------------------------------------------

inline const Headers kFhirJsonContent = {{"Content-Type", "application/fhir+json"}};

class FhirClient {
 public:
  explicit FhirClient(uint16_t port) : http_("127.0.0.1", port) {}

  HttpResult Get(std::string_view target, Headers headers = {}) {
    return http_.Request("GET", target, headers);
  }
  HttpResult Head(std::string_view target, Headers headers = {}) {
    return http_.Request("HEAD", target, headers);
  }
  HttpResult Delete(std::string_view target, Headers headers = {}) {
    return http_.Request("DELETE", target, headers);
  }
  HttpResult Post(std::string_view target, std::string_view body, Headers headers = {}) {
    return http_.Request("POST", target, WithJson(std::move(headers)), body);
  }
  HttpResult Put(std::string_view target, std::string_view body, Headers headers = {}) {
    return http_.Request("PUT", target, WithJson(std::move(headers)), body);
  }
  HttpResult Request(std::string_view method, std::string_view target, Headers headers = {},
                     std::string_view body = {}) {
    return http_.Request(method, target, headers, body);
  }

  // POSTs a resource and returns its new id ("" after reporting a failure).
  std::string Create(std::string_view type, std::string_view body) {
    HttpResult r = Post("/" + std::string(type), body);
    if (!r.ok || r.status != 201) {
      ADD_FAILURE() << "create " << type << " failed: " << r.status << " " << r.error << " "
                    << r.body.substr(0, 800);
      return {};
    }
    Json doc = ParseJson(r.body);
    if (doc.HasParseError()) {
      ADD_FAILURE() << "create " << type << ": unparsable body";
      return {};
    }
    return Str(doc, "id");
  }

  // GETs a search or history and parses the Bundle (reports a failure on a non-200).
  Json GetBundle(std::string_view target, Headers headers = {}) {
    HttpResult r = Get(target, std::move(headers));
    if (!r.ok || r.status != 200) {
      ADD_FAILURE() << "GET " << target << " failed: " << r.status << " " << r.error << " "
                    << r.body.substr(0, 800);
    }
    Json doc = ParseJson(r.body);
    if (doc.HasParseError() || Str(doc, "resourceType") != "Bundle") {
      ADD_FAILURE() << "GET " << target << ": not a Bundle: " << r.body.substr(0, 400);
    }
    return doc;
  }

  HttpClient& http() { return http_; }

 private:
  static Headers WithJson(Headers headers) {
    for (const auto& [k, v] : headers) {
      std::string lower;
      for (char c : k)
        lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      if (lower == "content-type") return headers;
    }
    headers.emplace_back("Content-Type", "application/fhir+json");
    return headers;
  }

  HttpClient http_;
};

// ---- Bundles ---------------------------------------------------------------------------------

// Ids of the entries' resources whose search.mode is `mode` (any mode when empty), in order.
inline std::vector<std::string> EntryIds(const JsonValue& bundle, std::string_view mode = "match") {
  std::vector<std::string> ids;
  const JsonValue* entries = At(bundle, "entry");
  if (entries == nullptr || !entries->IsArray()) return ids;
  for (const JsonValue& e : entries->GetArray()) {
    if (!mode.empty() && Str(e, "search.mode") != mode) continue;
    ids.push_back(Str(e, "resource.id"));
  }
  return ids;
}

// "Type/id" of the entries whose search.mode is `mode`.
inline std::set<std::string> EntryRefs(const JsonValue& bundle, std::string_view mode) {
  std::set<std::string> refs;
  const JsonValue* entries = At(bundle, "entry");
  if (entries == nullptr || !entries->IsArray()) return refs;
  for (const JsonValue& e : entries->GetArray()) {
    if (!mode.empty() && Str(e, "search.mode") != mode) continue;
    refs.insert(Str(e, "resource.resourceType") + "/" + Str(e, "resource.id"));
  }
  return refs;
}

// The url of the Bundle link with this relation, or "".
inline std::string Link(const JsonValue& bundle, std::string_view relation) {
  const JsonValue* links = At(bundle, "link");
  if (links == nullptr || !links->IsArray()) return {};
  for (const JsonValue& l : links->GetArray()) {
    if (Str(l, "relation") == relation) return Str(l, "url");
  }
  return {};
}

inline int64_t Total(const JsonValue& bundle) {
  const JsonValue* t = At(bundle, "total");
  return t != nullptr && t->IsInt64() ? t->GetInt64() : -1;
}

// ---- OperationOutcome ------------------------------------------------------------------------

inline bool IsFhirJson(const HttpResult& r) {
  std::string ct = r.Header("content-type");
  return ct.rfind("application/fhir+json", 0) == 0;
}

// Checks an error response: the HTTP status, Content-Type application/fhir+json, a
// well-formed OperationOutcome with at least one issue of severity error or fatal, every issue
// with a severity and a code; with `code`, an error issue has that IssueType code; with
// `expression`, some issue's expression list holds exactly that FHIRPath.
inline ::testing::AssertionResult IsOutcome(const HttpResult& r, int status,
                                            std::string_view code = {},
                                            std::string_view expression = {}) {
  if (!r.ok) return ::testing::AssertionFailure() << "transport error: " << r.error;
  if (r.status != status) {
    return ::testing::AssertionFailure()
           << "status " << r.status << " (want " << status << "), body " << r.body.substr(0, 600);
  }
  if (!IsFhirJson(r)) {
    return ::testing::AssertionFailure() << "Content-Type '" << r.Header("content-type") << "'";
  }
  Json doc = ParseJson(r.body);
  if (doc.HasParseError() || !doc.IsObject()) {
    return ::testing::AssertionFailure() << "body is not JSON: " << r.body.substr(0, 300);
  }
  if (Str(doc, "resourceType") != "OperationOutcome") {
    return ::testing::AssertionFailure() << "not an OperationOutcome: " << r.body.substr(0, 300);
  }
  const JsonValue* issues = At(doc, "issue");
  if (issues == nullptr || !issues->IsArray() || issues->Empty()) {
    return ::testing::AssertionFailure() << "no issues: " << r.body.substr(0, 300);
  }
  static const std::set<std::string> kSeverities = {"fatal", "error", "warning", "information"};
  bool has_error = false, code_found = code.empty(), expr_found = expression.empty();
  for (const JsonValue& issue : issues->GetArray()) {
    std::string severity = Str(issue, "severity");
    std::string issue_code = Str(issue, "code");
    if (!kSeverities.count(severity) || issue_code.empty()) {
      return ::testing::AssertionFailure() << "malformed issue: " << Serialize(issue);
    }
    bool error = severity == "error" || severity == "fatal";
    has_error = has_error || error;
    if (error && issue_code == code) code_found = true;
    if (const JsonValue* ex = At(issue, "expression"); ex != nullptr && ex->IsArray()) {
      for (const JsonValue& e : ex->GetArray()) {
        if (e.IsString() && std::string_view(e.GetString(), e.GetStringLength()) == expression) {
          expr_found = true;
        }
      }
    }
  }
  if (!has_error) return ::testing::AssertionFailure() << "no error issue: " << r.body;
  if (!code_found)
    return ::testing::AssertionFailure() << "no issue code " << code << ": " << r.body;
  if (!expr_found) {
    return ::testing::AssertionFailure() << "no issue expression " << expression << ": " << r.body;
  }
  return ::testing::AssertionSuccess();
}

// The issues of an OperationOutcome body.
struct IssueView {
  std::string severity;
  std::string code;
  std::string diagnostics;
  std::vector<std::string> expression;
};

inline std::vector<IssueView> Issues(std::string_view body) {
  std::vector<IssueView> out;
  Json doc = ParseJson(body);
  if (doc.HasParseError()) return out;
  const JsonValue* issues = At(doc, "issue");
  if (issues == nullptr || !issues->IsArray()) return out;
  for (const JsonValue& i : issues->GetArray()) {
    IssueView v{Str(i, "severity"), Str(i, "code"), Str(i, "diagnostics"), {}};
    if (const JsonValue* ex = At(i, "expression"); ex != nullptr && ex->IsArray()) {
      for (const JsonValue& e : ex->GetArray()) {
        if (e.IsString()) v.expression.emplace_back(e.GetString(), e.GetStringLength());
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

// ---- A gateway shared by the tests of one suite ----------------------------------------------

// Starts one gateway for a whole test suite (tests isolate their data with Unique()).
class SharedGateway {
 public:
  static void Start(std::unique_ptr<GatewayProcess>& slot, GatewayOptions options = {}) {
    slot = std::make_unique<GatewayProcess>(std::move(options));
    if (!slot->Start()) {
      ADD_FAILURE() << "gateway did not start: " << slot->error() << "\n" << slot->StderrText();
    }
  }
};

// A fixture with one gateway per test suite and a client per test. A suite that needs other
// settings hides SetUpTestSuite() and calls SharedGateway::Start(gateway_, options). Suites
// run one after another, so they share the one slot. On failure the gateway's stderr is
// printed.
class GatewaySuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { SharedGateway::Start(gateway_); }
  static void TearDownTestSuite() { gateway_.reset(); }
  void SetUp() override {
    ASSERT_TRUE(gateway_ && gateway_->running());
    client_ = std::make_unique<FhirClient>(gateway_->port());
  }
  void TearDown() override {
    if (HasFailure() && gateway_) std::cerr << "gateway stderr:\n" << gateway_->StderrText();
  }
  FhirClient& c() { return *client_; }
  static FhirClient Client() { return FhirClient(gateway_->port()); }

  static inline std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<FhirClient> client_;
};

}  // namespace emg::test::fhirt
