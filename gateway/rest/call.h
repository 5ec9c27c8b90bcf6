#pragma once
// Per-request state shared by the REST handlers (internal to gateway/rest).

#include <string>
#include <vector>

#include "fhir/search/query.h"
#include "fhir/store/store.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/rest/http_util.h"
#include "gateway/rest/message.h"

namespace gateway::rest {

enum class PreferReturn { kRepresentation, kMinimal, kOperationOutcome };

struct Call {
  const HttpRequest& request;
  fhir::store::Store& store;
  const FhirApiOptions& options;
  Rendering rendering;
  std::string base;  // absolute base URL without a trailing slash
  PreferReturn prefer_return = PreferReturn::kRepresentation;
  bool strict_handling = false;  // Prefer: handling=strict
  // Query parameters (URL, or the form body of POST _search).
  std::vector<std::pair<std::string, std::string>> params;
  std::string route;  // route template for logs and metrics
};

// Builds a response for a stored version: body per Prefer, ETag, Last-Modified and, with
// `location`, the Location header.
HttpResponse VersionResponse(Call& call, int status, const fhir::store::ResourceVersion& v,
                             bool location);

// Removes elements per _summary / _elements and tags the result SUBSETTED. Returns false when
// no subsetting was requested (the value is untouched).
bool ApplySubsetting(fhir::json::Value& resource, fhir::search::SummaryMode summary,
                     const std::vector<std::string>& elements);

// Reads _summary/_elements from request parameters (for read and vread).
common::Status ParseSubsettingParams(const std::vector<std::pair<std::string, std::string>>& params,
                                     fhir::search::SummaryMode* summary,
                                     std::vector<std::string>* elements);

// Handlers (one file each).
HttpResponse HandleSearch(Call& call, const std::string& type);
HttpResponse HandleHistory(Call& call, const std::string& type, const std::string& id);
HttpResponse HandleBundle(Call& call, FhirApi& api);
HttpResponse HandleCapabilities(Call& call);

// fullUrl of a resource.
inline std::string FullUrl(const Call& call, const std::string& type, const std::string& id) {
  return call.base + "/" + type + "/" + id;
}

}  // namespace gateway::rest
