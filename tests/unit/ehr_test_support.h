#pragma once
// Shared by the EHR adapter's unit tests: where the corpus, the schemas and the code lists are,
// reading a file whole, the clinic's settings, a suite base that loads the schema set and the
// code lists once per suite, and a real FHIR store in a temporary directory.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/ehr/settings.h"
#include "adapters/ehr/xml/schema_set.h"
#include "fhir/json/writer.h"
#include "fhir/store/triggers.h"
#include "fhir/terminology/terminology.h"
#include "gateway/app/in_process_fhir_port.h"
#include "gateway/rest/fhir_api.h"
#include "store/sqlite/sqlite_store.h"

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
// unit 8142520; Fjordlegene (7654321) takes AppRec 1.0 and is held to the strict validation
// policy (everyone else: tolerant, the default).
inline EhrSettings ClinicSettings() {
  EhrSettings s;
  s.self = {"eMeistring DPS (syntetisk)", "8142519", "eMeistring internettbehandling", "8142520"};
  s.accepted_her_ids = {"8142519", "8142520"};
  s.apprec_version_by_partner = {{"7654321", "1.0"}};
  s.validation_policy_by_partner = {{"7654321", ValidationPolicy::kStrict}};
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

// The real FHIR REST layer over a non-durable SQLite store in its own temporary directory, with
// the code lists seeded, reached through the in-process FhirPort as the gateway wires adapters.
// Everything is closed and removed when it goes out of scope.
class TestFhirStore {
 public:
  struct Options {
    std::string name;  // part of the directory's name
    std::vector<fhir::store::UniqueIdentifier> unique_identifiers;
    std::vector<std::shared_ptr<fhir::store::WriteTrigger>> triggers;
    std::string base_url = "http://fhir.test";
    size_t max_body_bytes = 64 << 20;  // the FHIR API's body limit
  };

  // A failure is a fatal test failure (the caller checks HasFatalFailure() or ASSERTs on ok()).
  TestFhirStore(const Options& o, const fhir::terminology::Terminology& terms) {
    static std::atomic<int> opened{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("emg-" + o.name + "-" + std::to_string(::getpid()) + "-" + std::to_string(++opened));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::sqlite::SqliteStoreOptions so;
    so.path = (dir_ / "fhir.db").string();
    so.durable = false;
    so.unique_identifiers = o.unique_identifiers;
    auto st = store::sqlite::OpenSqliteStore(so);
    if (!st.has_value()) {
      ADD_FAILURE() << st.error().message();
      return;
    }
    store_ = std::move(*st);
    if (!o.triggers.empty()) triggered_ = fhir::store::WithTriggers(*store_, o.triggers);
    gateway::FhirApiOptions opts;
    opts.base_url = o.base_url;
    opts.max_body_bytes = o.max_body_bytes;
    opts.max_bundle_entries = 10000;
    api_ = std::make_unique<gateway::FhirApi>(triggered_ ? *triggered_ : *store_, opts);
    if (!api_->SeedFromBundle(fhir::json::Write(terms.SeedBundle())).ok()) {
      ADD_FAILURE() << "the code lists could not be seeded";
      return;
    }
    port_ = std::make_unique<gateway::app::InProcessFhirPort>(*api_, "system:ehr-test");
  }
  ~TestFhirStore() {
    port_.reset();
    api_.reset();
    triggered_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TestFhirStore(const TestFhirStore&) = delete;
  TestFhirStore& operator=(const TestFhirStore&) = delete;

  bool ok() const { return port_ != nullptr; }
  FhirPort& port() { return *port_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<fhir::store::Store> store_;
  std::unique_ptr<fhir::store::Store> triggered_;
  std::unique_ptr<gateway::FhirApi> api_;
  std::unique_ptr<gateway::app::InProcessFhirPort> port_;
};

}  // namespace adapters::ehr
