#include "store/sqlite/search_index.h"

#include <optional>
#include <string_view>

namespace store::sqlite {
namespace {

using fhir::search::IndexEntry;
using fhir::search::ParamType;

// Every value index ends with seq, so a criterion's set of seqs is read from the index alone.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS idx_string (
  seq INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  norm TEXT NOT NULL, exact TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_string_value ON idx_string(type, param, norm, seq);
CREATE INDEX IF NOT EXISTS idx_string_seq ON idx_string(seq, param);

CREATE TABLE IF NOT EXISTS idx_token (
  seq INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  system TEXT, code TEXT, text TEXT);
CREATE INDEX IF NOT EXISTS idx_token_value ON idx_token(type, param, code, system, seq);
CREATE INDEX IF NOT EXISTS idx_token_seq ON idx_token(seq, param);

CREATE TABLE IF NOT EXISTS idx_reference (
  seq INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  target_type TEXT, target_id TEXT, target_version TEXT, url TEXT,
  ident_system TEXT, ident_value TEXT, display TEXT);
CREATE INDEX IF NOT EXISTS idx_reference_target
  ON idx_reference(type, param, target_id, target_type, seq);
CREATE INDEX IF NOT EXISTS idx_reference_url ON idx_reference(type, param, url, seq);
CREATE INDEX IF NOT EXISTS idx_reference_seq ON idx_reference(seq, param);

CREATE TABLE IF NOT EXISTS idx_date (
  seq INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  low INTEGER NOT NULL, high INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_date_low ON idx_date(type, param, low, seq);
CREATE INDEX IF NOT EXISTS idx_date_high ON idx_date(type, param, high, seq);
CREATE INDEX IF NOT EXISTS idx_date_seq ON idx_date(seq, param);

CREATE TABLE IF NOT EXISTS idx_number (
  seq INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  vlow REAL NOT NULL, vhigh REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL);
CREATE INDEX IF NOT EXISTS idx_number_value ON idx_number(type, param, vlow, seq);
CREATE INDEX IF NOT EXISTS idx_number_seq ON idx_number(seq, param);

CREATE TABLE IF NOT EXISTS idx_quantity (
  seq INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  vlow REAL NOT NULL, vhigh REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL,
  system TEXT, code TEXT, unit TEXT);
CREATE INDEX IF NOT EXISTS idx_quantity_value ON idx_quantity(type, param, code, vlow, seq);
CREATE INDEX IF NOT EXISTS idx_quantity_seq ON idx_quantity(seq, param);

CREATE TABLE IF NOT EXISTS idx_uri (
  seq INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, uri TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_uri_value ON idx_uri(type, param, uri, seq);
CREATE INDEX IF NOT EXISTS idx_uri_seq ON idx_uri(seq, param);
)sql";

constexpr const char* kInserts[] = {
    "INSERT INTO idx_string(seq, type, param, norm, exact) VALUES (?1, ?2, ?3, ?4, ?5)",
    "INSERT INTO idx_token(seq, type, param, system, code, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "INSERT INTO idx_reference(seq, type, param, target_type, target_id, target_version, url, "
    "ident_system, ident_value, display) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    "INSERT INTO idx_date(seq, type, param, low, high) VALUES (?1, ?2, ?3, ?4, ?5)",
    "INSERT INTO idx_number(seq, type, param, vlow, vhigh, low, high) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "INSERT INTO idx_quantity(seq, type, param, vlow, vhigh, low, high, system, code, unit) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    "INSERT INTO idx_uri(seq, type, param, uri) VALUES (?1, ?2, ?3, ?4)",
};

common::Status SqliteError(sqlite3* db, std::string_view what) {
  return common::Status(common::Code::kInternal, std::string(what) + ": " + sqlite3_errmsg(db));
}

void BindText(sqlite3_stmt* stmt, int index, std::string_view s) {
  if (s.empty()) {
    sqlite3_bind_null(stmt, index);
  } else {
    sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
}

void BindText(sqlite3_stmt* stmt, int index, const std::optional<std::string>& s) {
  if (s) {
    sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(stmt, index);
  }
}

// Text for a NOT NULL column: an empty string stays an empty string.
void BindRequiredText(sqlite3_stmt* stmt, int index, std::string_view s) {
  sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

}  // namespace

common::Status CreateSearchSchema(sqlite3* db) {
  char* error = nullptr;
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    return common::Status(common::Code::kInternal,
                          "Creating the search index schema failed: " + message);
  }
  return common::Status::Ok();
}

SearchIndexWriter::~SearchIndexWriter() {
  for (sqlite3_stmt* stmt : statements_) sqlite3_finalize(stmt);
}

common::StatusOr<sqlite3_stmt*> SearchIndexWriter::Statement(Table table) {
  sqlite3_stmt*& stmt = statements_[table];
  if (stmt == nullptr) {
    if (sqlite3_prepare_v3(db_, kInserts[table], -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
        SQLITE_OK) {
      stmt = nullptr;
      return common::Error(SqliteError(db_, "Preparing a search index insert failed"));
    }
  }
  return stmt;
}

common::Status SearchIndexWriter::Write(int64_t seq, const std::string& type,
                                        const std::vector<IndexEntry>& entries) {
  for (const IndexEntry& e : entries) {
    Table table;
    switch (e.type) {
      case ParamType::kString:
        table = kString;
        break;
      case ParamType::kToken:
        table = kToken;
        break;
      case ParamType::kReference:
        table = kReference;
        break;
      case ParamType::kDate:
        table = kDate;
        break;
      case ParamType::kNumber:
        table = kNumber;
        break;
      case ParamType::kQuantity:
        table = kQuantity;
        break;
      case ParamType::kUri:
        table = kUri;
        break;
      default:
        continue;  // composite/special: never extracted
    }
    auto stmt_or = Statement(table);
    if (!stmt_or) return stmt_or.error();
    sqlite3_stmt* stmt = *stmt_or;
    sqlite3_bind_int64(stmt, 1, seq);
    BindRequiredText(stmt, 2, type);
    BindRequiredText(stmt, 3, e.param);
    switch (table) {
      case kString:
        BindRequiredText(stmt, 4, e.text);
        BindRequiredText(stmt, 5, e.exact);
        break;
      case kToken:
        BindText(stmt, 4, e.system);
        BindText(stmt, 5, e.code);
        BindText(stmt, 6, std::string_view(e.text));
        break;
      case kReference:
        BindText(stmt, 4, std::string_view(e.target_type));
        BindText(stmt, 5, std::string_view(e.target_id));
        BindText(stmt, 6, std::string_view(e.target_version));
        BindText(stmt, 7, std::string_view(e.url));
        BindText(stmt, 8, e.system);
        BindText(stmt, 9, e.code);
        BindText(stmt, 10, std::string_view(e.text));
        break;
      case kDate:
        sqlite3_bind_int64(stmt, 4, e.date_low);
        sqlite3_bind_int64(stmt, 5, e.date_high);
        break;
      case kNumber:
      case kQuantity:
        sqlite3_bind_double(stmt, 4, e.value_low);
        sqlite3_bind_double(stmt, 5, e.value_high);
        sqlite3_bind_double(stmt, 6, e.low);
        sqlite3_bind_double(stmt, 7, e.high);
        if (table == kQuantity) {
          BindText(stmt, 8, e.system);
          BindText(stmt, 9, e.code);
          BindText(stmt, 10, std::string_view(e.unit));
        }
        break;
      case kUri:
        BindRequiredText(stmt, 4, e.exact);
        break;
      case kTableCount:
        break;
    }
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE) return SqliteError(db_, "Writing the search index failed");
  }
  return common::Status::Ok();
}

common::Status SearchIndexWriter::WriteResource(int64_t seq, const fhir::json::Value& resource) {
  return Write(seq, std::string(resource.GetString("resourceType")),
               fhir::search::ExtractIndex(resource));
}

common::Status WriteSearchIndex(sqlite3* db, int64_t seq, const std::string& type,
                                const std::vector<IndexEntry>& entries) {
  SearchIndexWriter writer(db);
  return writer.Write(seq, type, entries);
}

}  // namespace store::sqlite
