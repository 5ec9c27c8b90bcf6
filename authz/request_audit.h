#pragma once
// The audit trail of one request: what the authorizing store saw each interaction touch
// (RequestAudit), turned into IHE BALP AuditEvents (audit.h). Writes carry their events in
// their own unit of work; reads and denials are committed by FlushAudit before the answer.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "authz/audit.h"
#include "authz/principal.h"
#include "common/status.h"
#include "common/time.h"
#include "fhir/store/store.h"

namespace authz {

// What one request touched, for the audit trail. Thread-safe (a batch may be served by one
// thread, but the store calls back from the writer thread).
class RequestAudit {
 public:
  struct Entry {
    std::string interaction;  // restful-interaction code
    int outcome = 0;          // 0, 4, 8, 12
    std::string outcome_text;
    std::vector<std::string> patients;   // Patient ids touched
    std::vector<std::string> resources;  // "Type/id[/_history/v]"
    std::string query;
    bool persisted = false;  // written in a unit of work already
  };
  void Add(Entry e);
  std::vector<Entry> Pending() const;  // not persisted yet
  std::vector<Entry> TakePending();    // the same, now marked persisted
  std::vector<Entry> All() const;

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

// Everything the decorator needs to write audit events.
struct AuditContext {
  std::string request_id;
  std::function<common::SystemTime()> now;
  std::string observer_display = "eMeistring Gateway";
};

// The AuditRecords for `entries`: one per (entry, patient) — BALP's patient-specific form —
// and one without a patient for an entry that touched none.
std::vector<AuditRecord> ToAuditRecords(const std::vector<RequestAudit::Entry>& entries,
                                        const Principal& principal, const AuditContext& ctx);

// Commits the pending (read and denial) audit entries as AuditEvents in one unit of work.
common::Status FlushAudit(fhir::store::Store& inner, const Principal& principal,
                          RequestAudit& audit, const AuditContext& ctx);

// Writes one AuditEvent in `ctx`. A refused interaction names its targets in `display`, not
// as references, so the event does not land in the compartment of a patient someone probed.
common::Status PutAuditEvent(fhir::store::WriteContext& ctx, const AuditRecord& record);

}  // namespace authz
