#include "fhir/validation/invariants_util.h"

#include <algorithm>
#include <unordered_set>

#include "fhir/validation/context.h"

namespace fhir::validation::internal {

std::string Indexed(std::string_view name, size_t i) {
  std::string out = ".";
  out.append(name).append("[").append(std::to_string(i)).append("]");
  return out;
}

bool IsMachineName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name[0] < 'A' || name[0] > 'Z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

size_t FirstDuplicate(const std::vector<std::string>& values) {
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!seen.insert(values[i]).second) return i;
  }
  return kNoDuplicate;
}

std::vector<std::string> Values(const json::Value& obj, std::string_view array,
                                std::string_view field) {
  std::vector<std::string> out;
  for (const json::Value& item : Items(obj, array)) out.emplace_back(Str(item, field));
  return out;
}

}  // namespace fhir::validation::internal
