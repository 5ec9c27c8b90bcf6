#include "gateway/identity/login_routes.h"

#include "common/log.h"
#include "common/norwegian_id.h"
#include "common/url.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "gateway/identity/authenticator.h"
#include "gateway/identity/secure_api.h"
#include "gateway/rest/http_util.h"
#include "jose/jws.h"

namespace gateway::identity {
namespace {

using authz::Principal;
using authz::PrincipalKind;
using authz::ScopeContext;
using authz::ScopeSet;
using common::Code;
using common::Status;
using fhir::json::Value;

std::string Param(const std::vector<std::pair<std::string, std::string>>& params,
                  std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

HttpResponse Fail(Code code, std::string message) {
  HttpResponse r = AuthErrorResponse(Status(code, std::move(message)), "");
  if (code == Code::kInvalidArgument) r.status = 400;
  if (code == Code::kNotFound) r.status = 404;
  if (code == Code::kUnauthenticated)
    r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                   [](const auto& h) { return h.first == "WWW-Authenticate"; }),
                    r.headers.end());
  r.route = "/auth";
  return r;
}

HttpResponse Json(int status, const Value& body) {
  HttpResponse r;
  r.status = status;
  r.route = "/auth";
  r.SetHeader("Content-Type", "application/json");
  r.SetHeader("Cache-Control", "no-store");
  r.body = fhir::json::Write(body);
  return r;
}

HttpResponse Redirect(int status, std::string location) {
  HttpResponse r;
  r.status = status;
  r.route = "/auth";
  r.SetHeader("Location", std::move(location));
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

std::string Cookie(std::string_view name, std::string_view value, int64_t max_age) {
  return std::string(name) + "=" + std::string(value) +
         "; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=" + std::to_string(max_age);
}

std::vector<std::pair<std::string, std::string>> FormOf(const HttpRequest& request) {
  if (request.Header("content-type").starts_with("application/x-www-form-urlencoded")) {
    return common::ParseFormUrlEncoded(request.body).value_or(common::FormPairs{});
  }
  return {};
}

std::string WithQuery(std::string url, std::string_view name, std::string_view value) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += std::string(name) + "=" + common::PercentEncode(value);
  return url;
}

ScopeSet PatientScopes() { return ScopeSet::Parse(kPatientSessionScopes); }

}  // namespace

LoginRoutes::LoginRoutes(const AuthPolicy& policy, SessionStore& sessions,
                         fhir::store::Store& store, LoginDependencies deps, bool dev_login)
    : policy_(policy),
      sessions_(sessions),
      store_(store),
      directory_(store),
      deps_(std::move(deps)),
      dev_login_(dev_login) {
  for (size_t i = 0; i < policy_.patient_login.size(); ++i) {
    const auto& idp = policy_.patient_login[i];
    ::jose::IssuerKeysOptions options;
    options.issuer = idp.issuer;
    options.allow_http_loopback = policy_.patient_login_http_loopback[i];
    keys_[idp.name] = std::make_unique<::jose::IssuerKeys>(options, deps_.fetch, deps_.clock);
  }
}

const adapters::bankid::PatientIssuer* LoginRoutes::FindIdp(std::string_view name) const {
  if (name.empty() && policy_.patient_login.size() == 1) return &policy_.patient_login[0];
  for (const auto& idp : policy_.patient_login) {
    if (idp.name == name) return &idp;
  }
  return nullptr;
}

bool LoginRoutes::AllowedReturnTo(std::string_view r) const {
  // A path on this gateway (not "//host", which browsers read as another site), or a
  // registered app/front-end prefix. Anything else would make us an open redirector.
  if (r.starts_with("/") && !r.starts_with("//") && r.find('\\') == std::string_view::npos) {
    return true;
  }
  for (const std::string& prefix : policy_.return_to_prefixes) {
    if (r.starts_with(prefix)) return true;
  }
  return false;
}

std::optional<HttpResponse> LoginRoutes::Handle(const HttpRequest& request) {
  const std::string& path = request.path;
  const std::string& m = request.method;
  if (path == "/auth/login" && m == "GET") return Login(request);
  if (path == "/auth/callback" && m == "GET") return Callback(request);
  if (path == "/auth/session/exchange" && m == "POST") return Exchange(request);
  if (path == "/auth/session" && m == "GET") return Who(request);
  if (path == "/auth/logout" && (m == "POST" || m == "GET")) return Logout(request);
  if (path == "/auth/backchannel-logout" && m == "POST") return BackchannelLogout(request);
  if (dev_login_ && path == "/auth/dev" && m == "GET") return DevPage(request);
  if (dev_login_ && path == "/auth/dev/login" && m == "POST") return DevLogin(request);
  return Fail(Code::kNotFound, "no such authentication endpoint (or not with this method)");
}

HttpResponse LoginRoutes::Login(const HttpRequest& request) {
  const adapters::bankid::PatientIssuer* idp = FindIdp(Param(request.query, "idp"));
  if (idp == nullptr) return Fail(Code::kNotFound, "unknown identity provider (idp)");
  std::string return_to = Param(request.query, "return_to");
  if (return_to.empty()) return_to = "/auth/session";
  if (!AllowedReturnTo(return_to)) {
    return Fail(Code::kInvalidArgument,
                "return_to must be a path on this server or a registered "
                "application address");
  }
  auto metadata = keys_.at(idp->name)->Metadata();
  if (!metadata.has_value()) {
    common::log::Warn("idp_unavailable",
                      {{"idp", idp->name}, {"error", metadata.error().message()}});
    return Fail(Code::kUnavailable, "the identity provider cannot be reached; try again later");
  }
  auto begun = adapters::bankid::BeginLogin(*idp, *metadata, return_to,
                                            Param(request.query, "app") == "1", deps_.clock());
  if (!begun.has_value()) return Fail(begun.error().code(), begun.error().message());
  std::string state = begun->pending.state;
  sessions_.PutPending(std::move(begun->pending));
  HttpResponse r = Redirect(302, begun->url);
  r.headers.emplace_back("Set-Cookie", Cookie(kLoginCookie, state, 600));
  return r;
}

HttpResponse LoginRoutes::Callback(const HttpRequest& request) {
  const std::string state = Param(request.query, "state");
  auto pending = sessions_.TakePending(state, deps_.clock());
  if (state.empty() || !pending) {
    return Fail(Code::kInvalidArgument,
                "this login is unknown, expired or already completed; start again");
  }
  // Login CSRF: the callback must reach the browser that started this login.
  if (CookieValue(request.Header("cookie"), kLoginCookie) != state) {
    return Fail(Code::kInvalidArgument, "the login was started in another browser; start again");
  }
  const adapters::bankid::PatientIssuer* idp = FindIdp(pending->idp);
  if (idp == nullptr) return Fail(Code::kInvalidArgument, "unknown identity provider");
  auto metadata = keys_.at(idp->name)->Metadata();
  if (!metadata.has_value()) {
    return Fail(Code::kUnavailable, "the identity provider cannot be reached; try again later");
  }
  adapters::bankid::CallbackParams callback;
  callback.code = Param(request.query, "code");
  callback.state = state;
  callback.iss = Param(request.query, "iss");
  callback.error = Param(request.query, "error");
  auto login = adapters::bankid::CompleteLogin(*idp, *metadata, *keys_.at(idp->name), *pending,
                                               callback, deps_.post, deps_.clock());
  if (!login.has_value()) {
    Principal anonymous;
    anonymous.kind = PrincipalKind::kPatient;
    anonymous.issuer = idp->issuer;
    anonymous.client_id = idp->client_id;
    anonymous.remote_address = request.context.remote_address;
    AuditLogin(request, anonymous, "login", 4, "login refused");
    common::log::Info("login_refused", {{"request_id", request.context.request_id},
                                        {"idp", idp->name},
                                        {"reason", login.error().message()}});
    return Fail(Code::kUnauthenticated, "login failed: " + login.error().message());
  }
  PersonDetails person{login->national_id, login->d_number, login->given_name, login->family_name,
                       login->birthdate};
  auto patient = directory_.FindOrCreatePatient(person);
  if (!patient.has_value()) return Fail(patient.error().code(), patient.error().message());

  auto p = std::make_shared<Principal>();
  p->kind = PrincipalKind::kPatient;
  p->issuer = login->issuer;
  p->subject = login->subject;
  p->client_id = idp->client_id;
  p->patient_id = *patient;
  p->scopes = PatientScopes();
  p->permissions = PatientScopes();
  Session session;
  session.idp = idp->name;
  session.issuer = login->issuer;
  session.subject = login->subject;
  session.sid = login->sid;
  session.id_token = login->id_token;
  session.acr = login->acr;
  session.principal = p;
  return StartSession(request, std::move(session), pending->app, pending->return_to);
}

HttpResponse LoginRoutes::StartSession(const HttpRequest& request, Session session, bool app,
                                       const std::string& return_to) {
  authz::PrincipalPtr principal = session.principal;
  const common::SystemTime now = deps_.clock();
  std::string token = sessions_.Create(std::move(session), now);
  Principal audited = *principal;
  audited.remote_address = request.context.remote_address;
  AuditLogin(request, audited, "login", 0, "");
  common::log::Info("login", {{"request_id", request.context.request_id},
                              {"kind", std::string(authz::PrincipalKindName(principal->kind))}});
  HttpResponse r;
  if (app) {
    r = Redirect(303, WithQuery(return_to, "handoff", sessions_.PutHandoff(token, now)));
  } else {
    r = Redirect(303, return_to);
    r.headers.emplace_back("Set-Cookie", Cookie(kSessionCookie, token, sessions_.ttl().count()));
  }
  r.headers.emplace_back("Set-Cookie", Cookie(kLoginCookie, "", 0));
  return r;
}

HttpResponse LoginRoutes::Exchange(const HttpRequest& request) {
  std::string code = Param(FormOf(request), "handoff");
  const common::SystemTime now = deps_.clock();
  std::optional<std::string> token = code.empty() ? std::nullopt : sessions_.TakeHandoff(code, now);
  if (!token) return Fail(Code::kInvalidArgument, "the handoff code is unknown, expired or used");
  std::optional<Session> session = sessions_.Find(*token, now);
  if (!session) return Fail(Code::kInvalidArgument, "the session has already ended");
  Value body = Value::Object();
  body.Set("access_token", Value::String(*token));
  body.Set("token_type", Value::String("Bearer"));
  auto left = std::chrono::duration_cast<std::chrono::seconds>(session->expires - now).count();
  body.Set("expires_in", Value::Number(std::to_string(left)));
  body.Set("patient", Value::String("Patient/" + session->principal->patient_id));
  return Json(200, body);
}

std::optional<std::pair<std::string, Session>> LoginRoutes::CurrentSession(
    const HttpRequest& request) {
  std::string token;
  std::string_view authorization = request.Header("authorization");
  if (authorization.starts_with("Bearer ") || authorization.starts_with("bearer ")) {
    token = std::string(authorization.substr(7));
  } else {
    token = CookieValue(request.Header("cookie"), kSessionCookie);
  }
  if (token.empty()) return std::nullopt;
  std::optional<Session> s = sessions_.Find(token, deps_.clock());
  if (!s) return std::nullopt;
  return std::make_pair(std::move(token), std::move(*s));
}

HttpResponse LoginRoutes::Who(const HttpRequest& request) {
  auto current = CurrentSession(request);
  if (!current) return Fail(Code::kUnauthenticated, "no session");
  const Principal& p = *current->second.principal;
  Value body = Value::Object();
  body.Set("kind", Value::String(std::string(authz::PrincipalKindName(p.kind))));
  if (!p.patient_id.empty()) body.Set("patient", Value::String("Patient/" + p.patient_id));
  if (!p.practitioner_id.empty()) {
    body.Set("practitioner", Value::String("Practitioner/" + p.practitioner_id));
  }
  body.Set("idp", Value::String(current->second.idp));
  if (!current->second.acr.empty()) body.Set("acr", Value::String(current->second.acr));
  body.Set("expires", Value::String(common::FormatInstant(current->second.expires)));
  return Json(200, body);
}

HttpResponse LoginRoutes::Logout(const HttpRequest& request) {
  auto current = CurrentSession(request);
  const bool cookie = !request.Header("authorization").starts_with("Bearer") &&
                      !request.Header("authorization").starts_with("bearer");
  std::string end_session;
  if (current) {
    sessions_.Remove(current->first);
    Principal audited = *current->second.principal;
    audited.remote_address = request.context.remote_address;
    AuditLogin(request, audited, "logout", 0, "");
    if (const auto* idp = FindIdp(current->second.idp); idp != nullptr) {
      if (auto metadata = keys_.at(idp->name)->Metadata(); metadata.has_value()) {
        end_session = adapters::bankid::EndSessionUrl(*metadata, current->second.id_token,
                                                      idp->post_logout_redirect_uri,
                                                      adapters::bankid::RandomToken(16));
      }
    }
  }
  HttpResponse r;
  if (cookie && request.method == "GET" && !end_session.empty()) {
    r = Redirect(303, end_session);
  } else {
    Value body = Value::Object();
    body.Set("logged_out", Value::Bool(current.has_value()));
    if (!end_session.empty()) body.Set("end_session_url", Value::String(end_session));
    r = Json(200, body);
  }
  r.headers.emplace_back("Set-Cookie", Cookie(kSessionCookie, "", 0));
  return r;
}

HttpResponse LoginRoutes::BackchannelLogout(const HttpRequest& request) {
  std::string token = Param(FormOf(request), "logout_token");
  auto bad = [] {
    HttpResponse r = Json(400, [] {
      Value v = Value::Object();
      v.Set("error", Value::String("invalid_request"));
      return v;
    }());
    return r;
  };
  if (token.empty()) return bad();
  auto jws = ::jose::ParseCompact(token);
  if (!jws.has_value()) return bad();
  auto claims = fhir::json::Parse(jws->payload);
  if (!claims.has_value() || !claims->is_object()) return bad();
  const std::string_view iss = claims->GetString("iss");
  for (const auto& idp : policy_.patient_login) {
    if (idp.issuer != iss) continue;
    const common::SystemTime now = deps_.clock();
    auto logout = adapters::bankid::VerifyLogoutToken(idp, *keys_.at(idp.name), token, now);
    if (!logout.has_value()) {
      common::log::Info("backchannel_logout_refused",
                        {{"idp", idp.name}, {"reason", logout.error().message()}});
      return bad();
    }
    if (!logout_replay_.CheckAndRecord(idp.issuer + "|" + logout->jti,
                                       now + std::chrono::minutes(10), now)) {
      return bad();
    }
    size_t removed = sessions_.RemoveFor(idp.issuer, logout->sid, logout->subject);
    common::log::Info("backchannel_logout", {{"idp", idp.name}, {"sessions", removed}});
    return Json(200, Value::Object());
  }
  return bad();
}

HttpResponse LoginRoutes::DevPage(const HttpRequest&) {
  HttpResponse r;
  r.status = 200;
  r.route = "/auth";
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  r.body = R"(<!DOCTYPE html><html lang="en"><meta charset="utf-8"><title>Development login</title>
<h1>Development login (synthetic test persons only)</h1>
<p>This page exists only when auth.dev_login is on and the gateway listens on loopback.</p>
<form method="post" action="/auth/dev/login"><h2>Patient</h2>
<label>Synthetic fødselsnummer (month + 80) <input name="fnr" value="12839140000"></label>
<input type="hidden" name="return_to" value="/auth/session"><button>Log in as patient</button></form>
<form method="post" action="/auth/dev/login"><h2>Therapist</h2>
<label>HPR number <input name="hpr" value="9144900"></label>
<label>Organisation number <input name="orgnr" value="999999970"></label>
<input type="hidden" name="return_to" value="/auth/session"><button>Log in as therapist</button></form>
</html>)";
  return r;
}

HttpResponse LoginRoutes::DevLogin(const HttpRequest& request) {
  auto form = FormOf(request);
  std::string return_to = Param(form, "return_to");
  if (return_to.empty()) return_to = "/auth/session";
  if (!AllowedReturnTo(return_to)) return Fail(Code::kInvalidArgument, "return_to is not allowed");
  auto p = std::make_shared<Principal>();
  p->issuer = "urn:emeistring:development";
  p->client_id = "development-login";
  p->development = true;
  const std::string fnr = Param(form, "fnr");
  const std::string hpr = Param(form, "hpr");
  if (!fnr.empty()) {
    std::optional<common::NorwegianId> id = common::ParseNorwegianId(fnr);
    if (!id || !id->synthetic || id->kind == common::NorwegianIdKind::kHNummer) {
      return Fail(Code::kInvalidArgument,
                  "development login takes synthetic test numbers only (month + 80, valid "
                  "check digits)");
    }
    auto patient = directory_.FindOrCreatePatient(
        {fnr, id->kind == common::NorwegianIdKind::kDNummer, "", "", ""});
    if (!patient.has_value()) return Fail(patient.error().code(), patient.error().message());
    p->kind = PrincipalKind::kPatient;
    p->patient_id = *patient;
    p->subject = "dev-patient-" + *patient;
    p->scopes = PatientScopes();
    p->permissions = PatientScopes();
  } else if (!hpr.empty()) {
    if (hpr.size() > 9 || hpr.find_first_not_of("0123456789") != std::string::npos) {
      return Fail(Code::kInvalidArgument, "hpr must be an HPR number (digits)");
    }
    auto practitioner = directory_.FindPractitioner(hpr);
    if (!practitioner.has_value() || practitioner->empty()) {
      return Fail(Code::kInvalidArgument, "no Practitioner with this HPR number is registered");
    }
    p->kind = PrincipalKind::kPractitioner;
    p->hpr_number = hpr;
    p->practitioner_id = *practitioner;
    p->subject = "dev-practitioner-" + hpr;
    p->purpose_of_use = "TREAT";
    p->organization_number = Param(form, "orgnr");
    if (!p->organization_number.empty()) {
      auto orgs = directory_.FindOrganizations(p->organization_number);
      if (!orgs.has_value()) return Fail(orgs.error().code(), orgs.error().message());
      p->organization_ids = *orgs;
    }
    p->scopes = ScopeSet::Parse("user/*.cruds");
    p->permissions = ScopeSet::ParseRole(policy_.personnel_permissions, ScopeContext::kUser);
  } else if (Param(form, "system") == "ehr") {
    // The hospital message service, so /ehr/messages can be tried without HelseID.
    p->kind = PrincipalKind::kSystem;
    p->role = "ehr";
    p->subject = "dev-system-ehr";
    p->scopes = ScopeSet::Parse("system/*.cruds");
    auto role = policy_.roles.find("ehr");
    p->permissions = ScopeSet::ParseRole(
        role != policy_.roles.end() ? role->second : std::vector<std::string>{"*.cruds"},
        ScopeContext::kSystem);
  } else {
    return Fail(Code::kInvalidArgument,
                "give fnr (patient), hpr (therapist) or system=ehr (message service)");
  }
  Session session;
  session.idp = "development";
  session.issuer = p->issuer;
  session.subject = p->subject;
  session.principal = p;
  const bool app = Param(form, "app") == "1";
  if (!app) return StartSession(request, std::move(session), false, return_to);
  // Scripts and tests: the bearer token directly (development only).
  const common::SystemTime now = deps_.clock();
  std::string token = sessions_.Create(std::move(session), now);
  Principal audited = *p;
  audited.remote_address = request.context.remote_address;
  AuditLogin(request, audited, "login", 0, "");
  Value body = Value::Object();
  body.Set("access_token", Value::String(token));
  body.Set("token_type", Value::String("Bearer"));
  body.Set("expires_in", Value::Number(std::to_string(sessions_.ttl().count())));
  if (!p->patient_id.empty()) body.Set("patient", Value::String("Patient/" + p->patient_id));
  return Json(200, body);
}

void LoginRoutes::AuditLogin(const HttpRequest& request, const Principal& principal,
                             const std::string& interaction, int outcome, const std::string& text) {
  authz::RequestAudit audit;
  authz::RequestAudit::Entry e;
  e.interaction = interaction;
  e.outcome = outcome;
  e.outcome_text = text;
  if (!principal.patient_id.empty()) e.patients.push_back(principal.patient_id);
  audit.Add(std::move(e));
  authz::AuditContext ctx;
  ctx.request_id = request.context.request_id;
  ctx.now = deps_.clock;
  Status s = authz::FlushAudit(store_, principal, audit, ctx);
  if (!s.ok()) {
    common::log::Error("audit_write_failed",
                       {{"request_id", request.context.request_id}, {"error", s.message()}});
  }
}

}  // namespace gateway::identity
