// POST /ehr/messages on the real gateway binary over real sockets: a referral in, an AppRec out,
// the FHIR record readable, duplicates recognised across a restart, transport-level errors.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "fhir/json/parser.h"
#include "integration/support/ehr_support.h"
#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace emg::test {
namespace {

GatewayOptions EhrOptions() {
  GatewayOptions o;
  o.env = EhrEnv();
  return o;
}

HttpResult PostXml(HttpClient& c, const std::string& body, const Headers& extra = {}) {
  Headers h = {{"Content-Type", "application/xml"}};
  h.insert(h.end(), extra.begin(), extra.end());
  return c.Request("POST", "/ehr/messages", h, body);
}

TEST(EhrHttp, AReferralIsAnsweredWithAnAppRecAndStoredDurably) {
  GatewayProcess gw(EhrOptions());
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  const std::string referral = ReadFile(kCorpus + "/henvisning-1.1/valid-depression-p76.xml");
  HttpResult r = PostXml(c, referral);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type").rfind("application/xml", 0), 0u);
  EXPECT_EQ(r.Header("x-apprec-status"), "1");
  EXPECT_EQ(r.Header("x-duplicate"), "false");
  EXPECT_NE(r.body.find("<AppRec"), std::string::npos);
  EXPECT_NE(r.body.find("630b687c-b6d8-52b1-b965-521051053457"),
            std::string::npos);  // OriginalMsgId
  std::string record = r.Header("x-message-record");
  ASSERT_EQ(record.rfind("DocumentReference/", 0), 0u);
  // The FHIR side, over the FHIR API.
  HttpResult sr = c.Get(
      "/ServiceRequest?identifier=https%3A%2F%2Femeistring.no%2Ffhir%2Fsid%2Fkith-msgid%7C630b687c-"
      "b6d8-52b1-b965-521051053457");
  ASSERT_EQ(sr.status, 200);
  EXPECT_NE(sr.body.find("\"total\":1"), std::string::npos) << sr.body.substr(0, 300);
  EXPECT_EQ(c.Get("/" + record).status, 200);
  // The access log names the route, never the message.
  gw.Terminate();
  ASSERT_EQ(gw.WaitForExit(), 0);
  std::string log = gw.StderrText();
  EXPECT_NE(log.find("\"/ehr/messages\""), std::string::npos);
  EXPECT_EQ(log.find("12848841054"), std::string::npos);
  EXPECT_EQ(log.find("Syntetisk"), std::string::npos);
  // After a restart the same message is recognised: same AppRec, nothing imported twice.
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c2("127.0.0.1", gw.port());
  HttpResult again = PostXml(c2, referral);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.Header("x-duplicate"), "true");
  EXPECT_EQ(again.body, r.body);
  HttpResult count = c2.Get("/ServiceRequest?_summary=count");
  EXPECT_NE(count.body.find("\"total\":1"), std::string::npos) << count.body;
}

TEST(EhrHttp, RejectionsAndTransportErrors) {
  GatewayProcess gw(EhrOptions());
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  HttpResult xxe = PostXml(c, ReadFile(kCorpus + "/attacks/xxe-file-etc-passwd.xml"),
                           {{"X-EHR-Sender-HER-Id", "1234567"}, {"X-EHR-Msg-Id", "transport-1"}});
  ASSERT_EQ(xxe.status, 200);
  EXPECT_EQ(xxe.Header("x-apprec-status"), "2");
  EXPECT_NE(xxe.body.find("V=\"T01\""), std::string::npos);
  EXPECT_EQ(xxe.body.find("root:"), std::string::npos);  // nothing of /etc/passwd
  EXPECT_NE(xxe.body.find("transport-1"), std::string::npos);
  HttpResult e21 = PostXml(c, ReadFile(kCorpus + "/reject/e21-wrong-receiver-msghead.xml"));
  EXPECT_EQ(e21.Header("x-apprec-status"), "2");
  EXPECT_NE(e21.body.find("V=\"E21\""), std::string::npos);
  // Not XML by media type, wrong method, unknown path: OperationOutcomes, no AppRec.
  HttpResult text = c.Request("POST", "/ehr/messages", {{"Content-Type", "text/plain"}}, "x");
  EXPECT_EQ(text.status, 415);
  EXPECT_NE(text.body.find("OperationOutcome"), std::string::npos);
  HttpResult get = c.Get("/ehr/messages");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.Header("allow"), "POST");
  EXPECT_EQ(c.Get("/ehr/nothing").status, 404);
  HttpResult empty = PostXml(c, "");
  EXPECT_EQ(empty.status, 400);
}

// The tolerant policy over HTTP: a message with a deviation real EPJ systems send gets AppRec OK,
// the deviation is on its stored record (searchable) and in the answer's X-KITH-Deviations, and
// /metrics counts it by kind; a strict partner's same deviation is Avvist T02. libxml2 writes
// nothing but JSON lines, whatever it is fed.
TEST(EhrHttp, ToleratedDeviationsGetOkAreRecordedAndCounted) {
  GatewayOptions o = EhrOptions();
  o.env.emplace_back("EMG_EHR_PARTNER_VALIDATION_POLICIES", "7654321:strict");
  GatewayProcess gw(o);
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  HttpResult r = PostXml(c, ReadFile(kCorpus + "/quirks/msginfo-ack-after-conversationref.xml"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-apprec-status"), "1");
  EXPECT_EQ(r.Header("x-kith-deviations"), "element-order");
  HttpResult record = c.Get("/" + r.Header("x-message-record"));
  ASSERT_EQ(record.status, 200);
  EXPECT_NE(record.body.find("https://emeistring.no/fhir/StructureDefinition/kith-deviation"),
            std::string::npos)
      << record.body.substr(0, 600);
  EXPECT_NE(record.body.find(R"("valueString":"/MsgHead/MsgInfo")"), std::string::npos);
  HttpResult tagged = c.Get(
      "/DocumentReference?_tag=https%3A%2F%2Femeistring.no%2Ffhir%2FCodeSystem%2Fkith-deviation"
      "%7Celement-order&_summary=count");
  EXPECT_NE(tagged.body.find("\"total\":1"), std::string::npos) << tagged.body;
  HttpResult m1 = PostXml(c, ReadFile(kCorpus + "/quirks/foreign-document-eresept-m1.xml"));
  ASSERT_EQ(m1.status, 200) << m1.body;
  EXPECT_EQ(m1.Header("x-apprec-status"), "1");
  EXPECT_EQ(m1.Header("x-kith-deviations"), "foreign-document");
  // A repeat is answered as before and not counted again.
  HttpResult again = PostXml(c, ReadFile(kCorpus + "/quirks/foreign-document-eresept-m1.xml"));
  EXPECT_EQ(again.Header("x-duplicate"), "true");
  EXPECT_EQ(again.Header("x-kith-deviations"), "");
  // The strict partner.
  HttpResult strict =
      PostXml(c, ReadFile(kCorpus + "/reject/t02-strict-partner-element-order.xml"));
  ASSERT_EQ(strict.status, 200);
  EXPECT_EQ(strict.Header("x-apprec-status"), "2");
  EXPECT_NE(strict.body.find("V=\"T02\""), std::string::npos);
  // Bytes invalid for the declared encoding: libxml2 complains on a handler thread.
  std::string garbled = ReadFile(kCorpus + "/dialogmelding-1.1/valid-helsefaglig-notat-7322-6.xml");
  garbled.replace(garbled.find("encoding=\"UTF-8\""), 16, "encoding=\"windows-1252\"");
  garbled.insert(garbled.find("</TekstNotatInnhold>"), "Hemmelig\x81tekst");
  HttpResult t01 = PostXml(c, garbled);
  ASSERT_EQ(t01.status, 200) << t01.body;
  EXPECT_EQ(t01.Header("x-apprec-status"), "2");
  EXPECT_EQ(t01.body.find("Hemmelig"), std::string::npos);
  HttpResult metrics = c.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("emg_ehr_inbound_deviations_total{kind=\"element-order\"} 1\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("emg_ehr_inbound_deviations_total{kind=\"foreign-document\"} 1\n"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("emg_ehr_inbound_messages_total{apprec_status=\"1\"} 2\n"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("emg_ehr_inbound_messages_total{apprec_status=\"2\"} 2\n"),
            std::string::npos);
  gw.Terminate();
  ASSERT_EQ(gw.WaitForExit(), 0);
  // Every line the process wrote is a JSON object, and none carries the message's text.
  std::string log = gw.StderrText();
  EXPECT_EQ(log.find("Hemmelig"), std::string::npos);
  EXPECT_EQ(log.find("0x81"), std::string::npos);
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    std::string line =
        log.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) {
      EXPECT_EQ(line.front(), '{') << line;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

// A message under the 16 MiB message limit whose FHIR transaction (the original in base64 and
// its attachment again) is far over the 16 MiB a client request may have: stored, AppRec OK;
// it was a 500 (retried for ever) when both layers used one limit.
TEST(EhrHttp, AMessageUnderTheLimitIsStoredWhateverItsAttachmentBecomesInFhir) {
  GatewayProcess gw(EhrOptions());
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  std::string message = ReadFile(kCorpus + "/dialogmelding-1.1/valid-helsefaglig-vedlegg-pdf.xml");
  size_t open = message.find("<Base64Container");
  open = message.find('>', open) + 1;
  size_t close = message.find("</Base64Container>", open);
  // 11 MiB of synthetic "PDF" as base64 in 76-character lines: about 15 MiB of message.
  std::string pdf = "%PDF-1.4\n" + std::string(11u << 20, 'x');
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  encoded.reserve(pdf.size() / 3 * 4 + pdf.size() / 57 + 8);
  for (size_t i = 0; i < pdf.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(pdf[i]) << 16;
    if (i + 1 < pdf.size()) n |= static_cast<uint8_t>(pdf[i + 1]) << 8;
    if (i + 2 < pdf.size()) n |= static_cast<uint8_t>(pdf[i + 2]);
    encoded += kAlphabet[(n >> 18) & 63];
    encoded += kAlphabet[(n >> 12) & 63];
    encoded += i + 1 < pdf.size() ? kAlphabet[(n >> 6) & 63] : '=';
    encoded += i + 2 < pdf.size() ? kAlphabet[n & 63] : '=';
    if ((i / 3 + 1) % 19 == 0) encoded += '\n';
  }
  message.replace(open, close - open, encoded);
  ASSERT_LT(message.size(), 16u << 20);
  HttpResult r = PostXml(c, message);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 400);
  EXPECT_EQ(r.Header("x-apprec-status"), "1");
  HttpResult pdfs = c.Get("/DocumentReference?contenttype=application%2Fpdf&_summary=count");
  EXPECT_NE(pdfs.body.find("\"total\":1"), std::string::npos) << pdfs.body;
}

TEST(EhrHttp, OffWithoutAHerId) {
  GatewayProcess gw;
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  HttpResult r = c.Request("POST", "/ehr/messages", {{"Content-Type", "application/xml"}}, "<x/>");
  EXPECT_EQ(r.status, 404);  // the FHIR API: no resource type "ehr"
}

TEST(EhrHttp, TheMessageServicePullsAndAcknowledgesTheOutbox) {
  GatewayProcess gw(EhrOptions());
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  HttpResult empty = c.Get("/ehr/outbox");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.body, "{\"messages\":[]}");
  HttpResult r = PostXml(c, ReadFile(kCorpus + "/henvisning-1.1/valid-depression-p76.xml"));
  ASSERT_EQ(r.status, 200);
  HttpResult e21 = PostXml(c, ReadFile(kCorpus + "/reject/e21-wrong-receiver-msghead.xml"));
  ASSERT_EQ(e21.status, 200);
  // Both AppRecs wait, oldest first, each exactly as it was answered.
  HttpResult pending = c.Get("/ehr/outbox");
  ASSERT_EQ(pending.status, 200);
  EXPECT_EQ(pending.Header("content-type").rfind("application/json", 0), 0u);
  size_t first = pending.body.find("\"msgType\":\"APPREC\"");
  ASSERT_NE(first, std::string::npos) << pending.body;
  EXPECT_NE(pending.body.find("\"msgType\":\"APPREC\"", first + 1), std::string::npos);
  EXPECT_NE(pending.body.find("\"destinationHerId\":\"1234567\""), std::string::npos);
  EXPECT_NE(pending.body.find("<AppRec"), std::string::npos);
  EXPECT_LT(pending.body.find("630b687c-b6d8-52b1-b965-521051053457"),
            pending.body.find("V=\\\"E21\\\""));  // the referral's receipt came first
  HttpResult one = c.Get("/ehr/outbox?_count=1");
  std::string entry = r.Header("x-outbox-entry");  // "Task/<id>"
  ASSERT_EQ(entry.rfind("Task/", 0), 0u);
  std::string id = entry.substr(5);
  EXPECT_NE(one.body.find(id), std::string::npos);
  // Acknowledged: an AppRec needs nothing more, so the entry is done, and no longer offered.
  HttpResult ack = c.Request("POST", "/ehr/outbox/" + id + "/ack");
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_NE(ack.body.find("\"status\":\"completed\""), std::string::npos);
  EXPECT_EQ(c.Request("POST", "/ehr/outbox/" + id + "/ack").status, 200);  // idempotent
  HttpResult after = c.Get("/ehr/outbox");
  EXPECT_EQ(after.body.find(id), std::string::npos);
  EXPECT_NE(after.body.find("E21"), std::string::npos);  // the other one still waits
  // Errors.
  EXPECT_EQ(c.Request("POST", "/ehr/outbox/no-such-entry/ack").status, 404);
  EXPECT_EQ(c.Get("/ehr/outbox?_count=0").status, 400);
  EXPECT_EQ(c.Request("DELETE", "/ehr/outbox").status, 405);
  EXPECT_EQ(c.Get("/ehr/outbox/" + id + "/ack").status, 405);
}

// The whole loop over HTTP: a referral in; the therapist's question to the referrer written as
// a Communication through the FHIR API; the Dialogmelding waiting in the outbox; the message
// service takes it; the GP's AppRec settles it.
TEST(EhrHttp, ACommunicationToTheReferrerGoesOutThroughTheOutbox) {
  GatewayProcess gw(EhrOptions());
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  ASSERT_EQ(PostXml(c, ReadFile(kCorpus + "/henvisning-1.1/valid-depression-p76.xml")).status, 200);
  HttpResult srs = c.Get(
      "/ServiceRequest?identifier=https%3A%2F%2Femeistring.no%2Ffhir%2Fsid%2Fkith-msgid%7C630b687c-"
      "b6d8-52b1-b965-521051053457");
  auto bundle = fhir::json::Parse(srs.body);
  ASSERT_TRUE(bundle.has_value());
  const fhir::json::Value& sr = *bundle->Find("entry")->items()[0].Find("resource");
  std::string comm =
      std::string(R"({"resourceType":"Communication","status":"completed",)") +
      R"("subject":{"reference":")" + std::string(sr.Find("subject")->GetString("reference")) +
      R"("},)" + R"("about":[{"reference":"ServiceRequest/)" + std::string(sr.GetString("id")) +
      R"("}],)" + R"("recipient":[{"reference":")" +
      std::string(sr.Find("requester")->GetString("reference")) + R"("}],)" +
      R"("payload":[{"contentString":"Vi ønsker epikrise fra tidligere DPS-kontakt."}]})";
  HttpResult created =
      c.Request("POST", "/Communication", {{"Content-Type", "application/fhir+json"}}, comm);
  ASSERT_EQ(created.status, 201) << created.body;
  HttpResult pending = c.Get("/ehr/outbox");
  size_t dialog = pending.body.find("\"msgType\":\"DIALOG_HELSEFAGLIG\"");
  ASSERT_NE(dialog, std::string::npos) << pending.body.substr(0, 500);
  auto listed = fhir::json::Parse(pending.body);
  ASSERT_TRUE(listed.has_value());
  std::string id, msg_id;
  for (const auto& m : listed->Find("messages")->items()) {
    if (m.GetString("msgType") == "DIALOG_HELSEFAGLIG") {
      id = std::string(m.GetString("id"));
      msg_id = std::string(m.GetString("msgId"));
      EXPECT_EQ(m.GetString("destinationHerId"), "1234568");
      EXPECT_NE(m.GetString("xml").find("Vi ønsker epikrise"), std::string_view::npos);
    }
  }
  ASSERT_FALSE(id.empty());
  HttpResult ack = c.Request("POST", "/ehr/outbox/" + id + "/ack");
  ASSERT_EQ(ack.status, 200);
  EXPECT_NE(ack.body.find("\"status\":\"in-progress\""), std::string::npos)
      << ack.body;  // awaits the AppRec
  // The GP's AppRec (OK) for our message settles the entry.
  std::string apprec = ReadFile(kCorpus + "/apprec-1.1/ok.xml");
  size_t at = apprec.find("<OriginalMsgId>");
  ASSERT_NE(at, std::string::npos);
  size_t id_at = apprec.find("<Id>", at);
  size_t id_end = apprec.find("</Id>", id_at);
  apprec.replace(id_at + 4, id_end - id_at - 4, msg_id);
  HttpResult receipt = PostXml(c, apprec);
  ASSERT_EQ(receipt.status, 200) << receipt.body;
  HttpResult task = c.Get("/Task/" + id);
  EXPECT_NE(task.body.find("\"status\":\"completed\""), std::string::npos)
      << task.body.substr(0, 400);
}

}  // namespace
}  // namespace emg::test
