#pragma once
// The outbox: every message we send (AppRecs, Dialogmeldinger) is a FHIR Task
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
#include "fhir/json/value.h"

namespace adapters::ehr {

struct OutboxMessage {
  std::string id;           // the Task's id: the handle for Acknowledge()
  std::string msg_id;       // the message's own id (AppRec Id / MsgHead MsgId)
  std::string msg_type;     // kodeverk 8279 (APPREC, DIALOG_HELSEFAGLIG, ...)
  std::string destination;  // the receiver's HER-id (empty when unknown)
  std::string created;      // when it was queued (instant)
  std::string xml;          // the message, UTF-8
};

// What an outbox entry holds; OutboxTask() makes the Task "deliver-message" of it.
struct OutboxEntry {
  std::string msg_id;            // the message's own id (outbound-msgid identifier, message-id)
  std::string msg_type;          // kodeverk 8279
  std::string msg_type_display;
  std::string description;       // for people reading the Task (no patient data)
  std::string focus;             // what the message is about: the record or the Communication
  std::string patient;           // Task.for (may be empty)
  std::string owner;             // our Organization (may be empty)
  std::string destination_system;  // the receiver's HER-id and its identifier system
  std::string destination;
  std::string xml;               // the message, UTF-8
};

fhir::json::Value OutboxTask(const OutboxEntry& entry);

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
