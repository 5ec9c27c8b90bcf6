#include "fhir/validation/context.h"

#include <algorithm>
#include <charconv>

#include "fhir/model/model.h"

namespace fhir::validation::internal {

void Path::AppendIndex(size_t i) {
  char buf[24];
  buf[0] = '[';
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 1, i);
  *end++ = ']';
  text_.append(buf, end);
}

PathScope::PathScope(Path& path, std::string_view segment, size_t index)
    : path_(path), size_(path.size()) {
  path.Append(segment);
  path.AppendIndex(index);
}

void Context::Add(Severity severity, std::string_view code, std::string diagnostics,
                  std::string_view suffix) {
  if (issues_.size() - first_ >= kMaxListedIssues) {
    ++omitted_;
    omitted_severity_ = std::min(omitted_severity_, severity);
    return;
  }
  Issue issue;
  issue.severity = severity;
  issue.code = std::string(code);
  issue.diagnostics = std::move(diagnostics);
  issue.expression.reserve(path_.size() + suffix.size());
  issue.expression = path_.str();
  issue.expression.append(suffix);
  issues_.push_back(std::move(issue));
}

namespace {

// Invariants we check that the 4.0.1 definitions we generate from do not declare.
constexpr std::pair<std::string_view, std::string_view> kExtraInvariants[] = {
    {"qrs-2", "Repeated answers are combined in the answers array of a single item"},
};

// `name` is a key, or "key@context" for one of the rules of a key R4 uses for several.
Issue InvariantIssue(std::string_view name) {
  std::string_view key = name.substr(0, name.find('@'));
  std::optional<model::InvariantInfo> info =
      key.size() == name.size() ? model::FindInvariant(key)
                                : model::FindInvariant(key, name.substr(key.size() + 1));
  Issue issue;
  issue.code = "invariant";
  issue.diagnostics = std::string(key);
  if (info) {
    if (info->severity == "warning") issue.severity = Severity::kWarning;
    issue.diagnostics.append(": ").append(info->human);
    return issue;
  }
  for (const auto& [extra_key, human] : kExtraInvariants) {
    if (extra_key == key) issue.diagnostics.append(": ").append(human);
  }
  return issue;
}

}  // namespace

void Context::Invariant(std::string_view key, std::string_view suffix) {
  Issue issue = InvariantIssue(key);
  issue.expression = path_.str();
  issue.expression.append(suffix);
  issues_.push_back(std::move(issue));
}

void Context::InvariantAt(std::string_view key, std::string_view expression) {
  Issue issue = InvariantIssue(key);
  issue.expression = std::string(expression);
  issues_.push_back(std::move(issue));
}

ResourceFrame Context::PopFrame() {
  ResourceFrame frame = std::move(frames_.back());
  frames_.pop_back();
  return frame;
}

void Context::FinishIssues() {
  if (omitted_ > 0) issues_.push_back(OmittedIssues(omitted_, omitted_severity_));
  omitted_ = 0;
}

void Context::AddLocalTarget(std::string_view id, bool is_reference_element) {
  ResourceFrame* f = frame();
  if (f == nullptr) return;
  bool inside =
      f->current_contained >= 0 && static_cast<size_t>(f->current_contained) < f->contained.size();
  if (id.empty() && inside) f->contained[f->current_contained].refers_to_container = true;
  if (!id.empty()) f->local_targets.emplace_back(id);
  if (is_reference_element) {
    f->references.push_back({std::string(id), path_.str(), inside});
  }
}

namespace {

bool IsUnderscoreOf(std::string_view member, std::string_view name) {
  return member.size() == name.size() + 1 && member[0] == '_' && member.substr(1) == name;
}

// `member` is prefix + an upper-case type name (optionally with a leading '_').
bool IsChoiceOf(std::string_view member, std::string_view prefix) {
  if (!member.empty() && member[0] == '_') member.remove_prefix(1);
  return member.size() > prefix.size() && member.starts_with(prefix) &&
         member[prefix.size()] >= 'A' && member[prefix.size()] <= 'Z';
}

}  // namespace

bool Has(const json::Value& obj, std::string_view name) {
  if (!obj.is_object()) return false;
  for (const auto& [key, value] : obj.members()) {
    if (key == name || IsUnderscoreOf(key, name)) return true;
  }
  return false;
}

bool HasChoice(const json::Value& obj, std::string_view prefix) {
  return !ChoiceName(obj, prefix).empty();
}

std::string_view ChoiceName(const json::Value& obj, std::string_view prefix) {
  if (!obj.is_object()) return {};
  for (const auto& member : obj.members()) {
    if (IsChoiceOf(member.first, prefix)) {
      std::string_view name = member.first;
      if (name[0] == '_') name.remove_prefix(1);
      return name;
    }
  }
  return {};
}

std::string_view Str(const json::Value& obj, std::string_view name) {
  if (!obj.is_object()) return {};
  return obj.GetString(name);
}

bool IsTrue(const json::Value& obj, std::string_view name) {
  if (!obj.is_object()) return false;
  const json::Value* v = obj.Find(name);
  return v != nullptr && v->is_bool() && v->boolean();
}

std::span<const json::Value> Items(const json::Value& obj, std::string_view name) {
  if (!obj.is_object()) return {};
  const json::Value* v = obj.Find(name);
  if (v == nullptr) return {};
  if (v->is_array()) return std::span<const json::Value>(v->items());
  if (v->is_object()) return std::span<const json::Value>(v, 1);
  return {};
}

size_t Count(const json::Value& obj, std::string_view name) {
  if (!obj.is_object()) return 0;
  const json::Value* v = obj.Find(name);
  if (v == nullptr) {
    for (const auto& [key, value] : obj.members()) {
      if (IsUnderscoreOf(key, name)) return value.is_array() ? value.items().size() : 1;
    }
    return 0;
  }
  return v->is_array() ? v->items().size() : 1;
}

}  // namespace fhir::validation::internal
