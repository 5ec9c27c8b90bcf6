#include "gateway/app/composition.h"

#include <algorithm>

#include "adapters/ehr/inbox.h"
#include "fhir/json/writer.h"

namespace gateway::app {

adapters::ehr::EhrSettings ToEhrSettings(const config::EhrConfig& e) {
  adapters::ehr::EhrSettings s;
  s.self = {e.organisation_name, e.her_id, e.department_name, e.department_her_id};
  s.accepted_her_ids.insert(e.accepted.begin(), e.accepted.end());
  for (const auto& [her, version] : e.partners) s.apprec_version_by_partner[her] = version;
  s.default_apprec_version = e.apprec_version;
  for (const auto& [her, policy] : e.partner_policies) {
    s.validation_policy_by_partner[her] = *adapters::ehr::ParsePolicy(policy);  // validated
  }
  s.default_validation_policy = adapters::ehr::ParsePolicy(e.validation_policy)
                                    .value_or(adapters::ehr::ValidationPolicy::kTolerant);
  s.max_message_bytes = static_cast<size_t>(e.max_message_bytes);
  s.max_transaction_bytes = adapters::ehr::TransactionAllowance(s.max_message_bytes);
  return s;
}

std::vector<fhir::store::UniqueIdentifier> UniqueIdentifierRules(const config::Config& c) {
  std::vector<fhir::store::UniqueIdentifier> rules;
  for (const auto& [type, system] : c.fhir.unique_identifier_rules) rules.push_back({type, system});
  for (const auto& rule : adapters::ehr::RequiredUniqueIdentifiers()) rules.push_back(rule);
  return rules;
}

common::Status SeedTerminology(fhir::store::Store& store, const config::Config& c,
                               const fhir::terminology::Terminology& terminology) {
  std::string seed = fhir::json::Write(terminology.SeedBundle());
  FhirApiOptions options = ToFhirOptions(c);
  options.max_body_bytes = std::max(options.max_body_bytes, seed.size());
  options.max_bundle_entries = std::max(options.max_bundle_entries, terminology.resources().size());
  options.max_json_values = std::max(options.max_json_values, seed.size());  // never more values
  options.max_array_items = std::max(options.max_array_items, seed.size());  // than bytes
  return FhirApi(store, std::move(options)).SeedFromBundle(seed);
}

FhirApiOptions ToFhirOptions(const config::Config& c) {
  FhirApiOptions o;
  o.base_url = c.server.base_url;
  o.scheme = c.server.tls.enabled() ? "https" : "http";
  o.max_body_bytes = static_cast<size_t>(c.server.body_limit_bytes);
  o.default_page_size = c.fhir.default_page_size;
  o.max_page_size = c.fhir.max_page_size;
  o.max_bundle_entries = static_cast<size_t>(c.fhir.max_bundle_entries);
  o.resource_types = c.fhir.served_types;
  o.max_json_values = static_cast<size_t>(c.fhir.max_json_values);
  o.max_array_items = static_cast<size_t>(c.fhir.max_array_items);
  o.max_page_bytes = static_cast<size_t>(c.fhir.max_page_bytes);
  return o;
}

FhirApiOptions ToEhrFhirOptions(const config::Config& c) {
  FhirApiOptions o = ToFhirOptions(c);
  o.max_body_bytes =
      std::max(o.max_body_bytes,
               adapters::ehr::TransactionAllowance(static_cast<size_t>(c.ehr.max_message_bytes)));
  return o;
}

}  // namespace gateway::app
