#include "gateway/app/in_process_fhir_port.h"

#include "common/uuid.h"
#include "gateway/http/target.h"
#include "gateway/rest/http_util.h"

namespace gateway::app {

InProcessFhirPort::InProcessFhirPort(FhirApi& api, std::string subject)
    : handler_([&api](const HttpRequest& r) { return api.Handle(r); }),
      subject_(std::move(subject)) {}

InProcessFhirPort::InProcessFhirPort(std::function<HttpResponse(const HttpRequest&)> handler,
                                     std::string subject)
    : handler_(std::move(handler)), subject_(std::move(subject)) {}

adapters::FhirResponse InProcessFhirPort::Call(
    std::string_view method, std::string_view path_and_query, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpRequest req;
  req.method = std::string(method);
  req.target = "/" + std::string(path_and_query);
  auto target = http::ParseTarget(req.target);
  if (!target.has_value()) {
    return {400, rest::ErrorResponse(target.error()).body, "", ""};
  }
  req.path = std::move(target->path);
  req.query = std::move(target->query);
  req.body = std::string(body);
  if (!body.empty()) req.headers.emplace_back("content-type", "application/fhir+json");
  for (const auto& h : headers) req.headers.push_back(h);
  req.context.request_id = "internal-" + common::NewUuid();
  req.context.caller = subject_;
  HttpResponse resp = handler_(req);
  adapters::FhirResponse out;
  out.status = resp.status;
  out.body = std::move(resp.body);
  out.location = std::string(resp.Header("Location"));
  out.etag = std::string(resp.Header("ETag"));
  return out;
}

}  // namespace gateway::app
