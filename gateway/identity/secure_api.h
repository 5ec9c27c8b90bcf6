#pragma once
// The FHIR API behind authentication, authorization and the audit trail:
//   authenticate (401) -> wrap the store with the caller's access (authz/access.h) ->
//   FhirApi::Handle -> commit the read/denial AuditEvents (writes carry theirs in their own
//   transaction) -> answer. When the audit cannot be written, the data is withheld (503).
// With auth.mode "off" (loopback only) requests run as the gateway itself, unaudited.

#include <functional>
#include <variant>

#include "authz/access.h"
#include "gateway/identity/authenticator.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/rest/message.h"

namespace gateway::identity {

class SecureFhirApi {
 public:
  // `authenticator` is null when auth is off.
  SecureFhirApi(FhirApi& api, fhir::store::Store& store, Authenticator* authenticator,
                const authz::AccessPolicy& policy, std::function<common::SystemTime()> clock);

  HttpResponse Handle(const HttpRequest& request);
  // As an already established principal (in-process adapters acting as themselves).
  HttpResponse HandleAs(const HttpRequest& request, const authz::PrincipalPtr& principal);

  // Authentication only (for non-FHIR routes such as /ehr/*): the principal, or the 401/403
  // response to send.
  std::variant<authz::PrincipalPtr, HttpResponse> Authenticate(const HttpRequest& request);

 private:
  FhirApi& api_;
  fhir::store::Store& store_;
  Authenticator* authenticator_;
  const authz::AccessPolicy& policy_;
  std::function<common::SystemTime()> clock_;
};

// A 401/403 OperationOutcome response (with WWW-Authenticate for 401).
HttpResponse AuthErrorResponse(const common::Status& status, const std::string& challenge);

}  // namespace gateway::identity
