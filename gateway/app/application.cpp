#include "gateway/app/application.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/ehr/inbox.h"
#include "adapters/ehr/outbound.h"
#include "adapters/ehr/outbox.h"
#include "adapters/ehr/xml/schema_set.h"
#include "authz/access.h"
#include "authz/compartment.h"
#include "common/file.h"
#include "common/log.h"
#include "common/status.h"
#include "common/url.h"
#include "fhir/store/triggers.h"
#include "fhir/terminology/terminology.h"
#include "gateway/app/composition.h"
#include "gateway/app/in_process_fhir_port.h"
#include "gateway/app/router.h"
#include "gateway/ehr/ehr_pusher.h"
#include "gateway/ehr/ehr_routes.h"
#include "gateway/http/http_client.h"
#include "gateway/http/metrics.h"
#include "gateway/identity/auth_policy.h"
#include "gateway/identity/authenticator.h"
#include "gateway/identity/login_routes.h"
#include "gateway/identity/secure_api.h"
#include "gateway/identity/sessions.h"
#include "gateway/identity/smart_configuration.h"
#include "gateway/rest/fhir_api.h"
#include "store/sqlite/sqlite_store.h"

namespace gateway::app {
namespace {

namespace cfg = config;

// Logs a startup failure under its event name; Build() then gives up with it.
common::Status Failed(std::string_view event, const common::Status& error) {
  common::log::Error(event, {{"error", error.message()}});
  return error;
}

// How the gateway reaches identity providers (discovery, JWKS, token and logout endpoints):
// https only, plain http only on loopback (test providers).
class IdentityProviderClient {
 public:
  explicit IdentityProviderClient(std::shared_ptr<http::HttpClient> client)
      : client_(std::move(client)) {}

  common::StatusOr<std::string> Fetch(const std::string& url) const {
    ASSIGN_OR_RETURN(common::HttpUrl parsed, Parse(url));
    http::ClientResponse r = client_->Get(parsed, {{"Accept", "application/json"}});
    if (r.status != 200) {
      return common::Error(common::Code::kUnavailable,
                           r.status == 0
                               ? "identity provider unreachable: " + r.error
                               : "identity provider answered HTTP " + std::to_string(r.status));
    }
    return std::move(r.body);
  }

  common::StatusOr<std::pair<int, std::string>> Post(
      const std::string& url, const std::string& body,
      const std::vector<std::pair<std::string, std::string>>& headers) const {
    ASSIGN_OR_RETURN(common::HttpUrl parsed, Parse(url));
    http::ClientResponse r = client_->Post(parsed, body, headers);
    if (r.status == 0) {
      return common::Error(common::Code::kUnavailable, "identity provider unreachable: " + r.error);
    }
    return std::make_pair(r.status, std::move(r.body));
  }

 private:
  static common::StatusOr<common::HttpUrl> Parse(const std::string& url) {
    auto parsed = common::ParseHttpUrl(url);
    if (!parsed || (!parsed->tls && !cfg::IsLoopbackAddress(parsed->host))) {
      return common::Error(common::Code::kUnavailable,
                           "identity provider URLs must be https (http only on loopback)");
    }
    return std::move(*parsed);
  }

  std::shared_ptr<http::HttpClient> client_;
};

// The EHR adapter's own principal when auth is enforced: its writes carry AuditEvents in their
// transactions, its reads are audited like any client's.
authz::PrincipalPtr EhrAdapterPrincipal() {
  auto adapter = std::make_shared<authz::Principal>();
  adapter->kind = authz::PrincipalKind::kSystem;
  adapter->role = "ehr";
  adapter->issuer = "urn:emeistring:gateway";
  adapter->subject = "ehr-adapter";
  adapter->client_id = "emeistring-gateway/ehr-adapter";
  adapter->scopes = authz::ScopeSet::Parse("system/*.cruds");
  adapter->permissions = authz::ScopeSet::ParseRole({"*.cruds"}, authz::ScopeContext::kSystem);
  return adapter;
}

}  // namespace

// Members in construction order: destroyed in reverse, so every part outlives its users.
struct Application::Parts {
  explicit Parts(const cfg::Config& c) : config(c) {}

  common::Status OpenStore();
  common::Status LoadTerminology();
  common::Status EnableEhrTriggers();
  common::Status Seed();
  common::Status BuildIdentity();
  common::Status BuildEhr();
  void BuildRouter();
  common::Status Listen();

  const cfg::Config config;
  http::Metrics metrics;
  std::unique_ptr<fhir::store::Store> store;
  std::shared_ptr<const fhir::terminology::Terminology> terminology;
  std::unique_ptr<adapters::ehr::xml::SchemaSet> ehr_schemas;
  std::unique_ptr<fhir::store::Store> triggered_store;  // the store with the EHR write triggers
  fhir::store::Store* fhir_store = nullptr;             // what the API writes through
  std::unique_ptr<FhirApi> api;

  authz::AccessPolicy access_policy;
  identity::AuthPolicy auth_policy;
  std::shared_ptr<IdentityProviderClient> idp;
  std::unique_ptr<identity::SessionStore> sessions;
  std::unique_ptr<identity::Authenticator> authenticator;  // null when auth is off
  std::unique_ptr<identity::LoginRoutes> login_routes;     // null when auth is off
  std::unique_ptr<identity::SecureFhirApi> secure_api;
  std::unique_ptr<identity::SmartDiscovery> smart;

  // The EHR adapter's own view of the FHIR API: the same store and access rules, with a body
  // allowance that fits a whole message's transaction (ToEhrFhirOptions).
  std::unique_ptr<FhirApi> ehr_api;
  std::unique_ptr<identity::SecureFhirApi> ehr_secure_api;
  std::unique_ptr<InProcessFhirPort> ehr_port;
  std::unique_ptr<adapters::ehr::Inbox> ehr_inbox;
  std::unique_ptr<adapters::ehr::Outbox> ehr_outbox;
  std::unique_ptr<ehr::EhrRoutes> ehr_routes;
  std::unique_ptr<ehr::EhrPusher> ehr_pusher;

  std::unique_ptr<Router> router;
  std::unique_ptr<http::Server> server;
};

common::Status Application::Parts::OpenStore() {
  std::error_code ec;
  std::filesystem::create_directories(config.store.data_dir, ec);
  if (ec || !std::filesystem::is_directory(config.store.data_dir, ec)) {
    common::Status error(common::Code::kInvalidArgument,
                         "store.data_dir: cannot create directory '" + config.store.data_dir +
                             "': " + (ec ? ec.message() : std::string("not a directory")));
    std::fprintf(stderr, "config error: %s\n", error.message().c_str());
    return error;
  }
  store::sqlite::SqliteStoreOptions options;
  options.path = (std::filesystem::path(config.store.data_dir) / "gateway.db").string();
  options.read_connections = config.store.read_connections;
  options.durable = config.store.durable;
  options.unique_identifiers = UniqueIdentifierRules(config);
  auto opened = store::sqlite::OpenSqliteStore(options);
  if (!opened.has_value()) return Failed("store_open_failed", opened.error());
  store = std::move(*opened);
  store->SetCommitObserver(
      [this](double seconds, size_t units) { metrics.ObserveCommit(seconds, units); });
  fhir_store = store.get();
  return common::Status::Ok();
}

// The code lists of mappings/ (terminology.dir): loaded and checked once, written to the store
// (Seed) so that they are readable through the FHIR API, and kept for the message translators.
common::Status Application::Parts::LoadTerminology() {
  auto loaded = fhir::terminology::Terminology::LoadDirectory(config.terminology.dir);
  if (!loaded.has_value()) return Failed("terminology_load_failed", loaded.error());
  terminology = std::move(*loaded);
  return common::Status::Ok();
}

// EHR messaging (KITH XML): the schemas compiled once; outbound messages are queued by write
// triggers in the same transaction as the write that causes them (adapters/ehr/outbound.h).
common::Status Application::Parts::EnableEhrTriggers() {
  if (!config.ehr.enabled()) return common::Status::Ok();
  adapters::ehr::xml::Initialize();
  auto schemas = adapters::ehr::xml::SchemaSet::Load(config.ehr.schema_dir, "kith-all.xsd");
  if (!schemas.has_value()) return Failed("ehr_schemas_failed", schemas.error());
  ehr_schemas = std::move(*schemas);
  triggered_store =
      fhir::store::WithTriggers(*store, {std::make_shared<adapters::ehr::OutboundTriggers>(
                                            ToEhrSettings(config.ehr), *ehr_schemas, terminology)});
  fhir_store = triggered_store.get();
  return common::Status::Ok();
}

common::Status Application::Parts::Seed() {
  api = std::make_unique<FhirApi>(*fhir_store, ToFhirOptions(config));
  common::Status seeded = SeedTerminology(*fhir_store, config, *terminology);
  if (!seeded.ok()) return Failed("terminology_seed_failed", seeded);
  common::log::Info("terminology_loaded",
                    {{"resources", static_cast<unsigned long>(terminology->resources().size())}});

  if (config.demo.seed_file.empty()) return common::Status::Ok();
  common::StatusOr<std::string> bundle = common::ReadFile(config.demo.seed_file);
  if (!bundle) {
    return Failed("seed_failed",
                  common::Status(common::Code::kInvalidArgument, "cannot read demo.seed_file"));
  }
  common::Status demo = api->SeedFromBundle(*bundle);
  if (!demo.ok()) return Failed("seed_failed", demo);
  common::log::Info("seeded", {{"bytes", static_cast<unsigned long>(bundle->size())}});
  return common::Status::Ok();
}

// Identity and access (access/, gateway/identity/): who may reach what, and the audit trail.
common::Status Application::Parts::BuildIdentity() {
  auto compartment = authz::PatientCompartment::Load(config.auth.compartment_file);
  if (!compartment.has_value()) return Failed("auth_config_failed", compartment.error());
  access_policy.compartment = std::make_shared<authz::PatientCompartment>(std::move(*compartment));
  access_policy.base_url = config.server.base_url;
  if (!config.auth.policy_file.empty()) {
    auto loaded = identity::LoadAuthPolicy(config.auth.policy_file, std::getenv);
    if (!loaded.has_value()) return Failed("auth_config_failed", loaded.error());
    auth_policy = std::move(*loaded);
  }
  auto client = http::HttpClient::Create(std::chrono::milliseconds(config.auth.http_timeout_ms),
                                         config.auth.ca_file);
  if (!client.has_value()) return Failed("auth_config_failed", client.error());
  idp = std::make_shared<IdentityProviderClient>(std::move(*client));

  auto fetch = [idp = idp](const std::string& url) { return idp->Fetch(url); };
  auto post = [idp = idp](const std::string& url, const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
    return idp->Post(url, body, headers);
  };
  auto clock = [] { return common::SystemNow(); };
  sessions =
      std::make_unique<identity::SessionStore>(std::chrono::seconds(config.auth.session_ttl_s));
  if (config.auth.enforced()) {
    const std::string public_url =
        !config.auth.public_url.empty() ? config.auth.public_url : config.server.base_url;
    authenticator = std::make_unique<identity::Authenticator>(
        auth_policy, *sessions, *fhir_store, public_url,
        config.server.tls.enabled() ? "https" : "http", fetch, clock);
    login_routes = std::make_unique<identity::LoginRoutes>(
        auth_policy, *sessions, *fhir_store, identity::LoginDependencies{fetch, post, clock},
        config.auth.dev_login);
  } else {
    common::log::Warn("auth_off", {{"note",
                                    "every request runs unauthenticated and unaudited; "
                                    "loopback only, for tests"}});
  }
  secure_api = std::make_unique<identity::SecureFhirApi>(*api, *fhir_store, authenticator.get(),
                                                         access_policy, clock);
  // SMART discovery and the CapabilityStatement's security block, from the same policy and
  // authenticator that decide who gets in.
  smart = std::make_unique<identity::SmartDiscovery>(auth_policy, authenticator.get());
  api->SetCapabilitySecurity([s = smart.get()] { return s->CapabilitySecurity(); });
  common::log::Info("auth_ready",
                    {{"mode", config.auth.mode},
                     {"patient_idps", static_cast<unsigned long>(auth_policy.patient_login.size())},
                     {"api_issuers", static_cast<unsigned long>(auth_policy.api_issuers.size())},
                     {"dev_login", config.auth.dev_login}});
  return common::Status::Ok();
}

// EHR messaging: the inbox and the outbox on the in-process FHIR port, push when configured.
common::Status Application::Parts::BuildEhr() {
  if (!config.ehr.enabled()) return common::Status::Ok();
  ehr_api = std::make_unique<FhirApi>(*fhir_store, ToEhrFhirOptions(config));
  if (config.auth.enforced()) {
    ehr_secure_api = std::make_unique<identity::SecureFhirApi>(*ehr_api, *fhir_store,
                                                               authenticator.get(), access_policy,
                                                               [] { return common::SystemNow(); });
    ehr_port = std::make_unique<InProcessFhirPort>(
        [api = ehr_secure_api.get(), as_adapter = EhrAdapterPrincipal()](const HttpRequest& r) {
          return api->HandleAs(r, as_adapter);
        },
        "system:ehr");
  } else {
    ehr_port = std::make_unique<InProcessFhirPort>(*ehr_api, "system:ehr");
  }
  ehr_inbox = std::make_unique<adapters::ehr::Inbox>(ToEhrSettings(config.ehr), *ehr_schemas,
                                                     terminology, *ehr_port);
  ehr_outbox = std::make_unique<adapters::ehr::Outbox>(*ehr_port, terminology);
  ehr_routes = std::make_unique<ehr::EhrRoutes>(*ehr_inbox, *ehr_outbox, &metrics);
  if (!config.ehr.push_url.empty()) {
    auto client = http::HttpClient::Create(std::chrono::milliseconds(config.ehr.push_timeout_ms),
                                           config.ehr.push_ca_file);
    if (!client.has_value()) return Failed("ehr_push_failed", client.error());
    ehr::PushOptions push;
    push.url = *common::ParseHttpUrl(config.ehr.push_url);  // validated with the config
    push.max_attempts = config.ehr.push_max_attempts;
    push.initial_backoff = std::chrono::milliseconds(config.ehr.push_initial_backoff_ms);
    push.max_backoff = std::chrono::milliseconds(config.ehr.push_max_backoff_ms);
    push.poll_interval = std::chrono::milliseconds(config.ehr.push_poll_ms);
    ehr_pusher = std::make_unique<ehr::EhrPusher>(push, std::move(*client), *ehr_outbox, metrics);
  }
  common::log::Info("ehr_enabled",
                    {{"accepted_her_ids", static_cast<unsigned long>(config.ehr.accepted.size())},
                     {"delivery", ehr_pusher ? "push" : "pull"}});
  return common::Status::Ok();
}

// The routes, in the order they are tried; the secured FHIR API answers the rest.
void Application::Parts::BuildRouter() {
  router = std::make_unique<Router>(
      [api = secure_api.get()](const HttpRequest& request) { return api->Handle(request); });
  // Served without authentication: how to get a token (SMART App Launch, conformance.html).
  router->Add("/.well-known/", "discovery",
              [s = smart.get()](const HttpRequest& request) { return s->Handle(request); });
  if (login_routes) {
    router->Add("/auth/", "login", [routes = login_routes.get()](const HttpRequest& request) {
      return routes->Handle(request);
    });
  }
  if (ehr_routes) {
    // The message service: a system client whose role is "ehr".
    router->Add("/ehr/", "ehr", [this](const HttpRequest& request) -> std::optional<HttpResponse> {
      auto who = secure_api->Authenticate(request);
      if (auto* refused = std::get_if<HttpResponse>(&who)) return std::move(*refused);
      const authz::Principal& p = *std::get<authz::PrincipalPtr>(who);
      if (!p.internal() && !(p.kind == authz::PrincipalKind::kSystem && p.role == "ehr")) {
        return identity::AuthErrorResponse(
            common::Status(common::Code::kPermissionDenied,
                           "EHR messaging is for the message service's system client (role ehr)"),
            "");
      }
      return ehr_routes->Handle(request);
    });
  }
}

common::Status Application::Parts::Listen() {
  http::ServerOptions options = ToServerOptions(config.server);
  // With auth enforced every read commits its AuditEvent before answering, so GET handlers park
  // on the group commit like writes do: they get the write pool's size (ADR 0008), unless
  // server.read_handler_threads is set.
  if (config.auth.enforced() && config.server.read_handler_threads == 0) {
    options.read_handler_threads = options.handler_threads;
  }
  auto started = http::Server::Start(
      options, [r = router.get()](const HttpRequest& request) { return r->Handle(request); },
      [s = store.get()] { return s->Ready(); }, metrics);
  if (!started.has_value()) return Failed("listen_failed", started.error());
  server = std::move(*started);
  common::log::Info("listening", {{"address", server->address()},
                                  {"port", static_cast<int>(server->port())},
                                  {"tls", server->tls()},
                                  {"io_threads", options.io_threads},
                                  {"handler_threads", options.handler_threads},
                                  {"read_handler_threads", options.read_handler_threads},
                                  {"version", EMG_VERSION}});
  return common::Status::Ok();
}

common::StatusOr<std::unique_ptr<Application>> Application::Build(const cfg::Config& config) {
  // The destructor of a partly built application shuts down what was built.
  std::unique_ptr<Application> app(new Application(std::make_unique<Parts>(config)));
  Parts& p = *app->parts_;
  RETURN_IF_ERROR(p.OpenStore());
  RETURN_IF_ERROR(p.LoadTerminology());
  RETURN_IF_ERROR(p.EnableEhrTriggers());
  RETURN_IF_ERROR(p.Seed());
  RETURN_IF_ERROR(p.BuildIdentity());
  RETURN_IF_ERROR(p.BuildEhr());
  p.BuildRouter();
  RETURN_IF_ERROR(p.Listen());
  return app;
}

Application::Application(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Application::~Application() {
  if (parts_->server) {
    parts_->server->Shutdown();
    parts_->server.reset();
  }
  // Pushing stops before the store closes.
  if (parts_->ehr_pusher) parts_->ehr_pusher->Stop();
  if (parts_->store) parts_->store->Close();
}

// Pushing starts once the server is up.
void Application::StartBackgroundWork() {
  if (parts_->ehr_pusher) parts_->ehr_pusher->Start();
}

const http::Server& Application::server() const { return *parts_->server; }

http::ServerOptions ToServerOptions(const cfg::ServerConfig& s) {
  http::ServerOptions o;
  o.host = s.host;
  o.port = s.port;
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  o.io_threads = s.threads > 0 ? s.threads : static_cast<int>(cpus);
  o.handler_threads = s.handler_threads;
  o.read_handler_threads =
      s.read_handler_threads > 0 ? s.read_handler_threads : static_cast<int>(cpus);
  o.header_limit_bytes = static_cast<uint32_t>(s.header_limit_bytes);
  o.body_limit_bytes = static_cast<uint64_t>(s.body_limit_bytes);
  o.read_timeout = std::chrono::milliseconds(s.read_timeout_ms);
  o.write_timeout = std::chrono::milliseconds(s.write_timeout_ms);
  o.idle_timeout = std::chrono::milliseconds(s.idle_timeout_ms);
  o.drain_timeout = std::chrono::milliseconds(s.drain_timeout_ms);
  o.tls_certificate_file = s.tls.certificate_file;
  o.tls_key_file = s.tls.key_file;
  return o;
}

}  // namespace gateway::app
