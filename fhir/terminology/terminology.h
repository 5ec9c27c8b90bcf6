#pragma once
// Code systems and concept maps loaded from data (mappings/), never from tables in C++.
//
// A Terminology is built once at start-up from a directory of FHIR R4 CodeSystem and
// ConceptMap resources (JSON, one resource per file, searched recursively). Every file is
// parsed and validated as an R4 resource (fhir/validation), and the set is checked for
// consistency: unique canonical urls, unique codes within a code system, every ConceptMap
// element's source code present in its source CodeSystem and every target code present in its
// target CodeSystem when those systems are loaded. A problem stops the load with a message
// naming the file and the element. After loading it is immutable and thread-safe
// (share it as std::shared_ptr<const Terminology>).
//
// Canonical urls of the Norwegian code lists (Volven kodeverk) are their OIDs as URNs, e.g.
// "urn:oid:2.16.578.1.12.4.1.1.8116" for kodeverk 8116, as HL7 Norway uses them in Coding.system.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fhir/json/value.h"

namespace fhir::terminology {

// One target of a ConceptMap element.
struct MapTarget {
  std::string system;  // the group's target CodeSystem url
  std::string code;
  std::string display;      // may be empty
  std::string equivalence;  // R4 ConceptMap.group.element.target.equivalence
};

class Terminology {
 public:
  // Loads every *.json file below `dir` whose resourceType is CodeSystem or ConceptMap (other
  // resource types are an error). Fails on the first invalid file or inconsistency.
  static common::StatusOr<std::shared_ptr<const Terminology>> LoadDirectory(const std::string& dir);
  // The same from resources already parsed (for tests); `origins` names each one in messages.
  static common::StatusOr<std::shared_ptr<const Terminology>> FromResources(
      std::vector<json::Value> resources, std::vector<std::string> origins);

  // True when the code system `system` is loaded.
  bool HasCodeSystem(std::string_view system) const;
  // True when `code` is a concept of the loaded code system `system`.
  bool Contains(std::string_view system, std::string_view code) const;
  // The concept's display, or nullopt when the system or code is unknown.
  std::optional<std::string> Display(std::string_view system, std::string_view code) const;

  // The targets of `code` (from source system `source_system`) in the ConceptMap with url
  // `map_url`, in file order; empty when the map, system or code is unknown or unmapped.
  std::vector<MapTarget> Translate(std::string_view map_url, std::string_view source_system,
                                   std::string_view code) const;
  // The reverse direction: source codes whose targets include (target_system, code), as
  // MapTargets naming the source system and code.
  std::vector<MapTarget> TranslateReverse(std::string_view map_url, std::string_view target_system,
                                          std::string_view code) const;

  // Every loaded resource, as parsed (for seeding them into the store, so that they are
  // readable through the FHIR API), in a stable order (by url).
  const std::vector<json::Value>& resources() const;

  // A transaction Bundle that creates or replaces every loaded resource by its url
  // (conditional update "CodeSystem?url=..."), so running it at every start is idempotent.
  json::Value SeedBundle() const;

  ~Terminology();

 private:
  struct Impl;
  explicit Terminology(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fhir::terminology
