// Fuzz target: raw HTTP/1.1 requests at the edge, as a client writes them on the socket: the
// request parser with the server's own header and body limits (Boost.Beast, configured as
// gateway/http/session.cpp configures it; pipelined requests included), the conversion the
// session makes (lower-cased header names, request id), the request-target parsing
// (gateway/http/target.h), the edge routes, authentication (Authorization Bearer/DPoP, the DPoP
// proof header, the session cookie and X-Requested-With: gateway/identity/authenticator.h), the
// authorizing store and audit trail (gateway/identity/secure_api.h), and the FHIR REST layer
// with every header it reads (Accept, Content-Type, Prefer, If-Match, If-None-Match,
// If-None-Exist, If-Modified-Since...). The store is the real SQLite store with synthetic
// resources whose writes (and AuditEvents) are rolled back, so each input meets the same data.
//
// Credentials: a fuzzer cannot forge a signature, so these placeholders in header values are
// replaced by real credentials before the request is served:
//   {{token}}            an ES256 access token of system client "client-1" (role: *.cruds),
//                        DPoP-bound to the target's key
//   {{token-personnel}}  the same for personnel client "client-2" (HPR 9144889, level 4)
//   {{session}}          a gateway session of patient pat1 (the patient session scopes)
//   {{proof}}            a DPoP proof for this request's method and URL and the token above
// A request without Authorization or Cookie runs with auth off (as the gateway itself).
//
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

#include "authz/access.h"
#include "authz/compartment.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fuzz/support/harness.h"
#include "fuzz/support/jose_support.h"
#include "gateway/http/edge_routes.h"
#include "gateway/http/metrics.h"
#include "gateway/http/server.h"
#include "gateway/http/target.h"
#include "gateway/identity/auth_policy.h"
#include "gateway/identity/authenticator.h"
#include "gateway/identity/secure_api.h"
#include "gateway/identity/sessions.h"
#include "gateway/rest/fhir_api.h"
#include "jose/dpop.h"
#include "jose/jws.h"

namespace {

namespace bhttp = boost::beast::http;
using fhir::json::Value;

constexpr std::string_view kPublicUrl = "http://fhir.fuzz.example";
constexpr std::string_view kIssuer = "https://helseid.fuzz.example";

struct World {
  std::unique_ptr<fhir::store::Store> store;
  std::unique_ptr<emg_fuzz::RollbackStore> rollback;
  std::unique_ptr<gateway::FhirApi> api;
  gateway::http::Metrics metrics;
  gateway::http::ServerOptions options;
  gateway::identity::AuthPolicy auth_policy;
  authz::AccessPolicy access_policy;
  std::string system_token;
  std::string personnel_token;
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

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
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

// The issuer's discovery document and JWKS, as its endpoints would serve them.
common::StatusOr<std::string> Fetch(const std::string& url) {
  const std::string issuer(kIssuer);
  if (url == issuer + "/.well-known/openid-configuration") {
    Value d = Value::Object();
    d.Set("issuer", Value::String(issuer));
    d.Set("jwks_uri", Value::String(issuer + "/jwks"));
    d.Set("token_endpoint", Value::String(issuer + "/connect/token"));
    return fhir::json::Write(d);
  }
  if (url == issuer + "/jwks") {
    Value set = Value::Object();
    set.Set("keys", Value::Array()).Append(emg_fuzz::VerifyingKey().ToJwk());
    return fhir::json::Write(set);
  }
  return common::Error(common::Code::kUnavailable, "no such URL");
}

std::string AccessToken(bool personnel) {
  const int64_t now = 1704067200;
  Value header = Value::Object();
  header.Set("typ", Value::String("at+jwt"));
  header.Set("kid", Value::String("fuzz-key"));
  Value claims = Value::Object();
  claims.Set("iss", Value::String(std::string(kIssuer)));
  claims.Set("aud", Value::String("emeistring-api"));
  claims.Set("client_id", Value::String(personnel ? "client-2" : "client-1"));
  claims.Set("sub", Value::String(personnel ? "user-1" : "client-1"));
  claims.Set("jti", Value::String(personnel ? "token-2" : "token-1"));
  claims.Set("scope", Value::String(personnel ? "openid user/*.cruds" : "system/*.cruds"));
  claims.Set("iat", Value::Number(std::to_string(now)));
  claims.Set("exp", Value::Number(std::to_string(now + 600)));
  Value cnf = Value::Object();
  cnf.Set("jkt", Value::String(emg_fuzz::VerifyingKey().Thumbprint()));
  claims.Set("cnf", std::move(cnf));
  claims.Set("helseid://claims/client/claims/orgnr_parent", Value::String("996543218"));
  if (personnel) {
    claims.Set("helseid://claims/hpr/hpr_number", Value::String("9144889"));
    claims.Set("helseid://claims/identity/security_level", Value::String("4"));
  }
  auto token =
      jose::SignCompact(std::move(header), claims, emg_fuzz::SigningKey(), jose::Alg::kES256);
  if (!token.has_value()) std::abort();
  return *token;
}

// Puts real credentials where the input has placeholders (see the top of the file).
bool FillCredentials(gateway::HttpRequest& request, gateway::identity::SessionStore& sessions) {
  bool has_credentials = false;
  std::string session;
  std::string token;
  for (auto& [name, value] : request.headers) {
    if (name == "authorization" || name == "cookie") has_credentials = true;
    if (value.find("{{") == std::string::npos) continue;
    if (value.find("{{session}}") != std::string::npos && session.empty()) {
      gateway::identity::Session s;
      auto p = std::make_shared<authz::Principal>();
      p->kind = authz::PrincipalKind::kPatient;
      p->issuer = "urn:emeistring:fuzz";
      p->subject = "patient-1";
      p->patient_id = "pat1";
      p->scopes = authz::ScopeSet::Parse(gateway::identity::kPatientSessionScopes);
      p->permissions = p->scopes;
      s.principal = std::move(p);
      s.idp = "fuzz";
      session = sessions.Create(std::move(s), emg_fuzz::FixedNow());
    }
    ReplaceAll(value, "{{session}}", session);
    if (value.find("{{token-personnel}}") != std::string::npos) token = world->personnel_token;
    if (value.find("{{token}}") != std::string::npos) token = world->system_token;
    ReplaceAll(value, "{{token-personnel}}", world->personnel_token);
    ReplaceAll(value, "{{token}}", world->system_token);
  }
  for (auto& [name, value] : request.headers) {
    if (value.find("{{proof}}") == std::string::npos) continue;
    auto proof = jose::MakeDpopProof(emg_fuzz::SigningKey(), jose::Alg::kES256, request.method,
                                     std::string(kPublicUrl) + request.path, token,
                                     emg_fuzz::FixedNow(), "proof-1");
    ReplaceAll(value, "{{proof}}", proof.has_value() ? *proof : std::string());
  }
  return has_credentials;
}

// What gateway/http/session.cpp does with a parsed request (Dispatch), up to the handler, and
// the handler the application installs for the FHIR API (the secured one).
void Serve(bhttp::request<bhttp::string_body>& msg) {
  gateway::HttpRequest request;
  request.method = std::string(msg.method_string());
  request.target = std::string(msg.target());
  for (const auto& field : msg) {
    request.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
  }
  request.context.request_id = gateway::http::ChooseRequestId(msg["x-request-id"]);
  request.context.remote_address = "192.0.2.1";
  EMG_FUZZ_CHECK(gateway::http::IsValidRequestId(request.context.request_id),
                 "a request id that is not valid");

  auto target = gateway::http::ParseTarget(request.target);
  if (!target.has_value()) {
    EMG_FUZZ_CHECK(target.error().code() == common::Code::kInvalidArgument,
                   "a target refusal that is not kInvalidArgument");
    emg_fuzz::Note("target refused: " + target.error().message());
    return;  // the edge answers 400 with the (fixed) message
  }
  EMG_FUZZ_CHECK(target->path == "*" || target->path.starts_with('/'),
                 "a parsed path that does not start with /");
  request.path = std::move(target->path);
  request.query = std::move(target->query);
  request.body = std::move(msg.body());

  if (auto edge = gateway::http::ServeEdgeRoute(request, true, false, world->metrics)) {
    emg_fuzz::Note(request.method + " edge " + request.path + " -> " +
                   std::to_string(edge->status));
    CheckResponse(*edge);
    return;
  }

  // Per request, so that the DPoP replay cache and the sessions start empty every time.
  gateway::identity::SessionStore sessions(std::chrono::minutes(30));
  const bool authenticated = FillCredentials(request, sessions);
  gateway::identity::Authenticator authenticator(world->auth_policy, sessions, *world->rollback,
                                                 std::string(kPublicUrl), "http", Fetch,
                                                 emg_fuzz::FixedNow);
  gateway::identity::SecureFhirApi api(*world->api, *world->rollback,
                                       authenticated ? &authenticator : nullptr,
                                       world->access_policy, emg_fuzz::FixedNow);
  gateway::HttpResponse response;
  try {
    response = api.Handle(request);
  } catch (...) {
    EMG_FUZZ_CHECK(false, "the FHIR handler threw");
  }
  emg_fuzz::Note(request.method + " " + response.route + (authenticated ? " (auth)" : "") + " -> " +
                 std::to_string(response.status) + " " + response.body.substr(0, 200));
  CheckResponse(response);
  world->metrics.ObserveRequest(request.method, response.route, response.status, 0.001);
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  emg_fuzz::QuietLogs();
  world = new World();
  world->store = emg_fuzz::OpenTempStore("http");
  if (!world->store) std::abort();
  if (common::Status s = emg_fuzz::SeedResources(*world->store); !s.ok()) {
    Fail("seeding failed: " + s.message());
  }
  world->rollback = std::make_unique<emg_fuzz::RollbackStore>(*world->store);
  gateway::FhirApiOptions options;
  options.base_url = std::string(kPublicUrl);
  options.max_body_bytes = world->options.body_limit_bytes;
  world->api = std::make_unique<gateway::FhirApi>(*world->rollback, options);

  auto compartment = authz::PatientCompartment::Load(emg_fuzz::SourceDir() +
                                                     "/mappings/access/patient-compartment.json");
  if (!compartment.has_value()) Fail("compartment: " + compartment.error().message());
  world->access_policy.compartment =
      std::make_shared<authz::PatientCompartment>(std::move(*compartment));
  world->access_policy.base_url = std::string(kPublicUrl);

  gateway::identity::ApiIssuer issuer;
  issuer.issuer = std::string(kIssuer);
  issuer.audience = "emeistring-api";
  issuer.algorithms = {jose::Alg::kES256};
  world->auth_policy.api_issuers.push_back(issuer);
  world->auth_policy.clients[issuer.issuer]["client-1"] = {"system", "ehr"};
  world->auth_policy.clients[issuer.issuer]["client-2"] = {"personnel", ""};
  world->auth_policy.roles["ehr"] = {"*.cruds"};
  world->system_token = AccessToken(false);
  world->personnel_token = AccessToken(true);
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
