#pragma once
// Small HTTP helpers shared by the REST handlers: responses carrying FHIR JSON or an
// OperationOutcome, the one table from Status codes to HTTP statuses, ETags and negotiation.

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "fhir/json/value.h"
#include "fhir/outcome.h"
#include "gateway/rest/message.h"

namespace gateway::rest {

inline constexpr std::string_view kFhirJson = "application/fhir+json; charset=utf-8";

// The HTTP status and IssueType code for a Status code (the one mapping table).
int HttpStatusFor(common::Code code);
std::string IssueCodeFor(common::Code code);

// How the client wants the response body rendered.
struct Rendering {
  bool pretty = false;
};

// Builds a response with an OperationOutcome body.
HttpResponse OutcomeResponse(int status, const fhir::IssueList& issues, const Rendering& r = {});
HttpResponse ErrorResponse(const common::Status& status, const Rendering& r = {},
                           std::string expression = {});
HttpResponse JsonResponse(int status, const fhir::json::Value& body, const Rendering& r = {});
// A response whose body is already-serialized FHIR JSON.
HttpResponse RawJsonResponse(int status, std::string body);

// Weak ETag for a version: W/"3".
std::string ETag(int64_t version);
// Parses W/"3" or "3" (If-Match); nullopt when malformed.
std::optional<int64_t> ParseETag(std::string_view value);

// Checks Accept and _format. Returns an error response (406) when the client wants a format
// we do not produce.
std::optional<HttpResponse> CheckAcceptable(const HttpRequest& request);
// Checks Content-Type of a request carrying a FHIR resource (415 when it is not JSON).
std::optional<HttpResponse> CheckFhirContentType(const HttpRequest& request);
// The media type of a Content-Type or Accept element without parameters, lower-cased, trimmed.
std::string MediaType(std::string_view value);

}  // namespace gateway::rest
