#pragma once
// Internal to fhir/validation: checks on Reference values and on Codings bound to a REQUIRED
// value set. Called by the walker after the value's structure has been validated.

#include <optional>
#include <string_view>

#include "fhir/json/value.h"
#include "fhir/model/model.h"
#include "fhir/validation/context.h"

namespace fhir::validation::internal {

// A parsed relative reference: "Type/id", "Type/id/_history/vid" or "Type?query" (a
// conditional reference, allowed in transactions).
struct RelativeReference {
  std::string_view type;
  std::string_view id;  // empty for a conditional reference
  std::string_view version;
};
// Parses a relative reference; `type` must be an R4 resource name or one of `allowed_extra`
// (target names of the element, e.g. custom types listed by the definitions).
std::optional<RelativeReference> ParseRelativeReference(std::string_view reference,
                                                        model::TypeRef allowed_extra);

// Reference.reference format and target type, Reference.type agreement, local ("#id")
// references for ref-1 / dom-3. `type` is the element's Reference type (its targets).
void CheckReference(const json::Value& reference, model::TypeRef type, Context& ctx);

// The codes of a Coding (or of each Coding of a CodeableConcept) whose system belongs to the
// required `binding` must be in it.
void CheckCodings(const json::Value& value, bool codeable_concept, model::Binding binding,
                  Context& ctx);

}  // namespace fhir::validation::internal
