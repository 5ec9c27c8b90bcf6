#pragma once
// The search parameters the gateway implements: the FHIR R4 parameters of the resource types it
// serves, compiled from their FHIRPath expressions to simple extraction paths by
// tools/gen_search_params.py. Only what is listed here is indexed, searchable and advertised in
// the CapabilityStatement.

#include <string>
#include <string_view>
#include <vector>

#include "fhir/search/query.h"

namespace fhir::search {

// One step of an extraction path: a JSON member, optionally filtered by `.where(field='value')`
// on its (array) items.
struct PathStep {
  std::string name;          // JSON member name, e.g. "telecom", "valueQuantity"
  std::string filter_field;  // empty = no filter
  std::string filter_value;
};

struct ExtractionPath {
  std::vector<PathStep> steps;  // from the resource root
  std::string element_type;     // FHIR type at the end: "CodeableConcept", "dateTime", ...
  std::string resolve_type;     // `.where(resolve() is T)`: only references to T; empty = any
};

struct SearchParamDef {
  std::string resource_type;  // "Resource" for the parameters every type has (_id, _tag, ...)
  std::string code;           // e.g. "birthdate"
  ParamType type = ParamType::kString;
  std::string url;            // canonical URL of the SearchParameter definition
  std::string documentation;  // description (markdown)
  std::string expression;     // the FHIRPath it was compiled from
  std::vector<ExtractionPath> paths;
  std::vector<std::string> targets;  // reference targets as defined (may name types we lack)
};

// The concrete R4 resource types with their parameters, sorted: every type can be indexed
// (which ones the REST API serves is configuration, fhir/served_types.h).
const std::vector<std::string>& ResourceTypes();
bool IsResourceType(std::string_view type);

// The parameter `code` of `type`, or of Resource when `type` has none of that name; `type`
// empty means system level (Resource-level parameters only). nullptr when unknown.
const SearchParamDef* FindSearchParam(std::string_view type, std::string_view code);

// All parameters of `type` (its own plus the Resource-level ones), sorted by code. Empty
// `type`: the Resource-level parameters. Unknown type: empty.
std::vector<const SearchParamDef*> ListSearchParams(std::string_view type);

// Reference targets of `def` that are resource types served here, sorted.
std::vector<std::string> KnownTargets(const SearchParamDef& def);

// Search parameters of the FHIR definitions that are not implemented, with the reason.
struct SkippedSearchParam {
  std::string_view resource_type;
  std::string_view code;
  std::string_view reason;
};
std::vector<SkippedSearchParam> SkippedSearchParams();

std::string_view ParamTypeName(ParamType type);  // "string", "token", ...

}  // namespace fhir::search
