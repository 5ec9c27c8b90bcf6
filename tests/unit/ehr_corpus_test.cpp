// The synthetic corpus (tests/testdata/ehr, see its README) through the adapter's first
// stages: safe parsing, envelope detection, quirk repair and schema validation, each checked
// against the manifest.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "adapters/ehr/envelope.h"
#include "adapters/ehr/henvisning.h"
#include "adapters/ehr/quirks.h"
#include "adapters/ehr/xml/schema_set.h"
#include "tests/unit/ehr_test_support.h"

namespace adapters::ehr {
namespace {

const std::string kRoot = kCorpus;

class EhrCorpus : public EhrSuite<> {
 protected:
  static void SetUpTestSuite() {
    EhrSuite::SetUpTestSuite();
    manifest_.Parse(ReadFile(kRoot + "/manifest.json").c_str());
    ASSERT_FALSE(manifest_.HasParseError());
  }

  static inline rapidjson::Document manifest_;
};

std::string Str(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return it->value.GetString();
}

TEST_F(EhrCorpus, EveryFileIsListedAndBehavesAsTheManifestSays) {
  const rapidjson::Value& files = manifest_["files"];
  ASSERT_TRUE(files.IsArray());
  size_t listed = 0;
  for (const auto& f : files.GetArray()) {
    ++listed;
    const std::string name = Str(f, "file");
    SCOPED_TRACE(name);
    const std::string bytes = ReadFile(kRoot + "/" + name);
    ASSERT_FALSE(bytes.empty());
    const bool well_formed = f["wellFormed"].GetBool();
    const std::string dir = name.substr(0, name.find('/'));
    xml::ParseError error;
    auto doc = xml::Document::Parse(bytes, 32 << 20, &error);
    if (dir == "attacks" || !well_formed) {
      // Every attack and every malformed file is refused before anything is read from it.
      EXPECT_FALSE(doc.has_value());
      EXPECT_EQ(error.message.find("Syntetisk"), std::string::npos) << error.message;
      continue;
    }
    ASSERT_TRUE(doc.has_value()) << error.message;
    Envelope e = DetectEnvelope(*doc);
    const std::string kind = Str(f, "kind");
    if (kind == "unknown") {
      EXPECT_EQ(e.kind, MessageKind::kUnsupported);
      EXPECT_FALSE(e.unsupported.empty());
      continue;
    }
    EXPECT_EQ(std::string(KindName(e.kind)), kind == "henvisning"      ? "Henvisning"
                                             : kind == "dialogmelding" ? "Dialogmelding"
                                                                       : "AppRec");
    EXPECT_EQ(e.version, Str(f, "version"));
    const rapidjson::Value& expect = f["expect"];
    bool quirk = expect.HasMember("quirk") && expect["quirk"].IsString();
    // What the inbox does before it validates (inbox.cpp), under the sender's policy: repairs
    // in the tree, the foreign documents taken out, and the repairs of what the validator then
    // finds.
    ValidationPolicy policy = ValidationPolicy::kTolerant;
    const EhrSettings settings = ClinicSettings();
    for (const std::string& her : SenderHerIds(*doc)) {
      if (auto it = settings.validation_policy_by_partner.find(her);
          it != settings.validation_policy_by_partner.end()) {
        policy = it->second;
      }
    }
    Envelope tolerated = DetectEnvelope(*doc, policy);
    std::vector<Deviation> repairs = tolerated.deviations;
    TakeForeignDocuments(tolerated, &repairs);
    for (const Deviation& d : RepairKnownQuirks(*doc, policy)) repairs.push_back(d);
    std::set<std::string> expected_kinds;
    for (const auto& k : expect["deviations"].GetArray()) expected_kinds.insert(k.GetString());
    const rapidjson::Value& valid = f["schemaValid"];
    if (!valid.IsNull()) {
      auto violations = schemas_->Validate(*doc);
      for (const Deviation& d : RepairViolations(violations, policy)) repairs.push_back(d);
      violations = schemas_->Validate(*doc);
      if (quirk) {
        // Tolerated: valid after the repairs, and the schema-invalid ones needed one.
        EXPECT_TRUE(violations.empty())
            << violations.front().path << " " << violations.front().message;
        if (!valid.GetBool()) {
          EXPECT_FALSE(repairs.empty());
        }
      } else {
        EXPECT_EQ(violations.empty(), valid.GetBool())
            << (violations.empty() ? ""
                                   : violations.front().path + " " + violations.front().message);
      }
      for (const auto& v : violations) {
        // Errors name elements, never values from the message.
        EXPECT_EQ(v.message.find("Syntetisk"), std::string::npos) << v.message;
        EXPECT_EQ(v.message.find("12848841054"), std::string::npos) << v.message;
      }
    }
    // Every deviation found before mapping is one the manifest expects (the mapping adds
    // attachment-mime-type; ehr_inbox_test checks the whole list).
    for (const Deviation& d : repairs) {
      EXPECT_TRUE(expected_kinds.contains(d.kind)) << d.kind << " at " << d.path;
      // Paths name elements, never values.
      EXPECT_EQ(d.path.find("Syntetisk"), std::string::npos) << d.path;
    }
  }
  // Every XML file of the corpus is in the manifest.
  size_t on_disk = 0;
  for (const auto& p : std::filesystem::recursive_directory_iterator(kRoot)) {
    if (p.path().extension() == ".xml") ++on_disk;
  }
  EXPECT_EQ(listed, on_disk);
  EXPECT_GE(listed, 50u);
}

}  // namespace
}  // namespace adapters::ehr
