#include "fhir/search/values.h"

#include <cctype>
#include <charconv>
#include <cmath>

namespace fhir::search {
namespace {

// Appends the UTF-8 encoding of code point `cp`.
void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t v = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(i + k) & 0x3F);
  }
  *cp = v;
  return len;
}

constexpr uint32_t kAeLower = 0xE6, kOSlashLower = 0xF8, kARingLower = 0xE5;

// Folding of U+00C0..U+017F; returns false when `cp` is not in the table (kept as is).
bool FoldLatin(uint32_t cp, std::string& out) {
  if (cp < 0xC0 || cp > 0x17F) return false;
  switch (cp) {
    case 0xC5:
    case 0xE5:
      AppendUtf8(kARingLower, out);
      return true;
    case 0xC6:
    case 0xE6:
      AppendUtf8(kAeLower, out);
      return true;
    case 0xD8:
    case 0xF8:
      AppendUtf8(kOSlashLower, out);
      return true;
    case 0xD7:
    case 0xF7:
      return false;  // multiplication and division signs
    case 0xD0:
    case 0xF0:
      out += 'd';
      return true;
    case 0xDE:
    case 0xFE:
      out += "th";
      return true;
    case 0xDF:
      out += "ss";
      return true;
    case 0x132:
    case 0x133:
      out += "ij";
      return true;
    case 0x152:
    case 0x153:
      out += "oe";
      return true;
    case 0x17F:
      out += 's';
      return true;
    default:
      break;
  }
  if (cp < 0x100) {
    // Latin-1 letters with diacritics, upper (C0-DE) and lower (E0-FF) case alike.
    static constexpr char kLatin1[] =
        "aaaaaaaceeeeiiiidnooooo_ouuuuyts"   // C0..DF (specials handled above)
        "aaaaaaaceeeeiiiidnooooo_ouuuuyty";  // E0..FF
    out += kLatin1[cp - 0xC0];
    return true;
  }
  struct Span {
    uint32_t first, last;
    char base;
  };
  static constexpr Span kExtendedA[] = {
      {0x100, 0x105, 'a'}, {0x106, 0x10D, 'c'}, {0x10E, 0x111, 'd'}, {0x112, 0x11B, 'e'},
      {0x11C, 0x123, 'g'}, {0x124, 0x127, 'h'}, {0x128, 0x131, 'i'}, {0x134, 0x135, 'j'},
      {0x136, 0x138, 'k'}, {0x139, 0x142, 'l'}, {0x143, 0x14B, 'n'}, {0x14C, 0x151, 'o'},
      {0x154, 0x159, 'r'}, {0x15A, 0x161, 's'}, {0x162, 0x167, 't'}, {0x168, 0x173, 'u'},
      {0x174, 0x175, 'w'}, {0x176, 0x178, 'y'}, {0x179, 0x17E, 'z'},
  };
  for (const Span& span : kExtendedA) {
    if (cp >= span.first && cp <= span.last) {
      out += span.base;
      return true;
    }
  }
  return false;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

}  // namespace

std::string NormalizeString(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(s, i, &cp);
    if (len == 0) {  // invalid byte: keep it
      out.push_back(s[i]);
      ++i;
      continue;
    }
    i += len;
    if (cp < 0x80) {
      out.push_back(cp >= 'A' && cp <= 'Z' ? static_cast<char>(cp - 'A' + 'a')
                                           : static_cast<char>(cp));
      continue;
    }
    if (cp >= 0x300 && cp <= 0x36F) {                          // combining mark
      if (cp == 0x30A && !out.empty() && out.back() == 'a') {  // a + ring above = å
        out.pop_back();
        AppendUtf8(kARingLower, out);
      }
      continue;
    }
    if (!FoldLatin(cp, out)) AppendUtf8(cp, out);
  }
  return out;
}

std::optional<DateRange> ParseDateRange(std::string_view s) {
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int64_t micros = 0;
  int64_t span = 0;  // length of the range at the value's precision, in micros
  if (s.size() < 4 || !Digits(s, 0, 4, &year) || year < 1) return std::nullopt;
  size_t pos = 4;
  enum class Precision { kYear, kMonth, kDay, kTime } precision = Precision::kYear;
  if (pos < s.size()) {
    if (s[pos] != '-' || !Digits(s, pos + 1, 2, &month) || month < 1 || month > 12) {
      return std::nullopt;
    }
    pos += 3;
    precision = Precision::kMonth;
  }
  if (pos < s.size()) {
    if (s[pos] != '-' || !Digits(s, pos + 1, 2, &day) || day < 1 ||
        day > DaysInMonth(year, month)) {
      return std::nullopt;
    }
    pos += 3;
    precision = Precision::kDay;
  }
  int64_t offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' || !Digits(s, pos + 1, 2, &hour) || hour > 23 || pos + 3 >= s.size() ||
        s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &minute) || minute > 59) {
      return std::nullopt;
    }
    pos += 6;
    precision = Precision::kTime;
    span = 60 * kMicrosPerSecond;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, &second) || second > 59) return std::nullopt;
      pos += 3;
      span = kMicrosPerSecond;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        size_t digits = 0;
        int64_t scale = 100000;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (digits < 6) {
            micros += (s[pos] - '0') * scale;
            scale /= 10;
            span /= 10;
          }
          ++digits;
          ++pos;
        }
        if (digits == 0) return std::nullopt;
      }
    }
    if (pos < s.size()) {
      char sign = s[pos];
      if (sign == 'Z') {
        ++pos;
      } else if (sign == '+' || sign == '-' || sign == ' ') {
        int oh = 0, om = 0;
        if (!Digits(s, pos + 1, 2, &oh) || oh > 14 || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !Digits(s, pos + 4, 2, &om) || om > 59) {
          return std::nullopt;
        }
        offset_minutes = (oh * 60 + om) * (sign == '-' ? -1 : 1);
        pos += 6;
      } else {
        return std::nullopt;
      }
    }
  }
  if (pos != s.size()) return std::nullopt;

  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t low = days * kMicrosPerDay +
                ((hour * 60 + minute) * 60 + static_cast<int64_t>(second)) * kMicrosPerSecond +
                micros - offset_minutes * 60 * kMicrosPerSecond;
  switch (precision) {
    case Precision::kYear:
      span = (DaysFromCivil(year + 1, 1, 1) - days) * kMicrosPerDay;
      break;
    case Precision::kMonth:
      span = static_cast<int64_t>(DaysInMonth(year, month)) * kMicrosPerDay;
      break;
    case Precision::kDay:
      span = kMicrosPerDay;
      break;
    case Precision::kTime:
      break;
  }
  return DateRange{low, low + span - 1};
}

std::optional<DecimalRange> ParseDecimalRange(std::string_view s) {
  size_t pos = 0;
  if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) ++pos;
  size_t int_digits = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos, ++int_digits;
  if (int_digits == 0) return std::nullopt;
  int decimals = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos, ++decimals;
    if (decimals == 0) return std::nullopt;
  }
  int exponent = 0;
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    ++pos;
    bool negative = false;
    if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) negative = s[pos++] == '-';
    size_t exp_digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && exp_digits < 4) {
      exponent = exponent * 10 + (s[pos] - '0');
      ++pos, ++exp_digits;
    }
    if (exp_digits == 0) return std::nullopt;
    if (negative) exponent = -exponent;
  }
  if (pos != s.size()) return std::nullopt;
  std::string_view number = s;
  if (!number.empty() && number[0] == '+') number.remove_prefix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  double half = 0.5 * std::pow(10.0, exponent - decimals);
  return DecimalRange{value, value - half, value + half};
}

bool IsAbsoluteUrl(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') return true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return false;
}

ParsedReference ParseReference(std::string_view reference) {
  ParsedReference out;
  if (reference.empty() || reference[0] == '#') return out;
  if (IsAbsoluteUrl(reference)) {
    size_t bar = reference.find('|');
    out.url = std::string(reference.substr(0, bar));
    if (bar != std::string_view::npos) out.version = std::string(reference.substr(bar + 1));
    return out;
  }
  std::string_view parts[4];
  size_t n = 0, pos = 0;
  while (n < 4) {
    size_t slash = reference.find('/', pos);
    parts[n++] = reference.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
    if (n == 4) return out;  // too many segments
  }
  bool type_ok = !parts[0].empty() && std::isupper(static_cast<unsigned char>(parts[0][0]));
  for (char c : parts[0]) type_ok = type_ok && std::isalnum(static_cast<unsigned char>(c));
  if (!type_ok || parts[1].empty()) return out;
  if (n == 2) {
    out.type = std::string(parts[0]);
    out.id = std::string(parts[1]);
  } else if (n == 4 && parts[2] == "_history" && !parts[3].empty()) {
    out.type = std::string(parts[0]);
    out.id = std::string(parts[1]);
    out.version = std::string(parts[3]);
  }
  return out;
}

}  // namespace fhir::search
