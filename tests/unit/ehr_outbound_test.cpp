// The outbound EHR rules as write triggers on the real REST layer and SQLite store: a
// Communication to the referrer becomes a queued Dialogmelding in the same transaction (or the
// write is refused and nothing is stored); a sent Communication stays what was sent; referral
// status changes on the assess-referral Task and the ServiceRequest tell the referrer, with
// kodeverk 9148 where it applies; and the referrer's answer threads back onto our message.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/ehr/dialogmelding.h"
#include "adapters/ehr/envelope.h"
#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/inbox.h"
#include "adapters/ehr/outbound.h"
#include "adapters/ehr/outbox.h"
#include "adapters/ehr/to_kith.h"
#include "adapters/ehr/xml/document.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/store/triggers.h"
#include "gateway/app/in_process_fhir_port.h"
#include "gateway/rest/fhir_api.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/unit/ehr_test_support.h"

namespace adapters::ehr {
namespace {

using fhir::json::Value;

// valid-depression-p76.xml: MsgId, the GP office's and the GP's HER-ids.
constexpr std::string_view kReferralMsgId = "630b687c-b6d8-52b1-b965-521051053457";
constexpr std::string_view kGpOfficeHer = "1234567";
constexpr std::string_view kGpHer = "1234568";

Value Json(std::string_view text) {
  auto v = fhir::json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : Value::Object();
}

class EhrOutbound : public EhrSuite<> {
 protected:
  void SetUp() override {
    store_ = std::make_unique<TestFhirStore>(
        TestFhirStore::Options{
            "outbound",
            RequiredUniqueIdentifiers(),
            {std::make_shared<OutboundTriggers>(ClinicSettings(), *schemas_, terms_)}},
        *terms_);
    ASSERT_TRUE(store_->ok());
    inbox_ = std::make_unique<Inbox>(ClinicSettings(), *schemas_, terms_, fhir());
    outbox_ = std::make_unique<Outbox>(fhir(), terms_);
  }
  void TearDown() override {
    outbox_.reset();
    inbox_.reset();
    store_.reset();
  }

  FhirPort& fhir() { return store_->port(); }

  Value Search(const std::string& query) {
    auto r = fhir().Call("GET", query);
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    return Json(r.body);
  }
  static std::vector<Value> Resources(const Value& bundle, std::string_view type = {}) {
    std::vector<Value> out;
    if (const Value* entries = bundle.Find("entry")) {
      for (const Value& e : entries->items()) {
        const Value* r = e.Find("resource");
        if (r != nullptr && (type.empty() || r->GetString("resourceType") == type))
          out.push_back(*r);
      }
    }
    return out;
  }
  Value Read(const std::string& ref) {
    auto r = fhir().Call("GET", ref);
    EXPECT_EQ(r.status, 200) << ref << " " << r.body;
    return Json(r.body);
  }

  // Imports the corpus referral; remembers its ServiceRequest, assess Task, patient and requester.
  void ImportReferral() {
    InboundResult r =
        inbox_->Receive(ReadFile(kCorpus + "/henvisning-1.1/valid-depression-p76.xml"));
    ASSERT_EQ(r.apprec_status, "1") << r.body;
    auto srs = Resources(Search("ServiceRequest?identifier=" + std::string(sys::kMsgId) + "|" +
                                std::string(kReferralMsgId)));
    ASSERT_EQ(srs.size(), 1u);
    sr_ = "ServiceRequest/" + std::string(srs[0].GetString("id"));
    patient_ = std::string(srs[0].Find("subject")->GetString("reference"));
    requester_ = std::string(srs[0].Find("requester")->GetString("reference"));
    auto tasks = Resources(
        Search("Task?focus=" + sr_ + "&code=" + std::string(sys::kTaskCode) + "|assess-referral"));
    ASSERT_EQ(tasks.size(), 1u);
    task_ = "Task/" + std::string(tasks[0].GetString("id"));
    // The AppRec for the referral is in the outbox already; take it over.
    auto pending = outbox_->Pending(100);
    ASSERT_TRUE(pending.has_value());
    for (const OutboxMessage& m : *pending) ASSERT_TRUE(outbox_->Acknowledge(m.id).has_value());
  }

  std::vector<OutboxMessage> Pending() {
    auto pending = outbox_->Pending(100);
    EXPECT_TRUE(pending.has_value()) << pending.error().message();
    return pending ? *pending : std::vector<OutboxMessage>{};
  }

  // The queued message read back as the GP's system would, checked against the XSDs.
  Dialog ReadBack(const std::string& xml) {
    xml::ParseError error;
    auto doc = xml::Document::Parse(xml, xml.size() + 1, &error);
    EXPECT_TRUE(doc.has_value()) << error.message;
    if (!doc) return {};
    EXPECT_TRUE(schemas_->Validate(*doc).empty());
    docs_.push_back(std::make_unique<xml::Document>(std::move(*doc)));
    Envelope e = DetectEnvelope(*docs_.back());
    EXPECT_EQ(e.kind, MessageKind::kDialogmelding);
    return ReadDialog(e);
  }

  Value Question(std::string_view status = "completed") {
    Value c = Json(R"({"resourceType": "Communication",
      "topic": {"text": "Tilleggsopplysninger"},
      "payload": [{"contentString": "Kan du sende oppdatert medisinliste?"}]})");
    c.Set("status", Value::String(std::string(status)));
    c.Set("subject", Json(R"({"reference": ")" + patient_ + R"("})"));
    c.Set("about", Value::Array()).Append(Json(R"({"reference": ")" + sr_ + R"("})"));
    c.Set("recipient", Value::Array()).Append(Json(R"({"reference": ")" + requester_ + R"("})"));
    return c;
  }

  // Changes the assess Task (read, `change`, PUT); returns the HTTP status.
  int ChangeTask(const std::function<void(Value&)>& change) {
    Value t = Read(task_);
    t.Remove("meta");
    change(t);
    return fhir().Call("PUT", task_, fhir::json::Write(t)).status;
  }

  std::unique_ptr<TestFhirStore> store_;
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<Outbox> outbox_;
  std::vector<std::unique_ptr<xml::Document>> docs_;
  std::string sr_, patient_, requester_, task_;
};

TEST_F(EhrOutbound, ACommunicationToTheReferrerIsQueuedWithItsWrite) {
  ImportReferral();
  auto r = fhir().Call("POST", "Communication", fhir::json::Write(Question()));
  ASSERT_EQ(r.status, 201) << r.body;
  Value stored = Json(r.body);
  std::string msg_id;
  for (const Value& i : stored.Find("identifier")->items()) {
    if (i.GetString("system") == sys::kOutboundMsgId) msg_id = std::string(i.GetString("value"));
  }
  ASSERT_FALSE(msg_id.empty()) << r.body;
  EXPECT_FALSE(stored.GetString("sent").empty());

  auto pending = Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].msg_id, msg_id);
  EXPECT_EQ(pending[0].msg_type, "DIALOG_HELSEFAGLIG");
  EXPECT_EQ(pending[0].destination, kGpHer);  // the GP's own HER-id, at the office
  Value task = Read("Task/" + pending[0].id);
  EXPECT_EQ(task.Find("focus")->GetString("reference"),
            "Communication/" + std::string(stored.GetString("id")));
  EXPECT_EQ(task.Find("for")->GetString("reference"), patient_);
  EXPECT_FALSE(task.Find("owner")->GetString("reference").empty());  // our unit

  Dialog d = ReadBack(pending[0].xml);
  EXPECT_EQ(d.head.msg_id, msg_id);
  EXPECT_EQ(IdentOfType(d.head.receiver.idents, "HER"), kGpOfficeHer);
  ASSERT_EQ(d.head.receiver.professionals.size(), 1u);
  EXPECT_EQ(IdentOfType(d.head.receiver.professionals[0].person.idents, "HER"), kGpHer);
  EXPECT_EQ(d.head.ref_to_parent, kReferralMsgId);  // continues the referral's conversation
  EXPECT_EQ(d.parts.at(0).subject, "Tilleggsopplysninger");
  EXPECT_EQ(d.parts.at(0).text, "Kan du sende oppdatert medisinliste?");
}

TEST_F(EhrOutbound, DraftsWaitAndASentMessageStaysWhatWasSent) {
  ImportReferral();
  auto r = fhir().Call("POST", "Communication", fhir::json::Write(Question("preparation")));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(Pending().empty());
  Value c = Json(r.body);
  std::string ref = "Communication/" + std::string(c.GetString("id"));
  c.Remove("meta");
  c.Set("status", Value::String("completed"));
  r = fhir().Call("PUT", ref, fhir::json::Write(c));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(Pending().size(), 1u);
  // A later update without our identifier (a client that never read it back) keeps it and
  // sends nothing again; a note may be added.
  c.Set("note", Value::Array()).Append(Json(R"({"text": "Purret per telefon."})"));
  r = fhir().Call("PUT", ref, fhir::json::Write(c));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(std::string(sys::kOutboundMsgId)), std::string::npos);
  EXPECT_EQ(Pending().size(), 1u);
  // The content cannot change once sent.
  Value changed = c;
  changed.Set("payload", Value::Array()).Append(Json(R"({"contentString": "Noe annet."})"));
  r = fhir().Call("PUT", ref, fhir::json::Write(changed));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("Communication.payload"), std::string::npos) << r.body;
  EXPECT_EQ(Pending().size(), 1u);
  EXPECT_EQ(Read(ref).Find("payload")->items()[0].GetString("contentString"),
            "Kan du sende oppdatert medisinliste?");
}

TEST_F(EhrOutbound, NotForTheEhrChannelMeansNoMessage) {
  ImportReferral();
  // To the patient (a later issue's channel), and a clinician's own note without recipient.
  Value to_patient = Question();
  to_patient.Set("recipient", Value::Array())
      .Append(Json(R"({"reference": ")" + patient_ + R"("})"));
  EXPECT_EQ(fhir().Call("POST", "Communication", fhir::json::Write(to_patient)).status, 201);
  Value note = Question();
  note.Remove("recipient");
  EXPECT_EQ(fhir().Call("POST", "Communication", fhir::json::Write(note)).status, 201);
  EXPECT_TRUE(Pending().empty());
  // Setting the gateway's own identifier is refused.
  Value forged = Question();
  forged.Set("identifier", Value::Array())
      .Append(Json(R"({"system": ")" + std::string(sys::kOutboundMsgId) + R"(", "value": "x"})"));
  EXPECT_EQ(fhir().Call("POST", "Communication", fhir::json::Write(forged)).status, 422);
}

TEST_F(EhrOutbound, AMessageThatCannotBeSentIsRefusedAndNothingIsStored) {
  ImportReferral();
  auto p =
      fhir().Call("POST", "Patient", R"({"resourceType":"Patient","name":[{"family":"Utenid"}]})");
  ASSERT_EQ(p.status, 201);
  Value c = Question();
  c.Set("subject",
        Json(R"({"reference": "Patient/)" + std::string(Json(p.body).GetString("id")) + R"("})"));
  auto r = fhir().Call("POST", "Communication", fhir::json::Write(c));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("fødselsnummer"), std::string::npos) << r.body;
  EXPECT_TRUE(Resources(Search("Communication")).empty());
  EXPECT_TRUE(Pending().empty());
  // In a transaction the whole bundle fails with it.
  Value bundle = Json(R"({"resourceType": "Bundle", "type": "transaction", "entry": []})");
  Value ok = Json(R"({"resource": {"resourceType": "Patient", "name": [{"family": "Transaksjon"}]},
                      "request": {"method": "POST", "url": "Patient"}})");
  Value bad = Value::Object();
  bad.Set("resource", c);
  bad.Set("request", Json(R"({"method": "POST", "url": "Communication"})"));
  bundle.Find("entry")->Append(ok);
  bundle.Find("entry")->Append(bad);
  r = fhir().Call("POST", "", fhir::json::Write(bundle));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(Resources(Search("Patient?family=Transaksjon")).empty());
  EXPECT_TRUE(Pending().empty());
}

TEST_F(EhrOutbound, ReferralStatusChangesTellTheReferrer) {
  ImportReferral();
  // Received (no 9148 code): a Helsefaglig dialog with the status as its subject.
  ASSERT_EQ(ChangeTask([](Value& t) { t.Set("status", Value::String("received")); }), 200);
  auto pending = Pending();
  ASSERT_EQ(pending.size(), 1u);
  Dialog received = ReadBack(pending[0].xml);
  EXPECT_EQ(received.head.type.v, "DIALOG_HELSEFAGLIG");
  EXPECT_EQ(received.parts.at(0).subject, "Henvisningen er mottatt");
  EXPECT_EQ(received.head.ref_to_parent, kReferralMsgId);
  ASSERT_TRUE(outbox_->Acknowledge(pending[0].id).has_value());
  // The same status again tells nothing new.
  ASSERT_EQ(ChangeTask([](Value& t) { t.Set("description", Value::String("vurderes")); }), 200);
  EXPECT_TRUE(Pending().empty());

  // Rejected with a reason: DIALOG_STATUS_HENVISNING with 9148 code 4 and the reason.
  ASSERT_EQ(ChangeTask([](Value& t) {
              t.Set("status", Value::String("rejected"));
              t.Set("statusReason",
                    Json(R"({"text": "Tilstanden krever poliklinisk oppfølging."})"));
            }),
            200);
  pending = Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].msg_type, "DIALOG_STATUS_HENVISNING");
  Dialog rejected = ReadBack(pending[0].xml);
  EXPECT_EQ(rejected.parts.at(0).topic.v, "4");
  EXPECT_NE(rejected.parts.at(0).text.find("Tilstanden krever poliklinisk oppfølging."),
            std::string::npos);
  ASSERT_TRUE(outbox_->Acknowledge(pending[0].id).has_value());

  // Forwarded, chosen by businessStatus (no Task status says it): 9148 code 3.
  ASSERT_EQ(
      ChangeTask([](Value& t) {
        t.Set("businessStatus",
              Json(R"({"coding": [{"system": "urn:oid:2.16.578.1.12.4.1.1.9148", "code": "3"}]})"));
      }),
      200);
  pending = Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(ReadBack(pending[0].xml).parts.at(0).topic.v, "3");
  ASSERT_TRUE(outbox_->Acknowledge(pending[0].id).has_value());

  // A businessStatus code that does not exist is refused, and sends nothing.
  EXPECT_EQ(
      ChangeTask([](Value& t) {
        t.Set(
            "businessStatus",
            Json(
                R"({"coding": [{"system": "https://emeistring.no/fhir/CodeSystem/referral-status", "code": "nope"}]})"));
      }),
      422);
  EXPECT_TRUE(Pending().empty());

  // Every status message is a Communication about the referral, for the record.
  auto sent = Resources(Search("Communication?category=" + std::string(sys::kReferralStatus) + "|"),
                        "Communication");
  ASSERT_EQ(sent.size(), 3u);
  for (const Value& c : sent) {
    EXPECT_EQ(c.Find("about")->items()[0].GetString("reference"), sr_);
    EXPECT_EQ(c.Find("recipient")->items()[0].GetString("reference"), requester_);
  }
}

TEST_F(EhrOutbound, AcceptedAndTreatmentFinished) {
  ImportReferral();
  ASSERT_EQ(ChangeTask([](Value& t) { t.Set("status", Value::String("accepted")); }), 200);
  auto pending = Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(ReadBack(pending[0].xml).parts.at(0).topic.v, "2");  // rett til helsehjelp
  ASSERT_TRUE(outbox_->Acknowledge(pending[0].id).has_value());

  Value sr = Read(sr_);
  sr.Remove("meta");
  sr.Set("status", Value::String("completed"));
  ASSERT_EQ(fhir().Call("PUT", sr_, fhir::json::Write(sr)).status, 200);
  pending = Pending();
  ASSERT_EQ(pending.size(), 1u);
  Dialog finished = ReadBack(pending[0].xml);
  EXPECT_EQ(finished.head.type.v, "DIALOG_HELSEFAGLIG");
  EXPECT_EQ(finished.parts.at(0).subject, "Behandlingen er avsluttet");
}

TEST_F(EhrOutbound, AReferralWithoutKithOriginTellsNobody) {
  // A ServiceRequest typed in by hand (no MsgId), with a Task on it.
  auto org = fhir().Call("POST", "Organization", R"({"resourceType":"Organization","name":"GP",
    "identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.2","value":"1234567"}]})");
  ASSERT_EQ(org.status, 201);
  auto patient = fhir().Call("POST", "Patient", R"({"resourceType":"Patient",
    "identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"03899542184"}]})");
  ASSERT_EQ(patient.status, 201);
  Value sr = Json(R"({"resourceType":"ServiceRequest","status":"active","intent":"order"})");
  sr.Set("subject", Json(R"({"reference":"Patient/)" +
                         std::string(Json(patient.body).GetString("id")) + R"("})"));
  sr.Set("requester", Json(R"({"reference":"Organization/)" +
                           std::string(Json(org.body).GetString("id")) + R"("})"));
  auto s = fhir().Call("POST", "ServiceRequest", fhir::json::Write(sr));
  ASSERT_EQ(s.status, 201);
  Value task = Json(R"({"resourceType":"Task","status":"requested","intent":"order",
    "code":{"coding":[{"system":"https://emeistring.no/fhir/CodeSystem/task-code","code":"assess-referral"}]}})");
  task.Set("focus", Json(R"({"reference":"ServiceRequest/)" +
                         std::string(Json(s.body).GetString("id")) + R"("})"));
  auto t = fhir().Call("POST", "Task", fhir::json::Write(task));
  ASSERT_EQ(t.status, 201);
  Value updated = Json(t.body);
  updated.Remove("meta");
  updated.Set("status", Value::String("accepted"));
  EXPECT_EQ(
      fhir()
          .Call("PUT", "Task/" + std::string(updated.GetString("id")), fhir::json::Write(updated))
          .status,
      200);
  EXPECT_TRUE(Pending().empty());
}

// The GP answers our question: the answer's RefToParent is our MsgId, so the Communication it
// becomes is inResponseTo ours.
TEST_F(EhrOutbound, TheAnswerThreadsBackOntoOurMessage) {
  ImportReferral();
  auto r = fhir().Call("POST", "Communication", fhir::json::Write(Question()));
  ASSERT_EQ(r.status, 201) << r.body;
  std::string ours = "Communication/" + std::string(Json(r.body).GetString("id"));
  auto pending = Pending();
  ASSERT_EQ(pending.size(), 1u);

  EhrSettings gp;
  gp.self = {"Legesenteret Syntetisk", std::string(kGpOfficeHer), "", ""};
  gp.accepted_her_ids = {std::string(kGpOfficeHer)};
  OutboundDialog answer;
  answer.msg_id = "gp-answer-0001";
  answer.gen_date = "2026-12-04T10:00:00+01:00";
  answer.ref_to_parent = pending[0].msg_id;
  answer.ref_to_conversation = std::string(kReferralMsgId);
  answer.receiver.name = "eMeistring DPS (syntetisk)";
  answer.receiver.idents.push_back({"8142519", KithCode{"HER", "", "", ""}});
  Person kari;
  kari.family = "Syntetisk";
  kari.given = "Kari";
  kari.idents.push_back({"12848841054", KithCode{"FNR", "", "", ""}});
  answer.patient = kari;
  answer.topic = {"1", "", "", ""};
  answer.topic_list = "9069";
  answer.text = "Medisinliste: sertralin 50 mg.";
  InboundResult in = inbox_->Receive(WriteDialogmelding(answer, gp, *terms_));
  ASSERT_EQ(in.apprec_status, "1") << in.body;
  auto answers =
      Resources(Search("Communication?identifier=" + std::string(sys::kMsgId) + "|gp-answer-0001"));
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_NE(answers[0].Find("inResponseTo"), nullptr) << fhir::json::Write(answers[0]);
  EXPECT_EQ(answers[0].Find("inResponseTo")->items()[0].GetString("reference"), ours);
  // Received messages are never sent on: only the AppRec for the answer is new in the outbox.
  pending = Pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[1].msg_type, "APPREC");
}

}  // namespace
}  // namespace adapters::ehr
