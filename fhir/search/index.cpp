#include "fhir/search/index.h"

#include <algorithm>
#include <limits>
#include <string_view>

#include "fhir/search/registry.h"
#include "fhir/search/values.h"

namespace fhir::search {
namespace {

using json::Value;

constexpr double kLowestNumber = std::numeric_limits<double>::lowest();
constexpr double kHighestNumber = std::numeric_limits<double>::max();

// All nodes the path reaches (arrays are flattened at every step).
void Collect(const Value& node, const std::vector<PathStep>& steps, size_t i,
             std::vector<const Value*>& out) {
  if (i == steps.size()) {
    out.push_back(&node);
    return;
  }
  if (!node.is_object()) return;
  const Value* child = node.Find(steps[i].name);
  if (child == nullptr) return;
  auto visit = [&](const Value& item) {
    if (!steps[i].filter_field.empty() &&
        (!item.is_object() || item.GetString(steps[i].filter_field) != steps[i].filter_value)) {
      return;
    }
    Collect(item, steps, i + 1, out);
  };
  if (child->is_array()) {
    for (const Value& item : child->items()) visit(item);
  } else {
    visit(*child);
  }
}

// Calls f for each string value of member `key` (a single string or an array of strings).
template <typename F>
void ForEachString(const Value& obj, std::string_view key, F&& f) {
  const Value* v = obj.Find(key);
  if (v == nullptr) return;
  if (v->is_string()) {
    f(v->text());
  } else if (v->is_array()) {
    for (const Value& item : v->items()) {
      if (item.is_string()) f(item.text());
    }
  }
}

std::optional<std::string> OptionalString(const Value& obj, std::string_view key) {
  const Value* v = obj.Find(key);
  if (v == nullptr || !v->is_string() || v->text().empty()) return std::nullopt;
  return v->text();
}

// The resource type of a RESTful URL ".../Type/id", or empty.
std::string_view UrlResourceType(std::string_view url) {
  size_t last = url.rfind('/');
  if (last == std::string_view::npos || last == 0) return {};
  size_t prev = url.rfind('/', last - 1);
  if (prev == std::string_view::npos) return {};
  std::string_view type = url.substr(prev + 1, last - prev - 1);
  return IsResourceType(type) ? type : std::string_view();
}

class Extractor {
 public:
  explicit Extractor(std::vector<IndexEntry>& out) : out_(out) {}

  void Extract(const SearchParamDef& def, const ExtractionPath& path, const Value& node) {
    def_ = &def;
    path_ = &path;
    const std::string& t = path.element_type;
    switch (def.type) {
      case ParamType::kString:
        String(node, t);
        break;
      case ParamType::kToken:
        Token(node, t);
        break;
      case ParamType::kReference:
        Reference(node, t);
        break;
      case ParamType::kDate:
        Date(node, t);
        break;
      case ParamType::kNumber:
        Number(node);
        break;
      case ParamType::kQuantity:
        Quantity(node, t);
        break;
      case ParamType::kUri:
        Uri(node);
        break;
      case ParamType::kComposite:
      case ParamType::kSpecial:
        break;
    }
  }

 private:
  IndexEntry& Add() {
    IndexEntry& e = out_.emplace_back();
    e.param = def_->code;
    e.type = def_->type;
    return e;
  }

  void AddString(std::string_view s) {
    if (s.empty()) return;
    IndexEntry& e = Add();
    e.text = NormalizeString(s);
    e.exact = std::string(s);
  }

  void String(const Value& node, const std::string& t) {
    if (node.is_string()) {
      AddString(node.text());
      return;
    }
    if (!node.is_object()) return;
    auto add = [&](const std::string& s) { AddString(s); };
    if (t == "HumanName") {
      for (std::string_view key : {"family", "given", "prefix", "suffix", "text"}) {
        ForEachString(node, key, add);
      }
    } else if (t == "Address") {
      for (std::string_view key :
           {"line", "city", "district", "state", "postalCode", "country", "text"}) {
        ForEachString(node, key, add);
      }
    }
  }

  void AddToken(std::optional<std::string> system, std::optional<std::string> code,
                std::string_view text) {
    if (!code && text.empty()) return;
    IndexEntry& e = Add();
    e.system = std::move(system);
    e.code = std::move(code);
    if (!text.empty()) e.text = NormalizeString(text);
  }

  void Coding(const Value& coding) {
    if (!coding.is_object()) return;
    std::optional<std::string> code = OptionalString(coding, "code");
    std::optional<std::string> system = OptionalString(coding, "system");
    std::string_view display = coding.GetString("display");
    if (!code && !system) {
      AddToken(std::nullopt, std::nullopt, display);
      return;
    }
    IndexEntry& e = Add();
    e.system = std::move(system);
    e.code = std::move(code);
    if (!display.empty()) e.text = NormalizeString(display);
  }

  void Token(const Value& node, const std::string& t) {
    if (node.is_bool()) {
      AddToken(std::nullopt, node.boolean() ? "true" : "false", {});
      return;
    }
    if (node.is_string()) {
      if (!node.text().empty()) AddToken(std::nullopt, node.text(), {});
      return;
    }
    if (!node.is_object()) return;
    if (t == "CodeableConcept") {
      if (const Value* codings = node.Find("coding"); codings && codings->is_array()) {
        for (const Value& c : codings->items()) Coding(c);
      }
      AddToken(std::nullopt, std::nullopt, node.GetString("text"));
    } else if (t == "Coding") {
      Coding(node);
    } else if (t == "Identifier") {
      std::optional<std::string> value = OptionalString(node, "value");
      if (!value) return;
      std::string_view type_text;
      if (const Value* type = node.Find("type"); type && type->is_object()) {
        type_text = type->GetString("text");
      }
      AddToken(OptionalString(node, "system"), std::move(value), type_text);
    } else if (t == "ContactPoint") {
      std::optional<std::string> value = OptionalString(node, "value");
      if (value) AddToken(OptionalString(node, "system"), std::move(value), {});
    }
  }

  void Reference(const Value& node, const std::string& t) {
    if (node.is_string()) {  // canonical or uri
      ParsedReference ref = ParseReference(node.text());
      if (ref.url.empty() && ref.id.empty()) return;
      if (!path_->resolve_type.empty() && ref.type != path_->resolve_type) return;
      IndexEntry& e = Add();
      e.target_type = ref.type;
      e.target_id = ref.id;
      e.target_version = ref.version;
      e.url = ref.url;
      return;
    }
    if (!node.is_object() || t != "Reference") return;
    std::string_view reference = node.GetString("reference");
    ParsedReference ref = ParseReference(reference);
    std::string_view declared_type = node.GetString("type");
    if (ref.id.empty() && ref.url.empty() && !declared_type.empty() && !reference.empty() &&
        reference.find('/') == std::string_view::npos && reference[0] != '#') {
      ref.id = std::string(reference);  // {"type": "Patient", "reference": "123"}
    }
    if (ref.type.empty() && !declared_type.empty()) ref.type = std::string(declared_type);
    if (!path_->resolve_type.empty()) {  // .where(resolve() is T)
      std::string_view type = ref.type;
      if (type.empty() && !ref.url.empty()) type = UrlResourceType(ref.url);
      if (type != path_->resolve_type) return;
    }
    std::optional<std::string> ident_system, ident_value;
    if (const Value* ident = node.Find("identifier"); ident && ident->is_object()) {
      ident_system = OptionalString(*ident, "system");
      ident_value = OptionalString(*ident, "value");
    }
    if (ref.id.empty() && ref.url.empty() && !ident_value) return;
    IndexEntry& e = Add();
    if (!ref.id.empty()) e.target_type = ref.type;
    e.target_id = ref.id;
    e.target_version = ref.version;
    e.url = ref.url;
    if (ident_value) {
      e.system = std::move(ident_system);
      e.code = std::move(ident_value);
    }
    std::string_view display = node.GetString("display");
    if (!display.empty()) e.text = NormalizeString(display);
  }

  void AddDate(int64_t low, int64_t high) {
    IndexEntry& e = Add();
    e.date_low = low;
    e.date_high = high;
  }

  void Period(const Value& node) {
    if (!node.is_object()) return;
    std::optional<DateRange> start, end;
    if (std::string_view s = node.GetString("start"); !s.empty()) start = ParseDateRange(s);
    if (std::string_view s = node.GetString("end"); !s.empty()) end = ParseDateRange(s);
    if (!start && !end) return;
    AddDate(start ? start->low : kMinTime, end ? end->high : kMaxTime);
  }

  void Date(const Value& node, const std::string& t) {
    if (node.is_string()) {
      if (std::optional<DateRange> r = ParseDateRange(node.text())) AddDate(r->low, r->high);
      return;
    }
    if (!node.is_object()) return;
    if (t == "Period") {
      Period(node);
    } else if (t == "Timing") {
      ForEachString(node, "event", [&](const std::string& s) {
        if (std::optional<DateRange> r = ParseDateRange(s)) AddDate(r->low, r->high);
      });
      if (const Value* repeat = node.Find("repeat"); repeat && repeat->is_object()) {
        if (const Value* bounds = repeat->Find("boundsPeriod")) Period(*bounds);
      }
    }
  }

  void Number(const Value& node) {
    if (!node.is_number()) return;
    std::optional<DecimalRange> r = ParseDecimalRange(node.text());
    if (!r) return;
    IndexEntry& e = Add();
    e.value_low = r->value;
    e.value_high = r->value;
    e.low = r->low;
    e.high = r->high;
  }

  void Quantity(const Value& node, const std::string& t) {
    if (!node.is_object()) return;
    if (t == "Range") {
      const Value* low = node.Find("low");
      const Value* high = node.Find("high");
      std::optional<DecimalRange> lo, hi;
      const Value* unit_source = nullptr;
      if (low && low->is_object()) {
        if (const Value* v = low->Find("value"); v && v->is_number()) {
          lo = ParseDecimalRange(v->text());
        }
        unit_source = low;
      }
      if (high && high->is_object()) {
        if (const Value* v = high->Find("value"); v && v->is_number()) {
          hi = ParseDecimalRange(v->text());
        }
        if (unit_source == nullptr || (!lo && hi)) unit_source = high;
      }
      if (!lo && !hi) return;
      IndexEntry& e = Add();
      e.value_low = lo ? lo->value : kLowestNumber;
      e.value_high = hi ? hi->value : kHighestNumber;
      e.low = lo ? lo->low : kLowestNumber;
      e.high = hi ? hi->high : kHighestNumber;
      e.system = OptionalString(*unit_source, "system");
      e.code = OptionalString(*unit_source, "code");
      e.unit = std::string(unit_source->GetString("unit"));
      return;
    }
    const Value* v = node.Find("value");
    if (v == nullptr || !v->is_number()) return;
    std::optional<DecimalRange> r = ParseDecimalRange(v->text());
    if (!r) return;
    IndexEntry& e = Add();
    e.value_low = r->value;
    e.value_high = r->value;
    e.low = r->low;
    e.high = r->high;
    if (t == "Money") {
      e.code = OptionalString(node, "currency");
      if (e.code) e.system = "urn:iso:std:iso:4217";
      return;
    }
    e.system = OptionalString(node, "system");
    e.code = OptionalString(node, "code");
    e.unit = std::string(node.GetString("unit"));
  }

  void Uri(const Value& node) {
    if (!node.is_string() || node.text().empty()) return;
    IndexEntry& e = Add();
    e.exact = node.text();
  }

  std::vector<IndexEntry>& out_;
  const SearchParamDef* def_ = nullptr;
  const ExtractionPath* path_ = nullptr;
};

}  // namespace

std::vector<IndexEntry> ExtractIndex(const json::Value& resource) {
  std::vector<IndexEntry> out;
  if (!resource.is_object()) return out;
  std::string_view type = resource.GetString("resourceType");
  Extractor extractor(out);
  std::vector<const Value*> nodes;
  for (const SearchParamDef* def : ListSearchParams(IsResourceType(type) ? type : "")) {
    if (def->code == "_id" || def->code == "_lastUpdated") continue;  // resource_versions columns
    for (const ExtractionPath& path : def->paths) {
      nodes.clear();
      Collect(resource, path.steps, 0, nodes);
      for (const Value* node : nodes) extractor.Extract(*def, path, *node);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace fhir::search
