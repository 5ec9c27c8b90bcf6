#pragma once
// Helpers for the validator tests.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

#include "fhir/json/parser.h"
#include "fhir/model/model.h"
#include "fhir/outcome.h"
#include "fhir/validation/validator.h"

namespace fhir::validation::testing_util {

inline std::string Describe(const IssueList& issues) {
  std::string out;
  for (const Issue& i : issues) {
    out += std::string(SeverityName(i.severity)) + " " + i.code + " @ " + i.expression + ": " +
           i.diagnostics + "\n";
  }
  return out.empty() ? "(no issues)\n" : out;
}

// Parses `text` (which must be valid JSON) and validates it.
inline IssueList Validate(std::string_view text) {
  json::ParseLimits limits;
  limits.max_depth = 1000;
  auto value = json::Parse(text, limits);
  EXPECT_TRUE(value.has_value()) << "test JSON does not parse: " << text;
  IssueList issues;
  if (value.has_value()) ValidateResource(*value, issues);
  return issues;
}

// True if there is an error-level issue with this code at exactly this expression.
inline ::testing::AssertionResult HasIssue(const IssueList& issues, std::string_view code,
                                           std::string_view expression) {
  for (const Issue& i : issues) {
    if (i.severity == Severity::kError && i.code == code && i.expression == expression) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no error " << code << " @ " << expression << " in:\n"
                                       << Describe(issues);
}

// The key of an invariant as named in ImplementedInvariants(): "inv-1@Task" -> "inv-1".
inline std::string_view InvariantKey(std::string_view name) {
  return name.substr(0, name.find('@'));
}

// True if invariant `name` was reported (any severity) at exactly this expression. For a rule
// named "key@context", the issue must also carry that rule's text.
inline ::testing::AssertionResult HasInvariant(const IssueList& issues, std::string_view name,
                                               std::string_view expression) {
  std::string_view key = InvariantKey(name);
  std::string prefix = std::string(key) + ":";
  if (key.size() < name.size()) {
    auto rule = model::FindInvariant(key, name.substr(key.size() + 1));
    if (!rule) return ::testing::AssertionFailure() << "no rule " << name << " in the model";
    prefix += " " + std::string(rule->human);
  }
  for (const Issue& i : issues) {
    if (i.code == "invariant" && i.diagnostics.starts_with(prefix) && i.expression == expression) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no invariant " << name << " @ " << expression << " in:\n"
                                       << Describe(issues);
}

// The invariants (named as in ImplementedInvariants()) that validation_invariants_r4_test.cpp
// has cases for; the coverage test of validation_invariants_test.cpp counts them too.
std::set<std::string> R4InvariantCaseKeys();

inline ::testing::AssertionResult NoIssues(const IssueList& issues) {
  if (issues.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << Describe(issues);
}

}  // namespace fhir::validation::testing_util
