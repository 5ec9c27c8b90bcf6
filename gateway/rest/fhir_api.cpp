#include "gateway/rest/fhir_api.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <optional>

#include "common/log.h"
#include "common/uuid.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/model/model.h"
#include "fhir/search/parse.h"
#include "fhir/served_types.h"
#include "fhir/validation/validator.h"
#include "gateway/rest/call.h"
#include "gateway/rest/resource_ops.h"

namespace gateway {

using common::Code;
using common::Status;
using rest::Call;
using rest::ErrorResponse;

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

// Whether a Host header value names this machine's loopback interface ("localhost:8080",
// "127.0.0.1", "[::1]:80"). Without a configured base URL only such a Host is used for links:
// any other value is the client's word and must not end up in a Location header.
bool IsLoopbackHost(std::string_view host) {
  std::string_view name = host;
  if (name.starts_with("[")) {
    name = name.substr(0, name.find(']') == std::string_view::npos ? 0 : name.find(']') + 1);
    return name == "[::1]";
  }
  name = name.substr(0, name.find(':'));
  if (name == "localhost") return true;
  if (!name.starts_with("127.")) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return c == '.' || std::isdigit(static_cast<unsigned char>(c));
  });
}

bool SaneHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']')) {
      return false;
    }
  }
  return true;
}

HttpResponse MethodNotAllowed(std::string allow) {
  HttpResponse r =
      ErrorResponse(Status(Code::kInvalidArgument, "method not allowed here; allowed: " + allow));
  r.status = 405;
  r.SetHeader("Allow", std::move(allow));
  return r;
}

HttpResponse UnknownType(const std::string& type) {
  // The path segment is repeated only when it is shaped like a type name: it may be data (a
  // client that put an identifier or a name first in the path).
  if (!rest::IsPlausibleTypeName(type)) {
    return ErrorResponse(Status(Code::kNotFound,
                                "the path does not start with a resource type "
                                "supported by this server"));
  }
  return ErrorResponse(
      Status(Code::kNotFound, "resource type '" + type + "' is not supported by this server"));
}

void ReadPrefer(Call& call) {
  std::string_view prefer = call.request.Header("prefer");
  if (prefer.find("return=minimal") != std::string_view::npos) {
    call.prefer_return = rest::PreferReturn::kMinimal;
  } else if (prefer.find("return=OperationOutcome") != std::string_view::npos) {
    call.prefer_return = rest::PreferReturn::kOperationOutcome;
  }
  call.strict_handling = prefer.find("handling=strict") != std::string_view::npos;
}

}  // namespace

bool FhirApiOptions::Serves(std::string_view type) const {
  return std::binary_search(resource_types.begin(), resource_types.end(), type);
}

FhirApi::FhirApi(fhir::store::Store& store, FhirApiOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.resource_types.empty()) options_.resource_types = fhir::DefaultServedTypes();
  std::sort(options_.resource_types.begin(), options_.resource_types.end());
}

HttpResponse FhirApi::Handle(const HttpRequest& request) { return Handle(request, store_); }

HttpResponse FhirApi::Handle(const HttpRequest& request, fhir::store::Store& store) {
  Call call{request, store, options_, {}, {}, {}, false, request.query, "unmatched"};
  HttpResponse response;
  try {
    response = Dispatch(call);
  } catch (const std::exception&) {
    common::log::Error("handler_exception", {{"request_id", request.context.request_id}});
    response = ErrorResponse(Status(Code::kInternal, "internal error while handling the request"));
  }
  response.route = call.route;
  return response;
}

HttpResponse FhirApi::Dispatch(Call& call) {
  const HttpRequest& req = call.request;
  for (const auto& [name, value] : call.params) {
    if (name == "_pretty") call.rendering.pretty = value == "true";
  }
  if (!options_.base_url.empty()) {
    call.base = options_.base_url;
    while (!call.base.empty() && call.base.back() == '/') call.base.pop_back();
  } else {
    std::string_view host = req.Header("host");
    call.base = options_.scheme + "://" +
                std::string(SaneHost(host) && IsLoopbackHost(host) ? host : "localhost");
  }
  ReadPrefer(call);
  if (auto bad = rest::CheckAcceptable(req)) return *bad;

  std::vector<std::string> parts = SplitPath(req.path);
  // HEAD is answered wherever GET is (RFC 9110 9.3.2): the same status and headers; the edge
  // sends no body.
  const std::string m = req.method == "HEAD" ? std::string("GET") : req.method;
  if (parts.empty()) {
    call.route = "/";
    if (m == "POST") return rest::HandleBundle(call, *this);
    if (m == "GET") return rest::HandleSearch(call, "");
    return MethodNotAllowed("GET, HEAD, POST");
  }
  if (parts[0] == "metadata" && parts.size() == 1) {
    call.route = "/metadata";
    if (m != "GET") return MethodNotAllowed("GET, HEAD");
    return rest::HandleCapabilities(call);
  }
  if (parts[0] == "_history" && parts.size() == 1) {
    call.route = "/_history";
    if (m != "GET") return MethodNotAllowed("GET, HEAD");
    return rest::HandleHistory(call, "", "");
  }
  if (parts[0] == "_search" && parts.size() == 1) {
    call.route = "/_search";
    if (m != "POST") return MethodNotAllowed("POST");
    if (auto refused = rest::UseFormBody(call)) return std::move(*refused);
    return rest::HandleSearch(call, "");
  }
  const std::string& type = parts[0];
  if (!call.options.Serves(type)) {
    call.route = "/{type}";
    return UnknownType(type);
  }
  if (parts.size() == 1) {
    call.route = "/{type}";
    if (m == "GET") return rest::HandleSearch(call, type);
    if (m == "POST") return rest::Create(call, type);
    if (m == "PUT") return rest::ConditionalUpdate(call, type);
    if (m == "DELETE") return rest::ConditionalDelete(call, type);
    return MethodNotAllowed("GET, HEAD, POST, PUT, DELETE");
  }
  if (parts.size() == 2 && parts[1] == "_search") {
    call.route = "/{type}/_search";
    if (m != "POST") return MethodNotAllowed("POST");
    if (auto refused = rest::UseFormBody(call)) return std::move(*refused);
    return rest::HandleSearch(call, type);
  }
  if (parts.size() == 2 && parts[1] == "_history") {
    call.route = "/{type}/_history";
    if (m != "GET") return MethodNotAllowed("GET, HEAD");
    return rest::HandleHistory(call, type, "");
  }
  const std::string& id = parts[1];
  if (parts.size() == 2) {
    call.route = "/{type}/{id}";
    if (m == "GET") return rest::Read(call, type, id);
    if (m == "PUT") return rest::Update(call, type, id);
    if (m == "DELETE") return rest::Delete(call, type, id);
    return MethodNotAllowed("GET, HEAD, PUT, DELETE");
  }
  if (parts.size() == 3 && parts[2] == "_history") {
    call.route = "/{type}/{id}/_history";
    if (m != "GET") return MethodNotAllowed("GET, HEAD");
    return rest::HandleHistory(call, type, id);
  }
  if (parts.size() == 4 && parts[2] == "_history") {
    call.route = "/{type}/{id}/_history/{vid}";
    if (m != "GET") return MethodNotAllowed("GET, HEAD");
    return rest::VRead(call, type, id, parts[3]);
  }
  call.route = "unmatched";
  return ErrorResponse(Status(Code::kNotFound, "no FHIR interaction matches this path"));
}

Status FhirApi::SeedFromBundle(std::string_view bundle_json) {
  HttpRequest req;
  req.method = "POST";
  req.path = "/";
  req.target = "/";
  req.headers.emplace_back("content-type", "application/fhir+json");
  req.headers.emplace_back("prefer", "return=minimal");
  req.body = std::string(bundle_json);
  req.context.request_id = "seed";
  HttpResponse resp = Handle(req);
  if (resp.status != 200) {
    return Status(Code::kInvalidArgument, "the seed bundle was rejected with HTTP " +
                                              std::to_string(resp.status) + ": " +
                                              resp.body.substr(0, 2000));
  }
  return Status::Ok();
}

}  // namespace gateway
