#include "adapters/ehr/to_fhir.h"

#include <cctype>

#include "adapters/ehr/fhir_systems.h"
#include "common/base64.h"
#include "common/digest.h"
#include "common/norwegian_id.h"
#include "common/time.h"

namespace adapters::ehr {

using fhir::json::Value;

namespace {

Value Array() { return Value::Array(); }

bool IsDate(const std::string& s) {
  // YYYY, YYYY-MM or YYYY-MM-DD with digits (the validator checks the calendar).
  if (s.size() != 4 && s.size() != 7 && s.size() != 10) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 4 || i == 7;
    if (dash ? s[i] != '-' : !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

Value Telecom(const std::string& url) {
  Value t = Value::Object();
  if (url.rfind("tel:", 0) == 0) {
    t.Set("system", Str("phone"));
    t.Set("value", Str(url.substr(4)));
  } else if (url.rfind("mailto:", 0) == 0) {
    t.Set("system", Str("email"));
    t.Set("value", Str(url.substr(7)));
  } else if (url.rfind("fax:", 0) == 0) {
    t.Set("system", Str("fax"));
    t.Set("value", Str(url.substr(4)));
  } else {
    t.Set("system", Str("url"));
    t.Set("value", Str(url));
  }
  return t;
}

Value AddressOf(const Address& a, bool home) {
  Value out = Value::Object();
  if (home) out.Set("use", Str("home"));
  if (!a.street.empty()) out.Set("line", Array()).Append(Str(a.street));
  if (!a.city.empty()) out.Set("city", Str(a.city));
  if (!a.postal_code.empty()) out.Set("postalCode", Str(a.postal_code));
  if (!a.country.empty()) out.Set("country", Str(a.country));
  return out;
}

void SetAddresses(Value& resource, const std::vector<Address>& addresses, bool home) {
  Value list = Array();
  for (const Address& a : addresses) {
    Value v = AddressOf(a, home);
    if (v.members().size() > (home ? 1u : 0u)) list.Append(std::move(v));
  }
  if (!list.items().empty()) resource.Set("address", std::move(list));
}

void SetTelecoms(Value& resource, const std::vector<std::string>& telecoms) {
  if (telecoms.empty()) return;
  Value& list = resource.Set("telecom", Array());
  for (const std::string& t : telecoms) list.Append(Telecom(t));
}

std::string Now() { return common::FormatInstant(common::SystemNow()); }

}  // namespace

std::string VolvenSystem(std::string_view list) {
  return std::string(sys::kVolvenPrefix) + std::string(list);
}

Value ToFhir::Coding(const KithCode& code, std::string_view list) const {
  std::string system = VolvenSystem(list);
  std::string display;
  if (auto d = terms_.Display(system, code.v)) display = *d;
  if (display.empty()) display = code.dn;
  return adapters::ehr::Coding(system, code.v, display);
}

Value ToFhir::Concept(const KithCode& code, std::string_view list) const {
  Value cc = Value::Object();
  if (!code.v.empty()) cc.Set("coding", Array()).Append(Coding(code, list));
  if (!code.ot.empty()) {
    cc.Set("text", Str(code.ot));
  } else if (code.v.empty() && !code.dn.empty()) {
    // A code without V (code-without-value, quirks.h): its display text is all it says.
    cc.Set("text", Str(code.dn));
  }
  return cc;
}

Value ToFhir::ForeignCoding(const KithCode& code) const {
  std::string system = code.s.empty() ? std::string() : "urn:oid:" + code.s;
  std::string display;
  if (!system.empty()) {
    if (auto d = terms_.Display(system, code.v)) display = *d;
  }
  if (display.empty()) display = code.dn;
  return adapters::ehr::Coding(system, code.v, display);
}

std::string ToFhir::MapFirst(std::string_view map, std::string_view source_list,
                             std::string_view code) const {
  auto targets = terms_.Translate(map, VolvenSystem(source_list), code);
  return targets.empty() ? std::string() : targets.front().code;
}

std::string ToFhir::PersonSystem(std::string_view type_code) const {
  return MapFirst(sys::kMapPersonIdent, "8116", type_code);
}

std::string ToFhir::OrganisationSystem(std::string_view type_code) const {
  return MapFirst(sys::kMapOrgIdent, "9051", type_code);
}

std::optional<std::pair<std::string, std::string>> ToFhir::NationalId(const Person& p) const {
  for (const Ident& i : p.idents) {
    if ((i.type.v == "FNR" || i.type.v == "DNR") && !i.id.empty()) {
      std::string system = PersonSystem(i.type.v);
      if (!system.empty()) return std::make_pair(system, i.id);
    }
  }
  return std::nullopt;
}

Value ToFhir::Name(const Person& p) const {
  Value name = Value::Object();
  std::string family = p.family, given = p.given;
  if (family.empty() && given.empty() && !p.full_name.empty()) {
    Person split;
    SplitKithName(p.full_name, split);
    family = split.family;
    given = split.given;
  }
  if (!p.full_name.empty() && family.empty()) name.Set("text", Str(p.full_name));
  if (!family.empty()) name.Set("family", Str(family));
  if (!given.empty()) name.Set("given", Array()).Append(Str(given));
  if (!p.middle.empty()) {
    Value& ext = name.Set("extension", Array());
    Value e = Value::Object();
    e.Set("url", Str("http://hl7.no/fhir/StructureDefinition/no-basis-middlename"));
    e.Set("valueString", Str(p.middle));
    ext.Append(std::move(e));
  }
  return name;
}

std::string ToFhir::AddPatient(BundleBuilder& tx, const Person& p) const {
  auto id = NationalId(p);
  if (!id) return {};
  Value r = Value::Object();
  r.Set("resourceType", Str("Patient"));
  r.Set("identifier", Array()).Append(Identifier(id->first, id->second));
  Value name = Name(p);
  if (!name.members().empty()) r.Set("name", Array()).Append(std::move(name));
  SetTelecoms(r, p.telecoms);
  std::string gender = MapFirst(sys::kMapGender, "3101", p.sex.v);
  if (!gender.empty()) r.Set("gender", Str(gender));
  if (IsDate(p.date_of_birth)) r.Set("birthDate", Str(p.date_of_birth));
  SetAddresses(r, p.addresses, /*home=*/true);
  return tx.Create(std::move(r), IdentifierQuery(id->first, id->second));
}

std::string ToFhir::AddOrganization(BundleBuilder& tx, const Organisation& o,
                                    const std::string& part_of) const {
  Value r = Value::Object();
  r.Set("resourceType", Str("Organization"));
  Value ids = Array();
  std::pair<std::string, std::string> key;
  for (const Ident& i : o.idents) {
    std::string system = OrganisationSystem(i.type.v);
    if (system.empty() || i.id.empty()) continue;
    if (key.first.empty() || i.type.v == "HER") key = {system, i.id};
    ids.Append(Identifier(system, i.id));
  }
  if (key.first.empty()) return {};
  r.Set("identifier", std::move(ids));
  r.Set("active", Value::Bool(true));
  if (!o.name.empty()) r.Set("name", Str(o.name));
  SetAddresses(r, o.addresses, /*home=*/false);
  if (!part_of.empty()) r.Set("partOf", BundleBuilder::Ref(part_of));
  return tx.Create(std::move(r), IdentifierQuery(key.first, key.second));
}

std::string ToFhir::AddPractitioner(BundleBuilder& tx, const Professional& p) const {
  Value r = Value::Object();
  r.Set("resourceType", Str("Practitioner"));
  Value ids = Array();
  std::pair<std::string, std::string> key;
  for (const Ident& i : p.person.idents) {
    if (i.type.v != "HPR" && i.type.v != "HER") continue;  // never a patient-style FNR here
    std::string system = PersonSystem(i.type.v);
    if (system.empty() || i.id.empty()) continue;
    if (key.first.empty() || i.type.v == "HPR") key = {system, i.id};
    ids.Append(Identifier(system, i.id));
  }
  if (key.first.empty()) return {};
  r.Set("identifier", std::move(ids));
  r.Set("active", Value::Bool(true));
  Value name = Name(p.person);
  if (!name.members().empty()) r.Set("name", Array()).Append(std::move(name));
  SetTelecoms(r, p.person.telecoms);
  return tx.Create(std::move(r), IdentifierQuery(key.first, key.second));
}

std::string ToFhir::AddPractitionerRole(BundleBuilder& tx, const Professional& p,
                                        const std::string& practitioner,
                                        const std::string& organization,
                                        const std::string& organization_her) const {
  if (practitioner.empty() || organization.empty() || organization_her.empty()) return {};
  std::string who = IdentOfType(p.person.idents, "HPR");
  if (who.empty()) who = "HER:" + IdentOfType(p.person.idents, "HER");
  std::string key = who + "@" + organization_her;
  Value r = Value::Object();
  r.Set("resourceType", Str("PractitionerRole"));
  r.Set("identifier", Array()).Append(Identifier(sys::kPractitionerRole, key));
  r.Set("active", Value::Bool(true));
  r.Set("practitioner", BundleBuilder::Ref(practitioner));
  r.Set("organization", BundleBuilder::Ref(organization));
  Value codes = Array();
  if (!p.type.v.empty()) codes.Append(Concept(p.type, "9060"));
  if (!p.role.v.empty()) codes.Append(Concept(p.role, "9034"));
  if (!codes.items().empty()) r.Set("code", std::move(codes));
  return tx.Create(std::move(r), IdentifierQuery(sys::kPractitionerRole, key));
}

std::string ToFhir::AddSelf(BundleBuilder& tx) const {
  const AppRecParty& self = settings_.self;
  Organisation org;
  org.name = self.name;
  org.idents.push_back({self.her_id, KithCode{"HER", "", "", ""}});
  std::string top = AddOrganization(tx, org);
  if (self.dept_her_id.empty()) return top;
  Organisation unit;
  unit.name = self.dept_name;
  unit.idents.push_back({self.dept_her_id, KithCode{"HER", "", "", ""}});
  return AddOrganization(tx, unit, top);
}

std::string ToFhir::AddTextDocument(BundleBuilder& tx, const std::string& patient,
                                    const Value& type, const std::string& text,
                                    const std::string& xhtml,
                                    const std::string& description) const {
  Value r = Value::Object();
  r.Set("resourceType", Str("DocumentReference"));
  r.Set("status", Str("current"));
  if (!type.members().empty()) r.Set("type", type);
  if (!patient.empty()) r.Set("subject", BundleBuilder::Ref(patient));
  r.Set("date", Str(Now()));
  if (!description.empty()) r.Set("description", Str(description));
  Value& content = r.Set("content", Array());
  Value plain = Value::Object();
  Value& att = plain.Set("attachment", Value::Object());
  att.Set("contentType", Str("text/plain; charset=utf-8"));
  att.Set("data", Str(common::Base64Encode(text)));
  content.Append(std::move(plain));
  if (!xhtml.empty()) {
    Value markup = Value::Object();
    Value& a2 = markup.Set("attachment", Value::Object());
    a2.Set("contentType", Str("application/xhtml+xml"));
    a2.Set("data", Str(common::Base64Encode(xhtml)));
    content.Append(std::move(markup));
  }
  return tx.Create(std::move(r));
}

std::string AddBinary(BundleBuilder& tx, std::string_view mime, std::string_view bytes) {
  Value bin = Value::Object();
  bin.Set("resourceType", Str("Binary"));
  bin.Set("contentType", Str(mime));
  if (!bytes.empty()) bin.Set("data", Str(common::Base64Encode(bytes)));
  return tx.Create(std::move(bin));
}

Value StoredContent(std::string_view mime, const std::string& binary, std::string_view bytes,
                    std::string_view title, std::string sha256_hex) {
  Value content = Array();
  Value c = Value::Object();
  Value& att = c.Set("attachment", Value::Object());
  att.Set("contentType", Str(mime));
  att.Set("url", Str(binary));
  att.Set("size", Value::Number(std::to_string(bytes.size())));
  att.Set("hash", Str(common::Base64Encode(common::Sha1(bytes))));
  if (!title.empty()) att.Set("title", Str(title));
  Value ext = Value::Object();
  ext.Set("url", Str(sys::kExtSha256));
  ext.Set("valueString", Str(sha256_hex.empty() ? common::HexEncode(common::Sha256(bytes))
                                                : std::move(sha256_hex)));
  att.Set("extension", Array()).Append(std::move(ext));
  content.Append(std::move(c));
  return content;
}

std::string ToFhir::AddAttachment(BundleBuilder& tx, const std::string& patient,
                                  const MessageAttachment& a, const std::string& bytes) const {
  std::string mime = a.mime_type.empty() ? "application/octet-stream" : a.mime_type;
  std::string binary = AddBinary(tx, mime, bytes);
  Value r = Value::Object();
  r.Set("resourceType", Str("DocumentReference"));
  if (!a.id.empty()) r.Set("masterIdentifier", Identifier(sys::kRefDocId, a.id));
  r.Set("status", Str("current"));
  if (!patient.empty()) r.Set("subject", BundleBuilder::Ref(patient));
  r.Set("date", Str(Now()));
  if (!a.description.empty()) r.Set("description", Str(a.description));
  r.Set("content", StoredContent(mime, binary, bytes, a.description));
  return tx.Create(std::move(r));
}

}  // namespace adapters::ehr
