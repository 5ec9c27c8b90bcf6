#pragma once
// Shared by the composition root's commands (serve, translate): config sections turned into
// the settings of the parts they configure.

#include <string>

#include "adapters/ehr/settings.h"
#include "gateway/config/config.h"
#include "gateway/rest/fhir_api.h"

namespace gateway::app {

adapters::ehr::EhrSettings ToEhrSettings(const config::EhrConfig& e);
FhirApiOptions ToFhirOptions(const config::Config& c);

}  // namespace gateway::app
