#include "fhir/json/parser.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <string>
#include <unordered_set>
#include <vector>

namespace fhir::json {
namespace {

// A key that may be repeated in an error message: shaped like an element name (optional '_', a
// letter, then letters, digits or '_'; at most 64), as the validator decides. Other keys may be
// data, such as an identifier.
bool IsSafeKey(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  if (key[0] == '_') key.remove_prefix(1);
  if (key.empty() || !((key[0] >= 'a' && key[0] <= 'z') || (key[0] >= 'A' && key[0] <= 'Z'))) {
    return false;
  }
  for (char c : key) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// SAX handler building the ordered tree. Keeps a stack of open containers.
class TreeBuilder {
 public:
  explicit TreeBuilder(const ParseLimits& limits) : limits_(limits) {}

  bool Null() { return Add(Value::Null()); }
  bool Bool(bool b) { return Add(Value::Bool(b)); }
  bool Int(int) { return false; }  // unreachable: numbers arrive as RawNumber
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* str, rapidjson::SizeType len, bool) {
    return Add(Value::Number(std::string(str, len)));
  }
  bool String(const char* str, rapidjson::SizeType len, bool) {
    return Add(Value::String(std::string(str, len)));
  }
  bool StartObject() { return Open(Value::Object()); }
  bool Key(const char* str, rapidjson::SizeType len, bool) {
    Value& obj = *stack_.back();
    std::string_view key(str, len);
    if (obj.members().size() >= limits_.max_object_members) {
      return Exhausted("more than " + std::to_string(limits_.max_object_members) +
                       " members in one JSON object at " + Path());
    }
    if (IsDuplicate(obj, key)) {
      error_ = IsSafeKey(key) ? "Duplicate JSON property '" + std::string(key) + "' at " + Path()
                              : "Duplicate JSON property at " + Path();
      return false;
    }
    obj.members().emplace_back(std::string(key), Value());
    pending_key_ = true;
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return Close(); }
  bool StartArray() { return Open(Value::Array()); }
  bool EndArray(rapidjson::SizeType) { return Close(); }

  Value TakeRoot() { return std::move(root_); }
  const std::string& error() const { return error_; }
  bool exhausted() const { return exhausted_; }

 private:
  // Returns the slot the next value goes into.
  Value* Slot() {
    if (stack_.empty()) {
      if (has_root_) return nullptr;
      has_root_ = true;
      return &root_;
    }
    Value& top = *stack_.back();
    if (top.is_object()) {
      pending_key_ = false;
      return &top.members().back().second;
    }
    return &top.Append(Value());
  }
  bool Add(Value v) {
    if (!Count()) return false;
    Value* slot = Slot();
    if (slot == nullptr) return false;
    *slot = std::move(v);
    return true;
  }
  bool Open(Value v) {
    if (stack_.size() + 1 > limits_.max_depth) {
      error_ = "JSON nesting deeper than " + std::to_string(limits_.max_depth) + " at " + Path();
      return false;
    }
    if (!Count()) return false;
    Value* slot = Slot();
    if (slot == nullptr) return false;
    *slot = std::move(v);
    stack_.push_back(slot);
    keys_.emplace_back();
    return true;
  }
  bool Close() {
    stack_.pop_back();
    keys_.pop_back();
    return true;
  }
  // Counts one more value against the document and array limits.
  bool Count() {
    if (++values_ > limits_.max_values) {
      return Exhausted("more than " + std::to_string(limits_.max_values) +
                       " values in one JSON document (at " + Path() + ")");
    }
    if (!stack_.empty() && stack_.back()->is_array() &&
        stack_.back()->items().size() >= limits_.max_array_items) {
      return Exhausted("more than " + std::to_string(limits_.max_array_items) +
                       " items in one JSON array at " + Path());
    }
    return true;
  }
  bool Exhausted(std::string message) {
    error_ = std::move(message);
    exhausted_ = true;
    return false;
  }
  // Whether `obj` (the innermost open object) already has member `key`. Small objects are
  // scanned; past kIndexFrom members the keys are also kept in a hash set, so an object of many
  // members costs linear, not quadratic, time.
  bool IsDuplicate(const Value& obj, std::string_view key) {
    constexpr size_t kIndexFrom = 16;
    auto& index = keys_.back();
    if (obj.members().size() < kIndexFrom) return obj.Find(key) != nullptr;
    if (index.empty()) {
      for (const auto& [k, unused] : obj.members()) index.emplace(k);
    }
    return !index.emplace(key).second;
  }
  // A JSONPath-like location of the innermost open container, for error messages.
  std::string Path() const {
    std::string p = "$";
    for (const Value* v : stack_) {
      if (v->is_object() && !v->members().empty() && v != stack_.back()) {
        const std::string& key = v->members().back().first;
        p += IsSafeKey(key) ? "." + key : std::string(".*");
      } else if (v->is_array() && v != stack_.back()) {
        p += "[" + std::to_string(v->items().size() - 1) + "]";
      }
    }
    return p;
  }

  const ParseLimits& limits_;
  Value root_;
  bool has_root_ = false;
  bool pending_key_ = false;
  std::vector<Value*> stack_;  // pointers stay valid: a container is only appended to while on top
  std::vector<std::unordered_set<std::string>> keys_;  // per open container, see IsDuplicate
  size_t values_ = 0;
  bool exhausted_ = false;
  std::string error_;
};

}  // namespace

common::StatusOr<Value> Parse(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return common::Error(common::Code::kResourceExhausted,
                         "JSON body of " + std::to_string(text.size()) +
                             " bytes exceeds the limit of " + std::to_string(limits.max_bytes));
  }
  TreeBuilder builder(limits);
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseIterativeFlag |
                              rapidjson::kParseValidateEncodingFlag;
  rapidjson::ParseResult result =
      reader.Parse<kFlags, rapidjson::MemoryStream, TreeBuilder>(stream, builder);
  if (!result) {
    if (!builder.error().empty()) {
      return common::Error(
          builder.exhausted() ? common::Code::kResourceExhausted : common::Code::kInvalidArgument,
          builder.error());
    }
    return common::Error(common::Code::kInvalidArgument,
                         std::string("Invalid JSON at byte offset ") +
                             std::to_string(result.Offset()) + ": " +
                             rapidjson::GetParseError_En(result.Code()));
  }
  return builder.TakeRoot();
}

}  // namespace fhir::json
