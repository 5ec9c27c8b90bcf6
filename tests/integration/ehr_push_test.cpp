// Push delivery of the EHR outbox (ehr.push_url) on the real binary, to a real HTTP server on
// loopback standing in for the hospital's message service: delivery and acknowledgement,
// retry with backoff after 5xx and refused connections, dead letters (after the attempts, or at
// once for a 4xx) visible as a failed Task, a follow-up Task and in /metrics; over HTTPS, the
// service's certificate and host name are verified (nothing is sent to an impostor).

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "fhir/json/parser.h"
#include "integration/support/ehr_support.h"
#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"
#include "integration/support/message_service.h"

namespace emg::test {
namespace {

using namespace std::chrono_literals;

GatewayOptions PushOptions(const std::string& url, int max_attempts) {
  GatewayOptions o;
  o.env = EhrEnv();
  o.env.insert(o.env.end(), {{"EMG_EHR_PUSH_URL", url},
                             {"EMG_EHR_PUSH_MAX_ATTEMPTS", std::to_string(max_attempts)},
                             {"EMG_EHR_PUSH_INITIAL_BACKOFF_MS", "20"},
                             {"EMG_EHR_PUSH_MAX_BACKOFF_MS", "80"},
                             {"EMG_EHR_PUSH_POLL_MS", "20"},
                             {"EMG_EHR_PUSH_TIMEOUT_MS", "2000"}});
  return o;
}

// Waits until `done` holds (15 s at most).
template <typename F>
bool Eventually(F done) {
  for (auto end = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < end;) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

// Posts the corpus referral; returns the outbox entry ("Task/<id>") of its AppRec.
std::string PostReferral(HttpClient& c) {
  HttpResult r = c.Request("POST", "/ehr/messages", {{"Content-Type", "application/xml"}},
                           ReadFile(kCorpus + "/henvisning-1.1/valid-depression-p76.xml"));
  EXPECT_EQ(r.status, 200) << r.body;
  return r.Header("x-outbox-entry");
}

std::string TaskStatus(HttpClient& c, const std::string& ref) {
  auto task = fhir::json::Parse(c.Get("/" + ref).body);
  return task ? std::string(task->GetString("status")) : std::string();
}

double Metric(HttpClient& c, const std::string& series) {
  std::string text = c.Get("/metrics").body;
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(EhrPush, AMessageIsDeliveredAndAcknowledged) {
  MessageService service({200});
  GatewayProcess gw(PushOptions(service.url(), 5));
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  std::string entry = PostReferral(c);
  ASSERT_EQ(entry.rfind("Task/", 0), 0u);
  ASSERT_TRUE(Eventually([&] { return TaskStatus(c, entry) == "completed"; }))
      << TaskStatus(c, entry);
  auto got = service.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/meldinger");
  EXPECT_EQ(got[0].headers["content-type"], "application/xml; charset=utf-8");
  EXPECT_EQ(got[0].headers["x-ehr-msg-type"], "APPREC");
  EXPECT_EQ(got[0].headers["x-ehr-destination-her-id"], "1234567");
  EXPECT_EQ(got[0].headers["x-outbox-entry"], entry);
  EXPECT_NE(got[0].body.find("<AppRec"), std::string::npos);
  EXPECT_NE(got[0].body.find("630b687c-b6d8-52b1-b965-521051053457"), std::string::npos);
  EXPECT_EQ(c.Get("/ehr/outbox").body, "{\"messages\":[]}");
  EXPECT_EQ(Metric(c, "emg_ehr_push_attempts_total{result=\"delivered\"}"), 1);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(service.count(), 1u);  // delivered once, never again
  // The log says what happened, not what was in it.
  gw.Terminate();
  ASSERT_EQ(gw.WaitForExit(), 0);
  std::string log = gw.StderrText();
  EXPECT_NE(log.find("ehr_push_delivered"), std::string::npos);
  EXPECT_EQ(log.find("12848841054"), std::string::npos);
}

TEST(EhrPush, ServerErrorsAreRetriedWithBackoffUntilDelivered) {
  MessageService service({503, 500, 200});
  GatewayProcess gw(PushOptions(service.url(), 5));
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  std::string entry = PostReferral(c);
  ASSERT_TRUE(Eventually([&] { return TaskStatus(c, entry) == "completed"; }))
      << c.Get("/" + entry).body;
  EXPECT_EQ(service.count(), 3u);
  std::string task = c.Get("/" + entry).body;
  EXPECT_NE(task.find("delivery-attempts"), std::string::npos);
  EXPECT_NE(task.find("Leveringsforsøk 2 av 5 feilet: HTTP 500"), std::string::npos) << task;
  EXPECT_EQ(Metric(c, "emg_ehr_push_attempts_total{result=\"retry\"}"), 2);
  EXPECT_EQ(Metric(c, "emg_ehr_push_attempts_total{result=\"delivered\"}"), 1);
  auto got = service.received();
  EXPECT_EQ(got[0].body, got[2].body);  // the same message every time
}

TEST(EhrPush, AfterTheLastAttemptTheMessageIsADeadLetterWithAFollowUpTask) {
  MessageService service({503});
  GatewayProcess gw(PushOptions(service.url(), 3));
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  std::string entry = PostReferral(c);
  ASSERT_TRUE(Eventually([&] { return TaskStatus(c, entry) == "failed"; }))
      << c.Get("/" + entry).body;
  EXPECT_EQ(service.count(), 3u);
  std::string task = c.Get("/" + entry).body;
  EXPECT_NE(task.find("\"dead-letter\""), std::string::npos) << task;
  HttpResult follow = c.Get(
      "/Task?code=https%3A%2F%2Femeistring.no%2Ffhir%2FCodeSystem%2Ftask-code%7Cfollow-up-"
      "undelivered-message");
  ASSERT_EQ(follow.status, 200);
  EXPECT_NE(follow.body.find("\"total\":1"), std::string::npos) << follow.body;
  EXPECT_NE(follow.body.find(entry), std::string::npos);  // its focus
  EXPECT_EQ(Metric(c, "emg_ehr_outbox_dead_letters_total"), 1);
  EXPECT_EQ(Metric(c, "emg_ehr_push_attempts_total{result=\"dead_letter\"}"), 1);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(service.count(), 3u);  // given up: no more attempts
  EXPECT_EQ(c.Get("/ehr/outbox").body, "{\"messages\":[]}");
}

TEST(EhrPush, ARefusalIsFinalAtOnce) {
  MessageService service({400});
  GatewayProcess gw(PushOptions(service.url(), 10));
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  std::string entry = PostReferral(c);
  ASSERT_TRUE(Eventually([&] { return TaskStatus(c, entry) == "failed"; }));
  EXPECT_EQ(service.count(), 1u);
  EXPECT_NE(c.Get("/" + entry).body.find("HTTP 400"), std::string::npos);
}

TEST(EhrPush, AnUnreachableServiceIsRetriedAndTheReasonRecorded) {
  uint16_t dead_port;
  {
    MessageService gone({200});
    dead_port = gone.port();
  }  // closed: connections are refused
  GatewayProcess gw(PushOptions("http://127.0.0.1:" + std::to_string(dead_port) + "/x", 1000));
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  std::string entry = PostReferral(c);
  ASSERT_TRUE(Eventually([&] {
    return c.Get("/" + entry).body.find("cannot connect") != std::string::npos;
  })) << c.Get("/" + entry).body;
  EXPECT_EQ(TaskStatus(c, entry), "requested");  // still pending, it will be tried again
  EXPECT_GE(Metric(c, "emg_ehr_push_attempts_total{result=\"retry\"}"), 1);
}

// HTTPS with certificates made for the test by the openssl command.
class EhrPushTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("emg-push-tls");
    std::string error;
    ASSERT_TRUE(MakeTestCertificates(dir_, "IP:127.0.0.1", &error)) << error;
    other_ = dir_ + "/other";
    std::filesystem::create_directories(other_);
    ASSERT_TRUE(MakeTestCertificates(other_, "DNS:meldinger.other.example", &error)) << error;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  GatewayOptions Options(const std::string& url, const std::string& ca_file) {
    GatewayOptions o = PushOptions(url, 1000);
    o.env.emplace_back("EMG_EHR_PUSH_CA_FILE", ca_file);
    return o;
  }

  // The gateway, trusting `ca_file`, meets a service presenting `service_files`: the handshake
  // fails, not one byte of the message reaches the service, and the entry stays pending.
  void ExpectRefused(const TlsFiles& service_files, const std::string& ca_file) {
    MessageService service({200}, service_files);
    GatewayProcess gw(Options(service.url(), ca_file));
    ASSERT_TRUE(gw.Start()) << gw.error();
    HttpClient c("127.0.0.1", gw.port());
    std::string entry = PostReferral(c);
    ASSERT_TRUE(Eventually([&] {
      return c.Get("/" + entry).body.find("TLS handshake failed") != std::string::npos;
    })) << c.Get("/" + entry).body;
    EXPECT_EQ(TaskStatus(c, entry), "requested");
    EXPECT_EQ(service.count(), 0u);
    EXPECT_GE(service.failed_handshakes(), 1u);
  }

  std::string dir_, other_;
};

TEST_F(EhrPushTls, DeliversOverVerifiedHttps) {
  MessageService service({200}, TlsFiles{dir_ + "/server.pem", dir_ + "/server.key"});
  ASSERT_EQ(service.url().rfind("https://", 0), 0u);
  GatewayProcess gw(Options(service.url(), dir_ + "/ca.pem"));
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient c("127.0.0.1", gw.port());
  std::string entry = PostReferral(c);
  ASSERT_TRUE(Eventually([&] { return TaskStatus(c, entry) == "completed"; }))
      << c.Get("/" + entry).body;
  ASSERT_EQ(service.count(), 1u);
  EXPECT_NE(service.received()[0].body.find("<AppRec"), std::string::npos);
  EXPECT_EQ(service.failed_handshakes(), 0u);
}

TEST_F(EhrPushTls, ACertificateFromAnotherCaIsRefused) {
  // The service's certificate is for 127.0.0.1 but signed by a CA the gateway does not trust.
  ExpectRefused(TlsFiles{dir_ + "/server.pem", dir_ + "/server.key"}, other_ + "/ca.pem");
}

TEST_F(EhrPushTls, ACertificateForAnotherHostIsRefused) {
  // Signed by the trusted CA, but issued to another name than the one the gateway dialled.
  ExpectRefused(TlsFiles{other_ + "/server.pem", other_ + "/server.key"}, other_ + "/ca.pem");
}

TEST(EhrPush, ABadPushUrlStopsTheStart) {
  std::string data = MakeTempDir("emg-push");
  RunResult r = RunGateway(
      {"serve", "--listen", "127.0.0.1:0", "--data", data},
      {{"EMG_EHR_HER_ID", "8142519"},
       {"EMG_EHR_ORGANISATION_NAME", "x"},
       {"EMG_EHR_SCHEMA_DIR", std::string(EMG_SOURCE_DIR) + "/adapters/ehr/schemas/kith"},
       {"EMG_EHR_PUSH_URL", "ftp://example/x"}});
  std::filesystem::remove_all(data);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ehr.push_url"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace emg::test
