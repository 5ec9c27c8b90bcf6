// JSON Patch (RFC 6902) and JSON Pointer (RFC 6901): fhir/json/patch.h. The first group follows
// the situations of RFC 6902 Appendix A, with our own documents.

#include <gtest/gtest.h>

#include <string>

#include "fhir/json/parser.h"
#include "fhir/json/patch.h"
#include "fhir/json/writer.h"

namespace fhir::json {
namespace {

using common::Code;

Value J(std::string_view text) {
  auto v = Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v.has_value() ? std::move(*v) : Value();
}

// Applies `patch` to `doc`; the result as compact JSON, or "FAILED".
std::string Patched(std::string_view doc, std::string_view patch, PatchFailure* failure = nullptr,
                    const PatchLimits& limits = {}) {
  Value d = J(doc);
  std::optional<PatchFailure> f = ApplyJsonPatch(J(patch), d, limits);
  if (f) {
    if (failure != nullptr) *failure = *f;
    return "FAILED";
  }
  return Write(d);
}

// ---------------------------------------------------------------- RFC 6902 Appendix A situations

TEST(JsonPatch, AddsAnObjectMember) {
  EXPECT_EQ(
      Patched(R"({"status":"draft"})", R"([{"op":"add","path":"/priority","value":"urgent"}])"),
      R"({"status":"draft","priority":"urgent"})");
}

TEST(JsonPatch, AddsAnArrayElementAtAnIndexShiftingTheRest) {
  EXPECT_EQ(Patched(R"({"given":["Kari","Nordmann"]})",
                    R"([{"op":"add","path":"/given/1","value":"Mari"}])"),
            R"({"given":["Kari","Mari","Nordmann"]})");
}

TEST(JsonPatch, RemovesAnObjectMember) {
  EXPECT_EQ(Patched(R"({"status":"draft","priority":"urgent"})",
                    R"([{"op":"remove","path":"/priority"}])"),
            R"({"status":"draft"})");
}

TEST(JsonPatch, RemovesAnArrayElementShiftingTheRest) {
  EXPECT_EQ(
      Patched(R"({"given":["Kari","Mari","Nordmann"]})", R"([{"op":"remove","path":"/given/1"}])"),
      R"({"given":["Kari","Nordmann"]})");
}

TEST(JsonPatch, ReplacesAValue) {
  EXPECT_EQ(Patched(R"({"status":"requested","intent":"order"})",
                    R"([{"op":"replace","path":"/status","value":"in-progress"}])"),
            R"({"status":"in-progress","intent":"order"})");
}

TEST(JsonPatch, MovesAValueBetweenObjects) {
  EXPECT_EQ(Patched(R"({"a":{"note":"x","keep":1},"b":{"other":2}})",
                    R"([{"op":"move","from":"/a/note","path":"/b/note"}])"),
            R"({"a":{"keep":1},"b":{"other":2,"note":"x"}})");
}

TEST(JsonPatch, MovesAnArrayElementLaterInTheSameArray) {
  // The element is removed first; the index of the add then refers to the shortened array.
  EXPECT_EQ(Patched(R"({"steps":["one","two","three","four"]})",
                    R"([{"op":"move","from":"/steps/1","path":"/steps/3"}])"),
            R"({"steps":["one","three","four","two"]})");
}

TEST(JsonPatch, TestThatSucceedsChangesNothing) {
  EXPECT_EQ(Patched(R"({"status":"requested","code":{"text":"PHQ-9"},"n":[1,2]})",
                    R"([{"op":"test","path":"/status","value":"requested"},
                        {"op":"test","path":"/code","value":{"text":"PHQ-9"}},
                        {"op":"test","path":"/n/1","value":2}])"),
            R"({"status":"requested","code":{"text":"PHQ-9"},"n":[1,2]})");
}

TEST(JsonPatch, TestThatFailsFailsTheWholePatch) {
  PatchFailure f;
  EXPECT_EQ(Patched(R"({"status":"requested"})",
                    R"([{"op":"test","path":"/status","value":"completed"},
                        {"op":"replace","path":"/status","value":"cancelled"}])",
                    &f),
            "FAILED");
  EXPECT_EQ(f.code, Code::kUnprocessable);
  EXPECT_TRUE(f.test_failed);
  EXPECT_EQ(f.operation, 0u);
  EXPECT_EQ(f.op, "test");
  EXPECT_EQ(f.pointer, "/status");
  // The message never quotes the values compared.
  EXPECT_EQ(f.reason.find("completed"), std::string::npos);
  EXPECT_EQ(f.reason.find("requested"), std::string::npos);
}

TEST(JsonPatch, AddsANestedObject) {
  EXPECT_EQ(Patched(R"({"status":"final"})",
                    R"([{"op":"add","path":"/code","value":{"coding":[{"code":"44261-6"}]}}])"),
            R"({"status":"final","code":{"coding":[{"code":"44261-6"}]}})");
}

TEST(JsonPatch, IgnoresUnknownMembersOfAnOperation) {
  EXPECT_EQ(
      Patched(R"({"a":1})", R"([{"op":"add","path":"/b","value":2,"comment":"why","xyz":[1]}])"),
      R"({"a":1,"b":2})");
}

TEST(JsonPatch, AddingUnderAMissingParentFails) {
  PatchFailure f;
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"add","path":"/missing/child","value":2}])", &f),
            "FAILED");
  EXPECT_EQ(f.code, Code::kUnprocessable);
  EXPECT_FALSE(f.test_failed);
  EXPECT_NE(f.reason.find("parent"), std::string::npos);
}

TEST(JsonPatch, DuplicateMembersMakeThePatchUnparseable) {
  // RFC 6902 leaves a repeated "op" to the JSON parser; ours refuses duplicate members.
  EXPECT_FALSE(Parse(R"([{"op":"add","path":"/a","value":1,"op":"remove"}])").has_value());
}

TEST(JsonPatch, PointerEscapesAreDecodedTildeOneFirstThenTildeZero) {
  // "~01" is the token "~1" (not "/"): the member named "~1" is the one tested.
  EXPECT_EQ(Patched(R"({"/":9,"~1":10,"a/b":1,"m~n":2})",
                    R"([{"op":"test","path":"/~01","value":10},
                        {"op":"test","path":"/a~1b","value":1},
                        {"op":"replace","path":"/m~0n","value":3}])"),
            R"({"/":9,"~1":10,"a/b":1,"m~n":3})");
}

TEST(JsonPatch, StringsAndNumbersAreNeverEqual) {
  PatchFailure f;
  EXPECT_EQ(Patched(R"({"n":10})", R"([{"op":"test","path":"/n","value":"10"}])", &f), "FAILED");
  EXPECT_TRUE(f.test_failed);
}

TEST(JsonPatch, AddingAnArrayValueNestsIt) {
  EXPECT_EQ(Patched(R"({"line":["a"]})", R"([{"op":"add","path":"/line/1","value":["b","c"]}])"),
            R"({"line":["a",["b","c"]]})");
}

// ---------------------------------------------------------------- further rules

TEST(JsonPatch, DashAppendsToAnArray) {
  EXPECT_EQ(Patched(R"({"note":[{"text":"a"}]})",
                    R"([{"op":"add","path":"/note/-","value":{"text":"b"}}])"),
            R"({"note":[{"text":"a"},{"text":"b"}]})");
  PatchFailure f;
  // "-" names no existing element: not for remove, replace or test.
  EXPECT_EQ(Patched(R"({"note":[1]})", R"([{"op":"remove","path":"/note/-"}])", &f), "FAILED");
  EXPECT_EQ(f.code, Code::kUnprocessable);
}

TEST(JsonPatch, ArrayIndexesMustBeInRangeAndWithoutLeadingZeros) {
  PatchFailure f;
  EXPECT_EQ(Patched(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/3","value":9}])", &f), "FAILED");
  EXPECT_EQ(f.code, Code::kUnprocessable);
  EXPECT_EQ(Patched(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/2","value":9}])"),
            R"({"a":[1,2,9]})");  // == length: the end
  EXPECT_EQ(Patched(R"({"a":[1,2]})", R"([{"op":"replace","path":"/a/01","value":9}])", &f),
            "FAILED");
  EXPECT_EQ(Patched(R"({"a":[1,2]})", R"([{"op":"replace","path":"/a/2","value":9}])", &f),
            "FAILED");
  EXPECT_EQ(Patched(R"({"a":[1,2]})", R"([{"op":"remove","path":"/a/x"}])", &f), "FAILED");
}

TEST(JsonPatch, RemoveAndReplaceNeedAnExistingTarget) {
  PatchFailure f;
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"remove","path":"/b"}])", &f), "FAILED");
  EXPECT_EQ(f.code, Code::kUnprocessable);
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"replace","path":"/b","value":1}])", &f), "FAILED");
  EXPECT_EQ(f.code, Code::kUnprocessable);
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"test","path":"/b","value":1}])", &f), "FAILED");
  EXPECT_FALSE(f.test_failed) << "a missing target is not a failed comparison";
}

TEST(JsonPatch, AddReplacesAnExistingMember) {
  EXPECT_EQ(Patched(R"({"a":1,"b":2})", R"([{"op":"add","path":"/a","value":[3]}])"),
            R"({"a":[3],"b":2})");
}

TEST(JsonPatch, TheWholeDocumentCanBeReplacedButNotRemoved) {
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"replace","path":"","value":{"b":2}}])"), R"({"b":2})");
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"add","path":"","value":{"c":3}}])"), R"({"c":3})");
  PatchFailure f;
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"remove","path":""}])", &f), "FAILED");
  EXPECT_EQ(f.code, Code::kUnprocessable);
}

TEST(JsonPatch, CopyDuplicatesASubtreeAndLeavesTheSource) {
  EXPECT_EQ(Patched(R"({"a":{"x":[1,{"y":2}]},"b":{}})",
                    R"([{"op":"copy","from":"/a/x","path":"/b/x"},
                        {"op":"replace","path":"/b/x/1/y","value":3}])"),
            R"({"a":{"x":[1,{"y":2}]},"b":{"x":[1,{"y":3}]}})");
  // Into the same array it was taken from (the source is copied before the array grows).
  EXPECT_EQ(Patched(R"({"a":[{"k":1},{"k":2}]})", R"([{"op":"copy","from":"/a/0","path":"/a/-"}])"),
            R"({"a":[{"k":1},{"k":2},{"k":1}]})");
}

TEST(JsonPatch, MoveRules) {
  // To itself: nothing changes, but the source must exist.
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])"), R"({"a":1})");
  PatchFailure f;
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"move","from":"/b","path":"/b"}])", &f), "FAILED");
  EXPECT_EQ(f.code, Code::kUnprocessable);
  // Into one of its own children: the patch itself is wrong.
  EXPECT_EQ(Patched(R"({"a":{"b":{}}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])", &f),
            "FAILED");
  EXPECT_EQ(f.code, Code::kInvalidArgument);
  // A sibling whose name merely starts the same is not a child.
  EXPECT_EQ(Patched(R"({"a":{"x":1},"ab":{}})", R"([{"op":"move","from":"/a","path":"/ab/a"}])"),
            R"({"ab":{"a":{"x":1}}})");
}

TEST(JsonPatch, OperationsRunInOrderOnTheResultOfThePreviousOne) {
  EXPECT_EQ(Patched(R"({"status":"requested"})",
                    R"([{"op":"test","path":"/status","value":"requested"},
                        {"op":"replace","path":"/status","value":"in-progress"},
                        {"op":"test","path":"/status","value":"in-progress"},
                        {"op":"add","path":"/output","value":[]},
                        {"op":"add","path":"/output/-","value":{"x":1}}])"),
            R"({"status":"in-progress","output":[{"x":1}]})");
}

TEST(JsonPatch, MalformedDocumentsAreInvalidArgumentsNamingTheOperation) {
  struct Case {
    const char* patch;
    const char* expect_in_reason;
    std::optional<size_t> operation;
  };
  for (const Case& c : {
           Case{R"({"op":"add","path":"/a","value":1})", "array", std::nullopt},
           Case{R"([1])", "object", 0},
           Case{R"([{"path":"/a"}])", "'op'", 0},
           Case{R"([{"op":"test","path":"/a","value":1},{"op":"delete","path":"/a"}])", "one of",
                1},
           Case{R"([{"op":"add","value":1}])", "'path'", 0},
           Case{R"([{"op":"add","path":"a","value":1}])", "JSON Pointer", 0},
           Case{R"([{"op":"add","path":"/a~2","value":1}])", "JSON Pointer", 0},
           Case{R"([{"op":"add","path":"/a~","value":1}])", "JSON Pointer", 0},
           Case{R"([{"op":"add","path":"/a"}])", "'value'", 0},
           Case{R"([{"op":"replace","path":"/a"}])", "'value'", 0},
           Case{R"([{"op":"copy","path":"/a"}])", "'from'", 0},
           Case{R"([{"op":"move","path":"/a","from":7}])", "'from'", 0},
       }) {
    PatchFailure f;
    EXPECT_EQ(Patched(R"({"a":1})", c.patch, &f), "FAILED") << c.patch;
    EXPECT_EQ(f.code, Code::kInvalidArgument) << c.patch;
    EXPECT_NE(f.reason.find(c.expect_in_reason), std::string::npos) << c.patch << ": " << f.reason;
    EXPECT_EQ(f.operation, c.operation) << c.patch;
  }
}

TEST(JsonPatch, AMalformedLaterOperationIsReportedEvenIfAnEarlierOneWouldFail) {
  PatchFailure f;
  EXPECT_EQ(
      Patched(R"({"a":1})",
              R"([{"op":"test","path":"/a","value":2},{"op":"add","path":"x","value":1}])", &f),
      "FAILED");
  EXPECT_EQ(f.code, Code::kInvalidArgument);
  EXPECT_EQ(f.operation, 1u);
}

TEST(JsonPatch, NullIsAValue) {
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"add","path":"/b","value":null}])"),
            R"({"a":1,"b":null})");
  EXPECT_EQ(Patched(R"({"a":null})", R"([{"op":"test","path":"/a","value":null}])"),
            R"({"a":null})");
}

TEST(JsonPatch, EqualityComparesNumbersByValueAndObjectsWithoutOrder) {
  EXPECT_TRUE(JsonEqual(J("1"), J("1.0")));
  EXPECT_TRUE(JsonEqual(J("1.50"), J("1.5")));
  EXPECT_TRUE(JsonEqual(J("100"), J("1e2")));
  EXPECT_TRUE(JsonEqual(J("0.01"), J("1E-2")));
  EXPECT_TRUE(JsonEqual(J("-0"), J("0")));
  EXPECT_TRUE(JsonEqual(J("0e5"), J("0.000")));
  EXPECT_FALSE(JsonEqual(J("1"), J("-1")));
  EXPECT_FALSE(JsonEqual(J("1.01"), J("1.1")));
  EXPECT_FALSE(JsonEqual(J("10"), J("1")));
  // Exponents too large to hold compare by their text (never equal by accident). The parser
  // refuses such numbers; a Value can still hold one.
  EXPECT_FALSE(
      JsonEqual(Value::Number("1e99999999999999999999"), Value::Number("1e99999999999999999998")));
  EXPECT_TRUE(
      JsonEqual(Value::Number("1e99999999999999999999"), Value::Number("1e99999999999999999999")));
  EXPECT_TRUE(JsonEqual(J(R"({"a":1,"b":[1,{"c":2}]})"), J(R"({"b":[1,{"c":2.0}],"a":1})")));
  EXPECT_FALSE(JsonEqual(J(R"({"a":1,"b":2})"), J(R"({"a":1})")));
  EXPECT_FALSE(JsonEqual(J(R"({"a":1})"), J(R"({"b":1})")));
  EXPECT_FALSE(JsonEqual(J("[1,2]"), J("[2,1]")));
  EXPECT_FALSE(JsonEqual(J("true"), J("1")));
  EXPECT_FALSE(JsonEqual(J("null"), J("false")));
  EXPECT_FALSE(JsonEqual(J(R"("a")"), J(R"("A")")));
  // Large objects (compared by sorted keys).
  std::string a = "{", b = "{";
  for (int i = 0; i < 40; ++i) {
    a += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":" + std::to_string(i);
    b += (i ? "," : "") + std::string("\"k") + std::to_string(39 - i) +
         "\":" + std::to_string(39 - i);
  }
  EXPECT_TRUE(JsonEqual(J(a + "}"), J(b + "}")));
  EXPECT_FALSE(JsonEqual(J(a + "}"), J(b + ",\"k40\":1}")));
}

TEST(JsonPointer, ParsesAndRendersSafely) {
  EXPECT_EQ(ParsePointer("")->size(), 0u);
  EXPECT_EQ(*ParsePointer("/"), std::vector<std::string>{""});
  EXPECT_EQ(*ParsePointer("/a//b"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(*ParsePointer("/x~1y/~0"), (std::vector<std::string>{"x/y", "~"}));
  EXPECT_FALSE(ParsePointer("a").has_value());
  EXPECT_FALSE(ParsePointer("/a~").has_value());
  EXPECT_FALSE(ParsePointer("/a~3").has_value());
  EXPECT_EQ(SafePointer("/name/0/given/-"), "/name/0/given/-");
  // A token that may be data (here shaped like a fødselsnummer) is not repeated.
  EXPECT_EQ(SafePointer("/identifier/17829010097/value"), "/identifier/*/value");
  EXPECT_EQ(SafePointer("/Kari Nordmann"), "/*");
  EXPECT_EQ(SafePointer("nope"), "(malformed)");
}

// ---------------------------------------------------------------- limits

TEST(JsonPatchLimits, TooManyOperations) {
  PatchLimits limits;
  limits.max_operations = 3;
  PatchFailure f;
  std::string four = R"([{"op":"test","path":"/a","value":1},{"op":"test","path":"/a","value":1},
      {"op":"test","path":"/a","value":1},{"op":"test","path":"/a","value":1}])";
  EXPECT_EQ(Patched(R"({"a":1})", four, &f, limits), "FAILED");
  EXPECT_EQ(f.code, Code::kResourceExhausted);
  EXPECT_NE(f.reason.find("limit is 3"), std::string::npos) << f.reason;
}

TEST(JsonPatchLimits, CopyingASubtreeIntoItselfCannotGrowWithoutBound) {
  // Each copy doubles the document; 60 of them would make 2^60 copies of the original.
  std::string patch = "[";
  for (int i = 0; i < 60; ++i) {
    patch += std::string(i ? "," : "") + R"({"op":"copy","from":"/a","path":"/a/-"})";
  }
  patch += "]";
  PatchLimits limits;
  limits.max_document_bytes = 64 * 1024;
  PatchFailure f;
  EXPECT_EQ(Patched(R"({"a":[{"text":"0123456789"}]})", patch, &f, limits), "FAILED");
  EXPECT_EQ(f.code, Code::kResourceExhausted);
}

TEST(JsonPatchLimits, NestingACopyInsideItselfIsBoundedByDepth) {
  // copy /a into /a/b: every step nests the document one level deeper.
  std::string patch = "[";
  std::string path = "/a";
  for (int i = 0; i < 80; ++i) {
    patch += std::string(i ? "," : "") + R"({"op":"copy","from":"/a","path":")" + path + R"(/b"})";
    path += "/b";
  }
  patch += "]";
  PatchFailure f;
  EXPECT_EQ(Patched(R"({"a":{"x":1}})", patch, &f), "FAILED");
  EXPECT_EQ(f.code, Code::kResourceExhausted);
  EXPECT_NE(f.reason.find("deeper"), std::string::npos) << f.reason;
}

TEST(JsonPatchLimits, RepeatedCopyAndRemoveOfALargePartRunsOutOfWork) {
  std::string big(100 * 1024, 'x');
  std::string doc = R"({"a":")" + big + R"("})";
  std::string patch = "[";
  for (int i = 0; i < 500; ++i) {
    patch += std::string(i ? "," : "") +
             R"({"op":"copy","from":"/a","path":"/b"},{"op":"remove","path":"/b"})";
  }
  patch += "]";
  PatchLimits limits;
  limits.max_work_bytes = 10 * 1024 * 1024;
  PatchFailure f;
  EXPECT_EQ(Patched(doc, patch, &f, limits), "FAILED");
  EXPECT_EQ(f.code, Code::kResourceExhausted);
  EXPECT_NE(f.reason.find("bytes in all"), std::string::npos) << f.reason;
  // The same patch with a few rounds stays within the budget.
  EXPECT_NE(Patched(doc, R"([{"op":"copy","from":"/a","path":"/b"},{"op":"remove","path":"/b"}])",
                    nullptr, limits),
            "FAILED");
}

}  // namespace
}  // namespace fhir::json
