// The invariants this gateway leans on most, with valid counterparts: Bundle (bdl-*),
// Questionnaire (que-*), QuestionnaireResponse (qrs-*) and Patient (pat-1).

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/validation_test_util.h"

namespace fhir::validation {
namespace {

using testing_util::Describe;
using testing_util::HasInvariant;
using testing_util::NoIssues;
using testing_util::Validate;

constexpr std::string_view kPatientEntry =
    R"({"fullUrl":"urn:uuid:c757873d-ec9a-4326-a141-556f43239520",
        "resource":{"resourceType":"Patient"},)";

TEST(ValidatorBundleRules, ValidBundlesOfEachKind) {
  EXPECT_TRUE(NoIssues(Validate(std::string(R"({"resourceType":"Bundle","type":"transaction",
      "entry":[)") + std::string(kPatientEntry) +
                                R"("request":{"method":"POST","url":"Patient"}}]})")));
  EXPECT_TRUE(NoIssues(Validate(std::string(R"({"resourceType":"Bundle","type":"searchset",
      "total":1,"entry":[)") + std::string(kPatientEntry) +
                                R"("search":{"mode":"match"}}]})")));
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Bundle","type":"history","total":1,"entry":[
          {"fullUrl":"http://e.org/Patient/1","resource":{"resourceType":"Patient","id":"1",
           "meta":{"versionId":"2"}},"request":{"method":"PUT","url":"Patient/1"},
           "response":{"status":"200"}},
          {"fullUrl":"http://e.org/Patient/1","resource":{"resourceType":"Patient","id":"1",
           "meta":{"versionId":"1"}},"request":{"method":"POST","url":"Patient"},
           "response":{"status":"201"}}]})")));
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Bundle","type":"batch-response","entry":[
          {"response":{"status":"404"}}]})")));
  // The same fullUrl with different versions is fine outside history too.
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Bundle","type":"collection","entry":[
          {"fullUrl":"http://e.org/Patient/1","resource":{"resourceType":"Patient",
           "meta":{"versionId":"1"}}},
          {"fullUrl":"http://e.org/Patient/1","resource":{"resourceType":"Patient",
           "meta":{"versionId":"2"}}}]})")));
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Bundle","type":"message","entry":[{"resource":{
          "resourceType":"MessageHeader","eventCoding":{"system":"http://e.org","code":"x"},
          "source":{"endpoint":"http://e.org"}}}]})")));
}

TEST(ValidatorBundleRules, ViolationsAreReportedPerEntry) {
  IssueList issues = Validate(
      R"({"resourceType":"Bundle","type":"transaction","total":2,"entry":[
          {"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},
          {"resource":{"resourceType":"Patient"},"search":{"mode":"match"}},
          {"fullUrl":"http://e.org/Patient/1/_history/2","request":{"method":"DELETE",
           "url":"Patient/1"},"response":{"status":"200"}}]})");
  EXPECT_TRUE(HasInvariant(issues, "bdl-1", "Bundle.total"));
  EXPECT_TRUE(HasInvariant(issues, "bdl-2", "Bundle.entry[1].search"));
  EXPECT_TRUE(HasInvariant(issues, "bdl-3", "Bundle.entry[1]"));
  EXPECT_TRUE(HasInvariant(issues, "bdl-4", "Bundle.entry[2].response"));
  EXPECT_TRUE(HasInvariant(issues, "bdl-8", "Bundle.entry[2].fullUrl"));
  EXPECT_EQ(issues.size(), 5u) << Describe(issues);
}

TEST(ValidatorBundleRules, DocumentsNeedIdentifierTimestampAndComposition) {
  IssueList issues = Validate(
      R"({"resourceType":"Bundle","type":"document","identifier":{"system":"urn:x"},
          "entry":[{"fullUrl":"urn:uuid:c757873d-ec9a-4326-a141-556f43239520",
          "resource":{"resourceType":"Patient"}}]})");
  EXPECT_TRUE(HasInvariant(issues, "bdl-9", "Bundle"));
  EXPECT_TRUE(HasInvariant(issues, "bdl-10", "Bundle"));
  EXPECT_TRUE(HasInvariant(issues, "bdl-11", "Bundle"));
}

std::string Questionnaire(std::string_view items) {
  return R"({"resourceType":"Questionnaire","status":"active","item":[)" + std::string(items) +
         "]}";
}

TEST(ValidatorQuestionnaireRules, AWellFormedQuestionnaire) {
  EXPECT_TRUE(NoIssues(Validate(Questionnaire(
      R"({"linkId":"g","type":"group","text":"Group","item":[
          {"linkId":"q1","type":"choice","text":"Pick","answerOption":[{"valueCoding":{
           "system":"http://e.org","code":"a"}}],"required":true},
          {"linkId":"q2","type":"string","text":"Why","maxLength":200,
           "enableWhen":[{"question":"q1","operator":"exists","answerBoolean":true}],
           "initial":[{"valueString":"x"}]},
          {"linkId":"q3","type":"open-choice","answerValueSet":"http://e.org/vs",
           "repeats":true,"initial":[{"valueString":"a"},{"valueString":"b"}]},
          {"linkId":"d","type":"display","text":"Note"}]})"))));
}

TEST(ValidatorQuestionnaireRules, DuplicateLinkIdsAtAnyDepth) {
  IssueList issues = Validate(Questionnaire(
      R"({"linkId":"a","type":"group","item":[{"linkId":"b","type":"string"},
          {"linkId":"c","type":"group","item":[{"linkId":"a","type":"string"}]}]},
         {"linkId":"b","type":"boolean"})"));
  EXPECT_TRUE(HasInvariant(issues, "que-2", "Questionnaire.item[0].item[1].item[0].linkId"));
  EXPECT_TRUE(HasInvariant(issues, "que-2", "Questionnaire.item[1].linkId"));
}

TEST(ValidatorQuestionnaireRules, ItemRulesApplyToNestedItems) {
  IssueList issues = Validate(Questionnaire(
      R"({"linkId":"g","type":"group","item":[
          {"linkId":"g2","type":"group"},
          {"linkId":"d","type":"display","code":[{"code":"x"}],"required":false,
           "readOnly":true,"initial":[{"valueString":"x"}]},
          {"linkId":"s","type":"date","maxLength":4,"answerValueSet":"http://e.org/vs",
           "answerOption":[{"valueDate":"2020"}]},
          {"linkId":"b","type":"boolean","answerOption":[{"valueString":"y"}],
           "initial":[{"valueBoolean":true},{"valueBoolean":false}]}]})"));
  EXPECT_TRUE(HasInvariant(issues, "que-1", "Questionnaire.item[0].item[0]"));
  EXPECT_TRUE(HasInvariant(issues, "que-3", "Questionnaire.item[0].item[1]"));
  EXPECT_TRUE(HasInvariant(issues, "que-6", "Questionnaire.item[0].item[1]"));
  EXPECT_TRUE(HasInvariant(issues, "que-8", "Questionnaire.item[0].item[1]"));
  EXPECT_TRUE(HasInvariant(issues, "que-9", "Questionnaire.item[0].item[1]"));
  EXPECT_TRUE(HasInvariant(issues, "que-4", "Questionnaire.item[0].item[2]"));
  EXPECT_TRUE(HasInvariant(issues, "que-10", "Questionnaire.item[0].item[2]"));
  EXPECT_TRUE(HasInvariant(issues, "que-5", "Questionnaire.item[0].item[3]"));
  EXPECT_TRUE(HasInvariant(issues, "que-11", "Questionnaire.item[0].item[3]"));
  EXPECT_TRUE(HasInvariant(issues, "que-13", "Questionnaire.item[0].item[3]"));
}

TEST(ValidatorQuestionnaireRules, EnableWhenRules) {
  // que-12 follows the R4 FHIRPath (count() > 2): two conditions need no enableBehavior.
  EXPECT_TRUE(NoIssues(Validate(Questionnaire(
      R"({"linkId":"a","type":"boolean"},{"linkId":"b","type":"string","enableWhen":[
          {"question":"a","operator":"=","answerBoolean":true},
          {"question":"a","operator":"exists","answerBoolean":true}]})"))));
  IssueList three = Validate(Questionnaire(
      R"({"linkId":"a","type":"boolean"},{"linkId":"b","type":"string","enableWhen":[
          {"question":"a","operator":"=","answerBoolean":true},
          {"question":"a","operator":"=","answerBoolean":true},
          {"question":"a","operator":"exists","answerCoding":{"code":"x"}}]})"));
  EXPECT_TRUE(HasInvariant(three, "que-12", "Questionnaire.item[1]"));
  EXPECT_TRUE(HasInvariant(three, "que-7", "Questionnaire.item[1].enableWhen[2]"));
}

std::string Response(std::string_view items) {
  return R"({"resourceType":"QuestionnaireResponse","status":"completed","item":[)" +
         std::string(items) + "]}";
}

TEST(ValidatorQuestionnaireResponseRules, NestingAndRepeats) {
  EXPECT_TRUE(NoIssues(Validate(Response(
      R"({"linkId":"g","item":[{"linkId":"q","answer":[{"valueString":"a"},
          {"valueString":"b","item":[{"linkId":"sub","answer":[{"valueBoolean":true}]}]}]}]},
         {"linkId":"rg","item":[{"linkId":"x","answer":[{"valueInteger":1}]}]},
         {"linkId":"rg","item":[{"linkId":"x","answer":[{"valueInteger":2}]}]})"))));
  IssueList both = Validate(Response(
      R"({"linkId":"g","item":[{"linkId":"q","answer":[{"valueString":"a"}],
          "item":[{"linkId":"sub"}]}]})"));
  EXPECT_TRUE(HasInvariant(both, "qrs-1", "QuestionnaireResponse.item[0].item[0]"));
  IssueList repeated = Validate(Response(
      R"({"linkId":"g","item":[{"linkId":"q","answer":[{"valueString":"a"}]},
          {"linkId":"q","answer":[{"valueString":"b"}]}]})"));
  EXPECT_TRUE(HasInvariant(repeated, "qrs-2", "QuestionnaireResponse.item[0].item[1]"));
  // Answers need a value[x]; nested items under answers are validated too.
  IssueList nested = Validate(
      Response(R"({"linkId":"q","answer":[{"valueString":"a","item":[{"text":"no link"}]}]})"));
  EXPECT_TRUE(testing_util::HasIssue(nested, "required",
                                     "QuestionnaireResponse.item[0].answer[0].item[0].linkId"));
  EXPECT_TRUE(testing_util::HasIssue(
      Validate(Response(R"({"linkId":"q","answer":[{"valueString":"a","valueInteger":1}]})")),
      "structure", "QuestionnaireResponse.item[0].answer[0].value"));
}

TEST(ValidatorPatientRules, ContactNeedsDetails) {
  EXPECT_TRUE(HasInvariant(Validate(R"({"resourceType":"Patient","contact":[{"name":{"family":"A"}},
          {"relationship":[{"text":"mor"}]}]})"),
                           "pat-1", "Patient.contact[1]"));
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Patient","contact":[{"organization":{
          "reference":"Organization/1"}}]})")));
}

}  // namespace
}  // namespace fhir::validation
