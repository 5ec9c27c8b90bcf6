#include "store/sqlite/connection.h"

namespace store::sqlite {

common::Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += sqlite3_errstr(rc);
  if (db != nullptr) {
    msg += " (";
    msg += sqlite3_errmsg(db);
    msg += ")";
  }
  common::Code code = common::Code::kInternal;
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = common::Code::kUnavailable;
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR) code = common::Code::kUnavailable;
  return common::Status(code, msg);
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::Step(common::Status* status) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) *status = SqliteError(db_, rc, "database step failed");
  return false;
}

common::Status Statement::Run() {
  common::Status status;
  while (Step(&status)) {
  }
  return status;
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::Text(int column) const { return std::string(TextView(column)); }

std::string_view Statement::TextView(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  if (p == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(p),
                          static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

common::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                               bool read_only,
                                                               int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    common::Status s = SqliteError(db, rc, "cannot open database file");
    sqlite3_close(db);
    return common::Error(s);
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db));
}

sqlite3_stmt* StatementCache::Take(const std::string& text) {
  auto it = index_.find(text);
  if (it == index_.end()) return nullptr;
  sqlite3_stmt* stmt = it->second->second;
  lru_.erase(it->second);
  index_.erase(it);
  return stmt;
}

void StatementCache::Give(const std::string& text, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (index_.count(text) > 0 || capacity_ == 0) {
    sqlite3_finalize(stmt);
    return;
  }
  lru_.emplace_front(text, stmt);
  index_.emplace(text, lru_.begin());
  while (index_.size() > capacity_) {
    sqlite3_finalize(lru_.back().second);
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

void StatementCache::Clear() {
  for (Entry& e : lru_) sqlite3_finalize(e.second);
  lru_.clear();
  index_.clear();
}

Connection::~Connection() {
  cache_.clear();  // finalize statements before closing
  dynamic_.Clear();
  sqlite3_close(db_);
}

common::Status Connection::Exec(std::string_view sql) {
  char* err = nullptr;
  std::string owned(sql);
  int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &err);
  if (err != nullptr) sqlite3_free(err);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "database statement failed");
  return common::Status::Ok();
}

common::StatusOr<Statement> Connection::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return common::Error(SqliteError(db_, rc, "cannot prepare statement"));
  return Statement(db_, stmt);
}

common::StatusOr<Statement*> Connection::Cached(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  auto owned = std::make_unique<Statement>(std::move(stmt));
  Statement* raw = owned.get();
  cache_.emplace(std::string(sql), std::move(owned));
  return raw;
}

}  // namespace store::sqlite
