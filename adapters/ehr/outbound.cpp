#include "adapters/ehr/outbound.h"

#include <optional>

#include "adapters/ehr/bundle_builder.h"
#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/outbox.h"
#include "adapters/ehr/to_fhir.h"
#include "adapters/ehr/to_kith.h"
#include "common/log.h"
#include "common/time.h"
#include "common/uuid.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/search/parse.h"

namespace adapters::ehr {

using common::Code;
using common::Status;
using fhir::json::Value;
using fhir::store::WriteContext;

namespace {

std::string IdentifierValue(const Value& resource, std::string_view system) {
  if (const Value* ids = resource.Find("identifier")) {
    for (const Value& i : ids->items()) {
      if (i.GetString("system") == system) return std::string(i.GetString("value"));
    }
  }
  return {};
}

bool HasCode(const Value& concept_holder, std::string_view key, std::string_view system,
             std::string_view code) {
  const Value* cc = concept_holder.Find(key);
  const Value* codings = cc != nullptr ? cc->Find("coding") : nullptr;
  if (codings == nullptr) return false;
  for (const Value& c : codings->items()) {
    if (c.GetString("system") == system && c.GetString("code") == code) return true;
  }
  return false;
}

// The code of `system` in the CodeableConcept at `key`, or empty.
std::string CodeIn(const Value* holder, std::string_view key, std::string_view system) {
  if (holder == nullptr) return {};
  const Value* cc = holder->Find(key);
  const Value* codings = cc != nullptr ? cc->Find("coding") : nullptr;
  if (codings == nullptr) return {};
  for (const Value& c : codings->items()) {
    if (c.GetString("system") == system) return std::string(c.GetString("code"));
  }
  return {};
}

// "Type/id" (a relative literal reference, optionally version-specific) split; nullopt for
// anything else (absolute URLs name other servers; contained and urn: references are not
// stored resources).
std::optional<std::pair<std::string, std::string>> SplitRelative(std::string_view ref) {
  if (ref.empty() || ref.find(':') != std::string_view::npos || ref.starts_with('#'))
    return std::nullopt;
  if (size_t h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  size_t slash = ref.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= ref.size()) return std::nullopt;
  if (ref.find('/', slash + 1) != std::string_view::npos) return std::nullopt;
  if (ref[0] < 'A' || ref[0] > 'Z') return std::nullopt;
  return std::make_pair(std::string(ref.substr(0, slash)), std::string(ref.substr(slash + 1)));
}

Resolver StoreResolver(WriteContext& ctx) {
  return [&ctx](std::string_view ref) -> std::optional<Value> {
    auto split = SplitRelative(ref);
    if (!split) return std::nullopt;
    auto v = ctx.Current(split->first, split->second);
    if (!v.has_value() || v->deleted) return std::nullopt;
    auto parsed = fhir::json::Parse(v->body);
    if (!parsed) return std::nullopt;
    return std::move(*parsed);
  };
}

// The elements a sent message consists of: they stay as they were sent.
constexpr std::string_view kFrozen[] = {"payload",  "recipient", "subject",     "topic",
                                        "category", "about",     "inResponseTo"};

std::string Canonical(const Value* v) {
  return v == nullptr ? std::string() : fhir::json::Write(*v);
}

}  // namespace

OutboundTriggers::OutboundTriggers(
    EhrSettings settings, const xml::SchemaSet& schemas,
    std::shared_ptr<const fhir::terminology::Terminology> terminology)
    : settings_(std::move(settings)), schemas_(schemas), terminology_(std::move(terminology)) {}

bool OutboundTriggers::Watches(std::string_view type) const {
  return type == "Communication" || type == "Task" || type == "ServiceRequest";
}

Status OutboundTriggers::BeforePut(WriteContext& ctx, const std::string& type,
                                   const std::string& id, Value& resource, const Value* current) {
  if (type == "Communication") return OnCommunication(ctx, id, resource, current);
  if (type == "Task") return OnTask(ctx, resource, current);
  if (type == "ServiceRequest") return OnServiceRequest(ctx, id, resource, current);
  return Status::Ok();
}

Status OutboundTriggers::OnCommunication(WriteContext& ctx, const std::string& id, Value& c,
                                         const Value* current) {
  const std::string sent_id =
      current != nullptr ? IdentifierValue(*current, sys::kOutboundMsgId) : "";
  const std::string claimed = IdentifierValue(c, sys::kOutboundMsgId);
  if (!sent_id.empty()) {
    // Sent before: what was sent stays the record of what was sent.
    if (!claimed.empty() && claimed != sent_id) {
      return Status(
          Code::kConflict,
          "Communication/" + id +
              " was sent as a Dialogmelding: its outbound-msgid identifier cannot change");
    }
    for (std::string_view key : kFrozen) {
      if (Canonical(c.Find(key)) != Canonical(current->Find(key))) {
        return Status(Code::kConflict,
                      "Communication/" + id + " was sent as a Dialogmelding: Communication." +
                          std::string(key) +
                          " cannot change any more (write a new Communication to correct it)");
      }
    }
    if (claimed.empty()) {
      if (c.Find("identifier") == nullptr) c.Set("identifier", Value::Array());
      c.Find("identifier")->Append(Identifier(sys::kOutboundMsgId, sent_id));
    }
    if (c.Find("sent") == nullptr && current->Find("sent") != nullptr)
      c.Set("sent", *current->Find("sent"));
    return Status::Ok();
  }
  if (!IdentifierValue(c, sys::kMsgId).empty()) return Status::Ok();  // it came to us by KITH
  if (!claimed.empty()) {
    return Status(Code::kUnprocessable,
                  "Communication.identifier: the outbound-msgid identifier is the gateway's to set "
                  "when it sends a message");
  }
  std::string_view status = c.GetString("status");
  if (status != "in-progress" && status != "completed") return Status::Ok();  // not sent (yet)
  Resolver resolve = LocalResolver(c, nullptr, StoreResolver(ctx));
  if (!AddressedToEhr(c, resolve, *terminology_, settings_)) return Status::Ok();

  auto m = CommunicationToKith(c, resolve, *terminology_, settings_, schemas_);
  if (!m) {
    if (m.error().code() == Code::kInvalidArgument) {
      return Status(
          Code::kUnprocessable,
          "the Communication is addressed to a HER-id but cannot be sent as a Dialogmelding: " +
              m.error().message());
    }
    return m.error();
  }
  if (c.Find("identifier") == nullptr) c.Set("identifier", Value::Array());
  c.Find("identifier")->Append(Identifier(sys::kOutboundMsgId, m->dialog.msg_id));
  if (c.Find("sent") == nullptr) c.Set("sent", Str(m->dialog.gen_date));

  ToFhir to(*terminology_, settings_);
  OutboxEntry e;
  e.msg_id = m->dialog.msg_id;
  e.msg_type = m->dialog.msg_type;
  e.msg_type_display = terminology_->Display(VolvenSystem("8279"), e.msg_type).value_or("");
  e.destination_system = to.OrganisationSystem("HER");
  e.destination = AddressOf(m->dialog.receiver);
  e.description = (e.msg_type_display.empty() ? e.msg_type : e.msg_type_display) + " til HER-id " +
                  e.destination;
  e.focus = "Communication/" + id;
  if (const Value* subject = c.Find("subject")) {
    if (SplitRelative(subject->GetString("reference")))
      e.patient = std::string(subject->GetString("reference"));
  }
  // Our organisation (the unit, else the institution), when it is registered.
  for (const std::string& her : {settings_.self.dept_her_id, settings_.self.her_id}) {
    if (her.empty() || !e.owner.empty()) continue;
    fhir::IssueList warnings;
    auto query = fhir::search::ParseQuery(
        "Organization", {{"identifier", e.destination_system + "|" + her}}, {}, warnings);
    if (!query) continue;
    auto ids = ctx.Match(*query);
    if (ids.has_value() && !ids->empty()) e.owner = "Organization/" + ids->front();
  }
  e.xml = std::move(m->xml);
  auto queued = ctx.Put("Task", common::NewTimeOrderedUuid(), OutboxTask(*terminology_, e), "POST");
  if (!queued) return queued.error();
  common::log::Info("ehr_outbound_queued", {{"type", e.msg_type}});
  return Status::Ok();
}

Status OutboundTriggers::OnTask(WriteContext& ctx, const Value& task, const Value* current) {
  if (!HasCode(task, "code", sys::kTaskCode, "assess-referral")) return Status::Ok();
  const fhir::terminology::Terminology& t = *terminology_;
  // Chosen explicitly: a new businessStatus coding (ours, or 9148).
  std::string event;
  std::string chosen = CodeIn(&task, "businessStatus", sys::kReferralStatus);
  if (chosen.empty()) {
    std::string code9148 = CodeIn(&task, "businessStatus", VolvenSystem("9148"));
    if (!code9148.empty() && code9148 != CodeIn(current, "businessStatus", VolvenSystem("9148"))) {
      auto back = t.TranslateReverse(sys::kMapReferralStatus9148, VolvenSystem("9148"), code9148);
      if (!back.empty()) event = back.front().code;
    }
  } else if (chosen != CodeIn(current, "businessStatus", sys::kReferralStatus)) {
    if (!t.Contains(sys::kReferralStatus, chosen)) {
      return Status(Code::kUnprocessable, "Task.businessStatus: '" + chosen +
                                              "' is not a code of " +
                                              std::string(sys::kReferralStatus));
    }
    event = chosen;
  }
  // Else the Task's status, when it changed.
  std::string status(task.GetString("status"));
  std::string before =
      current != nullptr ? std::string(current->GetString("status")) : std::string();
  if (event.empty() && chosen.empty() && status != before) {
    auto mapped = t.Translate(sys::kMapTaskStatus, sys::kTaskStatus, status);
    if (!mapped.empty()) event = mapped.front().code;
  }
  if (event.empty()) return Status::Ok();
  const Value* focus = task.Find("focus");
  std::string sr_ref =
      focus != nullptr ? std::string(focus->GetString("reference")) : std::string();
  auto split = SplitRelative(sr_ref);
  if (!split || split->first != "ServiceRequest") return Status::Ok();
  auto sr = StoreResolver(ctx)(sr_ref);
  if (!sr) return Status::Ok();
  std::string reason;
  if (const Value* r = task.Find("statusReason")) reason = std::string(r->GetString("text"));
  if (const Value* notes = task.Find("note")) {
    for (const Value& n : notes->items()) {
      std::string text(n.GetString("text"));
      if (!text.empty()) reason += (reason.empty() ? "" : "\n\n") + text;
    }
  }
  return SendStatus(ctx, *sr, split->first + "/" + split->second, event, reason,
                    task.Find("owner"));
}

Status OutboundTriggers::OnServiceRequest(WriteContext& ctx, const std::string& id, const Value& sr,
                                          const Value* current) {
  if (current == nullptr || sr.GetString("status") != "completed" ||
      current->GetString("status") == "completed") {
    return Status::Ok();
  }
  const Value* performer = nullptr;
  if (const Value* p = sr.Find("performer"); p != nullptr && !p->items().empty())
    performer = &p->items().front();
  std::string reason;
  if (const Value* notes = sr.Find("note");
      notes != nullptr && current->Find("note") != nullptr &&
      notes->items().size() > current->Find("note")->items().size()) {
    reason =
        std::string(notes->items().back().GetString("text"));  // the note added with the change
  }
  return SendStatus(ctx, sr, "ServiceRequest/" + id, "treatment-finished", reason, performer);
}

Status OutboundTriggers::SendStatus(WriteContext& ctx, const Value& sr, const std::string& sr_ref,
                                    const std::string& event, const std::string& reason,
                                    const Value* sender) {
  if (IdentifierValue(sr, sys::kMsgId).empty()) return Status::Ok();  // not a KITH referral
  const Value* requester = sr.Find("requester");
  if (requester == nullptr) return Status::Ok();
  const fhir::terminology::Terminology& t = *terminology_;
  std::string display = t.Display(sys::kReferralStatus, event).value_or(event);

  Value c = Value::Object();
  c.Set("resourceType", Str("Communication"));
  c.Set("status", Str("completed"));
  Value category = Value::Object();
  Value& codings = category.Set("coding", Value::Array());
  codings.Append(Coding(sys::kReferralStatus, event, display));
  auto code9148 = t.Translate(sys::kMapReferralStatus9148, sys::kReferralStatus, event);
  if (!code9148.empty()) {
    codings.Append(Coding(VolvenSystem("9148"), code9148.front().code, code9148.front().display));
  }
  c.Set("category", Value::Array()).Append(std::move(category));
  if (const Value* subject = sr.Find("subject")) c.Set("subject", *subject);
  c.Set("about", Value::Array()).Append(BundleBuilder::Ref(sr_ref));
  c.Set("recipient", Value::Array()).Append(*requester);
  if (sender != nullptr && !sender->GetString("reference").empty()) c.Set("sender", *sender);
  Value topic = Value::Object();
  topic.Set("text", Str(display));
  c.Set("topic", std::move(topic));
  Value payload = Value::Object();
  payload.Set("contentString", Str(reason.empty() ? display + "." : display + ".\n\n" + reason));
  c.Set("payload", Value::Array()).Append(std::move(payload));

  Resolver resolve = StoreResolver(ctx);
  if (!AddressedToEhr(c, resolve, t, settings_)) return Status::Ok();  // no HER-id to tell
  // Written through the context: the Communication rule above turns it into the message.
  auto written = ctx.Put("Communication", common::NewTimeOrderedUuid(), c, "POST");
  if (!written) {
    return Status(
        written.error().code(),
        "the referral status message to the referrer cannot be sent: " + written.error().message());
  }
  return Status::Ok();
}

}  // namespace adapters::ehr
