#pragma once
// Builds a FHIR transaction Bundle: entries get urn:uuid fullUrls that other entries reference
// before the server assigns ids; conditional creates (ifNoneExist) make "find or create"
// atomic inside the transaction.

#include <string>
#include <string_view>

#include "fhir/json/value.h"

namespace adapters::ehr {

class BundleBuilder {
 public:
  BundleBuilder();

  // Adds `resource` as POST (create); with `if_none_exist` ("identifier=sys|val") it is a
  // conditional create. Returns the entry's fullUrl ("urn:uuid:..."), to use in references.
  std::string Create(fhir::json::Value resource, std::string_view if_none_exist = {});
  // Adds `resource` as PUT to `url` ("Task/123" or a conditional "Task?identifier=...").
  std::string Update(fhir::json::Value resource, std::string_view url,
                     std::string_view if_match = {});

  // A Reference to an entry or to an existing resource ("Patient/123").
  static fhir::json::Value Ref(std::string_view target, std::string_view display = {});

  bool empty() const;
  // Entries so far: the index the next entry will have (responses come back in entry order).
  size_t size() const;
  const fhir::json::Value& bundle() const { return bundle_; }
  fhir::json::Value Take() { return std::move(bundle_); }

 private:
  fhir::json::Value& Entries();
  fhir::json::Value bundle_;
};

// Small JSON helpers for building resources.
fhir::json::Value Str(std::string_view s);
fhir::json::Value Str(const char* s);
fhir::json::Value Str(std::string&& s);  // takes it over (large base64 data is not copied)
fhir::json::Value Coding(std::string_view system, std::string_view code, std::string_view display);
fhir::json::Value CodeableConcept(std::string_view system, std::string_view code,
                                  std::string_view display, std::string_view text = {});
fhir::json::Value Identifier(std::string_view system, std::string_view value);
// "identifier=" + system + "|" + value, percent-encoded for a query string.
std::string IdentifierQuery(std::string_view system, std::string_view value);
// What the adapter's own queries and conditional-create criteria leave unencoded besides RFC
// 3986's unreserved characters: the ':' of URIs.
inline constexpr std::string_view kQueryKeep = ":";

}  // namespace adapters::ehr
