#pragma once
// The real-world deviations from the KITH schemas that we tolerate on purpose
// (docs/kith-messaging.md § Known sender quirks; the corpus's quirks/ shows each one). They
// are repaired in the parsed tree before schema validation, so that what is left to the
// validator is a real error (T02):
//   * an xs:date without zero padding ("1991-12-4")             -> zero-padded
//   * ConversationRef with RefToConversation before RefToParent -> put in schema order
//   * a TeleCom without TeleAddress                             -> dropped (it has no address)
//   * attributes in the misspelled namespace
//     "http://www.w3.org/2001/XMLSchemainstance" (Hdir's own example does this) -> dropped
// Other tolerated deviations need no repair: a HER-id typed with kodeverk 8116 instead of 9051,
// a TypeId without S or with an unknown OID (identifiers are read by their type code V),
// ISO-8859-1 instead of UTF-8, CR LF line endings and a UTF-8 BOM.

#include <string>
#include <vector>

#include "adapters/ehr/xml/document.h"

namespace adapters::ehr {

// Applies the repairs; returns one line per repair ("zero-padded date at /MsgHead/...").
std::vector<std::string> RepairKnownQuirks(xml::Document& doc);

}  // namespace adapters::ehr
