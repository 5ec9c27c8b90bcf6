#pragma once
// The HTTP face of the EHR adapter, for the hospital's message service:
//   POST /ehr/messages   one KITH XML message (Henvisning, Dialogmelding, AppRec) as the body,
//                        Content-Type application/xml or text/xml. Optional transport hints for
//                        messages whose XML cannot be read: X-EHR-Sender-HER-Id (ebXML From
//                        PartyId) and X-EHR-Msg-Id (the transport's message id).
//                        200: the AppRec for the message (application/xml), or for a received
//                        AppRec an OperationOutcome; headers X-AppRec-Status (kodeverk 8258),
//                        X-Duplicate (true when the message was received before),
//                        X-Message-Record and X-Outbox-Entry (the FHIR resources),
//                        X-KITH-Deviations (the kinds of deviation from the standards that
//                        were tolerated, comma-separated; the record has them with their
//                        places; adapters/ehr/quirks.h). Counted in /metrics:
//                        emg_ehr_inbound_messages_total, emg_ehr_inbound_deviations_total.
//                        503: nothing was stored or acknowledged; send again later.
//   GET /ehr/outbox[?_count=N]  the messages waiting to be sent, oldest first (N 1-500, default
//                        50): {"messages":[{"id","msgId","msgType","destinationHerId","created",
//                        "contentType","xml"}]}.
//   POST /ehr/outbox/{id}/ack   the message service has taken message {id} over: 200
//                        {"id","status"} (idempotent), 404 for an unknown id.
// Every other /ehr path is 404, other methods 405; every error is an OperationOutcome.

#include <optional>

#include "adapters/ehr/inbox.h"
#include "adapters/ehr/outbox.h"
#include "gateway/http/metrics.h"
#include "gateway/rest/message.h"

namespace gateway::ehr {

class EhrRoutes {
 public:
  // `metrics` may be null (no counting).
  EhrRoutes(adapters::ehr::Inbox& inbox, adapters::ehr::Outbox& outbox,
            http::Metrics* metrics = nullptr)
      : inbox_(inbox), outbox_(outbox), metrics_(metrics) {}
  // The response for an /ehr/... request; nullopt for any other path.
  std::optional<HttpResponse> Handle(const HttpRequest& request) const;

 private:
  std::optional<HttpResponse> Messages(const HttpRequest& request) const;
  HttpResponse PendingMessages(const HttpRequest& request) const;
  HttpResponse Ack(const HttpRequest& request, const std::string& id) const;

  adapters::ehr::Inbox& inbox_;
  adapters::ehr::Outbox& outbox_;
  http::Metrics* metrics_;
};

}  // namespace gateway::ehr
