#include "gateway/identity/secure_api.h"

#include "common/log.h"
#include "fhir/json/writer.h"
#include "fhir/outcome.h"

namespace gateway::identity {

HttpResponse AuthErrorResponse(const common::Status& status, const std::string& challenge) {
  HttpResponse r;
  int code = 403;
  std::string issue = "forbidden";
  if (status.code() == common::Code::kUnauthenticated) {
    code = 401;
    issue = "login";
    r.SetHeader("WWW-Authenticate", challenge);
  } else if (status.code() == common::Code::kUnavailable) {
    code = 503;
    issue = "transient";
  }
  r.status = code;
  r.route = "auth";
  r.SetHeader("Content-Type", "application/fhir+json; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  r.body = fhir::json::Write(
      fhir::MakeOperationOutcome(fhir::Severity::kError, issue, status.message()));
  return r;
}

SecureFhirApi::SecureFhirApi(FhirApi& api, fhir::store::Store& store, Authenticator* authenticator,
                             const authz::AccessPolicy& policy,
                             std::function<common::SystemTime()> clock)
    : api_(api),
      store_(store),
      authenticator_(authenticator),
      policy_(policy),
      clock_(std::move(clock)) {}

std::variant<authz::PrincipalPtr, HttpResponse> SecureFhirApi::Authenticate(
    const HttpRequest& request) {
  if (authenticator_ == nullptr) return authz::InternalPrincipal();
  AuthenticationResult result = authenticator_->Authenticate(request);
  if (!result.status.ok()) {
    common::log::Info("auth_refused",
                      {{"request_id", request.context.request_id},
                       {"code", std::string(common::CodeName(result.status.code()))}});
    return AuthErrorResponse(result.status, authenticator_->Challenge(result.status));
  }
  return result.principal;
}

HttpResponse SecureFhirApi::Handle(const HttpRequest& request) {
  // The CapabilityStatement describes the server, not anyone's data: served to everyone.
  if (request.path == "/metadata" || request.path == "/metadata/") return api_.Handle(request);
  auto authenticated = Authenticate(request);
  if (auto* refused = std::get_if<HttpResponse>(&authenticated)) return std::move(*refused);
  return HandleAs(request, std::get<authz::PrincipalPtr>(authenticated));
}

HttpResponse SecureFhirApi::HandleAs(const HttpRequest& request,
                                     const authz::PrincipalPtr& principal) {
  if (principal->internal()) return api_.Handle(request);

  authz::RequestAudit audit;
  authz::AuditContext ctx;
  ctx.request_id = request.context.request_id;
  ctx.now = clock_;
  std::unique_ptr<fhir::store::Store> guarded =
      authz::AuthorizeStore(store_, policy_, *principal, audit, ctx);
  HttpResponse response = api_.Handle(request, *guarded);
  common::Status flushed = authz::FlushAudit(store_, *principal, audit, ctx);
  if (!flushed.ok()) {
    common::log::Error("audit_write_failed",
                       {{"request_id", request.context.request_id}, {"error", flushed.message()}});
    HttpResponse r = AuthErrorResponse(
        common::Status(common::Code::kUnavailable,
                       "the access could not be recorded in the audit trail; try again"),
        "");
    r.route = response.route;
    return r;
  }
  return response;
}

}  // namespace gateway::identity
