#pragma once
// Gateway configuration: a JSON file, environment overrides and command-line overrides,
// validated once at start and frozen afterwards. Precedence: defaults < file < environment <
// command line. Every error names the offending key (or variable, or flag), e.g.
//   server.read_timeout_ms: must be an integer between 100 and 600000
// Callers print it as "config error: <message>" and stop.
//
// Keys (file) and environment variables. An environment variable that is set but empty is
// ignored. Durations are milliseconds, sizes bytes.
//
//   key                          env var                   default         range / form
//   server.listen                EMG_LISTEN                127.0.0.1:8080  HOST:PORT (1)
//   server.threads               EMG_THREADS               0 (per CPU)     0-256, I/O threads
//   server.handler_threads       EMG_HANDLER_THREADS       64              1-1024, pool for writes
//   server.read_handler_threads  EMG_READ_HANDLER_THREADS  0 (per CPU)     0-256, pool for GET/HEAD
//   server.header_limit_bytes    EMG_HEADER_LIMIT_BYTES    16384           1024-1048576
//   server.body_limit_bytes      EMG_BODY_LIMIT_BYTES      16777216        1024-1073741824
//   server.read_timeout_ms       EMG_READ_TIMEOUT_MS       30000           100-600000 (2)
//   server.write_timeout_ms      EMG_WRITE_TIMEOUT_MS      30000           100-600000
//   server.idle_timeout_ms       EMG_IDLE_TIMEOUT_MS       60000           100-3600000 (3)
//   server.drain_timeout_ms      EMG_DRAIN_TIMEOUT_MS      10000           0-600000 (4)
//   server.tls.certificate_file  EMG_TLS_CERTIFICATE_FILE  ""              readable PEM chain
//   server.tls.key_file          EMG_TLS_KEY_FILE          ""              readable PEM key
//   server.base_url              EMG_BASE_URL              ""              absolute http(s) URL
//   store.data_dir               EMG_DATA_DIR              ./var           non-empty path
//   store.read_connections       EMG_READ_CONNECTIONS      4               1-64
//   store.durable                EMG_DURABLE               true            true/false (env: 1/0)
//   fhir.default_page_size       EMG_DEFAULT_PAGE_SIZE     50              1-10000, <= max
//   fhir.max_page_size           EMG_MAX_PAGE_SIZE         1000            1-10000
//   fhir.max_bundle_entries      EMG_MAX_BUNDLE_ENTRIES    1000            1-100000
//   fhir.unique_identifiers      EMG_UNIQUE_IDENTIFIERS    (6)             Type|system,...
//   fhir.resource_types          EMG_RESOURCE_TYPES        default         Type,... (8a)
//   fhir.max_json_values         EMG_MAX_JSON_VALUES       1000000         1000-100000000 (8b)
//   fhir.max_array_items         EMG_MAX_ARRAY_ITEMS       100000          100-100000000
//   fhir.max_page_bytes          EMG_MAX_PAGE_BYTES        16777216        65536-1073741824 (8c)
//   log.level                    EMG_LOG_LEVEL             info            debug|info|warn|error
//   demo.seed_file               EMG_SEED_FILE             ""              readable Bundle (5)
//   terminology.dir              EMG_TERMINOLOGY_DIR       mappings/terminology   readable
//   directory (7) ehr.her_id                   EMG_EHR_HER_ID            ""              digits;
//   empty: EHR messaging off ehr.organisation_name        EMG_EHR_ORGANISATION_NAME "" required
//   with her_id ehr.department_her_id        EMG_EHR_DEPARTMENT_HER_ID ""              digits
//   ehr.department_name          EMG_EHR_DEPARTMENT_NAME   ""
//   ehr.accepted_her_ids         EMG_EHR_ACCEPTED_HER_IDS  "" (ours)       comma-separated HER-ids
//   ehr.apprec_version           EMG_EHR_APPREC_VERSION    1.1             1.0 | 1.1
//   ehr.partner_apprec_versions  EMG_EHR_PARTNER_APPREC_VERSIONS ""        HER:1.0,HER:1.1,...
//   ehr.validation_policy        EMG_EHR_VALIDATION_POLICY tolerant        tolerant | strict (13)
//   ehr.partner_validation_policies EMG_EHR_PARTNER_VALIDATION_POLICIES "" HER:strict,HER:tolerant
//   ehr.max_message_bytes        EMG_EHR_MAX_MESSAGE_BYTES 16777216        1024-1073741824,
//                                                                          <= body_limit_bytes (14)
//   ehr.schema_dir               EMG_EHR_SCHEMA_DIR        adapters/ehr/schemas/kith  readable
//   directory ehr.push_url                 EMG_EHR_PUSH_URL          ""              http(s) URL;
//   empty: pull only (8) ehr.push_max_attempts        EMG_EHR_PUSH_MAX_ATTEMPTS 10 1-1000
//   ehr.push_initial_backoff_ms  EMG_EHR_PUSH_INITIAL_BACKOFF_MS 1000      10-3600000
//   ehr.push_max_backoff_ms      EMG_EHR_PUSH_MAX_BACKOFF_MS 300000        10-86400000, >= initial
//   ehr.push_timeout_ms          EMG_EHR_PUSH_TIMEOUT_MS   10000           100-600000
//   ehr.push_poll_ms             EMG_EHR_PUSH_POLL_MS      500             10-60000
//   ehr.push_ca_file             EMG_EHR_PUSH_CA_FILE      ""              readable PEM; empty:
//   system CAs auth.mode                    EMG_AUTH_MODE             enforce         enforce | off
//   (9) auth.policy_file             EMG_AUTH_POLICY_FILE      ""              readable JSON (10)
//   auth.dev_login               EMG_AUTH_DEV_LOGIN        false           true/false (11)
//   auth.session_ttl_s           EMG_AUTH_SESSION_TTL_S    900             60-43200
//   auth.public_url              EMG_AUTH_PUBLIC_URL       ""              absolute http(s) URL
//   (12) auth.ca_file                 EMG_AUTH_CA_FILE          ""              readable PEM;
//   empty: system CAs auth.http_timeout_ms         EMG_AUTH_HTTP_TIMEOUT_MS  5000 100-60000
//   auth.compartment_file        EMG_AUTH_COMPARTMENT_FILE mappings/access/patient-compartment.json
//
// (1) HOST is an IPv4 address, a bracketed IPv6 address or "localhost"; PORT 0-65535, where 0
//     picks a free port (the "listening" log line has the real one).
// (2) Applied to the request header and again to the body, from the first byte.
// (3) Between requests on a kept-alive connection.
// (4) Graceful shutdown: how long requests in flight may take to finish.
// (5) A transaction Bundle (JSON) run at start; relative paths are from the working directory.
// (6) Identifiers unique among live resources of the type; default fødselsnummer and
//     D-nummer for Patient, HPR-nummer for Practitioner. Empty: none.
// (7) The CodeSystem and ConceptMap files (fhir/terminology) loaded, validated and seeded into
//     the store at every start; relative paths are from the working directory.
// (8) The gateway POSTs every outbox message there (gateway/ehr/ehr_pusher.h), with retry,
//     backoff and a dead-letter state; the pull API stays available. Needs ehr.her_id.
// (8a) The resource types with their own endpoints (and allowed as transaction entries):
//     R4 type names and "default" for the default list (fhir/served_types.h), e.g.
//     "default,Device,Specimen". Any R4 type may be contained or carried in a stored Bundle
//     whatever this says. The types the gateway writes itself cannot be left out.
// (8b) What one request body may hold: JSON values in all (a bound on the memory of the
//     parsed tree, ~100 bytes each) and items in any one array. Beyond: 413 naming the limit.
// (8c) Resource bytes in one search or history page: a page ends after the resource that
//     reaches it (always at least one) and its next link continues from there.
//
// (9)  "off" serves every request as the gateway itself, without authentication or audit: for
//      tests of other features only, and refused unless server.listen is a loopback address.
// (10) Identity providers, API token issuers, clients and roles (docs/security.md). Empty: no
//      external login; only development login (when on) reaches patient data.
// (11) Log in as a synthetic test patient or therapist without an identity provider. Refused
//      unless server.listen is a loopback address.
// (12) The gateway's external URL (for DPoP `htu` and redirect URIs); default server.base_url,
//      else http(s)://<listen address>.
// (13) How strictly inbound KITH messages are held to the schemas (adapters/ehr/settings.h,
//      ADR 0010); per partner by the sender's HER-id in ehr.partner_validation_policies.
// (14) A larger message could not reach the inbox at all (413 at the HTTP edge, and no AppRec).
//      The EHR adapter's own FHIR transactions may be larger than server.body_limit_bytes: they
//      carry the message in base64 and its attachments again (adapters::ehr::TransactionAllowance).
//
// EMG_CONFIG names the config file when --config is not given. TLS is on when both tls files
// are set (setting only one is an error).

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace gateway::config {

struct TlsConfig {
  std::string certificate_file;
  std::string key_file;
  bool enabled() const { return !certificate_file.empty() && !key_file.empty(); }
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  // Parsed from `listen` by Validate(): an IP address literal (IPv6 without brackets).
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 0;               // 0: one per CPU
  int handler_threads = 64;      // everything but GET/HEAD; writes park on the group commit
  int read_handler_threads = 0;  // GET/HEAD; 0: one per CPU
  int64_t header_limit_bytes = 16 * 1024;
  int64_t body_limit_bytes = 16 * 1024 * 1024;
  int read_timeout_ms = 30'000;
  int write_timeout_ms = 30'000;
  int idle_timeout_ms = 60'000;
  int drain_timeout_ms = 10'000;
  TlsConfig tls;
  std::string base_url;
};

struct StoreConfig {
  std::string data_dir = "./var";
  int read_connections = 4;
  bool durable = true;
};

struct FhirConfig {
  int default_page_size = 50;
  int max_page_size = 1000;
  int max_bundle_entries = 1000;
  // "Type|system,...": business identifiers that must be unique (fødselsnummer, D-nummer,
  // HPR-nummer by default). Parsed into unique_identifier_rules by Validate().
  std::string unique_identifiers =
      "Patient|urn:oid:2.16.578.1.12.4.1.4.1,Patient|urn:oid:2.16.578.1.12.4.1.4.2,"
      "Practitioner|urn:oid:2.16.578.1.12.4.1.4.4";
  std::vector<std::pair<std::string, std::string>> unique_identifier_rules;  // (type, system)
  // The resource types the REST API serves: R4 type names, "default" for the default list
  // (fhir/served_types.h). Resolved into served_types by Validate().
  int64_t max_json_values = 1'000'000;
  int64_t max_array_items = 100'000;
  int64_t max_page_bytes = 16 * 1024 * 1024;
  std::string resource_types = "default";
  std::vector<std::string> served_types;
};

struct LogConfig {
  std::string level = "info";
};

struct DemoConfig {
  std::string seed_file;
};

struct TerminologyConfig {
  std::string dir = "mappings/terminology";
};

// The EHR message adapter (KITH/Hdir XML). Off while her_id is empty.
struct EhrConfig {
  std::string her_id;  // our organisation's HER-id (level 1)
  std::string organisation_name;
  std::string department_her_id;  // the receiving unit (level 2), optional
  std::string department_name;
  std::string accepted_her_ids;  // comma-separated; empty: her_id and department_her_id
  std::string apprec_version = "1.1";
  std::string partner_apprec_versions;  // "HER:1.0,HER:1.1"
  std::string validation_policy = "tolerant";
  std::string partner_validation_policies;  // "HER:strict,HER:tolerant"
  int64_t max_message_bytes = 16 * 1024 * 1024;
  std::string schema_dir = "adapters/ehr/schemas/kith";
  std::string push_url;  // empty: the message service pulls (GET /ehr/outbox)
  int push_max_attempts = 10;
  int push_initial_backoff_ms = 1000;
  int push_max_backoff_ms = 300'000;
  int push_timeout_ms = 10'000;
  int push_poll_ms = 500;
  std::string push_ca_file;
  bool enabled() const { return !her_id.empty(); }
  // Filled by Validate().
  std::vector<std::string> accepted;                                  // HER-ids
  std::vector<std::pair<std::string, std::string>> partners;          // (HER-id, version)
  std::vector<std::pair<std::string, std::string>> partner_policies;  // (HER-id, policy)
};

// Identity and access (gateway/auth, auth/).
struct AuthConfig {
  std::string mode = "enforce";
  std::string policy_file;
  bool dev_login = false;
  int session_ttl_s = 900;
  std::string public_url;
  std::string ca_file;
  int http_timeout_ms = 5000;
  std::string compartment_file = "mappings/access/patient-compartment.json";
  bool enforced() const { return mode != "off"; }
};

struct Config {
  ServerConfig server;
  StoreConfig store;
  FhirConfig fhir;
  LogConfig log;
  DemoConfig demo;
  TerminologyConfig terminology;
  EhrConfig ehr;
  AuthConfig auth;
};

// True for 127.0.0.0/8 and ::1 (what "loopback only" settings are checked against).
bool IsLoopbackAddress(std::string_view host);

// Command-line values that override file and environment.
struct CommandLineOverrides {
  std::optional<std::string> config_file;  // --config
  std::optional<std::string> listen;       // --listen
  std::optional<std::string> data_dir;     // --data
};

// Returns the value of an environment variable, or nullptr. Injected for tests.
using GetEnv = std::function<const char*(const char*)>;

// The whole pipeline: defaults, the config file (--config, else EMG_CONFIG, else none),
// environment, command line, then Validate(). Never throws.
common::StatusOr<Config> Load(const CommandLineOverrides& overrides, const GetEnv& getenv);

// Applies a JSON document on top of `config`. Unknown keys at any level, wrong types and
// out-of-range values are errors naming the key. Does not run Validate().
common::Status ApplyJson(std::string_view json, Config& config);

// Applies the EMG_* environment variables (see the table above) on top of `config`.
common::Status ApplyEnvironment(const GetEnv& getenv, Config& config);

// Cross-field and environment checks: listen address syntax (fills host/port), TLS file pair
// and readability, base_url, page sizes, log level, seed file readability, terminology
// directory readability.
common::Status Validate(Config& config);

// Parses "HOST:PORT" where HOST is an IPv4 literal, a bracketed IPv6 literal or "localhost".
// On success stores the bare address (IPv6 without brackets; localhost as 127.0.0.1).
bool ParseListen(std::string_view text, std::string* host, uint16_t* port);

// The documented key and environment-variable names, for --help and tests.
struct KeyInfo {
  std::string_view key;
  std::string_view env;
};
std::span<const KeyInfo> Keys();

}  // namespace gateway::config
