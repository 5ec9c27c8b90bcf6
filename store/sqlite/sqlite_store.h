#pragma once
// SQLite (WAL) implementation of fhir::store::Store. See docs/adr/0003-sqlite-store.md.

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "fhir/store/store.h"

namespace store::sqlite {

struct SqliteStoreOptions {
  std::string path;           // database file, created if missing
  int read_connections = 4;   // pooled read-only connections
  int max_batch_units = 256;  // units of work per group commit
  int busy_timeout_ms = 5000;
  // synchronous=FULL: every commit is fsync'ed before Commit() returns. Tests of
  // non-durability concerns may turn it off; production never does.
  bool durable = true;
  // Identifiers that must be unique (see fhir::store::UniqueIdentifier).
  std::vector<fhir::store::UniqueIdentifier> unique_identifiers;
};

// Opens (and migrates) the database. Fails with a clear message if the file cannot be opened,
// is not a database, or has a newer schema.
common::StatusOr<std::unique_ptr<fhir::store::Store>> OpenSqliteStore(
    const SqliteStoreOptions& options);

}  // namespace store::sqlite
