#include "gateway/rest/resource_ops.h"

#include <cctype>
#include <charconv>
#include <set>

#include "common/url.h"
#include "common/uuid.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/search/parse.h"
#include "fhir/validation/validator.h"

namespace gateway::rest {

using common::Code;
using common::Status;
using common::StatusOr;
using fhir::store::ResourceVersion;
using fhir::store::WriteContext;

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return true;
}

bool IsPlausibleTypeName(std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::isupper(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<fhir::json::Value> ParseAndValidate(std::string_view body,
                                                  const FhirApiOptions& options,
                                                  fhir::IssueList& issues, Status* fatal) {
  fhir::json::ParseLimits limits;
  limits.max_bytes = options.max_body_bytes;
  limits.max_depth = options.max_json_depth;
  limits.max_values = options.max_json_values;
  limits.max_array_items = options.max_array_items;
  auto parsed = fhir::json::Parse(body, limits);
  if (!parsed) {
    *fatal = parsed.error();
    return std::nullopt;
  }
  if (!parsed->is_object()) {
    *fatal = Status(Code::kInvalidArgument, "the body must be a JSON object (a FHIR resource)");
    return std::nullopt;
  }
  fhir::validation::ValidateResource(*parsed, issues);
  return std::move(*parsed);
}

namespace {

// A reference to a Bundle entry ("urn:uuid:..." / "urn:oid:...") means something only inside
// a Bundle that carries the entry; stored anywhere else it would dangle. Adds an issue per such
// reference, with its path. `contained` resources are walked too. Inside a stored Bundle (a
// document, a collection) a reference to one of its own entries' fullUrl resolves there (R4
// bundle.html#references) and is fine.
void FindBundleLocalReferences(const fhir::json::Value& v, const std::string& path,
                               std::set<std::string>& bundle_urls, fhir::IssueList& issues) {
  if (v.is_object()) {
    if (v.GetString("resourceType") == "Bundle") {
      if (const fhir::json::Value* entries = v.Find("entry"); entries && entries->is_array()) {
        for (const fhir::json::Value& e : entries->items()) {
          if (e.is_object() && !e.GetString("fullUrl").empty()) {
            bundle_urls.emplace(e.GetString("fullUrl"));
          }
        }
      }
    }
    for (const auto& [key, child] : v.members()) {
      std::string here = path + "." + key;
      if (key == "reference" && child.is_string() &&
          (child.text().starts_with("urn:uuid:") || child.text().starts_with("urn:oid:"))) {
        if (bundle_urls.count(child.text()) == 0) {
          issues.push_back({fhir::Severity::kError, "invalid",
                            "a urn:uuid or urn:oid reference can only be resolved inside a "
                            "Bundle that contains its target",
                            here});
        }
      } else {
        FindBundleLocalReferences(child, here, bundle_urls, issues);
      }
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.items().size(); ++i) {
      FindBundleLocalReferences(v.items()[i], path + "[" + std::to_string(i) + "]", bundle_urls,
                                issues);
    }
  }
}

}  // namespace

std::variant<fhir::json::Value, HttpResponse> ParseResourceBody(Call& call,
                                                                const std::string& type) {
  if (auto bad = CheckFhirContentType(call.request)) return *bad;
  if (call.request.body.empty()) {
    return ErrorResponse(Status(Code::kInvalidArgument, "the request body is empty"),
                         call.rendering);
  }
  fhir::IssueList issues;
  Status fatal;
  auto value = ParseAndValidate(call.request.body, call.options, issues, &fatal);
  if (!value) return ErrorResponse(fatal, call.rendering);
  std::string_view rt = value->GetString("resourceType");
  if (!rt.empty() && rt != type) {
    // The body's value is repeated only when it looks like a type name (it may be data).
    std::string named = IsPlausibleTypeName(rt) ? " '" + std::string(rt) + "'" : std::string();
    fhir::IssueList mismatch{
        {fhir::Severity::kError, "invalid",
         "resourceType" + named + " does not match the URL's type '" + type + "'", "resourceType"}};
    return OutcomeResponse(400, mismatch, call.rendering);
  }
  std::set<std::string> bundle_urls;
  FindBundleLocalReferences(*value, type, bundle_urls, issues);
  if (fhir::HasErrors(issues)) return OutcomeResponse(400, issues, call.rendering);
  return std::move(*value);
}

HttpResponse VersionResponse(Call& call, int status, const ResourceVersion& v, bool location) {
  HttpResponse resp;
  std::string self = FullUrl(call, v.type, v.id) + "/_history/" + std::to_string(v.version);
  if (call.prefer_return == PreferReturn::kMinimal) {
    resp.status = status;
  } else if (call.prefer_return == PreferReturn::kOperationOutcome) {
    fhir::IssueList info{
        {fhir::Severity::kInformation, "informational",
         "the interaction succeeded: " + v.type + " version " + std::to_string(v.version), ""}};
    resp = OutcomeResponse(status, info, call.rendering);
  } else if (call.rendering.pretty) {
    auto parsed = fhir::json::Parse(v.body);
    resp = parsed ? JsonResponse(status, *parsed, call.rendering) : RawJsonResponse(status, v.body);
  } else {
    resp = RawJsonResponse(status, v.body);
  }
  resp.SetHeader("ETag", ETag(v.version));
  resp.SetHeader("Last-Modified", common::FormatHttpDate(v.last_updated));
  if (location) resp.SetHeader("Location", self);
  return resp;
}

namespace {

HttpResponse WithSubsetting(Call& call, const ResourceVersion& v) {
  fhir::search::SummaryMode summary = fhir::search::SummaryMode::kNone;
  std::vector<std::string> elements;
  Status s = ParseSubsettingParams(call.params, &summary, &elements);
  if (!s.ok()) return ErrorResponse(s, call.rendering);
  if (summary == fhir::search::SummaryMode::kNone && elements.empty()) {
    return VersionResponse(call, 200, v, false);
  }
  auto parsed = fhir::json::Parse(v.body);
  if (!parsed) return ErrorResponse(Status(Code::kInternal, "stored resource unreadable"));
  ApplySubsetting(*parsed, summary, elements);
  HttpResponse resp = JsonResponse(200, *parsed, call.rendering);
  resp.SetHeader("ETag", ETag(v.version));
  resp.SetHeader("Last-Modified", common::FormatHttpDate(v.last_updated));
  return resp;
}

HttpResponse GoneResponse(Call& call, const ResourceVersion& v) {
  HttpResponse r = ErrorResponse(
      Status(Code::kGone, v.type + " was deleted (version " + std::to_string(v.version) + ")"),
      call.rendering);
  r.SetHeader("ETag", ETag(v.version));
  r.SetHeader("Last-Modified", common::FormatHttpDate(v.last_updated));
  return r;
}

// 304 handling for If-None-Match / If-Modified-Since on reads.
bool NotModified(const Call& call, const ResourceVersion& v) {
  std::string_view inm = call.request.Header("if-none-match");
  if (!inm.empty()) {
    if (inm == "*") return true;
    auto tag = ParseETag(inm);
    return tag && *tag == v.version;
  }
  std::string_view ims = call.request.Header("if-modified-since");
  if (!ims.empty()) {
    common::SystemTime since;
    if (common::ParseHttpDate(std::string(ims), &since)) {
      // HTTP dates have second precision.
      return common::ToMicros(v.last_updated) / 1000000 <= common::ToMicros(since) / 1000000;
    }
  }
  return false;
}

HttpResponse NotModifiedResponse(const ResourceVersion& v) {
  HttpResponse r;
  r.status = 304;
  r.SetHeader("ETag", ETag(v.version));
  r.SetHeader("Last-Modified", common::FormatHttpDate(v.last_updated));
  return r;
}

// If-Match: W/"n" -> n. Returns an error response for a malformed header.
std::optional<HttpResponse> ReadIfMatch(Call& call, int64_t* expected) {
  *expected = 0;
  std::string_view im = call.request.Header("if-match");
  if (im.empty()) return std::nullopt;
  auto tag = ParseETag(im);
  if (!tag) {
    return ErrorResponse(
        Status(Code::kInvalidArgument, "If-Match must be a version ETag such as W/\"3\""),
        call.rendering);
  }
  *expected = *tag;
  return std::nullopt;
}

std::string QueryStringOf(const Call& call) {
  std::string qs;
  for (const auto& [k, v] : call.params) {
    if (k == "_format" || k == "_pretty") continue;
    if (!qs.empty()) qs += '&';
    qs += common::PercentEncode(k, common::kSearchLinkKeep) + "=" +
          common::PercentEncode(v, common::kSearchLinkKeep);
  }
  return qs;
}

}  // namespace

StatusOr<fhir::search::Query> ParseCriteria(const std::string& type, std::string_view qs,
                                            const FhirApiOptions& options) {
  std::optional<common::FormPairs> decoded = common::ParseFormUrlEncoded(qs);
  if (!decoded) {
    return common::Error(Code::kInvalidArgument,
                         "conditional criteria have malformed percent-encoding");
  }
  std::vector<std::pair<std::string, std::string>> params = std::move(*decoded);
  if (params.empty()) {
    return common::Error(Code::kInvalidArgument, "conditional criteria are empty");
  }
  fhir::search::ParseOptions po;
  po.strict = true;  // conditional operations must never silently ignore a criterion
  po.default_count = options.default_page_size;
  po.max_count = options.max_page_size;
  fhir::IssueList warnings;
  return fhir::search::ParseQuery(type, params, po, warnings);
}

HttpResponse Create(Call& call, const std::string& type) {
  auto parsed = ParseResourceBody(call, type);
  if (auto* err = std::get_if<HttpResponse>(&parsed)) return std::move(*err);
  fhir::json::Value resource = std::move(std::get<fhir::json::Value>(parsed));

  std::optional<fhir::search::Query> criteria;
  std::string_view ine = call.request.Header("if-none-exist");
  if (!ine.empty()) {
    std::string_view q = ine;
    if (size_t qm = q.find('?'); qm != std::string_view::npos) q = q.substr(qm + 1);
    auto parsed_criteria = ParseCriteria(type, q, call.options);
    if (!parsed_criteria) return ErrorResponse(parsed_criteria.error(), call.rendering);
    criteria = std::move(*parsed_criteria);
  }

  ResourceVersion result;
  bool created = false;
  Status s = call.store.Commit([&](WriteContext& ctx) -> Status {
    if (criteria) {
      ASSIGN_OR_RETURN(auto ids, ctx.Match(*criteria));
      if (ids.size() > 1) {
        return Status(Code::kFailedPrecondition, "If-None-Exist matched " +
                                                     std::to_string(ids.size()) +
                                                     " resources; it must match at most one");
      }
      if (ids.size() == 1) {
        ASSIGN_OR_RETURN(result, ctx.Current(type, ids[0]));
        return Status::Ok();
      }
    }
    ASSIGN_OR_RETURN(result, ctx.Put(type, common::NewTimeOrderedUuid(), resource, "POST"));
    created = true;
    return Status::Ok();
  });
  if (!s.ok()) return ErrorResponse(s, call.rendering);
  return VersionResponse(call, created ? 201 : 200, result, /*location=*/true);
}

HttpResponse Read(Call& call, const std::string& type, const std::string& id) {
  if (!IsValidId(id)) {
    return ErrorResponse(Status(Code::kNotFound, "no " + type + " with that id (malformed id)"),
                         call.rendering);
  }
  auto v = call.store.Read(type, id);
  if (!v) {
    return ErrorResponse(v.error().code() == Code::kNotFound
                             ? Status(Code::kNotFound, "no " + type + " with that id")
                             : v.error(),
                         call.rendering);
  }
  if (v->deleted) return GoneResponse(call, *v);
  if (NotModified(call, *v)) return NotModifiedResponse(*v);
  // HEAD keeps the body: the edge sends the GET's headers (Content-Length included) without it.
  return WithSubsetting(call, *v);
}

HttpResponse VRead(Call& call, const std::string& type, const std::string& id,
                   const std::string& vid) {
  int64_t version = 0;
  auto [p, ec] = std::from_chars(vid.data(), vid.data() + vid.size(), version);
  if (!IsValidId(id) || ec != std::errc() || p != vid.data() + vid.size() || version <= 0) {
    return ErrorResponse(Status(Code::kNotFound, "no such version of " + type), call.rendering);
  }
  auto v = call.store.VRead(type, id, version);
  if (!v) {
    return ErrorResponse(v.error().code() == Code::kNotFound
                             ? Status(Code::kNotFound, "no such version of " + type)
                             : v.error(),
                         call.rendering);
  }
  if (v->deleted) return GoneResponse(call, *v);
  if (NotModified(call, *v)) return NotModifiedResponse(*v);
  // HEAD keeps the body: the edge sends the GET's headers (Content-Length included) without it.
  return WithSubsetting(call, *v);
}

namespace {

// Shared by update and conditional update: writes `resource` as type/id.
HttpResponse WriteUpdate(Call& call, const std::string& type, fhir::json::Value resource,
                         std::optional<fhir::search::Query> criteria, std::string id) {
  int64_t expected = 0;
  if (auto bad = ReadIfMatch(call, &expected)) return *bad;
  ResourceVersion result;
  bool created = false;
  Status s = call.store.Commit([&](WriteContext& ctx) -> Status {
    std::string target = id;
    if (criteria) {
      ASSIGN_OR_RETURN(auto ids, ctx.Match(*criteria));
      if (ids.size() > 1) {
        return Status(Code::kFailedPrecondition, "the conditional update matched " +
                                                     std::to_string(ids.size()) +
                                                     " resources; it must match at most one");
      }
      if (ids.size() == 1) {
        if (!target.empty() && target != ids[0]) {
          return Status(Code::kInvalidArgument,
                        "the resource id differs from the id of the resource the criteria match");
        }
        target = ids[0];
      } else if (target.empty()) {
        target = common::NewTimeOrderedUuid();
      } else {
        // An id in the body of a conditional update that matches nothing: create with that id
        // only if it is unused.
        auto existing = ctx.Current(type, target);
        if (existing && !existing->deleted) {
          return Status(Code::kConflict,
                        "the criteria match no resource but the body's id is already in use");
        }
      }
    }
    auto current = ctx.Current(type, target);
    created = !current || current->deleted;
    ASSIGN_OR_RETURN(result, ctx.Put(type, target, resource, "PUT", expected));
    return Status::Ok();
  });
  if (!s.ok()) return ErrorResponse(s, call.rendering);
  return VersionResponse(call, created ? 201 : 200, result, /*location=*/created);
}

}  // namespace

HttpResponse Update(Call& call, const std::string& type, const std::string& id) {
  if (!IsValidId(id)) {
    return ErrorResponse(Status(Code::kInvalidArgument, "the id in the URL is not a valid FHIR id"),
                         call.rendering, "id");
  }
  auto parsed = ParseResourceBody(call, type);
  if (auto* err = std::get_if<HttpResponse>(&parsed)) return std::move(*err);
  fhir::json::Value resource = std::move(std::get<fhir::json::Value>(parsed));
  std::string_view body_id = resource.GetString("id");
  if (body_id.empty()) {
    return ErrorResponse(
        Status(Code::kInvalidArgument, "an update must carry the resource id in the body"),
        call.rendering, type + ".id");
  }
  if (body_id != id) {
    return ErrorResponse(
        Status(Code::kInvalidArgument, "the id in the body does not match the id in the URL"),
        call.rendering, type + ".id");
  }
  return WriteUpdate(call, type, std::move(resource), std::nullopt, id);
}

HttpResponse ConditionalUpdate(Call& call, const std::string& type) {
  std::string qs = QueryStringOf(call);
  if (qs.empty()) {
    return ErrorResponse(
        Status(Code::kInvalidArgument, "PUT on a type needs search criteria (conditional update)"),
        call.rendering);
  }
  auto criteria = ParseCriteria(type, qs, call.options);
  if (!criteria) return ErrorResponse(criteria.error(), call.rendering);
  auto parsed = ParseResourceBody(call, type);
  if (auto* err = std::get_if<HttpResponse>(&parsed)) return std::move(*err);
  fhir::json::Value resource = std::move(std::get<fhir::json::Value>(parsed));
  std::string id(resource.GetString("id"));
  return WriteUpdate(call, type, std::move(resource), std::move(*criteria), id);
}

HttpResponse Delete(Call& call, const std::string& type, const std::string& id) {
  if (!IsValidId(id)) {
    return ErrorResponse(Status(Code::kNotFound, "no " + type + " with that id (malformed id)"),
                         call.rendering);
  }
  int64_t expected = 0;
  if (auto bad = ReadIfMatch(call, &expected)) return *bad;
  bool existed = false;
  std::optional<ResourceVersion> tombstone;
  Status s = call.store.Commit([&](WriteContext& ctx) -> Status {
    auto current = ctx.Current(type, id);
    existed = current.has_value();
    ASSIGN_OR_RETURN(tombstone, ctx.Delete(type, id, expected));
    return Status::Ok();
  });
  if (!s.ok()) return ErrorResponse(s, call.rendering);
  if (!existed) {
    return ErrorResponse(Status(Code::kNotFound, "no " + type + " with that id"), call.rendering);
  }
  HttpResponse resp;
  resp.status = 204;
  if (tombstone) resp.SetHeader("ETag", ETag(tombstone->version));
  return resp;
}

HttpResponse ConditionalDelete(Call& call, const std::string& type) {
  std::string qs = QueryStringOf(call);
  if (qs.empty()) {
    return ErrorResponse(Status(Code::kInvalidArgument,
                                "DELETE on a type needs search criteria (conditional delete)"),
                         call.rendering);
  }
  auto criteria = ParseCriteria(type, qs, call.options);
  if (!criteria) return ErrorResponse(criteria.error(), call.rendering);
  Status s = call.store.Commit([&](WriteContext& ctx) -> Status {
    ASSIGN_OR_RETURN(auto ids, ctx.Match(*criteria));
    if (ids.size() > 1) {
      return Status(Code::kFailedPrecondition, "the conditional delete matched " +
                                                   std::to_string(ids.size()) +
                                                   " resources; it deletes at most one");
    }
    if (ids.size() == 1) {
      ASSIGN_OR_RETURN(auto unused, ctx.Delete(type, ids[0]));
      (void)unused;
    }
    return Status::Ok();
  });
  if (!s.ok()) return ErrorResponse(s, call.rendering);
  HttpResponse resp;
  resp.status = 204;
  return resp;
}

std::optional<HttpResponse> UseFormBody(Call& call) {
  if (call.request.body.empty()) return std::nullopt;
  if (MediaType(call.request.Header("content-type")) != "application/x-www-form-urlencoded") {
    HttpResponse r =
        ErrorResponse(Status(Code::kInvalidArgument,
                             "POST _search takes parameters as application/x-www-form-urlencoded"),
                      call.rendering);
    r.status = 415;
    return r;
  }
  std::optional<common::FormPairs> form = common::ParseFormUrlEncoded(call.request.body);
  if (!form) {
    return ErrorResponse(
        Status(Code::kInvalidArgument, "malformed percent-encoding in the form body"),
        call.rendering);
  }
  for (auto& p : *form) call.params.push_back(std::move(p));
  return std::nullopt;
}

}  // namespace gateway::rest
