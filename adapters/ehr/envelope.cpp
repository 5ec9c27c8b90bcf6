#include "adapters/ehr/envelope.h"

#include "adapters/ehr/kith_namespaces.h"

namespace adapters::ehr {
namespace {

std::string QName(const xmlNode* n) {
  std::string ns(xml::Namespace(n));
  return (ns.empty() ? "" : "{" + ns + "}") + std::string(xml::LocalName(n));
}

// Names that are safe to repeat: namespaces and element names are structure; a type code is
// repeated only when shaped like one (letters, digits, '_').
std::string SafeCode(const std::string& v) {
  if (v.empty() || v.size() > 40) return "(none)";
  for (char c : v) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return "(not a code)";
  }
  return v;
}

}  // namespace

std::string_view KindName(MessageKind kind) {
  switch (kind) {
    case MessageKind::kHenvisning:
      return "Henvisning";
    case MessageKind::kDialogmelding:
      return "Dialogmelding";
    case MessageKind::kAppRec:
      return "AppRec";
    case MessageKind::kUnsupported:
      break;
  }
  return "unsupported";
}

Envelope DetectEnvelope(const xml::Document& doc) {
  Envelope e;
  const xmlNode* root = doc.root();
  std::string_view rns = xml::Namespace(root);
  std::string_view rname = xml::LocalName(root);
  e.payload = root;
  e.payload_namespace = std::string(rns);

  if (rname == "AppRec" && (rns == ns::kAppRec10 || rns == ns::kAppRec11)) {
    e.kind = MessageKind::kAppRec;
    e.version = rns == ns::kAppRec10 ? "1.0" : "1.1";
    return e;
  }
  if (rname == "Message" && (rns == ns::kHenvisning10 || rns == ns::kHenvisning11)) {
    e.kind = MessageKind::kHenvisning;
    e.version = rns == ns::kHenvisning10 ? "1.0" : "1.1";
    return e;
  }
  if (rname != "MsgHead" || rns != ns::kMsgHead) {
    e.unsupported = "the root element " + QName(root) + " is not a message this gateway accepts";
    return e;
  }

  e.head = ReadMsgHead(root);
  const MsgHeadInfo& h = *e.head;
  const MsgHeadDocument* business = nullptr;
  for (const MsgHeadDocument& d : h.documents) {
    if (d.msg_type.v == "XML" ||
        (business == nullptr && d.content != nullptr && d.msg_type.v != "A")) {
      business = &d;
      if (d.msg_type.v == "XML") break;
    }
  }
  if (business == nullptr || business->content == nullptr) {
    e.unsupported = "the MsgHead (type " + SafeCode(h.type.v) +
                    ") carries no business document in RefDoc/Content";
    return e;
  }
  const xmlNode* content = business->content;
  std::string_view cns = xml::Namespace(content);
  std::string_view cname = xml::LocalName(content);
  e.payload = content;
  e.payload_namespace = std::string(cns);
  const std::string& type = h.type.v;
  if (cname == "Dialogmelding" && (cns == ns::kDialog10 || cns == ns::kDialog11)) {
    if (type.rfind("DIALOG_", 0) != 0) {
      e.unsupported = "the MsgHead type " + SafeCode(type) + " does not fit a Dialogmelding";
      return e;
    }
    e.kind = MessageKind::kDialogmelding;
    e.version = cns == ns::kDialog10 ? "1.0" : "1.1";
    return e;
  }
  if (cname == "Henvisning" && (cns == ns::kHenvisning20 || cns == ns::kHenvisning20Old)) {
    if (type.rfind("HENVISNING", 0) != 0) {
      e.unsupported = "the MsgHead type " + SafeCode(type) + " does not fit a Henvisning";
      return e;
    }
    e.kind = MessageKind::kHenvisning;
    e.version = "2.0";
    return e;
  }
  e.unsupported = "the MsgHead (type " + SafeCode(type) + ") carries a " + QName(content) +
                  " document, which this gateway does not accept";
  return e;
}

}  // namespace adapters::ehr
