#include "store/sqlite/unique_identifiers.h"

#include <map>

#include "fhir/json/parser.h"

namespace store::sqlite {

using common::Code;
using common::Status;

namespace {

constexpr std::string_view kFingerprintKey = "unique_identifiers.rules";

// Identifier elements are 0..* on most resources and 0..1 on a few (QuestionnaireResponse,
// Bundle): accept both shapes.
template <typename Fn>
void ForEachIdentifier(const fhir::json::Value& resource, Fn&& fn) {
  const fhir::json::Value* identifiers = resource.Find("identifier");
  if (identifiers == nullptr) return;
  if (identifiers->is_object()) {
    fn(*identifiers);
    return;
  }
  if (!identifiers->is_array()) return;
  for (const fhir::json::Value& identifier : identifiers->items()) {
    if (identifier.is_object()) fn(identifier);
  }
}

Status RunWith(Connection& db, std::string_view sql, const std::vector<std::string_view>& args) {
  ASSIGN_OR_RETURN(Statement * stmt, db.Cached(sql));
  for (size_t i = 0; i < args.size(); ++i) stmt->Bind(static_cast<int>(i) + 1, args[i]);
  Status s = stmt->Run();
  stmt->Reset();
  return s;
}

}  // namespace

UniqueIdentifierIndex::UniqueIdentifierIndex(
    const std::vector<fhir::store::UniqueIdentifier>& rules) {
  for (const fhir::store::UniqueIdentifier& r : rules) {
    rules_.emplace(r.type, r.system);
    types_.insert(r.type);
  }
}

std::vector<std::pair<std::string, std::string>> UniqueIdentifierIndex::Covered(
    const std::string& type, const fhir::json::Value& resource) const {
  std::set<std::pair<std::string, std::string>> out;
  ForEachIdentifier(resource, [&](const fhir::json::Value& identifier) {
    std::string system(identifier.GetString("system"));
    std::string value(identifier.GetString("value"));
    if (system.empty() || value.empty()) return;
    if (rules_.count({type, system}) == 0) return;
    out.emplace(std::move(system), std::move(value));
  });
  return {out.begin(), out.end()};
}

Status UniqueIdentifierIndex::Release(Connection& db, const std::string& type,
                                      const std::string& id) const {
  if (!Applies(type)) return Status::Ok();
  return RunWith(db, "DELETE FROM unique_identifiers WHERE type = ?1 AND id = ?2", {type, id});
}

Status UniqueIdentifierIndex::Reserve(Connection& db, const std::string& type,
                                      const std::string& id,
                                      const fhir::json::Value& resource) const {
  if (!Applies(type)) return Status::Ok();
  RETURN_IF_ERROR(Release(db, type, id));
  for (const auto& [system, value] : Covered(type, resource)) {
    RETURN_IF_ERROR(RunWith(db,
                            "INSERT INTO unique_identifiers(type, system, value, id) "
                            "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                            {type, system, value, id}));
    if (sqlite3_changes(db.handle()) > 0) continue;
    ASSIGN_OR_RETURN(Statement * holder,
                     db.Cached("SELECT id FROM unique_identifiers WHERE type = ?1 AND "
                               "system = ?2 AND value = ?3"));
    holder->Bind(1, type).Bind(2, system).Bind(3, value);
    Status s;
    std::string holder_id = holder->Step(&s) ? holder->Text(0) : std::string();
    holder->Reset();
    RETURN_IF_ERROR(s);
    // The message names the rule and the holder (an id, not personal data), never the value.
    return Status(Code::kAlreadyExists, "identifier with system '" + system +
                                            "' must be unique among " + type + " resources, and " +
                                            type + "/" + holder_id +
                                            " already has this identifier value");
  }
  return Status::Ok();
}

std::string UniqueIdentifierIndex::Fingerprint() const {
  std::string out;
  for (const auto& [type, system] : rules_) out += type + "|" + system + "\n";
  return out;
}

Status UniqueIdentifierIndex::Rebuild(Connection& db) const {
  std::string wanted = Fingerprint();
  {
    ASSIGN_OR_RETURN(Statement stmt, db.Prepare("SELECT value FROM store_meta WHERE key = ?1"));
    stmt.Bind(1, kFingerprintKey);
    Status s;
    bool found = stmt.Step(&s);
    RETURN_IF_ERROR(s);
    if (found && stmt.Text(0) == wanted) return Status::Ok();
  }
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  auto fail = [&db](Status s) {
    (void)db.Exec("ROLLBACK");
    return s;
  };
  Status cleared = db.Exec("DELETE FROM unique_identifiers");
  if (!cleared.ok()) return fail(cleared);
  // Duplicates per rule (counted, never listed: the values are personal data).
  std::map<std::pair<std::string, std::string>, int64_t> duplicates;
  for (const std::string& type : types_) {
    auto stmt = db.Prepare(
        "SELECT id, body FROM resource_versions WHERE type = ?1 AND ended_seq IS NULL AND "
        "deleted = 0 ORDER BY seq");
    if (!stmt) return fail(stmt.error());
    stmt->Bind(1, type);
    Status s;
    while (stmt->Step(&s)) {
      std::string id = stmt->Text(0);
      auto resource = fhir::json::Parse(stmt->TextView(1));
      if (!resource) return fail(Status(Code::kInternal, "a stored " + type + " is not JSON"));
      for (const auto& [system, value] : Covered(type, *resource)) {
        Status put = RunWith(db,
                             "INSERT INTO unique_identifiers(type, system, value, id) "
                             "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                             {type, system, value, id});
        if (!put.ok()) return fail(put);
        if (sqlite3_changes(db.handle()) == 0) ++duplicates[{type, system}];
      }
    }
    if (!s.ok()) return fail(s);
  }
  if (!duplicates.empty()) {
    std::string what;
    for (const auto& [rule, n] : duplicates) {
      if (!what.empty()) what += "; ";
      what += std::to_string(n) + " " + rule.first +
              " resources repeat an identifier value of "
              "system '" +
              rule.second + "'";
    }
    return fail(Status(Code::kFailedPrecondition,
                       "the store holds duplicates under the configured unique identifiers (" +
                           what + "); merge or correct them, or drop the rule, before starting"));
  }
  Status meta = RunWith(db,
                        "INSERT INTO store_meta(key, value) VALUES (?1, ?2) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        {kFingerprintKey, wanted});
  if (!meta.ok()) return fail(meta);
  return db.Exec("COMMIT");
}

}  // namespace store::sqlite
