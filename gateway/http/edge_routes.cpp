#include "gateway/http/edge_routes.h"

#include "fhir/json/writer.h"
#include "fhir/outcome.h"

namespace gateway::http {
namespace {

HttpResponse JsonStatus(int status, std::string_view route, std::string body) {
  HttpResponse r;
  r.status = status;
  r.route = std::string(route);
  r.SetHeader("Content-Type", "application/json");
  r.SetHeader("Cache-Control", "no-store");
  r.body = std::move(body);
  return r;
}

}  // namespace

HttpResponse OutcomeResponse(int status, std::string_view issue_code, std::string diagnostics,
                             std::string_view route) {
  HttpResponse r;
  r.status = status;
  r.route = std::string(route);
  r.SetHeader("Content-Type", std::string(kFhirJsonContentType));
  r.body = fhir::json::Write(fhir::MakeOperationOutcome(
      fhir::Severity::kError, std::string(issue_code), std::move(diagnostics)));
  return r;
}

bool IsEdgeRoute(std::string_view path) {
  return path == "/healthz" || path == "/readyz" || path == "/metrics";
}

std::optional<HttpResponse> ServeEdgeRoute(const HttpRequest& request, bool ready, bool draining,
                                           const Metrics& metrics) {
  const std::string& path = request.path;
  if (!IsEdgeRoute(path)) return std::nullopt;
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r =
        OutcomeResponse(405, "not-supported", "only GET and HEAD are allowed here", path);
    r.SetHeader("Allow", "GET, HEAD");
    return r;
  }
  if (path == "/healthz") return JsonStatus(200, path, R"({"status":"ok"})");
  if (path == "/readyz") {
    if (draining) return JsonStatus(503, path, R"({"status":"draining"})");
    if (!ready) return JsonStatus(503, path, R"({"status":"not ready"})");
    return JsonStatus(200, path, R"({"status":"ready"})");
  }
  HttpResponse r;
  r.status = 200;
  r.route = path;
  r.SetHeader("Content-Type", std::string(Metrics::kContentType));
  r.SetHeader("Cache-Control", "no-store");
  r.body = metrics.Render();
  return r;
}

}  // namespace gateway::http
