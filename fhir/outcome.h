#pragma once
// Issues found in data, and their OperationOutcome form. "Bad data" (an Issue) is kept apart
// from "the code failed" (a non-OK common::Status); see docs/adr/0002-error-model.md.

#include <string>
#include <vector>

#include "fhir/json/value.h"

namespace fhir {

enum class Severity { kFatal, kError, kWarning, kInformation };

// One problem. `code` is from the FHIR IssueType value set ("structure", "required", "value",
// "invariant", "code-invalid", "not-found", "not-supported", "duplicate", "processing",
// "conflict", "too-long", "exception", "security", "forbidden", "invalid", "business-rule",
// "too-costly", "incomplete", ...). `expression` is a FHIRPath to the element, with indexes,
// e.g. "Patient.name[0].given[1]"; empty when the problem is not about one element.
// `diagnostics` must never contain personal data.
struct Issue {
  Severity severity = Severity::kError;
  std::string code = "processing";
  std::string diagnostics;
  std::string expression;
};

using IssueList = std::vector<Issue>;

// At most this many issues are listed in one OperationOutcome: a hostile resource can have
// millions of problems, and an answer of one issue each would cost more than the request.
inline constexpr size_t kMaxListedIssues = 100;

bool HasErrors(const IssueList& issues);  // any fatal or error

// Keeps the first `max` issues and, when there were more, appends one that says how many are
// not listed, with the most severe severity among them (so HasErrors() does not change).
void CapIssues(IssueList& issues, size_t max = kMaxListedIssues);
// The issue CapIssues appends for `omitted` issues, the most severe of them `severity`.
Issue OmittedIssues(size_t omitted, Severity severity);
std::string_view SeverityName(Severity s);
json::Value MakeOperationOutcome(const IssueList& issues);
json::Value MakeOperationOutcome(Severity severity, std::string code, std::string diagnostics,
                                 std::string expression = {});

}  // namespace fhir
