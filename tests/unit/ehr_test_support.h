#pragma once
// Shared by the EHR adapter's unit tests: where the corpus, the schemas and the code lists are,
// reading a file whole, the clinic's settings, and a suite base that loads the schema set and
// the code lists once per suite.

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "adapters/ehr/settings.h"
#include "adapters/ehr/xml/schema_set.h"
#include "fhir/terminology/terminology.h"

namespace adapters::ehr {

inline const std::string kRepo = std::string(EMG_TESTDATA_DIR) + "/../..";
inline const std::string kCorpus = std::string(EMG_TESTDATA_DIR) + "/ehr";
inline const std::string kSchemaDir = kRepo + "/adapters/ehr/schemas/kith";

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The synthetic clinic of the corpus (tests/testdata/ehr/README.md): organisation 8142519,
// unit 8142520; Fjordlegene (7654321) takes AppRec 1.0.
inline EhrSettings ClinicSettings() {
  EhrSettings s;
  s.self = {"eMeistring DPS (syntetisk)", "8142519", "eMeistring internettbehandling", "8142520"};
  s.accepted_her_ids = {"8142519", "8142520"};
  s.apprec_version_by_partner = {{"7654321", "1.0"}};
  return s;
}

// A test suite with the KITH schema set (schemas_) and the code lists (terms_) loaded once.
template <typename Base = ::testing::Test>
class EhrSuite : public Base {
 protected:
  static void SetUpTestSuite() {
    xml::Initialize();
    auto s = xml::SchemaSet::Load(kSchemaDir, "kith-all.xsd");
    ASSERT_TRUE(s.has_value()) << s.error().message();
    schemas_ = std::move(*s);
    auto t = fhir::terminology::Terminology::LoadDirectory(kRepo + "/mappings/terminology");
    ASSERT_TRUE(t.has_value()) << t.error().message();
    terms_ = *t;
  }
  static void TearDownTestSuite() {
    schemas_.reset();
    terms_.reset();
  }

  static inline std::unique_ptr<xml::SchemaSet> schemas_;
  static inline std::shared_ptr<const fhir::terminology::Terminology> terms_;
};

}  // namespace adapters::ehr
