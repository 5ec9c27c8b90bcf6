#pragma once
// Which message this is: decided by the root element's namespace and, inside a MsgHead, by
// the business document's namespace and MsgInfo/Type (docs/kith-messaging.md § Envelope
// detection):
//   {msghead}MsgHead with a {dialog/2006-10-11 | 2013-01-23}Dialogmelding  -> Dialogmelding 1.0/1.1
//   {msghead}MsgHead with a {henvisning/2017-11-30}Henvisning              -> Henvisning 2.0
//   {henvisning/2005-07-08 | 2012-02-15}Message (no MsgHead)               -> Henvisning 1.0/1.1
//   {apprec/2004-11-21 | 2012-02-15}AppRec (no MsgHead)                    -> AppRec 1.0/1.1
// Anything else is unsupported (AppRec error T10).
//
// Under the tolerant policy (quirks.h) it also reads what some senders do wrong around the
// business document: a MsgHead nested inside RefDoc/Content (the business document is the
// inner one's), Henvisning 2.0 in the pre-2017 namespace, and other Documents in namespaces
// without a schema here (named in `foreign`, for the inbox to keep as attachments). Under the
// strict policy those are T10 / T02 as before policies existed.

#include <libxml/tree.h>

#include <optional>
#include <string>
#include <vector>

#include "adapters/ehr/msghead.h"
#include "adapters/ehr/quirks.h"
#include "adapters/ehr/settings.h"
#include "adapters/ehr/xml/document.h"

namespace adapters::ehr {

enum class MessageKind { kHenvisning, kDialogmelding, kAppRec, kUnsupported };

std::string_view KindName(MessageKind kind);

struct Envelope {
  MessageKind kind = MessageKind::kUnsupported;
  std::string version;               // "1.0", "1.1", "2.0"
  std::optional<MsgHeadInfo> head;   // for messages inside a MsgHead
  const xmlNode* payload = nullptr;  // the business document's root element
  std::string payload_namespace;
  std::string unsupported;  // why, for kUnsupported (names namespaces and types only)
  // Why the business content cannot be read unambiguously (T02; names elements only), else
  // empty: e.g. a nested MsgHead naming another patient than the outer one.
  std::string ambiguous;
  std::vector<Deviation> deviations;  // tolerated here: nested-msghead, henvisning-2014-namespace
  // Document elements (not the business document's) whose RefDoc/Content holds XML in a
  // namespace without a schema here (tolerant policy only).
  std::vector<const xmlNode*> foreign;
};

Envelope DetectEnvelope(const xml::Document& doc,
                        ValidationPolicy policy = ValidationPolicy::kTolerant);

// The sender's HER-ids as the message names them, most specific first (the unit's, then the
// organisation's; Henvisning 1.x: the requester's department, then institution). Read before
// anything is validated, to choose the partner's policy; empty when the message names none.
std::vector<std::string> SenderHerIds(const xml::Document& doc);

}  // namespace adapters::ehr
