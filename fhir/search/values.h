#pragma once
// Value helpers shared by index extraction and query parsing: string normalization, FHIR dates
// as microsecond ranges, decimals as ranges implied by their precision, reference parsing.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace fhir::search {

// Normalized form for string search (case- and accent-insensitive):
//  * ASCII letters are lower-cased;
//  * Latin-1 Supplement and Latin Extended-A letters are lower-cased and their diacritics
//    removed (é -> e, Ü -> u, ñ -> n, ç -> c, ł -> l); ß -> ss, þ -> th, ð -> d, œ -> oe;
//  * the Norwegian/Danish letters æ, ø, å are letters of their own, not accented a/o: they are
//    only lower-cased (Æ -> æ, Ø -> ø, Å -> å), so "Ås" matches "Åse" but not "Asbjørn".
//    A decomposed "A" + combining ring (U+030A) becomes "å" as well;
//  * other combining diacritical marks (U+0300-U+036F) are dropped, so decomposed input
//    normalizes like precomposed input;
//  * everything else (other scripts, digits, punctuation, spaces) is kept as is.
// Invalid UTF-8 bytes are kept unchanged.
std::string NormalizeString(std::string_view s);

// A closed range of microseconds since the Unix epoch (UTC).
struct DateRange {
  int64_t low = 0;
  int64_t high = 0;
};
inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

// Parses a FHIR date, dateTime or instant ("2020", "2020-02", "2020-02-29",
// "2020-02-29T10:00", "2020-02-29T10:00:00.123+01:00") into the range it covers at its
// precision: "2020" is the whole year. A time without zone is taken as UTC. A space in place
// of '+' before the zone is accepted (a '+' that went through form decoding). nullopt if
// malformed.
std::optional<DateRange> ParseDateRange(std::string_view s);

// A decimal with the range implied by its precision: "5.4" -> [5.35, 5.45], "100" -> [99.5,
// 100.5], "1e2" -> [50, 150].
struct DecimalRange {
  double value = 0;
  double low = 0;
  double high = 0;
};
std::optional<DecimalRange> ParseDecimalRange(std::string_view s);

// A reference string taken apart. Relative "Patient/123" or "Patient/123/_history/2" gives
// type, id (and version); absolute URLs ("http://..", "urn:uuid:..") give url, and a canonical
// "url|1.0" also gives version. Local "#id" references give nothing.
struct ParsedReference {
  std::string type;
  std::string id;
  std::string version;
  std::string url;
};
ParsedReference ParseReference(std::string_view reference);
bool IsAbsoluteUrl(std::string_view s);

}  // namespace fhir::search
