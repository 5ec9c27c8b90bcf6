#include "authz/compartment.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fhir/json/parser.h"

namespace authz {
namespace {

using Ids = std::vector<std::string>;

const std::string kRepo = std::string(EMG_TESTDATA_DIR) + "/../..";
const std::string kMappings = kRepo + "/mappings/access/patient-compartment.json";
constexpr std::string_view kBase = "https://fhir.example.no/fhir";

fhir::json::Value Json(std::string_view text) {
  auto v = fhir::json::Parse(text);
  EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().message());
  return v ? *v : fhir::json::Value();
}

class CompartmentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = PatientCompartment::Load(kMappings);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
    compartment_ = new PatientCompartment(std::move(*loaded));
  }
  static void TearDownTestSuite() {
    delete compartment_;
    compartment_ = nullptr;
  }

  Ids Of(std::string_view json, std::string_view base = {}) {
    fhir::json::Value v = Json(json);
    return compartment_->PatientsOf(v.GetString("resourceType"), v, base);
  }

  static const PatientCompartment* compartment_;
};
const PatientCompartment* CompartmentTest::compartment_ = nullptr;

TEST_F(CompartmentTest, LoadsTheCommittedMappings) {
  const PatientCompartment& c = *compartment_;
  EXPECT_EQ(c.source(), "http://hl7.org/fhir/CompartmentDefinition/patient|4.0.1");
  EXPECT_EQ(c.Params("Observation"), (Ids{"subject", "performer"}));
  EXPECT_EQ(c.Params("Communication"), (Ids{"subject", "sender", "recipient"}));
  EXPECT_EQ(c.Params("Patient"), (Ids{"link"}));
  for (std::string_view type : {"Patient", "Observation", "QuestionnaireResponse", "AuditEvent",
                                "Task", "Consent", "EpisodeOfCare", "Group"}) {
    EXPECT_TRUE(c.Contains(type)) << type;
  }
  // Every R4 type of the definition is loaded, served or not (serving is configuration).
  EXPECT_TRUE(c.Contains("Encounter"));
  EXPECT_TRUE(c.Contains("Account"));
  // Not in the compartment.
  for (std::string_view type :
       {"Binary", "Questionnaire", "Practitioner", "Organization", "Nonsense", ""}) {
    EXPECT_FALSE(c.Contains(type)) << type;
    EXPECT_TRUE(c.Params(type).empty()) << type;
  }
}

TEST_F(CompartmentTest, ObservationSubjectAndPerformer) {
  EXPECT_EQ(Of(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
    "subject": {"reference": "Patient/p1"},
    "performer": [{"reference": "Practitioner/d1"}, {"reference": "Patient/p2"},
                  {"reference": "Patient/p1"}]})"),
            (Ids{"p1", "p2"}));
  EXPECT_EQ(Of(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
    "subject": {"reference": "Patient/p1/_history/3"}})"),
            (Ids{"p1"}));
  EXPECT_EQ(Of(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
    "subject": {"type": "Patient", "reference": "p7"}})"),
            (Ids{"p7"}));
}

TEST_F(CompartmentTest, PractitionerAndUnresolvableReferencesDoNotCount) {
  EXPECT_EQ(Of(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
    "subject": {"reference": "Group/g1"},
    "performer": [{"reference": "Practitioner/d1"}, {"reference": "PractitionerRole/r1"}]})"),
            Ids{});
  // Logical (identifier only), contained and malformed references.
  EXPECT_EQ(Of(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
    "subject": {"type": "Patient", "identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.1",
                                                  "value": "17829010097"}},
    "performer": [{"reference": "#p1"}, {"reference": "Patient/a b"},
                  {"reference": "Patient/"}]})"),
            Ids{});
  // A reference outside the compartment params (Observation.focus, not in the definition).
  EXPECT_EQ(Of(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
    "focus": [{"reference": "Patient/p1"}]})"),
            Ids{});
}

TEST_F(CompartmentTest, CommunicationSenderAndRecipient) {
  EXPECT_EQ(Of(R"({"resourceType": "Communication", "status": "completed",
    "sender": {"reference": "Patient/p3"},
    "recipient": [{"reference": "Practitioner/d1"}, {"reference": "Patient/p4"}]})"),
            (Ids{"p3", "p4"}));
  EXPECT_EQ(Of(R"({"resourceType": "Communication", "status": "completed",
    "sender": {"reference": "Practitioner/d1"}, "recipient": [{"reference": "Patient/p1"}]})"),
            (Ids{"p1"}));
}

TEST_F(CompartmentTest, QuestionnaireResponseAuthorAndSubject) {
  EXPECT_EQ(Of(R"({"resourceType": "QuestionnaireResponse", "status": "completed",
    "author": {"reference": "Patient/p3"}})"),
            (Ids{"p3"}));
  EXPECT_EQ(Of(R"({"resourceType": "QuestionnaireResponse", "status": "completed",
    "subject": {"reference": "Patient/p1"}, "author": {"reference": "RelatedPerson/rp1"}})"),
            (Ids{"p1"}));
}

TEST_F(CompartmentTest, AuditEventAgentAndEntity) {
  EXPECT_EQ(Of(R"({"resourceType": "AuditEvent",
    "type": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110110"},
    "recorded": "2024-03-01T10:00:00Z",
    "agent": [{"who": {"reference": "Patient/p1"}, "requestor": true},
              {"who": {"reference": "Practitioner/d1"}, "requestor": false}],
    "source": {"observer": {"reference": "Device/gw"}},
    "entity": [{"what": {"reference": "Patient/p2"}},
               {"what": {"reference": "Observation/o1"}}]})"),
            (Ids{"p1", "p2"}));
}

TEST_F(CompartmentTest, TaskForAndFocus) {
  EXPECT_EQ(Of(R"({"resourceType": "Task", "status": "requested", "intent": "order",
    "for": {"reference": "Patient/p1"}, "focus": {"reference": "Patient/p2"},
    "owner": {"reference": "Patient/p9"}})"),
            (Ids{"p1", "p2"}));
  EXPECT_EQ(Of(R"({"resourceType": "Task", "status": "requested", "intent": "order",
    "for": {"reference": "Group/g1"}, "focus": {"reference": "ServiceRequest/s1"}})"),
            Ids{});
}

TEST_F(CompartmentTest, PatientItselfAndLinks) {
  EXPECT_EQ(Of(R"({"resourceType": "Patient", "id": "p1",
    "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "17829010097"}],
    "link": [{"other": {"reference": "Patient/p9"}, "type": "replaces"},
             {"other": {"reference": "RelatedPerson/rp1"}, "type": "seealso"}]})"),
            (Ids{"p1", "p9"}));
  EXPECT_EQ(Of(R"({"resourceType": "Patient", "id": "p1"})"), (Ids{"p1"}));
  EXPECT_EQ(Of(R"({"resourceType": "Patient"})"), Ids{});  // not stored yet: no id
}

TEST_F(CompartmentTest, AbsoluteReferencesOnTheBaseUrl) {
  std::string obs = R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
    "subject": {"reference": "https://fhir.example.no/fhir/Patient/p5"},
    "performer": [{"reference": "https://fhir.example.no/fhir/Patient/p6/_history/2"},
                  {"reference": "https://other.example.no/fhir/Patient/p7"},
                  {"reference": "https://fhir.example.no/fhirx/Patient/p8"},
                  {"reference": "https://fhir.example.no/fhir/Practitioner/d1"},
                  {"reference": "urn:uuid:0b6b5f8e-3f3a-4a8e-9a59-2a1f2f5c7d01"}]})";
  EXPECT_EQ(Of(obs, kBase), (Ids{"p5", "p6"}));
  EXPECT_EQ(Of(obs, std::string(kBase) + "/"), (Ids{"p5", "p6"}));
  EXPECT_EQ(Of(obs), Ids{});  // no base: absolute references are ignored
}

TEST_F(CompartmentTest, TypesOutsideTheCompartment) {
  fhir::json::Value binary = Json(R"({"resourceType": "Binary", "contentType": "text/plain",
    "securityContext": {"reference": "Patient/p1"}})");
  EXPECT_EQ(compartment_->PatientsOf("Binary", binary), Ids{});
  fhir::json::Value questionnaire = Json(R"({"resourceType": "Questionnaire",
    "status": "active", "subjectType": ["Patient"]})");
  EXPECT_EQ(compartment_->PatientsOf("Questionnaire", questionnaire), Ids{});
  // The type asked for must be the resource's type.
  fhir::json::Value obs = Json(R"({"resourceType": "Observation", "status": "final",
    "code": {"text": "x"}, "subject": {"reference": "Patient/p1"}})");
  EXPECT_EQ(compartment_->PatientsOf("Observation", obs), (Ids{"p1"}));
  EXPECT_EQ(compartment_->PatientsOf("Condition", obs), Ids{});
}

TEST_F(CompartmentTest, NarrowingParam) {
  const PatientCompartment& c = *compartment_;
  EXPECT_EQ(c.NarrowingParam("Patient"), "_id");
  EXPECT_EQ(c.NarrowingParam("Observation"), "subject");
  EXPECT_EQ(c.NarrowingParam("Communication"), "subject");
  EXPECT_EQ(c.NarrowingParam("QuestionnaireResponse"), "subject");
  EXPECT_EQ(c.NarrowingParam("Task"), "patient");
  EXPECT_EQ(c.NarrowingParam("AuditEvent"), "patient");
  EXPECT_EQ(c.NarrowingParam("CareTeam"), "patient");
  EXPECT_EQ(c.NarrowingParam("Appointment"), "actor");
  EXPECT_EQ(c.NarrowingParam("Group"), "member");
  EXPECT_EQ(c.NarrowingParam("Binary"), std::nullopt);
  EXPECT_EQ(c.NarrowingParam("Questionnaire"), std::nullopt);
}

TEST(CompartmentMappings, MalformedFilesAreRejectedWithTheReason) {
  struct Case {
    std::string json;
    std::string message;
  };
  const Case cases[] = {
      {R"({"resources": {"Observation": ["subject", "nonsense"]}})",
       "Observation.nonsense is not a search parameter of Observation"},
      {R"({"resources": {"Observation": ["code"]}})",
       "Observation.code is a token parameter, not a reference parameter"},
      {R"({"resources": {"Observation": ["_profile"]}})",
       "Observation._profile is not a search parameter of Observation"},
      {R"({"resources": {"Observation": ["device"]}})",
       "Observation.device cannot refer to a Patient"},
      {R"({"resources": {"Observaton": ["subject"]}})", "'Observaton' is not an R4 resource type"},
      {R"({"resources": {"Observation": []}})", "Observation must list its parameters"},
      {R"({"resources": {"Observation": "subject"}})", "Observation must list its parameters"},
      {R"({"resources": {"Observation": ["subject", "subject"]}})",
       "Observation.subject is listed twice"},
      {R"({"resources": {"Observation": [1]}})", "Observation has a parameter that is not a name"},
      {R"({"resource": {"Observation": ["subject"]}})", "unexpected member 'resource'"},
      {R"({"source": "x"})", "'resources' is missing"},
      {R"([])", "the document must be a JSON object"},
      {R"({"resources": )", "patient compartment: "},
  };
  for (const Case& c : cases) {
    auto loaded = PatientCompartment::FromJson(c.json);
    ASSERT_FALSE(loaded.has_value()) << c.json;
    EXPECT_EQ(loaded.error().code(), common::Code::kInvalidArgument) << c.json;
    EXPECT_NE(loaded.error().message().find(c.message), std::string::npos)
        << c.json << " -> " << loaded.error().message();
  }
}

TEST(CompartmentMappings, MinimalFileAndEveryR4Type) {
  // Every R4 type is checked against its search parameters; Patient is always in.
  auto bad = PatientCompartment::FromJson(R"({"resources": {"Account": ["whatever"]}})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("Account.whatever"), std::string::npos);
  auto c = PatientCompartment::FromJson(
      R"({"resources": {"Account": ["subject"], "Observation": ["subject"]}})");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_TRUE(c->Contains("Account"));
  EXPECT_TRUE(c->Contains("Observation"));
  EXPECT_TRUE(c->Contains("Patient"));
  EXPECT_TRUE(c->Params("Patient").empty());
  EXPECT_EQ(c->NarrowingParam("Patient"), "_id");
}

TEST(CompartmentMappings, LoadReportsTheFile) {
  auto missing = PatientCompartment::Load(kRepo + "/mappings/access/no-such-file.json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), common::Code::kNotFound);
  EXPECT_NE(missing.error().message().find("no-such-file.json"), std::string::npos);
}

}  // namespace
}  // namespace authz
