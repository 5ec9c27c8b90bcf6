#pragma once
// The inbound side of the EHR adapter: one KITH message in, an AppRec out, and the message's
// content in FHIR, all or nothing.
//
// For every business message (Henvisning, Dialogmelding) the inbox, in this order:
//   T01  refuses what cannot be read: too large, too costly to parse (ParseLimits), a DOCTYPE,
//        not well-formed;
//        chooses the sender's validation policy (settings.h: tolerant or strict);
//   T10  refuses kinds it does not accept (by root namespace and MsgHead type);
//        tolerates the deviations the policy allows (quirks.h): repairs them in the tree,
//        keeps documents in namespaces without a schema here whole as attachments, and
//        records each one (kind, path) on the stored message; then
//   T02  refuses content that cannot be read unambiguously (a nested MsgHead that disagrees
//        with the outer one) and validates against the official XSDs (Henvisning 1.x: its
//        structure in code); a schema error inside an attachment only costs that attachment
//        (status 3);
//        answers a MsgId it has seen before with the AppRec it gave then (idempotent, also
//        under concurrency: the message record's identifier is unique in the store);
//   E21  refuses a message not addressed to one of our HER-ids;
//   X99  refuses a message whose sender has no HER-id (it could not be answered);
//   E30-E34 refuses a patient without a valid fødselsnummer / D-nummer or without a name;
//        maps the content to FHIR and commits, in ONE transaction, the content, the original
//        bytes (Binary + a DocumentReference with SHA-1 and SHA-256, identified by MsgId),
//        a Provenance linking them, and the AppRec as an outbox entry (a Task). The AppRec is
//        returned only after that commit is durable.
// A rejected message is recorded the same way (original + AppRec), without content. A message
// our mapping cannot store (a 4xx from the FHIR side: our fault, not the sender's) is kept for
// manual registration with an OK receipt; 5xx only when the store itself fails.
// A received AppRec gets no receipt: it settles the outbox entry it answers (OriginalMsgId);
// an Avvist or partial receipt also opens a follow-up Task, so an undelivered message never
// vanishes silently.
// Logs name kinds, codes and counts only: never MsgIds of patients, names or message text.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/api/fhir_port.h"
#include "adapters/ehr/apprec.h"
#include "adapters/ehr/quirks.h"
#include "adapters/ehr/settings.h"
#include "adapters/ehr/xml/schema_set.h"
#include "fhir/store/store.h"
#include "fhir/terminology/terminology.h"

namespace adapters::ehr {

// What the transport knows about a message (ebXML From PartyId and MessageId, or the
// message service's equivalents): used when the XML itself cannot be read.
struct ReceiveHints {
  std::string sender_her_id;
  std::string msg_id;
};

struct InboundResult {
  int http_status = 200;
  std::string content_type;   // of `body`
  std::string body;           // the AppRec XML, or an OperationOutcome (JSON)
  std::string apprec_status;  // kodeverk 8258 of the AppRec we gave ("1", "2", "3"), or empty
  bool duplicate = false;     // the message had been received before
  std::string record;         // "DocumentReference/<id>" of the stored message
  std::string outbox_entry;   // "Task/<id>" of the queued AppRec
  // The deviations tolerated in this message (quirks.h), as recorded on `record`; empty for a
  // duplicate (they were counted when it was first received).
  std::vector<Deviation> deviations;
};

// The identifiers the inbox relies on being unique in the store (its idempotency under
// concurrency): the message records' MsgId / SHA-256 and the outbox entries' ids.
std::vector<fhir::store::UniqueIdentifier> RequiredUniqueIdentifiers();

class Inbox {
 public:
  // `schemas` and `fhir` must outlive the inbox.
  Inbox(EhrSettings settings, const xml::SchemaSet& schemas,
        std::shared_ptr<const fhir::terminology::Terminology> terminology, FhirPort& fhir);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Thread-safe.
  InboundResult Receive(std::string_view bytes, const ReceiveHints& hints = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace adapters::ehr
