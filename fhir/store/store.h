#pragma once
// The resource store port. The gateway and the REST layer see only this interface; the SQLite
// implementation lives in store/sqlite and a PostgreSQL one can follow.
//
// Contract:
//  * Every create/update/delete makes a new version with a store-wide increasing `seq`;
//    deletes are tombstone versions. History is never rewritten.
//  * Commit() runs a unit of work atomically on the single writer; units from concurrent
//    callers share one database commit (group commit). Commit returns only after the data is
//    durable (fsync'ed), so an acknowledged write survives kill -9 and power loss.
//  * Reads are snapshot-consistent and may run concurrently with writes.
//  * Identifiers configured as unique (UniqueIdentifier) are unique among live resources.
// All methods are thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "fhir/json/value.h"
#include "fhir/search/query.h"

namespace fhir::store {

struct ResourceVersion {
  std::string type;
  std::string id;
  int64_t version = 0;  // meta.versionId
  int64_t seq = 0;      // store-wide sequence of this version
  common::SystemTime last_updated{};
  bool deleted = false;  // a tombstone
  std::string method;    // "POST", "PUT" or "DELETE": how this version came to be (for history)
  std::string body;      // the resource JSON with meta filled in; empty for a tombstone
};

struct HistoryQuery {
  std::string type;                         // empty = system level
  std::string id;                           // empty = type or system level
  std::optional<common::SystemTime> since;  // _since (versions strictly after)
  std::optional<common::SystemTime> at;     // _at
  int64_t snapshot = 0;                     // 0 = now; else only versions with seq <= snapshot
  int count = 50;
  int offset = 0;
  // Bound on the bytes of the page's resource bodies (0: none). The page ends after the
  // version that reaches it (so it holds at least one) and says so (HistoryPage::truncated).
  size_t max_bytes = 0;
};

struct HistoryPage {
  std::vector<ResourceVersion> versions;  // newest first
  int64_t total = 0;
  int64_t snapshot = 0;    // the seq the page was read at (for stable paging links)
  bool truncated = false;  // ended early at HistoryQuery::max_bytes; paging goes on after it
};

struct SearchResult {
  std::vector<ResourceVersion> matches;   // the page
  std::vector<ResourceVersion> included;  // _include / _revinclude results for the page
  std::optional<int64_t> total;           // when requested or cheap
  int64_t snapshot = 0;                   // the seq the search ran at
  // Rows the page held before a decorator filtered it (access control), when it did: paging
  // goes on from offset + count whenever the unfiltered page was full.
  std::optional<size_t> unfiltered_page_size;
  // The page ended early at Query::max_page_bytes: it holds fewer than `count` matches and the
  // next page starts after them (offset + unfiltered page size).
  bool truncated = false;
  // _include/_revinclude stopped at the byte bound (or at kMaxIncluded): `included` is partial.
  bool included_truncated = false;
};

// Operations available inside a unit of work. They see the unit's own earlier writes.
class WriteContext {
 public:
  virtual ~WriteContext() = default;
  // Current version (may be a tombstone) or kNotFound.
  virtual common::StatusOr<ResourceVersion> Current(const std::string& type,
                                                    const std::string& id) = 0;
  // Ids of live resources of `query.type` matching the query's criteria (paging ignored).
  virtual common::StatusOr<std::vector<std::string>> Match(const search::Query& query) = 0;
  // Writes a new version. `resource_json` is the complete resource; the store sets
  // meta.versionId and meta.lastUpdated (overwriting any client values) and returns the stored
  // version. `expected_version` (If-Match) fails with kFailedPrecondition when it differs
  // from the current version; 0 means no precondition.
  // A create (no current version) gets version 1; `method` is recorded for history. A put whose
  // content equals the current version's (meta.versionId/lastUpdated aside) writes nothing
  // and returns the current version.
  virtual common::StatusOr<ResourceVersion> Put(const std::string& type, const std::string& id,
                                                const json::Value& resource,
                                                const std::string& method,
                                                int64_t expected_version = 0) = 0;
  // Writes a tombstone. Deleting a missing or already-deleted resource is not an error and
  // returns std::nullopt (no new version).
  virtual common::StatusOr<std::optional<ResourceVersion>> Delete(const std::string& type,
                                                                  const std::string& id,
                                                                  int64_t expected_version = 0) = 0;
};

using UnitOfWork = std::function<common::Status(WriteContext&)>;

// A business identifier that must be unique: among the live resources of `type`, at most one
// has an identifier with `system` and a given value (one patient per fødselsnummer). Put fails
// with kAlreadyExists when another resource holds it; the store enforces this race-free.
struct UniqueIdentifier {
  std::string type;    // e.g. "Patient"
  std::string system;  // e.g. "urn:oid:2.16.578.1.12.4.1.4.1"
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `work` atomically (all or nothing) on the writer and returns once durable. A unit
  // that returns an error leaves no trace; other units sharing the commit are unaffected.
  virtual common::Status Commit(UnitOfWork work) = 0;

  // Current version, including tombstones (the caller maps them to 410), or kNotFound.
  virtual common::StatusOr<ResourceVersion> Read(const std::string& type,
                                                 const std::string& id) = 0;
  virtual common::StatusOr<ResourceVersion> VRead(const std::string& type, const std::string& id,
                                                  int64_t version) = 0;
  virtual common::StatusOr<HistoryPage> History(const HistoryQuery& query) = 0;
  virtual common::StatusOr<SearchResult> Search(const search::Query& query) = 0;

  // Called on the writer thread after each durable commit with its latency (seconds, from
  // the first unit queued to fsync done) and the number of units it carried. Set before use.
  using CommitObserver = std::function<void(double seconds, size_t units)>;
  virtual void SetCommitObserver(CommitObserver observer) = 0;

  // Highest committed seq (for snapshots and readiness).
  virtual int64_t LastSeq() = 0;
  // True once open and not shutting down.
  virtual bool Ready() = 0;
  // Stops accepting work, drains the writer, checkpoints and closes. Idempotent.
  virtual void Close() = 0;
};

}  // namespace fhir::store
