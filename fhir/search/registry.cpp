#include "fhir/search/registry.h"

#include <algorithm>
#include <map>
#include <utility>

#include "fhir/search/registry_tables.h"

namespace fhir::search {
namespace {

// "relatedArtifact[type=composed-of].resource" -> steps.
std::vector<PathStep> ParsePath(std::string_view path) {
  std::vector<PathStep> steps;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = pos;
    bool in_filter = false;
    while (end < path.size() && (in_filter || path[end] != '.')) {
      if (path[end] == '[') in_filter = true;
      if (path[end] == ']') in_filter = false;
      ++end;
    }
    std::string_view part = path.substr(pos, end - pos);
    PathStep step;
    size_t bracket = part.find('[');
    if (bracket == std::string_view::npos) {
      step.name = std::string(part);
    } else {
      step.name = std::string(part.substr(0, bracket));
      std::string_view filter = part.substr(bracket + 1, part.size() - bracket - 2);
      size_t eq = filter.find('=');
      step.filter_field = std::string(filter.substr(0, eq));
      step.filter_value = std::string(filter.substr(eq + 1));
    }
    steps.push_back(std::move(step));
    if (end >= path.size()) break;
    pos = end + 1;
  }
  return steps;
}

std::vector<std::string> SplitCommas(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string_view::npos) comma = s.size();
    if (comma > pos) out.emplace_back(s.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

struct Registry {
  std::vector<std::string> types;
  // type -> code -> definition. "Resource" holds the shared parameters.
  std::map<std::string, std::map<std::string, SearchParamDef, std::less<>>, std::less<>> params;

  Registry() {
    for (size_t i = 0; i < generated::kResourceTypeCount; ++i) {
      std::string_view name = generated::kResourceTypes[i];
      // The abstract bases hold shared parameters ("Resource"), never instances.
      if (name == "Resource" || name == "DomainResource") continue;
      types.emplace_back(name);
    }
    std::sort(types.begin(), types.end());
    for (size_t i = 0; i < generated::kParamCount; ++i) {
      const generated::ParamRow& row = generated::kParams[i];
      SearchParamDef def;
      def.resource_type = row.resource_type;
      def.code = row.code;
      def.type = row.type;
      def.url = row.url;
      def.documentation = row.documentation;
      def.expression = row.expression;
      for (size_t p = row.first_path; p < row.first_path + row.path_count; ++p) {
        const generated::PathRow& path = generated::kPaths[p];
        def.paths.push_back({ParsePath(path.path), path.element_type, path.resolve_type});
      }
      def.targets = SplitCommas(row.targets);
      params[def.resource_type].emplace(def.code, std::move(def));
    }
  }
};

const Registry& GetRegistry() {
  static const Registry* const registry = new Registry();
  return *registry;
}

}  // namespace

const std::vector<std::string>& ResourceTypes() { return GetRegistry().types; }

bool IsResourceType(std::string_view type) {
  const auto& types = GetRegistry().types;
  return std::binary_search(types.begin(), types.end(), type);
}

const SearchParamDef* FindSearchParam(std::string_view type, std::string_view code) {
  const Registry& reg = GetRegistry();
  if (!type.empty()) {
    if (!IsResourceType(type)) return nullptr;
    auto t = reg.params.find(type);
    if (t != reg.params.end()) {
      auto p = t->second.find(code);
      if (p != t->second.end()) return &p->second;
    }
  }
  auto r = reg.params.find(std::string_view("Resource"));
  if (r == reg.params.end()) return nullptr;
  auto p = r->second.find(code);
  return p == r->second.end() ? nullptr : &p->second;
}

std::vector<const SearchParamDef*> ListSearchParams(std::string_view type) {
  const Registry& reg = GetRegistry();
  std::vector<const SearchParamDef*> out;
  if (!type.empty() && !IsResourceType(type)) return out;
  std::map<std::string_view, const SearchParamDef*> by_code;
  auto r = reg.params.find(std::string_view("Resource"));
  if (r != reg.params.end()) {
    for (const auto& [code, def] : r->second) by_code[code] = &def;
  }
  if (!type.empty()) {
    auto t = reg.params.find(type);
    if (t != reg.params.end()) {
      for (const auto& [code, def] : t->second) by_code[code] = &def;
    }
  }
  for (const auto& [code, def] : by_code) out.push_back(def);
  return out;
}

std::vector<std::string> KnownTargets(const SearchParamDef& def) {
  std::vector<std::string> out;
  for (const std::string& t : def.targets) {
    if (IsResourceType(t)) out.push_back(t);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<SkippedSearchParam> SkippedSearchParams() {
  std::vector<SkippedSearchParam> out;
  for (size_t i = 0; i < generated::kSkippedParamCount; ++i) {
    const generated::SkippedRow& row = generated::kSkippedParams[i];
    out.push_back({row.resource_type, row.code, row.reason});
  }
  return out;
}

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kNumber:
      return "number";
    case ParamType::kDate:
      return "date";
    case ParamType::kString:
      return "string";
    case ParamType::kToken:
      return "token";
    case ParamType::kReference:
      return "reference";
    case ParamType::kComposite:
      return "composite";
    case ParamType::kQuantity:
      return "quantity";
    case ParamType::kUri:
      return "uri";
    case ParamType::kSpecial:
      return "special";
  }
  return "unknown";
}

}  // namespace fhir::search
