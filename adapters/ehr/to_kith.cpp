#include "adapters/ehr/to_kith.h"

#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/kith_namespaces.h"
#include "adapters/ehr/to_fhir.h"
#include "adapters/ehr/xml/document.h"
#include "adapters/ehr/xml/writer.h"
#include "common/base64.h"
#include "common/time.h"
#include "common/uuid.h"

namespace adapters::ehr {

using fhir::json::Value;
using fhir::terminology::Terminology;

namespace {

constexpr std::string_view kOid8116 = "2.16.578.1.12.4.1.1.8116";
constexpr std::string_view kOid9051 = "2.16.578.1.12.4.1.1.9051";

std::string DisplayOf(const Terminology& t, std::string_view list, std::string_view code) {
  auto d = t.Display(VolvenSystem(list), code);
  return d ? *d : std::string();
}

// The KITH id type of a FHIR Identifier.system, through the identifier ConceptMap backwards.
std::string KithType(const Terminology& t, std::string_view map, std::string_view system) {
  auto sources = t.TranslateReverse(map, "urn:ietf:rfc:3986", system);
  return sources.empty() ? std::string() : sources.front().code;
}

std::vector<Ident> IdentsOf(const Value& resource, const Terminology& t, std::string_view map) {
  std::vector<Ident> out;
  if (const Value* ids = resource.Find("identifier")) {
    for (const Value& i : ids->items()) {
      std::string type = KithType(t, map, i.GetString("system"));
      std::string value(i.GetString("value"));
      if (!type.empty() && !value.empty()) out.push_back({value, KithCode{type, "", "", ""}});
    }
  }
  return out;
}

void NamesInto(const Value& resource, Person& p) {
  const Value* names = resource.Find("name");
  if (names == nullptr || !names->is_array() || names->items().empty()) return;
  const Value& n = names->items().front();
  p.family = std::string(n.GetString("family"));
  if (const Value* given = n.Find("given"); given != nullptr && !given->items().empty()) {
    p.given = given->items().front().text();
  }
  if (p.family.empty() && p.given.empty()) p.full_name = std::string(n.GetString("text"));
}

Organisation OrganisationOf(const Value& org, const Resolver& resolve, const Terminology& t) {
  Organisation o;
  o.name = std::string(org.GetString("name"));
  o.idents = IdentsOf(org, t, sys::kMapOrgIdent);
  // A unit (partOf a parent): MsgHead names the parent with the unit nested inside it.
  if (const Value* part_of = org.Find("partOf")) {
    if (auto parent = resolve(part_of->GetString("reference"))) {
      Organisation top = OrganisationOf(*parent, resolve, t);
      top.units.clear();
      top.units.push_back(o);
      return top;
    }
  }
  return o;
}

std::string RefOf(const Value& v) { return std::string(v.GetString("reference")); }

// The HPR-identified professional behind a Practitioner or PractitionerRole reference.
std::optional<Professional> ProfessionalOf(const Value& ref, const Resolver& resolve,
                                           const Terminology& t) {
  auto r = resolve(RefOf(ref));
  if (!r) return std::nullopt;
  std::string type(r->GetString("resourceType"));
  if (type == "PractitionerRole") {
    const Value* p = r->Find("practitioner");
    if (p == nullptr) return std::nullopt;
    auto prof = ProfessionalOf(*p, resolve, t);
    if (prof) {
      if (const Value* codes = r->Find("code")) {
        for (const Value& cc : codes->items()) {
          const Value* codings = cc.Find("coding");
          for (const Value& c : codings != nullptr ? codings->items() : std::vector<Value>{}) {
            if (c.GetString("system") == VolvenSystem("9060")) {
              prof->type = {std::string(c.GetString("code")), "",
                            std::string(c.GetString("display")), ""};
            }
          }
        }
      }
    }
    return prof;
  }
  if (type != "Practitioner") return std::nullopt;
  Professional prof;
  NamesInto(*r, prof.person);
  prof.person.idents = IdentsOf(*r, t, sys::kMapPersonIdent);
  return prof;
}

// One of the Communication's identifiers with `system`.
std::string IdentifierValue(const Value& resource, std::string_view system) {
  if (const Value* ids = resource.Find("identifier")) {
    for (const Value& i : ids->items()) {
      if (i.GetString("system") == system) return std::string(i.GetString("value"));
    }
  }
  return {};
}

common::Status Missing(std::string what) {
  return common::Status(common::Code::kInvalidArgument, std::move(what));
}

void WriteIdent(xml::Writer& w, xmlNode* parent, const Ident& i, std::string_view oid,
                const Terminology& t, std::string_view list) {
  xmlNode* ident = w.AddLike(parent, "Ident");
  w.AddLike(ident, "Id", i.id);
  w.AddCodeLike(ident, "TypeId", i.type.v, DisplayOf(t, list, i.type.v), oid);
}

void WriteOrganisation(xml::Writer& w, xmlNode* parent, const Organisation& o,
                       const Terminology& t) {
  xmlNode* org = w.AddLike(parent, "Organisation");
  w.AddLike(org, "OrganisationName", o.name.empty() ? "(uten navn)" : o.name);
  for (const Ident& i : o.idents) WriteIdent(w, org, i, kOid9051, t, "9051");
  if (!o.units.empty()) WriteOrganisation(w, org, o.units.front(), t);  // at most one level
  // MsgHead allows one HealthcareProfessional, and it must have an Ident.
  for (const Professional& p : o.professionals) {
    if (p.person.idents.empty()) continue;
    xmlNode* hp = w.AddLike(org, "HealthcareProfessional");
    if (!p.type.v.empty())
      w.AddCodeLike(hp, "TypeHealthcareProfessional", p.type.v, DisplayOf(t, "9060", p.type.v));
    if (!p.person.family.empty()) w.AddLike(hp, "FamilyName", p.person.family);
    if (!p.person.given.empty()) w.AddLike(hp, "GivenName", p.person.given);
    for (const Ident& i : p.person.idents) WriteIdent(w, hp, i, kOid8116, t, "8116");
    break;
  }
}

// Where a recipient leads: the organisation (with the professional, for a PractitionerRole).
std::optional<Organisation> RecipientOf(const Value& r, const Resolver& resolve,
                                        const Terminology& t) {
  auto target = resolve(RefOf(r));
  if (!target) return std::nullopt;
  std::string type(target->GetString("resourceType"));
  if (type == "Organization") return OrganisationOf(*target, resolve, t);
  if (type != "PractitionerRole") return std::nullopt;
  const Value* o = target->Find("organization");
  auto resolved = o != nullptr ? resolve(RefOf(*o)) : std::nullopt;
  if (!resolved) return std::nullopt;
  Organisation org = OrganisationOf(*resolved, resolve, t);
  if (auto person = ProfessionalOf(r, resolve, t)) {
    Organisation* leaf = org.units.empty() ? &org : &org.units.front();
    leaf->professionals.push_back(*person);
  }
  return org;
}

// The first recipient with a HER-id that is not ours.
std::optional<Organisation> ExternalRecipient(const Value& c, const Resolver& resolve,
                                              const Terminology& t, const EhrSettings& settings) {
  const Value* recipients = c.Find("recipient");
  for (const Value& r : recipients != nullptr ? recipients->items() : std::vector<Value>{}) {
    auto org = RecipientOf(r, resolve, t);
    if (!org) continue;
    std::string her = AddressOf(*org);
    if (her.empty() || settings.accepted_her_ids.contains(her) || her == settings.self.her_id)
      continue;
    return org;
  }
  return std::nullopt;
}

}  // namespace

std::string AddressOf(const Organisation& o) {
  // The most specific communication party: a professional's own HER-id (a GP usually has
  // one), else the unit's, else the organisation's.
  const Organisation& leaf = o.units.empty() ? o : o.units.front();
  for (const Professional& p : leaf.professionals) {
    std::string her = IdentOfType(p.person.idents, "HER");
    if (!her.empty()) return her;
  }
  if (&leaf != &o) {
    std::string unit = IdentOfType(leaf.idents, "HER");
    if (!unit.empty()) return unit;
  }
  return IdentOfType(o.idents, "HER");
}

std::string WriteDialogmelding(const OutboundDialog& d, const EhrSettings& settings,
                               const Terminology& t) {
  xml::Writer w(ns::kMsgHead, "MsgHead");
  xmlNode* info = w.Add(w.root(), "MsgInfo");
  w.AddCode(info, "Type", d.msg_type, DisplayOf(t, "8279", d.msg_type));
  w.Add(info, "MIGversion", ns::kMsgHeadMig);
  w.Add(info, "GenDate", d.gen_date);
  w.Add(info, "MsgId", d.msg_id);
  w.AddCode(info, "Ack", "J", "Ja");
  if (!d.ref_to_parent.empty()) {
    xmlNode* conv = w.Add(info, "ConversationRef");
    w.Add(conv, "RefToParent", d.ref_to_parent);
    w.Add(conv, "RefToConversation",
          d.ref_to_conversation.empty() ? d.ref_to_parent : d.ref_to_conversation);
  }
  Organisation self;
  self.name = settings.self.name;
  self.idents.push_back({settings.self.her_id, KithCode{"HER", "", "", ""}});
  if (!settings.self.dept_her_id.empty()) {
    Organisation unit;
    unit.name = settings.self.dept_name;
    unit.idents.push_back({settings.self.dept_her_id, KithCode{"HER", "", "", ""}});
    self.units.push_back(std::move(unit));
  }
  WriteOrganisation(w, w.Add(info, "Sender"), self, t);
  WriteOrganisation(w, w.Add(info, "Receiver"), d.receiver, t);
  if (d.patient) {
    xmlNode* p = w.Add(info, "Patient");
    if (!d.patient->family.empty()) w.Add(p, "FamilyName", d.patient->family);
    if (!d.patient->given.empty()) w.Add(p, "GivenName", d.patient->given);
    for (const Ident& i : d.patient->idents) WriteIdent(w, p, i, kOid8116, t, "8116");
  }

  xmlNode* doc = w.Add(w.root(), "Document");
  xmlNode* ref = w.Add(doc, "RefDoc");
  w.SetAttr(w.Add(ref, "IssueDate"), "V", d.gen_date);
  w.AddCode(ref, "MsgType", "XML", DisplayOf(t, "8114", "XML"));
  w.Add(ref, "MimeType", "text/xml");
  xmlNode* content = w.Add(ref, "Content");
  xmlNode* dialog = w.AddNs(content, ns::kDialog11, "Dialogmelding");
  xmlNode* notat = w.AddLike(dialog, "Notat");
  std::string topic_display = DisplayOf(t, d.topic_list, d.topic.v);
  w.AddCodeLike(notat, "TemaKodet", d.topic.v, topic_display.empty() ? d.topic.dn : topic_display,
                std::string(sys::kVolvenPrefix.substr(8)) + d.topic_list);
  if (!d.subject.empty()) w.AddLike(notat, "Tema", d.subject);
  if (!d.text.empty()) w.AddLike(notat, "TekstNotatInnhold", d.text);
  w.AddLike(notat, "DokIdNotat", d.msg_id);
  w.AddLike(notat, "DatoNotat", d.gen_date.substr(0, 10));
  if (d.author) {
    xmlNode* roles = w.AddLike(notat, "RollerRelatertNotat");
    w.AddCodeLike(roles, "RolleNotat", "1", DisplayOf(t, "9057", "1"),
                  std::string(sys::kVolvenPrefix.substr(8)) + "9057");
    xmlNode* hp = w.AddLike(roles, "HealthcareProfessional");
    if (!d.author->type.v.empty()) {
      w.AddCodeLike(hp, "TypeHealthcareProfessional", d.author->type.v,
                    DisplayOf(t, "9060", d.author->type.v));
    }
    if (!d.author->person.family.empty()) w.AddLike(hp, "FamilyName", d.author->person.family);
    if (!d.author->person.given.empty()) w.AddLike(hp, "GivenName", d.author->person.given);
    for (const Ident& i : d.author->person.idents) {
      xmlNode* ident = w.AddLike(hp, "Ident");
      w.AddNs(ident, ns::kFelles1, "Id", i.id);
      xmlNode* type = w.AddNs(ident, ns::kFelles1, "TypeId");
      w.SetAttr(type, "V", i.type.v);
      w.SetAttr(type, "S", kOid8116);
      std::string dn = DisplayOf(t, "8116", i.type.v);
      if (!dn.empty()) w.SetAttr(type, "DN", dn);
    }
  }
  for (const OutboundAttachment& a : d.attachments) {
    xmlNode* adoc = w.Add(w.root(), "Document");
    xmlNode* aref = w.Add(adoc, "RefDoc");
    w.SetAttr(w.Add(aref, "IssueDate"), "V", d.gen_date);
    w.AddCode(aref, "MsgType", "A", DisplayOf(t, "8114", "A"));
    w.Add(aref, "MimeType", a.mime_type.empty() ? "application/octet-stream" : a.mime_type);
    if (!a.description.empty()) w.Add(aref, "Description", a.description);
    xmlNode* acontent = w.Add(aref, "Content");
    w.AddNs(acontent, ns::kBase64, "Base64Container", common::Base64Encode(a.bytes));
  }
  return w.Serialize();
}

common::StatusOr<OutboundDialog> DialogFromCommunication(const Value& c, const Resolver& resolve,
                                                         const Terminology& t,
                                                         const EhrSettings& settings) {
  if (c.GetString("resourceType") != "Communication") {
    return common::Error(Missing("the resource is not a Communication"));
  }
  OutboundDialog d;
  d.msg_id = common::NewUuid();
  auto receiver = ExternalRecipient(c, resolve, t, settings);
  if (!receiver) {
    return common::Error(Missing(
        "Communication.recipient names no Organization, or PractitionerRole with an organization, "
        "that has a HER-id other than ours: the message has no address"));
  }
  d.receiver = std::move(*receiver);
  if (const Value* subject = c.Find("subject")) {
    auto patient = resolve(RefOf(*subject));
    if (!patient) return common::Error(Missing("Communication.subject cannot be resolved"));
    Person p;
    NamesInto(*patient, p);
    for (const Ident& i : IdentsOf(*patient, t, sys::kMapPersonIdent)) {
      if (i.type.v == "FNR" || i.type.v == "DNR") p.idents.push_back(i);
    }
    if (p.idents.empty()) {
      return common::Error(
          Missing("Communication.subject: the patient has no fødselsnummer or D-nummer"));
    }
    d.patient = std::move(p);
  }
  if (const Value* sender = c.Find("sender")) d.author = ProfessionalOf(*sender, resolve, t);
  // The dialogue: the message answered, and the conversation it belongs to.
  if (const Value* answered = c.Find("inResponseTo");
      answered != nullptr && !answered->items().empty()) {
    if (auto parent = resolve(RefOf(answered->items().front()))) {
      d.ref_to_parent = IdentifierValue(*parent, sys::kMsgId);
      if (d.ref_to_parent.empty()) d.ref_to_parent = IdentifierValue(*parent, sys::kOutboundMsgId);
      d.ref_to_conversation = IdentifierValue(*parent, sys::kConversation);
      if (d.ref_to_conversation.empty()) d.ref_to_conversation = d.ref_to_parent;
    }
    if (d.ref_to_parent.empty()) {
      return common::Error(
          Missing("Communication.inResponseTo: the message answered has no message id"));
    }
  }
  // A message about a referral that came by KITH continues the referral's conversation.
  if (d.ref_to_parent.empty()) {
    if (const Value* about = c.Find("about")) {
      for (const Value& a : about->items()) {
        auto target = resolve(RefOf(a));
        if (!target || target->GetString("resourceType") != "ServiceRequest") continue;
        d.ref_to_parent = IdentifierValue(*target, sys::kMsgId);
        d.ref_to_conversation = d.ref_to_parent;
        if (!d.ref_to_parent.empty()) break;
      }
    }
  }
  const bool answer = c.Find("inResponseTo") != nullptr;
  // The topic: a 7322 (or 9069) coding of the category; else "Henvendelse om pasient", or for
  // an answer "Svar på forespørsel".
  d.topic = {answer ? "5" : "6", "", "", ""};
  d.topic_list = answer ? "9069" : "7322";
  if (const Value* categories = c.Find("category")) {
    for (const Value& cc : categories->items()) {
      const Value* codings = cc.Find("coding");
      for (const Value& coding : codings != nullptr ? codings->items() : std::vector<Value>{}) {
        for (std::string_view list : {"7322", "9069", "9148"}) {
          if (coding.GetString("system") == VolvenSystem(list) &&
              t.Contains(VolvenSystem(list), coding.GetString("code"))) {
            d.topic = {std::string(coding.GetString("code")), "", "", ""};
            d.topic_list = std::string(list);
          }
        }
      }
    }
  }
  if (const Value* topic = c.Find("topic")) d.subject = std::string(topic->GetString("text"));
  const Value* payloads = c.Find("payload");
  for (const Value& p : payloads != nullptr ? payloads->items() : std::vector<Value>{}) {
    if (const Value* s = p.Find("contentString")) {
      if (!d.text.empty()) d.text += "\n\n";
      d.text += s->text();
    } else if (const Value* a = p.Find("contentAttachment")) {
      auto bytes = common::Base64Decode(a->GetString("data"));
      if (!bytes || bytes->empty())
        return common::Error(Missing("Communication.payload.contentAttachment has no valid data"));
      d.attachments.push_back({std::string(a->GetString("contentType")),
                               std::string(a->GetString("title")), std::move(*bytes)});
    } else if (const Value* r = p.Find("contentReference")) {
      auto doc = resolve(RefOf(*r));
      const Value* content = doc ? doc->Find("content") : nullptr;
      if (content == nullptr || content->items().empty()) {
        return common::Error(Missing("Communication.payload.contentReference cannot be resolved"));
      }
      const Value* att = content->items().front().Find("attachment");
      std::string data = att != nullptr ? std::string(att->GetString("data")) : std::string();
      if (data.empty() && att != nullptr && !att->GetString("url").empty()) {
        auto binary = resolve(att->GetString("url"));
        if (binary) data = std::string(binary->GetString("data"));
      }
      auto bytes = common::Base64Decode(data);
      if (!bytes || data.empty()) {
        return common::Error(
            Missing("Communication.payload.contentReference has no readable data"));
      }
      d.attachments.push_back({std::string(att->GetString("contentType")),
                               std::string(doc->GetString("description")), std::move(*bytes)});
    }
  }
  if (d.text.empty() && d.attachments.empty()) {
    return common::Error(Missing("Communication.payload has no text and no attachment"));
  }
  if (d.topic_list == "9148") d.msg_type = "DIALOG_STATUS_HENVISNING";
  return d;
}

Resolver LocalResolver(const Value& resource, const Value* bundle, Resolver fallback) {
  std::vector<std::pair<std::string, Value>> known;  // reference -> resource
  if (const Value* contained = resource.Find("contained")) {
    for (const Value& r : contained->items())
      known.emplace_back("#" + std::string(r.GetString("id")), r);
  }
  if (bundle != nullptr) {
    if (const Value* entries = bundle->Find("entry")) {
      for (const Value& e : entries->items()) {
        const Value* r = e.Find("resource");
        if (r == nullptr) continue;
        if (!e.GetString("fullUrl").empty())
          known.emplace_back(std::string(e.GetString("fullUrl")), *r);
        if (!r->GetString("id").empty()) {
          known.emplace_back(
              std::string(r->GetString("resourceType")) + "/" + std::string(r->GetString("id")),
              *r);
        }
      }
    }
  }
  return [known = std::move(known),
          fallback = std::move(fallback)](std::string_view ref) -> std::optional<Value> {
    for (const auto& [key, r] : known) {
      if (key == ref) return r;
      // "http://base/Patient/1" for an entry known as "Patient/1".
      if (ref.size() > key.size() && ref.ends_with(key) &&
          ref[ref.size() - key.size() - 1] == '/' && key.find('/') != std::string::npos &&
          !key.starts_with("urn:")) {
        return r;
      }
    }
    if (fallback) return fallback(ref);
    return std::nullopt;
  };
}

bool AddressedToEhr(const Value& c, const Resolver& resolve, const Terminology& t,
                    const EhrSettings& settings) {
  return ExternalRecipient(c, resolve, t, settings).has_value();
}

common::StatusOr<OutboundMessage> CommunicationToKith(const Value& c, const Resolver& resolve,
                                                      const Terminology& t,
                                                      const EhrSettings& settings,
                                                      const xml::SchemaSet& schemas,
                                                      std::string msg_id, std::string gen_date) {
  auto d = DialogFromCommunication(c, resolve, t, settings);
  if (!d) return common::Error(d.error());
  OutboundMessage m;
  m.dialog = std::move(*d);
  if (!msg_id.empty()) m.dialog.msg_id = std::move(msg_id);
  m.dialog.gen_date =
      gen_date.empty() ? common::FormatInstant(common::SystemNow()) : std::move(gen_date);
  m.xml = WriteDialogmelding(m.dialog, settings, t);
  // What we send must be valid: a failure here is our bug, never the partner's problem.
  xml::ParseError error;
  auto doc = xml::Document::Parse(m.xml, m.xml.size() + 1, &error);
  if (!doc)
    return common::Error(common::Code::kInternal, "the Dialogmelding written is not well-formed");
  auto violations = schemas.Validate(*doc, 3);
  if (!violations.empty()) {
    return common::Error(common::Code::kInternal,
                         "the Dialogmelding written is not schema-valid at " +
                             violations.front().path + ": " + violations.front().message);
  }
  return m;
}

}  // namespace adapters::ehr
