#include "gateway/identity/directory.h"

#include "common/uuid.h"
#include "fhir/json/value.h"
#include "fhir/search/parse.h"

namespace gateway::identity {

using common::Code;
using common::Status;
using fhir::json::Value;

common::StatusOr<std::vector<std::string>> Directory::FindByIdentifier(const std::string& type,
                                                                       std::string_view system,
                                                                       const std::string& value) {
  fhir::search::ParseOptions options;
  options.strict = true;
  fhir::IssueList warnings;
  auto query = fhir::search::ParseQuery(
      type, {{"identifier", std::string(system) + "|" + value}, {"_count", "10"}}, options,
      warnings);
  if (!query.has_value()) return common::Error(query.error());
  query->total = fhir::search::TotalMode::kNone;
  ASSIGN_OR_RETURN(fhir::store::SearchResult result, store_.Search(*query));
  std::vector<std::string> ids;
  ids.reserve(result.matches.size());
  for (const auto& v : result.matches) ids.push_back(v.id);
  return ids;
}

common::StatusOr<std::string> Directory::FindOrCreatePatient(const PersonDetails& person) {
  const std::string_view system = person.d_number ? kDnrSystem : kFnrSystem;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSIGN_OR_RETURN(auto ids, FindByIdentifier("Patient", system, person.national_id));
    if (ids.size() == 1) return ids[0];
    if (ids.size() > 1) {
      return common::Error(Code::kConflict,
                           "more than one Patient carries this identity; access is refused until "
                           "the records are merged");
    }
    Value patient = Value::Object();
    patient.Set("resourceType", Value::String("Patient"));
    Value& identifiers = patient.Set("identifier", Value::Array());
    Value& identifier = identifiers.Append(Value::Object());
    identifier.Set("use", Value::String("official"));
    identifier.Set("system", Value::String(std::string(system)));
    identifier.Set("value", Value::String(person.national_id));
    if (!person.family_name.empty() || !person.given_name.empty()) {
      Value& name = patient.Set("name", Value::Array()).Append(Value::Object());
      if (!person.family_name.empty()) name.Set("family", Value::String(person.family_name));
      if (!person.given_name.empty()) {
        name.Set("given", Value::Array()).Append(Value::String(person.given_name));
      }
    }
    if (person.birthdate.size() == 10) {
      patient.Set("birthDate", Value::String(person.birthdate));
    }
    std::string id = common::NewUuid();
    Status s = store_.Commit([&](fhir::store::WriteContext& ctx) -> Status {
      auto put = ctx.Put("Patient", id, patient, "POST");
      return put.has_value() ? Status::Ok() : put.error();
    });
    if (s.ok()) return id;
    if (s.code() != Code::kAlreadyExists) return common::Error(s);
    // Someone else created it between our search and our write: use theirs.
  }
  return common::Error(Code::kUnavailable, "the patient record could not be linked; try again");
}

common::StatusOr<std::string> Directory::FindPractitioner(const std::string& hpr_number) {
  ASSIGN_OR_RETURN(auto ids, FindByIdentifier("Practitioner", kHprSystem, hpr_number));
  return ids.size() == 1 ? ids[0] : std::string();
}

common::StatusOr<std::vector<std::string>> Directory::FindOrganizations(const std::string& orgnr) {
  return FindByIdentifier("Organization", kOrgnrSystem, orgnr);
}

}  // namespace gateway::identity
