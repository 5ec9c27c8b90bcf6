// FHIR -> KITH: a Communication becomes a Dialogmelding 1.1 in MsgHead 1.2 that the official
// XSDs accept, and the round trip Communication -> Dialogmelding -> (a second gateway, acting
// as the GP's EPJ) -> Communication loses nothing: text, subject line, patient, sender,
// receiver, topic, thread and attachments (byte for byte).

#include <gtest/gtest.h>

#include <filesystem>

#include "adapters/ehr/dialogmelding.h"
#include "adapters/ehr/envelope.h"
#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/inbox.h"
#include "adapters/ehr/to_kith.h"
#include "adapters/ehr/xml/document.h"
#include "common/base64.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "gateway/app/in_process_fhir_port.h"
#include "gateway/rest/fhir_api.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/unit/ehr_test_support.h"

namespace adapters::ehr {
namespace {

using fhir::json::Value;

constexpr std::string_view kFnrKari = "12848841054";  // synthetic (month + 80)
constexpr std::string_view kGpHer = "7654321";
constexpr std::string_view kGpUnitHer = "7654322";

EhrSettings GpOffice() {
  EhrSettings s;
  s.self = {"Legekontoret Syntetisk", std::string(kGpHer), "Fastlege Hansen",
            std::string(kGpUnitHer)};
  s.accepted_her_ids = {std::string(kGpHer), std::string(kGpUnitHer)};
  return s;
}

Value Json(std::string_view text) {
  auto v = fhir::json::Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : Value::Object();
}

// A therapist's note to the referring GP, everything it references contained.
Value NoteToGp() {
  return Json(R"({
    "resourceType": "Communication",
    "contained": [
      {"resourceType": "Patient", "id": "pat",
       "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "12848841054"}],
       "name": [{"family": "Syntetisk", "given": ["Kari"]}]},
      {"resourceType": "Organization", "id": "gp",
       "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.2", "value": "7654321"}],
       "name": "Legekontoret Syntetisk"},
      {"resourceType": "Organization", "id": "gpunit", "partOf": {"reference": "#gp"},
       "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.2", "value": "7654322"}],
       "name": "Fastlege Hansen"},
      {"resourceType": "Practitioner", "id": "gpdoc",
       "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.4", "value": "9144889"}],
       "name": [{"family": "Hansen", "given": ["Hanne"]}]},
      {"resourceType": "PractitionerRole", "id": "gprole", "practitioner": {"reference": "#gpdoc"},
       "organization": {"reference": "#gpunit"}},
      {"resourceType": "Practitioner", "id": "therapist",
       "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.4", "value": "9876543"}],
       "name": [{"family": "Terapeut", "given": ["Tone"]}]}
    ],
    "status": "completed",
    "subject": {"reference": "#pat"},
    "recipient": [{"reference": "#gprole"}],
    "sender": {"reference": "#therapist"},
    "topic": {"text": "Oppstart av internettbehandling"},
    "payload": [
      {"contentString": "Pasienten har startet behandling for sosial angst.\nUke 1 av 14 er fullført; tilbakemelding gis skriftlig. Æ Ø Å <&>"},
      {"contentAttachment": {"contentType": "application/pdf", "title": "Behandlingsplan",
                             "data": "JVBERi0xLjQKJcfsj6IKc3ludGV0aXNr"}}
    ]
  })");
}

class ToKith : public EhrSuite<> {
 protected:
  common::StatusOr<OutboundMessage> Convert(const Value& c, const Value* bundle = nullptr) {
    return CommunicationToKith(c, LocalResolver(c, bundle), *terms_, ClinicSettings(), *schemas_);
  }

  // The XML read back the way the inbox reads it.
  Dialog ReadBack(const std::string& xml) {
    xml::ParseError error;
    auto doc = xml::Document::Parse(xml, xml.size() + 1, &error);
    EXPECT_TRUE(doc.has_value()) << error.message;
    if (!doc) return {};
    docs_.push_back(std::make_unique<xml::Document>(std::move(*doc)));
    Envelope e = DetectEnvelope(*docs_.back());
    EXPECT_EQ(e.kind, MessageKind::kDialogmelding);
    return ReadDialog(e);
  }

  std::vector<std::unique_ptr<xml::Document>> docs_;
};

TEST_F(ToKith, NoteBecomesSchemaValidDialogmeldingAddressedToTheGpsUnit) {
  auto m = Convert(NoteToGp());
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_NE(m->xml.find("http://www.kith.no/xmlstds/dialog/2013-01-23"), std::string::npos);
  Dialog d = ReadBack(m->xml);
  EXPECT_EQ(d.version, "1.1");
  EXPECT_EQ(d.head.type.v, "DIALOG_HELSEFAGLIG");
  EXPECT_EQ(d.head.msg_id, m->dialog.msg_id);
  EXPECT_EQ(IdentOfType(d.head.sender.idents, "HER"), "8142519");
  ASSERT_EQ(d.head.sender.units.size(), 1u);
  EXPECT_EQ(IdentOfType(d.head.sender.units[0].idents, "HER"), "8142520");
  EXPECT_EQ(IdentOfType(d.head.receiver.idents, "HER"), kGpHer);
  ASSERT_EQ(d.head.receiver.units.size(), 1u);
  EXPECT_EQ(IdentOfType(d.head.receiver.units[0].idents, "HER"), kGpUnitHer);
  ASSERT_EQ(d.head.receiver.units[0].professionals.size(), 1u);
  EXPECT_EQ(IdentOfType(d.head.receiver.units[0].professionals[0].person.idents, "HPR"), "9144889");
  ASSERT_TRUE(d.head.patient.has_value());
  EXPECT_EQ(IdentOfType(d.head.patient->idents, "FNR"), kFnrKari);
  EXPECT_EQ(d.head.patient->family, "Syntetisk");
  ASSERT_EQ(d.parts.size(), 1u);
  EXPECT_FALSE(d.parts[0].question);
  EXPECT_EQ(d.parts[0].topic.v, "6");  // 7322 Henvendelse om pasient
  EXPECT_EQ(d.parts[0].subject, "Oppstart av internettbehandling");
  EXPECT_EQ(d.parts[0].text,
            "Pasienten har startet behandling for sosial angst.\nUke 1 av 14 er fullført; "
            "tilbakemelding gis skriftlig. Æ Ø Å <&>");
  ASSERT_EQ(d.parts[0].authors.size(), 1u);
  EXPECT_EQ(IdentOfType(d.parts[0].authors[0].person.idents, "HPR"), "9876543");
  ASSERT_EQ(d.attachments.size(), 1u);
  EXPECT_EQ(d.attachments[0].mime_type, "application/pdf");
  EXPECT_EQ(common::Base64Decode(d.attachments[0].base64).value_or(""),
            common::Base64Decode("JVBERi0xLjQKJcfsj6IKc3ludGV0aXNr").value_or("x"));
  EXPECT_TRUE(d.head.ref_to_parent.empty());
}

TEST_F(ToKith, AnswerThreadsOnTheMessageAnsweredAndUsesTopicList9069) {
  Value c = NoteToGp();
  Value question = Json(R"({"resourceType": "Communication", "id": "q", "status": "completed"})");
  question.Set("identifier", Value::Array())
      .Append(*fhir::json::Parse(std::string(R"({"system":")") + std::string(sys::kMsgId) +
                                 R"(","value":"GP-MSG-77"})"));
  question.Find("identifier")
      ->Append(*fhir::json::Parse(std::string(R"({"system":")") + std::string(sys::kConversation) +
                                  R"(","value":"GP-CONV-1"})"));
  c.Find("contained")->Append(question);
  c.Set("inResponseTo", Value::Array()).Append(Json(R"({"reference": "#q"})"));
  auto m = Convert(c);
  ASSERT_TRUE(m.has_value()) << m.error().message();
  Dialog d = ReadBack(m->xml);
  EXPECT_EQ(d.head.ref_to_parent, "GP-MSG-77");
  EXPECT_EQ(d.head.ref_to_conversation, "GP-CONV-1");
  ASSERT_EQ(d.parts.size(), 1u);
  EXPECT_EQ(d.parts[0].topic.v, "5");  // 9069 Svar på forespørsel
  EXPECT_NE(m->xml.find("2.16.578.1.12.4.1.1.9069"), std::string::npos);
}

TEST_F(ToKith, MessageAboutAKithReferralContinuesItsConversation) {
  Value c = NoteToGp();
  Value sr = Json(
      R"({"resourceType": "ServiceRequest", "id": "ref", "status": "active", "intent": "order"})");
  sr.Set("identifier", Value::Array())
      .Append(*fhir::json::Parse(std::string(R"({"system":")") + std::string(sys::kMsgId) +
                                 R"(","value":"HENV-2026-1"})"));
  c.Find("contained")->Append(sr);
  c.Set("about", Value::Array()).Append(Json(R"({"reference": "#ref"})"));
  auto m = Convert(c);
  ASSERT_TRUE(m.has_value()) << m.error().message();
  Dialog d = ReadBack(m->xml);
  EXPECT_EQ(d.head.ref_to_parent, "HENV-2026-1");
  EXPECT_EQ(d.head.ref_to_conversation, "HENV-2026-1");
  EXPECT_EQ(d.parts.at(0).topic.v, "6");  // not an answer: still 7322
}

TEST_F(ToKith, ReferralStatusCategoryMakesAStatusMessageWith9148) {
  Value c = NoteToGp();
  c.Set("category", Value::Array())
      .Append(Json(R"({"coding": [{"system": "urn:oid:2.16.578.1.12.4.1.1.9148", "code": "4"}]})"));
  auto m = Convert(c);
  ASSERT_TRUE(m.has_value()) << m.error().message();
  Dialog d = ReadBack(m->xml);
  EXPECT_EQ(d.head.type.v, "DIALOG_STATUS_HENVISNING");
  EXPECT_EQ(d.parts.at(0).topic.v, "4");
  EXPECT_NE(m->xml.find("Henvisningen er avvist"), std::string::npos);  // DN from the code list
}

TEST_F(ToKith, ResolvesThroughABundleAsWell) {
  Value bundle = Json(R"({"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "urn:uuid:8d1c3f70-0000-4000-8000-000000000001",
     "resource": {"resourceType": "Organization", "id": "o1",
                  "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.2", "value": "7654321"}],
                  "name": "Legekontoret Syntetisk"}},
    {"resource": {"resourceType": "Patient", "id": "p1",
                  "identifier": [{"system": "urn:oid:2.16.578.1.12.4.1.4.2", "value": "48829047872"}],
                  "name": [{"family": "Syntetisk", "given": ["Marta"]}]}}]})");
  Value c = Json(R"({"resourceType": "Communication", "status": "completed",
    "subject": {"reference": "http://fhir.example/Patient/p1"},
    "recipient": [{"reference": "urn:uuid:8d1c3f70-0000-4000-8000-000000000001"}],
    "payload": [{"contentString": "Kort notat."}]})");
  auto m = Convert(c, &bundle);
  ASSERT_TRUE(m.has_value()) << m.error().message();
  Dialog d = ReadBack(m->xml);
  EXPECT_EQ(IdentOfType(d.head.receiver.idents, "HER"), kGpHer);
  ASSERT_TRUE(d.head.patient.has_value());
  EXPECT_EQ(IdentOfType(d.head.patient->idents, "DNR"), "48829047872");
  EXPECT_TRUE(d.parts.at(0).authors.empty());
}

TEST_F(ToKith, RefusesWhatCannotBeAddressedOrSent) {
  struct Case {
    const char* what;
    std::function<void(Value&)> change;
    const char* error_names;
  };
  std::vector<Case> cases = {
      {"no recipient", [](Value& c) { c.Remove("recipient"); }, "Communication.recipient"},
      {"recipient is us",
       [](Value& c) {
         c.Find("contained")->Append(*fhir::json::Parse(R"({"resourceType":"Organization","id":"us",
           "identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.2","value":"8142520"}]})"));
         c.Set("recipient", Value::Array()).Append(*fhir::json::Parse(R"({"reference":"#us"})"));
       },
       "Communication.recipient"},
      {"recipient is the patient",
       [](Value& c) {
         c.Set("recipient", Value::Array()).Append(*fhir::json::Parse(R"({"reference":"#pat"})"));
       },
       "Communication.recipient"},
      {"patient without national id",
       [](Value& c) { c.Find("contained")->items()[0].Remove("identifier"); }, "fødselsnummer"},
      {"subject unresolvable",
       [](Value& c) { c.Set("subject", *fhir::json::Parse(R"({"reference":"Patient/nowhere"})")); },
       "Communication.subject"},
      {"no payload", [](Value& c) { c.Remove("payload"); }, "Communication.payload"},
      {"attachment without data",
       [](Value& c) {
         c.Set("payload", Value::Array())
             .Append(
                 *fhir::json::Parse(R"({"contentAttachment":{"contentType":"application/pdf"}})"));
       },
       "contentAttachment"},
      {"not a Communication", [](Value& c) { c.Set("resourceType", Value::String("Task")); },
       "not a Communication"},
  };
  for (const Case& k : cases) {
    Value c = NoteToGp();
    k.change(c);
    auto m = Convert(c);
    ASSERT_FALSE(m.has_value()) << k.what;
    EXPECT_EQ(m.error().code(), common::Code::kInvalidArgument) << k.what;
    EXPECT_NE(m.error().message().find(k.error_names), std::string::npos)
        << k.what << ": " << m.error().message();
  }
}

TEST_F(ToKith, AddressedToEhrOnlyForExternalHerIds) {
  Value c = NoteToGp();
  EXPECT_TRUE(AddressedToEhr(c, LocalResolver(c, nullptr), *terms_, ClinicSettings()));
  // The GP's own gateway sees the same Communication as addressed to itself: not outbound.
  EXPECT_FALSE(AddressedToEhr(c, LocalResolver(c, nullptr), *terms_, GpOffice()));
  c.Set("recipient", Value::Array()).Append(Json(R"({"reference": "#pat"})"));
  EXPECT_FALSE(AddressedToEhr(c, LocalResolver(c, nullptr), *terms_, ClinicSettings()));
}

// Communication -> Dialogmelding -> the GP side's inbox (a second, independent store) ->
// Communication: what a therapist wrote arrives complete.
TEST_F(ToKith, RoundTripThroughASecondGatewayLosesNothing) {
  TestFhirStore gp_store(
      TestFhirStore::Options{"tokith", RequiredUniqueIdentifiers(), {}, "http://gp.test"}, *terms_);
  ASSERT_TRUE(gp_store.ok());
  FhirPort& port = gp_store.port();
  Inbox gp(GpOffice(), *schemas_, terms_, port);

  Value sent = NoteToGp();
  auto m = Convert(sent);
  ASSERT_TRUE(m.has_value()) << m.error().message();
  InboundResult r = gp.Receive(m->xml);
  ASSERT_EQ(r.apprec_status, "1") << r.body;

  auto found = port.Call(
      "GET", "Communication?identifier=" + std::string(sys::kMsgId) + "|" + m->dialog.msg_id +
                 "&_include=Communication:subject&_include=Communication:sender");
  ASSERT_EQ(found.status, 200) << found.body;
  Value bundle = Json(found.body);
  const Value* comm = nullptr;
  const Value* patient = nullptr;
  for (const Value& e : bundle.Find("entry")->items()) {
    const Value* res = e.Find("resource");
    if (res->GetString("resourceType") == "Communication") comm = res;
    if (res->GetString("resourceType") == "Patient") patient = res;
  }
  ASSERT_NE(comm, nullptr) << found.body;
  ASSERT_NE(patient, nullptr) << found.body;
  EXPECT_EQ(comm->GetString("status"), "completed");
  EXPECT_EQ(comm->Find("topic")->GetString("text"), "Oppstart av internettbehandling");
  const Value& payloads = *comm->Find("payload");
  ASSERT_EQ(payloads.items().size(), 2u) << fhir::json::Write(*comm);
  EXPECT_EQ(payloads.items()[0].GetString("contentString"),
            sent.Find("payload")->items()[0].GetString("contentString"));
  // The attachment: a DocumentReference whose Binary holds the same bytes.
  std::string doc_ref(payloads.items()[1].Find("contentReference")->GetString("reference"));
  auto doc = port.Call("GET", doc_ref);
  ASSERT_EQ(doc.status, 200);
  Value dr = Json(doc.body);
  const Value* att = dr.Find("content")->items()[0].Find("attachment");
  EXPECT_EQ(att->GetString("contentType"), "application/pdf");
  std::string data(att->GetString("data"));
  if (data.empty()) {
    auto bin = port.Call("GET", std::string(att->GetString("url")));
    ASSERT_EQ(bin.status, 200) << att->GetString("url");
    data = std::string(Json(bin.body).GetString("data"));
  }
  EXPECT_EQ(common::Base64Decode(data).value_or(""),
            common::Base64Decode("JVBERi0xLjQKJcfsj6IKc3ludGV0aXNr").value_or("x"));
  // Patient: the same fødselsnummer and name.
  bool fnr = false;
  for (const Value& i : patient->Find("identifier")->items()) {
    fnr = fnr || i.GetString("value") == kFnrKari;
  }
  EXPECT_TRUE(fnr) << fhir::json::Write(*patient);
  EXPECT_EQ(patient->Find("name")->items()[0].GetString("family"), "Syntetisk");
  // Topic 7322-6 as the category.
  EXPECT_NE(fhir::json::Write(*comm->Find("category")).find("\"6\""), std::string::npos);
  // The sender: the therapist (HPR) at our unit.
  EXPECT_FALSE(comm->Find("sender")->GetString("reference").empty());
}

}  // namespace
}  // namespace adapters::ehr
