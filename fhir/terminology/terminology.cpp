#include "fhir/terminology/terminology.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <system_error>
#include <utility>

#include "common/file.h"
#include "common/url.h"
#include "fhir/json/parser.h"
#include "fhir/outcome.h"
#include "fhir/validation/validator.h"

namespace fhir::terminology {
namespace {

using common::Code;
using common::Status;
using json::Value;

// How many validation errors of one file a load failure message lists.
constexpr size_t kMaxReportedIssues = 5;
// Terminology files are small; this bounds a mistaken pointer at a huge file.
constexpr size_t kMaxFileBytes = 16 * 1024 * 1024;

Status Fail(std::string_view origin, const std::string& message) {
  std::string m(origin);
  m += ": ";
  m += message;
  return Status(Code::kInvalidArgument, std::move(m));
}

// Index of a sub-element in a FHIRPath: "concept[3]".
std::string Indexed(std::string_view name, size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

const std::vector<Value>& Items(const Value& obj, std::string_view key) {
  static const std::vector<Value> kEmpty;
  const Value* v = obj.Find(key);
  return v != nullptr && v->is_array() ? v->items() : kEmpty;
}

// A map key ordering that also accepts string_view probes.
using Less = std::less<>;

}  // namespace

struct Terminology::Impl {
  struct CodeSystemEntry {
    std::string origin;
    std::map<std::string, std::string, Less> concepts;  // code -> display
  };
  // Targets of one code, in file order.
  using Targets = std::vector<MapTarget>;
  // system -> code -> targets.
  using Index = std::map<std::string, std::map<std::string, Targets, Less>, Less>;
  struct ConceptMapEntry {
    std::string origin;
    Index forward;  // by (source system, source code)
    Index reverse;  // by (target system, target code); the MapTargets name the source
  };

  std::map<std::string, CodeSystemEntry, Less> code_systems;  // by url
  std::map<std::string, ConceptMapEntry, Less> concept_maps;  // by url
  std::vector<Value> resources;                               // sorted by url

  const CodeSystemEntry* FindCodeSystem(std::string_view system) const {
    auto it = code_systems.find(system);
    return it == code_systems.end() ? nullptr : &it->second;
  }

  std::optional<std::string> DisplayOf(std::string_view system, std::string_view code) const {
    const CodeSystemEntry* cs = FindCodeSystem(system);
    if (cs == nullptr) return std::nullopt;
    auto it = cs->concepts.find(code);
    if (it == cs->concepts.end()) return std::nullopt;
    return it->second;
  }

  static Targets Lookup(const Index& index, std::string_view system, std::string_view code) {
    auto s = index.find(system);
    if (s == index.end()) return {};
    auto c = s->second.find(code);
    return c == s->second.end() ? Targets{} : c->second;
  }

  Status AddCodeSystem(const Value& cs, const std::string& origin);
  Status AddConceptMap(const Value& cm, const std::string& origin);
};

namespace {

// Collects the concepts of a CodeSystem (at any depth) into `out`; fails on a missing or
// duplicate code, naming its FHIRPath.
Status CollectConcepts(const Value& parent, const std::string& path, const std::string& origin,
                       std::map<std::string, std::string, Less>& out,
                       std::map<std::string, std::string, Less>& first_path, int depth) {
  if (depth > validation::kMaxValidationDepth) {
    return Fail(origin, path + ": concepts are nested too deeply");
  }
  const std::vector<Value>& concepts = Items(parent, "concept");
  for (size_t i = 0; i < concepts.size(); ++i) {
    std::string here = path + "." + Indexed("concept", i);
    std::string code(concepts[i].GetString("code"));
    if (code.empty()) return Fail(origin, here + ".code: a concept needs a code");
    auto [it, inserted] = first_path.emplace(code, here);
    if (!inserted) {
      return Fail(origin, here + ".code: duplicate code (first at " + it->second + ".code)");
    }
    out.emplace(code, std::string(concepts[i].GetString("display")));
    RETURN_IF_ERROR(CollectConcepts(concepts[i], here, origin, out, first_path, depth + 1));
  }
  return Status::Ok();
}

}  // namespace

Status Terminology::Impl::AddCodeSystem(const Value& cs, const std::string& origin) {
  std::string url(cs.GetString("url"));
  CodeSystemEntry entry;
  entry.origin = origin;
  std::map<std::string, std::string, Less> first_path;
  RETURN_IF_ERROR(CollectConcepts(cs, "CodeSystem", origin, entry.concepts, first_path, 0));
  code_systems.emplace(std::move(url), std::move(entry));
  return Status::Ok();
}

Status Terminology::Impl::AddConceptMap(const Value& cm, const std::string& origin) {
  std::string url(cm.GetString("url"));
  ConceptMapEntry entry;
  entry.origin = origin;
  const std::vector<Value>& groups = Items(cm, "group");
  for (size_t g = 0; g < groups.size(); ++g) {
    const Value& group = groups[g];
    std::string gpath = "ConceptMap." + Indexed("group", g);
    std::string source(group.GetString("source"));
    std::string target(group.GetString("target"));
    if (source.empty()) return Fail(origin, gpath + ".source: required by the terminology loader");
    if (target.empty()) return Fail(origin, gpath + ".target: required by the terminology loader");
    const CodeSystemEntry* source_cs = FindCodeSystem(source);
    const CodeSystemEntry* target_cs = FindCodeSystem(target);
    const std::vector<Value>& elements = Items(group, "element");
    for (size_t e = 0; e < elements.size(); ++e) {
      const Value& element = elements[e];
      std::string epath = gpath + "." + Indexed("element", e);
      std::string code(element.GetString("code"));
      if (code.empty()) return Fail(origin, epath + ".code: required by the terminology loader");
      if (source_cs != nullptr && !source_cs->concepts.contains(code)) {
        return Fail(origin, epath + ".code: '" + code + "' is not a concept of " + source + " (" +
                                source_cs->origin + ")");
      }
      std::string element_display(element.GetString("display"));
      if (element_display.empty() && source_cs != nullptr) {
        element_display = source_cs->concepts.find(code)->second;
      }
      const std::vector<Value>& targets = Items(element, "target");
      for (size_t t = 0; t < targets.size(); ++t) {
        const Value& tv = targets[t];
        std::string tpath = epath + "." + Indexed("target", t);
        std::string tcode(tv.GetString("code"));
        std::string equivalence(tv.GetString("equivalence"));
        // 'unmatched' and 'disjoint' targets may have no code: they map to nothing.
        if (tcode.empty()) continue;
        std::string tdisplay(tv.GetString("display"));
        if (target_cs != nullptr) {
          auto it = target_cs->concepts.find(tcode);
          if (it == target_cs->concepts.end()) {
            return Fail(origin, tpath + ".code: '" + tcode + "' is not a concept of " + target +
                                    " (" + target_cs->origin + ")");
          }
          if (tdisplay.empty()) tdisplay = it->second;
        }
        entry.forward[source][code].push_back(MapTarget{target, tcode, tdisplay, equivalence});
        entry.reverse[target][tcode].push_back(
            MapTarget{source, code, element_display, equivalence});
      }
    }
  }
  concept_maps.emplace(std::move(url), std::move(entry));
  return Status::Ok();
}

common::StatusOr<std::shared_ptr<const Terminology>> Terminology::LoadDirectory(
    const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(dir, ec);
  if (ec || !fs::is_directory(st)) {
    return common::Error(Fail(
        dir, ec ? "cannot read the terminology directory: " + ec.message() : "is not a directory"));
  }
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) return common::Error(Fail(dir, "cannot list the terminology directory: " + ec.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::directory_entry& entry = *it;
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec) && entry.path().extension() == ".json") {
      files.push_back(entry.path().string());
    }
  }
  if (ec) return common::Error(Fail(dir, "cannot list the terminology directory: " + ec.message()));
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    return common::Error(Fail(dir, "no *.json CodeSystem or ConceptMap files found"));
  }

  std::vector<Value> resources;
  resources.reserve(files.size());
  for (const std::string& path : files) {
    common::StatusOr<std::string> text = common::ReadFile(path, kMaxFileBytes);
    if (!text) return common::Error(Fail(path, "cannot read: " + text.error().message()));
    auto parsed = json::Parse(*text);
    if (!parsed) return common::Error(Fail(path, "invalid JSON: " + parsed.error().message()));
    resources.push_back(std::move(*parsed));
  }
  return FromResources(std::move(resources), std::move(files));
}

common::StatusOr<std::shared_ptr<const Terminology>> Terminology::FromResources(
    std::vector<Value> resources, std::vector<std::string> origins) {
  if (resources.size() != origins.size()) {
    return common::Error(Code::kInvalidArgument, "terminology: every resource needs an origin (" +
                                                     std::to_string(resources.size()) +
                                                     " resources, " +
                                                     std::to_string(origins.size()) + " origins)");
  }
  auto impl = std::make_unique<Impl>();
  // Pass 1: shape, validation, unique canonical urls.
  std::map<std::string, size_t, Less> url_owner;  // url -> index into resources
  for (size_t i = 0; i < resources.size(); ++i) {
    const Value& r = resources[i];
    const std::string& origin = origins[i];
    if (!r.is_object()) return common::Error(Fail(origin, "not a JSON object (a FHIR resource)"));
    std::string type(r.GetString("resourceType"));
    if (type != "CodeSystem" && type != "ConceptMap") {
      std::string named = type.empty() ? std::string("no resourceType")
                                       : "resourceType '" + type.substr(0, 64) + "'";
      return common::Error(Fail(origin, named + ": only CodeSystem and ConceptMap resources belong "
                                                "in a terminology directory"));
    }
    IssueList issues;
    validation::ValidateResource(r, issues);
    if (HasErrors(issues)) {
      std::string m = "invalid " + type + ":";
      size_t listed = 0;
      size_t errors = 0;
      for (const Issue& issue : issues) {
        if (issue.severity != Severity::kError && issue.severity != Severity::kFatal) continue;
        ++errors;
        if (listed == kMaxReportedIssues) continue;
        m += listed == 0 ? " " : "; ";
        m += issue.expression.empty() ? type : issue.expression;
        m += ": ";
        m += issue.diagnostics;
        ++listed;
      }
      if (errors > listed) m += "; and " + std::to_string(errors - listed) + " more";
      return common::Error(Fail(origin, m));
    }
    std::string url(r.GetString("url"));
    if (url.empty())
      return common::Error(Fail(origin, type + ".url: required (the canonical url)"));
    auto [owner, inserted] = url_owner.emplace(url, i);
    if (!inserted) {
      return common::Error(Fail(
          origin, type + ".url: '" + url + "' is already the url of " + origins[owner->second]));
    }
  }
  // Pass 2: code systems first, so that maps can be checked against them.
  for (size_t i = 0; i < resources.size(); ++i) {
    if (resources[i].GetString("resourceType") != "CodeSystem") continue;
    RETURN_IF_ERROR(impl->AddCodeSystem(resources[i], origins[i]));
  }
  for (size_t i = 0; i < resources.size(); ++i) {
    if (resources[i].GetString("resourceType") != "ConceptMap") continue;
    RETURN_IF_ERROR(impl->AddConceptMap(resources[i], origins[i]));
  }
  // Stable order by url (the map iterates in url order).
  impl->resources.reserve(resources.size());
  for (const auto& [url, index] : url_owner) impl->resources.push_back(std::move(resources[index]));
  return std::shared_ptr<const Terminology>(new Terminology(std::move(impl)));
}

Terminology::Terminology(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Terminology::~Terminology() = default;

bool Terminology::HasCodeSystem(std::string_view system) const {
  return impl_->FindCodeSystem(system) != nullptr;
}

bool Terminology::Contains(std::string_view system, std::string_view code) const {
  const Impl::CodeSystemEntry* cs = impl_->FindCodeSystem(system);
  return cs != nullptr && cs->concepts.find(code) != cs->concepts.end();
}

std::optional<std::string> Terminology::Display(std::string_view system,
                                                std::string_view code) const {
  return impl_->DisplayOf(system, code);
}

std::vector<MapTarget> Terminology::Translate(std::string_view map_url,
                                              std::string_view source_system,
                                              std::string_view code) const {
  auto it = impl_->concept_maps.find(map_url);
  if (it == impl_->concept_maps.end()) return {};
  return Impl::Lookup(it->second.forward, source_system, code);
}

std::vector<MapTarget> Terminology::TranslateReverse(std::string_view map_url,
                                                     std::string_view target_system,
                                                     std::string_view code) const {
  auto it = impl_->concept_maps.find(map_url);
  if (it == impl_->concept_maps.end()) return {};
  return Impl::Lookup(it->second.reverse, target_system, code);
}

const std::vector<Value>& Terminology::resources() const { return impl_->resources; }

Value Terminology::SeedBundle() const {
  Value bundle = Value::Object();
  bundle.Set("resourceType", Value::String("Bundle"));
  bundle.Set("type", Value::String("transaction"));
  if (impl_->resources.empty()) return bundle;  // FHIR forbids an empty array
  Value& entries = bundle.Set("entry", Value::Array());
  for (const Value& r : impl_->resources) {
    std::string type(r.GetString("resourceType"));
    Value entry = Value::Object();
    entry.Set("resource", r);
    Value& request = entry.Set("request", Value::Object());
    request.Set("method", Value::String("PUT"));
    request.Set("url", Value::String(type + "?url=" + common::PercentEncode(r.GetString("url"))));
    entries.Append(std::move(entry));
  }
  return bundle;
}

}  // namespace fhir::terminology
