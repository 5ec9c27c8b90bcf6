#pragma once
// Percent-encoding (RFC 3986 section 2.1), application/x-www-form-urlencoded (WHATWG URL
// section 5), and http(s) URLs for the gateway's own outbound calls: the one implementation
// every layer uses (ADR 0009).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace common {

// 0-15 for a hexadecimal digit of either case, -1 for anything else.
int HexDigitValue(char c);

// RFC 3986's unreserved characters: ALPHA DIGIT - . _ ~ (never percent-encoded).
bool IsUnreserved(char c);

// Percent-encodes every byte except RFC 3986's unreserved characters (ALPHA DIGIT - . _ ~) and
// the characters in `keep`, which the caller's context allows literally (upper-case hex).
std::string PercentEncode(std::string_view s, std::string_view keep = {});

// What `keep` is for a FHIR search parameter in a link the server writes (R4 search.html): the
// separators that carry FHIR meaning stay readable.
inline constexpr std::string_view kSearchLinkKeep = ":/,|*";

struct PercentDecoding {
  bool plus_as_space = false;  // form encoding: '+' is a space ("%2B" a plus)
  bool allow_nul = true;       // false: a NUL byte is refused, as "%00" or as it is
};
// Decodes percent-escapes; nullopt when a '%' is not followed by two hex digits (or, where
// refused, for a NUL byte, escaped or not).
std::optional<std::string> PercentDecode(std::string_view s, PercentDecoding how = {});

using FormPairs = std::vector<std::pair<std::string, std::string>>;
// Parses "a=1&b=&c&a=2" as application/x-www-form-urlencoded (also how URL queries are read):
// empty segments are skipped, a name without '=' gets an empty value, names may repeat and
// keep their order. nullopt on a malformed escape.
std::optional<FormPairs> ParseFormUrlEncoded(std::string_view text);

struct HttpUrl {
  bool tls = false;
  std::string host;  // a name, an IPv4 address or an IPv6 address (without brackets)
  uint16_t port = 0;
  std::string target;  // path and query, "/" at least
};
// http://host[:port]/path?query or https://...; nullopt for anything else (userinfo,
// fragments, other schemes, a bad port).
std::optional<HttpUrl> ParseHttpUrl(std::string_view url);

}  // namespace common
