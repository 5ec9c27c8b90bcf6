#pragma once
// Shared by the EHR integration tests: the corpus, reading a file whole, and the environment
// that gives the gateway the synthetic clinic's EHR settings (tests/testdata/ehr/README.md).

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/file.h"

namespace emg::test {

inline const std::string kCorpus = std::string(EMG_TESTDATA_DIR) + "/ehr";

// A corpus file's bytes (throws, failing the test, when it cannot be read).
inline std::string ReadFile(const std::string& path) { return common::ReadFile(path).value(); }

// EMG_EHR_* for the clinic (HER-ids 8142519 and 8142520), the project's schemas and code lists.
inline std::vector<std::pair<std::string, std::string>> EhrEnv() {
  return {{"EMG_EHR_HER_ID", "8142519"},
          {"EMG_EHR_ORGANISATION_NAME", "eMeistring DPS (syntetisk)"},
          {"EMG_EHR_DEPARTMENT_HER_ID", "8142520"},
          {"EMG_EHR_DEPARTMENT_NAME", "eMeistring internettbehandling"},
          {"EMG_EHR_SCHEMA_DIR", std::string(EMG_SOURCE_DIR) + "/adapters/ehr/schemas/kith"},
          {"EMG_TERMINOLOGY_DIR", std::string(EMG_SOURCE_DIR) + "/mappings/terminology"}};
}

}  // namespace emg::test
