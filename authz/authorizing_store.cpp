#include <algorithm>
#include <limits>
#include <map>

#include "authz/access.h"
#include "authz/access_rules.h"
#include "authz/request_audit.h"
#include "fhir/json/parser.h"
#include "fhir/search/parse.h"

// The authorizing Store decorator (access.h): every store call of a request passes the access
// rules (access_rules.h) and is recorded for the audit trail (request_audit.h).

namespace authz {
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
  // The care set is ours, not the client's: as many values as the practitioner has patients.
  options.max_params = std::numeric_limits<size_t>::max();
  options.max_values = std::numeric_limits<size_t>::max();
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
  AuthorizingWriteContext(WriteContext& inner, AccessRules& access, RequestAudit& audit)
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
  AccessRules& access_;
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
      return common::Error(Denied(
          audit_, interaction, Status(Code::kPermissionDenied, std::move(why)), {}, q0.canonical));
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
  AccessRules access_;
  RequestAudit& audit_;
  AuditContext ctx_;
};

}  // namespace

std::unique_ptr<Store> AuthorizeStore(Store& inner, const AccessPolicy& policy,
                                      const Principal& principal, RequestAudit& audit,
                                      AuditContext ctx) {
  return std::make_unique<AuthorizingStore>(inner, policy, principal, audit, std::move(ctx));
}

}  // namespace authz
