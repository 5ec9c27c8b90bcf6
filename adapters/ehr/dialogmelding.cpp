#include "adapters/ehr/dialogmelding.h"

#include "adapters/ehr/kith_namespaces.h"
#include "adapters/ehr/msghead.h"
#include "adapters/ehr/xml/document.h"

namespace adapters::ehr {
namespace {

using xml::Child;
using xml::Children;
using xml::ChildText;

// A HealthcareProfessional of Dialogmelding: its own elements in the dialog namespace,
// identifiers as Ident/fk1:Id + fk1:TypeId.
Professional ReadDialogProfessional(const xmlNode* hp, std::string_view ns) {
  Professional p;
  p.type = ReadCode(Child(hp, ns, "TypeHealthcareProfessional"));
  p.role = ReadCode(Child(hp, ns, "RoleToPatient"));
  p.person.family = ChildText(hp, ns, "FamilyName");
  p.person.middle = ChildText(hp, ns, "MiddleName");
  p.person.given = ChildText(hp, ns, "GivenName");
  for (const xmlNode* i : Children(hp, ns, "Ident")) {
    Ident id{ChildText(i, ns::kFelles1, "Id"), ReadCode(Child(i, ns::kFelles1, "TypeId"))};
    if (id.id.empty()) id = {ChildText(i, ns, "Id"), ReadCode(Child(i, ns, "TypeId"))};
    if (!id.id.empty()) p.person.idents.push_back(std::move(id));
  }
  for (const xmlNode* t : Children(hp, ns, "TeleCom")) {
    const xmlNode* address = Child(t, ns::kFelles1, "TeleAddress");
    if (address == nullptr) address = Child(t, ns, "TeleAddress");
    std::string v = xml::Attr(address, "V");
    if (!v.empty()) p.person.telecoms.push_back(v);
  }
  return p;
}

void ReadText(const xmlNode* n, std::string& text, std::string& xhtml) {
  text = xml::Text(n);
  if (!xml::ElementChildren(n).empty()) xhtml = xml::InnerXml(n);
}

void ReadRoles(const xmlNode* part, std::string_view ns, DialogPart& out) {
  for (const xmlNode* r : Children(part, ns, "RollerRelatertNotat")) {
    if (const xmlNode* hp = Child(r, ns, "HealthcareProfessional")) {
      Professional p = ReadDialogProfessional(hp, ns);
      if (p.role.empty()) p.role = ReadCode(Child(r, ns, "RoleToPatient"));
      out.authors.push_back(std::move(p));
    }
  }
}

}  // namespace

Dialog ReadDialog(const Envelope& e) {
  Dialog d;
  d.version = e.version;
  d.head = *e.head;
  const xmlNode* body = e.payload;
  std::string_view ns = xml::Namespace(body);
  for (const xmlNode* q : Children(body, ns, "Foresporsel")) {
    DialogPart part;
    part.question = true;
    part.topic = ReadCode(Child(q, ns, "TypeForesp"));
    part.subject = ChildText(q, ns, "EmneSporsmal");
    ReadText(Child(q, ns, "Sporsmal"), part.text, part.xhtml);
    part.doc_id = ChildText(q, ns, "DokIdForesp");
    part.urgency = ReadCode(Child(q, ns, "Hastegrad"));
    ReadRoles(q, ns, part);
    d.parts.push_back(std::move(part));
  }
  for (const xmlNode* n : Children(body, ns, "Notat")) {
    DialogPart part;
    part.topic = ReadCode(Child(n, ns, "TemaKodet"));
    part.subject = ChildText(n, ns, "Tema");
    ReadText(Child(n, ns, "TekstNotatInnhold"), part.text, part.xhtml);
    part.doc_id = ChildText(n, ns, "DokIdNotat");
    part.date = ChildText(n, ns, "DatoNotat");
    if (const xmlNode* q = Child(n, ns, "Foresporsel")) {
      part.answered_question = xml::Text(Child(q, ns, "Sporsmal"));
    }
    ReadRoles(n, ns, part);
    d.parts.push_back(std::move(part));
  }
  for (const MsgHeadDocument& doc : d.head.documents) {
    if (doc.msg_type.v != "A") continue;
    d.attachments.push_back(AttachmentOf(doc));
  }
  return d;
}

}  // namespace adapters::ehr
