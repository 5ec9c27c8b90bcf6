#include <gtest/gtest.h>

#include <string>

#include "gateway/http/target.h"

namespace gateway::http {
namespace {

QueryPairs Pairs(std::initializer_list<std::pair<const char*, const char*>> list) {
  QueryPairs out;
  for (const auto& [k, v] : list) out.emplace_back(k, v);
  return out;
}

TEST(ParseTarget, SplitsPathAndQuery) {
  auto t = ParseTarget("/Patient?name=Nordmann&_count=2");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/Patient");
  EXPECT_EQ(t->query, Pairs({{"name", "Nordmann"}, {"_count", "2"}}));
}

TEST(ParseTarget, DecodesPathButKeepsPlus) {
  auto t = ParseTarget("/Patient/a%2Db+c");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/Patient/a-b+c");
  EXPECT_TRUE(t->query.empty());
}

TEST(ParseTarget, QueryKeepsOrderRepeatsAndEmptyValues) {
  auto t =
      ParseTarget("/Observation?code=a&&code=b&flag&x=&date=ge2020-01-01T00%3A00%3A00%2B01%3A00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->query, Pairs({{"code", "a"},
                             {"code", "b"},
                             {"flag", ""},
                             {"x", ""},
                             {"date", "ge2020-01-01T00:00:00+01:00"}}));
}

TEST(ParseTarget, PlusInQueryIsASpace) {
  auto t = ParseTarget("/Patient?name=Kari+Nordmann&given=a%2Bb");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->query, Pairs({{"name", "Kari Nordmann"}, {"given", "a+b"}}));
}

TEST(ParseTarget, ValueMayContainEquals) {
  auto t = ParseTarget("/x?a=b=c");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->query, Pairs({{"a", "b=c"}}));
}

TEST(ParseTarget, AbsoluteFormAsteriskAndFragment) {
  auto t = ParseTarget("http://example.org:8080/Patient/1?_format=json");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/Patient/1");
  EXPECT_EQ(t->query, Pairs({{"_format", "json"}}));
  t = ParseTarget("HTTPS://example.org");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/");
  t = ParseTarget("http://example.org?a=1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/");
  EXPECT_EQ(t->query, Pairs({{"a", "1"}}));
  t = ParseTarget("*");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "*");
  t = ParseTarget("/Patient#frag?x=1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/Patient");
  EXPECT_TRUE(t->query.empty());
}

TEST(ParseTarget, RejectsMalformedTargets) {
  for (const char* bad :
       {"", "Patient", "example.org:80", "/Patient/%zz", "/Patient?a=%G1", "/a%00b", "/x?%=1"}) {
    auto t = ParseTarget(bad);
    EXPECT_FALSE(t.has_value()) << bad;
    if (!t.has_value()) {
      EXPECT_EQ(t.error().code(), common::Code::kInvalidArgument);
    }
  }
}

TEST(RequestId, AcceptsOnlyShortSafeIds) {
  EXPECT_TRUE(IsValidRequestId("a"));
  EXPECT_TRUE(IsValidRequestId("req-123_ABC.x"));
  EXPECT_TRUE(IsValidRequestId(std::string(64, 'x')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId(std::string(65, 'x')));
  EXPECT_FALSE(IsValidRequestId("a b"));
  EXPECT_FALSE(IsValidRequestId("a/b"));
  EXPECT_FALSE(IsValidRequestId("a\r\nb"));
  EXPECT_FALSE(IsValidRequestId("\xC3\xB8"));
}

TEST(RequestId, ChoosesClientIdOrGeneratesUuid) {
  EXPECT_EQ(ChooseRequestId("abc-1"), "abc-1");
  std::string generated = ChooseRequestId("not valid!");
  EXPECT_EQ(generated.size(), 36u);
  EXPECT_EQ(generated[8], '-');
  EXPECT_EQ(generated[14], '4');
  EXPECT_NE(ChooseRequestId(""), ChooseRequestId(""));
}

}  // namespace
}  // namespace gateway::http
