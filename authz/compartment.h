#pragma once
// The FHIR R4 Patient compartment as data: which resources belong to which Patient, by the
// reference search parameters of the CompartmentDefinition. Used to decide what a patient/
// scope may see and to narrow a search to one patient.
//
// The data is mappings/access/patient-compartment.json, generated from the official definition
// by tools/gen_patient_compartment.py:
//   { "source": "<url>|<version>", "resources": { "<Type>": ["<param>", ...], ... } }
// Loading validates it: every type must be an R4 resource type and, for the types the gateway
// serves, every parameter must be a reference search parameter of that type (in
// fhir/search/registry.h) that can refer to a Patient. Types the gateway does not serve are
// skipped (nothing of theirs is ever stored or requested); Contains() is false for them.
//
// Membership comes from the resource's search index values (fhir/search/index.h), so it is
// exactly what a search on those parameters finds. A reference counts when it names a Patient
// by id: relative ("Patient/x", "Patient/x/_history/n", or {"type": "Patient", "reference":
// "x"}), or absolute on this server's base URL. Logical references (identifier only),
// contained ("#p") and other servers' URLs do not count, nor do ids that are not valid FHIR
// ids: membership is never guessed.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fhir/json/value.h"
#include "fhir/search/values.h"

namespace authz {

class PatientCompartment {
 public:
  // kInvalidArgument naming the type or parameter at fault (malformed JSON, unknown type,
  // unknown or non-reference parameter, parameter that cannot refer to a Patient).
  static common::StatusOr<PatientCompartment> FromJson(std::string_view json);
  // As FromJson; kNotFound when the file cannot be read.
  static common::StatusOr<PatientCompartment> Load(const std::string& path);

  // Whether resources of `type` can belong to a patient. Always true for Patient.
  bool Contains(std::string_view type) const;
  // The compartment parameters of `type`; empty when it is not in the compartment.
  const std::vector<std::string>& Params(std::string_view type) const;

  // The ids of the Patients `resource` (of `type`; another resourceType gives none) belongs to
  // through its compartment parameters, deduplicated and sorted. Absolute references count
  // when they are `base_url` + "/Patient/x" (or + "/Patient/x/_history/n"); an empty
  // `base_url` ignores absolute references. For a Patient: its own id plus the Patients of
  // Patient.link.other.
  std::vector<std::string> PatientsOf(std::string_view type, const fhir::json::Value& resource,
                                      std::string_view base_url = {}) const;

  // The parameter to narrow a search of `type` to one patient: "patient" when it is a
  // compartment parameter of the type, else "subject", else the first listed; "_id" for
  // Patient; nullopt when the type is not in the compartment. The narrowed search finds a
  // subset of the compartment (e.g. Observation by subject, not performer): safe to use for
  // restricting, not for proving that something is outside the compartment.
  std::optional<std::string> NarrowingParam(std::string_view type) const;

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::map<std::string, std::vector<std::string>, std::less<>> params_;
};

// A reference to a resource on this server, taken apart: relative ("Type/id" or
// "Type/id/_history/v"), or absolute under `base_url` (trailing slashes ignored; empty: none).
// Anything else (another server's URL, urn:, "#contained") gives type and id empty.
fhir::search::ParsedReference LocalReference(std::string_view reference, std::string_view base_url);

}  // namespace authz
