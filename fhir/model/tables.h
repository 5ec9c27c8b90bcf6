#pragma once
// Raw layout of the generated FHIR R4 model tables (fhir/model/generated/r4_model.cpp, written by
// tools/gen_fhir_model.py). Only fhir/model/*.cpp reads these; everyone else uses
// fhir/model/model.h. Strings live in one pool and are referenced by (offset, size).

#include <cstdint>

#include "fhir/model/model.h"

namespace fhir::model::internal {

struct Str {
  uint32_t offset;
  uint32_t size;
};

// Bits of ElementRow::flags. Must match F_* in tools/gen_fhir_model.py.
enum ElementFlag : uint8_t {
  kFlagSummary = 1,
  kFlagModifier = 2,
  kFlagChoice = 4,
  kFlagArray = 8,  // the JSON form is an array (base max is not 1)
  kFlagContentReference = 16,
};

inline constexpr uint32_t kUnbounded = 0xFFFFFFFF;
inline constexpr uint32_t kMaxChildren = kMaxElementChildren;

struct TypeRow {
  Str name;
  TypeKind kind;
  PrimitiveType primitive;
  uint32_t elements_begin;  // top-level elements: kElements[begin, begin + count)
  uint32_t elements_count;
  Str base;  // base type name ("Quantity" for Age and SimpleQuantity), "" for Base types
};

struct ElementRow {
  Str name;             // JSON name; "value" for "value[x]"
  Str path;             // "Questionnaire.item.item"
  Str definition_path;  // "Questionnaire.item" when this is a contentReference, else `path`
  uint32_t min;
  uint32_t max;  // kUnbounded for "*"
  uint8_t flags;
  uint32_t types_begin;  // kTypeRefs[begin, begin + count)
  uint32_t types_count;
  uint32_t children_begin;  // kElements[begin, begin + count), inline (backbone) children
  uint32_t children_count;
  int32_t binding;  // index into kBindings of the REQUIRED binding, or -1
};

struct TypeRefRow {
  Str code;                // FHIR type code: "string", "Quantity", "Reference", "BackboneElement"
  int32_t type;            // kTypes index of the structure to validate against, or -1
  uint32_t targets_begin;  // kTargets[begin, begin + count): Reference/canonical target types
  uint32_t targets_count;
};

struct BindingRow {
  Str value_set;
  bool checkable;        // false: the value set could not be expanded from the inputs
  uint32_t codes_begin;  // kCodes[begin, begin + count), sorted by (code, system)
  uint32_t codes_count;
  uint32_t systems_begin;  // kSystems[begin, begin + count), sorted
  uint32_t systems_count;
};

struct CodeRow {
  Str code;
  Str system;
};

struct InvariantRow {
  Str key;
  Str severity;  // "error" or "warning"
  Str human;
  Str expression;  // FHIRPath, for reference
  Str context;     // first element path it was found on; rows sorted by key, then context
};

extern const char kStringPool[];
extern const uint32_t kStringPoolSize;
extern const TypeRow kTypes[];  // sorted by name
extern const uint32_t kTypeCount;
extern const ElementRow kElements[];
extern const TypeRefRow kTypeRefs[];
extern const uint32_t kTypeRefCount;
extern const Str kTargets[];
extern const uint32_t kTargetCount;
extern const BindingRow kBindings[];
extern const uint32_t kBindingCount;
extern const CodeRow kCodes[];
extern const uint32_t kCodeCount;
extern const Str kSystems[];
extern const Str kResourceNames[];  // every R4 resource type name, sorted
extern const uint32_t kResourceNameCount;
extern const InvariantRow kInvariants[];  // sorted by key
extern const uint32_t kInvariantCount;

}  // namespace fhir::model::internal
