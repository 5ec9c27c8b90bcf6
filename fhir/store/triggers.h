#pragma once
// Write triggers: work that must commit or fail together with a write, such as the outbox
// entry of a message a new Communication sends. A trigger runs inside the unit of work, on the
// store's writer, before the write it watches: it may amend the resource and write other
// resources through the same WriteContext (their writes run the triggers again, at most
// kMaxTriggerDepth deep). An error from a trigger fails the whole unit, so the client gets it
// and nothing is half done.
//
// Triggers run for every writer of the store: the REST API, transactions, seeds and adapters.
// Keep them short and free of I/O (the writer serialises all writes).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fhir/json/value.h"
#include "fhir/store/store.h"

namespace fhir::store {

inline constexpr int kMaxTriggerDepth = 4;

class WriteTrigger {
 public:
  virtual ~WriteTrigger() = default;
  // The resource types whose writes this trigger sees.
  virtual bool Watches(std::string_view type) const = 0;
  // Called before `resource` (`type`/`id`) is written. `current` is the live version it
  // replaces (nullptr for a create or over a tombstone). Deletes are not seen.
  virtual common::Status BeforePut(WriteContext& ctx, const std::string& type,
                                   const std::string& id, json::Value& resource,
                                   const json::Value* current) = 0;
};

// A Store that runs `triggers` (in order) on every Put inside Commit; everything else is
// `inner`'s. `inner` must outlive it.
std::unique_ptr<Store> WithTriggers(Store& inner,
                                    std::vector<std::shared_ptr<WriteTrigger>> triggers);

}  // namespace fhir::store
