#pragma once
// Which part of the gateway answers a request: one table of path prefixes, looked at in order.
// A route's handler may decline (nullopt) and let the next route or the fallback answer; the
// fallback (the secured FHIR API) answers every path no route takes. A new adapter's HTTP face
// is one more row, added where the application is wired (application.cpp).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/rest/message.h"

namespace gateway::app {

class Router {
 public:
  using RouteHandler = std::function<std::optional<HttpResponse>(const HttpRequest&)>;
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  struct Route {
    std::string prefix;  // matched against the decoded path, e.g. "/auth/"
    std::string name;    // for logs and tests
    RouteHandler handler;
  };

  explicit Router(Handler fallback) : fallback_(std::move(fallback)) {}

  // Appends a route; earlier routes are tried first.
  Router& Add(std::string prefix, std::string name, RouteHandler handler);

  HttpResponse Handle(const HttpRequest& request) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  Handler fallback_;
};

}  // namespace gateway::app
