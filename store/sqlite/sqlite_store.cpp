#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "common/log.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/search/index.h"
#include "store/sqlite/checkpointer.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/search_index.h"
#include "store/sqlite/search_sql.h"
#include "store/sqlite/unique_identifiers.h"
#include "store/sqlite/version_row.h"

namespace store::sqlite {
namespace {

using common::Code;
using common::Status;
using common::StatusOr;
using fhir::store::ResourceVersion;

constexpr std::string_view kSelectCurrent = "SELECT " EMG_VERSION_COLUMNS
                                            " FROM resource_versions WHERE type=?1 AND id=?2 AND "
                                            "ended_seq IS NULL";
constexpr std::string_view kSelectVersion = "SELECT " EMG_VERSION_COLUMNS
                                            " FROM resource_versions WHERE type=?1 AND id=?2 AND "
                                            "version=?3";

// JSON equality that ignores the order of object members (FHIR JSON objects have unique
// keys) but not of array items.
bool SameJson(const fhir::json::Value& a, const fhir::json::Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case fhir::json::Kind::kObject: {
      if (a.members().size() != b.members().size()) return false;
      for (const auto& [key, value] : a.members()) {
        const fhir::json::Value* other = b.Find(key);
        if (other == nullptr || !SameJson(value, *other)) return false;
      }
      return true;
    }
    case fhir::json::Kind::kArray: {
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i) {
        if (!SameJson(a.items()[i], b.items()[i])) return false;
      }
      return true;
    }
    default:
      return a == b;
  }
}

// The resource as its content: id set, meta without versionId and lastUpdated (and no meta
// when nothing else is in it).
fhir::json::Value ContentOf(const fhir::json::Value& resource, const std::string& id) {
  fhir::json::Value out = resource;
  out.Set("id", fhir::json::Value::String(id));
  if (fhir::json::Value* meta = out.Find("meta"); meta != nullptr && meta->is_object()) {
    meta->Remove("versionId");
    meta->Remove("lastUpdated");
    if (meta->members().empty()) out.Remove("meta");
  }
  return out;
}

// Sets meta.versionId and meta.lastUpdated, keeping the client's other meta elements.
void StampMeta(fhir::json::Value& resource, const std::string& id, int64_t version,
               common::SystemTime last_updated) {
  using fhir::json::Value;
  if (resource.Find("id") == nullptr) {
    resource.SetAfter("resourceType", "id", Value::String(id));
  } else {
    resource.Set("id", Value::String(id));
  }
  Value* meta = resource.Find("meta");
  if (meta == nullptr || !meta->is_object()) {
    meta = &resource.SetAfter("id", "meta", Value::Object());
  }
  Value stamped = Value::Object();
  stamped.Set("versionId", Value::String(std::to_string(version)));
  stamped.Set("lastUpdated", Value::String(common::FormatInstant(last_updated)));
  for (auto& [key, value] : meta->members()) {
    if (key != "versionId" && key != "lastUpdated") stamped.Set(key, std::move(value));
  }
  *meta = std::move(stamped);
}

StatusOr<ResourceVersion> LoadOne(Statement& stmt, std::string_view not_found) {
  Status status;
  if (!stmt.Step(&status)) {
    if (!status.ok()) return common::Error(status);
    return common::Error(Code::kNotFound, std::string(not_found));
  }
  return ReadVersionRow(stmt);
}

// A pool of read-only connections. Each is used by one thread at a time.
class ReadPool {
 public:
  Status Init(const SqliteStoreOptions& options) {
    for (int i = 0; i < std::max(1, options.read_connections); ++i) {
      ASSIGN_OR_RETURN(auto conn,
                       Connection::Open(options.path, /*read_only=*/true, options.busy_timeout_ms));
      RETURN_IF_ERROR(conn->Exec("PRAGMA query_only=1"));
      free_.push_back(conn.get());
      all_.push_back(std::move(conn));
    }
    return Status::Ok();
  }

  class Lease {
   public:
    Lease(ReadPool& pool, Connection* conn) : pool_(pool), conn_(conn) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.Release(conn_); }
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_; }

   private:
    ReadPool& pool_;
    Connection* conn_;
  };

  Lease Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !free_.empty(); });
    Connection* c = free_.back();
    free_.pop_back();
    return Lease(*this, c);
  }

  void CloseAll() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return free_.size() == all_.size(); });
    free_.clear();
    all_.clear();
  }

 private:
  void Release(Connection* c) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(c);
    }
    cv_.notify_one();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Connection*> free_;
  std::vector<std::unique_ptr<Connection>> all_;
};

// Runs a read inside a deferred read transaction so multi-statement reads see one snapshot.
template <typename Fn>
auto InReadTransaction(Connection& conn, Fn&& fn) -> decltype(fn()) {
  Status begin = conn.Exec("BEGIN");
  if (!begin.ok()) return common::Error(begin);
  auto result = fn();
  (void)conn.Exec("COMMIT");
  return result;
}

class SqliteStore;

// The operations a unit of work may call; runs on the writer thread inside the batch's
// transaction and the unit's savepoint.
class WriteContextImpl final : public fhir::store::WriteContext {
 public:
  WriteContextImpl(Connection& db, SearchIndexWriter& index, const UniqueIdentifierIndex& unique,
                   common::SystemTime& clock)
      : db_(db), index_(index), unique_(unique), last_time_(clock) {}

  StatusOr<ResourceVersion> Current(const std::string& type, const std::string& id) override {
    ASSIGN_OR_RETURN(Statement * stmt, db_.Cached(kSelectCurrent));
    stmt->Bind(1, type).Bind(2, id);
    return LoadOne(*stmt, "resource not found");
  }

  StatusOr<std::vector<std::string>> Match(const fhir::search::Query& query) override {
    return MatchIds(db_.handle(), query, &db_.dynamic_statements());
  }

  StatusOr<ResourceVersion> Put(const std::string& type, const std::string& id,
                                const fhir::json::Value& resource, const std::string& method,
                                int64_t expected_version) override {
    auto current = Current(type, id);
    if (!current && current.error().code() != Code::kNotFound)
      return common::Error(current.error());
    int64_t version = current ? current->version + 1 : 1;
    if (expected_version != 0) {
      int64_t have = current ? current->version : 0;
      if (have != expected_version || (current && current->deleted)) {
        return common::Error(Code::kFailedPrecondition,
                             "version conflict: If-Match names version " +
                                 std::to_string(expected_version) + " but the current version is " +
                                 std::to_string(have));
      }
    }
    // An update that changes nothing makes no new version (HAPI calls it a no-op update): the
    // seeds rerun their conditional updates at every start, and history stays meaningful.
    if (current && !current->deleted) {
      auto stored = fhir::json::Parse(current->body);
      if (stored && SameJson(ContentOf(*stored, id), ContentOf(resource, id))) return *current;
    }
    RETURN_IF_ERROR(unique_.Reserve(db_, type, id, resource));
    fhir::json::Value stamped = resource;
    common::SystemTime now = NextTime();
    StampMeta(stamped, id, version, now);
    std::string body = fhir::json::Write(stamped);

    ASSIGN_OR_RETURN(int64_t seq, InsertVersion(type, id, version, now, /*deleted=*/false, method,
                                                &body, current ? current->seq : 0));
    RETURN_IF_ERROR(index_.Write(seq, type, fhir::search::ExtractIndex(stamped)));
    ResourceVersion out;
    out.type = type;
    out.id = id;
    out.version = version;
    out.seq = seq;
    out.last_updated = now;
    out.method = method;
    out.body = std::move(body);
    return out;
  }

  StatusOr<std::optional<ResourceVersion>> Delete(const std::string& type, const std::string& id,
                                                  int64_t expected_version) override {
    auto current = Current(type, id);
    if (!current) {
      if (current.error().code() != Code::kNotFound) return common::Error(current.error());
      if (expected_version != 0) {
        return common::Error(Code::kFailedPrecondition, "version conflict: resource not found");
      }
      return std::optional<ResourceVersion>();
    }
    if (expected_version != 0 && (current->version != expected_version || current->deleted)) {
      return common::Error(Code::kFailedPrecondition, "version conflict: If-Match names version " +
                                                          std::to_string(expected_version) +
                                                          " but the current version is " +
                                                          std::to_string(current->version));
    }
    if (current->deleted) return std::optional<ResourceVersion>();
    RETURN_IF_ERROR(unique_.Release(db_, type, id));
    common::SystemTime now = NextTime();
    int64_t version = current->version + 1;
    ASSIGN_OR_RETURN(int64_t seq, InsertVersion(type, id, version, now, /*deleted=*/true, "DELETE",
                                                nullptr, current->seq));
    ResourceVersion out;
    out.type = type;
    out.id = id;
    out.version = version;
    out.seq = seq;
    out.last_updated = now;
    out.deleted = true;
    out.method = "DELETE";
    return std::optional<ResourceVersion>(std::move(out));
  }

 private:
  // lastUpdated never goes backwards, even if the wall clock does.
  common::SystemTime NextTime() {
    common::SystemTime now = common::SystemNow();
    if (now <= last_time_) now = last_time_ + std::chrono::microseconds(1);
    last_time_ = now;
    return now;
  }

  StatusOr<int64_t> InsertVersion(const std::string& type, const std::string& id, int64_t version,
                                  common::SystemTime now, bool deleted, const std::string& method,
                                  const std::string* body, int64_t previous_seq) {
    ASSIGN_OR_RETURN(
        Statement * insert,
        db_.Cached("INSERT INTO resource_versions(type,id,version,last_updated,deleted,method,body)"
                   " VALUES(?1,?2,?3,?4,?5,?6,?7)"));
    insert->Bind(1, type).Bind(2, id).Bind(3, version).Bind(4, common::ToMicros(now));
    insert->Bind(5, static_cast<int64_t>(deleted ? 1 : 0)).Bind(6, method);
    if (body != nullptr) {
      insert->Bind(7, *body);
    } else {
      insert->BindNull(7);
    }
    RETURN_IF_ERROR(insert->Run());
    int64_t seq = db_.LastInsertRowId();
    if (previous_seq != 0) {
      ASSIGN_OR_RETURN(Statement * end,
                       db_.Cached("UPDATE resource_versions SET ended_seq=?1 WHERE seq=?2"));
      end->Bind(1, seq).Bind(2, previous_seq);
      RETURN_IF_ERROR(end->Run());
    }
    return seq;
  }

  Connection& db_;
  SearchIndexWriter& index_;
  const UniqueIdentifierIndex& unique_;
  common::SystemTime& last_time_;
};

class SqliteStore final : public fhir::store::Store {
 public:
  explicit SqliteStore(SqliteStoreOptions options)
      : options_(std::move(options)), unique_(options_.unique_identifiers) {}
  ~SqliteStore() override { Close(); }

  Status Open() {
    ASSIGN_OR_RETURN(
        writer_db_, Connection::Open(options_.path, /*read_only=*/false, options_.busy_timeout_ms));
    RETURN_IF_ERROR(writer_db_->Exec("PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(
        writer_db_->Exec(options_.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF"));
    RETURN_IF_ERROR(writer_db_->Exec("PRAGMA foreign_keys=OFF"));
    // Savepoint (statement) journals in memory: every unit of a batch runs in a SAVEPOINT, and
    // with the default temp_store each one wrote its pages' originals to a temporary file.
    RETURN_IF_ERROR(writer_db_->Exec("PRAGMA temp_store=MEMORY"));
    // The writer touches every index's hot pages in every batch; keep them cached (16 MiB).
    RETURN_IF_ERROR(writer_db_->Exec("PRAGMA cache_size=-16384"));
    // Checkpoints run on the Checkpointer's thread, not inside the writer's commits; a WAL
    // file that grew under load is truncated back to this size once it restarts.
    RETURN_IF_ERROR(writer_db_->Exec("PRAGMA wal_autocheckpoint=0"));
    RETURN_IF_ERROR(writer_db_->Exec("PRAGMA journal_size_limit=67108864"));
    RETURN_IF_ERROR(Migrate(*writer_db_));
    RETURN_IF_ERROR(unique_.Rebuild(*writer_db_));
    ASSIGN_OR_RETURN(checkpointer_,
                     Checkpointer::Start(options_.path, options_.durable, options_.busy_timeout_ms,
                                         kCheckpointFrames));
    sqlite3_wal_hook(writer_db_->handle(), &SqliteStore::WalHook, this);
    RETURN_IF_ERROR(reads_.Init(options_));
    index_writer_ = std::make_unique<SearchIndexWriter>(writer_db_->handle());
    {
      auto stmt = writer_db_->Prepare(
          "SELECT coalesce(max(seq),0), coalesce(max(last_updated),0) "
          "FROM resource_versions");
      if (!stmt) return stmt.error();
      Status s;
      if (stmt->Step(&s)) {
        last_seq_.store(stmt->Int(0));
        last_time_ = common::FromMicros(stmt->Int(1));
      }
      RETURN_IF_ERROR(s);
    }
    open_.store(true);
    writer_ = std::thread([this] { WriterLoop(); });
    return Status::Ok();
  }

  Status Commit(fhir::store::UnitOfWork work) override {
    std::future<Status> done;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (closing_) return Status(Code::kUnavailable, "the store is shutting down");
      queue_.push_back(
          Pending{std::move(work), std::promise<Status>(), std::chrono::steady_clock::now()});
      done = queue_.back().promise.get_future();
    }
    queue_cv_.notify_one();
    return done.get();
  }

  StatusOr<ResourceVersion> Read(const std::string& type, const std::string& id) override {
    auto conn = reads_.Acquire();
    ASSIGN_OR_RETURN(Statement * stmt, conn->Cached(kSelectCurrent));
    stmt->Bind(1, type).Bind(2, id);
    auto result = LoadOne(*stmt, "resource not found");
    stmt->Reset();
    return result;
  }

  StatusOr<ResourceVersion> VRead(const std::string& type, const std::string& id,
                                  int64_t version) override {
    auto conn = reads_.Acquire();
    ASSIGN_OR_RETURN(Statement * stmt, conn->Cached(kSelectVersion));
    stmt->Bind(1, type).Bind(2, id).Bind(3, version);
    auto result = LoadOne(*stmt, "version not found");
    stmt->Reset();
    return result;
  }

  StatusOr<fhir::store::HistoryPage> History(const fhir::store::HistoryQuery& query) override {
    auto conn = reads_.Acquire();
    return InReadTransaction(*conn, [&]() { return RunHistory(*conn, query); });
  }

  StatusOr<fhir::store::SearchResult> Search(const fhir::search::Query& query) override {
    auto conn = reads_.Acquire();
    return InReadTransaction(
        *conn, [&]() { return ExecuteSearch(conn->handle(), query, &conn->dynamic_statements()); });
  }

  void SetCommitObserver(CommitObserver observer) override { observer_ = std::move(observer); }
  int64_t LastSeq() override { return last_seq_.load(); }
  bool Ready() override { return open_.load(); }

  void Close() override {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (closing_) return;
      closing_ = true;
    }
    queue_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (checkpointer_) checkpointer_->Stop();
    bool was_open = open_.exchange(false);
    reads_.CloseAll();
    if (writer_db_) {
      index_writer_.reset();
      (void)writer_db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
      writer_db_.reset();
    }
    // A store that never opened (Open() failed and said why) has nothing to report.
    if (was_open) {
      common::log::Info("store_closed", {{"last_seq", static_cast<long long>(last_seq_.load())}});
    }
  }

 private:
  struct Pending {
    fhir::store::UnitOfWork work;
    std::promise<Status> promise;
    std::chrono::steady_clock::time_point queued;
  };

  void WriterLoop() {
    std::vector<Pending> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        queue_cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
        if (queue_.empty() && closing_) return;
        while (!queue_.empty() && batch.size() < static_cast<size_t>(options_.max_batch_units)) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      RunBatch(batch);
      batch.clear();
    }
  }

  // One transaction for the whole batch; one savepoint per unit so a failing unit leaves no
  // trace while the others commit. The COMMIT is the single fsync the batch shares.
  void RunBatch(std::vector<Pending>& batch) {
    std::vector<Status> results(batch.size());
    Status begin = writer_db_->Exec("BEGIN IMMEDIATE");
    if (!begin.ok()) {
      for (auto& p : batch) p.promise.set_value(begin);
      return;
    }
    common::SystemTime clock_before = last_time_;
    for (size_t i = 0; i < batch.size(); ++i) {
      Status sp = RunCached("SAVEPOINT unit");
      if (!sp.ok()) {
        results[i] = sp;
        continue;
      }
      WriteContextImpl ctx(*writer_db_, *index_writer_, unique_, last_time_);
      Status s = RunUnit(batch[i].work, ctx);
      if (!s.ok()) (void)RunCached("ROLLBACK TO unit");
      Status rel = RunCached("RELEASE unit");
      results[i] = s.ok() ? rel : s;
    }
    Status commit = writer_db_->Exec("COMMIT");
    if (!commit.ok()) {
      (void)writer_db_->Exec("ROLLBACK");
      last_time_ = clock_before;
      common::log::Error("store_commit_failed", {{"units", batch.size()}});
      for (auto& p : batch) {
        p.promise.set_value(Status(Code::kUnavailable, "the write could not be made durable"));
      }
      return;
    }
    {
      auto stmt = writer_db_->Cached("SELECT coalesce(max(seq),0) FROM resource_versions");
      Status s;
      if (stmt && (*stmt)->Step(&s)) last_seq_.store((*stmt)->Int(0));
      if (stmt) (*stmt)->Reset();
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - batch.front().queued)
            .count();
    if (observer_) observer_(seconds, batch.size());
    for (size_t i = 0; i < batch.size(); ++i) batch[i].promise.set_value(results[i]);
    // Backstop: when the checkpointer cannot keep up (or readers pin old frames), the WAL
    // would grow without bound; past this size the writer checkpoints itself, between batches.
    if (wal_frames_ >= kMaxWalFrames) {
      (void)sqlite3_wal_checkpoint_v2(writer_db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                      nullptr, nullptr);
      wal_frames_ = 0;
    }
  }

  // sqlite3_wal_hook: after each commit, with the WAL's size in frames.
  static int WalHook(void* self, sqlite3*, const char*, int frames) {
    auto* store = static_cast<SqliteStore*>(self);
    store->wal_frames_ = frames;
    if (store->checkpointer_) store->checkpointer_->Committed(frames);
    return SQLITE_OK;
  }

  // Runs a fixed statement, prepared once (the savepoints run once per unit).
  Status RunCached(std::string_view sql) {
    ASSIGN_OR_RETURN(Statement * stmt, writer_db_->Cached(sql));
    Status s = stmt->Run();
    stmt->Reset();
    return s;
  }

  static Status RunUnit(const fhir::store::UnitOfWork& work, WriteContextImpl& ctx) {
    try {
      return work(ctx);
    } catch (const std::exception&) {
      return Status(Code::kInternal, "unexpected failure in a write");
    }
  }

  StatusOr<fhir::store::HistoryPage> RunHistory(Connection& conn,
                                                const fhir::store::HistoryQuery& q) {
    fhir::store::HistoryPage page;
    {
      auto stmt = conn.Cached("SELECT coalesce(max(seq),0) FROM resource_versions");
      if (!stmt) return common::Error(stmt.error());
      Status s;
      if ((*stmt)->Step(&s)) page.snapshot = (*stmt)->Int(0);
      (*stmt)->Reset();
      RETURN_IF_ERROR(s);
    }
    if (q.snapshot != 0) page.snapshot = std::min(page.snapshot, q.snapshot);
    std::string where = " WHERE seq <= ?1";
    if (!q.type.empty()) where += " AND type = ?2";
    if (!q.id.empty()) where += " AND id = ?3";
    if (q.since) where += " AND last_updated > ?4";
    if (q.at) {
      where +=
          " AND last_updated <= ?5 AND (ended_seq IS NULL OR (SELECT n.last_updated FROM "
          "resource_versions n WHERE n.seq = resource_versions.ended_seq) > ?5)";
    }
    auto bind = [&](Statement& st) {
      st.Bind(1, page.snapshot);
      if (!q.type.empty()) st.Bind(2, q.type);
      if (!q.id.empty()) st.Bind(3, q.id);
      if (q.since) st.Bind(4, common::ToMicros(*q.since));
      if (q.at) st.Bind(5, common::ToMicros(*q.at));
    };
    {
      ASSIGN_OR_RETURN(Statement count,
                       conn.Prepare("SELECT count(*) FROM resource_versions" + where));
      bind(count);
      Status s;
      if (count.Step(&s)) page.total = count.Int(0);
      RETURN_IF_ERROR(s);
    }
    ASSIGN_OR_RETURN(Statement rows,
                     conn.Prepare("SELECT " EMG_VERSION_COLUMNS " FROM resource_versions" + where +
                                  " ORDER BY seq DESC LIMIT ?6 OFFSET ?7"));
    bind(rows);
    rows.Bind(6, static_cast<int64_t>(q.count)).Bind(7, static_cast<int64_t>(q.offset));
    Status s;
    size_t bytes = 0;
    while (true) {
      if (q.max_bytes > 0 && bytes >= q.max_bytes) {
        page.truncated = rows.Step(&s);  // only when there is a next version
        break;
      }
      if (!rows.Step(&s)) break;
      page.versions.push_back(ReadVersionRow(rows));
      bytes += page.versions.back().body.size();
    }
    RETURN_IF_ERROR(s);
    return page;
  }

  // A checkpoint starts at 1000 WAL frames (SQLite's own default), the writer steps in at 20000.
  static constexpr int kCheckpointFrames = 1000;
  static constexpr int kMaxWalFrames = 20000;

  SqliteStoreOptions options_;
  UniqueIdentifierIndex unique_;
  std::unique_ptr<Checkpointer> checkpointer_;
  int wal_frames_ = 0;  // writer thread only
  std::unique_ptr<Connection> writer_db_;
  std::unique_ptr<SearchIndexWriter> index_writer_;
  ReadPool reads_;
  std::thread writer_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool closing_ = false;
  std::atomic<bool> open_{false};
  std::atomic<int64_t> last_seq_{0};
  common::SystemTime last_time_{};  // writer thread only
  CommitObserver observer_;
};

}  // namespace

StatusOr<std::unique_ptr<fhir::store::Store>> OpenSqliteStore(const SqliteStoreOptions& options) {
  if (sqlite3_threadsafe() == 0) {
    return common::Error(Code::kInternal, "SQLite was built without thread support");
  }
  auto store = std::make_unique<SqliteStore>(options);
  Status s = store->Open();
  if (!s.ok()) return common::Error(s);
  return std::unique_ptr<fhir::store::Store>(std::move(store));
}

}  // namespace store::sqlite
