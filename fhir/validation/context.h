#pragma once
// Internal to fhir/validation: the state shared by the structural walker (validator.cpp) and
// the invariant checks (invariants*.cpp), and small JSON helpers for the latter.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json/value.h"
#include "fhir/outcome.h"

namespace fhir::validation::internal {

// The FHIRPath of the element being validated, built in place.
class Path {
 public:
  const std::string& str() const { return text_; }
  size_t size() const { return text_.size(); }
  void Truncate(size_t size) { text_.resize(size); }
  void Append(std::string_view s) { text_.append(s); }
  void AppendIndex(size_t i);

 private:
  std::string text_;
};

// Restores a Path's length at the end of the scope; appends `segment` at its start.
class PathScope {
 public:
  explicit PathScope(Path& path, std::string_view segment = {}) : path_(path), size_(path.size()) {
    path.Append(segment);
  }
  PathScope(Path& path, std::string_view segment, size_t index);  // "segment[index]"
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;
  ~PathScope() { path_.Truncate(size_); }

 private:
  Path& path_;
  size_t size_;
};

// Per independent resource (the root, a Bundle entry, a Parameters resource): what dom-3 and
// ref-1 need once the whole resource has been seen.
struct ResourceFrame {
  struct Contained {
    std::string id;  // empty if missing
    std::string path;
    bool refers_to_container = false;  // has a "#" reference
  };
  struct LocalReference {
    std::string id;  // after '#'; empty for "#"
    std::string path;
    bool inside_contained = false;
  };
  std::vector<Contained> contained;
  std::vector<std::string> local_targets;  // "#x" in any reference/canonical/uri/url, as x
  std::vector<LocalReference> references;  // Reference.reference values starting with '#'
  int current_contained = -1;              // index into `contained` while inside one
};

class Context {
 public:
  explicit Context(IssueList& issues) : issues_(issues), first_(issues.size()) {}

  Path& path() { return path_; }

  // Adds an issue at the current path plus `suffix`.
  void Add(Severity severity, std::string_view code, std::string diagnostics,
           std::string_view suffix = {});
  void Error(std::string_view code, std::string diagnostics, std::string_view suffix = {}) {
    Add(Severity::kError, code, std::move(diagnostics), suffix);
  }
  // Reports invariant `key` (severity and text from the model) at the current path + suffix.
  // For a key R4 uses for several rules, name the rule as "key@context" ("inv-1@Task"); the
  // issue names the key alone, with that rule's text.
  void Invariant(std::string_view key, std::string_view suffix = {});
  // Same, at an absolute expression.
  void InvariantAt(std::string_view key, std::string_view expression);

  // Issues past kMaxListedIssues are counted, not kept (a resource with millions of problems
  // must not cost millions of issues). Appends the one issue that says how many were left out.
  void FinishIssues();

  // Resource frames (see ResourceFrame).
  void PushFrame() { frames_.emplace_back(); }
  ResourceFrame PopFrame();
  ResourceFrame* frame() { return frames_.empty() ? nullptr : &frames_.back(); }
  // Records "#id" found in a reference-like value at the current path.
  void AddLocalTarget(std::string_view id, bool is_reference_element);

 private:
  IssueList& issues_;
  size_t first_;  // issues_ held this many before this validation
  size_t omitted_ = 0;
  Severity omitted_severity_ = Severity::kInformation;
  Path path_;
  std::vector<ResourceFrame> frames_;
};

// --- JSON helpers for invariants (FHIRPath-like, on the JSON form) ---------------------------

// exists(): the element is present, with a value or only with extensions (`_name`).
bool Has(const json::Value& obj, std::string_view name);
// Whether a choice element `prefix`[x] is present in any type ("value" -> valueString ...).
bool HasChoice(const json::Value& obj, std::string_view prefix);
// The JSON name of the choice element `prefix`[x] that is present, or empty.
std::string_view ChoiceName(const json::Value& obj, std::string_view prefix);
// The string value of `name`, empty if absent or not a string.
std::string_view Str(const json::Value& obj, std::string_view name);
// True if `name` is the JSON boolean true.
bool IsTrue(const json::Value& obj, std::string_view name);
// The values of `name`: its items if an array, itself if an object, else none.
std::span<const json::Value> Items(const json::Value& obj, std::string_view name);
// Number of values of `name` (array length, 1 for a single value, 0 if absent).
size_t Count(const json::Value& obj, std::string_view name);

}  // namespace fhir::validation::internal
