// Fuzz target: SMART scopes as an access token or a session carries them (authz/scopes.h):
// the space-separated scope string, the role entries of the policy file, and what the parsed
// set then allows, including the filters (`?param=value`) evaluated against resources.
// Properties: parsing never widens: a set allows an interaction only through a resource scope
// granting it; a type an unfiltered scope covers allows every resource of it; nothing is
// allowed on a resource that the type-level check refuses; every token is accounted for.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "authz/scopes.h"
#include "fhir/json/parser.h"
#include "fuzz/support/harness.h"

namespace {

using authz::Permission;
using authz::ScopeContext;
using authz::ScopeSet;

// Synthetic resources the filters are evaluated against.
constexpr std::string_view kResources[] = {
    R"json({"resourceType":"Patient","id":"p1","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"12839140000"}],"name":[{"family":"Nordmann","given":["Kari"]}],"gender":"female","generalPractitioner":[{"reference":"Practitioner/x1"}]})json",
    R"json({"resourceType":"Observation","id":"o1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"survey"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"44249-1"}]},"subject":{"reference":"Patient/p1"}})json",
    R"json({"resourceType":"QuestionnaireResponse","id":"qr1","status":"completed","subject":{"reference":"Patient/p1"},"questionnaire":"http://example.org/Questionnaire/phq9"})json",
    R"json({"resourceType":"Communication","id":"c1","status":"completed","category":[{"coding":[{"system":"http://example.org/cat","code":"msg"}]}],"subject":{"reference":"Patient/p1"}})json",
    R"json({"resourceType":"Task","id":"t1","status":"requested","intent":"order","for":{"reference":"Patient/p1"}})json",
};

constexpr Permission kPermissions[] = {authz::kCreate, authz::kRead, authz::kUpdate, authz::kDelete,
                                       authz::kSearch};

std::vector<fhir::json::Value>& Resources() {
  static std::vector<fhir::json::Value> parsed = [] {
    std::vector<fhir::json::Value> v;
    for (std::string_view text : kResources) v.push_back(*fhir::json::Parse(text));
    return v;
  }();
  return parsed;
}

void CheckSet(const ScopeSet& set, std::string_view input) {
  for (const authz::ResourceScope& s : set.resource_scopes()) {
    EMG_FUZZ_CHECK(s.permissions != 0, "a resource scope without permissions");
    EMG_FUZZ_CHECK((s.permissions & ~0x1f) == 0, "a permission bit that does not exist");
    EMG_FUZZ_CHECK(!s.type.empty(), "a resource scope without a type");
    for (const auto& [name, value] : s.filter) {
      EMG_FUZZ_CHECK(!name.empty() && !value.empty(), "an empty filter name or value");
    }
    EMG_FUZZ_CHECK(input.empty() || input.find(s.text) != std::string_view::npos || s.text.empty(),
                   "a scope's text that was not granted");
  }
  for (const fhir::json::Value& resource : Resources()) {
    std::string type(resource.GetString("resourceType"));
    for (Permission perm : kPermissions) {
      for (auto context : {std::optional<ScopeContext>(), std::optional(ScopeContext::kPatient),
                           std::optional(ScopeContext::kSystem)}) {
        bool allows = set.Allows(type, perm, context);
        bool unfiltered = set.UnfilteredFor(type, perm, context);
        bool allows_resource = set.AllowsResource(type, perm, resource, context);
        EMG_FUZZ_CHECK(allows == !set.Matching(type, perm, context).empty(),
                       "Allows disagrees with Matching");
        if (!allows) {
          EMG_FUZZ_CHECK(!allows_resource && !unfiltered,
                         "a resource allowed where its type is not");
        }
        if (unfiltered) {
          EMG_FUZZ_CHECK(allows_resource, "an unfiltered scope does not allow a resource");
        }
        // A resource of another type is never allowed through this type's scopes.
        EMG_FUZZ_CHECK(!set.AllowsResource(type == "Patient" ? "Observation" : "Patient", perm,
                                           resource, context),
                       "a resource allowed under another type");
      }
    }
  }
  // System-level requests: only "*" scopes.
  (void)set.Allows("", authz::kSearch);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  ScopeSet set = ScopeSet::Parse(data);
  CheckSet(set, data);

  // Role entries (one per line), read in each context.
  std::vector<std::string> entries;
  for (std::string_view line : emg_fuzz::SplitParts(data, "\n", 64)) entries.emplace_back(line);
  for (ScopeContext as : {ScopeContext::kPatient, ScopeContext::kUser, ScopeContext::kSystem}) {
    ScopeSet role = ScopeSet::ParseRole(entries, as);
    CheckSet(role, {});
    for (const authz::ResourceScope& s : role.resource_scopes()) {
      EMG_FUZZ_CHECK(s.context == as, "a role entry read in another context");
    }
  }
  (void)authz::PermissionFor(data);
  return 0;
}
