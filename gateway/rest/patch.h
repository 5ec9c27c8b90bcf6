#pragma once
// The patch interaction (R4 http.html#patch) with JSON Patch (RFC 6902): PATCH [base]/[type]/[id]
// and the conditional PATCH [base]/[type]?[criteria], with If-Match; also used by transaction
// and batch entries (a Binary whose data is the JSON Patch document). ADR 0013.
//
// The server patches its own copy of the current version inside the unit of work that writes
// the result, so nothing can change between the read and the write, and then treats the result
// as an update: resourceType and id must stay, the resource is validated in full, versioned,
// authorized and audited by the same Store port and decorator as PUT.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/status.h"
#include "fhir/json/value.h"
#include "fhir/outcome.h"
#include "fhir/store/store.h"
#include "gateway/rest/call.h"

namespace gateway::rest {

inline constexpr std::string_view kJsonPatchMediaType = "application/json-patch+json";

HttpResponse Patch(Call& call, const std::string& type, const std::string& id);
HttpResponse ConditionalPatch(Call& call, const std::string& type);

// Reads a patch document sent as `media_type` (the request's Content-Type, or a Binary's
// contentType). A JSON Patch document is parsed within the configured bounds; anything else,
// FHIRPath Patch (a Parameters resource) included, is refused: kUnimplemented for a FHIR media
// type (the caller answers 415), kInvalidArgument / kResourceExhausted for a bad or oversized
// document. Messages never quote the document.
common::StatusOr<fhir::json::Value> ReadPatchDocument(std::string_view media_type,
                                                      std::string_view body,
                                                      const FhirApiOptions& options);

// Why a patch was not applied: the status to answer with and the issues of its
// OperationOutcome.
struct PatchRejection {
  common::Code code = common::Code::kUnprocessable;
  fhir::IssueList issues;
};

// Applies `patch` to the stored `current` version of type/id and checks the result as an
// update would (resourceType and id unchanged, full validation, no Bundle-local references
// unless `in_transaction`). Never touches the store.
std::variant<fhir::json::Value, PatchRejection> PatchResource(
    const fhir::store::ResourceVersion& current, const fhir::json::Value& patch,
    const FhirApiOptions& options, bool in_transaction);

}  // namespace gateway::rest
