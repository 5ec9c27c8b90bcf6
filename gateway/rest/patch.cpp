#include "gateway/rest/patch.h"

#include "fhir/json/parser.h"
#include "fhir/json/patch.h"
#include "fhir/validation/validator.h"
#include "gateway/rest/resource_ops.h"

namespace gateway::rest {

using common::Code;
using common::Status;
using common::StatusOr;
using fhir::json::Value;
using fhir::store::ResourceVersion;
using fhir::store::WriteContext;

namespace {

bool IsFhirJsonMedia(std::string_view media) {
  return media == "application/fhir+json" || media == "application/json" ||
         media == "application/json+fhir";
}

// "/name/0/given" as the FHIRPath "Patient.name[0].given", when every token may be repeated
// (fhir::json::IsSafeToken) and names an element or an index; otherwise empty.
std::string FhirPathOf(const std::string& type, const std::string& pointer) {
  std::optional<std::vector<std::string>> tokens = fhir::json::ParsePointer(pointer);
  if (!tokens) return {};
  std::string path = type;
  for (const std::string& t : *tokens) {
    if (!fhir::json::IsSafeToken(t) || t == "-") return {};
    if (t[0] >= '0' && t[0] <= '9') {
      path += "[" + t + "]";
    } else {
      path += "." + t;
    }
  }
  return path;
}

PatchRejection Reject(Code code, std::string diagnostics, std::string expression = {}) {
  PatchRejection r;
  r.code = code;
  fhir::Issue issue;
  issue.severity = fhir::Severity::kError;
  issue.code = IssueCodeFor(code);
  issue.diagnostics = std::move(diagnostics);
  issue.expression = std::move(expression);
  r.issues.push_back(std::move(issue));
  return r;
}

PatchRejection FromFailure(const fhir::json::PatchFailure& f, const std::string& type) {
  std::string where = "the patch";
  if (f.operation) {
    where = "patch operation [" + std::to_string(*f.operation) + "]";
    if (!f.op.empty()) where += " (" + f.op + ")";
  }
  if (!f.pointer.empty() || (f.operation && !f.op.empty())) {
    where += " at '" + fhir::json::SafePointer(f.pointer) + "'";
  }
  // A test that fails and a target that is not there are both "this patch does not apply to
  // the current version": 422 (http.html#patch for a failed test).
  std::string expression = f.code == Code::kUnprocessable ? FhirPathOf(type, f.pointer) : "";
  PatchRejection r = Reject(f.code, where + ": " + f.reason, std::move(expression));
  if (f.test_failed) r.issues.back().code = "conflict";
  return r;
}

// Whether any operation reads or writes the narrative (or the whole document).
bool PatchTouchesNarrative(const Value& patch) {
  auto touches = [](std::string_view pointer) {
    return pointer.empty() || pointer == "/text" || pointer.starts_with("/text/");
  };
  for (const Value& op : patch.items()) {
    if (touches(op.GetString("path"))) return true;
    if (const Value* from = op.Find("from"); from != nullptr && from->is_string()) {
      if (touches(from->text())) return true;
    }
  }
  return false;
}

// Whether two resources differ in anything but their narrative and meta.
bool DataChanged(const Value& before, const Value& after) {
  auto count = [](const Value& v) {
    size_t n = 0;
    for (const auto& [key, child] : v.members()) n += key != "text" && key != "meta" ? 1 : 0;
    return n;
  };
  if (count(before) != count(after)) return true;
  for (const auto& [key, child] : before.members()) {
    if (key == "text" || key == "meta") continue;
    const Value* other = after.Find(key);
    if (other == nullptr || !fhir::json::JsonEqual(child, *other)) return true;
  }
  return false;
}

// R4 http.html#patch: the narrative must not be clinically unsafe after a patch. When the
// patch changes data but leaves the narrative alone, a generated narrative (made from the old
// data, and made again by whoever generates it) is removed; a narrative someone wrote
// (additional, extensions, empty) is not ours to drop or keep stale: the patch is refused.
// Called only for a patch that leaves /text alone.
std::optional<PatchRejection> KeepNarrativeSafe(const Value& before, Value& after,
                                                const std::string& type) {
  const Value* text = after.Find("text");
  if (text == nullptr || !DataChanged(before, after)) return std::nullopt;
  if (text->GetString("status") == "generated") {
    after.Remove("text");
    return std::nullopt;
  }
  return Reject(Code::kUnprocessable,
                "the patch changes data but not the narrative, whose status is not "
                "'generated': patch /text in the same document, or update the whole resource",
                type + ".text");
}

}  // namespace

StatusOr<Value> ReadPatchDocument(std::string_view media_type, std::string_view body,
                                  const FhirApiOptions& options) {
  std::string media = MediaType(media_type);
  if (media != kJsonPatchMediaType) {
    if (IsFhirJsonMedia(media)) {
      return common::Error(
          Code::kUnimplemented,
          "FHIRPath Patch (a Parameters resource) is not supported here; send a JSON Patch "
          "document (RFC 6902) as application/json-patch+json");
    }
    return common::Error(Code::kUnimplemented,
                         media.empty() ? "missing Content-Type: PATCH takes a JSON Patch document "
                                         "as application/json-patch+json"
                                       : "unsupported Content-Type: PATCH takes a JSON Patch "
                                         "document as application/json-patch+json");
  }
  if (body.empty()) return common::Error(Code::kInvalidArgument, "the patch document is empty");
  fhir::json::ParseLimits limits = BodyParseLimits(options);
  limits.max_bytes = options.max_patch_bytes;
  auto parsed = fhir::json::Parse(body, limits);
  if (!parsed) {
    if (body.size() > options.max_patch_bytes) {
      return common::Error(
          Code::kResourceExhausted,
          "the patch document has more than " + std::to_string(options.max_patch_bytes) + " bytes");
    }
    return common::Error(parsed.error().code(), "the patch document: " + parsed.error().message());
  }
  if (!parsed->is_array()) {
    return common::Error(Code::kInvalidArgument,
                         "a JSON Patch document is a JSON array of operations");
  }
  if (parsed->items().size() > options.max_patch_operations) {
    return common::Error(Code::kResourceExhausted,
                         "the patch has " + std::to_string(parsed->items().size()) +
                             " operations; the limit is " +
                             std::to_string(options.max_patch_operations));
  }
  return std::move(*parsed);
}

std::variant<Value, PatchRejection> PatchResource(const ResourceVersion& current,
                                                  const Value& patch, const FhirApiOptions& options,
                                                  bool in_transaction) {
  const std::string& type = current.type;
  auto stored = fhir::json::Parse(current.body);
  if (!stored || !stored->is_object()) {
    return Reject(Code::kInternal, "the stored " + type + " could not be read");
  }
  // The stored version is patched in place; a copy of it is kept only when the narrative rule
  // has to compare before and after (a narrative the patch leaves alone).
  std::optional<Value> before;
  if (stored->Find("text") != nullptr && !PatchTouchesNarrative(patch)) before = *stored;
  Value patched = std::move(*stored);
  fhir::json::PatchLimits limits;
  limits.max_operations = options.max_patch_operations;
  limits.max_document_bytes = options.max_body_bytes;
  limits.max_depth = options.max_json_depth;
  limits.max_work_bytes = 4 * options.max_body_bytes;
  if (auto failed = fhir::json::ApplyJsonPatch(patch, patched, limits)) {
    return FromFailure(*failed, type);
  }
  // Treated as an update of type/id from here on (http.html#patch).
  if (!patched.is_object() || patched.GetString("resourceType") != type) {
    return Reject(Code::kUnprocessable, "a patch cannot change the resourceType of a resource",
                  "resourceType");
  }
  if (patched.GetString("id") != current.id) {
    return Reject(Code::kUnprocessable, "a patch cannot change or remove the id of a resource",
                  type + ".id");
  }
  if (before) {
    if (auto unsafe = KeepNarrativeSafe(*before, patched, type)) return std::move(*unsafe);
  }
  fhir::IssueList issues;
  fhir::validation::ValidateResource(patched, issues);
  if (!in_transaction) FindBundleLocalReferences(patched, type, issues);
  if (fhir::HasErrors(issues)) {
    PatchRejection r;
    r.code = Code::kUnprocessable;
    r.issues.push_back({fhir::Severity::kError, "processing",
                        "the patched " + type + " is not a valid resource; nothing was written",
                        ""});
    for (fhir::Issue& issue : issues) r.issues.push_back(std::move(issue));
    return r;
  }
  return patched;
}

namespace {

// Patches type/id (or the one resource the criteria match) inside one unit of work.
HttpResponse WritePatch(Call& call, const std::string& type, std::string id,
                        std::optional<fhir::search::Query> criteria) {
  int64_t expected = 0;
  if (auto bad = ReadIfMatch(call, &expected)) return *bad;
  auto patch =
      ReadPatchDocument(call.request.Header("content-type"), call.request.body, call.options);
  if (!patch) {
    HttpResponse r = ErrorResponse(patch.error(), call.rendering);
    if (patch.error().code() == Code::kUnimplemented) r.status = 415;
    return r;
  }
  ResourceVersion result;
  std::optional<PatchRejection> rejected;
  Status s = call.store.Commit([&](WriteContext& ctx) -> Status {
    std::string target = id;
    if (criteria) {
      ASSIGN_OR_RETURN(auto ids, ctx.Match(*criteria));
      if (ids.empty()) {
        return Status(Code::kNotFound, "the conditional patch matched no " + type);
      }
      if (ids.size() > 1) {
        return Status(Code::kFailedPrecondition, "the conditional patch matched " +
                                                     std::to_string(ids.size()) +
                                                     " resources; it must match exactly one");
      }
      target = ids[0];
    }
    auto current = ctx.Current(type, target);
    if (!current) {
      return current.error().code() == Code::kNotFound
                 ? Status(Code::kNotFound, "no " + type + " with that id")
                 : current.error();
    }
    if (current->deleted) {
      return Status(Code::kGone, type + " was deleted (version " +
                                     std::to_string(current->version) + "); it cannot be patched");
    }
    if (expected != 0 && expected != current->version) {
      return Status(Code::kFailedPrecondition,
                    "If-Match names version " + std::to_string(expected) +
                        " but the current version is " + std::to_string(current->version));
    }
    auto patched = PatchResource(*current, *patch, call.options, /*in_transaction=*/false);
    if (auto* r = std::get_if<PatchRejection>(&patched)) {
      rejected = std::move(*r);
      return Status(rejected->code, "patch rejected");
    }
    ASSIGN_OR_RETURN(result,
                     ctx.Put(type, target, std::get<Value>(patched), "PATCH", current->version));
    return Status::Ok();
  });
  if (rejected) {
    return OutcomeResponse(HttpStatusFor(rejected->code), rejected->issues, call.rendering);
  }
  if (!s.ok()) return ErrorResponse(s, call.rendering);
  return VersionResponse(call, 200, result, /*location=*/false);
}

}  // namespace

HttpResponse Patch(Call& call, const std::string& type, const std::string& id) {
  if (!IsValidId(id)) {
    return ErrorResponse(Status(Code::kNotFound, "no " + type + " with that id (malformed id)"),
                         call.rendering);
  }
  return WritePatch(call, type, id, std::nullopt);
}

HttpResponse ConditionalPatch(Call& call, const std::string& type) {
  std::string qs = QueryStringOf(call);
  if (qs.empty()) {
    return ErrorResponse(
        Status(Code::kInvalidArgument, "PATCH on a type needs search criteria (conditional patch)"),
        call.rendering);
  }
  auto criteria = ParseCriteria(type, qs, call.options);
  if (!criteria) return ErrorResponse(criteria.error(), call.rendering);
  return WritePatch(call, type, "", std::move(*criteria));
}

}  // namespace gateway::rest
