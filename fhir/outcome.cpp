#include "fhir/outcome.h"

#include <algorithm>

namespace fhir {

bool HasErrors(const IssueList& issues) {
  for (const Issue& i : issues) {
    if (i.severity == Severity::kFatal || i.severity == Severity::kError) return true;
  }
  return false;
}

Issue OmittedIssues(size_t omitted, Severity severity) {
  Issue issue;
  issue.severity = severity;
  issue.code =
      severity == Severity::kFatal || severity == Severity::kError ? "invalid" : "informational";
  issue.diagnostics = std::to_string(omitted) + " more issue" + (omitted == 1 ? "" : "s") +
                      " found and not listed (at most " + std::to_string(kMaxListedIssues) +
                      " are listed)";
  return issue;
}

void CapIssues(IssueList& issues, size_t max) {
  if (issues.size() <= max) return;
  Severity worst = Severity::kInformation;
  for (size_t i = max; i < issues.size(); ++i) worst = std::min(worst, issues[i].severity);
  size_t omitted = issues.size() - max;
  issues.resize(max);
  issues.push_back(OmittedIssues(omitted, worst));
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kFatal:
      return "fatal";
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInformation:
      return "information";
  }
  return "error";
}

json::Value MakeOperationOutcome(const IssueList& issues) {
  json::Value oo = json::Value::Object();
  oo.Set("resourceType", json::Value::String("OperationOutcome"));
  json::Value& list = oo.Set("issue", json::Value::Array());
  IssueList capped;
  const IssueList* shown = &issues;
  if (issues.size() > kMaxListedIssues + 1) {  // +1: an already capped list stays as it is
    capped.assign(issues.begin(), issues.begin() + kMaxListedIssues);
    Severity worst = Severity::kInformation;
    for (size_t k = kMaxListedIssues; k < issues.size(); ++k) {
      worst = std::min(worst, issues[k].severity);
    }
    capped.push_back(OmittedIssues(issues.size() - kMaxListedIssues, worst));
    shown = &capped;
  }
  for (const Issue& i : *shown) {
    json::Value& issue = list.Append(json::Value::Object());
    issue.Set("severity", json::Value::String(std::string(SeverityName(i.severity))));
    issue.Set("code", json::Value::String(i.code.empty() ? "processing" : i.code));
    if (!i.diagnostics.empty()) issue.Set("diagnostics", json::Value::String(i.diagnostics));
    if (!i.expression.empty()) {
      json::Value& expr = issue.Set("expression", json::Value::Array());
      expr.Append(json::Value::String(i.expression));
    }
  }
  if (issues.empty()) {
    json::Value& issue = list.Append(json::Value::Object());
    issue.Set("severity", json::Value::String("information"));
    issue.Set("code", json::Value::String("informational"));
    issue.Set("diagnostics", json::Value::String("All OK"));
  }
  return oo;
}

json::Value MakeOperationOutcome(Severity severity, std::string code, std::string diagnostics,
                                 std::string expression) {
  return MakeOperationOutcome(
      IssueList{Issue{severity, std::move(code), std::move(diagnostics), std::move(expression)}});
}

}  // namespace fhir
