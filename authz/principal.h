#pragma once
// Who a request acts for, as established by authentication (gateway/auth): a patient with a
// gateway session (BankID / ID-porten), a health-personnel user or a system client with an
// access token (HelseID-style), or the gateway itself (seeds, and every request when
// auth.mode is "off", which is allowed on loopback only).
//
// Authorization (authz/access.h) takes the principal as given: it never looks at tokens.

#include <memory>
#include <string>
#include <vector>

#include "authz/scopes.h"

namespace authz {

enum class PrincipalKind {
  kInternal,      // the gateway itself; not subject to scopes or compartments
  kPatient,       // a person using their own record
  kPractitioner,  // health personnel acting for an organisation
  kSystem,        // a system client (EHR, helsenorge, registry) with a configured role
};

std::string_view PrincipalKindName(PrincipalKind kind);

struct Principal {
  PrincipalKind kind = PrincipalKind::kInternal;

  // From the token or the session. `subject` is the token's `sub`: with `issuer` it names the
  // person or client (never a national identity number).
  std::string issuer;
  std::string subject;
  std::string client_id;
  std::string token_id;  // `jti`, or the session id hash for gateway sessions
  std::string session_id;

  // kPatient: the FHIR Patient the person is (linked from the verified fødselsnummer).
  std::string patient_id;
  // kPractitioner: the FHIR Practitioner matched on the HPR number (may be empty when none is
  // registered: then only the organisation's referrals give access).
  std::string practitioner_id;
  std::string hpr_number;
  // kPractitioner / kSystem: the organisation number from the token and the FHIR
  // Organizations carrying it.
  std::string organization_number;
  std::vector<std::string> organization_ids;

  // kSystem: the configured role name (for audit and logs).
  std::string role;

  // The granted scopes: an upper bound on every interaction.
  ScopeSet scopes;
  // What the principal's kind or role allows at most (the patient policy, a system role).
  // Effective permission = scopes ∩ permissions.
  ScopeSet permissions;

  // For the audit trail.
  std::string remote_address;
  std::string purpose_of_use;  // v3 ActReason, e.g. TREAT; empty for patients
  bool development = false;    // logged in through development mode

  bool internal() const { return kind == PrincipalKind::kInternal; }
};

using PrincipalPtr = std::shared_ptr<const Principal>;

// The principal used for the gateway's own work.
PrincipalPtr InternalPrincipal();

}  // namespace authz
