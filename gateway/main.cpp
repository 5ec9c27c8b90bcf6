// Composition root and CLI of emeistring-gateway (usage: gateway/config/cli.h).
// Startup: config -> data dir -> SQLite store -> terminology (load, validate) -> EHR schemas and
// write triggers (when ehr.her_id is set) -> FHIR API -> terminology seed -> optional demo seed
// -> EHR inbox/outbox routes -> identity and access (policy, sessions, login routes,
// authenticated and audited FHIR API) -> HTTP server.
// Shutdown on SIGTERM/SIGINT: drain the server, close the store, exit 0.

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "adapters/ehr/inbox.h"
#include "adapters/ehr/outbound.h"
#include "adapters/ehr/xml/schema_set.h"
#include "auth/access.h"
#include "auth/compartment.h"
#include "common/log.h"
#include "common/status.h"
#include "fhir/json/writer.h"
#include "fhir/store/triggers.h"
#include "fhir/terminology/terminology.h"
#include "gateway/auth/auth_policy.h"
#include "gateway/auth/authenticator.h"
#include "gateway/auth/login_routes.h"
#include "gateway/auth/secure_api.h"
#include "gateway/auth/sessions.h"
#include "gateway/composition.h"
#include "gateway/config/cli.h"
#include "gateway/config/config.h"
#include "gateway/http/ehr_pusher.h"
#include "gateway/http/ehr_routes.h"
#include "gateway/http/http_client.h"
#include "gateway/http/in_process_fhir_port.h"
#include "gateway/http/metrics.h"
#include "gateway/http/server.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/translate.h"
#include "store/sqlite/sqlite_store.h"

namespace {

namespace cfg = gateway::config;
using gateway::ReadFile;
using gateway::ToEhrSettings;
using gateway::ToFhirOptions;

common::log::Level ParseLevel(std::string_view level) {
  if (level == "debug") return common::log::Level::kDebug;
  if (level == "warn") return common::log::Level::kWarn;
  if (level == "error") return common::log::Level::kError;
  return common::log::Level::kInfo;
}

// Blocks the termination signals in this thread and every thread started after it, so that
// WaitForSignal() alone receives them.
sigset_t BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

int WaitForSignal(const sigset_t& set) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) == 0) return sig;
  }
}

gateway::http::ServerOptions ToServerOptions(const cfg::ServerConfig& s) {
  gateway::http::ServerOptions o;
  o.host = s.host;
  o.port = s.port;
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
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

int Serve(const cfg::CommandLineOverrides& overrides) {
  sigset_t signals = BlockTerminationSignals();

  auto loaded = cfg::Load(overrides, [](const char* name) { return std::getenv(name); });
  if (!loaded.has_value()) {
    std::fprintf(stderr, "config error: %s\n", loaded.error().message().c_str());
    return cfg::kExitFailure;
  }
  const cfg::Config& config = *loaded;
  // Startup lines up to "listening" are written even at log.level warn or error: tools and
  // tests read the bound port from the "listening" line.
  const common::log::Level level = ParseLevel(config.log.level);
  common::log::SetMinLevel(std::min(level, common::log::Level::kInfo));

  std::error_code ec;
  std::filesystem::create_directories(config.store.data_dir, ec);
  if (ec || !std::filesystem::is_directory(config.store.data_dir, ec)) {
    std::fprintf(stderr, "config error: store.data_dir: cannot create directory '%s': %s\n",
                 config.store.data_dir.c_str(), ec ? ec.message().c_str() : "not a directory");
    return cfg::kExitFailure;
  }

  store::sqlite::SqliteStoreOptions store_options;
  store_options.path = (std::filesystem::path(config.store.data_dir) / "gateway.db").string();
  store_options.read_connections = config.store.read_connections;
  store_options.durable = config.store.durable;
  for (const auto& [type, system] : config.fhir.unique_identifier_rules) {
    store_options.unique_identifiers.push_back({type, system});
  }
  // The EHR inbox's idempotency rests on these (always on: turning EHR messaging on later
  // must not find duplicates).
  for (const auto& rule : adapters::ehr::RequiredUniqueIdentifiers()) {
    store_options.unique_identifiers.push_back(rule);
  }
  auto opened = store::sqlite::OpenSqliteStore(store_options);
  if (!opened.has_value()) {
    common::log::Error("store_open_failed", {{"error", opened.error().message()}});
    return cfg::kExitFailure;
  }
  std::unique_ptr<fhir::store::Store> store = std::move(*opened);

  gateway::http::Metrics metrics;
  store->SetCommitObserver(
      [&metrics](double seconds, size_t units) { metrics.ObserveCommit(seconds, units); });

  // The code lists of mappings/ (terminology.dir): loaded and checked once, written to the store
  // so that they are readable through the FHIR API, and kept for the message translators.
  auto loaded_terminology = fhir::terminology::Terminology::LoadDirectory(config.terminology.dir);
  if (!loaded_terminology.has_value()) {
    common::log::Error("terminology_load_failed",
                       {{"error", loaded_terminology.error().message()}});
    store->Close();
    return cfg::kExitFailure;
  }
  std::shared_ptr<const fhir::terminology::Terminology> terminology =
      std::move(*loaded_terminology);

  // EHR messaging (KITH XML): the schemas compiled once; outbound messages are queued by write
  // triggers in the same transaction as the write that causes them (adapters/ehr/outbound.h).
  std::unique_ptr<adapters::ehr::xml::SchemaSet> ehr_schemas;
  std::unique_ptr<fhir::store::Store> triggered_store;
  if (config.ehr.enabled()) {
    adapters::ehr::xml::Initialize();
    auto schemas = adapters::ehr::xml::SchemaSet::Load(config.ehr.schema_dir, "kith-all.xsd");
    if (!schemas.has_value()) {
      common::log::Error("ehr_schemas_failed", {{"error", schemas.error().message()}});
      store->Close();
      return cfg::kExitFailure;
    }
    ehr_schemas = std::move(*schemas);
    triggered_store = fhir::store::WithTriggers(
        *store, {std::make_shared<adapters::ehr::OutboundTriggers>(ToEhrSettings(config.ehr),
                                                                   *ehr_schemas, terminology)});
  }
  fhir::store::Store& fhir_store = triggered_store ? *triggered_store : *store;
  gateway::FhirApi api(fhir_store, ToFhirOptions(config));
  // The seed is our own data, not a client request: the request limits (server.body_limit_bytes,
  // fhir.max_bundle_entries) do not apply to it, so it runs through an API instance without them.
  std::string terminology_seed = fhir::json::Write(terminology->SeedBundle());
  gateway::FhirApiOptions seed_options = ToFhirOptions(config);
  seed_options.max_body_bytes = std::max(seed_options.max_body_bytes, terminology_seed.size());
  seed_options.max_bundle_entries =
      std::max(seed_options.max_bundle_entries, terminology->resources().size());
  common::Status terminology_seeded =
      gateway::FhirApi(fhir_store, std::move(seed_options)).SeedFromBundle(terminology_seed);
  if (!terminology_seeded.ok()) {
    common::log::Error("terminology_seed_failed", {{"error", terminology_seeded.message()}});
    store->Close();
    return cfg::kExitFailure;
  }
  common::log::Info("terminology_loaded",
                    {{"resources", static_cast<unsigned long>(terminology->resources().size())}});

  if (!config.demo.seed_file.empty()) {
    std::string bundle;
    if (!ReadFile(config.demo.seed_file, &bundle)) {
      common::log::Error("seed_failed", {{"error", "cannot read demo.seed_file"}});
      store->Close();
      return cfg::kExitFailure;
    }
    common::Status seeded = api.SeedFromBundle(bundle);
    if (!seeded.ok()) {
      common::log::Error("seed_failed", {{"error", seeded.message()}});
      store->Close();
      return cfg::kExitFailure;
    }
    common::log::Info("seeded", {{"bytes", static_cast<unsigned long>(bundle.size())}});
  }

  // Identity and access (auth/, gateway/auth/): who may reach what, and the audit trail.
  auto compartment = auth::PatientCompartment::Load(config.auth.compartment_file);
  if (!compartment.has_value()) {
    common::log::Error("auth_config_failed", {{"error", compartment.error().message()}});
    store->Close();
    return cfg::kExitFailure;
  }
  auth::AccessPolicy access_policy;
  access_policy.compartment = std::make_shared<auth::PatientCompartment>(std::move(*compartment));
  access_policy.base_url = config.server.base_url;
  gateway::auth::AuthPolicy auth_policy;
  if (!config.auth.policy_file.empty()) {
    auto loaded_policy = gateway::auth::LoadAuthPolicy(config.auth.policy_file, std::getenv);
    if (!loaded_policy.has_value()) {
      common::log::Error("auth_config_failed", {{"error", loaded_policy.error().message()}});
      store->Close();
      return cfg::kExitFailure;
    }
    auth_policy = std::move(*loaded_policy);
  }
  auto auth_client = gateway::http::HttpClient::Create(
      std::chrono::milliseconds(config.auth.http_timeout_ms), config.auth.ca_file);
  if (!auth_client.has_value()) {
    common::log::Error("auth_config_failed", {{"error", auth_client.error().message()}});
    store->Close();
    return cfg::kExitFailure;
  }
  std::shared_ptr<gateway::http::HttpClient> idp_client = std::move(*auth_client);
  auto fetch = [idp_client](const std::string& url) -> common::StatusOr<std::string> {
    auto parsed = gateway::http::ParseHttpUrl(url);
    if (!parsed || (!parsed->tls && !cfg::IsLoopbackAddress(parsed->host))) {
      return common::Error(common::Code::kUnavailable,
                           "identity provider URLs must be https (http only on loopback)");
    }
    gateway::http::ClientResponse r = idp_client->Get(*parsed, {{"Accept", "application/json"}});
    if (r.status != 200) {
      return common::Error(common::Code::kUnavailable,
                           r.status == 0
                               ? "identity provider unreachable: " + r.error
                               : "identity provider answered HTTP " + std::to_string(r.status));
    }
    return std::move(r.body);
  };
  auto post = [idp_client](const std::string& url, const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers)
      -> common::StatusOr<std::pair<int, std::string>> {
    auto parsed = gateway::http::ParseHttpUrl(url);
    if (!parsed || (!parsed->tls && !cfg::IsLoopbackAddress(parsed->host))) {
      return common::Error(common::Code::kUnavailable,
                           "identity provider URLs must be https (http only on loopback)");
    }
    gateway::http::ClientResponse r = idp_client->Post(*parsed, body, headers);
    if (r.status == 0) {
      return common::Error(common::Code::kUnavailable, "identity provider unreachable: " + r.error);
    }
    return std::make_pair(r.status, std::move(r.body));
  };
  auto clock = [] { return common::SystemNow(); };
  gateway::auth::SessionStore sessions(std::chrono::seconds(config.auth.session_ttl_s));
  std::unique_ptr<gateway::auth::Authenticator> authenticator;
  std::unique_ptr<gateway::auth::LoginRoutes> login_routes;
  if (config.auth.enforced()) {
    std::string public_url =
        !config.auth.public_url.empty() ? config.auth.public_url : config.server.base_url;
    authenticator = std::make_unique<gateway::auth::Authenticator>(
        auth_policy, sessions, fhir_store, public_url,
        config.server.tls.enabled() ? "https" : "http", fetch, clock);
    login_routes = std::make_unique<gateway::auth::LoginRoutes>(
        auth_policy, sessions, fhir_store, gateway::auth::LoginDependencies{fetch, post, clock},
        config.auth.dev_login);
  } else {
    common::log::Warn("auth_off", {{"note",
                                    "every request runs unauthenticated and unaudited; "
                                    "loopback only, for tests"}});
  }
  gateway::auth::SecureFhirApi secure_api(api, fhir_store, authenticator.get(), access_policy,
                                          clock);
  common::log::Info("auth_ready",
                    {{"mode", config.auth.mode},
                     {"patient_idps", static_cast<unsigned long>(auth_policy.patient_login.size())},
                     {"api_issuers", static_cast<unsigned long>(auth_policy.api_issuers.size())},
                     {"dev_login", config.auth.dev_login}});

  // EHR messaging: the inbox and the outbox on the in-process FHIR port.
  std::unique_ptr<gateway::http::InProcessFhirPort> ehr_port;
  std::unique_ptr<adapters::ehr::Inbox> ehr_inbox;
  std::unique_ptr<adapters::ehr::Outbox> ehr_outbox;
  std::unique_ptr<gateway::http::EhrRoutes> ehr_routes;
  std::unique_ptr<gateway::http::EhrPusher> ehr_pusher;
  if (config.ehr.enabled()) {
    // With auth enforced the adapter acts as its own system principal: its writes carry
    // AuditEvents in their transactions, its reads are audited like any client's.
    if (config.auth.enforced()) {
      auto adapter = std::make_shared<auth::Principal>();
      adapter->kind = auth::PrincipalKind::kSystem;
      adapter->role = "ehr";
      adapter->issuer = "urn:emeistring:gateway";
      adapter->subject = "ehr-adapter";
      adapter->client_id = "emeistring-gateway/ehr-adapter";
      adapter->scopes = auth::ScopeSet::Parse("system/*.cruds");
      adapter->permissions = auth::ScopeSet::ParseRole({"*.cruds"}, auth::ScopeContext::kSystem);
      auth::PrincipalPtr as_adapter = adapter;
      ehr_port = std::make_unique<gateway::http::InProcessFhirPort>(
          [&secure_api, as_adapter](const gateway::HttpRequest& r) {
            return secure_api.HandleAs(r, as_adapter);
          },
          "system:ehr");
    } else {
      ehr_port = std::make_unique<gateway::http::InProcessFhirPort>(api, "system:ehr");
    }
    ehr_inbox = std::make_unique<adapters::ehr::Inbox>(ToEhrSettings(config.ehr), *ehr_schemas,
                                                       terminology, *ehr_port);
    ehr_outbox = std::make_unique<adapters::ehr::Outbox>(*ehr_port);
    ehr_routes = std::make_unique<gateway::http::EhrRoutes>(*ehr_inbox, *ehr_outbox);
    if (!config.ehr.push_url.empty()) {
      auto client = gateway::http::HttpClient::Create(
          std::chrono::milliseconds(config.ehr.push_timeout_ms), config.ehr.push_ca_file);
      if (!client.has_value()) {
        common::log::Error("ehr_push_failed", {{"error", client.error().message()}});
        store->Close();
        return cfg::kExitFailure;
      }
      gateway::http::PushOptions push;
      push.url = *gateway::http::ParseHttpUrl(config.ehr.push_url);  // validated with the config
      push.max_attempts = config.ehr.push_max_attempts;
      push.initial_backoff = std::chrono::milliseconds(config.ehr.push_initial_backoff_ms);
      push.max_backoff = std::chrono::milliseconds(config.ehr.push_max_backoff_ms);
      push.poll_interval = std::chrono::milliseconds(config.ehr.push_poll_ms);
      ehr_pusher = std::make_unique<gateway::http::EhrPusher>(push, std::move(*client), *ehr_outbox,
                                                              metrics);
    }
    common::log::Info("ehr_enabled",
                      {{"accepted_her_ids", static_cast<unsigned long>(config.ehr.accepted.size())},
                       {"delivery", ehr_pusher ? "push" : "pull"}});
  }

  gateway::http::ServerOptions server_options = ToServerOptions(config.server);
  // With auth enforced every read commits its AuditEvent before answering, so GET handlers
  // park on the group commit like writes do: they get the write pool's size (ADR 0008), unless
  // server.read_handler_threads is set.
  if (config.auth.enforced() && config.server.read_handler_threads == 0) {
    server_options.read_handler_threads = server_options.handler_threads;
  }
  auto handler = [&secure_api, &ehr_routes, &login_routes](const gateway::HttpRequest& request) {
    if (login_routes && gateway::auth::LoginRoutes::Matches(request.path)) {
      return std::move(*login_routes->Handle(request));
    }
    if (ehr_routes && request.path.starts_with("/ehr/")) {
      // The message service: a system client whose role is "ehr".
      auto who = secure_api.Authenticate(request);
      if (auto* refused = std::get_if<gateway::HttpResponse>(&who)) return std::move(*refused);
      const auth::Principal& p = *std::get<auth::PrincipalPtr>(who);
      if (!p.internal() && !(p.kind == auth::PrincipalKind::kSystem && p.role == "ehr")) {
        return gateway::auth::AuthErrorResponse(
            common::Status(common::Code::kPermissionDenied,
                           "EHR messaging is for the message service's system client (role ehr)"),
            "");
      }
      if (auto r = ehr_routes->Handle(request)) return std::move(*r);
    }
    return secure_api.Handle(request);
  };
  auto started = gateway::http::Server::Start(
      server_options, handler, [&store] { return store->Ready(); }, metrics);
  if (!started.has_value()) {
    common::log::Error("listen_failed", {{"error", started.error().message()}});
    store->Close();
    return cfg::kExitFailure;
  }
  std::unique_ptr<gateway::http::Server> server = std::move(*started);
  common::log::Info("listening", {{"address", server->address()},
                                  {"port", static_cast<int>(server->port())},
                                  {"tls", server->tls()},
                                  {"io_threads", server_options.io_threads},
                                  {"handler_threads", server_options.handler_threads},
                                  {"read_handler_threads", server_options.read_handler_threads},
                                  {"version", EMG_VERSION}});
  common::log::SetMinLevel(level);
  // Pushing starts once the server is up, and stops before the store closes.
  if (ehr_pusher) ehr_pusher->Start();

  int sig = WaitForSignal(signals);
  common::log::Info("shutdown_started", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                         {"drain_timeout_ms", config.server.drain_timeout_ms}});
  server->Shutdown();
  server.reset();
  if (ehr_pusher) ehr_pusher->Stop();
  store->Close();
  common::log::Info("stopped");
  return cfg::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  cfg::CommandLine cl = cfg::ParseCommandLine(args);
  switch (cl.command) {
    case cfg::Command::kHelp:
      std::fputs(cfg::Usage().c_str(), stdout);
      return cfg::kExitOk;
    case cfg::Command::kVersion:
      std::printf("%s\n", cfg::VersionLine().c_str());
      return cfg::kExitOk;
    case cfg::Command::kUsageError:
      std::fprintf(stderr, "emeistring-gateway: %s\n\n%s", cl.error.c_str(), cfg::Usage().c_str());
      return cfg::kExitUsage;
    case cfg::Command::kServe:
      return Serve(cl.overrides);
    case cfg::Command::kTranslate:
      return gateway::Translate(cl, stdout, stderr);
  }
  return cfg::kExitUsage;
}
