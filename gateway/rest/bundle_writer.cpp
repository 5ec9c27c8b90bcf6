#include "gateway/rest/bundle_writer.h"

#include "common/log.h"
#include "common/time.h"
#include "common/uuid.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"

namespace gateway::rest {

using fhir::json::Value;

BundleWriter::BundleWriter(std::string_view type) : type_(type) {}

void BundleWriter::AddLink(std::string_view relation, std::string_view url) {
  if (link_count_++ > 0) links_ += ',';
  links_ += "{\"relation\":";
  common::log::AppendJsonString(links_, relation);
  links_ += ",\"url\":";
  common::log::AppendJsonString(links_, url);
  links_ += '}';
}

void BundleWriter::AddEntry(const Value& entry_fields, std::string_view resource_json) {
  if (entry_count_++ > 0) entries_ += ',';
  std::string fields = fhir::json::Write(entry_fields);  // "{...}"
  if (resource_json.empty()) {
    entries_ += fields;
    return;
  }
  // Insert the resource after fullUrl (or first).
  const Value* full_url = entry_fields.Find("fullUrl");
  entries_ += '{';
  std::string rest = fields.substr(1, fields.size() - 2);  // members without braces
  if (full_url != nullptr) {
    std::string first = "\"fullUrl\":" + fhir::json::Write(*full_url);
    entries_ += first;
    entries_ += ",\"resource\":";
    entries_ += resource_json;
    std::string tail = rest.substr(first.size());
    entries_ += tail;  // starts with ',' or is empty
  } else {
    entries_ += "\"resource\":";
    entries_ += resource_json;
    if (!rest.empty()) {
      entries_ += ',';
      entries_ += rest;
    }
  }
  entries_ += '}';
}

std::string BundleWriter::Finish(bool pretty) const {
  std::string out = "{\"resourceType\":\"Bundle\",\"id\":\"" + common::NewUuid() +
                    "\",\"meta\":{\"lastUpdated\":\"" + common::FormatInstant(common::SystemNow()) +
                    "\"},\"type\":\"" + type_ + "\"";
  if (total_) out += ",\"total\":" + std::to_string(*total_);
  if (link_count_ > 0) out += ",\"link\":[" + links_ + "]";
  if (entry_count_ > 0) out += ",\"entry\":[" + entries_ + "]";
  out += '}';
  if (pretty) {
    auto parsed = fhir::json::Parse(out);
    if (parsed) return fhir::json::WritePretty(*parsed);
  }
  return out;
}

}  // namespace gateway::rest
