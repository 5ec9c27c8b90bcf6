#pragma once
// The HTTP face of the EHR adapter, for the hospital's message service:
//   POST /ehr/messages   one KITH XML message (Henvisning, Dialogmelding, AppRec) as the body,
//                        Content-Type application/xml or text/xml. Optional transport hints for
//                        messages whose XML cannot be read: X-EHR-Sender-HER-Id (ebXML From
//                        PartyId) and X-EHR-Msg-Id (the transport's message id).
//                        200: the AppRec for the message (application/xml), or for a received
//                        AppRec an OperationOutcome; headers X-AppRec-Status (kodeverk 8258),
//                        X-Duplicate (true when the message was received before),
//                        X-Message-Record and X-Outbox-Entry (the FHIR resources).
//                        503: nothing was stored or acknowledged; send again later.
// Every other /ehr path is 404, other methods 405; every error is an OperationOutcome.

#include <optional>

#include "adapters/ehr/inbox.h"
#include "gateway/http/message.h"

namespace gateway::http {

class EhrRoutes {
 public:
  explicit EhrRoutes(adapters::ehr::Inbox& inbox) : inbox_(inbox) {}
  // The response for an /ehr/... request; nullopt for any other path.
  std::optional<HttpResponse> Handle(const HttpRequest& request) const;

 private:
  adapters::ehr::Inbox& inbox_;
};

}  // namespace gateway::http
