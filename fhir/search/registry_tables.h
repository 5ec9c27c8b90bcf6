#pragma once
// Row types of the generated search parameter tables (fhir/search/generated/search_params.cpp,
// written by tools/gen_search_params.py). Use fhir/search/registry.h, not these tables.

#include <cstddef>

#include "fhir/search/query.h"

namespace fhir::search::generated {

struct PathRow {
  const char* path;          // "telecom[system=email]", "relatedArtifact[type=x].resource"
  const char* element_type;  // FHIR type at the end of the path
  const char* resolve_type;  // from .where(resolve() is T); "" = any
};

struct ParamRow {
  const char* resource_type;  // "Resource" for the parameters shared by all types
  const char* code;
  ParamType type;
  const char* url;
  const char* documentation;
  const char* expression;
  size_t first_path;
  size_t path_count;
  const char* targets;  // comma-separated reference target types
};

struct SkippedRow {
  const char* resource_type;
  const char* code;
  const char* reason;
};

extern const char* const kResourceTypes[];
extern const size_t kResourceTypeCount;
extern const PathRow kPaths[];
extern const size_t kPathCount;
extern const ParamRow kParams[];
extern const size_t kParamCount;
extern const SkippedRow kSkippedParams[];
extern const size_t kSkippedParamCount;

}  // namespace fhir::search::generated
