#include "fhir/validation/primitives.h"

#include <charconv>
#include <system_error>

namespace fhir::validation {
namespace {

using model::PrimitiveType;

constexpr size_t kMaxStringChars = 1024 * 1024;  // string.maxLength in the R4 definitions

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// Java's \s, which the FHIR regexes use.
bool IsRegexSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r';
}
bool IsControl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7F'; }

// Reads exactly `n` digits at `pos` into `out`.
bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!IsDigit(s[pos + i])) return false;
    v = v * 10 + (s[pos + i] - '0');
  }
  out = v;
  return true;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

struct DateParts {
  int year = 0, month = 0, day = 0;  // 0: absent (lower precision)
  int hour = 0, minute = 0, second = 0;
  bool has_time = false;
  int64_t fraction_us = 0;
  bool has_zone = false;
  int zone_minutes = 0;  // east of UTC
};

// Parses a date prefix (YYYY[-MM[-DD]]); returns the position after it, or npos.
size_t ParseDate(std::string_view s, DateParts& p) {
  if (!Digits(s, 0, 4, p.year) || p.year == 0) return std::string_view::npos;
  if (s.size() == 4 || s[4] != '-') return 4;
  if (!Digits(s, 5, 2, p.month) || p.month < 1 || p.month > 12) return std::string_view::npos;
  if (s.size() == 7 || s[7] != '-') return 7;
  if (!Digits(s, 8, 2, p.day) || p.day < 1 || p.day > DaysInMonth(p.year, p.month)) {
    return std::string_view::npos;
  }
  return 10;
}

// Parses hh:mm:ss(.f+)? at `pos`; returns the position after it, or npos.
size_t ParseTime(std::string_view s, size_t pos, DateParts& p) {
  if (!Digits(s, pos, 2, p.hour) || p.hour > 23) return std::string_view::npos;
  if (pos + 2 >= s.size() || s[pos + 2] != ':') return std::string_view::npos;
  if (!Digits(s, pos + 3, 2, p.minute) || p.minute > 59) return std::string_view::npos;
  if (pos + 5 >= s.size() || s[pos + 5] != ':') return std::string_view::npos;
  if (!Digits(s, pos + 6, 2, p.second) || p.second > 60) return std::string_view::npos;
  pos += 8;
  p.has_time = true;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    int64_t scale = 100000;
    while (pos < s.size() && IsDigit(s[pos])) {
      p.fraction_us += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::string_view::npos;
  }
  return pos;
}

// Parses Z or (+|-)hh:mm (hours 00-13, or 14:00) at `pos`; returns the position after it.
size_t ParseZone(std::string_view s, size_t pos, DateParts& p) {
  if (pos >= s.size()) return std::string_view::npos;
  p.has_zone = true;
  if (s[pos] == 'Z') return pos + 1;
  if (s[pos] != '+' && s[pos] != '-') return std::string_view::npos;
  int h = 0, m = 0;
  if (!Digits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
      !Digits(s, pos + 4, 2, m) || m > 59 || h > 14 || (h == 14 && m != 0)) {
    return std::string_view::npos;
  }
  p.zone_minutes = (s[pos] == '-' ? -1 : 1) * (h * 60 + m);
  return pos + 6;
}

// date | YYYY-MM-DDThh:mm:ss(.f)?zone; `require_time` for instant.
bool ParseDateTime(std::string_view s, bool require_time, DateParts& p) {
  size_t pos = ParseDate(s, p);
  if (pos == std::string_view::npos) return false;
  if (pos == s.size()) return !require_time;
  if (pos != 10 || s[pos] != 'T') return false;
  pos = ParseTime(s, pos + 1, p);
  if (pos == std::string_view::npos) return false;
  pos = ParseZone(s, pos, p);
  return pos == s.size();
}

// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// An unsigned JSON integer text (no sign), checked against `max`.
bool DigitsWithin(std::string_view s, int64_t max) {
  if (s.empty() || s.size() > 10) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  int64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  return v <= max;
}

bool NoControlChars(std::string_view s) {
  for (char c : s) {
    if (IsControl(c) && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

bool IsValidBase64Binary(std::string_view s) {
  size_t chars = 0;
  size_t padding = 0;
  for (char c : s) {
    if (IsRegexSpace(c)) {
      if (chars % 4 != 0) return false;  // whitespace only between groups of four
      continue;
    }
    if (c == '=') {
      ++padding;
    } else if (padding > 0 || !(IsAlpha(c) || IsDigit(c) || c == '+' || c == '/')) {
      return false;  // padding only at the end
    }
    ++chars;
  }
  return chars > 0 && chars % 4 == 0 && padding <= 2;
}

bool IsValidCode(std::string_view s) {
  if (s.empty() || IsRegexSpace(s.front()) || IsRegexSpace(s.back())) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsRegexSpace(s[i]) && IsRegexSpace(s[i + 1])) return false;  // s.back() is not space
    if (IsControl(s[i]) && !IsRegexSpace(s[i])) return false;
  }
  return true;
}

bool IsValidDate(std::string_view s) {
  DateParts p;
  return ParseDate(s, p) == s.size();
}

bool IsValidDateTime(std::string_view s) {
  DateParts p;
  return ParseDateTime(s, false, p);
}

bool IsValidInstant(std::string_view s) {
  DateParts p;
  return ParseDateTime(s, true, p);
}

bool IsValidTime(std::string_view s) {
  DateParts p;
  return ParseTime(s, 0, p) == s.size();
}

bool IsValidDecimal(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size() || !IsDigit(s[i])) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && s[i] == '.') {
    size_t start = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == start) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == start) return false;
  }
  return i == s.size();
}

bool IsValidInteger(std::string_view s) {
  if (!s.empty() && s[0] == '-') return DigitsWithin(s.substr(1), 2147483648LL);
  return DigitsWithin(s, 2147483647LL);
}

bool IsValidPositiveInt(std::string_view s) { return s != "0" && DigitsWithin(s, 2147483647LL); }

bool IsValidUnsignedInt(std::string_view s) { return DigitsWithin(s, 2147483647LL); }

bool IsValidId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!(IsAlpha(c) || IsDigit(c) || c == '-' || c == '.')) return false;
  }
  return true;
}

bool IsValidOid(std::string_view s) {
  if (!s.starts_with("urn:oid:")) return false;
  s.remove_prefix(8);
  if (s.empty() || s[0] < '0' || s[0] > '2') return false;
  size_t i = 1;
  size_t arcs = 0;
  while (i < s.size()) {
    if (s[i] != '.') return false;
    size_t start = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == start || (s[start] == '0' && i - start > 1)) return false;
    ++arcs;
  }
  return arcs >= 1;
}

bool IsValidUuid(std::string_view s) {
  if (!s.starts_with("urn:uuid:") || s.size() != 9 + 36) return false;
  s.remove_prefix(9);
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsLowerHex(s[i])) return false;
  }
  return true;
}

bool IsValidUri(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (IsRegexSpace(c) || IsControl(c)) return false;
  }
  return true;
}

bool IsValidString(std::string_view s) {
  return !s.empty() && NoControlChars(s) &&
         (s.size() <= kMaxStringChars || Utf8Length(s) <= kMaxStringChars);
}

bool IsValidMarkdown(std::string_view s) { return !s.empty() && NoControlChars(s); }

bool IsValidXhtml(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  if (b == std::string_view::npos) return false;
  s = s.substr(b, e - b + 1);
  if (!s.starts_with("<div") || s.size() < 5) return false;
  char after = s[4];
  if (after != ' ' && after != '\t' && after != '\r' && after != '\n' && after != '>' &&
      after != '/') {
    return false;
  }
  size_t tag_end = s.find('>');
  if (tag_end == std::string_view::npos) return false;
  std::string_view open = s.substr(0, tag_end);
  if (open.find("xmlns=\"http://www.w3.org/1999/xhtml\"") == std::string_view::npos &&
      open.find("xmlns='http://www.w3.org/1999/xhtml'") == std::string_view::npos) {
    return false;
  }
  return s.ends_with("</div>") || (open.ends_with("/") && tag_end + 1 == s.size());
}

bool HasUriScheme(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') return true;
    if (!(IsAlpha(c) || IsDigit(c) || c == '+' || c == '-' || c == '.')) return false;
  }
  return false;
}

std::optional<PrimitiveError> CheckPrimitive(PrimitiveType type, const json::Value& value) {
  using R = std::optional<PrimitiveError>;
  switch (type) {
    case PrimitiveType::kBoolean:
      if (!value.is_bool()) return R({"structure", "must be a JSON boolean (true or false)"});
      return std::nullopt;
    case PrimitiveType::kDecimal:
    case PrimitiveType::kInteger:
    case PrimitiveType::kPositiveInt:
    case PrimitiveType::kUnsignedInt:
      if (!value.is_number()) return R({"structure", "must be a JSON number"});
      break;
    case PrimitiveType::kNone:
      return R({"structure", "is not a primitive type"});
    default:
      if (!value.is_string()) return R({"structure", "must be a JSON string"});
      if (value.text().empty()) return R({"value", "must not be an empty string"});
      break;
  }
  std::string_view s = value.text();
  switch (type) {
    case PrimitiveType::kBase64Binary:
      if (!IsValidBase64Binary(s)) return R({"value", "is not valid base64Binary"});
      break;
    case PrimitiveType::kCanonical:
    case PrimitiveType::kUri:
    case PrimitiveType::kUrl:
      if (!IsValidUri(s)) return R({"value", "is not a valid URI (no whitespace allowed)"});
      break;
    case PrimitiveType::kCode:
      if (!IsValidCode(s)) {
        return R({"value", "is not a valid code (no leading, trailing or repeated whitespace)"});
      }
      break;
    case PrimitiveType::kDate:
      if (!IsValidDate(s)) return R({"value", "is not a valid date (YYYY, YYYY-MM, YYYY-MM-DD)"});
      break;
    case PrimitiveType::kDateTime:
      if (!IsValidDateTime(s)) {
        return R(
            {"value", "is not a valid dateTime (a date, or YYYY-MM-DDThh:mm:ss with a timezone)"});
      }
      break;
    case PrimitiveType::kInstant:
      if (!IsValidInstant(s)) {
        return R({"value", "is not a valid instant (YYYY-MM-DDThh:mm:ss with a timezone)"});
      }
      break;
    case PrimitiveType::kTime:
      if (!IsValidTime(s)) return R({"value", "is not a valid time (hh:mm:ss)"});
      break;
    case PrimitiveType::kDecimal:
      if (!IsValidDecimal(s)) return R({"value", "is not a valid decimal"});
      break;
    case PrimitiveType::kInteger:
      if (!IsValidInteger(s)) return R({"value", "is not a valid 32-bit integer"});
      break;
    case PrimitiveType::kPositiveInt:
      if (!IsValidPositiveInt(s)) {
        return R({"value", "is not a valid positiveInt (1 to 2147483647)"});
      }
      break;
    case PrimitiveType::kUnsignedInt:
      if (!IsValidUnsignedInt(s)) {
        return R({"value", "is not a valid unsignedInt (0 to 2147483647)"});
      }
      break;
    case PrimitiveType::kId:
      if (!IsValidId(s)) return R({"value", "is not a valid id (1-64 of A-Z a-z 0-9 - .)"});
      break;
    case PrimitiveType::kOid:
      if (!IsValidOid(s)) return R({"value", "is not a valid oid (urn:oid:...)"});
      break;
    case PrimitiveType::kUuid:
      if (!IsValidUuid(s)) return R({"value", "is not a valid uuid (urn:uuid:, lowercase)"});
      break;
    case PrimitiveType::kString:
      if (!IsValidString(s)) {
        return R({"value", "is not a valid string (no control characters, at most 1 MB)"});
      }
      break;
    case PrimitiveType::kMarkdown:
      if (!IsValidMarkdown(s)) return R({"value", "is not valid markdown (control characters)"});
      break;
    case PrimitiveType::kXhtml:
      if (!IsValidXhtml(s)) {
        return R({"value", "is not valid XHTML (a <div> in the XHTML namespace)"});
      }
      break;
    case PrimitiveType::kBoolean:
    case PrimitiveType::kNone:
      break;
  }
  return std::nullopt;
}

std::optional<TimeInterval> DateTimeInterval(std::string_view s) {
  DateParts p;
  if (!ParseDateTime(s, false, p)) return std::nullopt;
  constexpr int64_t kDayUs = 86400LL * 1000000;
  int64_t begin_day = DaysFromCivil(p.year, p.month == 0 ? 1 : p.month, p.day == 0 ? 1 : p.day);
  if (!p.has_time) {
    int64_t end_day;
    if (p.month == 0) {
      end_day = DaysFromCivil(p.year + 1, 1, 1);
    } else if (p.day == 0) {
      end_day =
          p.month == 12 ? DaysFromCivil(p.year + 1, 1, 1) : DaysFromCivil(p.year, p.month + 1, 1);
    } else {
      end_day = begin_day + 1;
    }
    return TimeInterval{begin_day * kDayUs, end_day * kDayUs};
  }
  int64_t us = begin_day * kDayUs +
               ((p.hour * 60LL + p.minute - p.zone_minutes) * 60 + p.second) * 1000000 +
               p.fraction_us;
  return TimeInterval{us, us + 1};
}

std::optional<double> DecimalValue(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace fhir::validation
