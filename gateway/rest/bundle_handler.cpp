// batch and transaction Bundles (R4 http.html §3.1.0.11).
//
// A transaction runs as one unit of work on the store's writer: all of it commits or none of
// it does, and its conditional parts (ifNoneExist, conditional update/delete URLs and
// conditional references) are resolved inside that same serialized unit, so they cannot race
// with concurrent writers. Processing order follows the spec: DELETE, POST, PUT, then GET
// (reads run after the commit).

#include <map>
#include <set>

#include "common/url.h"
#include "common/uuid.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/model/model.h"
#include "gateway/rest/bundle_writer.h"
#include "gateway/rest/call.h"
#include "gateway/rest/resource_ops.h"

namespace gateway::rest {

using common::Code;
using common::Status;
using common::StatusOr;
using fhir::json::Value;
using fhir::store::ResourceVersion;
using fhir::store::WriteContext;

namespace {

struct Entry {
  size_t index = 0;
  std::string method;
  std::string url;    // relative to the base
  std::string type;   // from the URL
  std::string id;     // from the URL (Type/id)
  std::string query;  // from the URL (Type?query)
  std::string full_url;
  std::optional<Value> resource;
  std::string if_none_exist;
  std::string if_match;
  std::string if_none_match;
  std::string if_modified_since;
  // Parsed criteria (ifNoneExist, or the conditional URL).
  std::optional<fhir::search::Query> criteria;
  // Outcome.
  std::optional<ResourceVersion> written;
  std::string status;  // "201 Created" etc.
};

std::string Expr(size_t i) { return "Bundle.entry[" + std::to_string(i) + "]"; }

Status EntryError(Code code, size_t i, const std::string& what) {
  return Status(code, Expr(i) + ": " + what);
}

// Like ASSIGN_OR_RETURN, but names the failing entry in the error. `lhs` may be a declaration,
// so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ASSIGN_OR_RETURN_STATUS(lhs, expr, index)                           \
  auto EMG_CONCAT(emg_r_, __LINE__) = (expr);                               \
  if (!EMG_CONCAT(emg_r_, __LINE__)) {                                      \
    return EntryError(EMG_CONCAT(emg_r_, __LINE__).error().code(), (index), \
                      EMG_CONCAT(emg_r_, __LINE__).error().message());      \
  }                                                                         \
  lhs = std::move(*EMG_CONCAT(emg_r_, __LINE__))
// NOLINTEND(bugprone-macro-parentheses)

// Strips our base URL from an absolute request URL and splits path and query.
void SplitUrl(const Call& call, std::string url, Entry& e) {
  if (url.starts_with(call.base + "/")) url = url.substr(call.base.size() + 1);
  while (url.starts_with("/")) url.erase(0, 1);
  e.url = url;
  size_t qm = url.find('?');
  std::string path = url.substr(0, qm);
  if (qm != std::string::npos) e.query = url.substr(qm + 1);
  size_t slash = path.find('/');
  e.type = path.substr(0, slash);
  if (slash != std::string::npos) e.id = path.substr(slash + 1);
}

// Reads entry i of the bundle. Resource validation already ran on the whole Bundle.
StatusOr<Entry> ReadEntry(const Call& call, const Value& item, size_t i) {
  Entry e;
  e.index = i;
  e.full_url = std::string(item.GetString("fullUrl"));
  const Value* request = item.Find("request");
  if (request == nullptr)
    return common::Error(EntryError(Code::kInvalidArgument, i, "request is missing"));
  e.method = std::string(request->GetString("method"));
  SplitUrl(call, std::string(request->GetString("url")), e);
  if (!e.query.empty() && !common::ParseFormUrlEncoded(e.query)) {
    return common::Error(
        EntryError(Code::kInvalidArgument, i, "request.url has malformed percent-encoding"));
  }
  e.if_none_exist = std::string(request->GetString("ifNoneExist"));
  e.if_match = std::string(request->GetString("ifMatch"));
  e.if_none_match = std::string(request->GetString("ifNoneMatch"));
  e.if_modified_since = std::string(request->GetString("ifModifiedSince"));
  if (const Value* r = item.Find("resource")) e.resource = *r;
  return e;
}

HttpRequest SubRequest(const Call& call, const Entry& e) {
  HttpRequest sub;
  sub.method = e.method;
  sub.target = "/" + e.url;
  size_t qm = e.url.find('?');
  sub.path = "/" + e.url.substr(0, qm);
  if (qm != std::string::npos) {  // well-formed: ReadEntry checked it
    sub.query = common::ParseFormUrlEncoded(e.url.substr(qm + 1)).value_or(common::FormPairs{});
  }
  sub.context = call.request.context;
  if (std::string_view host = call.request.Header("host"); !host.empty()) {
    sub.headers.emplace_back("host", std::string(host));
  }
  if (std::string_view prefer = call.request.Header("prefer"); !prefer.empty()) {
    sub.headers.emplace_back("prefer", std::string(prefer));
  }
  if (!e.if_none_exist.empty()) sub.headers.emplace_back("if-none-exist", e.if_none_exist);
  if (!e.if_match.empty()) sub.headers.emplace_back("if-match", e.if_match);
  if (!e.if_none_match.empty()) sub.headers.emplace_back("if-none-match", e.if_none_match);
  if (!e.if_modified_since.empty())
    sub.headers.emplace_back("if-modified-since", e.if_modified_since);
  if (e.resource) {
    sub.headers.emplace_back("content-type", "application/fhir+json");
    sub.body = fhir::json::Write(*e.resource);
  }
  return sub;
}

std::string StatusText(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 201:
      return "201 Created";
    case 204:
      return "204 No Content";
    case 304:
      return "304 Not Modified";
    case 400:
      return "400 Bad Request";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 409:
      return "409 Conflict";
    case 410:
      return "410 Gone";
    case 412:
      return "412 Precondition Failed";
    case 415:
      return "415 Unsupported Media Type";
    case 422:
      return "422 Unprocessable Entity";
    default:
      return std::to_string(status);
  }
}

// Turns a sub-response into a Bundle entry (batch, and GETs in a transaction). A HEAD entry
// gets no resource.
void AddResponseEntry(BundleWriter& bundle, const Entry& e, const HttpResponse& resp) {
  Value entry = Value::Object();
  // A create or update names the written resource in Location ([base]/Type/id/_history/n):
  // its fullUrl, as in a transaction-response.
  if (std::string_view loc = resp.Header("Location"); !loc.empty() && resp.status < 300) {
    entry.Set("fullUrl", Value::String(std::string(loc.substr(0, loc.rfind("/_history/")))));
  }
  Value& response = entry.Set("response", Value::Object());
  response.Set("status", Value::String(StatusText(resp.status)));
  if (auto loc = resp.Header("Location"); !loc.empty())
    response.Set("location", Value::String(std::string(loc)));
  if (auto etag = resp.Header("ETag"); !etag.empty())
    response.Set("etag", Value::String(std::string(etag)));
  std::string body = e.method == "HEAD" ? std::string() : resp.body;
  if (resp.status >= 400 && !body.empty()) {
    auto oo = fhir::json::Parse(body);
    if (oo) response.Set("outcome", std::move(*oo));
    body.clear();
  }
  bundle.AddEntry(entry, body);
}

// Replaces every Reference.reference found in `map` (fullUrl or conditional URL -> Type/id).
// Returns the first unresolved urn: reference, if any.
std::optional<std::string> RewriteReferences(Value& v,
                                             const std::map<std::string, std::string>& map) {
  std::optional<std::string> unresolved;
  if (v.is_object()) {
    for (auto& [key, child] : v.members()) {
      if (key == "reference" && child.is_string()) {
        auto it = map.find(child.text());
        if (it != map.end()) {
          child.text() = it->second;
        } else if (child.text().starts_with("urn:uuid:") || child.text().starts_with("urn:oid:")) {
          unresolved = child.text();
        }
      } else if (child.is_string() && child.text().starts_with("urn:uuid:")) {
        // R4 http.html#trules: links in elements of type uri/url (e.g. Attachment.url) that
        // match an entry's fullUrl are replaced too. Only exact urn:uuid matches: they cannot
        // be anything but a placeholder.
        auto it = map.find(child.text());
        if (it != map.end()) child.text() = it->second;
      } else if (auto u = RewriteReferences(child, map); u && !unresolved) {
        unresolved = u;
      }
    }
  } else if (v.is_array()) {
    for (Value& item : v.items()) {
      if (auto u = RewriteReferences(item, map); u && !unresolved) unresolved = u;
    }
  }
  return unresolved;
}

// Collects conditional references ("Patient?identifier=...") in a resource.
void CollectConditionalReferences(const Value& v, std::set<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.members()) {
      if (key == "reference" && child.is_string()) {
        const std::string& r = child.text();
        size_t qm = r.find('?');
        // "Type?criteria": no '/' before the '?' (the criteria may hold URLs, e.g. a system).
        if (qm != std::string::npos && qm > 0 && r.find('/') > qm) out.insert(r);
      } else {
        CollectConditionalReferences(child, out);
      }
    }
  } else if (v.is_array()) {
    for (const Value& item : v.items()) CollectConditionalReferences(item, out);
  }
}

HttpResponse EntryFailure(Call& call, const Status& s) {
  // The message names the entry ("Bundle.entry[3]: ..."); use it as the expression too.
  std::string expr;
  if (s.message().starts_with("Bundle.entry[")) expr = s.message().substr(0, s.message().find(':'));
  return ErrorResponse(s, call.rendering, expr);
}

class Transaction {
 public:
  Transaction(Call& call, std::vector<Entry> entries) : call_(call), entries_(std::move(entries)) {}

  // Checks everything that does not need the database.
  Status Prepare() {
    std::set<std::string> full_urls;
    for (Entry& e : entries_) {
      size_t i = e.index;
      if (!e.full_url.empty() && !full_urls.insert(e.full_url).second) {
        return EntryError(Code::kInvalidArgument, i, "fullUrl is not unique in the Bundle");
      }
      if (e.method == "GET" || e.method == "HEAD") continue;
      if (e.method != "POST" && e.method != "PUT" && e.method != "DELETE") {
        return EntryError(
            Code::kUnimplemented, i,
            "method " + e.method.substr(0, 16) + " is not supported in a transaction");
      }
      if (!call_.options.Serves(e.type)) {
        return EntryError(Code::kInvalidArgument, i,
                          "request.url does not name a supported resource type");
      }
      if (e.method != "DELETE") {
        if (!e.resource) return EntryError(Code::kInvalidArgument, i, "resource is missing");
        if (e.resource->GetString("resourceType") != e.type) {
          return EntryError(Code::kInvalidArgument, i, "resource type does not match request.url");
        }
      }
      if (e.method == "POST") {
        if (!e.id.empty() || !e.query.empty()) {
          return EntryError(Code::kInvalidArgument, i, "a POST url must be just the resource type");
        }
        if (!e.if_none_exist.empty()) {
          std::string q = e.if_none_exist;
          if (size_t qm = q.find('?'); qm != std::string::npos) q = q.substr(qm + 1);
          ASSIGN_OR_RETURN_STATUS(e.criteria, ParseCriteria(e.type, q, call_.options), i);
        }
      } else {
        if (e.id.empty() == e.query.empty()) {
          return EntryError(Code::kInvalidArgument, i,
                            "request.url must be Type/id or Type?criteria");
        }
        if (!e.id.empty() && !IsValidId(e.id)) {
          return EntryError(Code::kInvalidArgument, i, "request.url has an invalid id");
        }
        if (!e.query.empty()) {
          ASSIGN_OR_RETURN_STATUS(e.criteria, ParseCriteria(e.type, e.query, call_.options), i);
        }
        if (e.method == "PUT" && !e.id.empty() && e.resource->GetString("id") != e.id) {
          return EntryError(Code::kInvalidArgument, i, "resource id does not match request.url");
        }
      }
      if (!e.if_match.empty()) {
        auto v = ParseETag(e.if_match);
        if (!v) return EntryError(Code::kInvalidArgument, i, "ifMatch must be a version ETag");
        expected_[i] = *v;
      }
      if (e.resource) CollectConditionalReferences(*e.resource, conditional_refs_);
    }
    for (const std::string& ref : conditional_refs_) {
      size_t qm = ref.find('?');
      std::string type = ref.substr(0, qm);
      if (!call_.options.Serves(type)) {
        return Status(Code::kInvalidArgument, "a conditional reference names an unsupported type");
      }
      auto q = ParseCriteria(type, ref.substr(qm + 1), call_.options);
      if (!q) return q.error();
      ref_queries_.emplace(ref, std::move(*q));
    }
    return Status::Ok();
  }

  // Runs on the writer inside the unit's savepoint.
  Status Run(WriteContext& ctx) {
    std::map<std::string, std::string> refs;  // fullUrl / conditional ref -> Type/id
    std::set<std::string> touched;
    auto touch = [&](const Entry& e, const std::string& id) -> Status {
      if (!touched.insert(e.type + "/" + id).second) {
        return EntryError(Code::kInvalidArgument, e.index,
                          "the same resource is changed by more than one entry");
      }
      return Status::Ok();
    };
    for (Entry& e : entries_) {
      if (e.method != "DELETE") continue;
      std::string id = e.id;
      if (e.criteria) {
        ASSIGN_OR_RETURN_STATUS(auto ids, ctx.Match(*e.criteria), e.index);
        if (ids.size() > 1) {
          return EntryError(
              Code::kFailedPrecondition, e.index,
              "conditional delete matched " + std::to_string(ids.size()) + " resources");
        }
        if (ids.empty()) {
          e.status = "204 No Content";
          continue;
        }
        id = ids[0];
      }
      RETURN_IF_ERROR(touch(e, id));
      auto deleted = ctx.Delete(e.type, id, expected_.count(e.index) ? expected_[e.index] : 0);
      if (!deleted) return EntryError(deleted.error().code(), e.index, deleted.error().message());
      e.status = "204 No Content";
    }
    for (Entry& e : entries_) {
      if (e.method != "POST") continue;
      if (e.criteria) {
        ASSIGN_OR_RETURN_STATUS(auto ids, ctx.Match(*e.criteria), e.index);
        if (ids.size() > 1) {
          return EntryError(Code::kFailedPrecondition, e.index,
                            "ifNoneExist matched " + std::to_string(ids.size()) + " resources");
        }
        if (ids.size() == 1) {
          ASSIGN_OR_RETURN_STATUS(e.written, ctx.Current(e.type, ids[0]), e.index);
          e.status = "200 OK";
          if (!e.full_url.empty()) refs[e.full_url] = e.type + "/" + ids[0];
          continue;
        }
      }
      e.id = common::NewTimeOrderedUuid();
      if (!e.full_url.empty()) refs[e.full_url] = e.type + "/" + e.id;
    }
    for (Entry& e : entries_) {
      if (e.method != "PUT" || !e.criteria) continue;
      ASSIGN_OR_RETURN_STATUS(auto ids, ctx.Match(*e.criteria), e.index);
      if (ids.size() > 1) {
        return EntryError(
            Code::kFailedPrecondition, e.index,
            "conditional update matched " + std::to_string(ids.size()) + " resources");
      }
      std::string body_id(e.resource->GetString("id"));
      e.id = ids.empty() ? (body_id.empty() ? common::NewTimeOrderedUuid() : body_id) : ids[0];
      if (!ids.empty() && !body_id.empty() && body_id != ids[0]) {
        return EntryError(Code::kInvalidArgument, e.index,
                          "resource id differs from the resource the criteria match");
      }
    }
    for (Entry& e : entries_) {
      if (e.method == "PUT" && !e.full_url.empty()) refs[e.full_url] = e.type + "/" + e.id;
    }
    for (const auto& [ref, query] : ref_queries_) {
      ASSIGN_OR_RETURN(auto ids, ctx.Match(query));
      if (ids.size() != 1) {
        return Status(Code::kFailedPrecondition, "a conditional reference (" + query.type +
                                                     "?...) matched " + std::to_string(ids.size()) +
                                                     " resources; it must match exactly one");
      }
      refs[ref] = query.type + "/" + ids[0];
    }
    for (Entry& e : entries_) {
      if ((e.method != "POST" && e.method != "PUT") || e.status == "200 OK") continue;
      if (auto unresolved = RewriteReferences(*e.resource, refs)) {
        return EntryError(Code::kInvalidArgument, e.index,
                          "a urn: reference does not resolve to a fullUrl in the Bundle");
      }
      RETURN_IF_ERROR(touch(e, e.id));
      e.resource->Set("id", Value::String(e.id));
      bool existed = false;
      if (e.method == "PUT") {
        auto current = ctx.Current(e.type, e.id);
        existed = current && !current->deleted;
      }
      auto put = ctx.Put(e.type, e.id, *e.resource, e.method,
                         expected_.count(e.index) ? expected_[e.index] : 0);
      if (!put) return EntryError(put.error().code(), e.index, put.error().message());
      e.written = std::move(*put);
      e.status = existed ? "200 OK" : "201 Created";
    }
    return Status::Ok();
  }

  std::vector<Entry>& entries() { return entries_; }

 private:
  Call& call_;
  std::vector<Entry> entries_;
  std::map<size_t, int64_t> expected_;
  std::set<std::string> conditional_refs_;
  std::map<std::string, fhir::search::Query> ref_queries_;
};

}  // namespace

HttpResponse HandleBundle(Call& call, FhirApi& api) {
  if (auto bad = CheckFhirContentType(call.request)) return *bad;
  fhir::IssueList issues;
  Status fatal;
  auto bundle = ParseAndValidate(call.request.body, call.options, issues, &fatal);
  if (!bundle) return ErrorResponse(fatal, call.rendering);
  if (bundle->GetString("resourceType") != "Bundle") {
    return ErrorResponse(
        Status(Code::kInvalidArgument, "POST to the base URL takes a batch or transaction Bundle"),
        call.rendering, "resourceType");
  }
  std::string_view type = bundle->GetString("type");
  if (type != "batch" && type != "transaction") {
    return ErrorResponse(Status(Code::kInvalidArgument, "Bundle.type must be batch or transaction"),
                         call.rendering, "Bundle.type");
  }
  const Value* items = bundle->Find("entry");
  size_t n = items == nullptr ? 0 : items->items().size();
  if (n > call.options.max_bundle_entries) {
    return ErrorResponse(Status(Code::kResourceExhausted,
                                "the Bundle has " + std::to_string(n) + " entries; the limit is " +
                                    std::to_string(call.options.max_bundle_entries)),
                         call.rendering, "Bundle.entry");
  }
  bool batch = type == "batch";
  if (fhir::HasErrors(issues)) {
    if (!batch) return OutcomeResponse(400, issues, call.rendering);
    // A batch fails as a whole only for problems outside the entries' resources; each entry's
    // own problems come back in that entry's response.
    for (const fhir::Issue& issue : issues) {
      bool in_entry_resource = issue.expression.starts_with("Bundle.entry[") &&
                               issue.expression.find("].resource") != std::string::npos;
      if (issue.severity <= fhir::Severity::kError && !in_entry_resource) {
        return OutcomeResponse(400, issues, call.rendering);
      }
    }
  }

  std::vector<Entry> entries;
  for (size_t i = 0; i < n; ++i) {
    auto e = ReadEntry(call, items->items()[i], i);
    if (!e) return EntryFailure(call, e.error());
    entries.push_back(std::move(*e));
  }

  if (batch) {
    BundleWriter out("batch-response");
    for (const Entry& e : entries)
      AddResponseEntry(out, e, api.Handle(SubRequest(call, e), call.store));
    return RawJsonResponse(200, out.Finish(call.rendering.pretty));
  }

  Transaction tx(call, std::move(entries));
  if (Status s = tx.Prepare(); !s.ok()) return EntryFailure(call, s);
  Status s = call.store.Commit([&tx](WriteContext& ctx) { return tx.Run(ctx); });
  if (!s.ok()) return EntryFailure(call, s);

  BundleWriter out("transaction-response");
  for (Entry& e : tx.entries()) {
    if (e.method == "GET" || e.method == "HEAD") {
      AddResponseEntry(out, e, api.Handle(SubRequest(call, e), call.store));
      continue;
    }
    Value entry = Value::Object();
    if (e.written)
      entry.Set("fullUrl", Value::String(FullUrl(call, e.written->type, e.written->id)));
    Value& response = entry.Set("response", Value::Object());
    response.Set("status", Value::String(e.status));
    std::string body;
    if (e.written) {
      const ResourceVersion& v = *e.written;
      response.Set("location",
                   Value::String(v.type + "/" + v.id + "/_history/" + std::to_string(v.version)));
      response.Set("etag", Value::String(ETag(v.version)));
      response.Set("lastModified", Value::String(common::FormatInstant(v.last_updated)));
      if (call.prefer_return == PreferReturn::kRepresentation && !v.deleted) body = v.body;
    }
    out.AddEntry(entry, body);
  }
  return RawJsonResponse(200, out.Finish(call.rendering.pretty));
}

}  // namespace gateway::rest
