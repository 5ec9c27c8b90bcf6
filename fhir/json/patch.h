#pragma once
// JSON Patch (RFC 6902) on fhir::json::Value, addressed by JSON Pointer (RFC 6901). Used by the
// FHIR patch interaction (gateway/rest/patch.cpp); nothing here knows about FHIR.
//
// All six operations: add, remove, replace, move, copy and test. Pointers use the ~0 ('~') and
// ~1 ('/') escapes; "-" names the position after the last element of an array (add, and the
// target of move and copy). The whole patch document is checked before the first operation
// runs, so a malformed operation anywhere is reported as such, not as whatever an earlier
// operation happened to do.
//
// One patch request is bounded, whatever the document does: the number of operations, the
// nesting depth of the result, its approximate serialized size after every operation (a handful
// of `copy` operations of a subtree into itself would otherwise double the document each time)
// and the work done by copies, moves and comparisons.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fhir/json/value.h"

namespace fhir::json {

struct PatchLimits {
  size_t max_operations = 1000;
  // Approximate serialized size of the document while it is patched (the real size of the result
  // is checked again by whoever stores it).
  size_t max_document_bytes = 16 * 1024 * 1024;
  // Nested arrays and objects, counted as the parser counts them (ParseLimits::max_depth).
  size_t max_depth = 64;
  // Bytes walked by copies, moves, removals and comparisons, over the whole patch.
  size_t max_work_bytes = 64 * 1024 * 1024;
};

// Why a patch was not applied.
struct PatchFailure {
  // kInvalidArgument: the patch document is malformed (not an array of operation objects, an
  //   unknown `op`, a missing or mistyped member, a malformed pointer, a move into its own
  //   child). RFC 6902 §5: the whole patch fails.
  // kUnprocessable: well-formed, but it does not apply to this document: a target or parent
  //   that does not exist, an array index out of range, a failed `test` (test_failed).
  // kResourceExhausted: past one of the PatchLimits.
  common::Code code = common::Code::kInvalidArgument;
  std::optional<size_t> operation;  // index of the failing operation in the patch array
  std::string op;                   // its `op`, when it is one of the six
  std::string pointer;  // the pointer concerned, as sent: it may carry data, see SafePointer
  std::string reason;   // what is wrong; never quotes a value or the pointer
  bool test_failed = false;
};

// Applies `patch` (a JSON Patch document: an array of operation objects) to `document`.
// On failure `document` may be left partly patched: patch a copy you own and discard it.
std::optional<PatchFailure> ApplyJsonPatch(const Value& patch, Value& document,
                                           const PatchLimits& limits = {});

// The reference tokens of a JSON Pointer, unescaped; nullopt when it is malformed (not empty
// and not starting with '/', or a '~' not followed by '0' or '1').
std::optional<std::vector<std::string>> ParsePointer(std::string_view pointer);

// Whether a reference token may be repeated in a message: shaped like an element name (a letter
// or '_', then letters, digits or '_'; at most 64), an array index of at most six digits, or "-".
// Anything else may be data (an identifier, a name) and is not repeated.
bool IsSafeToken(std::string_view token);

// `pointer` for messages: unsafe tokens replaced by "*", a malformed pointer by "(malformed)".
std::string SafePointer(std::string_view pointer);

// Equality as RFC 6902 §4.6 defines it for `test`: numbers by numeric value ("1.0" == "1"),
// objects regardless of member order, arrays element by element, strings by their characters.
bool JsonEqual(const Value& a, const Value& b);

}  // namespace fhir::json
