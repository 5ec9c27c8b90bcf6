#include "gateway/http/ehr_routes.h"

#include <cctype>
#include <string>

#include "gateway/http/edge_routes.h"

namespace gateway::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsXmlMedia(std::string_view content_type) {
  std::string media = Lower(content_type.substr(0, content_type.find(';')));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  return media == "application/xml" || media == "text/xml";
}

}  // namespace

std::optional<HttpResponse> EhrRoutes::Handle(const HttpRequest& request) const {
  if (request.path != "/ehr" && request.path.rfind("/ehr/", 0) != 0) return std::nullopt;
  if (request.path != "/ehr/messages") {
    return OutcomeResponse(404, "not-found", "no EHR interaction matches this path", "/ehr/{path}");
  }
  constexpr std::string_view kRoute = "/ehr/messages";
  if (request.method != "POST") {
    HttpResponse r = OutcomeResponse(405, "not-supported", "method not allowed here; allowed: POST",
                                     std::string(kRoute));
    r.SetHeader("Allow", "POST");
    return r;
  }
  if (!IsXmlMedia(request.Header("content-type"))) {
    return OutcomeResponse(415, "not-supported",
                           "a KITH message is sent as application/xml (or text/xml)",
                           std::string(kRoute));
  }
  adapters::ehr::ReceiveHints hints;
  hints.sender_her_id = std::string(request.Header("x-ehr-sender-her-id"));
  hints.msg_id = std::string(request.Header("x-ehr-msg-id"));
  adapters::ehr::InboundResult result = inbox_.Receive(request.body, hints);
  HttpResponse r;
  r.status = result.http_status;
  r.body = std::move(result.body);
  r.route = std::string(kRoute);
  r.SetHeader("Content-Type", result.content_type);
  if (!result.apprec_status.empty()) r.SetHeader("X-AppRec-Status", result.apprec_status);
  if (result.http_status == 200) r.SetHeader("X-Duplicate", result.duplicate ? "true" : "false");
  if (!result.record.empty()) r.SetHeader("X-Message-Record", result.record);
  if (!result.outbox_entry.empty()) r.SetHeader("X-Outbox-Entry", result.outbox_entry);
  return r;
}

}  // namespace gateway::http
