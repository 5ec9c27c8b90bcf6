#pragma once
// An ordered JSON tree that keeps what FHIR needs and RapidJSON's DOM loses: the exact text of
// every number (FHIR decimals keep their precision, "1.50" stays "1.50") and member order.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fhir::json {

enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

class Value {
 public:
  using Member = std::pair<std::string, Value>;

  Value() = default;
  static Value Null() { return Value(); }
  static Value Bool(bool b) {
    Value v(Kind::kBool);
    v.bool_ = b;
    return v;
  }
  // `raw` is the number's JSON text, kept verbatim.
  static Value Number(std::string raw) {
    Value v(Kind::kNumber);
    v.text_ = std::move(raw);
    return v;
  }
  static Value String(std::string s) {
    Value v(Kind::kString);
    v.text_ = std::move(s);
    return v;
  }
  static Value Array() { return Value(Kind::kArray); }
  static Value Object() { return Value(Kind::kObject); }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }

  bool boolean() const { return bool_; }
  // The string's value, or the number's raw text.
  const std::string& text() const { return text_; }
  std::string& text() { return text_; }

  const std::vector<Value>& items() const { return items_; }
  std::vector<Value>& items() { return items_; }
  Value& Append(Value v) {
    items_.push_back(std::move(v));
    return items_.back();
  }

  const std::vector<Member>& members() const { return members_; }
  std::vector<Member>& members() { return members_; }
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  // The string value of member `key`, or empty if absent or not a string.
  std::string_view GetString(std::string_view key) const;
  // Replaces the member's value if present, otherwise appends it.
  Value& Set(std::string_view key, Value v);
  // Inserts (or replaces) `key` so it stands right after member `after` (or first if absent).
  Value& SetAfter(std::string_view after, std::string_view key, Value v);
  bool Remove(std::string_view key);

  bool operator==(const Value& other) const = default;

 private:
  explicit Value(Kind kind) : kind_(kind) {}

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

}  // namespace fhir::json
