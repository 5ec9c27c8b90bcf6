// /metadata: the CapabilityStatement, generated from what this build really implements — the
// served resource types, the search registry's parameters and the interactions wired in
// fhir_api.cpp. Built once.

#include <algorithm>
#include <map>
#include <mutex>

#include "common/time.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/model/model.h"
#include "fhir/search/registry.h"
#include "gateway/rest/call.h"

namespace gateway::rest {

using fhir::json::Value;

namespace {

Value Str(std::string s) { return Value::String(std::move(s)); }

Value Codes(std::initializer_list<const char*> codes, const char* key) {
  Value list = Value::Array();
  for (const char* c : codes) {
    Value item = Value::Object();
    item.Set(key, Str(c));
    list.Append(std::move(item));
  }
  return list;
}

Value SearchParams(std::string_view type) {
  Value list = Value::Array();
  for (const fhir::search::SearchParamDef* def : fhir::search::ListSearchParams(type)) {
    Value p = Value::Object();
    p.Set("name", Str(def->code));
    if (!def->url.empty()) p.Set("definition", Str(def->url));
    p.Set("type", Str(std::string(fhir::search::ParamTypeName(def->type))));
    if (!def->documentation.empty()) p.Set("documentation", Str(def->documentation));
    list.Append(std::move(p));
  }
  return list;
}

Value StringList(const std::vector<std::string>& items) {
  Value list = Value::Array();
  for (const auto& s : items) list.Append(Str(s));
  return list;
}

Value ResourceEntry(const std::string& type, const FhirApiOptions& options) {
  Value r = Value::Object();
  r.Set("type", Str(type));
  r.Set("profile", Str("http://hl7.org/fhir/StructureDefinition/" + type));
  r.Set("interaction", Codes({"read", "vread", "update", "delete", "history-instance",
                              "history-type", "create", "search-type"},
                             "code"));
  r.Set("versioning", Str("versioned-update"));
  r.Set("readHistory", Value::Bool(true));
  r.Set("updateCreate", Value::Bool(true));
  r.Set("conditionalCreate", Value::Bool(true));
  r.Set("conditionalRead", Str("full-support"));  // If-Modified-Since and If-None-Match
  r.Set("conditionalUpdate", Value::Bool(true));
  r.Set("conditionalDelete", Str("single"));
  std::vector<std::string> includes;
  std::vector<std::string> revincludes;
  for (const auto* def : fhir::search::ListSearchParams(type)) {
    if (def->type == fhir::search::ParamType::kReference && def->resource_type != "Resource" &&
        std::any_of(def->targets.begin(), def->targets.end(),
                    [&](const std::string& t) { return options.Serves(t); })) {
      includes.push_back(type + ":" + def->code);
    }
  }
  for (const std::string& other : options.resource_types) {
    for (const auto* def : fhir::search::ListSearchParams(other)) {
      if (def->type != fhir::search::ParamType::kReference || def->resource_type == "Resource")
        continue;
      const auto& targets = def->targets;
      if (std::find(targets.begin(), targets.end(), type) != targets.end()) {
        revincludes.push_back(other + ":" + def->code);
      }
    }
  }
  if (!includes.empty()) r.Set("searchInclude", StringList(includes));
  if (!revincludes.empty()) r.Set("searchRevInclude", StringList(revincludes));
  Value params = SearchParams(type);
  if (!params.items().empty()) r.Set("searchParam", std::move(params));
  return r;
}

std::string Build(const std::string& base, const FhirApiOptions& options) {
  Value cs = Value::Object();
  cs.Set("resourceType", Str("CapabilityStatement"));
  cs.Set("status", Str("active"));
  cs.Set("date", Str(common::FormatInstant(common::SystemNow()).substr(0, 10)));
  cs.Set("publisher", Str("eMeistring"));
  cs.Set("kind", Str("instance"));
  Value& software = cs.Set("software", Value::Object());
  software.Set("name", Str("eMeistring Gateway"));
  software.Set("version", Str(options.software_version));
  Value& impl = cs.Set("implementation", Value::Object());
  impl.Set("description", Str("eMeistring Gateway FHIR R4 server"));
  impl.Set("url", Str(base));
  cs.Set("fhirVersion", Str("4.0.1"));
  cs.Set("format", StringList({"application/fhir+json", "json"}));
  Value& rest = cs.Set("rest", Value::Array()).Append(Value::Object());
  rest.Set("mode", Str("server"));
  Value& resources = rest.Set("resource", Value::Array());
  for (const std::string& type : options.resource_types) {
    resources.Append(ResourceEntry(type, options));
  }
  rest.Set("interaction",
           Codes({"transaction", "batch", "search-system", "history-system"}, "code"));
  Value common_params = SearchParams("");
  if (!common_params.items().empty()) rest.Set("searchParam", std::move(common_params));
  return fhir::json::Write(cs);
}

}  // namespace

HttpResponse HandleCapabilities(Call& call) {
  // The statement depends only on the build, the served types and the base URL: cache it.
  static std::mutex mu;
  static std::map<std::string, std::string> cache;
  std::string key = call.base + '\n' + call.options.software_version;
  for (const std::string& type : call.options.resource_types) key += '\n' + type;
  std::string body;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it == cache.end()) {
      if (cache.size() > 16) cache.clear();  // Host headers are client-controlled: bound it
      it = cache.emplace(key, Build(call.base, call.options)).first;
    }
    body = it->second;
  }
  if (call.rendering.pretty) {
    auto parsed = fhir::json::Parse(body);
    if (parsed) return JsonResponse(200, *parsed, call.rendering);
  }
  return RawJsonResponse(200, std::move(body));
}

}  // namespace gateway::rest
