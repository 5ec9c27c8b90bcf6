#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "fhir/served_types.h"
#include "gateway/config/config.h"

namespace gateway::config {
namespace {

using Env = std::map<std::string, std::string>;

// The default terminology.dir ("mappings/terminology") is relative to the working directory, which
// for tests is not the repository root: unless a test sets it, the environment and the configs used
// below name the source tree's directory.
const std::string kTerminologyDir = std::string(EMG_TESTDATA_DIR) + "/../../mappings/terminology";
const std::string kCompartmentFile =
    std::string(EMG_TESTDATA_DIR) + "/../../mappings/access/patient-compartment.json";

GetEnv FakeEnv(Env env) {
  env.emplace("EMG_TERMINOLOGY_DIR", kTerminologyDir);  // no-op when the test sets it
  env.emplace("EMG_AUTH_COMPARTMENT_FILE", kCompartmentFile);
  return [env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

Config TestDefaults() {
  Config c;
  c.terminology.dir = kTerminologyDir;
  c.auth.compartment_file = kCompartmentFile;
  return c;
}

// Applies `json` to defaults and validates; returns the error message or "" when valid.
std::string JsonError(const std::string& json) {
  Config c = TestDefaults();
  common::Status s = ApplyJson(json, c);
  if (!s.ok()) return s.message();
  s = Validate(c);
  return s.ok() ? "" : s.message();
}

std::string EnvError(const Env& env) {
  Config c;
  common::Status s = ApplyEnvironment(FakeEnv(env), c);
  return s.ok() ? "" : s.message();
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    path_ = std::filesystem::temp_directory_path() /
            ("emg-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(ConfigDefaults, AreValid) {
  auto c = Load({}, FakeEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->store.data_dir, "./var");
  EXPECT_TRUE(c->store.durable);
  EXPECT_FALSE(c->server.tls.enabled());
  EXPECT_EQ(c->log.level, "info");
  EXPECT_EQ(Config().terminology.dir, "mappings/terminology");
}

TEST(ConfigJson, AppliesEveryKnownSection) {
  std::string error = JsonError(R"({
    "server": {"listen": "0.0.0.0:9090", "threads": 4, "handler_threads": 32,
               "header_limit_bytes": 8192, "body_limit_bytes": 1048576,
               "read_timeout_ms": 5000, "write_timeout_ms": 5000, "idle_timeout_ms": 30000,
               "drain_timeout_ms": 2000, "tls": {}, "base_url": "https://fhir.example.org/r4/"},
    "store": {"data_dir": "/tmp/x", "read_connections": 8, "durable": false},
    "fhir": {"default_page_size": 20, "max_page_size": 200, "max_bundle_entries": 500},
    "log": {"level": "debug"},
    "demo": {}
  })");
  EXPECT_EQ(error, "");
  Config c = TestDefaults();
  ASSERT_TRUE(
      ApplyJson(R"({"server":{"listen":"[::1]:9091","base_url":"http://h/fhir/"}})", c).ok());
  ASSERT_TRUE(Validate(c).ok());
  EXPECT_EQ(c.server.host, "::1");
  EXPECT_EQ(c.server.port, 9091);
  EXPECT_EQ(c.server.base_url, "http://h/fhir");  // trailing slash dropped
}

TEST(ConfigJson, ExampleConfigFilesLoad) {
  const std::string root = std::string(EMG_TESTDATA_DIR) + "/../..";
  CommandLineOverrides o;
  o.config_file = root + "/config/gateway.example.json";  // every key, at its default
  auto c = Load(o, FakeEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().message();
  Config defaults = TestDefaults();
  ASSERT_TRUE(Validate(defaults).ok());
  EXPECT_EQ(c->server.listen, defaults.server.listen);
  EXPECT_EQ(c->server.body_limit_bytes, defaults.server.body_limit_bytes);
  EXPECT_EQ(c->fhir.max_page_size, defaults.fhir.max_page_size);
  EXPECT_EQ(c->server.handler_threads, defaults.server.handler_threads);
  EXPECT_EQ(c->server.read_handler_threads, defaults.server.read_handler_threads);
  // The example names every documented key (it is the reference operators copy from).
  std::ifstream example(root + "/config/gateway.example.json");
  std::stringstream example_text;
  example_text << example.rdbuf();
  for (const KeyInfo& k : Keys()) {
    std::string key(k.key);
    std::string leaf = "\"" + key.substr(key.rfind('.') + 1) + "\":";
    EXPECT_NE(example_text.str().find(leaf), std::string::npos) << key;
  }

  // demo.json names its seed relative to the repository root (scripts/run.sh runs there).
  std::ifstream in(root + "/config/demo.json");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  Config demo;
  ASSERT_TRUE(ApplyJson(text, demo).ok());
  EXPECT_TRUE(std::filesystem::exists(root + "/" + demo.demo.seed_file)) << demo.demo.seed_file;
  // scripts/run.sh runs from the repository root, where the default terminology.dir resolves.
  EXPECT_TRUE(std::filesystem::is_directory(root + "/" + demo.terminology.dir))
      << demo.terminology.dir;
}

TEST(ConfigJson, UnknownKeysAtAnyLevelNameTheKey) {
  EXPECT_EQ(JsonError(R"({"servr": {}})"), "servr: unknown key");
  EXPECT_EQ(JsonError(R"({"server": {"port": 1}})"), "server.port: unknown key");
  EXPECT_EQ(JsonError(R"({"server": {"tls": {"cert": "x"}}})"), "server.tls.cert: unknown key");
  EXPECT_EQ(JsonError(R"({"fhir": {"default_page_size": 5, "x": 1}})"), "fhir.x: unknown key");
}

TEST(ConfigJson, WrongTypesAndRangesNameTheKey) {
  EXPECT_EQ(JsonError(R"({"server": {"read_timeout_ms": 50}})"),
            "server.read_timeout_ms: must be an integer between 100 and 600000");
  EXPECT_EQ(JsonError(R"({"server": {"read_timeout_ms": "1000"}})"),
            "server.read_timeout_ms: must be an integer between 100 and 600000");
  EXPECT_EQ(JsonError(R"({"server": {"threads": 1.5}})"),
            "server.threads: must be an integer between 0 and 256");
  EXPECT_EQ(JsonError(R"({"server": {"body_limit_bytes": 2000000000}})"),
            "server.body_limit_bytes: must be an integer between 1024 and 1073741824");
  EXPECT_EQ(JsonError(R"({"store": {"durable": "yes"}})"), "store.durable: must be true or false");
  EXPECT_EQ(JsonError(R"({"log": {"level": 3}})"), "log.level: must be a string");
  EXPECT_EQ(JsonError(R"({"server": 1})"), "server: must be an object");
  EXPECT_EQ(JsonError(R"({"server": {"tls": "on"}})"), "server.tls: must be an object");
  EXPECT_EQ(JsonError(R"({"fhir": {"max_page_size": 0}})"),
            "fhir.max_page_size: must be an integer between 1 and 10000");
}

TEST(ConfigJson, DuplicateKeysAreRejected) {
  EXPECT_EQ(JsonError(R"({"log": {"level": "info", "level": "debug"}})"),
            "log.level: duplicate key");
}

TEST(ConfigJson, SyntaxErrorsAndNonObjects) {
  EXPECT_NE(JsonError(R"({"server": )").find("invalid JSON at offset"), std::string::npos);
  EXPECT_EQ(JsonError("[]"), "the top level must be an object");
}

TEST(ConfigValidate, ListenAddress) {
  EXPECT_EQ(JsonError(R"({"server": {"listen": "127.0.0.1"}})"),
            "server.listen: must be HOST:PORT with HOST an IPv4 address, [IPv6 address] or "
            "localhost and PORT 0-65535");
  EXPECT_NE(JsonError(R"({"server": {"listen": "example.org:80"}})"), "");
}

TEST(ConfigValidate, CrossFieldChecksNameTheKey) {
  EXPECT_EQ(JsonError(R"({"fhir": {"default_page_size": 500, "max_page_size": 100}})"),
            "fhir.default_page_size: must not exceed fhir.max_page_size (100)");
  EXPECT_EQ(JsonError(R"({"log": {"level": "verbose"}})"),
            "log.level: must be one of debug, info, warn, error");
  EXPECT_EQ(JsonError(R"({"server": {"base_url": "ftp://x"}})"),
            "server.base_url: must be an absolute http:// or https:// URL without query or "
            "fragment");
  EXPECT_NE(JsonError(R"({"server": {"base_url": "http://h/fhir?x=1"}})"), "");
  EXPECT_EQ(JsonError(R"({"store": {"data_dir": ""}})"), "store.data_dir: must not be empty");
}

TEST(ConfigValidate, ServedResourceTypes) {
  Config c = TestDefaults();
  ASSERT_TRUE(Validate(c).ok());
  EXPECT_EQ(c.fhir.served_types, fhir::DefaultServedTypes());
  EXPECT_TRUE(std::binary_search(c.fhir.served_types.begin(), c.fhir.served_types.end(), "Goal"));

  Config more = TestDefaults();
  ASSERT_TRUE(
      ApplyJson(R"({"fhir": {"resource_types": "default, Device,Specimen,Device"}})", more).ok());
  ASSERT_TRUE(Validate(more).ok());
  EXPECT_EQ(more.fhir.served_types.size(), fhir::DefaultServedTypes().size() + 2);
  EXPECT_TRUE(std::is_sorted(more.fhir.served_types.begin(), more.fhir.served_types.end()));

  EXPECT_EQ(JsonError(R"({"fhir": {"resource_types": "default,device"}})"),
            "fhir.resource_types: 'device' is not an R4 resource type (names are "
            "case-sensitive; 'default' stands for the default list)");
  EXPECT_EQ(JsonError(R"({"fhir": {"resource_types": "default,DomainResource"}})").substr(0, 41),
            "fhir.resource_types: 'DomainResource' is ");
  // The types the gateway writes itself cannot be left out.
  EXPECT_EQ(JsonError(R"({"fhir": {"resource_types": "Patient,Goal"}})"),
            "fhir.resource_types: AuditEvent must be served: the gateway writes it itself");
  // A unique-identifier rule on a type that is not served is a contradiction.
  std::string required;
  for (const std::string& t : fhir::RequiredServedTypes()) required += t + ",";
  EXPECT_EQ(JsonError(R"({"fhir": {"resource_types": ")" + required +
                      R"(", "unique_identifiers": "Device|urn:x"}})"),
            "fhir.unique_identifiers: Device is not in fhir.resource_types");
}

TEST(ConfigValidate, BaseUrlIsRequiredOffLoopback) {
  // Links and Location headers would otherwise come from the client's Host header.
  EXPECT_EQ(JsonError(R"({"server": {"listen": "0.0.0.0:8080"}})"),
            "server.base_url: required when server.listen is not a loopback address (links and "
            "Location headers are built from it, never from the client's Host header)");
  EXPECT_EQ(JsonError(R"({"server": {"listen": "0.0.0.0:8080",
                                     "base_url": "https://fhir.example.org"}})"),
            "");
  EXPECT_EQ(JsonError(R"({"server": {"listen": "127.0.0.1:8080"}})"), "");
}

TEST(ConfigValidate, TlsNeedsBothReadableFiles) {
  TempFile cert("cert");
  EXPECT_EQ(JsonError(R"({"server": {"tls": {"certificate_file": ")" + cert.path() + R"("}}})"),
            "server.tls.key_file: required when server.tls.certificate_file is set");
  EXPECT_EQ(JsonError(R"({"server": {"tls": {"key_file": ")" + cert.path() + R"("}}})"),
            "server.tls.certificate_file: required when server.tls.key_file is set");
  std::string error = JsonError(R"({"server": {"tls": {"certificate_file": "/nonexistent/c.pem",
                                                        "key_file": ")" +
                                cert.path() + R"("}}})");
  EXPECT_EQ(error.rfind("server.tls.certificate_file: cannot read '/nonexistent/c.pem': ", 0), 0u)
      << error;
  error = JsonError(R"({"server": {"tls": {"certificate_file": ")" + cert.path() +
                    R"(", "key_file": "/tmp"}}})");
  EXPECT_EQ(error, "server.tls.key_file: cannot read '/tmp': not a regular file");
  EXPECT_EQ(JsonError(R"({"server": {"tls": {"certificate_file": ")" + cert.path() +
                      R"(", "key_file": ")" + cert.path() + R"("}}})"),
            "");
}

TEST(ConfigValidate, SeedFileMustBeReadable) {
  std::string error = JsonError(R"({"demo": {"seed_file": "/nonexistent/seed.json"}})");
  EXPECT_EQ(error.rfind("demo.seed_file: cannot read '/nonexistent/seed.json': ", 0), 0u) << error;
}

TEST(ConfigValidate, TerminologyDirMustBeAReadableDirectory) {
  EXPECT_EQ(JsonError(R"({"terminology": {"dir": ""}})"), "terminology.dir: must not be empty");
  std::string error = JsonError(R"({"terminology": {"dir": "/nonexistent/kith"}})");
  EXPECT_EQ(error.rfind("terminology.dir: cannot read directory '/nonexistent/kith': ", 0), 0u)
      << error;
  TempFile file("not a directory");
  EXPECT_EQ(JsonError(R"({"terminology": {"dir": ")" + file.path() + R"("}})"),
            "terminology.dir: cannot read directory '" + file.path() + "': not a directory");
  EXPECT_EQ(JsonError(R"({"terminology": {"dir": ")" + kTerminologyDir + R"("}})"), "");
  EXPECT_EQ(JsonError(R"({"terminology": {"path": "x"}})"), "terminology.path: unknown key");
  auto c = Load({}, FakeEnv({{"EMG_TERMINOLOGY_DIR", "/nonexistent/env"}}));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(
      c.error().message().rfind("terminology.dir: cannot read directory '/nonexistent/env'", 0), 0u)
      << c.error().message();
}

TEST(ConfigEnv, OverridesAndErrorsNameVariableAndKey) {
  Config c;
  ASSERT_TRUE(ApplyEnvironment(FakeEnv({{"EMG_LISTEN", "127.0.0.1:0"},
                                        {"EMG_DATA_DIR", "/data"},
                                        {"EMG_LOG_LEVEL", "warn"},
                                        {"EMG_DURABLE", "0"},
                                        {"EMG_THREADS", "3"},
                                        {"EMG_BASE_URL", ""}}),  // empty: ignored
                               c)
                  .ok());
  EXPECT_EQ(c.server.listen, "127.0.0.1:0");
  EXPECT_EQ(c.store.data_dir, "/data");
  EXPECT_EQ(c.log.level, "warn");
  EXPECT_FALSE(c.store.durable);
  EXPECT_EQ(c.server.threads, 3);
  EXPECT_EQ(EnvError({{"EMG_READ_TIMEOUT_MS", "abc"}}),
            "EMG_READ_TIMEOUT_MS (server.read_timeout_ms): must be an integer between 100 and "
            "600000");
  EXPECT_EQ(EnvError({{"EMG_READ_TIMEOUT_MS", "100x"}}).substr(0, 19), "EMG_READ_TIMEOUT_MS");
  EXPECT_EQ(EnvError({{"EMG_LOG_LEVEL", "loud"}}),
            "EMG_LOG_LEVEL (log.level): must be one of debug, info, warn, error");
  EXPECT_EQ(EnvError({{"EMG_BASE_URL", "fhir.example.org"}}),
            "EMG_BASE_URL (server.base_url): must be an absolute http:// or https:// URL without "
            "query or fragment");
  EXPECT_EQ(EnvError({{"EMG_DURABLE", "maybe"}}),
            "EMG_DURABLE (store.durable): must be true or false");
  EXPECT_EQ(EnvError({{"EMG_LISTEN", "nope"}}).rfind("EMG_LISTEN (server.listen): must be", 0), 0u);
}

TEST(ConfigLoad, PrecedenceIsDefaultsFileEnvironmentCommandLine) {
  TempFile file(R"({"server": {"listen": "127.0.0.1:1111", "read_timeout_ms": 1000,
                               "write_timeout_ms": 1000},
                    "store": {"data_dir": "/from-file"}})");
  CommandLineOverrides o;
  o.config_file = file.path();
  o.listen = "127.0.0.1:3333";
  auto c = Load(o, FakeEnv({{"EMG_LISTEN", "127.0.0.1:2222"}, {"EMG_READ_TIMEOUT_MS", "2000"}}));
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->server.port, 3333);              // command line beats environment
  EXPECT_EQ(c->server.read_timeout_ms, 2000);   // environment beats file
  EXPECT_EQ(c->server.write_timeout_ms, 1000);  // file beats default
  EXPECT_EQ(c->store.data_dir, "/from-file");
  o.data_dir = "/from-flag";
  c = Load(o, FakeEnv({{"EMG_DATA_DIR", "/from-env"}}));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->store.data_dir, "/from-flag");
}

TEST(ConfigLoad, ConfigFileFromEnvironment) {
  TempFile file(R"({"server": {"listen": "127.0.0.1:4444"}})");
  auto c = Load({}, FakeEnv({{"EMG_CONFIG", file.path()}}));
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->server.port, 4444);
}

TEST(ConfigLoad, MissingOrBrokenFileStopsWithAMessage) {
  CommandLineOverrides o;
  o.config_file = "/nonexistent/gateway.json";
  auto c = Load(o, FakeEnv({}));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message(),
            "--config: cannot read config file '/nonexistent/gateway.json': No such file or "
            "directory");
  c = Load({}, FakeEnv({{"EMG_CONFIG", "/nonexistent/x.json"}}));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message().rfind("EMG_CONFIG: cannot read config file", 0), 0u);

  TempFile broken(R"({"server": {"listen": )");
  o.config_file = broken.path();
  c = Load(o, FakeEnv({}));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message().rfind(broken.path() + ": invalid JSON at offset", 0), 0u)
      << c.error().message();

  TempFile bad_key(R"({"server": {"threads": 1000}})");
  o.config_file = bad_key.path();
  c = Load(o, FakeEnv({}));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message(), "server.threads: must be an integer between 0 and 256");
}

TEST(ConfigLoad, CommandLineValuesAreChecked) {
  CommandLineOverrides o;
  o.listen = "localhost";
  auto c = Load(o, FakeEnv({}));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message().rfind("--listen: must be HOST:PORT", 0), 0u);
  o.listen = "localhost:0";
  o.data_dir = "";
  c = Load(o, FakeEnv({}));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message(), "--data: must not be empty");
}

TEST(ConfigListen, ParsesAddressForms) {
  std::string host;
  uint16_t port = 1;
  EXPECT_TRUE(ParseListen("127.0.0.1:0", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 0);
  EXPECT_TRUE(ParseListen("[::1]:8080", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_TRUE(ParseListen("localhost:80", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_TRUE(ParseListen("0.0.0.0:65535", &host, &port));
  EXPECT_EQ(port, 65535);
  for (const char* bad :
       {"127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:65536", "host:80", "[::1:80", "::1:80",
        "127.0.0.1:-1", "1.2.3:80", "127.0.0.1:8o", "[]:80", "127.0.0.1:000080"}) {
    EXPECT_FALSE(ParseListen(bad, &host, &port)) << bad;
  }
}

TEST(ConfigKeys, EveryKeyHasADistinctEnvironmentVariable) {
  std::set<std::string_view> envs;
  std::set<std::string_view> keys;
  for (const KeyInfo& k : Keys()) {
    EXPECT_TRUE(k.env.starts_with("EMG_")) << k.env;
    EXPECT_TRUE(envs.insert(k.env).second) << k.env;
    EXPECT_TRUE(keys.insert(k.key).second) << k.key;
  }
  EXPECT_TRUE(keys.contains("server.listen"));
  EXPECT_TRUE(keys.contains("store.data_dir"));
  EXPECT_TRUE(keys.contains("log.level"));
  EXPECT_TRUE(keys.contains("demo.seed_file"));
  EXPECT_TRUE(keys.contains("terminology.dir"));
}

}  // namespace
}  // namespace gateway::config

namespace gateway::config {
namespace {

const std::string kSchemaDir = std::string(EMG_TESTDATA_DIR) + "/../../adapters/ehr/schemas/kith";

TEST(ConfigValidate, EhrSection) {
  // Off by default; on with a HER-id, a name and a readable schema directory.
  Config off = TestDefaults();
  ASSERT_TRUE(Validate(off).ok());
  EXPECT_FALSE(off.ehr.enabled());
  auto ehr = [](const std::string& fields) {
    return R"({"ehr":{"schema_dir":")" + kSchemaDir + R"(",)" + fields + "}}";
  };
  EXPECT_EQ(JsonError(ehr(R"("her_id":"8142519","organisation_name":"X")")), "");
  EXPECT_EQ(JsonError(ehr(R"("her_id":"81425x","organisation_name":"X")")),
            "ehr.her_id: must be a HER-id (digits)");
  EXPECT_EQ(JsonError(ehr(R"("her_id":"8142519")")),
            "ehr.organisation_name: required when ehr.her_id is set");
  EXPECT_EQ(JsonError(ehr(R"("her_id":"1","organisation_name":"X","apprec_version":"2.0")")),
            "ehr.apprec_version: must be 1.0 or 1.1");
  EXPECT_EQ(
      JsonError(
          ehr(R"("her_id":"1","organisation_name":"X","partner_apprec_versions":"12:1.0,x:1.1")")),
      "ehr.partner_apprec_versions: must be comma-separated HER-id:version pairs, version 1.0 or "
      "1.1");
  EXPECT_EQ(JsonError(ehr(R"("her_id":"1","organisation_name":"X","accepted_her_ids":"1,two")")),
            "ehr.accepted_her_ids: must be comma-separated HER-ids");
  EXPECT_NE(
      JsonError(R"({"ehr":{"her_id":"1","organisation_name":"X","schema_dir":"/no/such/dir"}})")
          .find("ehr.schema_dir: cannot read directory"),
      std::string::npos);
  // The parsed lists.
  Config c = TestDefaults();
  ASSERT_TRUE(
      ApplyJson(ehr(R"("her_id":"8142519","organisation_name":"X","department_her_id":"8142520",)"
                    R"("partner_apprec_versions":"1234567:1.0, 7654321:1.1")"),
                c)
          .ok());
  ASSERT_TRUE(Validate(c).ok());
  EXPECT_EQ(c.ehr.accepted, (std::vector<std::string>{"8142519", "8142520"}));
  ASSERT_EQ(c.ehr.partners.size(), 2u);
  EXPECT_EQ(c.ehr.partners[1], (std::pair<std::string, std::string>{"7654321", "1.1"}));
}

TEST(ConfigValidate, EhrValidationPolicyAndSizes) {
  auto ehr = [](const std::string& fields) {
    return R"({"ehr":{"schema_dir":")" + kSchemaDir +
           R"(","her_id":"8142519","organisation_name":"X",)" + fields + "}}";
  };
  EXPECT_EQ(JsonError(ehr(R"("validation_policy":"lenient")")),
            "ehr.validation_policy: must be tolerant or strict");
  EXPECT_EQ(JsonError(ehr(R"("partner_validation_policies":"1234567:strict,7654321:lax")")),
            "ehr.partner_validation_policies: must be comma-separated HER-id:policy pairs, "
            "policy tolerant or strict");
  EXPECT_EQ(JsonError(ehr(R"("partner_validation_policies":"x:strict")")),
            "ehr.partner_validation_policies: must be comma-separated HER-id:policy pairs, "
            "policy tolerant or strict");
  // A message limit over the HTTP body limit could never be reached with an AppRec.
  EXPECT_EQ(
      JsonError(R"({"server":{"body_limit_bytes":1048576},)" +
                ehr(R"("max_message_bytes":2097152)").substr(1)),
      "ehr.max_message_bytes: must not exceed server.body_limit_bytes (1048576): a larger message "
      "would be refused at the HTTP edge without an AppRec");
  Config c = TestDefaults();
  EXPECT_EQ(c.ehr.validation_policy, "tolerant");  // the default
  ASSERT_TRUE(ApplyJson(ehr(R"("validation_policy":"strict",)"
                            R"("partner_validation_policies":"1234567:tolerant, 7654321:strict")"),
                        c)
                  .ok());
  ASSERT_TRUE(Validate(c).ok());
  ASSERT_EQ(c.ehr.partner_policies.size(), 2u);
  EXPECT_EQ(c.ehr.partner_policies[0],
            (std::pair<std::string, std::string>{"1234567", "tolerant"}));
  // And from the environment.
  Config e = TestDefaults();
  ASSERT_TRUE(ApplyEnvironment(FakeEnv({{"EMG_EHR_VALIDATION_POLICY", "strict"},
                                        {"EMG_EHR_PARTNER_VALIDATION_POLICIES", "1:tolerant"}}),
                               e)
                  .ok());
  EXPECT_EQ(e.ehr.validation_policy, "strict");
  EXPECT_EQ(e.ehr.partner_validation_policies, "1:tolerant");
}

TEST(ConfigValidate, EhrPush) {
  auto ehr = [](const std::string& fields) {
    return R"({"ehr":{"schema_dir":")" + kSchemaDir +
           R"(","her_id":"8142519","organisation_name":"X",)" + fields + "}}";
  };
  EXPECT_EQ(JsonError(ehr(R"("push_url":"https://meldinger.example/inn","push_max_attempts":3)")),
            "");
  EXPECT_EQ(JsonError(ehr(R"("push_url":"ftp://x/y")")),
            "ehr.push_url: must be an http:// or https:// URL without user info or fragment");
  EXPECT_EQ(JsonError(R"({"ehr":{"push_url":"http://x/y"}})"),
            "ehr.push_url: needs ehr.her_id (EHR messaging is off)");
  EXPECT_EQ(JsonError(ehr(R"("push_initial_backoff_ms":5000,"push_max_backoff_ms":1000)")),
            "ehr.push_max_backoff_ms: must not be below ehr.push_initial_backoff_ms");
  EXPECT_NE(JsonError(ehr(R"("push_max_attempts":0)")).find("ehr.push_max_attempts"),
            std::string::npos);
  EXPECT_NE(
      JsonError(ehr(R"("push_ca_file":"/no/such/ca.pem")")).find("ehr.push_ca_file: cannot read"),
      std::string::npos);
}

}  // namespace
}  // namespace gateway::config
