#include "adapters/ehr/inbox.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "adapters/ehr/bundle_builder.h"
#include "adapters/ehr/dialogmelding.h"
#include "adapters/ehr/envelope.h"
#include "adapters/ehr/fhir_systems.h"
#include "adapters/ehr/henvisning.h"
#include "adapters/ehr/kith_namespaces.h"
#include "adapters/ehr/message_to_fhir.h"
#include "adapters/ehr/outbox.h"
#include "adapters/ehr/quirks.h"
#include "adapters/ehr/tasks.h"
#include "adapters/ehr/to_fhir.h"
#include "common/base64.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/norwegian_id.h"
#include "common/time.h"
#include "common/url.h"
#include "common/uuid.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"
#include "fhir/outcome.h"

namespace adapters::ehr {

using fhir::json::Value;

namespace {

constexpr size_t kMaxSchemaErrors = 5;

// Original messages are stored as they came.
constexpr char kMime[] = "application/xml";

std::string Now() { return common::FormatInstant(common::SystemNow()); }

bool Digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int Number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

// Whether `s` is an xs:dateTime the AppRec schema accepts: YYYY-MM-DDThh:mm:ss, optional
// fraction, optional zone (Z or +-hh:mm up to 14:00), with real calendar values. Checking only
// the shape of the first 19 characters let "...T10:02:00+01:0" through, and the AppRec that
// answered a message for its bad GenDate was then schema-invalid itself (fuzz finding).
bool IsXsDateTime(std::string_view s) {
  if (s.size() < 19 || !Digits(s.substr(0, 4)) || s[4] != '-' || !Digits(s.substr(5, 2)) ||
      s[7] != '-' || !Digits(s.substr(8, 2)) || s[10] != 'T' || !Digits(s.substr(11, 2)) ||
      s[13] != ':' || !Digits(s.substr(14, 2)) || s[16] != ':' || !Digits(s.substr(17, 2))) {
    return false;
  }
  const int year = Number(s.substr(0, 4)), month = Number(s.substr(5, 2));
  const int day = Number(s.substr(8, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
  if (Number(s.substr(11, 2)) > 23 || Number(s.substr(14, 2)) > 59 ||
      Number(s.substr(17, 2)) > 59) {
    return false;
  }
  std::string_view rest = s.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    size_t digits = 1;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) {
      ++digits;
    }
    if (digits == 1) return false;
    rest.remove_prefix(digits);
  }
  if (rest.empty() || rest == "Z") return true;
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || !Digits(rest.substr(1, 2)) ||
      rest[3] != ':' || !Digits(rest.substr(4, 2))) {
    return false;
  }
  const int zone_h = Number(rest.substr(1, 2)), zone_m = Number(rest.substr(4, 2));
  return zone_m <= 59 && (zone_h < 14 || (zone_h == 14 && zone_m == 0));
}

// An xs:dateTime for AppRec fields: `s` when it is one, else now.
std::string XsDateTime(const std::string& s) {
  if (IsXsDateTime(s)) return s;
  return Now().substr(0, 19) + "Z";
}

// What the inbox knows about the message being answered.
struct Incoming {
  std::string identity_system;  // sys::kMsgId, or sys::kMessageSha256 when no MsgId is readable
  std::string identity;
  std::string msg_type;  // kodeverk 8279
  std::string msg_type_display;
  std::string gen_date;
  AppRecParty reply_to;   // the AppRec's receiver: the original's sender
  std::string kind_text;  // "Henvisning 1.1", for descriptions
  std::string sha256;     // of the bytes as received (hex), computed once
  ValidationPolicy policy = ValidationPolicy::kTolerant;
  std::vector<Deviation> deviations;  // tolerated so far (recorded with the message)
};

// How many places of one deviation kind the message record lists (the count is always kept):
// a message with thousands of the same slip must not make a record of thousands of entries.
constexpr size_t kMaxPathsPerKind = 10;

// A FHIR code has no white space at its ends, no runs of it and is not empty.
bool IsFhirCode(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  if (std::isspace(static_cast<unsigned char>(s.front())) ||
      std::isspace(static_cast<unsigned char>(s.back()))) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 && c != '\t') return false;
    if (std::isspace(c) && i + 1 < s.size() && std::isspace(static_cast<unsigned char>(s[i + 1])))
      return false;
  }
  return true;
}

// The distinct kinds, in the order first found.
std::vector<std::string> KindsOf(const std::vector<Deviation>& deviations) {
  std::vector<std::string> kinds;
  for (const Deviation& d : deviations) {
    if (std::find(kinds.begin(), kinds.end(), d.kind) == kinds.end()) kinds.push_back(d.kind);
  }
  return kinds;
}

AppRecParty PartyOf(const Organisation& o) {
  AppRecParty p;
  p.name = o.name;
  p.her_id = IdentOfType(o.idents, "HER");
  if (!o.units.empty()) {
    p.dept_name = o.units.front().name;
    p.dept_her_id = IdentOfType(o.units.front().idents, "HER");
  }
  return p;
}

std::vector<std::string> HerIdsOf(const Organisation& o) {
  std::vector<std::string> out;
  std::string top = IdentOfType(o.idents, "HER");
  if (!top.empty()) out.push_back(top);
  for (const Organisation& u : o.units) {
    std::string unit = IdentOfType(u.idents, "HER");
    if (!unit.empty()) out.push_back(unit);
  }
  return out;
}

// The id part of a Location header ("http://h/Task/123/_history/1" -> "Task/123").
std::string RefFromLocation(const std::string& location) {
  std::string loc = location.substr(0, location.find("/_history/"));
  size_t last = loc.rfind('/');
  if (last == std::string::npos) return {};
  size_t type = loc.rfind('/', last - 1);
  return type == std::string::npos ? loc : loc.substr(type + 1);
}

// The patient checks of kodeverk 8221: E30 no fødselsnummer/D-nummer, E31 not a valid one,
// E32 no name, E33 no family name, E34 no given name.
std::vector<AppRecError> CheckPatient(const Person& p, bool structured_name) {
  std::vector<AppRecError> errors;
  const Ident* national = nullptr;
  for (const Ident& i : p.idents) {
    if (i.type.v == "FNR" || i.type.v == "DNR") {
      national = &i;
      break;
    }
  }
  if (national == nullptr || national->id.empty()) {
    bool other = !p.idents.empty();
    errors.push_back({"E30", "",
                      other ? "the patient has no fødselsnummer or D-nummer (an H-nummer or "
                              "other id cannot be used: the treatment needs BankID)"
                            : "the patient has no fødselsnummer or D-nummer"});
  } else {
    auto parsed = common::ParseNorwegianId(national->id);
    bool kind_ok =
        parsed &&
        ((national->type.v == "FNR" && parsed->kind == common::NorwegianIdKind::kFodselsnummer) ||
         (national->type.v == "DNR" && parsed->kind == common::NorwegianIdKind::kDNummer));
    if (!kind_ok) {
      errors.push_back({"E31", "",
                        "the patient's " +
                            std::string(national->type.v == "DNR" ? "D-nummer" : "fødselsnummer") +
                            " is not valid (length, date or check digits)"});
    }
  }
  if (structured_name) {
    if (p.family.empty() && p.given.empty()) {
      errors.push_back({"E32", "", "the patient has no name"});
    } else if (p.family.empty()) {
      errors.push_back({"E33", "", "the patient has no family name"});
    } else if (p.given.empty()) {
      errors.push_back({"E34", "", "the patient has no given name"});
    }
  } else if (p.full_name.empty()) {
    errors.push_back({"E32", "", "the patient has no name"});
  }
  return errors;
}

}  // namespace

struct Inbox::Impl {
  Impl(EhrSettings s, const xml::SchemaSet& sc,
       std::shared_ptr<const fhir::terminology::Terminology> t, FhirPort& f)
      : settings(std::move(s)), schemas(sc), terms(std::move(t)), fhir(f), to(*terms, settings) {}

  EhrSettings settings;
  const xml::SchemaSet& schemas;
  std::shared_ptr<const fhir::terminology::Terminology> terms;
  FhirPort& fhir;
  ToFhir to;

  // A work item for a person at our organisation (`self`, when registered).
  Value Work(WorkItem item, const std::string& self) const {
    item.authored_on = Now();
    if (!self.empty()) item.owner = BundleBuilder::Ref(self);
    return WorkTask(*terms, item);
  }

  // The first `type` resource with the identifier system|value, if any (one lookup for the
  // idempotency check, the referral a change acts on, threads and receipts).
  std::optional<Value> FindByIdentifier(std::string_view type, std::string_view system,
                                        const std::string& value) const {
    if (value.empty()) return std::nullopt;
    FhirResponse r =
        fhir.Call("GET", std::string(type) + "?" + IdentifierQuery(system, value) + "&_count=1");
    if (r.status != 200) return std::nullopt;
    auto bundle = fhir::json::Parse(r.body);
    const Value* entries = bundle ? bundle->Find("entry") : nullptr;
    if (entries == nullptr || entries->items().empty()) return std::nullopt;
    const Value* resource = entries->items().front().Find("resource");
    if (resource == nullptr) return std::nullopt;
    return *resource;
  }

  // "Type/id" of FindByIdentifier's match, or empty.
  std::string ReferenceByIdentifier(std::string_view type, std::string_view system,
                                    const std::string& value) const {
    std::optional<Value> found = FindByIdentifier(type, system, value);
    return found ? std::string(type) + "/" + std::string(found->GetString("id")) : std::string();
  }

  std::string Display(std::string_view list, std::string_view code) const {
    auto d = terms->Display(VolvenSystem(list), code);
    return d ? *d : std::string();
  }

  std::string DeviationDisplay(std::string_view kind) const {
    auto d = terms->Display(sys::kDeviationCode, kind);
    return d ? *d : std::string();
  }

  // The deviations as extensions of the message record: one per kind, with the kind (a Coding
  // of the kith-deviation CodeSystem), how many places and up to kMaxPathsPerKind of them.
  Value DeviationExtensions(const std::vector<Deviation>& deviations) const {
    Value list = Value::Array();
    for (const std::string& kind : KindsOf(deviations)) {
      Value ext = Value::Object();
      ext.Set("url", Str(sys::kExtDeviation));
      Value& parts = ext.Set("extension", Value::Array());
      Value k = Value::Object();
      k.Set("url", Str("kind"));
      k.Set("valueCoding", Coding(sys::kDeviationCode, kind, DeviationDisplay(kind)));
      parts.Append(std::move(k));
      size_t count = 0;
      std::vector<std::string> paths;
      for (const Deviation& d : deviations) {
        if (d.kind != kind) continue;
        ++count;
        if (paths.size() < kMaxPathsPerKind && !d.path.empty() &&
            std::find(paths.begin(), paths.end(), d.path) == paths.end()) {
          paths.push_back(d.path);
        }
      }
      Value c = Value::Object();
      c.Set("url", Str("count"));
      c.Set("valueInteger", Value::Number(std::to_string(count)));
      parts.Append(std::move(c));
      for (const std::string& path : paths) {
        Value pe = Value::Object();
        pe.Set("url", Str("path"));
        pe.Set("valueString", Str(path));
        parts.Append(std::move(pe));
      }
      list.Append(std::move(ext));
    }
    return list;
  }

  // The partner's validation policy: by the sender's HER-ids as the message names them (most
  // specific first), else by the transport's sender, else the default.
  ValidationPolicy PolicyFor(const std::vector<std::string>& her_ids,
                             const std::string& transport_her) const {
    const auto& by = settings.validation_policy_by_partner;
    for (const std::string& her : her_ids) {
      if (auto it = by.find(her); it != by.end()) return it->second;
    }
    if (auto it = by.find(transport_her); !transport_her.empty() && it != by.end()) {
      return it->second;
    }
    return settings.default_validation_policy;
  }

  std::string ApprecVersionFor(const std::string& her) const {
    auto it = settings.apprec_version_by_partner.find(her);
    return it == settings.apprec_version_by_partner.end() ? settings.default_apprec_version
                                                          : it->second;
  }

  AppRec MakeAppRec(const Incoming& in, const std::vector<AppRecError>& errors,
                    bool rejected) const {
    AppRec a;
    a.version = ApprecVersionFor(in.reply_to.her_id);
    a.id = common::NewUuid();
    a.gen_date = XsDateTime(Now());
    a.sender = settings.self;
    a.receiver = in.reply_to;
    a.status = rejected ? "2" : (errors.empty() ? "1" : "3");
    a.status_display = Display("8258", a.status);
    for (AppRecError e : errors) {
      if (e.display.empty()) e.display = Display("8221", e.code);
      a.errors.push_back(std::move(e));
    }
    a.original_type = in.msg_type;
    a.original_type_display = in.msg_type_display;
    a.original_issue_date = XsDateTime(in.gen_date);
    // Without a readable MsgId (and none from the transport) the receipt names the message by
    // the SHA-256 of its bytes: the sender cannot correlate that, but it identifies what we got.
    a.original_id = in.identity_system == sys::kMsgId ? in.identity : "sha256:" + in.identity;
    return a;
  }

  // The stored original (Binary + DocumentReference identified by the message's identity).
  // `index` receives the DocumentReference's entry index (the Binary comes before it).
  // `minimal`: only what cannot be invalid (the last fallback, see Manual): no message type, no
  // deviations.
  std::string AddRecord(BundleBuilder& tx, const Incoming& in, std::string_view bytes,
                        const std::string& status_text, const Mapped* mapped,
                        const std::string& mime, size_t* index, bool minimal = false) const {
    // The bytes are kept unless they alone are more than a transaction may carry (only for a
    // message refused as larger than ehr.max_message_bytes: TransactionAllowance leaves room
    // for every message under the limit). Then the record keeps their size and hashes.
    const size_t base64_bytes = (bytes.size() + 2) / 3 * 4;
    const bool keep_bytes = settings.max_transaction_bytes == 0 ||
                            base64_bytes + 16 * 1024 <= settings.max_transaction_bytes;
    std::string binary = keep_bytes ? AddBinary(tx, mime, bytes) : std::string();
    Value r = Value::Object();
    r.Set("resourceType", Str("DocumentReference"));
    if (!minimal && !in.deviations.empty()) {
      // Searchable: DocumentReference?_tag=<kith-deviation system>|<kind>.
      Value& meta = r.Set("meta", Value::Object());
      Value& tags = meta.Set("tag", Value::Array());
      for (const std::string& kind : KindsOf(in.deviations)) {
        tags.Append(Coding(sys::kDeviationCode, kind, DeviationDisplay(kind)));
      }
      r.Set("extension", DeviationExtensions(in.deviations));
    }
    r.Set("identifier", Value::Array()).Append(Identifier(in.identity_system, in.identity));
    r.Set("status", Str("current"));
    if (!minimal && IsFhirCode(in.msg_type)) {
      KithCode type{in.msg_type, "", in.msg_type_display, ""};
      r.Set("type", to.Concept(type, "8279"));
    }
    if (mapped != nullptr && !mapped->patient.empty()) {
      r.Set("subject", BundleBuilder::Ref(mapped->patient));
    }
    r.Set("date", Str(Now()));
    if (mapped != nullptr && !mapped->sender.empty()) {
      r.Set("author", Value::Array()).Append(BundleBuilder::Ref(mapped->sender));
    }
    r.Set("description",
          Str("Mottatt " + in.kind_text + ": " + status_text +
              (keep_bytes ? ""
                          : " (meldingen er for stor til å lagres; størrelse og sjekksum er "
                            "lagret)")));
    Value content = StoredContent(mime, binary, bytes, "", in.sha256);
    if (!keep_bytes) content.items().front().Find("attachment")->Remove("url");
    r.Set("content", std::move(content));
    if (mapped != nullptr && !mapped->focus.empty()) {
      Value& context = r.Set("context", Value::Object());
      context.Set("related", Value::Array()).Append(BundleBuilder::Ref(mapped->focus));
    }
    *index = tx.size();
    return tx.Create(std::move(r));
  }

  void AddProvenance(BundleBuilder& tx, const std::string& record, const Mapped& m) const {
    if (m.targets.empty()) return;
    Value p = Value::Object();
    p.Set("resourceType", Str("Provenance"));
    Value& target = p.Set("target", Value::Array());
    for (const std::string& t : m.targets) target.Append(BundleBuilder::Ref(t));
    p.Set("recorded", Str(Now()));
    Value& agents = p.Set("agent", Value::Array());
    auto add_agent = [&agents](std::string_view code, std::string_view display,
                               const std::string& who) {
      if (who.empty()) return;
      Value a = Value::Object();
      a.Set("type",
            CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                            code, display));
      a.Set("who", BundleBuilder::Ref(who));
      agents.Append(std::move(a));
    };
    add_agent("author", "Author", m.sender);
    add_agent("custodian", "Custodian", m.self);
    if (agents.items().empty()) return;
    Value& entity = p.Set("entity", Value::Array());
    Value e = Value::Object();
    e.Set("role", Str("source"));
    e.Set("what", BundleBuilder::Ref(record));
    entity.Append(std::move(e));
    tx.Create(std::move(p));
  }

  // The AppRec as an outbox entry: a Task "deliver-message" holding the XML and its address.
  std::string AddOutbox(BundleBuilder& tx, const AppRec& apprec, const std::string& xml,
                        const std::string& record, const std::string& self) const {
    OutboxEntry e;
    e.msg_id = apprec.id;
    e.msg_type = "APPREC";
    e.msg_type_display = Display("8279", "APPREC");
    e.description = "Applikasjonskvittering (" + apprec.status_display + ") til HER-id " +
                    (apprec.receiver.her_id.empty() ? "ukjent" : apprec.receiver.her_id);
    e.focus = record;
    e.owner = self;
    if (!apprec.receiver.her_id.empty()) {
      e.destination_system = to.OrganisationSystem("HER");
      e.destination = apprec.receiver.dept_her_id.empty() ? apprec.receiver.her_id
                                                          : apprec.receiver.dept_her_id;
    }
    e.xml = xml;
    return tx.Create(OutboxTask(*terms, e));
  }

  // Submits `tx`; on success fills result.record / outbox_entry from the entries at
  // `record_index` / `outbox_index`. Returns the HTTP status of the transaction.
  int Submit(BundleBuilder& tx, size_t record_index, size_t outbox_index, InboundResult& result,
             std::string* body) const {
    // return=minimal: the response need not echo every resource (with its attachments) back.
    std::string json = fhir::json::Write(tx.bundle());
    if (settings.max_transaction_bytes != 0 && json.size() > settings.max_transaction_bytes) {
      // The FHIR port would refuse it (413): say so here, without building the request.
      common::log::Warn("ehr_transaction_too_large",
                        {{"bytes", static_cast<unsigned long>(json.size())},
                         {"limit", static_cast<unsigned long>(settings.max_transaction_bytes)}});
      *body = fhir::json::Write(fhir::MakeOperationOutcome(
          fhir::Severity::kError, "too-costly",
          "the message's FHIR transaction is larger than the EHR adapter's allowance", ""));
      return 413;
    }
    FhirResponse r = fhir.Call("POST", "", json, {{"prefer", "return=minimal"}});
    *body = r.body;
    if (r.status != 200) return r.status;
    auto bundle = fhir::json::Parse(r.body);
    if (bundle) {
      const Value* entries = bundle->Find("entry");
      auto location = [&](size_t i) -> std::string {
        if (entries == nullptr || i >= entries->items().size()) return {};
        const Value* resp = entries->items()[i].Find("response");
        return resp == nullptr ? std::string()
                               : RefFromLocation(std::string(resp->GetString("location")));
      };
      result.record = location(record_index);
      result.outbox_entry = location(outbox_index);
    }
    return 200;
  }

  // The AppRec given for a message received before, if any.
  std::optional<InboundResult> Previous(const Incoming& in) const {
    std::string record =
        ReferenceByIdentifier("DocumentReference", in.identity_system, in.identity);
    if (record.empty()) return std::nullopt;
    InboundResult result;
    result.duplicate = true;
    result.record = record;
    FhirResponse tasks = fhir.Call(
        "GET",
        "Task?focus=" + common::PercentEncode(record, kQueryKeep) + "&code=" +
            common::PercentEncode(std::string(sys::kTaskCode) + "|deliver-message", kQueryKeep) +
            "&_count=1");
    auto tb = fhir::json::Parse(tasks.body);
    const Value* te = tb ? tb->Find("entry") : nullptr;
    if (te == nullptr || te->items().empty()) {
      // An inbound AppRec (no receipt of its own).
      result.content_type = "application/fhir+json";
      result.body = fhir::json::Write(fhir::MakeOperationOutcome(
          fhir::Severity::kInformation, "informational", "this receipt was processed before", ""));
      return result;
    }
    const Value* task = te->items().front().Find("resource");
    result.outbox_entry = "Task/" + std::string(task->GetString("id"));
    const Value* inputs = task->Find("input");
    for (const Value& input : inputs != nullptr ? inputs->items() : std::vector<Value>{}) {
      const Value* att = input.Find("valueAttachment");
      if (att == nullptr) continue;
      auto xml = common::Base64Decode(att->GetString("data"));
      if (!xml) continue;
      result.body = *xml;
      result.content_type = "application/xml; charset=utf-8";
      xml::ParseError perr;
      auto doc = xml::Document::Parse(*xml, settings.max_message_bytes, &perr);
      if (doc) {
        auto apprec = ReadAppRec(*doc);
        if (apprec) result.apprec_status = apprec->status;
      }
    }
    return result;
  }

  InboundResult Unavailable(int status, const std::string& what) const {
    InboundResult r;
    r.http_status = status >= 500 ? 503 : 500;
    r.content_type = "application/fhir+json";
    r.body = fhir::json::Write(fhir::MakeOperationOutcome(
        fhir::Severity::kError, "transient",
        what + "; nothing was acknowledged, send the message again later", ""));
    common::log::Error("ehr_inbound_not_stored", {{"status", status}});
    return r;
  }

  // Records a refused message with its Avvist AppRec. `check_previous`: false when the caller
  // has just looked (one lookup per message, not two).
  InboundResult Reject(const Incoming& in, std::string_view bytes,
                       const std::vector<AppRecError>& errors, const std::string& mime,
                       bool check_previous = true) const {
    if (check_previous) {
      if (auto previous = Previous(in)) return *previous;
    }
    AppRec apprec = MakeAppRec(in, errors, /*rejected=*/true);
    std::string xml = WriteAppRec(apprec);
    BundleBuilder tx;
    std::string self = to.AddSelf(tx);
    std::string codes;
    for (const AppRecError& e : errors) codes += (codes.empty() ? "" : ", ") + e.code;
    size_t record_index = 0;
    std::string record =
        AddRecord(tx, in, bytes, "avvist (" + codes + ")", nullptr, mime, &record_index);
    size_t outbox_index = tx.size();
    AddOutbox(tx, apprec, xml, record, self);
    InboundResult result;
    std::string body;
    int status = Submit(tx, record_index, outbox_index, result, &body);
    if (status == 409) {
      if (auto previous = Previous(in)) return *previous;
    }
    if (status != 200) return Unavailable(status, "the rejected message could not be recorded");
    common::log::Info("ehr_inbound_rejected", {{"kind", in.kind_text}, {"errors", codes}});
    return WithAppRec(std::move(result), xml, apprec.status, in);
  }

  InboundResult Accept(Incoming& in, std::string_view bytes, BundleBuilder& tx, Mapped& m,
                       const std::string& mime) const {
    for (Deviation& d : m.deviations) in.deviations.push_back(std::move(d));
    m.deviations.clear();
    AppRec apprec = MakeAppRec(in, m.part_errors, /*rejected=*/false);
    std::string xml = WriteAppRec(apprec);
    std::string status_text = m.part_errors.empty() ? "OK" : "OK, feil i delmelding";
    size_t record_index = 0;
    std::string record = AddRecord(tx, in, bytes, status_text, &m, mime, &record_index);
    AddProvenance(tx, record, m);
    size_t outbox_index = tx.size();
    AddOutbox(tx, apprec, xml, record, m.self);
    InboundResult result;
    std::string body;
    int status = Submit(tx, record_index, outbox_index, result, &body);
    if (status == 409) {
      if (auto previous = Previous(in)) return *previous;
    }
    if (status >= 400 && status < 500 && status != 409) {
      // Our mapping made something the server refuses: a bug of ours, not the sender's. Keep
      // the message and hand it to a person instead of losing or refusing the referral.
      // The OperationOutcome names elements and rules, not values (ADR 0002).
      auto outcome = fhir::json::Parse(body);
      const Value* issues = outcome ? outcome->Find("issue") : nullptr;
      std::string first = issues != nullptr && !issues->items().empty()
                              ? std::string(issues->items().front().GetString("diagnostics"))
                              : std::string();
      common::log::Error(
          "ehr_inbound_mapping_refused",
          {{"kind", in.kind_text}, {"status", status}, {"issue", first.substr(0, 300)}});
      return Manual(in, bytes, mime);
    }
    if (status != 200) return Unavailable(status, "the message could not be stored");
    common::log::Info("ehr_inbound_accepted", {{"kind", in.kind_text},
                                               {"apprec_status", apprec.status},
                                               {"resources", static_cast<long>(m.targets.size())}});
    return WithAppRec(std::move(result), xml, apprec.status, in);
  }

  // Stores the message for manual import (with an OK receipt: it is kept and handled). When
  // even that is refused (4xx: something read from the message that the record carries is not
  // valid FHIR), once more with a minimal record, so that a permanent problem with the message
  // never becomes a 5xx the message service would retry for ever.
  InboundResult Manual(const Incoming& in, std::string_view bytes, const std::string& mime,
                       bool minimal = false) const {
    BundleBuilder tx;
    Mapped m;
    m.self = to.AddSelf(tx);
    AppRec apprec = MakeAppRec(in, {}, /*rejected=*/false);
    std::string xml = WriteAppRec(apprec);
    size_t record_index = 0;
    std::string record =
        AddRecord(tx, in, bytes, "til manuell registrering", &m, mime, &record_index, minimal);
    tx.Create(
        Work({.code = "manual-import",
              .description = "Meldingen kunne ikke registreres automatisk: registrer den manuelt.",
              .focus = record},
             m.self));
    size_t outbox_index = tx.size();
    AddOutbox(tx, apprec, xml, record, m.self);
    InboundResult result;
    std::string body;
    int status = Submit(tx, record_index, outbox_index, result, &body);
    if (status == 409) {
      if (auto previous = Previous(in)) return *previous;
    }
    if (status >= 400 && status < 500 && status != 409 && !minimal) {
      common::log::Error("ehr_inbound_manual_refused",
                         {{"kind", in.kind_text}, {"status", status}});
      return Manual(in, bytes, mime, /*minimal=*/true);
    }
    if (status != 200) return Unavailable(status, "the message could not be stored");
    common::log::Info("ehr_inbound_manual", {{"kind", in.kind_text}, {"minimal", minimal}});
    return WithAppRec(std::move(result), xml, apprec.status, in);
  }

  // The answer to a stored message: its AppRec (and what was tolerated in it).
  static InboundResult WithAppRec(InboundResult result, const std::string& xml,
                                  const std::string& apprec_status, const Incoming& in) {
    result.content_type = "application/xml; charset=utf-8";
    result.body = xml;
    result.apprec_status = apprec_status;
    result.deviations = in.deviations;
    if (!in.deviations.empty()) {
      std::string kinds;
      for (const std::string& k : KindsOf(in.deviations)) kinds += (kinds.empty() ? "" : ",") + k;
      common::log::Info("ehr_inbound_deviations",
                        {{"kind", in.kind_text},
                         {"policy", PolicyName(in.policy)},
                         {"deviations", kinds},
                         {"places", static_cast<unsigned long>(in.deviations.size())}});
    }
    return result;
  }

  // An answer without a receipt: an OperationOutcome with `status`.
  static InboundResult Refused(int status, std::string_view code, std::string diagnostics) {
    InboundResult r;
    r.http_status = status;
    r.content_type = "application/fhir+json";
    r.body = fhir::json::Write(fhir::MakeOperationOutcome(fhir::Severity::kError, std::string(code),
                                                          std::move(diagnostics), ""));
    return r;
  }

  InboundResult Receive(std::string_view bytes, const ReceiveHints& hints) const;
  static Incoming FromTransport(std::string_view bytes, const ReceiveHints& hints);
  void ReadEnvelope(const Envelope& env, const xml::Document& doc, Incoming& in) const;
  std::optional<InboundResult> Validate(Envelope& env, xml::Document& doc, Incoming& in,
                                        std::string_view bytes,
                                        std::vector<AppRecError>* part_errors) const;
  bool AddressedToUs(const std::vector<std::string>& her_ids) const;
  std::optional<InboundResult> CheckSender(const Incoming& in, std::string_view bytes,
                                           const std::vector<std::string>& sender_her_ids,
                                           std::string_view where) const;
  InboundResult ReceiveAppRec(const xml::Document& doc, Incoming& in, std::string_view bytes) const;
  InboundResult ReceiveReferral(const Envelope& env, Incoming& in, std::string_view bytes,
                                std::vector<AppRecError> part_errors,
                                std::vector<MessageAttachment> foreign) const;
  InboundResult ReceiveDialog(const Envelope& env, Incoming& in, std::string_view bytes,
                              std::vector<AppRecError> part_errors,
                              std::vector<MessageAttachment> foreign) const;
  InboundResult Receipt(const Incoming& in, std::string_view bytes, const AppRec& received,
                        const std::string& mime) const;
};

InboundResult Inbox::Impl::Receipt(const Incoming& in, std::string_view bytes,
                                   const AppRec& received, const std::string& mime) const {
  if (auto previous = Previous(in)) return *previous;
  BundleBuilder tx;
  Mapped m;
  m.self = to.AddSelf(tx);
  // The outbox entry this receipt answers.
  std::optional<Value> task = FindByIdentifier("Task", sys::kOutboundMsgId, received.original_id);
  std::string codes;
  for (const AppRecError& e : received.errors) codes += (codes.empty() ? "" : ", ") + e.code;
  std::string status_display = Display("8258", received.status);
  if (status_display.empty()) status_display = received.status;
  size_t record_index = 0;
  std::string record =
      AddRecord(tx, in, bytes, status_display + (codes.empty() ? "" : " (" + codes + ")"), &m, mime,
                &record_index);
  std::string outcome_text;
  if (task) {
    std::string id(task->GetString("id"));
    std::string version(task->Find("meta") != nullptr ? task->Find("meta")->GetString("versionId")
                                                      : "");
    Value updated = *task;
    updated.Remove("meta");
    updated.Set("status", Str(received.status == "2" ? "failed" : "completed"));
    Value business = Value::Object();
    business.Set("coding", Value::Array())
        .Append(Coding(VolvenSystem("8258"), received.status, status_display));
    updated.Set("businessStatus", std::move(business));
    updated.Set("lastModified", Str(Now()));
    Value& outputs = updated.Set("output", Value::Array());
    Value out = Value::Object();
    out.Set("type", TaskCode(*terms, "receipt"));
    out.Set("valueReference", BundleBuilder::Ref(record));
    outputs.Append(std::move(out));
    tx.Update(std::move(updated), "Task/" + id, version.empty() ? "" : "W/\"" + version + "\"");
    outcome_text = "the receipt settles Task/" + id;
    if (received.status != "1") {
      tx.Create(Work({.code = "follow-up-rejected-message",
                      .description = "Mottakeren svarte \"" + status_display + "\"" +
                                     (codes.empty() ? "" : " (" + codes + ")") +
                                     " på en melding vi sendte: følg opp og send på nytt om "
                                     "nødvendig.",
                      .focus = "Task/" + id},
                     m.self));
    }
  } else {
    tx.Create(Work({.code = "unmatched-receipt",
                    .priority = received.status == "1" ? "routine" : "urgent",
                    .description = "En applikasjonskvittering (" + status_display +
                                   ") svarer på en melding vi ikke finner i utboksen.",
                    .focus = record},
                   m.self));
    outcome_text = "no outbox entry matches the receipt's OriginalMsgId; a follow-up task was made";
  }
  InboundResult result;
  std::string body;
  int status = Submit(tx, record_index, record_index, result, &body);
  result.outbox_entry.clear();
  if (status == 409 || status == 412) {
    if (auto previous = Previous(in)) return *previous;
  }
  if (status != 200) return Unavailable(status, "the receipt could not be stored");
  if (task) result.outbox_entry = "Task/" + std::string(task->GetString("id"));
  result.deviations = in.deviations;  // recorded on the receipt's record too
  common::log::Info("ehr_receipt_received",
                    {{"status", received.status}, {"matched", task.has_value()}});
  result.content_type = "application/fhir+json";
  result.body = fhir::json::Write(
      fhir::MakeOperationOutcome(task ? fhir::Severity::kInformation : fhir::Severity::kWarning,
                                 task ? "informational" : "not-found", outcome_text, ""));
  return result;
}

// ---------------------------------------------------------------------------------------------
// The pipeline, stage by stage in the order of inbox.h: T01, T10, (tolerated deviations), T02,
// then per kind idempotency, E21, the sender, and E30-E34 before the content is mapped.

InboundResult Inbox::Impl::Receive(std::string_view bytes, const ReceiveHints& hints) const {
  if (bytes.empty()) return Refused(400, "required", "the request has no message");
  Incoming in = FromTransport(bytes, hints);
  // T01: what cannot be read (and what would cost too much to read).
  xml::ParseError perr;
  xml::ParseLimits limits;
  limits.max_bytes = settings.max_message_bytes;
  auto doc = xml::Document::Parse(bytes, limits, &perr);
  if (!doc) return Reject(in, bytes, {{"T01", "", perr.message}}, kMime);
  // The partner's policy, by the sender the message names (or the transport's).
  in.policy = PolicyFor(SenderHerIds(*doc), hints.sender_her_id);
  // T10: kinds we do not accept.
  Envelope env = DetectEnvelope(*doc, in.policy);
  ReadEnvelope(env, *doc, in);
  if (env.kind == MessageKind::kUnsupported) {
    return Reject(in, bytes, {{"T10", "", env.unsupported}}, kMime);
  }
  // What is tolerated: the parts kept whole first (foreign documents: taken out before any
  // repair can touch them), then the repairs in the tree; the envelope is read again from the
  // repaired tree.
  std::vector<MessageAttachment> foreign = TakeForeignDocuments(env, &in.deviations);
  for (Deviation& d : RepairKnownQuirks(*doc, in.policy)) in.deviations.push_back(std::move(d));
  env = DetectEnvelope(*doc, in.policy);
  for (const Deviation& d : env.deviations) in.deviations.push_back(d);
  if (env.kind == MessageKind::kUnsupported) {
    return Reject(in, bytes, {{"T10", "", env.unsupported}}, kMime);
  }
  if (!env.ambiguous.empty()) return Reject(in, bytes, {{"T02", "", env.ambiguous}}, kMime);
  // T02: the schemas (an attachment's violations cost only that attachment).
  std::vector<AppRecError> part_errors;
  if (auto refused = Validate(env, *doc, in, bytes, &part_errors)) return std::move(*refused);
  switch (env.kind) {
    case MessageKind::kAppRec:
      return ReceiveAppRec(*doc, in, bytes);
    case MessageKind::kHenvisning:
      return ReceiveReferral(env, in, bytes, std::move(part_errors), std::move(foreign));
    default:
      return ReceiveDialog(env, in, bytes, std::move(part_errors), std::move(foreign));
  }
}

// What is known before the XML is read: the bytes' SHA-256, the transport's hints.
Incoming Inbox::Impl::FromTransport(std::string_view bytes, const ReceiveHints& hints) {
  Incoming in;
  in.identity_system = std::string(sys::kMessageSha256);
  in.sha256 = common::HexEncode(common::Sha256(bytes));
  in.identity = in.sha256;
  if (!hints.msg_id.empty()) {
    in.identity_system = std::string(sys::kMsgId);
    in.identity = hints.msg_id;
  }
  in.reply_to.her_id = hints.sender_her_id;
  in.kind_text = "melding";
  return in;
}

// What the envelope tells about the message, before its content is trusted: enough for the
// receipt to name the message it answers, even when it refuses it.
void Inbox::Impl::ReadEnvelope(const Envelope& env, const xml::Document& doc, Incoming& in) const {
  if (env.head) {
    const MsgHeadInfo& h = *env.head;
    if (!h.msg_id.empty()) {
      in.identity_system = std::string(sys::kMsgId);
      in.identity = h.msg_id;
    }
    in.msg_type = h.type.v;
    in.msg_type_display = h.type.dn;
    in.gen_date = h.gen_date;
    AppRecParty sender = PartyOf(h.sender);
    if (!sender.her_id.empty()) in.reply_to = sender;
  }
  in.kind_text = std::string(KindName(env.kind)) + (env.version.empty() ? "" : " " + env.version);
  if (env.kind == MessageKind::kUnsupported) {
    if (!env.head) {
      // An unknown root: a KITH-style header (MsgId, Type, GenDate as its children, in any
      // namespace) still lets the receipt name the message it refuses.
      for (const xmlNode* c : xml::ElementChildren(doc.root())) {
        std::string_view local = xml::LocalName(c);
        if (local == "MsgId" && in.identity_system != sys::kMsgId) {
          std::string id = xml::Text(c);
          if (!id.empty() && id.size() <= 200) {
            in.identity_system = std::string(sys::kMsgId);
            in.identity = id;
          }
        } else if (local == "Type" && in.msg_type.empty()) {
          in.msg_type = xml::Attr(c, "V");
          in.msg_type_display = xml::Attr(c, "DN");
        } else if (local == "GenDate" && in.gen_date.empty()) {
          in.gen_date = xml::HasAttr(c, "V") ? xml::Attr(c, "V") : xml::Text(c);
        }
      }
    }
    if (in.msg_type.empty()) in.msg_type_display.clear();
    return;
  }
  if (env.kind == MessageKind::kAppRec) in.msg_type = "APPREC";
  if (!in.msg_type.empty()) {
    std::string display = Display("8279", in.msg_type);
    if (!display.empty()) in.msg_type_display = display;
  }
}

// T02 against the XSDs (Henvisning 1.x has none: ReceiveReferral checks its structure), after
// the repairs the policy allows for what the validator finds (quirks.h). The answer when the
// message is refused; violations inside an attachment Document (RefDoc, MsgType A) go to
// `part_errors` instead.
std::optional<InboundResult> Inbox::Impl::Validate(Envelope& env, xml::Document& doc, Incoming& in,
                                                   std::string_view bytes,
                                                   std::vector<AppRecError>* part_errors) const {
  if (env.kind != MessageKind::kAppRec && !env.head) return std::nullopt;
  std::vector<xml::SchemaViolation> violations = schemas.Validate(doc, 50);
  if (!violations.empty()) {
    std::vector<Deviation> repaired = RepairViolations(violations, in.policy);
    if (!repaired.empty()) {
      for (Deviation& d : repaired) in.deviations.push_back(std::move(d));
      violations = schemas.Validate(doc, 50);
      env = DetectEnvelope(doc, in.policy);  // what the repairs changed is read again
    }
  }
  std::vector<std::string> attachment_paths;
  if (env.head) {
    for (const MsgHeadDocument& d : env.head->documents) {
      if (d.msg_type.v == "A") attachment_paths.push_back(xml::PathOf(d.node) + "/");
    }
  }
  std::vector<AppRecError> fatal;
  for (const xml::SchemaViolation& v : violations) {
    bool in_attachment = false;
    for (const std::string& p : attachment_paths) {
      if (!v.path.empty() && v.path.rfind(p, 0) == 0) in_attachment = true;
    }
    std::string detail = (v.line > 0 ? "line " + std::to_string(v.line) + ", " : "") +
                         (v.path.empty() ? std::string() : v.path + ": ") + v.message;
    if (in_attachment) {
      part_errors->push_back({"T02", "", "attachment not valid, not stored: " + detail});
    } else if (fatal.size() < kMaxSchemaErrors) {
      fatal.push_back({"T02", "", detail});
    }
  }
  if (fatal.empty()) return std::nullopt;
  // A receipt gets no receipt: the sender is told in the HTTP answer.
  if (env.kind == MessageKind::kAppRec) {
    return Refused(400, "structure", "the AppRec is not valid: " + fatal.front().detail);
  }
  return Reject(in, bytes, fatal, kMime);
}

InboundResult Inbox::Impl::ReceiveAppRec(const xml::Document& doc, Incoming& in,
                                         std::string_view bytes) const {
  auto received = ReadAppRec(doc);
  if (!received) return Refused(400, "structure", received.error().message());
  in.identity_system = std::string(sys::kMsgId);
  in.identity = received->id.empty() ? in.sha256 : received->id;
  in.gen_date = received->gen_date;
  in.reply_to = received->sender;
  return Receipt(in, bytes, *received, kMime);
}

bool Inbox::Impl::AddressedToUs(const std::vector<std::string>& her_ids) const {
  for (const std::string& her : her_ids) {
    if (settings.accepted_her_ids.count(her) > 0) return true;
  }
  return false;
}

// A business message must name its sender's HER-id: it is whom the receipt is addressed to,
// and what tells one sender from another (an empty one would match every organisation). 8221
// has no code of its own for this; X99 "Annen feil" with what is missing, as NAV's receivers
// do for business rules (docs/kith-quirks.md).
std::optional<InboundResult> Inbox::Impl::CheckSender(const Incoming& in, std::string_view bytes,
                                                      const std::vector<std::string>& her_ids,
                                                      std::string_view where) const {
  if (!her_ids.empty()) return std::nullopt;
  return Reject(in, bytes,
                {{"X99", "",
                  "the sender (" + std::string(where) +
                      ") has no HER-id: the message cannot be answered or told apart from other "
                      "senders' messages"}},
                kMime, /*check_previous=*/false);
}

InboundResult Inbox::Impl::ReceiveReferral(const Envelope& env, Incoming& in,
                                           std::string_view bytes,
                                           std::vector<AppRecError> part_errors,
                                           std::vector<MessageAttachment> foreign) const {
  Referral referral = ReadReferral(env);
  if (!referral.msg_id.empty()) {
    in.identity_system = std::string(sys::kMsgId);
    in.identity = referral.msg_id;
  }
  if (in.msg_type.empty()) in.msg_type = referral.msg_type.v;
  if (in.msg_type_display.empty()) {
    std::string display = Display("8279", in.msg_type);
    in.msg_type_display = display.empty() ? referral.msg_type.dn : display;
  }
  if (in.gen_date.empty()) in.gen_date = referral.gen_date;
  if (env.version != "2.0") {
    AppRecParty requester = PartyOf(referral.requester);
    if (!requester.her_id.empty()) in.reply_to = requester;
  }
  // T02 for Henvisning 1.x: its structure, checked in code.
  if (!referral.problems.empty()) {
    std::vector<AppRecError> errors;
    for (const std::string& p : referral.problems) {
      if (errors.size() < kMaxSchemaErrors) errors.push_back({"T02", "", p});
    }
    return Reject(in, bytes, errors, kMime);
  }
  if (auto previous = Previous(in)) return *previous;
  // E21: addressed to us.
  if (!AddressedToUs(HerIdsOf(referral.service_provider))) {
    return Reject(in, bytes,
                  {{"E21", "", "the referral is not addressed to one of this service's HER-ids"}},
                  kMime, /*check_previous=*/false);
  }
  if (auto refused = CheckSender(in, bytes, HerIdsOf(referral.requester),
                                 env.version == "2.0" ? "/MsgHead/MsgInfo/Sender/Organisation"
                                                      : "/Message/ServReq/Requester/HCP/Inst")) {
    return std::move(*refused);
  }
  // E30-E34: the patient.
  if (!referral.has_patient) {
    return Reject(in, bytes, {{"E30", "", "the referral has no patient"}}, kMime,
                  /*check_previous=*/false);
  }
  std::vector<AppRecError> patient = CheckPatient(referral.patient, env.version == "2.0");
  if (!patient.empty()) return Reject(in, bytes, patient, kMime, /*check_previous=*/false);

  // A change or cancellation acts on the referral it names.
  ReferralContext ctx;
  if (referral.serv_type.v == "M" || referral.serv_type.v == "A" || referral.serv_type.v == "C") {
    if (std::optional<Value> existing =
            FindByIdentifier("ServiceRequest", sys::kReferralKey, ReferralKey(referral))) {
      ctx.existing = "ServiceRequest/" + std::string(existing->GetString("id"));
      if (const Value* ids = existing->Find("identifier")) ctx.identifiers = ids->items();
    }
  }
  for (MessageAttachment& a : foreign) referral.attachments.push_back(std::move(a));
  BundleBuilder tx;
  Mapped m;
  m.part_errors = std::move(part_errors);
  MapReferral(referral, ctx, to, tx, m);
  return Accept(in, bytes, tx, m, kMime);
}

InboundResult Inbox::Impl::ReceiveDialog(const Envelope& env, Incoming& in, std::string_view bytes,
                                         std::vector<AppRecError> part_errors,
                                         std::vector<MessageAttachment> foreign) const {
  Dialog dialog = ReadDialog(env);
  if (auto previous = Previous(in)) return *previous;
  // E21: addressed to us.
  if (!AddressedToUs(HerIdsOf(dialog.head.receiver))) {
    return Reject(in, bytes,
                  {{"E21", "", "the message is not addressed to one of this service's HER-ids"}},
                  kMime, /*check_previous=*/false);
  }
  if (auto refused = CheckSender(in, bytes, HerIdsOf(dialog.head.sender),
                                 "/MsgHead/MsgInfo/Sender/Organisation")) {
    return std::move(*refused);
  }
  // E30-E34: the patient, when the message names one.
  if (dialog.head.patient) {
    std::vector<AppRecError> patient = CheckPatient(*dialog.head.patient, /*structured_name=*/true);
    if (!patient.empty()) return Reject(in, bytes, patient, kMime, /*check_previous=*/false);
  }
  DialogContext ctx;
  // RefToParent names the message answered: an inbound one (its MsgId) or one of ours.
  ctx.in_response_to =
      ReferenceByIdentifier("Communication", sys::kMsgId, dialog.head.ref_to_parent);
  if (ctx.in_response_to.empty()) {
    ctx.in_response_to =
        ReferenceByIdentifier("Communication", sys::kOutboundMsgId, dialog.head.ref_to_parent);
  }
  // The referral the thread concerns: the conversation starts with it (or the parent is it).
  ctx.about = ReferenceByIdentifier("ServiceRequest", sys::kMsgId, dialog.head.ref_to_conversation);
  if (ctx.about.empty()) {
    ctx.about = ReferenceByIdentifier("ServiceRequest", sys::kMsgId, dialog.head.ref_to_parent);
  }
  for (MessageAttachment& a : foreign) dialog.attachments.push_back(std::move(a));
  BundleBuilder tx;
  Mapped m;
  m.part_errors = std::move(part_errors);
  MapDialog(dialog, ctx, to, tx, m);
  return Accept(in, bytes, tx, m, kMime);
}

std::vector<fhir::store::UniqueIdentifier> RequiredUniqueIdentifiers() {
  return {{"DocumentReference", std::string(sys::kMsgId)},
          {"DocumentReference", std::string(sys::kMessageSha256)},
          {"Task", std::string(sys::kOutboundMsgId)}};
}

Inbox::Inbox(EhrSettings settings, const xml::SchemaSet& schemas,
             std::shared_ptr<const fhir::terminology::Terminology> terminology, FhirPort& fhir)
    : impl_(std::make_unique<Impl>(std::move(settings), schemas, std::move(terminology), fhir)) {}

Inbox::~Inbox() = default;

InboundResult Inbox::Receive(std::string_view bytes, const ReceiveHints& hints) {
  return impl_->Receive(bytes, hints);
}

}  // namespace adapters::ehr
