#pragma once
// adapters::FhirPort over the gateway's own FhirApi, in-process: an adapter's FHIR calls are
// parsed, validated and handled exactly like a client's, but as the gateway itself (no scope
// or compartment checks, no AuditEvents: the caller at the edge, e.g. the message service on
// /ehr/*, was authenticated before the adapter ran). `subject` names the adapter in logs.

#include <functional>
#include <string>

#include "adapters/api/fhir_port.h"
#include "gateway/rest/fhir_api.h"

namespace gateway::app {

class InProcessFhirPort final : public adapters::FhirPort {
 public:
  // `subject` names the adapter in the request context (e.g. "system:ehr"); `api` must
  // outlive the port.
  InProcessFhirPort(FhirApi& api, std::string subject);
  // Through another handler, e.g. the secured API acting for the adapter's own principal (its
  // writes then carry AuditEvents in their transactions).
  InProcessFhirPort(std::function<HttpResponse(const HttpRequest&)> handler, std::string subject);

  adapters::FhirResponse Call(
      std::string_view method, std::string_view path_and_query, std::string_view body,
      const std::vector<std::pair<std::string, std::string>>& headers) override;

 private:
  std::function<HttpResponse(const HttpRequest&)> handler_;
  std::string subject_;
};

}  // namespace gateway::app
