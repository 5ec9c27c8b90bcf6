#pragma once
// URIs the EHR adapter writes into FHIR resources. The Norwegian identifier systems (FNR,
// HER-id, HPR, ...) are not here: they come from the ConceptMaps in mappings/terminology.

#include <string_view>

namespace adapters::ehr::sys {

// A KITH message's MsgId (unique per sender; we treat it as globally unique, as GUIDs are).
inline constexpr std::string_view kMsgId = "https://emeistring.no/fhir/sid/kith-msgid";
// The SHA-256 (hex) of a received message we could not read a MsgId from.
inline constexpr std::string_view kMessageSha256 =
    "https://emeistring.no/fhir/sid/kith-message-sha256";
// MsgHead ConversationRef/RefToConversation (the first message of a dialogue).
inline constexpr std::string_view kConversation =
    "https://emeistring.no/fhir/sid/kith-conversation";
// RefDoc/Id of an attachment inside a message.
inline constexpr std::string_view kRefDocId = "https://emeistring.no/fhir/sid/kith-refdoc-id";
// The id of a message we send (AppRec Id, MsgHead MsgId): the outbox entry's identifier.
inline constexpr std::string_view kOutboundMsgId = "https://emeistring.no/fhir/sid/outbound-msgid";
// PractitionerRole of a practitioner at an organisation: "<HPR or HER>@<organisation HER>".
inline constexpr std::string_view kPractitionerRole =
    "https://emeistring.no/fhir/sid/practitioner-role";
// Our task codes (mappings: emeistring-task-code).
inline constexpr std::string_view kTaskCode = "https://emeistring.no/fhir/CodeSystem/task-code";
// The referral status changes a referrer is told about (mappings: emeistring-referral-status).
inline constexpr std::string_view kReferralStatus =
    "https://emeistring.no/fhir/CodeSystem/referral-status";
inline constexpr std::string_view kTaskStatus = "http://hl7.org/fhir/task-status";
// The deviations from the KITH standards the inbox tolerated (quirks.h; mappings:
// emeistring/kith-deviation.json): meta.tag of the message record and the kind in kExtDeviation.
inline constexpr std::string_view kDeviationCode =
    "https://emeistring.no/fhir/CodeSystem/kith-deviation";
// Extensions.
// On a received message's record (DocumentReference): one tolerated deviation kind, with the
// sub-extensions kind (valueCoding), count (valueInteger) and path (valueString, 0..10).
inline constexpr std::string_view kExtDeviation =
    "https://emeistring.no/fhir/StructureDefinition/kith-deviation";
inline constexpr std::string_view kExtSha256 =
    "https://emeistring.no/fhir/StructureDefinition/attachment-sha256";
inline constexpr std::string_view kExtKithPriority =
    "https://emeistring.no/fhir/StructureDefinition/kith-priority";
// On an outbox Task: failed push attempts (valueInteger) and when to try again (valueInstant).
inline constexpr std::string_view kExtDeliveryAttempts =
    "https://emeistring.no/fhir/StructureDefinition/delivery-attempts";
inline constexpr std::string_view kExtNextDeliveryAttempt =
    "https://emeistring.no/fhir/StructureDefinition/next-delivery-attempt";

// A referral's matching key (Henvisning 1.x has no reference from a change or cancellation to
// the original): the SHA-256 of requester HER-id, provider HER-id, patient id and IssueDate,
// so the identifier carries no personal data.
inline constexpr std::string_view kReferralKey = "https://emeistring.no/fhir/sid/kith-referral-key";

// ConceptMaps in mappings/terminology.
inline constexpr std::string_view kMapPersonIdent =
    "urn:emeistring:fhir:ConceptMap:kith-8116-to-identifier-system";
inline constexpr std::string_view kMapOrgIdent =
    "urn:emeistring:fhir:ConceptMap:kith-9051-to-identifier-system";
inline constexpr std::string_view kMapGender =
    "urn:emeistring:fhir:ConceptMap:kith-3101-to-administrative-gender";
inline constexpr std::string_view kMapPriority =
    "urn:emeistring:fhir:ConceptMap:kith-8304-to-request-priority";
inline constexpr std::string_view kMapTaskStatus =
    "urn:emeistring:fhir:ConceptMap:task-status-to-referral-status";
inline constexpr std::string_view kMapReferralStatus9148 =
    "urn:emeistring:fhir:ConceptMap:referral-status-to-kith-9148";

// Code systems (Volven kodeverk) as HL7 Norway writes them in Coding.system.
inline constexpr std::string_view kVolvenPrefix = "urn:oid:2.16.578.1.12.4.1.1.";
inline constexpr std::string_view kIcpc2 = "urn:oid:2.16.578.1.12.4.1.1.7170";
inline constexpr std::string_view kIcd10 = "urn:oid:2.16.578.1.12.4.1.1.7110";

}  // namespace adapters::ehr::sys
