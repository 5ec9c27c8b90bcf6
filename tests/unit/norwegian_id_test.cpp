#include "common/norwegian_id.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace common {
namespace {

// A number with valid check digits for `first_nine` (test helper; fails the test if none).
std::string Complete(const std::string& first_nine) {
  auto k = NorwegianIdCheckDigits(first_nine);
  EXPECT_TRUE(k.has_value()) << first_nine;
  if (!k) return first_nine + "00";
  return first_nine + std::to_string(k->first) + std::to_string(k->second);
}

// An independent reference: the published rule written out digit by digit.
int Reference(const std::string& digits, const std::vector<int>& weights) {
  int sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) sum += (digits[i] - '0') * weights[i];
  return (11 - sum % 11) % 11;  // 11 -> 0; 10 stays 10 (no valid number)
}

TEST(NorwegianId, CheckDigitsFollowThePublishedRule) {
  int valid = 0, invalid = 0;
  for (int ind = 0; ind < 1000; ++ind) {
    char nine[10];
    std::snprintf(nine, sizeof nine, "128391%03d", ind);
    int k1 = Reference(nine, {3, 7, 6, 1, 8, 9, 4, 5, 2});
    std::string ten = std::string(nine) + static_cast<char>('0' + (k1 % 10));
    int k2 = Reference(ten, {5, 4, 3, 2, 7, 6, 5, 4, 3, 2});
    auto k = NorwegianIdCheckDigits(nine);
    if (k1 == 10 || k2 == 10) {
      EXPECT_FALSE(k.has_value()) << nine;
      ++invalid;
    } else {
      ASSERT_TRUE(k.has_value()) << nine;
      EXPECT_EQ(k->first, k1) << nine;
      EXPECT_EQ(k->second, k2) << nine;
      ++valid;
    }
  }
  // Roughly 1 in 11 choices of k1 and of k2 has no valid number.
  EXPECT_GT(valid, 750);
  EXPECT_GT(invalid, 100);
}

TEST(NorwegianId, KindsAndSyntheticNumbers) {
  // Synthetic fødselsnummer (month + 80), D-nummer (day + 40), H-nummer (month + 40).
  for (std::string base : {"120391", "010180", "290296", "311299"}) {
    for (int ind = 100; ind < 140; ++ind) {
      std::string nine = base + std::to_string(ind);
      if (!NorwegianIdCheckDigits(nine)) continue;
      auto real = ParseNorwegianId(Complete(nine));
      ASSERT_TRUE(real.has_value()) << nine;
      EXPECT_EQ(real->kind, NorwegianIdKind::kFodselsnummer);
      EXPECT_FALSE(real->synthetic);
      break;
    }
  }
  auto find = [](std::string date, NorwegianIdKind kind, bool synthetic) {
    for (int ind = 100; ind < 200; ++ind) {
      std::string nine = date + std::to_string(ind);
      if (!NorwegianIdCheckDigits(nine)) continue;
      auto id = ParseNorwegianId(Complete(nine));
      EXPECT_TRUE(id.has_value()) << nine;
      if (!id) return;
      EXPECT_EQ(id->kind, kind) << nine;
      EXPECT_EQ(id->synthetic, synthetic) << nine;
      return;
    }
    ADD_FAILURE() << "no valid number for " << date;
  };
  find("128391", NorwegianIdKind::kFodselsnummer, true);  // 12 March 1991, synthetic
  find("528391", NorwegianIdKind::kDNummer, true);        // D-nummer, synthetic
  find("520391", NorwegianIdKind::kDNummer, false);
  find("124391", NorwegianIdKind::kHNummer, false);
}

TEST(NorwegianId, RejectsWhatIsNotANumber) {
  std::string valid;
  for (int ind = 100; ind < 200 && valid.empty(); ++ind) {
    std::string nine = "128391" + std::to_string(ind);
    if (NorwegianIdCheckDigits(nine)) valid = Complete(nine);
  }
  ASSERT_TRUE(ParseNorwegianId(valid).has_value());
  // Every single-digit change of a check digit is caught.
  for (int pos : {9, 10}) {
    for (char c = '0'; c <= '9'; ++c) {
      if (c == valid[pos]) continue;
      std::string bad = valid;
      bad[pos] = c;
      EXPECT_FALSE(ParseNorwegianId(bad).has_value()) << bad;
    }
  }
  EXPECT_FALSE(ParseNorwegianId(valid.substr(0, 10)).has_value());
  EXPECT_FALSE(ParseNorwegianId(valid + "0").has_value());
  EXPECT_FALSE(ParseNorwegianId("1283914x000").has_value());
  EXPECT_FALSE(ParseNorwegianId("").has_value());
  // Impossible dates with valid check digits: day 32, month 13, 30 February.
  for (std::string date : {"321291", "011391", "300291", "008391"}) {
    for (int ind = 100; ind < 200; ++ind) {
      std::string nine = date + std::to_string(ind);
      if (!NorwegianIdCheckDigits(nine)) continue;
      EXPECT_FALSE(ParseNorwegianId(Complete(nine)).has_value()) << nine;
      break;
    }
  }
}

}  // namespace
}  // namespace common
