#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "fhir/json/parser.h"
#include "fhir/search/parse.h"
#include "store/sqlite/sqlite_store.h"

namespace store::sqlite {
namespace {

using common::Code;
using common::Status;
using fhir::json::Value;
using fhir::store::WriteContext;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("emg-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static SqliteStoreOptions Options(const std::filesystem::path& dir) {
    SqliteStoreOptions o;
    o.path = (dir / "test.db").string();
    o.durable = false;  // durability is covered by the crash test over real processes
    return o;
  }
  void Open(std::vector<fhir::store::UniqueIdentifier> unique = {}) {
    SqliteStoreOptions o = Options(dir_);
    o.unique_identifiers = std::move(unique);
    auto s = OpenSqliteStore(o);
    ASSERT_TRUE(s.has_value()) << s.error().message();
    store_ = std::move(*s);
  }
  void Reopen(std::vector<fhir::store::UniqueIdentifier> unique) {
    store_->Close();
    store_.reset();
    Open(std::move(unique));
  }
  // Commits one Put (or Delete when `v` is null) and returns its status.
  Status TryPut(const std::string& type, const std::string& id, const Value* v) {
    return store_->Commit([&](WriteContext& ctx) -> Status {
      if (v == nullptr) {
        auto r = ctx.Delete(type, id);
        return r ? Status::Ok() : r.error();
      }
      auto r = ctx.Put(type, id, *v, "PUT");
      return r ? Status::Ok() : r.error();
    });
  }
  static Value Patient(const std::string& family, const std::string& fnr = "") {
    std::string json = R"({"resourceType":"Patient","name":[{"family":")" + family + R"("}])";
    if (!fnr.empty()) {
      json +=
          R"(,"identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":")" + fnr + R"("}])";
    }
    json += "}";
    return *fhir::json::Parse(json);
  }
  fhir::store::ResourceVersion Put(const std::string& id, const Value& v, int64_t expected = 0) {
    fhir::store::ResourceVersion out;
    Status s = store_->Commit([&](WriteContext& ctx) -> Status {
      auto r = ctx.Put("Patient", id, v, "PUT", expected);
      if (!r) return r.error();
      out = *r;
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<fhir::store::Store> store_;
};

TEST_F(SqliteStoreTest, VersionsMetaAndHistory) {
  auto v1 = Put("p1", Patient("Nordmann"));
  auto v2 = Put("p1", Patient("Hansen"));
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v2.version, 2);
  EXPECT_GT(v2.seq, v1.seq);
  EXPECT_GT(v2.last_updated, v1.last_updated);

  auto read = store_->Read("Patient", "p1");
  ASSERT_TRUE(read.has_value());
  auto body = fhir::json::Parse(read->body);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(body->GetString("id"), "p1");
  EXPECT_EQ(body->Find("meta")->GetString("versionId"), "2");
  EXPECT_EQ(body->Find("meta")->GetString("lastUpdated"), common::FormatInstant(v2.last_updated));

  auto old = store_->VRead("Patient", "p1", 1);
  ASSERT_TRUE(old.has_value());
  EXPECT_NE(old->body.find("Nordmann"), std::string::npos);

  fhir::store::HistoryQuery hq;
  hq.type = "Patient";
  hq.id = "p1";
  auto hist = store_->History(hq);
  ASSERT_TRUE(hist.has_value());
  ASSERT_EQ(hist->total, 2);
  EXPECT_EQ(hist->versions[0].version, 2);  // newest first
  EXPECT_EQ(hist->versions[1].version, 1);
}

TEST_F(SqliteStoreTest, DeleteIsVersionedTombstone) {
  Put("p1", Patient("Nordmann"));
  std::optional<fhir::store::ResourceVersion> tomb;
  ASSERT_TRUE(store_
                  ->Commit([&](WriteContext& ctx) -> Status {
                    auto r = ctx.Delete("Patient", "p1");
                    if (!r) return r.error();
                    tomb = *r;
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE(tomb.has_value());
  EXPECT_EQ(tomb->version, 2);
  auto read = store_->Read("Patient", "p1");
  ASSERT_TRUE(read.has_value());
  EXPECT_TRUE(read->deleted);
  EXPECT_TRUE(store_->VRead("Patient", "p1", 1).has_value());
  // Deleting again is a no-op, not a new version.
  std::optional<fhir::store::ResourceVersion> again;
  ASSERT_TRUE(store_
                  ->Commit([&](WriteContext& ctx) -> Status {
                    auto r = ctx.Delete("Patient", "p1");
                    if (!r) return r.error();
                    again = *r;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_FALSE(again.has_value());
}

TEST_F(SqliteStoreTest, IfMatchConflictLeavesNoTrace) {
  Put("p1", Patient("A"));
  Status s = store_->Commit([&](WriteContext& ctx) -> Status {
    auto r = ctx.Put("Patient", "p1", Patient("B"), "PUT", /*expected_version=*/7);
    return r ? Status::Ok() : r.error();
  });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(store_->Read("Patient", "p1")->version, 1);
}

TEST_F(SqliteStoreTest, FailedUnitRollsBackAloneInItsBatch) {
  // A unit writes then fails: none of its writes may remain.
  Status s = store_->Commit([&](WriteContext& ctx) -> Status {
    auto r = ctx.Put("Patient", "x1", Patient("A"), "POST");
    if (!r) return r.error();
    return Status(Code::kInvalidArgument, "second entry invalid");
  });
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->Read("Patient", "x1").error().code(), Code::kNotFound);
}

TEST_F(SqliteStoreTest, ConcurrentConditionalCreatesYieldOneResource) {
  constexpr int kThreads = 16;
  auto criteria = [] {
    fhir::IssueList warnings;
    fhir::search::ParseOptions po;
    po.strict = true;
    return *fhir::search::ParseQuery(
        "Patient", {{"identifier", "urn:oid:2.16.578.1.12.4.1.4.1|12839140000"}}, po, warnings);
  }();
  std::atomic<int> created{0};
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Status s = store_->Commit([&](WriteContext& ctx) -> Status {
        auto ids = ctx.Match(criteria);
        if (!ids) return ids.error();
        if (!ids->empty()) {
          ++found;
          return Status::Ok();
        }
        auto r = ctx.Put("Patient", "c" + std::to_string(i), Patient("Dup", "12839140000"), "POST");
        if (!r) return r.error();
        ++created;
        return Status::Ok();
      });
      EXPECT_TRUE(s.ok()) << s.message();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(found.load(), kThreads - 1);
}

TEST_F(SqliteStoreTest, ConcurrentCommitsShareBatches) {
  std::atomic<size_t> commits{0};
  std::atomic<size_t> units{0};
  store_->SetCommitObserver([&](double, size_t n) {
    ++commits;
    units += n;
  });
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i)
        Put("b" + std::to_string(t) + "-" + std::to_string(i), Patient("B"));
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(units.load(), static_cast<size_t>(kThreads * kPerThread));
  // Every unit was committed; with 8 concurrent writers some commits must carry several units.
  EXPECT_LT(commits.load(), units.load());
}

TEST_F(SqliteStoreTest, DataSurvivesReopen) {
  auto v = Put("keep", Patient("Persist"));
  int64_t seq = store_->LastSeq();
  store_->Close();
  store_.reset();
  Open();
  auto read = store_->Read("Patient", "keep");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->version, v.version);
  EXPECT_EQ(store_->LastSeq(), seq);
  // lastUpdated keeps increasing after a restart.
  auto v2 = Put("keep", Patient("Persist2"));
  EXPECT_GT(v2.last_updated, v.last_updated);
}

TEST_F(SqliteStoreTest, CommitAfterCloseIsUnavailable) {
  store_->Close();
  EXPECT_FALSE(store_->Ready());
  Status s = store_->Commit([](WriteContext&) { return Status::Ok(); });
  EXPECT_EQ(s.code(), Code::kUnavailable);
}

TEST_F(SqliteStoreTest, RefusesNonDatabaseFile) {
  std::filesystem::path bad = dir_ / "not-a-db";
  {
    FILE* f = std::fopen(bad.c_str(), "w");
    std::fputs("this is not sqlite at all, just text..........................................", f);
    std::fclose(f);
  }
  SqliteStoreOptions o;
  o.path = bad.string();
  auto s = OpenSqliteStore(o);
  ASSERT_FALSE(s.has_value());
}

const char kFnr[] = "urn:oid:2.16.578.1.12.4.1.4.1";

TEST_F(SqliteStoreTest, UniqueIdentifiersHoldUnderConcurrency) {
  Reopen({{"Patient", kFnr}});
  constexpr int kThreads = 16;
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Value p = Patient("Dup", "12839140000");
      Status s = TryPut("Patient", "u" + std::to_string(i), &p);
      if (s.ok()) {
        ++created;
      } else {
        EXPECT_EQ(s.code(), Code::kAlreadyExists);
        EXPECT_EQ(s.message().find("12839140000"), std::string::npos) << "value leaked";
        EXPECT_NE(s.message().find(kFnr), std::string::npos);
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
}

TEST_F(SqliteStoreTest, UniqueIdentifiersFollowUpdatesAndDeletes) {
  Reopen({{"Patient", kFnr}});
  Value a = Patient("A", "12839140000");
  Value b = Patient("B", "12839140000");
  ASSERT_TRUE(TryPut("Patient", "a", &a).ok());
  EXPECT_EQ(TryPut("Patient", "b", &b).code(), Code::kAlreadyExists);
  ASSERT_TRUE(TryPut("Patient", "a", &a).ok());  // the holder may keep its own value
  // Another system, or the same system on a type without a rule, is not covered.
  Value other = *fhir::json::Parse(
      R"({"resourceType":"Patient","identifier":[{"system":"urn:x","value":"12839140000"}]})");
  EXPECT_TRUE(TryPut("Patient", "c", &other).ok());
  Value practitioner = *fhir::json::Parse(
      R"({"resourceType":"Practitioner","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1",
          "value":"12839140000"}]})");
  EXPECT_TRUE(TryPut("Practitioner", "pr", &practitioner).ok());
  // A failed unit leaves the holder in place; an update that drops the value frees it.
  EXPECT_EQ(TryPut("Patient", "b", &b).code(), Code::kAlreadyExists);
  Value a2 = Patient("A", "17919600000");
  ASSERT_TRUE(TryPut("Patient", "a", &a2).ok());
  EXPECT_TRUE(TryPut("Patient", "b", &b).ok());
  // Deleting frees it too.
  Value d = Patient("D", "17919600000");
  EXPECT_EQ(TryPut("Patient", "d", &d).code(), Code::kAlreadyExists);
  ASSERT_TRUE(TryPut("Patient", "a", nullptr).ok());
  EXPECT_TRUE(TryPut("Patient", "d", &d).ok());
  // The same value twice in one resource is no conflict with itself.
  Value twice = *fhir::json::Parse(
      R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.578.1.12.4.1.4.1",
          "value":"01818700000"},{"system":"urn:oid:2.16.578.1.12.4.1.4.1","value":"01818700000"}]})");
  EXPECT_TRUE(TryPut("Patient", "t", &twice).ok());
}

TEST_F(SqliteStoreTest, NewUniqueRuleIsCheckedAgainstExistingData) {
  Value a = Patient("A", "12839140000");
  ASSERT_TRUE(TryPut("Patient", "a", &a).ok());
  ASSERT_TRUE(TryPut("Patient", "b", &a).ok());  // no rule yet: allowed
  store_->Close();
  store_.reset();
  SqliteStoreOptions o = Options(dir_);
  o.unique_identifiers = {{"Patient", kFnr}};
  auto refused = OpenSqliteStore(o);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("1 Patient resources"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(refused.error().message().find("12839140000"), std::string::npos);
  // Resolve the duplicate without the rule, then the rule takes effect.
  Open();
  ASSERT_TRUE(TryPut("Patient", "b", nullptr).ok());
  Reopen({{"Patient", kFnr}});
  EXPECT_EQ(TryPut("Patient", "b", &a).code(), Code::kAlreadyExists);
  // Dropping the rule lifts it.
  Reopen({});
  EXPECT_TRUE(TryPut("Patient", "b", &a).ok());
}

// Checkpoints run beside the writer (store/sqlite/checkpointer.h): once the WAL passes its
// threshold, pages reach the database file while the store keeps running.
TEST_F(SqliteStoreTest, WalIsCheckpointedWhileRunning) {
  const std::filesystem::path db = dir_ / "test.db";
  const auto initial = std::filesystem::file_size(db);
  std::string filler(2000, 'x');  // ~1 page per resource, 1500 resources > 1000 frames
  for (int i = 0; i < 1500; i += 50) {
    Status s = store_->Commit([&](WriteContext& ctx) -> Status {
      for (int k = i; k < i + 50; ++k) {
        Value p = Patient(filler);
        auto r = ctx.Put("Patient", "w" + std::to_string(k), p, "PUT");
        if (!r) return r.error();
      }
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << s.message();
  }
  bool grew = false;
  for (int wait = 0; wait < 100 && !grew; ++wait) {
    grew = std::filesystem::file_size(db) > initial + 1'000'000;
    if (!grew) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(grew) << "database file stayed at " << std::filesystem::file_size(db) << " bytes";
  EXPECT_TRUE(store_->Read("Patient", "w1499").has_value());
}

TEST_F(SqliteStoreTest, RefusesAPreReleaseSchemaWithAClearMessage) {
  std::filesystem::path old = dir_ / "old.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(old.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE resource_versions(seq INTEGER PRIMARY KEY); "
                         "PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  SqliteStoreOptions o;
  o.path = old.string();
  auto s = OpenSqliteStore(o);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(s.error().message().find("pre-release schema version 1"), std::string::npos)
      << s.error().message();
}

TEST_F(SqliteStoreTest, AnUpdateThatChangesNothingMakesNoVersion) {
  auto v1 = Put("same", Patient("Likesen", "12839140000"));
  // Same content, with members in another order and client meta that the store overwrites.
  Value reordered = *fhir::json::Parse(
      R"({"identifier":[{"value":"12839140000","system":"urn:oid:2.16.578.1.12.4.1.4.1"}],)"
      R"("meta":{"versionId":"9","lastUpdated":"2020-01-01T00:00:00Z"},)"
      R"("name":[{"family":"Likesen"}],"resourceType":"Patient"})");
  auto v2 = Put("same", reordered);
  EXPECT_EQ(v2.version, v1.version);
  EXPECT_EQ(v2.seq, v1.seq);
  auto history = store_->History({"Patient", "same", std::nullopt, std::nullopt, 0, 10, 0});
  ASSERT_TRUE(history.has_value());
  EXPECT_EQ(history->total, 1);
  // A real change, or a tag in meta, is a new version.
  auto v3 = Put("same", Patient("Endretsen", "12839140000"));
  EXPECT_EQ(v3.version, v1.version + 1);
  Value tagged = Patient("Endretsen", "12839140000");
  tagged.Set("meta", *fhir::json::Parse(R"({"tag":[{"system":"urn:t","code":"x"}]})"));
  EXPECT_EQ(Put("same", tagged).version, v3.version + 1);
  // After a delete, the same content again is a new version (it revives the resource).
  ASSERT_TRUE(TryPut("Patient", "same", nullptr).ok());
  EXPECT_EQ(Put("same", tagged).version, v3.version + 3);
}

}  // namespace
}  // namespace store::sqlite
