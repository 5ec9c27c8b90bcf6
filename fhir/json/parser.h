#pragma once
// Strict JSON parsing into fhir::json::Value. Rejects malformed JSON, trailing content,
// duplicate member names and input past the configured depth, size and element counts. FHIR-level
// rules (nulls, empty values, unknown elements) are the validator's job, not the parser's.

#include <cstddef>
#include <string_view>

#include "common/status.h"
#include "fhir/json/value.h"

namespace fhir::json {

// What one document may cost. The defaults are generous for real FHIR data (a 1,000-entry
// Bundle of typical resources has ~100,000 values, a large CodeSystem some 10,000 concepts)
// and bound the memory of the tree: about 100 bytes per value, so 1,000,000 values stay
// below ~200 MB even for a body of nulls.
struct ParseLimits {
  size_t max_bytes = 16 * 1024 * 1024;
  size_t max_depth = 64;
  size_t max_values = 1'000'000;      // values of any kind in the document (nodes of the tree)
  size_t max_array_items = 100'000;   // items in one array
  size_t max_object_members = 1'000;  // members of one object (R4 types have < 200 elements)
};

// On failure the status names the byte offset or the JSON path of the problem (never the
// offending content): kInvalidArgument for malformed JSON, kResourceExhausted for a document
// beyond a limit (the message names the limit).
common::StatusOr<Value> Parse(std::string_view text, const ParseLimits& limits = {});

}  // namespace fhir::json
