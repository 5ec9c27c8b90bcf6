#include "fhir/store/triggers.h"

#include <optional>

#include "fhir/json/parser.h"

namespace fhir::store {
namespace {

using common::Status;

class TriggeringContext final : public WriteContext {
 public:
  TriggeringContext(WriteContext& inner, const std::vector<std::shared_ptr<WriteTrigger>>& triggers)
      : inner_(inner), triggers_(triggers) {}

  common::StatusOr<ResourceVersion> Current(const std::string& type,
                                            const std::string& id) override {
    return inner_.Current(type, id);
  }
  common::StatusOr<std::vector<std::string>> Match(const search::Query& query) override {
    return inner_.Match(query);
  }
  common::StatusOr<std::optional<ResourceVersion>> Delete(const std::string& type,
                                                          const std::string& id,
                                                          int64_t expected_version) override {
    return inner_.Delete(type, id, expected_version);
  }

  common::StatusOr<ResourceVersion> Put(const std::string& type, const std::string& id,
                                        const json::Value& resource, const std::string& method,
                                        int64_t expected_version) override {
    bool watched = false;
    for (const auto& t : triggers_) watched = watched || t->Watches(type);
    if (!watched) return inner_.Put(type, id, resource, method, expected_version);
    if (depth_ >= kMaxTriggerDepth) {
      return common::Error(common::Code::kInternal, "write triggers nested more than " +
                                                        std::to_string(kMaxTriggerDepth) +
                                                        " deep (at " + type + ")");
    }
    std::optional<json::Value> current;
    auto existing = inner_.Current(type, id);
    if (existing.has_value() && !existing->deleted) {
      auto parsed = json::Parse(existing->body);
      if (!parsed) return common::Error(common::Code::kInternal, "stored " + type + " is not JSON");
      current = std::move(*parsed);
    } else if (!existing.has_value() && existing.error().code() != common::Code::kNotFound) {
      return common::Error(existing.error());
    }
    json::Value amended = resource;
    ++depth_;
    for (const auto& t : triggers_) {
      if (!t->Watches(type)) continue;
      Status s = t->BeforePut(*this, type, id, amended, current ? &*current : nullptr);
      if (!s.ok()) {
        --depth_;
        return common::Error(std::move(s));
      }
    }
    --depth_;
    return inner_.Put(type, id, amended, method, expected_version);
  }

 private:
  WriteContext& inner_;
  const std::vector<std::shared_ptr<WriteTrigger>>& triggers_;
  int depth_ = 0;
};

class TriggeringStore final : public Store {
 public:
  TriggeringStore(Store& inner, std::vector<std::shared_ptr<WriteTrigger>> triggers)
      : inner_(inner), triggers_(std::move(triggers)) {}

  Status Commit(UnitOfWork work) override {
    return inner_.Commit([this, &work](WriteContext& ctx) {
      TriggeringContext triggering(ctx, triggers_);
      return work(triggering);
    });
  }
  Status Authorize(const Intent& intent) override { return inner_.Authorize(intent); }
  common::StatusOr<ResourceVersion> Read(const std::string& type, const std::string& id) override {
    return inner_.Read(type, id);
  }
  common::StatusOr<ResourceVersion> VRead(const std::string& type, const std::string& id,
                                          int64_t version) override {
    return inner_.VRead(type, id, version);
  }
  common::StatusOr<HistoryPage> History(const HistoryQuery& query) override {
    return inner_.History(query);
  }
  common::StatusOr<SearchResult> Search(const search::Query& query) override {
    return inner_.Search(query);
  }
  void SetCommitObserver(CommitObserver observer) override {
    inner_.SetCommitObserver(std::move(observer));
  }
  int64_t LastSeq() override { return inner_.LastSeq(); }
  bool Ready() override { return inner_.Ready(); }
  void Close() override { inner_.Close(); }

 private:
  Store& inner_;
  std::vector<std::shared_ptr<WriteTrigger>> triggers_;
};

}  // namespace

std::unique_ptr<Store> WithTriggers(Store& inner,
                                    std::vector<std::shared_ptr<WriteTrigger>> triggers) {
  return std::make_unique<TriggeringStore>(inner, std::move(triggers));
}

}  // namespace fhir::store
