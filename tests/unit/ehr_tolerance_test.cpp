// The inbox's validation policies and what it tolerates (adapters/ehr/quirks.h, ADR 0010), end
// to end in-process on the real schemas, code lists, FHIR REST layer and SQLite store: the
// same message under the tolerant and the strict policy, the deviations on the stored record,
// permanent message problems that must end in an AppRec (never a 5xx the message service would
// retry for ever), and size limits that agree from the message to the FHIR transaction.

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <string>

#include "adapters/api/transaction_recorder.h"
#include "adapters/ehr/apprec.h"
#include "adapters/ehr/bundle_builder.h"
#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/inbox.h"
#include "common/base64.h"
#include "common/url.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "tests/unit/ehr_test_support.h"

namespace adapters::ehr {
namespace {

using fhir::json::Value;

// Counts the lookups of a message's earlier record (the idempotency check).
class CountingPort final : public FhirPort {
 public:
  explicit CountingPort(FhirPort& inner) : inner_(inner) {}
  FhirResponse Call(std::string_view method, std::string_view path_and_query, std::string_view body,
                    const std::vector<std::pair<std::string, std::string>>& headers) override {
    if (method == "GET" && path_and_query.rfind("DocumentReference?identifier=", 0) == 0) {
      ++record_lookups;
    }
    return inner_.Call(method, path_and_query, body, headers);
  }
  std::atomic<int> record_lookups{0};

 private:
  FhirPort& inner_;
};

class EhrTolerance : public EhrSuite<> {
 protected:
  void SetUp() override { Open(64 << 20); }
  void TearDown() override { fhir_.reset(); }

  void Open(size_t max_body_bytes) {
    fhir_.reset();
    TestFhirStore::Options o{"tolerance", RequiredUniqueIdentifiers(), {}};
    o.max_body_bytes = max_body_bytes;
    fhir_ = std::make_unique<TestFhirStore>(o, *terms_);
    ASSERT_TRUE(fhir_->ok());
  }

  InboundResult Receive(const std::string& bytes, const EhrSettings& settings = ClinicSettings(),
                        const ReceiveHints& hints = {}) {
    Inbox inbox(settings, *schemas_, terms_, fhir_->port());
    return inbox.Receive(bytes, hints);
  }

  static EhrSettings Strict() {
    EhrSettings s = ClinicSettings();
    s.default_validation_policy = ValidationPolicy::kStrict;
    return s;
  }

  static AppRec ParseAppRec(const InboundResult& r) {
    xml::ParseError e;
    auto doc = xml::Document::Parse(r.body, 1 << 20, &e);
    EXPECT_TRUE(doc.has_value()) << r.body.substr(0, 300);
    if (!doc) return {};
    auto a = ReadAppRec(*doc);
    EXPECT_TRUE(a.has_value());
    return a ? *a : AppRec{};
  }

  Value Get(const std::string& path) {
    FhirResponse r = fhir_->port().Call("GET", path);
    EXPECT_EQ(r.status, 200) << path << " " << r.body.substr(0, 300);
    auto v = fhir::json::Parse(r.body);
    return v ? *v : Value::Object();
  }
  std::vector<Value> Search(const std::string& query) {
    std::vector<Value> out;
    Value bundle = Get(query);
    if (const Value* e = bundle.Find("entry")) {
      for (const Value& x : e->items()) {
        if (const Value* r = x.Find("resource")) out.push_back(*r);
      }
    }
    return out;
  }

  static std::string Corpus(const std::string& name) { return ReadFile(kCorpus + "/" + name); }

  std::unique_ptr<TestFhirStore> fhir_;
};

std::set<std::string> Kinds(const InboundResult& r) {
  std::set<std::string> kinds;
  for (const Deviation& d : r.deviations) kinds.insert(d.kind);
  return kinds;
}

// ---------------------------------------------------------------------------------------------
// The policy

TEST_F(EhrTolerance, StrictKeepsTheBehaviourFromBeforePoliciesAndTolerantReadsTheSameMessages) {
  struct Case {
    std::string file;
    std::string strict_code;  // the refusal under strict
    std::string kind;         // what tolerant records instead
  };
  const Case cases[] = {
      {"quirks/msginfo-ack-after-conversationref.xml", "T02", "element-order"},
      {"quirks/nested-msghead.xml", "T10", "nested-msghead"},
      {"quirks/foreign-document-eresept-m1.xml", "T02", "foreign-document"},
      {"quirks/datetime-in-date-field.xml", "T02", "datetime-in-date-field"},
      {"quirks/blank-code-system.xml", "T02", "blank-code-system"},
      {"quirks/henvisning-2.0-2014-namespace.xml", "T10", "henvisning-2014-namespace"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    Open(64 << 20);
    InboundResult strict = Receive(Corpus(c.file), Strict());
    ASSERT_EQ(strict.http_status, 200) << strict.body;
    AppRec refused = ParseAppRec(strict);
    EXPECT_EQ(refused.status, "2");
    ASSERT_EQ(refused.errors.size(), 1u);
    EXPECT_EQ(refused.errors[0].code, c.strict_code) << refused.errors[0].detail;
    EXPECT_FALSE(Kinds(strict).contains(c.kind));
    Open(64 << 20);
    InboundResult tolerant = Receive(Corpus(c.file));
    ASSERT_EQ(tolerant.http_status, 200) << tolerant.body;
    EXPECT_EQ(tolerant.apprec_status, "1") << tolerant.body;
    EXPECT_EQ(Kinds(tolerant), std::set<std::string>{c.kind});
  }
  // The strict refusal of the pre-2017 Henvisning namespace says what to send instead.
  Open(64 << 20);
  AppRec old_ns =
      ParseAppRec(Receive(Corpus("quirks/henvisning-2.0-2014-namespace.xml"), Strict()));
  ASSERT_EQ(old_ns.errors.size(), 1u);
  EXPECT_NE(old_ns.errors[0].detail.find("http://ehelse.no/xmlstds/henvisning/2017-11-30"),
            std::string::npos)
      << old_ns.errors[0].detail;
  // The quirks tolerated before policies existed are tolerated (and recorded) under strict too.
  Open(64 << 20);
  InboundResult legacy = Receive(Corpus("quirks/convref-order-swapped.xml"), Strict());
  EXPECT_EQ(legacy.apprec_status, "1");
  EXPECT_EQ(Kinds(legacy), std::set<std::string>{"conversation-ref-order"});
}

TEST_F(EhrTolerance, ThePolicyIsChosenByTheSenderTheMessageNames) {
  // 7654321 is strict in ClinicSettings; the same deviation from 1234567 is tolerated.
  InboundResult strict = Receive(Corpus("reject/t02-strict-partner-element-order.xml"));
  EXPECT_EQ(strict.apprec_status, "2");
  InboundResult tolerant = Receive(Corpus("quirks/msginfo-ack-after-conversationref.xml"));
  EXPECT_EQ(tolerant.apprec_status, "1");
  // Per partner also the other way round: strict by default, one partner tolerant.
  Open(64 << 20);
  EhrSettings s = Strict();
  s.validation_policy_by_partner["1234567"] = ValidationPolicy::kTolerant;
  EXPECT_EQ(Receive(Corpus("quirks/msginfo-ack-after-conversationref.xml"), s).apprec_status, "1");
}

// ---------------------------------------------------------------------------------------------
// The record of what was tolerated

TEST_F(EhrTolerance, TheStoredRecordCarriesEveryDeviationAndIsFoundByIt) {
  InboundResult r = Receive(Corpus("quirks/msginfo-ack-after-conversationref.xml"));
  ASSERT_EQ(r.apprec_status, "1") << r.body;
  ASSERT_EQ(r.deviations.size(), 1u);
  EXPECT_EQ(r.deviations[0], (Deviation{"element-order", "/MsgHead/MsgInfo"}));
  Value record = Get(r.record);
  const Value* tags = record.Find("meta") ? record.Find("meta")->Find("tag") : nullptr;
  ASSERT_NE(tags, nullptr) << fhir::json::Write(record);
  ASSERT_EQ(tags->items().size(), 1u);
  EXPECT_EQ(tags->items()[0].GetString("system"), sys::kDeviationCode);
  EXPECT_EQ(tags->items()[0].GetString("code"), "element-order");
  EXPECT_EQ(tags->items()[0].GetString("display"), "Elementer i feil rekkefølge");  // from mappings
  const Value* ext = record.Find("extension");
  ASSERT_NE(ext, nullptr);
  ASSERT_EQ(ext->items().size(), 1u);
  EXPECT_EQ(ext->items()[0].GetString("url"), sys::kExtDeviation);
  std::string parts = fhir::json::Write(ext->items()[0]);
  EXPECT_NE(parts.find(R"("url":"count","valueInteger":1)"), std::string::npos) << parts;
  EXPECT_NE(parts.find(R"("url":"path","valueString":"/MsgHead/MsgInfo")"), std::string::npos)
      << parts;
  // Searchable by kind; a message without deviations has no tag.
  std::string tag =
      common::PercentEncode(std::string(sys::kDeviationCode) + "|element-order", kQueryKeep);
  EXPECT_EQ(Search("DocumentReference?_tag=" + tag).size(), 1u);
  InboundResult clean = Receive(Corpus("dialogmelding-1.1/valid-helsefaglig-notat-7322-6.xml"));
  ASSERT_EQ(clean.apprec_status, "1");
  EXPECT_TRUE(clean.deviations.empty());
  EXPECT_EQ(Get(clean.record).Find("extension"), nullptr);
  EXPECT_EQ(Search("DocumentReference?_tag=" + tag).size(), 1u);
  // A duplicate is answered as before and reports nothing new.
  InboundResult again = Receive(Corpus("quirks/msginfo-ack-after-conversationref.xml"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_TRUE(again.deviations.empty());
}

TEST_F(EhrTolerance, AForeignDocumentIsKeptUntouchedAsAnAttachment) {
  InboundResult r = Receive(Corpus("quirks/foreign-document-eresept-m1.xml"));
  ASSERT_EQ(r.apprec_status, "1") << r.body;
  std::vector<Value> comms = Search("Communication");
  ASSERT_EQ(comms.size(), 1u);
  std::string attachment;
  for (const Value& p : comms[0].Find("payload")->items()) {
    if (const Value* ref = p.Find("contentReference")) attachment = ref->GetString("reference");
  }
  ASSERT_EQ(attachment.rfind("DocumentReference/", 0), 0u);
  Value doc = Get(attachment);
  const Value& att = *doc.Find("content")->items()[0].Find("attachment");
  EXPECT_EQ(att.GetString("contentType"), "text/xml");
  Value binary = Get(std::string(att.GetString("url")));
  auto bytes = common::Base64Decode(binary.GetString("data"));
  ASSERT_TRUE(bytes.has_value());
  // The prescription as the sender wrote it: its own root, namespace and content.
  xml::ParseError e;
  auto m1 = xml::Document::Parse(*bytes, 1 << 20, &e);
  ASSERT_TRUE(m1.has_value()) << e.message;
  EXPECT_EQ(xml::LocalName(m1->root()), "Resept");
  EXPECT_EQ(xml::Namespace(m1->root()), "http://www.kith.no/xmlstds/eresept/m1/2013-10-08");
  EXPECT_NE(bytes->find("Sertralin tablett 100 mg (syntetisk)"), std::string::npos) << *bytes;
}

TEST_F(EhrTolerance, AForeignDocumentBeforeTheDialogmeldingDoesNotHideIt) {
  // The e-resept Document first: strict takes the first XML Document (T10, as before policies);
  // tolerant looks for the document it reads.
  std::string bytes = Corpus("quirks/foreign-document-eresept-m1.xml");
  size_t first = bytes.find("  <Document>");
  size_t second = bytes.find("  <Document>", first + 1);
  size_t end = bytes.find("</MsgHead>");
  ASSERT_NE(second, std::string::npos);
  std::string reordered = bytes.substr(0, first) + bytes.substr(second, end - second) +
                          bytes.substr(first, second - first) + bytes.substr(end);
  EXPECT_EQ(ParseAppRec(Receive(reordered, Strict())).errors.at(0).code, "T10");
  Open(64 << 20);
  InboundResult r = Receive(reordered);
  EXPECT_EQ(r.apprec_status, "1") << r.body;
  EXPECT_EQ(Kinds(r), std::set<std::string>{"foreign-document"});
}

TEST_F(EhrTolerance, RepairsNeverTouchFreeTextOrForeignDocuments) {
  // A date-like text in the note's XHTML is the GP's writing, not a KITH date: kept as written.
  // The same in the foreign document: it is kept whole, exactly.
  std::string bytes = Corpus("quirks/foreign-document-eresept-m1.xml");
  bytes = std::regex_replace(bytes, std::regex("<Forskrivningsdato>2026-03-16"),
                             "<Forskrivningsdato>2026-3-16");
  bytes = std::regex_replace(
      bytes, std::regex("<TekstNotatInnhold>"),
      R"(<TekstNotatInnhold><div xmlns="http://www.w3.org/1999/xhtml"><p>2026-3-1</p></div>)");
  InboundResult r = Receive(bytes);
  ASSERT_EQ(r.apprec_status, "1") << r.body;
  EXPECT_EQ(Kinds(r), std::set<std::string>{"foreign-document"});
  std::string comm = fhir::json::Write(Search("Communication").at(0));
  EXPECT_NE(comm.find("2026-3-1"), std::string::npos) << comm;
  bool seen = false;
  for (const Value& d : Search("DocumentReference?_count=20")) {
    const Value& att = *d.Find("content")->items()[0].Find("attachment");
    if (att.GetString("contentType") != "text/xml") continue;
    auto m1 = common::Base64Decode(Get(std::string(att.GetString("url"))).GetString("data"));
    ASSERT_TRUE(m1.has_value());
    EXPECT_NE(m1->find("<Forskrivningsdato>2026-3-16</Forskrivningsdato>"), std::string::npos);
    seen = true;
  }
  EXPECT_TRUE(seen);
}

TEST_F(EhrTolerance, AForeignDocumentMarkedAsAttachmentIsKeptNotCountedAsBroken) {
  // The same e-resept document sent as an attachment Document (MsgType A): one attachment kept
  // whole, and no "empty attachment" error in a part (AppRec 1, not 3).
  std::string bytes = Corpus("quirks/foreign-document-eresept-m1.xml");
  size_t m1 = bytes.find("<Resept ");
  size_t type = bytes.rfind(R"(<MsgType V="XML" DN="XML-instans"/>)", m1);
  ASSERT_NE(type, std::string::npos);
  bytes.replace(type, std::string(R"(<MsgType V="XML" DN="XML-instans"/>)").size(),
                R"(<MsgType V="A" DN="Vedlegg"/>)");
  InboundResult r = Receive(bytes);
  EXPECT_EQ(r.apprec_status, "1") << r.body;
  EXPECT_EQ(Kinds(r), std::set<std::string>{"foreign-document"});
  std::vector<Value> comms = Search("Communication");
  ASSERT_EQ(comms.size(), 1u);
  size_t references = 0;
  for (const Value& p : comms[0].Find("payload")->items()) {
    if (p.Find("contentReference") != nullptr) ++references;
  }
  EXPECT_EQ(references, 1u);
}

TEST_F(EhrTolerance, InfItemDiagnosesBecomeConditionsMainFirst) {
  InboundResult r = Receive(Corpus("henvisning-1.1/valid-infitem-diagnoses.xml"));
  ASSERT_EQ(r.apprec_status, "1") << r.body;
  std::vector<Value> srs = Search("ServiceRequest");
  ASSERT_EQ(srs.size(), 1u);
  const Value* reasons = srs[0].Find("reasonReference");
  ASSERT_NE(reasons, nullptr);
  ASSERT_EQ(reasons->items().size(), 2u);
  Value main = Get(std::string(reasons->items()[0].GetString("reference")));
  Value secondary = Get(std::string(reasons->items()[1].GetString("reference")));
  EXPECT_EQ(main.Find("code")->Find("coding")->items()[0].GetString("code"), "F32.1");
  EXPECT_EQ(main.Find("category")->items()[1].Find("coding")->items()[0].GetString("code"), "H");
  EXPECT_EQ(main.GetString("onsetDateTime"), "2025-11-01");
  EXPECT_EQ(secondary.Find("code")->Find("coding")->items()[0].GetString("code"), "P06");
  EXPECT_EQ(secondary.Find("category")->items()[1].Find("coding")->items()[0].GetString("code"),
            "B");
}

// ---------------------------------------------------------------------------------------------
// Permanent problems end in an AppRec, never in a 5xx

TEST_F(EhrTolerance, BlankAndPaddedCodesNeverMakeA5xx) {
  const std::string note = Corpus("dialogmelding-1.1/valid-helsefaglig-notat-7322-6.xml");
  // A topic code of white space only: read as a code without value; its text is kept.
  std::string blank_topic =
      std::regex_replace(note, std::regex(R"(<TemaKodet V="6")"), R"(<TemaKodet V="  ")");
  ASSERT_NE(blank_topic, note);
  InboundResult r = Receive(blank_topic);
  ASSERT_EQ(r.http_status, 200) << r.body;
  EXPECT_EQ(r.apprec_status, "1");
  EXPECT_TRUE(Kinds(r).contains("code-without-value"));
  std::vector<Value> comms = Search("Communication");
  ASSERT_EQ(comms.size(), 1u);
  EXPECT_EQ(comms[0].Find("category")->items()[0].GetString("text"), "Henvendelse om pasient");
  // A padded code is the code (xs:token), in the message type and in any other code.
  Open(64 << 20);
  std::string padded = std::regex_replace(note, std::regex(R"(<Sex V="2")"), R"(<Sex V=" 2 ")");
  padded = std::regex_replace(padded, std::regex(R"(<Type V="DIALOG_HELSEFAGLIG")"),
                              R"(<Type V="DIALOG_HELSEFAGLIG ")");
  InboundResult p = Receive(padded);
  ASSERT_EQ(p.http_status, 200) << p.body;
  EXPECT_EQ(p.apprec_status, "1") << p.body;
  EXPECT_EQ(ParseAppRec(p).original_type, "DIALOG_HELSEFAGLIG");
  EXPECT_EQ(Search("Patient")[0].GetString("gender"), "female");
  // A Henvisning whose type has a trailing space (the manual-registration fallback used to fail
  // on the same code and answer 500).
  Open(64 << 20);
  InboundResult h = Receive(Corpus("henvisning-1.1/valid-type-with-trailing-space.xml"));
  ASSERT_EQ(h.http_status, 200) << h.body;
  EXPECT_EQ(h.apprec_status, "1");
  Value record = Get(h.record);
  EXPECT_EQ(record.Find("type")->Find("coding")->items()[0].GetString("code"), "HENVISNING");
  // A blank message type: not a message this gateway reads (T10), answered, not 5xx.
  Open(64 << 20);
  std::string untyped =
      std::regex_replace(note, std::regex(R"(<Type V="DIALOG_HELSEFAGLIG")"), R"(<Type V="")");
  InboundResult u = Receive(untyped);
  ASSERT_EQ(u.http_status, 200) << u.body;
  EXPECT_EQ(ParseAppRec(u).errors.at(0).code, "T10");
  // A diagnosis with a blank code and a text: a Condition saying the text.
  Open(64 << 20);
  std::string referral = Corpus("henvisning-1.1/valid-depression-p76.xml");
  std::string uncoded =
      std::regex_replace(referral, std::regex(R"(<Concept V="P76")"), R"(<Concept V="")");
  ASSERT_NE(uncoded, referral);
  InboundResult d = Receive(uncoded);
  ASSERT_EQ(d.http_status, 200) << d.body;
  EXPECT_EQ(d.apprec_status, "1");
  std::vector<Value> conditions = Search("Condition");
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].Find("code")->GetString("text"), "Depressiv lidelse");
  EXPECT_EQ(conditions[0].Find("code")->Find("coding"), nullptr);
}

TEST_F(EhrTolerance, ASenderWithoutHerIdIsRefusedAndMatchesNoOrganisation) {
  // Even when the transport names a sender, the message must name its own.
  InboundResult r = Receive(Corpus("reject/x99-sender-without-her-id.xml"), ClinicSettings(),
                            {"1234567", "transport-id-1"});
  ASSERT_EQ(r.http_status, 200) << r.body;
  AppRec a = ParseAppRec(r);
  EXPECT_EQ(a.status, "2");
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code, "X99");
  EXPECT_NE(a.errors[0].detail.find("/MsgHead/MsgInfo/Sender/Organisation"), std::string::npos);
  EXPECT_EQ(a.receiver.her_id, "1234567");  // addressed as the transport says, not to ""
  // No Organization but ours (the receipt's sender): nothing of the sender was matched or made.
  for (const Value& o : Search("Organization?_count=100")) {
    std::string ids = fhir::json::Write(*o.Find("identifier"));
    EXPECT_TRUE(ids.find("8142519") != std::string::npos ||
                ids.find("8142520") != std::string::npos)
        << ids;
  }
  EXPECT_TRUE(Search("Communication").empty());
  // Without the transport's help the refusal is still recorded and answered.
  Open(64 << 20);
  InboundResult bare = Receive(Corpus("reject/x99-sender-without-her-id.xml"));
  ASSERT_EQ(bare.http_status, 200) << bare.body;
  EXPECT_EQ(bare.apprec_status, "2");
  EXPECT_EQ(bare.record.rfind("DocumentReference/", 0), 0u);
}

TEST_F(EhrTolerance, ARefusalLooksUpTheEarlierRecordOnce) {
  for (const std::string file :
       {"reject/e21-wrong-receiver-msghead.xml", "reject/e31-invalid-fnr-10-digits.xml",
        "reject/x99-sender-without-her-id.xml"}) {
    SCOPED_TRACE(file);
    Open(64 << 20);
    CountingPort counting(fhir_->port());
    Inbox inbox(ClinicSettings(), *schemas_, terms_, counting);
    InboundResult r = inbox.Receive(Corpus(file));
    EXPECT_EQ(r.apprec_status, "2");
    EXPECT_EQ(counting.record_lookups.load(), 1);
  }
}

TEST_F(EhrTolerance, AnAttachmentLargerThanTheFhirBodyLimitOnceEncodedIsStored) {
  // The defaults: a 16 MiB message limit, and the EHR port's FHIR API configured with the
  // allowance for it (serve's ToEhrFhirOptions): the message fits under the message limit, its
  // attachment alone is more than 16 MiB as base64 JSON.
  constexpr size_t kMessageLimit = 16u << 20;
  Open(TransactionAllowance(kMessageLimit));
  EhrSettings s = ClinicSettings();
  s.max_message_bytes = kMessageLimit;
  s.max_transaction_bytes = TransactionAllowance(kMessageLimit);
  std::string message = Corpus("dialogmelding-1.1/valid-helsefaglig-vedlegg-pdf.xml");
  size_t open = message.find("<Base64Container");
  open = message.find('>', open) + 1;
  size_t close = message.find("</Base64Container>", open);
  std::string pdf = "%PDF-1.4\n" + std::string(11u << 20, 'x');
  std::string encoded = common::Base64Encode(pdf);
  std::string lines;
  for (size_t i = 0; i < encoded.size(); i += 76) lines += encoded.substr(i, 76) + "\n";
  message.replace(open, close - open, lines);
  ASSERT_LT(message.size(), kMessageLimit);
  TransactionRecorder recorder(fhir_->port());
  Inbox inbox(s, *schemas_, terms_, recorder);
  InboundResult r = inbox.Receive(message);
  ASSERT_EQ(r.http_status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(r.apprec_status, "1");
  // What made it a 500 before: the message's FHIR transaction (the original in base64 and the
  // attachment again) is far over the 16 MiB a client's request may have.
  ASSERT_EQ(recorder.transactions().size(), 1u);
  EXPECT_GT(recorder.transactions().back().size(), 2 * (16u << 20));
  EXPECT_LE(recorder.transactions().back().size(), TransactionAllowance(kMessageLimit));
  // Stored as its own resource, byte for byte.
  bool found = false;
  for (const Value& d : Search("DocumentReference?_count=20")) {
    const Value& att = *d.Find("content")->items()[0].Find("attachment");
    if (att.GetString("contentType") != "application/pdf") continue;
    found = true;
    EXPECT_EQ(fhir::json::Write(*att.Find("size")), std::to_string(pdf.size()));
    Value binary = Get(std::string(att.GetString("url")));
    EXPECT_EQ(binary.GetString("data").size(), encoded.size());
  }
  EXPECT_TRUE(found);
}

TEST_F(EhrTolerance, ATransactionOverTheAllowanceIsKeptForManualRegistrationNot5xx) {
  // The inbox knows its port's allowance: what would not fit is not sent. The message is kept
  // (original + manual-import Task) with an OK receipt: a limit of ours, not the sender's error.
  std::string message = Corpus("dialogmelding-1.1/valid-helsefaglig-vedlegg-pdf.xml");
  size_t open = message.find("<Base64Container");
  open = message.find('>', open) + 1;
  size_t close = message.find("</Base64Container>", open);
  message.replace(open, close - open,
                  common::Base64Encode("%PDF-1.4\n" + std::string(40 * 1024, 'y')));
  // Room for the original (base64) and a little more, not for the attachment again.
  const size_t allowance = message.size() * 4 / 3 + 24 * 1024;
  Open(allowance);
  EhrSettings s = ClinicSettings();
  s.max_transaction_bytes = allowance;
  TransactionRecorder recorder(fhir_->port());
  Inbox inbox(s, *schemas_, terms_, recorder);
  InboundResult r = inbox.Receive(message);
  ASSERT_EQ(r.http_status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(r.apprec_status, "1");
  ASSERT_EQ(recorder.transactions().size(), 1u);  // the mapped one was never sent
  EXPECT_LE(recorder.transactions().back().size(), allowance);
  std::vector<Value> tasks =
      Search("Task?code=" +
             common::PercentEncode(std::string(sys::kTaskCode) + "|manual-import", kQueryKeep));
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_TRUE(Search("Communication").empty());
  // The original is kept whole.
  Value record = Get(r.record);
  const Value& att = *record.Find("content")->items()[0].Find("attachment");
  Value binary = Get(std::string(att.GetString("url")));
  EXPECT_EQ(*common::Base64Decode(binary.GetString("data")), message);
}

TEST_F(EhrTolerance, AMessageTooLargeToKeepIsStillRecordedAndAnswered) {
  // More bytes than the message limit, and than a transaction may carry as base64: refused T01,
  // and its record keeps its size and hashes instead of the bytes (the sender still has them).
  EhrSettings s = ClinicSettings();
  s.max_message_bytes = 256 * 1024;
  s.max_transaction_bytes = 512 * 1024;
  Open(512 * 1024);
  std::string big = Corpus("dialogmelding-1.1/valid-helsefaglig-notat-7322-6.xml");
  big.insert(big.find("</MsgHead>"), std::string(600 * 1024, ' '));
  InboundResult r = Receive(big, s, {"1234567", "transport-3"});
  ASSERT_EQ(r.http_status, 200) << r.body.substr(0, 300);
  AppRec a = ParseAppRec(r);
  EXPECT_EQ(a.status, "2");
  EXPECT_EQ(a.errors.at(0).code, "T01");
  Value record = Get(r.record);
  const Value& att = *record.Find("content")->items()[0].Find("attachment");
  EXPECT_EQ(att.Find("url"), nullptr);
  EXPECT_EQ(fhir::json::Write(*att.Find("size")), std::to_string(big.size()));
  EXPECT_NE(std::string(record.GetString("description")).find("for stor"), std::string::npos);
}

TEST_F(EhrTolerance, HostileMarkupIsRefusedAsT01BeforeParsing) {
  std::string attrs;
  for (int i = 0; i < 100000; ++i) attrs += " a" + std::to_string(i) + "=\"x\"";
  std::string note = Corpus("dialogmelding-1.1/valid-helsefaglig-notat-7322-6.xml");
  std::string hostile = std::regex_replace(note, std::regex("<TekstNotatInnhold>"),
                                           "<TekstNotatInnhold><p" + attrs + "/>");
  ASSERT_GT(hostile.size(), 1'000'000u);
  InboundResult r = Receive(hostile, ClinicSettings(), {"1234567", "transport-2"});
  ASSERT_EQ(r.http_status, 200);
  AppRec a = ParseAppRec(r);
  EXPECT_EQ(a.status, "2");
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code, "T01");
  EXPECT_NE(a.errors[0].detail.find("TekstNotatInnhold/p has 100000 attributes"), std::string::npos)
      << a.errors[0].detail;
  EXPECT_EQ(a.original_id, "transport-2");  // nothing of the message was read
  // XXE and billion laughs stay refused.
  for (const std::string file : {"attacks/xxe-file-etc-passwd.xml", "attacks/billion-laughs.xml"}) {
    Open(64 << 20);
    AppRec refused = ParseAppRec(Receive(Corpus(file)));
    ASSERT_EQ(refused.errors.size(), 1u) << file;
    EXPECT_EQ(refused.errors[0].code, "T01") << file;
    EXPECT_NE(refused.errors[0].detail.find("DOCTYPE"), std::string::npos) << file;
  }
}

}  // namespace
}  // namespace adapters::ehr
