#include "common/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace common {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded) << plain;
    auto back = Base64Decode(encoded);
    ASSERT_TRUE(back.has_value()) << encoded;
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64, BinaryRoundTripAndLineBreaks) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  std::string encoded = Base64Encode(bytes);
  std::string wrapped;
  for (size_t i = 0; i < encoded.size(); i += 76) wrapped += encoded.substr(i, 76) + "\r\n";
  auto back = Base64Decode(wrapped);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, bytes);
}

TEST(Base64, RefusesWhatIsNotBase64) {
  for (const char* bad : {"Zg=", "Zm9v!", "Zg==Zg==", "Z", "Zm9vY", "Zh==", "====", "Zm9v=Zm9"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

TEST(Base64Url, Rfc4648VectorsWithoutPadding) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg"},
                                                         {"fo", "Zm8"},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg"},
                                                         {"fooba", "Zm9vYmE"},
                                                         {"foobar", "Zm9vYmFy"},
                                                         {"\xfb\xff", "-_8"},
                                                         {"\xfb\xef\xbe", "----"},
                                                         {"\xff\xff\xff", "____"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64UrlEncode(plain), encoded);
    auto back = Base64UrlDecode(encoded);
    ASSERT_TRUE(back.has_value()) << encoded;
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64Url, BinaryRoundTrip) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (size_t len = 0; len < 8; ++len) {
    std::string part = bytes.substr(len);
    auto back = Base64UrlDecode(Base64UrlEncode(part));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, part);
  }
}

TEST(Base64Url, RejectsPaddingStandardAlphabetWhitespaceAndImpossibleLengths) {
  for (const char* bad : {"Zg==", "Zm8=", "Zm9v+A", "Zm9v/A", "Zm 9v", "Zm9v\n", "Z", "Zm9vY", "Zh",
                          "Zm9", "Zm9vYmF!", "="}) {
    EXPECT_FALSE(Base64UrlDecode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace common
