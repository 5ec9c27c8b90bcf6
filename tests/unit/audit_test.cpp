// authz/audit: BALP-shaped AuditEvents. Every event built here also goes through the R4
// validator (fhir/validation) and a JSON write/parse round trip.

#include "authz/audit.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/base64.h"
#include "common/norwegian_id.h"
#include "common/time.h"
#include "fhir/json/parser.h"
#include "fhir/json/value.h"
#include "fhir/json/writer.h"
#include "fhir/outcome.h"
#include "fhir/validation/validator.h"

namespace authz {
namespace {

using fhir::json::Value;

constexpr std::string_view kHpr = "urn:oid:2.16.578.1.12.4.1.4.4";
constexpr std::string_view kIssuer = "https://helseid-sts.nhn.no";
constexpr std::string_view kDcm = "http://dicom.nema.org/resources/ontology/DCM";
constexpr std::string_view kBalpAgent =
    "https://profiles.ihe.net/ITI/BALP/CodeSystem/UserAgentTypes";

// 2026-11-22T07:20:10.123456Z
const common::SystemTime kWhen = common::FromMicros(int64_t{1795332010} * 1000000 + 123456);

// The value at a path like "agent[1].who.identifier.value"; nullptr if any step is missing.
const Value* At(const Value& root, std::string_view path) {
  const Value* cur = &root;
  while (!path.empty() && cur != nullptr) {
    size_t end = path.find_first_of(".[");
    std::string_view name = path.substr(0, end);
    path = end == std::string_view::npos ? std::string_view() : path.substr(end);
    if (!name.empty()) {
      if (!cur->is_object()) return nullptr;
      cur = cur->Find(name);
    }
    while (cur != nullptr && path.starts_with("[")) {
      size_t close = path.find(']');
      size_t index = std::stoul(std::string(path.substr(1, close - 1)));
      if (!cur->is_array() || index >= cur->items().size()) return nullptr;
      cur = &cur->items()[index];
      path = path.substr(close + 1);
    }
    if (path.starts_with(".")) path = path.substr(1);
  }
  return cur;
}

// The string (or number text) at `path`, or "<missing>" / "<not a string>".
std::string S(const Value& root, std::string_view path) {
  const Value* v = At(root, path);
  if (v == nullptr) return "<missing>";
  if (!v->is_string()) return "<not a string>";
  return v->text();
}

bool Has(const Value& root, std::string_view path) { return At(root, path) != nullptr; }

size_t Count(const Value& root, std::string_view path) {
  const Value* v = At(root, path);
  return v != nullptr && v->is_array() ? v->items().size() : 0;
}

std::optional<bool> B(const Value& root, std::string_view path) {
  const Value* v = At(root, path);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->boolean();
}

std::string Describe(const fhir::IssueList& issues) {
  std::string out;
  for (const fhir::Issue& i : issues) {
    out += std::string(fhir::SeverityName(i.severity)) + " " + i.code + " @ " + i.expression +
           ": " + i.diagnostics + "\n";
  }
  return out;
}

// Builds the event, validates it (as built and after a JSON round trip) and returns it.
Value BuildValid(const AuditRecord& record) {
  Value event = BuildAuditEvent(record);
  fhir::IssueList issues;
  fhir::validation::ValidateResource(event, issues);
  EXPECT_TRUE(issues.empty()) << Describe(issues);

  std::string text = fhir::json::Write(event);
  auto parsed = fhir::json::Parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  if (parsed.has_value()) {
    EXPECT_EQ(*parsed, event);
    fhir::IssueList reparsed;
    fhir::validation::ValidateResource(*parsed, reparsed);
    EXPECT_TRUE(reparsed.empty()) << Describe(reparsed);
  }
  EXPECT_FALSE(Has(event, "id"));
  EXPECT_FALSE(Has(event, "meta"));
  return event;
}

AuditActor Practitioner() {
  AuditActor a;
  a.kind = "practitioner";
  a.reference = "Practitioner/9";
  a.identifier_system = std::string(kHpr);
  a.identifier_value = "9144900";
  a.client_id = "emr-app";
  a.issuer = std::string(kIssuer);
  a.token_id = "jti-4f1c";
  a.organization_number = "974557746";
  a.remote_address = "10.20.30.40";
  a.purpose_of_use = "TREAT";
  return a;
}

TEST(AuditEvent, PractitionerReadIsPatientSpecificWithResourceAndRequestId) {
  AuditRecord r;
  r.request_id = "req-7d2a";
  r.recorded = kWhen;
  r.interaction = "read";
  r.actor = Practitioner();
  r.patient_id = "123";
  r.resources = {"Observation/obs-1/_history/2"};
  Value e = BuildValid(r);

  EXPECT_EQ(S(e, "resourceType"), "AuditEvent");
  EXPECT_EQ(S(e, "type.system"), "http://terminology.hl7.org/CodeSystem/audit-event-type");
  EXPECT_EQ(S(e, "type.code"), "rest");
  EXPECT_EQ(Count(e, "subtype"), 1u);
  EXPECT_EQ(S(e, "subtype[0].system"), "http://hl7.org/fhir/restful-interaction");
  EXPECT_EQ(S(e, "subtype[0].code"), "read");
  EXPECT_EQ(S(e, "action"), "R");
  EXPECT_EQ(S(e, "recorded"), "2026-11-22T07:20:10.123Z");
  EXPECT_EQ(S(e, "outcome"), "0");
  EXPECT_FALSE(Has(e, "outcomeDesc"));

  // Agents: user, client application, server, organisation.
  ASSERT_EQ(Count(e, "agent"), 4u);
  EXPECT_EQ(S(e, "agent[0].type.coding[0].system"), kBalpAgent);
  EXPECT_EQ(S(e, "agent[0].type.coding[0].code"), "UserOauthAgent");
  EXPECT_EQ(S(e, "agent[0].type.coding[1].system"),
            "http://terminology.hl7.org/CodeSystem/v3-ParticipationType");
  EXPECT_EQ(S(e, "agent[0].type.coding[1].code"), "IRCP");
  EXPECT_EQ(S(e, "agent[0].who.reference"), "Practitioner/9");
  EXPECT_EQ(S(e, "agent[0].who.identifier.system"), kHpr);
  EXPECT_EQ(S(e, "agent[0].who.identifier.value"), "9144900");
  EXPECT_EQ(B(e, "agent[0].requestor"), true);
  ASSERT_EQ(Count(e, "agent[0].policy"), 1u);
  EXPECT_EQ(S(e, "agent[0].policy[0]"), "jti-4f1c");
  EXPECT_EQ(S(e, "agent[0].purposeOfUse[0].coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/v3-ActReason");
  EXPECT_EQ(S(e, "agent[0].purposeOfUse[0].coding[0].code"), "TREAT");
  EXPECT_FALSE(Has(e, "agent[0].network"));

  EXPECT_EQ(S(e, "agent[1].type.coding[0].system"), kDcm);
  EXPECT_EQ(S(e, "agent[1].type.coding[0].code"), "110150");
  EXPECT_EQ(S(e, "agent[1].type.coding[1].code"), "110153");
  EXPECT_EQ(Count(e, "agent[1].type.coding"), 2u);
  EXPECT_EQ(S(e, "agent[1].who.identifier.system"), kIssuer);
  EXPECT_EQ(S(e, "agent[1].who.identifier.value"), "emr-app");
  EXPECT_EQ(B(e, "agent[1].requestor"), false);
  EXPECT_EQ(S(e, "agent[1].network.address"), "10.20.30.40");
  EXPECT_EQ(S(e, "agent[1].network.type"), "2");
  EXPECT_FALSE(Has(e, "agent[1].policy"));
  EXPECT_FALSE(Has(e, "agent[1].purposeOfUse"));

  EXPECT_EQ(S(e, "agent[2].type.coding[0].code"), "110152");
  EXPECT_EQ(S(e, "agent[2].who.display"), "eMeistring Gateway");
  EXPECT_EQ(B(e, "agent[2].requestor"), false);
  EXPECT_FALSE(Has(e, "agent[2].network"));

  EXPECT_EQ(S(e, "agent[3].type.coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/v3-RoleClass");
  EXPECT_EQ(S(e, "agent[3].type.coding[0].code"), "PROV");
  EXPECT_EQ(S(e, "agent[3].who.identifier.system"), "urn:oid:2.16.578.1.12.4.1.4.101");
  EXPECT_EQ(S(e, "agent[3].who.identifier.value"), "974557746");
  EXPECT_EQ(B(e, "agent[3].requestor"), false);

  EXPECT_EQ(S(e, "source.observer.display"), "eMeistring Gateway");
  EXPECT_EQ(S(e, "source.type[0].system"),
            "http://terminology.hl7.org/CodeSystem/security-source-type");
  EXPECT_EQ(S(e, "source.type[0].code"), "4");

  ASSERT_EQ(Count(e, "entity"), 3u);
  EXPECT_EQ(S(e, "entity[0].type.system"),
            "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType");
  EXPECT_EQ(S(e, "entity[0].type.code"), "XrequestId");
  EXPECT_EQ(S(e, "entity[0].what.identifier.value"), "req-7d2a");
  EXPECT_FALSE(Has(e, "entity[0].role"));

  EXPECT_EQ(S(e, "entity[1].what.reference"), "Patient/123");
  EXPECT_EQ(S(e, "entity[1].type.system"),
            "http://terminology.hl7.org/CodeSystem/audit-entity-type");
  EXPECT_EQ(S(e, "entity[1].type.code"), "1");
  EXPECT_EQ(S(e, "entity[1].role.system"), "http://terminology.hl7.org/CodeSystem/object-role");
  EXPECT_EQ(S(e, "entity[1].role.code"), "1");

  EXPECT_EQ(S(e, "entity[2].what.reference"), "Observation/obs-1/_history/2");
  EXPECT_EQ(S(e, "entity[2].type.code"), "2");
  EXPECT_EQ(S(e, "entity[2].role.code"), "4");
}

TEST(AuditEvent, SearchRecordsTheExactQueryAsBase64) {
  AuditRecord r;
  r.request_id = "req-s1";
  r.recorded = kWhen;
  r.interaction = "search-type";
  r.actor = Practitioner();
  r.actor.organization_number.clear();
  r.patient_id = "123";
  r.query = "Observation?patient=Patient/123&code=http://loinc.org|1234-5&_count=10";
  r.server_address = "https://fhir.example.no/fhir";
  Value e = BuildValid(r);

  EXPECT_EQ(S(e, "subtype[0].code"), "search-type");
  EXPECT_EQ(S(e, "action"), "R");
  EXPECT_EQ(Count(e, "agent"), 3u);  // no organisation agent
  EXPECT_EQ(S(e, "agent[2].network.address"), "https://fhir.example.no/fhir");
  EXPECT_EQ(S(e, "agent[2].network.type"), "5");

  ASSERT_EQ(Count(e, "entity"), 3u);
  EXPECT_EQ(S(e, "entity[1].what.reference"), "Patient/123");
  EXPECT_FALSE(Has(e, "entity[2].what"));
  EXPECT_EQ(S(e, "entity[2].type.code"), "2");
  EXPECT_EQ(S(e, "entity[2].role.code"), "24");
  // Independently computed (coreutils base64).
  EXPECT_EQ(S(e, "entity[2].query"),
            "T2JzZXJ2YXRpb24/"
            "cGF0aWVudD1QYXRpZW50LzEyMyZjb2RlPWh0dHA6Ly9sb2luYy5vcmd8MTIzNC01Jl9jb3VudD0xMA==");
  EXPECT_EQ(common::Base64Decode(S(e, "entity[2].query")), r.query);
}

TEST(AuditEvent, DeniedReadByPatientHasOutcome4) {
  AuditRecord r;
  r.request_id = "req-d";
  r.recorded = kWhen;
  r.interaction = "read";
  r.outcome = 4;
  r.outcome_text = "access denied";
  r.actor.kind = "patient";
  r.actor.reference = "Patient/123";
  r.actor.identifier_system = "https://idporten.no";
  r.actor.identifier_value = "sub-abc";
  r.actor.client_id = "helsenorge-app";
  r.actor.issuer = "https://idporten.no";
  r.actor.remote_address = "2001:db8::7";
  r.patient_id = "456";
  r.resources = {"Condition/c-9"};
  Value e = BuildValid(r);

  EXPECT_EQ(S(e, "outcome"), "4");
  EXPECT_EQ(S(e, "outcomeDesc"), "access denied");
  EXPECT_EQ(S(e, "action"), "R");
  ASSERT_EQ(Count(e, "agent"), 3u);
  EXPECT_EQ(S(e, "agent[0].type.coding[0].code"), "UserOauthAgent");
  EXPECT_EQ(S(e, "agent[0].type.coding[1].code"), "PAT");
  EXPECT_EQ(S(e, "agent[0].who.reference"), "Patient/123");
  EXPECT_EQ(S(e, "agent[0].who.identifier.system"), "https://idporten.no");
  EXPECT_EQ(S(e, "agent[0].who.identifier.value"), "sub-abc");
  EXPECT_EQ(B(e, "agent[0].requestor"), true);
  EXPECT_FALSE(Has(e, "agent[0].policy"));
  EXPECT_FALSE(Has(e, "agent[0].purposeOfUse"));
  EXPECT_EQ(S(e, "agent[1].network.address"), "2001:db8::7");
  EXPECT_EQ(S(e, "agent[1].network.type"), "2");
  EXPECT_EQ(S(e, "entity[1].what.reference"), "Patient/456");
  EXPECT_EQ(S(e, "entity[2].what.reference"), "Condition/c-9");
}

TEST(AuditEvent, CreateBySystemClientMakesTheClientTheRequestor) {
  AuditRecord r;
  r.request_id = "req-c";
  r.recorded = kWhen;
  r.interaction = "create";
  r.outcome = 0;
  r.actor.kind = "system";
  r.actor.client_id = "ehr-dips";
  r.actor.issuer = std::string(kIssuer);
  r.actor.token_id = "jti-sys-1";
  r.actor.remote_address = "ehr.internal.example.no";
  r.actor.purpose_of_use = "HOPERAT";
  r.patient_id = "p1";
  r.resources = {"QuestionnaireResponse/qr-1"};
  Value e = BuildValid(r);

  EXPECT_EQ(S(e, "subtype[0].code"), "create");
  EXPECT_EQ(S(e, "action"), "C");
  ASSERT_EQ(Count(e, "agent"), 2u);  // client + server, no user
  EXPECT_EQ(S(e, "agent[0].type.coding[0].code"), "110150");
  EXPECT_EQ(S(e, "agent[0].type.coding[1].code"), "110153");
  EXPECT_EQ(S(e, "agent[0].type.coding[2].system"), kBalpAgent);
  EXPECT_EQ(S(e, "agent[0].type.coding[2].code"), "UserOauthAgent");
  EXPECT_EQ(S(e, "agent[0].who.identifier.system"), kIssuer);
  EXPECT_EQ(S(e, "agent[0].who.identifier.value"), "ehr-dips");
  EXPECT_FALSE(Has(e, "agent[0].who.reference"));
  EXPECT_EQ(B(e, "agent[0].requestor"), true);
  EXPECT_EQ(S(e, "agent[0].policy[0]"), "jti-sys-1");
  EXPECT_EQ(S(e, "agent[0].purposeOfUse[0].coding[0].code"), "HOPERAT");
  EXPECT_EQ(S(e, "agent[0].network.address"), "ehr.internal.example.no");
  EXPECT_EQ(S(e, "agent[0].network.type"), "1");
  EXPECT_EQ(S(e, "agent[1].type.coding[0].code"), "110152");
  EXPECT_EQ(B(e, "agent[1].requestor"), false);
  ASSERT_EQ(Count(e, "entity"), 3u);
  EXPECT_EQ(S(e, "entity[1].what.reference"), "Patient/p1");
  EXPECT_EQ(S(e, "entity[2].what.reference"), "QuestionnaireResponse/qr-1");
  EXPECT_EQ(S(e, "entity[2].role.code"), "4");
}

TEST(AuditEvent, PractitionerWriteUsesAgentRole) {
  AuditRecord r;
  r.recorded = kWhen;
  r.interaction = "patch";
  r.actor = Practitioner();
  r.resources = {"CarePlan/cp-1"};
  Value e = BuildValid(r);
  EXPECT_EQ(S(e, "action"), "U");
  EXPECT_EQ(S(e, "agent[0].type.coding[1].code"), "AGNT");
  // No request id, no patient: only the resource entity.
  ASSERT_EQ(Count(e, "entity"), 1u);
  EXPECT_EQ(S(e, "entity[0].what.reference"), "CarePlan/cp-1");
}

TEST(AuditEvent, LoginAndLogoutAreUserAuthentication) {
  for (std::string_view which : {"login", "logout"}) {
    AuditRecord r;
    r.request_id = "req-l";
    r.recorded = kWhen;
    r.interaction = std::string(which);
    r.actor = Practitioner();
    Value e = BuildValid(r);
    EXPECT_EQ(S(e, "type.system"), kDcm);
    EXPECT_EQ(S(e, "type.code"), "110114");
    EXPECT_EQ(S(e, "type.display"), "User Authentication");
    ASSERT_EQ(Count(e, "subtype"), 1u);
    EXPECT_EQ(S(e, "subtype[0].system"), kDcm);
    EXPECT_EQ(S(e, "subtype[0].code"), which == "login" ? "110122" : "110123");
    EXPECT_EQ(S(e, "subtype[0].display"), which == "login" ? "Login" : "Logout");
    EXPECT_EQ(S(e, "action"), "E");
    EXPECT_EQ(Count(e, "agent[0].type.coding"), 1u);  // no IRCP/AGNT on E
    ASSERT_EQ(Count(e, "entity"), 1u);
    EXPECT_EQ(S(e, "entity[0].type.code"), "XrequestId");
  }
}

TEST(AuditEvent, AnonymousFailedLoginHasNoWhoButTheNetworkAddress) {
  AuditRecord r;
  r.recorded = kWhen;
  r.interaction = "login";
  r.outcome = 4;
  r.outcome_text = "authentication failed";
  r.actor.kind = "anonymous";
  r.actor.remote_address = "192.0.2.10";
  Value e = BuildValid(r);
  ASSERT_EQ(Count(e, "agent"), 2u);
  EXPECT_FALSE(Has(e, "agent[0].who"));
  EXPECT_EQ(B(e, "agent[0].requestor"), true);
  EXPECT_EQ(S(e, "agent[0].network.address"), "192.0.2.10");
  EXPECT_FALSE(Has(e, "agent[0].policy"));
  EXPECT_FALSE(Has(e, "entity"));
  EXPECT_EQ(S(e, "outcome"), "4");
}

TEST(AuditEvent, OutcomesAndUnknownInteractions) {
  AuditRecord r;
  r.recorded = kWhen;
  r.actor.kind = "system";
  r.actor.client_id = "c";
  r.interaction = "operation";
  for (int outcome : {0, 4, 8, 12}) {
    r.outcome = outcome;
    EXPECT_EQ(S(BuildValid(r), "outcome"), std::to_string(outcome));
  }
  r.outcome = 3;  // not an R4 outcome code: never reads as success
  EXPECT_EQ(S(BuildValid(r), "outcome"), "8");
  r.outcome = 0;
  r.interaction = "frobnicate";
  Value e = BuildValid(r);
  EXPECT_FALSE(Has(e, "subtype"));
  EXPECT_EQ(S(e, "type.code"), "rest");
  EXPECT_EQ(S(e, "action"), "E");
}

TEST(AuditEvent, NeverWritesANationalIdentityNumber) {
  // A valid fødselsnummer built from its first nine digits.
  std::string fnr;
  for (std::string_view nine : {"010190123", "010190124", "010190125", "010190126"}) {
    auto check = common::NorwegianIdCheckDigits(nine);
    if (!check) continue;
    fnr = std::string(nine) + std::to_string(check->first) + std::to_string(check->second);
    break;
  }
  ASSERT_TRUE(common::ParseNorwegianId(fnr).has_value()) << "no test number";

  AuditRecord r;
  r.recorded = kWhen;
  r.interaction = "read";
  r.actor.kind = "patient";
  r.actor.reference = "Patient/123";
  r.actor.identifier_system = "urn:oid:2.16.578.1.12.4.1.4.1";
  r.actor.identifier_value = fnr;  // a caller mistake
  r.actor.client_id = "app";
  r.patient_id = "123";
  Value e = BuildValid(r);
  EXPECT_EQ(S(e, "agent[0].who.reference"), "Patient/123");
  EXPECT_FALSE(Has(e, "agent[0].who.identifier"));
  EXPECT_EQ(fhir::json::Write(e).find(fnr), std::string::npos);
}

TEST(AuditEvent, ObserverDisplayIsConfigurable) {
  AuditRecord r;
  r.recorded = kWhen;
  r.interaction = "capabilities";
  r.observer_display = "eMeistring Gateway (test)";
  r.actor.kind = "anonymous";
  Value e = BuildValid(r);
  EXPECT_EQ(S(e, "subtype[0].code"), "capabilities");
  EXPECT_EQ(S(e, "action"), "E");
  EXPECT_EQ(S(e, "source.observer.display"), "eMeistring Gateway (test)");
  EXPECT_EQ(S(e, "agent[1].who.display"), "eMeistring Gateway (test)");
  EXPECT_FALSE(Has(e, "agent[0].network"));
}

TEST(AuditEvent, TheValidatorUsedAboveRejectsABrokenEvent) {
  // Guards BuildValid against passing vacuously.
  AuditRecord r;
  r.recorded = kWhen;
  r.interaction = "read";
  r.actor = Practitioner();
  Value e = BuildAuditEvent(r);
  e.Set("action", Value::String("X"));
  e.Set("outcome", Value::String("3"));
  e.Find("agent")->items()[0].Remove("requestor");
  fhir::IssueList issues;
  fhir::validation::ValidateResource(e, issues);
  EXPECT_TRUE(fhir::HasErrors(issues));
  EXPECT_GE(issues.size(), 3u) << Describe(issues);
}

TEST(AuditActionFor, Table) {
  const std::pair<std::string_view, char> table[] = {
      {"create", 'C'},       {"read", 'R'},           {"vread", 'R'},   {"search", 'R'},
      {"search-type", 'R'},  {"search-system", 'R'},  {"history", 'R'}, {"history-instance", 'R'},
      {"history-type", 'R'}, {"history-system", 'R'}, {"update", 'U'},  {"patch", 'U'},
      {"delete", 'D'},       {"operation", 'E'},      {"batch", 'E'},   {"transaction", 'E'},
      {"capabilities", 'E'}, {"login", 'E'},          {"logout", 'E'},  {"", 'E'},
      {"searchable", 'E'},   {"READ", 'E'},
  };
  for (const auto& [interaction, action] : table) {
    EXPECT_EQ(ActionFor(interaction), action) << interaction;
  }
}

}  // namespace
}  // namespace authz
