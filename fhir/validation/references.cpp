#include "fhir/validation/references.h"

#include <string>

#include "fhir/validation/primitives.h"

namespace fhir::validation::internal {
namespace {

bool ListedTarget(model::TypeRef type, std::string_view name) {
  if (!type) return false;
  for (size_t i = 0; i < type.target_count(); ++i) {
    if (type.target(i) == name) return true;
  }
  return false;
}

std::string AllowedTargets(model::TypeRef type) {
  std::string out;
  for (size_t i = 0; i < type.target_count(); ++i) {
    if (i > 0) out.append(", ");
    out.append(type.target(i));
  }
  return out;
}

bool KnownType(std::string_view name, model::TypeRef type) {
  return model::IsR4ResourceName(name) || ListedTarget(type, name);
}

}  // namespace

std::optional<RelativeReference> ParseRelativeReference(std::string_view s,
                                                        model::TypeRef allowed_extra) {
  RelativeReference out;
  size_t cut = s.find_first_of("/?");
  if (cut == std::string_view::npos) return std::nullopt;
  out.type = s.substr(0, cut);
  if (!KnownType(out.type, allowed_extra)) return std::nullopt;
  if (s[cut] == '?') return cut + 1 < s.size() ? std::optional(out) : std::nullopt;
  std::string_view rest = s.substr(cut + 1);
  size_t slash = rest.find('/');
  out.id = rest.substr(0, slash);
  if (!IsValidId(out.id)) return std::nullopt;
  if (slash == std::string_view::npos) return out;
  rest = rest.substr(slash + 1);
  if (!rest.starts_with("_history/")) return std::nullopt;
  out.version = rest.substr(9);
  if (!IsValidId(out.version)) return std::nullopt;
  return out;
}

void CheckReference(const json::Value& reference, model::TypeRef type, Context& ctx) {
  std::string_view declared = reference.GetString("type");
  std::string_view target;
  if (const json::Value* ref = reference.Find("reference"); ref != nullptr && ref->is_string()) {
    std::string_view s = ref->text();
    PathScope scope(ctx.path(), ".reference");
    if (s.empty()) {
      // already reported as an empty string
    } else if (s[0] == '#') {
      ctx.AddLocalTarget(s.substr(1), true);
    } else if (s.starts_with("urn:uuid:")) {
      if (!IsValidUuid(s)) ctx.Error("value", "Reference is not a valid urn:uuid");
    } else if (s.starts_with("urn:oid:")) {
      if (!IsValidOid(s)) ctx.Error("value", "Reference is not a valid urn:oid");
    } else if (!HasUriScheme(s)) {
      std::optional<RelativeReference> rel = ParseRelativeReference(s, type);
      if (!rel) {
        ctx.Error("value",
                  "Reference is not a valid reference (Type/id, Type/id/_history/vid, an "
                  "absolute URL, #id for a contained resource, urn:uuid: or urn:oid:)");
      } else {
        target = rel->type;
        if (!type.AllowsTarget(target)) {
          ctx.Error("invalid", "A reference to a " + std::string(target) +
                                   " is not allowed here (allowed: " + AllowedTargets(type) + ")");
        }
      }
    }
  }
  if (declared.empty() || HasUriScheme(declared)) return;
  PathScope scope(ctx.path(), ".type");
  if (!KnownType(declared, type)) {
    ctx.Error("value", "Reference.type is not a resource type");
  } else if (!type.AllowsTarget(declared)) {
    ctx.Error("invalid", "Reference.type " + std::string(declared) +
                             " is not allowed here (allowed: " + AllowedTargets(type) + ")");
  } else if (!target.empty() && target != declared) {
    ctx.Error("value", "Reference.type does not match the type in Reference.reference");
  }
}

namespace {

void CheckCoding(const json::Value& coding, model::Binding binding, Context& ctx) {
  std::string_view system = Str(coding, "system");
  std::string_view code = Str(coding, "code");
  if (system.empty() || code.empty() || !binding.HasSystem(system)) return;
  if (!binding.ContainsCoding(system, code)) {
    ctx.Error("code-invalid",
              "The code is not in the required value set " + std::string(binding.value_set()),
              ".code");
  }
}

}  // namespace

void CheckCodings(const json::Value& value, bool codeable_concept, model::Binding binding,
                  Context& ctx) {
  if (!binding.checkable()) return;
  if (!codeable_concept) {
    CheckCoding(value, binding, ctx);
    return;
  }
  const json::Value* codings = value.Find("coding");
  if (codings == nullptr || !codings->is_array()) return;
  for (size_t i = 0; i < codings->items().size(); ++i) {
    const json::Value& coding = codings->items()[i];
    if (!coding.is_object()) continue;
    PathScope scope(ctx.path(), ".coding", i);
    CheckCoding(coding, binding, ctx);
  }
}

}  // namespace fhir::validation::internal
