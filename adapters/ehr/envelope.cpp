#include "adapters/ehr/envelope.h"

#include <algorithm>
#include <cctype>

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

bool IsDialog(const xmlNode* n) {
  std::string_view ns = xml::Namespace(n);
  return xml::LocalName(n) == "Dialogmelding" && (ns == ns::kDialog10 || ns == ns::kDialog11);
}

bool IsHenvisning20(const xmlNode* n) {
  std::string_view ns = xml::Namespace(n);
  return xml::LocalName(n) == "Henvisning" &&
         (ns == ns::kHenvisning20 || ns == ns::kHenvisning20Old);
}

bool IsNestedMsgHead(const xmlNode* n) {
  return xml::LocalName(n) == "MsgHead" && xml::Namespace(n) == ns::kMsgHead;
}

// The business document of a MsgHead: the first Document whose RefDoc/MsgType is XML (failing
// that, the first with content that is not an attachment). Tolerant: among the XML Documents,
// the first that holds a document we read (or a nested MsgHead), so that an e-resept document
// sent before the Dialogmelding does not hide it.
const MsgHeadDocument* BusinessDocument(const MsgHeadInfo& h, ValidationPolicy policy) {
  if (policy == ValidationPolicy::kTolerant) {
    for (const MsgHeadDocument& d : h.documents) {
      if (d.msg_type.v != "A" && d.content != nullptr &&
          (IsDialog(d.content) || IsHenvisning20(d.content) || IsNestedMsgHead(d.content))) {
        return &d;
      }
    }
  }
  const MsgHeadDocument* business = nullptr;
  for (const MsgHeadDocument& d : h.documents) {
    if (d.msg_type.v == "XML" ||
        (business == nullptr && d.content != nullptr && d.msg_type.v != "A")) {
      business = &d;
      if (d.msg_type.v == "XML") break;
    }
  }
  return business;
}

std::vector<std::string> HerIds(const Organisation& o) {
  std::vector<std::string> out;
  for (const Organisation& u : o.units) {
    if (std::string her = IdentOfType(u.idents, "HER"); !her.empty()) out.push_back(her);
  }
  if (std::string her = IdentOfType(o.idents, "HER"); !her.empty()) out.push_back(her);
  return out;
}

std::string NationalId(const Person& p) {
  for (const Ident& i : p.idents) {
    if ((i.type.v == "FNR" || i.type.v == "DNR") && !i.id.empty()) return i.id;
  }
  return {};
}

// A nested MsgHead may stand in for the outer one only where the two say the same: otherwise
// which patient, sender or receiver the message is about is ambiguous. Returns why not (names
// elements, never values), or empty.
std::string Disagreement(const MsgHeadInfo& outer, const MsgHeadInfo& inner,
                         const std::string& inner_path) {
  auto said = [&inner_path](std::string_view what, std::string_view element) {
    return "the MsgHead nested at " + inner_path + " names " + std::string(what) +
           " than the message's own MsgHead (" + std::string(element) +
           "): which one the message is about is ambiguous";
  };
  if (!inner.type.v.empty() && inner.type.v != outer.type.v) {
    return said("another message type", "/MsgHead/MsgInfo/Type");
  }
  auto differ = [](const std::vector<std::string>& a, const std::vector<std::string>& b) {
    if (a.empty() || b.empty()) return false;
    for (const std::string& x : a) {
      if (std::find(b.begin(), b.end(), x) != b.end()) return false;
    }
    return true;
  };
  if (differ(HerIds(outer.sender), HerIds(inner.sender))) {
    return said("another sender", "/MsgHead/MsgInfo/Sender");
  }
  if (differ(HerIds(outer.receiver), HerIds(inner.receiver))) {
    return said("another receiver", "/MsgHead/MsgInfo/Receiver");
  }
  if (outer.patient && inner.patient) {
    std::string a = NationalId(*outer.patient), b = NationalId(*inner.patient);
    if (!a.empty() && !b.empty() && a != b) {
      return said("another patient", "/MsgHead/MsgInfo/Patient");
    }
  }
  return {};
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

Envelope DetectEnvelope(const xml::Document& doc, ValidationPolicy policy) {
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
  MsgHeadInfo& h = *e.head;
  const MsgHeadDocument* business = BusinessDocument(h, policy);
  if (business == nullptr || business->content == nullptr) {
    e.unsupported = "the MsgHead (type " + SafeCode(h.type.v) +
                    ") carries no business document in RefDoc/Content";
    return e;
  }
  const xmlNode* content = business->content;
  const xmlNode* wrapper = nullptr;  // the outer Document holding a nested MsgHead
  if (policy == ValidationPolicy::kTolerant && IsNestedMsgHead(content)) {
    // A known EPJ bug: the whole message, MsgHead and all, inside the outer one's Content. The
    // business document is the inner MsgHead's; its attachments are the message's too.
    MsgHeadInfo inner = ReadMsgHead(content);
    const MsgHeadDocument* inner_business = BusinessDocument(inner, policy);
    if (inner_business == nullptr || inner_business->content == nullptr ||
        IsNestedMsgHead(inner_business->content)) {
      e.unsupported = "the MsgHead nested at " + xml::PathOf(content) +
                      " carries no business document this gateway reads";
      return e;
    }
    e.ambiguous = Disagreement(h, inner, xml::PathOf(content));
    e.deviations.push_back({std::string(deviation::kNestedMsgHead), xml::PathOf(content)});
    wrapper = business->node;
    content = inner_business->content;
    if (!h.patient && inner.patient) h.patient = inner.patient;
    if (h.ref_to_parent.empty() && h.ref_to_conversation.empty()) {
      h.ref_to_parent = inner.ref_to_parent;
      h.ref_to_conversation = inner.ref_to_conversation;
    }
    std::vector<MsgHeadDocument> documents;
    for (const MsgHeadDocument& d : h.documents) {
      if (d.node != wrapper) {
        documents.push_back(d);
        continue;
      }
      for (const MsgHeadDocument& in : inner.documents) documents.push_back(in);
    }
    h.documents = std::move(documents);
  }
  std::string_view cns = xml::Namespace(content);
  e.payload = content;
  e.payload_namespace = std::string(cns);
  const std::string& type = h.type.v;
  if (IsDialog(content)) {
    if (type.rfind("DIALOG_", 0) != 0) {
      e.unsupported = "the MsgHead type " + SafeCode(type) + " does not fit a Dialogmelding";
      return e;
    }
    e.kind = MessageKind::kDialogmelding;
    e.version = cns == ns::kDialog10 ? "1.0" : "1.1";
  } else if (IsHenvisning20(content)) {
    if (type.rfind("HENVISNING", 0) != 0) {
      e.unsupported = "the MsgHead type " + SafeCode(type) + " does not fit a Henvisning";
      return e;
    }
    if (cns == ns::kHenvisning20Old) {
      // The namespace Henvisning 2.0 had before HIS 80517:2017. The gateway checks Henvisning
      // 2.0's structure in code under either namespace (no official XSD exists for either), so
      // reading it is as safe as reading the 2017 one; strict partners must send 2017.
      if (policy != ValidationPolicy::kTolerant) {
        e.unsupported = "Henvisning 2.0 in the pre-2017 namespace " + std::string(cns) +
                        " is not accepted (the validation policy for this sender is strict); "
                        "send it in " +
                        std::string(ns::kHenvisning20);
        return e;
      }
      e.deviations.push_back(
          {std::string(deviation::kHenvisning2014Namespace), xml::PathOf(content)});
    }
    e.kind = MessageKind::kHenvisning;
    e.version = "2.0";
  } else {
    e.unsupported = "the MsgHead (type " + SafeCode(type) + ") carries a " + QName(content) +
                    " document, which this gateway does not accept";
    return e;
  }
  if (policy == ValidationPolicy::kTolerant) {
    for (const MsgHeadDocument& d : h.documents) {
      if (d.content == nullptr || d.content == content || d.node == wrapper) continue;
      const xmlNode* ref = xml::Child(d.node, ns::kMsgHead, "RefDoc");
      const xmlNode* holder = xml::Child(ref, ns::kMsgHead, "Content");
      for (const xmlNode* part : xml::ElementChildren(holder)) {
        if (!ns::HasSchema(xml::Namespace(part))) {
          e.foreign.push_back(d.node);
          break;
        }
      }
    }
  }
  return e;
}

std::vector<std::string> SenderHerIds(const xml::Document& doc) {
  const xmlNode* root = doc.root();
  std::string_view rns = xml::Namespace(root);
  if (xml::LocalName(root) == "MsgHead" && rns == ns::kMsgHead) {
    const xmlNode* info = xml::Child(root, ns::kMsgHead, "MsgInfo");
    const xmlNode* org =
        xml::Child(xml::Child(info, ns::kMsgHead, "Sender"), ns::kMsgHead, "Organisation");
    return HerIds(ReadOrganisation(org, ns::kMsgHead));
  }
  if (xml::LocalName(root) == "Message" && (rns == ns::kHenvisning10 || rns == ns::kHenvisning11)) {
    const xmlNode* inst = xml::Child(
        xml::Child(xml::Child(xml::Child(root, rns, "ServReq"), rns, "Requester"), rns, "HCP"), rns,
        "Inst");
    std::vector<std::string> out;
    for (const xmlNode* d : xml::Children(inst, rns, "Dept")) {
      if (ReadCode(xml::Child(d, rns, "TypeId")).v == "HER") {
        std::string id = xml::ChildText(d, rns, "Id");
        if (!id.empty()) out.push_back(id);
      }
    }
    if (ReadCode(xml::Child(inst, rns, "TypeId")).v == "HER") {
      std::string id = xml::ChildText(inst, rns, "Id");
      if (!id.empty()) out.push_back(id);
    }
    return out;
  }
  return {};
}

}  // namespace adapters::ehr
