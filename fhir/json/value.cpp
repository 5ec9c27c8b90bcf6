#include "fhir/json/value.h"

namespace fhir::json {

const Value* Value::Find(std::string_view key) const {
  for (const auto& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

Value* Value::Find(std::string_view key) {
  for (auto& m : members_) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

std::string_view Value::GetString(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr || !v->is_string()) return {};
  return v->text();
}

Value& Value::Set(std::string_view key, Value v) {
  if (Value* existing = Find(key)) {
    *existing = std::move(v);
    return *existing;
  }
  // Objects built member by member (resources, codings) mostly have a handful of members:
  // one allocation for the first four instead of three.
  if (members_.capacity() == 0) members_.reserve(4);
  members_.emplace_back(std::string(key), std::move(v));
  return members_.back().second;
}

Value& Value::SetAfter(std::string_view after, std::string_view key, Value v) {
  Remove(key);
  size_t pos = 0;
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].first == after) {
      pos = i + 1;
      break;
    }
  }
  auto it = members_.emplace(members_.begin() + static_cast<std::ptrdiff_t>(pos), std::string(key),
                             std::move(v));
  return it->second;
}

bool Value::Remove(std::string_view key) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (it->first == key) {
      members_.erase(it);
      return true;
    }
  }
  return false;
}

}  // namespace fhir::json
