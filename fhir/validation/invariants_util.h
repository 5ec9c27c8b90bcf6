#pragma once
// Internal to fhir/validation: helpers shared by the invariants*.cpp files.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json/value.h"

namespace fhir::validation::internal {

inline constexpr size_t kNoDuplicate = static_cast<size_t>(-1);

// ".name[i]"
std::string Indexed(std::string_view name, size_t i);
// name.matches('[A-Z]([A-Za-z0-9_]){0,254}')
bool IsMachineName(std::string_view name);
// The index of the first value equal to an earlier one, or kNoDuplicate (isDistinct()).
size_t FirstDuplicate(const std::vector<std::string>& values);
// obj.<array>.<field> as strings, one per item of `array` ("" where absent).
std::vector<std::string> Values(const json::Value& obj, std::string_view array,
                                std::string_view field);

}  // namespace fhir::validation::internal
