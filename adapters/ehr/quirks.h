#pragma once
// The real-world deviations from the KITH standards that the inbox tolerates on purpose, and
// the record of each one (docs/kith-quirks.md lists them with the systems that send them;
// ADR 0010 gives the policy). A deviation is tolerated only when the message still says one
// thing: the repair or reading cannot change what a person would take from it. Anything else
// stays a T02 for the schema (or the Henvisning 1.x structure check) to report.
//
// Every tolerated deviation becomes a Deviation {kind, path}: stored on the message record
// (an extension and a meta.tag on its DocumentReference), counted in /metrics by kind and
// logged, never with message content. The kinds are the codes of the CodeSystem
// https://emeistring.no/fhir/CodeSystem/kith-deviation (mappings/terminology/emeistring).
//
// Under both policies (the quirks tolerated before policies existed, and what needs no repair):
//   date-not-zero-padded      an xs:date "1991-12-4"                      -> zero-padded
//   conversation-ref-order    RefToConversation before RefToParent         -> schema order
//   telecom-without-address   a TeleCom without TeleAddress                -> dropped
//   misspelled-xsi-namespace  attributes in "http://www.w3.org/2001/XMLSchemainstance"
//                                                                          -> dropped
//   code-without-value        a CS/CV with DN but no (or a blank) V        -> recorded only; the
//                             code is missing, its text is kept where the element is read
// Under the tolerant policy only:
//   element-order             children of a MsgHead element out of the XSD's sequence (e.g.
//                             Ack after ConversationRef in MsgInfo)        -> schema order
//   blank-code-system         S="" on a CV                                 -> attribute dropped
//   datetime-in-date-field    "2026-03-11T00:00:00" where an xs:date is due -> its date
//   nested-msghead            a whole MsgHead inside Document/RefDoc/Content -> its business
//                             document is read (envelope.h)
//   foreign-document          a Document whose content is in a namespace we carry no schema
//                             for (e-resept M1, ...)                       -> kept untouched as
//                             an attachment (envelope.h, inbox.h)
//   henvisning-2014-namespace Henvisning 2.0 in the pre-2017 namespace     -> read as 2.0
//   attachment-mime-type      an attachment without a usable MimeType     -> type from its bytes
// Other tolerated deviations need neither repair nor record: a HER-id typed with kodeverk 8116
// instead of 9051, a TypeId without S or with an unknown OID (identifiers are read by their
// type code V), ISO-8859-1 where UTF-8 is specified, CR LF line endings and a UTF-8 BOM.

#include <string>
#include <string_view>
#include <vector>

#include "adapters/ehr/settings.h"
#include "adapters/ehr/xml/document.h"
#include "adapters/ehr/xml/schema_set.h"

namespace adapters::ehr {

namespace deviation {
inline constexpr std::string_view kDateNotZeroPadded = "date-not-zero-padded";
inline constexpr std::string_view kConversationRefOrder = "conversation-ref-order";
inline constexpr std::string_view kTelecomWithoutAddress = "telecom-without-address";
inline constexpr std::string_view kMisspelledXsiNamespace = "misspelled-xsi-namespace";
inline constexpr std::string_view kCodeWithoutValue = "code-without-value";
inline constexpr std::string_view kElementOrder = "element-order";
inline constexpr std::string_view kBlankCodeSystem = "blank-code-system";
inline constexpr std::string_view kDateTimeInDateField = "datetime-in-date-field";
inline constexpr std::string_view kNestedMsgHead = "nested-msghead";
inline constexpr std::string_view kForeignDocument = "foreign-document";
inline constexpr std::string_view kHenvisning2014Namespace = "henvisning-2014-namespace";
inline constexpr std::string_view kAttachmentMimeType = "attachment-mime-type";
// Every kind, for /metrics and the CodeSystem check in the tests.
inline constexpr std::string_view kAll[] = {
    kDateNotZeroPadded, kConversationRefOrder, kTelecomWithoutAddress,   kMisspelledXsiNamespace,
    kCodeWithoutValue,  kElementOrder,         kBlankCodeSystem,         kDateTimeInDateField,
    kNestedMsgHead,     kForeignDocument,      kHenvisning2014Namespace, kAttachmentMimeType};
}  // namespace deviation

// One tolerated deviation: its kind and where (an element path; never content).
struct Deviation {
  std::string kind;
  std::string path;
  bool operator==(const Deviation&) const = default;
};

// The repairs made on the parsed tree before schema validation (see above for which apply
// under which policy), and the deviations that need no repair. One Deviation per place.
std::vector<Deviation> RepairKnownQuirks(xml::Document& doc, ValidationPolicy policy);

// After schema validation: repairs the violations that are tolerable under `policy` (tolerant:
// datetime-in-date-field) in the tree. Returns what it repaired; the caller validates again
// when that is not empty. Violations it does not know are left alone.
std::vector<Deviation> RepairViolations(const std::vector<xml::SchemaViolation>& violations,
                                        ValidationPolicy policy);

}  // namespace adapters::ehr
