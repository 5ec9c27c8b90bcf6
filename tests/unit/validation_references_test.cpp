// Required bindings, references (format, target types, Reference.type), contained resources
// (dom-2 .. dom-5, ref-1) and resources nested in Bundles.

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/validation_test_util.h"

namespace fhir::validation {
namespace {

using testing_util::HasInvariant;
using testing_util::HasIssue;
using testing_util::NoIssues;
using testing_util::Validate;

std::string ObservationWithSubject(std::string_view reference) {
  return R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":)" +
         std::string(reference) + "}";
}

TEST(ValidatorCodes, RequiredBindingOnCode) {
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","gender":"unknownx"})"),
                       "code-invalid", "Patient.gender"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Patient","name":[{"use":"nick"}]})"),
                       "code-invalid", "Patient.name[0].use"));
  EXPECT_TRUE(HasIssue(Validate(R"({"resourceType":"Observation","status":"done",
                                    "code":{"text":"x"}})"),
                       "code-invalid", "Observation.status"));
  // Codes in a repeating element and in a backbone element.
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"1",
          "type":"textarea"}]})"),
               "code-invalid", "Questionnaire.item[0].type"));
  EXPECT_TRUE(NoIssues(Validate(R"({"resourceType":"Patient","gender":"other"})")));
  // A binding to an external code system (BCP-13 mime types) is not checked.
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Patient","photo":[{"contentType":"application/x-anything"}]})")));
}

TEST(ValidatorCodes, RequiredBindingOnCodeableConcept) {
  std::string base = R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},)";
  IssueList bad = Validate(base + R"("clinicalStatus":{"coding":[{"system":"http://example.org",
      "code":"x"},{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical",
      "code":"bogus"}]}})");
  EXPECT_TRUE(HasIssue(bad, "code-invalid", "Condition.clinicalStatus.coding[1].code"));
  EXPECT_EQ(bad.size(), 1u) << testing_util::Describe(bad);  // other systems are not judged
  EXPECT_TRUE(NoIssues(Validate(base + R"("clinicalStatus":{"coding":[{"system":
      "http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}})")));
}

TEST(ValidatorReferences, AcceptedForms) {
  for (std::string_view ref :
       {R"({"reference":"Patient/123"})", R"({"reference":"Patient/123/_history/2"})",
        R"({"reference":"Group/g.1"})", R"({"reference":"http://example.org/fhir/Patient/1"})",
        R"({"reference":"urn:uuid:c757873d-ec9a-4326-a141-556f43239520"})",
        R"({"reference":"urn:oid:1.2.3.4"})", R"({"reference":"Patient?identifier=a|b"})",
        R"({"identifier":{"value":"x"}})", R"({"display":"x"})",
        R"({"reference":"Patient/1","type":"Patient"})"}) {
    EXPECT_TRUE(NoIssues(Validate(ObservationWithSubject(ref)))) << ref;
  }
}

TEST(ValidatorReferences, MalformedReferences) {
  for (std::string_view ref :
       {R"({"reference":"Patient"})", R"({"reference":"Foo/1"})", R"({"reference":"Patient/a_b"})",
        R"({"reference":"Patient/1/history/2"})", R"({"reference":"urn:uuid:not-a-uuid"})",
        R"({"reference":"urn:oid:x"})", R"({"reference":"/Patient/1"})"}) {
    EXPECT_TRUE(
        HasIssue(Validate(ObservationWithSubject(ref)), "value", "Observation.subject.reference"))
        << ref;
  }
}

TEST(ValidatorReferences, TargetTypeMustBeAllowed) {
  EXPECT_TRUE(HasIssue(Validate(ObservationWithSubject(R"({"reference":"Organization/1"})")),
                       "invalid", "Observation.subject.reference"));
  // Device is an allowed target of Observation.subject (though not a supported type here).
  EXPECT_TRUE(NoIssues(Validate(ObservationWithSubject(R"({"reference":"Device/1"})"))));
  // Reference(Any) accepts any R4 type, supported here or not.
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
          "focus":[{"reference":"Medication/1"}]})")));
  // Nested in datatypes and backbone elements.
  EXPECT_TRUE(HasIssue(
      Validate(R"({"resourceType":"Patient","generalPractitioner":[{"reference":"Patient/2"}]})"),
      "invalid", "Patient.generalPractitioner[0].reference"));
  EXPECT_TRUE(
      HasIssue(Validate(R"({"resourceType":"Patient","link":[{"other":{"reference":"Group/1"},
          "type":"seealso"}]})"),
               "invalid", "Patient.link[0].other.reference"));
}

TEST(ValidatorReferences, TypeElementMustAgree) {
  EXPECT_TRUE(
      HasIssue(Validate(ObservationWithSubject(R"({"reference":"Patient/1","type":"Group"})")),
               "value", "Observation.subject.type"));
  EXPECT_TRUE(HasIssue(Validate(ObservationWithSubject(R"({"type":"Organization"})")), "invalid",
                       "Observation.subject.type"));
  EXPECT_TRUE(HasIssue(Validate(ObservationWithSubject(R"({"type":"NotAType"})")), "value",
                       "Observation.subject.type"));
}

TEST(ValidatorContained, MustHaveAnIdAndBeReferenced) {
  IssueList no_id = Validate(
      R"({"resourceType":"Patient","contained":[{"resourceType":"Organization","name":"x"}]})");
  EXPECT_TRUE(HasIssue(no_id, "required", "Patient.contained[0].id"));
  IssueList unreferenced = Validate(
      R"({"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o",
          "name":"x"}]})");
  EXPECT_TRUE(HasInvariant(unreferenced, "dom-3", "Patient.contained[0]"));
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o",
          "name":"x"}],"managingOrganization":{"reference":"#o"}})")));
  // A contained resource may instead refer to its container with "#".
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Patient","contained":[{"resourceType":"Observation","id":"obs",
          "status":"final","code":{"text":"x"},"subject":{"reference":"#"}}]})")));
  // Referenced from another contained resource, or through a canonical.
  EXPECT_TRUE(NoIssues(Validate(
      R"({"resourceType":"Questionnaire","status":"draft","contained":[{"resourceType":"ValueSet",
          "id":"vs","status":"draft"}],"item":[{"linkId":"1","type":"choice",
          "answerValueSet":"#vs"}]})")));
  // The contained resource is validated like any other.
  EXPECT_TRUE(HasIssue(
      Validate(R"({"resourceType":"Patient","contained":[{"resourceType":"Patient","id":"p",
          "gender":"x"}],"link":[{"other":{"reference":"#p"},"type":"seealso"}]})"),
      "code-invalid", "Patient.contained[0].gender"));
}

TEST(ValidatorContained, DomInvariants) {
  IssueList nested = Validate(
      R"({"resourceType":"Patient","managingOrganization":{"reference":"#o"},"contained":[
          {"resourceType":"Organization","id":"o","name":"x","contained":[
          {"resourceType":"Organization","id":"o2","name":"y"}]}]})");
  EXPECT_TRUE(HasInvariant(nested, "dom-2", "Patient.contained[0].contained"));
  IssueList versioned = Validate(
      R"({"resourceType":"Patient","managingOrganization":{"reference":"#o"},"contained":[
          {"resourceType":"Organization","id":"o","name":"x","meta":{"versionId":"1"}}]})");
  EXPECT_TRUE(HasInvariant(versioned, "dom-4", "Patient.contained[0].meta"));
  IssueList labelled = Validate(
      R"({"resourceType":"Patient","managingOrganization":{"reference":"#o"},"contained":[
          {"resourceType":"Organization","id":"o","name":"x","meta":{"security":[
          {"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}}]})");
  EXPECT_TRUE(HasInvariant(labelled, "dom-5", "Patient.contained[0].meta.security"));
}

TEST(ValidatorContained, LocalReferencesMustResolve) {
  IssueList issues =
      Validate(R"({"resourceType":"Patient","managingOrganization":{"reference":"#missing"}})");
  EXPECT_TRUE(HasInvariant(issues, "ref-1", "Patient.managingOrganization.reference"));
  // "#" only makes sense inside a contained resource.
  EXPECT_TRUE(HasInvariant(
      Validate(R"({"resourceType":"Patient","managingOrganization":{"reference":"#"}})"), "ref-1",
      "Patient.managingOrganization.reference"));
}

TEST(ValidatorBundle, EntriesAreValidatedRecursively) {
  IssueList issues = Validate(
      R"({"resourceType":"Bundle","type":"collection","entry":[
          {"fullUrl":"urn:uuid:c757873d-ec9a-4326-a141-556f43239520",
           "resource":{"resourceType":"Patient","birthDate":"2023-02-30"}},
          {"resource":{"resourceType":"Observation","code":{"text":"x"}}}]})");
  EXPECT_TRUE(HasIssue(issues, "value", "Bundle.entry[0].resource.birthDate"));
  EXPECT_TRUE(HasIssue(issues, "required", "Bundle.entry[1].resource.status"));
  // Each entry resource has its own contained resources.
  IssueList local = Validate(
      R"({"resourceType":"Bundle","type":"collection","entry":[
          {"resource":{"resourceType":"Patient","contained":[{"resourceType":"Organization",
           "id":"o","name":"x"}]}},
          {"resource":{"resourceType":"Patient","managingOrganization":{"reference":"#o"}}}]})");
  EXPECT_TRUE(HasInvariant(local, "dom-3", "Bundle.entry[0].resource.contained[0]"));
  EXPECT_TRUE(
      HasInvariant(local, "ref-1", "Bundle.entry[1].resource.managingOrganization.reference"));
}

}  // namespace
}  // namespace fhir::validation
