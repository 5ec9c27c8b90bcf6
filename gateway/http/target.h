#pragma once
// Request-target parsing (RFC 9112 section 3.2) and request-id rules. Pure functions, no I/O.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/url.h"

namespace gateway::http {

using QueryPairs = common::FormPairs;

struct ParsedTarget {
  std::string path;  // percent-decoded, always starts with '/' (or is "*")
  QueryPairs query;  // decoded, in order; a name may repeat
};

// Parses an origin-form ("/Patient?name=x") or absolute-form ("http://h/Patient?name=x")
// target, or "*". The fragment, if any, is dropped. kInvalidArgument (safe to show) when the
// target is not one of those forms, has a malformed escape, or decodes to a NUL byte.
common::StatusOr<ParsedTarget> ParseTarget(std::string_view target);

// True for a client-supplied X-Request-Id we accept as is: 1-64 chars of [A-Za-z0-9._-].
bool IsValidRequestId(std::string_view id);
// The client's id when valid, else a new random UUID.
std::string ChooseRequestId(std::string_view client_id);

}  // namespace gateway::http
