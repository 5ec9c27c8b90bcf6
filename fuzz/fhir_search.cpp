// Fuzz target: FHIR search parameters as a client sends them ("Type?name=value&..."): the
// form decoding the HTTP edge applies to the query, the search parser (fhir/search/parse.h:
// prefixes, modifiers, chains, _include, _sort, paging...), and the execution of what it
// accepts on the SQLite store (planner and SQL, store/sqlite) against a few synthetic
// resources, for a search and for the id matching of conditional interactions.
// Properties: the canonical query a paging link carries parses again to itself; a search the
// parser accepted fails, if at all, for a reason the client can act on, never as an internal
// error (a 500, e.g. SQLite's "expression tree is too large"); messages never repeat a value
// that looks like an identity number.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/url.h"
#include "fhir/search/parse.h"
#include "fhir/search/values.h"
#include "fhir/store/store.h"
#include "fuzz/support/harness.h"

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

fhir::store::Store* store = nullptr;

// Runs of six or more digits in the values: shaped like an identity number, they must never
// come back in a message. (Messages may quote a parameter's name or the resource type, so a run
// that is also part of one of those is left out.)
std::vector<std::string> DigitRuns(std::string_view type, const Params& params) {
  std::vector<std::string> runs;
  for (const auto& [name, value] : params) {
    size_t i = 0;
    while (i < value.size()) {
      size_t j = i;
      while (j < value.size() && std::isdigit(static_cast<unsigned char>(value[j]))) ++j;
      if (j - i >= 6) runs.emplace_back(value.substr(i, j - i));
      i = j == i ? i + 1 : j;
    }
  }
  std::erase_if(runs, [&](const std::string& run) {
    if (type.find(run) != std::string_view::npos) return true;
    for (const auto& [name, value] : params) {
      if (name.find(run) != std::string::npos) return true;
    }
    return false;
  });
  return runs;
}

void CheckQuiet(const std::string& message, const std::vector<std::string>& runs) {
  for (const std::string& run : runs) {
    EMG_FUZZ_CHECK(message.find(run) == std::string::npos,
                   "a message repeats a digit run of a parameter value");
  }
}

void CheckSearchStatus(const common::Status& status) {
  EMG_FUZZ_CHECK(status.code() != common::Code::kInternal,
                 "an accepted search failed as an internal error: " + status.message());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  emg_fuzz::QuietLogs();
  static std::unique_ptr<fhir::store::Store> owned = emg_fuzz::OpenTempStore("search");
  if (!owned) std::abort();
  if (common::Status s = emg_fuzz::SeedResources(*owned); !s.ok()) {
    std::fprintf(stderr, "fuzz: seeding failed: %s\n", s.message().c_str());
    std::abort();
  }
  store = owned.get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  std::string_view type = "Patient";
  if (size_t q = data.find('?'); q != std::string_view::npos) {
    type = data.substr(0, q);
    data.remove_prefix(q + 1);
  }
  auto decoded = common::ParseFormUrlEncoded(data);
  if (!decoded) return 0;  // the edge answers 400 before any search
  const Params& params = *decoded;
  const std::vector<std::string> runs = DigitRuns(type, params);

  // The value helpers the parser and the index share, on every value.
  for (const auto& [name, value] : params) {
    (void)fhir::search::ParseDateRange(value);
    (void)fhir::search::ParseDecimalRange(value);
    (void)fhir::search::ParseReference(value);
    (void)fhir::search::NormalizeString(value);
    (void)fhir::search::Unescape(value);
  }

  for (bool strict : {false, true}) {
    fhir::search::ParseOptions options;
    options.strict = strict;
    fhir::IssueList warnings;
    auto query = fhir::search::ParseQuery(type, params, options, warnings);
    for (const fhir::Issue& w : warnings) CheckQuiet(w.diagnostics, runs);
    if (!query.has_value()) {
      emg_fuzz::Note("refused: " + query.error().message());
      CheckQuiet(query.error().message(), runs);
      EMG_FUZZ_CHECK(query.error().code() != common::Code::kInternal,
                     "the parser failed as an internal error");
      continue;
    }
    EMG_FUZZ_CHECK(query->count >= 0 && query->count <= options.max_count,
                   "_count outside the page size bounds");
    EMG_FUZZ_CHECK(query->offset >= 0, "negative _offset");

    // A paging link carries the canonical form: it must parse to the same canonical form.
    auto link = common::ParseFormUrlEncoded(query->canonical);
    EMG_FUZZ_CHECK(link.has_value(), "the canonical query is not form-encoded");
    fhir::IssueList link_warnings;
    auto again = fhir::search::ParseQuery(type, *link, options, link_warnings);
    EMG_FUZZ_CHECK(again.has_value(), "the canonical query of an accepted search is refused");
    EMG_FUZZ_CHECK(again->canonical == query->canonical, "the canonical query is not stable");

    if (strict) continue;  // the lenient query searches at least as much; run it once
    auto result = store->Search(*query);
    if (!result.has_value()) {
      emg_fuzz::Note("search failed: " + result.error().message());
      CheckSearchStatus(result.error());
      CheckQuiet(result.error().message(), runs);
    } else {
      emg_fuzz::Note(std::to_string(result->matches.size()) + " matches, " +
                     std::to_string(result->included.size()) + " included: " + query->canonical);
      EMG_FUZZ_CHECK(result->matches.size() <= static_cast<size_t>(query->count),
                     "more matches than the page size");
    }
    if (!query->type.empty()) {
      // What conditional create/update/delete run inside a write (rolled back here).
      common::Status matched = store->Commit([&](fhir::store::WriteContext& ctx) {
        auto ids = ctx.Match(*query);
        if (!ids.has_value()) CheckSearchStatus(ids.error());
        return common::Status(common::Code::kInvalidArgument, "fuzz: rolled back");
      });
      (void)matched;
    }
  }
  return 0;
}
