#include "store/sqlite/schema.h"

#include <string>

#include "store/sqlite/search_index.h"

namespace store::sqlite {
namespace {

// The schema of version 2 (the first supported one; later versions add migrations from it).
// Versioned resources. Every version is a row; `ended_seq` links a version to the
// one that superseded it, so "current" is `ended_seq IS NULL` and "as of seq S" is
// `seq <= S AND (ended_seq IS NULL OR ended_seq > S)`. Rows are never deleted.
constexpr const char* kSchema = R"sql(
CREATE TABLE resource_versions (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  method TEXT NOT NULL,
  ended_seq INTEGER,
  body TEXT,  -- last: probing a row's liveness never reads past a large body
  UNIQUE(type, id, version)
);
CREATE INDEX rv_current ON resource_versions(type, id) WHERE ended_seq IS NULL;
CREATE INDEX rv_type_seq ON resource_versions(type, seq);
CREATE INDEX rv_last_updated ON resource_versions(last_updated);

-- Identifiers that must be unique (store/sqlite/unique_identifiers.h): the primary key is
-- the guarantee.
CREATE TABLE unique_identifiers (
  type TEXT NOT NULL,
  system TEXT NOT NULL,
  value TEXT NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (type, system, value)
) WITHOUT ROWID;
CREATE INDEX unique_identifiers_holder ON unique_identifiers(type, id);

CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
)sql";

int UserVersion(Connection& db) {
  auto stmt = db.Prepare("PRAGMA user_version");
  if (!stmt) return -1;
  common::Status status;
  if (!stmt->Step(&status)) return -1;
  return static_cast<int>(stmt->Int(0));
}

}  // namespace

common::Status Migrate(Connection& db) {
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  int version = UserVersion(db);
  auto fail = [&db](common::Status s) {
    (void)db.Exec("ROLLBACK");
    return s;
  };
  if (version < 0) {
    return fail(
        common::Status(common::Code::kInternal, "the data file is not a readable SQLite database"));
  }
  if (version > 0 && version < kFirstSupportedSchemaVersion) {
    return fail(common::Status(
        common::Code::kFailedPrecondition,
        "the database has the pre-release schema version " + std::to_string(version) +
            ", which this build does not upgrade; move the data directory aside and start with "
            "an empty one"));
  }
  if (version > kSchemaVersion) {
    return fail(common::Status(common::Code::kFailedPrecondition,
                               "the database schema version " + std::to_string(version) +
                                   " is newer than this build supports (" +
                                   std::to_string(kSchemaVersion) + ")"));
  }
  if (version == 0) {  // a new database: the whole current schema
    common::Status s = db.Exec(kSchema);
    if (!s.ok()) return fail(s);
    s = CreateSearchSchema(db.handle());
    if (!s.ok()) return fail(s);
  }
  common::Status s = db.Exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  if (!s.ok()) return fail(s);
  return db.Exec("COMMIT");
}

}  // namespace store::sqlite
