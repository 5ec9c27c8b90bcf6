#pragma once
// The outbox: every message we send (AppRecs, Dialogmeldinger) is a FHIR Task
// "deliver-message" written in the same transaction as what caused it, so it exists durably
// before anyone can be offered it. The hospital's message service pulls pending messages and
// acknowledges each once it has taken it over:
//   requested    pending: offered by Pending()
//   completed    taken over, and nothing more is expected (an AppRec we sent), or the
//                partner's AppRec said OK
//   in-progress  taken over, waiting for the partner's AppRec (a business message)
//   failed       the partner refused it, or pushing it failed for good (dead letter); either
//                way a follow-up Task was opened
// When the gateway pushes (gateway/ehr/ehr_pusher.h), each failed attempt is recorded on the
// entry: extensions delivery-attempts and next-delivery-attempt, and Task.statusReason.

#include <memory>
#include <string>
#include <vector>

#include "adapters/api/fhir_port.h"
#include "common/status.h"
#include "fhir/json/value.h"
#include "fhir/terminology/terminology.h"

namespace adapters::ehr {

struct OutboxMessage {
  std::string id;            // the Task's id: the handle for Acknowledge()
  std::string msg_id;        // the message's own id (AppRec Id / MsgHead MsgId)
  std::string msg_type;      // kodeverk 8279 (APPREC, DIALOG_HELSEFAGLIG, ...)
  std::string destination;   // the receiver's HER-id (empty when unknown)
  std::string created;       // when it was queued (instant)
  std::string xml;           // the message, UTF-8
  int attempts = 0;          // failed push attempts so far
  std::string next_attempt;  // instant before which it is not pushed again (empty: now)
};

// What an outbox entry holds; OutboxTask() makes the Task "deliver-message" of it.
struct OutboxEntry {
  std::string msg_id;    // the message's own id (outbound-msgid identifier, message-id)
  std::string msg_type;  // kodeverk 8279
  std::string msg_type_display;
  std::string description;         // for people reading the Task (no patient data)
  std::string focus;               // what the message is about: the record or the Communication
  std::string patient;             // Task.for (may be empty)
  std::string owner;               // our Organization (may be empty)
  std::string destination_system;  // the receiver's HER-id and its identifier system
  std::string destination;
  std::string xml;  // the message, UTF-8
};

fhir::json::Value OutboxTask(const fhir::terminology::Terminology& terms, const OutboxEntry& entry);

class Outbox {
 public:
  // `fhir` must outlive the outbox; `terms` gives the follow-up tasks' display texts.
  Outbox(FhirPort& fhir, std::shared_ptr<const fhir::terminology::Terminology> terms)
      : fhir_(fhir), terms_(std::move(terms)) {}

  // Pending messages, oldest first, at most `limit`.
  common::StatusOr<std::vector<OutboxMessage>> Pending(int limit) const;
  // The message service has taken message `id` over. Idempotent for a message already taken;
  // kNotFound for an id that is not an outbox entry. Returns the entry's new status.
  common::StatusOr<std::string> Acknowledge(const std::string& id) const;

  // A push attempt failed with `reason` (no personal data: an HTTP status, a transport
  // error). Below `max_attempts` the entry stays pending until `next_attempt` (an instant);
  // at `max_attempts` it becomes a dead letter: status failed, businessStatus dead-letter, and
  // a follow-up Task for people, in one transaction. Returns the attempts recorded so far; an
  // entry no longer pending is left alone (returns 0).
  struct FailureResult {
    int attempts = 0;
    bool dead_letter = false;
  };
  common::StatusOr<FailureResult> RecordFailure(const std::string& id, const std::string& reason,
                                                int max_attempts,
                                                const std::string& next_attempt) const;

 private:
  FhirPort& fhir_;
  std::shared_ptr<const fhir::terminology::Terminology> terms_;
};

}  // namespace adapters::ehr
