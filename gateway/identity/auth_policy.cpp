#include "gateway/identity/auth_policy.h"

#include "common/file.h"
#include "fhir/json/parser.h"

namespace gateway::identity {
namespace {

using common::Code;
using common::Status;
using fhir::json::Value;

Status At(const std::string& where, std::string what) {
  return Status(Code::kInvalidArgument, "auth.policy_file: " + where + ": " + std::move(what));
}

// Typed member readers that report the member's path.
class Reader {
 public:
  Reader(const Value& object, std::string path) : v_(object), path_(std::move(path)) {}

  Status Allow(std::initializer_list<std::string_view> names) const {
    for (const auto& [k, child] : v_.members()) {
      bool known = false;
      for (std::string_view n : names) known = known || n == k;
      if (!known) return At(path_ + "." + k, "unknown member");
    }
    return Status::Ok();
  }
  Status String(std::string_view name, std::string* out, bool required) const {
    const Value* m = v_.Find(name);
    if (m == nullptr) return required ? At(Path(name), "required") : Status::Ok();
    if (!m->is_string()) return At(Path(name), "must be a string");
    if (required && m->text().empty()) return At(Path(name), "must not be empty");
    *out = m->text();
    return Status::Ok();
  }
  Status Bool(std::string_view name, bool* out) const {
    const Value* m = v_.Find(name);
    if (m == nullptr) return Status::Ok();
    if (!m->is_bool()) return At(Path(name), "must be true or false");
    *out = m->boolean();
    return Status::Ok();
  }
  Status Int(std::string_view name, int* out, int min, int max) const {
    const Value* m = v_.Find(name);
    if (m == nullptr) return Status::Ok();
    const bool digits = m->is_number() &&
                        m->text().find_first_not_of("0123456789") == std::string::npos &&
                        m->text().size() <= 6;
    const int value = digits ? std::stoi(m->text()) : -1;
    if (!digits || value < min || value > max) {
      return At(Path(name), "must be an integer between " + std::to_string(min) + " and " +
                                std::to_string(max));
    }
    *out = value;
    return Status::Ok();
  }
  Status Strings(std::string_view name, std::vector<std::string>* out) const {
    const Value* m = v_.Find(name);
    if (m == nullptr) return Status::Ok();
    if (!m->is_array()) return At(Path(name), "must be an array of strings");
    out->clear();
    for (const Value& item : m->items()) {
      if (!item.is_string() || item.text().empty()) {
        return At(Path(name), "must be an array of non-empty strings");
      }
      out->push_back(item.text());
    }
    return Status::Ok();
  }
  Status Algorithms(std::vector<::jose::Alg>* out) const {
    std::vector<std::string> names = {"RS256", "PS256", "ES256"};
    RETURN_IF_ERROR(Strings("algorithms", &names));
    out->clear();
    for (const std::string& n : names) {
      auto alg = ::jose::AlgFromName(n);
      if (!alg) {
        return At(Path("algorithms"),
                  "'" + n + "' is not allowed (RS256/384/512, PS256/384/512, ES256, ES384)");
      }
      out->push_back(*alg);
    }
    if (out->empty()) return At(Path("algorithms"), "must not be empty");
    return Status::Ok();
  }
  std::string Path(std::string_view name) const { return path_ + "." + std::string(name); }

 private:
  const Value& v_;
  std::string path_;
};

bool HttpUrl(const std::string& url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

}  // namespace

common::StatusOr<AuthPolicy> ParseAuthPolicy(
    std::string_view json, const std::function<const char*(const char*)>& getenv) {
  auto parsed = fhir::json::Parse(json);
  if (!parsed.has_value() || !parsed->is_object()) {
    return common::Error(At("(file)", "not a JSON object"));
  }
  const Value& root = *parsed;
  Reader top(root, "(file)");
  RETURN_IF_ERROR(top.Allow({"patient_login", "api_issuers", "clients", "roles",
                             "personnel_permissions", "return_to_prefixes", "$comment"}));
  AuthPolicy policy;

  if (const Value* list = root.Find("patient_login"); list != nullptr) {
    if (!list->is_array()) return common::Error(At("patient_login", "must be an array"));
    for (size_t i = 0; i < list->items().size(); ++i) {
      const std::string path = "patient_login[" + std::to_string(i) + "]";
      const Value& item = list->items()[i];
      if (!item.is_object()) return common::Error(At(path, "must be an object"));
      Reader r(item, path);
      RETURN_IF_ERROR(r.Allow({"name", "issuer", "client_id", "client_secret_env", "redirect_uri",
                               "scope", "identity_claim", "acr_values", "acr_order", "minimum_acr",
                               "algorithms", "post_logout_redirect_uri", "allow_synthetic_ids",
                               "allow_http_loopback", "$comment"}));
      adapters::bankid::PatientIssuer idp;
      std::string secret_env;
      bool http_loopback = false;
      RETURN_IF_ERROR(r.String("name", &idp.name, true));
      RETURN_IF_ERROR(r.String("issuer", &idp.issuer, true));
      RETURN_IF_ERROR(r.String("client_id", &idp.client_id, true));
      RETURN_IF_ERROR(r.String("client_secret_env", &secret_env, false));
      RETURN_IF_ERROR(r.String("redirect_uri", &idp.redirect_uri, true));
      RETURN_IF_ERROR(r.String("scope", &idp.scope, false));
      RETURN_IF_ERROR(r.String("identity_claim", &idp.identity_claim, false));
      RETURN_IF_ERROR(r.String("acr_values", &idp.acr_values, false));
      idp.acr_order = {"idporten-loa-substantial", "idporten-loa-high"};
      RETURN_IF_ERROR(r.Strings("acr_order", &idp.acr_order));
      idp.minimum_acr = "idporten-loa-high";
      RETURN_IF_ERROR(r.String("minimum_acr", &idp.minimum_acr, false));
      RETURN_IF_ERROR(r.Algorithms(&idp.algorithms));
      RETURN_IF_ERROR(r.String("post_logout_redirect_uri", &idp.post_logout_redirect_uri, false));
      RETURN_IF_ERROR(r.Bool("allow_synthetic_ids", &idp.allow_synthetic_ids));
      RETURN_IF_ERROR(r.Bool("allow_http_loopback", &http_loopback));
      if (!HttpUrl(idp.issuer))
        return common::Error(At(r.Path("issuer"), "must be an http(s) URL"));
      if (!HttpUrl(idp.redirect_uri)) {
        return common::Error(At(r.Path("redirect_uri"), "must be an http(s) URL"));
      }
      if (std::find(idp.acr_order.begin(), idp.acr_order.end(), idp.minimum_acr) ==
          idp.acr_order.end()) {
        return common::Error(At(r.Path("minimum_acr"), "must be one of acr_order"));
      }
      if (idp.scope.find("openid") == std::string::npos) {
        return common::Error(At(r.Path("scope"), "must include openid"));
      }
      if (!secret_env.empty()) {
        const char* secret = getenv(secret_env.c_str());
        if (secret == nullptr || *secret == '\0') {
          return common::Error(At(r.Path("client_secret_env"),
                                  "the environment variable " + secret_env + " is not set"));
        }
        idp.client_secret = secret;
      }
      for (const auto& other : policy.patient_login) {
        if (other.name == idp.name) return common::Error(At(r.Path("name"), "must be unique"));
      }
      policy.patient_login.push_back(std::move(idp));
      policy.patient_login_http_loopback.push_back(http_loopback);
    }
  }

  if (const Value* list = root.Find("api_issuers"); list != nullptr) {
    if (!list->is_array()) return common::Error(At("api_issuers", "must be an array"));
    for (size_t i = 0; i < list->items().size(); ++i) {
      const std::string path = "api_issuers[" + std::to_string(i) + "]";
      const Value& item = list->items()[i];
      if (!item.is_object()) return common::Error(At(path, "must be an object"));
      Reader r(item, path);
      RETURN_IF_ERROR(
          r.Allow({"issuer", "discovery_url", "audience", "algorithms", "token_types",
                   "require_dpop", "min_security_level", "allow_http_loopback", "$comment"}));
      ApiIssuer api;
      RETURN_IF_ERROR(r.String("issuer", &api.issuer, true));
      RETURN_IF_ERROR(r.String("discovery_url", &api.discovery_url, false));
      RETURN_IF_ERROR(r.String("audience", &api.audience, true));
      RETURN_IF_ERROR(r.Algorithms(&api.algorithms));
      RETURN_IF_ERROR(r.Strings("token_types", &api.token_types));
      RETURN_IF_ERROR(r.Bool("require_dpop", &api.require_dpop));
      RETURN_IF_ERROR(r.Int("min_security_level", &api.min_security_level, 1, 4));
      RETURN_IF_ERROR(r.Bool("allow_http_loopback", &api.allow_http_loopback));
      if (!HttpUrl(api.issuer))
        return common::Error(At(r.Path("issuer"), "must be an http(s) URL"));
      policy.api_issuers.push_back(std::move(api));
    }
  }

  if (const Value* roles = root.Find("roles"); roles != nullptr) {
    if (!roles->is_object()) return common::Error(At("roles", "must be an object"));
    for (const auto& [name, perms] : roles->members()) {
      Reader r(*roles, "roles");
      std::vector<std::string> list;
      RETURN_IF_ERROR(r.Strings(name, &list));
      if (list.empty()) return common::Error(At("roles." + name, "must list permissions"));
      policy.roles[name] = std::move(list);
    }
  }
  RETURN_IF_ERROR(top.Strings("personnel_permissions", &policy.personnel_permissions));
  RETURN_IF_ERROR(top.Strings("return_to_prefixes", &policy.return_to_prefixes));

  if (const Value* clients = root.Find("clients"); clients != nullptr) {
    if (!clients->is_array()) return common::Error(At("clients", "must be an array"));
    for (size_t i = 0; i < clients->items().size(); ++i) {
      const std::string path = "clients[" + std::to_string(i) + "]";
      const Value& item = clients->items()[i];
      if (!item.is_object()) return common::Error(At(path, "must be an object"));
      Reader r(item, path);
      RETURN_IF_ERROR(r.Allow({"issuer", "client_id", "kind", "role", "$comment"}));
      std::string issuer, client_id;
      ClientRule rule;
      RETURN_IF_ERROR(r.String("issuer", &issuer, true));
      RETURN_IF_ERROR(r.String("client_id", &client_id, true));
      RETURN_IF_ERROR(r.String("kind", &rule.kind, true));
      RETURN_IF_ERROR(r.String("role", &rule.role, rule.kind == "system"));
      if (rule.kind != "system" && rule.kind != "personnel") {
        return common::Error(At(r.Path("kind"), "must be system or personnel"));
      }
      if (rule.kind == "system" && !policy.roles.contains(rule.role)) {
        return common::Error(At(r.Path("role"), "names no role in roles"));
      }
      bool known_issuer = false;
      for (const ApiIssuer& api : policy.api_issuers) known_issuer |= api.issuer == issuer;
      if (!known_issuer) return common::Error(At(r.Path("issuer"), "is not one of api_issuers"));
      policy.clients[issuer][client_id] = std::move(rule);
    }
  }
  return policy;
}

common::StatusOr<AuthPolicy> LoadAuthPolicy(const std::string& path,
                                            const std::function<const char*(const char*)>& getenv) {
  common::StatusOr<std::string> text = common::ReadFile(path);
  if (!text) return common::Error(Code::kInvalidArgument, "auth.policy_file: cannot read " + path);
  return ParseAuthPolicy(*text, getenv);
}

}  // namespace gateway::identity
