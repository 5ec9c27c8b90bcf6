// Search (R4 search.html) and history (http.html §3.1.0.10) as Bundles with paging links that
// pin the store snapshot (`_snapshot`), so every page of one search reflects the same state
// even while writes continue.

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/url.h"
#include "common/uuid.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/search/parse.h"
#include "gateway/rest/bundle_writer.h"
#include "gateway/rest/call.h"

namespace gateway::rest {

using common::Code;
using common::Status;
using fhir::json::Value;
using fhir::store::ResourceVersion;

namespace {

std::string PageUrl(const Call& call, const std::string& path, const std::string& canonical,
                    int count, int64_t snapshot, int64_t offset) {
  std::string url = call.base + path + "?";
  if (!canonical.empty()) url += canonical + "&";
  if (canonical.find("_count=") == std::string::npos)
    url += "_count=" + std::to_string(count) + "&";
  url += "_snapshot=" + std::to_string(snapshot) + "&_offset=" + std::to_string(offset);
  return url;
}

// `page_size` is the number of rows the store's page held; `truncated`: the page ended early at
// the byte bound (fhir.max_page_bytes), so the next page starts right after those rows.
void AddPagingLinks(BundleWriter& bundle, const Call& call, const std::string& path,
                    const std::string& canonical, int count, int64_t snapshot, int64_t offset,
                    size_t page_size, std::optional<int64_t> total, bool truncated) {
  bundle.AddLink("self", PageUrl(call, path, canonical, count, snapshot, offset));
  if (count <= 0) return;
  bundle.AddLink("first", PageUrl(call, path, canonical, count, snapshot, 0));
  bool more = truncated || (total ? offset + static_cast<int64_t>(page_size) < *total
                                  : static_cast<int>(page_size) == count);
  int64_t next = offset + (truncated ? static_cast<int64_t>(page_size) : count);
  if (more) bundle.AddLink("next", PageUrl(call, path, canonical, count, snapshot, next));
  if (offset > 0) {
    int64_t prev = std::max<int64_t>(0, offset - count);
    bundle.AddLink("previous", PageUrl(call, path, canonical, count, snapshot, prev));
  }
  if (total && *total > 0) {
    int64_t last = ((*total - 1) / count) * count;
    bundle.AddLink("last", PageUrl(call, path, canonical, count, snapshot, last));
  }
}

// The resource body as it goes into a search entry (subsetted when asked).
std::string EntryBody(const ResourceVersion& v, fhir::search::SummaryMode summary,
                      const std::vector<std::string>& elements) {
  if (summary == fhir::search::SummaryMode::kNone && elements.empty()) return v.body;
  auto parsed = fhir::json::Parse(v.body);
  if (!parsed) return v.body;
  if (!ApplySubsetting(*parsed, summary, elements)) return v.body;
  return fhir::json::Write(*parsed);
}

bool ParseNonNegative(const std::string& s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && *out >= 0;
}

}  // namespace

HttpResponse HandleSearch(Call& call, const std::string& type) {
  fhir::search::ParseOptions po;
  po.strict = call.strict_handling;
  po.default_count = call.options.default_page_size;
  po.max_count = call.options.max_page_size;
  fhir::IssueList warnings;
  auto query = fhir::search::ParseQuery(type, call.params, po, warnings);
  if (!query) return ErrorResponse(query.error(), call.rendering);
  query->max_page_bytes = call.options.max_page_bytes;
  auto result = call.store.Search(*query);
  if (!result) return ErrorResponse(result.error(), call.rendering);

  BundleWriter bundle("searchset");
  if (result->total) bundle.SetTotal(*result->total);
  std::string path = type.empty() ? "" : "/" + type;
  // _summary=count returns no entries, so it has no pages to link to (count 0: self only).
  int page_count = query->summary == fhir::search::SummaryMode::kCount ? 0 : query->count;
  // A page that access control shortened still continues when the store's page was full.
  AddPagingLinks(bundle, call, path, query->canonical, page_count, result->snapshot, query->offset,
                 result->unfiltered_page_size.value_or(result->matches.size()), result->total,
                 result->truncated);
  for (const ResourceVersion& v : result->matches) {
    Value entry = Value::Object();
    entry.Set("fullUrl", Value::String(FullUrl(call, v.type, v.id)));
    Value& search = entry.Set("search", Value::Object());
    search.Set("mode", Value::String("match"));
    bundle.AddEntry(entry, EntryBody(v, query->summary, query->elements));
  }
  for (const ResourceVersion& v : result->included) {
    Value entry = Value::Object();
    entry.Set("fullUrl", Value::String(FullUrl(call, v.type, v.id)));
    Value& search = entry.Set("search", Value::Object());
    search.Set("mode", Value::String("include"));
    bundle.AddEntry(entry, EntryBody(v, query->summary, query->elements));
  }
  if (result->included_truncated) {
    warnings.push_back({fhir::Severity::kWarning, "too-costly",
                        "_include/_revinclude stopped at the page's size bound: not every included "
                        "resource is in this page (ask for a smaller _count)",
                        ""});
  }
  if (!warnings.empty()) {
    Value entry = Value::Object();
    entry.Set("fullUrl", Value::String("urn:uuid:" + common::NewUuid()));
    Value& search = entry.Set("search", Value::Object());
    search.Set("mode", Value::String("outcome"));
    bundle.AddEntry(entry, fhir::json::Write(fhir::MakeOperationOutcome(warnings)));
  }
  return RawJsonResponse(200, bundle.Finish(call.rendering.pretty));
}

namespace {

// Parses a FHIR instant or dateTime with a time zone ("2026-01-02T03:04:05Z", with optional
// fraction and +hh:mm), or a date ("2026-01-02", taken as UTC midnight).
bool ParseInstantParam(const std::string& s, common::SystemTime* out) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (s.size() < 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d", &y, &mo, &d) != 3) return false;
  int64_t frac_us = 0;
  int tz_minutes = 0;
  if (s.size() > 10) {
    if (s[10] != 'T' || s.size() < 19) return false;
    if (std::sscanf(s.c_str() + 11, "%2d:%2d:%2d", &h, &mi, &sec) != 3) return false;
    size_t i = 19;
    if (i < s.size() && s[i] == '.') {
      int64_t scale = 100000;
      for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
        frac_us += (s[i] - '0') * scale;
        scale /= 10;
      }
    }
    if (i >= s.size()) return false;
    if (s[i] == 'Z') {
      if (i + 1 != s.size()) return false;
    } else if (s[i] == '+' || s[i] == '-') {
      int th, tm;
      if (s.size() != i + 6 || std::sscanf(s.c_str() + i + 1, "%2d:%2d", &th, &tm) != 2)
        return false;
      tz_minutes = (s[i] == '+' ? 1 : -1) * (th * 60 + tm);
    } else {
      return false;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  *out = common::FromMicros((static_cast<int64_t>(t) - tz_minutes * 60) * 1000000 + frac_us);
  return true;
}

}  // namespace

HttpResponse HandleHistory(Call& call, const std::string& type, const std::string& id) {
  fhir::store::HistoryQuery q;
  q.type = type;
  q.id = id;
  q.count = call.options.default_page_size;
  std::string canonical;
  for (const auto& [name, value] : call.params) {
    int64_t n = 0;
    if (name == "_count") {
      if (!ParseNonNegative(value, &n)) {
        return ErrorResponse(
            Status(Code::kInvalidArgument, "_count must be a non-negative integer"),
            call.rendering);
      }
      q.count = static_cast<int>(std::min<int64_t>(n, call.options.max_page_size));
    } else if (name == "_offset" || name == "_snapshot") {
      if (!ParseNonNegative(value, &n)) {
        return ErrorResponse(
            Status(Code::kInvalidArgument, name + " must be a non-negative integer"),
            call.rendering);
      }
      if (name == "_offset")
        q.offset = static_cast<int>(std::min<int64_t>(n, 1 << 30));
      else
        q.snapshot = n;
      continue;
    } else if (name == "_since" || name == "_at") {
      common::SystemTime t;
      if (!ParseInstantParam(value, &t)) {
        return ErrorResponse(Status(Code::kInvalidArgument,
                                    name + " must be an instant such as 2026-01-31T12:00:00Z"),
                             call.rendering);
      }
      if (name == "_since") {
        // R4: versions created at or after the instant; the store's filter is strictly after.
        q.since = t - std::chrono::microseconds(1);
      } else {
        q.at = t;
      }
    } else if (name == "_format" || name == "_pretty") {
      continue;
    } else {
      if (call.strict_handling) {
        // The name is repeated only when shaped like a parameter name (it may be data).
        bool plausible = !name.empty() && name.size() <= 64 &&
                         (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                         std::all_of(name.begin(), name.end(), [](char ch) {
                           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
                                  ch == '-' || ch == ':';
                         });
        return ErrorResponse(
            Status(Code::kInvalidArgument, "unsupported history parameter" +
                                               (plausible ? " '" + name + "'" : std::string())),
            call.rendering);
      }
      continue;
    }
    if (!canonical.empty()) canonical += '&';
    canonical += common::PercentEncode(name, common::kSearchLinkKeep) + "=" +
                 common::PercentEncode(value, common::kSearchLinkKeep);
  }
  if (!id.empty()) {
    // The history of a resource that never existed is a 404, as its read is.
    auto current = call.store.Read(type, id);
    if (!current) {
      return ErrorResponse(current.error().code() == Code::kNotFound
                               ? Status(Code::kNotFound, "no " + type + " with that id")
                               : current.error(),
                           call.rendering);
    }
  }
  q.max_bytes = call.options.max_page_bytes;
  auto page = call.store.History(q);
  if (!page) return ErrorResponse(page.error(), call.rendering);

  BundleWriter bundle("history");
  bundle.SetTotal(page->total);
  std::string path = (type.empty() ? "" : "/" + type) + (id.empty() ? "" : "/" + id) + "/_history";
  AddPagingLinks(bundle, call, path, canonical, q.count, page->snapshot, q.offset,
                 page->versions.size(), page->total, page->truncated);
  for (const ResourceVersion& v : page->versions) {
    Value entry = Value::Object();
    entry.Set("fullUrl", Value::String(FullUrl(call, v.type, v.id)));
    Value& request = entry.Set("request", Value::Object());
    request.Set("method", Value::String(v.method));
    request.Set("url", Value::String(v.method == "POST" ? v.type : v.type + "/" + v.id));
    Value& response = entry.Set("response", Value::Object());
    response.Set("status", Value::String(v.deleted                                ? "204"
                                         : (v.version == 1 || v.method == "POST") ? "201"
                                                                                  : "200"));
    response.Set("etag", Value::String(ETag(v.version)));
    response.Set("lastModified", Value::String(common::FormatInstant(v.last_updated)));
    bundle.AddEntry(entry, v.deleted ? std::string_view() : std::string_view(v.body));
  }
  return RawJsonResponse(200, bundle.Finish(call.rendering.pretty));
}

}  // namespace gateway::rest
