// Write triggers (fhir/store/triggers.h) on the SQLite store: they see the version being
// replaced, may amend the resource and write more in the same unit, and an error from one
// leaves no trace of the unit; recursion is bounded.

#include <gtest/gtest.h>

#include <filesystem>

#include "fhir/json/parser.h"
#include "fhir/store/triggers.h"
#include "store/sqlite/sqlite_store.h"

namespace fhir::store {
namespace {

using json::Value;

// On every Patient write: records the family name it replaces, refuses the name "Refused",
// sets active (an amendment) and writes a Task next to it.
class RecordingTrigger final : public WriteTrigger {
 public:
  bool Watches(std::string_view type) const override { return type == "Patient" || type == "Task"; }
  common::Status BeforePut(WriteContext& ctx, const std::string& type, const std::string& id,
                           Value& resource, const Value* current) override {
    ++calls;
    if (type == "Task") {
      if (loop) {  // writes another Task from every Task: must stop at kMaxTriggerDepth
        auto t = json::Parse(R"({"resourceType":"Task","status":"requested","intent":"order"})");
        auto w = ctx.Put("Task", id + "x", *t, "POST");
        if (!w) return w.error();
      }
      return common::Status::Ok();
    }
    std::string family(resource.Find("name")->items()[0].GetString("family"));
    if (family == "Refused")
      return common::Status(common::Code::kUnprocessable, "refused by trigger");
    previous.push_back(current == nullptr
                           ? "<new>"
                           : std::string(current->Find("name")->items()[0].GetString("family")));
    resource.Set("active", Value::Bool(true));  // an amendment
    auto t = json::Parse(R"({"resourceType":"Task","status":"requested","intent":"order"})");
    auto w = ctx.Put("Task", "audit-" + id + "-" + std::to_string(previous.size()), *t, "POST");
    if (!w) return w.error();
    return common::Status::Ok();
  }
  int calls = 0;
  bool loop = false;
  std::vector<std::string> previous;
};

class StoreTriggers : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("emg-triggers-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ::store::sqlite::SqliteStoreOptions o;
    o.path = (dir_ / "t.db").string();
    o.durable = false;
    auto s = ::store::sqlite::OpenSqliteStore(o);
    ASSERT_TRUE(s.has_value()) << s.error().message();
    inner_ = std::move(*s);
    trigger_ = std::make_shared<RecordingTrigger>();
    store_ = WithTriggers(*inner_, {trigger_});
  }
  void TearDown() override {
    store_.reset();
    inner_.reset();
    std::filesystem::remove_all(dir_);
  }
  common::Status PutPatient(const std::string& id, const std::string& family) {
    auto p = json::Parse(R"({"resourceType":"Patient","name":[{"family":")" + family + R"("}]})");
    return store_->Commit([&](WriteContext& ctx) -> common::Status {
      auto w = ctx.Put("Patient", id, *p, "PUT");
      return w ? common::Status::Ok() : w.error();
    });
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> inner_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<RecordingTrigger> trigger_;
};

TEST_F(StoreTriggers, SeeTheReplacedVersionAmendAndWriteInTheSameUnit) {
  ASSERT_TRUE(PutPatient("p1", "Første").ok());
  ASSERT_TRUE(PutPatient("p1", "Andre").ok());
  EXPECT_EQ(trigger_->previous, (std::vector<std::string>{"<new>", "Første"}));
  auto stored = store_->Read("Patient", "p1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_NE(stored->body.find("\"active\":true"), std::string::npos) << stored->body;
  EXPECT_EQ(stored->version, 2);
  EXPECT_TRUE(store_->Read("Task", "audit-p1-1").has_value());
  EXPECT_TRUE(store_->Read("Task", "audit-p1-2").has_value());
}

TEST_F(StoreTriggers, AnErrorLeavesNoTraceOfTheUnit) {
  common::Status s = PutPatient("p2", "Refused");
  EXPECT_EQ(s.code(), common::Code::kUnprocessable);
  EXPECT_EQ(s.message(), "refused by trigger");
  EXPECT_FALSE(store_->Read("Patient", "p2").has_value());
  // An error after the trigger's own write rolls that back too.
  auto p = json::Parse(R"({"resourceType":"Patient","name":[{"family":"Ok"}]})");
  s = store_->Commit([&](WriteContext& ctx) -> common::Status {
    auto w = ctx.Put("Patient", "p3", *p, "PUT");
    if (!w) return w.error();
    return common::Status(common::Code::kConflict, "later failure");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(store_->Read("Patient", "p3").has_value());
  EXPECT_FALSE(store_->Read("Task", "audit-p3-1").has_value());
}

TEST_F(StoreTriggers, RecursionIsBounded) {
  trigger_->loop = true;
  auto t = json::Parse(R"({"resourceType":"Task","status":"requested","intent":"order"})");
  common::Status s = store_->Commit([&](WriteContext& ctx) -> common::Status {
    auto w = ctx.Put("Task", "t", *t, "POST");
    return w ? common::Status::Ok() : w.error();
  });
  EXPECT_EQ(s.code(), common::Code::kInternal);
  EXPECT_NE(s.message().find("nested"), std::string::npos);
  EXPECT_EQ(trigger_->calls, kMaxTriggerDepth);
  EXPECT_FALSE(store_->Read("Task", "t").has_value());
}

TEST_F(StoreTriggers, UnwatchedTypesPassStraightThrough) {
  auto o = json::Parse(R"({"resourceType":"Organization","name":"x"})");
  ASSERT_TRUE(store_
                  ->Commit([&](WriteContext& ctx) -> common::Status {
                    auto w = ctx.Put("Organization", "o", *o, "POST");
                    return w ? common::Status::Ok() : w.error();
                  })
                  .ok());
  EXPECT_EQ(trigger_->calls, 0);
  EXPECT_TRUE(store_->Read("Organization", "o").has_value());
}

}  // namespace
}  // namespace fhir::store
