#include "authz/compartment.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/file.h"
#include "fhir/json/parser.h"
#include "fhir/model/model.h"
#include "fhir/search/index.h"
#include "fhir/search/registry.h"
#include "fhir/search/values.h"

namespace authz {
namespace {

using common::Code;

constexpr std::string_view kPatient = "Patient";

// FHIR id: [A-Za-z0-9\-\.]{1,64}.
bool IsFhirId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

common::Status Invalid(std::string message) {
  return common::Status(Code::kInvalidArgument, "patient compartment: " + std::move(message));
}

// Checks a served type's parameter against the search-parameter registry.
common::Status CheckParam(const std::string& type, const std::string& param) {
  const fhir::search::SearchParamDef* def = fhir::search::FindSearchParam(type, param);
  if (def == nullptr || def->resource_type != type) {
    return Invalid(type + "." + param + " is not a search parameter of " + type);
  }
  if (def->type != fhir::search::ParamType::kReference) {
    return Invalid(type + "." + param + " is a " +
                   std::string(fhir::search::ParamTypeName(def->type)) +
                   " parameter, not a reference parameter");
  }
  if (std::find(def->targets.begin(), def->targets.end(), kPatient) == def->targets.end()) {
    return Invalid(type + "." + param + " cannot refer to a Patient");
  }
  return common::Status::Ok();
}

}  // namespace

common::StatusOr<PatientCompartment> PatientCompartment::FromJson(std::string_view json) {
  auto parsed = fhir::json::Parse(json);
  if (!parsed) return common::Error(Invalid(parsed.error().message()));
  const fhir::json::Value& root = *parsed;
  if (!root.is_object()) return common::Error(Invalid("the document must be a JSON object"));
  PatientCompartment out;
  const fhir::json::Value* resources = nullptr;
  for (const auto& [key, value] : root.members()) {
    if (key == "source" && value.is_string()) {
      out.source_ = value.text();
    } else if (key == "resources" && value.is_object()) {
      resources = &value;
    } else {  // a misspelt key must not silently drop the rules
      return common::Error(Invalid("unexpected member '" + key + "'"));
    }
  }
  if (resources == nullptr) return common::Error(Invalid("'resources' is missing"));
  for (const auto& [type, list] : resources->members()) {
    if (!fhir::model::IsR4ResourceName(type)) {
      return common::Error(Invalid("'" + type + "' is not an R4 resource type"));
    }
    if (!list.is_array() || list.items().empty()) {
      return common::Error(Invalid(type + " must list its parameters"));
    }
    std::vector<std::string> params;
    for (const fhir::json::Value& item : list.items()) {
      if (!item.is_string() || item.text().empty()) {
        return common::Error(Invalid(type + " has a parameter that is not a name"));
      }
      if (std::find(params.begin(), params.end(), item.text()) != params.end()) {
        return common::Error(Invalid(type + "." + item.text() + " is listed twice"));
      }
      params.push_back(item.text());
    }
    if (!fhir::search::IsResourceType(type)) continue;  // not served: nothing to validate
    for (const std::string& param : params) RETURN_IF_ERROR(CheckParam(type, param));
    out.params_[type] = std::move(params);
  }
  return out;
}

common::StatusOr<PatientCompartment> PatientCompartment::Load(const std::string& path) {
  common::StatusOr<std::string> text = common::ReadFile(path);
  if (!text) return common::Error(Code::kNotFound, "patient compartment: cannot read " + path);
  auto compartment = FromJson(*text);
  if (!compartment) {
    return common::Error(compartment.error().code(),
                         compartment.error().message() + " (" + path + ")");
  }
  return compartment;
}

bool PatientCompartment::Contains(std::string_view type) const {
  return type == kPatient || params_.contains(type);
}

const std::vector<std::string>& PatientCompartment::Params(std::string_view type) const {
  static const std::vector<std::string> kNone;
  auto it = params_.find(type);
  return it == params_.end() ? kNone : it->second;
}

std::vector<std::string> PatientCompartment::PatientsOf(std::string_view type,
                                                        const fhir::json::Value& resource,
                                                        std::string_view base_url) const {
  std::set<std::string> ids;
  if (!Contains(type) || !resource.is_object() || resource.GetString("resourceType") != type) {
    return {};
  }
  if (type == kPatient && IsFhirId(resource.GetString("id"))) {
    ids.emplace(resource.GetString("id"));
  }
  const std::vector<std::string>& params = Params(type);
  if (!params.empty()) {
    for (const fhir::search::IndexEntry& e : fhir::search::ExtractIndex(resource)) {
      if (e.type != fhir::search::ParamType::kReference ||
          std::find(params.begin(), params.end(), e.param) == params.end()) {
        continue;
      }
      std::string id;
      if (!e.target_id.empty()) {
        if (e.target_type == kPatient) id = e.target_id;
      } else if (!e.url.empty() && !base_url.empty()) {
        fhir::search::ParsedReference ref = LocalReference(e.url, base_url);
        if (ref.type == kPatient) id = ref.id;
      }
      if (IsFhirId(id)) ids.insert(std::move(id));
    }
  }
  return {ids.begin(), ids.end()};
}

std::optional<std::string> PatientCompartment::NarrowingParam(std::string_view type) const {
  if (type == kPatient) return "_id";
  const std::vector<std::string>& params = Params(type);
  if (params.empty()) return std::nullopt;
  for (std::string_view preferred : {"patient", "subject"}) {
    if (std::find(params.begin(), params.end(), preferred) != params.end()) {
      return std::string(preferred);
    }
  }
  return params.front();
}

fhir::search::ParsedReference LocalReference(std::string_view reference,
                                             std::string_view base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  if (!base_url.empty() && reference.size() > base_url.size() + 1 &&
      reference.starts_with(base_url) && reference[base_url.size()] == '/') {
    reference.remove_prefix(base_url.size() + 1);
  }
  fhir::search::ParsedReference parsed = fhir::search::ParseReference(reference);
  if (!parsed.url.empty()) return {};  // absolute, and not ours
  return parsed;
}

}  // namespace authz
