#include "authz/scopes.h"

#include <algorithm>

#include "common/url.h"
#include "fhir/model/model.h"
#include "fhir/search/index.h"
#include "fhir/search/parse.h"
#include "fhir/search/registry.h"
#include "fhir/search/values.h"

namespace authz {
namespace {

using fhir::search::IndexEntry;
using fhir::search::ParamType;

constexpr uint8_t kAllPermissions = kCreate | kRead | kUpdate | kDelete | kSearch;

bool IsScopeSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view ContextPrefix(ScopeContext context) {
  switch (context) {
    case ScopeContext::kPatient:
      return "patient/";
    case ScopeContext::kUser:
      return "user/";
    case ScopeContext::kSystem:
      return "system/";
  }
  return "";
}

std::optional<ScopeContext> ContextOf(std::string_view token) {
  for (ScopeContext c : {ScopeContext::kPatient, ScopeContext::kUser, ScopeContext::kSystem}) {
    if (token.starts_with(ContextPrefix(c))) return c;
  }
  return std::nullopt;
}

// "rs" -> kRead | kSearch. The bit of each letter is its position in "cruds", so requiring
// every letter to stand after the previous one rejects unknown, repeated and reordered letters.
std::optional<uint8_t> ParsePermissions(std::string_view perms, bool& v1) {
  if (perms == "read") {
    v1 = true;
    return static_cast<uint8_t>(kRead | kSearch);
  }
  if (perms == "write") {
    v1 = true;
    return static_cast<uint8_t>(kCreate | kUpdate | kDelete);
  }
  if (perms == "*") {
    v1 = true;
    return kAllPermissions;
  }
  if (perms.empty()) return std::nullopt;
  constexpr std::string_view kOrder = "cruds";
  size_t next = 0;
  uint8_t bits = 0;
  for (char c : perms) {
    size_t at = kOrder.find(c, next);
    if (at == std::string_view::npos) return std::nullopt;
    bits = static_cast<uint8_t>(bits | (1u << at));
    next = at + 1;
  }
  return bits;
}

// RFC 3986 percent-decoding that refuses %00 as well as malformed escapes.
constexpr common::PercentDecoding kNoNul{.allow_nul = false};

// "a=b&c=d" -> [(a, b), (c, d)], decoded; nullopt when any pair is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseFilter(
    std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (true) {
    size_t amp = query.find('&', pos);
    std::string_view pair = query.substr(pos, amp == std::string_view::npos ? amp : amp - pos);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == pair.size()) return std::nullopt;
    std::optional<std::string> name = common::PercentDecode(pair.substr(0, eq), kNoNul);
    std::optional<std::string> value = common::PercentDecode(pair.substr(eq + 1), kNoNul);
    if (!name || !value || name->empty() || value->empty()) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

// `token` without its context prefix: "<type>.<perms>[?filter]".
std::optional<ResourceScope> ParseResourceScope(std::string_view token, ScopeContext context,
                                                bool& v1) {
  std::string_view body = token.substr(ContextPrefix(context).size());
  std::string_view query;
  bool has_query = false;
  if (size_t q = body.find('?'); q != std::string_view::npos) {
    query = body.substr(q + 1);
    body = body.substr(0, q);
    has_query = true;
  }
  size_t dot = body.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view type = body.substr(0, dot);
  if (type != "*" && !fhir::model::IsR4ResourceName(type)) return std::nullopt;
  bool scope_v1 = false;
  std::optional<uint8_t> perms = ParsePermissions(body.substr(dot + 1), scope_v1);
  if (!perms) return std::nullopt;
  ResourceScope scope;
  scope.context = context;
  scope.type = std::string(type);
  scope.permissions = *perms;
  scope.text = std::string(token);
  if (has_query) {
    if (scope_v1) return std::nullopt;  // v1 had no filters: do not guess what one means
    auto filter = ParseFilter(query);
    if (!filter) return std::nullopt;
    scope.filter = std::move(*filter);
  }
  v1 = v1 || scope_v1;
  return scope;
}

bool HasEntry(const std::vector<IndexEntry>& entries, const std::string& param, auto&& pred) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const IndexEntry& e) { return e.param == param && pred(e); });
}

// One comma-separated alternative of a filter value against the resource's index entries.
bool ValueMatches(const fhir::search::SearchParamDef& def, std::string_view piece,
                  const std::vector<IndexEntry>& entries) {
  using fhir::search::SplitUnescaped;
  using fhir::search::Unescape;
  if (piece.empty()) return false;
  switch (def.type) {
    case ParamType::kToken: {
      std::vector<std::string_view> parts = SplitUnescaped(piece, '|');
      if (parts.size() == 1) {
        std::string code = Unescape(parts[0]);
        return HasEntry(entries, def.code, [&](const IndexEntry& e) {
          return e.type == ParamType::kToken && e.code == code;
        });
      }
      if (parts.size() != 2) return false;
      std::string system = Unescape(parts[0]);
      std::string code = Unescape(parts[1]);
      if (system.empty() && code.empty()) return false;
      return HasEntry(entries, def.code, [&](const IndexEntry& e) {
        if (e.type != ParamType::kToken) return false;
        bool system_ok = system.empty() ? !e.system.has_value() : e.system == system;
        bool code_ok = code.empty() || e.code == code;
        return system_ok && code_ok;
      });
    }
    case ParamType::kReference: {
      fhir::search::ParsedReference ref = fhir::search::ParseReference(Unescape(piece));
      if (ref.type.empty() || ref.id.empty() || !ref.version.empty() || !ref.url.empty()) {
        return false;
      }
      return HasEntry(entries, def.code, [&](const IndexEntry& e) {
        return e.type == ParamType::kReference && e.target_type == ref.type &&
               e.target_id == ref.id;
      });
    }
    case ParamType::kString: {
      std::string text = fhir::search::NormalizeString(Unescape(piece));
      if (text.empty()) return false;
      return HasEntry(entries, def.code, [&](const IndexEntry& e) {
        return e.type == ParamType::kString && e.text == text;
      });
    }
    default:
      return false;  // dates, numbers, quantities, URIs, composites: not supported, fail closed
  }
}

bool FilterMatches(std::string_view type, const ResourceScope& scope,
                   const std::vector<IndexEntry>& entries) {
  for (const auto& [param, value] : scope.filter) {
    // Modifiers and chains are not supported (FindSearchParam would not know "a:b" or "a.b"
    // either; checked here so that never changes silently).
    if (param.find_first_of(":.") != std::string::npos) return false;
    const fhir::search::SearchParamDef* def = fhir::search::FindSearchParam(type, param);
    if (def == nullptr) return false;
    bool any = false;
    for (std::string_view piece : fhir::search::SplitUnescaped(value, ',')) {
      if (ValueMatches(*def, piece, entries)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace

bool ScopeSet::Seen(std::string_view token) const {
  auto has = [&](const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), token) != v.end();
  };
  return has(other_) || has(ignored_) ||
         std::any_of(resource_scopes_.begin(), resource_scopes_.end(),
                     [&](const ResourceScope& s) { return s.text == token; });
}

void ScopeSet::Add(std::string_view token) {
  if (token.empty() || Seen(token)) return;
  std::optional<ScopeContext> context = ContextOf(token);
  if (!context) {
    other_.emplace_back(token);
    return;
  }
  if (std::optional<ResourceScope> scope = ParseResourceScope(token, *context, v1_used_)) {
    resource_scopes_.push_back(std::move(*scope));
  } else {
    ignored_.emplace_back(token);
  }
}

ScopeSet ScopeSet::Parse(std::string_view space_separated) {
  ScopeSet set;
  size_t pos = 0;
  while (pos < space_separated.size()) {
    while (pos < space_separated.size() && IsScopeSpace(space_separated[pos])) ++pos;
    size_t end = pos;
    while (end < space_separated.size() && !IsScopeSpace(space_separated[end])) ++end;
    if (end > pos) set.Add(space_separated.substr(pos, end - pos));
    pos = end;
  }
  return set;
}

ScopeSet ScopeSet::ParseRole(const std::vector<std::string>& entries, ScopeContext as) {
  ScopeSet set;
  for (const std::string& entry : entries) {
    if (entry.empty()) continue;
    if (std::any_of(entry.begin(), entry.end(), IsScopeSpace)) {  // one scope per entry
      if (!set.Seen(entry)) set.ignored_.push_back(entry);
      continue;
    }
    // Only resource scopes make sense in a role: "openid" becomes "user/openid", which is
    // malformed and so ignored, as is an entry with its own context prefix.
    set.Add(std::string(ContextPrefix(as)) + entry);
  }
  return set;
}

std::vector<const ResourceScope*> ScopeSet::Matching(std::string_view type, Permission perm,
                                                     std::optional<ScopeContext> context) const {
  std::vector<const ResourceScope*> out;
  if (perm == 0) return out;
  for (const ResourceScope& s : resource_scopes_) {
    if ((s.permissions & perm) != perm) continue;
    if (s.type != "*" && s.type != type) continue;
    if (context && s.context != *context) continue;
    out.push_back(&s);
  }
  return out;
}

bool ScopeSet::Allows(std::string_view type, Permission perm,
                      std::optional<ScopeContext> context) const {
  return !Matching(type, perm, context).empty();
}

bool ScopeSet::AllowsResource(std::string_view type, Permission perm,
                              const fhir::json::Value& resource,
                              std::optional<ScopeContext> context) const {
  if (type.empty() || !resource.is_object() || resource.GetString("resourceType") != type) {
    return false;
  }
  std::optional<std::vector<IndexEntry>> entries;  // extracted once, and only when needed
  for (const ResourceScope* s : Matching(type, perm, context)) {
    if (s->filter.empty()) return true;
    if (!entries) entries = fhir::search::ExtractIndex(resource);
    if (FilterMatches(type, *s, *entries)) return true;
  }
  return false;
}

bool ScopeSet::UnfilteredFor(std::string_view type, Permission perm,
                             std::optional<ScopeContext> context) const {
  for (const ResourceScope* s : Matching(type, perm, context)) {
    if (s->filter.empty()) return true;
  }
  return false;
}

std::optional<Permission> PermissionFor(std::string_view interaction) {
  if (interaction == "read" || interaction == "vread" || interaction == "history-instance") {
    return kRead;
  }
  if (interaction == "search-type" || interaction == "search-system" ||
      interaction == "history-type" || interaction == "history-system") {
    return kSearch;
  }
  if (interaction == "create") return kCreate;
  if (interaction == "update" || interaction == "patch") return kUpdate;
  if (interaction == "delete") return kDelete;
  return std::nullopt;
}

}  // namespace authz
