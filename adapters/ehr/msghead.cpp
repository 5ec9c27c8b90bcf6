#include "adapters/ehr/msghead.h"

#include "adapters/ehr/kith_namespaces.h"
#include "adapters/ehr/xml/document.h"

namespace adapters::ehr {
namespace {

using xml::Child;
using xml::Children;
using xml::ChildText;

std::vector<Ident> ReadIdents(const xmlNode* parent, std::string_view ns) {
  std::vector<Ident> out;
  for (const xmlNode* i : Children(parent, ns, "Ident")) {
    out.push_back({ChildText(i, ns, "Id"), ReadCode(Child(i, ns, "TypeId"))});
  }
  return out;
}

Address ReadAddress(const xmlNode* a, std::string_view ns) {
  Address out;
  out.type = ReadCode(Child(a, ns, "Type"));
  out.street = ChildText(a, ns, "StreetAdr");
  out.postal_code = ChildText(a, ns, "PostalCode");
  out.city = ChildText(a, ns, "City");
  out.country = xml::Attr(Child(a, ns, "Country"), "V");
  return out;
}

std::vector<std::string> ReadTelecoms(const xmlNode* parent, std::string_view ns) {
  std::vector<std::string> out;
  for (const xmlNode* t : Children(parent, ns, "TeleCom")) {
    std::string v = xml::Attr(Child(t, ns, "TeleAddress"), "V");
    if (!v.empty()) out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

namespace {

// XSD's whitespace "collapse" (V and S are xs:token): no leading or trailing white space, inner
// runs as one space. "HENVISNING " and "HENVISNING" are the same code to the schema, and a
// code with white space at its ends is not a FHIR code.
std::string Collapse(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Display texts: trimmed (white space at the ends carries nothing; all of it is no text).
std::string Trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

KithCode ReadCode(const xmlNode* n) {
  KithCode c;
  if (n == nullptr) return c;
  c.v = Collapse(xml::Attr(n, "V"));
  c.s = Collapse(xml::Attr(n, "S"));
  c.dn = Trimmed(xml::Attr(n, "DN"));
  c.ot = Trimmed(xml::Attr(n, "OT"));
  return c;
}

Person ReadPerson(const xmlNode* n, std::string_view ns) {
  Person p;
  if (n == nullptr) return p;
  p.family = ChildText(n, ns, "FamilyName");
  p.middle = ChildText(n, ns, "MiddleName");
  p.given = ChildText(n, ns, "GivenName");
  p.date_of_birth = ChildText(n, ns, "DateOfBirth");
  p.sex = ReadCode(Child(n, ns, "Sex"));
  p.idents = ReadIdents(n, ns);
  if (const xmlNode* a = Child(n, ns, "Address")) p.addresses.push_back(ReadAddress(a, ns));
  p.telecoms = ReadTelecoms(n, ns);
  return p;
}

Professional ReadHealthcareProfessional(const xmlNode* n, std::string_view ns) {
  Professional p;
  if (n == nullptr) return p;
  p.type = ReadCode(Child(n, ns, "TypeHealthcareProfessional"));
  p.role = ReadCode(Child(n, ns, "RoleToPatient"));
  p.person = ReadPerson(n, ns);
  return p;
}

Organisation ReadOrganisation(const xmlNode* n, std::string_view ns) {
  Organisation o;
  if (n == nullptr) return o;
  o.name = ChildText(n, ns, "OrganisationName");
  o.idents = ReadIdents(n, ns);
  if (const xmlNode* a = Child(n, ns, "Address")) o.addresses.push_back(ReadAddress(a, ns));
  if (const xmlNode* sub = Child(n, ns, "Organisation"))
    o.units.push_back(ReadOrganisation(sub, ns));
  if (const xmlNode* hp = Child(n, ns, "HealthcareProfessional")) {
    o.professionals.push_back(ReadHealthcareProfessional(hp, ns));
  }
  return o;
}

MsgHeadInfo ReadMsgHead(const xmlNode* root) {
  constexpr std::string_view n = ns::kMsgHead;
  MsgHeadInfo h;
  const xmlNode* info = Child(root, n, "MsgInfo");
  h.type = ReadCode(Child(info, n, "Type"));
  h.mig_version = ChildText(info, n, "MIGversion");
  h.gen_date = ChildText(info, n, "GenDate");
  h.msg_id = ChildText(info, n, "MsgId");
  h.processing_status = ReadCode(Child(info, n, "ProcessingStatus"));
  h.ack = ReadCode(Child(info, n, "Ack"));
  if (const xmlNode* conv = Child(info, n, "ConversationRef")) {
    h.ref_to_parent = ChildText(conv, n, "RefToParent");
    h.ref_to_conversation = ChildText(conv, n, "RefToConversation");
  }
  h.sender = ReadOrganisation(Child(Child(info, n, "Sender"), n, "Organisation"), n);
  h.receiver = ReadOrganisation(Child(Child(info, n, "Receiver"), n, "Organisation"), n);
  if (const xmlNode* p = Child(info, n, "Patient")) h.patient = ReadPerson(p, n);
  for (const xmlNode* d : Children(root, n, "Document")) {
    MsgHeadDocument doc;
    doc.node = d;
    const xmlNode* ref = Child(d, n, "RefDoc");
    doc.msg_type = ReadCode(Child(ref, n, "MsgType"));
    doc.id = ChildText(ref, n, "Id");
    doc.issue_date = xml::Attr(Child(ref, n, "IssueDate"), "V");
    doc.mime_type = ChildText(ref, n, "MimeType");
    doc.description = ChildText(ref, n, "Description");
    doc.compression = ReadCode(Child(ref, n, "Compression"));
    doc.file_reference = ChildText(ref, n, "FileReference");
    if (const xmlNode* content = Child(ref, n, "Content")) {
      std::vector<const xmlNode*> inner = xml::ElementChildren(content);
      if (!inner.empty()) doc.content = inner.front();
    }
    h.documents.push_back(doc);
  }
  return h;
}

}  // namespace adapters::ehr
