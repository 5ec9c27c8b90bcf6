#pragma once
// Builds Bundle JSON text by splicing stored resource bodies in verbatim (no re-parse on the
// hot path of search and history).

#include <optional>
#include <string>

#include "fhir/json/value.h"

namespace gateway::rest {

class BundleWriter {
 public:
  // `type`: searchset, history, batch-response, transaction-response.
  explicit BundleWriter(std::string_view type);
  void SetTotal(int64_t total) { total_ = total; }
  void AddLink(std::string_view relation, std::string_view url);
  // `entry` is a JSON object without "resource"; `resource_json` (may be empty) is spliced in
  // as the entry's "resource" member, placed after fullUrl.
  void AddEntry(const fhir::json::Value& entry_fields, std::string_view resource_json);
  std::string Finish(bool pretty) const;

 private:
  std::string type_;
  std::optional<int64_t> total_;
  std::string links_;
  std::string entries_;
  size_t entry_count_ = 0;
  size_t link_count_ = 0;
};

}  // namespace gateway::rest
