// Invariants of the R4 datatypes (profiles-types.json), by hand from their FHIRPath.

#include <array>
#include <cctype>
#include <string>

#include "fhir/validation/invariants.h"
#include "fhir/validation/primitives.h"

namespace fhir::validation::internal {
namespace {

constexpr std::string_view kUcum = "http://unitsofmeasure.org";

// ext-1: extension.exists() != value.exists()
void Extension(const json::Value& obj, Context& ctx) {
  if (Has(obj, "extension") == HasChoice(obj, "value")) ctx.Invariant("ext-1");
}

// att-1: data.empty() or contentType.exists()
void Attachment(const json::Value& obj, Context& ctx) {
  if (Has(obj, "data") && !Has(obj, "contentType")) ctx.Invariant("att-1");
}

// cpt-2: value.empty() or system.exists()
void ContactPoint(const json::Value& obj, Context& ctx) {
  if (Has(obj, "value") && !Has(obj, "system")) ctx.Invariant("cpt-2");
}

// per-1: start.hasValue().not() or end.hasValue().not() or (start <= end)
void Period(const json::Value& obj, Context& ctx) {
  std::optional<TimeInterval> start = DateTimeInterval(Str(obj, "start"));
  std::optional<TimeInterval> end = DateTimeInterval(Str(obj, "end"));
  // Only when start is certainly after end, whatever the precision of either.
  if (start && end && start->begin_us >= end->end_us) ctx.Invariant("per-1");
}

// qty-3: code.empty() or system.exists()
void Quantity(const json::Value& obj, Context& ctx) {
  if (Has(obj, "code") && !Has(obj, "system")) ctx.Invariant("qty-3");
}

// (code.exists() or value.empty()) and (system.empty() or system = `system`)
bool CodedInSystem(const json::Value& obj, std::string_view system) {
  return (Has(obj, "code") || !Has(obj, "value")) &&
         (!Has(obj, "system") || Str(obj, "system") == system);
}

const json::Value* NumberValue(const json::Value& obj) {
  const json::Value* v = obj.Find("value");
  return v != nullptr && v->is_number() ? v : nullptr;
}

// age-1 and qty-3.
void Age(const json::Value& obj, Context& ctx) {
  Quantity(obj, ctx);
  bool ok = CodedInSystem(obj, kUcum);
  if (const json::Value* v = NumberValue(obj)) {
    std::optional<double> d = DecimalValue(v->text());
    if (d && *d <= 0) ok = false;
  }
  if (!ok) ctx.Invariant("age-1");
}

// cnt-3 and qty-3.
void Count(const json::Value& obj, Context& ctx) {
  Quantity(obj, ctx);
  bool ok = CodedInSystem(obj, kUcum) && (!Has(obj, "code") || Str(obj, "code") == "1");
  if (const json::Value* v = NumberValue(obj)) {
    if (v->text().find('.') != std::string::npos) ok = false;
  }
  if (!ok) ctx.Invariant("cnt-3");
}

// dis-1 and qty-3.
void Distance(const json::Value& obj, Context& ctx) {
  Quantity(obj, ctx);
  if (!CodedInSystem(obj, kUcum)) ctx.Invariant("dis-1");
}

// drt-1: code.exists() implies ((system = %ucum) and value.exists()); and qty-3.
void Duration(const json::Value& obj, Context& ctx) {
  Quantity(obj, ctx);
  if (Has(obj, "code") && (Str(obj, "system") != kUcum || !Has(obj, "value"))) {
    ctx.Invariant("drt-1");
  }
}

// mqty-1 and qty-3.
void MoneyQuantity(const json::Value& obj, Context& ctx) {
  Quantity(obj, ctx);
  if (!CodedInSystem(obj, "urn:iso:std:iso:4217")) ctx.Invariant("mqty-1");
}

// rng-2: low.empty() or high.empty() or (low <= high); compared only in the same unit.
void Range(const json::Value& obj, Context& ctx) {
  const json::Value* low = obj.Find("low");
  const json::Value* high = obj.Find("high");
  if (low == nullptr || high == nullptr || !low->is_object() || !high->is_object()) return;
  const json::Value* lv = NumberValue(*low);
  const json::Value* hv = NumberValue(*high);
  if (lv == nullptr || hv == nullptr) return;
  if (Str(*low, "code") != Str(*high, "code") || Str(*low, "system") != Str(*high, "system") ||
      Str(*low, "unit") != Str(*high, "unit")) {
    return;
  }
  std::optional<double> l = DecimalValue(lv->text());
  std::optional<double> h = DecimalValue(hv->text());
  if (l && h && *l > *h) ctx.Invariant("rng-2");
}

// rat-1: (numerator.empty() xor denominator.exists()) and (numerator.exists() or
// extension.exists())
void Ratio(const json::Value& obj, Context& ctx) {
  bool numerator = Has(obj, "numerator");
  bool denominator = Has(obj, "denominator");
  if (numerator != denominator || !(numerator || Has(obj, "extension"))) {
    ctx.Invariant("rat-1");
  }
}

// A decimal element's value is negative.
bool Negative(const json::Value& obj, std::string_view name) {
  const json::Value* v = obj.Find(name);
  if (v == nullptr || !v->is_number()) return false;
  std::optional<double> d = DecimalValue(v->text());
  return d && *d < 0;
}

void TimingRepeat(const json::Value& obj, Context& ctx) {
  if (Has(obj, "duration") && !Has(obj, "durationUnit")) ctx.Invariant("tim-1");
  if (Has(obj, "period") && !Has(obj, "periodUnit")) ctx.Invariant("tim-2");
  if (Negative(obj, "duration")) ctx.Invariant("tim-4");
  if (Negative(obj, "period")) ctx.Invariant("tim-5");
  if (Has(obj, "periodMax") && !Has(obj, "period")) ctx.Invariant("tim-6");
  if (Has(obj, "durationMax") && !Has(obj, "duration")) ctx.Invariant("tim-7");
  if (Has(obj, "countMax") && !Has(obj, "count")) ctx.Invariant("tim-8");
  if (Has(obj, "offset")) {
    bool ok = Has(obj, "when");
    if (const json::Value* when = obj.Find("when"); when != nullptr && when->is_array()) {
      for (const json::Value& w : when->items()) {
        if (w.is_string() &&
            (w.text() == "C" || w.text() == "CM" || w.text() == "CD" || w.text() == "CV")) {
          ok = false;
        }
      }
    }
    if (!ok) ctx.Invariant("tim-9");
  }
  if (Has(obj, "timeOfDay") && Has(obj, "when")) ctx.Invariant("tim-10");
}

// exp-1: expression.exists() or reference.exists()
void Expression(const json::Value& obj, Context& ctx) {
  if (!Has(obj, "expression") && !Has(obj, "reference")) ctx.Invariant("exp-1");
}

// drq-1 / drq-2: path.exists() xor searchParam.exists()
void CodeFilter(const json::Value& obj, Context& ctx) {
  if (Has(obj, "path") == Has(obj, "searchParam")) ctx.Invariant("drq-1");
}
void DateFilter(const json::Value& obj, Context& ctx) {
  if (Has(obj, "path") == Has(obj, "searchParam")) ctx.Invariant("drq-2");
}

void TriggerDefinition(const json::Value& obj, Context& ctx) {
  bool data = Has(obj, "data");
  bool timing = HasChoice(obj, "timing");
  if (data && timing) ctx.Invariant("trd-1");
  if (Has(obj, "condition") && !data) ctx.Invariant("trd-2");
  std::string_view type = Str(obj, "type");
  if ((type == "named-event" && !Has(obj, "name")) || (type == "periodic" && !timing) ||
      (type.starts_with("data-") && !data)) {
    ctx.Invariant("trd-3");
  }
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

// Lower-cased tag or attribute name starting at `pos`.
std::string NameAt(std::string_view s, size_t pos) {
  std::string name;
  while (pos < s.size() && (std::isalnum(static_cast<unsigned char>(s[pos])) || s[pos] == ':' ||
                            s[pos] == '-' || s[pos] == '_')) {
    name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[pos]))));
    ++pos;
  }
  return name;
}

// txt-1 (light): none of the elements R4 excludes from narrative, no event attributes (on*),
// no javascript: URLs. txt-2: some non-whitespace text, or an image.
void Narrative(const json::Value& obj, Context& ctx) {
  const json::Value* div = obj.Find("div");
  if (div == nullptr || !div->is_string()) return;
  std::string_view s = div->text();
  static constexpr std::array<std::string_view, 13> kForbidden = {
      "script", "object", "iframe", "form", "embed", "applet",  "base",
      "link",   "meta",   "head",   "body", "frame", "frameset"};
  bool forbidden = false;
  bool content = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '<') {
      if (!std::isspace(static_cast<unsigned char>(s[i]))) content = true;
      continue;
    }
    size_t end = s.find('>', i);
    if (end == std::string_view::npos) break;
    std::string_view tag = s.substr(i + 1, end - i - 1);
    if (!tag.empty() && tag[0] != '/' && tag[0] != '!' && tag[0] != '?') {
      std::string name = NameAt(tag, 0);
      if (name == "img") content = true;
      for (std::string_view f : kForbidden) forbidden = forbidden || name == f;
      char quote = 0;
      for (size_t a = name.size(); a < tag.size(); ++a) {
        if (quote != 0) {
          if (tag[a] == quote) quote = 0;
        } else if (tag[a] == '"' || tag[a] == '\'') {
          quote = tag[a];
          if (StartsWithNoCase(tag.substr(a + 1), "javascript:")) forbidden = true;
        } else if (std::isspace(static_cast<unsigned char>(tag[a])) &&
                   NameAt(tag, a + 1).starts_with("on")) {
          forbidden = true;
        }
      }
    }
    i = end;
  }
  if (forbidden) ctx.Invariant("txt-1", ".div");
  if (!content) ctx.Invariant("txt-2", ".div");
}

constexpr InvariantEntry kEntries[] = {
    {"Age", Age},
    {"Attachment", Attachment},
    {"ContactPoint", ContactPoint},
    {"Count", Count},
    {"DataRequirement.codeFilter", CodeFilter},
    {"DataRequirement.dateFilter", DateFilter},
    {"Distance", Distance},
    {"Duration", Duration},
    {"Expression", Expression},
    {"Extension", Extension},
    {"MoneyQuantity", MoneyQuantity},
    {"Narrative", Narrative},
    {"Period", Period},
    {"Quantity", Quantity},
    {"Range", Range},
    {"Ratio", Ratio},
    {"SimpleQuantity", Quantity},
    {"Timing.repeat", TimingRepeat},
    {"TriggerDefinition", TriggerDefinition},
};

}  // namespace

std::span<const InvariantEntry> DatatypeInvariants() { return kEntries; }

}  // namespace fhir::validation::internal
