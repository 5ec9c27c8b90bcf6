#include "adapters/ehr/message_to_fhir.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/tasks.h"
#include "common/base64.h"
#include "common/digest.h"
#include "common/time.h"

namespace adapters::ehr {

using fhir::json::Value;

namespace {

Value Array() { return Value::Array(); }
std::string Now() { return common::FormatInstant(common::SystemNow()); }

bool Digits(std::string_view s, size_t from, size_t n) {
  if (s.size() < from + n) return false;
  for (size_t i = from; i < from + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// A FHIR dateTime from a message's date or date-time: kept when it is one (with a zone when it
// has a time); a time without a zone cannot be placed on the timeline, so only its date is kept.
std::string FhirDateTime(const std::string& s) {
  if (s.size() >= 10 && Digits(s, 0, 4) && s[4] == '-' && Digits(s, 5, 2) && s[7] == '-' &&
      Digits(s, 8, 2)) {
    if (s.size() == 10) return s;
    if (s[10] != 'T') return s.substr(0, 10);
    bool zoned =
        s.back() == 'Z' || (s.size() >= 6 && (s[s.size() - 6] == '+' || s[s.size() - 6] == '-') &&
                            s[s.size() - 3] == ':');
    return zoned ? s : s.substr(0, 10);
  }
  return {};
}

// The code list a Dialogmelding topic comes from: S when it is a loaded Volven list, else the
// list the message type uses (docs/kith-messaging.md § Code lists per message type).
std::string TopicList(const KithCode& c, const std::string& msg_type, bool question,
                      const ToFhir& to) {
  if (!c.s.empty() && to.terminology().HasCodeSystem("urn:oid:" + c.s) &&
      c.s.rfind("2.16.578.1.12.4.1.1.", 0) == 0) {
    return c.s.substr(std::string("2.16.578.1.12.4.1.1.").size());
  }
  if (msg_type == "DIALOG_NOTAT") return "7321";
  if (msg_type == "DIALOG_AVVIK") return "8117";
  if (msg_type == "DIALOG_SVAR") return "9069";
  if (msg_type == "DIALOG_FORESPORSEL") return question ? "8331" : "9069";
  return "7322";
}

// Parties of a sending organisation: the organisation, its unit, the professional and their
// role there. Returns the most specific "who" (role, else practitioner, else organisation).
struct Parties {
  std::string org;
  std::string unit;
  std::string practitioner;
  std::string role;
  std::string who() const {
    if (!role.empty()) return role;
    if (!practitioner.empty()) return practitioner;
    return unit.empty() ? org : unit;
  }
  std::string organisation() const { return unit.empty() ? org : unit; }
};

Parties AddSender(const Organisation& o, const Professional* prof, const ToFhir& to,
                  BundleBuilder& tx) {
  Parties p;
  p.org = to.AddOrganization(tx, o);
  std::string her = IdentOfType(o.idents, "HER");
  if (!o.units.empty()) {
    p.unit = to.AddOrganization(tx, o.units.front(), p.org);
    std::string unit_her = IdentOfType(o.units.front().idents, "HER");
    if (!p.unit.empty() && !unit_her.empty()) her = unit_her;
  }
  if (prof != nullptr) {
    p.practitioner = to.AddPractitioner(tx, *prof);
    p.role = to.AddPractitionerRole(tx, *prof, p.practitioner, p.organisation(), her);
  }
  return p;
}

void AddTarget(Mapped& out, const std::string& ref) {
  if (!ref.empty()) out.targets.push_back(ref);
}

// The attachment with the media type it is stored as (AttachmentMediaType); a MimeType that
// could not be used is a tolerated deviation.
MessageAttachment Typed(const MessageAttachment& a, std::string_view bytes, Mapped& out) {
  MessageAttachment typed = a;
  bool tolerated = false;
  typed.mime_type = AttachmentMediaType(a.mime_type, bytes, &tolerated);
  if (tolerated) out.deviations.push_back({std::string(deviation::kAttachmentMimeType), a.path});
  return typed;
}

}  // namespace

std::optional<std::string> DecodeAttachment(const MessageAttachment& a, std::string* error) {
  if (a.decoded) {
    if (a.data.empty()) {
      *error = "the document at " + a.path + " is empty";
      return std::nullopt;
    }
    return a.data;
  }
  if (a.base64.empty()) {
    *error = "the attachment at " + a.path + " is empty";
    return std::nullopt;
  }
  auto bytes = common::Base64Decode(a.base64);
  if (!bytes) {
    *error = "the attachment at " + a.path + " is not valid base64";
    return std::nullopt;
  }
  return bytes;
}

std::string AttachmentMediaType(const std::string& mime_type, std::string_view bytes,
                                bool* tolerated) {
  std::string m;
  for (char c : mime_type) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      m += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  // type "/" subtype, both tokens (RFC 6838 restricted names), parameters allowed after ';'.
  auto token = [](std::string_view t) {
    if (t.empty() || t.size() > 127) return false;
    for (char c : t) {
      if (!std::isalnum(static_cast<unsigned char>(c)) &&
          std::string_view("!#$&-^_.+").find(c) == std::string_view::npos) {
        return false;
      }
    }
    return true;
  };
  std::string_view bare = std::string_view(m).substr(0, m.find(';'));
  size_t slash = bare.find('/');
  if (slash != std::string_view::npos && token(bare.substr(0, slash)) &&
      token(bare.substr(slash + 1))) {
    *tolerated = false;
    return std::string(bare);
  }
  *tolerated = true;
  auto starts = [&bytes](std::string_view magic) { return bytes.substr(0, magic.size()) == magic; };
  if (starts("%PDF-")) return "application/pdf";
  if (starts("\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4))) {
    return "image/tiff";
  }
  if (starts("<?xml")) return "application/xml";
  return "application/octet-stream";
}

std::string ReferralKey(const Referral& r) {
  std::string patient;
  for (const Ident& i : r.patient.idents) {
    if (!i.id.empty()) {
      patient = i.id;
      break;
    }
  }
  std::string requester = IdentOfType(r.requester.idents, "HER");
  std::string provider = IdentOfType(r.service_provider.idents, "HER");
  return common::HexEncode(
      common::Sha256(requester + "\n" + provider + "\n" + patient + "\n" + r.issue_date));
}

void MapReferral(const Referral& r, const ReferralContext& ctx, const ToFhir& to, BundleBuilder& tx,
                 Mapped& out) {
  out.patient = to.AddPatient(tx, r.patient);
  AddTarget(out, out.patient);
  const Professional* prof =
      r.requester.professionals.empty() ? nullptr : &r.requester.professionals.front();
  Parties sender = AddSender(r.requester, prof, to, tx);
  out.sender = sender.organisation();
  out.self = to.AddSelf(tx);

  // Conditions: the Diagnosis elements, then the InfItem diagnoses (main before secondary),
  // each as a provisional problem-list Condition asserted by the referrer; an InfItem's 8233
  // type (H main, B secondary) is a second category. A code given twice is one Condition.
  Value conditions = Array();
  std::vector<std::pair<std::string, std::string>> coded;  // (system OID, code) already made
  auto add_condition = [&](const KithCode& d, const KithCode* rank, const std::string& text,
                           const std::string& onset) {
    if (!d.v.empty()) {
      std::pair<std::string, std::string> key{d.s, d.v};
      if (std::find(coded.begin(), coded.end(), key) != coded.end()) return;
      coded.push_back(key);
    }
    Value c = Value::Object();
    c.Set("resourceType", Str("Condition"));
    c.Set("clinicalStatus",
          CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active",
                          "Active"));
    c.Set("verificationStatus",
          CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-ver-status",
                          "provisional", "Provisional"));
    Value& categories = c.Set("category", Array());
    categories.Append(CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-category",
                                      "problem-list-item", "Problem List Item"));
    if (rank != nullptr) categories.Append(to.Concept(*rank, "8233"));
    Value code = Value::Object();
    // A code without V (only its text) is no coding: the text says what it is.
    if (!d.v.empty()) code.Set("coding", Array()).Append(to.ForeignCoding(d));
    std::string code_text =
        !text.empty() ? text : (d.v.empty() ? (d.dn.empty() ? d.ot : d.dn) : std::string());
    if (!code_text.empty()) code.Set("text", Str(code_text));
    if (!code.members().empty()) c.Set("code", std::move(code));
    if (!out.patient.empty()) c.Set("subject", BundleBuilder::Ref(out.patient));
    std::string onset_at = FhirDateTime(onset);
    if (!onset_at.empty()) c.Set("onsetDateTime", Str(onset_at));
    std::string recorded = FhirDateTime(r.issue_date);
    if (!recorded.empty()) c.Set("recordedDate", Str(recorded));
    if (!sender.who().empty()) c.Set("asserter", BundleBuilder::Ref(sender.who()));
    std::string ref = tx.Create(std::move(c));
    conditions.Append(BundleBuilder::Ref(ref));
    AddTarget(out, ref);
  };
  for (const KithCode& d : r.diagnoses) add_condition(d, nullptr, "", "");
  for (const InfItemDiagnosis& d : r.infitem_diagnoses) {
    add_condition(d.code, &d.type, d.text, d.start);
  }

  Value supporting = Array();
  std::string problem_text;
  for (const ReasonSection& s : r.reasons) {
    Value type = to.Concept(s.heading, "8231");
    std::string description = s.heading.v;
    if (auto d = to.terminology().Display(VolvenSystem("8231"), s.heading.v)) description = *d;
    std::string ref = to.AddTextDocument(tx, out.patient, type, s.text, s.xhtml, description);
    supporting.Append(BundleBuilder::Ref(ref, description));
    AddTarget(out, ref);
    if (s.heading.v == "PROB" && problem_text.empty()) problem_text = s.text;
  }
  for (const MessageAttachment& a : r.attachments) {
    std::string error;
    auto bytes = DecodeAttachment(a, &error);
    if (!bytes) {
      out.part_errors.push_back({"T02", "", error + "; the attachment was not stored"});
      continue;
    }
    std::string ref = to.AddAttachment(tx, out.patient, Typed(a, *bytes, out), *bytes);
    supporting.Append(BundleBuilder::Ref(ref, a.description));
    AddTarget(out, ref);
  }

  const bool cancel = r.serv_type.v == "C";
  Value sr = Value::Object();
  sr.Set("resourceType", Str("ServiceRequest"));
  Value& ids = sr.Set("identifier", Array());
  for (const Value& kept : ctx.identifiers) {
    if (kept.GetString("system") == sys::kMsgId && kept.GetString("value") == r.msg_id) continue;
    if (kept.GetString("system") == sys::kReferralKey) continue;
    ids.Append(kept);
  }
  ids.Append(Identifier(sys::kMsgId, r.msg_id));
  ids.Append(Identifier(sys::kReferralKey, ReferralKey(r)));
  sr.Set("status", Str(cancel ? "revoked" : "active"));
  sr.Set("intent", Str("order"));
  if (!r.msg_descr.v.empty()) {
    sr.Set("category", Array())
        .Append(to.Concept(r.msg_descr, r.version == "1.0" ? "8263" : "8455"));
  } else if (!r.content_type.v.empty()) {
    sr.Set("category", Array()).Append(to.Concept(r.content_type, "9146"));
  }
  std::string priority;
  if (!r.priority.v.empty()) {
    auto targets =
        to.terminology().Translate(sys::kMapPriority, VolvenSystem("8304"), r.priority.v);
    if (!targets.empty()) priority = targets.front().code;
    Value ext = Value::Object();
    ext.Set("url", Str(sys::kExtKithPriority));
    ext.Set("valueCoding", to.Coding(r.priority, "8304"));
    sr.Set("extension", Array()).Append(std::move(ext));
  }
  if (!priority.empty()) sr.Set("priority", Str(priority));
  if (!r.purpose.v.empty()) sr.Set("code", to.Concept(r.purpose, "8248"));
  if (!r.adm_cat.v.empty()) sr.Set("orderDetail", Array()).Append(to.Concept(r.adm_cat, "8240"));
  if (!out.patient.empty()) sr.Set("subject", BundleBuilder::Ref(out.patient));
  std::string authored = FhirDateTime(r.issue_date);
  if (!authored.empty()) sr.Set("authoredOn", Str(authored));
  if (!sender.who().empty()) sr.Set("requester", BundleBuilder::Ref(sender.who()));
  if (!out.self.empty()) sr.Set("performer", Array()).Append(BundleBuilder::Ref(out.self));
  if (!problem_text.empty()) {
    Value reason = Value::Object();
    reason.Set("text", Str(problem_text));
    sr.Set("reasonCode", Array()).Append(std::move(reason));
  }
  if (!conditions.items().empty()) sr.Set("reasonReference", std::move(conditions));
  if (!supporting.items().empty()) sr.Set("supportingInfo", std::move(supporting));
  Value notes = Array();
  for (const std::string& text : {r.req_comment, r.reqserv_comment}) {
    if (text.empty()) continue;
    Value n = Value::Object();
    n.Set("text", Str(text));
    notes.Append(std::move(n));
  }
  if (!notes.items().empty()) sr.Set("note", std::move(notes));

  const bool change = r.serv_type.v == "M" || r.serv_type.v == "A";
  if ((change || cancel) && !ctx.existing.empty()) {
    out.focus = tx.Update(std::move(sr), ctx.existing);
  } else {
    out.focus = tx.Create(std::move(sr), IdentifierQuery(sys::kMsgId, r.msg_id));
  }
  AddTarget(out, out.focus);

  // The receiving unit's work item.
  std::string code = "assess-referral";
  std::string description = "Vurder henvisningen og gi pasient og henviser svar.";
  if ((change || cancel) && ctx.existing.empty()) {
    code = "manual-referral-handling";
    description =
        cancel ? "Kansellering av en henvisning som ikke er funnet: finn og avslutt den manuelt."
               : "Endring av en henvisning som ikke er funnet: behandle manuelt.";
  } else if (cancel) {
    code = "referral-cancelled";
    description = "Henviser har trukket henvisningen tilbake.";
  } else if (change) {
    code = "review-referral-change";
    description = "Henviser har endret henvisningen: vurder den på nytt.";
  }
  if (priority == "stat") description = "Øyeblikkelig hjelp: vurder straks. " + description;
  WorkItem item{.code = code,
                .priority = priority.empty() ? "routine" : priority,
                .description = description,
                .focus = out.focus,
                .authored_on = Now()};
  if (!out.patient.empty()) item.patient = BundleBuilder::Ref(out.patient);
  if (!out.self.empty()) item.owner = BundleBuilder::Ref(out.self);
  AddTarget(out, tx.Create(WorkTask(to.terminology(), item)));
}

void MapDialog(const Dialog& d, const DialogContext& ctx, const ToFhir& to, BundleBuilder& tx,
               Mapped& out) {
  const MsgHeadInfo& h = d.head;
  if (h.patient) out.patient = to.AddPatient(tx, *h.patient);
  AddTarget(out, out.patient);
  const Professional* prof = nullptr;
  if (!h.sender.professionals.empty()) prof = &h.sender.professionals.front();
  for (const DialogPart& p : d.parts) {
    if (prof == nullptr && !p.authors.empty()) prof = &p.authors.front();
  }
  Parties sender = AddSender(h.sender, prof, to, tx);
  out.sender = sender.organisation();
  out.self = to.AddSelf(tx);

  Value attachments = Array();
  for (const MessageAttachment& a : d.attachments) {
    std::string error;
    auto bytes = DecodeAttachment(a, &error);
    if (!bytes) {
      out.part_errors.push_back({"T02", "", error + "; the attachment was not stored"});
      continue;
    }
    std::string ref = to.AddAttachment(tx, out.patient, Typed(a, *bytes, out), *bytes);
    Value payload = Value::Object();
    payload.Set("contentReference", BundleBuilder::Ref(ref, a.description));
    attachments.Append(std::move(payload));
    AddTarget(out, ref);
  }

  std::string sent = FhirDateTime(h.gen_date);
  for (size_t i = 0; i < d.parts.size(); ++i) {
    const DialogPart& p = d.parts[i];
    std::string list = TopicList(p.topic, h.type.v, p.question, to);
    Value r = Value::Object();
    r.Set("resourceType", Str(p.question ? "CommunicationRequest" : "Communication"));
    Value& ids = r.Set("identifier", Array());
    ids.Append(Identifier(sys::kMsgId, h.msg_id));
    if (!h.ref_to_conversation.empty())
      ids.Append(Identifier(sys::kConversation, h.ref_to_conversation));
    if (!p.doc_id.empty()) ids.Append(Identifier(sys::kRefDocId, p.doc_id));
    r.Set("status", Str(p.question ? "active" : "completed"));
    Value topic = to.Concept(p.topic, list);
    if (p.question) {
      if (!topic.members().empty()) r.Set("reasonCode", Array()).Append(std::move(topic));
    } else if (!topic.members().empty()) {
      r.Set("category", Array()).Append(std::move(topic));
    }
    if (!out.patient.empty()) r.Set("subject", BundleBuilder::Ref(out.patient));
    if (!ctx.about.empty()) r.Set("about", Array()).Append(BundleBuilder::Ref(ctx.about));
    if (!p.question && !ctx.in_response_to.empty()) {
      r.Set("inResponseTo", Array()).Append(BundleBuilder::Ref(ctx.in_response_to));
    }
    if (p.question) {
      if (!sent.empty()) r.Set("authoredOn", Str(sent));
      if (!sender.who().empty()) r.Set("requester", BundleBuilder::Ref(sender.who()));
    } else {
      if (!sent.empty()) r.Set("sent", Str(sent));
      r.Set("received", Str(Now()));
      if (!sender.who().empty()) r.Set("sender", BundleBuilder::Ref(sender.who()));
    }
    if (!out.self.empty()) r.Set("recipient", Array()).Append(BundleBuilder::Ref(out.self));
    // The subject line: Communication.topic (CommunicationRequest has none: it heads the text).
    std::string text = p.text;
    if (!p.subject.empty() && !p.question) {
      Value subject = Value::Object();
      subject.Set("text", Str(p.subject));
      r.Set("topic", std::move(subject));
    } else if (!p.subject.empty()) {
      text = p.subject + "\n\n" + p.text;
    }
    Value payloads = Array();
    if (!p.answered_question.empty()) text += "\n\nSpørsmålet som besvares: " + p.answered_question;
    if (!text.empty()) {
      Value payload = Value::Object();
      payload.Set("contentString", Str(text));
      payloads.Append(std::move(payload));
    }
    if (i == 0) {
      for (const Value& a : attachments.items()) payloads.Append(a);
    }
    if (!payloads.items().empty()) r.Set("payload", std::move(payloads));
    std::string ref = tx.Create(std::move(r));
    if (out.focus.empty()) out.focus = ref;
    AddTarget(out, ref);
  }
}

}  // namespace adapters::ehr
