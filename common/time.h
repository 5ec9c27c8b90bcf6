#pragma once
// Time helpers: FHIR instants are UTC with millisecond precision ("2026-11-22T07:20:10.123Z").

#include <chrono>
#include <cstdint>
#include <string>

namespace common {

using SystemTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

SystemTime SystemNow();
// "YYYY-MM-DDThh:mm:ss.sssZ" (FHIR instant, milliseconds).
std::string FormatInstant(SystemTime t);
// Microseconds since the Unix epoch.
int64_t ToMicros(SystemTime t);
SystemTime FromMicros(int64_t micros);
// RFC 7231 HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string FormatHttpDate(SystemTime t);
// Parses an RFC 7231 HTTP-date; returns false if malformed.
bool ParseHttpDate(const std::string& s, SystemTime* out);

}  // namespace common
