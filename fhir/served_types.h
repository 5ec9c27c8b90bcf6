#pragma once
// Which resource types the REST API serves. The model, the validator and the search registry
// know all R4 resource types: any of them may be contained in another resource or carried in a
// Bundle. Serving a type (its own endpoints, transaction entries, the CapabilityStatement) is
// a site's choice, `fhir.resource_types` in the configuration (docs/configuration.md).

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fhir {

// Served when nothing is configured: what the gateway's own workflows write and read (EHR
// messaging, identity and audit, terminology, helsenorge forms) and what the treatment course
// and registry export need (Goal, PlanDefinition, ActivityDefinition, EpisodeOfCare, CareTeam,
// Flag, DetectedIssue, RiskAssessment, Consent, MeasureReport, Measure, Group, ...). Sorted.
const std::vector<std::string>& DefaultServedTypes();

// Types the gateway itself writes: a configuration that leaves one of them out is refused, since
// the EHR adapter, the audit trail or the terminology seed would fail at run time. Sorted.
const std::vector<std::string>& RequiredServedTypes();

// Resolves a configured list: names of concrete R4 resource types, and the word "default" for
// DefaultServedTypes(). The result is sorted, without duplicates, and contains every required
// type. kInvalidArgument names the first entry that is not an R4 resource type, or the first
// required type left out.
common::StatusOr<std::vector<std::string>> ResolveServedTypes(
    const std::vector<std::string>& configured);

}  // namespace fhir
