#include "gateway/config/config.h"

#include <arpa/inet.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <variant>

#include "common/file.h"
#include "common/url.h"
#include "fhir/model/model.h"
#include "fhir/served_types.h"

namespace gateway::config {
namespace {

using common::Code;
using common::Status;

using FieldRef = std::variant<int*, int64_t*, bool*, std::string*>;

struct Spec {
  std::string_view key;
  std::string_view env;
  int64_t min;
  int64_t max;
  FieldRef (*field)(Config&);
};

// The one table of keys. Sections are implied by the dotted prefixes.
const Spec kSpecs[] = {
    {"server.listen", "EMG_LISTEN", 0, 0, [](Config& c) -> FieldRef { return &c.server.listen; }},
    {"server.threads", "EMG_THREADS", 0, 256,
     [](Config& c) -> FieldRef { return &c.server.threads; }},
    {"server.handler_threads", "EMG_HANDLER_THREADS", 1, 1024,
     [](Config& c) -> FieldRef { return &c.server.handler_threads; }},
    {"server.read_handler_threads", "EMG_READ_HANDLER_THREADS", 0, 256,
     [](Config& c) -> FieldRef { return &c.server.read_handler_threads; }},
    {"server.header_limit_bytes", "EMG_HEADER_LIMIT_BYTES", 1024, 1024 * 1024,
     [](Config& c) -> FieldRef { return &c.server.header_limit_bytes; }},
    {"server.body_limit_bytes", "EMG_BODY_LIMIT_BYTES", 1024, int64_t{1024} * 1024 * 1024,
     [](Config& c) -> FieldRef { return &c.server.body_limit_bytes; }},
    {"server.read_timeout_ms", "EMG_READ_TIMEOUT_MS", 100, 600'000,
     [](Config& c) -> FieldRef { return &c.server.read_timeout_ms; }},
    {"server.write_timeout_ms", "EMG_WRITE_TIMEOUT_MS", 100, 600'000,
     [](Config& c) -> FieldRef { return &c.server.write_timeout_ms; }},
    {"server.idle_timeout_ms", "EMG_IDLE_TIMEOUT_MS", 100, 3'600'000,
     [](Config& c) -> FieldRef { return &c.server.idle_timeout_ms; }},
    {"server.drain_timeout_ms", "EMG_DRAIN_TIMEOUT_MS", 0, 600'000,
     [](Config& c) -> FieldRef { return &c.server.drain_timeout_ms; }},
    {"server.tls.certificate_file", "EMG_TLS_CERTIFICATE_FILE", 0, 0,
     [](Config& c) -> FieldRef { return &c.server.tls.certificate_file; }},
    {"server.tls.key_file", "EMG_TLS_KEY_FILE", 0, 0,
     [](Config& c) -> FieldRef { return &c.server.tls.key_file; }},
    {"server.base_url", "EMG_BASE_URL", 0, 0,
     [](Config& c) -> FieldRef { return &c.server.base_url; }},
    {"store.data_dir", "EMG_DATA_DIR", 0, 0,
     [](Config& c) -> FieldRef { return &c.store.data_dir; }},
    {"store.read_connections", "EMG_READ_CONNECTIONS", 1, 64,
     [](Config& c) -> FieldRef { return &c.store.read_connections; }},
    {"store.durable", "EMG_DURABLE", 0, 0, [](Config& c) -> FieldRef { return &c.store.durable; }},
    {"fhir.default_page_size", "EMG_DEFAULT_PAGE_SIZE", 1, 10'000,
     [](Config& c) -> FieldRef { return &c.fhir.default_page_size; }},
    {"fhir.max_page_size", "EMG_MAX_PAGE_SIZE", 1, 10'000,
     [](Config& c) -> FieldRef { return &c.fhir.max_page_size; }},
    {"fhir.max_bundle_entries", "EMG_MAX_BUNDLE_ENTRIES", 1, 100'000,
     [](Config& c) -> FieldRef { return &c.fhir.max_bundle_entries; }},
    {"fhir.unique_identifiers", "EMG_UNIQUE_IDENTIFIERS", 0, 0,
     [](Config& c) -> FieldRef { return &c.fhir.unique_identifiers; }},
    {"fhir.max_json_values", "EMG_MAX_JSON_VALUES", 1000, 100'000'000,
     [](Config& c) -> FieldRef { return &c.fhir.max_json_values; }},
    {"fhir.max_array_items", "EMG_MAX_ARRAY_ITEMS", 100, 100'000'000,
     [](Config& c) -> FieldRef { return &c.fhir.max_array_items; }},
    {"fhir.max_page_bytes", "EMG_MAX_PAGE_BYTES", 64 * 1024, int64_t{1024} * 1024 * 1024,
     [](Config& c) -> FieldRef { return &c.fhir.max_page_bytes; }},
    {"fhir.resource_types", "EMG_RESOURCE_TYPES", 0, 0,
     [](Config& c) -> FieldRef { return &c.fhir.resource_types; }},
    {"log.level", "EMG_LOG_LEVEL", 0, 0, [](Config& c) -> FieldRef { return &c.log.level; }},
    {"demo.seed_file", "EMG_SEED_FILE", 0, 0,
     [](Config& c) -> FieldRef { return &c.demo.seed_file; }},
    {"terminology.dir", "EMG_TERMINOLOGY_DIR", 0, 0,
     [](Config& c) -> FieldRef { return &c.terminology.dir; }},
    {"ehr.her_id", "EMG_EHR_HER_ID", 0, 0, [](Config& c) -> FieldRef { return &c.ehr.her_id; }},
    {"ehr.organisation_name", "EMG_EHR_ORGANISATION_NAME", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.organisation_name; }},
    {"ehr.department_her_id", "EMG_EHR_DEPARTMENT_HER_ID", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.department_her_id; }},
    {"ehr.department_name", "EMG_EHR_DEPARTMENT_NAME", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.department_name; }},
    {"ehr.accepted_her_ids", "EMG_EHR_ACCEPTED_HER_IDS", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.accepted_her_ids; }},
    {"ehr.apprec_version", "EMG_EHR_APPREC_VERSION", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.apprec_version; }},
    {"ehr.partner_apprec_versions", "EMG_EHR_PARTNER_APPREC_VERSIONS", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.partner_apprec_versions; }},
    {"ehr.validation_policy", "EMG_EHR_VALIDATION_POLICY", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.validation_policy; }},
    {"ehr.partner_validation_policies", "EMG_EHR_PARTNER_VALIDATION_POLICIES", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.partner_validation_policies; }},
    {"ehr.max_message_bytes", "EMG_EHR_MAX_MESSAGE_BYTES", 1024, int64_t{1024} * 1024 * 1024,
     [](Config& c) -> FieldRef { return &c.ehr.max_message_bytes; }},
    {"ehr.schema_dir", "EMG_EHR_SCHEMA_DIR", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.schema_dir; }},
    {"ehr.push_url", "EMG_EHR_PUSH_URL", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.push_url; }},
    {"ehr.push_max_attempts", "EMG_EHR_PUSH_MAX_ATTEMPTS", 1, 1000,
     [](Config& c) -> FieldRef { return &c.ehr.push_max_attempts; }},
    {"ehr.push_initial_backoff_ms", "EMG_EHR_PUSH_INITIAL_BACKOFF_MS", 10, 3'600'000,
     [](Config& c) -> FieldRef { return &c.ehr.push_initial_backoff_ms; }},
    {"ehr.push_max_backoff_ms", "EMG_EHR_PUSH_MAX_BACKOFF_MS", 10, 86'400'000,
     [](Config& c) -> FieldRef { return &c.ehr.push_max_backoff_ms; }},
    {"ehr.push_timeout_ms", "EMG_EHR_PUSH_TIMEOUT_MS", 100, 600'000,
     [](Config& c) -> FieldRef { return &c.ehr.push_timeout_ms; }},
    {"ehr.push_poll_ms", "EMG_EHR_PUSH_POLL_MS", 10, 60'000,
     [](Config& c) -> FieldRef { return &c.ehr.push_poll_ms; }},
    {"ehr.push_ca_file", "EMG_EHR_PUSH_CA_FILE", 0, 0,
     [](Config& c) -> FieldRef { return &c.ehr.push_ca_file; }},
    {"auth.mode", "EMG_AUTH_MODE", 0, 0, [](Config& c) -> FieldRef { return &c.auth.mode; }},
    {"auth.policy_file", "EMG_AUTH_POLICY_FILE", 0, 0,
     [](Config& c) -> FieldRef { return &c.auth.policy_file; }},
    {"auth.dev_login", "EMG_AUTH_DEV_LOGIN", 0, 0,
     [](Config& c) -> FieldRef { return &c.auth.dev_login; }},
    {"auth.session_ttl_s", "EMG_AUTH_SESSION_TTL_S", 60, 43'200,
     [](Config& c) -> FieldRef { return &c.auth.session_ttl_s; }},
    {"auth.public_url", "EMG_AUTH_PUBLIC_URL", 0, 0,
     [](Config& c) -> FieldRef { return &c.auth.public_url; }},
    {"auth.ca_file", "EMG_AUTH_CA_FILE", 0, 0,
     [](Config& c) -> FieldRef { return &c.auth.ca_file; }},
    {"auth.http_timeout_ms", "EMG_AUTH_HTTP_TIMEOUT_MS", 100, 60'000,
     [](Config& c) -> FieldRef { return &c.auth.http_timeout_ms; }},
    {"auth.compartment_file", "EMG_AUTH_COMPARTMENT_FILE", 0, 0,
     [](Config& c) -> FieldRef { return &c.auth.compartment_file; }},
};

constexpr std::string_view kSections[] = {"server", "server.tls",  "store", "fhir", "log",
                                          "demo",   "terminology", "ehr",   "auth"};

const std::array<KeyInfo, std::size(kSpecs)> kKeyInfos = [] {
  std::array<KeyInfo, std::size(kSpecs)> out{};
  for (size_t i = 0; i < std::size(kSpecs); ++i) out[i] = KeyInfo{kSpecs[i].key, kSpecs[i].env};
  return out;
}();

const Spec* FindSpec(std::string_view key) {
  for (const Spec& s : kSpecs) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

bool IsSection(std::string_view key) {
  for (std::string_view s : kSections) {
    if (s == key) return true;
  }
  return false;
}

Status KeyError(std::string_view name, std::string_view what) {
  std::string m(name);
  m += ": ";
  m += what;
  return Status(Code::kInvalidArgument, std::move(m));
}

std::string RangeMessage(const Spec& s) {
  return "must be an integer between " + std::to_string(s.min) + " and " + std::to_string(s.max);
}

constexpr std::string_view kListenMessage =
    "must be HOST:PORT with HOST an IPv4 address, [IPv6 address] or localhost and PORT 0-65535";

constexpr std::string_view kLevelMessage = "must be one of debug, info, warn, error";
constexpr std::string_view kBaseUrlMessage =
    "must be an absolute http:// or https:// URL without query or fragment";

bool ValidBaseUrl(std::string_view url);

bool ValidLevel(std::string_view level) {
  return level == "debug" || level == "info" || level == "warn" || level == "error";
}

constexpr std::string_view kUniqueMessage =
    "must be a comma-separated list of Type|system, each Type a supported resource type with "
    "an identifier element and each system an absolute URI";

// Parses fhir.unique_identifiers ("Patient|urn:oid:...,Practitioner|urn:oid:...").
bool ParseUniqueIdentifiers(std::string_view text,
                            std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view entry = text.substr(start, comma - start);
    start = comma + 1;
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    size_t bar = entry.find('|');
    if (bar == std::string_view::npos) return false;
    std::string type(entry.substr(0, bar));
    std::string system(entry.substr(bar + 1));
    if (!fhir::model::IsResourceType(type) || !fhir::model::FindElement(type + ".identifier")) {
      return false;
    }
    if (system.empty() || system.find(':') == std::string::npos ||
        system.find_first_of(" |,\t") != std::string::npos) {
      return false;
    }
    out->emplace_back(std::move(type), std::move(system));
  }
  return true;
}

bool IsHerId(std::string_view s) {
  if (s.empty() || s.size() > 12) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item(text.substr(start, comma - start));
    size_t b = item.find_first_not_of(' ');
    size_t e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = comma + 1;
  }
  return out;
}

// Forward declaration: defined with the other validation below.
Status ValidateEhr(EhrConfig& ehr, const ServerConfig& server);
Status ValidateAuth(AuthConfig& auth, const ServerConfig& server);

// The syntax check of a string key, or empty when `text` is fine (or the key has none).
std::string_view StringProblem(std::string_view key, std::string_view text) {
  if (key == "server.listen") {
    std::string host;
    uint16_t port = 0;
    if (!ParseListen(text, &host, &port)) return kListenMessage;
  } else if (key == "log.level") {
    if (!ValidLevel(text)) return kLevelMessage;
  } else if (key == "server.base_url") {
    if (!text.empty() && !ValidBaseUrl(text)) return kBaseUrlMessage;
  } else if (key == "fhir.unique_identifiers") {
    std::vector<std::pair<std::string, std::string>> rules;
    if (!ParseUniqueIdentifiers(text, &rules)) return kUniqueMessage;
  }
  return {};
}

// Stores an integer into an int or int64_t field after the range check.
bool StoreInteger(const Spec& s, FieldRef ref, int64_t v) {
  if (v < s.min || v > s.max) return false;
  if (auto* i = std::get_if<int*>(&ref); i != nullptr && *i != nullptr) {
    **i = static_cast<int>(v);
    return true;
  }
  if (auto* l = std::get_if<int64_t*>(&ref); l != nullptr && *l != nullptr) {
    **l = v;
    return true;
  }
  return false;
}

Status ApplyJsonValue(const Spec& s, const rapidjson::Value& v, Config& config) {
  FieldRef ref = s.field(config);
  if (std::holds_alternative<std::string*>(ref)) {
    if (!v.IsString()) return KeyError(s.key, "must be a string");
    std::string text(v.GetString(), v.GetStringLength());
    if (std::string_view problem = StringProblem(s.key, text); !problem.empty()) {
      return KeyError(s.key, problem);
    }
    *std::get<std::string*>(ref) = std::move(text);
    return Status::Ok();
  }
  if (std::holds_alternative<bool*>(ref)) {
    if (!v.IsBool()) return KeyError(s.key, "must be true or false");
    *std::get<bool*>(ref) = v.GetBool();
    return Status::Ok();
  }
  if (!v.IsInt64() || !StoreInteger(s, ref, v.GetInt64())) {
    return KeyError(s.key, RangeMessage(s));
  }
  return Status::Ok();
}

Status ApplyObject(const rapidjson::Value& object, const std::string& prefix, Config& config) {
  std::set<std::string, std::less<>> seen;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (!seen.insert(name).second) return KeyError(key, "duplicate key");
    if (IsSection(key)) {
      if (!it->value.IsObject()) return KeyError(key, "must be an object");
      RETURN_IF_ERROR(ApplyObject(it->value, key, config));
      continue;
    }
    const Spec* spec = FindSpec(key);
    if (spec == nullptr) return KeyError(key, "unknown key");
    RETURN_IF_ERROR(ApplyJsonValue(*spec, it->value, config));
  }
  return Status::Ok();
}

Status ApplyEnvValue(const Spec& s, std::string_view text, Config& config) {
  std::string name = std::string(s.env) + " (" + std::string(s.key) + ")";
  FieldRef ref = s.field(config);
  if (auto* str = std::get_if<std::string*>(&ref)) {
    if (std::string_view problem = StringProblem(s.key, text); !problem.empty()) {
      return KeyError(name, problem);
    }
    **str = std::string(text);
    return Status::Ok();
  }
  if (auto* b = std::get_if<bool*>(&ref)) {
    if (text == "true" || text == "1") {
      **b = true;
    } else if (text == "false" || text == "0") {
      **b = false;
    } else {
      return KeyError(name, "must be true or false");
    }
    return Status::Ok();
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !StoreInteger(s, ref, v)) {
    return KeyError(name, RangeMessage(s));
  }
  return Status::Ok();
}

// Empty when the file is a readable regular file, else the reason.
std::string UnreadableReason(const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec) return ec.message();
  if (!std::filesystem::is_regular_file(st)) return "not a regular file";
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return std::strerror(errno);
  std::fclose(f);
  return {};
}

// Empty when `path` is a directory whose entries can be listed, else the reason.
std::string UnreadableDirectoryReason(const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec) return ec.message();
  if (!std::filesystem::is_directory(st)) return "not a directory";
  std::filesystem::directory_iterator it(path, ec);
  if (ec) return ec.message();
  return {};
}

Status CheckReadable(std::string_view key, const std::string& path) {
  std::string reason = UnreadableReason(path);
  if (reason.empty()) return Status::Ok();
  return KeyError(key, "cannot read '" + path + "': " + reason);
}

bool ValidBaseUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/') return false;
  for (char c : url) {
    if (c == '?' || c == '#' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::span<const KeyInfo> Keys() { return kKeyInfos; }

bool ParseListen(std::string_view text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view h = text.substr(0, colon);
  std::string_view p = text.substr(colon + 1);
  if (p.empty() || p.size() > 5) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value > 65535) return false;
  std::string bare;
  if (h == "localhost") {
    bare = "127.0.0.1";
  } else if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    bare = std::string(h.substr(1, h.size() - 2));
    in6_addr a6{};
    if (inet_pton(AF_INET6, bare.c_str(), &a6) != 1) return false;
  } else {
    bare = std::string(h);
    in_addr a4{};
    if (inet_pton(AF_INET, bare.c_str(), &a4) != 1) return false;
  }
  *host = std::move(bare);
  *port = static_cast<uint16_t>(value);
  return true;
}

Status ApplyJson(std::string_view json, Config& config) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (doc.HasParseError()) {
    return Status(Code::kInvalidArgument, "invalid JSON at offset " +
                                              std::to_string(doc.GetErrorOffset()) + ": " +
                                              rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return Status(Code::kInvalidArgument, "the top level must be an object");
  return ApplyObject(doc, "", config);
}

Status ApplyEnvironment(const GetEnv& getenv, Config& config) {
  if (!getenv) return Status::Ok();
  for (const Spec& s : kSpecs) {
    std::string env(s.env);
    const char* value = getenv(env.c_str());
    if (value == nullptr || *value == '\0') continue;
    RETURN_IF_ERROR(ApplyEnvValue(s, value, config));
  }
  return Status::Ok();
}

Status Validate(Config& config) {
  ServerConfig& server = config.server;
  if (!ParseListen(server.listen, &server.host, &server.port)) {
    return KeyError("server.listen", kListenMessage);
  }
  const TlsConfig& tls = server.tls;
  if (!tls.certificate_file.empty() && tls.key_file.empty()) {
    return KeyError("server.tls.key_file", "required when server.tls.certificate_file is set");
  }
  if (tls.certificate_file.empty() && !tls.key_file.empty()) {
    return KeyError("server.tls.certificate_file", "required when server.tls.key_file is set");
  }
  if (tls.enabled()) {
    RETURN_IF_ERROR(CheckReadable("server.tls.certificate_file", tls.certificate_file));
    RETURN_IF_ERROR(CheckReadable("server.tls.key_file", tls.key_file));
  }
  if (!server.base_url.empty()) {
    if (!ValidBaseUrl(server.base_url)) return KeyError("server.base_url", kBaseUrlMessage);
    while (server.base_url.back() == '/') server.base_url.pop_back();
  }
  if (config.store.data_dir.empty()) return KeyError("store.data_dir", "must not be empty");
  if (config.fhir.default_page_size > config.fhir.max_page_size) {
    return KeyError("fhir.default_page_size", "must not exceed fhir.max_page_size (" +
                                                  std::to_string(config.fhir.max_page_size) + ")");
  }
  if (!ValidLevel(config.log.level)) return KeyError("log.level", kLevelMessage);
  if (!ParseUniqueIdentifiers(config.fhir.unique_identifiers,
                              &config.fhir.unique_identifier_rules)) {
    return KeyError("fhir.unique_identifiers", kUniqueMessage);
  }
  auto served = fhir::ResolveServedTypes(SplitList(config.fhir.resource_types));
  if (!served) return KeyError("fhir.resource_types", served.error().message());
  config.fhir.served_types = std::move(*served);
  for (const auto& [type, system] : config.fhir.unique_identifier_rules) {
    if (!std::binary_search(config.fhir.served_types.begin(), config.fhir.served_types.end(),
                            type)) {
      return KeyError("fhir.unique_identifiers", type + " is not in fhir.resource_types");
    }
  }
  if (!config.demo.seed_file.empty()) {
    RETURN_IF_ERROR(CheckReadable("demo.seed_file", config.demo.seed_file));
  }
  RETURN_IF_ERROR(ValidateEhr(config.ehr, server));
  RETURN_IF_ERROR(ValidateAuth(config.auth, server));
  if (server.base_url.empty() && !IsLoopbackAddress(server.host)) {
    // Location headers and Bundle links would otherwise come from the client's Host header.
    return KeyError("server.base_url",
                    "required when server.listen is not a loopback address (links and Location "
                    "headers are built from it, never from the client's Host header)");
  }
  if (config.terminology.dir.empty()) return KeyError("terminology.dir", "must not be empty");
  if (std::string reason = UnreadableDirectoryReason(config.terminology.dir); !reason.empty()) {
    return KeyError("terminology.dir",
                    "cannot read directory '" + config.terminology.dir + "': " + reason);
  }
  return Status::Ok();
}

bool IsLoopbackAddress(std::string_view host) {
  if (host == "::1" || host == "localhost") return true;
  in_addr v4{};
  std::string h(host);
  if (inet_pton(AF_INET, h.c_str(), &v4) != 1) return false;
  return (ntohl(v4.s_addr) >> 24) == 127;
}

namespace {

Status ValidateAuth(AuthConfig& auth, const ServerConfig& server) {
  if (auth.mode != "enforce" && auth.mode != "off") {
    return KeyError("auth.mode", "must be enforce or off");
  }
  const bool loopback = IsLoopbackAddress(server.host);
  if (!auth.enforced() && !loopback) {
    return KeyError("auth.mode", "off is only allowed when server.listen is a loopback address");
  }
  if (auth.dev_login && !loopback) {
    return KeyError("auth.dev_login",
                    "development login is only allowed when server.listen is a loopback address");
  }
  if (!auth.policy_file.empty())
    RETURN_IF_ERROR(CheckReadable("auth.policy_file", auth.policy_file));
  if (!auth.ca_file.empty()) RETURN_IF_ERROR(CheckReadable("auth.ca_file", auth.ca_file));
  RETURN_IF_ERROR(CheckReadable("auth.compartment_file", auth.compartment_file));
  if (!auth.public_url.empty()) {
    if (!ValidBaseUrl(auth.public_url)) return KeyError("auth.public_url", kBaseUrlMessage);
    while (auth.public_url.back() == '/') auth.public_url.pop_back();
  }
  return Status::Ok();
}

Status ValidateEhr(EhrConfig& ehr, const ServerConfig& server) {
  ehr.accepted.clear();
  ehr.partners.clear();
  ehr.partner_policies.clear();
  if (!ehr.enabled()) {
    if (!ehr.push_url.empty())
      return KeyError("ehr.push_url", "needs ehr.her_id (EHR messaging is off)");
    return Status::Ok();
  }
  if (!IsHerId(ehr.her_id)) return KeyError("ehr.her_id", "must be a HER-id (digits)");
  if (ehr.organisation_name.empty()) {
    return KeyError("ehr.organisation_name", "required when ehr.her_id is set");
  }
  if (!ehr.department_her_id.empty() && !IsHerId(ehr.department_her_id)) {
    return KeyError("ehr.department_her_id", "must be a HER-id (digits)");
  }
  if (ehr.accepted_her_ids.empty()) {
    ehr.accepted.push_back(ehr.her_id);
    if (!ehr.department_her_id.empty()) ehr.accepted.push_back(ehr.department_her_id);
  } else {
    for (const std::string& her : SplitList(ehr.accepted_her_ids)) {
      if (!IsHerId(her)) return KeyError("ehr.accepted_her_ids", "must be comma-separated HER-ids");
      ehr.accepted.push_back(her);
    }
  }
  if (ehr.apprec_version != "1.0" && ehr.apprec_version != "1.1") {
    return KeyError("ehr.apprec_version", "must be 1.0 or 1.1");
  }
  for (const std::string& pair : SplitList(ehr.partner_apprec_versions)) {
    size_t colon = pair.find(':');
    std::string her = pair.substr(0, colon);
    std::string version = colon == std::string::npos ? "" : pair.substr(colon + 1);
    if (!IsHerId(her) || (version != "1.0" && version != "1.1")) {
      return KeyError("ehr.partner_apprec_versions",
                      "must be comma-separated HER-id:version pairs, version 1.0 or 1.1");
    }
    ehr.partners.emplace_back(her, version);
  }
  if (ehr.validation_policy != "tolerant" && ehr.validation_policy != "strict") {
    return KeyError("ehr.validation_policy", "must be tolerant or strict");
  }
  for (const std::string& pair : SplitList(ehr.partner_validation_policies)) {
    size_t colon = pair.find(':');
    std::string her = pair.substr(0, colon);
    std::string policy = colon == std::string::npos ? "" : pair.substr(colon + 1);
    if (!IsHerId(her) || (policy != "tolerant" && policy != "strict")) {
      return KeyError("ehr.partner_validation_policies",
                      "must be comma-separated HER-id:policy pairs, policy tolerant or strict");
    }
    ehr.partner_policies.emplace_back(her, policy);
  }
  if (ehr.max_message_bytes > server.body_limit_bytes) {
    return KeyError("ehr.max_message_bytes",
                    "must not exceed server.body_limit_bytes (" +
                        std::to_string(server.body_limit_bytes) +
                        "): a larger message would be refused at the HTTP edge without an AppRec");
  }
  if (std::string reason = UnreadableDirectoryReason(ehr.schema_dir); !reason.empty()) {
    return KeyError("ehr.schema_dir", "cannot read directory '" + ehr.schema_dir + "': " + reason);
  }
  if (!ehr.push_url.empty() && !common::ParseHttpUrl(ehr.push_url)) {
    return KeyError("ehr.push_url",
                    "must be an http:// or https:// URL without user info or fragment");
  }
  if (ehr.push_max_backoff_ms < ehr.push_initial_backoff_ms) {
    return KeyError("ehr.push_max_backoff_ms", "must not be below ehr.push_initial_backoff_ms");
  }
  if (!ehr.push_ca_file.empty()) {
    std::FILE* f = std::fopen(ehr.push_ca_file.c_str(), "rb");
    if (f == nullptr) {
      return KeyError("ehr.push_ca_file",
                      "cannot read '" + ehr.push_ca_file + "': " + std::strerror(errno));
    }
    std::fclose(f);
  }
  return Status::Ok();
}

}  // namespace

common::StatusOr<Config> Load(const CommandLineOverrides& overrides, const GetEnv& getenv) {
  Config config;
  std::string path;
  std::string source;
  if (overrides.config_file.has_value()) {
    path = *overrides.config_file;
    source = "--config";
    if (path.empty()) return common::Error(KeyError(source, "must not be empty"));
  } else if (const char* env = getenv ? getenv("EMG_CONFIG") : nullptr; env && *env) {
    path = env;
    source = "EMG_CONFIG";
  }
  if (!path.empty()) {
    std::string reason = UnreadableReason(path);
    common::StatusOr<std::string> text =
        reason.empty() ? common::ReadFile(path) : common::Error(Code::kNotFound, reason);
    if (!text) {
      return common::Error(
          KeyError(source, "cannot read config file '" + path + "': " + text.error().message()));
    }
    Status s = ApplyJson(*text, config);
    if (!s.ok()) {
      // Key errors already name the key; syntax errors get the file name.
      if (s.message().starts_with("invalid JSON") || s.message().starts_with("the top level")) {
        return common::Error(KeyError(path, s.message()));
      }
      return common::Error(std::move(s));
    }
  }
  RETURN_IF_ERROR(ApplyEnvironment(getenv, config));
  if (overrides.listen.has_value()) {
    std::string host;
    uint16_t port = 0;
    if (!ParseListen(*overrides.listen, &host, &port)) {
      return common::Error(KeyError("--listen", kListenMessage));
    }
    config.server.listen = *overrides.listen;
  }
  if (overrides.data_dir.has_value()) {
    if (overrides.data_dir->empty()) return common::Error(KeyError("--data", "must not be empty"));
    config.store.data_dir = *overrides.data_dir;
  }
  RETURN_IF_ERROR(Validate(config));
  return config;
}

}  // namespace gateway::config
