#pragma once
// The access rules: what one principal may see and write, decided per resource. Used by the
// authorizing store (authorizing_store.cpp) for every store call of a request; see access.h
// for the order of the decision.

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "authz/access.h"
#include "common/status.h"
#include "fhir/json/value.h"
#include "fhir/store/store.h"

namespace authz {

enum class Verdict { kAllow, kHide, kForbid };

// "Type/id".
inline std::string Ref(const std::string& type, const std::string& id) { return type + "/" + id; }

// The resource of a stored version; nullopt for a deletion or a body that does not parse.
std::optional<fhir::json::Value> ParseBody(const fhir::store::ResourceVersion& v);

// The per-request decision maker, shared by the store and its write contexts.
class AccessRules {
 public:
  AccessRules(fhir::store::Store& inner, const AccessPolicy& policy, const Principal& principal)
      : inner_(inner), policy_(policy), p_(principal) {}

  const Principal& principal() const { return p_; }
  const AccessPolicy& policy() const { return policy_; }
  fhir::store::Store& inner() { return inner_; }

  bool ScopeAllows(std::string_view type, Permission perm) const {
    return p_.scopes.Allows(type, perm) && p_.permissions.Allows(type, perm);
  }
  bool FilterAllows(std::string_view type, Permission perm,
                    const fhir::json::Value& resource) const {
    return p_.scopes.AllowsResource(type, perm, resource) &&
           p_.permissions.AllowsResource(type, perm, resource);
  }
  bool Published(std::string_view type) const {
    return policy_.published_types.find(type) != policy_.published_types.end();
  }
  bool InCompartment(std::string_view type) const { return policy_.compartment->Contains(type); }
  std::vector<std::string> PatientsOf(std::string_view type,
                                      const fhir::json::Value& resource) const {
    return policy_.compartment->PatientsOf(type, resource, policy_.base_url);
  }

  // The patients a practitioner has a care relationship with (computed once per request).
  const std::set<std::string>& CarePatients();

  // The references that may receive a patient's Communication: the members of the CareTeams
  // whose subject the patient is, and those CareTeams themselves.
  const std::set<std::string>& CareTeamMembers();

  // Whether the principal may see `resource` (of `type`) for `perm` (kRead or kSearch).
  Verdict CanSee(const std::string& type, const fhir::json::Value& resource, Permission perm,
                 int depth = 0);

  // Patients a resource belongs to (for audit), empty for types outside the compartment.
  std::vector<std::string> AuditPatients(const std::string& type,
                                         const fhir::json::Value& resource) const {
    if (!InCompartment(type)) return {};
    return PatientsOf(type, resource);
  }

  // The part of the decision that depends on the type alone: whether the principal may attempt
  // `perm` on `type` at all (scopes and role, AuditEvent never written, what a patient or a
  // practitioner may write or search). `type` empty: a system-level search or history. Asked
  // before a request's body, criteria or target are looked at (Store::Authorize), so a refusal
  // here says nothing about any resource: kPermissionDenied.
  common::Status MayAttempt(std::string_view type, Permission perm);

  // Whether the principal may write `resource` over `current` (nullptr: create). `as_delete`:
  // the write is the deletion of `current` (== `resource`), which needs the 'd' letter (not 'u').
  common::Status CanWrite(const std::string& type, const fhir::json::Value& resource,
                          const fhir::json::Value* current, bool as_delete = false);

 private:
  Verdict BinaryVerdict(const fhir::json::Value& binary, int depth);

  common::Status PatientMayWrite(const std::string& type, const fhir::json::Value& resource);

  common::Status PractitionerMayWrite(const std::string& type, const fhir::json::Value& resource,
                                      const fhir::json::Value* current);

  // Runs a search on the inner store and calls `each` for every matching resource body.
  void ForEachMatch(const std::string& type,
                    std::vector<std::pair<std::string, std::string>> params,
                    const std::function<void(const fhir::json::Value&)>& each);

  std::set<std::string> ComputeCarePatients();

  std::set<std::string> ComputeCareTeamMembers();

  fhir::store::Store& inner_;
  const AccessPolicy& policy_;
  const Principal& p_;
  std::mutex mu_;
  std::optional<std::set<std::string>> care_;
  std::optional<std::set<std::string>> team_;
};

}  // namespace authz
