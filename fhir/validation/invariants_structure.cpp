// Invariants of StructureDefinition (sdf-*) and of the ElementDefinition datatype (eld-*).

#include <cstdint>
#include <string>
#include <vector>

#include "fhir/validation/invariants.h"
#include "fhir/validation/invariants_util.h"

namespace fhir::validation::internal {
namespace {

constexpr std::string_view kCoreSd = "http://hl7.org/fhir/StructureDefinition";
constexpr std::string_view kSystemType = "http://hl7.org/fhirpath/System.";

std::span<const json::Value> ElementsOf(const json::Value& sd, std::string_view view) {
  std::span<const json::Value> v = Items(sd, view);
  return v.empty() ? v : Items(v.front(), "element");
}

bool IsRoot(const json::Value& element) {
  return Str(element, "path").find('.') == std::string_view::npos;
}

// ^[a-zA-Z0-9]+$ (or with '.') or ^http://hl7.org/fhirpath/System.[A-Z][A-Za-z]+$
bool IsCoreTypeCode(std::string_view code, bool allow_dot) {
  if (code.starts_with(kSystemType)) {
    std::string_view rest = code.substr(kSystemType.size());
    if (rest.size() < 2 || rest[0] < 'A' || rest[0] > 'Z') return false;
    for (char c : rest) {
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
    }
    return true;
  }
  if (code.empty()) return false;
  for (char c : code) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (allow_dot && c == '.');
    if (!ok) return false;
  }
  return true;
}

// Checks common to the snapshot and the differential.
void CheckView(const json::Value& sd, std::string_view view, Context& ctx) {
  std::span<const json::Value> elements = ElementsOf(sd, view);
  if (elements.empty()) return;
  bool snapshot = view == "snapshot";
  bool core = Str(sd, "url").starts_with(kCoreSd);
  bool logical = Str(sd, "kind") == "logical";
  std::string at = "." + std::string(view);
  std::vector<std::string> ids;
  bool all_ids = true;
  for (size_t i = 0; i < elements.size(); ++i) {
    const json::Value& e = elements[i];
    std::string here = at + Indexed("element", i);
    if (IsRoot(e) && (Has(e, "label") || Has(e, "code") || Has(e, "requirements"))) {
      ctx.Invariant("sdf-9", here);
    }
    if (IsRoot(e) && Has(e, "sliceName")) ctx.Invariant("sdf-23", here);
    if (!Has(e, "id")) all_ids = false;
    ids.emplace_back(Str(e, "id"));
    if (core) {
      for (const json::Value& type : Items(e, "type")) {
        if (!IsCoreTypeCode(Str(type, "code"), snapshot)) ctx.Invariant("sdf-19", here);
      }
      if (HasChoice(e, "defaultValue")) ctx.Invariant("sdf-22", here);
    }
    if (snapshot) {
      if (!Has(e, "definition") || !Has(e, "min") || !Has(e, "max")) {
        ctx.Invariant("sdf-3", here);
      }
      if (!Has(e, "base")) ctx.Invariant("sdf-8b", here);
      for (const json::Value& binding : Items(e, "binding")) {
        if (!Has(binding, "valueSet") && !Has(binding, "description")) {
          ctx.Invariant("sdf-10", here + ".binding");
        }
      }
    } else {
      if (IsRoot(e) && Has(e, "slicing")) ctx.Invariant("sdf-20", here);
      if (HasChoice(e, "defaultValue") && Str(sd, "derivation") != "specialization") {
        ctx.Invariant("sdf-21", here);
      }
    }
  }
  if (!all_ids) ctx.Invariant("sdf-14", at);
  if (!all_ids || FirstDuplicate(ids) != kNoDuplicate) {
    ctx.Invariant(snapshot ? "sdf-16" : "sdf-17", at);
  }
  std::string_view first = Str(elements.front(), "path");
  std::string_view type = Str(sd, "type");
  if (snapshot) {
    bool ok = logical || first == type;
    std::string prefix = std::string(first) + ".";
    for (size_t i = 1; i < elements.size(); ++i) {
      ok = ok && Str(elements[i], "path").starts_with(prefix);
    }
    if (!ok) ctx.Invariant("sdf-8", at);
    if (!logical && first != type) ctx.Invariant("sdf-11", at);
    if (!logical && Has(elements.front(), "type")) ctx.Invariant("sdf-15", at);
  } else {
    bool ok = logical || first.starts_with(type);
    std::string prefix = std::string(first.substr(0, first.find('.'))) + ".";
    for (size_t i = 1; i < elements.size(); ++i) {
      ok = ok && Str(elements[i], "path").starts_with(prefix);
    }
    if (!ok) ctx.Invariant("sdf-8a", at);
    if (!logical && first.find('.') == std::string_view::npos && Has(elements.front(), "type")) {
      ctx.Invariant("sdf-15a", at);
    }
  }
}

void StructureDefinition(const json::Value& obj, Context& ctx) {
  std::span<const json::Value> snapshot = Items(obj, "snapshot");
  if (Str(obj, "derivation") != "constraint" && !snapshot.empty() &&
      FirstDuplicate(Values(snapshot.front(), "element", "path")) != kNoDuplicate) {
    ctx.Invariant("sdf-1");
  }
  if (!IsTrue(obj, "abstract") && !Has(obj, "baseDefinition")) ctx.Invariant("sdf-4");
  if (Str(obj, "type") == "Extension" && Str(obj, "derivation") != "specialization" &&
      !Has(obj, "context")) {
    ctx.Invariant("sdf-5");
  }
  if (!Has(obj, "snapshot") && !Has(obj, "differential")) ctx.Invariant("sdf-6");
  if (Has(obj, "contextInvariant") && Str(obj, "type") != "Extension") ctx.Invariant("sdf-18");
  CheckView(obj, "snapshot", ctx);
  CheckView(obj, "differential", ctx);
}

void StructureDefinitionMapping(const json::Value& obj, Context& ctx) {
  if (!Has(obj, "name") && !Has(obj, "uri")) ctx.Invariant("sdf-2");
}

// --- ElementDefinition -----------------------------------------------------------------------

// A non-negative integer of at most 9 digits, or -1.
int64_t NonNegativeInteger(std::string_view s) {
  if (s.empty() || s.size() > 9) return -1;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// A path segment: 1-64 characters, none of whitespace . , : ; ' " / | ? ! @ # $ % & * ( ) [ ] { }
size_t SegmentLength(std::string_view s) {
  constexpr std::string_view kForbidden = " \t\r\n\x0B\f.,:;'\"/|?!@#$%&*()[]{}";
  size_t n = s.find_first_of(kForbidden);
  return n == std::string_view::npos ? s.size() : n;
}

// eld-19: path.matches('[^\s\.,:;\'"\/|?!@#$%&*()\[\]{}]{1,64}(\.[^...]{1,64}(\[x\])?
// (\:[^\s\.]+)?)*')
bool IsValidElementPath(std::string_view path) {
  size_t n = SegmentLength(path);
  if (n == 0 || n > 64) return false;
  path.remove_prefix(n);
  while (!path.empty()) {
    if (path[0] != '.') return false;
    path.remove_prefix(1);
    n = SegmentLength(path);
    if (n == 0 || n > 64) return false;
    path.remove_prefix(n);
    if (path.starts_with("[x]")) path.remove_prefix(3);
    if (path.starts_with(":")) {
      size_t end = path.find_first_of(" \t\r\n\x0B\f.", 1);
      if (end == 1) return false;
      path.remove_prefix(end == std::string_view::npos ? path.size() : end);
    }
  }
  return true;
}

// eld-20: path.matches('[A-Za-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*(\[x])?)*')
bool IsSimpleElementPath(std::string_view path) {
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  size_t i = 0;
  bool first = true;
  while (true) {
    if (i >= path.size()) return false;
    char c = path[i];
    if (first ? !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) : !(c >= 'a' && c <= 'z')) {
      return false;
    }
    while (i < path.size() && alnum(path[i])) ++i;
    if (!first && path.substr(i).starts_with("[x]")) i += 3;
    if (i == path.size()) return true;
    if (path[i] != '.') return false;
    ++i;
    first = false;
  }
}

bool IsSliceName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '-' || c == '_' || c == '[' || c == ']' || c == '@';
    if (!ok) return false;
  }
  return true;
}

void ElementDefinition(const json::Value& obj, Context& ctx) {
  std::string_view max = Str(obj, "max");
  const json::Value* min = obj.Find("min");
  int64_t max_value = NonNegativeInteger(max);
  if (min != nullptr && min->is_number() && max_value >= 0 &&
      NonNegativeInteger(min->text()) > max_value) {
    ctx.Invariant("eld-2");
  }
  if (!max.empty() && max != "*" && max_value < 0) ctx.Invariant("eld-3", ".max");
  if (Has(obj, "contentReference") &&
      (Has(obj, "type") || HasChoice(obj, "defaultValue") || HasChoice(obj, "fixed") ||
       HasChoice(obj, "pattern") || Has(obj, "example") || HasChoice(obj, "minValue") ||
       HasChoice(obj, "maxValue") || Has(obj, "maxLength") || Has(obj, "binding"))) {
    ctx.Invariant("eld-5");
  }
  size_t types = Count(obj, "type");
  bool fixed = HasChoice(obj, "fixed");
  bool pattern = HasChoice(obj, "pattern");
  if (fixed && types > 1) ctx.Invariant("eld-6");
  if (pattern && types > 1) ctx.Invariant("eld-7");
  if (pattern && fixed) ctx.Invariant("eld-8");
  std::vector<std::string> codes = Values(obj, "type", "code");
  if (Has(obj, "binding") && !codes.empty()) {
    bool coded = false;
    for (const std::string& c : codes) {
      coded = coded || c == "code" || c == "Coding" || c == "CodeableConcept" || c == "Quantity" ||
              c == "string" || c == "uri";
    }
    bool any_code = false;
    for (const std::string& c : codes) any_code = any_code || !c.empty();
    if (any_code && !coded) ctx.Invariant("eld-11");
  }
  if (FirstDuplicate(codes) != kNoDuplicate) ctx.Invariant("eld-13");
  if (FirstDuplicate(Values(obj, "constraint", "key")) != kNoDuplicate) ctx.Invariant("eld-14");
  if (HasChoice(obj, "defaultValue") && Has(obj, "meaningWhenMissing")) ctx.Invariant("eld-15");
  if (Has(obj, "sliceName") && !IsSliceName(Str(obj, "sliceName"))) ctx.Invariant("eld-16");
  if (IsTrue(obj, "isModifier") && !Has(obj, "isModifierReason")) ctx.Invariant("eld-18");
  std::string_view path = Str(obj, "path");
  if (!path.empty() && !IsValidElementPath(path)) ctx.Invariant("eld-19", ".path");
  if (!path.empty() && !IsSimpleElementPath(path)) ctx.Invariant("eld-20", ".path");
  if (Has(obj, "sliceIsConstraining") && !Has(obj, "sliceName")) ctx.Invariant("eld-22");
}

void ElementDefinitionSlicing(const json::Value& obj, Context& ctx) {
  if (!Has(obj, "discriminator") && !Has(obj, "description")) ctx.Invariant("eld-1");
}

void ElementDefinitionType(const json::Value& obj, Context& ctx) {
  std::string_view code = Str(obj, "code");
  bool reference = code == "Reference" || code == "canonical";
  if (Has(obj, "aggregation") && !reference) ctx.Invariant("eld-4");
  if (Has(obj, "targetProfile") && !reference) ctx.Invariant("eld-17");
}

void ElementDefinitionBinding(const json::Value& obj, Context& ctx) {
  std::string_view vs = Str(obj, "valueSet");
  if (Has(obj, "valueSet") && !vs.starts_with("http:") && !vs.starts_with("https") &&
      !vs.starts_with("urn:")) {
    ctx.Invariant("eld-12");
  }
}

void ElementDefinitionConstraint(const json::Value& obj, Context& ctx) {
  if (!Has(obj, "expression")) ctx.Invariant("eld-21");
}

constexpr InvariantEntry kEntries[] = {
    {"ElementDefinition", ElementDefinition},
    {"ElementDefinition.binding", ElementDefinitionBinding},
    {"ElementDefinition.constraint", ElementDefinitionConstraint},
    {"ElementDefinition.slicing", ElementDefinitionSlicing},
    {"ElementDefinition.type", ElementDefinitionType},
    {"StructureDefinition", StructureDefinition},
    {"StructureDefinition.mapping", StructureDefinitionMapping},
};

}  // namespace

std::span<const InvariantEntry> StructureInvariants() { return kEntries; }

}  // namespace fhir::validation::internal
