#pragma once
// FHIR -> KITH: a Communication to a GP or specialist becomes a Dialogmelding 1.1 "Helsefaglig
// dialog" (DIALOG_HELSEFAGLIG, HIS 1077) inside MsgHead 1.2, valid against the official XSDs.
// Identifier systems and code displays come back through the same code lists and ConceptMaps
// the inbound side uses (mappings/terminology), in the reverse direction.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/ehr/parties.h"
#include "adapters/ehr/settings.h"
#include "adapters/ehr/xml/schema_set.h"
#include "common/status.h"
#include "fhir/json/value.h"
#include "fhir/terminology/terminology.h"

namespace adapters::ehr {

struct OutboundAttachment {
  std::string mime_type;
  std::string description;
  std::string bytes;
};

// A Dialogmelding to send, with everything resolved.
struct OutboundDialog {
  // DIALOG_HELSEFAGLIG, or DIALOG_STATUS_HENVISNING for a referral status (topic from 9148).
  std::string msg_type = "DIALOG_HELSEFAGLIG";
  std::string msg_id;
  std::string gen_date;             // xs:dateTime
  std::string ref_to_parent;        // the MsgId of the message answered, if any
  std::string ref_to_conversation;  // the first message of the dialogue, if any
  Organisation receiver;            // with a HER-id (its unit, if any, in units)
  std::optional<Person> patient;    // with a fødselsnummer or D-nummer
  std::optional<Professional> author;
  KithCode topic;  // kodeverk 7322 (9069 for an answer, 9148 for a referral status)
  std::string topic_list = "7322";
  std::string subject;
  std::string text;
  std::vector<OutboundAttachment> attachments;
};

// The MsgHead with the Dialogmelding 1.1 inside (UTF-8).
std::string WriteDialogmelding(const OutboundDialog& d, const EhrSettings& settings,
                               const fhir::terminology::Terminology& terminology);

// Finds a referenced resource ("Patient/1", "urn:uuid:...", "#contained"); nullopt when unknown.
using Resolver = std::function<std::optional<fhir::json::Value>(std::string_view reference)>;

// Resolves "#id" in `resource`'s contained resources, and "Type/id", a fullUrl or a urn:uuid
// among `bundle`'s entries (when not null); anything else goes to `fallback` (when set).
// Copies what it needs: the arguments need not outlive it.
Resolver LocalResolver(const fhir::json::Value& resource, const fhir::json::Value* bundle,
                       Resolver fallback = nullptr);

// A Communication as an OutboundDialog. The receiver is the first recipient that is an
// Organization with a HER-id, or a PractitionerRole whose organization has one, and is not one
// of ours (settings.accepted_her_ids). kInvalidArgument, naming the element, when something
// needed is missing: no such recipient, no text and no attachment, a subject without
// fødselsnummer/D-nummer, a reference that cannot be resolved.
common::StatusOr<OutboundDialog> DialogFromCommunication(
    const fhir::json::Value& communication, const Resolver& resolve,
    const fhir::terminology::Terminology& terminology, const EhrSettings& settings);

// True when `communication` is for the EHR channel: a recipient resolves to an organisation
// (directly or as a PractitionerRole's) with a HER-id that is not one of ours.
bool AddressedToEhr(const fhir::json::Value& communication, const Resolver& resolve,
                    const fhir::terminology::Terminology& terminology, const EhrSettings& settings);

// The HER-id a message to `o` goes to: the professional's, else the unit's, else its own.
std::string AddressOf(const Organisation& o);

struct OutboundMessage {
  OutboundDialog dialog;
  std::string xml;
};

// DialogFromCommunication + WriteDialogmelding, and the result checked against the official
// XSDs: what the server sends and what `translate --to kith` prints. `msg_id` and `gen_date`
// are the message's (empty: a new UUID / now).
common::StatusOr<OutboundMessage> CommunicationToKith(
    const fhir::json::Value& communication, const Resolver& resolve,
    const fhir::terminology::Terminology& terminology, const EhrSettings& settings,
    const xml::SchemaSet& schemas, std::string msg_id = {}, std::string gen_date = {});

}  // namespace adapters::ehr
