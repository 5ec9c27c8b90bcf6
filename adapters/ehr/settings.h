#pragma once
// What the EHR adapter needs to know about us and our partners (from gateway config, validated
// there).

#include <cstddef>
#include <map>
#include <set>
#include <string>

#include "adapters/ehr/apprec.h"

namespace adapters::ehr {

struct EhrSettings {
  // Us, as the sender of receipts and messages (HER-ids of the organisation and the unit).
  AppRecParty self;
  // The HER-ids a message may be addressed to (receiver, or the receiver's unit); anything
  // else is refused with E21.
  std::set<std::string> accepted_her_ids;
  // AppRec version per partner HER-id ("1.0" or "1.1"), and for everyone else.
  std::map<std::string, std::string> apprec_version_by_partner;
  std::string default_apprec_version = "1.1";
  size_t max_message_bytes = 32 * 1024 * 1024;
};

}  // namespace adapters::ehr
