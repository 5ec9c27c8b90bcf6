#pragma once
// Format checks for the FHIR R4 primitive types, hand-written after the regexes in the R4
// StructureDefinitions (no std::regex, no allocation) plus the rules the regexes cannot say:
// real calendar dates, 32-bit integer ranges, the 1 MB string limit.
//
// All checks take the value as it appears in JSON: the string's content, or a number's exact
// JSON text. Stricter than the regexes in two places, on purpose: strings (and uris) must not
// contain C0 control characters other than tab, CR and LF (XML cannot carry them), and
// base64Binary must be real base64 ('=' padding only at the end).

#include <cstdint>
#include <optional>
#include <string_view>

#include "fhir/json/value.h"
#include "fhir/model/model.h"

namespace fhir::validation {

bool IsValidBase64Binary(std::string_view s);  // (\s*([0-9a-zA-Z\+/=]){4}\s*)+
bool IsValidCode(std::string_view s);          // [^\s]+(\s[^\s]+)*
bool IsValidDate(std::string_view s);          // YYYY, YYYY-MM, YYYY-MM-DD
bool IsValidDateTime(std::string_view s);      // a date, or a full date-time with timezone
bool IsValidInstant(std::string_view s);       // full date-time with seconds and timezone
bool IsValidTime(std::string_view s);          // hh:mm:ss(.fff), no timezone
bool IsValidDecimal(std::string_view json_number_text);
bool IsValidInteger(std::string_view json_number_text);      // 32-bit signed
bool IsValidPositiveInt(std::string_view json_number_text);  // 1 .. 2^31-1
bool IsValidUnsignedInt(std::string_view json_number_text);  // 0 .. 2^31-1
bool IsValidId(std::string_view s);                          // [A-Za-z0-9\-\.]{1,64}
bool IsValidOid(std::string_view s);                         // urn:oid:...
bool IsValidUuid(std::string_view s);                        // urn:uuid:<lowercase uuid>
bool IsValidUri(std::string_view s);       // non-empty, no whitespace (also url, canonical)
bool IsValidString(std::string_view s);    // non-empty, no control chars, at most 1 MB chars
bool IsValidMarkdown(std::string_view s);  // non-empty, no control chars
bool IsValidXhtml(std::string_view s);     // light: a <div xmlns="...xhtml"> ... </div>
// True if `s` starts with a URI scheme ("http:", "urn:", ...).
bool HasUriScheme(std::string_view s);

// A failed primitive check: the FHIR issue type ("structure" for a wrong JSON type, "value"
// for a bad format) and a message naming the rule, never the value.
struct PrimitiveError {
  std::string_view code;
  std::string_view message;
};

// Checks a JSON value (not null) as the given primitive type.
std::optional<PrimitiveError> CheckPrimitive(model::PrimitiveType type, const json::Value& value);

// The interval [begin, end) of UTC microseconds since 1970 that a date or dateTime covers
// ("2020" covers the whole year). Values without a timezone are taken as UTC.
struct TimeInterval {
  int64_t begin_us;
  int64_t end_us;
};
std::optional<TimeInterval> DateTimeInterval(std::string_view date_or_date_time);

// A JSON number's value, for comparisons (e.g. Range.low <= Range.high).
std::optional<double> DecimalValue(std::string_view json_number_text);

}  // namespace fhir::validation
