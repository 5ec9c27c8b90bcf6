#pragma once
// The outbound side of the EHR adapter, as store write triggers (fhir/store/triggers.h): a
// message is in the outbox in the same transaction as the write that caused it, so nothing a
// client was told is written can fail to be sent, and nothing is sent for a write that failed.
//
//  * Communication written with status in-progress or completed and a recipient whose HER-id
//    is not ours (to_kith.h) -> a Dialogmelding 1.1, queued as a Task "deliver-message"
//    (outbox.h). The Communication gets the message's MsgId (identifier outbound-msgid) and
//    `sent`. A draft (preparation) sends nothing. One that cannot be sent (no fødselsnummer,
//    an unresolvable reference, ...) is refused with 422 naming the element. Once sent, its
//    content (payload, recipient, subject, topic, category, about, inResponseTo) cannot
//    change (409): a correction is a new Communication. References must point to resources
//    that exist when it is written (in a transaction: that come before it).
//  * Task "assess-referral" whose status changes (Task.status through the ConceptMap
//    task-status-to-referral-status, or a new Task.businessStatus coding from the
//    referral-status code system or kodeverk 9148), for a referral that came by KITH ->
//    a Communication to the referrer (ServiceRequest.requester) about the referral, which by
//    the rule above becomes its status message: DIALOG_STATUS_HENVISNING with the 9148 code
//    where the ConceptMap referral-status-to-kith-9148 gives one, else DIALOG_HELSEFAGLIG.
//    Task.statusReason and Task.note are the message's text.
//  * ServiceRequest of a KITH referral changing to completed -> "treatment finished" to the
//    referrer, the same way.
// A referrer without a HER-id (a self-referral, a referral typed in by hand) is told nothing
// by EHR messaging.

#include <memory>
#include <string>
#include <string_view>

#include "adapters/ehr/settings.h"
#include "adapters/ehr/xml/schema_set.h"
#include "fhir/store/triggers.h"
#include "fhir/terminology/terminology.h"

namespace adapters::ehr {

class OutboundTriggers final : public fhir::store::WriteTrigger {
 public:
  // `schemas` must outlive the triggers.
  OutboundTriggers(EhrSettings settings, const xml::SchemaSet& schemas,
                   std::shared_ptr<const fhir::terminology::Terminology> terminology);

  bool Watches(std::string_view type) const override;
  common::Status BeforePut(fhir::store::WriteContext& ctx, const std::string& type,
                           const std::string& id, fhir::json::Value& resource,
                           const fhir::json::Value* current) override;

 private:
  common::Status OnCommunication(fhir::store::WriteContext& ctx, const std::string& id,
                                 fhir::json::Value& c, const fhir::json::Value* current);
  common::Status OnTask(fhir::store::WriteContext& ctx, const fhir::json::Value& task,
                        const fhir::json::Value* current);
  common::Status OnServiceRequest(fhir::store::WriteContext& ctx, const std::string& id,
                                  const fhir::json::Value& sr, const fhir::json::Value* current);
  // Tells the referrer of `sr` (`sr_ref`) about `event` (a referral-status code).
  common::Status SendStatus(fhir::store::WriteContext& ctx, const fhir::json::Value& sr,
                            const std::string& sr_ref, const std::string& event,
                            const std::string& reason, const fhir::json::Value* sender);

  EhrSettings settings_;
  const xml::SchemaSet& schemas_;
  std::shared_ptr<const fhir::terminology::Terminology> terminology_;
};

}  // namespace adapters::ehr
