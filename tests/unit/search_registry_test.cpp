#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "fhir/model/model.h"
#include "fhir/search/registry.h"

namespace fhir::search {
namespace {

TEST(SearchRegistry, ServesTheResourceTypesOfTheDefinitions) {
  const std::vector<std::string>& types = ResourceTypes();
  EXPECT_EQ(types, fhir::model::ResourceTypes());  // every concrete R4 type
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
  EXPECT_TRUE(IsResourceType("Patient"));
  EXPECT_TRUE(IsResourceType("Observation"));
  EXPECT_TRUE(IsResourceType("Device"));
  EXPECT_FALSE(IsResourceType("Resource"));  // abstract: holds the shared parameters only
  EXPECT_FALSE(IsResourceType("DomainResource"));
  EXPECT_FALSE(IsResourceType("patient"));
  EXPECT_FALSE(IsResourceType(""));
}

TEST(SearchRegistry, FindsTypeSpecificAndResourceLevelParameters) {
  const SearchParamDef* name = FindSearchParam("Patient", "name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->type, ParamType::kString);
  EXPECT_EQ(name->url, "http://hl7.org/fhir/SearchParameter/Patient-name");
  ASSERT_EQ(name->paths.size(), 1u);
  EXPECT_EQ(name->paths[0].element_type, "HumanName");
  ASSERT_EQ(name->paths[0].steps.size(), 1u);
  EXPECT_EQ(name->paths[0].steps[0].name, "name");

  const SearchParamDef* tag = FindSearchParam("Patient", "_tag");
  ASSERT_NE(tag, nullptr);
  EXPECT_EQ(tag->resource_type, "Resource");
  EXPECT_EQ(tag->type, ParamType::kToken);
  EXPECT_EQ(tag->paths[0].element_type, "Coding");

  // System level: only Resource-level parameters.
  EXPECT_NE(FindSearchParam("", "_lastUpdated"), nullptr);
  EXPECT_EQ(FindSearchParam("", "name"), nullptr);
  EXPECT_EQ(FindSearchParam("Patient", "no-such-param"), nullptr);
  EXPECT_EQ(FindSearchParam("NoSuchType", "_id"), nullptr);
}

TEST(SearchRegistry, CompilesFilteredAndChoicePaths) {
  const SearchParamDef* email = FindSearchParam("Patient", "email");
  ASSERT_NE(email, nullptr);
  ASSERT_EQ(email->paths.size(), 1u);
  EXPECT_EQ(email->paths[0].steps[0].name, "telecom");
  EXPECT_EQ(email->paths[0].steps[0].filter_field, "system");
  EXPECT_EQ(email->paths[0].steps[0].filter_value, "email");

  const SearchParamDef* patient = FindSearchParam("Observation", "patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_EQ(patient->paths[0].resolve_type, "Patient");
  EXPECT_EQ(patient->targets, std::vector<std::string>{"Patient"});

  const SearchParamDef* date = FindSearchParam("Observation", "date");
  ASSERT_NE(date, nullptr);
  std::vector<std::string> names;
  for (const ExtractionPath& p : date->paths) names.push_back(p.steps.back().name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"effectiveDateTime", "effectiveInstant",
                                             "effectivePeriod", "effectiveTiming"}));

  const SearchParamDef* composed = FindSearchParam("Library", "composed-of");
  ASSERT_NE(composed, nullptr);
  ASSERT_EQ(composed->paths[0].steps.size(), 2u);
  EXPECT_EQ(composed->paths[0].steps[0].filter_field, "type");
  EXPECT_EQ(composed->paths[0].steps[0].filter_value, "composed-of");
  EXPECT_EQ(composed->paths[0].steps[1].name, "resource");
  EXPECT_EQ(composed->paths[0].element_type, "canonical");
}

TEST(SearchRegistry, ListsParametersWithDefinitions) {
  std::vector<const SearchParamDef*> params = ListSearchParams("Patient");
  ASSERT_FALSE(params.empty());
  EXPECT_TRUE(std::is_sorted(params.begin(), params.end(),
                             [](auto* a, auto* b) { return a->code < b->code; }));
  auto has = [&](std::string_view code) {
    return std::any_of(params.begin(), params.end(), [&](auto* p) { return p->code == code; });
  };
  EXPECT_TRUE(has("_id"));
  EXPECT_TRUE(has("_lastUpdated"));
  EXPECT_TRUE(has("birthdate"));
  EXPECT_TRUE(has("general-practitioner"));
  EXPECT_FALSE(has("phonetic"));  // not implemented, so not listed
  EXPECT_TRUE(ListSearchParams("NoSuchType").empty());
  EXPECT_EQ(ListSearchParams("").size(), 6u);  // _id _lastUpdated _profile _security _source _tag

  for (const std::string& type : ResourceTypes()) {
    for (const SearchParamDef* p : ListSearchParams(type)) {
      EXPECT_FALSE(p->url.empty()) << type << "." << p->code;
      EXPECT_FALSE(p->paths.empty()) << type << "." << p->code;
      EXPECT_NE(p->type, ParamType::kComposite) << type << "." << p->code;
      // R4 defines a few canonical-valued reference parameters without a target list
      // (RequestGroup.instantiates-canonical); every other reference parameter has one.
      if (p->type == ParamType::kReference && p->code.find("canonical") == std::string::npos) {
        EXPECT_FALSE(p->targets.empty()) << type << "." << p->code;
      }
    }
  }
}

TEST(SearchRegistry, ReportsWhatWasLeftOut) {
  std::vector<SkippedSearchParam> skipped = SkippedSearchParams();
  auto find = [&](std::string_view type, std::string_view code) {
    return std::find_if(skipped.begin(), skipped.end(), [&](const SkippedSearchParam& s) {
      return s.resource_type == type && s.code == code;
    });
  };
  auto composite = find("Observation", "code-value-quantity");
  ASSERT_NE(composite, skipped.end());
  EXPECT_NE(composite->reason.find("composite"), std::string_view::npos);
  EXPECT_EQ(FindSearchParam("Observation", "code-value-quantity"), nullptr);
  ASSERT_NE(find("Patient", "deceased"), skipped.end());
  EXPECT_EQ(FindSearchParam("Patient", "deceased"), nullptr);
  ASSERT_NE(find("Bundle", "composition"), skipped.end());
}

TEST(SearchRegistry, KnownTargetsAreSortedR4Types) {
  const SearchParamDef* subject = FindSearchParam("Observation", "subject");
  ASSERT_NE(subject, nullptr);
  EXPECT_EQ(KnownTargets(*subject),
            (std::vector<std::string>{"Device", "Group", "Location", "Patient"}));
  const SearchParamDef* org = FindSearchParam("Patient", "organization");
  ASSERT_NE(org, nullptr);
  EXPECT_EQ(KnownTargets(*org), std::vector<std::string>{"Organization"});
}

}  // namespace
}  // namespace fhir::search
