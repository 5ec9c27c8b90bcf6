#include "common/norwegian_id.h"

#include <array>
#include <utility>

namespace common {
namespace {

constexpr std::array<int, 9> kWeights1 = {3, 7, 6, 1, 8, 9, 4, 5, 2};
constexpr std::array<int, 10> kWeights2 = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};

// 11 - (sum mod 11), with 11 -> 0 and 10 -> invalid (-1).
int CheckDigit(const int* digits, const int* weights, size_t n) {
  int sum = 0;
  for (size_t i = 0; i < n; ++i) sum += digits[i] * weights[i];
  int k = 11 - sum % 11;
  if (k == 11) return 0;
  if (k == 10) return -1;
  return k;
}

bool DaysValid(int day, int month, int yy) {
  if (month < 1 || month > 12 || day < 1) return false;
  constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  // The century is not knowable from YY alone without the individual number rules; allow
  // 29 February whenever YY could be a leap year in some century (YY % 4 == 0).
  if (month == 2 && day == 29) return yy % 4 == 0;
  return day <= kDays[month - 1];
}

}  // namespace

std::optional<std::pair<int, int>> NorwegianIdCheckDigits(std::string_view first_nine) {
  if (first_nine.size() != 9) return std::nullopt;
  int d[10];
  for (size_t i = 0; i < 9; ++i) {
    if (first_nine[i] < '0' || first_nine[i] > '9') return std::nullopt;
    d[i] = first_nine[i] - '0';
  }
  int k1 = CheckDigit(d, kWeights1.data(), 9);
  if (k1 < 0) return std::nullopt;
  d[9] = k1;
  int k2 = CheckDigit(d, kWeights2.data(), 10);
  if (k2 < 0) return std::nullopt;
  return std::make_pair(k1, k2);
}

std::optional<NorwegianId> ParseNorwegianId(std::string_view number) {
  if (number.size() != 11) return std::nullopt;
  for (char c : number) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto checks = NorwegianIdCheckDigits(number.substr(0, 9));
  if (!checks || checks->first != number[9] - '0' || checks->second != number[10] - '0') {
    return std::nullopt;
  }
  int day = (number[0] - '0') * 10 + (number[1] - '0');
  int month = (number[2] - '0') * 10 + (number[3] - '0');
  int yy = (number[4] - '0') * 10 + (number[5] - '0');
  NorwegianId id{NorwegianIdKind::kFodselsnummer, false};
  if (day > 40) {
    id.kind = NorwegianIdKind::kDNummer;
    day -= 40;
  }
  if (month > 80) {
    id.synthetic = true;
    month -= 80;
  } else if (month > 40) {
    if (id.kind == NorwegianIdKind::kDNummer) return std::nullopt;  // not both
    id.kind = NorwegianIdKind::kHNummer;
    month -= 40;
  }
  if (!DaysValid(day, month, yy)) return std::nullopt;
  return id;
}

}  // namespace common
