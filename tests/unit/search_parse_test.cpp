#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "fhir/search/parse.h"

namespace fhir::search {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

ParseOptions Strict() {
  ParseOptions o;
  o.strict = true;
  return o;
}

Query MustParse(std::string_view type, const Params& params, ParseOptions options = Strict()) {
  IssueList warnings;
  auto q = ParseQuery(type, params, options, warnings);
  EXPECT_TRUE(q.has_value()) << (q ? "" : q.error().message());
  EXPECT_TRUE(warnings.empty()) << (warnings.empty() ? "" : warnings[0].diagnostics);
  return q ? *q : Query{};
}

// A malformed value or unsupported feature of a parameter fails in both modes (ignoring it
// would widen the result), with kInvalidArgument naming `name_in_message`.
void ExpectRejected(std::string_view type, const std::string& name, const std::string& value,
                    const std::string& name_in_message) {
  for (bool strict : {true, false}) {
    IssueList warnings;
    ParseOptions options;
    options.strict = strict;
    auto q = ParseQuery(type, {{name, value}, {"_id", "x"}}, options, warnings);
    ASSERT_FALSE(q.has_value()) << name << "=" << value << " strict=" << strict;
    EXPECT_EQ(q.error().code(), common::Code::kInvalidArgument);
    EXPECT_NE(q.error().message().find(name_in_message), std::string::npos) << q.error().message();
    EXPECT_TRUE(warnings.empty());
  }
}

// An unknown parameter name (or unknown sort key) fails under strict handling and is ignored
// with one warning under lenient handling.
void ExpectIgnoredWhenLenient(std::string_view type, const std::string& name,
                              const std::string& value, const std::string& name_in_message) {
  IssueList warnings;
  auto strict = ParseQuery(type, {{name, value}}, Strict(), warnings);
  ASSERT_FALSE(strict.has_value()) << name << "=" << value;
  EXPECT_EQ(strict.error().code(), common::Code::kInvalidArgument);
  EXPECT_NE(strict.error().message().find(name_in_message), std::string::npos)
      << strict.error().message();
  EXPECT_TRUE(warnings.empty());

  auto lenient = ParseQuery(type, {{name, value}, {"_id", "x"}}, ParseOptions{}, warnings);
  ASSERT_TRUE(lenient.has_value()) << name << "=" << value;
  ASSERT_EQ(warnings.size(), 1u) << name << "=" << value;
  EXPECT_EQ(warnings[0].severity, Severity::kWarning);
  EXPECT_NE(warnings[0].diagnostics.find(name_in_message), std::string::npos);
  ASSERT_EQ(lenient->criteria.size(), 1u);  // only _id survived
  EXPECT_EQ(lenient->criteria[0].param, "_id");
}

TEST(SearchParse, StringWithModifiersAndOrValues) {
  Query q = MustParse("Patient", {{"name", "Åse,Ola"},
                                  {"family:exact", "Østby"},
                                  {"given:contains", "ari"},
                                  {"address:missing", "true"}});
  ASSERT_EQ(q.criteria.size(), 4u);
  EXPECT_EQ(q.type, "Patient");
  const Criterion& name = q.criteria[0];
  EXPECT_EQ(name.param, "name");
  EXPECT_EQ(name.resource_type, "Patient");
  EXPECT_EQ(name.type, ParamType::kString);
  EXPECT_EQ(name.modifier, Modifier::kNone);
  ASSERT_EQ(name.values.size(), 2u);
  EXPECT_EQ(name.values[0].raw, "Åse");
  EXPECT_EQ(name.values[1].raw, "Ola");
  EXPECT_EQ(q.criteria[1].modifier, Modifier::kExact);
  EXPECT_EQ(q.criteria[2].modifier, Modifier::kContains);
  EXPECT_EQ(q.criteria[3].modifier, Modifier::kMissing);
  EXPECT_EQ(q.criteria[3].values[0].raw, "true");
}

TEST(SearchParse, RepeatedParametersAreAnded) {
  Query q = MustParse("Patient", {{"given", "a"}, {"given", "b"}});
  ASSERT_EQ(q.criteria.size(), 2u);
  EXPECT_EQ(q.criteria[0].values[0].raw, "a");
  EXPECT_EQ(q.criteria[1].values[0].raw, "b");
}

TEST(SearchParse, EscapesCommaBarDollarAndBackslash) {
  Query q = MustParse("Patient",
                      {{"name", "a\\,b,c\\\\,d\\$e"}, {"identifier", "sys\\|x|val\\,ue,other"}});
  ASSERT_EQ(q.criteria.size(), 2u);
  const auto& names = q.criteria[0].values;
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0].raw, "a,b");
  EXPECT_EQ(names[1].raw, "c\\");
  EXPECT_EQ(names[2].raw, "d$e");
  const auto& ids = q.criteria[1].values;
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_TRUE(ids[0].has_system);
  EXPECT_EQ(ids[0].system, "sys|x");
  EXPECT_EQ(ids[0].code, "val,ue");
  EXPECT_FALSE(ids[1].has_system);
  EXPECT_EQ(ids[1].code, "other");
  EXPECT_EQ(SplitUnescaped("a\\,b,c", ',').size(), 2u);
  EXPECT_EQ(Unescape("a\\nb"), "a\\nb");  // unknown escapes are kept
}

TEST(SearchParse, TokenForms) {
  Query q = MustParse("Observation", {{"code", "http://loinc.org|1234-5,|nosys,http://x|,plain"},
                                      {"code:not", "a"},
                                      {"code:text", "blod, trykk"}});
  ASSERT_EQ(q.criteria.size(), 3u);
  const auto& v = q.criteria[0].values;
  ASSERT_EQ(v.size(), 4u);
  EXPECT_TRUE(v[0].has_system);
  EXPECT_EQ(v[0].system, "http://loinc.org");
  EXPECT_EQ(v[0].code, "1234-5");
  EXPECT_TRUE(v[1].has_system);
  EXPECT_TRUE(v[1].system.empty());
  EXPECT_EQ(v[1].code, "nosys");
  EXPECT_TRUE(v[2].has_system);
  EXPECT_EQ(v[2].system, "http://x");
  EXPECT_TRUE(v[2].code.empty());
  EXPECT_FALSE(v[3].has_system);
  EXPECT_EQ(v[3].code, "plain");
  EXPECT_EQ(q.criteria[1].modifier, Modifier::kNot);
  EXPECT_EQ(q.criteria[2].modifier, Modifier::kText);
  ASSERT_EQ(q.criteria[2].values.size(), 2u);  // comma still means OR for :text
  EXPECT_EQ(q.criteria[2].values[1].raw, " trykk");
  ExpectRejected("Observation", "code", "a|b|c", "'code'");
  ExpectRejected("Observation", "code", "|", "'code'");
}

TEST(SearchParse, PrefixesOnDatesNumbersAndQuantities) {
  const std::pair<const char*, Prefix> kCases[] = {
      {"eq", Prefix::kEq}, {"ne", Prefix::kNe}, {"gt", Prefix::kGt},
      {"lt", Prefix::kLt}, {"ge", Prefix::kGe}, {"le", Prefix::kLe},
      {"sa", Prefix::kSa}, {"eb", Prefix::kEb}, {"ap", Prefix::kAp},
  };
  for (const auto& [text, prefix] : kCases) {
    Query q = MustParse("Observation", {{"date", std::string(text) + "2020-01-01"},
                                        {"value-quantity", std::string(text) + "5.4"}});
    ASSERT_EQ(q.criteria.size(), 2u);
    EXPECT_EQ(q.criteria[0].values[0].prefix, prefix) << text;
    EXPECT_EQ(q.criteria[0].values[0].raw, "2020-01-01");
    EXPECT_EQ(q.criteria[1].values[0].prefix, prefix) << text;
    EXPECT_EQ(q.criteria[1].values[0].number, "5.4");
  }
  Query none = MustParse("Patient", {{"birthdate", "1980"}});
  ASSERT_EQ(none.criteria.size(), 1u);
  EXPECT_EQ(none.criteria[0].values[0].prefix, Prefix::kEq);
  Query number = MustParse("RiskAssessment", {{"probability", "gt-0.5"}});
  ASSERT_EQ(number.criteria.size(), 1u);
  EXPECT_EQ(number.criteria[0].values[0].prefix, Prefix::kGt);
  EXPECT_EQ(number.criteria[0].values[0].number, "-0.5");
  EXPECT_EQ(number.criteria[0].type, ParamType::kNumber);

  ExpectRejected("Patient", "birthdate", "xx2020", "'birthdate'");
  ExpectRejected("Patient", "birthdate", "2020-13-01", "'birthdate'");
  ExpectRejected("RiskAssessment", "probability", "lots", "'probability'");
  ExpectRejected("Observation", "value-quantity", "ge5|a|b|c", "'value-quantity'");
}

TEST(SearchParse, QuantityParts) {
  Query q =
      MustParse("Observation", {{"value-quantity", "5.4|http://unitsofmeasure.org|mg,le6||mg,7"}});
  ASSERT_EQ(q.criteria.size(), 1u);
  const auto& v = q.criteria[0].values;
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].number, "5.4");
  EXPECT_EQ(v[0].system, "http://unitsofmeasure.org");
  EXPECT_EQ(v[0].code, "mg");
  EXPECT_EQ(v[1].prefix, Prefix::kLe);
  EXPECT_EQ(v[1].number, "6");
  EXPECT_TRUE(v[1].system.empty());
  EXPECT_EQ(v[1].code, "mg");
  EXPECT_EQ(v[2].number, "7");
  EXPECT_TRUE(v[2].code.empty());
}

TEST(SearchParse, ReferenceForms) {
  Query q = MustParse("Observation", {{"subject", "Patient/1,2,http://x.org/fhir/Patient/3"},
                                      {"subject:Patient", "4"},
                                      {"performer:identifier", "urn:hpr|42"},
                                      {"subject:missing", "false"}});
  ASSERT_EQ(q.criteria.size(), 4u);
  EXPECT_EQ(q.criteria[0].type, ParamType::kReference);
  EXPECT_EQ(q.criteria[0].values.size(), 3u);
  EXPECT_EQ(q.criteria[1].modifier, Modifier::kType);
  EXPECT_EQ(q.criteria[1].target_type, "Patient");
  EXPECT_EQ(q.criteria[2].modifier, Modifier::kIdentifier);
  EXPECT_EQ(q.criteria[2].values[0].system, "urn:hpr");
  EXPECT_EQ(q.criteria[2].values[0].code, "42");
  EXPECT_EQ(q.criteria[3].modifier, Modifier::kMissing);
  ExpectRejected("Observation", "subject:Patient", "Group/1", "'subject:Patient'");
  ExpectRejected("Observation", "subject:Medication", "1", "'Medication'");
}

TEST(SearchParse, UriModifiers) {
  Query q = MustParse("ValueSet", {{"url:below", "http://example.org/fhir/"},
                                   {"url:above", "http://example.org/fhir/ValueSet/1"},
                                   {"url", "http://example.org/fhir/ValueSet/2"}});
  ASSERT_EQ(q.criteria.size(), 3u);
  EXPECT_EQ(q.criteria[0].modifier, Modifier::kBelow);
  EXPECT_EQ(q.criteria[1].modifier, Modifier::kAbove);
  EXPECT_EQ(q.criteria[2].type, ParamType::kUri);
}

TEST(SearchParse, ModifierMustFitTheType) {
  ExpectRejected("Patient", "name:not", "x", "'not'");
  ExpectRejected("Patient", "gender:exact", "x", "'exact'");
  ExpectRejected("Patient", "birthdate:below", "2020", "'below'");
  ExpectRejected("Patient", "gender:in", "http://vs", "'in'");
  ExpectRejected("Patient", "name:missing", "maybe", "'name:missing'");
}

TEST(SearchParse, ComplexityIsBounded) {
  IssueList warnings;
  ParseOptions options;
  std::vector<std::pair<std::string, std::string>> params(101, {"name", "a"});
  auto many = ParseQuery("Patient", params, options, warnings);
  ASSERT_FALSE(many.has_value());
  EXPECT_EQ(many.error().code(), common::Code::kInvalidArgument);
  EXPECT_EQ(many.error().message(),
            "The search has 101 parameters; at most 100 are allowed in one search");
  params.resize(100);
  EXPECT_TRUE(ParseQuery("Patient", params, options, warnings).has_value());
  std::string values = "a";
  for (int i = 0; i < 1000; ++i) values += ",a";
  auto ored = ParseQuery("Patient", {{"name", values}}, options, warnings);
  ASSERT_FALSE(ored.has_value());
  EXPECT_EQ(ored.error().message(),
            "The search has 1001 values (comma-separated values count one each); at most 1000 "
            "are allowed in one search");
  options.max_values = 2000;
  EXPECT_TRUE(ParseQuery("Patient", {{"name", values}}, options, warnings).has_value());
}

TEST(SearchParse, Chaining) {
  Query q = MustParse("Observation", {{"subject:Patient.name", "Åse"},
                                      {"patient.birthdate", "ge1980"},
                                      {"subject:Patient.organization.name", "Helse"}});
  ASSERT_EQ(q.criteria.size(), 3u);
  const Criterion& a = q.criteria[0];
  ASSERT_EQ(a.chain.size(), 1u);
  EXPECT_EQ(a.chain[0].param, "subject");
  EXPECT_EQ(a.chain[0].target_type, "Patient");
  EXPECT_EQ(a.resource_type, "Patient");
  EXPECT_EQ(a.param, "name");
  EXPECT_EQ(a.type, ParamType::kString);
  const Criterion& b = q.criteria[1];  // patient has the single target Patient
  ASSERT_EQ(b.chain.size(), 1u);
  EXPECT_EQ(b.chain[0].target_type, "Patient");
  EXPECT_EQ(b.values[0].prefix, Prefix::kGe);
  const Criterion& c = q.criteria[2];
  ASSERT_EQ(c.chain.size(), 2u);
  EXPECT_EQ(c.chain[1].param, "organization");
  EXPECT_EQ(c.chain[1].target_type, "Organization");
  EXPECT_EQ(c.resource_type, "Organization");

  Query modified = MustParse("Observation", {{"subject:Patient.name:exact", "Åse"}});
  ASSERT_EQ(modified.criteria.size(), 1u);
  EXPECT_EQ(modified.criteria[0].modifier, Modifier::kExact);

  // subject may be a Group or a Patient: ambiguous without a type.
  ExpectRejected("Observation", "subject.name", "x", "'subject.name'");
  ExpectRejected("Observation", "status.name", "x", "'status'");
  ExpectRejected("Observation", "subject:Device.nosuch", "x", "'nosuch'");
  ExpectRejected("Observation", "subject:Specimen.name", "x", "'Specimen'");  // not a target
  ExpectRejected("Observation", "subject:Patient.nosuch", "x", "'nosuch'");
  ExpectRejected("Observation", "subject:Patient.organization.partof.name", "x",
                 "'subject:Patient.organization.partof.name'");
}

TEST(SearchParse, IdAndLastUpdated) {
  Query q = MustParse(
      "Patient", {{"_id", "a,b"}, {"_lastUpdated", "gt2020-01-01T00:00:00Z"}, {"_id:not", "c"}});
  ASSERT_EQ(q.criteria.size(), 3u);
  EXPECT_EQ(q.criteria[0].param, "_id");
  EXPECT_EQ(q.criteria[0].type, ParamType::kToken);
  ASSERT_EQ(q.criteria[0].values.size(), 2u);
  EXPECT_EQ(q.criteria[0].values[1].code, "b");
  EXPECT_EQ(q.criteria[1].type, ParamType::kDate);
  EXPECT_EQ(q.criteria[1].values[0].prefix, Prefix::kGt);
  EXPECT_EQ(q.criteria[2].modifier, Modifier::kNot);
}

TEST(SearchParse, CountIsBoundedAndValidated) {
  ParseOptions options = Strict();
  options.default_count = 20;
  options.max_count = 100;
  IssueList warnings;
  auto def = ParseQuery("Patient", {}, options, warnings);
  ASSERT_TRUE(def);
  EXPECT_EQ(def->count, 20);
  auto zero = ParseQuery("Patient", {{"_count", "0"}}, options, warnings);
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->count, 0);
  EXPECT_TRUE(warnings.empty());
  auto big = ParseQuery("Patient", {{"_count", "5000"}}, options, warnings);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->count, 100);
  ASSERT_EQ(warnings.size(), 1u);  // lowered, with a warning even in strict mode
  EXPECT_NE(warnings[0].diagnostics.find("100"), std::string::npos);
  ExpectRejected("Patient", "_count", "-1", "'_count'");
  ExpectRejected("Patient", "_count", "ten", "'_count'");
  IssueList w2;
  auto twice = ParseQuery("Patient", {{"_count", "1"}, {"_count", "2"}}, Strict(), w2);
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message().find("'_count'"), std::string::npos);
}

TEST(SearchParse, Sort) {
  Query q = MustParse("Patient", {{"_sort", "-birthdate,name,_id,-_lastUpdated,organization"}});
  ASSERT_EQ(q.sort.size(), 5u);
  EXPECT_EQ(q.sort[0].param, "birthdate");
  EXPECT_TRUE(q.sort[0].descending);
  EXPECT_EQ(q.sort[0].type, ParamType::kDate);
  EXPECT_EQ(q.sort[1].param, "name");
  EXPECT_FALSE(q.sort[1].descending);
  EXPECT_EQ(q.sort[2].param, "_id");
  EXPECT_TRUE(q.sort[3].descending);
  EXPECT_EQ(q.sort[4].type, ParamType::kReference);
  ExpectIgnoredWhenLenient("Patient", "_sort", "nosuch", "'nosuch'");
  ExpectRejected("Patient", "_sort", "-", "'_sort'");
  ExpectRejected("Patient", "_sort:desc", "name", "'_sort:desc'");
}

TEST(SearchParse, IncludeAndRevinclude) {
  Query q = MustParse("Observation", {{"_include", "Observation:subject:Patient"},
                                      {"_include:iterate", "Patient:organization"},
                                      {"_include", "Observation:*"},
                                      {"_revinclude", "Provenance:target"},
                                      {"_revinclude:iterate", "Observation:has-member"}});
  ASSERT_EQ(q.includes.size(), 3u);
  EXPECT_EQ(q.includes[0].source_type, "Observation");
  EXPECT_EQ(q.includes[0].param, "subject");
  EXPECT_EQ(q.includes[0].target_type, "Patient");
  EXPECT_FALSE(q.includes[0].iterate);
  EXPECT_TRUE(q.includes[1].iterate);
  EXPECT_EQ(q.includes[1].source_type, "Patient");
  EXPECT_EQ(q.includes[2].param, "*");
  ASSERT_EQ(q.revincludes.size(), 2u);
  EXPECT_EQ(q.revincludes[0].source_type, "Provenance");
  EXPECT_EQ(q.revincludes[0].param, "target");
  EXPECT_TRUE(q.revincludes[1].iterate);

  Query star = MustParse("Patient", {{"_include", "*"}});
  ASSERT_EQ(star.includes.size(), 1u);
  EXPECT_EQ(star.includes[0].source_type, "Patient");
  EXPECT_EQ(star.includes[0].param, "*");

  ExpectRejected("Observation", "_include", "Patient:organization", "'_include'");
  ExpectRejected("Observation", "_include", "Observation:status", "'Observation:status'");
  ExpectRejected("Observation", "_include", "Nope:subject", "'_include'");
  ExpectRejected("Observation", "_include", "Observation:subject:Organization", "'Organization'");
  ExpectRejected("Observation", "_include", "Observation", "'_include'");
  ExpectRejected("Observation", "_revinclude", "*", "'_revinclude'");
  ExpectRejected("Observation", "_include:deep", "Observation:subject", "'_include'");
}

TEST(SearchParse, SummaryTotalElementsAndPaging) {
  Query q = MustParse("Patient", {{"_summary", "count"},
                                  {"_total", "none"},
                                  {"_elements", "name,birthDate"},
                                  {"_offset", "40"},
                                  {"_snapshot", "1234567890123"}});
  EXPECT_EQ(q.summary, SummaryMode::kCount);
  EXPECT_EQ(q.total, TotalMode::kNone);
  EXPECT_EQ(q.elements, (std::vector<std::string>{"name", "birthDate"}));
  EXPECT_EQ(q.offset, 40);
  EXPECT_EQ(q.snapshot, 1234567890123);
  for (const auto& [v, mode] :
       std::vector<std::pair<std::string, SummaryMode>>{{"true", SummaryMode::kTrue},
                                                        {"text", SummaryMode::kText},
                                                        {"data", SummaryMode::kData},
                                                        {"false", SummaryMode::kFalse}}) {
    EXPECT_EQ(MustParse("Patient", {{"_summary", v}}).summary, mode);
  }
  EXPECT_EQ(MustParse("Patient", {{"_total", "estimate"}}).total, TotalMode::kEstimate);
  EXPECT_EQ(MustParse("Patient", {{"_total", "accurate"}}).total, TotalMode::kAccurate);
  EXPECT_EQ(MustParse("Patient", {}).total, TotalMode::kAuto);
  ExpectRejected("Patient", "_summary", "maybe", "'_summary'");
  ExpectRejected("Patient", "_total", "all", "'_total'");
  ExpectRejected("Patient", "_elements", "name,", "'_elements'");
  ExpectRejected("Patient", "_offset", "-5", "'_offset'");
  ExpectRejected("Patient", "_snapshot", "x", "'_snapshot'");
}

TEST(SearchParse, UnknownAndUnsupportedParameters) {
  ExpectIgnoredWhenLenient("Patient", "nosuch", "x", "'nosuch'");
  ExpectRejected("Patient", "_has", "Observation:patient:code=1", "'_has'");
  ExpectRejected("Patient", "_text", "x", "'_text'");
  ExpectRejected("Patient", "_filter", "x", "'_filter'");
  ExpectIgnoredWhenLenient("Patient", "phonetic", "x", "'phonetic'");  // not implemented
  ExpectRejected("Patient", "name", "", "'name'");
  ExpectRejected("Patient", "name", "a,,b", "'name'");
}

TEST(SearchParse, FormatAndPrettyAreIgnoredSilently) {
  Query q = MustParse("Patient", {{"_format", "json"}, {"_pretty", "true"}, {"name", "x"}});
  EXPECT_EQ(q.criteria.size(), 1u);
  EXPECT_EQ(q.canonical.find("_format"), std::string::npos);
  EXPECT_EQ(q.canonical.find("_pretty"), std::string::npos);
}

TEST(SearchParse, SystemLevelSearchAllowsResourceLevelParametersOnly) {
  Query q = MustParse(
      "",
      {{"_id", "a"}, {"_lastUpdated", "ge2020"}, {"_tag", "urn:t|x"}, {"_sort", "-_lastUpdated"}});
  EXPECT_TRUE(q.type.empty());
  EXPECT_EQ(q.criteria.size(), 3u);
  ExpectIgnoredWhenLenient("", "name", "x", "'name'");
  ExpectRejected("", "_include", "*", "'_include'");
  IssueList warnings;
  auto unknown = ParseQuery("NoSuchType", {}, Strict(), warnings);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), common::Code::kNotFound);
}

TEST(SearchParse, CanonicalIsSortedEncodedAndWithoutPaging) {
  Query q = MustParse("Patient", {{"name", "Åse Ø,b"},
                                  {"_offset", "10"},
                                  {"_snapshot", "5"},
                                  {"birthdate", "ge1980"},
                                  {"_sort", "-birthdate"},
                                  {"given", "a&b=c"},
                                  {"family", "x+y"},
                                  {"_count", "7"}});
  EXPECT_EQ(q.canonical,
            "_count=7&_sort=-birthdate&birthdate=ge1980&family=x%2By&given=a%26b%3Dc&"
            "name=%C3%85se%20%C3%98,b");
  Query reordered = MustParse("Patient", {{"_count", "7"},
                                          {"family", "x+y"},
                                          {"given", "a&b=c"},
                                          {"_sort", "-birthdate"},
                                          {"birthdate", "ge1980"},
                                          {"name", "Åse Ø,b"}});
  EXPECT_EQ(reordered.canonical, q.canonical);
  Query defaulted = MustParse("Patient", {});
  EXPECT_EQ(defaulted.canonical, "_count=50");

  // Lenient: ignored parameters do not appear in the canonical form.
  IssueList warnings;
  auto lenient = ParseQuery("Patient", {{"nosuch", "1"}, {"name", "x"}}, ParseOptions{}, warnings);
  ASSERT_TRUE(lenient);
  EXPECT_EQ(lenient->canonical, "_count=50&name=x");
}

}  // namespace
}  // namespace fhir::search
