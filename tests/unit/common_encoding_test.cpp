// The one home of each encoding helper: percent-encoding and form decoding (common/url.h),
// digests and hex (common/digest.h), whole-file reads (common/file.h).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/digest.h"
#include "common/file.h"
#include "common/url.h"

namespace common {
namespace {

TEST(HexDigitValue, BothCasesAndNothingElse) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  for (char c : {'g', 'G', ' ', '%', '\0', '/'}) EXPECT_EQ(HexDigitValue(c), -1) << int(c);
}

TEST(PercentEncode, UnreservedStayAndTheCallerChoosesTheRest) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b+c/d:e|f"), "a%20b%2Bc%2Fd%3Ae%7Cf");
  EXPECT_EQ(PercentEncode("\xC3\xB8\x01"), "%C3%B8%01");
  // The FHIR search link set keeps the separators that carry FHIR meaning readable.
  EXPECT_EQ(PercentEncode("urn:oid:2.16|1,2/x*$", kSearchLinkKeep), "urn:oid:2.16|1,2/x*%24");
  EXPECT_EQ(PercentEncode("a:b|c", ":"), "a:b%7Cc");
  // '&', '=', '#', '%' and '+' are never kept by the sets in use: they would change the query.
  for (char c : {'&', '=', '#', '%', '+'}) {
    EXPECT_EQ(PercentEncode(std::string(1, c), kSearchLinkKeep).size(), 3u) << c;
  }
}

TEST(PercentDecode, EscapesPlusAndNul) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc%2bd+e"), "a b/c+d+e");
  EXPECT_EQ(PercentDecode("a%20b+c", {.plus_as_space = true}), "a b c");
  EXPECT_EQ(PercentDecode("%C3%B8"), "\xC3\xB8");
  EXPECT_EQ(PercentDecode("a%00b"), std::string("a\0b", 3));
  EXPECT_FALSE(PercentDecode("a%00b", {.allow_nul = false}).has_value());
  // Refusing NUL means the decoded text has none: a raw one is refused too (found by fuzzing).
  EXPECT_FALSE(PercentDecode(std::string_view("a\0b", 3), {.allow_nul = false}).has_value());
  EXPECT_EQ(PercentDecode(std::string_view("a\0b", 3)), std::string("a\0b", 3));
  for (const char* bad : {"%", "%2", "%zz", "ab%2", "%g0", "%0g"}) {
    EXPECT_FALSE(PercentDecode(bad).has_value()) << bad;
  }
}

TEST(PercentEncode, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(PercentDecode(PercentEncode(all)), all);
  EXPECT_EQ(PercentDecode(PercentEncode(all, kSearchLinkKeep)), all);
}

TEST(ParseFormUrlEncoded, PairsInOrder) {
  auto q = ParseFormUrlEncoded("name=Kari+Nordmann&birthdate=ge1980-01-01&&flag&x=&name=%2B");
  ASSERT_TRUE(q.has_value());
  const FormPairs expected = {{"name", "Kari Nordmann"},
                              {"birthdate", "ge1980-01-01"},
                              {"flag", ""},
                              {"x", ""},
                              {"name", "+"}};
  EXPECT_EQ(*q, expected);
  q = ParseFormUrlEncoded("");
  ASSERT_TRUE(q.has_value());
  EXPECT_TRUE(q->empty());
  EXPECT_FALSE(ParseFormUrlEncoded("a=%").has_value());
  EXPECT_FALSE(ParseFormUrlEncoded("a=1&%zz=2").has_value());
}

TEST(Digest, KnownAnswers) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexEncode(Digest(DigestAlgorithm::kSha384, "abc")).substr(0, 16), "cb00753f45a35e8b");
  EXPECT_EQ(HexEncode(Digest(DigestAlgorithm::kSha512, "abc")).substr(0, 16), "ddaf35a193617aba");
  EXPECT_EQ(Sha256("").size(), 32u);
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
}

TEST(ReadFile, WholeFileOrTheReason) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("emg-readfile-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "data.bin").string();
  const std::string bytes = std::string("one\0two\n", 8) + std::string(100000, 'x');
  std::ofstream(path, std::ios::binary) << bytes;
  auto read = ReadFile(path);
  ASSERT_TRUE(read.has_value()) << read.error().message();
  EXPECT_EQ(*read, bytes);

  auto limited = ReadFile(path, 1000);
  ASSERT_FALSE(limited.has_value());
  EXPECT_EQ(limited.error().message(), "larger than 1000 bytes");

  auto missing = ReadFile((dir / "nowhere").string());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(), "No such file or directory");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace common
