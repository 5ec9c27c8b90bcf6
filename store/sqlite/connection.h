#pragma once
// Thin RAII wrappers over the SQLite C API: a connection and a prepared statement.
// Not thread-safe: a Connection is used by one thread at a time.

#include <sqlite3.h>

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace store::sqlite {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Bind by 1-based index. Text is copied (SQLITE_TRANSIENT).
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int64_t value);
  Statement& BindNull(int index);
  // Steps once: true when a row is available, false when done; errors go to `status`.
  bool Step(common::Status* status);
  // Runs to completion (for statements returning no rows).
  common::Status Run();
  void Reset();

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string Text(int column) const;
  std::string_view TextView(int column) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Prepared statements keyed by their SQL text, for statements built at run time (searches:
// every value is bound, so the text depends only on the shape of a query). A statement is
// taken out while in use and given back afterwards, so two users never share one. Keeps at
// most `capacity`, dropping the least recently used. Not thread-safe (one per connection).
class StatementCache {
 public:
  explicit StatementCache(size_t capacity) : capacity_(capacity) {}
  ~StatementCache() { Clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The cached statement for `text` (now owned by the caller), or nullptr.
  sqlite3_stmt* Take(const std::string& text);
  // Resets `stmt`, clears its bindings and keeps it for `text` (finalizes it when one is
  // already kept for `text`).
  void Give(const std::string& text, sqlite3_stmt* stmt);
  void Clear();
  size_t size() const { return index_.size(); }

 private:
  using Entry = std::pair<std::string, sqlite3_stmt*>;
  size_t capacity_;
  std::list<Entry> lru_;  // most recently given first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

class Connection {
 public:
  static common::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only,
                                                            int busy_timeout_ms);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  sqlite3* handle() const { return db_; }
  common::Status Exec(std::string_view sql);
  common::StatusOr<Statement> Prepare(std::string_view sql);
  // A statement prepared once per connection and reset before each use. The returned
  // reference stays valid for the connection's life.
  common::StatusOr<Statement*> Cached(std::string_view sql);
  int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  // Statements built at run time (searches), bounded.
  StatementCache& dynamic_statements() { return dynamic_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
  StatementCache dynamic_{128};
};

// Maps a SQLite result code to a Status without exposing SQL or data.
common::Status SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace store::sqlite
