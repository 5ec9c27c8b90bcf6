// Composition root and CLI of emeistring-gateway (usage: gateway/config/cli.h).
// Startup: config -> data dir -> SQLite store -> terminology (load, validate) -> EHR schemas and
// write triggers (when ehr.her_id is set) -> FHIR API -> terminology seed -> optional demo seed
// -> EHR inbox/outbox routes -> HTTP server.
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
#include "common/log.h"
#include "common/status.h"
#include "fhir/json/writer.h"
#include "fhir/store/triggers.h"
#include "fhir/terminology/terminology.h"
#include "gateway/config/cli.h"
#include "gateway/composition.h"
#include "gateway/config/config.h"
#include "gateway/http/ehr_pusher.h"
#include "gateway/http/ehr_routes.h"
#include "gateway/http/http_client.h"
#include "gateway/http/metrics.h"
#include "gateway/http/in_process_fhir_port.h"
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
  o.read_handler_threads = s.read_handler_threads > 0 ? s.read_handler_threads
                                                      : static_cast<int>(cpus);
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

  // EHR messaging: the inbox and the outbox on the in-process FHIR port.
  std::unique_ptr<gateway::http::InProcessFhirPort> ehr_port;
  std::unique_ptr<adapters::ehr::Inbox> ehr_inbox;
  std::unique_ptr<adapters::ehr::Outbox> ehr_outbox;
  std::unique_ptr<gateway::http::EhrRoutes> ehr_routes;
  std::unique_ptr<gateway::http::EhrPusher> ehr_pusher;
  if (config.ehr.enabled()) {
    ehr_port = std::make_unique<gateway::http::InProcessFhirPort>(api, "system:ehr");
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
      ehr_pusher = std::make_unique<gateway::http::EhrPusher>(push, std::move(*client), *ehr_outbox, metrics);
    }
    common::log::Info("ehr_enabled", {{"accepted_her_ids",
                                       static_cast<unsigned long>(config.ehr.accepted.size())},
                                      {"delivery", ehr_pusher ? "push" : "pull"}});
  }

  gateway::http::ServerOptions server_options = ToServerOptions(config.server);
  auto handler = [&api, &ehr_routes](const gateway::HttpRequest& request) {
    if (ehr_routes) {
      if (auto r = ehr_routes->Handle(request)) return std::move(*r);
    }
    return api.Handle(request);
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
