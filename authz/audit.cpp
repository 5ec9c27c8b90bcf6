#include "authz/audit.h"

#include <arpa/inet.h>

#include <array>
#include <string>
#include <utility>

#include "common/base64.h"
#include "common/norwegian_id.h"

namespace authz {
namespace {

using fhir::json::Value;

constexpr std::string_view kAuditEventType =
    "http://terminology.hl7.org/CodeSystem/audit-event-type";
constexpr std::string_view kRestfulInteraction = "http://hl7.org/fhir/restful-interaction";
constexpr std::string_view kEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
constexpr std::string_view kObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
constexpr std::string_view kSourceType =
    "http://terminology.hl7.org/CodeSystem/security-source-type";
constexpr std::string_view kActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
constexpr std::string_view kRoleClass = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
constexpr std::string_view kParticipationType =
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

// The R4 restful-interaction codes (http://hl7.org/fhir/R4/codesystem-restful-interaction.html).
constexpr std::array<std::string_view, 17> kInteractions = {
    "read",           "vread",        "update",           "patch",
    "delete",         "history",      "history-instance", "history-type",
    "history-system", "create",       "search",           "search-type",
    "search-system",  "capabilities", "transaction",      "batch",
    "operation"};

bool IsRestInteraction(std::string_view code) {
  for (std::string_view c : kInteractions) {
    if (c == code) return true;
  }
  return false;
}

Value Str(std::string_view s) { return Value::String(std::string(s)); }

Value Coding(std::string_view system, std::string_view code, std::string_view display = {}) {
  Value c = Value::Object();
  c.Set("system", Str(system));
  c.Set("code", Str(code));
  if (!display.empty()) c.Set("display", Str(display));
  return c;
}

Value Concept(std::vector<Value> codings) {
  Value cc = Value::Object();
  Value& list = cc.Set("coding", Value::Array());
  for (Value& c : codings) list.Append(std::move(c));
  return cc;
}

Value Identifier(std::string_view system, std::string_view value) {
  Value id = Value::Object();
  if (!system.empty()) id.Set("system", Str(system));
  id.Set("value", Str(value));
  return id;
}

std::string_view OutcomeCode(int outcome) {
  switch (outcome) {
    case 0:
      return "0";
    case 4:
      return "4";
    case 8:
      return "8";
    case 12:
      return "12";
    default:
      return "8";
  }
}

bool IsIpLiteral(const std::string& address) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, address.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, address.c_str(), buf.data()) == 1;
}

// network-type: 1 machine name, 2 IP address, 5 URI.
Value Network(const std::string& address) {
  std::string_view type = "1";
  if (address.find("://") != std::string::npos) {
    type = "5";
  } else if (IsIpLiteral(address)) {
    type = "2";
  }
  Value n = Value::Object();
  n.Set("address", Str(address));
  n.Set("type", Str(type));
  return n;
}

Value PurposeOfUse(std::string_view code) {
  Value list = Value::Array();
  list.Append(Concept({Coding(kActReason, code)}));
  return list;
}

Value Policy(std::string_view token_id) {
  Value list = Value::Array();
  list.Append(Str(token_id));
  return list;
}

bool IsPerson(std::string_view kind) { return kind == "patient" || kind == "practitioner"; }

// The requesting person. Member order follows the R4 definition.
Value UserAgent(const AuditActor& actor, char action) {
  std::vector<Value> types;
  types.push_back(
      Coding(kBalpUserAgentTypeSystem, "UserOauthAgent", "User OAuth Agent participant"));
  if (actor.kind == "patient") {
    types.push_back(Coding(kRoleClass, "PAT", "patient"));
  } else if (action == 'R') {
    types.push_back(Coding(kParticipationType, "IRCP", "information recipient"));
  } else if (action == 'C' || action == 'U' || action == 'D') {
    types.push_back(Coding(kRoleClass, "AGNT", "agent"));
  }
  Value agent = Value::Object();
  agent.Set("type", Concept(std::move(types)));
  Value who = Value::Object();
  if (!actor.reference.empty()) who.Set("reference", Str(actor.reference));
  // Never write a national identity number, whatever the caller put here.
  if (!actor.identifier_value.empty() &&
      !common::ParseNorwegianId(actor.identifier_value).has_value()) {
    who.Set("identifier", Identifier(actor.identifier_system, actor.identifier_value));
  }
  if (!who.members().empty()) agent.Set("who", std::move(who));
  agent.Set("requestor", Value::Bool(true));
  if (!actor.token_id.empty()) agent.Set("policy", Policy(actor.token_id));
  if (!actor.purpose_of_use.empty()) agent.Set("purposeOfUse", PurposeOfUse(actor.purpose_of_use));
  return agent;
}

// The calling application (BALP oClient + client). The requestor when no person is involved.
Value ClientAgent(const AuditActor& actor, bool requestor) {
  std::vector<Value> types;
  types.push_back(Coding(kDicomSystem, "110150", "Application"));
  types.push_back(Coding(kDicomSystem, "110153", "Source Role ID"));
  if (requestor) {
    types.push_back(
        Coding(kBalpUserAgentTypeSystem, "UserOauthAgent", "User OAuth Agent participant"));
  }
  Value agent = Value::Object();
  agent.Set("type", Concept(std::move(types)));
  if (!actor.client_id.empty()) {
    Value who = Value::Object();
    who.Set("identifier", Identifier(actor.issuer, actor.client_id));
    agent.Set("who", std::move(who));
  }
  agent.Set("requestor", Value::Bool(requestor));
  if (requestor && !actor.token_id.empty()) agent.Set("policy", Policy(actor.token_id));
  if (!actor.remote_address.empty()) agent.Set("network", Network(actor.remote_address));
  if (requestor && !actor.purpose_of_use.empty()) {
    agent.Set("purposeOfUse", PurposeOfUse(actor.purpose_of_use));
  }
  return agent;
}

Value ServerAgent(const AuditRecord& record) {
  Value agent = Value::Object();
  agent.Set("type", Concept({Coding(kDicomSystem, "110152", "Destination Role ID")}));
  Value who = Value::Object();
  who.Set("display", Str(record.observer_display));
  agent.Set("who", std::move(who));
  agent.Set("requestor", Value::Bool(false));
  if (!record.server_address.empty()) agent.Set("network", Network(record.server_address));
  return agent;
}

Value OrganizationAgent(const AuditActor& actor) {
  Value agent = Value::Object();
  agent.Set("type", Concept({Coding(kRoleClass, "PROV", "healthcare provider")}));
  Value who = Value::Object();
  who.Set("identifier", Identifier(kOrganizationNumberSystem, actor.organization_number));
  agent.Set("who", std::move(who));
  agent.Set("requestor", Value::Bool(false));
  return agent;
}

Value ReferenceTo(std::string_view reference) {
  Value r = Value::Object();
  r.Set("reference", Str(reference));
  return r;
}

Value Entity(Value what, Value type, Value role) {
  Value e = Value::Object();
  if (!what.is_null()) e.Set("what", std::move(what));
  e.Set("type", std::move(type));
  if (!role.is_null()) e.Set("role", std::move(role));
  return e;
}

}  // namespace

char ActionFor(std::string_view interaction) {
  if (interaction == "create") return 'C';
  if (interaction == "read" || interaction == "vread" || interaction.starts_with("search") ||
      interaction.starts_with("history")) {
    // Only the restful-interaction codes, not any word that happens to start this way.
    return IsRestInteraction(interaction) ? 'R' : 'E';
  }
  if (interaction == "update" || interaction == "patch") return 'U';
  if (interaction == "delete") return 'D';
  return 'E';
}

fhir::json::Value BuildAuditEvent(const AuditRecord& record) {
  const AuditActor& actor = record.actor;
  const char action = ActionFor(record.interaction);
  const bool login = record.interaction == "login";
  const bool logout = record.interaction == "logout";

  Value event = Value::Object();
  event.Set("resourceType", Str("AuditEvent"));
  if (login || logout) {
    event.Set("type", Coding(kDicomSystem, "110114", "User Authentication"));
    Value subtype = Value::Array();
    subtype.Append(login ? Coding(kDicomSystem, "110122", "Login")
                         : Coding(kDicomSystem, "110123", "Logout"));
    event.Set("subtype", std::move(subtype));
  } else {
    event.Set("type", Coding(kAuditEventType, "rest", "Restful Operation"));
    if (IsRestInteraction(record.interaction)) {
      Value subtype = Value::Array();
      subtype.Append(Coding(kRestfulInteraction, record.interaction, record.interaction));
      event.Set("subtype", std::move(subtype));
    }
  }
  event.Set("action", Value::String(std::string(1, action)));
  event.Set("recorded", Value::String(common::FormatInstant(record.recorded)));
  event.Set("outcome", Str(OutcomeCode(record.outcome)));
  if (!record.outcome_text.empty()) event.Set("outcomeDesc", Str(record.outcome_text));

  Value& agents = event.Set("agent", Value::Array());
  const bool person = IsPerson(actor.kind);
  if (person) agents.Append(UserAgent(actor, action));
  agents.Append(ClientAgent(actor, !person));
  agents.Append(ServerAgent(record));
  if (!actor.organization_number.empty()) agents.Append(OrganizationAgent(actor));

  Value source = Value::Object();
  Value observer = Value::Object();
  observer.Set("display", Str(record.observer_display));
  source.Set("observer", std::move(observer));
  Value source_type = Value::Array();
  source_type.Append(Coding(kSourceType, "4", "Application Server"));
  source.Set("type", std::move(source_type));
  event.Set("source", std::move(source));

  Value entities = Value::Array();
  if (!record.request_id.empty()) {
    Value what = Value::Object();
    what.Set("identifier", Identifier({}, record.request_id));
    entities.Append(Entity(std::move(what), Coding(kBalpEntityTypeSystem, "XrequestId"), Value()));
  }
  if (record.patient_id.has_value() && !record.patient_id->empty()) {
    entities.Append(Entity(ReferenceTo("Patient/" + *record.patient_id),
                           Coding(kEntityType, "1", "Person"),
                           Coding(kObjectRole, "1", "Patient")));
  }
  for (const std::string& resource : record.resources) {
    if (resource.empty()) continue;
    entities.Append(Entity(ReferenceTo(resource), Coding(kEntityType, "2", "System Object"),
                           Coding(kObjectRole, "4", "Domain Resource")));
  }
  if (!record.query.empty()) {
    Value e = Entity(Value(), Coding(kEntityType, "2", "System Object"),
                     Coding(kObjectRole, "24", "Query"));
    e.Set("query", Value::String(common::Base64Encode(record.query)));
    entities.Append(std::move(e));
  }
  if (!entities.items().empty()) event.Set("entity", std::move(entities));
  return event;
}

}  // namespace authz
