#include "adapters/ehr/henvisning.h"

#include <cctype>
#include <set>

#include "adapters/ehr/kith_namespaces.h"
#include "adapters/ehr/xml/document.h"

namespace adapters::ehr {
namespace {

using xml::Child;
using xml::Children;
using xml::ChildText;

// A date or time from @V or, failing that, the text (Henvisning 1.x uses both).
std::string DateOf(const xmlNode* n) {
  if (n == nullptr) return {};
  std::string v = xml::Attr(n, "V");
  return v.empty() ? xml::Text(n) : v;
}

void Require(const xmlNode* parent, std::string_view ns, std::string_view name,
             std::vector<std::string>& problems) {
  if (Child(parent, ns, name) == nullptr) {
    problems.push_back("missing required element " + xml::PathOf(parent) + "/" + std::string(name));
  }
}

void OnlyKnownChildren(const xmlNode* parent, const std::set<std::string_view>& known,
                       std::vector<std::string>& problems) {
  for (const xmlNode* c : xml::ElementChildren(parent)) {
    if (known.count(xml::LocalName(c)) == 0 || xml::Namespace(c) != xml::Namespace(parent)) {
      problems.push_back("element not expected here: " + xml::PathOf(c));
    }
  }
}

std::vector<Ident> ReadKithIdents(const xmlNode* n, std::string_view ns) {
  std::vector<Ident> out;
  std::string id = ChildText(n, ns, "Id");
  if (!id.empty()) out.push_back({id, ReadCode(Child(n, ns, "TypeId"))});
  for (const xmlNode* a : Children(n, ns, "AdditionalId")) {
    out.push_back({ChildText(a, ns, "Id"), ReadCode(Child(a, ns, "Type"))});
  }
  return out;
}

Address ReadKithAddress(const xmlNode* a, std::string_view ns, std::vector<std::string>* telecoms) {
  Address out;
  out.type = ReadCode(Child(a, ns, "Type"));
  out.street = ChildText(a, ns, "StreetAdr");
  out.postal_code = ChildText(a, ns, "PostalCode");
  out.city = ChildText(a, ns, "City");
  out.country = xml::Attr(Child(a, ns, "Country"), "V");
  if (telecoms != nullptr) {
    for (const xmlNode* t : Children(a, ns, "TeleAddress")) {
      std::string v = xml::Attr(t, "V");
      if (!v.empty()) telecoms->push_back(v);
    }
  }
  return out;
}

// Henvisning 1.x HCP: Inst (with Dept, HCPerson) or HCProf, and an Address.
Organisation ReadHcp(const xmlNode* hcp, std::string_view ns) {
  Organisation o;
  if (hcp == nullptr) return o;
  if (const xmlNode* inst = Child(hcp, ns, "Inst")) {
    o.name = ChildText(inst, ns, "Name");
    o.idents = ReadKithIdents(inst, ns);
    for (const xmlNode* d : Children(inst, ns, "Dept")) {
      Organisation dept;
      dept.name = ChildText(d, ns, "Name");
      dept.idents = ReadKithIdents(d, ns);
      o.units.push_back(std::move(dept));
      break;  // one unit, as in MsgHead
    }
    for (const xmlNode* p : Children(inst, ns, "HCPerson")) {
      Professional prof;
      prof.person.full_name = ChildText(p, ns, "Name");
      prof.person.idents = ReadKithIdents(p, ns);
      o.professionals.push_back(std::move(prof));
    }
  }
  if (const xmlNode* prof = Child(hcp, ns, "HCProf")) {
    Professional p;
    p.type = ReadCode(Child(prof, ns, "Type"));
    p.person.full_name = ChildText(prof, ns, "Name");
    p.person.idents = ReadKithIdents(prof, ns);
    o.professionals.push_back(std::move(p));
  }
  if (const xmlNode* a = Child(hcp, ns, "Address")) {
    std::vector<std::string> tele;
    o.addresses.push_back(ReadKithAddress(a, ns, &tele));
  }
  return o;
}

// InfItem diagnoses (8233 H main, B secondary), under ServReq or its Patient (the display
// stylesheet finds InfItem anywhere: //InfItem). CodedDescr is read as a CV, or as holding one
// Concept; Observation/Description is the text. Mains first, each in message order.
void ReadInfItemDiagnoses(const xmlNode* root, std::string_view ns, Referral& r) {
  std::vector<const xmlNode*> items = Children(root, ns, "InfItem");
  for (const xmlNode* i : Children(Child(root, ns, "Patient"), ns, "InfItem")) items.push_back(i);
  std::vector<InfItemDiagnosis> main, secondary;
  for (const xmlNode* item : items) {
    KithCode type = ReadCode(Child(item, ns, "Type"));
    if (type.v != "H" && type.v != "B") continue;
    const xmlNode* obs = Child(item, ns, "Observation");
    const xmlNode* coded = Child(obs, ns, "CodedDescr");
    if (const xmlNode* inner = Child(coded, ns, "Concept")) coded = inner;
    InfItemDiagnosis d;
    d.type = type;
    d.code = ReadCode(coded);
    d.text = ChildText(obs, ns, "Description");
    d.start = DateOf(Child(item, ns, "StartDateTime"));
    if (d.code.v.empty() && d.code.dn.empty() && d.text.empty()) continue;
    (type.v == "H" ? main : secondary).push_back(std::move(d));
  }
  for (InfItemDiagnosis& d : main) r.infitem_diagnoses.push_back(std::move(d));
  for (InfItemDiagnosis& d : secondary) r.infitem_diagnoses.push_back(std::move(d));
}

void ReadContent(const xmlNode* root, std::string_view ns, Referral& r) {
  for (const xmlNode* d : Children(root, ns, "Diagnosis")) {
    KithCode c = ReadCode(Child(d, ns, "Concept"));
    if (!c.empty()) r.diagnoses.push_back(c);
  }
  ReadInfItemDiagnoses(root, ns, r);
  for (const xmlNode* s : Children(root, ns, "ReasonAsText")) {
    ReasonSection section;
    section.heading = ReadCode(Child(s, ns, "Heading"));
    const xmlNode* value = Child(s, ns, "TextResultValue");
    section.text = xml::Text(value);
    if (!xml::ElementChildren(value).empty()) section.xhtml = xml::InnerXml(value);
    if (!section.text.empty()) r.reasons.push_back(std::move(section));
  }
  if (const xmlNode* rs = Child(root, ns, "ReqServ")) {
    r.priority = ReadCode(Child(rs, ns, "Priority"));
    r.purpose = ReadCode(Child(rs, ns, "Purpose"));
    r.adm_cat = ReadCode(Child(Child(rs, ns, "Service"), ns, "AdmCat"));
    r.reqserv_comment = ChildText(rs, ns, "Comment");
  }
}

void SplitInto(const std::string& name, Person& p) { SplitKithName(name, p); }

}  // namespace

MessageAttachment AttachmentOf(const MsgHeadDocument& d) {
  MessageAttachment a;
  a.id = d.id;
  a.mime_type = d.mime_type;
  a.description = d.description;
  a.issue_date = d.issue_date;
  a.base64 = xml::Text(d.content);
  a.path = d.content != nullptr ? xml::PathOf(d.content) : xml::PathOf(d.node);
  return a;
}

// The Documents in a namespace without a schema here (envelope.h): each XML element in their
// RefDoc/Content becomes an attachment of its own, kept whole as a stand-alone XML document,
// and is taken out of the tree so that validation is about what the gateway reads.
std::vector<MessageAttachment> TakeForeignDocuments(const Envelope& env,
                                                    std::vector<Deviation>* deviations) {
  std::vector<MessageAttachment> out;
  for (const xmlNode* document : env.foreign) {
    const xmlNode* ref = xml::Child(document, ns::kMsgHead, "RefDoc");
    const xmlNode* content = xml::Child(ref, ns::kMsgHead, "Content");
    std::string mime = xml::ChildText(ref, ns::kMsgHead, "MimeType");
    std::string lower = mime;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool xml_type = lower == "text/xml" || lower == "application/xml" ||
                    (lower.size() > 4 && lower.compare(lower.size() - 4, 4, "+xml") == 0);
    deviations->push_back({std::string(deviation::kForeignDocument), xml::PathOf(document)});
    for (const xmlNode* part : xml::ElementChildren(content)) {
      MessageAttachment a;
      a.id = xml::ChildText(ref, ns::kMsgHead, "Id");
      a.mime_type = xml_type ? lower : "application/xml";
      a.description = xml::ChildText(ref, ns::kMsgHead, "Description");
      if (a.description.empty()) {
        a.description = "Dokument i et format gatewayen ikke leser ({" +
                        std::string(xml::Namespace(part)) + "}" +
                        std::string(xml::LocalName(part)) + ")";
      }
      a.issue_date = xml::Attr(xml::Child(ref, ns::kMsgHead, "IssueDate"), "V");
      a.path = xml::PathOf(part);
      a.data = xml::SerializeElement(part);
      a.decoded = true;
      out.push_back(std::move(a));
    }
    // The whole Document goes: neither the validator nor the readers (which would take an
    // emptied attachment Document for a broken attachment) see it again.
    auto* node = const_cast<xmlNode*>(document);
    xmlUnlinkNode(node);
    xmlFreeNode(node);
  }
  return out;
}

void SplitKithName(const std::string& name, Person& person) {
  person.full_name = name;
  size_t comma = name.find(',');
  if (comma == std::string::npos) return;
  auto trim = [](const std::string& s) {
    size_t b = s.find_first_not_of(' ');
    size_t e = s.find_last_not_of(' ');
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  person.family = trim(name.substr(0, comma));
  person.given = trim(name.substr(comma + 1));
}

Referral ReadReferral(const Envelope& e) {
  Referral r;
  r.version = e.version;
  if (e.version == "2.0") {
    const MsgHeadInfo& h = *e.head;
    const xmlNode* body = e.payload;
    std::string_view ns = xml::Namespace(body);
    r.msg_type = h.type;
    r.msg_id = h.msg_id;
    r.gen_date = h.gen_date;
    r.ack = h.ack;
    r.requester = h.sender;
    r.service_provider = h.receiver;
    if (h.patient) {
      r.patient = *h.patient;
      r.has_patient = true;
    }
    r.issue_date = DateOf(Child(body, ns, "IssueDate"));
    if (r.issue_date.empty()) r.issue_date = h.gen_date;
    r.content_type = ReadCode(Child(Child(body, ns, "TypeInnholdIMelding"), ns, "TypeInnhold"));
    r.serv_type.v = "N";
    ReadContent(body, ns, r);
    for (const MsgHeadDocument& d : h.documents) {
      if (d.msg_type.v != "A") continue;
      r.attachments.push_back(AttachmentOf(d));
    }
    if (!r.has_patient) r.problems.push_back("missing required element /MsgHead/MsgInfo/Patient");
    return r;
  }

  const xmlNode* root = e.payload;
  std::string_view ns = xml::Namespace(root);
  OnlyKnownChildren(root, {"Type", "MIGversion", "GenDate", "MsgId", "ServReq", "Status"},
                    r.problems);
  Require(root, ns, "Type", r.problems);
  Require(root, ns, "GenDate", r.problems);
  Require(root, ns, "MsgId", r.problems);
  Require(root, ns, "ServReq", r.problems);
  r.msg_type = ReadCode(Child(root, ns, "Type"));
  r.gen_date = DateOf(Child(root, ns, "GenDate"));
  r.msg_id = ChildText(root, ns, "MsgId");
  const xmlNode* req = Child(root, ns, "ServReq");
  if (req == nullptr) return r;
  OnlyKnownChildren(req,
                    {"IssueDate", "MsgDescr", "ServType", "Ack", "PaymentCat", "ReqComment",
                     "ReqServ", "Requester", "ServProvider", "CopyDest", "Patient", "Diagnosis",
                     "ReasonAsText", "InfItem", "RefDoc"},
                    r.problems);
  Require(req, ns, "Requester", r.problems);
  Require(req, ns, "ServProvider", r.problems);
  r.issue_date = DateOf(Child(req, ns, "IssueDate"));
  if (r.issue_date.empty()) r.issue_date = r.gen_date;
  r.msg_descr = ReadCode(Child(req, ns, "MsgDescr"));
  r.serv_type = ReadCode(Child(req, ns, "ServType"));
  if (r.serv_type.v.empty()) r.serv_type.v = "N";
  r.ack = ReadCode(Child(req, ns, "Ack"));
  r.req_comment = ChildText(req, ns, "ReqComment");
  r.requester = ReadHcp(Child(Child(req, ns, "Requester"), ns, "HCP"), ns);
  r.service_provider = ReadHcp(Child(Child(req, ns, "ServProvider"), ns, "HCP"), ns);
  if (const xmlNode* p = Child(req, ns, "Patient")) {
    r.has_patient = true;
    std::string name = ChildText(p, ns, "Name");
    if (!name.empty()) SplitInto(name, r.patient);
    std::string off_id = ChildText(p, ns, "OffId");
    if (!off_id.empty()) r.patient.idents.push_back({off_id, ReadCode(Child(p, ns, "TypeOffId"))});
    r.patient.sex = ReadCode(Child(p, ns, "Sex"));
    r.patient.date_of_birth = DateOf(Child(p, ns, "DateOfBirth"));
    if (const xmlNode* a = Child(p, ns, "Address")) {
      r.patient.addresses.push_back(ReadKithAddress(a, ns, &r.patient.telecoms));
    }
  }
  ReadContent(req, ns, r);
  for (const xmlNode* d : Children(req, ns, "RefDoc")) {
    const xmlNode* content = Child(d, ns, "Content");
    const xmlNode* container = Child(content, ns::kBase64, "Base64Container");
    if (container == nullptr) continue;  // a reference without content (v1.0)
    MessageAttachment a;
    a.id = ChildText(d, ns, "Id");
    a.mime_type = ChildText(d, ns, "MimeType");
    a.description = ChildText(d, ns, "Description");
    a.issue_date = DateOf(Child(d, ns, "IssueDate"));
    a.base64 = xml::Text(container);
    a.path = xml::PathOf(container);
    r.attachments.push_back(std::move(a));
  }
  return r;
}

}  // namespace adapters::ehr
