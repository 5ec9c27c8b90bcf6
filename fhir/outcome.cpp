#include "fhir/outcome.h"

namespace fhir {

bool HasErrors(const IssueList& issues) {
  for (const Issue& i : issues) {
    if (i.severity == Severity::kFatal || i.severity == Severity::kError) return true;
  }
  return false;
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
  for (const Issue& i : issues) {
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
