#pragma once
// Search index tables of the SQLite store. Index rows are keyed by the resource version's
// `seq` (resource_versions.seq) and never updated or deleted: a superseded version keeps its
// rows, so a search at snapshot S (fhir::search::Query::snapshot) sees exactly the index of the
// versions live at S. Tombstones get no rows.
//
// Tables (every one has seq INTEGER NOT NULL, type TEXT NOT NULL = resource type,
// param TEXT NOT NULL = search parameter code, plus):
//   idx_string    norm TEXT NOT NULL (NormalizeString), exact TEXT NOT NULL
//   idx_token     system TEXT, code TEXT, text TEXT (normalized display/text)
//   idx_reference target_type TEXT, target_id TEXT, target_version TEXT, url TEXT,
//                 ident_system TEXT, ident_value TEXT, display TEXT (normalized)
//   idx_date      low INTEGER NOT NULL, high INTEGER NOT NULL (closed range, micros UTC)
//   idx_number    vlow, vhigh REAL NOT NULL (the value; a Range's bounds),
//                 low, high REAL NOT NULL (the range implied by precision)
//   idx_quantity  vlow, vhigh, low, high REAL NOT NULL, system TEXT, code TEXT, unit TEXT
//   idx_uri       uri TEXT NOT NULL
// Empty strings are stored as NULL in the optional columns.

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "fhir/json/value.h"
#include "fhir/search/index.h"

namespace store::sqlite {

// Creates the index tables and their indexes if missing (idempotent).
common::Status CreateSearchSchema(sqlite3* db);

// Writes index rows with prepared statements cached per connection: keep one writer per
// (writer) connection and call Write for every new non-tombstone version, inside the
// transaction that inserts the version. Not thread-safe (like the connection).
class SearchIndexWriter {
 public:
  explicit SearchIndexWriter(sqlite3* db) : db_(db) {}
  ~SearchIndexWriter();
  SearchIndexWriter(const SearchIndexWriter&) = delete;
  SearchIndexWriter& operator=(const SearchIndexWriter&) = delete;

  common::Status Write(int64_t seq, const std::string& type,
                       const std::vector<fhir::search::IndexEntry>& entries);
  // ExtractIndex(resource) + Write; `type` is taken from resource.resourceType.
  common::Status WriteResource(int64_t seq, const fhir::json::Value& resource);

 private:
  enum Table { kString, kToken, kReference, kDate, kNumber, kQuantity, kUri, kTableCount };
  common::StatusOr<sqlite3_stmt*> Statement(Table table);

  sqlite3* db_;
  std::array<sqlite3_stmt*, kTableCount> statements_{};
};

// One-off convenience (prepares statements on every call); prefer SearchIndexWriter.
common::Status WriteSearchIndex(sqlite3* db, int64_t seq, const std::string& type,
                                const std::vector<fhir::search::IndexEntry>& entries);

}  // namespace store::sqlite
