// The EHR inbox end to end, in-process: every corpus message (tests/testdata/ehr) through the
// real schemas, code lists, FHIR REST layer and SQLite store; the AppRec each one gets, what
// lands in FHIR, idempotency (also concurrent) and receipts settling the outbox.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/ehr/apprec.h"
#include "adapters/ehr/bundle_builder.h"
#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/inbox.h"
#include "common/base64.h"
#include "common/url.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "gateway/app/in_process_fhir_port.h"
#include "gateway/rest/fhir_api.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/unit/ehr_test_support.h"

namespace adapters::ehr {
namespace {

using fhir::json::Value;

class EhrInbox : public EhrSuite<> {
 protected:
  void SetUp() override {
    fhir_ = std::make_unique<TestFhirStore>(
        TestFhirStore::Options{"inbox",
                               {{"Patient", "urn:oid:2.16.578.1.12.4.1.4.1"},
                                {"Patient", "urn:oid:2.16.578.1.12.4.1.4.2"},
                                {"Practitioner", "urn:oid:2.16.578.1.12.4.1.4.4"},
                                {"DocumentReference", std::string(sys::kMsgId)},
                                {"DocumentReference", std::string(sys::kMessageSha256)},
                                {"Task", std::string(sys::kOutboundMsgId)}},
                               {}},
        *terms_);
    ASSERT_TRUE(fhir_->ok());
    port_ = &fhir_->port();
    inbox_ = std::make_unique<Inbox>(ClinicSettings(), *schemas_, terms_, *port_);
  }
  void TearDown() override {
    inbox_.reset();
    fhir_.reset();
  }

  // Outbox entries for the messages the corpus's receipts answer (emeistring-out-0001..9).
  void SeedOutbox() {
    for (int i = 1; i <= 9; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "emeistring-out-%04d", i);
      Value t =
          *fhir::json::Parse(R"({"resourceType":"Task","status":"requested","intent":"order"})");
      t.Set("identifier", Value::Array()).Append(Identifier(sys::kOutboundMsgId, id));
      t.Set("code", CodeableConcept(sys::kTaskCode, "deliver-message", ""));
      ASSERT_EQ(port_->Call("POST", "Task", fhir::json::Write(t)).status, 201);
    }
  }

  Value Search(const std::string& query) {
    auto r = port_->Call("GET", query);
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    auto v = fhir::json::Parse(r.body);
    return v ? *v : Value::Object();
  }
  static std::vector<Value> Resources(const Value& bundle) {
    std::vector<Value> out;
    if (const Value* e = bundle.Find("entry")) {
      for (const Value& x : e->items()) {
        if (const Value* r = x.Find("resource")) out.push_back(*r);
      }
    }
    return out;
  }
  std::vector<Value> Find(const std::string& query) { return Resources(Search(query)); }

  static AppRec ParseAppRec(const std::string& xml) {
    xml::ParseError e;
    auto doc = xml::Document::Parse(xml, 1 << 20, &e);
    EXPECT_TRUE(doc.has_value()) << e.message;
    if (!doc) return {};
    auto violations = schemas_->Validate(*doc);
    for (const auto& v : violations) ADD_FAILURE() << "our AppRec: " << v.path << " " << v.message;
    auto a = ReadAppRec(*doc);
    EXPECT_TRUE(a.has_value());
    return a ? *a : AppRec{};
  }

  InboundResult ReceiveFile(const std::string& name) {
    return inbox_->Receive(ReadFile(kCorpus + "/" + name));
  }

  std::unique_ptr<TestFhirStore> fhir_;
  FhirPort* port_ = nullptr;
  std::unique_ptr<Inbox> inbox_;
};

std::string Str(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it == v.MemberEnd() || !it->value.IsString() ? std::string() : it->value.GetString();
}

TEST_F(EhrInbox, EveryCorpusMessageGetsTheAppRecTheManifestExpects) {
  SeedOutbox();
  rapidjson::Document manifest;
  manifest.Parse(ReadFile(kCorpus + "/manifest.json").c_str());
  ASSERT_FALSE(manifest.HasParseError());
  std::vector<const rapidjson::Value*> files;
  for (const auto& f : manifest["files"].GetArray()) files.push_back(&f);
  // Originals before the changes and cancellations that refer to them.
  std::stable_sort(files.begin(), files.end(), [](const auto* a, const auto* b) {
    return !(*a)["expect"].HasMember("matchesOriginal") &&
           (*b)["expect"].HasMember("matchesOriginal");
  });
  size_t checked = 0;
  for (const rapidjson::Value* f : files) {
    const std::string name = Str(*f, "file");
    SCOPED_TRACE(name);
    const rapidjson::Value& expect = (*f)["expect"];
    InboundResult r = ReceiveFile(name);
    ASSERT_EQ(r.http_status, 200) << r.body;
    if (expect["apprecStatus"].IsNull()) {
      // A receipt for one of ours: it settles the outbox entry and gets no receipt.
      EXPECT_TRUE(r.apprec_status.empty());
      const rapidjson::Value& received = expect["receivedApprec"];
      std::string original = Str(received, "originalMsgId");
      auto tasks = Find(
          "Task?identifier=" +
          common::PercentEncode(std::string(sys::kOutboundMsgId) + "|" + original, kQueryKeep));
      ASSERT_EQ(tasks.size(), 1u);
      std::string status = Str(received, "status");
      EXPECT_EQ(tasks[0].GetString("status"), status == "2" ? "failed" : "completed");
      auto follow =
          Find("Task?focus=" +
               common::PercentEncode("Task/" + std::string(tasks[0].GetString("id")), kQueryKeep));
      EXPECT_EQ(follow.size(), status == "1" ? 0u : 1u);
      ++checked;
      continue;
    }
    EXPECT_FALSE(r.duplicate);
    EXPECT_EQ(r.content_type.rfind("application/xml", 0), 0u);
    AppRec a = ParseAppRec(r.body);
    EXPECT_EQ(a.status, expect["apprecStatus"].GetString());
    EXPECT_EQ(r.apprec_status, a.status);
    std::set<std::string> expected_codes, codes;
    for (const auto& c : expect["errorCodes"].GetArray()) expected_codes.insert(c.GetString());
    for (const AppRecError& e : a.errors) {
      codes.insert(e.code);
      EXPECT_FALSE(e.display.empty()) << e.code;  // from the loaded 8221 list
      // OT names what failed and where, never the data (names, fødselsnumre).
      EXPECT_EQ(e.detail.find("Syntetisk"), std::string::npos) << e.detail;
      EXPECT_EQ(e.detail.find("21877248192"), std::string::npos) << e.detail;
    }
    EXPECT_EQ(codes, expected_codes);
    // What was tolerated, kind by kind, as the manifest says (and nothing else).
    std::set<std::string> expected_kinds, kinds;
    for (const auto& k : expect["deviations"].GetArray()) expected_kinds.insert(k.GetString());
    for (const Deviation& d : r.deviations) kinds.insert(d.kind);
    EXPECT_EQ(kinds, expected_kinds);
    // Who we are and whom we answer.
    EXPECT_EQ(a.sender.her_id, "8142519");
    // (Attacks are refused before any of their content is read, their MsgId included.)
    if (!(*f)["msgId"].IsNull() && (*f)["wellFormed"].GetBool() && name.rfind("attacks/", 0) != 0) {
      EXPECT_EQ(a.original_id, (*f)["msgId"].GetString());
      EXPECT_EQ(a.original_type, Str(*f, "msgType"));
    }
    if (a.receiver.her_id == "7654321") {
      EXPECT_EQ(a.version, "1.0");  // per-partner AppRec version
    }
    // Recorded: the original bytes and the queued receipt.
    EXPECT_EQ(r.record.rfind("DocumentReference/", 0), 0u) << r.record;
    EXPECT_EQ(r.outbox_entry.rfind("Task/", 0), 0u) << r.outbox_entry;
    ++checked;
  }
  EXPECT_EQ(checked, files.size());

  // What the accepted messages became.
  EXPECT_GE(Find("ServiceRequest?_count=100").size(), 7u);
  EXPECT_GE(Find("Communication?_count=100").size(), 5u);
  EXPECT_GE(Find("CommunicationRequest?_count=100").size(), 2u);
  // One Patient per fødselsnummer, however many messages named her.
  EXPECT_EQ(Find("Patient?identifier=" +
                 common::PercentEncode("urn:oid:2.16.578.1.12.4.1.4.1|12848841054", kQueryKeep))
                .size(),
            1u);
  // Nothing of a rejected message beyond its record: no Patient for the invalid fødselsnummer.
  EXPECT_TRUE(Find("Patient?identifier=" +
                   common::PercentEncode("urn:oid:2.16.578.1.12.4.1.4.1|21877248192", kQueryKeep))
                  .empty());
}

TEST_F(EhrInbox, AReferralBecomesACompleteFhirRecord) {
  const std::string name = "henvisning-1.1/valid-depression-p76.xml";
  const std::string bytes = ReadFile(kCorpus + "/" + name);
  InboundResult r = inbox_->Receive(bytes);
  ASSERT_EQ(r.http_status, 200) << r.body;
  EXPECT_EQ(r.apprec_status, "1");
  const std::string msg_id = "630b687c-b6d8-52b1-b965-521051053457";
  auto srs = Find("ServiceRequest?identifier=" +
                  common::PercentEncode(std::string(sys::kMsgId) + "|" + msg_id, kQueryKeep));
  ASSERT_EQ(srs.size(), 1u);
  const Value& sr = srs[0];
  EXPECT_EQ(sr.GetString("status"), "active");
  EXPECT_EQ(sr.GetString("intent"), "order");
  EXPECT_EQ(sr.GetString("priority"), "routine");  // 8304 "14" via the ConceptMap
  EXPECT_EQ(sr.GetString("authoredOn"), "2026-03-02T09:14:00+01:00");
  ASSERT_NE(sr.Find("requester"), nullptr);
  EXPECT_EQ(sr.Find("requester")->GetString("reference").rfind("PractitionerRole/", 0), 0u);
  ASSERT_NE(sr.Find("reasonReference"), nullptr);
  ASSERT_NE(sr.Find("supportingInfo"), nullptr);
  EXPECT_EQ(sr.Find("supportingInfo")->items().size(), 3u);  // PROB, UTRED, FA
  // The diagnosis, in ICPC-2.
  auto conditions = Find("Condition?code=" +
                         common::PercentEncode("urn:oid:2.16.578.1.12.4.1.1.7170|P76", kQueryKeep));
  ASSERT_EQ(conditions.size(), 1u);
  // The patient, found by fødselsnummer, with what the referral says.
  auto patients =
      Find("Patient?identifier=" +
           common::PercentEncode("urn:oid:2.16.578.1.12.4.1.4.1|12848841054", kQueryKeep));
  ASSERT_EQ(patients.size(), 1u);
  EXPECT_EQ(patients[0].GetString("gender"), "female");
  EXPECT_EQ(patients[0].GetString("birthDate"), "1988-04-12");
  EXPECT_EQ(patients[0].Find("name")->items()[0].GetString("family"), "Syntetisk");
  // The GP, by HPR, and the office, by HER-id.
  EXPECT_EQ(Find("Practitioner?identifier=" +
                 common::PercentEncode("urn:oid:2.16.578.1.12.4.1.4.4|9144900", kQueryKeep))
                .size(),
            1u);
  EXPECT_EQ(Find("Organization?identifier=" +
                 common::PercentEncode("urn:oid:2.16.578.1.12.4.1.2|1234567", kQueryKeep))
                .size(),
            1u);
  // The receiving unit's work item.
  auto tasks =
      Find("Task?code=" +
           common::PercentEncode(std::string(sys::kTaskCode) + "|assess-referral", kQueryKeep));
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].GetString("status"), "requested");
  // The original, byte for byte, with its hash, and the Provenance that links it.
  auto records = Find("DocumentReference?identifier=" +
                      common::PercentEncode(std::string(sys::kMsgId) + "|" + msg_id, kQueryKeep));
  ASSERT_EQ(records.size(), 1u);
  const Value& att = *records[0].Find("content")->items()[0].Find("attachment");
  std::string url(att.GetString("url"));
  ASSERT_EQ(url.rfind("Binary/", 0), 0u) << url;  // the transaction resolved the urn:uuid
  auto binary = port_->Call("GET", url);
  ASSERT_EQ(binary.status, 200);
  auto bin = fhir::json::Parse(binary.body);
  ASSERT_TRUE(bin.has_value());
  EXPECT_EQ(*common::Base64Decode(bin->GetString("data")), bytes);
  EXPECT_FALSE(std::string(att.GetString("hash")).empty());
  auto provenance =
      Find("Provenance?entity=" +
           common::PercentEncode("DocumentReference/" + std::string(records[0].GetString("id")),
                                 kQueryKeep));
  EXPECT_EQ(provenance.size(), 1u);
  // The AppRec waits in the outbox.
  auto outbox = port_->Call("GET", r.outbox_entry);
  ASSERT_EQ(outbox.status, 200);
  EXPECT_NE(outbox.body.find("deliver-message"), std::string::npos);
}

TEST_F(EhrInbox, TheSameMessageAgainGetsTheSameAppRecAndImportsNothing) {
  const std::string bytes = ReadFile(kCorpus + "/henvisning-1.1/valid-social-anxiety-f40-1.xml");
  InboundResult first = inbox_->Receive(bytes);
  ASSERT_EQ(first.http_status, 200) << first.body;
  InboundResult again = inbox_->Receive(bytes);
  ASSERT_EQ(again.http_status, 200) << again.body;
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.record, first.record);
  EXPECT_EQ(Find("ServiceRequest").size(), 1u);
  // A rejected one too.
  const std::string bad = ReadFile(kCorpus + "/reject/e31-invalid-fnr-check-digit.xml");
  InboundResult refused = inbox_->Receive(bad);
  InboundResult refused_again = inbox_->Receive(bad);
  EXPECT_EQ(refused.apprec_status, "2");
  EXPECT_TRUE(refused_again.duplicate);
  EXPECT_EQ(refused_again.body, refused.body);
}

TEST_F(EhrInbox, ConcurrentCopiesImportOnce) {
  const std::string bytes = ReadFile(kCorpus + "/henvisning-1.1/valid-dnummer-patient.xml");
  constexpr int kThreads = 8;
  std::vector<InboundResult> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { results[i] = inbox_->Receive(bytes); });
  }
  for (auto& t : threads) t.join();
  int fresh = 0;
  for (const InboundResult& r : results) {
    ASSERT_EQ(r.http_status, 200) << r.body;
    EXPECT_EQ(r.body, results[0].body);  // one AppRec, given to every copy
    if (!r.duplicate) ++fresh;
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(Find("ServiceRequest").size(), 1u);
  EXPECT_EQ(Find("Patient").size(), 1u);
  EXPECT_EQ(Find("Task?code=" + common::PercentEncode(
                                    std::string(sys::kTaskCode) + "|deliver-message", kQueryKeep))
                .size(),
            1u);
}

TEST_F(EhrInbox, ChangeAndCancellationActOnTheOriginal) {
  ASSERT_EQ(ReceiveFile("henvisning-1.1/valid-depression-p76.xml").apprec_status, "1");
  ASSERT_EQ(ReceiveFile("henvisning-1.1/valid-change-servtype-m.xml").apprec_status, "1");
  auto srs = Find("ServiceRequest");
  ASSERT_EQ(srs.size(), 1u);
  EXPECT_EQ(srs[0].Find("meta")->GetString("versionId"), "2");
  EXPECT_EQ(
      Find("Task?code=" + common::PercentEncode(
                              std::string(sys::kTaskCode) + "|review-referral-change", kQueryKeep))
          .size(),
      1u);
  ASSERT_EQ(ReceiveFile("henvisning-1.1/valid-cancel-servtype-c.xml").apprec_status, "1");
  srs = Find("ServiceRequest");
  ASSERT_EQ(srs.size(), 1u);
  EXPECT_EQ(srs[0].GetString("status"), "revoked");
}

TEST_F(EhrInbox, AChangeWithoutItsOriginalGoesToManualHandling) {
  ASSERT_EQ(ReceiveFile("henvisning-1.1/valid-change-servtype-m.xml").apprec_status, "1");
  EXPECT_EQ(Find("Task?code=" +
                 common::PercentEncode(std::string(sys::kTaskCode) + "|manual-referral-handling",
                                       kQueryKeep))
                .size(),
            1u);
}

TEST_F(EhrInbox, Latin1TextArrivesIntactAndThreadsLink) {
  ASSERT_EQ(ReceiveFile("henvisning-1.1/valid-depression-p76.xml").apprec_status, "1");
  ASSERT_EQ(ReceiveFile("dialogmelding-1.1/valid-helsefaglig-notat-7322-6.xml").apprec_status, "1");
  ASSERT_EQ(ReceiveFile("quirks/dialogmelding-1.1-iso-8859-1.xml").apprec_status, "1");
  auto comms = Find("Communication");
  ASSERT_GE(comms.size(), 2u);
  bool linked = false, latin = false;
  for (const Value& c : comms) {
    std::string body = fhir::json::Write(c);
    if (c.Find("about") != nullptr) linked = true;  // to the referral the thread started with
    if (body.find("\xc3\xb8") != std::string::npos) latin = true;  // "ø" as UTF-8
  }
  EXPECT_TRUE(linked);
  EXPECT_TRUE(latin);
}

// Found by fuzzing: a GenDate refused by the schema (T02) was copied into the AppRec's
// OriginalMsgId/IssueDate, whose first 19 characters looked right, so our receipt was
// schema-invalid too. Whatever the schema makes of these, our AppRec validates.
TEST_F(EhrInbox, AnInvalidGenDateIsNotCopiedIntoTheAppRec) {
  const std::string original =
      ReadFile(kCorpus + "/dialogmelding-1.1/valid-helsefaglig-notat-7322-6.xml");
  const size_t start = original.find("<GenDate>") + 9;
  const size_t end = original.find("</GenDate>");
  ASSERT_LT(start, end);
  int n = 0;
  for (const char* bad :
       {"2026-03-13T10:02:00+01:0", "2026-02-30T10:02:00", "2026-13-01T10:02:00",
        "2026-03-13T10:02:00.Z", "2026-03-13T10:02:00+15:00", "0000-03-13T10:02:00"}) {
    std::string bytes = original;
    bytes.replace(start, end - start, bad);
    // A MsgId of its own, so each is a new message rather than a duplicate.
    const size_t id = bytes.find("<MsgId>") + 7;
    bytes.replace(id, 4, "ff0" + std::to_string(n++));
    InboundResult r = inbox_->Receive(bytes);
    ASSERT_EQ(r.http_status, 200) << bad;
    AppRec a = ParseAppRec(r.body);  // fails the test when our AppRec is schema-invalid
    if (n == 1) {
      EXPECT_EQ(a.status, "2");  // the fuzzer's case: the schema refuses it (T02)
    }
    if (a.status == "2") {
      EXPECT_NE(a.original_issue_date, bad);
    }
  }
}

TEST_F(EhrInbox, AnOversizedMessageIsRefusedWithT01) {
  EhrSettings s = ClinicSettings();
  s.max_message_bytes = 1 << 20;
  Inbox small(s, *schemas_, terms_, *port_);
  std::string big = ReadFile(kCorpus + "/dialogmelding-1.1/valid-helsefaglig-notat-7322-6.xml");
  big.insert(big.find("</MsgHead>"), std::string(20 << 20, ' '));
  InboundResult r = small.Receive(big, {"1234567", "transport-msg-1"});
  ASSERT_EQ(r.http_status, 200);
  AppRec a = ParseAppRec(r.body);
  EXPECT_EQ(a.status, "2");
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code, "T01");
  EXPECT_EQ(a.receiver.her_id, "1234567");  // from the transport's hint
  EXPECT_EQ(a.original_id, "transport-msg-1");
}

}  // namespace
}  // namespace adapters::ehr
