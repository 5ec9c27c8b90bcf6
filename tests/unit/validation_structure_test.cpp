// Structural rules of the validator: resourceType, unknown elements, JSON shape (null, empty,
// arrays), primitive formats and JSON types, cardinality, choice types, primitive extensions.

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/validation_test_util.h"

namespace fhir::validation {
namespace {

using testing_util::HasIssue;
using testing_util::NoIssues;
using testing_util::Validate;

TEST(ValidatorResourceType, AcceptsAMinimalValidResource) {
  EXPECT_TRUE(NoIssues(Validate(R"({"resourceType":"Patient"})")));
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Patient","id":"p-1.x","active":true,"gender":"female",
          "birthDate":"2000-02-29","name":[{"use":"official","family":"Nordmann",
          "given":["Kari","Anne"]}],"multipleBirthInteger":2})")));
}

TEST(ValidatorResourceType, MissingUnknownOrWrongResourceType) {
  EXPECT_TRUE(HasIssue(Validate(R"({"id":"x"})"), "required", ""));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Foo"})"), "not-supported", ""));
  // Every concrete R4 type is validated by its own definition; the abstract bases are refused.
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"DiagnosticReport"})"), "required",
                       "DiagnosticReport.status"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"DomainResource"})"), "not-supported", ""));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Resource"})"), "not-supported", ""));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":5})"), "structure", ""));
  EXPECT_TRUE(HasIssue(Validate(R"([{"resourceType":"Patient"}])"), "structure", ""));
  // Nested resources are checked the same way, with their own path.
  IssueList nested = Validate(
      R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"id":"a"}},
          {"resource":{"resourceType":"Goal"}},{"resource":{"resourceType":"Nonsense"}}]})");
  EXPECT_TRUE(HasIssue(nested, "required", "Bundle.entry[0].resource"));
  EXPECT_TRUE(HasIssue(nested, "required", "Bundle.entry[1].resource.lifecycleStatus"));
  EXPECT_TRUE(HasIssue(nested, "not-supported", "Bundle.entry[2].resource"));
}

TEST(ValidatorIssues, AtMostAHundredAreListedAndTheRestCounted) {
  std::string given;
  for (int i = 0; i < 250; ++i) given += (i > 0 ? ",null" : "null");
  IssueList issues = Validate(R"({"resourceType":"Patient","name":[{"given":[)" + given + "]}]}");
  ASSERT_EQ(issues.size(), kMaxListedIssues + 1);
  EXPECT_EQ(issues[0].expression, "Patient.name[0].given[0]");
  EXPECT_EQ(issues.back().severity, Severity::kError);
  EXPECT_EQ(issues.back().diagnostics,
            "150 more issues found and not listed (at most 100 are listed)");
  EXPECT_TRUE(HasErrors(issues));
  // The OperationOutcome of a longer list is capped the same way.
  IssueList warnings(300, Issue{Severity::kWarning, "informational", "w", ""});
  warnings.push_back(Issue{Severity::kError, "invalid", "e", ""});
  json::Value oo = MakeOperationOutcome(warnings);
  const auto& listed = oo.Find("issue")->items();
  ASSERT_EQ(listed.size(), kMaxListedIssues + 1);
  EXPECT_EQ(listed.back().GetString("severity"), "error");  // the worst of those left out
  EXPECT_EQ(listed.back().GetString("diagnostics"),
            "201 more issues found and not listed (at most 100 are listed)");
}

TEST(ValidatorResourceType, TypedResourceElementMustHoldThatType) {
  IssueList issues = Validate(
      R"({"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"200",
          "outcome":{"resourceType":"Patient"}}}]})");
  EXPECT_TRUE(HasIssue(issues, "structure", "Bundle.entry[0].response.outcome"));
}

TEST(ValidatorElements, UnknownElementsAreRejectedAtAnyDepth) {
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Patient","foo":1})"), "structure", "Patient.foo"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","name":[{"family":"x","nick":"y"}]})"),
                       "structure", "Patient.name[0].nick"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","Gender":"male"})"), "structure",
                       "Patient.Gender"));
  // A choice type that is not among the allowed types is an unknown element.
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
                   "valueMoney":{"value":1}})"),
               "structure", "Observation.valueMoney"));
  // `_name` is only for primitives.
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","_name":[{"id":"a"}]})"), "structure",
                       "Patient._name"));
  // A key that is not a plausible element name is not repeated (it may be data).
  IssueList odd = Validate(R"({"resourceType":"Patient","Kari Nordmann":1})");
  EXPECT_TRUE(HasIssue(odd, "structure", "Patient"));
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(odd[0].diagnostics.find("Kari"), std::string::npos);
  // resourceType is only allowed on resources.
  EXPECT_TRUE(HasIssue(
      Validate(R"({"resourceType":"Patient","name":[{"resourceType":"HumanName","text":"x"}]})"),
      "structure", "Patient.name[0].resourceType"));
}

TEST(ValidatorJsonShape, NullsAreRejectedExceptAsExtensionPlaceholders) {
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","gender":null})"), "structure",
                       "Patient.gender"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","name":[null]})"), "structure",
                       "Patient.name[0]"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","name":[{"given":["a",null]}]})"),
                       "structure", "Patient.name[0].given[1]"));
  // Both null at the same index is never allowed.
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","name":[{"given":["a",null],
                                    "_given":[{"id":"x"},null]}]})"),
                       "structure", "Patient.name[0].given[1]"));
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"extension":[
          {"url":"http://example.org/x","valueString":"y"}]}]}]})")));
}

TEST(ValidatorJsonShape, EmptyObjectsArraysAndStringsAreRejected) {
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","maritalStatus":{}})"), "structure",
                       "Patient.maritalStatus"));
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Patient","name":[]})"), "structure", "Patient.name"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","name":[{}]})"), "structure",
                       "Patient.name[0]"));
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Patient","gender":""})"), "value", "Patient.gender"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","name":[{"given":[""]}]})"), "value",
                       "Patient.name[0].given[0]"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","_birthDate":{}})"), "structure",
                       "Patient.birthDate"));
}

TEST(ValidatorJsonShape, ArrayVersusSingleValue) {
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","gender":["male"]})"), "structure",
                       "Patient.gender"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","name":{"family":"x"}})"), "structure",
                       "Patient.name"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","name":[{"given":"Kari"}]})"),
                       "structure", "Patient.name[0].given"));
}

TEST(ValidatorPrimitives, JsonTypesMustMatch) {
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","active":"true"})"), "structure",
                       "Patient.active"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","active":1})"), "structure",
                       "Patient.active"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","multipleBirthInteger":"2"})"),
                       "structure", "Patient.multipleBirth.ofType(integer)"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","birthDate":20230101})"), "structure",
                       "Patient.birthDate"));
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
                   "valueQuantity":{"value":"1.0"}})"),
               "structure", "Observation.value.ofType(Quantity).value"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","name":[{"family":{"a":1}}]})"),
                       "structure", "Patient.name[0].family"));
}

TEST(ValidatorPrimitives, NarrativeIsChecked) {
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Patient","text":{"status":"generated","div":
          "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p title=\"x onclick y\">Kari</p>\n)"
      R"(<a href=\"http://e.org\">link</a></div>"}})")));
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Patient","text":{"status":"empty","div":
          "<div xmlns=\"http://www.w3.org/1999/xhtml\"><img src=\"#a\"/></div>"}})")));
}

TEST(ValidatorPrimitives, FormatsAreChecked) {
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","birthDate":"2023-02-30"})"), "value",
                       "Patient.birthDate"));
  EXPECT_TRUE(HasIssue(
      Validate(R"({"resourceType":"Patient","meta":{"lastUpdated":"2023-01-01T10:00:00"}})"),
      "value", "Patient.meta.lastUpdated"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","multipleBirthInteger":2147483648})"),
                       "value", "Patient.multipleBirth.ofType(integer)"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","multipleBirthInteger":1.5})"),
                       "value", "Patient.multipleBirth.ofType(integer)"));
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Patient","id":"bad id!"})"), "value", "Patient.id"));
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Patient","id":"a_b"})"), "value", "Patient.id"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","gender":" male"})"), "value",
                       "Patient.gender"));
  EXPECT_TRUE(HasIssue(
      Validate(R"({"resourceType":"Patient","photo":[{"contentType":"image/png","data":"a=b"}]})"),
      "value", "Patient.photo[0].data"));
  EXPECT_TRUE(HasIssue(
      Validate(R"({"resourceType":"Patient","text":{"status":"generated","div":"<p>x</p>"}})"),
      "value", "Patient.text.div"));
  // A uri is any text without whitespace.
  EXPECT_TRUE(NoIssues(
      Validate(R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.x"}]})")));
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Patient","identifier":[{"system":"http://a b"}]})"),
               "value", "Patient.identifier[0].system"));
}

TEST(ValidatorCardinality, MinimumAndMaximumAtEveryLevel) {
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Observation","code":{"text":"x"}})"),
                       "required", "Observation.status"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","link":[{"type":"seealso"}]})"),
                       "required", "Patient.link[0].other"));
  // Inside nested items reached through contentReference.
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"1",
          "type":"group","item":[{"linkId":"1.1","type":"group","item":[{"type":"string"}]}]}]})"),
               "required", "Questionnaire.item[0].item[0].item[0].linkId"));
  // A required choice element.
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"1",
          "type":"boolean","enableWhen":[{"question":"q","operator":"exists"}]}]})"),
               "required", "Questionnaire.item[0].enableWhen[0].answer"));
  // max 0 in a constrained type (SimpleQuantity has no comparator).
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
          "referenceRange":[{"low":{"value":1,"comparator":"<"}}]})"),
               "structure", "Observation.referenceRange[0].low.comparator"));
}

TEST(ValidatorChoice, OnlyOneTypeOfAChoice) {
  IssueList issues = Validate(
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
          "valueString":"a","valueQuantity":{"value":1}})");
  EXPECT_TRUE(HasIssue(issues, "structure", "Observation.value"));
  IssueList via_extension = Validate(
      R"({"resourceType":"Patient","deceasedBoolean":true,
          "_deceasedDateTime":{"extension":[{"url":"http://example.org/x","valueString":"y"}]}})");
  EXPECT_TRUE(HasIssue(via_extension, "structure", "Patient.deceased"));
}

TEST(ValidatorPrimitiveExtensions, ShapeAndAlignment) {
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Patient","birthDate":"1970",
          "_birthDate":{"id":"b","extension":[{"url":"http://example.org/x",
          "valueCode":"y"}]}})")));
  // An element with only its extension counts as present.
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Observation","_status":{"extension":[{"url":"http://example.org/x",
          "valueString":"y"}]},"code":{"text":"x"}})")));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","_birthDate":{"value":"1970"}})"),
                       "structure", "Patient.birthDate.value"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","_birthDate":"x"})"), "structure",
                       "Patient.birthDate"));
  EXPECT_TRUE(HasIssue(
      Validate(R"({"resourceType":"Patient","name":[{"given":["a","b"],"_given":[{"id":"x"}]}]})"),
      "structure", "Patient.name[0].given"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","text":{"status":"generated",
          "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>","_div":{"id":"a"}}})"),
                       "structure", "Patient.text.div"));
}

TEST(ValidatorExtensions, UrlAndValueRules) {
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","extension":[{"valueString":"x"}]})"),
                       "required", "Patient.extension[0].url"));
  EXPECT_TRUE(HasIssue(
      Validate(R"({"resourceType":"Patient","extension":[{"url":"relative","valueString":"x"}]})"),
      "value", "Patient.extension[0].url"));
  // Sub-extensions of a complex extension may use relative names.
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Patient","extension":[{"url":"http://example.org/c","extension":[
          {"url":"part","valueString":"x"}]}]})")));
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Patient","modifierExtension":[{"url":"http://e.org/x",
          "valueFoo":"x"}]})"),
               "structure", "Patient.modifierExtension[0].valueFoo"));
}

TEST(ValidatorDepth, DeepNestingIsReportedNotRecursedForever) {
  std::string deep = R"({"resourceType":"Patient","extension":[)";
  int levels = kMaxValidationDepth + 20;
  for (int i = 0; i < levels; ++i) deep += R"({"url":"http://e.org/x","extension":[)";
  deep += R"({"url":"http://e.org/x","valueString":"v"})";
  for (int i = 0; i < levels; ++i) deep += "]}";
  deep += "]}";
  IssueList issues = Validate(deep);
  bool too_costly = false;
  for (const Issue& i : issues) too_costly = too_costly || i.code == "too-costly";
  EXPECT_TRUE(too_costly) << testing_util::Describe(issues);
}

TEST(ValidatorReporting, AllProblemsAreReportedWithoutEchoingValues) {
  IssueList issues = Validate(
      R"({"resourceType":"Patient","gender":"Hemmelig","birthDate":"1999-13-45",
          "name":[{"family":"Secret\u0001Name"}],"foo":"bar"})");
  EXPECT_TRUE(HasIssue(issues, "code-invalid", "Patient.gender"));
  EXPECT_TRUE(HasIssue(issues, "value", "Patient.birthDate"));
  EXPECT_TRUE(HasIssue(issues, "value", "Patient.name[0].family"));
  EXPECT_TRUE(HasIssue(issues, "structure", "Patient.foo"));
  EXPECT_EQ(issues.size(), 4u) << testing_util::Describe(issues);
  for (const Issue& i : issues) {
    EXPECT_EQ(i.diagnostics.find("Hemmelig"), std::string::npos);
    EXPECT_EQ(i.diagnostics.find("1999"), std::string::npos);
    EXPECT_EQ(i.diagnostics.find("Secret"), std::string::npos);
    EXPECT_EQ(i.diagnostics.find("bar"), std::string::npos);
  }
}

}  // namespace
}  // namespace fhir::validation
