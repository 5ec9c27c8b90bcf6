#pragma once
// Parsing of FHIR R4 search parameters (already URL-decoded name/value pairs) into a Query.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "fhir/outcome.h"
#include "fhir/search/query.h"

namespace fhir::search {

struct ParseOptions {
  // Prefer: handling=strict. Strict: an unknown or unsupported parameter, modifier or a bad
  // value fails the parse with kInvalidArgument naming the parameter. Lenient (default): such
  // a parameter is ignored and a warning Issue is appended.
  bool strict = false;
  int default_count = 50;
  int max_count = 1000;  // larger _count values are lowered to this (with a warning)
  // How complex one search may be: parameters (each an AND) and comma-separated values in all
  // of them (each an OR). Beyond either, kInvalidArgument names the limit: such a query is not
  // one a person or a program of ours writes, and its cost grows with both.
  size_t max_params = 100;
  size_t max_values = 1000;
};

// Parses the search parameters of a search on `type` (empty = system-level search, where only
// the Resource-level parameters _id, _lastUpdated, _tag, _profile, _security, _source apply).
//
// Supported: every parameter of fhir/search/registry.h with its type's syntax (prefixes
// eq ne gt lt ge le sa eb ap for number/date/quantity; `system|code`, `|code`, `system|`,
// `code` for tokens; `Type/id`, `id`, absolute URLs for references); comma = OR with the
// escapes \, \| \$ \\; repeated parameters = AND; modifiers :exact :contains (string, uri),
// :missing (all), :not :text (token), :[Type] :identifier (reference), :below :above (uri);
// chaining `subject:Patient.name=x` / `subject.name=x` (when the reference has exactly one
// target type served here) up to two references deep; _id, _lastUpdated, _count, _sort,
// _include / _revinclude (`Type:param[:Target]`, `Type:*`, `*`, with :iterate or :recurse),
// _summary, _total, _elements, and the gateway's paging parameters _offset and _snapshot.
// _format and _pretty are accepted and ignored (HTTP-level).
//
// Errors: kNotFound for an unknown resource type; kInvalidArgument (strict mode) for a
// problem with a parameter. Messages name the parameter, never its value.
//
// Query::canonical gets the accepted parameters except _offset, _snapshot, _format and
// _pretty, with `_count` always present (the effective page size), sorted by name (stable for
// repeated names), percent-encoded and joined with '&'.
common::StatusOr<Query> ParseQuery(std::string_view type,
                                   const std::vector<std::pair<std::string, std::string>>& params,
                                   const ParseOptions& options, IssueList& warnings);

// Splits `s` on each `sep` that is not escaped with a backslash; escapes are kept.
std::vector<std::string_view> SplitUnescaped(std::string_view s, char sep);
// Resolves the search escapes \, \| \$ \\ (a backslash before anything else is kept).
std::string Unescape(std::string_view s);

}  // namespace fhir::search
