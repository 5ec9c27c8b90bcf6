#include "fhir/model/model.h"

#include <algorithm>

#include "fhir/model/tables.h"

namespace fhir::model {
namespace {

using internal::kStringPool;

std::string_view S(internal::Str s) { return std::string_view(kStringPool + s.offset, s.size); }

// `suffix` names `code` in a choice JSON name: "DateTime" for "dateTime".
bool SuffixNamesType(std::string_view suffix, std::string_view code) {
  if (suffix.size() != code.size() || suffix.empty()) return false;
  char first = code[0];
  if (first >= 'a' && first <= 'z') first = static_cast<char>(first - 'a' + 'A');
  return suffix[0] == first && suffix.substr(1) == code.substr(1);
}

const internal::TypeRow* FindTypeRow(std::string_view name) {
  const internal::TypeRow* begin = internal::kTypes;
  const internal::TypeRow* end = internal::kTypes + internal::kTypeCount;
  auto it = std::lower_bound(
      begin, end, name,
      [](const internal::TypeRow& row, std::string_view n) { return S(row.name) < n; });
  if (it == end || S(it->name) != name) return nullptr;
  return it;
}

}  // namespace

// --- Binding ---------------------------------------------------------------------------------

std::string_view Binding::value_set() const { return S(row_->value_set); }
bool Binding::checkable() const { return row_->checkable; }
size_t Binding::code_count() const { return row_->codes_count; }

bool Binding::ContainsCode(std::string_view code) const {
  const internal::CodeRow* begin = internal::kCodes + row_->codes_begin;
  const internal::CodeRow* end = begin + row_->codes_count;
  auto it = std::lower_bound(
      begin, end, code,
      [](const internal::CodeRow& row, std::string_view c) { return S(row.code) < c; });
  return it != end && S(it->code) == code;
}

bool Binding::ContainsCoding(std::string_view system, std::string_view code) const {
  const internal::CodeRow* begin = internal::kCodes + row_->codes_begin;
  const internal::CodeRow* end = begin + row_->codes_count;
  auto it = std::lower_bound(
      begin, end, code,
      [](const internal::CodeRow& row, std::string_view c) { return S(row.code) < c; });
  for (; it != end && S(it->code) == code; ++it) {
    if (S(it->system) == system) return true;
  }
  return false;
}

bool Binding::HasSystem(std::string_view system) const {
  const internal::Str* begin = internal::kSystems + row_->systems_begin;
  const internal::Str* end = begin + row_->systems_count;
  return std::any_of(begin, end, [&](const internal::Str& s) { return S(s) == system; });
}

// --- TypeRef ---------------------------------------------------------------------------------

std::string_view TypeRef::code() const { return S(row_->code); }

TypeDef TypeRef::definition() const {
  if (row_->type < 0) return TypeDef();
  return TypeDef(&internal::kTypes[row_->type]);
}

PrimitiveType TypeRef::primitive() const {
  if (row_->type < 0) return PrimitiveType::kNone;
  return internal::kTypes[row_->type].primitive;
}

size_t TypeRef::target_count() const { return row_->targets_count; }

std::string_view TypeRef::target(size_t i) const {
  return S(internal::kTargets[row_->targets_begin + i]);
}

bool TypeRef::AllowsTarget(std::string_view resource_type) const {
  if (row_->targets_count == 0) return true;
  for (size_t i = 0; i < row_->targets_count; ++i) {
    std::string_view t = target(i);
    if (t == "Resource" || t == resource_type) return true;
  }
  return false;
}

// --- ElementDef ------------------------------------------------------------------------------

std::string_view ElementDef::name() const { return S(row_->name); }
std::string_view ElementDef::path() const { return S(row_->path); }
std::string_view ElementDef::definition_path() const { return S(row_->definition_path); }
uint32_t ElementDef::min() const { return row_->min; }
uint32_t ElementDef::max() const { return row_->max; }
bool ElementDef::is_array() const { return (row_->flags & internal::kFlagArray) != 0; }
bool ElementDef::is_choice() const { return (row_->flags & internal::kFlagChoice) != 0; }
bool ElementDef::is_summary() const { return (row_->flags & internal::kFlagSummary) != 0; }
bool ElementDef::is_modifier() const { return (row_->flags & internal::kFlagModifier) != 0; }
bool ElementDef::has_content_reference() const {
  return (row_->flags & internal::kFlagContentReference) != 0;
}
size_t ElementDef::type_count() const { return row_->types_count; }
TypeRef ElementDef::type(size_t i) const {
  return TypeRef(&internal::kTypeRefs[row_->types_begin + i]);
}

TypeRef ElementDef::FindChoiceType(std::string_view suffix) const {
  if (!is_choice()) {
    if (!suffix.empty() || row_->types_count == 0) return TypeRef();
    return type(0);
  }
  for (size_t i = 0; i < row_->types_count; ++i) {
    TypeRef t = type(i);
    if (SuffixNamesType(suffix, t.code())) return t;
  }
  return TypeRef();
}

ElementList ElementDef::children() const {
  return ElementList(internal::kElements + row_->children_begin, row_->children_count);
}

Binding ElementDef::binding() const {
  if (row_->binding < 0) return Binding();
  return Binding(&internal::kBindings[row_->binding]);
}

uint32_t ElementDef::index() const { return static_cast<uint32_t>(row_ - internal::kElements); }

// --- ElementList -----------------------------------------------------------------------------

ElementDef ElementList::operator[](size_t i) const { return ElementDef(first_ + i); }

ElementDef ElementList::Find(std::string_view name) const {
  if (name.ends_with("[x]")) name.remove_suffix(3);
  for (size_t i = 0; i < count_; ++i) {
    if (S(first_[i].name) == name) return ElementDef(first_ + i);
  }
  return ElementDef();
}

std::optional<ElementMatch> ElementList::Match(std::string_view json_name) const {
  // Exact names first, so that a plain element is never mistaken for a choice type.
  for (size_t i = 0; i < count_; ++i) {
    if (S(first_[i].name) != json_name) continue;
    ElementDef element(first_ + i);
    if (element.is_choice()) return std::nullopt;  // "value" alone is not a JSON name
    TypeRef t = element.FindChoiceType({});
    if (!t) return std::nullopt;
    return ElementMatch{element, t};
  }
  for (size_t i = 0; i < count_; ++i) {
    if ((first_[i].flags & internal::kFlagChoice) == 0) continue;
    std::string_view name = S(first_[i].name);
    if (json_name.size() <= name.size() || !json_name.starts_with(name)) continue;
    ElementDef element(first_ + i);
    if (TypeRef t = element.FindChoiceType(json_name.substr(name.size()))) {
      return ElementMatch{element, t};
    }
  }
  return std::nullopt;
}

size_t ElementList::IndexOf(ElementDef element) const {
  if (!element || element.row_ < first_ || element.row_ >= first_ + count_) return count_;
  return static_cast<size_t>(element.row_ - first_);
}

// --- TypeDef ---------------------------------------------------------------------------------

std::string_view TypeDef::name() const { return S(row_->name); }
std::string_view TypeDef::base() const { return S(row_->base); }
TypeKind TypeDef::kind() const { return row_->kind; }
PrimitiveType TypeDef::primitive() const { return row_->primitive; }
ElementList TypeDef::elements() const {
  return ElementList(internal::kElements + row_->elements_begin, row_->elements_count);
}

// --- Free functions --------------------------------------------------------------------------

TypeDef FindType(std::string_view name) {
  const internal::TypeRow* row = FindTypeRow(name);
  return row == nullptr ? TypeDef() : TypeDef(row);
}

namespace {
// The abstract R4 resource types: bases of the others, never the type of an instance.
bool IsAbstractResource(std::string_view name) {
  return name == "Resource" || name == "DomainResource";
}
}  // namespace

TypeDef FindResourceType(std::string_view name) {
  TypeDef t = FindType(name);
  if (!t || t.kind() != TypeKind::kResource || IsAbstractResource(name)) return TypeDef();
  return t;
}

bool IsResourceType(std::string_view name) { return static_cast<bool>(FindResourceType(name)); }

const std::vector<std::string>& ResourceTypes() {
  static const std::vector<std::string>* const kNames = [] {
    auto* names = new std::vector<std::string>();
    for (uint32_t i = 0; i < internal::kTypeCount; ++i) {
      std::string_view name = S(internal::kTypes[i].name);
      if (internal::kTypes[i].kind == TypeKind::kResource && !IsAbstractResource(name)) {
        names->emplace_back(name);
      }
    }
    std::sort(names->begin(), names->end());
    return names;
  }();
  return *kNames;
}

bool IsR4ResourceName(std::string_view name) {
  const internal::Str* begin = internal::kResourceNames;
  const internal::Str* end = begin + internal::kResourceNameCount;
  auto it = std::lower_bound(begin, end, name,
                             [](const internal::Str& s, std::string_view n) { return S(s) < n; });
  return it != end && S(*it) == name;
}

namespace {

ElementDef FindTopLevel(std::string_view type, std::string_view element) {
  TypeDef t = FindResourceType(type);
  if (!t) return ElementDef();
  ElementList elements = t.elements();
  if (ElementDef e = elements.Find(element)) return e;
  if (auto match = elements.Match(element)) return match->element;
  return ElementDef();
}

}  // namespace

bool IsSummaryElement(std::string_view type, std::string_view element) {
  ElementDef e = FindTopLevel(type, element);
  return e && e.is_summary();
}

bool IsMandatoryElement(std::string_view type, std::string_view element) {
  ElementDef e = FindTopLevel(type, element);
  return e && e.min() >= 1;
}

ElementDef FindElement(std::string_view path) {
  size_t dot = path.find('.');
  TypeDef t = FindType(path.substr(0, dot));
  if (!t || dot == std::string_view::npos) return ElementDef();
  ElementList list = t.elements();
  ElementDef found;
  std::string_view rest = path.substr(dot + 1);
  while (true) {
    size_t next = rest.find('.');
    found = list.Find(rest.substr(0, next));
    if (!found || next == std::string_view::npos) return found;
    list = found.children();
    rest = rest.substr(next + 1);
  }
}

namespace {

InvariantInfo ToInfo(const internal::InvariantRow& row) {
  return InvariantInfo{S(row.key), S(row.severity), S(row.human), S(row.expression),
                       S(row.context)};
}

}  // namespace

std::optional<InvariantInfo> FindInvariant(std::string_view key) {
  const internal::InvariantRow* begin = internal::kInvariants;
  const internal::InvariantRow* end = begin + internal::kInvariantCount;
  auto it = std::lower_bound(
      begin, end, key,
      [](const internal::InvariantRow& row, std::string_view k) { return S(row.key) < k; });
  if (it == end || S(it->key) != key) return std::nullopt;
  return ToInfo(*it);
}

std::optional<InvariantInfo> FindInvariant(std::string_view key, std::string_view context) {
  const internal::InvariantRow* begin = internal::kInvariants;
  const internal::InvariantRow* end = begin + internal::kInvariantCount;
  auto it = std::lower_bound(
      begin, end, key,
      [](const internal::InvariantRow& row, std::string_view k) { return S(row.key) < k; });
  for (; it != end && S(it->key) == key; ++it) {
    if (S(it->context) == context) return ToInfo(*it);
  }
  return std::nullopt;
}

std::vector<InvariantInfo> AllInvariants() {
  std::vector<InvariantInfo> out;
  out.reserve(internal::kInvariantCount);
  for (uint32_t i = 0; i < internal::kInvariantCount; ++i) {
    out.push_back(ToInfo(internal::kInvariants[i]));
  }
  return out;
}

}  // namespace fhir::model
