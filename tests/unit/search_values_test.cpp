#include <gtest/gtest.h>

#include <string>

#include "fhir/search/values.h"

namespace fhir::search {
namespace {

// Microseconds of a UTC date-time (test helper built from known epoch values).
constexpr int64_t kSecond = 1000000;
constexpr int64_t kDay = 86400 * kSecond;
constexpr int64_t k2020 = 1577836800 * kSecond;  // 2020-01-01T00:00:00Z

TEST(SearchNormalize, LowerCasesAndRemovesAccents) {
  EXPECT_EQ(NormalizeString("HELLO World"), "hello world");
  EXPECT_EQ(NormalizeString("Jos\xc3\xa9 M\xc3\xbcller"), "jose muller");  // José Müller
  EXPECT_EQ(NormalizeString("\xc3\x87"
                            "a\xc3\xb1"
                            "ada"),
            "canada");  // Çañada
  EXPECT_EQ(NormalizeString("Stra\xc3\x9f"
                            "e"),
            "strasse");  // Straße
  EXPECT_EQ(NormalizeString("\xc5\x81\xc3\xb3"
                            "d\xc5\xba"),
            "lodz");  // Łódź
  EXPECT_EQ(NormalizeString("123-456 x"), "123-456 x");
}

TEST(SearchNormalize, KeepsNorwegianLettersDistinct) {
  // ÆRLIG ØSTBY ÅSE -> ærlig østby åse
  EXPECT_EQ(NormalizeString("\xc3\x86RLIG \xc3\x98STBY \xc3\x85SE"),
            "\xc3\xa6rlig \xc3\xb8stby \xc3\xa5se");
  EXPECT_EQ(NormalizeString("\xc3\xa6\xc3\xb8\xc3\xa5"), "\xc3\xa6\xc3\xb8\xc3\xa5");
  // Decomposed A + combining ring normalizes like precomposed Å.
  EXPECT_EQ(NormalizeString("A\xcc\x8asgard"), "\xc3\xa5sgard");
  // Decomposed e + combining acute drops the accent.
  EXPECT_EQ(NormalizeString("Jose\xcc\x81"), "jose");
  EXPECT_NE(NormalizeString("\xc3\x85se"), NormalizeString("Ase"));
}

TEST(SearchNormalize, KeepsOtherScriptsAndInvalidBytes) {
  EXPECT_EQ(NormalizeString("\xce\xb1\xce\xb2"), "\xce\xb1\xce\xb2");  // Greek kept
  EXPECT_EQ(NormalizeString("A\xff"
                            "B"),
            "a\xff"
            "b");
}

TEST(SearchDates, CoversTheRangeOfEachPrecision) {
  auto year = ParseDateRange("2020");
  ASSERT_TRUE(year);
  EXPECT_EQ(year->low, k2020);
  EXPECT_EQ(year->high, k2020 + 366 * kDay - 1);  // leap year

  auto month = ParseDateRange("2020-02");
  ASSERT_TRUE(month);
  EXPECT_EQ(month->low, k2020 + 31 * kDay);
  EXPECT_EQ(month->high, k2020 + 60 * kDay - 1);  // 29 days in Feb 2020

  auto day = ParseDateRange("2020-01-02");
  ASSERT_TRUE(day);
  EXPECT_EQ(day->low, k2020 + kDay);
  EXPECT_EQ(day->high, k2020 + 2 * kDay - 1);

  auto minute = ParseDateRange("2020-01-01T10:30");
  ASSERT_TRUE(minute);
  EXPECT_EQ(minute->low, k2020 + (10 * 3600 + 30 * 60) * kSecond);
  EXPECT_EQ(minute->high - minute->low, 60 * kSecond - 1);

  auto second = ParseDateRange("2020-01-01T00:00:01Z");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->low, k2020 + kSecond);
  EXPECT_EQ(second->high, k2020 + 2 * kSecond - 1);

  auto millis = ParseDateRange("2020-01-01T00:00:00.123Z");
  ASSERT_TRUE(millis);
  EXPECT_EQ(millis->low, k2020 + 123000);
  EXPECT_EQ(millis->high, k2020 + 123999);
}

TEST(SearchDates, AppliesTimeZonesAndTreatsMissingZoneAsUtc) {
  auto plus = ParseDateRange("2020-01-01T10:00:00+02:00");
  auto utc = ParseDateRange("2020-01-01T08:00:00Z");
  auto none = ParseDateRange("2020-01-01T08:00:00");
  auto minus = ParseDateRange("2020-01-01T03:30:00-04:30");
  auto form_decoded = ParseDateRange("2020-01-01T10:00:00 02:00");  // '+' became ' '
  ASSERT_TRUE(plus && utc && none && minus && form_decoded);
  EXPECT_EQ(plus->low, utc->low);
  EXPECT_EQ(none->low, utc->low);
  EXPECT_EQ(minus->low, utc->low);
  EXPECT_EQ(form_decoded->low, utc->low);
}

TEST(SearchDates, RejectsMalformedDates) {
  for (const char* bad : {"", "20", "2020-13", "2020-02-30", "2019-02-29", "2020-1-01",
                          "2020-01-01T25:00", "2020-01-01T10", "2020-01-01T10:00:00.Z",
                          "2020-01-01T10:00:00+2", "2020-01-01X", "abcd", "2020-01-01T10:00:61"}) {
    EXPECT_FALSE(ParseDateRange(bad)) << bad;
  }
  EXPECT_TRUE(ParseDateRange("2020-02-29"));
}

TEST(SearchDecimals, RangeFollowsPrecision) {
  auto a = ParseDecimalRange("5.4");
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(a->value, 5.4);
  EXPECT_DOUBLE_EQ(a->low, 5.35);
  EXPECT_DOUBLE_EQ(a->high, 5.45);
  auto b = ParseDecimalRange("100");
  ASSERT_TRUE(b);
  EXPECT_DOUBLE_EQ(b->low, 99.5);
  EXPECT_DOUBLE_EQ(b->high, 100.5);
  auto c = ParseDecimalRange("1e2");
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->value, 100);
  EXPECT_DOUBLE_EQ(c->low, 50);
  EXPECT_DOUBLE_EQ(c->high, 150);
  auto d = ParseDecimalRange("-3.50");
  ASSERT_TRUE(d);
  EXPECT_DOUBLE_EQ(d->low, -3.505);
  EXPECT_DOUBLE_EQ(d->high, -3.495);
  for (const char* bad : {"", "-", "1.", ".5", "1e", "abc", "1,5", "1.5.2", "0x10"}) {
    EXPECT_FALSE(ParseDecimalRange(bad)) << bad;
  }
}

TEST(SearchReferences, ParsesRelativeAbsoluteAndCanonical) {
  ParsedReference rel = ParseReference("Patient/123");
  EXPECT_EQ(rel.type, "Patient");
  EXPECT_EQ(rel.id, "123");
  EXPECT_TRUE(rel.url.empty());
  ParsedReference versioned = ParseReference("Patient/123/_history/4");
  EXPECT_EQ(versioned.id, "123");
  EXPECT_EQ(versioned.version, "4");
  ParsedReference abs = ParseReference("http://example.org/fhir/Patient/1");
  EXPECT_EQ(abs.url, "http://example.org/fhir/Patient/1");
  EXPECT_TRUE(abs.id.empty());
  ParsedReference canonical = ParseReference("http://example.org/Questionnaire/q|2.0");
  EXPECT_EQ(canonical.url, "http://example.org/Questionnaire/q");
  EXPECT_EQ(canonical.version, "2.0");
  EXPECT_EQ(ParseReference("urn:uuid:1234").url, "urn:uuid:1234");
  EXPECT_TRUE(ParseReference("#contained").id.empty());
  EXPECT_TRUE(ParseReference("patient/1").id.empty());
  EXPECT_TRUE(ParseReference("Patient/1/extra").id.empty());
  EXPECT_TRUE(ParseReference("Patient/1/_history/2/x").id.empty());
}

}  // namespace
}  // namespace fhir::search
