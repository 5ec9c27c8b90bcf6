// The terminology seed of the real gateway binary: the code lists of mappings/terminology are
// loaded at start, readable through the FHIR API, not duplicated by a restart, and a broken
// terminology directory stops the start with a message naming the file.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "fhir/json/parser.h"
#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace emg::test {
namespace {

namespace fs = std::filesystem;

const std::string kKithDir = std::string(EMG_SOURCE_DIR) + "/mappings/terminology";

bool Contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

fhir::json::Value Json(const HttpResult& r) {
  auto v = fhir::json::Parse(r.body);
  EXPECT_TRUE(v.has_value()) << r.body;
  return v ? *v : fhir::json::Value();
}

size_t EntryCount(const fhir::json::Value& bundle) {
  const fhir::json::Value* entry = bundle.Find("entry");
  return entry == nullptr ? 0 : entry->items().size();
}

class TerminologySeed : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure()) std::cerr << "gateway stderr:\n" << gateway_.StderrText();
  }
  GatewayProcess gateway_;
};

TEST_F(TerminologySeed, CodeListsAreReadableOverHttpAndARestartDoesNotDuplicateThem) {
  ASSERT_TRUE(gateway_.Start()) << gateway_.error();
  EXPECT_TRUE(gateway_.WaitForStderr(R"("event":"terminology_loaded")"));
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run == 0 ? "first start" : "after a restart");
    HttpClient client("127.0.0.1", gateway_.port());
    HttpResult r = client.Get("/CodeSystem?url=urn:oid:2.16.578.1.12.4.1.1.8116");
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.status, 200) << r.body;
    fhir::json::Value bundle = Json(r);
    ASSERT_EQ(EntryCount(bundle), 1u) << r.body;
    const fhir::json::Value* cs = bundle.Find("entry")->items()[0].Find("resource");
    ASSERT_NE(cs, nullptr);
    EXPECT_EQ(cs->GetString("id"), "kodeverk-8116");
    EXPECT_EQ(cs->GetString("url"), "urn:oid:2.16.578.1.12.4.1.1.8116");
    EXPECT_TRUE(Contains(r.body, R"("code":"FNR","display":"Fødselsnummer")")) << r.body;

    r = client.Get(
        "/ConceptMap?url=urn%3Aemeistring%3Afhir%3AConceptMap%3Akith-3101-to-administrative-"
        "gender");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(EntryCount(Json(r)), 1u) << r.body;

    r = client.Get("/CodeSystem/kodeverk-8304");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(Contains(r.body, R"("display":"Øyeblikkelig hjelp")")) << r.body;

    // One CodeSystem per code list file, however often the gateway started.
    size_t files = 0;
    for (const std::string sub : {"/codesystems", "/emeistring"}) {
      for (const auto& e : fs::directory_iterator(kKithDir + sub)) {
        files += e.path().extension() == ".json" ? 1 : 0;
      }
    }
    r = client.Get("/CodeSystem?_summary=count");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(Contains(r.body, "\"total\":" + std::to_string(files))) << r.body;

    if (run == 0) {
      client.Close();
      gateway_.Terminate();
      ASSERT_EQ(gateway_.WaitForExit(), 0);
      ASSERT_TRUE(gateway_.Start()) << gateway_.error();
    }
  }
}

class TerminologyBroken : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("emg-terminology-it");
    ASSERT_FALSE(dir_.empty());
    fs::create_directories(dir_ + "/kith/codesystems");
    fs::copy_file(kKithDir + "/codesystems/kodeverk-3101.json",
                  dir_ + "/kith/codesystems/kodeverk-3101.json");
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult Serve() {
    return RunGateway({"serve", "--listen", "127.0.0.1:0", "--data", dir_ + "/data"},
                      {{"EMG_TERMINOLOGY_DIR", dir_ + "/kith"}});
  }
  std::string dir_;
};

TEST_F(TerminologyBroken, AFileThatIsNotJsonStopsTheStartNamingTheFile) {
  std::string broken = dir_ + "/kith/codesystems/kodeverk-9999.json";
  std::ofstream(broken) << R"({"resourceType": "CodeSystem", )";
  RunResult r = Serve();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Contains(r.err, R"("event":"terminology_load_failed")")) << r.err;
  EXPECT_TRUE(Contains(r.err, broken + ": invalid JSON")) << r.err;
  EXPECT_FALSE(Contains(r.err, R"("event":"listening")")) << r.err;
}

TEST_F(TerminologyBroken, AnInvalidResourceStopsTheStartNamingTheFileAndTheElement) {
  std::string bad = dir_ + "/kith/codesystems/kodeverk-9998.json";
  std::ofstream(bad) << R"({"resourceType": "CodeSystem", "url": "urn:oid:2.16.578.1.12.4.1.1.9998",
                           "status": "bogus", "content": "complete"})";
  RunResult r = Serve();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Contains(r.err, bad + ": invalid CodeSystem: CodeSystem.status")) << r.err;
}

TEST_F(TerminologyBroken, AMapCodeMissingFromItsCodeSystemStopsTheStart) {
  fs::create_directories(dir_ + "/kith/conceptmaps");
  std::string map = dir_ + "/kith/conceptmaps/bad-map.json";
  std::ofstream(map) << R"({"resourceType": "ConceptMap", "url": "urn:test:bad-map",
      "status": "active", "group": [{"source": "urn:oid:2.16.578.1.12.4.1.1.3101",
      "target": "http://hl7.org/fhir/administrative-gender",
      "element": [{"code": "7", "target": [{"code": "male", "equivalence": "equivalent"}]}]}]})";
  RunResult r = Serve();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Contains(r.err, map + ": ConceptMap.group[0].element[0].code")) << r.err;
}

TEST_F(TerminologyBroken, AMissingDirectoryIsAConfigError) {
  RunResult r = RunGateway({"serve", "--listen", "127.0.0.1:0", "--data", dir_ + "/data"},
                           {{"EMG_TERMINOLOGY_DIR", dir_ + "/nowhere"}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Contains(
      r.err, "config error: terminology.dir: cannot read directory '" + dir_ + "/nowhere'"))
      << r.err;
}

}  // namespace
}  // namespace emg::test
