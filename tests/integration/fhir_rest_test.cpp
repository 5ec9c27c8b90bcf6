// The FHIR REST API over real sockets against the real binary: official examples round trip,
// conditional-create races, and durability across SIGKILL.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "common/file.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace emg::test {
namespace {

using fhir::json::Value;

const Headers kJson = {{"Content-Type", "application/fhir+json"}};

std::string ReadFile(const std::filesystem::path& p) {
  return common::ReadFile(p.string()).value();
}

// Removes what the server owns (id, meta.versionId, meta.lastUpdated) for comparison.
Value WithoutServerFields(Value v) {
  v.Remove("id");
  if (Value* meta = v.Find("meta")) {
    meta->Remove("versionId");
    meta->Remove("lastUpdated");
    if (meta->members().empty()) v.Remove("meta");
  }
  return v;
}

std::set<std::string> ExpectedInvalidExamples() {
  // Mirrors tests/unit/example_r4_test.cpp: examples that break an R4 rule. The server must
  // reject them (400). Examples containing any R4 type (Goal, DiagnosticReport, ...) are valid.
  return {"Observation-clinical-gender.json", "Questionnaire-qs1.json"};
}

TEST(FhirRest, EveryOfficialExampleRoundTripsThroughCreateAndRead) {
  GatewayProcess gw;
  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient client("127.0.0.1", gw.port());
  std::set<std::string> invalid = ExpectedInvalidExamples();
  int round_tripped = 0;
  int rejected = 0;
  for (const auto& file :
       std::filesystem::directory_iterator(EMG_TESTDATA_DIR "/fhir-r4-examples")) {
    std::string name = file.path().filename().string();
    std::string body = ReadFile(file.path());
    auto original = fhir::json::Parse(body);
    ASSERT_TRUE(original.has_value()) << name;
    std::string type(original->GetString("resourceType"));
    HttpResult created = client.Request("POST", "/" + type, kJson, body);
    ASSERT_TRUE(created.ok) << created.error;
    if (invalid.count(name)) {
      EXPECT_EQ(created.status, 400) << name;
      auto oo = fhir::json::Parse(created.body);
      ASSERT_TRUE(oo.has_value());
      EXPECT_EQ(oo->GetString("resourceType"), "OperationOutcome") << name;
      ++rejected;
      continue;
    }
    ASSERT_EQ(created.status, 201) << name << ": " << created.body.substr(0, 600);
    std::string location = created.Header("location");
    ASSERT_FALSE(location.empty()) << name;
    auto stored = fhir::json::Parse(created.body);
    ASSERT_TRUE(stored.has_value()) << name;
    std::string id(stored->GetString("id"));
    HttpResult read = client.Get("/" + type + "/" + id);
    ASSERT_EQ(read.status, 200) << name;
    auto back = fhir::json::Parse(read.body);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(back->Find("meta")->GetString("versionId"), "1") << name;
    EXPECT_EQ(fhir::json::Write(WithoutServerFields(*back)),
              fhir::json::Write(WithoutServerFields(*original)))
        << name;
    ++round_tripped;
  }
  EXPECT_EQ(rejected, static_cast<int>(invalid.size()));
  EXPECT_GT(round_tripped, 200);
}

TEST(FhirRest, ParallelConditionalCreatesOverHttpMakeExactlyOne) {
  GatewayProcess gw;
  ASSERT_TRUE(gw.Start()) << gw.error();
  constexpr int kClients = 16;
  const std::string body =
      R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1",)"
      R"("value":"12839140000"}],"name":[{"family":"Parallell"}]})";
  Headers headers = kJson;
  headers.emplace_back("If-None-Exist", "identifier=urn:oid:2.16.578.1.12.4.1.4.1|12839140000");
  std::atomic<int> created{0}, existing{0}, other{0};
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      HttpClient client("127.0.0.1", gw.port());
      while (!go.load()) std::this_thread::yield();
      HttpResult r = client.Request("POST", "/Patient", headers, body);
      if (r.ok && r.status == 201)
        ++created;
      else if (r.ok && r.status == 200)
        ++existing;
      else
        ++other;
    });
  }
  go.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(existing.load(), kClients - 1);
  EXPECT_EQ(other.load(), 0);
  HttpClient client("127.0.0.1", gw.port());
  auto bundle =
      fhir::json::Parse(client.Get("/Patient?identifier=12839140000&_total=accurate").body);
  ASSERT_TRUE(bundle.has_value());
  EXPECT_EQ(bundle->Find("total")->text(), "1");
}

TEST(FhirRest, EveryAcknowledgedCreateSurvivesSigkill) {
  GatewayProcess gw;
  ASSERT_TRUE(gw.Start()) << gw.error();
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      HttpClient client("127.0.0.1", gw.port(), std::chrono::seconds(5));
      for (int i = 0; !stop.load() && i < 100000; ++i) {
        std::string body =
            R"({"resourceType":"Observation","status":"final","code":{"text":"crash-)" +
            std::to_string(w) + "-" + std::to_string(i) + R"("}})";
        HttpResult r = client.Request("POST", "/Observation", kJson, body);
        if (!r.ok) return;  // the server died
        if (r.status == 201) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.push_back(r.Header("location"));
        }
      }
    });
  }
  // Let the load run, then kill the server without warning.
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(mu);
    if (acknowledged.size() >= 300) break;
  }
  gw.Kill();
  stop.store(true);
  for (auto& t : writers) t.join();
  ASSERT_TRUE(gw.WaitForExit().has_value());
  ASSERT_GT(acknowledged.size(), 50u);

  ASSERT_TRUE(gw.Start()) << gw.error();
  HttpClient client("127.0.0.1", gw.port());
  size_t missing = 0;
  for (const std::string& location : acknowledged) {
    // Location is absolute: http://host:port/Observation/{id}/_history/1
    size_t path = location.find("/Observation/");
    ASSERT_NE(path, std::string::npos) << location;
    HttpResult r = client.Get(location.substr(path));
    if (!r.ok || r.status != 200) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged creates";
}

TEST(FhirRest, DemoSeedLoadsAndIsIdempotentAcrossRestarts) {
  GatewayOptions options;
  options.config_json =
      R"({"demo":{"seed_file":")" EMG_SOURCE_DIR R"(/mappings/demo/seed-transaction.json"}})";
  GatewayProcess gw(options);
  ASSERT_TRUE(gw.Start()) << gw.error();
  auto count = [&] {
    HttpClient client("127.0.0.1", gw.port());
    auto b = fhir::json::Parse(client.Get("/Patient?_summary=count").body);
    return b ? std::string(b->Find("total")->text()) : std::string("?");
  };
  EXPECT_EQ(count(), "2");
  gw.Terminate();
  ASSERT_EQ(gw.WaitForExit(), 0);
  ASSERT_TRUE(gw.Start()) << gw.error();
  EXPECT_EQ(count(), "2");
}

}  // namespace
}  // namespace emg::test
