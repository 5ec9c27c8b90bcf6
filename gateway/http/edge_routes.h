#pragma once
// Responses the HTTP edge produces itself: the operational routes (/healthz, /readyz,
// /metrics) and OperationOutcome errors for requests that never reach the FHIR handler.
// Pure functions over transport-neutral messages.

#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/metrics.h"
#include "gateway/rest/message.h"

namespace gateway::http {

inline constexpr std::string_view kFhirJsonContentType = "application/fhir+json; charset=utf-8";

// Route labels for requests answered by the edge before routing.
inline constexpr std::string_view kRouteMalformed = "malformed";  // 400, 431
inline constexpr std::string_view kRouteTooLarge = "too_large";   // 413

// An OperationOutcome response with one error issue. `issue_code` is from the FHIR IssueType
// value set; `diagnostics` must not contain personal data.
HttpResponse OutcomeResponse(int status, std::string_view issue_code, std::string diagnostics,
                             std::string_view route);

// True for /healthz, /readyz and /metrics.
bool IsEdgeRoute(std::string_view path);

// Serves an edge route (GET or HEAD; other methods get 405). `ready` is the store's readiness
// and `draining` the server's state. nullopt when `request.path` is not an edge route.
std::optional<HttpResponse> ServeEdgeRoute(const HttpRequest& request, bool ready, bool draining,
                                           const Metrics& metrics);

}  // namespace gateway::http
