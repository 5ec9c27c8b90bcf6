#include "adapters/ehr/settings.h"

namespace adapters::ehr {

std::string_view PolicyName(ValidationPolicy policy) {
  return policy == ValidationPolicy::kStrict ? "strict" : "tolerant";
}

std::optional<ValidationPolicy> ParsePolicy(std::string_view name) {
  if (name == "tolerant") return ValidationPolicy::kTolerant;
  if (name == "strict") return ValidationPolicy::kStrict;
  return std::nullopt;
}

size_t TransactionAllowance(size_t max_message_bytes) {
  // 4/3 (original) + 1 (attachments, re-encoded) < 3, plus 4 MiB for the mapped resources,
  // the AppRec and the JSON around them.
  return 3 * max_message_bytes + 4 * 1024 * 1024;
}

}  // namespace adapters::ehr
