#include "adapters/ehr/outbox.h"

#include <cstdlib>

#include "adapters/ehr/bundle_builder.h"
#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/tasks.h"
#include "adapters/ehr/to_fhir.h"
#include "common/base64.h"
#include "common/time.h"
#include "common/url.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"

namespace adapters::ehr {

using fhir::json::Value;

namespace {

bool IsDeliverTask(const Value& task) {
  const Value* code = task.Find("code");
  const Value* codings = code != nullptr ? code->Find("coding") : nullptr;
  if (codings == nullptr) return false;
  for (const Value& c : codings->items()) {
    if (c.GetString("system") == sys::kTaskCode && c.GetString("code") == "deliver-message")
      return true;
  }
  return false;
}

// The input of type `type` (a task-code), or nullptr.
const Value* Input(const Value& task, std::string_view type) {
  const Value* inputs = task.Find("input");
  if (inputs == nullptr) return nullptr;
  for (const Value& in : inputs->items()) {
    const Value* t = in.Find("type");
    const Value* codings = t != nullptr ? t->Find("coding") : nullptr;
    if (codings == nullptr) continue;
    for (const Value& c : codings->items()) {
      if (c.GetString("code") == type) return &in;
    }
  }
  return nullptr;
}

const Value* Extension(const Value& resource, std::string_view url) {
  if (const Value* exts = resource.Find("extension")) {
    for (const Value& e : exts->items()) {
      if (e.GetString("url") == url) return &e;
    }
  }
  return nullptr;
}

// Replaces (or adds) the extension `url` with `value_key`: `value`.
void SetExtension(Value& resource, std::string_view url, std::string_view value_key, Value value) {
  Value ext = Value::Object();
  ext.Set("url", Str(url));
  ext.Set(value_key, std::move(value));
  Value kept = Value::Array();
  if (const Value* exts = resource.Find("extension")) {
    for (const Value& e : exts->items()) {
      if (e.GetString("url") != url) kept.Append(e);
    }
  }
  kept.Append(std::move(ext));
  resource.Set("extension", std::move(kept));
}

OutboxMessage MessageOf(const Value& task) {
  OutboxMessage m;
  if (const Value* a = Extension(task, sys::kExtDeliveryAttempts)) {
    if (const Value* n = a->Find("valueInteger"); n != nullptr && n->is_number()) {
      m.attempts = std::atoi(n->text().c_str());
    }
  }
  if (const Value* next = Extension(task, sys::kExtNextDeliveryAttempt)) {
    m.next_attempt = std::string(next->GetString("valueInstant"));
  }
  m.id = std::string(task.GetString("id"));
  m.created = std::string(task.GetString("authoredOn"));
  if (const Value* in = Input(task, "message-id"))
    m.msg_id = std::string(in->GetString("valueString"));
  if (const Value* in = Input(task, "message-type")) {
    if (const Value* c = in->Find("valueCoding")) m.msg_type = std::string(c->GetString("code"));
  }
  if (const Value* in = Input(task, "destination")) {
    if (const Value* i = in->Find("valueIdentifier"))
      m.destination = std::string(i->GetString("value"));
  }
  if (const Value* in = Input(task, "message")) {
    if (const Value* a = in->Find("valueAttachment")) {
      if (auto xml = common::Base64Decode(a->GetString("data"))) m.xml = std::move(*xml);
    }
  }
  return m;
}

common::Status Failed(const FhirResponse& r, std::string_view what) {
  common::Code code = r.status == 404 || r.status == 410 ? common::Code::kNotFound
                      : r.status >= 500                  ? common::Code::kUnavailable
                                                         : common::Code::kInternal;
  return common::Status(code, std::string(what) + " (HTTP " + std::to_string(r.status) + ")");
}

Value TaskInput(std::string_view type, std::string_view value_key, Value value) {
  Value in = Value::Object();
  in.Set("type", CodeableConcept(sys::kTaskCode, type, ""));
  in.Set(value_key, std::move(value));
  return in;
}

}  // namespace

Value OutboxTask(const fhir::terminology::Terminology& terms, const OutboxEntry& e) {
  Value t = Value::Object();
  t.Set("resourceType", Str("Task"));
  t.Set("identifier", Value::Array()).Append(Identifier(sys::kOutboundMsgId, e.msg_id));
  t.Set("status", Str("requested"));
  t.Set("intent", Str("order"));
  t.Set("code", TaskCode(terms, "deliver-message"));
  if (!e.description.empty()) t.Set("description", Str(e.description));
  if (!e.focus.empty()) t.Set("focus", BundleBuilder::Ref(e.focus));
  if (!e.patient.empty()) t.Set("for", BundleBuilder::Ref(e.patient));
  t.Set("authoredOn", Str(common::FormatInstant(common::SystemNow())));
  if (!e.owner.empty()) t.Set("owner", BundleBuilder::Ref(e.owner));
  Value& inputs = t.Set("input", Value::Array());
  Value att = Value::Object();
  att.Set("contentType", Str("application/xml"));
  att.Set("data", Str(common::Base64Encode(e.xml)));
  inputs.Append(TaskInput("message", "valueAttachment", std::move(att)));
  if (!e.destination.empty()) {
    inputs.Append(TaskInput("destination", "valueIdentifier",
                            Identifier(e.destination_system, e.destination)));
  }
  inputs.Append(TaskInput("message-type", "valueCoding",
                          Coding(VolvenSystem("8279"), e.msg_type, e.msg_type_display)));
  inputs.Append(TaskInput("message-id", "valueString", Str(e.msg_id)));
  return t;
}

common::StatusOr<std::vector<OutboxMessage>> Outbox::Pending(int limit) const {
  std::string query =
      "Task?code=" +
      common::PercentEncode(std::string(sys::kTaskCode) + "|deliver-message", kQueryKeep) +
      "&status=requested&_sort=_lastUpdated&_total=none&_count=" + std::to_string(limit);
  FhirResponse r = fhir_.Call("GET", query);
  if (r.status != 200) return common::Error(Failed(r, "the outbox could not be read"));
  auto bundle = fhir::json::Parse(r.body);
  if (!bundle)
    return common::Error(common::Code::kInternal, "the outbox search returned no Bundle");
  std::vector<OutboxMessage> out;
  if (const Value* entries = bundle->Find("entry")) {
    for (const Value& e : entries->items()) {
      const Value* task = e.Find("resource");
      if (task != nullptr && IsDeliverTask(*task)) out.push_back(MessageOf(*task));
    }
  }
  return out;
}

common::StatusOr<std::string> Outbox::Acknowledge(const std::string& id) const {
  for (int attempt = 0; attempt < 3; ++attempt) {
    FhirResponse r = fhir_.Call("GET", "Task/" + common::PercentEncode(id, kQueryKeep));
    if (r.status == 404 || r.status == 410 || r.status == 400) {
      return common::Error(common::Code::kNotFound, "no outbox entry has this id");
    }
    if (r.status != 200) return common::Error(Failed(r, "the outbox entry could not be read"));
    auto task = fhir::json::Parse(r.body);
    if (!task || !IsDeliverTask(*task)) {
      return common::Error(common::Code::kNotFound, "no outbox entry has this id");
    }
    std::string status(task->GetString("status"));
    if (status != "requested") return status;  // taken over before: nothing to do
    OutboxMessage m = MessageOf(*task);
    std::string next = m.msg_type == "APPREC" ? "completed" : "in-progress";
    std::string version(task->Find("meta") != nullptr ? task->Find("meta")->GetString("versionId")
                                                      : "");
    Value updated = *task;
    updated.Remove("meta");
    updated.Set("status", Value::String(next));
    updated.Set("lastModified", Value::String(common::FormatInstant(common::SystemNow())));
    FhirResponse put = fhir_.Call(
        "PUT", "Task/" + common::PercentEncode(id, kQueryKeep), fhir::json::Write(updated),
        {{"if-match", "W/\"" + version + "\""}, {"prefer", "return=minimal"}});
    if (put.status == 200 || put.status == 201) return next;
    if (put.status != 412 && put.status != 409) {
      return common::Error(Failed(put, "the outbox entry could not be updated"));
    }
    // Changed meanwhile (a receipt, another ack): read it again.
  }
  return common::Error(common::Code::kUnavailable, "the outbox entry kept changing; try again");
}

common::StatusOr<Outbox::FailureResult> Outbox::RecordFailure(
    const std::string& id, const std::string& reason, int max_attempts,
    const std::string& next_attempt) const {
  for (int round = 0; round < 3; ++round) {
    FhirResponse r = fhir_.Call("GET", "Task/" + common::PercentEncode(id, kQueryKeep));
    if (r.status != 200) return common::Error(Failed(r, "the outbox entry could not be read"));
    auto task = fhir::json::Parse(r.body);
    if (!task || !IsDeliverTask(*task))
      return common::Error(common::Code::kNotFound, "no outbox entry has this id");
    if (task->GetString("status") != "requested") return FailureResult{};  // taken over meanwhile
    OutboxMessage m = MessageOf(*task);
    FailureResult result{m.attempts + 1, m.attempts + 1 >= max_attempts};
    std::string version(task->Find("meta") != nullptr ? task->Find("meta")->GetString("versionId")
                                                      : "");
    Value updated = *task;
    updated.Remove("meta");
    std::string now = common::FormatInstant(common::SystemNow());
    SetExtension(updated, sys::kExtDeliveryAttempts, "valueInteger",
                 Value::Number(std::to_string(result.attempts)));
    Value why = Value::Object();
    why.Set("text", Str("Leveringsforsøk " + std::to_string(result.attempts) + " av " +
                        std::to_string(max_attempts) + " feilet: " + reason));
    updated.Set("statusReason", std::move(why));
    updated.Set("lastModified", Str(now));
    BundleBuilder tx;
    if (result.dead_letter) {
      updated.Set("status", Str("failed"));
      updated.Set("businessStatus", TaskCode(*terms_, "dead-letter"));
      WorkItem follow{
          .code = "follow-up-undelivered-message",
          .description = "En melding (" + (m.msg_type.empty() ? "ukjent type" : m.msg_type) +
                         ") til HER-id " + (m.destination.empty() ? "ukjent" : m.destination) +
                         " kunne ikke leveres etter " + std::to_string(result.attempts) +
                         " forsøk (" + reason + "): sjekk meldingstjenesten og send på nytt.",
          .focus = "Task/" + id,
          .authored_on = now};
      if (const Value* owner = task->Find("owner")) follow.owner = *owner;
      if (const Value* patient = task->Find("for")) follow.patient = *patient;
      tx.Create(WorkTask(*terms_, follow));
    } else {
      SetExtension(updated, sys::kExtNextDeliveryAttempt, "valueInstant", Str(next_attempt));
    }
    tx.Update(std::move(updated), "Task/" + id, version.empty() ? "" : "W/\"" + version + "\"");
    FhirResponse put =
        fhir_.Call("POST", "", fhir::json::Write(tx.bundle()), {{"prefer", "return=minimal"}});
    if (put.status == 200) return result;
    if (put.status != 412 && put.status != 409) {
      return common::Error(Failed(put, "the outbox entry could not be updated"));
    }
  }
  return common::Error(common::Code::kUnavailable, "the outbox entry kept changing; try again");
}

}  // namespace adapters::ehr
