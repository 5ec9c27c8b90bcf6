#include "authz/access_rules.h"

#include <algorithm>

#include "fhir/json/parser.h"
#include "fhir/search/parse.h"

namespace authz {

using common::Code;
using common::Status;
using fhir::json::Value;
using fhir::store::ResourceVersion;

namespace {

constexpr int kCareSearchPage = 1000;
constexpr int kCareSearchMaxPages = 20;

}  // namespace

std::optional<Value> ParseBody(const ResourceVersion& v) {
  if (v.deleted || v.body.empty()) return std::nullopt;
  auto parsed = fhir::json::Parse(v.body);
  if (!parsed.has_value()) return std::nullopt;
  return std::move(*parsed);
}

const std::set<std::string>& AccessRules::CarePatients() {
  std::lock_guard lock(mu_);
  if (!care_) care_ = ComputeCarePatients();
  return *care_;
}

const std::set<std::string>& AccessRules::CareTeamMembers() {
  std::lock_guard lock(mu_);
  if (!team_) team_ = ComputeCareTeamMembers();
  return *team_;
}

Verdict AccessRules::CanSee(const std::string& type, const Value& resource, Permission perm,
                            int depth) {
  if (p_.internal()) return Verdict::kAllow;
  if (!ScopeAllows(type, perm)) return Verdict::kForbid;
  if (!FilterAllows(type, perm, resource)) return Verdict::kHide;
  switch (p_.kind) {
    case PrincipalKind::kInternal:
    case PrincipalKind::kSystem:
      return Verdict::kAllow;
    case PrincipalKind::kPatient: {
      if (Published(type)) return Verdict::kAllow;
      if (!InCompartment(type)) return Verdict::kHide;
      std::vector<std::string> patients = PatientsOf(type, resource);
      return std::find(patients.begin(), patients.end(), p_.patient_id) != patients.end()
                 ? Verdict::kAllow
                 : Verdict::kHide;
    }
    case PrincipalKind::kPractitioner: {
      if (Published(type)) return Verdict::kAllow;
      if (InCompartment(type)) {
        std::vector<std::string> patients = PatientsOf(type, resource);
        // Patient data whose patient cannot be resolved (e.g. named only by an identifier)
        // has no care relationship to prove: hidden, like everything else unproven.
        if (patients.empty()) return Verdict::kHide;
        const std::set<std::string>& care = CarePatients();
        for (const std::string& id : patients) {
          if (!care.contains(id)) return Verdict::kHide;
        }
        return Verdict::kAllow;
      }
      if (type == "Binary") return BinaryVerdict(resource, depth);
      // Neither patient data nor published content (stored Bundles, Subscriptions, ...):
      // nothing a clinician's care relationship covers.
      return Verdict::kHide;
    }
  }
  return Verdict::kHide;
}

Status AccessRules::MayAttempt(std::string_view type, Permission perm) {
  if (p_.internal()) return Status::Ok();
  const std::string t(type.empty() ? std::string_view("*") : type);
  const bool write = perm == kCreate || perm == kUpdate || perm == kDelete;
  const char* verb = perm == kCreate   ? "create"
                     : perm == kUpdate ? "update"
                     : perm == kDelete ? "delete"
                     : perm == kRead   ? "reading"
                                       : "searching";
  auto denied = [](std::string why) { return Status(Code::kPermissionDenied, std::move(why)); };
  if (write && type == "AuditEvent") {
    return denied(
        "audit records are written by the gateway only and cannot be created, changed or "
        "deleted through the API");
  }
  if (!ScopeAllows(t, perm)) {
    return denied(std::string("the granted scopes do not allow ") + verb + " " +
                  (perm == kRead || perm == kSearch ? "" : "of ") +
                  (type.empty() ? std::string("all types") : t));
  }
  const bool person = p_.kind == PrincipalKind::kPatient || p_.kind == PrincipalKind::kPractitioner;
  if (perm == kSearch && person) {
    // As AuthorizingStore::Search decides before it runs a query.
    if (type.empty()) return denied("a search across all types is not available to this client");
    if (InCompartment(type) ? !policy_.compartment->NarrowingParam(t).has_value()
                            : !Published(type)) {
      return denied("searching " + t + " is not available to this client");
    }
  }
  if (!write) return Status::Ok();
  if (p_.kind == PrincipalKind::kPatient) {
    if (perm == kDelete) return denied("patients cannot delete resources");
    if (policy_.patient_writable_types.find(type) == policy_.patient_writable_types.end()) {
      return denied("patients cannot write " + t + " resources");
    }
  }
  if (p_.kind == PrincipalKind::kPractitioner && !InCompartment(type)) {
    if (Published(type)) {
      return denied(t + " is published content and is not written by personnel clients");
    }
    if (type != "Binary") return denied("personnel clients cannot write " + t);
  }
  if (p_.kind == PrincipalKind::kPractitioner && perm == kCreate && type == "Patient") {
    return denied("patients are registered from referrals; personnel cannot create them");
  }
  return Status::Ok();
}

Status AccessRules::CanWrite(const std::string& type, const Value& resource, const Value* current,
                             bool as_delete) {
  if (p_.internal()) return Status::Ok();
  if (type == "AuditEvent") {
    return Status(Code::kPermissionDenied,
                  "audit records are written by the gateway only and cannot be created, "
                  "changed or deleted through the API");
  }
  const Permission perm = as_delete ? kDelete : current != nullptr ? kUpdate : kCreate;
  if (!ScopeAllows(type, perm)) {
    return Status(Code::kPermissionDenied, std::string("the granted scopes do not allow ") +
                                               (perm == kCreate   ? "create"
                                                : perm == kUpdate ? "update"
                                                                  : "delete") +
                                               " of " + type);
  }
  if (current != nullptr) {
    Verdict seen = CanSee(type, *current, kRead);
    if (seen == Verdict::kForbid) {
      return Status(Code::kPermissionDenied, "the granted scopes do not allow reading " + type);
    }
    if (seen == Verdict::kHide) {
      return Status(Code::kNotFound, "resource " + type + " not found");
    }
  }
  if (!FilterAllows(type, perm, resource)) {
    return Status(Code::kPermissionDenied,
                  "the resource is outside what the granted scopes allow for " + type);
  }
  switch (p_.kind) {
    case PrincipalKind::kInternal:
    case PrincipalKind::kSystem:
      return Status::Ok();
    case PrincipalKind::kPatient:
      return PatientMayWrite(type, resource);
    case PrincipalKind::kPractitioner:
      return PractitionerMayWrite(type, resource, current);
  }
  return Status(Code::kPermissionDenied, "not allowed");
}

Verdict AccessRules::BinaryVerdict(const Value& binary, int depth) {
  const Value* ctx = binary.Find("securityContext");
  if (ctx == nullptr || depth > 0) return Verdict::kHide;
  fhir::search::ParsedReference target =
      LocalReference(ctx->GetString("reference"), policy_.base_url);
  if (target.type.empty()) return Verdict::kHide;
  auto v = inner_.Read(target.type, target.id);
  if (!v.has_value()) return Verdict::kHide;
  auto body = ParseBody(*v);
  if (!body) return Verdict::kHide;
  Verdict inner = CanSee(target.type, *body, kRead, depth + 1);
  return inner == Verdict::kForbid ? Verdict::kHide : inner;
}

Status AccessRules::PatientMayWrite(const std::string& type, const Value& resource) {
  if (policy_.patient_writable_types.find(type) == policy_.patient_writable_types.end()) {
    return Status(Code::kPermissionDenied, "patients cannot write " + type + " resources");
  }
  std::vector<std::string> patients = PatientsOf(type, resource);
  if (patients.empty()) {
    return Status(Code::kPermissionDenied,
                  "a " + type + " written by a patient must refer to the patient");
  }
  for (const std::string& id : patients) {
    if (id != p_.patient_id) {
      return Status(Code::kPermissionDenied,
                    "a patient can only write resources that belong to them alone");
    }
  }
  if (type == "Communication") {
    std::string own = Ref("Patient", p_.patient_id);
    const Value* sender = resource.Find("sender");
    if (sender == nullptr || sender->GetString("reference") != own) {
      return Status(Code::kPermissionDenied,
                    "Communication.sender must be the patient who sends it");
    }
    const Value* recipients = resource.Find("recipient");
    if (recipients == nullptr || !recipients->is_array() || recipients->items().empty()) {
      return Status(Code::kPermissionDenied,
                    "Communication.recipient must name someone in the patient's care team");
    }
    const std::set<std::string>& team = CareTeamMembers();
    for (const Value& r : recipients->items()) {
      fhir::search::ParsedReference target =
          LocalReference(r.GetString("reference"), policy_.base_url);
      if (target.type.empty() || !team.contains(Ref(target.type, target.id))) {
        return Status(Code::kPermissionDenied,
                      "a patient can only send messages to their own care team "
                      "(Communication.recipient)");
      }
    }
  }
  return Status::Ok();
}

Status AccessRules::PractitionerMayWrite(const std::string& type, const Value& resource,
                                         const Value* current) {
  if (type == "Patient" && current == nullptr) {
    return Status(Code::kPermissionDenied,
                  "patients are registered from referrals; personnel cannot create them");
  }
  if (!InCompartment(type)) {
    if (Published(type)) {
      return Status(Code::kPermissionDenied,
                    type + " is published content and is not written by personnel clients");
    }
    if (type == "Binary") {
      return BinaryVerdict(resource, 0) == Verdict::kAllow
                 ? Status::Ok()
                 : Status(Code::kPermissionDenied,
                          "a Binary needs a securityContext the user has access to");
    }
    return Status(Code::kPermissionDenied, "personnel clients cannot write " + type);
  }
  const std::set<std::string>& care = CarePatients();
  for (const std::string& id : PatientsOf(type, resource)) {
    if (!care.contains(id)) {
      return Status(Code::kPermissionDenied,
                    "the resource refers to a patient the user has no care relationship with");
    }
  }
  return Status::Ok();
}

void AccessRules::ForEachMatch(const std::string& type,
                               std::vector<std::pair<std::string, std::string>> params,
                               const std::function<void(const Value&)>& each) {
  fhir::search::ParseOptions options;
  options.strict = true;
  options.default_count = kCareSearchPage;
  options.max_count = kCareSearchPage;
  params.emplace_back("_count", std::to_string(kCareSearchPage));
  fhir::IssueList warnings;
  auto query = fhir::search::ParseQuery(type, params, options, warnings);
  if (!query.has_value()) return;  // fail closed: no relationship found
  query->total = fhir::search::TotalMode::kNone;
  for (int page = 0; page < kCareSearchMaxPages; ++page) {
    query->offset = page * kCareSearchPage;
    auto result = inner_.Search(*query);
    if (!result.has_value()) return;
    query->snapshot = result->snapshot;
    for (const ResourceVersion& v : result->matches) {
      if (auto body = ParseBody(v)) each(*body);
    }
    if (static_cast<int>(result->matches.size()) < kCareSearchPage) return;
  }
}

std::set<std::string> AccessRules::ComputeCarePatients() {
  std::set<std::string> out;
  auto add_subject = [&](const Value& r) {
    std::string status(r.GetString("status"));
    if (status == "entered-in-error" || status == "inactive") return;
    const Value* subject = r.Find("subject");
    if (subject == nullptr) return;
    fhir::search::ParsedReference target =
        LocalReference(subject->GetString("reference"), policy_.base_url);
    if (target.type == "Patient") out.insert(target.id);
  };
  if (!p_.practitioner_id.empty()) {
    ForEachMatch("CareTeam", {{"participant", Ref("Practitioner", p_.practitioner_id)}},
                 add_subject);
  }
  for (const std::string& org : p_.organization_ids) {
    ForEachMatch("ServiceRequest", {{"performer", Ref("Organization", org)}}, add_subject);
  }
  return out;
}

std::set<std::string> AccessRules::ComputeCareTeamMembers() {
  std::set<std::string> out;
  ForEachMatch("CareTeam", {{"subject", Ref("Patient", p_.patient_id)}}, [&](const Value& t) {
    std::string status(t.GetString("status"));
    if (status == "entered-in-error" || status == "inactive") return;
    std::string id(t.GetString("id"));
    if (!id.empty()) out.insert(Ref("CareTeam", id));
    const Value* participants = t.Find("participant");
    if (participants == nullptr || !participants->is_array()) return;
    for (const Value& part : participants->items()) {
      const Value* member = part.Find("member");
      if (member == nullptr) continue;
      fhir::search::ParsedReference target =
          LocalReference(member->GetString("reference"), policy_.base_url);
      if (!target.type.empty() && target.type != "Patient" && target.type != "RelatedPerson") {
        out.insert(Ref(target.type, target.id));
      }
    }
  });
  return out;
}

}  // namespace authz
