#include "gateway/ehr/ehr_routes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "common/log.h"
#include "gateway/http/edge_routes.h"

namespace gateway::ehr {
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
  if (request.path == "/ehr/messages") return Messages(request);
  if (request.path == "/ehr/outbox") {
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse r = http::OutcomeResponse(
          405, "not-supported", "method not allowed here; allowed: GET", "/ehr/outbox");
      r.SetHeader("Allow", "GET");
      return r;
    }
    return PendingMessages(request);
  }
  constexpr std::string_view kOutboxPrefix = "/ehr/outbox/";
  constexpr std::string_view kAckSuffix = "/ack";
  const std::string& p = request.path;
  if (p.rfind(kOutboxPrefix, 0) == 0 && p.size() > kOutboxPrefix.size() + kAckSuffix.size() &&
      p.compare(p.size() - kAckSuffix.size(), kAckSuffix.size(), kAckSuffix) == 0) {
    std::string id =
        p.substr(kOutboxPrefix.size(), p.size() - kOutboxPrefix.size() - kAckSuffix.size());
    if (request.method != "POST") {
      HttpResponse r = http::OutcomeResponse(
          405, "not-supported", "method not allowed here; allowed: POST", "/ehr/outbox/{id}/ack");
      r.SetHeader("Allow", "POST");
      return r;
    }
    return Ack(request, id);
  }
  return http::OutcomeResponse(404, "not-found", "no EHR interaction matches this path",
                               "/ehr/{path}");
}

std::optional<HttpResponse> EhrRoutes::Messages(const HttpRequest& request) const {
  constexpr std::string_view kRoute = "/ehr/messages";
  if (request.method != "POST") {
    HttpResponse r = http::OutcomeResponse(
        405, "not-supported", "method not allowed here; allowed: POST", std::string(kRoute));
    r.SetHeader("Allow", "POST");
    return r;
  }
  if (!IsXmlMedia(request.Header("content-type"))) {
    return http::OutcomeResponse(415, "not-supported",
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
  std::vector<std::string> kinds;
  for (const adapters::ehr::Deviation& d : result.deviations) {
    if (std::find(kinds.begin(), kinds.end(), d.kind) == kinds.end()) kinds.push_back(d.kind);
  }
  if (!kinds.empty()) {
    std::string header;
    for (const std::string& k : kinds) header += (header.empty() ? "" : ",") + k;
    r.SetHeader("X-KITH-Deviations", header);
  }
  if (metrics_ != nullptr && result.http_status == 200 && !result.duplicate) {
    metrics_->CountEhrInbound(result.apprec_status.empty() ? "none" : result.apprec_status);
    for (const std::string& k : kinds) metrics_->CountEhrDeviation(k);
  }
  return r;
}

HttpResponse EhrRoutes::PendingMessages(const HttpRequest& request) const {
  constexpr std::string_view kRoute = "/ehr/outbox";
  int count = 50;
  for (const auto& [name, value] : request.query) {
    if (name != "_count") continue;
    int n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n < 1 || n > 500) {
      return http::OutcomeResponse(400, "invalid", "_count must be an integer from 1 to 500",
                                   std::string(kRoute));
    }
    count = n;
  }
  auto pending = outbox_.Pending(count);
  if (!pending) {
    return http::OutcomeResponse(503, "transient", pending.error().message(), std::string(kRoute));
  }
  std::string body = "{\"messages\":[";
  for (size_t i = 0; i < pending->size(); ++i) {
    const adapters::ehr::OutboxMessage& m = (*pending)[i];
    if (i > 0) body += ',';
    body += "{\"id\":";
    common::log::AppendJsonString(body, m.id);
    body += ",\"msgId\":";
    common::log::AppendJsonString(body, m.msg_id);
    body += ",\"msgType\":";
    common::log::AppendJsonString(body, m.msg_type);
    body += ",\"destinationHerId\":";
    common::log::AppendJsonString(body, m.destination);
    body += ",\"created\":";
    common::log::AppendJsonString(body, m.created);
    body += ",\"contentType\":\"application/xml; charset=utf-8\",\"xml\":";
    common::log::AppendJsonString(body, m.xml);
    body += '}';
  }
  body += "]}";
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.route = std::string(kRoute);
  r.SetHeader("Content-Type", "application/json; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

HttpResponse EhrRoutes::Ack(const HttpRequest& /*request*/, const std::string& id) const {
  constexpr std::string_view kRoute = "/ehr/outbox/{id}/ack";
  auto acked = outbox_.Acknowledge(id);
  if (!acked) {
    bool missing = acked.error().code() == common::Code::kNotFound;
    return http::OutcomeResponse(missing ? 404 : 503, missing ? "not-found" : "transient",
                                 acked.error().message(), std::string(kRoute));
  }
  HttpResponse r;
  r.status = 200;
  r.body = "{\"id\":";
  common::log::AppendJsonString(r.body, id);
  r.body += ",\"status\":";
  common::log::AppendJsonString(r.body, *acked);
  r.body += "}";
  r.route = std::string(kRoute);
  r.SetHeader("Content-Type", "application/json; charset=utf-8");
  return r;
}

}  // namespace gateway::ehr
