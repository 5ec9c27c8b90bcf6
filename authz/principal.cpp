#include "authz/principal.h"

namespace authz {

std::string_view PrincipalKindName(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kInternal:
      return "internal";
    case PrincipalKind::kPatient:
      return "patient";
    case PrincipalKind::kPractitioner:
      return "practitioner";
    case PrincipalKind::kSystem:
      return "system";
  }
  return "unknown";
}

PrincipalPtr InternalPrincipal() {
  static const PrincipalPtr internal = std::make_shared<const Principal>();
  return internal;
}

}  // namespace authz
