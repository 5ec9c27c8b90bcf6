#include "adapters/ehr/apprec.h"

#include "adapters/ehr/kith_namespaces.h"
#include "adapters/ehr/xml/writer.h"

namespace adapters::ehr {
namespace {

constexpr std::string_view kErrorSystem = "2.16.578.1.12.4.1.1.8221";

void WriteParty(xml::Writer& w, xmlNode* parent, std::string_view element,
                const AppRecParty& party) {
  xmlNode* side = w.Add(parent, element);
  xmlNode* hcp = w.Add(side, "HCP");
  xmlNode* inst = w.Add(hcp, "Inst");
  if (!party.name.empty()) w.Add(inst, "Name", party.name);
  if (!party.her_id.empty()) {
    w.Add(inst, "Id", party.her_id);
    w.AddCode(inst, "TypeId", "HER", "HER-id");
  }
  if (!party.dept_name.empty() || !party.dept_her_id.empty()) {
    xmlNode* dept = w.Add(inst, "Dept");
    if (!party.dept_name.empty()) w.Add(dept, "Name", party.dept_name);
    if (!party.dept_her_id.empty()) {
      w.Add(dept, "Id", party.dept_her_id);
      w.AddCode(dept, "TypeId", "HER", "HER-id");
    }
  }
}

AppRecParty ReadParty(const xmlNode* side, std::string_view n) {
  AppRecParty p;
  const xmlNode* inst = xml::Child(xml::Child(side, n, "HCP"), n, "Inst");
  if (inst == nullptr) return p;
  p.name = xml::ChildText(inst, n, "Name");
  p.her_id = xml::ChildText(inst, n, "Id");
  if (const xmlNode* dept = xml::Child(inst, n, "Dept")) {
    p.dept_name = xml::ChildText(dept, n, "Name");
    p.dept_her_id = xml::ChildText(dept, n, "Id");
  }
  return p;
}

}  // namespace

std::string WriteAppRec(const AppRec& a) {
  bool v10 = a.version == "1.0";
  xml::Writer w(v10 ? ns::kAppRec10 : ns::kAppRec11, "AppRec");
  xmlNode* root = w.root();
  w.AddCode(root, "MsgType", "APPREC", "Applikasjonskvittering");
  w.Add(root, "MIGversion", v10 ? ns::kAppRec10Mig : ns::kAppRec11Mig);
  w.Add(root, "SoftwareName", "eMeistring Gateway");
  w.Add(root, "SoftwareVersion", EMG_VERSION);
  w.Add(root, "GenDate", a.gen_date);
  w.Add(root, "Id", a.id);
  WriteParty(w, root, "Sender", a.sender);
  WriteParty(w, root, "Receiver", a.receiver);
  w.AddCode(root, "Status", a.status, a.status_display);
  for (const AppRecError& e : a.errors) {
    xmlNode* err = w.AddCode(root, "Error", e.code, e.display, kErrorSystem);
    if (!e.detail.empty()) w.SetAttr(err, "OT", e.detail);
  }
  xmlNode* original = w.Add(root, "OriginalMsgId");
  w.AddCode(original, "MsgType", a.original_type, a.original_type_display);
  w.Add(original, "IssueDate", a.original_issue_date);
  w.Add(original, "Id", a.original_id);
  return w.Serialize();
}

common::StatusOr<AppRec> ReadAppRec(const xml::Document& doc) {
  const xmlNode* root = doc.root();
  std::string_view n = xml::Namespace(root);
  if (xml::LocalName(root) != "AppRec" || (n != ns::kAppRec10 && n != ns::kAppRec11)) {
    return common::Error(common::Code::kInvalidArgument, "the document is not an AppRec");
  }
  AppRec a;
  a.version = n == ns::kAppRec10 ? "1.0" : "1.1";
  a.gen_date = xml::ChildText(root, n, "GenDate");
  a.id = xml::ChildText(root, n, "Id");
  a.sender = ReadParty(xml::Child(root, n, "Sender"), n);
  a.receiver = ReadParty(xml::Child(root, n, "Receiver"), n);
  const xmlNode* status = xml::Child(root, n, "Status");
  a.status = xml::Attr(status, "V");
  a.status_display = xml::Attr(status, "DN");
  for (const xmlNode* e : xml::Children(root, n, "Error")) {
    a.errors.push_back({xml::Attr(e, "V"), xml::Attr(e, "DN"), xml::Attr(e, "OT")});
  }
  const xmlNode* original = xml::Child(root, n, "OriginalMsgId");
  const xmlNode* type = xml::Child(original, n, "MsgType");
  a.original_type = xml::Attr(type, "V");
  a.original_type_display = xml::Attr(type, "DN");
  a.original_issue_date = xml::ChildText(original, n, "IssueDate");
  a.original_id = xml::ChildText(original, n, "Id");
  if (a.original_id.empty()) {
    return common::Error(common::Code::kInvalidArgument,
                         "the AppRec has no OriginalMsgId/Id to correlate it with");
  }
  return a;
}

}  // namespace adapters::ehr
