#include "store/sqlite/search_sql.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

#include "common/time.h"
#include "fhir/json/writer.h"
#include "fhir/search/values.h"

namespace store::sqlite {
namespace {

using fhir::search::Criterion;
using fhir::search::Modifier;
using fhir::search::ParamType;
using fhir::search::Prefix;
using fhir::search::Query;
using fhir::search::SearchValue;
using fhir::store::ResourceVersion;
using fhir::store::SearchResult;

using Bind = std::variant<int64_t, double, std::string>;

// SQL text with its bound values, in order.
// A list of values bound as one parameter: a JSON array for json_each().
std::string JsonArray(const std::vector<std::string>& items) {
  fhir::json::Value list = fhir::json::Value::Array();
  for (const std::string& item : items) list.Append(fhir::json::Value::String(item));
  return fhir::json::Write(list);
}

// Lists longer than this go into json_each() as one bound parameter instead of one parameter
// each: a practitioner's care set can name thousands of patients, and SQLite allows at most
// 32766 parameters in a statement.
constexpr size_t kJsonListFrom = 8;

struct Sql {
  std::string text;
  std::vector<Bind> binds;

  Sql& Add(std::string_view s) {
    text += s;
    return *this;
  }
  Sql& Param(Bind b) {
    text += '?';
    binds.push_back(std::move(b));
    return *this;
  }
  Sql& Append(const Sql& other) {
    text += other.text;
    binds.insert(binds.end(), other.binds.begin(), other.binds.end());
    return *this;
  }
};

// A prepared statement taken from (and given back to) the connection's StatementCache when
// there is one; otherwise prepared here and finalized at the end.
class SearchStatement {
 public:
  SearchStatement(const SearchStatement&) = delete;
  SearchStatement& operator=(const SearchStatement&) = delete;
  SearchStatement(SearchStatement&& other) noexcept
      : db_(other.db_), stmt_(other.stmt_), cache_(other.cache_), text_(std::move(other.text_)) {
    other.stmt_ = nullptr;
  }
  ~SearchStatement() {
    if (stmt_ == nullptr) return;
    if (cache_ != nullptr) {
      cache_->Give(text_, stmt_);
    } else {
      sqlite3_finalize(stmt_);
    }
  }

  static common::StatusOr<SearchStatement> Prepare(sqlite3* db, const std::string& text,
                                                   StatementCache* cache) {
    if (cache != nullptr) {
      if (sqlite3_stmt* cached = cache->Take(text)) return SearchStatement(db, cached, cache, text);
    }
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db, text.c_str(), static_cast<int>(text.size()),
                                cache != nullptr ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return common::Error(SqliteError(db, rc, "Preparing a search statement failed"));
    }
    return SearchStatement(db, stmt, cache, cache != nullptr ? text : std::string());
  }

  // Resets the statement and binds `binds` to ?1..?N.
  common::Status BindAll(const std::vector<Bind>& binds) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    for (size_t i = 0; i < binds.size(); ++i) {
      int index = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      if (const int64_t* n = std::get_if<int64_t>(&binds[i])) {
        rc = sqlite3_bind_int64(stmt_, index, *n);
      } else if (const double* d = std::get_if<double>(&binds[i])) {
        rc = sqlite3_bind_double(stmt_, index, *d);
      } else {
        const std::string& s = std::get<std::string>(binds[i]);
        rc =
            sqlite3_bind_text(stmt_, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "Binding a search value failed");
    }
    return common::Status::Ok();
  }

  // True when a row is available.
  common::StatusOr<bool> Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return common::Error(SqliteError(db_, rc, "Running a search statement failed"));
  }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  SearchStatement(sqlite3* db, sqlite3_stmt* stmt, StatementCache* cache, std::string text)
      : db_(db), stmt_(stmt), cache_(cache), text_(std::move(text)) {}

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  StatementCache* cache_;
  std::string text_;
};

common::StatusOr<SearchStatement> PrepareAndBind(sqlite3* db, const Sql& sql,
                                                 StatementCache* cache) {
  ASSIGN_OR_RETURN(SearchStatement stmt, SearchStatement::Prepare(db, sql.text, cache));
  common::Status s = stmt.BindAll(sql.binds);
  if (!s.ok()) return common::Error(std::move(s));
  return stmt;
}

constexpr std::string_view kVersionColumns =
    "A.seq, A.type, A.id, A.version, A.last_updated, A.deleted, A.method, A.body";

ResourceVersion ReadVersion(const SearchStatement& stmt) {
  ResourceVersion v;
  v.seq = stmt.Int(0);
  v.type = stmt.Text(1);
  v.id = stmt.Text(2);
  v.version = stmt.Int(3);
  v.last_updated = common::FromMicros(stmt.Int(4));
  v.deleted = stmt.Int(5) != 0;
  v.method = stmt.Text(6);
  v.body = stmt.Text(7);
  return v;
}

// Which versions count: live now, or live at a snapshot seq.
struct Live {
  bool current = true;
  int64_t snapshot = 0;
};

void AppendLive(Sql& sql, const std::string& a, const Live& live) {
  if (live.current) {
    sql.Add(a + ".ended_seq IS NULL AND " + a + ".deleted = 0");
    return;
  }
  sql.Add(a + ".seq <= ").Param(live.snapshot);
  sql.Add(" AND (" + a + ".ended_seq IS NULL OR " + a + ".ended_seq > ").Param(live.snapshot);
  sql.Add(") AND " + a + ".deleted = 0");
}

std::string_view TableFor(ParamType type) {
  switch (type) {
    case ParamType::kString:
      return "idx_string";
    case ParamType::kToken:
      return "idx_token";
    case ParamType::kReference:
      return "idx_reference";
    case ParamType::kDate:
      return "idx_date";
    case ParamType::kNumber:
      return "idx_number";
    case ParamType::kQuantity:
      return "idx_quantity";
    case ParamType::kUri:
      return "idx_uri";
    case ParamType::kComposite:
    case ParamType::kSpecial:
      break;
  }
  return {};
}

// Upper bound for "starts with `prefix`" on binary-collated UTF-8 text.
std::string PrefixEnd(const std::string& prefix) { return prefix + "\xff"; }

common::Status BadCriterion(const Criterion& c, std::string_view what) {
  return common::Status(common::Code::kInvalidArgument,
                        "The search parameter '" + c.param + "' has " + std::string(what));
}

// How a positive index criterion is written: as the set of matching seqs ("A.seq IN (SELECT
// seq FROM idx_... WHERE type, param, value)"), which can drive the query, or as a probe of
// one candidate ("EXISTS (SELECT 1 FROM idx_... WHERE seq = A.seq AND param AND value)").
enum class Form { kSeqSet, kProbe };

// Translates criteria to SQL conditions on a resource_versions alias.
class CriteriaBuilder {
 public:
  explicit CriteriaBuilder(Live live) : live_(live), now_(common::ToMicros(common::SystemNow())) {}

  common::Status Append(Sql& sql, const Criterion& c, const std::string& alias,
                        const std::string& type, Form form) {
    if (c.chain.empty()) return AppendBase(sql, c, alias, type, form);
    return AppendChain(sql, c, 0, alias, type);
  }

  // "SELECT 1 FROM idx_... WHERE type, param, value LIMIT 1 OFFSET threshold": has a row
  // exactly when more than `threshold` index rows (of any version) match `c`. Index-only; reads
  // at most threshold + 1 rows.
  common::Status AppendMoreThan(Sql& sql, const Criterion& c, const std::string& type,
                                int64_t threshold) {
    std::string_view table = TableFor(c.type);
    if (table.empty() || c.values.empty()) return BadCriterion(c, "an unsupported type");
    std::string i = NewAlias('i');
    sql.Add("SELECT 1 FROM " + std::string(table) + " " + i + " WHERE ");
    if (!type.empty()) sql.Add(i + ".type = ").Param(type).Add(" AND ");
    sql.Add(i + ".param = ").Param(c.param).Add(" AND (");
    RETURN_IF_ERROR(AppendValues(sql, c, i));
    sql.Add(") LIMIT 1 OFFSET ").Param(threshold);
    return common::Status::Ok();
  }

 private:
  std::string NewAlias(char prefix) { return prefix + std::to_string(++aliases_); }

  common::Status AppendChain(Sql& sql, const Criterion& c, size_t step, const std::string& alias,
                             const std::string& type) {
    const fhir::search::ChainStep& link = c.chain[step];
    std::string r = NewAlias('r');
    std::string t = NewAlias('t');
    sql.Add(alias + ".seq IN (SELECT " + r + ".seq FROM idx_reference " + r + " WHERE ");
    if (!type.empty()) sql.Add(r + ".type = ").Param(type).Add(" AND ");
    sql.Add(r + ".param = ").Param(link.param);
    sql.Add(" AND " + r + ".target_type = ").Param(link.target_type);
    sql.Add(" AND " + r + ".target_id IN (SELECT " + t + ".id FROM resource_versions " + t +
            " WHERE " + t + ".type = ")
        .Param(link.target_type)
        .Add(" AND ");
    AppendLive(sql, t, live_);
    sql.Add(" AND (");
    common::Status s = step + 1 < c.chain.size()
                           ? AppendChain(sql, c, step + 1, t, link.target_type)
                           : AppendBase(sql, c, t, link.target_type, Form::kSeqSet);
    if (!s.ok()) return s;
    sql.Add(")))");
    return common::Status::Ok();
  }

  common::Status AppendBase(Sql& sql, const Criterion& c, const std::string& a,
                            const std::string& type, Form form) {
    if (c.values.empty()) return BadCriterion(c, "no value");
    bool id = c.param == "_id";
    bool last_updated = c.param == "_lastUpdated";
    if (c.modifier == Modifier::kMissing) {
      bool missing = c.values[0].raw == "true";
      if (id || last_updated) {  // always present
        sql.Add(missing ? "0" : "1");
        return common::Status::Ok();
      }
      std::string i = NewAlias('i');
      sql.Add(missing ? "NOT EXISTS" : "EXISTS");
      sql.Add(" (SELECT 1 FROM " + std::string(TableFor(c.type)) + " " + i + " WHERE " + i +
              ".seq = " + a + ".seq AND " + i + ".param = ")
          .Param(c.param)
          .Add(")");
      return common::Status::Ok();
    }
    if (id) {
      sql.Add(a + (c.modifier == Modifier::kNot ? ".id NOT IN (" : ".id IN ("));
      if (c.values.size() >= kJsonListFrom) {
        std::vector<std::string> ids;
        for (const SearchValue& v : c.values) ids.push_back(v.code.empty() ? v.raw : v.code);
        sql.Add("SELECT value FROM json_each(").Param(JsonArray(ids)).Add("))");
        return common::Status::Ok();
      }
      for (size_t k = 0; k < c.values.size(); ++k) {
        if (k > 0) sql.Add(", ");
        sql.Param(c.values[k].code.empty() ? c.values[k].raw : c.values[k].code);
      }
      sql.Add(")");
      return common::Status::Ok();
    }
    if (last_updated) {
      return AppendOr(sql, c.values.size(), [&](Sql& out, size_t k) {
        return AppendDate(out, c, c.values[k], a + ".last_updated", a + ".last_updated");
      });
    }
    std::string_view table = TableFor(c.type);
    if (table.empty()) return BadCriterion(c, "an unsupported type");
    std::string i = NewAlias('i');
    if (c.modifier == Modifier::kNot || form == Form::kProbe) {
      sql.Add(c.modifier == Modifier::kNot ? "NOT EXISTS" : "EXISTS");
      sql.Add(" (SELECT 1 FROM " + std::string(table) + " " + i + " WHERE " + i + ".seq = " + a +
              ".seq AND " + i + ".param = ")
          .Param(c.param);
    } else {
      sql.Add(a + ".seq IN (SELECT " + i + ".seq FROM " + std::string(table) + " " + i + " WHERE ");
      if (!type.empty()) sql.Add(i + ".type = ").Param(type).Add(" AND ");
      sql.Add(i + ".param = ").Param(c.param);
    }
    sql.Add(" AND (");
    RETURN_IF_ERROR(AppendValues(sql, c, i));
    sql.Add("))");
    return common::Status::Ok();
  }

  // `n` terms OR'ed as a balanced tree, "((t0) OR (t1)) OR ((t2) OR (t3))": the expression
  // depth grows with log2(n), not n (SQLite refuses expressions deeper than 1000).
  template <typename AppendTerm>
  static common::Status AppendOr(Sql& sql, size_t n, const AppendTerm& term) {
    return AppendOrRange(sql, 0, n, term);
  }
  template <typename AppendTerm>
  static common::Status AppendOrRange(Sql& sql, size_t lo, size_t hi, const AppendTerm& term) {
    if (hi - lo == 1) {
      sql.Add("(");
      RETURN_IF_ERROR(term(sql, lo));
      sql.Add(")");
      return common::Status::Ok();
    }
    size_t mid = lo + (hi - lo) / 2;
    sql.Add("(");
    RETURN_IF_ERROR(AppendOrRange(sql, lo, mid, term));
    sql.Add(" OR ");
    RETURN_IF_ERROR(AppendOrRange(sql, mid, hi, term));
    sql.Add(")");
    return common::Status::Ok();
  }

  // The criterion's values on index alias `i`, OR'ed. Long lists of plain references
  // ("Type/id") become one json_each() list per target type (kJsonListFrom).
  common::Status AppendValues(Sql& sql, const Criterion& c, const std::string& i) {
    if (c.values.empty()) return BadCriterion(c, "no value");
    std::map<std::string, std::vector<std::string>> plain;  // target type -> ids
    std::vector<const SearchValue*> others;
    if (c.type == ParamType::kReference && c.modifier == Modifier::kNone &&
        c.values.size() >= kJsonListFrom) {
      for (const SearchValue& v : c.values) {
        fhir::search::ParsedReference ref = fhir::search::ParseReference(v.raw);
        if (ref.url.empty() && !ref.type.empty() && !ref.id.empty() && ref.version.empty()) {
          plain[ref.type].push_back(ref.id);
        } else {
          others.push_back(&v);
        }
      }
    } else {
      for (const SearchValue& v : c.values) others.push_back(&v);
    }
    std::vector<std::pair<const std::string*, const std::vector<std::string>*>> lists;
    for (const auto& [type, ids] : plain) lists.emplace_back(&type, &ids);
    return AppendOr(sql, lists.size() + others.size(), [&](Sql& out, size_t k) {
      if (k < lists.size()) {
        out.Add(i + ".target_type = ").Param(*lists[k].first);
        out.Add(" AND " + i + ".target_id IN (SELECT value FROM json_each(")
            .Param(JsonArray(*lists[k].second))
            .Add("))");
        return common::Status::Ok();
      }
      return AppendValue(out, c, *others[k - lists.size()], i);
    });
  }

  common::Status AppendValue(Sql& sql, const Criterion& c, const SearchValue& v,
                             const std::string& i) {
    switch (c.type) {
      case ParamType::kString: {
        if (c.modifier == Modifier::kExact) {
          sql.Add(i + ".exact = ").Param(v.raw);
        } else if (c.modifier == Modifier::kContains) {
          sql.Add("instr(" + i + ".norm, ").Param(fhir::search::NormalizeString(v.raw));
          sql.Add(") > 0");
        } else {
          std::string p = fhir::search::NormalizeString(v.raw);
          sql.Add(i + ".norm >= ").Param(p).Add(" AND " + i + ".norm < ").Param(PrefixEnd(p));
        }
        return common::Status::Ok();
      }
      case ParamType::kToken:
        if (c.modifier == Modifier::kText) {
          std::string p = fhir::search::NormalizeString(v.raw);
          sql.Add("(" + i + ".text >= ").Param(p).Add(" AND " + i + ".text < ").Param(PrefixEnd(p));
          sql.Add(") OR instr(" + i + ".text, ").Param(" " + p).Add(") > 0");
          return common::Status::Ok();
        }
        AppendToken(sql, i + ".system", i + ".code", v);
        return common::Status::Ok();
      case ParamType::kReference:
        return AppendReference(sql, c, v, i);
      case ParamType::kDate:
        return AppendDate(sql, c, v, i + ".low", i + ".high");
      case ParamType::kNumber:
      case ParamType::kQuantity:
        return AppendNumber(sql, c, v, i);
      case ParamType::kUri:
        if (c.modifier == Modifier::kBelow) {
          sql.Add(i + ".uri >= ").Param(v.raw).Add(" AND " + i + ".uri < ").Param(PrefixEnd(v.raw));
        } else if (c.modifier == Modifier::kAbove) {
          sql.Add("substr(").Param(v.raw).Add(", 1, length(" + i + ".uri)) = " + i + ".uri");
        } else if (c.modifier == Modifier::kContains) {
          sql.Add("instr(" + i + ".uri, ").Param(v.raw).Add(") > 0");
        } else {
          sql.Add(i + ".uri = ").Param(v.raw);
        }
        return common::Status::Ok();
      case ParamType::kComposite:
      case ParamType::kSpecial:
        break;
    }
    return BadCriterion(c, "an unsupported type");
  }

  static void AppendToken(Sql& sql, const std::string& system, const std::string& code,
                          const SearchValue& v) {
    if (!v.has_system) {
      sql.Add(code + " = ").Param(v.code);
    } else if (v.system.empty()) {
      sql.Add(code + " = ").Param(v.code).Add(" AND " + system + " IS NULL");
    } else if (v.code.empty()) {
      sql.Add(system + " = ").Param(v.system);
    } else {
      sql.Add(code + " = ").Param(v.code).Add(" AND " + system + " = ").Param(v.system);
    }
  }

  common::Status AppendReference(Sql& sql, const Criterion& c, const SearchValue& v,
                                 const std::string& i) {
    if (c.modifier == Modifier::kIdentifier) {
      AppendToken(sql, i + ".ident_system", i + ".ident_value", v);
      return common::Status::Ok();
    }
    fhir::search::ParsedReference ref = fhir::search::ParseReference(v.raw);
    if (c.modifier == Modifier::kType) {
      std::string id = ref.id.empty() ? v.raw : ref.id;
      if (!ref.url.empty() || (!ref.type.empty() && ref.type != c.target_type) ||
          id.find('/') != std::string::npos) {
        sql.Add("0");
        return common::Status::Ok();
      }
      sql.Add(i + ".target_type = ").Param(c.target_type);
      sql.Add(" AND " + i + ".target_id = ").Param(id);
      if (!ref.version.empty()) sql.Add(" AND " + i + ".target_version = ").Param(ref.version);
      return common::Status::Ok();
    }
    if (!ref.url.empty()) {
      sql.Add(i + ".url = ").Param(ref.url);
      if (!ref.version.empty()) sql.Add(" AND " + i + ".target_version = ").Param(ref.version);
    } else if (!ref.id.empty()) {
      sql.Add(i + ".target_type = ").Param(ref.type);
      sql.Add(" AND " + i + ".target_id = ").Param(ref.id);
      if (!ref.version.empty()) sql.Add(" AND " + i + ".target_version = ").Param(ref.version);
    } else if (v.raw.find('/') == std::string::npos && !v.raw.empty() && v.raw[0] != '#') {
      sql.Add(i + ".target_id = ").Param(v.raw);
    } else {
      sql.Add("0");
    }
    return common::Status::Ok();
  }

  common::Status AppendDate(Sql& sql, const Criterion& c, const SearchValue& v,
                            const std::string& lo, const std::string& hi) {
    std::optional<fhir::search::DateRange> r = fhir::search::ParseDateRange(v.raw);
    if (!r) return BadCriterion(c, "an invalid date");
    int64_t sl = r->low, sh = r->high;
    switch (v.prefix) {
      case Prefix::kEq:
        sql.Add(lo + " >= ").Param(sl).Add(" AND " + hi + " <= ").Param(sh);
        break;
      case Prefix::kNe:
        sql.Add("(" + lo + " < ").Param(sl).Add(" OR " + hi + " > ").Param(sh).Add(")");
        break;
      case Prefix::kGt:
        sql.Add(hi + " > ").Param(sh);
        break;
      case Prefix::kLt:
        sql.Add(lo + " < ").Param(sl);
        break;
      case Prefix::kGe:
        sql.Add(hi + " >= ").Param(sl);
        break;
      case Prefix::kLe:
        sql.Add(lo + " <= ").Param(sh);
        break;
      case Prefix::kSa:
        sql.Add(lo + " > ").Param(sh);
        break;
      case Prefix::kEb:
        sql.Add(hi + " < ").Param(sl);
        break;
      case Prefix::kAp: {
        int64_t mid = sl / 2 + sh / 2;
        int64_t widen = (now_ > mid ? now_ - mid : mid - now_) / 10;
        sql.Add(lo + " <= ").Param(sh + widen).Add(" AND " + hi + " >= ").Param(sl - widen);
        break;
      }
    }
    return common::Status::Ok();
  }

  common::Status AppendNumber(Sql& sql, const Criterion& c, const SearchValue& v,
                              const std::string& i) {
    const std::string& text = v.number.empty() ? v.raw : v.number;
    std::optional<fhir::search::DecimalRange> r = fhir::search::ParseDecimalRange(text);
    if (!r) return BadCriterion(c, "an invalid number");
    double sv = r->value;
    const std::string vlow = i + ".vlow", vhigh = i + ".vhigh";
    switch (v.prefix) {
      case Prefix::kEq:
        sql.Add(i + ".low >= ").Param(r->low).Add(" AND " + i + ".high <= ").Param(r->high);
        break;
      case Prefix::kNe:
        sql.Add("(" + i + ".low < ").Param(r->low).Add(" OR " + i + ".high > ").Param(r->high);
        sql.Add(")");
        break;
      case Prefix::kGt:
        sql.Add(vhigh + " > ").Param(sv);
        break;
      case Prefix::kLt:
        sql.Add(vlow + " < ").Param(sv);
        break;
      case Prefix::kGe:
        sql.Add(vhigh + " >= ").Param(sv);
        break;
      case Prefix::kLe:
        sql.Add(vlow + " <= ").Param(sv);
        break;
      case Prefix::kSa:
        sql.Add(vlow + " > ").Param(sv);
        break;
      case Prefix::kEb:
        sql.Add(vhigh + " < ").Param(sv);
        break;
      case Prefix::kAp: {
        double widen = std::max(std::fabs(sv) * 0.1, r->high - sv);
        sql.Add(vlow + " <= ").Param(sv + widen).Add(" AND " + vhigh + " >= ").Param(sv - widen);
        break;
      }
    }
    if (c.type == ParamType::kQuantity) {
      if (!v.code.empty()) {
        if (!v.system.empty()) {
          sql.Add(" AND " + i + ".system = ").Param(v.system);
          sql.Add(" AND " + i + ".code = ").Param(v.code);
        } else {
          sql.Add(" AND (" + i + ".code = ").Param(v.code);
          sql.Add(" OR " + i + ".unit = ").Param(v.code).Add(")");
        }
      } else if (!v.system.empty()) {
        sql.Add(" AND " + i + ".system = ").Param(v.system);
      }
    }
    return common::Status::Ok();
  }

  Live live_;
  int64_t now_;
  int aliases_ = 0;
};

// True for a criterion that can be written as a set of seqs from one index table.
bool IsIndexCriterion(const Criterion& c) {
  return c.chain.empty() && c.param != "_id" && c.param != "_lastUpdated" &&
         c.modifier != Modifier::kMissing && c.modifier != Modifier::kNot;
}

// A criterion matching at most this many index rows is selective enough to drive a query;
// with several, one within kVerySelective is preferred.
constexpr int64_t kDriverLimit = 1000;
constexpr int64_t kVerySelective = 50;
// Without _total, the total is given when counting it takes at most this many matches.
constexpr int64_t kAutoTotalLimit = 1000;

// True when more than `threshold` index rows match `c` (see AppendMoreThan).
common::StatusOr<bool> MoreThan(sqlite3* db, StatementCache* cache, const Query& query,
                                CriteriaBuilder& builder, const Criterion& c, int64_t threshold) {
  Sql probe;
  RETURN_IF_ERROR(builder.AppendMoreThan(probe, c, query.type, threshold));
  ASSIGN_OR_RETURN(SearchStatement stmt, PrepareAndBind(db, probe, cache));
  return stmt.Step();
}

// Which criterion drives the query (its matching seqs are walked in order, each probed in
// resource_versions), or -1 to drive by the (type, seq) index and probe every criterion per
// candidate. A selective criterion as the driver keeps a needle search cheap; scanning in seq
// order keeps an unselective one cheap, since the page's LIMIT stops the scan early instead of
// materializing every match. Chained criteria always drive (they are sets already, and usually
// small); an _id criterion (-2) leaves the driving to the (type, id) index.
common::StatusOr<int> ChooseDriver(sqlite3* db, StatementCache* cache, const Query& query,
                                   CriteriaBuilder& builder) {
  std::vector<int> candidates;
  for (size_t k = 0; k < query.criteria.size(); ++k) {
    const Criterion& c = query.criteria[k];
    if (c.param == "_id" && c.chain.empty() && c.modifier == Modifier::kNone) return -2;
    if (!c.chain.empty()) return static_cast<int>(k);
    if (IsIndexCriterion(c)) candidates.push_back(static_cast<int>(k));
  }
  if (candidates.size() > 1) {
    for (int k : candidates) {
      ASSIGN_OR_RETURN(bool more,
                       MoreThan(db, cache, query, builder, query.criteria[k], kVerySelective));
      if (!more) return k;
    }
  }
  for (int k : candidates) {
    ASSIGN_OR_RETURN(bool more,
                     MoreThan(db, cache, query, builder, query.criteria[k], kDriverLimit));
    if (!more) return k;
  }
  return -1;
}

// " WHERE ..." for the resources of `query` (type, liveness, criteria) on alias A. `driver` as
// returned by ChooseDriver: that criterion is written as a seq set and "+A.type" keeps SQLite
// from driving by the (type, seq) index instead; -2 (an _id criterion) and -1 leave the type
// index in play. Every other index criterion is a per-candidate probe.
common::StatusOr<Sql> BuildWhere(const Query& query, const Live& live, CriteriaBuilder& builder,
                                 int driver) {
  Sql where;
  where.Add(" WHERE ");
  if (!query.type.empty()) {
    where.Add(driver >= 0 ? "+A.type = " : "A.type = ").Param(query.type).Add(" AND ");
  }
  AppendLive(where, "A", live);
  for (size_t k = 0; k < query.criteria.size(); ++k) {
    const Criterion& c = query.criteria[k];
    where.Add(" AND (");
    Form form = static_cast<int>(k) == driver ? Form::kSeqSet : Form::kProbe;
    common::Status s = builder.Append(where, c, "A", query.type, form);
    if (!s.ok()) return common::Error(std::move(s));
    where.Add(")");
  }
  return where;
}

// The per-resource sort value of `key` ("s<n>" in the select list).
void AppendSortValue(Sql& sql, const fhir::search::SortKey& key) {
  if (key.param == "_id") {
    sql.Add("A.id");
    return;
  }
  if (key.param == "_lastUpdated") {
    sql.Add("A.last_updated");
    return;
  }
  std::string_view agg = key.descending ? "max" : "min";
  std::string column;
  switch (key.type) {
    case ParamType::kString:
      column = "norm";
      break;
    case ParamType::kToken:
      column = "code";
      break;
    case ParamType::kReference:
      column = "coalesce(target_type || '/' || target_id, url, ident_value)";
      break;
    case ParamType::kDate:
      column = key.descending ? "high" : "low";
      break;
    case ParamType::kNumber:
    case ParamType::kQuantity:
      column = key.descending ? "vhigh" : "vlow";
      break;
    case ParamType::kUri:
      column = "uri";
      break;
    case ParamType::kComposite:
    case ParamType::kSpecial:
      sql.Add("NULL");
      return;
  }
  sql.Add("(SELECT " + std::string(agg) + "(" + column + ") FROM " +
          std::string(TableFor(key.type)) + " WHERE seq = A.seq AND param = ")
      .Param(key.param)
      .Add(")");
}

using Key = std::pair<std::string, std::string>;  // (type, id)

// _include / _revinclude for the page.
class Includer {
 public:
  Includer(sqlite3* db, StatementCache* statements, const Query& query, const Live& live,
           SearchResult& result)
      : db_(db), statements_(statements), query_(query), live_(live), result_(result) {
    for (const ResourceVersion& m : result.matches) {
      seen_.insert({m.type, m.id});
      bytes_ += m.body.size();
    }
  }

  common::Status Run() {
    std::vector<ResourceVersion> level = result_.matches;
    // Level 0 applies every _include/_revinclude to the page; later levels apply the :iterate
    // ones to what the previous level added, until nothing new comes (or the bounds).
    for (int depth = 0; depth < kMaxIncludeDepth && !level.empty(); ++depth) {
      std::vector<ResourceVersion> added;
      for (const fhir::search::Include& inc : query_.includes) {
        if (depth > 0 && !inc.iterate) continue;
        for (const ResourceVersion& source : level) {
          if (source.type != inc.source_type) continue;
          common::Status s = Include(source, inc, added);
          if (!s.ok()) return s;
        }
      }
      for (const fhir::search::Include& inc : query_.revincludes) {
        if (depth > 0 && !inc.iterate) continue;
        for (const ResourceVersion& target : level) {
          if (!inc.target_type.empty() && target.type != inc.target_type) continue;
          common::Status s = RevInclude(target, inc, added);
          if (!s.ok()) return s;
        }
      }
      result_.included.insert(result_.included.end(), added.begin(), added.end());
      level = std::move(added);
    }
    result_.included_truncated = truncated_;
    return common::Status::Ok();
  }

 private:
  bool Full() const {
    return added_ >= kMaxIncluded || (query_.max_page_bytes > 0 && bytes_ >= query_.max_page_bytes);
  }

  common::StatusOr<SearchStatement*> Cached(const std::string& text) {
    auto it = cache_.find(text);
    if (it == cache_.end()) {
      ASSIGN_OR_RETURN(SearchStatement stmt, SearchStatement::Prepare(db_, text, statements_));
      it = cache_.emplace(text, std::move(stmt)).first;
    }
    return &it->second;
  }

  common::Status Add(const Sql& sql, std::vector<ResourceVersion>& added) {
    auto stmt_or = Cached(sql.text);
    if (!stmt_or) return stmt_or.error();
    SearchStatement* stmt = *stmt_or;
    common::Status s = stmt->BindAll(sql.binds);
    if (!s.ok()) return s;
    while (true) {
      if (Full()) {
        truncated_ = true;
        break;
      }
      auto row = stmt->Step();
      if (!row) return row.error();
      if (!*row) break;
      ResourceVersion v = ReadVersion(*stmt);
      if (v.deleted || !seen_.insert({v.type, v.id}).second) continue;
      bytes_ += v.body.size();
      added.push_back(std::move(v));
      ++added_;
    }
    return common::Status::Ok();
  }

  common::Status Include(const ResourceVersion& source, const fhir::search::Include& inc,
                         std::vector<ResourceVersion>& added) {
    if (Full()) {
      truncated_ = true;
      return common::Status::Ok();
    }
    Sql targets;
    targets.Add("SELECT DISTINCT target_type, target_id FROM idx_reference WHERE seq = ")
        .Param(source.seq)
        .Add(" AND target_id IS NOT NULL AND target_type IS NOT NULL");
    if (inc.param != "*") targets.Add(" AND param = ").Param(inc.param);
    if (!inc.target_type.empty()) targets.Add(" AND target_type = ").Param(inc.target_type);
    targets.Add(" ORDER BY target_type, target_id");
    std::vector<Key> keys;
    {
      auto stmt_or = Cached(targets.text);
      if (!stmt_or) return stmt_or.error();
      SearchStatement* stmt = *stmt_or;
      common::Status s = stmt->BindAll(targets.binds);
      if (!s.ok()) return s;
      while (true) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        keys.emplace_back(stmt->Text(0), stmt->Text(1));
      }
    }
    for (const Key& key : keys) {
      if (seen_.count(key) > 0) continue;
      Sql fetch;
      fetch.Add("SELECT " + std::string(kVersionColumns) + " FROM resource_versions A WHERE ");
      fetch.Add("A.type = ").Param(key.first).Add(" AND A.id = ").Param(key.second).Add(" AND ");
      AppendLive(fetch, "A", live_);
      common::Status s = Add(fetch, added);
      if (!s.ok()) return s;
    }
    return common::Status::Ok();
  }

  common::Status RevInclude(const ResourceVersion& target, const fhir::search::Include& inc,
                            std::vector<ResourceVersion>& added) {
    if (Full()) {
      truncated_ = true;
      return common::Status::Ok();
    }
    Sql sql;
    sql.Add("SELECT " + std::string(kVersionColumns) + " FROM resource_versions A WHERE ");
    sql.Add("A.type = ").Param(inc.source_type).Add(" AND ");
    AppendLive(sql, "A", live_);
    sql.Add(" AND A.seq IN (SELECT i.seq FROM idx_reference i WHERE i.type = ")
        .Param(inc.source_type);
    if (inc.param != "*") sql.Add(" AND i.param = ").Param(inc.param);
    sql.Add(" AND i.target_id = ").Param(target.id);
    sql.Add(" AND i.target_type = ").Param(target.type).Add(") ORDER BY A.seq");
    return Add(sql, added);
  }

  sqlite3* db_;
  StatementCache* statements_;
  const Query& query_;
  Live live_;
  SearchResult& result_;
  std::set<Key> seen_;
  size_t bytes_ = 0;        // bodies of the page and of what was included so far
  bool truncated_ = false;  // stopped at a bound with more to include
  size_t added_ = 0;        // resources included so far, over all levels
  std::map<std::string, SearchStatement> cache_;
};

}  // namespace

common::StatusOr<SearchResult> ExecuteSearch(sqlite3* db, const Query& query,
                                             StatementCache* cache) {
  SearchResult result;
  Live live;
  if (query.snapshot == 0) {
    ASSIGN_OR_RETURN(
        SearchStatement max_seq,
        SearchStatement::Prepare(db, "SELECT coalesce(max(seq), 0) FROM resource_versions", cache));
    ASSIGN_OR_RETURN(bool row, max_seq.Step());
    result.snapshot = row ? max_seq.Int(0) : 0;
    live.current = true;  // equivalent to the snapshot condition inside this transaction
  } else {
    result.snapshot = query.snapshot;
    live.current = false;
    live.snapshot = query.snapshot;
  }

  CriteriaBuilder builder(live);
  ASSIGN_OR_RETURN(int driver, ChooseDriver(db, cache, query, builder));
  ASSIGN_OR_RETURN(Sql where, BuildWhere(query, live, builder, driver));

  const bool count_only = query.summary == fhir::search::SummaryMode::kCount;
  const int64_t count = std::max(query.count, 0);
  const int64_t offset = std::max(query.offset, 0);
  if (count_only) {
    Sql total;
    total.Add("SELECT count(*) FROM resource_versions A").Append(where);
    ASSIGN_OR_RETURN(SearchStatement stmt, PrepareAndBind(db, total, cache));
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    result.total = row ? stmt.Int(0) : 0;
  } else {
    // Phase 1: the ordered seqs of the matches (no bodies), as many as the page and the total
    // need: the page alone (no total), every match (an exact total), or up to the bound.
    const bool exact = query.total == fhir::search::TotalMode::kAccurate ||
                       query.total == fhir::search::TotalMode::kEstimate;
    // Without _total, the total is counted only when a selective criterion drives the query
    // (so at most ~kDriverLimit matches): counting a haystack would cost every page a pass
    // over a thousand candidates.
    const bool automatic = query.total == fhir::search::TotalMode::kAuto;
    bool bounded = automatic && driver != -1;
    if (automatic && driver == -1 && query.criteria.empty() && !query.type.empty()) {
      // No criteria: cheap when the type has at most ~1000 current resources (index-only).
      Sql probe;
      probe.Add("SELECT 1 FROM resource_versions INDEXED BY rv_current WHERE type = ")
          .Param(query.type);
      probe.Add(" AND ended_seq IS NULL LIMIT 1 OFFSET ").Param(kAutoTotalLimit);
      ASSIGN_OR_RETURN(SearchStatement stmt, PrepareAndBind(db, probe, cache));
      ASSIGN_OR_RETURN(bool more, stmt.Step());
      bounded = !more;
    }
    int64_t limit = count;
    int64_t skip = offset;
    if (exact) {
      limit = -1;
      skip = 0;
    } else if (bounded) {
      limit = std::max(offset + count, kAutoTotalLimit + 1);
      skip = 0;
    }
    Sql select;
    select.Add("SELECT A.seq");
    for (size_t k = 0; k < query.sort.size(); ++k) {
      select.Add(", ");
      AppendSortValue(select, query.sort[k]);
      select.Add(" AS s" + std::to_string(k));
    }
    select.Add(" FROM resource_versions A").Append(where).Add(" ORDER BY ");
    for (size_t k = 0; k < query.sort.size(); ++k) {
      std::string s = "s" + std::to_string(k);
      select.Add(s + (query.sort[k].descending ? " DESC NULLS LAST, " : " ASC NULLS LAST, "));
    }
    select.Add("A.seq LIMIT ").Param(limit).Add(" OFFSET ").Param(skip);
    std::vector<int64_t> seqs;
    {
      ASSIGN_OR_RETURN(SearchStatement stmt, PrepareAndBind(db, select, cache));
      while (true) {
        ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        seqs.push_back(stmt.Int(0));
      }
    }
    size_t first = 0;
    if (exact || bounded) {
      int64_t n = static_cast<int64_t>(seqs.size());
      if (exact || n <= kAutoTotalLimit) result.total = n;
      first = static_cast<size_t>(std::min(offset, n));
    } else if (automatic && offset == 0 && static_cast<int64_t>(seqs.size()) < count) {
      result.total = static_cast<int64_t>(seqs.size());  // the first page holds them all
    }
    size_t last = std::min(seqs.size(), first + static_cast<size_t>(count));
    // Phase 2: the page's versions by seq.
    if (first < last) {
      Sql fetch;
      fetch
          .Add("SELECT " + std::string(kVersionColumns) +
               " FROM resource_versions A WHERE A.seq = ")
          .Param(int64_t{0});
      ASSIGN_OR_RETURN(SearchStatement stmt, PrepareAndBind(db, fetch, cache));
      size_t bytes = 0;
      for (size_t k = first; k < last; ++k) {
        if (query.max_page_bytes > 0 && bytes >= query.max_page_bytes) {
          result.truncated = true;  // the next page starts at this match
          break;
        }
        RETURN_IF_ERROR(stmt.BindAll({seqs[k]}));
        ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) {
          result.matches.push_back(ReadVersion(stmt));
          bytes += result.matches.back().body.size();
        }
      }
    }
  }

  if (!result.matches.empty() && (!query.includes.empty() || !query.revincludes.empty())) {
    Includer includer(db, cache, query, live, result);
    common::Status s = includer.Run();
    if (!s.ok()) return common::Error(std::move(s));
  }
  return result;
}

common::StatusOr<std::vector<std::string>> MatchIds(sqlite3* db, const Query& query,
                                                    StatementCache* cache) {
  if (query.type.empty()) {
    return common::Error(common::Code::kInvalidArgument,
                         "A conditional operation needs a resource type");
  }
  Live live;  // live now, including this connection's uncommitted writes
  CriteriaBuilder builder(live);
  ASSIGN_OR_RETURN(int driver, ChooseDriver(db, cache, query, builder));
  ASSIGN_OR_RETURN(Sql where, BuildWhere(query, live, builder, driver));
  Sql select;
  select.Add("SELECT A.id FROM resource_versions A").Append(where).Add(" ORDER BY A.seq");
  ASSIGN_OR_RETURN(SearchStatement stmt, PrepareAndBind(db, select, cache));
  std::vector<std::string> ids;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ids.push_back(stmt.Text(0));
  }
  return ids;
}

}  // namespace store::sqlite
