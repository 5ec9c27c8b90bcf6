// The HTTP edge of the real gateway binary over real sockets: CLI, config errors, operational
// routes, limits, request ids, access log hygiene, keep-alive and graceful shutdown.

// GCC 12 at -O2 and above reports -Wnull-dereference inside Boost.Asio's strand and scheduler
// code (system headers; false positives). The pragma has to precede every include to reach them.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace emg::test {
namespace {

using namespace std::chrono_literals;

bool Contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

constexpr std::string_view kPatient =
    R"({"resourceType":"Patient","name":[{"family":"Testesen","given":["Edge"]}]})";

// --- Command line ---------------------------------------------------------------------------

TEST(EdgeCli, HelpAndVersionExitZero) {
  RunResult r = RunGateway({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "emeistring-gateway serve [--config FILE]")) << r.out;
  r = RunGateway({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("emeistring-gateway ") + EMG_VERSION + "\n");
}

TEST(EdgeCli, UnknownCommandOrFlagPrintsUsageAndExitsTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {}, {"frobnicate"}, {"--bogus"}, {"serve", "--bogus"}, {"serve", "--listen"}}) {
    RunResult r = RunGateway(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(Contains(r.err, "Usage:")) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
}

// --- Config errors ----------------------------------------------------------------------------

TEST(EdgeConfig, ErrorsStopTheProcessAndNameTheKey) {
  std::string dir = MakeTempDir("emg-config-it");
  auto run_with = [&](const std::string& json, std::vector<std::string> extra = {},
                      std::vector<std::pair<std::string, std::string>> env = {}) {
    std::string path = dir + "/c.json";
    std::ofstream(path) << json;
    std::vector<std::string> args = {"serve",       "--config", path,         "--data",
                                     dir + "/data", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunGateway(args, env);
  };
  RunResult r = run_with(R"({"server": {"read_timeout_ms": 5}})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err,
                       "config error: server.read_timeout_ms: must be an integer between "
                       "100 and 600000"))
      << r.err;
  r = run_with(R"({"server": {"tls": {"certificate": "x"}}})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "config error: server.tls.certificate: unknown key")) << r.err;
  r = run_with(R"({"store": {"durable": "yes"}})");
  EXPECT_TRUE(Contains(r.err, "config error: store.durable: must be true or false")) << r.err;
  r = run_with(R"({"server": {"tls": {"certificate_file": "/nonexistent.pem",
                                     "key_file": "/nonexistent.key"}}})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "config error: server.tls.certificate_file: cannot read")) << r.err;
  r = run_with("{}", {}, {{"EMG_LOG_LEVEL", "loud"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "config error: EMG_LOG_LEVEL (log.level): must be one of")) << r.err;
  r = RunGateway({"serve", "--config", dir + "/missing.json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "config error: --config: cannot read config file")) << r.err;
  r = RunGateway({"serve", "--listen", "nowhere", "--data", dir + "/data"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "config error: --listen: must be HOST:PORT")) << r.err;
  std::filesystem::remove_all(dir);
}

TEST(EdgeConfig, PortInUseFailsTheStart) {
  GatewayProcess first;
  ASSERT_TRUE(first.Start()) << first.error() << "\n" << first.StderrText();
  std::string dir = MakeTempDir("emg-port-it");
  RunResult r =
      RunGateway({"serve", "--listen", "127.0.0.1:" + std::to_string(first.port()), "--data", dir});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, R"("event":"listen_failed")")) << r.err;
  EXPECT_TRUE(Contains(r.err, "cannot listen on 127.0.0.1:")) << r.err;
  std::filesystem::remove_all(dir);
}

// --- A running gateway ------------------------------------------------------------------------

class EdgeTest : public ::testing::Test {
 protected:
  void StartGateway(GatewayOptions options = {}) {
    gateway_ = std::make_unique<GatewayProcess>(std::move(options));
    ASSERT_TRUE(gateway_->Start()) << gateway_->error() << "\n" << gateway_->StderrText();
  }
  void SetUp() override { StartGateway(); }
  void TearDown() override {
    if (HasFailure() && gateway_) std::cerr << "gateway stderr:\n" << gateway_->StderrText();
  }
  HttpClient Client() { return HttpClient("127.0.0.1", gateway_->port()); }

  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(EdgeTest, CreatesTheDataDirAndDatabase) {
  EXPECT_TRUE(std::filesystem::is_directory(gateway_->data_dir()));
  EXPECT_TRUE(std::filesystem::exists(gateway_->data_dir() + "/gateway.db"));
}

TEST_F(EdgeTest, HealthReadinessAndMetrics) {
  HttpClient client = Client();
  HttpResult r = client.Get("/healthz");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200);
  r = client.Get("/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  r = client.Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(Contains(r.body,
                       "emg_http_requests_total{method=\"GET\",route=\"/healthz\","
                       "status=\"200\"} 1"))
      << r.body;
  EXPECT_TRUE(Contains(r.body, "# TYPE emg_http_request_duration_seconds histogram"));
  EXPECT_TRUE(Contains(r.body, "emg_http_requests_in_flight "));
  EXPECT_TRUE(Contains(r.body, "# TYPE emg_store_commit_duration_seconds histogram"));
  EXPECT_TRUE(Contains(r.body, "# TYPE emg_store_commit_batch_units histogram"));
  EXPECT_TRUE(Contains(r.body, "emg_process_uptime_seconds "));
}

TEST_F(EdgeTest, StoreCommitsAreMeasured) {
  HttpClient client = Client();
  HttpResult r =
      client.Request("POST", "/Patient", {{"Content-Type", "application/fhir+json"}}, kPatient);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 201) << r.body;
  r = client.Get("/metrics");
  EXPECT_FALSE(Contains(r.body, "emg_store_commit_duration_seconds_count 0\n")) << r.body;
  EXPECT_TRUE(Contains(r.body, "emg_http_requests_total{method=\"POST\"")) << r.body;
}

TEST_F(EdgeTest, KeepAliveReusesTheConnection) {
  HttpClient client = Client();
  for (int i = 0; i < 5; ++i) {
    HttpResult r = client.Get(i % 2 == 0 ? "/healthz" : "/metadata");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(r.keep_alive);
  }
  HttpResult r = client.Get("/metrics");
  EXPECT_EQ(client.connections_opened(), 1);
  EXPECT_TRUE(Contains(r.body, "emg_http_connections_accepted_total 1\n")) << r.body;
}

TEST_F(EdgeTest, RequestIdIsEchoedOrGenerated) {
  HttpClient client = Client();
  HttpResult r = client.Get("/healthz", {{"X-Request-Id", "it-req.1_a-b"}});
  EXPECT_EQ(r.Header("x-request-id"), "it-req.1_a-b");
  r = client.Get("/Patient/does-not-exist", {{"X-Request-Id", "it-req-404"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("x-request-id"), "it-req-404");
  r = client.Get("/healthz", {{"X-Request-Id", std::string(65, 'x')}});
  EXPECT_EQ(r.Header("x-request-id").size(), 36u);
  r = client.Get("/healthz", {{"X-Request-Id", "bad id!"}});
  EXPECT_EQ(r.Header("x-request-id").size(), 36u);
  r = client.Get("/healthz");
  std::string generated = r.Header("x-request-id");
  EXPECT_EQ(generated.size(), 36u);
  EXPECT_NE(client.Get("/healthz").Header("x-request-id"), generated);
}

TEST_F(EdgeTest, MalformedRequestGets400OperationOutcome) {
  HttpClient client = Client();
  std::string raw = client.SendRaw("NOT A REQUEST\r\n\r\n");
  EXPECT_EQ(RawStatus(raw), 400) << raw;
  EXPECT_TRUE(Contains(raw, R"("resourceType":"OperationOutcome")")) << raw;
  EXPECT_TRUE(Contains(raw, "X-Request-Id: "));
  raw = client.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n");
  EXPECT_EQ(RawStatus(raw), 400) << raw;
}

TEST_F(EdgeTest, HugeHeaderGets431) {
  HttpClient client = Client();
  HttpResult r = client.Get("/healthz", {{"X-Filler", std::string(20 * 1024, 'h')}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(Contains(r.body, R"("resourceType":"OperationOutcome")"));
}

TEST_F(EdgeTest, AccessLogNamesTheRouteButNotTheQueryOrIds) {
  HttpClient client = Client();
  size_t from = gateway_->StderrLines().size();
  client.Get("/Patient?family=Hemmeligsen&given=Skjult", {{"X-Request-Id", "it-log-1"}});
  client.Get("/Patient/secret-id-4711", {{"X-Request-Id", "it-log-2"}});
  ASSERT_TRUE(gateway_->WaitForStderr(R"("request_id":"it-log-2")", 10s, from));
  std::string log = gateway_->StderrText();
  EXPECT_FALSE(Contains(log, "Hemmeligsen"));
  EXPECT_FALSE(Contains(log, "Skjult"));
  EXPECT_FALSE(Contains(log, "family="));
  EXPECT_FALSE(Contains(log, "secret-id-4711"));
  bool found = false;
  for (const std::string& line : gateway_->StderrLines()) {
    if (!Contains(line, R"("request_id":"it-log-1")")) continue;
    found = true;
    EXPECT_TRUE(Contains(line, R"("event":"request")")) << line;
    EXPECT_TRUE(Contains(line, R"("method":"GET")")) << line;
    EXPECT_TRUE(Contains(line, R"("route":")")) << line;
    EXPECT_TRUE(Contains(line, R"("status":200)")) << line;
    EXPECT_TRUE(Contains(line, R"("duration_ms":)")) << line;
    EXPECT_TRUE(Contains(line, R"("bytes":)")) << line;
  }
  EXPECT_TRUE(found);
}

TEST_F(EdgeTest, SigtermWaitsForTheRequestInFlightThenExitsZero) {
  // An idle kept-alive connection must not hold up the shutdown.
  HttpClient idle = Client();
  ASSERT_EQ(idle.Get("/healthz").status, 200);

  // A request in flight: the headers and half of the body are sent before SIGTERM.
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  socket.connect({net::ip::make_address("127.0.0.1"), gateway_->port()});
  std::string head =
      "POST /Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json"
      "\r\nContent-Length: " +
      std::to_string(kPatient.size()) + "\r\n\r\n";
  size_t half = kPatient.size() / 2;
  net::write(socket, net::buffer(head + std::string(kPatient.substr(0, half))));
  std::this_thread::sleep_for(300ms);

  size_t from = gateway_->StderrLines().size();
  gateway_->Terminate();
  ASSERT_TRUE(gateway_->WaitForStderr(R"("event":"shutdown_started")", 10s, from));
  std::this_thread::sleep_for(200ms);
  net::write(socket, net::buffer(kPatient.substr(half)));
  std::string raw;
  char buf[4096];
  boost::system::error_code ec;
  for (;;) {
    size_t n = socket.read_some(net::buffer(buf), ec);
    raw.append(buf, n);
    if (ec) break;
  }
  EXPECT_EQ(RawStatus(raw), 201) << raw;
  EXPECT_TRUE(Contains(raw, "Connection: close")) << raw;

  std::optional<int> code = gateway_->WaitForExit(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_TRUE(gateway_->WaitForStderr(R"("event":"stopped")", 1s, from));
  EXPECT_FALSE(idle.Get("/healthz").ok);  // the server is gone
}

TEST_F(EdgeTest, SigintAlsoShutsDownCleanly) {
  gateway_->Interrupt();
  std::optional<int> code = gateway_->WaitForExit(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

TEST_F(EdgeTest, DataSurvivesARestartInTheSameDataDir) {
  HttpClient client = Client();
  HttpResult created =
      client.Request("POST", "/Patient", {{"Content-Type", "application/fhir+json"}}, kPatient);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string location = created.Header("location");
  size_t at = location.find("/Patient/");
  ASSERT_NE(at, std::string::npos) << location;
  std::string path = location.substr(at);
  if (size_t history = path.find("/_history"); history != std::string::npos) path.resize(history);
  client.Close();

  gateway_->Terminate();
  ASSERT_EQ(gateway_->WaitForExit(30s), std::optional<int>(0));
  ASSERT_TRUE(gateway_->Start()) << gateway_->error() << "\n" << gateway_->StderrText();
  HttpClient again = Client();
  HttpResult read = again.Get(path);
  EXPECT_EQ(read.status, 200) << path << " " << read.body;
  EXPECT_TRUE(Contains(read.body, "Testesen"));
}

class EdgeLimitsTest : public EdgeTest {
 protected:
  void SetUp() override {
    GatewayOptions o;
    o.config_json = R"({"server": {"body_limit_bytes": 2048, "idle_timeout_ms": 500}})";
    StartGateway(o);
  }
};

TEST_F(EdgeLimitsTest, TooLargeBodyGets413OperationOutcome) {
  HttpClient client = Client();
  std::string body(64 * 1024, ' ');  // whitespace: the size is all that matters here
  HttpResult r =
      client.Request("POST", "/Patient", {{"Content-Type", "application/fhir+json"}}, body);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(Contains(r.body, R"("resourceType":"OperationOutcome")")) << r.body;
  EXPECT_TRUE(Contains(r.body, R"("code":"too-long")")) << r.body;
  EXPECT_FALSE(r.keep_alive);
  // The server is fine afterwards.
  EXPECT_EQ(client.Get("/healthz").status, 200);
}

TEST_F(EdgeLimitsTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  HttpClient client = Client();
  ASSERT_EQ(client.Get("/healthz").status, 200);
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(client.Get("/healthz").status, 200);  // the client reconnects transparently
  EXPECT_EQ(client.connections_opened(), 2);
}

}  // namespace
}  // namespace emg::test
