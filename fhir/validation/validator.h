#pragma once
// Structural validation of FHIR R4 resources (JSON) against the generated model
// (fhir/model/model.h) plus the R4 invariants implemented by hand (fhir/validation/invariants.h
// lists them and the ones not checked).
//
// What is checked: resourceType (any concrete R4 type, else "not-supported"),
// unknown elements, JSON nulls / empty objects / empty arrays / empty strings, array vs single
// form, primitive extensions (`_name`), cardinality (also in backbone elements and through
// contentReference), datatypes recursively, choice types, primitive formats, REQUIRED bindings,
// references (format and target type), extensions, contained resources (dom-2..dom-5, ref-1)
// and Bundle entries (recursively), and the invariants.
//
// Issue codes: "structure" (JSON shape, unknown element, too many values), "required" (missing
// element), "value" (bad primitive format, malformed reference), "code-invalid" (code not in a
// required value set), "invalid" (reference to a type the element does not allow),
// "invariant" (a constraint like que-1), "not-supported" (unknown or unsupported resource
// type), "too-costly" (nesting beyond the validator's depth limit).
//
// Expressions are FHIRPath with indexes on repeating elements: `Patient.name[0].given[1]`.
// Choice elements are named with ofType: `Observation.value.ofType(Quantity)`. A primitive's
// extension (`_birthDate`) belongs to the element: `Patient.birthDate.extension[0].url`.
// Resources inside resources continue the path without a type step:
// `Bundle.entry[2].resource.birthDate`, `Patient.contained[0].name[0]`.
//
// Diagnostics name the element and the rule, never the offending value (it may be personal
// data). Everything wrong is reported, not just the first problem, up to kMaxListedIssues
// (fhir/outcome.h); one more issue then says how many more were found.

#include "fhir/json/value.h"
#include "fhir/outcome.h"

namespace fhir::validation {

// Validates a parsed resource and appends every problem found to `issues`. Never throws; safe
// for any tree the JSON parser accepts (recursion is bounded by kMaxValidationDepth).
void ValidateResource(const json::Value& resource, IssueList& issues);

// Objects nested deeper than this are reported ("too-costly") instead of validated.
inline constexpr int kMaxValidationDepth = 200;

}  // namespace fhir::validation
