#pragma once
// Building blocks of the KITH -> FHIR mapping: codes through the loaded code lists, identifier
// systems through the ConceptMaps (mappings/terminology), and the shared resources (Patient,
// Organization, Practitioner, PractitionerRole, documents) added to a transaction with
// conditional creates, so that a party already known is found, not duplicated.

#include <optional>
#include <string>
#include <string_view>

#include "adapters/ehr/bundle_builder.h"
#include "adapters/ehr/henvisning.h"
#include "adapters/ehr/parties.h"
#include "adapters/ehr/settings.h"
#include "fhir/json/value.h"
#include "fhir/terminology/terminology.h"

namespace adapters::ehr {

// Bytes kept as they came: a Binary in `tx` (its reference is returned) ...
std::string AddBinary(BundleBuilder& tx, std::string_view mime, std::string_view bytes);
// ... and the DocumentReference.content pointing at it: size, SHA-1 (Attachment.hash) and
// SHA-256 (our extension, given as `sha256_hex` when the caller has it already).
fhir::json::Value StoredContent(std::string_view mime, const std::string& binary,
                                std::string_view bytes, std::string_view title,
                                std::string sha256_hex = {});

class ToFhir {
 public:
  ToFhir(const fhir::terminology::Terminology& terminology, const EhrSettings& settings)
      : terms_(terminology), settings_(settings) {}

  // A Coding for a KITH code of the list `list` (e.g. "8231"): the system is the list's OID
  // (a message's S naming an unknown OID is not trusted over the list the element is defined
  // with), the display the list's text (else the message's DN).
  fhir::json::Value Coding(const KithCode& code, std::string_view list) const;
  fhir::json::Value Concept(const KithCode& code, std::string_view list) const;
  // A Coding in a code system the message names by S (diagnoses: ICPC-2, ICD-10).
  fhir::json::Value ForeignCoding(const KithCode& code) const;

  // The FHIR Identifier.system of a person or organisation identifier type (kodeverk 8116 /
  // 9051 code), or empty when the ConceptMap has none.
  std::string PersonSystem(std::string_view type_code) const;
  std::string OrganisationSystem(std::string_view type_code) const;
  // The person's FNR or DNR as (system, value), when present.
  std::optional<std::pair<std::string, std::string>> NationalId(const Person& p) const;

  // Each Add* appends a conditional create and returns the entry's fullUrl, or empty when the
  // party has no identifier to find it by (then nothing is added).
  std::string AddPatient(BundleBuilder& tx, const Person& p) const;
  std::string AddOrganization(BundleBuilder& tx, const Organisation& o,
                              const std::string& part_of = {}) const;
  std::string AddPractitioner(BundleBuilder& tx, const Professional& p) const;
  std::string AddPractitionerRole(BundleBuilder& tx, const Professional& p,
                                  const std::string& practitioner, const std::string& organization,
                                  const std::string& organization_her) const;
  // Our own organisation (the receiver) and its unit, from the settings.
  std::string AddSelf(BundleBuilder& tx) const;

  // A DocumentReference holding a text section (ReasonAsText, a note), with the XHTML as a
  // second content when there is markup.
  std::string AddTextDocument(BundleBuilder& tx, const std::string& patient,
                              const fhir::json::Value& type, const std::string& text,
                              const std::string& xhtml, const std::string& description) const;
  // A Binary with the attachment's bytes and a DocumentReference pointing at it (StoredContent).
  std::string AddAttachment(BundleBuilder& tx, const std::string& patient,
                            const MessageAttachment& a, const std::string& bytes) const;

  // HumanName of a person ("Family, Given" strings split, middle names kept as given names).
  fhir::json::Value Name(const Person& p) const;

  const fhir::terminology::Terminology& terminology() const { return terms_; }
  const EhrSettings& settings() const { return settings_; }

 private:
  std::string MapFirst(std::string_view map, std::string_view source_list,
                       std::string_view code) const;

  const fhir::terminology::Terminology& terms_;
  const EhrSettings& settings_;
};

// "urn:oid:2.16.578.1.12.4.1.1." + list.
std::string VolvenSystem(std::string_view list);

}  // namespace adapters::ehr
