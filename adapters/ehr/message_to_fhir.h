#pragma once
// Henvisning -> ServiceRequest (with Patient, parties, Conditions, documents and an
// "assess referral" Task); Dialogmelding -> Communication / CommunicationRequest. Both add
// their resources to one transaction, which the inbox completes with the record of the
// message itself (Binary + DocumentReference + Provenance) and its AppRec.

#include <string>
#include <vector>

#include "adapters/ehr/apprec.h"
#include "adapters/ehr/bundle_builder.h"
#include "adapters/ehr/dialogmelding.h"
#include "adapters/ehr/henvisning.h"
#include "adapters/ehr/quirks.h"
#include "adapters/ehr/to_fhir.h"

namespace adapters::ehr {

// What a mapping produced, for the inbox.
struct Mapped {
  std::string patient;               // fullUrl of the Patient entry
  std::string sender;                // fullUrl of the sending Organization
  std::string self;                  // fullUrl of our Organization (the receiving unit)
  std::string focus;                 // the ServiceRequest / Communication / CommunicationRequest
  std::vector<std::string> targets;  // everything made from the message (Provenance targets)
  std::vector<AppRecError> part_errors;  // parts not taken (AppRec status 3)
  std::vector<Deviation> deviations;     // tolerated while mapping (quirks.h)
};

// What the inbox found in the store before mapping.
struct ReferralContext {
  // For a change (M) or cancellation (C): the existing ServiceRequest ("ServiceRequest/id")
  // matched by the referral key, or empty when none is known.
  std::string existing;
  // Its identifiers (the original's MsgId among them), kept when it is replaced.
  std::vector<fhir::json::Value> identifiers;
};

// The referral's matching key (requester HER, provider HER, patient id, IssueDate), hashed.
std::string ReferralKey(const Referral& r);

void MapReferral(const Referral& r, const ReferralContext& ctx, const ToFhir& to, BundleBuilder& tx,
                 Mapped& out);

struct DialogContext {
  std::string in_response_to;  // "Communication/id" of the message RefToParent names, if known
  std::string about;           // "ServiceRequest/id" of the referral the thread concerns
};

void MapDialog(const Dialog& d, const DialogContext& ctx, const ToFhir& to, BundleBuilder& tx,
               Mapped& out);

// The decoded bytes of an attachment, or nullopt with `error` set (not base64, empty).
std::optional<std::string> DecodeAttachment(const MessageAttachment& a, std::string* error);

// The media type to store an attachment as: its MimeType when that is one (lower-cased,
// trimmed), else what its first bytes say (PDF, PNG, JPEG, TIFF, XML), else
// application/octet-stream. `tolerated` is set when the MimeType could not be used.
std::string AttachmentMediaType(const std::string& mime_type, std::string_view bytes,
                                bool* tolerated);

}  // namespace adapters::ehr
