#pragma once
// FHIR R4 RESTful API (https://hl7.org/fhir/R4/http.html) over transport-neutral messages.
// Thread-safe: Handle() is called concurrently from the blocking pool.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fhir/store/store.h"
#include "gateway/rest/message.h"

namespace gateway::rest {
struct Call;
}

namespace gateway {

struct FhirApiOptions {
  // Absolute base URL used in Location, fullUrl and paging links. Empty (loopback only, see
  // gateway/config): `scheme` and the request's Host header when it names a loopback host,
  // else localhost.
  std::string base_url;
  std::string scheme = "http";
  size_t max_body_bytes = 16 * 1024 * 1024;
  size_t max_json_depth = 64;
  // Per request body (fhir/json/parser.h): values in the document, items in one array.
  size_t max_json_values = 1'000'000;
  size_t max_array_items = 100'000;
  int default_page_size = 50;
  int max_page_size = 1000;
  // Bound on the bytes of the resources in one search or history page: the page ends after
  // the resource that reaches it (so it always holds one) and links to the next.
  size_t max_page_bytes = 16 * 1024 * 1024;
  size_t max_bundle_entries = 1000;
  std::string software_version = EMG_VERSION;
  // The resource types with their own endpoints and allowed as transaction entries, sorted
  // (fhir::ResolveServedTypes). Empty: fhir::DefaultServedTypes(). Any R4 type may still be
  // contained in a resource or carried in a stored Bundle.
  std::vector<std::string> resource_types;

  bool Serves(std::string_view type) const;
};

class FhirApi {
 public:
  FhirApi(fhir::store::Store& store, FhirApiOptions options);

  // Handles one FHIR request (anything that is not an edge route such as /healthz).
  // Never throws; every error is an OperationOutcome response.
  HttpResponse Handle(const HttpRequest& request);
  // The same against another view of the store: the per-request authorizing decorator
  // (authz/access.h) that enforces the caller's access and records the audit trail.
  HttpResponse Handle(const HttpRequest& request, fhir::store::Store& store);

  // Runs a transaction Bundle (JSON) at start: the terminology seed and the demo seed.
  // Idempotent when the bundle uses conditional creates (ifNoneExist) or conditional updates.
  common::Status SeedFromBundle(std::string_view bundle_json);

 private:
  HttpResponse Dispatch(rest::Call& call);

  fhir::store::Store& store_;
  FhirApiOptions options_;
};

}  // namespace gateway
