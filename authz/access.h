#pragma once
// Authorization as a Store decorator: the one place every FHIR interaction passes, whichever
// handler serves it (read, vread, search with _include/_revinclude, history, conditional
// operations, batch and transaction entries). Per request the gateway wraps the store with
// the caller's principal; the REST handlers stay unaware of access control.
//
// Decision, in order (first "no" wins):
//  1. Scope ∩ permissions: the SMART scope letter the interaction needs (c r u d s) on the
//     resource type, for both the granted scopes and the principal's kind/role permissions.
//     AuditEvent is never written through the API. Denied: kPermissionDenied (403): that
//     says nothing about any one resource.
//  2. Relationship to the patient(s) the resource belongs to (compartment.h):
//       patient       only their own compartment, plus the published types (Questionnaire,
//                     CodeSystem, ...); writes only of the patient-writable types, which must
//                     belong to them alone; a Communication only to their care team.
//       practitioner  patients they have a care relationship with: a CareTeam they take part
//                     in (its subject), or a referral (ServiceRequest) whose performer is
//                     their organisation. Patient data whose patient cannot be resolved is
//                     hidden; Binary only through its securityContext; other types that are
//                     neither patient data nor published (stored Bundles, ...) not at all.
//       system        no patient restriction: the role decides (step 1).
//     Denied for one resource: kNotFound (404), so existence does not leak.
//  3. Fine-grained scopes (`?param=value`): the resource must match.
// Searches are narrowed before they run (a patient's search gets `patient=Patient/<own>`,
// a practitioner's the set of their patients) and every result, match or include, is checked
// again afterwards (defence in depth). Type- and system-level history are not available to
// patients and practitioners for patient data (they would need the same narrowing).
//
// Audit (IHE BALP AuditEvents, audit.h; request_audit.h): the decorator records what each
// interaction touched. Writes get their AuditEvents inside the same unit of work (one commit).
// Reads and denials are collected in the RequestAudit; the gateway commits them before it answers
// (FlushAudit) and fails the request when it cannot.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "authz/audit.h"
#include "authz/compartment.h"
#include "authz/principal.h"
#include "authz/request_audit.h"
#include "fhir/store/store.h"

namespace authz {

struct AccessPolicy {
  std::shared_ptr<const PatientCompartment> compartment;
  // Readable by every authenticated principal whose scopes cover them (definitional and
  // directory data: no patient data).
  std::set<std::string, std::less<>> published_types = {"ActivityDefinition",
                                                        "CapabilityStatement",
                                                        "CodeSystem",
                                                        "ConceptMap",
                                                        "HealthcareService",
                                                        "Library",
                                                        "Location",
                                                        "NamingSystem",
                                                        "OperationDefinition",
                                                        "Organization",
                                                        "PlanDefinition",
                                                        "Practitioner",
                                                        "PractitionerRole",
                                                        "Questionnaire",
                                                        "SearchParameter",
                                                        "StructureDefinition",
                                                        "ValueSet"};
  // What a patient may create or update (their own only).
  std::set<std::string, std::less<>> patient_writable_types = {"QuestionnaireResponse",
                                                               "Communication"};
  // This server's absolute base URL (to recognise absolute references to our own resources).
  std::string base_url;
};

// Wraps `inner` for one request. `inner`, `policy`, `principal` and `audit` must outlive it.
std::unique_ptr<fhir::store::Store> AuthorizeStore(fhir::store::Store& inner,
                                                   const AccessPolicy& policy,
                                                   const Principal& principal, RequestAudit& audit,
                                                   AuditContext ctx);

}  // namespace authz
