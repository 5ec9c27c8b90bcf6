// Fuzz target: a FHIR resource as a client sends it (JSON), through what the REST layer does
// with a body: the strict JSON parser (fhir/json), the validator against the generated R4 model
// and the invariants (fhir/validation), the OperationOutcome that reports the problems, and,
// for a valid resource, the search index the store would write (fhir/search/index.h).
// Properties: what the parser accepts, the writer writes back to the same tree; every issue
// has a code and severity; the OperationOutcome we would answer is itself valid FHIR.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/outcome.h"
#include "fhir/search/index.h"
#include "fhir/validation/validator.h"
#include "fuzz/support/harness.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  emg_fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  auto parsed = fhir::json::Parse(data);
  if (!parsed.has_value()) {
    emg_fuzz::Note("not parsed: " + parsed.error().message());
    EMG_FUZZ_CHECK(parsed.error().code() == common::Code::kInvalidArgument,
                   "a parse failure that is not kInvalidArgument");
    return 0;
  }

  std::string written = fhir::json::Write(*parsed);
  auto reparsed = fhir::json::Parse(written);
  EMG_FUZZ_CHECK(reparsed.has_value(), "the writer's output does not parse");
  EMG_FUZZ_CHECK(*reparsed == *parsed, "write + parse changed the tree");
  (void)fhir::json::WritePretty(*parsed);

  fhir::IssueList issues;
  fhir::validation::ValidateResource(*parsed, issues);
  for (const fhir::Issue& issue : issues) {
    EMG_FUZZ_CHECK(!issue.code.empty(), "an issue without a code");
  }
  if (!parsed->is_object()) {
    EMG_FUZZ_CHECK(fhir::HasErrors(issues), "a JSON value that is not an object was accepted");
  }

  // What the client would get back must be a valid OperationOutcome.
  fhir::json::Value outcome = fhir::MakeOperationOutcome(issues);
  fhir::IssueList outcome_issues;
  fhir::validation::ValidateResource(outcome, outcome_issues);
  if (!issues.empty()) {
    EMG_FUZZ_CHECK(!fhir::HasErrors(outcome_issues), "our OperationOutcome is not valid FHIR");
  }
  auto outcome_text = fhir::json::Parse(fhir::json::Write(outcome));
  EMG_FUZZ_CHECK(outcome_text.has_value(), "our OperationOutcome does not parse");

  emg_fuzz::Note(std::to_string(issues.size()) + " issues" +
                 (issues.empty()
                      ? std::string()
                      : ", first: " + issues[0].expression + " " + issues[0].diagnostics));
  if (!fhir::HasErrors(issues)) (void)fhir::search::ExtractIndex(*parsed);
  return 0;
}
