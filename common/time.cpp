#include "common/time.h"

#include <cstdio>
#include <cstring>
#include <ctime>

namespace common {

SystemTime SystemNow() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

int64_t ToMicros(SystemTime t) { return t.time_since_epoch().count(); }

SystemTime FromMicros(int64_t micros) { return SystemTime(std::chrono::microseconds(micros)); }

std::string FormatInstant(SystemTime t) {
  int64_t micros = ToMicros(t);
  time_t secs = static_cast<time_t>(micros / 1000000);
  int millis = static_cast<int>((micros % 1000000) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string FormatHttpDate(SystemTime t) {
  time_t secs = static_cast<time_t>(ToMicros(t) / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

bool ParseHttpDate(const std::string& s, SystemTime* out) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return false;
  time_t secs = timegm(&tm);
  if (secs == static_cast<time_t>(-1)) return false;
  *out = FromMicros(static_cast<int64_t>(secs) * 1000000);
  return true;
}

}  // namespace common
