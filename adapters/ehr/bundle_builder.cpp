#include "adapters/ehr/bundle_builder.h"

#include <cctype>

#include "common/url.h"
#include "common/uuid.h"

namespace adapters::ehr {

using fhir::json::Value;

BundleBuilder::BundleBuilder() : bundle_(Value::Object()) {
  bundle_.Set("resourceType", Value::String("Bundle"));
  bundle_.Set("type", Value::String("transaction"));
}

Value& BundleBuilder::Entries() {
  if (Value* e = bundle_.Find("entry")) return *e;
  return bundle_.Set("entry", Value::Array());
}

bool BundleBuilder::empty() const { return bundle_.Find("entry") == nullptr; }

size_t BundleBuilder::size() const {
  const Value* e = bundle_.Find("entry");
  return e == nullptr ? 0 : e->items().size();
}

std::string BundleBuilder::Create(Value resource, std::string_view if_none_exist) {
  std::string full_url = "urn:uuid:" + common::NewUuid();
  std::string type(resource.GetString("resourceType"));
  Value entry = Value::Object();
  entry.Set("fullUrl", Value::String(full_url));
  entry.Set("resource", std::move(resource));
  Value& request = entry.Set("request", Value::Object());
  request.Set("method", Value::String("POST"));
  request.Set("url", Value::String(type));
  if (!if_none_exist.empty()) request.Set("ifNoneExist", Value::String(std::string(if_none_exist)));
  Entries().Append(std::move(entry));
  return full_url;
}

std::string BundleBuilder::Update(Value resource, std::string_view url, std::string_view if_match) {
  // "Type/id": the resource must carry the id it is stored under.
  size_t slash = url.find('/');
  if (slash != std::string_view::npos && url.find('?') == std::string_view::npos) {
    resource.SetAfter("resourceType", "id", Value::String(std::string(url.substr(slash + 1))));
  }
  std::string full_url = "urn:uuid:" + common::NewUuid();
  Value entry = Value::Object();
  entry.Set("fullUrl", Value::String(full_url));
  entry.Set("resource", std::move(resource));
  Value& request = entry.Set("request", Value::Object());
  request.Set("method", Value::String("PUT"));
  request.Set("url", Value::String(std::string(url)));
  if (!if_match.empty()) request.Set("ifMatch", Value::String(std::string(if_match)));
  Entries().Append(std::move(entry));
  return full_url;
}

Value BundleBuilder::Ref(std::string_view target, std::string_view display) {
  Value r = Value::Object();
  r.Set("reference", Value::String(std::string(target)));
  if (!display.empty()) r.Set("display", Value::String(std::string(display)));
  return r;
}

Value Str(std::string_view s) { return Value::String(std::string(s)); }
Value Str(const char* s) { return Value::String(std::string(s)); }
Value Str(std::string&& s) { return Value::String(std::move(s)); }

Value Coding(std::string_view system, std::string_view code, std::string_view display) {
  Value c = Value::Object();
  if (!system.empty()) c.Set("system", Str(system));
  if (!code.empty()) c.Set("code", Str(code));
  if (!display.empty()) c.Set("display", Str(display));
  return c;
}

Value CodeableConcept(std::string_view system, std::string_view code, std::string_view display,
                      std::string_view text) {
  Value cc = Value::Object();
  if (!code.empty()) {
    Value& codings = cc.Set("coding", Value::Array());
    codings.Append(Coding(system, code, display));
  }
  if (!text.empty()) cc.Set("text", Str(text));
  return cc;
}

Value Identifier(std::string_view system, std::string_view value) {
  Value i = Value::Object();
  i.Set("system", Str(system));
  i.Set("value", Str(value));
  return i;
}

std::string IdentifierQuery(std::string_view system, std::string_view value) {
  // FHIR search escaping first (a value may hold ',', '|', '$' or '\'), then URL encoding.
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '|' || c == '$') escaped += '\\';
    escaped += c;
  }
  return "identifier=" + common::PercentEncode(std::string(system) + "|" + escaped, kQueryKeep);
}

}  // namespace adapters::ehr
