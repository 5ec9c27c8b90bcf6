#pragma once
// Shared by the composition root's commands (serve, translate): config sections turned into
// the settings of the parts they configure.

#include <string>
#include <vector>

#include "adapters/ehr/settings.h"
#include "common/status.h"
#include "fhir/store/store.h"
#include "fhir/terminology/terminology.h"
#include "gateway/config/config.h"
#include "gateway/rest/fhir_api.h"

namespace gateway::app {

adapters::ehr::EhrSettings ToEhrSettings(const config::EhrConfig& e);
FhirApiOptions ToFhirOptions(const config::Config& c);
// The FHIR API the EHR adapter writes through: as ToFhirOptions, with a body allowance that
// fits every message up to ehr.max_message_bytes (adapters::ehr::TransactionAllowance). The
// same figure is the inbox's max_transaction_bytes (ToEhrSettings), so the two limits agree.
FhirApiOptions ToEhrFhirOptions(const config::Config& c);

// The identifiers the store keeps unique: the configured rules and those the EHR inbox's
// idempotency rests on (always on: turning EHR messaging on later must not find duplicates).
std::vector<fhir::store::UniqueIdentifier> UniqueIdentifierRules(const config::Config& c);

// Writes the code lists to `store` through the FHIR API. The seed is our own data, not a
// client request: the request limits (server.body_limit_bytes, fhir.max_bundle_entries) are
// raised to fit it.
common::Status SeedTerminology(fhir::store::Store& store, const config::Config& c,
                               const fhir::terminology::Terminology& terminology);

}  // namespace gateway::app
