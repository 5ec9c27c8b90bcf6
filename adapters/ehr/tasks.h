#pragma once
// The work items the EHR adapter opens for people (FHIR Task, intent "order") and the codes of
// its own task CodeSystem (sys::kTaskCode). Display texts come from the loaded terminology
// (mappings/terminology/emeistring/task-code.json), so a text is written in one place only.

#include <string>
#include <string_view>

#include "fhir/json/value.h"
#include "fhir/terminology/terminology.h"

namespace adapters::ehr {

// A CodeableConcept of our task-code CodeSystem with the display the terminology gives.
fhir::json::Value TaskCode(const fhir::terminology::Terminology& terms, std::string_view code);

struct WorkItem {
  std::string code = {};  // of the task-code CodeSystem
  std::string priority = "urgent";
  std::string description = {};    // Norwegian: what the person is to do
  std::string focus = {};          // reference: what the task is about
  fhir::json::Value patient = {};  // Task.for (a Reference), null when none
  fhir::json::Value owner = {};    // Task.owner (a Reference), null when none
  std::string authored_on = {};    // FHIR instant
};

// A requested Task for `item`.
fhir::json::Value WorkTask(const fhir::terminology::Terminology& terms, const WorkItem& item);

}  // namespace adapters::ehr
