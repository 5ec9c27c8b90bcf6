#pragma once
// Request-target parsing (RFC 9112 section 3.2) and request-id rules. Pure functions, no I/O.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace gateway::http {

using QueryPairs = std::vector<std::pair<std::string, std::string>>;

struct ParsedTarget {
  std::string path;  // percent-decoded, always starts with '/' (or is "*")
  QueryPairs query;  // decoded, in order; a name may repeat
};

// Percent-decodes `in`. With `plus_as_space`, '+' decodes to ' ' (form encoding). Returns
// false on a malformed escape ('%' not followed by two hex digits).
bool PercentDecode(std::string_view in, bool plus_as_space, std::string* out);

// Parses "a=1&b=&c&a=2" (application/x-www-form-urlencoded, also used for URL queries:
// '+' is a space, "%2B" a plus). Empty segments are skipped; a name without '=' gets an
// empty value. kInvalidArgument on a malformed escape.
common::StatusOr<QueryPairs> ParseQuery(std::string_view query);

// Parses an origin-form ("/Patient?name=x") or absolute-form ("http://h/Patient?name=x")
// target, or "*". The fragment, if any, is dropped. kInvalidArgument (safe to show) when the
// target is not one of those forms, has a malformed escape, or decodes to a NUL byte.
common::StatusOr<ParsedTarget> ParseTarget(std::string_view target);

// True for a client-supplied X-Request-Id we accept as is: 1-64 chars of [A-Za-z0-9._-].
bool IsValidRequestId(std::string_view id);
// The client's id when valid, else a new random UUID.
std::string ChooseRequestId(std::string_view client_id);

// True when a request is a FHIR search via POST with a form body:
// POST [base]/_search or [base]/[type]/_search, Content-Type application/x-www-form-urlencoded.
bool IsFormSearch(std::string_view method, std::string_view path, std::string_view content_type);

}  // namespace gateway::http
