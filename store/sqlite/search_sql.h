#pragma once
// Execution of parsed FHIR searches (fhir::search::Query) on the SQLite store's tables
// (resource_versions + the idx_* tables of store/sqlite/search_index.h). All values are bound
// parameters; the SQL text only contains fixed fragments.
//
// Matching rules (FHIR R4 search):
//  * string: starts-with on the normalized form (fhir::search::NormalizeString); :exact =
//    equality on the original; :contains = substring of the normalized form.
//  * token: `code` any system, `system|code`, `|code` (no system), `system|` (any code);
//    :text = a word of the normalized display/text starts with the normalized value;
//    :not = the resource has no matching token (also true when it has none at all).
//  * reference: `Type/id[/_history/v]`, `id` (any type; with :Type that type), absolute URL
//    (canonical `url|version`); :identifier = Reference.identifier as a token.
//  * date: ranges. With the resource's range [lo, hi] and the value's [sl, sh]: eq lo>=sl and
//    hi<=sh; ne not eq; gt hi>sh; lt lo<sl; ge hi>=sl; le lo<=sh; sa lo>sh; eb hi<sl; ap the
//    ranges overlap after widening [sl, sh] by 10% of its distance from now.
//  * number/quantity: eq/ne compare the precision ranges like dates (search "5.4" contains a
//    resource's 5.40 but not 5.4000001); gt/ge/lt/le/sa/eb compare the values (a Range by its
//    bounds); ap = within 10% of the value (at least its precision). Quantity units:
//    `n|system|code` matches system and code, `n||code` the code or the unit text; no unit
//    conversion.
//  * uri: equality; :below = starts with; :above = is a prefix of the value; :contains.
//  * :missing=true = no index entry for the parameter; false = at least one.
//  * chained parameters: the reference must point to a resource of the chain's type that is
//    live (at the same snapshot) and matches the rest of the chain.
//  * _id, _lastUpdated: resource_versions.id / last_updated.
// Values of one criterion are OR'ed, criteria are AND'ed.

#include <sqlite3.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "fhir/search/query.h"
#include "fhir/store/store.h"
#include "store/sqlite/connection.h"

namespace store::sqlite {

// At most this many resources are added by _include/_revinclude per page, over at most this
// many levels (the page's own includes, then :iterate ones on what was added).
inline constexpr size_t kMaxIncluded = 1000;
inline constexpr int kMaxIncludeDepth = 8;

// Runs `query` inside the caller's read transaction. query.snapshot == 0 reads the current
// max(seq) as the snapshot (returned in result.snapshot); otherwise the search sees exactly
// the versions live at query.snapshot. Matches are ordered by the _sort keys (missing values
// last), then by seq; the page is query.count results from query.offset. total is filled for
// _total=accurate/estimate (exact count) and _summary=count (which returns no matches); without
// _total (TotalMode::kAuto) when a selective criterion drives the query and there are at most
// 1000 matches, or when the first page holds every match.
//
// Plan: one selective index criterion (at most 1000 index rows, counted index-only) drives
// the query, every other criterion probes the candidates; with none, candidates are walked in
// seq order through the (type, seq) index, so the page's LIMIT ends the scan early.
// Included resources are live at the snapshot, never tombstones, de-duplicated against the
// page and each other; :iterate follows the added resources level by level.
// `cache` (optional) keeps the prepared statements for the next search on this connection.
common::StatusOr<fhir::store::SearchResult> ExecuteSearch(sqlite3* db,
                                                          const fhir::search::Query& query,
                                                          StatementCache* cache = nullptr);

// Ids of the live-now resources of query.type matching query's criteria (sort, paging,
// includes ignored), ordered by seq. Sees uncommitted writes of `db`'s own transaction; for
// conditional create/update/delete. query.type must not be empty.
common::StatusOr<std::vector<std::string>> MatchIds(sqlite3* db, const fhir::search::Query& query,
                                                    StatementCache* cache = nullptr);

}  // namespace store::sqlite
