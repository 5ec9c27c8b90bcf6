#pragma once
// Search index extraction: the values a resource version contributes to each of its search
// parameters (fhir/search/registry.h), per the FHIR R4 search rules for each parameter type.
//
// `_id` and `_lastUpdated` are not extracted: the store answers them from resource_versions
// (id, last_updated) directly.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fhir/json/value.h"
#include "fhir/search/query.h"

namespace fhir::search {

// One indexed value. Which fields are meaningful depends on `type`:
//  kString     text = NormalizeString(value), exact = value. HumanName gives one entry per
//              family, given, prefix, suffix and text; Address per line, city, district, state,
//              postalCode, country and text.
//  kToken      system (nullopt = unknown, e.g. a plain `code` whose binding system we do not
//              know), code, text = normalized Coding.display / CodeableConcept.text /
//              Identifier.type.text (for :text). A CodeableConcept gives one entry per coding
//              plus one for its text (code nullopt). Identifier: system|value. ContactPoint:
//              system (phone, email, ...)|value. boolean: "true"/"false".
//  kReference  target_type, target_id, target_version for relative references ("Type/id",
//              "Type/id/_history/v"); url for absolute ones (and canonicals, whose "|version"
//              goes to target_version); system/code = Reference.identifier system/value;
//              text = normalized Reference.display.
//  kDate       date_low..date_high: closed range of microseconds since the epoch (UTC), from
//              the value's precision; Period start/end open ends are kMinTime/kMaxTime;
//              Timing gives its events and its repeat.boundsPeriod.
//  kNumber     value_low = value_high = the value; low..high: the closed range implied by its
//              precision ("5.4" -> [5.35, 5.45]).
//  kQuantity   as kNumber, plus system, code and unit (Money: currency as code with system
//              urn:iso:std:iso:4217). A Range gives value_low/value_high = Range.low/high
//              values and low/high = their precision bounds; an open end is unbounded
//              (lowest/highest double).
//  kUri        exact = the URI.
struct IndexEntry {
  std::string param;
  ParamType type = ParamType::kString;
  std::string text;
  std::string exact;
  std::optional<std::string> system;
  std::optional<std::string> code;
  std::string target_type;
  std::string target_id;
  std::string target_version;
  std::string url;
  std::string unit;
  int64_t date_low = 0;
  int64_t date_high = 0;
  double value_low = 0;
  double value_high = 0;
  double low = 0;
  double high = 0;

  auto operator<=>(const IndexEntry&) const = default;
  bool operator==(const IndexEntry&) const = default;
};

// Every index entry of `resource` (a resource JSON object with "resourceType"), sorted and
// without duplicates. Unknown resource types give the Resource-level entries (_tag, ...) only.
std::vector<IndexEntry> ExtractIndex(const json::Value& resource);

}  // namespace fhir::search
