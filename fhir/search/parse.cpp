#include "fhir/search/parse.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>

#include "common/url.h"
#include "fhir/search/registry.h"
#include "fhir/search/values.h"

namespace fhir::search {
namespace {

constexpr size_t kMaxChainDepth = 2;

// A problem with one parameter. Lenient handling (R4 search §3.1.1.3.6) may ignore only what
// cannot narrow the result: an unknown parameter name or an unsupported sort. A malformed value
// or an unsupported modifier of a known parameter is always an error, because ignoring it would
// silently widen the result (for a clinical system, a data leak rather than a convenience).
struct Problem {
  std::string issue_code;  // "not-supported" or "value"
  std::string message;
  bool ignorable = false;  // may be ignored with a warning under lenient handling
};

std::optional<Problem> NotSupported(std::string message) {
  return Problem{"not-supported", std::move(message), false};
}
std::optional<Problem> Ignorable(std::string message) {
  return Problem{"not-supported", std::move(message), true};
}
std::optional<Problem> BadValue(std::string message) {
  return Problem{"value", std::move(message), false};
}

// Quotes a client-given parameter name, modifier, sort key or type for a message, but only when
// it is shaped like one: parts separated by ':' or '.', each "*" or a letter or '_' followed by
// letters, digits, '-' and '_'. Anything else may be data, e.g. an identifier sent as a bare
// query string ("?01019012345") or as a chain's type ("subject:01019012345.name").
std::string Quote(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  bool part_start = true;
  for (size_t i = 0; ok && i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c == ':' || c == '.') {
      ok = !part_start;
      part_start = true;
    } else if (part_start) {
      ok = std::isalpha(c) || c == '_' ||
           (c == '*' && (i + 1 == name.size() || name[i + 1] == ':' || name[i + 1] == '.'));
      part_start = false;
    } else {
      ok = std::isalnum(c) || c == '-' || c == '_';
    }
  }
  ok = ok && !part_start;
  return ok ? "'" + std::string(name) + "'" : std::string("(a name that is not shown)");
}

bool IsSortable(ParamType t) {
  return t == ParamType::kString || t == ParamType::kToken || t == ParamType::kDate ||
         t == ParamType::kNumber || t == ParamType::kQuantity || t == ParamType::kUri ||
         t == ParamType::kReference;
}

template <typename Int>
std::optional<Int> ParseNonNegative(std::string_view s) {
  Int v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<Prefix> PrefixFromName(std::string_view p) {
  static constexpr std::pair<std::string_view, Prefix> kPrefixes[] = {
      {"eq", Prefix::kEq}, {"ne", Prefix::kNe}, {"gt", Prefix::kGt},
      {"lt", Prefix::kLt}, {"ge", Prefix::kGe}, {"le", Prefix::kLe},
      {"sa", Prefix::kSa}, {"eb", Prefix::kEb}, {"ap", Prefix::kAp},
  };
  for (const auto& [name, prefix] : kPrefixes) {
    if (name == p) return prefix;
  }
  return std::nullopt;
}

// Strips a two-letter prefix followed by the start of a number or date.
Prefix TakePrefix(std::string_view& v) {
  if (v.size() >= 3 && std::islower(static_cast<unsigned char>(v[0])) &&
      std::islower(static_cast<unsigned char>(v[1]))) {
    char next = v[2];
    if (std::isdigit(static_cast<unsigned char>(next)) || next == '-' || next == '+' ||
        next == '.') {
      if (std::optional<Prefix> p = PrefixFromName(v.substr(0, 2))) {
        v.remove_prefix(2);
        return *p;
      }
    }
  }
  return Prefix::kEq;
}

std::optional<Modifier> ModifierFromName(std::string_view m) {
  if (m == "exact") return Modifier::kExact;
  if (m == "contains") return Modifier::kContains;
  if (m == "missing") return Modifier::kMissing;
  if (m == "not") return Modifier::kNot;
  if (m == "text") return Modifier::kText;
  if (m == "identifier") return Modifier::kIdentifier;
  if (m == "below") return Modifier::kBelow;
  if (m == "above") return Modifier::kAbove;
  return std::nullopt;
}

bool ModifierAllowed(ParamType t, Modifier m) {
  switch (m) {
    case Modifier::kNone:
    case Modifier::kMissing:
      return true;
    case Modifier::kExact:
      return t == ParamType::kString;
    case Modifier::kContains:
      return t == ParamType::kString || t == ParamType::kUri;
    case Modifier::kNot:
    case Modifier::kText:
      return t == ParamType::kToken;
    case Modifier::kType:
    case Modifier::kIdentifier:
      return t == ParamType::kReference;
    case Modifier::kBelow:
    case Modifier::kAbove:
      return t == ParamType::kUri;
  }
  return false;
}

class Parser {
 public:
  Parser(std::string_view type, const ParseOptions& options, IssueList& warnings)
      : options_(options), warnings_(warnings) {
    query_.type = std::string(type);
    query_.count = std::clamp(options.default_count, 0, std::max(options.max_count, 0));
  }

  common::StatusOr<Query> Run(const std::vector<std::pair<std::string, std::string>>& params) {
    for (const auto& [name, value] : params) {
      std::optional<Problem> problem = One(name, value);
      if (!problem) continue;
      if (options_.strict || !problem->ignorable) {
        return common::Error(common::Code::kInvalidArgument, problem->message);
      }
      warnings_.push_back(Issue{Severity::kWarning, problem->issue_code,
                                problem->message + "; the parameter was ignored", ""});
    }
    accepted_.emplace_back("_count", std::to_string(query_.count));
    std::stable_sort(accepted_.begin(), accepted_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, value] : accepted_) {
      if (!query_.canonical.empty()) query_.canonical += '&';
      query_.canonical += common::PercentEncode(name, common::kSearchLinkKeep);
      query_.canonical += '=';
      query_.canonical += common::PercentEncode(value, common::kSearchLinkKeep);
    }
    return std::move(query_);
  }

 private:
  std::optional<Problem> One(const std::string& name, const std::string& value) {
    if (name == "_format" || name == "_pretty") return std::nullopt;
    std::string_view base = name;
    std::string_view modifier;
    if (size_t colon = base.find(':'); colon != std::string_view::npos && name[0] == '_' &&
                                       base.find('.') == std::string_view::npos) {
      modifier = base.substr(colon + 1);
      base = base.substr(0, colon);
    }
    std::optional<Problem> problem;
    if (base == "_count" || base == "_offset" || base == "_snapshot") {
      // Paging: not copied to the canonical form (Run adds the effective _count).
      problem = NoModifier(name, modifier);
      if (!problem) problem = base == "_count" ? Count(value) : Paging(base, value);
      return problem;
    }
    if (base == "_sort") {
      problem = NoModifier(name, modifier);
      if (!problem) problem = Sort(value);
    } else if (base == "_include" || base == "_revinclude") {
      problem = Include(base, modifier, value);
    } else if (base == "_summary") {
      problem = NoModifier(name, modifier);
      if (!problem) problem = Summary(value);
    } else if (base == "_total") {
      problem = NoModifier(name, modifier);
      if (!problem) problem = Total(value);
    } else if (base == "_elements") {
      problem = NoModifier(name, modifier);
      if (!problem) problem = Elements(value);
    } else if (base == "_contained" || base == "_containedType" || base == "_has" ||
               base == "_list" || base == "_text" || base == "_content" || base == "_query" ||
               base == "_filter" || base == "_type" || base == "_score") {
      problem = NotSupported("The search parameter " + Quote(base) + " is not supported");
    } else {
      problem = Criterion(name, value);
    }
    if (!problem) accepted_.emplace_back(name, value);
    return problem;
  }

  std::optional<Problem> NoModifier(std::string_view name, std::string_view modifier) {
    if (modifier.empty()) return std::nullopt;
    return NotSupported("The parameter " + Quote(name) + " has an unsupported modifier");
  }

  std::optional<Problem> Once(std::string_view name) {
    if (std::find(seen_.begin(), seen_.end(), name) != seen_.end()) {
      return BadValue("The parameter " + Quote(name) + " may only be given once");
    }
    seen_.emplace_back(name);
    return std::nullopt;
  }

  std::optional<Problem> Count(const std::string& value) {
    std::optional<int> count = ParseNonNegative<int>(value);
    if (!count) return BadValue("The parameter '_count' must be a non-negative integer");
    if (auto p = Once("_count")) return p;
    if (*count > options_.max_count) {
      warnings_.push_back(Issue{
          Severity::kWarning, "too-costly",
          "_count was lowered to the maximum page size " + std::to_string(options_.max_count), ""});
      *count = options_.max_count;
    }
    query_.count = *count;
    return std::nullopt;
  }

  std::optional<Problem> Paging(std::string_view name, const std::string& value) {
    if (name == "_offset") {
      std::optional<int> offset = ParseNonNegative<int>(value);
      if (!offset) return BadValue("The parameter '_offset' must be a non-negative integer");
      if (auto p = Once(name)) return p;
      query_.offset = *offset;
    } else {
      std::optional<int64_t> snapshot = ParseNonNegative<int64_t>(value);
      if (!snapshot) return BadValue("The parameter '_snapshot' must be a non-negative integer");
      if (auto p = Once(name)) return p;
      query_.snapshot = *snapshot;
    }
    return std::nullopt;
  }

  std::optional<Problem> Sort(const std::string& value) {
    std::vector<SortKey> keys;
    for (std::string_view item : SplitUnescaped(value, ',')) {
      SortKey key;
      if (!item.empty() && item[0] == '-') {
        key.descending = true;
        item.remove_prefix(1);
      }
      const SearchParamDef* def = FindSearchParam(query_.type, item);
      if (item.empty()) return BadValue("The parameter '_sort' has an empty sort key");
      if (def == nullptr) {
        return Ignorable("The parameter '_sort' names an unknown search parameter " + Quote(item));
      }
      if (!IsSortable(def->type)) {
        return Ignorable("Sorting by " + Quote(item) + " is not supported");
      }
      key.param = std::string(item);
      key.type = def->type;
      keys.push_back(std::move(key));
    }
    if (keys.empty()) return BadValue("The parameter '_sort' is empty");
    if (auto p = Once("_sort")) return p;
    query_.sort = std::move(keys);
    return std::nullopt;
  }

  std::optional<Problem> Include(std::string_view base, std::string_view modifier,
                                 const std::string& value) {
    bool rev = base == "_revinclude";
    search::Include inc;
    if (modifier == "iterate" || modifier == "recurse") {
      inc.iterate = true;
    } else if (!modifier.empty()) {
      return NotSupported("The parameter " + Quote(base) + " has an unsupported modifier");
    }
    if (value == "*") {
      if (rev || query_.type.empty()) {
        return BadValue("The parameter " + Quote(base) + " needs the form Type:param");
      }
      inc.source_type = query_.type;
      inc.param = "*";
    } else {
      std::vector<std::string_view> parts;
      size_t pos = 0;
      while (true) {
        size_t colon = value.find(':', pos);
        parts.push_back(std::string_view(value).substr(
            pos, colon == std::string::npos ? std::string::npos : colon - pos));
        if (colon == std::string::npos) break;
        pos = colon + 1;
      }
      if (parts.size() < 2 || parts.size() > 3) {
        return BadValue("The parameter " + Quote(base) + " needs the form Type:param[:Target]");
      }
      if (!IsResourceType(parts[0])) {
        return NotSupported("The parameter " + Quote(base) + " names an unknown resource type");
      }
      inc.source_type = std::string(parts[0]);
      inc.param = std::string(parts[1]);
      const SearchParamDef* def = nullptr;
      if (inc.param != "*") {
        def = FindSearchParam(inc.source_type, inc.param);
        if (def == nullptr || def->type != ParamType::kReference) {
          return NotSupported("The parameter " + Quote(base) +
                              " names an unknown reference parameter " +
                              Quote(inc.source_type + ":" + inc.param));
        }
      }
      if (parts.size() == 3) {
        inc.target_type = std::string(parts[2]);
        if (!IsResourceType(inc.target_type) ||
            (def != nullptr && std::find(def->targets.begin(), def->targets.end(),
                                         inc.target_type) == def->targets.end())) {
          return NotSupported("The parameter " + Quote(base) + " names a target type " +
                              Quote(inc.target_type) + " the reference cannot point to");
        }
      }
      if (!rev && !inc.iterate && !query_.type.empty() && inc.source_type != query_.type) {
        return BadValue("The parameter '_include' must name the searched type " + query_.type +
                        " (or use _include:iterate)");
      }
    }
    (rev ? query_.revincludes : query_.includes).push_back(std::move(inc));
    return std::nullopt;
  }

  std::optional<Problem> Summary(const std::string& value) {
    static constexpr std::pair<std::string_view, SummaryMode> kModes[] = {
        {"true", SummaryMode::kTrue},   {"text", SummaryMode::kText},
        {"data", SummaryMode::kData},   {"count", SummaryMode::kCount},
        {"false", SummaryMode::kFalse},
    };
    for (const auto& [name, mode] : kModes) {
      if (value == name) {
        if (auto p = Once("_summary")) return p;
        query_.summary = mode;
        return std::nullopt;
      }
    }
    return BadValue("The parameter '_summary' must be one of true, text, data, count, false");
  }

  std::optional<Problem> Total(const std::string& value) {
    TotalMode mode;
    if (value == "none") {
      mode = TotalMode::kNone;
    } else if (value == "estimate") {
      mode = TotalMode::kEstimate;
    } else if (value == "accurate") {
      mode = TotalMode::kAccurate;
    } else {
      return BadValue("The parameter '_total' must be one of none, estimate, accurate");
    }
    if (auto p = Once("_total")) return p;
    query_.total = mode;
    return std::nullopt;
  }

  std::optional<Problem> Elements(const std::string& value) {
    std::vector<std::string> elements;
    for (std::string_view item : SplitUnescaped(value, ',')) {
      bool ok = !item.empty() && std::isalpha(static_cast<unsigned char>(item[0]));
      for (char c : item) ok = ok && std::isalnum(static_cast<unsigned char>(c));
      if (!ok) return BadValue("The parameter '_elements' must list element names");
      elements.emplace_back(item);
    }
    if (auto p = Once("_elements")) return p;
    query_.elements = std::move(elements);
    return std::nullopt;
  }

  // ---- criteria -------------------------------------------------------------------------

  std::optional<Problem> Criterion(const std::string& name, const std::string& value) {
    search::Criterion c;
    std::vector<std::string_view> segments = SplitUnescaped(name, '.');
    if (segments.size() > kMaxChainDepth + 1) {
      return NotSupported("The parameter " + Quote(name) + " chains more than " +
                          std::to_string(kMaxChainDepth) + " references");
    }
    std::string current = query_.type;
    for (size_t i = 0; i + 1 < segments.size(); ++i) {
      std::string_view seg = segments[i];
      std::string_view type_mod;
      if (size_t colon = seg.find(':'); colon != std::string_view::npos) {
        type_mod = seg.substr(colon + 1);
        seg = seg.substr(0, colon);
      }
      const SearchParamDef* def = current.empty() ? nullptr : FindSearchParam(current, seg);
      if (def == nullptr || def->type != ParamType::kReference) {
        return NotSupported("The chained parameter " + Quote(name) + " uses " + Quote(seg) +
                            ", which is not a reference parameter of " +
                            (current.empty() ? std::string("all types") : current));
      }
      std::vector<std::string> targets = KnownTargets(*def);
      ChainStep step;
      step.param = std::string(seg);
      if (!type_mod.empty()) {
        if (std::find(targets.begin(), targets.end(), type_mod) == targets.end()) {
          return NotSupported("The chained parameter " + Quote(name) + " names a type " +
                              Quote(type_mod) + " that " + Quote(seg) + " cannot be searched on");
        }
        step.target_type = std::string(type_mod);
      } else if (targets.size() == 1) {
        step.target_type = targets[0];
      } else {
        return BadValue("The chained parameter " + Quote(name) + " is ambiguous: " + Quote(seg) +
                        " may refer to several types; use " + std::string(seg) + ":Type");
      }
      current = step.target_type;
      c.chain.push_back(std::move(step));
    }
    std::string_view last = segments.back();
    std::string_view mod;
    if (size_t colon = last.find(':'); colon != std::string_view::npos) {
      mod = last.substr(colon + 1);
      last = last.substr(0, colon);
    }
    const SearchParamDef* def = FindSearchParam(current, last);
    if (def == nullptr) {
      std::string message = "Unknown search parameter " + Quote(last) + " for " +
                            (current.empty() ? std::string("system-level search") : current);
      // Only a whole unknown parameter may be ignored; an unknown link in a chain is an error.
      return c.chain.empty() ? Ignorable(message) : NotSupported(message);
    }
    c.resource_type = current;
    c.param = std::string(last);
    c.type = def->type;
    if (!mod.empty()) {
      if (std::optional<Modifier> m = ModifierFromName(mod)) {
        c.modifier = *m;
      } else if (def->type == ParamType::kReference &&
                 std::find(def->targets.begin(), def->targets.end(), mod) != def->targets.end()) {
        c.modifier = Modifier::kType;
        c.target_type = std::string(mod);
      } else {
        return NotSupported("The modifier " + Quote(mod) + " is not supported on " + Quote(last));
      }
      if (!ModifierAllowed(def->type, c.modifier)) {
        return NotSupported("The modifier " + Quote(mod) + " is not supported on " + Quote(last));
      }
    }
    if (value.empty()) return BadValue("The parameter " + Quote(name) + " has an empty value");
    if (c.modifier == Modifier::kMissing) {
      if (value != "true" && value != "false") {
        return BadValue("The parameter " + Quote(name) + " must be true or false");
      }
      SearchValue v;
      v.raw = value;
      c.values.push_back(std::move(v));
      query_.criteria.push_back(std::move(c));
      return std::nullopt;
    }
    for (std::string_view piece : SplitUnescaped(value, ',')) {
      SearchValue v;
      if (auto p = Value(c, name, piece, v)) return p;
      c.values.push_back(std::move(v));
    }
    query_.criteria.push_back(std::move(c));
    return std::nullopt;
  }

  std::optional<Problem> Value(const search::Criterion& c, const std::string& name,
                               std::string_view piece, SearchValue& v) {
    auto bad = [&](std::string_view what) {
      return BadValue("The parameter " + Quote(name) + " has " + std::string(what));
    };
    if (piece.empty()) return bad("an empty value");
    if (c.param == "_id") {
      v.raw = Unescape(piece);
      v.code = v.raw;
      return std::nullopt;
    }
    switch (c.type) {
      case ParamType::kNumber:
      case ParamType::kDate:
      case ParamType::kQuantity: {
        v.prefix = TakePrefix(piece);
        if (c.type == ParamType::kDate) {
          v.raw = Unescape(piece);
          if (!ParseDateRange(v.raw)) return bad("an invalid date");
        } else if (c.type == ParamType::kNumber) {
          v.raw = Unescape(piece);
          if (!ParseDecimalRange(v.raw)) return bad("an invalid number");
          v.number = v.raw;
        } else {
          std::vector<std::string_view> parts = SplitUnescaped(piece, '|');
          if (parts.size() > 3) return bad("an invalid quantity (number|system|code)");
          v.raw = Unescape(piece);
          v.number = Unescape(parts[0]);
          if (!ParseDecimalRange(v.number)) return bad("an invalid quantity number");
          if (parts.size() > 1) {
            v.has_system = true;
            v.system = Unescape(parts[1]);
          }
          if (parts.size() > 2) v.code = Unescape(parts[2]);
        }
        return std::nullopt;
      }
      case ParamType::kToken: {
        v.raw = Unescape(piece);
        if (c.modifier == Modifier::kText) return std::nullopt;
        return TokenValue(piece, v) ? std::nullopt : bad("an invalid token (system|code)");
      }
      case ParamType::kReference: {
        v.raw = Unescape(piece);
        if (c.modifier == Modifier::kIdentifier) {
          return TokenValue(piece, v) ? std::nullopt : bad("an invalid identifier");
        }
        if (c.modifier == Modifier::kType) {
          ParsedReference ref = ParseReference(v.raw);
          if (!ref.url.empty() || (!ref.type.empty() && ref.type != c.target_type)) {
            return bad("a reference that does not match its type modifier");
          }
        }
        return std::nullopt;
      }
      case ParamType::kString:
      case ParamType::kUri:
        v.raw = Unescape(piece);
        return std::nullopt;
      case ParamType::kComposite:
      case ParamType::kSpecial:
        break;
    }
    return NotSupported("The parameter " + Quote(name) + " has an unsupported type");
  }

  static bool TokenValue(std::string_view piece, SearchValue& v) {
    std::vector<std::string_view> parts = SplitUnescaped(piece, '|');
    if (parts.size() == 1) {
      v.code = Unescape(parts[0]);
      return !v.code.empty();
    }
    if (parts.size() != 2) return false;
    v.has_system = true;
    v.system = Unescape(parts[0]);
    v.code = Unescape(parts[1]);
    return !v.system.empty() || !v.code.empty();
  }

  const ParseOptions& options_;
  IssueList& warnings_;
  Query query_;
  std::vector<std::pair<std::string, std::string>> accepted_;
  std::vector<std::string> seen_;
};

}  // namespace

std::vector<std::string_view> SplitUnescaped(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
    } else if (s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        (s[i + 1] == ',' || s[i + 1] == '|' || s[i + 1] == '$' || s[i + 1] == '\\')) {
      out.push_back(s[++i]);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

common::StatusOr<Query> ParseQuery(std::string_view type,
                                   const std::vector<std::pair<std::string, std::string>>& params,
                                   const ParseOptions& options, IssueList& warnings) {
  if (!type.empty() && !IsResourceType(type)) {
    return common::Error(common::Code::kNotFound, "Unknown resource type " + std::string(type));
  }
  if (params.size() > options.max_params) {
    return common::Error(common::Code::kInvalidArgument,
                         "The search has " + std::to_string(params.size()) +
                             " parameters; at most " + std::to_string(options.max_params) +
                             " are allowed in one search");
  }
  size_t values = 0;
  for (const auto& [name, value] : params) {
    values += 1 + static_cast<size_t>(std::count(value.begin(), value.end(), ','));
  }
  if (values > options.max_values) {
    return common::Error(common::Code::kInvalidArgument,
                         "The search has " + std::to_string(values) +
                             " values (comma-separated values count one each); at most " +
                             std::to_string(options.max_values) + " are allowed in one search");
  }
  Parser parser(type, options, warnings);
  return parser.Run(params);
}

}  // namespace fhir::search
