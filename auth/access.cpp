#include "auth/access.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/norwegian_id.h"
#include "common/uuid.h"
#include "fhir/json/parser.h"
#include "fhir/search/parse.h"

namespace auth {
namespace {

using common::Code;
using common::Status;
using common::StatusOr;
using fhir::json::Value;
using fhir::store::HistoryPage;
using fhir::store::HistoryQuery;
using fhir::store::ResourceVersion;
using fhir::store::SearchResult;
using fhir::store::Store;
using fhir::store::WriteContext;

constexpr int kCareSearchPage = 1000;
constexpr int kCareSearchMaxPages = 20;

enum class Verdict { kAllow, kHide, kForbid };

std::string Ref(const std::string& type, const std::string& id) { return type + "/" + id; }

// A refused interaction names what was asked for, but not as a reference: a reference to
// someone else's Patient would put the event into that patient's compartment, so patient B
// would read the reference to patient A who probed B's record, and A the id they probed.
void UnlinkRefusedTargets(Value& event) {
  Value* entities = event.Find("entity");
  if (entities == nullptr || !entities->is_array()) return;
  for (Value& entity : entities->items()) {
    Value* what = entity.Find("what");
    Value* reference = what != nullptr ? what->Find("reference") : nullptr;
    if (reference == nullptr || !reference->is_string()) continue;
    Value display = Value::String("requested: " + reference->text());
    what->Remove("reference");
    what->Set("display", std::move(display));
  }
}

Status PutAuditEvent(WriteContext& ctx, const AuditRecord& record) {
  Value event = BuildAuditEvent(record);
  if (record.outcome != 0 && !record.patient_id) UnlinkRefusedTargets(event);
  auto written = ctx.Put("AuditEvent", common::NewTimeOrderedUuid(), event, "POST");
  return written.has_value() ? Status::Ok() : written.error();
}

std::optional<Value> ParseBody(const ResourceVersion& v) {
  if (v.deleted || v.body.empty()) return std::nullopt;
  auto parsed = fhir::json::Parse(v.body);
  if (!parsed.has_value()) return std::nullopt;
  return std::move(*parsed);
}

// The per-request decision maker, shared by the store and its write contexts.
class Access {
 public:
  Access(Store& inner, const AccessPolicy& policy, const Principal& principal)
      : inner_(inner), policy_(policy), p_(principal) {}

  const Principal& principal() const { return p_; }
  const AccessPolicy& policy() const { return policy_; }
  Store& inner() { return inner_; }

  bool ScopeAllows(std::string_view type, Permission perm) const {
    return p_.scopes.Allows(type, perm) && p_.permissions.Allows(type, perm);
  }
  bool FilterAllows(std::string_view type, Permission perm, const Value& resource) const {
    return p_.scopes.AllowsResource(type, perm, resource) &&
           p_.permissions.AllowsResource(type, perm, resource);
  }
  bool Published(std::string_view type) const {
    return policy_.published_types.find(type) != policy_.published_types.end();
  }
  bool InCompartment(std::string_view type) const { return policy_.compartment->Contains(type); }
  std::vector<std::string> PatientsOf(std::string_view type, const Value& resource) const {
    return policy_.compartment->PatientsOf(type, resource, policy_.base_url);
  }

  // The patients a practitioner has a care relationship with (computed once per request).
  const std::set<std::string>& CarePatients() {
    std::lock_guard lock(mu_);
    if (!care_) care_ = ComputeCarePatients();
    return *care_;
  }

  // The references that may receive a patient's Communication: the members of the CareTeams
  // whose subject the patient is, and those CareTeams themselves.
  const std::set<std::string>& CareTeamMembers() {
    std::lock_guard lock(mu_);
    if (!team_) team_ = ComputeCareTeamMembers();
    return *team_;
  }

  // Whether the principal may see `resource` (of `type`) for `perm` (kRead or kSearch).
  Verdict CanSee(const std::string& type, const Value& resource, Permission perm, int depth = 0) {
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

  // Patients a resource belongs to (for audit), empty for types outside the compartment.
  std::vector<std::string> AuditPatients(const std::string& type, const Value& resource) const {
    if (!InCompartment(type)) return {};
    return PatientsOf(type, resource);
  }

  // Whether the principal may write `resource` over `current` (nullptr: create). `as_delete`:
  // the write is the deletion of `current` (== `resource`), which needs the 'd' letter (not 'u').
  Status CanWrite(const std::string& type, const Value& resource, const Value* current,
                  bool as_delete = false) {
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

 private:
  Verdict BinaryVerdict(const Value& binary, int depth) {
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

  Status PatientMayWrite(const std::string& type, const Value& resource) {
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

  Status PractitionerMayWrite(const std::string& type, const Value& resource,
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

  // Runs a search on the inner store and calls `each` for every matching resource body.
  void ForEachMatch(const std::string& type,
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

  std::set<std::string> ComputeCarePatients() {
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

  std::set<std::string> ComputeCareTeamMembers() {
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

  Store& inner_;
  const AccessPolicy& policy_;
  const Principal& p_;
  std::mutex mu_;
  std::optional<std::set<std::string>> care_;
  std::optional<std::set<std::string>> team_;
};

Status Denied(RequestAudit& audit, std::string interaction, Status status,
              std::vector<std::string> resources = {}, std::string query = {}) {
  RequestAudit::Entry e;
  e.interaction = std::move(interaction);
  e.outcome = 4;
  e.outcome_text =
      status.code() == Code::kNotFound ? "not found or not permitted" : "access denied";
  e.resources = std::move(resources);
  e.query = std::move(query);
  audit.Add(std::move(e));
  return status;
}

// Appends `param` = one of `values` to the query (AND with its own criteria).
Status Narrow(fhir::search::Query& q, const std::string& param,
              const std::vector<std::string>& values) {
  std::string joined;
  for (const std::string& v : values) {
    if (!joined.empty()) joined += ',';
    joined += v;
  }
  fhir::search::ParseOptions options;
  options.strict = true;
  fhir::IssueList warnings;
  auto parsed = fhir::search::ParseQuery(q.type, {{param, joined}}, options, warnings);
  if (!parsed.has_value()) {
    return Status(Code::kInternal, "cannot narrow a " + q.type + " search by " + param);
  }
  for (auto& c : parsed->criteria) q.criteria.push_back(std::move(c));
  return Status::Ok();
}

class AuthorizingWriteContext final : public WriteContext {
 public:
  AuthorizingWriteContext(WriteContext& inner, Access& access, RequestAudit& audit)
      : inner_(inner), access_(access), audit_(audit) {}

  StatusOr<ResourceVersion> Current(const std::string& type, const std::string& id) override {
    auto v = inner_.Current(type, id);
    if (!v.has_value() || access_.principal().internal() || v->deleted) return v;
    auto body = ParseBody(*v);
    if (!body || access_.CanSee(type, *body, kRead) != Verdict::kAllow) {
      return common::Error(Code::kNotFound, "resource " + type + " not found");
    }
    return v;
  }

  StatusOr<std::vector<std::string>> Match(const fhir::search::Query& query) override {
    ASSIGN_OR_RETURN(std::vector<std::string> ids, inner_.Match(query));
    if (access_.principal().internal()) return ids;
    std::vector<std::string> visible;
    for (const std::string& id : ids) {
      auto v = inner_.Current(query.type, id);
      if (!v.has_value()) continue;
      auto body = ParseBody(*v);
      if (body && access_.CanSee(query.type, *body, kSearch) == Verdict::kAllow) {
        visible.push_back(id);
      }
    }
    return visible;
  }

  StatusOr<ResourceVersion> Put(const std::string& type, const std::string& id,
                                const Value& resource, const std::string& method,
                                int64_t expected_version) override {
    std::optional<Value> current_body;
    auto current = inner_.Current(type, id);
    if (current.has_value()) current_body = ParseBody(*current);
    const std::string interaction = current_body ? "update" : "create";
    Status allowed = access_.CanWrite(type, resource, current_body ? &*current_body : nullptr);
    if (!allowed.ok()) {
      return common::Error(Denied(audit_, interaction, std::move(allowed), {Ref(type, id)}));
    }
    ASSIGN_OR_RETURN(ResourceVersion written,
                     inner_.Put(type, id, resource, method, expected_version));
    if (!access_.principal().internal()) {
      std::vector<std::string> patients = access_.AuditPatients(type, resource);
      if (current_body) {
        for (std::string& p : access_.AuditPatients(type, *current_body)) {
          patients.push_back(std::move(p));
        }
      }
      Record(interaction, std::move(patients),
             Ref(type, id) + "/_history/" + std::to_string(written.version));
    }
    return written;
  }

  StatusOr<std::optional<ResourceVersion>> Delete(const std::string& type, const std::string& id,
                                                  int64_t expected_version) override {
    const Principal& p = access_.principal();
    std::vector<std::string> patients;
    if (!p.internal()) {
      if (type == "AuditEvent") {
        return common::Error(Denied(
            audit_, "delete",
            Status(Code::kPermissionDenied, "audit records cannot be deleted through the API"),
            {Ref(type, id)}));
      }
      if (!access_.ScopeAllows(type, kDelete) || (p.kind == PrincipalKind::kPatient)) {
        return common::Error(Denied(
            audit_, "delete",
            Status(Code::kPermissionDenied, "the granted scopes do not allow delete of " + type),
            {Ref(type, id)}));
      }
      auto current = inner_.Current(type, id);
      if (current.has_value() && !current->deleted) {
        auto body = ParseBody(*current);
        if (!body || access_.CanSee(type, *body, kRead) != Verdict::kAllow) {
          return common::Error(Denied(audit_, "delete",
                                      Status(Code::kNotFound, "resource " + type + " not found"),
                                      {Ref(type, id)}));
        }
        // Visible to the caller: a refusal is 403 (as for an update), not a feigned 404.
        Status allowed = access_.CanWrite(type, *body, &*body, /*as_delete=*/true);
        if (!allowed.ok()) {
          return common::Error(Denied(audit_, "delete", std::move(allowed), {Ref(type, id)}));
        }
        patients = access_.AuditPatients(type, *body);
      }
    }
    ASSIGN_OR_RETURN(auto deleted, inner_.Delete(type, id, expected_version));
    if (!p.internal() && deleted.has_value()) {
      Record("delete", std::move(patients),
             Ref(type, id) + "/_history/" + std::to_string(deleted->version));
    }
    return deleted;
  }

  std::vector<RequestAudit::Entry>& entries() { return entries_; }

 private:
  void Record(std::string interaction, std::vector<std::string> patients, std::string resource) {
    std::sort(patients.begin(), patients.end());
    patients.erase(std::unique(patients.begin(), patients.end()), patients.end());
    RequestAudit::Entry e;
    e.interaction = std::move(interaction);
    e.patients = std::move(patients);
    e.resources.push_back(std::move(resource));
    entries_.push_back(std::move(e));
  }

  WriteContext& inner_;
  Access& access_;
  RequestAudit& audit_;
  std::vector<RequestAudit::Entry> entries_;
};

class AuthorizingStore final : public Store {
 public:
  AuthorizingStore(Store& inner, const AccessPolicy& policy, const Principal& principal,
                   RequestAudit& audit, AuditContext ctx)
      : inner_(inner), access_(inner, policy, principal), audit_(audit), ctx_(std::move(ctx)) {}

  common::Status Commit(fhir::store::UnitOfWork work) override {
    const Principal& p = access_.principal();
    // Computed before the unit runs on the writer: they read through the inner store.
    if (p.kind == PrincipalKind::kPractitioner) access_.CarePatients();
    if (p.kind == PrincipalKind::kPatient) access_.CareTeamMembers();
    std::vector<RequestAudit::Entry> written;
    Status s = inner_.Commit([&](WriteContext& ctx) -> Status {
      AuthorizingWriteContext actx(ctx, access_, audit_);
      written.clear();
      RETURN_IF_ERROR(work(actx));
      if (p.internal() || actx.entries().empty()) return Status::Ok();
      for (const AuditRecord& r : ToAuditRecords(actx.entries(), p, ctx_)) {
        RETURN_IF_ERROR(PutAuditEvent(ctx, r));
      }
      written = std::move(actx.entries());
      return Status::Ok();
    });
    if (s.ok()) {
      for (RequestAudit::Entry& e : written) {
        e.persisted = true;
        audit_.Add(std::move(e));
      }
    }
    return s;
  }

  StatusOr<ResourceVersion> Read(const std::string& type, const std::string& id) override {
    return Check(inner_.Read(type, id), type, id, "read");
  }

  StatusOr<ResourceVersion> VRead(const std::string& type, const std::string& id,
                                  int64_t version) override {
    return Check(inner_.VRead(type, id, version), type, id, "vread");
  }

  StatusOr<HistoryPage> History(const HistoryQuery& q) override {
    const Principal& p = access_.principal();
    if (p.internal()) return inner_.History(q);
    if (!q.id.empty()) {
      if (!access_.ScopeAllows(q.type, kRead)) {
        return common::Error(Denied(
            audit_, "history-instance",
            Status(Code::kPermissionDenied, "the granted scopes do not allow reading " + q.type),
            {Ref(q.type, q.id)}));
      }
      ASSIGN_OR_RETURN(HistoryPage page, inner_.History(q));
      return FilterHistory(std::move(page), "history-instance", /*instance=*/true, q);
    }
    const std::string interaction = q.type.empty() ? "history-system" : "history-type";
    const std::string type = q.type.empty() ? "*" : q.type;
    const bool allowed =
        access_.ScopeAllows(type, kSearch) &&
        (p.kind == PrincipalKind::kSystem || (!q.type.empty() && access_.Published(q.type)));
    if (!allowed) {
      return common::Error(
          Denied(audit_, interaction,
                 Status(Code::kPermissionDenied,
                        "history at the type or system level is not available to this client")));
    }
    ASSIGN_OR_RETURN(HistoryPage page, inner_.History(q));
    return FilterHistory(std::move(page), interaction, /*instance=*/false, q);
  }

  StatusOr<SearchResult> Search(const fhir::search::Query& q0) override {
    const Principal& p = access_.principal();
    if (p.internal()) return inner_.Search(q0);
    const std::string interaction = q0.type.empty() ? "search-system" : "search-type";
    const std::string type = q0.type.empty() ? "*" : q0.type;
    auto deny = [&](std::string why) {
      return common::Error(
          Denied(audit_, interaction, Status(Code::kPermissionDenied, why), {}, q0.canonical));
    };
    if (!access_.ScopeAllows(type, kSearch)) {
      return deny("the granted scopes do not allow searching " +
                  (q0.type.empty() ? std::string("all types") : q0.type));
    }
    fhir::search::Query q = q0;
    if (p.kind == PrincipalKind::kPatient || p.kind == PrincipalKind::kPractitioner) {
      if (q.type.empty()) return deny("a search across all types is not available to this client");
      if (access_.InCompartment(q.type)) {
        std::optional<std::string> param = access_.policy().compartment->NarrowingParam(q.type);
        if (!param) return deny("searching " + q.type + " is not available to this client");
        std::vector<std::string> values;
        auto value_for = [&](const std::string& id) {
          return *param == "_id" ? id : Ref("Patient", id);
        };
        if (p.kind == PrincipalKind::kPatient) {
          values.push_back(value_for(p.patient_id));
        } else {
          for (const std::string& id : access_.CarePatients()) values.push_back(value_for(id));
        }
        if (values.empty()) {
          RecordSearch(interaction, q0.canonical, {});
          SearchResult empty;
          empty.total = 0;
          empty.snapshot = inner_.LastSeq();
          return empty;
        }
        RETURN_IF_ERROR(Narrow(q, *param, values));
      } else if (!access_.Published(q.type)) {
        return deny("searching " + q.type + " is not available to this client");
      }
    }
    ASSIGN_OR_RETURN(SearchResult result, inner_.Search(q));
    // Whether the inner total is the size of exactly this page (the whole result on it).
    const bool whole_result_on_page = q.offset == 0 && result.total.has_value() &&
                                      *result.total == static_cast<int64_t>(result.matches.size());
    std::set<std::string> patients;
    bool removed = false;
    result.unfiltered_page_size = result.matches.size();
    auto keep = [&](const ResourceVersion& v, Permission perm) {
      auto body = ParseBody(v);
      if (!body) return false;
      Verdict verdict = access_.CanSee(v.type, *body, perm);
      if (verdict != Verdict::kAllow && perm == kRead) {
        verdict = access_.CanSee(v.type, *body, kSearch);
      }
      if (verdict != Verdict::kAllow) return false;
      for (std::string& id : access_.AuditPatients(v.type, *body)) patients.insert(std::move(id));
      return true;
    };
    std::erase_if(result.matches, [&](const ResourceVersion& v) {
      bool drop = !keep(v, kSearch);
      removed = removed || drop;
      return drop;
    });
    std::erase_if(result.included, [&](const ResourceVersion& v) { return !keep(v, kRead); });
    // A count over what the caller may not see would leak, on this page or any other. The
    // inner total is kept only when the check above cannot drop anything on any page: no
    // fine-grained scope for the type, and no relationship test beyond the narrowing (a
    // patient's narrowed result is all theirs; a practitioner's may also belong to others).
    const bool never_filtered =
        p.scopes.UnfilteredFor(type, kSearch) && p.permissions.UnfilteredFor(type, kSearch) &&
        !(p.kind == PrincipalKind::kPractitioner && access_.InCompartment(q.type));
    if (whole_result_on_page) {
      result.total = static_cast<int64_t>(result.matches.size());
    } else if (removed || !never_filtered) {
      result.total.reset();
    }
    RecordSearch(interaction, q0.canonical, {patients.begin(), patients.end()});
    return result;
  }

  void SetCommitObserver(CommitObserver observer) override {
    inner_.SetCommitObserver(std::move(observer));
  }
  int64_t LastSeq() override { return inner_.LastSeq(); }
  bool Ready() override { return inner_.Ready(); }
  void Close() override {}

 private:
  StatusOr<ResourceVersion> Check(StatusOr<ResourceVersion> v, const std::string& type,
                                  const std::string& id, const std::string& interaction) {
    const Principal& p = access_.principal();
    if (p.internal()) return v;
    if (!access_.ScopeAllows(type, kRead)) {
      return common::Error(
          Denied(audit_, interaction,
                 Status(Code::kPermissionDenied, "the granted scopes do not allow reading " + type),
                 {Ref(type, id)}));
    }
    auto not_found = [&] {
      return common::Error(Denied(audit_, interaction,
                                  Status(Code::kNotFound, "resource " + type + " not found"),
                                  {Ref(type, id)}));
    };
    if (!v.has_value()) {
      if (v.error().code() == Code::kNotFound && !access_.Published(type)) return not_found();
      return v;
    }
    // A tombstone is judged by the version before it: "gone" must not reveal that someone
    // else's resource existed.
    std::optional<fhir::json::Value> body = ParseBody(*v);
    if (!body && v->deleted && v->version > 1) {
      auto before = inner_.VRead(type, id, v->version - 1);
      if (before.has_value()) body = ParseBody(*before);
    }
    if (!body) return p.kind == PrincipalKind::kSystem ? v : not_found();
    Verdict verdict = access_.CanSee(type, *body, kRead);
    if (verdict == Verdict::kForbid) {
      return common::Error(
          Denied(audit_, interaction,
                 Status(Code::kPermissionDenied, "the granted scopes do not allow reading " + type),
                 {Ref(type, id)}));
    }
    if (verdict == Verdict::kHide) return not_found();
    std::vector<std::string> patients = access_.AuditPatients(type, *body);
    if (!patients.empty() || access_.InCompartment(type) || !access_.Published(type)) {
      RequestAudit::Entry e;
      e.interaction = interaction;
      e.patients = std::move(patients);
      e.resources.push_back(Ref(type, id) + "/_history/" + std::to_string(v->version));
      audit_.Add(std::move(e));
    }
    return v;
  }

  StatusOr<HistoryPage> FilterHistory(HistoryPage page, const std::string& interaction,
                                      bool instance, const HistoryQuery& q) {
    std::set<std::string> patients;
    size_t before = page.versions.size();
    std::optional<fhir::json::Value> last_body;
    std::erase_if(page.versions, [&](const ResourceVersion& v) {
      std::optional<fhir::json::Value> body = ParseBody(v);
      if (!body) {
        // A tombstone: visible when the version before it is (judged below for instances).
        return !instance && access_.principal().kind != PrincipalKind::kSystem;
      }
      if (access_.CanSee(v.type, *body, kRead) != Verdict::kAllow) return true;
      for (std::string& id : access_.AuditPatients(v.type, *body)) patients.insert(std::move(id));
      last_body = std::move(body);
      return false;
    });
    if (instance && !last_body) {
      return common::Error(Denied(audit_, interaction,
                                  Status(Code::kNotFound, "resource " + q.type + " not found"),
                                  {Ref(q.type, q.id)}));
    }
    if (page.versions.size() != before) page.total = static_cast<int64_t>(page.versions.size());
    RequestAudit::Entry e;
    e.interaction = interaction;
    e.patients.assign(patients.begin(), patients.end());
    if (instance) e.resources.push_back(Ref(q.type, q.id));
    if (instance || !e.patients.empty()) audit_.Add(std::move(e));
    return page;
  }

  void RecordSearch(const std::string& interaction, const std::string& query,
                    std::vector<std::string> patients) {
    RequestAudit::Entry e;
    e.interaction = interaction;
    e.query = query;
    e.patients = std::move(patients);
    audit_.Add(std::move(e));
  }

  Store& inner_;
  Access access_;
  RequestAudit& audit_;
  AuditContext ctx_;
};

// A search by identifier carries the national identity number in its query string. The
// AuditEvent names the patients it touched by reference already; the number itself must not
// be readable from audit records that other patients may list (a search can touch several).
std::string RedactNationalIds(std::string query) {
  size_t i = 0;
  while (i < query.size()) {
    if (!std::isdigit(static_cast<unsigned char>(query[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < query.size() && std::isdigit(static_cast<unsigned char>(query[j]))) ++j;
    if (j - i == 11 && common::ParseNorwegianId(std::string_view(query).substr(i, 11))) {
      query.replace(i, 11, "[redacted]");
      j = i + 10;
    }
    i = j;
  }
  return query;
}

AuditActor ActorFor(const Principal& p) {
  AuditActor a;
  a.kind = std::string(PrincipalKindName(p.kind));
  if (p.kind == PrincipalKind::kPatient && !p.patient_id.empty()) {
    a.reference = Ref("Patient", p.patient_id);
  } else if (p.kind == PrincipalKind::kPractitioner && !p.practitioner_id.empty()) {
    a.reference = Ref("Practitioner", p.practitioner_id);
  }
  if (p.kind == PrincipalKind::kPractitioner && !p.hpr_number.empty()) {
    a.identifier_system = "urn:oid:2.16.578.1.12.4.1.4.4";
    a.identifier_value = p.hpr_number;
  } else if (!p.subject.empty()) {
    a.identifier_system = p.issuer;
    a.identifier_value = p.subject;
  }
  a.client_id = p.client_id;
  a.issuer = p.issuer;
  a.token_id = p.token_id;
  a.organization_number = p.organization_number;
  a.remote_address = p.remote_address;
  a.purpose_of_use = p.purpose_of_use;
  return a;
}

}  // namespace

std::string_view PrincipalKindName(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kInternal:
      return "internal";
    case PrincipalKind::kPatient:
      return "patient";
    case PrincipalKind::kPractitioner:
      return "practitioner";
    case PrincipalKind::kSystem:
      return "system";
  }
  return "unknown";
}

PrincipalPtr InternalPrincipal() {
  static const PrincipalPtr internal = std::make_shared<const Principal>();
  return internal;
}

void RequestAudit::Add(Entry e) {
  std::lock_guard lock(mu_);
  entries_.push_back(std::move(e));
}

std::vector<RequestAudit::Entry> RequestAudit::TakePending() {
  std::lock_guard lock(mu_);
  std::vector<Entry> out;
  for (Entry& e : entries_) {
    if (e.persisted) continue;
    out.push_back(e);
    e.persisted = true;
  }
  return out;
}

std::vector<RequestAudit::Entry> RequestAudit::Pending() const {
  std::lock_guard lock(mu_);
  std::vector<Entry> out;
  for (const Entry& e : entries_) {
    if (!e.persisted) out.push_back(e);
  }
  return out;
}

std::vector<RequestAudit::Entry> RequestAudit::All() const {
  std::lock_guard lock(mu_);
  return entries_;
}

std::vector<AuditRecord> ToAuditRecords(const std::vector<RequestAudit::Entry>& entries,
                                        const Principal& principal, const AuditContext& ctx) {
  std::vector<AuditRecord> out;
  const common::SystemTime now = ctx.now ? ctx.now() : common::SystemNow();
  AuditActor actor = ActorFor(principal);
  for (const RequestAudit::Entry& e : entries) {
    AuditRecord base;
    base.request_id = ctx.request_id;
    base.recorded = now;
    base.interaction = e.interaction;
    base.outcome = e.outcome;
    base.outcome_text = e.outcome_text;
    base.actor = actor;
    base.resources = e.resources;
    base.query = RedactNationalIds(e.query);
    base.observer_display = ctx.observer_display;
    if (e.patients.empty()) {
      out.push_back(std::move(base));
      continue;
    }
    for (const std::string& patient : e.patients) {
      AuditRecord r = base;
      r.patient_id = patient;
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::unique_ptr<Store> AuthorizeStore(Store& inner, const AccessPolicy& policy,
                                      const Principal& principal, RequestAudit& audit,
                                      AuditContext ctx) {
  return std::make_unique<AuthorizingStore>(inner, policy, principal, audit, std::move(ctx));
}

Status FlushAudit(Store& inner, const Principal& principal, RequestAudit& audit,
                  const AuditContext& ctx) {
  if (principal.internal()) return Status::Ok();
  // Taken (marked) before the commit: an entry added meanwhile stays pending for the next
  // flush. When this commit fails the request fails with it (the caller answers 503).
  std::vector<RequestAudit::Entry> pending = audit.TakePending();
  if (pending.empty()) return Status::Ok();
  std::vector<AuditRecord> records = ToAuditRecords(pending, principal, ctx);
  Status s = inner.Commit([&](WriteContext& w) -> Status {
    for (const AuditRecord& r : records) {
      RETURN_IF_ERROR(PutAuditEvent(w, r));
    }
    return Status::Ok();
  });
  return s;
}

}  // namespace auth
