#pragma once
// Which message this is: decided by the root element's namespace and, inside a MsgHead, by
// the business document's namespace and MsgInfo/Type (docs/kith-messaging.md § Envelope
// detection):
//   {msghead}MsgHead with a {dialog/2006-10-11 | 2013-01-23}Dialogmelding  -> Dialogmelding 1.0/1.1
//   {msghead}MsgHead with a {henvisning/2017-11-30}Henvisning              -> Henvisning 2.0
//   {henvisning/2005-07-08 | 2012-02-15}Message (no MsgHead)               -> Henvisning 1.0/1.1
//   {apprec/2004-11-21 | 2012-02-15}AppRec (no MsgHead)                    -> AppRec 1.0/1.1
// Anything else is unsupported (AppRec error T10).

#include <libxml/tree.h>

#include <optional>
#include <string>

#include "adapters/ehr/msghead.h"
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
};

Envelope DetectEnvelope(const xml::Document& doc);

}  // namespace adapters::ehr
