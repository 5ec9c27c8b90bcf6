// FHIR R4 search (search.html) against the real gateway binary over real sockets: every
// parameter type with its modifiers and prefixes, chaining, _id/_lastUpdated, paging links,
// _sort, _include/_revinclude, _summary/_total/_elements, strict and lenient handling, and
// POST _search. Every test isolates its data with unique names, identifiers or URLs, so the
// suite shares one gateway. All data is synthetic.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/support/fhir_support.h"
#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace emg::test {
namespace {

using namespace fhirt;
using namespace std::chrono_literals;
using Labels = std::set<std::string>;

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

class FhirSearch : public GatewaySuite {
 protected:
  // Creates a resource and remembers its id under `label`.
  void Make(const std::string& label, std::string_view type, const std::string& body) {
    std::string id = c().Create(type, body);
    ASSERT_FALSE(id.empty()) << label;
    id_of_[label] = id;
    label_of_[std::string(type) + "/" + id] = label;
  }
  const std::string& Id(const std::string& label) { return id_of_[label]; }

  // The labels of the entries with search.mode `mode`, unknown resources as "Type/id".
  Labels LabelsOf(const Json& bundle, std::string_view mode = "match") {
    Labels out;
    for (const std::string& ref : EntryRefs(bundle, mode)) {
      auto it = label_of_.find(ref);
      out.insert(it == label_of_.end() ? ref : it->second);
    }
    return out;
  }
  std::vector<std::string> OrderedLabels(const Json& bundle) {
    std::vector<std::string> out;
    const JsonValue* entries = At(bundle, "entry");
    if (entries == nullptr) return out;
    for (const JsonValue& e : entries->GetArray()) {
      if (Str(e, "search.mode") != "match") continue;
      std::string ref = Str(e, "resource.resourceType") + "/" + Str(e, "resource.id");
      auto it = label_of_.find(ref);
      out.push_back(it == label_of_.end() ? ref : it->second);
    }
    return out;
  }
  // Runs the search and returns the labels of its matches.
  Labels Search(const std::string& target, Headers headers = {}) {
    return LabelsOf(c().GetBundle(target, std::move(headers)));
  }

  std::map<std::string, std::string> id_of_;
  std::map<std::string, std::string> label_of_;
};

std::string Patient(std::string_view family, std::string_view extra = {},
                    std::string_view given = "Testperson") {
  std::string s = R"({"resourceType":"Patient","identifier":[{"system":")" +
                  std::string(kFnrSystem) + R"(","value":")" + NextFnr() +
                  R"("}],"name":[{"family":")" + std::string(family) + R"(","given":[")" +
                  std::string(given) + R"("]}])";
  if (!extra.empty()) s += "," + std::string(extra);
  return s + "}";
}

// An Observation carrying `tag` as its identifier (system) so a search can be restricted to
// one test's Observations with identifier=<tag>|.
std::string Observation(const std::string& tag, std::string_view extra) {
  return R"({"resourceType":"Observation","identifier":[{"system":")" + tag + R"(","value":")" +
         Unique("o") + R"("}],"status":"final",)" + std::string(extra) + "}";
}

const std::string kTextCode = R"("code":{"text":"synthetic"})";

// ---- string ----------------------------------------------------------------------------------

TEST_F(FhirSearch, StringStartsWithByDefaultAndSupportsExactAndContains) {
  std::string u = Unique("Strq");
  Make("A", "Patient", Patient(u + "Ærlig", "", "Åse"));
  Make("B", "Patient", Patient(u + "sen", "", "José"));
  Make("C", "Patient", Patient("Pre" + u, "", "Testperson"));
  EXPECT_EQ(Search("/Patient?family=" + u), (Labels{"A", "B"}));
  EXPECT_EQ(Search("/Patient?family=" + Lower(u)), (Labels{"A", "B"})) << "case-insensitive";
  EXPECT_EQ(Search("/Patient?family=" + UrlEncode(Lower(u) + "ærlig")), (Labels{"A"}));
  EXPECT_EQ(Search("/Patient?family:exact=" + u + "sen"), (Labels{"B"}));
  EXPECT_EQ(Search("/Patient?family:exact=" + Lower(u) + "sen"), Labels{})
      << "exact is case-sensitive";
  EXPECT_EQ(Search("/Patient?family:exact=" + u), Labels{});
  EXPECT_EQ(Search("/Patient?family:contains=" + Lower(u).substr(2)), (Labels{"A", "B", "C"}));
  EXPECT_EQ(Search("/Patient?name=" + u), (Labels{"A", "B"}));
  EXPECT_EQ(Search("/Patient?name:contains=" + u), (Labels{"A", "B", "C"}));
  // Accents fold (é -> e), the Norwegian letters æ ø å stay letters of their own.
  EXPECT_EQ(Search("/Patient?family:contains=" + u + "&given=jose"), (Labels{"B"}));
  EXPECT_EQ(Search("/Patient?family:contains=" + u + "&given=" + UrlEncode("ÅSE")), (Labels{"A"}));
  EXPECT_EQ(Search("/Patient?family:contains=" + u + "&given=ase"), Labels{});
  // Comma is OR, repetition is AND.
  EXPECT_EQ(Search("/Patient?family=" + u + "sen," + UrlEncode("Pre" + u)), (Labels{"B", "C"}));
  EXPECT_EQ(Search("/Patient?family=" + u + "&family=" + u + "s"), (Labels{"B"}));
}

// ---- token -----------------------------------------------------------------------------------

TEST_F(FhirSearch, TokenCodeSystemNotTextAndMissing) {
  std::string sys = "urn:emg-test:" + Unique("sys");
  std::string other = "urn:emg-test:" + Unique("other");
  std::string f = Unique("Tok");
  auto ident = [](const std::string& system, const std::string& value) {
    std::string s = R"("identifier":[{)";
    if (!system.empty()) s += R"("system":")" + system + R"(",)";
    return s + R"("value":")" + value + R"("}])";
  };
  auto patient = [&](const std::string& identifier, std::string_view gender) {
    std::string s =
        R"({"resourceType":"Patient",)" + identifier + R"(,"name":[{"family":")" + f + R"("}])";
    if (!gender.empty()) s += R"(,"gender":")" + std::string(gender) + "\"";
    return s + "}";
  };
  Make("P1", "Patient", patient(ident(sys, "v1"), "female"));
  Make("P2", "Patient", patient(ident(sys, "v2"), "male"));
  Make("P3", "Patient", patient(ident("", "v1"), ""));
  Make("P4", "Patient", patient(ident(other, "v1"), "female"));
  std::string fam = "&family:exact=" + f;
  EXPECT_EQ(Search("/Patient?identifier=" + UrlEncode(sys + "|v1")), (Labels{"P1"}));
  EXPECT_EQ(Search("/Patient?identifier=v1" + fam), (Labels{"P1", "P3", "P4"}));
  EXPECT_EQ(Search("/Patient?identifier=" + UrlEncode("|v1") + fam), (Labels{"P3"}));
  EXPECT_EQ(Search("/Patient?identifier=" + UrlEncode(sys + "|")), (Labels{"P1", "P2"}));
  EXPECT_EQ(Search("/Patient?identifier=" + UrlEncode(sys + "|v1," + sys + "|v2")),
            (Labels{"P1", "P2"}));
  EXPECT_EQ(Search("/Patient?gender=female" + fam), (Labels{"P1", "P4"}));
  EXPECT_EQ(Search("/Patient?gender:not=female" + fam), (Labels{"P2", "P3"}));
  EXPECT_EQ(Search("/Patient?gender:missing=true" + fam), (Labels{"P3"}));
  EXPECT_EQ(Search("/Patient?gender:missing=false" + fam), (Labels{"P1", "P2", "P4"}));
  EXPECT_EQ(Search("/Patient?identifier:not=" + UrlEncode(sys + "|v1") + fam),
            (Labels{"P2", "P3", "P4"}));

  std::string tag = "urn:emg-test:" + Unique("obs");
  Make("O1", "Observation",
       Observation(tag, R"("code":{"coding":[{"system":"http://loinc.org","code":"8867-4",)"
                        R"("display":"Heart rate"}],"text":"Puls målt hjemme"})"));
  Make("O2", "Observation",
       Observation(tag, R"("code":{"coding":[{"system":"http://loinc.org","code":"9279-1",)"
                        R"("display":"Respiratory rate"}]})"));
  std::string only = "&identifier=" + UrlEncode(tag + "|");
  EXPECT_EQ(Search("/Observation?code=" + UrlEncode("http://loinc.org|8867-4") + only),
            (Labels{"O1"}));
  EXPECT_EQ(Search("/Observation?code=9279-1" + only), (Labels{"O2"}));
  EXPECT_EQ(Search("/Observation?code=" + UrlEncode("http://snomed.info/sct|8867-4") + only),
            Labels{});
  EXPECT_EQ(Search("/Observation?code:text=puls" + only), (Labels{"O1"}));
  EXPECT_EQ(Search("/Observation?code:text=heart" + only), (Labels{"O1"}));
  EXPECT_EQ(Search("/Observation?code:text=rate" + only), (Labels{"O1", "O2"}));
  EXPECT_EQ(Search("/Observation?code:not=" + UrlEncode("http://loinc.org|8867-4") + only),
            (Labels{"O2"}));
  EXPECT_TRUE(IsOutcome(c().Get("/Observation?code=" + UrlEncode("a|b|c")), 400));
}

// ---- reference and chaining ----------------------------------------------------------------

TEST_F(FhirSearch, ReferenceByTypeIdPlainIdAndChains) {
  std::string u = Unique("Ref");
  std::string org_sys = "urn:emg-test:" + Unique("org");
  Make("Org", "Organization",
       R"({"resourceType":"Organization","identifier":[{"system":")" + org_sys +
           R"(","value":"org1"}],"name":"Synthetic clinic"})");
  std::string fnr1 = NextFnr();
  Make("P1", "Patient",
       R"({"resourceType":"Patient","identifier":[{"system":")" + std::string(kFnrSystem) +
           R"(","value":")" + fnr1 + R"("}],"name":[{"family":")" + u +
           R"(a"}],)"
           R"("managingOrganization":{"reference":"Organization/)" +
           Id("Org") + R"("}})");
  Make("P2", "Patient", Patient(u + "b"));
  std::string tag = "urn:emg-test:" + Unique("refobs");
  auto obs = [&](const std::string& patient) {
    return Observation(tag,
                       kTextCode + R"(,"subject":{"reference":"Patient/)" + Id(patient) + R"("})");
  };
  Make("O1", "Observation", obs("P1"));
  Make("O2", "Observation", obs("P1"));
  Make("O3", "Observation", obs("P2"));
  std::string only = "&identifier=" + UrlEncode(tag + "|");
  EXPECT_EQ(Search("/Observation?subject=Patient/" + Id("P1") + only), (Labels{"O1", "O2"}));
  EXPECT_EQ(Search("/Observation?subject=" + Id("P1") + only), (Labels{"O1", "O2"}));
  EXPECT_EQ(Search("/Observation?subject:Patient=" + Id("P1") + only), (Labels{"O1", "O2"}));
  EXPECT_EQ(Search("/Observation?patient=Patient/" + Id("P2") + only), (Labels{"O3"}));
  EXPECT_EQ(Search("/Observation?subject=Group/" + Id("P1") + only), Labels{});
  EXPECT_EQ(Search("/Observation?subject=Patient/" + Id("P1") + ",Patient/" + Id("P2") + only),
            (Labels{"O1", "O2", "O3"}));
  EXPECT_EQ(Search("/Patient?organization=Organization/" + Id("Org")), (Labels{"P1"}));
  // Chains: typed, untyped where the reference has one target type, and two links deep.
  EXPECT_EQ(Search("/Observation?subject:Patient.identifier=" +
                   UrlEncode(std::string(kFnrSystem) + "|" + fnr1) + only),
            (Labels{"O1", "O2"}));
  EXPECT_EQ(Search("/Observation?patient.name=" + u + "b" + only), (Labels{"O3"}));
  EXPECT_EQ(Search("/Observation?patient.name=" + u + only), (Labels{"O1", "O2", "O3"}));
  EXPECT_EQ(Search("/Observation?subject:Patient.name=" + u + "a" + only), (Labels{"O1", "O2"}));
  EXPECT_EQ(Search("/Observation?subject:Patient.organization.identifier=" +
                   UrlEncode(org_sys + "|org1") + only),
            (Labels{"O1", "O2"}));
  EXPECT_EQ(Search("/Observation?performer:missing=true" + only), (Labels{"O1", "O2", "O3"}));
  // A chain through something that is not a reference parameter is an error in both modes.
  for (const char* handling : {"handling=strict", "handling=lenient"}) {
    EXPECT_TRUE(
        IsOutcome(c().Get("/Observation?subject:Patient.nosuch=x", {{"Prefer", handling}}), 400));
    EXPECT_TRUE(IsOutcome(c().Get("/Observation?status.name=x", {{"Prefer", handling}}), 400));
  }
  // subject may be a Patient or a Group here: the untyped chain is ambiguous and refused.
  EXPECT_TRUE(IsOutcome(c().Get("/Observation?subject.name=x"), 400));
}

// ---- date --------------------------------------------------------------------------------------

TEST_F(FhirSearch, DatePrefixesOnValuesOfDifferentPrecision) {
  std::string f = Unique("Dato");
  Make("A", "Patient", Patient(f, R"("birthDate":"1990")"));
  Make("B", "Patient", Patient(f, R"("birthDate":"1990-06")"));
  Make("C", "Patient", Patient(f, R"("birthDate":"1990-06-15")"));
  Make("D", "Patient", Patient(f, R"("birthDate":"1990-06-16")"));
  Make("E", "Patient", Patient(f, R"("birthDate":"1991-02-03")"));
  Make("N", "Patient", Patient(f));
  struct Case {
    std::string value;
    Labels want;
  };
  // search.html#prefix: the value's precision makes it a range; eq = the search range contains
  // the target, gt/lt compare the ends, sa/eb = entirely after/before.
  for (const Case& k : std::vector<Case>{
           {"1990-06-15", {"C"}},
           {"eq1990-06", {"B", "C", "D"}},
           {"1990", {"A", "B", "C", "D"}},
           {"ne1990-06-15", {"A", "B", "D", "E"}},
           {"gt1990-06-15", {"A", "B", "D", "E"}},
           {"lt1990-06-15", {"A", "B"}},
           {"ge1990-06-15", {"A", "B", "C", "D", "E"}},
           {"le1990-06-15", {"A", "B", "C"}},
           {"sa1990-06-15", {"D", "E"}},
           {"eb1990-06-16", {"C"}},
           {"gt1990-12-31", {"E"}},
           {"sa1989", {"A", "B", "C", "D", "E"}},
           {"eb1991", {"A", "B", "C", "D"}},
           {"lt1990-06-15T12:00:00Z", {"A", "B", "C"}},
           {"1990-06-15,1991-02-03", {"C", "E"}},
       }) {
    EXPECT_EQ(Search("/Patient?family:exact=" + f + "&birthdate=" + UrlEncode(k.value)), k.want)
        << k.value;
  }
  EXPECT_EQ(Search("/Patient?family:exact=" + f + "&birthdate=ge1990-06-01&birthdate=lt1990-07-01"),
            (Labels{"A", "B", "C", "D"}));
  EXPECT_EQ(Search("/Patient?family:exact=" + f + "&birthdate:missing=true"), (Labels{"N"}));

  // dateTime with offsets and Periods.
  std::string tag = "urn:emg-test:" + Unique("dateobs");
  Make("O1", "Observation",
       Observation(tag, kTextCode + R"(,"effectiveDateTime":"2020-06-15T23:30:00+02:00")"));
  Make("O2", "Observation",
       Observation(tag,
                   kTextCode + R"(,"effectivePeriod":{"start":"2020-01-01","end":"2020-01-31"})"));
  Make("O3", "Observation",
       Observation(tag, kTextCode + R"(,"effectiveDateTime":"2020-06-16T00:30:00+02:00")"));
  std::string only = "/Observation?identifier=" + UrlEncode(tag + "|");
  EXPECT_EQ(Search(only + "&date=" + UrlEncode("ge2020-06-15T21:00:00Z") +
                   "&date=" + UrlEncode("lt2020-06-15T22:00:00Z")),
            (Labels{"O1"}));
  EXPECT_EQ(Search(only + "&date=" + UrlEncode("gt2020-06-15T22:00:00+00:00")), (Labels{"O3"}));
  EXPECT_EQ(Search(only + "&date=2020-01-15"), Labels{}) << "the period is wider than the day";
  EXPECT_EQ(Search(only + "&date=ge2020-01-15&date=le2020-01-20"), (Labels{"O2"}));
  EXPECT_EQ(Search(only + "&date=eb2020-02-01"), (Labels{"O2"}));
  EXPECT_EQ(Search(only + "&date=sa2019-12-31"), (Labels{"O1", "O2", "O3"}));
  EXPECT_EQ(Search(only + "&date=2020"), (Labels{"O1", "O2", "O3"}));
  // Malformed dates are errors in both handling modes, and the value is not echoed.
  for (const char* bad : {"notadate", "1990-13", "1990-02-30", "xx1990", "1990-06-15T25:00:00Z"}) {
    for (const char* handling : {"handling=strict", "handling=lenient"}) {
      HttpResult r = c().Get("/Patient?birthdate=" + UrlEncode(bad), {{"Prefer", handling}});
      EXPECT_TRUE(IsOutcome(r, 400)) << bad << " " << handling;
      EXPECT_EQ(r.body.find(bad), std::string::npos) << r.body;
    }
  }
}

// ---- number, quantity, uri -------------------------------------------------------------------

TEST_F(FhirSearch, NumberAndQuantityPrefixesAndUnits) {
  std::string tag = "urn:emg-test:" + Unique("risk");
  auto risk = [&](const char* p) {
    return R"({"resourceType":"RiskAssessment","identifier":[{"system":")" + tag +
           R"(","value":")" + Unique("r") +
           R"("}],"status":"final","subject":{"reference":"Patient/x"},)"
           R"("prediction":[{"probabilityDecimal":)" +
           std::string(p) + "}]}";
  };
  Make("R25", "RiskAssessment", risk("0.25"));
  Make("R50", "RiskAssessment", risk("0.5"));
  Make("R80", "RiskAssessment", risk("0.8"));
  std::string only = "/RiskAssessment?identifier=" + UrlEncode(tag + "|") + "&probability=";
  EXPECT_EQ(Search(only + "0.5"), (Labels{"R50"}));
  EXPECT_EQ(Search(only + "gt0.4"), (Labels{"R50", "R80"}));
  EXPECT_EQ(Search(only + "lt0.5"), (Labels{"R25"}));
  EXPECT_EQ(Search(only + "ge0.5"), (Labels{"R50", "R80"}));
  EXPECT_EQ(Search(only + "le0.25"), (Labels{"R25"}));
  EXPECT_EQ(Search(only + "ne0.5"), (Labels{"R25", "R80"}));
  EXPECT_EQ(Search(only + "sa0.5"), (Labels{"R80"}));
  EXPECT_EQ(Search(only + "eb0.5"), (Labels{"R25"}));
  EXPECT_EQ(Search(only + "0.25,0.8"), (Labels{"R25", "R80"}));
  EXPECT_TRUE(IsOutcome(c().Get(only + "abc"), 400));

  std::string otag = "urn:emg-test:" + Unique("qty");
  auto qty = [&](const char* value, const char* unit, const char* code) {
    return Observation(otag, kTextCode + R"(,"valueQuantity":{"value":)" + value + R"(,"unit":")" +
                                 unit + R"(","system":"http://unitsofmeasure.org","code":")" +
                                 code + R"("})");
  };
  Make("Q72", "Observation", qty("72", "beats/minute", "/min"));
  Make("Q120", "Observation", qty("120", "mmHg", "mm[Hg]"));
  Make("Q5", "Observation", qty("5.4", "mmol/l", "mmol/L"));
  std::string q = "/Observation?identifier=" + UrlEncode(otag + "|") + "&value-quantity=";
  EXPECT_EQ(Search(q + "72"), (Labels{"Q72"}));
  EXPECT_EQ(Search(q + "gt100"), (Labels{"Q120"}));
  EXPECT_EQ(Search(q + "lt100"), (Labels{"Q72", "Q5"}));
  EXPECT_EQ(Search(q + UrlEncode("72|http://unitsofmeasure.org|/min")), (Labels{"Q72"}));
  EXPECT_EQ(Search(q + UrlEncode("72||/min")), (Labels{"Q72"}));
  EXPECT_EQ(Search(q + UrlEncode("72|http://example.org/other-units|/min")), Labels{});
  EXPECT_EQ(Search(q + UrlEncode("72||mm[Hg]")), Labels{});
  EXPECT_EQ(Search(q + UrlEncode("le10||mmol/L")), (Labels{"Q5"}));
  EXPECT_EQ(Search(q + UrlEncode("5.4||mmol/l")), (Labels{"Q5"})) << "the unit matches too";
  EXPECT_EQ(Search(q + UrlEncode("ge5.4|http://unitsofmeasure.org|mmol/L")), (Labels{"Q5"}));
  EXPECT_TRUE(IsOutcome(c().Get(q + UrlEncode("72|a|b|c")), 400));
  EXPECT_TRUE(IsOutcome(c().Get(q + "seventy"), 400));
}

TEST_F(FhirSearch, UriExactBelowAndAbove) {
  std::string base = "http://example.org/fhir/Questionnaire/" + Unique("q");
  auto questionnaire = [](const std::string& url) {
    return R"({"resourceType":"Questionnaire","url":")" + url + R"(","status":"active"})";
  };
  Make("Qa", "Questionnaire", questionnaire(base + "/a"));
  Make("Qb", "Questionnaire", questionnaire(base + "/b"));
  Make("Qc", "Questionnaire", questionnaire(base));
  EXPECT_EQ(Search("/Questionnaire?url=" + UrlEncode(base + "/a")), (Labels{"Qa"}));
  EXPECT_EQ(Search("/Questionnaire?url=" + UrlEncode(base)), (Labels{"Qc"}))
      << "uri is exact by default";
  EXPECT_EQ(Search("/Questionnaire?url=" + UrlEncode(Lower(base))), Labels{})
      << "and case-sensitive";
  EXPECT_EQ(Search("/Questionnaire?url:below=" + UrlEncode(base)), (Labels{"Qa", "Qb", "Qc"}));
  EXPECT_EQ(Search("/Questionnaire?url:above=" + UrlEncode(base + "/a/v2")), (Labels{"Qa", "Qc"}));
  EXPECT_EQ(Search("/Questionnaire?url=" + UrlEncode(base + "/a") + "," + UrlEncode(base + "/b")),
            (Labels{"Qa", "Qb"}));
}

// ---- _id, _lastUpdated, system level -------------------------------------------------------

TEST_F(FhirSearch, IdAndLastUpdatedWithPrefixes) {
  std::string f = Unique("Sist");
  Make("P1", "Patient", Patient(f));
  std::this_thread::sleep_for(5ms);
  Make("P2", "Patient", Patient(f));
  std::this_thread::sleep_for(5ms);
  Make("P3", "Patient", Patient(f));
  EXPECT_EQ(Search("/Patient?_id=" + Id("P1")), (Labels{"P1"}));
  EXPECT_EQ(Search("/Patient?_id=" + Id("P1") + "," + Id("P3")), (Labels{"P1", "P3"}));
  EXPECT_EQ(Search("/Patient?_id=no-such-id-4716"), Labels{});
  EXPECT_EQ(Search("/Observation?_id=" + Id("P1")), Labels{}) << "ids are per type";
  std::string t2 = Str(ParseJson(c().Get("/Patient/" + Id("P2")).body), "meta.lastUpdated");
  ASSERT_FALSE(t2.empty());
  std::string fam = "/Patient?family:exact=" + f + "&_lastUpdated=";
  EXPECT_EQ(Search(fam + UrlEncode(t2)), (Labels{"P2"}));
  EXPECT_EQ(Search(fam + UrlEncode("ge" + t2)), (Labels{"P2", "P3"}));
  EXPECT_EQ(Search(fam + UrlEncode("gt" + t2)), (Labels{"P3"}));
  EXPECT_EQ(Search(fam + UrlEncode("lt" + t2)), (Labels{"P1"}));
  EXPECT_EQ(Search(fam + UrlEncode("le" + t2)), (Labels{"P1", "P2"}));
  EXPECT_EQ(Search(fam + UrlEncode("ne" + t2)), (Labels{"P1", "P3"}));
  EXPECT_EQ(Search(fam + "ge2000-01-01"), (Labels{"P1", "P2", "P3"}));
  EXPECT_EQ(Search(fam + "lt2000-01-01"), Labels{});
  EXPECT_TRUE(IsOutcome(c().Get(fam + "recently"), 400));
  // System level: the Resource parameters across all types.
  Json system = c().GetBundle("/?_id=" + Id("P2"));
  EXPECT_EQ(LabelsOf(system), (Labels{"P2"}));
  EXPECT_TRUE(Str(system, "entry.0.fullUrl").ends_with("/Patient/" + Id("P2")));
  EXPECT_TRUE(IsOutcome(c().Get("/?family=x", {{"Prefer", "handling=strict"}}), 400));
}

// ---- paging ------------------------------------------------------------------------------------

TEST_F(FhirSearch, PagingLinksGiveCompleteNonOverlappingPagesOverAStableSnapshot) {
  std::string f = Unique("Side");
  for (const char* letter : {"b", "d", "f", "h", "j", "l", "n"})
    Make(letter, "Patient", Patient(f + letter));
  std::string query = "/Patient?family=" + f + "&_count=3&_sort=family";
  Json page1 = c().GetBundle(query);
  EXPECT_EQ(Str(page1, "type"), "searchset");
  EXPECT_EQ(Total(page1), 7);
  EXPECT_EQ(OrderedLabels(page1), (std::vector<std::string>{"b", "d", "f"}));
  EXPECT_FALSE(Link(page1, "self").empty());
  EXPECT_FALSE(Link(page1, "first").empty());
  EXPECT_FALSE(Link(page1, "last").empty());
  EXPECT_TRUE(Link(page1, "previous").empty());
  ASSERT_FALSE(Link(page1, "next").empty());

  // Writes between the page fetches: two new matches that sort first, a renamed and a deleted
  // match. The following pages still show the state of the first.
  Make("a", "Patient", Patient(f + "a"));
  Make("c", "Patient", Patient(f + "c"));
  std::string renamed = R"({"resourceType":"Patient","id":")" + Id("j") +
                        R"(","name":[{"family":")" + f + R"(zz"}]})";
  ASSERT_EQ(c().Put("/Patient/" + Id("j"), renamed).status, 200);
  ASSERT_EQ(c().Delete("/Patient/" + Id("l")).status / 100, 2);

  Json page2 = c().GetBundle(PathOf(Link(page1, "next")));
  EXPECT_EQ(Total(page2), 7);
  EXPECT_EQ(OrderedLabels(page2), (std::vector<std::string>{"h", "j", "l"}));
  EXPECT_FALSE(Link(page2, "previous").empty());
  for (size_t i = 0; i < Count(page2, "entry"); ++i) {
    std::string e = "entry." + std::to_string(i);
    if (Str(page2, e + ".resource.id") == Id("j")) {
      EXPECT_EQ(Str(page2, e + ".resource.name.0.family"), f + "j")
          << "the version of the snapshot";
    }
  }
  Json page3 = c().GetBundle(PathOf(Link(page2, "next")));
  EXPECT_EQ(OrderedLabels(page3), (std::vector<std::string>{"n"}));
  EXPECT_TRUE(Link(page3, "next").empty());
  EXPECT_EQ(OrderedLabels(c().GetBundle(PathOf(Link(page3, "previous")))),
            (std::vector<std::string>{"h", "j", "l"}));
  EXPECT_EQ(OrderedLabels(c().GetBundle(PathOf(Link(page1, "last")))),
            (std::vector<std::string>{"n"}));
  EXPECT_EQ(OrderedLabels(c().GetBundle(PathOf(Link(page3, "first")))),
            (std::vector<std::string>{"b", "d", "f"}));
  // Every link keeps the criteria.
  for (const char* rel : {"self", "first", "next", "last"}) {
    EXPECT_NE(Link(page1, rel).find("family=" + f), std::string::npos)
        << rel << ": " << Link(page1, rel);
  }
  // A new search sees the new state.
  Json fresh = c().GetBundle(query);
  EXPECT_EQ(Total(fresh), 8);
  EXPECT_EQ(OrderedLabels(fresh), (std::vector<std::string>{"a", "b", "c"}));

  // Default order (no _sort) pages the same way.
  std::set<std::string> seen;
  size_t pages = 0;
  std::string next = "/Patient?family=" + f + "&_count=2";
  while (!next.empty() && pages < 10) {
    Json page = c().GetBundle(next);
    for (const std::string& id : EntryIds(page))
      EXPECT_TRUE(seen.insert(id).second) << "overlap: " << id;
    next = Link(page, "next").empty() ? "" : PathOf(Link(page, "next"));
    ++pages;
  }
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(pages, 4u);
  EXPECT_TRUE(IsOutcome(c().Get("/Patient?_count=many"), 400));
}

// ---- _sort ------------------------------------------------------------------------------------

TEST_F(FhirSearch, SortAscendingDescendingAndOnSeveralKeys) {
  std::string f = Unique("Sort");
  Make("b", "Patient", Patient(f + "b", R"("birthDate":"1990-01-01")"));
  Make("a", "Patient", Patient(f + "a", R"("birthDate":"1985-05-05")"));
  Make("c", "Patient", Patient(f + "c", R"("birthDate":"1990-01-01")"));
  Make("d", "Patient", Patient(f + "d"));
  std::string q = "/Patient?family=" + f + "&_sort=";
  using Order = std::vector<std::string>;
  EXPECT_EQ(OrderedLabels(c().GetBundle(q + "family")), (Order{"a", "b", "c", "d"}));
  EXPECT_EQ(OrderedLabels(c().GetBundle(q + "-family")), (Order{"d", "c", "b", "a"}));
  Order by_birth = OrderedLabels(c().GetBundle(q + "birthdate,family"));
  ASSERT_EQ(by_birth.size(), 4u);
  EXPECT_EQ(Order(by_birth.begin(), by_birth.begin() + 3), (Order{"a", "b", "c"}));
  Order by_birth_desc = OrderedLabels(c().GetBundle(q + "-birthdate,family"));
  by_birth_desc.erase(std::remove(by_birth_desc.begin(), by_birth_desc.end(), "d"),
                      by_birth_desc.end());
  EXPECT_EQ(by_birth_desc, (Order{"b", "c", "a"}));
  Order both_desc = OrderedLabels(c().GetBundle(q + "-birthdate,-family"));
  both_desc.erase(std::remove(both_desc.begin(), both_desc.end(), "d"), both_desc.end());
  EXPECT_EQ(both_desc, (Order{"c", "b", "a"}));
  EXPECT_EQ(OrderedLabels(c().GetBundle(q + "_lastUpdated")), (Order{"b", "a", "c", "d"}));
  EXPECT_EQ(OrderedLabels(c().GetBundle(q + "-_lastUpdated")), (Order{"d", "c", "a", "b"}));
  std::vector<std::string> ids = EntryIds(c().GetBundle(q + "_id"));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  // An unknown sort key: ignored with a warning when lenient, refused when strict.
  Json lenient = c().GetBundle(q + "shoesize");
  EXPECT_EQ(LabelsOf(lenient), (Labels{"a", "b", "c", "d"}));
  EXPECT_EQ(Count(lenient, "entry"), 5u) << "four matches and the warning";
  EXPECT_TRUE(IsOutcome(c().Get(q + "shoesize", {{"Prefer", "handling=strict"}}), 400));
}

// ---- _include / _revinclude -----------------------------------------------------------------

TEST_F(FhirSearch, IncludeRevincludeAndIterate) {
  Make("Org", "Organization", R"({"resourceType":"Organization","name":"Synthetic clinic"})");
  Make("Pr", "Practitioner", R"({"resourceType":"Practitioner","name":[{"family":"Syntetisk"}]})");
  Make("P", "Patient",
       Patient(Unique("Inc"), R"("managingOrganization":{"reference":"Organization/)" + Id("Org") +
                                  R"("},"generalPractitioner":[{"reference":"Practitioner/)" +
                                  Id("Pr") + R"("}])"));
  Make("P2", "Patient", Patient(Unique("Inc")));
  std::string tag = "urn:emg-test:" + Unique("incobs");
  auto obs = [&](const std::string& patient) {
    return Observation(tag,
                       kTextCode + R"(,"subject":{"reference":"Patient/)" + Id(patient) + R"("})");
  };
  Make("O1", "Observation", obs("P"));
  Make("O2", "Observation", obs("P"));
  Make("O3", "Observation", obs("P2"));
  std::string q = "/Observation?identifier=" + UrlEncode(tag + "|") + "&subject=Patient/" + Id("P");

  Json b = c().GetBundle(q + "&_include=Observation:subject");
  EXPECT_EQ(LabelsOf(b), (Labels{"O1", "O2"}));
  EXPECT_EQ(LabelsOf(b, "include"), (Labels{"P"}));
  EXPECT_EQ(Count(b, "entry"), 3u) << "the patient is included once";
  EXPECT_EQ(Total(b), 2) << "the total counts matches only";

  b = c().GetBundle(q + "&_include=Observation:subject&_include:iterate=Patient:organization" +
                    "&_include:iterate=Patient:general-practitioner");
  EXPECT_EQ(LabelsOf(b, "include"), (Labels{"P", "Org", "Pr"}));
  b = c().GetBundle("/Observation?identifier=" + UrlEncode(tag + "|") +
                    "&_include=Observation:subject:Patient");
  EXPECT_EQ(LabelsOf(b, "include"), (Labels{"P", "P2"}));
  b = c().GetBundle(q + "&_include=" + UrlEncode("Observation:*"));
  EXPECT_EQ(LabelsOf(b, "include"), (Labels{"P"}));

  b = c().GetBundle("/Patient?_id=" + Id("P") + "&_revinclude=Observation:subject");
  EXPECT_EQ(LabelsOf(b), (Labels{"P"}));
  EXPECT_EQ(LabelsOf(b, "include"), (Labels{"O1", "O2"}));
  b = c().GetBundle("/Patient?_id=" + Id("P") +
                    "&_revinclude=Observation:subject&_include=Patient:organization");
  EXPECT_EQ(LabelsOf(b, "include"), (Labels{"O1", "O2", "Org"}));
  b = c().GetBundle("/Organization?_id=" + Id("Org") +
                    "&_revinclude=Patient:organization&_revinclude:iterate=Observation:subject");
  EXPECT_EQ(LabelsOf(b), (Labels{"Org"}));
  EXPECT_EQ(LabelsOf(b, "include"), (Labels{"P", "O1", "O2"}));
  for (size_t i = 0; i < Count(b, "entry"); ++i) {
    EXPECT_FALSE(Str(b, "entry." + std::to_string(i) + ".fullUrl").empty());
  }
  // Errors: an include from another type without :iterate, an unknown reference parameter.
  EXPECT_TRUE(IsOutcome(c().Get(q + "&_include=Patient:organization"), 400));
  EXPECT_TRUE(IsOutcome(c().Get(q + "&_include=Observation:nosuch"), 400));
  EXPECT_TRUE(IsOutcome(c().Get(q + "&_include=Observation"), 400));
}

// _include:iterate is applied until no new resources come in (search.html#revinclude): here
// three hops, Observation -> Patient -> Organization -> its partOf Organization.
TEST_F(FhirSearch, IncludeIterateFollowsMoreThanTwoLevels) {
  Make("Top", "Organization", R"({"resourceType":"Organization","name":"Synthetic region"})");
  Make(
      "Dept", "Organization",
      R"({"resourceType":"Organization","name":"Synthetic clinic","partOf":{"reference":"Organization/)" +
          Id("Top") + R"("}})");
  Make("P", "Patient",
       Patient(Unique("Iter"),
               R"("managingOrganization":{"reference":"Organization/)" + Id("Dept") + R"("})"));
  std::string tag = "urn:emg-test:" + Unique("iter");
  Make("O", "Observation",
       Observation(tag, kTextCode + R"(,"subject":{"reference":"Patient/)" + Id("P") + R"("})"));
  Json b = c().GetBundle("/Observation?_id=" + Id("O") +
                         "&_include=Observation:subject&_include:iterate=Patient:organization"
                         "&_include:iterate=Organization:partof");
  EXPECT_EQ(LabelsOf(b, "include"), (Labels{"P", "Dept", "Top"}));
}

// ---- _summary, _total, _elements ------------------------------------------------------------

TEST_F(FhirSearch, SummaryCountTotalAndElements) {
  std::string f = Unique("Sum");
  std::string text =
      R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Syntetisk</div>"})";
  for (const char* l : {"A", "B", "C"})
    Make(l, "Patient", Patient(f, text + R"(,"gender":"female")"));
  std::string q = "/Patient?family:exact=" + f;
  Json count = c().GetBundle(q + "&_summary=count");
  EXPECT_EQ(Total(count), 3);
  EXPECT_EQ(Count(count, "entry"), 0u);
  EXPECT_FALSE(Link(count, "self").empty());
  EXPECT_TRUE(Link(count, "next").empty()) << "a count has no further pages";
  EXPECT_TRUE(Link(count, "last").empty());
  Json total = c().GetBundle(q + "&_total=accurate&_count=1");
  EXPECT_EQ(Total(total), 3);
  EXPECT_EQ(Count(total, "entry"), 1u);

  auto has_subsetted = [](const JsonValue& resource) {
    const JsonValue* tags = At(resource, "meta.tag");
    if (tags == nullptr || !tags->IsArray()) return false;
    for (const JsonValue& t : tags->GetArray()) {
      if (Str(t, "code") == "SUBSETTED" &&
          Str(t, "system") == "http://terminology.hl7.org/CodeSystem/v3-ObservationValue") {
        return true;
      }
    }
    return false;
  };
  Json elements = c().GetBundle(q + "&_elements=identifier");
  ASSERT_EQ(Count(elements, "entry"), 3u);
  for (const JsonValue& e : At(elements, "entry")->GetArray()) {
    const JsonValue& r = e["resource"];
    EXPECT_NE(At(r, "identifier"), nullptr);
    EXPECT_NE(At(r, "id"), nullptr);
    EXPECT_EQ(At(r, "name"), nullptr);
    EXPECT_EQ(At(r, "gender"), nullptr);
    EXPECT_EQ(At(r, "text"), nullptr);
    EXPECT_TRUE(has_subsetted(r)) << Serialize(r);
  }
  Json two = c().GetBundle(q + "&_elements=identifier,gender");
  EXPECT_EQ(Str(two, "entry.0.resource.gender"), "female");
  EXPECT_EQ(At(two, "entry.0.resource.name"), nullptr);

  Json summary = c().GetBundle(q + "&_summary=true");
  EXPECT_EQ(At(summary, "entry.0.resource.text"), nullptr);
  EXPECT_NE(At(summary, "entry.0.resource.name"), nullptr);
  EXPECT_TRUE(has_subsetted(*At(summary, "entry.0.resource")));
  Json data = c().GetBundle(q + "&_summary=data");
  EXPECT_EQ(At(data, "entry.0.resource.text"), nullptr);
  EXPECT_NE(At(data, "entry.0.resource.gender"), nullptr);
  Json text_only = c().GetBundle(q + "&_summary=text");
  EXPECT_NE(At(text_only, "entry.0.resource.text"), nullptr);
  EXPECT_EQ(At(text_only, "entry.0.resource.name"), nullptr);

  // On a read.
  Json read = ParseJson(c().Get("/Patient/" + Id("A") + "?_elements=name").body);
  EXPECT_NE(At(read, "name"), nullptr);
  EXPECT_EQ(At(read, "identifier"), nullptr);
  EXPECT_TRUE(has_subsetted(read));
  EXPECT_FALSE(has_subsetted(ParseJson(c().Get("/Patient/" + Id("A")).body)));
  // The stored resource is not changed by subsetting.
  EXPECT_NE(At(ParseJson(c().Get("/Patient/" + Id("A")).body), "identifier"), nullptr);
  EXPECT_TRUE(IsOutcome(c().Get(q + "&_elements=" + UrlEncode("name;drop")), 400));
  EXPECT_TRUE(IsOutcome(c().Get(q + "&_summary=maybe"), 400));
  EXPECT_TRUE(IsOutcome(c().Get(q + "&_total=some"), 400));
}

// ---- handling ---------------------------------------------------------------------------------

TEST_F(FhirSearch, StrictAndLenientHandlingOfUnknownAndMalformedParameters) {
  std::string f = Unique("Hand");
  Make("A", "Patient", Patient(f));
  std::string q = "/Patient?family:exact=" + f + "&shoe-size=44";
  EXPECT_TRUE(IsOutcome(c().Get(q, {{"Prefer", "handling=strict"}}), 400));
  for (const Headers& lenient : {Headers{{"Prefer", "handling=lenient"}}, Headers{}}) {
    Json b = c().GetBundle(q, lenient);
    EXPECT_EQ(LabelsOf(b), (Labels{"A"}));
    bool warned = false;
    for (const JsonValue& e : At(b, "entry")->GetArray()) {
      if (Str(e, "search.mode") != "outcome") continue;
      EXPECT_EQ(Str(e, "resource.resourceType"), "OperationOutcome");
      EXPECT_EQ(Str(e, "resource.issue.0.severity"), "warning");
      EXPECT_NE(Str(e, "resource.issue.0.diagnostics").find("shoe-size"), std::string::npos);
      warned = true;
    }
    EXPECT_TRUE(warned);
  }
  // Malformed values and unsupported modifiers of known parameters fail in both modes: ignoring
  // them would widen the result.
  for (const char* bad : {"birthdate=notadate", "family:phonetic=x", "_count=abc", "gender:exact=x",
                          "_summary=maybe", "general-practitioner:Medication=1"}) {
    for (const Headers& h : {Headers{{"Prefer", "handling=strict"}},
                             Headers{{"Prefer", "handling=lenient"}}, Headers{}}) {
      EXPECT_TRUE(IsOutcome(c().Get("/Patient?family:exact=" + f + "&" + bad, h), 400)) << bad;
    }
  }
}

// ---- POST _search -----------------------------------------------------------------------------

TEST_F(FhirSearch, PostSearchWithAFormBodyMatchesGet) {
  std::string f = Unique("Post");
  for (const char* l : {"A", "B", "C"}) Make(l, "Patient", Patient(f));
  Headers form = {{"Content-Type", "application/x-www-form-urlencoded"}};
  HttpResult r = c().Request("POST", "/Patient/_search", form, "family=" + f + "&_count=2");
  ASSERT_EQ(r.status, 200) << r.body;
  Json posted = ParseJson(r.body);
  Json got = c().GetBundle("/Patient?family=" + f + "&_count=2");
  EXPECT_EQ(EntryIds(posted), EntryIds(got));
  EXPECT_EQ(Count(posted, "entry"), 2u);
  EXPECT_EQ(Total(posted), 3);
  // The next link is a GET that continues the same search.
  Json next = c().GetBundle(PathOf(Link(posted, "next")));
  EXPECT_EQ(Count(next, "entry"), 1u);

  // URL and body parameters combine.
  r = c().Request("POST", "/Patient/_search?family=" + f,
                  {{"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"}},
                  "_id=" + Id("B"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(LabelsOf(ParseJson(r.body)), (Labels{"B"}));
  // Percent-encoding and '+' in the form body.
  r = c().Request("POST", "/Patient/_search", form,
                  "family%3Aexact=" + f + "&_sort=-_lastUpdated&_count=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(LabelsOf(ParseJson(r.body)), (Labels{"C"}));
  // System level.
  r = c().Request("POST", "/_search", form, "_id=" + Id("A"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(LabelsOf(ParseJson(r.body)), (Labels{"A"}));
  // Strict handling applies to the body's parameters too.
  Headers strict_form = form;
  strict_form.emplace_back("Prefer", "handling=strict");
  EXPECT_TRUE(IsOutcome(c().Request("POST", "/Patient/_search", strict_form, "shoe-size=1"), 400));
  EXPECT_TRUE(IsOutcome(c().Request("POST", "/Patient/_search", form, "birthdate=notadate"), 400));
  // Only form bodies.
  EXPECT_TRUE(IsOutcome(c().Post("/Patient/_search", R"({"family":"x"})"), 415));
}

TEST_F(FhirSearch, SearchsetEntriesHaveFullUrlModeAndResource) {
  std::string f = Unique("Form");
  Make("A", "Patient", Patient(f));
  HttpResult r = c().Get("/Patient?family=" + f);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(IsFhirJson(r));
  Json b = ParseJson(r.body);
  EXPECT_EQ(Str(b, "resourceType"), "Bundle");
  EXPECT_EQ(Str(b, "type"), "searchset");
  EXPECT_EQ(Total(b), 1);
  EXPECT_EQ(Str(b, "entry.0.fullUrl"),
            "http://127.0.0.1:" + std::to_string(gateway_->port()) + "/Patient/" + Id("A"));
  EXPECT_EQ(Str(b, "entry.0.search.mode"), "match");
  EXPECT_EQ(Str(b, "entry.0.resource.id"), Id("A"));
  EXPECT_EQ(Str(b, "entry.0.resource.meta.versionId"), "1");
  EXPECT_TRUE(IsOutcome(c().Get("/Frobnicate?name=x"), 404, "not-found"));
}

}  // namespace
}  // namespace emg::test
