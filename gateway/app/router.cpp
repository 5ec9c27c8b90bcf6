#include "gateway/app/router.h"

namespace gateway::app {

Router& Router::Add(std::string prefix, std::string name, RouteHandler handler) {
  routes_.push_back({std::move(prefix), std::move(name), std::move(handler)});
  return *this;
}

HttpResponse Router::Handle(const HttpRequest& request) const {
  for (const Route& route : routes_) {
    if (!request.path.starts_with(route.prefix)) continue;
    if (std::optional<HttpResponse> answer = route.handler(request)) return std::move(*answer);
  }
  return fallback_(request);
}

}  // namespace gateway::app
