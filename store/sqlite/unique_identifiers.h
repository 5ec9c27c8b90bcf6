#pragma once
// Identifier uniqueness (fhir::store::UniqueIdentifier rules) backed by a table whose primary
// key is (type, system, value): the database itself refuses a second holder, whatever the
// interleaving of writers. Rows belong to the current version of the holding resource; a
// delete or an update that drops the identifier releases them.
//
// Tables (created by the schema migration):
//   unique_identifiers(type, system, value, id)  PRIMARY KEY (type, system, value)
//   store_meta(key, value)                       the rule set the table was built for
// When the configured rules differ from the ones the table was built for, Rebuild() derives
// the table again from the current versions and refuses to open a store that already holds
// duplicates under the new rules.

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "fhir/json/value.h"
#include "fhir/store/store.h"
#include "store/sqlite/connection.h"

namespace store::sqlite {

class UniqueIdentifierIndex {
 public:
  explicit UniqueIdentifierIndex(const std::vector<fhir::store::UniqueIdentifier>& rules);

  // True when some rule names `type`.
  bool Applies(const std::string& type) const { return types_.count(type) > 0; }

  // Makes `type`/`id` the holder of every identifier of `resource` that a rule covers,
  // replacing what it held before. kAlreadyExists when another live resource holds one (the
  // message names the system and the holder, never the value). Runs inside the caller's
  // transaction or savepoint, which undoes partial work on failure.
  common::Status Reserve(Connection& db, const std::string& type, const std::string& id,
                         const fhir::json::Value& resource) const;
  // Releases everything `type`/`id` holds (its resource was deleted).
  common::Status Release(Connection& db, const std::string& type, const std::string& id) const;

  // Brings the table in line with the rules (a no-op when it was built for the same rules).
  // Call at open, outside any transaction.
  common::Status Rebuild(Connection& db) const;

 private:
  // The (system, value) pairs of `resource` covered by the rules for `type`, de-duplicated.
  std::vector<std::pair<std::string, std::string>> Covered(const std::string& type,
                                                           const fhir::json::Value& resource) const;
  std::string Fingerprint() const;

  std::set<std::pair<std::string, std::string>> rules_;  // (type, system)
  std::set<std::string> types_;
};

}  // namespace store::sqlite
