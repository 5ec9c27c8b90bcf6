#pragma once
// The outbox: every message we send (AppRecs now, Dialogmeldinger next) is a FHIR Task
// "deliver-message" written in the same transaction as what caused it, so it exists durably
// before anyone can be offered it. The hospital's message service pulls pending messages and
// acknowledges each once it has taken it over:
//   requested    pending: offered by Pending()
//   completed    taken over, and nothing more is expected (an AppRec we sent), or the
//                partner's AppRec said OK
//   in-progress  taken over, waiting for the partner's AppRec (a business message)
//   failed       the partner refused it (a follow-up Task was opened)

#include <string>
#include <vector>

#include "adapters/api/fhir_port.h"
#include "common/status.h"

namespace adapters::ehr {

struct OutboxMessage {
  std::string id;           // the Task's id: the handle for Acknowledge()
  std::string msg_id;       // the message's own id (AppRec Id / MsgHead MsgId)
  std::string msg_type;     // kodeverk 8279 (APPREC, DIALOG_HELSEFAGLIG, ...)
  std::string destination;  // the receiver's HER-id (empty when unknown)
  std::string created;      // when it was queued (instant)
  std::string xml;          // the message, UTF-8
};

class Outbox {
 public:
  explicit Outbox(FhirPort& fhir) : fhir_(fhir) {}

  // Pending messages, oldest first, at most `limit`.
  common::StatusOr<std::vector<OutboxMessage>> Pending(int limit) const;
  // The message service has taken message `id` over. Idempotent for a message already taken;
  // kNotFound for an id that is not an outbox entry. Returns the entry's new status.
  common::StatusOr<std::string> Acknowledge(const std::string& id) const;

 private:
  FhirPort& fhir_;
};

}  // namespace adapters::ehr
