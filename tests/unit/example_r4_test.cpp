// Every official R4 example (tests/testdata/fhir-r4-examples, a copy of the hl7.fhir.r4.examples
// 4.0.1 files we were given) must round-trip losslessly through our JSON parser and writer, and
// must validate without errors, unless it is listed in kExpectedFailures with the reason and
// the issue it must produce.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/outcome.h"
#include "fhir/validation/validator.h"

namespace fhir {
namespace {

const std::filesystem::path kDir = std::filesystem::path(EMG_TESTDATA_DIR) / "fhir-r4-examples";

struct ExpectedFailure {
  std::string_view file;
  std::string_view code;        // issue code it must produce
  std::string_view expression;  // issue expression it must produce
  std::string_view reason;
};

// Examples that do not validate, and why. Each must produce the issue listed, and all its
// error-level issues must have that issue's code.
constexpr ExpectedFailure kExpectedFailures[] = {
    // Genuine violations of the R4 rules in the official examples.
    {"Observation-clinical-gender.json", "invalid", "Observation.performer[0].reference",
     "Observation.performer references an Encounter, which is not an allowed target"},
    {"Questionnaire-qs1.json", "required", "Questionnaire.item[0].item[0].linkId",
     "32 nested items have no linkId (Questionnaire.item.linkId is 1..1)"},
};

const ExpectedFailure* FindExpected(std::string_view file) {
  for (const ExpectedFailure& f : kExpectedFailures) {
    if (f.file == file) return &f;
  }
  return nullptr;
}

std::vector<std::string> ExampleFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kDir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Describe(const IssueList& issues) {
  std::string out;
  for (const Issue& i : issues) {
    out += std::string(SeverityName(i.severity)) + " " + i.code + " @ " + i.expression + ": " +
           i.diagnostics + "\n";
  }
  return out;
}

std::string TestName(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.size() - 5);  // no ".json"
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class ExampleR4Test : public testing::TestWithParam<std::string> {};

TEST_P(ExampleR4Test, RoundTripsLosslessly) {
  std::string text = ReadFile(kDir / GetParam());
  ASSERT_FALSE(text.empty());
  auto first = json::Parse(text);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  std::string written = json::Write(*first);
  auto second = json::Parse(written);
  ASSERT_TRUE(second.has_value()) << second.error().message();
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(json::Write(*second), written);
}

TEST_P(ExampleR4Test, Validates) {
  auto resource = json::Parse(ReadFile(kDir / GetParam()));
  ASSERT_TRUE(resource.has_value()) << resource.error().message();
  IssueList issues;
  validation::ValidateResource(*resource, issues);
  const ExpectedFailure* expected = FindExpected(GetParam());
  if (expected == nullptr) {
    EXPECT_FALSE(HasErrors(issues)) << Describe(issues);
    return;
  }
  bool found = std::any_of(issues.begin(), issues.end(), [&](const Issue& i) {
    return i.severity == Severity::kError && i.code == expected->code &&
           i.expression == expected->expression;
  });
  EXPECT_TRUE(found) << "expected " << expected->code << " @ " << expected->expression << " ("
                     << expected->reason << "), got:\n"
                     << Describe(issues);
  for (const Issue& i : issues) {
    if (i.severity != Severity::kError) continue;
    EXPECT_EQ(i.code, expected->code)
        << "unexpected issue: " << i.expression << ": " << i.diagnostics;
  }
}

INSTANTIATE_TEST_SUITE_P(ExampleFiles, ExampleR4Test, testing::ValuesIn(ExampleFiles()), TestName);

TEST(ExampleR4, AllExamplesArePresent) {
  std::vector<std::string> files = ExampleFiles();
  EXPECT_EQ(files.size(), 234u);
  for (const ExpectedFailure& f : kExpectedFailures) {
    EXPECT_TRUE(std::find(files.begin(), files.end(), f.file) != files.end()) << f.file;
  }
}

}  // namespace
}  // namespace fhir
