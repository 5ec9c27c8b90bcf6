// POST /ehr/messages on the real gateway binary over real sockets: a referral in, an AppRec out,
// the FHIR record readable, duplicates recognised across a restart, transport-level errors.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace emg::test {
namespace {

const std::string kCorpus = std::string(EMG_TESTDATA_DIR) + "/ehr";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

GatewayOptions EhrOptions() {
  GatewayOptions o;
  o.env = {{"EMG_EHR_HER_ID", "8142519"},
           {"EMG_EHR_ORGANISATION_NAME", "eMeistring DPS (syntetisk)"},
           {"EMG_EHR_DEPARTMENT_HER_ID", "8142520"},
           {"EMG_EHR_DEPARTMENT_NAME", "eMeistring internettbehandling"},
           {"EMG_EHR_SCHEMA_DIR", std::string(EMG_SOURCE_DIR) + "/adapters/ehr/schemas/kith"}};
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
  EXPECT_NE(r.body.find("630b687c-b6d8-52b1-b965-521051053457"), std::string::npos);  // OriginalMsgId
  std::string record = r.Header("x-message-record");
  ASSERT_EQ(record.rfind("DocumentReference/", 0), 0u);
  // The FHIR side, over the FHIR API.
  HttpResult sr = c.Get("/ServiceRequest?identifier=https%3A%2F%2Femeistring.no%2Ffhir%2Fsid%2Fkith-msgid%7C630b687c-b6d8-52b1-b965-521051053457");
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

}  // namespace
}  // namespace emg::test
