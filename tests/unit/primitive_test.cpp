#include <gtest/gtest.h>

#include <string>

#include "fhir/json/value.h"
#include "fhir/validation/primitives.h"

namespace fhir::validation {
namespace {

using model::PrimitiveType;

TEST(PrimitiveDate, AcceptsAllPrecisionsAndRealCalendarDates) {
  EXPECT_TRUE(IsValidDate("2023"));
  EXPECT_TRUE(IsValidDate("2023-02"));
  EXPECT_TRUE(IsValidDate("2023-02-28"));
  EXPECT_TRUE(IsValidDate("2024-02-29"));  // leap year
  EXPECT_TRUE(IsValidDate("2000-02-29"));  // divisible by 400
  EXPECT_TRUE(IsValidDate("0001-01-01"));
}

TEST(PrimitiveDate, RejectsImpossibleAndMalformedDates) {
  EXPECT_FALSE(IsValidDate("2023-02-30"));
  EXPECT_FALSE(IsValidDate("2023-02-29"));  // not a leap year
  EXPECT_FALSE(IsValidDate("1900-02-29"));  // divisible by 100, not 400
  EXPECT_FALSE(IsValidDate("2023-04-31"));
  EXPECT_FALSE(IsValidDate("2023-13"));
  EXPECT_FALSE(IsValidDate("2023-00"));
  EXPECT_FALSE(IsValidDate("2023-01-00"));
  EXPECT_FALSE(IsValidDate("0000"));
  EXPECT_FALSE(IsValidDate("23-01-01"));
  EXPECT_FALSE(IsValidDate("2023-1-01"));
  EXPECT_FALSE(IsValidDate("2023-01-01T10:00:00Z"));  // a dateTime, not a date
  EXPECT_FALSE(IsValidDate("2023-01-01 "));
  EXPECT_FALSE(IsValidDate(""));
}

TEST(PrimitiveDateTime, RequiresTimezoneAndSecondsWithATime) {
  EXPECT_TRUE(IsValidDateTime("2023"));
  EXPECT_TRUE(IsValidDateTime("2023-05-06"));
  EXPECT_TRUE(IsValidDateTime("2023-05-06T10:11:12Z"));
  EXPECT_TRUE(IsValidDateTime("2023-05-06T10:11:12.345+02:00"));
  EXPECT_TRUE(IsValidDateTime("2023-05-06T23:59:60-14:00"));  // leap second, extreme zone
  EXPECT_FALSE(IsValidDateTime("2023-05-06T10:00:00+14:01"));
  EXPECT_FALSE(IsValidDateTime("2023-05-06T10:00:00+15:00"));
  EXPECT_FALSE(IsValidDateTime("2023-05-06T10:11:12"));  // no timezone
  EXPECT_FALSE(IsValidDateTime("2023-05-06T10:11Z"));    // no seconds
  EXPECT_FALSE(IsValidDateTime("2023-05-06T24:00:00Z"));
  EXPECT_FALSE(IsValidDateTime("2023-05-06T10:60:00Z"));
  EXPECT_FALSE(IsValidDateTime("2023-05-06T10:11:12.Z"));
  EXPECT_FALSE(IsValidDateTime("2023-05T10:11:12Z"));
  EXPECT_FALSE(IsValidDateTime("2023-02-30T10:11:12Z"));
  EXPECT_FALSE(IsValidDateTime("2023-05-06T10:11:12+14:30"));
}

TEST(PrimitiveInstant, MustBeCompleteWithTimezone) {
  EXPECT_TRUE(IsValidInstant("2015-02-07T13:28:17.239+02:00"));
  EXPECT_TRUE(IsValidInstant("2015-02-07T13:28:17Z"));
  EXPECT_FALSE(IsValidInstant("2015-02-07T13:28:17"));
  EXPECT_FALSE(IsValidInstant("2015-02-07"));
  EXPECT_FALSE(IsValidInstant("2015-02-07T13:28Z"));
}

TEST(PrimitiveTime, HoursMinutesSecondsWithoutZone) {
  EXPECT_TRUE(IsValidTime("00:00:00"));
  EXPECT_TRUE(IsValidTime("23:59:59.999"));
  EXPECT_FALSE(IsValidTime("24:00:00"));
  EXPECT_FALSE(IsValidTime("12:00"));
  EXPECT_FALSE(IsValidTime("12:00:00Z"));
  EXPECT_FALSE(IsValidTime("1:00:00"));
}

TEST(PrimitiveDecimal, FollowsTheJsonNumberGrammar) {
  EXPECT_TRUE(IsValidDecimal("0"));
  EXPECT_TRUE(IsValidDecimal("-0.50"));
  EXPECT_TRUE(IsValidDecimal("1.50"));
  EXPECT_TRUE(IsValidDecimal("1e10"));
  EXPECT_TRUE(IsValidDecimal("1.5E-3"));
  EXPECT_FALSE(IsValidDecimal("01.0"));
  EXPECT_FALSE(IsValidDecimal("00"));
  EXPECT_FALSE(IsValidDecimal("1."));
  EXPECT_FALSE(IsValidDecimal(".5"));
  EXPECT_FALSE(IsValidDecimal("+1"));
  EXPECT_FALSE(IsValidDecimal("NaN"));
  EXPECT_FALSE(IsValidDecimal("Infinity"));
  EXPECT_FALSE(IsValidDecimal("1e"));
  EXPECT_FALSE(IsValidDecimal(""));
}

TEST(PrimitiveInteger, ThirtyTwoBitRanges) {
  EXPECT_TRUE(IsValidInteger("2147483647"));
  EXPECT_TRUE(IsValidInteger("-2147483648"));
  EXPECT_TRUE(IsValidInteger("0"));
  EXPECT_FALSE(IsValidInteger("2147483648"));
  EXPECT_FALSE(IsValidInteger("-2147483649"));
  EXPECT_FALSE(IsValidInteger("99999999999"));
  EXPECT_FALSE(IsValidInteger("1.0"));
  EXPECT_FALSE(IsValidInteger("1e2"));
  EXPECT_FALSE(IsValidInteger("01"));
  EXPECT_TRUE(IsValidPositiveInt("1"));
  EXPECT_FALSE(IsValidPositiveInt("0"));
  EXPECT_FALSE(IsValidPositiveInt("-1"));
  EXPECT_TRUE(IsValidUnsignedInt("0"));
  EXPECT_TRUE(IsValidUnsignedInt("2147483647"));
  EXPECT_FALSE(IsValidUnsignedInt("-1"));
  EXPECT_FALSE(IsValidUnsignedInt("2147483648"));
}

TEST(PrimitiveStringLike, IdCodeUriOidUuid) {
  EXPECT_TRUE(IsValidId("a-Z.09"));
  EXPECT_TRUE(IsValidId(std::string(64, 'a')));
  EXPECT_FALSE(IsValidId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidId("a_b"));
  EXPECT_FALSE(IsValidId("a/b"));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_TRUE(IsValidCode("in-progress"));
  EXPECT_TRUE(IsValidCode("two words"));
  EXPECT_FALSE(IsValidCode(" lead"));
  EXPECT_FALSE(IsValidCode("trail "));
  EXPECT_FALSE(IsValidCode("two  spaces"));
  EXPECT_TRUE(IsValidUri("http://example.org/a?b=c"));
  EXPECT_TRUE(IsValidUri("urn:x"));
  EXPECT_FALSE(IsValidUri("http://example.org/a b"));
  EXPECT_FALSE(IsValidUri(""));
  EXPECT_TRUE(IsValidOid("urn:oid:1.2.840.10008"));
  EXPECT_FALSE(IsValidOid("urn:oid:3.1"));
  EXPECT_FALSE(IsValidOid("urn:oid:1.02"));
  EXPECT_FALSE(IsValidOid("urn:oid:1"));
  EXPECT_FALSE(IsValidOid("1.2.3"));
  EXPECT_TRUE(IsValidUuid("urn:uuid:c757873d-ec9a-4326-a141-556f43239520"));
  EXPECT_FALSE(IsValidUuid("urn:uuid:C757873D-EC9A-4326-A141-556F43239520"));
  EXPECT_FALSE(IsValidUuid("c757873d-ec9a-4326-a141-556f43239520"));
  EXPECT_FALSE(IsValidUuid("urn:uuid:c757873d-ec9a-4326-a141-556f4323952"));
}

TEST(PrimitiveStringLike, StringsMarkdownBase64Xhtml) {
  EXPECT_TRUE(IsValidString("tab\tnewline\ncr\r ok"));
  EXPECT_TRUE(IsValidString("\xc3\xa6\xc3\xb8\xc3\xa5"));
  EXPECT_FALSE(IsValidString(""));
  EXPECT_FALSE(IsValidString(std::string("nul\0inside", 10)));
  EXPECT_FALSE(IsValidString("bell\x07"));
  EXPECT_FALSE(IsValidString("vertical\x0Btab"));
  EXPECT_TRUE(IsValidString(std::string(1024 * 1024, 'a')));
  EXPECT_FALSE(IsValidString(std::string(1024 * 1024 + 1, 'a')));
  EXPECT_TRUE(IsValidMarkdown("# Title\n\n* item"));
  EXPECT_FALSE(IsValidMarkdown("esc\x1b"));
  EXPECT_TRUE(IsValidBase64Binary("aGVsbG8="));
  EXPECT_TRUE(IsValidBase64Binary("aGVs bG8h\n"));
  EXPECT_TRUE(IsValidBase64Binary("ab/+"));
  EXPECT_FALSE(IsValidBase64Binary("aGVsbG8"));    // not a multiple of 4
  EXPECT_FALSE(IsValidBase64Binary("aG=sbG8="));   // padding inside
  EXPECT_FALSE(IsValidBase64Binary("aGV sbG8="));  // whitespace inside a group
  EXPECT_FALSE(IsValidBase64Binary("aGVs*G8="));
  EXPECT_TRUE(IsValidXhtml("<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"));
  EXPECT_TRUE(IsValidXhtml("  <div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div>\n"));
  EXPECT_FALSE(IsValidXhtml("<div>no namespace</div>"));
  EXPECT_FALSE(IsValidXhtml("<p xmlns=\"http://www.w3.org/1999/xhtml\">x</p>"));
  EXPECT_FALSE(IsValidXhtml("<divx xmlns=\"http://www.w3.org/1999/xhtml\">x</divx>"));
  EXPECT_FALSE(IsValidXhtml("text"));
}

TEST(PrimitiveCheck, JsonTypeMustMatchThePrimitive) {
  json::Value str = json::Value::String("1");
  json::Value num = json::Value::Number("1");
  json::Value boolean = json::Value::Bool(true);
  EXPECT_EQ(CheckPrimitive(PrimitiveType::kInteger, str)->code, "structure");
  EXPECT_EQ(CheckPrimitive(PrimitiveType::kDecimal, str)->code, "structure");
  EXPECT_EQ(CheckPrimitive(PrimitiveType::kBoolean, str)->code, "structure");
  EXPECT_EQ(CheckPrimitive(PrimitiveType::kString, num)->code, "structure");
  EXPECT_EQ(CheckPrimitive(PrimitiveType::kCode, boolean)->code, "structure");
  EXPECT_FALSE(CheckPrimitive(PrimitiveType::kInteger, num).has_value());
  EXPECT_FALSE(CheckPrimitive(PrimitiveType::kBoolean, boolean).has_value());
  EXPECT_FALSE(CheckPrimitive(PrimitiveType::kString, str).has_value());
  auto empty = CheckPrimitive(PrimitiveType::kString, json::Value::String(""));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->code, "value");
  auto bad = CheckPrimitive(PrimitiveType::kDate, json::Value::String("2023-02-30"));
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->code, "value");
  EXPECT_EQ(std::string(bad->message).find("2023"), std::string::npos);  // no value echoed
}

TEST(PrimitiveDateTimeInterval, CoversThePrecision) {
  auto year = DateTimeInterval("2020");
  auto day = DateTimeInterval("2020-12-31");
  auto instant = DateTimeInterval("2021-01-01T00:30:00+01:00");  // 2020-12-31T23:30Z
  ASSERT_TRUE(year && day && instant);
  EXPECT_EQ(year->begin_us, 1577836800LL * 1000000);  // 2020-01-01T00:00:00Z
  EXPECT_EQ(year->end_us, day->end_us);
  EXPECT_LT(day->begin_us, instant->begin_us);
  EXPECT_LT(instant->begin_us, day->end_us);
  EXPECT_FALSE(DateTimeInterval("2020-02-30").has_value());
  EXPECT_EQ(DecimalValue("1.5e2").value_or(0), 150.0);
  EXPECT_FALSE(DecimalValue("x").has_value());
}

}  // namespace
}  // namespace fhir::validation
