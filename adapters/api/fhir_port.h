#pragma once
// The adapters' way into the FHIR store. The gateway implements it over its own FHIR REST
// layer (in-process, no sockets), so an adapter's writes take the same path as any client's:
// validation, transactions with urn:uuid and conditional references, conditional creates,
// unique identifiers, indexing (and, with access control, the same audit). Adapters never see
// the store or the gateway directly.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adapters {

struct FhirResponse {
  int status = 0;
  std::string body;  // a resource, a Bundle or an OperationOutcome (JSON)
  std::string location;
  std::string etag;
};

class FhirPort {
 public:
  virtual ~FhirPort() = default;
  // One FHIR interaction: `method` GET/POST/PUT/DELETE, `path_and_query` relative to the FHIR
  // base ("Task?code=x", "Task/123", "" for a Bundle), `body` JSON or empty, extra headers
  // (lower-case names), e.g. {"if-match", "W/\"3\""}. Thread-safe.
  virtual FhirResponse Call(
      std::string_view method, std::string_view path_and_query, std::string_view body = {},
      const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
};

}  // namespace adapters
