#pragma once
#include "common/status.h"
#include "store/sqlite/connection.h"

namespace store::sqlite {

// The schema version this build writes. Databases with a higher user_version are refused, and
// so are those of pre-release schema versions (below kFirstSupportedSchemaVersion), which no
// release ever wrote and which are not upgraded.
inline constexpr int kSchemaVersion = 2;
inline constexpr int kFirstSupportedSchemaVersion = 2;

// Creates or upgrades the schema inside one transaction. Idempotent.
common::Status Migrate(Connection& db);

}  // namespace store::sqlite
