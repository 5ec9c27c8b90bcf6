#pragma once
// FHIR R4 AuditEvents in the shape of IHE Basic Audit Log Patterns (BALP, ITI.BasicAudit,
// https://profiles.ihe.net/ITI/BALP): the RESTful Read / Query / Create / Update / Delete
// profiles, their patient-specific variants, and OAUTHaccessTokenUse for the token details.
// No I/O: the caller stores the result (the store assigns id and meta).
//
// The shape, element by element:
//  * type     audit-event-type#rest "Restful Operation"; for "login" / "logout" DICOM 110114
//             "User Authentication".
//  * subtype  restful-interaction#<interaction>; for login / logout DICOM 110122 "Login" /
//             110123 "Logout". An interaction that is not an R4 restful-interaction code gets
//             no subtype (rather than an invented code); its action is E.
//  * action   ActionFor(interaction). recorded: UTC instant with milliseconds.
//  * outcome  "0" / "4" / "8" / "12"; any other number is recorded as "8" (serious failure)
//             so a bad value never reads as success. outcomeDesc = outcome_text when set.
//  * agent[user]   (kind "patient" or "practitioner") requestor = true;
//             type = [BALP UserAgentTypes#UserOauthAgent, plus the BALP-suggested role coding:
//             v3-RoleClass#PAT for a patient; for others v3-ParticipationType#IRCP
//             "information recipient" on R actions and v3-RoleClass#AGNT on C/U/D (none on E)];
//             who.reference = actor.reference, who.identifier = {identifier_system,
//             identifier_value} (OAuth iss/sub, or the HPR number for health personnel);
//             policy = [token_id] (BALP OAuth: the token's jti goes on the user agent);
//             purposeOfUse = v3-ActReason#<purpose_of_use>. No network (users are not network
//             devices).
//  * agent[client] always present: type = [DCM 110150 "Application" (BALP oClient),
//             DCM 110153 "Source Role ID" (BALP client)] in one agent, since both describe the
//             calling application; who.identifier = {system: issuer, value: client_id} (no
//             `who` when there is no client id, e.g. anonymous calls); network.address =
//             remote_address with type 2 (IP address) or 1 (machine name) when it is not an IP
//             literal. For system-only callers (kind "system", "anonymous" or anything else
//             that is not a person) this agent is the requestor: it also gets the
//             UserOauthAgent coding, policy = [token_id] and purposeOfUse. Otherwise
//             requestor = false.
//  * agent[server] DCM 110152 "Destination Role ID", who.display = observer_display,
//             requestor = false, network = server_address when set (type 5 URI when it has a
//             scheme, 2 IP address, else 1 machine name).
//  * agent[org] (when organization_number is set; BALP Comprehensive "userorg"):
//             type v3-RoleClass#PROV "healthcare provider", who.identifier = {urn:oid:
//             2.16.578.1.12.4.1.4.101 (Enhetsregisteret), organization_number},
//             requestor = false.
//  * source   observer.display = observer_display, type security-source-type#4
//             "Application Server".
//  * entity   in this order: the X-Request-Id (BALP BasicAuditEntityType#XrequestId,
//             what.identifier.value); the patient (audit-entity-type#1 Person, object-role#1
//             Patient, what.reference Patient/<id>; one AuditEvent per patient is the caller's
//             job); each resource (audit-entity-type#2 System Object, object-role#4 Domain
//             Resource, what.reference as given); the search (audit-entity-type#2, object-role#24
//             Query, query = base64 of the exact query string).
//
// Personal data: no names, no tokens (only the jti), no fødselsnummer. An identifier_value
// that is a valid Norwegian national identity number (fødselsnummer, D- or H-nummer) is
// dropped, never written. Note that BALP records the query string as given (base64, not
// encrypted): a search on an identifier carries that identifier in entity.query.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "fhir/json/value.h"

namespace authz {

struct AuditActor {
  std::string kind;                 // "patient" | "practitioner" | "system" | "anonymous"
  std::string reference;            // "Patient/123", "Practitioner/9" or empty
  std::string identifier_system;    // e.g. "urn:oid:2.16.578.1.12.4.1.4.4" (HPR) or the issuer
  std::string identifier_value;     // HPR number, or the token `sub` (never a fødselsnummer)
  std::string client_id;            // the OAuth client (application agent)
  std::string issuer;               // token issuer
  std::string token_id;             // token `jti` when present (BALP: agent.policy)
  std::string organization_number;  // orgnr claim (helseid) or empty
  std::string remote_address;       // network address of the caller
  std::string purpose_of_use;       // v3 ActReason code, e.g. "TREAT"; empty = none
};

struct AuditRecord {
  std::string request_id;  // X-Request-Id: entity of type XrequestId
  common::SystemTime recorded;
  // restful-interaction code (read vread update patch delete history history-instance
  // history-type history-system create search search-type search-system batch transaction
  // operation capabilities), or "login" / "logout".
  std::string interaction;
  int outcome = 0;           // 0 success, 4 minor failure (denied / not found), 8 serious, 12 major
  std::string outcome_text;  // short, no personal data
  AuditActor actor;
  std::optional<std::string> patient_id;  // BALP patient-specific: one AuditEvent per patient
  std::vector<std::string> resources;     // "Type/id" or "Type/id/_history/v"
  std::string query;                      // for searches: the query string (stored base64)
  std::string observer_display = "eMeistring Gateway";  // source.observer.display
  std::string server_address;  // optional: the gateway's base URL or address (server agent)
};

// BALP / DICOM code systems used here.
inline constexpr std::string_view kBalpEntityTypeSystem =
    "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
inline constexpr std::string_view kBalpUserAgentTypeSystem =
    "https://profiles.ihe.net/ITI/BALP/CodeSystem/UserAgentTypes";
inline constexpr std::string_view kDicomSystem = "http://dicom.nema.org/resources/ontology/DCM";
inline constexpr std::string_view kOrganizationNumberSystem = "urn:oid:2.16.578.1.12.4.1.4.101";

// The action letter for an interaction: create->C, read/vread/search*/history*->R,
// update/patch->U, delete->D, everything else (operation, batch, transaction, capabilities,
// login, logout, unknown) -> E.
char ActionFor(std::string_view interaction);

// resourceType AuditEvent, no id / meta.
fhir::json::Value BuildAuditEvent(const AuditRecord& record);

}  // namespace authz
