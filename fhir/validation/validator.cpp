#include "fhir/validation/validator.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "fhir/model/model.h"
#include "fhir/validation/context.h"
#include "fhir/validation/invariants.h"
#include "fhir/validation/primitives.h"
#include "fhir/validation/references.h"

namespace fhir::validation {
namespace {

using internal::Context;
using internal::PathScope;
using internal::ResourceFrame;
using model::ElementDef;
using model::ElementList;
using model::PrimitiveType;
using model::TypeDef;
using model::TypeKind;
using model::TypeRef;

enum class ObjectKind { kElement, kResource, kContainedResource };

// Appends the path segment of a property: ".name", or ".name.ofType(Type)" for a choice.
void AppendSegment(internal::Path& path, ElementDef element, TypeRef type) {
  path.Append(".");
  path.Append(element.name());
  if (element.is_choice()) {
    path.Append(".ofType(");
    path.Append(type.code());
    path.Append(")");
  }
}

// A resource type name safe to repeat in diagnostics (letters only), else a placeholder.
std::string_view SafeTypeName(std::string_view name) {
  if (name.empty() || name.size() > 64) return "(invalid)";
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return "(invalid)";
  }
  return name;
}

// Letters, digits and '_' (an element name, possibly with its '_' prefix), at most 64, with a
// letter after the optional '_'. A key of digits (an identifier such as a fødselsnummer) may be
// data and is not repeated.
bool IsPlausibleName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  std::string_view first = name[0] == '_' ? name.substr(1) : name;
  if (first.empty() || !std::isalpha(static_cast<unsigned char>(first[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "valueString" and "_valueString" name the same choice.
bool SameChoice(std::string_view member, std::string_view base) {
  if (!member.empty() && member[0] == '_') member.remove_prefix(1);
  return member == base;
}

const json::Value* FindUnderscore(const json::Value& obj, std::string_view name) {
  for (const auto& [key, value] : obj.members()) {
    if (key.size() == name.size() + 1 && key[0] == '_' && key.compare(1, name.size(), name) == 0) {
      return &value;
    }
  }
  return nullptr;
}

class Walker {
 public:
  explicit Walker(IssueList& issues) : ctx_(issues) {}

  void ValidateRoot(const json::Value& resource) {
    if (!resource.is_object()) {
      ctx_.Error("structure", "A resource must be a JSON object");
      return;
    }
    ValidateResource(resource, /*contained=*/false, {}, 0);
    ctx_.FinishIssues();
  }

 private:
  void ValidateResource(const json::Value& v, bool contained, std::string_view expected, int depth);
  void ValidateObject(const json::Value& obj, ElementList elements, std::string_view definition,
                      ObjectKind kind, int depth);
  // Validates one property (value and/or `_name` extension); returns how many values it has.
  uint32_t ValidateProperty(ElementDef element, TypeRef type, const json::Value* value,
                            const json::Value* ext, int depth);
  void ValidateSingle(ElementDef element, TypeRef type, const json::Value* value,
                      const json::Value* ext, int depth);
  void ValidatePrimitive(ElementDef element, TypeRef type, const json::Value& value);
  void CheckContainedRules(const json::Value& v);
  // Records the "#id" references anywhere in `v` (a resource we cannot validate).
  void CollectLocalReferences(const json::Value& v, int depth);
  void FinishFrame();

  Context ctx_;
};

void Walker::ValidateResource(const json::Value& v, bool contained, std::string_view expected,
                              int depth) {
  if (contained) CheckContainedRules(v);
  const json::Value* rt = v.Find("resourceType");
  if (rt == nullptr) {
    ctx_.Error("required", "Missing resourceType");
    return;
  }
  if (!rt->is_string() || rt->text().empty()) {
    ctx_.Error("structure", "resourceType must be a non-empty JSON string");
    return;
  }
  TypeDef type = model::FindResourceType(rt->text());
  if (!type) {
    ctx_.Error("not-supported",
               "Resource type '" + std::string(SafeTypeName(rt->text())) + "' is not supported");
    // Its references still count for dom-3 (so only the not-supported issue is reported).
    if (contained) CollectLocalReferences(v, depth);
    return;
  }
  if (!expected.empty() && expected != "Resource" && expected != rt->text()) {
    ctx_.Error("structure", "Expected a " + std::string(expected) + " resource here");
  }
  if (depth == 0) ctx_.path().Append(type.name());
  if (contained) {
    ValidateObject(v, type.elements(), type.name(), ObjectKind::kContainedResource, depth);
    return;
  }
  ctx_.PushFrame();
  ValidateObject(v, type.elements(), type.name(), ObjectKind::kResource, depth);
  FinishFrame();
}

void Walker::CheckContainedRules(const json::Value& v) {
  if (ResourceFrame* frame = ctx_.frame()) {
    frame->contained.push_back({std::string(v.GetString("id")), ctx_.path().str(), false});
  }
  if (v.Find("id") == nullptr) {
    ctx_.Error("required", "A contained resource must have an id", ".id");
  }
  if (v.Find("contained") != nullptr) ctx_.Invariant("dom-2", ".contained");
  if (const json::Value* meta = v.Find("meta"); meta != nullptr && meta->is_object()) {
    if (internal::Has(*meta, "versionId") || internal::Has(*meta, "lastUpdated")) {
      ctx_.Invariant("dom-4", ".meta");
    }
    if (internal::Has(*meta, "security")) ctx_.Invariant("dom-5", ".meta.security");
  }
}

void Walker::CollectLocalReferences(const json::Value& v, int depth) {
  if (depth > kMaxValidationDepth) return;
  if (v.is_array()) {
    for (const json::Value& item : v.items()) CollectLocalReferences(item, depth + 1);
  } else if (v.is_object()) {
    for (const auto& [key, value] : v.members()) {
      if (key == "reference" && value.is_string() && value.text().starts_with("#")) {
        ctx_.AddLocalTarget(std::string_view(value.text()).substr(1), false);
      } else {
        CollectLocalReferences(value, depth + 1);
      }
    }
  }
}

void Walker::FinishFrame() {
  ResourceFrame frame = ctx_.PopFrame();
  std::sort(frame.local_targets.begin(), frame.local_targets.end());
  for (const ResourceFrame::Contained& c : frame.contained) {
    if (c.id.empty() || c.refers_to_container ||
        std::binary_search(frame.local_targets.begin(), frame.local_targets.end(), c.id)) {
      continue;
    }
    ctx_.InvariantAt("dom-3", c.path);
  }
  for (const ResourceFrame::LocalReference& r : frame.references) {
    bool ok = r.id.empty() ? r.inside_contained
                           : std::any_of(frame.contained.begin(), frame.contained.end(),
                                         [&](const auto& c) { return c.id == r.id; });
    if (!ok) ctx_.InvariantAt("ref-1", r.path);
  }
}

void Walker::ValidateObject(const json::Value& obj, ElementList elements,
                            std::string_view definition, ObjectKind kind, int depth) {
  if (depth > kMaxValidationDepth) {
    ctx_.Error("too-costly", "Content nested too deeply to validate");
    return;
  }
  if (obj.members().empty()) {
    ctx_.Error("structure", "Empty objects are not allowed (ele-1)");
    return;
  }
  // Per element of `elements`: how many values it has, and for a choice the member (index + 1)
  // that chose its type.
  std::array<uint32_t, model::kMaxElementChildren> counts{};
  std::array<uint32_t, model::kMaxElementChildren> chosen{};
  const std::vector<json::Value::Member>& members = obj.members();
  bool is_resource = kind != ObjectKind::kElement;
  for (size_t m = 0; m < members.size(); ++m) {
    const auto& [name, value] = members[m];
    if (is_resource && name == "resourceType") continue;
    std::string_view base = name;
    bool extension_only = false;
    if (!base.empty() && base[0] == '_') {
      base.remove_prefix(1);
      if (obj.Find(base) != nullptr) continue;  // handled with its value
      extension_only = true;
    }
    std::optional<model::ElementMatch> match = elements.Match(base);
    if (!match || (extension_only && match->type.primitive() == PrimitiveType::kNone)) {
      if (IsPlausibleName(name)) {
        ctx_.Error("structure", "Unknown element '" + name + "'", "." + name);
      } else {  // do not repeat a key that may be data
        ctx_.Error("structure", "Unknown element (not a valid element name)");
      }
      continue;
    }
    if (kind == ObjectKind::kContainedResource && base == "contained") continue;  // dom-2
    size_t index = elements.IndexOf(match->element);
    if (match->element.is_choice()) {
      if (chosen[index] != 0 && !SameChoice(members[chosen[index] - 1].first, base)) {
        ctx_.Error("structure",
                   "Only one type may be given for choice element '" +
                       std::string(match->element.name()) + "[x]'",
                   "." + std::string(match->element.name()));
        continue;
      }
      chosen[index] = static_cast<uint32_t>(m + 1);
    }
    const json::Value* ext = nullptr;
    const json::Value* val = &value;
    if (extension_only) {
      ext = &value;
      val = nullptr;
    } else if (match->type.primitive() != PrimitiveType::kNone) {
      ext = FindUnderscore(obj, name);
    }
    PathScope scope(ctx_.path());
    AppendSegment(ctx_.path(), match->element, match->type);
    counts[index] += ValidateProperty(match->element, match->type, val, ext, depth);
  }
  for (size_t i = 0; i < elements.size(); ++i) {
    ElementDef e = elements[i];
    if (counts[i] < e.min()) {
      std::string what = std::string(e.name()) + (e.is_choice() ? "[x]" : "");
      ctx_.Error(
          "required",
          "Missing required element '" + what + "' (minimum " + std::to_string(e.min()) + ")",
          "." + std::string(e.name()));
    } else if (counts[i] > e.max()) {
      std::string what = std::string(e.name()) + (e.is_choice() ? "[x]" : "");
      ctx_.Error("structure",
                 e.max() == 0 ? "Element '" + what + "' is not allowed here"
                              : "Too many values for '" + what + "' (maximum " +
                                    std::to_string(e.max()) + ")",
                 "." + std::string(e.name()));
    }
  }
  internal::RunInvariants(definition, obj, ctx_);
}

uint32_t Walker::ValidateProperty(ElementDef element, TypeRef type, const json::Value* value,
                                  const json::Value* ext, int depth) {
  if (!element.is_array()) {
    if ((value != nullptr && value->is_array()) || (ext != nullptr && ext->is_array())) {
      ctx_.Error("structure", "Element '" + std::string(element.name()) +
                                  "' has at most one value and must not be a JSON array");
      return 1;
    }
    if (value != nullptr && value->is_null()) {
      ctx_.Error("structure", "null is not allowed");
      value = nullptr;
      if (ext == nullptr) return 0;
    }
    if (ext != nullptr && ext->is_null()) {
      ctx_.Error("structure", "null is not allowed");
      ext = nullptr;
      if (value == nullptr) return 0;
    }
    ValidateSingle(element, type, value, ext, depth);
    return 1;
  }
  if ((value != nullptr && !value->is_array()) || (ext != nullptr && !ext->is_array())) {
    ctx_.Error("structure",
               "Element '" + std::string(element.name()) + "' repeats and must be a JSON array");
    return 1;
  }
  size_t n_values = value != nullptr ? value->items().size() : 0;
  size_t n_ext = ext != nullptr ? ext->items().size() : 0;
  if ((value != nullptr && n_values == 0) || (ext != nullptr && n_ext == 0)) {
    ctx_.Error("structure", "Empty arrays are not allowed");
    return 0;
  }
  if (value != nullptr && ext != nullptr && n_values != n_ext) {
    ctx_.Error("structure", "The value array and the '_" + std::string(element.name()) +
                                "' extension array must have the same length");
  }
  uint32_t count = 0;
  for (size_t i = 0; i < std::max(n_values, n_ext); ++i) {
    const json::Value* v = i < n_values ? &value->items()[i] : nullptr;
    const json::Value* e = i < n_ext ? &ext->items()[i] : nullptr;
    if (v != nullptr && v->is_null()) v = nullptr;
    if (e != nullptr && e->is_null()) e = nullptr;
    PathScope scope(ctx_.path(), "", i);
    if (v == nullptr && e == nullptr) {
      ctx_.Error("structure",
                 "null is only allowed in a primitive array where the matching '_' extension "
                 "array has a value");
      continue;
    }
    ValidateSingle(element, type, v, e, depth);
    ++count;
  }
  return count;
}

void Walker::ValidateSingle(ElementDef element, TypeRef type, const json::Value* value,
                            const json::Value* ext, int depth) {
  TypeDef def = type.definition();
  if (type.primitive() != PrimitiveType::kNone) {
    if (value != nullptr) ValidatePrimitive(element, type, *value);
    if (ext != nullptr) {
      if (type.primitive() == PrimitiveType::kXhtml) {
        ctx_.Error("structure", "xhtml values cannot have extensions");
      } else if (!ext->is_object()) {
        ctx_.Error("structure", "A primitive's '_' extension must be a JSON object");
      } else {
        ValidateObject(*ext, def.elements(), def.name(), ObjectKind::kElement, depth + 1);
      }
    }
    return;
  }
  if (value == nullptr) return;
  if (!value->is_object()) {
    ctx_.Error("structure", "Element '" + std::string(element.name()) + "' must be a JSON object");
    return;
  }
  if (type.code() == "Resource" || (def && def.kind() == TypeKind::kResource)) {
    bool contained = element.name() == "contained" && element.path().ends_with(".contained");
    if (contained) {
      ResourceFrame* frame = ctx_.frame();
      if (frame != nullptr) frame->current_contained = static_cast<int>(frame->contained.size());
      ValidateResource(*value, true, type.code(), depth + 1);
      if (frame != nullptr) frame->current_contained = -1;
    } else {
      ValidateResource(*value, false, type.code(), depth + 1);
    }
    return;
  }
  if (!def) {  // BackboneElement / Element: inline children
    ValidateObject(*value, element.children(), element.definition_path(), ObjectKind::kElement,
                   depth + 1);
    return;
  }
  ValidateObject(*value, def.elements(), def.name(), ObjectKind::kElement, depth + 1);
  std::string_view code = type.code();
  if (code == "Reference") {
    internal::CheckReference(*value, type, ctx_);
  } else if (code == "Extension") {
    // Extensions nested in a complex extension may name themselves relatively ("day").
    std::string_view url = value->GetString("url");
    if (!url.empty() && element.path() != "Extension.extension" && !HasUriScheme(url)) {
      ctx_.Error("value", "Extension url must be an absolute URI", ".url");
    }
  } else if (code == "Coding" || code == "CodeableConcept") {
    if (model::Binding binding = element.binding()) {
      internal::CheckCodings(*value, code == "CodeableConcept", binding, ctx_);
    }
  }
}

void Walker::ValidatePrimitive(ElementDef element, TypeRef type, const json::Value& value) {
  PrimitiveType p = type.primitive();
  if (std::optional<PrimitiveError> error = CheckPrimitive(p, value)) {
    std::string what = std::string(element.name());
    ctx_.Error(error->code, "Value of '" + what + "' (" + std::string(type.code()) + ") " +
                                std::string(error->message));
    return;
  }
  if (p == PrimitiveType::kCode) {
    model::Binding binding = element.binding();
    if (binding && binding.checkable() && !binding.ContainsCode(value.text())) {
      ctx_.Error("code-invalid", "The code of '" + std::string(element.name()) +
                                     "' is not in the required value set " +
                                     std::string(binding.value_set()));
    }
  } else if (p == PrimitiveType::kCanonical || p == PrimitiveType::kUri ||
             p == PrimitiveType::kUrl) {
    std::string_view s = value.text();
    if (!s.empty() && s[0] == '#') ctx_.AddLocalTarget(s.substr(1), false);
  }
}

}  // namespace

void ValidateResource(const json::Value& resource, IssueList& issues) {
  Walker walker(issues);
  walker.ValidateRoot(resource);
}

}  // namespace fhir::validation
