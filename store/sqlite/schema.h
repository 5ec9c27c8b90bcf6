#pragma once
#include "common/status.h"
#include "store/sqlite/connection.h"

namespace store::sqlite {

// The schema version this build writes. Databases with a higher user_version are refused.
inline constexpr int kSchemaVersion = 1;

// Creates or upgrades the schema inside one transaction. Idempotent.
common::Status Migrate(Connection& db);

}  // namespace store::sqlite
