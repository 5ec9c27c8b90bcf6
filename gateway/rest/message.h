#pragma once
// Transport-neutral HTTP request/response. The Beast edge (gateway/http/server.*) converts to
// and from these; handlers (gateway/rest/*) see only these, so they are testable without sockets.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gateway {

// Per-request facts the edge knows. Who the caller is (authz::Principal) is bound into the
// per-request store decorator by gateway/identity/secure_api, not carried here.
struct RequestContext {
  std::string request_id;  // echoed as X-Request-Id on every response
  std::string caller;      // in-process callers name themselves (e.g. "system:ehr"); logs only
  std::string remote_address;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target, e.g. "/Patient?name=x&_count=2"
  std::string path;    // percent-decoded path without the query, e.g. "/Patient"
  // Decoded query parameters in their original order (a name may repeat).
  std::vector<std::pair<std::string, std::string>> query;
  // Header names lower-cased; values as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  RequestContext context;

  // First header with this (lower-case) name, or empty.
  std::string_view Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
  bool HasHeader(std::string_view lower_name) const {
    for (const auto& h : headers) {
      if (h.first == lower_name) return true;
    }
    return false;
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type included here
  std::string body;
  // Route template for logs and metrics, e.g. "/{type}/{id}"; never the concrete path
  // (ids can be personal data).
  std::string route = "unmatched";

  void SetHeader(std::string name, std::string value) {
    for (auto& h : headers) {
      if (h.first == name) {
        h.second = std::move(value);
        return;
      }
    }
    headers.emplace_back(std::move(name), std::move(value));
  }
  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

}  // namespace gateway
