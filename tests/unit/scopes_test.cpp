#include "authz/scopes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fhir/json/parser.h"

namespace authz {
namespace {

constexpr std::string_view kLab =
    "http://terminology.hl7.org/CodeSystem/observation-category|laboratory";

fhir::json::Value Json(std::string_view text) {
  auto v = fhir::json::Parse(text);
  EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().message());
  return v ? *v : fhir::json::Value();
}

// An Observation of patient `patient` in the observation-category `category`.
fhir::json::Value Observation(
    std::string_view category, std::string_view patient = "p1",
    std::string_view system = "http://terminology.hl7.org/CodeSystem/observation-category") {
  return Json(R"({"resourceType": "Observation", "id": "o1", "status": "final",
    "category": [{"coding": [{"system": ")" +
              std::string(system) + R"(", "code": ")" + std::string(category) + R"("}]}],
    "code": {"text": "Hemoglobin"},
    "subject": {"reference": "Patient/)" +
              std::string(patient) + R"("}})");
}

std::vector<std::string> Texts(const ScopeSet& s) {
  std::vector<std::string> out;
  for (const ResourceScope& r : s.resource_scopes()) out.push_back(r.text);
  return out;
}

TEST(Scopes, ParsesV2ScopesAndKeepsTheOthers) {
  ScopeSet s = ScopeSet::Parse(
      "openid fhirUser  patient/Observation.rs user/Patient.cruds\tsystem/*.s launch/patient "
      "offline_access");
  ASSERT_EQ(s.resource_scopes().size(), 3u);
  const ResourceScope& obs = s.resource_scopes()[0];
  EXPECT_EQ(obs.context, ScopeContext::kPatient);
  EXPECT_EQ(obs.type, "Observation");
  EXPECT_EQ(obs.permissions, kRead | kSearch);
  EXPECT_TRUE(obs.filter.empty());
  EXPECT_EQ(obs.text, "patient/Observation.rs");
  EXPECT_EQ(s.resource_scopes()[1].context, ScopeContext::kUser);
  EXPECT_EQ(s.resource_scopes()[1].permissions, kCreate | kRead | kUpdate | kDelete | kSearch);
  EXPECT_EQ(s.resource_scopes()[2].context, ScopeContext::kSystem);
  EXPECT_EQ(s.resource_scopes()[2].type, "*");
  EXPECT_EQ(s.resource_scopes()[2].permissions, kSearch);
  EXPECT_EQ(s.other(),
            (std::vector<std::string>{"openid", "fhirUser", "launch/patient", "offline_access"}));
  EXPECT_TRUE(s.ignored().empty());
  EXPECT_FALSE(s.v1_used());
}

TEST(Scopes, EverySingleLetterAndOrderedCombination) {
  const std::pair<std::string, uint8_t> cases[] = {
      {"c", kCreate},
      {"r", kRead},
      {"u", kUpdate},
      {"d", kDelete},
      {"s", kSearch},
      {"cu", kCreate | kUpdate},
      {"rs", kRead | kSearch},
      {"ud", kUpdate | kDelete},
      {"crus", kCreate | kRead | kUpdate | kSearch},
  };
  for (const auto& [perms, bits] : cases) {
    ScopeSet s = ScopeSet::Parse("user/Task." + perms);
    ASSERT_EQ(s.resource_scopes().size(), 1u) << perms;
    EXPECT_EQ(s.resource_scopes()[0].permissions, bits) << perms;
  }
}

TEST(Scopes, V1Forms) {
  ScopeSet s = ScopeSet::Parse("patient/Observation.read user/Patient.write system/*.*");
  ASSERT_EQ(s.resource_scopes().size(), 3u);
  EXPECT_EQ(s.resource_scopes()[0].permissions, kRead | kSearch);
  EXPECT_EQ(s.resource_scopes()[1].permissions, kCreate | kUpdate | kDelete);
  EXPECT_EQ(s.resource_scopes()[2].permissions, kCreate | kRead | kUpdate | kDelete | kSearch);
  EXPECT_EQ(s.resource_scopes()[2].type, "*");
  EXPECT_TRUE(s.v1_used());
  EXPECT_TRUE(s.Allows("Observation", kSearch, ScopeContext::kPatient));
  EXPECT_FALSE(s.Allows("Patient", kRead, ScopeContext::kUser));  // write is not read
  EXPECT_TRUE(ScopeSet::Parse("user/*.read").v1_used());
  EXPECT_FALSE(ScopeSet::Parse("openid user/*.rs").v1_used());
}

TEST(Scopes, MalformedResourceScopesAreIgnoredNeverWidened) {
  const std::vector<std::string> bad = {
      "patient/Observation.dus",  // out of order
      "patient/Observation.rc",   // out of order
      "patient/Observation.rr",   // repeated
      "patient/Observation.",     // empty perms
      "patient/Observation",      // no perms
      "patient/Observation.x",    // unknown letter
      "patient/Observation.rsx",
      "patient/Observation.READ",
      "patient/Observation.**",
      "patient/Foo.rs",          // unknown type
      "patient/observation.rs",  // types are case-sensitive
      "patient/.rs",
      "patient/Observation.rs?",  // empty filter
      "patient/Observation.rs?category",
      "patient/Observation.rs?=laboratory",
      "patient/Observation.rs?category=",
      "patient/Observation.rs?category=a&&code=b",
      "patient/Observation.rs?category=a%zz",
      "patient/Observation.rs?category=a%2",
      "patient/Observation.rs?category=a%00",
      "patient/Observation.read?category=laboratory",  // v1 had no filters
      "patient/*.rs.rs",
  };
  std::string all;
  for (const std::string& b : bad) all += b + " ";
  ScopeSet s = ScopeSet::Parse(all);
  EXPECT_TRUE(s.resource_scopes().empty()) << ::testing::PrintToString(Texts(s));
  EXPECT_EQ(s.ignored(), bad);
  EXPECT_TRUE(s.other().empty());
  for (Permission p : {kCreate, kRead, kUpdate, kDelete, kSearch}) {
    EXPECT_FALSE(s.Allows("Observation", p));
  }
  EXPECT_FALSE(s.v1_used());
}

TEST(Scopes, R4TypesNotServedHereAreWellFormed) {
  ScopeSet s = ScopeSet::Parse("patient/Device.rs");
  ASSERT_EQ(s.resource_scopes().size(), 1u);
  EXPECT_TRUE(s.Allows("Device", kRead));
  EXPECT_FALSE(s.Allows("Observation", kRead));
}

TEST(Scopes, WildcardType) {
  ScopeSet s = ScopeSet::Parse("patient/*.rs");
  EXPECT_TRUE(s.Allows("Observation", kRead));
  EXPECT_TRUE(s.Allows("QuestionnaireResponse", kSearch));
  EXPECT_FALSE(s.Allows("Observation", kCreate));
  EXPECT_TRUE(s.Allows("", kSearch));  // system-level search
  EXPECT_FALSE(ScopeSet::Parse("patient/Observation.rs").Allows("", kSearch));
  EXPECT_TRUE(s.AllowsResource("Observation", kRead, Observation("laboratory")));
}

TEST(Scopes, ContextsAreKeptApart) {
  ScopeSet s = ScopeSet::Parse("patient/Observation.rs user/Patient.r");
  EXPECT_TRUE(s.Allows("Observation", kRead, ScopeContext::kPatient));
  EXPECT_FALSE(s.Allows("Observation", kRead, ScopeContext::kUser));
  EXPECT_FALSE(s.Allows("Observation", kRead, ScopeContext::kSystem));
  EXPECT_TRUE(s.Allows("Observation", kRead));  // any context
  EXPECT_TRUE(s.Allows("Patient", kRead, ScopeContext::kUser));
  EXPECT_FALSE(s.Allows("Patient", kRead, ScopeContext::kPatient));
  EXPECT_FALSE(s.Allows("Patient", kSearch));
  EXPECT_EQ(s.Matching("Observation", kSearch).size(), 1u);
  EXPECT_TRUE(s.Matching("Observation", kSearch, ScopeContext::kUser).empty());
}

TEST(Scopes, RepeatedScopesAreKeptOnce) {
  ScopeSet s = ScopeSet::Parse(
      "openid patient/Observation.rs openid patient/Observation.rs "
      "patient/Observation.rr patient/Observation.rr");
  EXPECT_EQ(s.resource_scopes().size(), 1u);
  EXPECT_EQ(s.other().size(), 1u);
  EXPECT_EQ(s.ignored().size(), 1u);
  EXPECT_TRUE(ScopeSet::Parse("").resource_scopes().empty());
  EXPECT_TRUE(ScopeSet::Parse("   ").other().empty());
}

TEST(Scopes, FilterNarrowsToMatchingResources) {
  ScopeSet s = ScopeSet::Parse("patient/Observation.rs?category=" + std::string(kLab));
  ASSERT_EQ(s.resource_scopes().size(), 1u);
  const ResourceScope& scope = s.resource_scopes()[0];
  ASSERT_EQ(scope.filter.size(), 1u);
  EXPECT_EQ(scope.filter[0].first, "category");
  EXPECT_EQ(scope.filter[0].second, kLab);
  EXPECT_EQ(scope.permissions, kRead | kSearch);

  EXPECT_TRUE(s.Allows("Observation", kRead));  // type-level: the filter is per resource
  EXPECT_TRUE(s.AllowsResource("Observation", kRead, Observation("laboratory")));
  EXPECT_TRUE(s.AllowsResource("Observation", kSearch, Observation("laboratory")));
  EXPECT_FALSE(s.AllowsResource("Observation", kRead, Observation("vital-signs")));
  EXPECT_FALSE(s.AllowsResource("Observation", kRead,
                                Observation("laboratory", "p1", "http://example.org/other")));
  EXPECT_FALSE(s.AllowsResource(
      "Observation", kRead,
      Json(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}})")));
  EXPECT_FALSE(s.AllowsResource("Observation", kCreate, Observation("laboratory")));
  EXPECT_FALSE(
      s.AllowsResource("Observation", kRead, Observation("laboratory"), ScopeContext::kUser));
}

TEST(Scopes, TokenFilterForms) {
  fhir::json::Value lab = Observation("laboratory");
  auto allows = [&](const std::string& filter) {
    return ScopeSet::Parse("patient/Observation.rs?" + filter)
        .AllowsResource("Observation", kRead, lab);
  };
  EXPECT_TRUE(allows("category=laboratory"));  // code, any system
  EXPECT_TRUE(allows("category=http://terminology.hl7.org/CodeSystem/observation-category|"));
  EXPECT_FALSE(allows("category=http://example.org|"));
  EXPECT_FALSE(allows("category=|laboratory"));  // the coding has a system
  EXPECT_TRUE(allows("status=|final"));          // a plain code has no known system
  EXPECT_TRUE(allows("status=final"));
  EXPECT_FALSE(allows("status=amended"));
  EXPECT_TRUE(allows("category=vital-signs,laboratory"));  // ',' is OR
  EXPECT_FALSE(allows("category=vital-signs,imaging"));
  EXPECT_FALSE(allows("category=a|b|c"));
  // Repeated pairs are AND.
  EXPECT_TRUE(allows("category=laboratory&status=final"));
  EXPECT_FALSE(allows("category=laboratory&status=amended"));
}

TEST(Scopes, ReferenceAndStringFilters) {
  fhir::json::Value obs = Observation("laboratory", "p1");
  auto allows = [](const std::string& scope, std::string_view type,
                   const fhir::json::Value& resource) {
    return ScopeSet::Parse(scope).AllowsResource(type, kRead, resource);
  };
  EXPECT_TRUE(allows("patient/Observation.rs?subject=Patient/p1", "Observation", obs));
  EXPECT_FALSE(allows("patient/Observation.rs?subject=Patient/p2", "Observation", obs));
  EXPECT_FALSE(allows("patient/Observation.rs?subject=Group/p1", "Observation", obs));
  EXPECT_FALSE(allows("patient/Observation.rs?subject=p1", "Observation", obs));  // no bare id
  EXPECT_FALSE(allows("patient/Observation.rs?subject=Patient/p1/_history/1", "Observation", obs));

  fhir::json::Value patient = Json(R"({"resourceType": "Patient", "id": "p1",
    "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "17829010097"}],
    "name": [{"family": "Nordmann", "given": ["Kari"]}]})");
  EXPECT_TRUE(allows("user/Patient.rs?family=Nordmann", "Patient", patient));
  EXPECT_TRUE(allows("user/Patient.rs?family=nordmann", "Patient", patient));  // normalised
  EXPECT_FALSE(allows("user/Patient.rs?family=Nord", "Patient", patient));     // not a prefix
  EXPECT_TRUE(allows("user/Patient.rs?identifier=urn:oid:2.16.578.1.12.4.1.4.1|17829010097",
                     "Patient", patient));
  EXPECT_FALSE(allows("user/Patient.rs?identifier=urn:oid:2.16.578.1.12.4.1.4.1|17829010098",
                      "Patient", patient));
}

TEST(Scopes, FilterValuesArePercentDecoded) {
  ScopeSet s = ScopeSet::Parse(
      "patient/Observation.rs?category=http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2F"
      "observation-category%7claboratory");
  ASSERT_EQ(s.resource_scopes().size(), 1u);
  EXPECT_EQ(s.resource_scopes()[0].filter[0].second, kLab);
  EXPECT_TRUE(s.AllowsResource("Observation", kRead, Observation("laboratory")));
  EXPECT_FALSE(s.AllowsResource("Observation", kRead, Observation("vital-signs")));
  // '+' is not a space (RFC 3986, not form encoding); an escaped '&' stays in the value.
  ScopeSet plus = ScopeSet::Parse("user/Patient.rs?family=a+b%26c%3Dd");
  ASSERT_EQ(plus.resource_scopes().size(), 1u);
  ASSERT_EQ(plus.resource_scopes()[0].filter.size(), 1u);
  EXPECT_EQ(plus.resource_scopes()[0].filter[0].second, "a+b&c=d");
}

TEST(Scopes, UnsupportedFiltersFailClosed) {
  fhir::json::Value lab = Json(R"({"resourceType": "Observation", "id": "o1",
    "status": "final", "effectiveDateTime": "2024-03-01",
    "category": [{"coding": [{"code": "laboratory"}]}], "code": {"text": "x"},
    "subject": {"reference": "Patient/p1"}})");
  for (std::string filter : {"unknown=laboratory", "category:not=vital-signs", "category:text=lab",
                             "subject.name=Kari", "subject:Patient=p1", "date=2024-03-01", "_id=o1",
                             "_lastUpdated=2024", "_count=1", "category=laboratory&unknown=x"}) {
    ScopeSet s = ScopeSet::Parse("patient/Observation.rs?" + filter);
    ASSERT_EQ(s.resource_scopes().size(), 1u) << filter;
    EXPECT_FALSE(s.AllowsResource("Observation", kRead, lab)) << filter;
    EXPECT_FALSE(s.UnfilteredFor("Observation", kRead)) << filter;
  }
}

TEST(Scopes, ResourceOfAnotherTypeIsRefused) {
  ScopeSet s = ScopeSet::Parse("patient/*.rs patient/Patient.rs");
  fhir::json::Value obs = Observation("laboratory");
  EXPECT_TRUE(s.AllowsResource("Observation", kRead, obs));
  EXPECT_FALSE(s.AllowsResource("Patient", kRead, obs));
  EXPECT_FALSE(s.AllowsResource("", kRead, obs));
  EXPECT_FALSE(s.AllowsResource("Observation", kRead, fhir::json::Value::Array()));
}

TEST(Scopes, UnfilteredFor) {
  std::string filtered = "patient/Observation.rs?category=" + std::string(kLab);
  ScopeSet only_filtered = ScopeSet::Parse(filtered);
  EXPECT_FALSE(only_filtered.UnfilteredFor("Observation", kSearch));

  // Scopes are additive: one unfiltered scope allows every Observation.
  ScopeSet both = ScopeSet::Parse(filtered + " user/Observation.rs");
  EXPECT_TRUE(both.UnfilteredFor("Observation", kSearch));
  EXPECT_TRUE(both.AllowsResource("Observation", kRead, Observation("vital-signs")));
  EXPECT_FALSE(both.UnfilteredFor("Observation", kSearch, ScopeContext::kPatient));
  EXPECT_TRUE(both.UnfilteredFor("Observation", kSearch, ScopeContext::kUser));

  EXPECT_TRUE(ScopeSet::Parse("patient/*.s").UnfilteredFor("Observation", kSearch));
  EXPECT_FALSE(ScopeSet::Parse("patient/*.r").UnfilteredFor("Observation", kSearch));
  EXPECT_FALSE(ScopeSet::Parse("openid").UnfilteredFor("Observation", kSearch));
}

TEST(Scopes, ParseRole) {
  ScopeSet role = ScopeSet::ParseRole(
      {"QuestionnaireResponse.c", "*.rs", "Observation.rs?category=laboratory", "openid",
       "patient/Observation.rs", "Observation.dus", "Patient.rs Patient.c", "", "*.rs"},
      ScopeContext::kUser);
  EXPECT_EQ(Texts(role), (std::vector<std::string>{"user/QuestionnaireResponse.c", "user/*.rs",
                                                   "user/Observation.rs?category=laboratory"}));
  for (const ResourceScope& r : role.resource_scopes()) {
    EXPECT_EQ(r.context, ScopeContext::kUser);
  }
  EXPECT_EQ(role.resource_scopes()[0].permissions, kCreate);
  EXPECT_EQ(role.ignored().size(), 4u);
  EXPECT_TRUE(role.other().empty());
  EXPECT_TRUE(role.Allows("QuestionnaireResponse", kCreate, ScopeContext::kUser));
  EXPECT_FALSE(role.Allows("QuestionnaireResponse", kCreate, ScopeContext::kPatient));
  EXPECT_FALSE(role.Allows("Questionnaire", kCreate));

  ScopeSet system = ScopeSet::ParseRole({"Task.cru"}, ScopeContext::kSystem);
  ASSERT_EQ(system.resource_scopes().size(), 1u);
  EXPECT_EQ(system.resource_scopes()[0].context, ScopeContext::kSystem);
  EXPECT_EQ(system.resource_scopes()[0].text, "system/Task.cru");
}

TEST(Scopes, PermissionFor) {
  EXPECT_EQ(PermissionFor("read"), kRead);
  EXPECT_EQ(PermissionFor("vread"), kRead);
  EXPECT_EQ(PermissionFor("history-instance"), kRead);
  EXPECT_EQ(PermissionFor("search-type"), kSearch);
  EXPECT_EQ(PermissionFor("search-system"), kSearch);
  EXPECT_EQ(PermissionFor("history-type"), kSearch);
  EXPECT_EQ(PermissionFor("history-system"), kSearch);
  EXPECT_EQ(PermissionFor("create"), kCreate);
  EXPECT_EQ(PermissionFor("update"), kUpdate);
  EXPECT_EQ(PermissionFor("patch"), kUpdate);
  EXPECT_EQ(PermissionFor("delete"), kDelete);
  EXPECT_EQ(PermissionFor("transaction"), std::nullopt);
  EXPECT_EQ(PermissionFor("capabilities"), std::nullopt);
  EXPECT_EQ(PermissionFor("Read"), std::nullopt);
}

}  // namespace
}  // namespace authz
