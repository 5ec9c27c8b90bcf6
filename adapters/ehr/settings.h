#pragma once
// What the EHR adapter needs to know about us and our partners (from gateway config, validated
// there).

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "adapters/ehr/apprec.h"

namespace adapters::ehr {

// How strictly an inbound message is held to the KITH schemas (ADR 0010):
//   tolerant  the business content is read whenever it is unambiguous; every deviation the
//             gateway tolerates is recorded as a warning on the stored message (quirks.h);
//   strict    only the long-known quirks are repaired; anything else the schemas refuse is T02.
enum class ValidationPolicy { kTolerant, kStrict };

std::string_view PolicyName(ValidationPolicy policy);
std::optional<ValidationPolicy> ParsePolicy(std::string_view name);

struct EhrSettings {
  // Us, as the sender of receipts and messages (HER-ids of the organisation and the unit).
  AppRecParty self;
  // The HER-ids a message may be addressed to (receiver, or the receiver's unit); anything
  // else is refused with E21.
  std::set<std::string> accepted_her_ids;
  // AppRec version per partner HER-id ("1.0" or "1.1"), and for everyone else.
  std::map<std::string, std::string> apprec_version_by_partner;
  std::string default_apprec_version = "1.1";
  // Validation policy per partner (sender HER-id), and for everyone else.
  std::map<std::string, ValidationPolicy> validation_policy_by_partner;
  ValidationPolicy default_validation_policy = ValidationPolicy::kTolerant;
  size_t max_message_bytes = 32 * 1024 * 1024;
  // The largest FHIR transaction (JSON bytes) the FHIR port the inbox writes through accepts;
  // 0 when unknown (no check). A message's transaction larger than this is not sent: the
  // message is kept for manual registration instead (inbox.h).
  size_t max_transaction_bytes = 0;
};

// The FHIR transaction allowance that lets every message of up to `max_message_bytes` be
// stored (ADR 0010, on size limits): the original as base64 (4/3 of its size), every attachment
// again as a resource of its own (at most the size of its base64 text in the message), and
// room for the mapped content. Serve and translate configure the inbox's FHIR port with it.
size_t TransactionAllowance(size_t max_message_bytes);

}  // namespace adapters::ehr
