#pragma once
// The columns of resource_versions that make a fhir::store::ResourceVersion, in the order
// ReadVersionRow expects. Shared by the store and the search executor.

#include "common/time.h"
#include "fhir/store/store.h"
#include "store/sqlite/connection.h"

#define EMG_VERSION_COLUMNS "seq,type,id,version,last_updated,deleted,method,body"

namespace store::sqlite {

inline fhir::store::ResourceVersion ReadVersionRow(const Statement& stmt, int first_column = 0) {
  fhir::store::ResourceVersion v;
  v.seq = stmt.Int(first_column);
  v.type = stmt.Text(first_column + 1);
  v.id = stmt.Text(first_column + 2);
  v.version = stmt.Int(first_column + 3);
  v.last_updated = common::FromMicros(stmt.Int(first_column + 4));
  v.deleted = stmt.Int(first_column + 5) != 0;
  v.method = stmt.Text(first_column + 6);
  v.body = stmt.Text(first_column + 7);
  return v;
}

}  // namespace store::sqlite
