#pragma once
// Instance- and type-level interactions: create, read, vread, update, delete and their
// conditional forms (R4 http.html §3.1.0.3–3.1.0.8).

#include <string>
#include <variant>

#include "fhir/json/parser.h"
#include "fhir/json/value.h"
#include "gateway/rest/call.h"

namespace gateway::rest {

HttpResponse Create(Call& call, const std::string& type);
HttpResponse Read(Call& call, const std::string& type, const std::string& id);
HttpResponse VRead(Call& call, const std::string& type, const std::string& id,
                   const std::string& vid);
HttpResponse Update(Call& call, const std::string& type, const std::string& id);
HttpResponse Delete(Call& call, const std::string& type, const std::string& id);
HttpResponse ConditionalUpdate(Call& call, const std::string& type);
HttpResponse ConditionalDelete(Call& call, const std::string& type);

// For POST _search: appends the parameters of the form body to the call's parameters (the HTTP
// edge leaves bodies alone). 415 for another Content-Type, 400 for malformed percent-encoding.
std::optional<HttpResponse> UseFormBody(Call& call);

// Parses and validates a request body as a resource of `type`. On failure returns the
// OperationOutcome response (400 / 413 / 415) instead.
std::variant<fhir::json::Value, HttpResponse> ParseResourceBody(Call& call,
                                                                const std::string& type);

// The parser's limits for a request body (size, depth, values, array items).
fhir::json::ParseLimits BodyParseLimits(const FhirApiOptions& options);

// Parses and validates a resource document (any type). Problems are appended to `issues` with
// expressions prefixed by `prefix` (e.g. "Bundle.entry[2].resource" is not needed: the
// validator names the resource's own paths).
std::optional<fhir::json::Value> ParseAndValidate(std::string_view body,
                                                  const FhirApiOptions& options,
                                                  fhir::IssueList& issues, common::Status* fatal);

// A reference to a Bundle entry ("urn:uuid:..." / "urn:oid:...") means something only inside
// the transaction that carries the entry; stored anywhere else it would dangle. Adds an issue
// per such reference below `path` (the resource's type), `contained` resources included.
void FindBundleLocalReferences(const fhir::json::Value& v, const std::string& path,
                               fhir::IssueList& issues);

// If-Match: W/"n" -> n in `expected` (0 when absent). The error response for a malformed
// header.
std::optional<HttpResponse> ReadIfMatch(Call& call, int64_t* expected);

// The call's parameters as a query string for conditional criteria (_format and _pretty left
// out).
std::string QueryStringOf(const Call& call);

bool IsValidId(std::string_view id);
// Letters only, starting upper-case, at most 64: safe to repeat in an error message (a path
// segment or a body value that is not shaped like a type name may be personal data).
bool IsPlausibleTypeName(std::string_view name);

// Criteria from a conditional URL ("Patient?identifier=a|b") or If-None-Exist value
// ("identifier=a|b") into a Query for `type`.
common::StatusOr<fhir::search::Query> ParseCriteria(const std::string& type,
                                                    std::string_view query_string,
                                                    const FhirApiOptions& options);

}  // namespace gateway::rest
