#include "gateway/app/composition.h"

namespace gateway::app {

adapters::ehr::EhrSettings ToEhrSettings(const config::EhrConfig& e) {
  adapters::ehr::EhrSettings s;
  s.self = {e.organisation_name, e.her_id, e.department_name, e.department_her_id};
  s.accepted_her_ids.insert(e.accepted.begin(), e.accepted.end());
  for (const auto& [her, version] : e.partners) s.apprec_version_by_partner[her] = version;
  s.default_apprec_version = e.apprec_version;
  s.max_message_bytes = static_cast<size_t>(e.max_message_bytes);
  return s;
}

FhirApiOptions ToFhirOptions(const config::Config& c) {
  FhirApiOptions o;
  o.base_url = c.server.base_url;
  o.scheme = c.server.tls.enabled() ? "https" : "http";
  o.max_body_bytes = static_cast<size_t>(c.server.body_limit_bytes);
  o.default_page_size = c.fhir.default_page_size;
  o.max_page_size = c.fhir.max_page_size;
  o.max_bundle_entries = static_cast<size_t>(c.fhir.max_bundle_entries);
  return o;
}

}  // namespace gateway::app
