#pragma once
// The FHIR R4 structural model: the 43 supported resource types and all R4 datatypes, with
// their elements (cardinality, types, choice types, backbone children, contentReference),
// summary/modifier flags and the codes of every REQUIRED binding. Backed by constant tables
// generated from the official StructureDefinitions (tools/gen_fhir_model.py); every lookup is
// allocation-free and thread-safe.
//
// The handle classes (TypeDef, ElementDef, TypeRef, Binding, ElementList) are small values
// pointing into those tables; a default-constructed handle is "not found" (operator bool).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fhir::model {

namespace internal {
struct TypeRow;
struct ElementRow;
struct TypeRefRow;
struct BindingRow;
}  // namespace internal

inline constexpr uint32_t kUnboundedMax = 0xFFFFFFFF;  // ElementDef::max() for "*"
// No type or backbone element has more children than this (the generated tables assert it),
// so per-child state can live in fixed-size arrays.
inline constexpr size_t kMaxElementChildren = 128;

enum class TypeKind : uint8_t { kPrimitive, kComplex, kResource };

// The R4 primitive types. Order must match PRIMITIVES in tools/gen_fhir_model.py (by name).
enum class PrimitiveType : uint8_t {
  kNone,  // not a primitive
  kBase64Binary,
  kBoolean,
  kCanonical,
  kCode,
  kDate,
  kDateTime,
  kDecimal,
  kId,
  kInstant,
  kInteger,
  kMarkdown,
  kOid,
  kPositiveInt,
  kString,
  kTime,
  kUnsignedInt,
  kUri,
  kUrl,
  kUuid,
  kXhtml,
};

class ElementList;
class TypeDef;

// A REQUIRED binding with its expanded codes.
class Binding {
 public:
  Binding() = default;
  explicit operator bool() const { return row_ != nullptr; }
  std::string_view value_set() const;  // canonical URL, without version
  // False when the value set could not be expanded from the definitions (e.g. it draws on an
  // external code system such as BCP-13 mime types); such bindings are not checked.
  bool checkable() const;
  bool ContainsCode(std::string_view code) const;  // from any system of the value set
  bool ContainsCoding(std::string_view system, std::string_view code) const;
  bool HasSystem(std::string_view system) const;
  size_t code_count() const;

 private:
  friend class ElementDef;
  explicit Binding(const internal::BindingRow* row) : row_(row) {}
  const internal::BindingRow* row_ = nullptr;
};

// One allowed type of an element.
class TypeRef {
 public:
  TypeRef() = default;
  explicit operator bool() const { return row_ != nullptr; }
  // The FHIR type code: "string", "Quantity", "Reference", "BackboneElement", "Resource", ...
  std::string_view code() const;
  // The structure a value of this type is validated against: the datatype (SimpleQuantity for
  // a Quantity profiled as such), primitive or resource type. Empty for "BackboneElement" and
  // "Element" (the element's own children apply) and for "Resource" (any resource).
  TypeDef definition() const;
  PrimitiveType primitive() const;  // kNone unless a primitive type
  // Target types of a Reference or canonical ("Patient", "Resource", ...); empty: any.
  size_t target_count() const;
  std::string_view target(size_t i) const;
  // True if a reference to `resource_type` is allowed: no targets listed, or "Resource" is
  // listed, or the type is.
  bool AllowsTarget(std::string_view resource_type) const;

 private:
  friend class ElementDef;
  explicit TypeRef(const internal::TypeRefRow* row) : row_(row) {}
  const internal::TypeRefRow* row_ = nullptr;
};

// One element (snapshot ElementDefinition) of a type or backbone element.
class ElementDef {
 public:
  ElementDef() = default;
  explicit operator bool() const { return row_ != nullptr; }
  bool operator==(const ElementDef& other) const { return row_ == other.row_; }

  std::string_view name() const;  // JSON name; "value" for "value[x]"
  std::string_view path() const;  // "Questionnaire.item.item"
  // Where the definition comes from: the contentReference target ("Questionnaire.item") or
  // path(). Backbone invariants are keyed by this.
  std::string_view definition_path() const;
  uint32_t min() const;
  uint32_t max() const;   // kUnboundedMax for "*"
  bool is_array() const;  // the JSON form is an array (the base definition repeats)
  bool is_choice() const;
  bool is_summary() const;
  bool is_modifier() const;
  bool has_content_reference() const;

  size_t type_count() const;
  TypeRef type(size_t i) const;
  // For a choice element, the type named by `suffix` ("Quantity", "DateTime": the JSON name
  // minus name()); for other elements the single type when `suffix` is empty.
  TypeRef FindChoiceType(std::string_view suffix) const;
  // Inline children (BackboneElement / Element, or the contentReference target's).
  ElementList children() const;
  Binding binding() const;  // the REQUIRED binding, if any

  uint32_t index() const;  // unique and dense over the model's elements

 private:
  friend class ElementList;
  explicit ElementDef(const internal::ElementRow* row) : row_(row) {}
  const internal::ElementRow* row_ = nullptr;
};

// The result of resolving a JSON property name against an ElementList.
struct ElementMatch {
  ElementDef element;
  TypeRef type;  // the type the property carries (the chosen one for choice elements)
};

// The children of a type or of a backbone element, in snapshot order.
class ElementList {
 public:
  ElementList() = default;
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  ElementDef operator[](size_t i) const;
  // By element name ("value" or "value[x]" for a choice).
  ElementDef Find(std::string_view name) const;
  // By JSON property name ("birthDate", "valueQuantity"; no leading '_'). Empty if unknown.
  std::optional<ElementMatch> Match(std::string_view json_name) const;
  // Position of `element` in this list, or size() if it is not a member.
  size_t IndexOf(ElementDef element) const;

 private:
  friend class ElementDef;
  friend class TypeDef;
  ElementList(const internal::ElementRow* first, size_t count) : first_(first), count_(count) {}
  const internal::ElementRow* first_ = nullptr;
  size_t count_ = 0;
};

// A datatype (primitive or complex, including constraints such as SimpleQuantity) or one of
// the supported resource types.
class TypeDef {
 public:
  TypeDef() = default;
  explicit operator bool() const { return row_ != nullptr; }
  bool operator==(const TypeDef& other) const { return row_ == other.row_; }
  std::string_view name() const;
  std::string_view base() const;  // "Quantity" for Age, SimpleQuantity; "DomainResource", ...
  TypeKind kind() const;
  PrimitiveType primitive() const;
  // Top-level elements. For primitives: id and extension (the value is the JSON value).
  ElementList elements() const;

 private:
  friend class TypeRef;
  friend TypeDef FindType(std::string_view name);
  explicit TypeDef(const internal::TypeRow* row) : row_(row) {}
  const internal::TypeRow* row_ = nullptr;
};

// An invariant (constraint) declared in the definitions. A key is usually one rule declared on
// one or more elements; R4 also gives different rules the same key (inv-1 on
// Parameters.parameter, Task and TestReport.setup.action): each rule is its own invariant.
struct InvariantInfo {
  std::string_view key;         // "que-1"
  std::string_view severity;    // "error" or "warning"
  std::string_view human;       // the human-readable rule
  std::string_view expression;  // its FHIRPath
  std::string_view context;     // the first element path it is declared on
};

// --- Resource types --------------------------------------------------------------------------

// One of the 146 concrete R4 resource types (not the abstract Resource and DomainResource).
// Every one can be validated, contained and carried in a Bundle; which of them the REST API
// serves is configuration (fhir/served_types.h).
bool IsResourceType(std::string_view name);
// The concrete resource types, sorted.
const std::vector<std::string>& ResourceTypes();
// Any R4 resource type name, abstract ones included, as allowed in references.
bool IsR4ResourceName(std::string_view name);

// --- Element properties, for _summary and _elements ------------------------------------------

// True if top-level `element` of resource `type` is a summary element. `element` may be an
// element name ("value" / "value[x]") or a JSON name ("valueQuantity"). False if unknown.
bool IsSummaryElement(std::string_view type, std::string_view element);
// True if top-level `element` of resource `type` has min >= 1.
bool IsMandatoryElement(std::string_view type, std::string_view element);

// --- Lookups ---------------------------------------------------------------------------------

// A datatype or supported resource type by name; empty if unknown.
TypeDef FindType(std::string_view name);
// A supported resource type; empty if unknown or not a resource.
TypeDef FindResourceType(std::string_view name);
// An element by its dotted path ("Questionnaire.item.item.linkId"), following backbone
// children and contentReferences; choice elements by name ("Observation.value"). Empty if
// unknown.
ElementDef FindElement(std::string_view path);

// The invariant `key`; for a key with several rules, the one whose context sorts first.
std::optional<InvariantInfo> FindInvariant(std::string_view key);
// The rule of `key` declared on `context` (an element path, as InvariantInfo::context).
std::optional<InvariantInfo> FindInvariant(std::string_view key, std::string_view context);
// Every rule, sorted by key, then context.
std::vector<InvariantInfo> AllInvariants();

}  // namespace fhir::model
