#pragma once
#include <string>

#include "fhir/json/value.h"

namespace fhir::json {

// Compact JSON. Numbers are written with their original text.
std::string Write(const Value& value);
// Indented JSON (for _pretty=true).
std::string WritePretty(const Value& value);

}  // namespace fhir::json
