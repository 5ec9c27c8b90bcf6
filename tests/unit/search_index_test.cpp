#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "fhir/json/parser.h"
#include "fhir/search/index.h"
#include "fhir/search/values.h"

namespace fhir::search {
namespace {

std::vector<IndexEntry> Extract(std::string_view json) {
  auto v = json::Parse(json);
  EXPECT_TRUE(v.has_value());
  return v ? ExtractIndex(*v) : std::vector<IndexEntry>{};
}

std::vector<IndexEntry> For(const std::vector<IndexEntry>& all, std::string_view param) {
  std::vector<IndexEntry> out;
  for (const IndexEntry& e : all) {
    if (e.param == param) out.push_back(e);
  }
  return out;
}

std::vector<std::string> Exacts(const std::vector<IndexEntry>& entries) {
  std::vector<std::string> out;
  for (const IndexEntry& e : entries) out.push_back(e.exact);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SearchIndex, HumanNameAndAddressGiveEveryPart) {
  auto all = Extract(R"({"resourceType":"Patient","id":"p1",
    "name":[{"family":"Østby","given":["Åse","Marie"],"prefix":["Dr"],"suffix":["Jr"],
             "text":"Dr Åse Marie Østby"}],
    "address":[{"line":["Storgata 1","Oppgang B"],"city":"Tromsø","district":"Troms",
                "state":"TF","postalCode":"9008","country":"NO","text":"Storgata 1, Tromsø"}]})");
  auto name = For(all, "name");
  EXPECT_EQ(Exacts(name),
            (std::vector<std::string>{"Dr", "Dr Åse Marie Østby", "Jr", "Marie", "Åse", "Østby"}));
  for (const IndexEntry& e : name) {
    EXPECT_EQ(e.type, ParamType::kString);
    EXPECT_EQ(e.text, NormalizeString(e.exact));
  }
  auto family = For(all, "family");
  ASSERT_EQ(family.size(), 1u);
  EXPECT_EQ(family[0].text, "\xc3\xb8stby");
  EXPECT_EQ(Exacts(For(all, "given")), (std::vector<std::string>{"Marie", "Åse"}));
  EXPECT_EQ(Exacts(For(all, "address")),
            (std::vector<std::string>{"9008", "NO", "Oppgang B", "Storgata 1", "Storgata 1, Tromsø",
                                      "TF", "Troms", "Tromsø"}));
  EXPECT_EQ(Exacts(For(all, "address-city")), std::vector<std::string>{"Tromsø"});
  EXPECT_EQ(Exacts(For(all, "address-postalcode")), std::vector<std::string>{"9008"});
}

TEST(SearchIndex, TokensFromCodesIdentifiersContactPointsAndBooleans) {
  auto all = Extract(R"({"resourceType":"Patient","id":"p1","active":true,"gender":"female",
    "identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"12345678901",
                   "type":{"text":"Fødselsnummer"}}, {"value":"no-system"}],
    "telecom":[{"system":"phone","value":"+47 12345678"},{"system":"email","value":"a@b.no"}],
    "communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"nb",
                                             "display":"Norsk bokmål"}],"text":"Norsk"}}]})");
  auto active = For(all, "active");
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].code, "true");
  EXPECT_FALSE(active[0].system.has_value());

  auto gender = For(all, "gender");
  ASSERT_EQ(gender.size(), 1u);
  EXPECT_EQ(gender[0].code, "female");
  EXPECT_FALSE(gender[0].system.has_value());  // binding system unknown

  auto ids = For(all, "identifier");
  ASSERT_EQ(ids.size(), 2u);
  auto fnr = std::find_if(ids.begin(), ids.end(), [](auto& e) { return e.system.has_value(); });
  ASSERT_NE(fnr, ids.end());
  EXPECT_EQ(*fnr->system, "urn:oid:2.16.578.1.12.4.1.4.1");
  EXPECT_EQ(fnr->code, "12345678901");
  EXPECT_EQ(fnr->text,
            "f\xc3\xb8"
            "dselsnummer");

  auto phone = For(all, "phone");
  ASSERT_EQ(phone.size(), 1u);
  EXPECT_EQ(phone[0].code, "+47 12345678");
  EXPECT_EQ(phone[0].system, "phone");
  auto email = For(all, "email");
  ASSERT_EQ(email.size(), 1u);
  EXPECT_EQ(email[0].code, "a@b.no");
  EXPECT_EQ(For(all, "telecom").size(), 2u);

  auto language = For(all, "language");
  ASSERT_EQ(language.size(), 2u);  // the coding and the text
  auto coding =
      std::find_if(language.begin(), language.end(), [](auto& e) { return e.code.has_value(); });
  ASSERT_NE(coding, language.end());
  EXPECT_EQ(coding->system, "urn:ietf:bcp:47");
  EXPECT_EQ(coding->code, "nb");
  EXPECT_EQ(coding->text, "norsk bokm\xc3\xa5l");
  auto text =
      std::find_if(language.begin(), language.end(), [](auto& e) { return !e.code.has_value(); });
  ASSERT_NE(text, language.end());
  EXPECT_EQ(text->text, "norsk");
}

TEST(SearchIndex, ReferencesRelativeVersionedAbsoluteAndFiltered) {
  auto all = Extract(R"({"resourceType":"Observation","id":"o1","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
    "subject":{"reference":"Patient/p1","display":"Åse"},
    "performer":[{"reference":"Practitioner/dr/_history/3"},
                 {"reference":"http://other.org/fhir/Organization/9"},
                 {"identifier":{"system":"urn:hpr","value":"42"}},
                 {"reference":"#contained"}],
    "hasMember":[{"reference":"Observation/o2"}],
    "focus":[{"type":"Group","reference":"g7"}]})");
  auto subject = For(all, "subject");
  ASSERT_EQ(subject.size(), 1u);
  EXPECT_EQ(subject[0].target_type, "Patient");
  EXPECT_EQ(subject[0].target_id, "p1");
  EXPECT_EQ(subject[0].text, "\xc3\xa5se");
  // `patient` is subject.where(resolve() is Patient): present for a Patient subject.
  EXPECT_EQ(For(all, "patient").size(), 1u);

  auto performer = For(all, "performer");
  ASSERT_EQ(performer.size(), 3u);  // the local #contained reference is not indexed
  auto versioned =
      std::find_if(performer.begin(), performer.end(), [](auto& e) { return e.target_id == "dr"; });
  ASSERT_NE(versioned, performer.end());
  EXPECT_EQ(versioned->target_type, "Practitioner");
  EXPECT_EQ(versioned->target_version, "3");
  auto absolute =
      std::find_if(performer.begin(), performer.end(), [](auto& e) { return !e.url.empty(); });
  ASSERT_NE(absolute, performer.end());
  EXPECT_EQ(absolute->url, "http://other.org/fhir/Organization/9");
  EXPECT_TRUE(absolute->target_id.empty());
  auto ident =
      std::find_if(performer.begin(), performer.end(), [](auto& e) { return e.code.has_value(); });
  ASSERT_NE(ident, performer.end());
  EXPECT_EQ(ident->system, "urn:hpr");
  EXPECT_EQ(ident->code, "42");

  auto focus = For(all, "focus");
  ASSERT_EQ(focus.size(), 1u);
  EXPECT_EQ(focus[0].target_type, "Group");
  EXPECT_EQ(focus[0].target_id, "g7");
}

TEST(SearchIndex, ResolveFilterDropsOtherTargetTypes) {
  auto all = Extract(R"({"resourceType":"Observation","id":"o1","status":"final",
    "code":{"text":"x"},"subject":{"reference":"Group/g1"}})");
  EXPECT_EQ(For(all, "subject").size(), 1u);
  EXPECT_TRUE(For(all, "patient").empty());
}

TEST(SearchIndex, CanonicalReferencesKeepTheirVersion) {
  auto all = Extract(R"({"resourceType":"PlanDefinition","id":"pd","status":"active",
    "library":["http://example.org/Library/lib|1.2"],
    "relatedArtifact":[{"type":"composed-of","resource":"http://example.org/ActivityDefinition/a"},
                       {"type":"citation","resource":"http://example.org/Other/x"}]})");
  auto depends = For(all, "depends-on");
  ASSERT_EQ(depends.size(), 1u);
  EXPECT_EQ(depends[0].url, "http://example.org/Library/lib");
  EXPECT_EQ(depends[0].target_version, "1.2");
  auto composed = For(all, "composed-of");
  ASSERT_EQ(composed.size(), 1u);  // the where(type='composed-of') filter applies
  EXPECT_EQ(composed[0].url, "http://example.org/ActivityDefinition/a");
}

TEST(SearchIndex, DatesDateTimesPeriodsAndTiming) {
  auto patient = Extract(R"({"resourceType":"Patient","id":"p","birthDate":"1980-05"})");
  auto birth = For(patient, "birthdate");
  ASSERT_EQ(birth.size(), 1u);
  EXPECT_EQ(birth[0].date_low, ParseDateRange("1980-05-01")->low);
  EXPECT_EQ(birth[0].date_high, ParseDateRange("1980-05-31")->high);

  auto obs = Extract(R"({"resourceType":"Observation","id":"o","status":"final",
    "code":{"text":"x"},"effectivePeriod":{"start":"2021-03-04T10:00:00+01:00"}})");
  auto date = For(obs, "date");
  ASSERT_EQ(date.size(), 1u);
  EXPECT_EQ(date[0].date_low, ParseDateRange("2021-03-04T09:00:00Z")->low);
  EXPECT_EQ(date[0].date_high, kMaxTime);  // open end

  auto closed = Extract(R"({"resourceType":"Observation","id":"o","status":"final",
    "code":{"text":"x"},"effectiveDateTime":"2021-03-04"})");
  auto dt = For(closed, "date");
  ASSERT_EQ(dt.size(), 1u);
  EXPECT_EQ(dt[0].date_high - dt[0].date_low, 86400LL * 1000000 - 1);

  auto plan = Extract(R"({"resourceType":"CarePlan","id":"c","status":"active","intent":"plan",
    "subject":{"reference":"Patient/p"},
    "activity":[{"detail":{"status":"scheduled","scheduledTiming":{
       "event":["2022-01-01","2022-02-01"],
       "repeat":{"boundsPeriod":{"end":"2022-12-31"}}}}}]})");
  auto activity = For(plan, "activity-date");
  ASSERT_EQ(activity.size(), 3u);
  EXPECT_TRUE(std::any_of(activity.begin(), activity.end(), [](auto& e) {
    return e.date_low == kMinTime && e.date_high == ParseDateRange("2022-12-31")->high;
  }));

  auto meta = Extract(R"({"resourceType":"Patient","id":"p",
    "meta":{"lastUpdated":"2020-01-01T00:00:00Z"}})");
  EXPECT_TRUE(For(meta, "_lastUpdated").empty());  // answered from resource_versions
  EXPECT_TRUE(For(meta, "_id").empty());
}

TEST(SearchIndex, NumbersQuantitiesAndRanges) {
  auto risk = Extract(R"({"resourceType":"RiskAssessment","id":"r","status":"final",
    "subject":{"reference":"Patient/p"},"prediction":[{"probabilityDecimal":0.25}]})");
  auto prob = For(risk, "probability");
  ASSERT_EQ(prob.size(), 1u);
  EXPECT_DOUBLE_EQ(prob[0].value_low, 0.25);
  EXPECT_DOUBLE_EQ(prob[0].value_high, 0.25);
  EXPECT_DOUBLE_EQ(prob[0].low, 0.245);
  EXPECT_DOUBLE_EQ(prob[0].high, 0.255);

  auto obs = Extract(R"({"resourceType":"Observation","id":"o","status":"final",
    "code":{"text":"x"},"valueQuantity":{"value":5.4,"unit":"mmol/L",
    "system":"http://unitsofmeasure.org","code":"mmol/L"}})");
  auto q = For(obs, "value-quantity");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_DOUBLE_EQ(q[0].low, 5.35);
  EXPECT_DOUBLE_EQ(q[0].high, 5.45);
  EXPECT_EQ(q[0].system, "http://unitsofmeasure.org");
  EXPECT_EQ(q[0].code, "mmol/L");
  EXPECT_EQ(q[0].unit, "mmol/L");

  auto cond = Extract(R"({"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p"},
    "onsetRange":{"low":{"value":10,"unit":"a","system":"http://unitsofmeasure.org",
                         "code":"a"}}})");
  auto onset = For(cond, "onset-age");
  ASSERT_EQ(onset.size(), 1u);
  EXPECT_DOUBLE_EQ(onset[0].value_low, 10);
  EXPECT_EQ(onset[0].value_high, std::numeric_limits<double>::max());
  EXPECT_EQ(onset[0].code, "a");
}

TEST(SearchIndex, UrisAndMetaParameters) {
  auto vs = Extract(R"({"resourceType":"ValueSet","id":"v","status":"active",
    "url":"http://example.org/fhir/ValueSet/colors",
    "meta":{"profile":["http://example.org/StructureDefinition/vs"],
            "tag":[{"system":"urn:tags","code":"test","display":"Test"}],
            "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                         "code":"R"}],
            "source":"urn:source:a"}})");
  auto url = For(vs, "url");
  ASSERT_EQ(url.size(), 1u);
  EXPECT_EQ(url[0].type, ParamType::kUri);
  EXPECT_EQ(url[0].exact, "http://example.org/fhir/ValueSet/colors");
  auto profile = For(vs, "_profile");
  ASSERT_EQ(profile.size(), 1u);
  EXPECT_EQ(profile[0].exact, "http://example.org/StructureDefinition/vs");
  auto tag = For(vs, "_tag");
  ASSERT_EQ(tag.size(), 1u);
  EXPECT_EQ(tag[0].system, "urn:tags");
  EXPECT_EQ(tag[0].code, "test");
  EXPECT_EQ(tag[0].text, "test");
  EXPECT_EQ(For(vs, "_security").size(), 1u);
  EXPECT_EQ(Exacts(For(vs, "_source")), std::vector<std::string>{"urn:source:a"});
}

TEST(SearchIndex, DeduplicatesAndIgnoresUnknownTypesAndEmptyValues) {
  // combo-code covers code and component.code: the same coding twice is indexed once.
  auto obs = Extract(R"({"resourceType":"Observation","id":"o","status":"final",
    "code":{"coding":[{"system":"s","code":"c"}]},
    "component":[{"code":{"coding":[{"system":"s","code":"c"}]}}]})");
  EXPECT_EQ(For(obs, "combo-code").size(), 1u);
  EXPECT_EQ(For(obs, "component-code").size(), 1u);

  // Any R4 type is indexed by its own parameters too (a Device: _tag and status).
  auto device = Extract(R"({"resourceType":"Device","id":"d","meta":{"tag":[{"code":"x"}]},
    "status":"active"})");
  EXPECT_EQ(For(device, "_tag").size(), 1u);
  EXPECT_EQ(For(device, "status").size(), 1u);
  // Not a resource type: only the Resource-level parameters.
  auto unknown = Extract(R"({"resourceType":"NoSuchThing","id":"d","meta":{"tag":[{"code":"x"}]},
    "status":"active"})");
  EXPECT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].param, "_tag");

  auto empty = Extract(R"({"resourceType":"Patient","id":"p","name":[{"family":""}],
    "gender":""})");
  EXPECT_TRUE(For(empty, "family").empty());
  EXPECT_TRUE(For(empty, "gender").empty());
  EXPECT_TRUE(ExtractIndex(json::Value::String("x")).empty());
}

}  // namespace
}  // namespace fhir::search
