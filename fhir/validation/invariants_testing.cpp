// Invariants of TestScript (tst-1 .. tst-13) and TestReport (inv-1 on setup.action, inv-2).
//
// A test's and the teardown's operation and assert reuse the setup's definitions
// (contentReference), so the walker runs one definition for all three places while R4 gives
// each place its own key (tst-7 setup, tst-8 test, tst-9 teardown operation; tst-5/tst-6,
// tst-10/tst-11, tst-12/tst-13 setup/test assert). The rules are therefore checked from the
// action, which knows where it is, and reported at its .operation or .assert.

#include <initializer_list>
#include <string_view>

#include "fhir/validation/invariants.h"

namespace fhir::validation::internal {
namespace {

// The keys of the rules on one kind of action (empty: R4 has none there).
struct ActionKeys {
  std::string_view operation_xor_assert;
  std::string_view operation;          // tst-7 .. tst-9
  std::string_view single_assertion;   // tst-5, tst-6
  std::string_view compare_to_source;  // tst-10, tst-11
  std::string_view direction;          // tst-12, tst-13
};

// sourceId.exists() or (targetId.count() + url.count() + params.count() = 1) or
// (type.code in ('capabilities' | 'search' | 'transaction' | 'history'))
bool OperationIsAddressed(const json::Value& op) {
  if (Has(op, "sourceId")) return true;
  if (Count(op, "targetId") + Count(op, "url") + Count(op, "params") == 1) return true;
  for (const json::Value& type : Items(op, "type")) {
    std::string_view code = Str(type, "code");
    if (code == "capabilities" || code == "search" || code == "transaction" || code == "history") {
      return true;
    }
  }
  return false;
}

// extension.exists() or (contentType.count() + ... + validateProfileId.count() <= 1)
bool IsSingleAssertion(const json::Value& assertion) {
  if (Has(assertion, "extension")) return true;
  size_t n = 0;
  for (std::string_view name :
       {"contentType", "expression", "headerField", "minimumId", "navigationLinks", "path",
        "requestMethod", "resource", "responseCode", "response", "validateProfileId"}) {
    n += Count(assertion, name);
  }
  return n <= 1;
}

// compareToSourceId.empty() xor (compareToSourceExpression.exists() or
// compareToSourcePath.exists())
bool ComparesToSourceConsistently(const json::Value& assertion) {
  bool no_source = !Has(assertion, "compareToSourceId");
  bool compared =
      Has(assertion, "compareToSourceExpression") || Has(assertion, "compareToSourcePath");
  return no_source != compared;
}

// (response.empty() and responseCode.empty() and direction = 'request') or
// direction.empty() or direction = 'response'
bool DirectionFits(const json::Value& assertion) {
  std::string_view direction = Str(assertion, "direction");
  if (direction.empty() || direction == "response") return true;
  return direction == "request" && !Has(assertion, "response") && !Has(assertion, "responseCode");
}

void Action(const json::Value& obj, const ActionKeys& keys, Context& ctx) {
  if (!keys.operation_xor_assert.empty() && Has(obj, "operation") == Has(obj, "assert")) {
    ctx.Invariant(keys.operation_xor_assert);
  }
  for (const json::Value& op : Items(obj, "operation")) {
    if (!OperationIsAddressed(op)) ctx.Invariant(keys.operation, ".operation");
  }
  if (keys.single_assertion.empty()) return;
  for (const json::Value& assertion : Items(obj, "assert")) {
    if (!IsSingleAssertion(assertion)) ctx.Invariant(keys.single_assertion, ".assert");
    if (!ComparesToSourceConsistently(assertion)) {
      ctx.Invariant(keys.compare_to_source, ".assert");
    }
    if (!DirectionFits(assertion)) ctx.Invariant(keys.direction, ".assert");
  }
}

void TestScriptSetupAction(const json::Value& obj, Context& ctx) {
  Action(obj, {"tst-1", "tst-7", "tst-5", "tst-10", "tst-12"}, ctx);
}

void TestScriptTestAction(const json::Value& obj, Context& ctx) {
  Action(obj, {"tst-2", "tst-8", "tst-6", "tst-11", "tst-13"}, ctx);
}

void TestScriptTeardownAction(const json::Value& obj, Context& ctx) {
  Action(obj, {{}, "tst-9", {}, {}, {}}, ctx);
}

// tst-3: expression.empty() or headerField.empty() or path.empty()
void TestScriptVariable(const json::Value& obj, Context& ctx) {
  if (Has(obj, "expression") && Has(obj, "headerField") && Has(obj, "path")) {
    ctx.Invariant("tst-3");
  }
}

// tst-4: capability.required.exists() or capability.validated.exists()
void TestScriptMetadata(const json::Value& obj, Context& ctx) {
  for (const json::Value& capability : Items(obj, "capability")) {
    if (Has(capability, "required") || Has(capability, "validated")) return;
  }
  ctx.Invariant("tst-4");
}

// TestReport's inv-1 (setup) and inv-2 (test): operation.exists() xor assert.exists()
void TestReportSetupAction(const json::Value& obj, Context& ctx) {
  if (Has(obj, "operation") == Has(obj, "assert")) ctx.Invariant("inv-1@TestReport.setup.action");
}

void TestReportTestAction(const json::Value& obj, Context& ctx) {
  if (Has(obj, "operation") == Has(obj, "assert")) ctx.Invariant("inv-2");
}

constexpr InvariantEntry kEntries[] = {
    {"TestReport.setup.action", TestReportSetupAction},
    {"TestReport.test.action", TestReportTestAction},
    {"TestScript.metadata", TestScriptMetadata},
    {"TestScript.setup.action", TestScriptSetupAction},
    {"TestScript.teardown.action", TestScriptTeardownAction},
    {"TestScript.test.action", TestScriptTestAction},
    {"TestScript.variable", TestScriptVariable},
};

}  // namespace

std::span<const InvariantEntry> TestingInvariants() { return kEntries; }

}  // namespace fhir::validation::internal
