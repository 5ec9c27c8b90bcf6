#include "fhir/served_types.h"

#include <algorithm>

#include "fhir/model/model.h"

namespace fhir {
namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

const std::vector<std::string>& DefaultServedTypes() {
  static const std::vector<std::string>* const kTypes = new std::vector<std::string>(
      Sorted({// Referrals and messaging with the EHRs (adapters/ehr), identity and audit.
              "AuditEvent", "Binary", "Communication", "CommunicationRequest", "Condition",
              "DocumentReference", "Endpoint", "MessageHeader", "Organization", "Patient",
              "Practitioner", "PractitionerRole", "Provenance", "ServiceRequest", "Task",
              // Terminology and conformance resources (mappings/, the CapabilityStatement).
              "CapabilityStatement", "CodeSystem", "ConceptMap", "OperationDefinition",
              "SearchParameter", "StructureDefinition", "ValueSet",
              // helsenorge forms and the treatment course.
              "ActivityDefinition", "Appointment", "CarePlan", "CareTeam", "Consent",
              "DetectedIssue", "EpisodeOfCare", "Flag", "Goal", "Library", "Observation",
              "PlanDefinition", "Questionnaire", "QuestionnaireResponse", "RiskAssessment",
              // Registry export.
              "Group", "Measure", "MeasureReport",
              // Infrastructure.
              "Bundle", "OperationOutcome", "Parameters", "Subscription"}));
  return *kTypes;
}

const std::vector<std::string>& RequiredServedTypes() {
  static const std::vector<std::string>* const kTypes = new std::vector<std::string>(
      Sorted({// Written by the EHR adapter's inbox (adapters/ehr/message_to_fhir.cpp, inbox.cpp).
              "Binary", "Communication", "Condition", "DocumentReference", "Organization",
              "Patient", "Practitioner", "PractitionerRole", "Provenance", "ServiceRequest", "Task",
              // The audit trail (authz/request_audit.cpp) and the terminology seed (mappings/).
              "AuditEvent", "CodeSystem", "ConceptMap", "ValueSet",
              // Transactions and the answers of every interaction.
              "Bundle", "OperationOutcome"}));
  return *kTypes;
}

common::StatusOr<std::vector<std::string>> ResolveServedTypes(
    const std::vector<std::string>& configured) {
  if (configured.empty()) return DefaultServedTypes();
  std::vector<std::string> out;
  for (const std::string& name : configured) {
    if (name == "default") {
      out.insert(out.end(), DefaultServedTypes().begin(), DefaultServedTypes().end());
    } else if (model::IsResourceType(name)) {
      out.push_back(name);
    } else {
      return common::Error(common::Code::kInvalidArgument,
                           "'" + name.substr(0, 64) +
                               "' is not an R4 resource type (names are case-sensitive; "
                               "'default' stands for the default list)");
    }
  }
  out = Sorted(std::move(out));
  for (const std::string& required : RequiredServedTypes()) {
    if (!std::binary_search(out.begin(), out.end(), required)) {
      return common::Error(common::Code::kInvalidArgument,
                           required + " must be served: the gateway writes it itself");
    }
  }
  return out;
}

}  // namespace fhir
