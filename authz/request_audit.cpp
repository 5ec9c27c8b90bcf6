#include "authz/request_audit.h"

#include <cctype>

#include "common/norwegian_id.h"
#include "common/uuid.h"

namespace authz {
namespace {

using common::Status;
using fhir::json::Value;
using fhir::store::Store;
using fhir::store::WriteContext;

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
    a.reference = "Patient/" + p.patient_id;
  } else if (p.kind == PrincipalKind::kPractitioner && !p.practitioner_id.empty()) {
    a.reference = "Practitioner/" + p.practitioner_id;
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

Status PutAuditEvent(WriteContext& ctx, const AuditRecord& record) {
  Value event = BuildAuditEvent(record);
  if (record.outcome != 0 && !record.patient_id) UnlinkRefusedTargets(event);
  auto written = ctx.Put("AuditEvent", common::NewTimeOrderedUuid(), event, "POST");
  return written.has_value() ? Status::Ok() : written.error();
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

}  // namespace authz
