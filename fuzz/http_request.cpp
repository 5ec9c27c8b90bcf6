// Fuzz target: raw HTTP/1.1 requests at the edge, as a client writes them on the socket: the
// request parser with the server's own header and body limits (Boost.Beast, configured as
// gateway/http/session.cpp configures it; pipelined requests included), the conversion the
// session makes (lower-cased header names, request id), the request-target parsing
// (gateway/http/target.h), the edge routes, the session cookie, and the FHIR REST layer
// (gateway/rest) with every header it reads (Accept, Content-Type, Prefer, If-Match,
// If-None-Match, If-None-Exist, If-Modified-Since...) over a real SQLite store with synthetic
// resources whose writes are rolled back (so each input meets the same data).
// Properties: the handler never throws and never answers 500 (that is for our own faults, and
// a fuzzer's request is not one); a JSON answer parses, an error is an OperationOutcome; no
// response header carries CR, LF or NUL (header injection); the route label is a template.

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "fhir/json/parser.h"
#include "fuzz/support/harness.h"
#include "gateway/http/edge_routes.h"
#include "gateway/http/metrics.h"
#include "gateway/http/server.h"
#include "gateway/http/target.h"
#include "gateway/identity/authenticator.h"
#include "gateway/rest/fhir_api.h"

namespace {

namespace bhttp = boost::beast::http;

struct World {
  std::unique_ptr<fhir::store::Store> store;
  std::unique_ptr<emg_fuzz::RollbackStore> rollback;
  std::unique_ptr<gateway::FhirApi> api;
  gateway::http::Metrics metrics;
  gateway::http::ServerOptions options;
};
World* world = nullptr;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool SafeHeaderValue(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void CheckResponse(const gateway::HttpResponse& r) {
  EMG_FUZZ_CHECK(r.status >= 100 && r.status <= 599, "a status outside 100-599");
  EMG_FUZZ_CHECK(r.status != 500, "answered 500 to a client's request: " + r.body.substr(0, 500));
  for (const auto& [name, value] : r.headers) {
    EMG_FUZZ_CHECK(!name.empty() && SafeHeaderValue(name) && SafeHeaderValue(value),
                   "a response header with CR, LF or NUL: " + name);
  }
  EMG_FUZZ_CHECK(r.route.find('?') == std::string::npos, "a route label with a query");
  std::string_view type = r.Header("Content-Type");
  if (!r.body.empty() && type.find("json") != std::string_view::npos) {
    auto body = fhir::json::Parse(r.body);
    EMG_FUZZ_CHECK(body.has_value(), "a JSON answer that does not parse");
    if (r.status >= 400) {
      EMG_FUZZ_CHECK(body->GetString("resourceType") == "OperationOutcome",
                     "an error answered without an OperationOutcome");
    }
  }
}

// What gateway/http/session.cpp does with a parsed request (Dispatch), up to the handler.
void Serve(bhttp::request<bhttp::string_body>& msg) {
  gateway::HttpRequest request;
  request.method = std::string(msg.method_string());
  request.target = std::string(msg.target());
  for (const auto& field : msg) {
    request.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
  }
  request.context.request_id = gateway::http::ChooseRequestId(msg["x-request-id"]);
  EMG_FUZZ_CHECK(gateway::http::IsValidRequestId(request.context.request_id),
                 "a request id that is not valid");

  auto target = gateway::http::ParseTarget(request.target);
  if (!target.has_value()) {
    EMG_FUZZ_CHECK(target.error().code() == common::Code::kInvalidArgument,
                   "a target refusal that is not kInvalidArgument");
    return;  // the edge answers 400 with the (fixed) message
  }
  EMG_FUZZ_CHECK(target->path == "*" || target->path.starts_with('/'),
                 "a parsed path that does not start with /");
  request.path = std::move(target->path);
  request.query = std::move(target->query);
  request.body = std::move(msg.body());

  (void)gateway::identity::CookieValue(request.Header("cookie"), gateway::identity::kSessionCookie);
  if (auto edge = gateway::http::ServeEdgeRoute(request, true, false, world->metrics)) {
    emg_fuzz::Note(request.method + " edge " + request.path + " -> " +
                   std::to_string(edge->status));
    CheckResponse(*edge);
    return;
  }
  gateway::HttpResponse response;
  try {
    response = world->api->Handle(request);
  } catch (...) {
    EMG_FUZZ_CHECK(false, "the FHIR handler threw");
  }
  emg_fuzz::Note(request.method + " " + response.route + " -> " + std::to_string(response.status) +
                 " " + response.body.substr(0, 200));
  CheckResponse(response);
  world->metrics.ObserveRequest(request.method, response.route, response.status, 0.001);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  emg_fuzz::QuietLogs();
  world = new World();
  world->store = emg_fuzz::OpenTempStore("http");
  if (!world->store) std::abort();
  if (common::Status s = emg_fuzz::SeedResources(*world->store); !s.ok()) {
    std::fprintf(stderr, "fuzz: seeding failed: %s\n", s.message().c_str());
    std::abort();
  }
  world->rollback = std::make_unique<emg_fuzz::RollbackStore>(*world->store);
  gateway::FhirApiOptions options;
  options.base_url = "http://fhir.fuzz.example";
  options.max_body_bytes = world->options.body_limit_bytes;
  world->api = std::make_unique<gateway::FhirApi>(*world->rollback, options);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  // Up to four pipelined requests on one connection, as the session reads them.
  for (int n = 0; n < 4 && !data.empty(); ++n) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(world->options.header_limit_bytes);
    parser.body_limit(world->options.body_limit_bytes);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!data.empty() && !parser.is_done()) {
      size_t used = parser.put(boost::asio::buffer(data.data(), data.size()), ec);
      data.remove_prefix(used);
      if (ec || used == 0) break;
    }
    if (ec == bhttp::error::need_more) {
      ec = {};
      parser.put_eof(ec);  // the client closed mid-request
    }
    if (ec || !parser.is_done()) {  // the edge answers 400/413/431 or closes
      emg_fuzz::Note("not parsed: " + ec.message());
      return 0;
    }
    Serve(parser.get());
    if (!parser.get().keep_alive()) return 0;
  }
  return 0;
}
