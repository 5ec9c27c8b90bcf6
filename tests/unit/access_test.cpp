// Authorization as a Store decorator (authz/access.h) over a real SQLite store: what a patient,
// a practitioner and a system client may read, search, write, and what the audit trail records.
// All identifiers are synthetic (fødselsnumre with month + 80).

#include "authz/access.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "authz/compartment.h"
#include "authz/principal.h"
#include "authz/scopes.h"
#include "common/base64.h"
#include "common/norwegian_id.h"
#include "fhir/json/parser.h"
#include "fhir/search/parse.h"
#include "fhir/served_types.h"
#include "store/sqlite/sqlite_store.h"

namespace authz {
namespace {

using common::Code;
using common::Status;
using fhir::json::Value;
using fhir::store::ResourceVersion;
using fhir::store::Store;
using fhir::store::WriteContext;
using Params = std::vector<std::pair<std::string, std::string>>;
using Ids = std::set<std::string>;

const std::string kRepo = std::string(EMG_TESTDATA_DIR) + "/../..";
const std::string kCompartmentFile = kRepo + "/mappings/access/patient-compartment.json";
const std::string kBase = "http://fhir.test";

constexpr std::string_view kFnrSystem = "urn:oid:2.16.578.1.12.4.1.4.1";
constexpr std::string_view kHprSystem = "urn:oid:2.16.578.1.12.4.1.4.4";
constexpr std::string_view kOrgSystem = "urn:oid:2.16.578.1.12.4.1.4.101";
const std::string kFnrA = "17829010097";  // synthetic (month + 80)
const std::string kFnrB = "05918510143";  // synthetic (month + 80)
const std::string kObsCategory = "http://terminology.hl7.org/CodeSystem/observation-category";

const std::string kPatientScopes =
    "patient/*.rs patient/QuestionnaireResponse.cu patient/Communication.c";

// The patient-data types checked type by type: one resource for A and one for B each.
const std::vector<std::string> kTypes = {
    "Observation", "QuestionnaireResponse", "Communication", "Condition", "CarePlan",
    "Task",        "DocumentReference",     "Provenance",    "AuditEvent"};

std::string IdOf(const std::string& type, char who) { return type + "-" + who; }

Value J(const std::string& text) {
  auto v = fhir::json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v.has_value() ? *v : Value::Object();
}

std::string PatRef(const std::string& id) { return R"({"reference": "Patient/)" + id + R"("})"; }

// One resource of `type` that belongs to Patient `pid` (and to no one else).
std::string ResourceFor(const std::string& type, const std::string& pid,
                        const std::string& category = "survey") {
  const std::string ref = PatRef(pid);
  if (type == "Observation") {
    return R"({"resourceType": "Observation", "status": "final",
      "category": [{"coding": [{"system": ")" +
           kObsCategory + R"(", "code": ")" + category + R"("}]}],
      "code": {"text": "PHQ-9"}, "subject": )" +
           ref + "}";
  }
  if (type == "QuestionnaireResponse") {
    return R"({"resourceType": "QuestionnaireResponse", "status": "completed",
      "questionnaire": "http://fhir.test/Questionnaire/q-1", "subject": )" +
           ref + "}";
  }
  if (type == "Communication") {
    return R"({"resourceType": "Communication", "status": "completed", "subject": )" + ref +
           R"(, "sender": )" + ref +
           R"(, "recipient": [{"reference": "Practitioner/prac-p"}],
      "payload": [{"contentString": "Hei"}]})";
  }
  if (type == "Condition") {
    return R"({"resourceType": "Condition", "code": {"text": "F32"}, "subject": )" + ref + "}";
  }
  if (type == "CarePlan") {
    return R"({"resourceType": "CarePlan", "status": "active", "intent": "plan", "subject": )" +
           ref + "}";
  }
  if (type == "Task") {
    return R"({"resourceType": "Task", "status": "requested", "intent": "order", "for": )" + ref +
           "}";
  }
  if (type == "DocumentReference") {
    return R"({"resourceType": "DocumentReference", "status": "current", "subject": )" + ref +
           R"(, "content": [{"attachment": {"contentType": "text/plain"}}]})";
  }
  if (type == "Provenance") {
    // Provenance.patient is Provenance.target.where(resolve() is Patient).
    return R"({"resourceType": "Provenance", "target": [)" + ref +
           R"(], "recorded": "2024-01-02T10:00:00Z",
      "agent": [{"who": {"reference": "Practitioner/prac-p"}}]})";
  }
  if (type == "AuditEvent") {
    // AuditEvent.patient is agent.who | entity.what where they are Patients.
    return R"({"resourceType": "AuditEvent",
      "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest"},
      "recorded": "2024-01-02T10:00:00Z",
      "agent": [{"who": {"reference": "Practitioner/prac-p"}, "requestor": true}],
      "source": {"observer": {"display": "test"}},
      "entity": [{"what": )" +
           ref + "}]}";
  }
  ADD_FAILURE() << "no sample for " << type;
  return "{}";
}

std::string PatientJson(const std::string& family, const std::string& fnr) {
  std::string json = R"({"resourceType": "Patient", "name": [{"family": ")" + family + R"("}])";
  if (!fnr.empty()) {
    json += R"(, "identifier": [{"system": ")" + std::string(kFnrSystem) + R"(", "value": ")" +
            fnr + R"("}])";
  }
  return json + "}";
}

fhir::search::Query Q(const std::string& type, const Params& params = {}) {
  fhir::search::ParseOptions options;
  options.strict = true;
  fhir::IssueList warnings;
  auto q = fhir::search::ParseQuery(type, params, options, warnings);
  EXPECT_TRUE(q.has_value()) << type << ": " << (q ? "" : q.error().message());
  return q.has_value() ? *q : fhir::search::Query{};
}

Ids IdsOf(const std::vector<ResourceVersion>& versions) {
  Ids out;
  for (const ResourceVersion& v : versions) out.insert(v.type + "/" + v.id);
  return out;
}

Status Result(const common::StatusOr<ResourceVersion>& r) {
  return r.has_value() ? Status::Ok() : r.error();
}

// Every `what.reference` of an AuditEvent's entities.
std::vector<std::string> EntityRefs(const Value& event) {
  std::vector<std::string> out;
  const Value* entities = event.Find("entity");
  if (entities == nullptr || !entities->is_array()) return out;
  for (const Value& e : entities->items()) {
    const Value* what = e.Find("what");
    if (what != nullptr && what->Find("reference") != nullptr) {
      out.emplace_back(what->GetString("reference"));
    }
  }
  return out;
}

// The request id an AuditEvent carries (BALP XrequestId entity), or "".
std::string RequestIdOf(const Value& event) {
  const Value* entities = event.Find("entity");
  if (entities == nullptr || !entities->is_array()) return {};
  for (const Value& e : entities->items()) {
    const Value* what = e.Find("what");
    const Value* identifier = what != nullptr ? what->Find("identifier") : nullptr;
    if (identifier != nullptr) return std::string(identifier->GetString("value"));
  }
  return {};
}

std::string SubtypeOf(const Value& event) {
  const Value* subtype = event.Find("subtype");
  if (subtype == nullptr || !subtype->is_array() || subtype->items().empty()) return {};
  return std::string(subtype->items().front().GetString("code"));
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// One request: the principal, its audit collector and the guarded store (in that order, so
// that the store never outlives what it refers to).
struct Session {
  Principal principal;
  RequestAudit audit;
  AuditContext ctx;
  std::unique_ptr<Store> store;
};

class AccessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = PatientCompartment::Load(kCompartmentFile);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
    compartment_ = std::make_shared<const PatientCompartment>(std::move(*loaded));
  }
  static void TearDownTestSuite() { compartment_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(common::ParseNorwegianId(kFnrA).has_value());
    ASSERT_TRUE(common::ParseNorwegianId(kFnrB).has_value());
    static std::atomic<int> opened{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("emg-access-" + std::to_string(::getpid()) + "-" + std::to_string(++opened));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::sqlite::SqliteStoreOptions so;
    so.path = (dir_ / "fhir.db").string();
    so.durable = false;
    auto st = store::sqlite::OpenSqliteStore(so);
    ASSERT_TRUE(st.has_value()) << st.error().message();
    inner_ = std::move(*st);
    policy_.compartment = compartment_;
    policy_.base_url = kBase;
    Seed();
  }
  void TearDown() override {
    if (inner_) inner_->Close();
    inner_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Internal (unguarded) writes.
  void Put(const std::string& type, const std::string& id, const std::string& json) {
    Value v = J(json);
    Status s = inner_->Commit(
        [&](WriteContext& w) -> Status { return Result(w.Put(type, id, v, "PUT")); });
    ASSERT_TRUE(s.ok()) << type << "/" << id << ": " << s.message();
  }

  void Seed() {
    Put("Patient", "pat-a", PatientJson("Nordmann", kFnrA));
    Put("Patient", "pat-b", PatientJson("Hansen", kFnrB));
    Put("Patient", "pat-c", PatientJson("Olsen", ""));
    for (const std::string& type : kTypes) {
      Put(type, IdOf(type, 'a'), ResourceFor(type, "pat-a"));
      Put(type, IdOf(type, 'b'), ResourceFor(type, "pat-b"));
    }
    Put("Observation", "Observation-a-vital", ResourceFor("Observation", "pat-a", "vital-signs"));
    Put("Practitioner", "prac-p",
        R"({"resourceType": "Practitioner", "identifier": [{"system": ")" +
            std::string(kHprSystem) + R"(", "value": "9144900"}], "name": [{"family": "Lege"}]})");
    Put("Practitioner", "prac-q",
        R"({"resourceType": "Practitioner", "name": [{"family": "Utenfor"}]})");
    Put("CareTeam", "ct-a", R"({"resourceType": "CareTeam", "status": "active",
      "subject": {"reference": "Patient/pat-a"},
      "participant": [{"member": {"reference": "Practitioner/prac-p"}}]})");
    Put("Organization", "org-o",
        R"({"resourceType": "Organization", "identifier": [{"system": ")" +
            std::string(kOrgSystem) + R"(", "value": "999999970"}], "name": "Klinikk"})");
    Put("ServiceRequest", "sr-c", R"({"resourceType": "ServiceRequest", "status": "active",
      "intent": "order", "subject": {"reference": "Patient/pat-c"},
      "performer": [{"reference": "Organization/org-o"}]})");
    Put("Questionnaire", "q-1", R"({"resourceType": "Questionnaire", "status": "active",
      "url": "http://fhir.test/Questionnaire/q-1", "name": "PHQ9"})");
    Put("Binary", "bin-a", R"({"resourceType": "Binary", "contentType": "text/plain",
      "securityContext": {"reference": "DocumentReference/DocumentReference-a"},
      "data": "SGVp"})");
  }

  std::unique_ptr<Session> Open(Principal p, std::string request_id = "req-test") {
    auto s = std::make_unique<Session>();
    s->principal = std::move(p);
    s->ctx.request_id = std::move(request_id);
    s->store = AuthorizeStore(*inner_, policy_, s->principal, s->audit, s->ctx);
    return s;
  }

  static Principal PatientPrincipal(const std::string& patient_id,
                                    const std::string& scopes = kPatientScopes,
                                    const std::string& permissions = kPatientScopes) {
    Principal p;
    p.kind = PrincipalKind::kPatient;
    p.patient_id = patient_id;
    p.issuer = "https://idporten.test";
    p.subject = "sub-" + patient_id;
    p.client_id = "portal";
    p.scopes = ScopeSet::Parse(scopes);
    p.permissions = ScopeSet::Parse(permissions);
    return p;
  }
  static Principal PractitionerP() {
    Principal p;
    p.kind = PrincipalKind::kPractitioner;
    p.practitioner_id = "prac-p";
    p.hpr_number = "9144900";
    p.organization_number = "999999970";
    p.organization_ids = {"org-o"};
    p.issuer = "https://helseid.test";
    p.client_id = "ehr";
    p.purpose_of_use = "TREAT";
    p.scopes = ScopeSet::Parse("user/*.cruds");
    p.permissions = ScopeSet::Parse("user/*.cruds");
    return p;
  }
  static Principal SystemPrincipal(const std::string& scopes) {
    Principal p;
    p.kind = PrincipalKind::kSystem;
    p.issuer = "https://helseid.test";
    p.client_id = "registry";
    p.role = "registry";
    p.scopes = ScopeSet::Parse(scopes);
    p.permissions = ScopeSet::ParseRole({"*.cruds"}, ScopeContext::kSystem);
    return p;
  }

  // Commits one Put of `json` (or a Delete when json is empty) through `store`.
  static Status Write(Store& store, const std::string& type, const std::string& id,
                      const std::string& json) {
    Value v = json.empty() ? Value::Object() : J(json);
    return store.Commit([&](WriteContext& w) -> Status {
      if (json.empty()) {
        auto d = w.Delete(type, id);
        return d.has_value() ? Status::Ok() : d.error();
      }
      return Result(w.Put(type, id, v, "PUT"));
    });
  }

  // All stored AuditEvents (internal search).
  std::vector<Value> AuditEvents() {
    std::vector<Value> out;
    auto r = inner_->Search(Q("AuditEvent", {{"_count", "1000"}}));
    EXPECT_TRUE(r.has_value());
    if (!r.has_value()) return out;
    for (const ResourceVersion& v : r->matches) out.push_back(J(v.body));
    return out;
  }
  std::vector<Value> AuditEventsOf(const std::string& request_id) {
    std::vector<Value> out;
    for (Value& e : AuditEvents()) {
      if (RequestIdOf(e) == request_id) out.push_back(std::move(e));
    }
    return out;
  }

  std::vector<std::string> PatientsOf(const ResourceVersion& v) {
    return compartment_->PatientsOf(v.type, J(v.body), kBase);
  }

  static inline std::shared_ptr<const PatientCompartment> compartment_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> inner_;
  AccessPolicy policy_;
};

// ---------------------------------------------------------------------------------------------
// Patient A

TEST_F(AccessTest, PatientReadsOwnResourcesAndNotOthers) {
  auto s = Open(PatientPrincipal("pat-a"));
  EXPECT_TRUE(s->store->Read("Patient", "pat-a").has_value());
  auto other = s->store->Read("Patient", "pat-b");
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), Code::kNotFound);
  for (const std::string& type : kTypes) {
    auto own = s->store->Read(type, IdOf(type, 'a'));
    EXPECT_TRUE(own.has_value()) << type << ": " << (own ? "" : own.error().message());
    auto theirs = s->store->Read(type, IdOf(type, 'b'));
    ASSERT_FALSE(theirs.has_value()) << type;
    EXPECT_EQ(theirs.error().code(), Code::kNotFound) << type;
    auto vread = s->store->VRead(type, IdOf(type, 'b'), 1);
    ASSERT_FALSE(vread.has_value()) << type;
    EXPECT_EQ(vread.error().code(), Code::kNotFound) << type;
  }
  // A resource that does not exist looks the same as someone else's.
  auto missing = s->store->Read("Observation", "no-such-id");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

TEST_F(AccessTest, PatientSearchReturnsOnlyOwnResources) {
  auto s = Open(PatientPrincipal("pat-a"));
  for (const std::string& type : kTypes) {
    auto r = s->store->Search(Q(type));
    ASSERT_TRUE(r.has_value()) << type << ": " << r.error().message();
    Ids ids = IdsOf(r->matches);
    EXPECT_TRUE(ids.contains(type + "/" + IdOf(type, 'a'))) << type;
    EXPECT_FALSE(ids.contains(type + "/" + IdOf(type, 'b'))) << type;
    for (const ResourceVersion& v : r->matches) {
      EXPECT_EQ(PatientsOf(v), std::vector<std::string>{"pat-a"}) << type << "/" << v.id;
    }
  }
  auto patients = s->store->Search(Q("Patient"));
  ASSERT_TRUE(patients.has_value());
  EXPECT_EQ(IdsOf(patients->matches), (Ids{"Patient/pat-a"}));
}

TEST_F(AccessTest, PatientSearchForAnotherPatientFindsNothing) {
  auto s = Open(PatientPrincipal("pat-a"));
  for (const std::string& type : kTypes) {
    auto r = s->store->Search(Q(type, {{"patient", "Patient/pat-b"}}));
    ASSERT_TRUE(r.has_value()) << type << ": " << r.error().message();
    EXPECT_TRUE(r->matches.empty()) << type;
    EXPECT_TRUE(r->included.empty()) << type;
  }
  for (std::string_view type : {"Observation", "QuestionnaireResponse", "Communication",
                                "Condition", "CarePlan", "DocumentReference", "Task"}) {
    auto r = s->store->Search(Q(std::string(type), {{"subject", "Patient/pat-b"}}));
    ASSERT_TRUE(r.has_value()) << type << ": " << r.error().message();
    EXPECT_TRUE(r->matches.empty()) << type;
  }
  auto by_id = s->store->Search(Q("Patient", {{"_id", "pat-b"}}));
  ASSERT_TRUE(by_id.has_value());
  EXPECT_TRUE(by_id->matches.empty());
  auto by_fnr =
      s->store->Search(Q("Patient", {{"identifier", std::string(kFnrSystem) + "|" + kFnrB}}));
  ASSERT_TRUE(by_fnr.has_value());
  EXPECT_TRUE(by_fnr->matches.empty());
}

TEST_F(AccessTest, PatientHistoryOnlyOfOwnInstances) {
  auto s = Open(PatientPrincipal("pat-a"));
  for (const std::string& type : kTypes) {
    fhir::store::HistoryQuery own;
    own.type = type;
    own.id = IdOf(type, 'a');
    auto page = s->store->History(own);
    ASSERT_TRUE(page.has_value()) << type << ": " << page.error().message();
    EXPECT_EQ(page->versions.size(), 1u) << type;

    fhir::store::HistoryQuery theirs = own;
    theirs.id = IdOf(type, 'b');
    auto denied = s->store->History(theirs);
    ASSERT_FALSE(denied.has_value()) << type;
    EXPECT_EQ(denied.error().code(), Code::kNotFound) << type;

    fhir::store::HistoryQuery type_level;
    type_level.type = type;
    auto all = s->store->History(type_level);
    ASSERT_FALSE(all.has_value()) << type;
    EXPECT_EQ(all.error().code(), Code::kPermissionDenied) << type;
  }
  fhir::store::HistoryQuery system_level;
  auto all = s->store->History(system_level);
  ASSERT_FALSE(all.has_value());
  EXPECT_EQ(all.error().code(), Code::kPermissionDenied);
}

TEST_F(AccessTest, PatientReadsPublishedContentButNotBinary) {
  auto s = Open(PatientPrincipal("pat-a"));
  auto q = s->store->Read("Questionnaire", "q-1");
  EXPECT_TRUE(q.has_value()) << (q ? "" : q.error().message());
  auto found = s->store->Search(Q("Questionnaire"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(IdsOf(found->matches), (Ids{"Questionnaire/q-1"}));
  auto binary = s->store->Read("Binary", "bin-a");
  ASSERT_FALSE(binary.has_value());
  EXPECT_EQ(binary.error().code(), Code::kNotFound);
}

TEST_F(AccessTest, PatientCannotWriteObservation) {
  auto s = Open(PatientPrincipal("pat-a"));
  Status st = Write(*s->store, "Observation", "obs-new", ResourceFor("Observation", "pat-a"));
  EXPECT_EQ(st.code(), Code::kPermissionDenied) << st.message();
  EXPECT_EQ(inner_->Read("Observation", "obs-new").error().code(), Code::kNotFound);

  // Even with scopes that allow it, Observation is not a patient-writable type.
  const std::string wide = "patient/*.cruds";
  auto w = Open(PatientPrincipal("pat-a", wide, wide));
  st = Write(*w->store, "Observation", "obs-new", ResourceFor("Observation", "pat-a"));
  EXPECT_EQ(st.code(), Code::kPermissionDenied) << st.message();
  EXPECT_EQ(inner_->Read("Observation", "obs-new").error().code(), Code::kNotFound);
}

TEST_F(AccessTest, PatientWritesOwnQuestionnaireResponseWithAuditInSameCommit) {
  auto s = Open(PatientPrincipal("pat-a"), "req-qr");
  const int64_t before = inner_->LastSeq();
  Status st = Write(*s->store, "QuestionnaireResponse", "qr-new",
                    ResourceFor("QuestionnaireResponse", "pat-a"));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(inner_->Read("QuestionnaireResponse", "qr-new").has_value());
  // The resource and its AuditEvent, nothing else, and no flush needed.
  EXPECT_EQ(inner_->LastSeq(), before + 2);
  std::vector<Value> events = AuditEventsOf("req-qr");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(SubtypeOf(events[0]), "create");
  EXPECT_EQ(events[0].GetString("outcome"), "0");
  std::vector<std::string> refs = EntityRefs(events[0]);
  EXPECT_TRUE(Contains(refs, "Patient/pat-a"));
  EXPECT_TRUE(Contains(refs, "QuestionnaireResponse/qr-new/_history/1"));
  EXPECT_TRUE(s->audit.Pending().empty());
}

TEST_F(AccessTest, PatientWriteThatFailsLeavesNoAuditEvent) {
  auto s = Open(PatientPrincipal("pat-a"), "req-rollback");
  Value qr = J(ResourceFor("QuestionnaireResponse", "pat-a"));
  Status st = s->store->Commit([&](WriteContext& w) -> Status {
    auto r = w.Put("QuestionnaireResponse", "qr-rolled-back", qr, "PUT");
    if (!r.has_value()) return r.error();
    return Status(Code::kFailedPrecondition, "changed my mind");
  });
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_FALSE(inner_->Read("QuestionnaireResponse", "qr-rolled-back").has_value());
  EXPECT_TRUE(AuditEventsOf("req-rollback").empty());
}

TEST_F(AccessTest, PatientCannotWriteForAnotherPatient) {
  auto s = Open(PatientPrincipal("pat-a"));
  Status st = Write(*s->store, "QuestionnaireResponse", "qr-for-b",
                    ResourceFor("QuestionnaireResponse", "pat-b"));
  EXPECT_EQ(st.code(), Code::kPermissionDenied) << st.message();
  EXPECT_FALSE(inner_->Read("QuestionnaireResponse", "qr-for-b").has_value());
  // Nor update B's existing response (it is invisible: not found).
  st = Write(*s->store, "QuestionnaireResponse", "QuestionnaireResponse-b",
             ResourceFor("QuestionnaireResponse", "pat-a"));
  EXPECT_FALSE(st.ok());
  auto b = inner_->Read("QuestionnaireResponse", "QuestionnaireResponse-b");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->version, 1);
}

TEST_F(AccessTest, AuditEventsCannotBeWrittenOrDeletedThroughTheApi) {
  const std::string wide = "patient/*.cruds";
  for (const Principal& p : {PatientPrincipal("pat-a"), PatientPrincipal("pat-a", wide, wide),
                             PractitionerP(), SystemPrincipal("system/*.cruds")}) {
    auto s = Open(p);
    Status put = Write(*s->store, "AuditEvent", "ae-new", ResourceFor("AuditEvent", "pat-a"));
    EXPECT_EQ(put.code(), Code::kPermissionDenied) << PrincipalKindName(p.kind);
    Status update =
        Write(*s->store, "AuditEvent", "AuditEvent-a", ResourceFor("AuditEvent", "pat-a"));
    EXPECT_EQ(update.code(), Code::kPermissionDenied) << PrincipalKindName(p.kind);
    Status del = Write(*s->store, "AuditEvent", "AuditEvent-a", "");
    EXPECT_EQ(del.code(), Code::kPermissionDenied) << PrincipalKindName(p.kind);
  }
  EXPECT_FALSE(inner_->Read("AuditEvent", "ae-new").has_value());
  auto kept = inner_->Read("AuditEvent", "AuditEvent-a");
  ASSERT_TRUE(kept.has_value());
  EXPECT_FALSE(kept->deleted);
  EXPECT_EQ(kept->version, 1);
}

std::string CommunicationTo(const std::string& from, const std::string& to) {
  return R"({"resourceType": "Communication", "status": "completed",
    "subject": {"reference": "Patient/)" +
         from + R"("}, "sender": {"reference": "Patient/)" + from +
         R"("}, "recipient": [{"reference": ")" + to +
         R"("}], "payload": [{"contentString": "Spørsmål"}]})";
}

TEST_F(AccessTest, PatientCommunicationOnlyToOwnCareTeam) {
  auto a = Open(PatientPrincipal("pat-a"));
  Status to_team = Write(*a->store, "Communication", "comm-to-p",
                         CommunicationTo("pat-a", "Practitioner/prac-p"));
  EXPECT_TRUE(to_team.ok()) << to_team.message();
  EXPECT_TRUE(inner_->Read("Communication", "comm-to-p").has_value());

  Status outside = Write(*a->store, "Communication", "comm-to-q",
                         CommunicationTo("pat-a", "Practitioner/prac-q"));
  EXPECT_EQ(outside.code(), Code::kPermissionDenied) << outside.message();
  EXPECT_FALSE(inner_->Read("Communication", "comm-to-q").has_value());

  Status to_patient =
      Write(*a->store, "Communication", "comm-to-b", CommunicationTo("pat-a", "Patient/pat-b"));
  EXPECT_EQ(to_patient.code(), Code::kPermissionDenied) << to_patient.message();

  // B has no care team: P is not B's to write to.
  auto b = Open(PatientPrincipal("pat-b"));
  Status b_to_p = Write(*b->store, "Communication", "comm-b-to-p",
                        CommunicationTo("pat-b", "Practitioner/prac-p"));
  EXPECT_EQ(b_to_p.code(), Code::kPermissionDenied) << b_to_p.message();
  EXPECT_FALSE(inner_->Read("Communication", "comm-b-to-p").has_value());
}

TEST_F(AccessTest, DeletedResourcesAreJudgedByTheirLastContent) {
  Status del = inner_->Commit([&](WriteContext& w) -> Status {
    for (const char* id : {"Observation-a", "Observation-b"}) {
      auto d = w.Delete("Observation", id);
      if (!d.has_value()) return d.error();
    }
    return Status::Ok();
  });
  ASSERT_TRUE(del.ok()) << del.message();
  auto s = Open(PatientPrincipal("pat-a"));
  auto own = s->store->Read("Observation", "Observation-a");
  ASSERT_TRUE(own.has_value()) << own.error().message();
  EXPECT_TRUE(own->deleted);  // the REST layer answers 410 Gone
  auto theirs = s->store->Read("Observation", "Observation-b");
  ASSERT_FALSE(theirs.has_value());
  EXPECT_EQ(theirs.error().code(), Code::kNotFound);

  fhir::store::HistoryQuery hq;
  hq.type = "Observation";
  hq.id = "Observation-a";
  auto own_history = s->store->History(hq);
  ASSERT_TRUE(own_history.has_value()) << own_history.error().message();
  EXPECT_EQ(own_history->versions.size(), 2u);
  hq.id = "Observation-b";
  auto their_history = s->store->History(hq);
  ASSERT_FALSE(their_history.has_value());
  EXPECT_EQ(their_history.error().code(), Code::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// Practitioner P (care team of A, organisation O performs C's referral)

TEST_F(AccessTest, PractitionerSeesCareTeamAndReferralPatientsOnly) {
  auto s = Open(PractitionerP());
  EXPECT_TRUE(s->store->Read("Patient", "pat-a").has_value());
  EXPECT_TRUE(s->store->Read("Patient", "pat-c").has_value());
  auto b = s->store->Read("Patient", "pat-b");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code(), Code::kNotFound);

  auto patients = s->store->Search(Q("Patient"));
  ASSERT_TRUE(patients.has_value()) << patients.error().message();
  EXPECT_EQ(IdsOf(patients->matches), (Ids{"Patient/pat-a", "Patient/pat-c"}));

  auto obs = s->store->Search(Q("Observation"));
  ASSERT_TRUE(obs.has_value()) << obs.error().message();
  EXPECT_EQ(IdsOf(obs->matches),
            (Ids{"Observation/Observation-a", "Observation/Observation-a-vital"}));

  for (const std::string& type : kTypes) {
    EXPECT_TRUE(s->store->Read(type, IdOf(type, 'a')).has_value()) << type;
    auto theirs = s->store->Read(type, IdOf(type, 'b'));
    ASSERT_FALSE(theirs.has_value()) << type;
    EXPECT_EQ(theirs.error().code(), Code::kNotFound) << type;
  }
}

TEST_F(AccessTest, PractitionerReadsBinaryThroughSecurityContext) {
  auto s = Open(PractitionerP());
  auto bin = s->store->Read("Binary", "bin-a");
  EXPECT_TRUE(bin.has_value()) << (bin ? "" : bin.error().message());

  // A Binary whose document belongs to B is not visible.
  Put("Binary", "bin-b", R"({"resourceType": "Binary", "contentType": "text/plain",
    "securityContext": {"reference": "DocumentReference/DocumentReference-b"}, "data": "SGVp"})");
  auto other = s->store->Read("Binary", "bin-b");
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), Code::kNotFound);
}

TEST_F(AccessTest, PractitionerWithoutCareRelationshipSeesNoPatients) {
  Principal p = PractitionerP();
  p.practitioner_id = "prac-q";
  p.organization_ids.clear();
  auto s = Open(p);
  auto patients = s->store->Search(Q("Patient"));
  ASSERT_TRUE(patients.has_value());
  EXPECT_TRUE(patients->matches.empty());
  auto a = s->store->Read("Observation", "Observation-a");
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), Code::kNotFound);
}

TEST_F(AccessTest, PractitionerWritesOnlyForPatientsInCare) {
  auto s = Open(PractitionerP(), "req-prac-write");
  Status for_a = Write(*s->store, "Observation", "obs-new-a", ResourceFor("Observation", "pat-a"));
  EXPECT_TRUE(for_a.ok()) << for_a.message();
  Status for_c = Write(*s->store, "Condition", "cond-new-c", ResourceFor("Condition", "pat-c"));
  EXPECT_TRUE(for_c.ok()) << for_c.message();
  Status for_b = Write(*s->store, "Observation", "obs-new-b", ResourceFor("Observation", "pat-b"));
  EXPECT_EQ(for_b.code(), Code::kPermissionDenied) << for_b.message();
  EXPECT_FALSE(inner_->Read("Observation", "obs-new-b").has_value());
  // Moving A's resource to B is refused too.
  Status move =
      Write(*s->store, "Observation", "Observation-a", ResourceFor("Observation", "pat-b"));
  EXPECT_EQ(move.code(), Code::kPermissionDenied) << move.message();
  EXPECT_EQ(inner_->Read("Observation", "Observation-a")->version, 1);
  // Patients come from referrals; published content is not written by personnel clients.
  Status patient = Write(*s->store, "Patient", "pat-new", PatientJson("Ny", ""));
  EXPECT_EQ(patient.code(), Code::kPermissionDenied) << patient.message();
  Status questionnaire = Write(*s->store, "Questionnaire", "q-1",
                               R"({"resourceType": "Questionnaire", "status": "retired"})");
  EXPECT_EQ(questionnaire.code(), Code::kPermissionDenied) << questionnaire.message();
  // A Binary needs a securityContext the user has access to.
  Status bin_a = Write(*s->store, "Binary", "bin-new-a", R"({"resourceType": "Binary",
    "contentType": "text/plain", "data": "SGVp",
    "securityContext": {"reference": "DocumentReference/DocumentReference-a"}})");
  EXPECT_TRUE(bin_a.ok()) << bin_a.message();
  Status bin_b = Write(*s->store, "Binary", "bin-new-b", R"({"resourceType": "Binary",
    "contentType": "text/plain", "data": "SGVp",
    "securityContext": {"reference": "DocumentReference/DocumentReference-b"}})");
  EXPECT_EQ(bin_b.code(), Code::kPermissionDenied) << bin_b.message();
  // Each successful write has its AuditEvent.
  int creates = 0;
  for (const Value& e : AuditEventsOf("req-prac-write")) creates += SubtypeOf(e) == "create";
  EXPECT_EQ(creates, 3);
}

TEST_F(AccessTest, InactiveCareTeamGivesNoAccess) {
  Put("CareTeam", "ct-a", R"({"resourceType": "CareTeam", "status": "inactive",
    "subject": {"reference": "Patient/pat-a"},
    "participant": [{"member": {"reference": "Practitioner/prac-p"}}]})");
  auto s = Open(PractitionerP());
  auto a = s->store->Read("Patient", "pat-a");
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), Code::kNotFound);
  auto patients = s->store->Search(Q("Patient"));
  ASSERT_TRUE(patients.has_value());
  EXPECT_EQ(IdsOf(patients->matches), (Ids{"Patient/pat-c"}));
  // Nor may A write to P through it.
  auto pa = Open(PatientPrincipal("pat-a"));
  Status to_p = Write(*pa->store, "Communication", "comm-to-p",
                      CommunicationTo("pat-a", "Practitioner/prac-p"));
  EXPECT_EQ(to_p.code(), Code::kPermissionDenied) << to_p.message();
}

// ---------------------------------------------------------------------------------------------
// System client

TEST_F(AccessTest, SystemScopeLimitsTheRole) {
  auto s = Open(SystemPrincipal("system/Patient.rs"));
  auto patients = s->store->Search(Q("Patient"));
  ASSERT_TRUE(patients.has_value()) << patients.error().message();
  EXPECT_EQ(IdsOf(patients->matches), (Ids{"Patient/pat-a", "Patient/pat-b", "Patient/pat-c"}));
  EXPECT_TRUE(s->store->Read("Patient", "pat-b").has_value());

  auto obs = s->store->Read("Observation", "Observation-a");
  ASSERT_FALSE(obs.has_value());
  EXPECT_EQ(obs.error().code(), Code::kPermissionDenied);
  auto search = s->store->Search(Q("Observation"));
  ASSERT_FALSE(search.has_value());
  EXPECT_EQ(search.error().code(), Code::kPermissionDenied);
}

TEST_F(AccessTest, SystemRoleLimitsTheScopes) {
  Principal p = SystemPrincipal("system/*.cruds");
  p.permissions = ScopeSet::ParseRole({"Patient.rs"}, ScopeContext::kSystem);
  auto s = Open(p);
  EXPECT_TRUE(s->store->Read("Patient", "pat-a").has_value());
  auto obs = s->store->Read("Observation", "Observation-a");
  ASSERT_FALSE(obs.has_value());
  EXPECT_EQ(obs.error().code(), Code::kPermissionDenied);
  Status write = Write(*s->store, "Patient", "pat-a", PatientJson("Endret", kFnrA));
  EXPECT_EQ(write.code(), Code::kPermissionDenied);
}

// Delete needs the 'd' letter of the scope, not 'u' as well.
TEST_F(AccessTest, SystemDeleteNeedsOnlyDeletePermission) {
  auto s = Open(SystemPrincipal("system/Observation.rd"));
  Status del = Write(*s->store, "Observation", "Observation-b", "");
  EXPECT_TRUE(del.ok()) << del.message();
  auto after = inner_->Read("Observation", "Observation-b");
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->deleted);
  // ... while an update is still refused.
  Status upd = Write(*s->store, "Observation", "Observation-a",
                     ResourceFor("Observation", "pat-a", "laboratory"));
  EXPECT_EQ(upd.code(), Code::kPermissionDenied);
}

TEST_F(AccessTest, PractitionerDeleteOnlyWithinCareAndNotPublishedContent) {
  auto s = Open(PractitionerP());
  Status hidden = Write(*s->store, "Observation", "Observation-b", "");
  EXPECT_EQ(hidden.code(), Code::kNotFound) << hidden.message();
  EXPECT_FALSE(inner_->Read("Observation", "Observation-b")->deleted);
  // Readable, so a refusal is a 403 (as for an update), not a 404.
  Status published = Write(*s->store, "Questionnaire", "q-1", "");
  EXPECT_EQ(published.code(), Code::kPermissionDenied) << published.message();
  EXPECT_FALSE(inner_->Read("Questionnaire", "q-1")->deleted);
  Status own = Write(*s->store, "Observation", "Observation-a-vital", "");
  EXPECT_TRUE(own.ok()) << own.message();
  EXPECT_TRUE(inner_->Read("Observation", "Observation-a-vital")->deleted);
}

// ---------------------------------------------------------------------------------------------
// Fine-grained scopes

TEST_F(AccessTest, FineGrainedScopeShowsOnlyMatchingResources) {
  auto s = Open(PatientPrincipal(
      "pat-a", "patient/Observation.rs?category=" + kObsCategory + "|survey", "patient/*.rs"));
  auto r = s->store->Search(Q("Observation"));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(IdsOf(r->matches), (Ids{"Observation/Observation-a"}));
  EXPECT_TRUE(s->store->Read("Observation", "Observation-a").has_value());
  auto vital = s->store->Read("Observation", "Observation-a-vital");
  ASSERT_FALSE(vital.has_value());
  EXPECT_EQ(vital.error().code(), Code::kNotFound);
  // Other types are not covered by the scope at all.
  auto cond = s->store->Read("Condition", "Condition-a");
  ASSERT_FALSE(cond.has_value());
  EXPECT_EQ(cond.error().code(), Code::kPermissionDenied);
}

// A total is never a count over what the caller may not see, on whatever page.
TEST_F(AccessTest, FineGrainedScopeTotalDoesNotCountHiddenResources) {
  auto s = Open(PatientPrincipal(
      "pat-a", "patient/Observation.rs?category=" + kObsCategory + "|survey", "patient/*.rs"));
  auto r = s->store->Search(Q("Observation", {{"_count", "1"}, {"_total", "accurate"}}));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(IdsOf(r->matches), (Ids{"Observation/Observation-a"}));
  if (r->total.has_value()) {
    EXPECT_EQ(*r->total, 1);
  }
  auto counted = s->store->Search(Q("Observation", {{"_summary", "count"}}));
  ASSERT_TRUE(counted.has_value()) << counted.error().message();
  if (counted->total.has_value()) {
    EXPECT_EQ(*counted->total, 1);
  }

  // Without a fine-grained scope nothing is hidden after the narrowing: the total stays.
  auto plain = Open(PatientPrincipal("pat-a"));
  auto all = plain->store->Search(Q("Observation", {{"_count", "1"}, {"_total", "accurate"}}));
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->matches.size(), 1u);
  ASSERT_TRUE(all->total.has_value());
  EXPECT_EQ(*all->total, 2);
}

// A page shortened by the filter still says how full the store's page was, so the search
// handler keeps linking to the next page instead of ending the result early.
TEST_F(AccessTest, AShortenedPageKeepsTheStoresPageSizeForPaging) {
  auto s = Open(PatientPrincipal(
      "pat-a", "patient/Observation.rs?category=" + kObsCategory + "|survey", "patient/*.rs"));
  auto r = s->store->Search(Q("Observation", {{"_count", "2"}}));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->matches.size(), 1u);
  ASSERT_TRUE(r->unfiltered_page_size.has_value());
  EXPECT_EQ(*r->unfiltered_page_size, 2u);
}

// ---------------------------------------------------------------------------------------------
// Audit

TEST_F(AccessTest, AuditRecordsReadsOfThePatient) {
  auto s = Open(PatientPrincipal("pat-a"), "req-reads");
  ASSERT_TRUE(s->store->Read("Observation", "Observation-a").has_value());
  ASSERT_TRUE(s->store->Read("QuestionnaireResponse", "QuestionnaireResponse-a").has_value());
  EXPECT_TRUE(AuditEventsOf("req-reads").empty());  // nothing before the flush
  Status flushed = FlushAudit(*inner_, s->principal, s->audit, s->ctx);
  ASSERT_TRUE(flushed.ok()) << flushed.message();
  std::vector<Value> events = AuditEventsOf("req-reads");
  ASSERT_EQ(events.size(), 2u);
  std::set<std::string> resources;
  for (const Value& e : events) {
    EXPECT_EQ(SubtypeOf(e), "read");
    EXPECT_EQ(e.GetString("outcome"), "0");
    std::vector<std::string> refs = EntityRefs(e);
    EXPECT_TRUE(Contains(refs, "Patient/pat-a"));
    for (const std::string& r : refs) {
      if (!r.starts_with("Patient/")) resources.insert(r);
    }
  }
  EXPECT_EQ(resources,
            (std::set<std::string>{"Observation/Observation-a/_history/1",
                                   "QuestionnaireResponse/QuestionnaireResponse-a/_history/1"}));
  EXPECT_TRUE(s->audit.Pending().empty());
  // A second flush writes nothing more.
  ASSERT_TRUE(FlushAudit(*inner_, s->principal, s->audit, s->ctx).ok());
  EXPECT_EQ(AuditEventsOf("req-reads").size(), 2u);
}

TEST_F(AccessTest, AuditRecordsDenialsWithoutNamingTheOtherPatient) {
  auto s = Open(PatientPrincipal("pat-a"), "req-denied");
  auto r = s->store->Read("Observation", "Observation-b");
  ASSERT_FALSE(r.has_value());
  ASSERT_TRUE(FlushAudit(*inner_, s->principal, s->audit, s->ctx).ok());
  std::vector<Value> events = AuditEventsOf("req-denied");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].GetString("outcome"), "4");
  EXPECT_EQ(SubtypeOf(events[0]), "read");
  // What was asked for is named (display), not referenced: a reference would put the event
  // into B's compartment (and show B who probed) or hand A the probed id as a link.
  EXPECT_TRUE(EntityRefs(events[0]).empty());
  bool named = false;
  for (const Value& e : events[0].Find("entity")->items()) {
    const Value* what = e.Find("what");
    if (what != nullptr && what->GetString("display") == "requested: Observation/Observation-b") {
      named = true;
    }
  }
  EXPECT_TRUE(named);
  // B's audit trail does not show it; A's own does not link B's record.
  auto b = Open(PatientPrincipal("pat-b"));
  auto b_events = b->store->Search(Q("AuditEvent"));
  ASSERT_TRUE(b_events.has_value());
  EXPECT_EQ(IdsOf(b_events->matches), (Ids{"AuditEvent/AuditEvent-b"}));
}

TEST_F(AccessTest, AuditRedactsNationalIdInSearchQuery) {
  auto s = Open(PatientPrincipal("pat-a"), "req-search");
  auto r = s->store->Search(Q("Patient", {{"identifier", std::string(kFnrSystem) + "|" + kFnrA}}));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(IdsOf(r->matches), (Ids{"Patient/pat-a"}));
  ASSERT_TRUE(FlushAudit(*inner_, s->principal, s->audit, s->ctx).ok());
  std::vector<Value> events = AuditEventsOf("req-search");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(SubtypeOf(events[0]), "search-type");
  EXPECT_TRUE(Contains(EntityRefs(events[0]), "Patient/pat-a"));
  std::string query;
  for (const Value& e : events[0].Find("entity")->items()) {
    if (e.Find("query") != nullptr) {
      auto decoded = common::Base64Decode(e.GetString("query"));
      ASSERT_TRUE(decoded.has_value());
      query = *decoded;
    }
  }
  EXPECT_NE(query.find("identifier="), std::string::npos) << query;
  EXPECT_EQ(query.find(kFnrA), std::string::npos) << query;
  // Nowhere else in the event either.
  auto all = inner_->Search(Q("AuditEvent", {{"_count", "1000"}}));
  ASSERT_TRUE(all.has_value());
  for (const ResourceVersion& v : all->matches) {
    EXPECT_EQ(v.body.find(kFnrA), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// _include

TEST_F(AccessTest, PatientIncludeReturnsOnlyOwnPatient) {
  auto s = Open(PatientPrincipal("pat-a"));
  auto r = s->store->Search(Q("Observation", {{"_include", "Observation:subject"}}));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(IdsOf(r->matches),
            (Ids{"Observation/Observation-a", "Observation/Observation-a-vital"}));
  EXPECT_EQ(IdsOf(r->included), (Ids{"Patient/pat-a"}));

  // Reverse includes are checked too: B's resources never come along.
  auto rev = s->store->Search(Q("Patient", {{"_revinclude", "Observation:subject"}}));
  ASSERT_TRUE(rev.has_value()) << rev.error().message();
  EXPECT_EQ(IdsOf(rev->matches), (Ids{"Patient/pat-a"}));
  EXPECT_EQ(IdsOf(rev->included),
            (Ids{"Observation/Observation-a", "Observation/Observation-a-vital"}));
}

// The official R4 example of every served type in the Patient compartment, as stored.
struct Example {
  std::string type;
  std::string id;
  std::string json;
};

std::vector<Example> CompartmentExamples(const PatientCompartment& compartment) {
  std::vector<Example> out;
  const std::filesystem::path dir =
      std::filesystem::path(kRepo) / "tests/testdata/fhir-r4-examples";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto v = fhir::json::Parse(text.str());
    if (!v.has_value() || !v->is_object()) continue;
    std::string type(v->GetString("resourceType"));
    std::string id(v->GetString("id"));
    if (type.empty() || id.empty() || type == "Patient" || !compartment.Contains(type)) continue;
    out.push_back({type, id, text.str()});
  }
  // Served compartment types the official examples do not cover: one each, about Patient B.
  out.push_back({"Appointment", "appt-b", R"({"resourceType": "Appointment", "status": "booked",
    "participant": [{"actor": {"reference": "Patient/pat-b"}, "status": "accepted"}]})"});
  out.push_back({"EpisodeOfCare", "eoc-b", R"({"resourceType": "EpisodeOfCare",
    "status": "active", "patient": {"reference": "Patient/pat-b"}})"});
  out.push_back({"Goal", "goal-b", R"({"resourceType": "Goal", "lifecycleStatus": "active",
    "description": {"text": "Sleep better"}, "subject": {"reference": "Patient/pat-b"}})"});
  out.push_back({"Group", "group-b", R"({"resourceType": "Group", "type": "person",
    "actual": true, "member": [{"entity": {"reference": "Patient/pat-b"}}]})"});
  std::sort(out.begin(), out.end(), [](const Example& a, const Example& b) {
    return a.type + "/" + a.id < b.type + "/" + b.id;
  });
  return out;
}

// For every resource type in the Patient compartment that this server serves, with every
// official R4 example of it: a patient who is not one of the example's patients, and a
// practitioner without a care relationship, reach it through no interaction (read, vread,
// instance history, search by id, search of the type, _include/_revinclude of everything);
// one of its own patients reads it. Examples are stored unchanged, so their references are the
// ones the specification's authors wrote, not ones shaped for this test.
TEST_F(AccessTest, EveryCompartmentTypeIsHiddenFromOtherPatientsAndStrangers) {
  std::vector<Example> examples = CompartmentExamples(*compartment_);
  std::set<std::string> types_checked;
  int owners_checked = 0;
  for (const Example& ex : examples) {
    SCOPED_TRACE(ex.type + "/" + ex.id);
    Put(ex.type, ex.id, ex.json);
    std::vector<std::string> patients = compartment_->PatientsOf(ex.type, J(ex.json), kBase);
    ASSERT_FALSE(Contains(patients, "pat-a"));
    types_checked.insert(ex.type);

    for (const Principal& p : {PatientPrincipal("pat-a"), PractitionerP()}) {
      auto s = Open(p);
      const std::string ref = ex.type + "/" + ex.id;
      auto read = s->store->Read(ex.type, ex.id);
      EXPECT_FALSE(read.has_value()) << ref;
      auto vread = s->store->VRead(ex.type, ex.id, 1);
      EXPECT_FALSE(vread.has_value()) << ref;
      fhir::store::HistoryQuery hq;
      hq.type = ex.type;
      hq.id = ex.id;
      auto history = s->store->History(hq);
      EXPECT_TRUE(!history.has_value() || history->versions.empty()) << ref;
      for (const Params& params : {Params{{"_id", ex.id}}, Params{{"_count", "1000"}},
                                   Params{{"_include", ex.type + ":*"}}}) {
        auto found = s->store->Search(Q(ex.type, params));
        if (!found.has_value()) continue;  // refused outright: nothing shown
        EXPECT_FALSE(IdsOf(found->matches).contains(ref)) << ref;
        EXPECT_FALSE(IdsOf(found->included).contains(ref)) << ref;
      }
    }
    if (!patients.empty()) {
      auto owner = Open(PatientPrincipal(patients.front()));
      EXPECT_TRUE(owner->store->Read(ex.type, ex.id).has_value()) << "its own patient";
      ++owners_checked;
    }
  }
  // Every served type of the compartment (from the mapping file) was checked.
  std::ifstream in(kCompartmentFile);
  std::stringstream text;
  text << in.rdbuf();
  auto mapping = fhir::json::Parse(text.str());
  ASSERT_TRUE(mapping.has_value());
  const Value* listed = mapping->Find("resources");
  ASSERT_NE(listed, nullptr);
  // Every compartment type the gateway serves by default has an example; the examples cover
  // R4 types the defaults leave out are checked when an official example has them.
  int served = 0;
  const std::vector<std::string>& defaults = fhir::DefaultServedTypes();
  for (const auto& [type, params] : listed->members()) {
    if (type == "Patient" || !compartment_->Contains(type)) continue;
    if (!std::binary_search(defaults.begin(), defaults.end(), type)) continue;
    ++served;
    EXPECT_TRUE(types_checked.contains(type)) << type << " has no example in this test";
  }
  EXPECT_EQ(served, 21);  // changes when the default list gains another compartment type
  EXPECT_GE(owners_checked, 60);
}

}  // namespace
}  // namespace authz
