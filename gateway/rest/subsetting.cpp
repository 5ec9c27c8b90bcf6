// _summary and _elements (R4 search.html §3.1.1.5.7–8), for reads and search results.

#include <algorithm>

#include "fhir/model/model.h"
#include "gateway/rest/call.h"

namespace gateway::rest {

using common::Code;
using common::Status;
using fhir::json::Value;
using fhir::search::SummaryMode;

Status ParseSubsettingParams(const std::vector<std::pair<std::string, std::string>>& params,
                             SummaryMode* summary, std::vector<std::string>* elements) {
  for (const auto& [name, value] : params) {
    if (name == "_summary") {
      if (value == "true")
        *summary = SummaryMode::kTrue;
      else if (value == "text")
        *summary = SummaryMode::kText;
      else if (value == "data")
        *summary = SummaryMode::kData;
      else if (value == "count")
        *summary = SummaryMode::kCount;
      else if (value == "false")
        *summary = SummaryMode::kFalse;
      else
        return Status(Code::kInvalidArgument, "_summary must be true, text, data, count or false");
    } else if (name == "_elements") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        std::string e = value.substr(start, comma == std::string::npos ? comma : comma - start);
        if (!e.empty()) elements->push_back(e);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  return Status::Ok();
}

namespace {

void AddSubsettedTag(Value& resource) {
  Value* meta = resource.Find("meta");
  if (meta == nullptr) meta = &resource.SetAfter("id", "meta", Value::Object());
  Value* tags = meta->Find("tag");
  if (tags == nullptr) tags = &meta->Set("tag", Value::Array());
  for (const Value& t : tags->items()) {
    if (t.GetString("code") == "SUBSETTED") return;
  }
  Value tag = Value::Object();
  tag.Set("system", Value::String("http://terminology.hl7.org/CodeSystem/v3-ObservationValue"));
  tag.Set("code", Value::String("SUBSETTED"));
  tag.Set("display", Value::String("subsetted"));
  tags->Append(std::move(tag));
}

bool Keep(std::string_view type, std::string_view name, SummaryMode summary,
          const std::vector<std::string>& elements) {
  if (name == "resourceType" || name == "id" || name == "meta") return true;
  if (!elements.empty()) {
    if (fhir::model::IsMandatoryElement(type, name)) return true;
    // A choice element such as value[x] is named by its base ("value") in _elements.
    return std::any_of(elements.begin(), elements.end(), [&](const std::string& e) {
      return e == name || (name.starts_with(e) && name.size() > e.size() &&
                           std::isupper(static_cast<unsigned char>(name[e.size()])));
    });
  }
  switch (summary) {
    case SummaryMode::kTrue:
      return fhir::model::IsSummaryElement(type, name);
    case SummaryMode::kText:
      return name == "text" || fhir::model::IsMandatoryElement(type, name);
    case SummaryMode::kData:
      return name != "text";
    default:
      return true;
  }
}

}  // namespace

bool ApplySubsetting(Value& resource, SummaryMode summary,
                     const std::vector<std::string>& elements) {
  if (elements.empty() && (summary == SummaryMode::kNone || summary == SummaryMode::kFalse ||
                           summary == SummaryMode::kCount)) {
    return false;
  }
  std::string type(resource.GetString("resourceType"));
  auto& members = resource.members();
  std::erase_if(members, [&](const Value::Member& m) {
    std::string_view name = m.first;
    if (name.starts_with("_")) name.remove_prefix(1);  // primitive extension follows its value
    return !Keep(type, name, summary, elements);
  });
  AddSubsettedTag(resource);
  return true;
}

}  // namespace gateway::rest
