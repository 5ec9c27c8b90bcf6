#include <gtest/gtest.h>

#include "fhir/json/parser.h"
#include "fhir/json/writer.h"

namespace fhir::json {
namespace {

TEST(JsonParser, KeepsDecimalTextAndOrder) {
  auto v = Parse(R"({"b":1.50,"a":[1e2,-0.0,true,null,"x"]})");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->members()[0].first, "b");
  EXPECT_EQ(v->Find("b")->text(), "1.50");
  EXPECT_EQ(Write(*v), R"({"b":1.50,"a":[1e2,-0.0,true,null,"x"]})");
}

TEST(JsonParser, RejectsDuplicateKeysWithPath) {
  auto v = Parse(R"({"a":{"b":1,"b":2}})");
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message().find("Duplicate JSON property 'b'"), std::string::npos);
  EXPECT_NE(v.error().message().find("$.a"), std::string::npos);
}

TEST(JsonParser, RejectsTrailingContentAndBadSyntax) {
  EXPECT_FALSE(Parse(R"({"a":1} x)").has_value());
  EXPECT_FALSE(Parse(R"({"a":1,})").has_value());
  EXPECT_FALSE(Parse("").has_value());
  EXPECT_FALSE(Parse("{\"a\":\"\xff\"}").has_value());  // invalid UTF-8
}

TEST(JsonParser, EnforcesDepthAndSizeLimits) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  ParseLimits limits;
  limits.max_depth = 10;
  auto v = Parse(deep, limits);
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message().find("deeper than 10"), std::string::npos);
  limits.max_bytes = 4;
  auto big = Parse(R"({"a":1})", limits);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code(), common::Code::kResourceExhausted);
}

TEST(JsonParser, EnforcesValueArrayAndMemberCounts) {
  ParseLimits limits;
  limits.max_array_items = 3;
  EXPECT_TRUE(Parse(R"({"a":[1,2,3]})", limits).has_value());
  auto items = Parse(R"({"a":[{"b":[1,2,3,4]}]})", limits);
  ASSERT_FALSE(items.has_value());
  EXPECT_EQ(items.error().code(), common::Code::kResourceExhausted);
  EXPECT_EQ(items.error().message(), "more than 3 items in one JSON array at $.a[0].b");

  limits = ParseLimits();
  limits.max_values = 5;  // the object, the array and its items all count
  EXPECT_TRUE(Parse(R"({"a":[1,2,3]})", limits).has_value());
  auto values = Parse(R"({"a":[1,2,3,4]})", limits);
  ASSERT_FALSE(values.has_value());
  EXPECT_EQ(values.error().code(), common::Code::kResourceExhausted);
  EXPECT_NE(values.error().message().find("more than 5 values in one JSON document"),
            std::string::npos);

  limits = ParseLimits();
  limits.max_object_members = 2;
  EXPECT_TRUE(Parse(R"({"a":1,"b":{"c":1,"d":2}})", limits).has_value());
  auto members = Parse(R"({"a":1,"b":{"c":1,"d":2,"e":3}})", limits);
  ASSERT_FALSE(members.has_value());
  EXPECT_EQ(members.error().message(), "more than 2 members in one JSON object at $.b");
}

TEST(JsonParser, FindsDuplicatesInLargeObjects) {
  // Past 16 members the keys are hashed: a duplicate far apart is still found, and distinct
  // keys that share a prefix are not mistaken for one.
  std::string object = "{";
  for (int i = 0; i < 900; ++i) object += "\"k" + std::to_string(i) + "\":" + "1,";
  auto fine = Parse(object + "\"k900\":1}");
  ASSERT_TRUE(fine.has_value()) << fine.error().message();
  EXPECT_EQ(fine->members().size(), 901u);
  auto dup = Parse(object + "\"k3\":2}");
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code(), common::Code::kInvalidArgument);
  EXPECT_NE(dup.error().message().find("Duplicate JSON property 'k3'"), std::string::npos);
  auto first = Parse(object + "\"k899\":2}");  // the key that was added just before
  EXPECT_FALSE(first.has_value());
}

TEST(JsonWriter, EscapesStringsAndKeepsUnicode) {
  Value o = Value::Object();
  o.Set("s", Value::String("a\"b\\c\n\xc3\xa6\xc3\xb8\xc3\xa5"));
  std::string out = Write(o);
  EXPECT_EQ(out, "{\"s\":\"a\\\"b\\\\c\\n\xc3\xa6\xc3\xb8\xc3\xa5\"}");
  auto back = Parse(out);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, o);
}

TEST(JsonWriter, ControlCharactersAndEmptyContainersAsRapidJsonWritesThem) {
  // The compact writer is ours, the pretty one RapidJSON's: both must write the same text.
  Value o = Value::Object();
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
  controls += "\x7f/";
  o.Set("c", Value::String(controls));
  o.Set("", Value::String(""));
  o.Set("e", Value::Array());
  o.Set("o", Value::Object());
  o.Set("n", Value::Array()).Append(Value::Null());
  std::string out = Write(o);
  EXPECT_EQ(
      out,
      "{\"c\":\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000B\\f\\r"
      "\\u000E\\u000F\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001A"
      "\\u001B\\u001C\\u001D\\u001E\\u001F\x7f/\",\"\":\"\",\"e\":[],\"o\":{},\"n\":[null]}");
  std::string pretty = WritePretty(o);
  std::string squeezed;
  bool in_string = false;
  for (size_t i = 0; i < pretty.size(); ++i) {
    char ch = pretty[i];
    if (in_string) {
      squeezed += ch;
      if (ch == '\\') {
        squeezed += pretty[++i];
      } else if (ch == '"') {
        in_string = false;
      }
    } else if (ch == '"') {
      in_string = true;
      squeezed += ch;
    } else if (ch != ' ' && ch != '\n') {
      squeezed += ch;
    }
  }
  EXPECT_EQ(squeezed, out);
  auto back = Parse(out);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, o);
}

TEST(JsonValue, SetAfterPlacesMember) {
  Value o = Value::Object();
  o.Set("resourceType", Value::String("Patient"));
  o.Set("id", Value::String("x"));
  o.Set("active", Value::Bool(true));
  o.SetAfter("id", "meta", Value::Object());
  EXPECT_EQ(o.members()[2].first, "meta");
  EXPECT_EQ(o.members()[3].first, "active");
}

}  // namespace
}  // namespace fhir::json
