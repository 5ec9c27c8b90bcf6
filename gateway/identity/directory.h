#pragma once
// Links verified identities to FHIR resources: a fødselsnummer or D-nummer to its Patient
// (created on first login), an HPR number to its Practitioner, an organisation number to its
// Organizations. Runs as the gateway itself (no access checks: the identity was verified by
// the caller).

#include <string>
#include <vector>

#include "common/status.h"
#include "fhir/store/store.h"

namespace gateway::identity {

inline constexpr std::string_view kFnrSystem = "urn:oid:2.16.578.1.12.4.1.4.1";
inline constexpr std::string_view kDnrSystem = "urn:oid:2.16.578.1.12.4.1.4.2";
inline constexpr std::string_view kHprSystem = "urn:oid:2.16.578.1.12.4.1.4.4";
inline constexpr std::string_view kOrgnrSystem = "urn:oid:2.16.578.1.12.4.1.4.101";

struct PersonDetails {
  std::string national_id;
  bool d_number = false;
  std::string given_name;
  std::string family_name;
  std::string birthdate;  // YYYY-MM-DD or empty
};

class Directory {
 public:
  explicit Directory(fhir::store::Store& store) : store_(store) {}

  // The id of the live Patient with this identifier; creates one (with the name and birth
  // date from the login) when there is none. Race-free through the store's unique
  // identifiers.
  common::StatusOr<std::string> FindOrCreatePatient(const PersonDetails& person);
  // Empty when there is none (or more than one: ambiguous identities get no access).
  common::StatusOr<std::string> FindPractitioner(const std::string& hpr_number);
  common::StatusOr<std::vector<std::string>> FindOrganizations(const std::string& orgnr);

 private:
  common::StatusOr<std::vector<std::string>> FindByIdentifier(const std::string& type,
                                                              std::string_view system,
                                                              const std::string& value);
  fhir::store::Store& store_;
};

}  // namespace gateway::identity
