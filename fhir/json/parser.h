#pragma once
// Strict JSON parsing into fhir::json::Value. Rejects malformed JSON, trailing content,
// duplicate member names and input past the configured depth and size. FHIR-level rules
// (nulls, empty values, unknown elements) are the validator's job, not the parser's.

#include <cstddef>
#include <string_view>

#include "common/status.h"
#include "fhir/json/value.h"

namespace fhir::json {

struct ParseLimits {
  size_t max_bytes = 16 * 1024 * 1024;
  size_t max_depth = 64;
};

// On failure the status is kInvalidArgument with a message naming the byte offset or the
// JSON path of the problem (never the offending content).
common::StatusOr<Value> Parse(std::string_view text, const ParseLimits& limits = {});

}  // namespace fhir::json
