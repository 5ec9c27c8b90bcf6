#include "fhir/json/patch.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace fhir::json {
namespace {

using common::Code;

enum class Op { kAdd, kRemove, kReplace, kMove, kCopy, kTest };

struct Operation {
  Op op = Op::kAdd;
  std::string name;
  std::string path;
  std::vector<std::string> path_tokens;
  std::string from;
  std::vector<std::string> from_tokens;
  const Value* value = nullptr;  // add, replace, test (may be a JSON null)
};

std::optional<Op> OpFromName(std::string_view name) {
  if (name == "add") return Op::kAdd;
  if (name == "remove") return Op::kRemove;
  if (name == "replace") return Op::kReplace;
  if (name == "move") return Op::kMove;
  if (name == "copy") return Op::kCopy;
  if (name == "test") return Op::kTest;
  return std::nullopt;
}

// Approximate serialized size and nesting depth of a value (escapes and whitespace aside).
struct Measure {
  size_t bytes = 0;
  size_t depth = 0;  // containers, as the parser counts them: a scalar is 0
};

// Recursion is bounded: every value here is at most max_depth deep (the parser's limit for the
// patch and the stored document, and ApplyJsonPatch's own limit for what it builds).
Measure MeasureOf(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull:
      return {4, 0};
    case Kind::kBool:
      return {v.boolean() ? 4u : 5u, 0};
    case Kind::kNumber:
      return {v.text().size(), 0};
    case Kind::kString:
      return {v.text().size() + 2, 0};
    case Kind::kArray: {
      Measure m{2, 1};
      for (const Value& item : v.items()) {
        Measure c = MeasureOf(item);
        m.bytes += c.bytes + 1;
        m.depth = std::max(m.depth, c.depth + 1);
      }
      return m;
    }
    case Kind::kObject: {
      Measure m{2, 1};
      for (const auto& [key, child] : v.members()) {
        Measure c = MeasureOf(child);
        m.bytes += key.size() + 4 + c.bytes;
        m.depth = std::max(m.depth, c.depth + 1);
      }
      return m;
    }
  }
  return {};
}

// An array index token: "0" or digits without a leading zero (RFC 6901 §4), below `limit`
// (exclusive) or, with `allow_end`, "-" or equal to `limit` for the position after the end.
std::optional<size_t> ArrayIndex(std::string_view token, size_t limit, bool allow_end) {
  if (token == "-") return allow_end ? std::optional<size_t>(limit) : std::nullopt;
  if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')) {
    return std::nullopt;
  }
  size_t n = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (n > limit || (n == limit && !allow_end)) return std::nullopt;
  return n;
}

// A proper prefix, token by token ("/a/b" is not a prefix of "/a/bc").
bool IsProperPrefix(const std::vector<std::string>& prefix, const std::vector<std::string>& of) {
  return prefix.size() < of.size() && std::equal(prefix.begin(), prefix.end(), of.begin());
}

// Canonical decimal for numeric comparison: value = (-1)^negative * digits * 10^exponent, with
// no leading or trailing zeros in `digits` (zero is the empty digit string).
struct Decimal {
  bool negative = false;
  std::string digits;
  int64_t exponent = 0;
  bool operator==(const Decimal&) const = default;
};

// JSON number text (the parser has checked its grammar). nullopt for an exponent too large
// to hold: such numbers compare by text.
std::optional<Decimal> ToDecimal(std::string_view raw) {
  Decimal d;
  size_t i = 0;
  if (i < raw.size() && raw[i] == '-') {
    d.negative = true;
    ++i;
  }
  std::string digits;
  int64_t exponent = 0;
  while (i < raw.size() && raw[i] >= '0' && raw[i] <= '9') digits.push_back(raw[i++]);
  if (i < raw.size() && raw[i] == '.') {
    ++i;
    while (i < raw.size() && raw[i] >= '0' && raw[i] <= '9') {
      digits.push_back(raw[i++]);
      --exponent;
    }
  }
  if (i < raw.size() && (raw[i] == 'e' || raw[i] == 'E')) {
    ++i;
    bool negative_exp = false;
    if (i < raw.size() && (raw[i] == '+' || raw[i] == '-')) negative_exp = raw[i++] == '-';
    while (i < raw.size() && raw[i] == '0') ++i;
    std::string_view exp_digits = raw.substr(i);
    if (exp_digits.size() > 15) return std::nullopt;
    int64_t e = 0;
    for (char c : exp_digits) {
      if (c < '0' || c > '9') return std::nullopt;
      e = e * 10 + (c - '0');
    }
    exponent += negative_exp ? -e : e;
  } else if (i != raw.size()) {
    return std::nullopt;
  }
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return Decimal{};  // zero, whatever its sign or exponent
  digits.erase(0, first);
  size_t last = digits.find_last_not_of('0');
  exponent += static_cast<int64_t>(digits.size() - 1 - last);
  digits.resize(last + 1);
  d.digits = std::move(digits);
  d.exponent = exponent;
  return d;
}

bool NumbersEqual(const std::string& a, const std::string& b) {
  if (a == b) return true;
  std::optional<Decimal> da = ToDecimal(a);
  std::optional<Decimal> db = ToDecimal(b);
  return da && db && *da == *db;
}

class Patcher {
 public:
  Patcher(Value& document, const PatchLimits& limits) : doc_(document), limits_(limits) {
    size_ = MeasureOf(doc_).bytes;
  }

  std::optional<PatchFailure> Run(const std::vector<Operation>& ops) {
    for (size_t i = 0; i < ops.size(); ++i) {
      index_ = i;
      op_ = &ops[i];
      std::optional<PatchFailure> failed = Apply(ops[i]);
      if (failed) return failed;
      if (size_ > limits_.max_document_bytes) {
        return Fail(Code::kResourceExhausted,
                    "the patched document would exceed " +
                        std::to_string(limits_.max_document_bytes) + " bytes",
                    ops[i].path);
      }
    }
    return std::nullopt;
  }

 private:
  std::optional<PatchFailure> Apply(const Operation& o) {
    switch (o.op) {
      case Op::kAdd:
        return Add(o.path, o.path_tokens, *o.value);
      case Op::kRemove: {
        std::optional<Value> removed;
        return Remove(o.path, o.path_tokens, &removed);
      }
      case Op::kReplace:
        return Replace(o);
      case Op::kMove:
        return Move(o);
      case Op::kCopy: {
        const Value* source = Resolve(o.from_tokens);
        if (source == nullptr) return Missing(o.from, "the 'from' location does not exist");
        Measure m = MeasureOf(*source);
        if (auto over = Charge(m.bytes, o.from)) return over;
        Value copy = *source;  // copied before the add: `source` may move when the parent grows
        return Add(o.path, o.path_tokens, std::move(copy));
      }
      case Op::kTest: {
        const Value* target = Resolve(o.path_tokens);
        if (target == nullptr) return Missing(o.path, "the path does not exist");
        if (auto over = Charge(MeasureOf(*o.value).bytes, o.path)) return over;
        if (!JsonEqual(*target, *o.value)) {
          PatchFailure f = *Fail(Code::kUnprocessable,
                                 "test failed: the value at the path differs from the expected "
                                 "value",
                                 o.path);
          f.test_failed = true;
          return f;
        }
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::optional<PatchFailure> Replace(const Operation& o) {
    Value* target = Resolve(o.path_tokens);
    if (target == nullptr) return Missing(o.path, "the path does not exist");
    Measure old_m = MeasureOf(*target);
    Measure new_m = MeasureOf(*o.value);
    if (auto over = Charge(old_m.bytes + new_m.bytes, o.path)) return over;
    if (o.path_tokens.size() + new_m.depth > limits_.max_depth) return TooDeep(o.path);
    *target = *o.value;
    size_ = size_ - std::min(size_, old_m.bytes) + new_m.bytes;
    return std::nullopt;
  }

  std::optional<PatchFailure> Move(const Operation& o) {
    if (Resolve(o.from_tokens) == nullptr) {
      return Missing(o.from, "the 'from' location does not exist");
    }
    if (o.from_tokens == o.path_tokens) return std::nullopt;  // RFC 6902 §4.4: no change
    std::optional<Value> moved;
    if (auto failed = Remove(o.from, o.from_tokens, &moved)) return failed;
    return Add(o.path, o.path_tokens, std::move(*moved));
  }

  // The value at `tokens`, or nullptr when any step is missing or not a container.
  Value* Resolve(const std::vector<std::string>& tokens, size_t count) {
    Value* v = &doc_;
    for (size_t i = 0; i < count; ++i) {
      const std::string& t = tokens[i];
      if (v->is_object()) {
        v = v->Find(t);
      } else if (v->is_array()) {
        std::optional<size_t> index = ArrayIndex(t, v->items().size(), /*allow_end=*/false);
        v = index ? &v->items()[*index] : nullptr;
      } else {
        v = nullptr;
      }
      if (v == nullptr) return nullptr;
    }
    return v;
  }
  Value* Resolve(const std::vector<std::string>& tokens) { return Resolve(tokens, tokens.size()); }

  std::optional<PatchFailure> Add(const std::string& pointer,
                                  const std::vector<std::string>& tokens, Value value) {
    Measure m = MeasureOf(value);
    if (auto over = Charge(m.bytes, pointer)) return over;
    if (tokens.size() + m.depth > limits_.max_depth) return TooDeep(pointer);
    if (tokens.empty()) {  // the whole document
      doc_ = std::move(value);
      size_ = m.bytes;
      return std::nullopt;
    }
    Value* parent = Resolve(tokens, tokens.size() - 1);
    if (parent == nullptr) return Missing(pointer, "the parent of the path does not exist");
    const std::string& last = tokens.back();
    if (parent->is_object()) {
      if (Value* existing = parent->Find(last)) {
        size_t old_bytes = MeasureOf(*existing).bytes;
        *existing = std::move(value);
        size_ = size_ - std::min(size_, old_bytes) + m.bytes;
      } else {
        parent->Set(last, std::move(value));
        size_ += last.size() + 4 + m.bytes;
      }
      return std::nullopt;
    }
    if (parent->is_array()) {
      std::vector<Value>& items = parent->items();
      std::optional<size_t> index = ArrayIndex(last, items.size(), /*allow_end=*/true);
      if (!index) {
        return Missing(pointer,
                       "the last token of the path is not an index into the array (0 to its "
                       "length, or \"-\")");
      }
      items.insert(items.begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
      size_ += m.bytes + 1;
      return std::nullopt;
    }
    return Missing(pointer, "the parent of the path is neither an object nor an array");
  }

  std::optional<PatchFailure> Remove(const std::string& pointer,
                                     const std::vector<std::string>& tokens,
                                     std::optional<Value>* removed) {
    if (tokens.empty()) return Missing(pointer, "the whole document cannot be removed");
    Value* parent = Resolve(tokens, tokens.size() - 1);
    const std::string& last = tokens.back();
    if (parent != nullptr && parent->is_object()) {
      auto& members = parent->members();
      auto it = std::find_if(members.begin(), members.end(),
                             [&](const Value::Member& m) { return m.first == last; });
      if (it == members.end()) return Missing(pointer, "the path does not exist");
      size_t bytes = MeasureOf(it->second).bytes;
      if (auto over = Charge(bytes, pointer)) return over;
      *removed = std::move(it->second);
      members.erase(it);
      size_ -= std::min(size_, bytes + last.size() + 4);
      return std::nullopt;
    }
    if (parent != nullptr && parent->is_array()) {
      std::vector<Value>& items = parent->items();
      std::optional<size_t> index = ArrayIndex(last, items.size(), /*allow_end=*/false);
      if (!index) return Missing(pointer, "the path does not exist");
      size_t bytes = MeasureOf(items[*index]).bytes;
      if (auto over = Charge(bytes, pointer)) return over;
      *removed = std::move(items[*index]);
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(*index));
      size_ -= std::min(size_, bytes + 1);
      return std::nullopt;
    }
    return Missing(pointer, "the path does not exist");
  }

  std::optional<PatchFailure> Charge(size_t bytes, const std::string& pointer) {
    work_ += bytes;
    if (work_ <= limits_.max_work_bytes) return std::nullopt;
    return Fail(Code::kResourceExhausted,
                "the patch copies, moves or compares more than " +
                    std::to_string(limits_.max_work_bytes) + " bytes in all",
                pointer);
  }

  std::optional<PatchFailure> TooDeep(const std::string& pointer) {
    return Fail(
        Code::kResourceExhausted,
        "the result would nest arrays and objects deeper than " + std::to_string(limits_.max_depth),
        pointer);
  }

  std::optional<PatchFailure> Missing(const std::string& pointer, std::string reason) {
    return Fail(Code::kUnprocessable, std::move(reason), pointer);
  }

  std::optional<PatchFailure> Fail(Code code, std::string reason, const std::string& pointer) {
    PatchFailure f;
    f.code = code;
    f.operation = index_;
    f.op = op_ != nullptr ? op_->name : std::string();
    f.pointer = pointer;
    f.reason = std::move(reason);
    return f;
  }

  Value& doc_;
  const PatchLimits& limits_;
  size_t size_ = 0;
  size_t work_ = 0;
  size_t index_ = 0;
  const Operation* op_ = nullptr;
};

PatchFailure Malformed(std::optional<size_t> index, std::string op, std::string reason,
                       std::string pointer = {}) {
  PatchFailure f;
  f.code = Code::kInvalidArgument;
  f.operation = index;
  f.op = std::move(op);
  f.reason = std::move(reason);
  f.pointer = std::move(pointer);
  return f;
}

// Reads and checks every operation before any runs.
std::optional<PatchFailure> ReadOperations(const Value& patch, const PatchLimits& limits,
                                           std::vector<Operation>* out) {
  if (!patch.is_array()) {
    return Malformed(std::nullopt, {}, "a JSON Patch document is a JSON array of operations");
  }
  if (patch.items().size() > limits.max_operations) {
    PatchFailure f =
        Malformed(std::nullopt, {},
                  "the patch has " + std::to_string(patch.items().size()) +
                      " operations; the limit is " + std::to_string(limits.max_operations));
    f.code = Code::kResourceExhausted;
    return f;
  }
  out->reserve(patch.items().size());
  for (size_t i = 0; i < patch.items().size(); ++i) {
    const Value& item = patch.items()[i];
    if (!item.is_object()) return Malformed(i, {}, "an operation must be a JSON object");
    const Value* op = item.Find("op");
    if (op == nullptr || !op->is_string()) {
      return Malformed(i, {}, "the operation has no 'op' string");
    }
    std::optional<Op> kind = OpFromName(op->text());
    if (!kind) {
      return Malformed(i, {},
                       "'op' must be one of add, remove, replace, move, copy and test (RFC 6902)");
    }
    Operation o;
    o.op = *kind;
    o.name = op->text();
    const Value* path = item.Find("path");
    if (path == nullptr || !path->is_string()) {
      return Malformed(i, o.name, "the operation has no 'path' string");
    }
    o.path = path->text();
    std::optional<std::vector<std::string>> tokens = ParsePointer(o.path);
    if (!tokens) {
      return Malformed(i, o.name,
                       "'path' is not a JSON Pointer (empty, or '/' followed by tokens in which "
                       "'~' is escaped as ~0 and '/' as ~1)",
                       o.path);
    }
    o.path_tokens = std::move(*tokens);
    if (o.op == Op::kMove || o.op == Op::kCopy) {
      const Value* from = item.Find("from");
      if (from == nullptr || !from->is_string()) {
        return Malformed(i, o.name, "a " + o.name + " operation needs a 'from' string");
      }
      o.from = from->text();
      std::optional<std::vector<std::string>> from_tokens = ParsePointer(o.from);
      if (!from_tokens) return Malformed(i, o.name, "'from' is not a JSON Pointer", o.from);
      o.from_tokens = std::move(*from_tokens);
      if (o.op == Op::kMove && IsProperPrefix(o.from_tokens, o.path_tokens)) {
        return Malformed(i, o.name, "a location cannot be moved into one of its own children",
                         o.path);
      }
    }
    if (o.op == Op::kAdd || o.op == Op::kReplace || o.op == Op::kTest) {
      o.value = item.Find("value");  // a JSON null is a value; a missing member is not
      if (o.value == nullptr) {
        return Malformed(i, o.name, "a " + o.name + " operation needs a 'value' member");
      }
    }
    // Other members are ignored (RFC 6902 §4).
    out->push_back(std::move(o));
  }
  return std::nullopt;
}

bool ObjectsEqual(const Value& a, const Value& b) {
  const auto& am = a.members();
  const auto& bm = b.members();
  if (am.size() != bm.size()) return false;
  if (am.size() <= 16) {
    for (const auto& [key, value] : am) {
      const Value* other = b.Find(key);
      if (other == nullptr || !JsonEqual(value, *other)) return false;
    }
    return true;
  }
  // Large objects: compare by sorted keys instead of a lookup per member.
  auto sorted = [](const std::vector<Value::Member>& members) {
    std::vector<const Value::Member*> out;
    out.reserve(members.size());
    for (const auto& m : members) out.push_back(&m);
    std::sort(out.begin(), out.end(),
              [](const Value::Member* x, const Value::Member* y) { return x->first < y->first; });
    return out;
  };
  std::vector<const Value::Member*> sa = sorted(am);
  std::vector<const Value::Member*> sb = sorted(bm);
  for (size_t i = 0; i < sa.size(); ++i) {
    if (sa[i]->first != sb[i]->first || !JsonEqual(sa[i]->second, sb[i]->second)) return false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::string>> ParsePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') return std::nullopt;
  size_t start = 1;
  for (;;) {
    size_t slash = pointer.find('/', start);
    std::string_view raw = pointer.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    std::string token;
    token.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token.push_back(raw[i]);
        continue;
      }
      if (i + 1 >= raw.size() || (raw[i + 1] != '0' && raw[i + 1] != '1')) return std::nullopt;
      token.push_back(raw[i + 1] == '0' ? '~' : '/');
      ++i;
    }
    tokens.push_back(std::move(token));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return tokens;
}

bool IsSafeToken(std::string_view token) {
  if (token == "-") return true;
  if (!token.empty() && token.size() <= 6 &&
      std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return true;
  }
  if (token.empty() || token.size() > 64) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(token[0]) && token[0] != '_') return false;
  return std::all_of(token.begin(), token.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9') || c == '_'; });
}

std::string SafePointer(std::string_view pointer) {
  std::optional<std::vector<std::string>> tokens = ParsePointer(pointer);
  if (!tokens) return "(malformed)";
  std::string out;
  for (const std::string& t : *tokens) out += "/" + (IsSafeToken(t) ? t : std::string("*"));
  return out;
}

bool JsonEqual(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.boolean() == b.boolean();
    case Kind::kNumber:
      return NumbersEqual(a.text(), b.text());
    case Kind::kString:
      return a.text() == b.text();
    case Kind::kArray: {
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i) {
        if (!JsonEqual(a.items()[i], b.items()[i])) return false;
      }
      return true;
    }
    case Kind::kObject:
      return ObjectsEqual(a, b);
  }
  return false;
}

std::optional<PatchFailure> ApplyJsonPatch(const Value& patch, Value& document,
                                           const PatchLimits& limits) {
  std::vector<Operation> ops;
  if (std::optional<PatchFailure> malformed = ReadOperations(patch, limits, &ops)) {
    return malformed;
  }
  Patcher patcher(document, limits);
  return patcher.Run(ops);
}

}  // namespace fhir::json
