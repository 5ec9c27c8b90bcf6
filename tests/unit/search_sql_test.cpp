// Search execution against a real SQLite database file: the resource_versions table of the
// store (DDL copied from the store's schema contract) plus the search index written by
// SearchIndexWriter.

#include "store/sqlite/search_sql.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fhir/json/parser.h"
#include "fhir/search/parse.h"
#include "fhir/search/values.h"
#include "store/sqlite/search_index.h"

namespace store::sqlite {
namespace {

using fhir::search::Query;
using fhir::store::ResourceVersion;
using fhir::store::SearchResult;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kResourceVersionsDdl = R"sql(
CREATE TABLE resource_versions (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  method TEXT NOT NULL,
  ended_seq INTEGER,
  body TEXT,
  UNIQUE(type, id, version));
CREATE INDEX rv_current ON resource_versions(type, id) WHERE ended_seq IS NULL;
CREATE INDEX rv_type_seq ON resource_versions(type, seq);
)sql";

// 2020-01-01T00:00:00Z; version n of the test data gets last_updated = kBase + seq seconds.
constexpr int64_t kBase = 1577836800LL * 1000000;

class SearchSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("emg_search_sql_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_EQ(sqlite3_open((dir_ / "test.db").string().c_str(), &db_), SQLITE_OK);
    Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF");  // durability is not tested here
    Exec(kResourceVersionsDdl);
    ASSERT_TRUE(CreateSearchSchema(db_).ok());
    ASSERT_TRUE(CreateSearchSchema(db_).ok());  // idempotent
    writer_ = std::make_unique<SearchIndexWriter>(db_);
  }

  void TearDown() override {
    writer_.reset();
    sqlite3_close(db_);
    std::filesystem::remove_all(dir_);
  }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    ASSERT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
  }

  int64_t QueryInt(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    int64_t v = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
  }

  // Writes a new version (create or update) of the resource and its index rows, like the store
  // does; returns its seq. `transaction` false runs inside the caller's open transaction.
  int64_t Put(const std::string& json, bool transaction = true) {
    auto resource = fhir::json::Parse(json);
    EXPECT_TRUE(resource.has_value());
    if (!resource) return 0;
    std::string type(resource->GetString("resourceType"));
    std::string id(resource->GetString("id"));
    if (transaction) Exec("BEGIN");
    auto [prev_seq, prev_version] = Current(type, id);
    int64_t seq = Insert(type, id, prev_version + 1, false, "PUT", json);
    if (prev_seq != 0) EndVersion(prev_seq, seq);
    EXPECT_TRUE(writer_->WriteResource(seq, *resource).ok());
    if (transaction) Exec("COMMIT");
    return seq;
  }

  int64_t Delete(const std::string& type, const std::string& id) {
    Exec("BEGIN");
    auto [prev_seq, prev_version] = Current(type, id);
    EXPECT_NE(prev_seq, 0);
    int64_t seq = Insert(type, id, prev_version + 1, true, "DELETE", "");
    EndVersion(prev_seq, seq);
    Exec("COMMIT");
    return seq;
  }

  std::pair<int64_t, int64_t> Current(const std::string& type, const std::string& id) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db_,
                       "SELECT seq, version FROM resource_versions WHERE type = ?1 AND id = ?2 "
                       "AND ended_seq IS NULL",
                       -1, &stmt, nullptr);
    sqlite3_bind_text(stmt, 1, type.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, id.c_str(), -1, SQLITE_TRANSIENT);
    std::pair<int64_t, int64_t> out{0, 0};
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      out = {sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1)};
    }
    sqlite3_finalize(stmt);
    return out;
  }

  int64_t Insert(const std::string& type, const std::string& id, int64_t version, bool deleted,
                 const std::string& method, const std::string& body) {
    int64_t next = QueryInt("SELECT coalesce(max(seq), 0) + 1 FROM resource_versions");
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db_,
                       "INSERT INTO resource_versions(seq, type, id, version, last_updated, "
                       "deleted, method, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                       -1, &stmt, nullptr);
    sqlite3_bind_int64(stmt, 1, next);
    sqlite3_bind_text(stmt, 2, type.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 3, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 4, version);
    sqlite3_bind_int64(stmt, 5, kBase + next * 1000000);
    sqlite3_bind_int(stmt, 6, deleted ? 1 : 0);
    sqlite3_bind_text(stmt, 7, method.c_str(), -1, SQLITE_TRANSIENT);
    if (deleted) {
      sqlite3_bind_null(stmt, 8);
    } else {
      sqlite3_bind_text(stmt, 8, body.c_str(), -1, SQLITE_TRANSIENT);
    }
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return next;
  }

  void EndVersion(int64_t seq, int64_t ended_by) {
    Exec("UPDATE resource_versions SET ended_seq = " + std::to_string(ended_by) +
         " WHERE seq = " + std::to_string(seq));
  }

  Query Parse(const std::string& type, const Params& params) {
    fhir::search::ParseOptions options;
    options.strict = true;
    fhir::IssueList warnings;
    auto q = fhir::search::ParseQuery(type, params, options, warnings);
    EXPECT_TRUE(q.has_value()) << (q ? "" : q.error().message());
    return q ? *q : Query{};
  }

  SearchResult Run(const Query& query) {
    Exec("BEGIN");
    auto result = ExecuteSearch(db_, query);
    Exec("COMMIT");
    EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message());
    return result ? *result : SearchResult{};
  }

  SearchResult Search(const std::string& type, const Params& params) {
    return Run(Parse(type, params));
  }

  static std::vector<std::string> Ids(const std::vector<ResourceVersion>& versions) {
    std::vector<std::string> ids;
    for (const ResourceVersion& v : versions) ids.push_back(v.id);
    return ids;
  }
  static std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }
  // Ids of the matches, sorted (for searches whose order is not under test).
  std::vector<std::string> Find(const std::string& type, const Params& params) {
    return Sorted(Ids(Search(type, params).matches));
  }

  std::filesystem::path dir_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<SearchIndexWriter> writer_;
};

using V = std::vector<std::string>;

TEST_F(SearchSqlTest, WritesIndexRowsKeyedBySeq) {
  int64_t seq = Put(R"({"resourceType":"Patient","id":"p1","gender":"male",
    "name":[{"family":"Berg","given":["Ola"]}],"birthDate":"1980"})");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM idx_token WHERE param = 'gender' AND seq = " +
                     std::to_string(seq)),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM idx_string WHERE param = 'name'"), 2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM idx_date WHERE type = 'Patient'"), 1);
  // Updating keeps the old version's rows (history) and adds the new version's.
  int64_t seq2 = Put(R"({"resourceType":"Patient","id":"p1","gender":"female"})");
  EXPECT_GT(seq2, seq);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM idx_token WHERE param = 'gender'"), 2);
  auto inactive = fhir::json::Parse(R"({"resourceType":"Patient","active":false})");
  ASSERT_TRUE(inactive.has_value());
  EXPECT_TRUE(WriteSearchIndex(db_, 99, "Patient", fhir::search::ExtractIndex(*inactive)).ok());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM idx_token WHERE seq = 99 AND code = 'false'"), 1);
}

TEST_F(SearchSqlTest, TokenForms) {
  Put(R"({"resourceType":"Patient","id":"a","gender":"female",
    "identifier":[{"system":"urn:sys:a","value":"1"}]})");
  Put(R"({"resourceType":"Patient","id":"b","gender":"male",
    "identifier":[{"system":"urn:sys:b","value":"1"}]})");
  Put(R"({"resourceType":"Patient","id":"c","identifier":[{"value":"2"}]})");
  EXPECT_EQ(Find("Patient", {{"identifier", "1"}}), (V{"a", "b"}));
  EXPECT_EQ(Find("Patient", {{"identifier", "urn:sys:a|1"}}), V{"a"});
  EXPECT_EQ(Find("Patient", {{"identifier", "urn:sys:a|2"}}), V{});
  EXPECT_EQ(Find("Patient", {{"identifier", "|2"}}), V{"c"});
  EXPECT_EQ(Find("Patient", {{"identifier", "|1"}}), V{});
  EXPECT_EQ(Find("Patient", {{"identifier", "urn:sys:b|"}}), V{"b"});
  EXPECT_EQ(Find("Patient", {{"identifier", "urn:sys:b|,2"}}), (V{"b", "c"}));
  EXPECT_EQ(Find("Patient", {{"gender", "female"}}), V{"a"});
  // :not matches resources without a matching token, including those without any.
  EXPECT_EQ(Find("Patient", {{"gender:not", "male"}}), (V{"a", "c"}));
  EXPECT_EQ(Find("Patient", {{"gender:not", "male,female"}}), V{"c"});
  EXPECT_EQ(Find("Patient", {{"gender:missing", "true"}}), V{"c"});
  EXPECT_EQ(Find("Patient", {{"gender:missing", "false"}}), (V{"a", "b"}));
  EXPECT_EQ(Find("Patient", {{"_id", "a,c"}}), (V{"a", "c"}));
  EXPECT_EQ(Find("Patient", {{"_id:not", "a"}}), (V{"b", "c"}));
  EXPECT_EQ(Find("Patient", {{"identifier", "1"}, {"gender", "male"}}), V{"b"});  // AND
}

TEST_F(SearchSqlTest, TokenTextAndCodings) {
  Put(R"({"resourceType":"Observation","id":"bp","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"85354-9",
                       "display":"Blood pressure panel"}],
            "text":"Blodtrykk"}})");
  Put(R"({"resourceType":"Observation","id":"w","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},
    "meta":{"tag":[{"system":"urn:tags","code":"demo"}]}})");
  EXPECT_EQ(Find("Observation", {{"code", "http://loinc.org|85354-9"}}), V{"bp"});
  EXPECT_EQ(Find("Observation", {{"code", "http://loinc.org|"}}), (V{"bp", "w"}));
  EXPECT_EQ(Find("Observation", {{"code:text", "blodt"}}), V{"bp"});
  EXPECT_EQ(Find("Observation", {{"code:text", "PRESSURE"}}), V{"bp"});  // a word's start
  EXPECT_EQ(Find("Observation", {{"code:text", "ressure"}}), V{});
  EXPECT_EQ(Find("Observation", {{"code:text", "weight"}}), V{"w"});
  EXPECT_EQ(Find("Observation", {{"_tag", "urn:tags|demo"}}), V{"w"});
  EXPECT_EQ(Find("Observation", {{"status", "final"}}), (V{"bp", "w"}));
}

TEST_F(SearchSqlTest, StringsWithNorwegianLetters) {
  Put(R"({"resourceType":"Patient","id":"ase","name":[{"family":"Østby","given":["Åse"]}]})");
  Put(R"({"resourceType":"Patient","id":"asb","name":[{"family":"Berg","given":["Asbjørn"]}]})");
  Put(R"({"resourceType":"Patient","id":"aer","name":[{"family":"Ødegård","given":["Ærlig"]}]})");
  Put(R"({"resourceType":"Patient","id":"jose","name":[{"family":"Müller","given":["José"]}]})");
  EXPECT_EQ(Find("Patient", {{"name", "Ås"}}), V{"ase"});  // å is not a
  EXPECT_EQ(Find("Patient", {{"name", "ÅS"}}), V{"ase"});
  EXPECT_EQ(Find("Patient", {{"name", "as"}}), V{"asb"});
  EXPECT_EQ(Find("Patient", {{"given", "asbjørn"}}), V{"asb"});
  EXPECT_EQ(Find("Patient", {{"family", "øst"}}), V{"ase"});
  EXPECT_EQ(Find("Patient", {{"name", "jose"}}), V{"jose"});  // accents removed
  EXPECT_EQ(Find("Patient", {{"name", "MULLER"}}), V{"jose"});
  EXPECT_EQ(Find("Patient", {{"family", "berg"}}), V{"asb"});  // starts-with, not contains
  EXPECT_EQ(Find("Patient", {{"family", "erg"}}), V{});
  EXPECT_EQ(Find("Patient", {{"family:contains", "erg"}}), V{"asb"});
  EXPECT_EQ(Find("Patient", {{"family:contains", "DEGÅ"}}), V{"aer"});
  EXPECT_EQ(Find("Patient", {{"family:exact", "Østby"}}), V{"ase"});
  EXPECT_EQ(Find("Patient", {{"family:exact", "østby"}}), V{});
  EXPECT_EQ(Find("Patient", {{"family:exact", "Østb"}}), V{});
  EXPECT_EQ(Find("Patient", {{"name", "æ,øde"}}), V{"aer"});
  EXPECT_EQ(Find("Patient", {{"name", "å"}, {"name", "øst"}}), V{"ase"});
}

TEST_F(SearchSqlTest, DatePrefixesCompareRanges) {
  Put(R"({"resourceType":"Patient","id":"may","birthDate":"1980-05-10"})");
  Put(R"({"resourceType":"Patient","id":"y80","birthDate":"1980"})");
  Put(R"({"resourceType":"Patient","id":"y90","birthDate":"1990-01-01"})");
  Put(R"({"resourceType":"Patient","id":"none"})");
  EXPECT_EQ(Find("Patient", {{"birthdate", "1980"}}), (V{"may", "y80"}));
  EXPECT_EQ(Find("Patient", {{"birthdate", "eq1980-05"}}), V{"may"});
  EXPECT_EQ(Find("Patient", {{"birthdate", "ne1980"}}), V{"y90"});
  EXPECT_EQ(Find("Patient", {{"birthdate", "gt1985"}}), V{"y90"});
  EXPECT_EQ(Find("Patient", {{"birthdate", "gt1980-05"}}), (V{"y80", "y90"}));
  EXPECT_EQ(Find("Patient", {{"birthdate", "lt1985"}}), (V{"may", "y80"}));
  EXPECT_EQ(Find("Patient", {{"birthdate", "ge1980-06"}}), (V{"y80", "y90"}));
  EXPECT_EQ(Find("Patient", {{"birthdate", "le1980-05-10"}}), (V{"may", "y80"}));
  EXPECT_EQ(Find("Patient", {{"birthdate", "sa1980-05-31"}}), V{"y90"});
  EXPECT_EQ(Find("Patient", {{"birthdate", "eb1980-06"}}), V{"may"});
  EXPECT_EQ(Find("Patient", {{"birthdate", "ap1990-01-01"}}), V{"y90"});
  EXPECT_EQ(Find("Patient", {{"birthdate", "ge1980"}, {"birthdate", "lt1981"}}), (V{"may", "y80"}));
  EXPECT_EQ(Find("Patient", {{"birthdate:missing", "true"}}), V{"none"});
  EXPECT_EQ(Find("Patient", {{"birthdate", "1980-05-10T12:00:00Z"}}), V{});  // day > instant
}

TEST_F(SearchSqlTest, PeriodsWithOpenEndsAndLastUpdated) {
  int64_t s1 = Put(R"({"resourceType":"Observation","id":"open","status":"final",
    "code":{"text":"x"},"effectivePeriod":{"start":"2021-03-01T10:00:00+01:00"}})");
  int64_t s2 = Put(R"({"resourceType":"Observation","id":"closed","status":"final",
    "code":{"text":"x"},"effectivePeriod":{"start":"2021-01-01","end":"2021-01-31"}})");
  EXPECT_EQ(Find("Observation", {{"date", "ge2030"}}), V{"open"});
  EXPECT_EQ(Find("Observation", {{"date", "2021-01"}}), V{"closed"});
  EXPECT_EQ(Find("Observation", {{"date", "lt2021-02"}}), V{"closed"});
  EXPECT_EQ(Find("Observation", {{"date", "sa2021-01-31"}}), V{"open"});
  EXPECT_EQ(Find("Observation", {{"date", "ge2021-03-01T09:00:00Z"}}), V{"open"});
  EXPECT_EQ(Find("Observation", {{"date", "lt2021-03-01T09:00:00Z"}}), V{"closed"});
  // _lastUpdated comes from resource_versions.last_updated (kBase + seq seconds).
  std::string second_of_s2 = "2020-01-01T00:00:0" + std::to_string(s2) + "Z";
  ASSERT_EQ(s1 + 1, s2);
  EXPECT_EQ(Find("Observation", {{"_lastUpdated", second_of_s2}}), V{"closed"});
  EXPECT_EQ(Find("Observation", {{"_lastUpdated", "lt" + second_of_s2}}), V{"open"});
  EXPECT_EQ(Find("Observation", {{"_lastUpdated", "ge2020-01-01"}}), (V{"closed", "open"}));
  EXPECT_EQ(Find("Observation", {{"_lastUpdated", "gt2020-01-01"}}), V{});
}

TEST_F(SearchSqlTest, NumbersAndQuantities) {
  Put(R"({"resourceType":"RiskAssessment","id":"r1","status":"final",
    "subject":{"reference":"Patient/p"},"prediction":[{"probabilityDecimal":0.25}]})");
  Put(R"({"resourceType":"RiskAssessment","id":"r2","status":"final",
    "subject":{"reference":"Patient/p"},"prediction":[{"probabilityDecimal":0.5}]})");
  EXPECT_EQ(Find("RiskAssessment", {{"probability", "0.25"}}), V{"r1"});
  EXPECT_EQ(Find("RiskAssessment", {{"probability", "gt0.3"}}), V{"r2"});
  EXPECT_EQ(Find("RiskAssessment", {{"probability", "le0.5"}}), (V{"r1", "r2"}));
  EXPECT_EQ(Find("RiskAssessment", {{"probability", "ne0.5"}}), V{"r1"});

  const char* kUcum = "http://unitsofmeasure.org";
  Put(std::string(R"({"resourceType":"Observation","id":"q1","status":"final","code":{"text":"x"},
    "valueQuantity":{"value":5.4,"unit":"mmol/L","system":")") +
      kUcum + R"(","code":"mmol/L"}})");
  Put(std::string(R"({"resourceType":"Observation","id":"q2","status":"final","code":{"text":"x"},
    "valueQuantity":{"value":5.40,"unit":"mmol/L","system":")") +
      kUcum + R"(","code":"mmol/L"}})");
  Put(R"({"resourceType":"Observation","id":"q3","status":"final","code":{"text":"x"},
    "valueQuantity":{"value":7,"unit":"mg"}})");
  EXPECT_EQ(Find("Observation", {{"value-quantity", "5.4"}}), (V{"q1", "q2"}));
  EXPECT_EQ(Find("Observation", {{"value-quantity", "5.40"}}), V{"q2"});
  EXPECT_EQ(Find("Observation", {{"value-quantity", "5.4|" + std::string(kUcum) + "|mmol/L"}}),
            (V{"q1", "q2"}));
  EXPECT_EQ(Find("Observation", {{"value-quantity", "5.4|" + std::string(kUcum) + "|mg"}}), V{});
  EXPECT_EQ(Find("Observation", {{"value-quantity", "7||mg"}}), V{"q3"});  // unit text
  EXPECT_EQ(Find("Observation", {{"value-quantity", "lt6"}}), (V{"q1", "q2"}));
  EXPECT_EQ(Find("Observation", {{"value-quantity", "gt5.4"}}), V{"q3"});
  EXPECT_EQ(Find("Observation", {{"value-quantity", "ap5"}}), (V{"q1", "q2"}));
  EXPECT_EQ(Find("Observation", {{"value-quantity", "ne5.4"}}), V{"q3"});
  EXPECT_EQ(Find("Observation", {{"value-quantity", "sa7"}}), V{});
  EXPECT_EQ(Find("Observation", {{"value-quantity", "eb7"}}), (V{"q1", "q2"}));
}

TEST_F(SearchSqlTest, ReferencesAndChaining) {
  Put(R"({"resourceType":"Organization","id":"o1","name":"Helse Nord"})");
  Put(R"({"resourceType":"Patient","id":"p1","name":[{"given":["Åse"]}],
    "managingOrganization":{"reference":"Organization/o1"}})");
  Put(R"({"resourceType":"Patient","id":"p2","name":[{"given":["Ola"]}]})");
  Put(R"({"resourceType":"Group","id":"g1","type":"person","actual":true,"name":"Ola-gruppa"})");
  Put(R"({"resourceType":"Observation","id":"obs1","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/p1"}})");
  Put(R"({"resourceType":"Observation","id":"obs2","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/p2/_history/1"}})");
  Put(R"({"resourceType":"Observation","id":"obs3","status":"final","code":{"text":"x"},
    "subject":{"reference":"Group/g1"},
    "performer":[{"identifier":{"system":"urn:hpr","value":"42"}}]})");
  Put(R"({"resourceType":"Observation","id":"obs4","status":"final","code":{"text":"x"},
    "subject":{"reference":"http://other.org/fhir/Patient/p1"}})");

  EXPECT_EQ(Find("Observation", {{"subject", "Patient/p1"}}), V{"obs1"});
  EXPECT_EQ(Find("Observation", {{"subject", "p1"}}), V{"obs1"});
  EXPECT_EQ(Find("Observation", {{"subject", "Patient/p2"}}), V{"obs2"});
  EXPECT_EQ(Find("Observation", {{"subject", "Patient/p2/_history/1"}}), V{"obs2"});
  EXPECT_EQ(Find("Observation", {{"subject", "Patient/p2/_history/2"}}), V{});
  EXPECT_EQ(Find("Observation", {{"subject:Patient", "p2"}}), V{"obs2"});
  EXPECT_EQ(Find("Observation", {{"subject:Group", "g1"}}), V{"obs3"});
  EXPECT_EQ(Find("Observation", {{"subject:Patient", "g1"}}), V{});
  EXPECT_EQ(Find("Observation", {{"subject", "http://other.org/fhir/Patient/p1"}}), V{"obs4"});
  EXPECT_EQ(Find("Observation", {{"patient", "p1"}}), V{"obs1"});
  EXPECT_EQ(Find("Observation", {{"performer:identifier", "urn:hpr|42"}}), V{"obs3"});
  EXPECT_EQ(Find("Observation", {{"performer:missing", "false"}}), V{"obs3"});

  EXPECT_EQ(Find("Observation", {{"subject:Patient.name", "åse"}}), V{"obs1"});
  EXPECT_EQ(Find("Observation", {{"patient.name", "OLA"}}), V{"obs2"});
  EXPECT_EQ(Find("Observation", {{"subject:Group.type", "person"}}), V{"obs3"});
  EXPECT_EQ(Find("Observation", {{"subject:Patient.organization.name", "helse"}}), V{"obs1"});
  EXPECT_EQ(Find("Observation", {{"subject:Patient.organization.name", "nord"}}), V{});
  EXPECT_EQ(Find("Observation", {{"subject:Patient._id", "p1,p2"}}), (V{"obs1", "obs2"}));

  // Chains only follow live targets: renaming or deleting the patient changes the result.
  Put(R"({"resourceType":"Patient","id":"p1","name":[{"given":["Kari"]}]})");
  EXPECT_EQ(Find("Observation", {{"subject:Patient.name", "åse"}}), V{});
  EXPECT_EQ(Find("Observation", {{"subject:Patient.name", "kari"}}), V{"obs1"});
  Delete("Patient", "p1");
  EXPECT_EQ(Find("Observation", {{"subject:Patient.name", "kari"}}), V{});
  EXPECT_EQ(Find("Observation", {{"subject", "Patient/p1"}}), V{"obs1"});  // plain ref remains
}

TEST_F(SearchSqlTest, LongValueListsStayWithinSqliteLimits) {
  // SQLite refuses expressions deeper than 1000 and more than 32766 parameters; an access
  // narrowing can name thousands of patients. Long OR lists are balanced trees and plain
  // references one json_each() list.
  Put(R"({"resourceType":"Observation","id":"obs1","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/p1"}})");
  Put(R"({"resourceType":"Observation","id":"obs2","status":"final","code":{"text":"x"},
    "subject":{"reference":"Group/g7"}})");
  Put(R"({"resourceType":"Patient","id":"p1","name":[{"family":"Berg"}]})");
  fhir::search::ParseOptions unlimited;
  unlimited.strict = true;
  unlimited.max_values = 1'000'000;
  auto parse = [&](const std::string& type, const std::string& name, const std::string& value) {
    fhir::IssueList warnings;
    auto q = fhir::search::ParseQuery(type, {{name, value}}, unlimited, warnings);
    EXPECT_TRUE(q.has_value()) << (q ? "" : q.error().message());
    return q ? *q : Query{};
  };
  std::string refs;
  for (int i = 0; i < 20'000; ++i) refs += "Patient/x" + std::to_string(i) + ",";
  EXPECT_EQ(Sorted(Ids(Run(parse("Observation", "subject", refs + "Patient/p1,Group/g7")).matches)),
            (V{"obs1", "obs2"}));
  EXPECT_EQ(Ids(Run(parse("Observation", "subject", refs + "Patient/p2")).matches), V{});
  std::string names;
  for (int i = 0; i < 3000; ++i) names += "navn" + std::to_string(i) + ",";
  EXPECT_EQ(Ids(Run(parse("Patient", "family", names + "Berg")).matches), V{"p1"});
  std::string ids;
  for (int i = 0; i < 40'000; ++i) ids += "id" + std::to_string(i) + ",";
  EXPECT_EQ(Ids(Run(parse("Patient", "_id", ids + "p1")).matches), V{"p1"});
  std::string dates;
  for (int i = 0; i < 3000; ++i) dates += "lt1990-01-01,";
  EXPECT_EQ(Ids(Run(parse("Patient", "_lastUpdated", dates + "gt2000-01-01")).matches), V{"p1"});
}

TEST_F(SearchSqlTest, PagesAreBoundedInBytes) {
  const std::string text(1000, 'x');
  for (int i = 0; i < 6; ++i) {
    Put(R"({"resourceType":"Patient","id":"p)" + std::to_string(i) +
        R"(","name":[{"family":"Berg"}],"text":{"status":"generated","div":"<div>)" + text +
        R"(</div>"}})");
  }
  Query q = Parse("Patient", {{"family", "Berg"}, {"_count", "6"}});
  q.max_page_bytes = 2500;  // a page ends after the resource that reaches it: three of ~1 kB
  SearchResult first = Run(q);
  EXPECT_EQ(first.matches.size(), 3u);
  EXPECT_TRUE(first.truncated);
  q.offset = 3;
  SearchResult second = Run(q);
  EXPECT_EQ(second.matches.size(), 3u);
  EXPECT_FALSE(second.truncated);  // the end of the result, not of the byte budget
  std::vector<std::string> all = Ids(first.matches);
  for (const std::string& id : Ids(second.matches)) all.push_back(id);
  EXPECT_EQ(Sorted(all), (V{"p0", "p1", "p2", "p3", "p4", "p5"}));
  q.offset = 0;
  q.max_page_bytes = 1;  // always at least one
  EXPECT_EQ(Run(q).matches.size(), 1u);
}

TEST_F(SearchSqlTest, UriModifiers) {
  Put(R"({"resourceType":"ValueSet","id":"v1","status":"active",
    "url":"http://example.org/fhir/ValueSet/colors"})");
  Put(R"({"resourceType":"ValueSet","id":"v2","status":"active",
    "url":"http://example.org/fhir"})");
  EXPECT_EQ(Find("ValueSet", {{"url", "http://example.org/fhir/ValueSet/colors"}}), V{"v1"});
  EXPECT_EQ(Find("ValueSet", {{"url", "http://example.org/fhir/ValueSet"}}), V{});
  EXPECT_EQ(Find("ValueSet", {{"url:below", "http://example.org/fhir/"}}), V{"v1"});
  EXPECT_EQ(Find("ValueSet", {{"url:below", "http://example.org/fhir"}}), (V{"v1", "v2"}));
  EXPECT_EQ(Find("ValueSet", {{"url:above", "http://example.org/fhir/ValueSet/colors/x"}}),
            (V{"v1", "v2"}));
  EXPECT_EQ(Find("ValueSet", {{"url:above", "http://example.org/fhir/Other"}}), V{"v2"});
  EXPECT_EQ(Find("ValueSet", {{"url:contains", "colors"}}), V{"v1"});
}

TEST_F(SearchSqlTest, SupersededAndDeletedVersionsDoNotMatch) {
  Put(R"({"resourceType":"Patient","id":"p","gender":"male","name":[{"family":"Old"}]})");
  Put(R"({"resourceType":"Patient","id":"p","gender":"female","name":[{"family":"New"}]})");
  Put(R"({"resourceType":"Patient","id":"q","gender":"male"})");
  EXPECT_EQ(Find("Patient", {{"gender", "male"}}), V{"q"});
  EXPECT_EQ(Find("Patient", {{"family", "old"}}), V{});
  EXPECT_EQ(Find("Patient", {{"family", "new"}}), V{"p"});
  EXPECT_EQ(Find("Patient", {{"gender:missing", "false"}}), (V{"p", "q"}));
  SearchResult all = Search("Patient", {});
  ASSERT_EQ(all.matches.size(), 2u);
  EXPECT_EQ(all.matches[0].id, "p");
  EXPECT_EQ(all.matches[0].version, 2);
  EXPECT_NE(all.matches[0].body.find("New"), std::string::npos);
  EXPECT_EQ(all.total, 2);

  Delete("Patient", "p");
  EXPECT_EQ(Find("Patient", {{"gender", "female"}}), V{});
  EXPECT_EQ(Find("Patient", {}), V{"q"});
  EXPECT_EQ(Find("Patient", {{"_id", "p"}}), V{});
  EXPECT_EQ(Find("Patient", {{"gender:not", "male"}}), V{});

  // MatchIds: live now, same rules.
  auto ids = MatchIds(db_, Parse("Patient", {{"gender", "male,female"}}));
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, V{"q"});
  auto no_type = MatchIds(db_, Parse("", {{"_id", "q"}}));
  EXPECT_FALSE(no_type.has_value());
}

TEST_F(SearchSqlTest, MatchIdsSeesUncommittedWritesOfTheConnection) {
  Put(R"({"resourceType":"Patient","id":"a","identifier":[{"system":"urn:x","value":"1"}]})");
  Exec("BEGIN");
  Put(R"({"resourceType":"Patient","id":"b","identifier":[{"system":"urn:x","value":"1"}]})",
      /*transaction=*/false);
  auto ids = MatchIds(db_, Parse("Patient", {{"identifier", "urn:x|1"}}));
  ASSERT_TRUE(ids.has_value()) << ids.error().message();
  EXPECT_EQ(*ids, (V{"a", "b"}));
  Exec("ROLLBACK");
  auto after = MatchIds(db_, Parse("Patient", {{"identifier", "urn:x|1"}}));
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after, V{"a"});
}

TEST_F(SearchSqlTest, SortByParametersWithMissingLast) {
  Put(R"({"resourceType":"Patient","id":"c","birthDate":"1990","name":[{"family":"Ås"}]})");
  Put(R"({"resourceType":"Patient","id":"a","birthDate":"1970","name":[{"family":"Berg"}]})");
  Put(R"({"resourceType":"Patient","id":"n","name":[{"family":"Aas"}]})");
  Put(R"({"resourceType":"Patient","id":"b","birthDate":"1980"})");
  EXPECT_EQ(Ids(Search("Patient", {{"_sort", "birthdate"}}).matches), (V{"a", "b", "c", "n"}));
  EXPECT_EQ(Ids(Search("Patient", {{"_sort", "-birthdate"}}).matches), (V{"c", "b", "a", "n"}));
  // Names: "aas" < "berg" < "ås" in binary order of the normalized form; b has none.
  EXPECT_EQ(Ids(Search("Patient", {{"_sort", "family"}}).matches), (V{"n", "a", "c", "b"}));
  EXPECT_EQ(Ids(Search("Patient", {{"_sort", "_id"}}).matches), (V{"a", "b", "c", "n"}));
  EXPECT_EQ(Ids(Search("Patient", {{"_sort", "-_lastUpdated"}}).matches), (V{"b", "n", "a", "c"}));
  EXPECT_EQ(Ids(Search("Patient", {}).matches), (V{"c", "a", "n", "b"}));  // by seq
  // Ties keep seq order: a second key breaks them.
  Put(R"({"resourceType":"Patient","id":"d","birthDate":"1980"})");
  EXPECT_EQ(Ids(Search("Patient", {{"_sort", "birthdate"}}).matches), (V{"a", "b", "d", "c", "n"}));
  EXPECT_EQ(Ids(Search("Patient", {{"_sort", "birthdate,-_id"}}).matches),
            (V{"a", "d", "b", "c", "n"}));
}

TEST_F(SearchSqlTest, PagingAtASnapshotStaysConsistentUnderWrites) {
  for (const char* id : {"p1", "p2", "p3", "p4", "p5"}) {
    Put(std::string(R"({"resourceType":"Patient","id":")") + id + R"(","gender":"female"})");
  }
  // The full result at the snapshot, as the reference for the pages.
  Query all = Parse("Patient", {{"gender", "female"}, {"_sort", "_id"}});
  SearchResult everything = Run(all);
  ASSERT_EQ(Ids(everything.matches), (V{"p1", "p2", "p3", "p4", "p5"}));

  Query page1 = Parse("Patient", {{"gender", "female"}, {"_sort", "_id"}, {"_count", "2"}});
  SearchResult first = Run(page1);
  EXPECT_EQ(Ids(first.matches), (V{"p1", "p2"}));
  EXPECT_EQ(first.total, 5);
  int64_t snapshot = first.snapshot;
  EXPECT_EQ(snapshot, QueryInt("SELECT max(seq) FROM resource_versions"));

  // Concurrent writes after the snapshot: a new match, an update that stops matching, a
  // delete, and an update that keeps matching.
  Put(R"({"resourceType":"Patient","id":"p0","gender":"female"})");
  Put(R"({"resourceType":"Patient","id":"p3","gender":"male"})");
  Delete("Patient", "p4");
  Put(R"({"resourceType":"Patient","id":"p5","gender":"female","active":true})");

  Query page2 = Parse("Patient", {{"gender", "female"},
                                  {"_sort", "_id"},
                                  {"_count", "2"},
                                  {"_offset", "2"},
                                  {"_snapshot", std::to_string(snapshot)}});
  SearchResult second = Run(page2);
  EXPECT_EQ(Ids(second.matches), (V{"p3", "p4"}));
  EXPECT_EQ(second.snapshot, snapshot);
  EXPECT_EQ(second.total, 5);
  for (const ResourceVersion& v : second.matches) EXPECT_LE(v.seq, snapshot);
  Query page3 = page2;
  page3.offset = 4;
  SearchResult third = Run(page3);
  ASSERT_EQ(Ids(third.matches), V{"p5"});
  EXPECT_EQ(third.matches[0].version, 1);  // the version live at the snapshot
  EXPECT_EQ(third.matches[0].body.find("active"), std::string::npos);

  // Now (no snapshot) the result reflects the writes.
  SearchResult now = Search("Patient", {{"gender", "female"}, {"_sort", "_id"}});
  EXPECT_EQ(Ids(now.matches), (V{"p0", "p1", "p2", "p5"}));
  EXPECT_GT(now.snapshot, snapshot);

  // A snapshot before a resource existed does not see it.
  Query early = Parse("Patient", {{"_snapshot", "1"}});
  EXPECT_EQ(Ids(Run(early).matches), V{"p1"});
}

TEST_F(SearchSqlTest, TotalSummaryCountAndZeroCount) {
  for (int i = 0; i < 3; ++i) {
    Put(R"({"resourceType":"Patient","id":"p)" + std::to_string(i) + R"(","active":true})");
  }
  SearchResult count = Search("Patient", {{"_summary", "count"}});
  EXPECT_TRUE(count.matches.empty());
  EXPECT_EQ(count.total, 3);
  SearchResult none = Search("Patient", {{"_total", "none"}, {"_count", "2"}});
  EXPECT_EQ(none.matches.size(), 2u);
  EXPECT_FALSE(none.total.has_value());
  SearchResult zero = Search("Patient", {{"_count", "0"}});
  EXPECT_TRUE(zero.matches.empty());
  EXPECT_EQ(zero.total, 3);
  SearchResult paged = Search("Patient", {{"_count", "2"}, {"_offset", "2"}});
  EXPECT_EQ(Ids(paged.matches), V{"p2"});
  EXPECT_EQ(paged.total, 3);
  SearchResult estimate = Search("Patient", {{"_total", "estimate"}, {"_count", "1"}});
  EXPECT_EQ(estimate.total, 3);
}

TEST_F(SearchSqlTest, IncludeAndRevinclude) {
  Put(R"({"resourceType":"Organization","id":"o1","name":"Helse Nord"})");
  Put(R"({"resourceType":"Patient","id":"p1",
    "managingOrganization":{"reference":"Organization/o1"}})");
  Put(R"({"resourceType":"Patient","id":"p2"})");
  Put(R"({"resourceType":"Patient","id":"gone"})");
  Put(R"({"resourceType":"Observation","id":"a","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/p1"}})");
  Put(R"({"resourceType":"Observation","id":"b","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/p1"}})");
  Put(R"({"resourceType":"Observation","id":"c","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/gone"},"hasMember":[{"reference":"Observation/a"}]})");
  Put(R"({"resourceType":"Observation","id":"d","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/p2"}})");
  Delete("Patient", "gone");
  // d no longer points to p2 in its current version.
  Put(R"({"resourceType":"Observation","id":"d","status":"final","code":{"text":"x"}})");

  SearchResult inc = Search("Observation", {{"_include", "Observation:subject"}});
  EXPECT_EQ(Sorted(Ids(inc.matches)), (V{"a", "b", "c", "d"}));
  ASSERT_EQ(Ids(inc.included), V{"p1"});  // de-duplicated; the deleted patient is left out
  EXPECT_FALSE(inc.included[0].deleted);
  EXPECT_FALSE(inc.included[0].body.empty());

  SearchResult iter = Search("Observation", {{"_id", "a"},
                                             {"_include", "Observation:subject:Patient"},
                                             {"_include:iterate", "Patient:organization"}});
  EXPECT_EQ(Sorted(Ids(iter.included)), (V{"o1", "p1"}));
  SearchResult no_iter = Search("Observation", {{"_id", "a"}, {"_include", "Observation:subject"}});
  EXPECT_EQ(Ids(no_iter.included), V{"p1"});
  SearchResult wrong_target =
      Search("Observation", {{"_id", "a"}, {"_include", "Observation:subject:Group"}});
  EXPECT_TRUE(wrong_target.included.empty());
  SearchResult star = Search("Observation", {{"_id", "c"}, {"_include", "Observation:*"}});
  EXPECT_EQ(Ids(star.included), V{"a"});  // hasMember; the subject is deleted

  SearchResult rev = Search("Patient", {{"_revinclude", "Observation:subject"}});
  EXPECT_EQ(Sorted(Ids(rev.matches)), (V{"p1", "p2"}));
  EXPECT_EQ(Sorted(Ids(rev.included)), (V{"a", "b"}));  // d's current version has no subject

  SearchResult rev_iter = Search("Patient", {{"_id", "p1"},
                                             {"_revinclude", "Observation:subject"},
                                             {"_revinclude:iterate", "Observation:has-member"}});
  EXPECT_EQ(Sorted(Ids(rev_iter.included)), (V{"a", "b", "c"}));

  SearchResult both = Search("Patient", {{"_id", "p1"},
                                         {"_include", "Patient:organization"},
                                         {"_revinclude", "Observation:patient"}});
  EXPECT_EQ(Sorted(Ids(both.included)), (V{"a", "b", "o1"}));
}

TEST_F(SearchSqlTest, IncludedResourcesAreCapped) {
  Put(R"({"resourceType":"Patient","id":"p"})");
  Exec("BEGIN");
  for (size_t i = 0; i < kMaxIncluded + 5; ++i) {
    Put(R"({"resourceType":"Observation","id":"o)" + std::to_string(i) +
            R"(","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p"}})",
        /*transaction=*/false);
  }
  Exec("COMMIT");
  SearchResult rev = Search("Patient", {{"_revinclude", "Observation:subject"}});
  EXPECT_EQ(rev.included.size(), kMaxIncluded);
  EXPECT_EQ(rev.included.front().id, "o0");  // in seq order
}

TEST_F(SearchSqlTest, IncludesAreTakenAtTheSnapshot) {
  Put(R"({"resourceType":"Patient","id":"p1","gender":"male"})");
  Put(R"({"resourceType":"Observation","id":"a","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/p1"}})");
  SearchResult first = Search("Observation", {{"_include", "Observation:subject"}});
  ASSERT_EQ(first.included.size(), 1u);
  int64_t snapshot = first.snapshot;
  Put(R"({"resourceType":"Patient","id":"p1","gender":"female"})");
  Put(R"({"resourceType":"Observation","id":"b","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/p1"}})");

  Query at = Parse("Observation",
                   {{"_include", "Observation:subject"}, {"_snapshot", std::to_string(snapshot)}});
  SearchResult old = Run(at);
  EXPECT_EQ(Ids(old.matches), V{"a"});
  ASSERT_EQ(old.included.size(), 1u);
  EXPECT_EQ(old.included[0].version, 1);
  EXPECT_NE(old.included[0].body.find("male"), std::string::npos);
  EXPECT_EQ(old.included[0].body.find("female"), std::string::npos);

  Query rev = Parse(
      "Patient", {{"_revinclude", "Observation:subject"}, {"_snapshot", std::to_string(snapshot)}});
  EXPECT_EQ(Ids(Run(rev).included), V{"a"});
}

TEST_F(SearchSqlTest, SystemLevelSearch) {
  Put(R"({"resourceType":"Patient","id":"x","meta":{"tag":[{"system":"urn:t","code":"demo"}]}})");
  Put(R"({"resourceType":"Observation","id":"x","status":"final","code":{"text":"x"},
    "meta":{"tag":[{"system":"urn:t","code":"demo"}]}})");
  Put(R"({"resourceType":"Organization","id":"y"})");
  SearchResult tagged = Search("", {{"_tag", "urn:t|demo"}});
  ASSERT_EQ(tagged.matches.size(), 2u);
  EXPECT_EQ(tagged.matches[0].type, "Patient");
  EXPECT_EQ(tagged.matches[1].type, "Observation");
  EXPECT_EQ(Search("", {{"_id", "y"}}).matches.size(), 1u);
  EXPECT_EQ(Search("", {}).total, 3);
}

TEST_F(SearchSqlTest, ValuesAreBoundNotConcatenated) {
  Put(R"({"resourceType":"Patient","id":"p","name":[{"family":"O'Brien"}]})");
  EXPECT_EQ(Find("Patient", {{"family", "o'b"}}), V{"p"});
  EXPECT_EQ(Find("Patient", {{"family", "x') OR 1=1 --"}}), V{});
  EXPECT_EQ(Find("Patient", {{"_id", "p' OR '1'='1"}}), V{});
  EXPECT_EQ(QueryInt("SELECT count(*) FROM resource_versions"), 1);
}

// The planner drives by a selective criterion or walks candidates in seq order; either way the
// answer, its order and its paging must be the same, and without _total the total is given
// only when it is cheap (at most 1000 matches).
TEST_F(SearchSqlTest, PlansForSelectiveAndUnselectiveCriteriaAgree) {
  Exec("BEGIN");
  for (int i = 0; i < 1205; ++i) {
    std::string family = i % 400 == 7 ? "Nal" : "Hoy";  // needles: p7, p407, p807
    Put(R"({"resourceType":"Patient","id":"p)" + std::to_string(i) +
            R"(","gender":"female","name":[{"family":")" + family + R"("}]})",
        /*transaction=*/false);
  }
  Put(R"({"resourceType":"Patient","id":"m","gender":"male","name":[{"family":"Nal"}]})",
      /*transaction=*/false);
  Exec("COMMIT");

  // Needle AND haystack, in both orders of the criteria: the needles, in seq order.
  for (const Params& params : {Params{{"gender", "female"}, {"family", "nal"}},
                               Params{{"family", "nal"}, {"gender", "female"}}}) {
    SearchResult r = Search("Patient", params);
    EXPECT_EQ(Ids(r.matches), (V{"p7", "p407", "p807"}));
    ASSERT_TRUE(r.total.has_value());
    EXPECT_EQ(*r.total, 3);
  }
  // Haystack only: a page in seq order; no total by default (over the bound), exact on request.
  Params page{{"gender", "female"}, {"_count", "3"}};
  SearchResult first = Search("Patient", page);
  EXPECT_EQ(Ids(first.matches), (V{"p0", "p1", "p2"}));
  EXPECT_FALSE(first.total.has_value());
  page.emplace_back("_total", "accurate");
  SearchResult counted = Search("Patient", page);
  ASSERT_TRUE(counted.total.has_value());
  EXPECT_EQ(*counted.total, 1205);
  // A later page at the first page's snapshot, after more matches were written.
  Put(R"({"resourceType":"Patient","id":"late","gender":"female"})");
  Query later = Parse("Patient", {{"gender", "female"},
                                  {"_count", "3"},
                                  {"_offset", "1203"},
                                  {"_snapshot", std::to_string(first.snapshot)}});
  EXPECT_EQ(Ids(Run(later).matches), (V{"p1203", "p1204"}));
  // Negation and probes combined with the haystack.
  EXPECT_EQ(
      Search("Patient", {{"family:missing", "false"}, {"gender:not", "female"}}).matches.size(),
      1u);
  EXPECT_EQ(Find("Patient", {{"family", "nal"}, {"_id", "p407,m"}}), (V{"m", "p407"}));
}

TEST_F(SearchSqlTest, CachedStatementsGiveTheSameResults) {
  Put(R"({"resourceType":"Patient","id":"a","gender":"female","name":[{"family":"Berg"}]})");
  Put(R"({"resourceType":"Patient","id":"b","gender":"male","name":[{"family":"Berg"}]})");
  Put(R"({"resourceType":"Observation","id":"o","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/a"}})");
  StatementCache cache(8);
  Query q =
      Parse("Patient",
            {{"family", "berg"}, {"gender", "female"}, {"_revinclude", "Observation:subject"}});
  for (int round = 0; round < 3; ++round) {
    Exec("BEGIN");
    auto r = ExecuteSearch(db_, q, &cache);
    Exec("COMMIT");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(Ids(r->matches), V{"a"}) << round;
    EXPECT_EQ(Ids(r->included), V{"o"}) << round;
    EXPECT_GT(cache.size(), 0u);
  }
  // Another shape of query on the same cache, then the first again.
  Exec("BEGIN");
  auto other = ExecuteSearch(db_, Parse("Patient", {{"gender", "male"}}), &cache);
  auto again = ExecuteSearch(db_, q, &cache);
  Exec("COMMIT");
  ASSERT_TRUE(other.has_value() && again.has_value());
  EXPECT_EQ(Ids(other->matches), V{"b"});
  EXPECT_EQ(Ids(again->matches), V{"a"});
  EXPECT_LE(cache.size(), 8u);
}

}  // namespace
}  // namespace store::sqlite
