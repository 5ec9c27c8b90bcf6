#pragma once
// SMART App Launch 2.x scopes (scopes-and-launch-context): what an access token lets a client do
// with which resource types, and the narrowing (`?param=value`) a scope puts on the resources.
//
// Grammar of a resource scope:
//   (patient|user|system)/(<ResourceType>|*).<perms>[?param=value(&param=value)*]
//  * perms: letters of c r u d s in that order, each at most once ("rs", "cud", "cruds").
//    Unknown, repeated or out-of-order letters (".dus", ".rc", ".rr") and empty perms make the
//    scope malformed: it is ignored (put in ignored()), never read generously or widened.
//  * v1 forms are accepted: ".read" = rs, ".write" = cud, ".*" = cruds (v1_used() reports it).
//    A v1 scope cannot carry a filter (v1 had none): such a scope is ignored.
//  * <ResourceType> must be one of the 148 FHIR R4 resource type names (case-sensitive), or
//    "*". A type the gateway does not serve is kept: it is well-formed and simply matches none
//    of the resources served here.
//  * The filter is split on '&' and '=' and then percent-decoded (RFC 3986: '+' stays '+').
//    A bad escape, an empty name or value, or an empty pair makes the scope malformed.
// Anything without a context prefix (openid, profile, fhirUser, launch, launch/patient,
// offline_access, ...) goes to other(). Scopes are additive: a request is allowed when at least
// one scope allows it.
//
// Filters are evaluated against the resource's search index values (fhir/search/index.h), with
// the search syntax of FHIR R4 (',' = OR, repeated pairs = AND, the escapes \, \| \$ \\):
//  token      `system|code`, `code` (any system), `|code` (no system), `system|` (any code)
//  reference  `Type/id` only (no bare id, no version, no absolute URL)
//  string     exact match of the normalised text (NormalizeString), not the prefix match of
//             a string search
// Everything else fails closed (the scope does not match): other parameter types, modifiers
// (`category:not=`), chains, parameters unknown for the type, and parameters that are not
// indexed from the resource (`_id`, `_lastUpdated`).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/json/value.h"

namespace authz {

enum class ScopeContext { kPatient, kUser, kSystem };

enum Permission : uint8_t { kCreate = 1, kRead = 2, kUpdate = 4, kDelete = 8, kSearch = 16 };

struct ResourceScope {
  ScopeContext context = ScopeContext::kPatient;
  std::string type;                                         // resource type or "*"
  uint8_t permissions = 0;                                  // bit set of Permission
  std::vector<std::pair<std::string, std::string>> filter;  // ?param=value (percent-decoded)
  std::string text;                                         // the scope as granted
};

class ScopeSet {
 public:
  // Never fails: malformed resource scopes go to ignored(). Repeated scopes are kept once.
  static ScopeSet Parse(std::string_view space_separated);

  // The permissions configured for a client role, in the scope grammar without the context
  // prefix ("QuestionnaireResponse.c", "*.rs", "Observation.rs?category=...") and read as if
  // granted in context `as`. Entries that are not resource scopes (including ones that already
  // carry a context prefix) are ignored. For intersecting a client's role with its token.
  static ScopeSet ParseRole(const std::vector<std::string>& entries, ScopeContext as);

  // The scopes that grant `perm` on `type` ("*" scopes included), in any context when `context`
  // is nullopt. An empty `type` (a system-level request) is matched by "*" scopes only.
  std::vector<const ResourceScope*> Matching(
      std::string_view type, Permission perm,
      std::optional<ScopeContext> context = std::nullopt) const;
  bool Allows(std::string_view type, Permission perm,
              std::optional<ScopeContext> context = std::nullopt) const;

  // Whether `resource` (of `type`: a resource of another resourceType is refused) satisfies the
  // filter of at least one matching scope; a scope without a filter allows every resource.
  bool AllowsResource(std::string_view type, Permission perm, const fhir::json::Value& resource,
                      std::optional<ScopeContext> context = std::nullopt) const;

  // True when a matching scope has no filter, so that AllowsResource holds for every resource
  // of `type` and a search needs no post-filter. False when no scope matches at all.
  bool UnfilteredFor(std::string_view type, Permission perm,
                     std::optional<ScopeContext> context = std::nullopt) const;

  const std::vector<ResourceScope>& resource_scopes() const { return resource_scopes_; }
  const std::vector<std::string>& other() const { return other_; }
  const std::vector<std::string>& ignored() const { return ignored_; }
  bool v1_used() const { return v1_used_; }

 private:
  void Add(std::string_view token);
  bool Seen(std::string_view token) const;

  std::vector<ResourceScope> resource_scopes_;
  std::vector<std::string> other_;
  std::vector<std::string> ignored_;
  bool v1_used_ = false;
};

// The permission a FHIR restful interaction (TypeRestfulInteraction / SystemRestfulInteraction
// code) needs: read, vread, history-instance -> kRead; search-type, search-system,
// history-type, history-system -> kSearch; create -> kCreate; update, patch -> kUpdate;
// delete -> kDelete. nullopt for the others (capabilities, batch, transaction, operations):
// they are not governed by a single resource permission.
std::optional<Permission> PermissionFor(std::string_view interaction);

}  // namespace authz
