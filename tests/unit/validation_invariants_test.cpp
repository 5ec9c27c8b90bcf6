// One violating resource per implemented invariant: the invariant must be reported, at the
// expected expression. A coverage test holds every implemented key to having a case here (or
// in the named tests that cover it).

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "fhir/json/parser.h"
#include "fhir/validation/context.h"
#include "fhir/validation/invariants.h"
#include "tests/unit/validation_test_util.h"

namespace fhir::validation {
namespace {

using testing_util::HasInvariant;
using testing_util::Validate;

struct Case {
  std::string key;
  std::string json;
  std::string expression;
};

// Wraps `members` (JSON object members, no braces) into a resource of `type`.
std::string R(std::string_view type, std::string_view members) {
  std::string out = R"({"resourceType":")" + std::string(type) + "\"";
  if (!members.empty()) out += "," + std::string(members);
  return out + "}";
}

std::string Ext(std::string_view value) {
  return R("Patient", R"("extension":[{"url":"http://e.org/x",)" + std::string(value) + "}]");
}

// A Patient whose narrative div holds `inner`.
std::string Narrative(std::string_view inner) {
  return R("Patient", R"("text":{"status":"generated","div":)"
                      R"("<div xmlns=\"http://www.w3.org/1999/xhtml\">)" +
                          std::string(inner) + R"(</div>"})");
}

std::string Obs(std::string_view members) {
  return R("Observation", R"("status":"final","code":{"text":"x"},)" + std::string(members));
}

std::string Timing(std::string_view repeat) {
  return R("ServiceRequest", R"("status":"active","intent":"order","subject":{"reference":
      "Patient/1"},"occurrenceTiming":{"repeat":)" +
                                 std::string(repeat) + "}");
}

constexpr std::string_view kTimingPath = "ServiceRequest.occurrence.ofType(Timing).repeat";

// A StructureDefinition with a differential: the root element plus `element`.
constexpr std::string_view kRoot = R"({"id":"Patient","path":"Patient"})";

std::string Sd(std::string_view element, std::string_view extra = {},
               std::string_view root = kRoot) {
  std::string out = R"({"resourceType":"StructureDefinition","url":"http://example.org/sd",
      "name":"Test","status":"draft","kind":"resource","abstract":false,"type":"Patient",
      "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient",
      "derivation":"constraint",)";
  if (!extra.empty()) out += std::string(extra) + ",";
  out += R"("differential":{"element":[)" + std::string(root);
  if (!element.empty()) out += "," + std::string(element);
  return out + "]}}";
}

// `s` with the first `from` replaced by `to`.
std::string Replace(std::string s, std::string_view from, std::string_view to) {
  size_t at = s.find(from);
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

constexpr std::string_view kCoreUrl = "http://hl7.org/fhir/StructureDefinition/x";

std::string El(std::string_view members) {
  return R"({"id":"Patient.name","path":"Patient.name",)" + std::string(members) + "}";
}

constexpr std::string_view kEl1 = "StructureDefinition.differential.element[1]";

std::string Snap(std::string_view elements, std::string_view derivation = "constraint") {
  return R"({"resourceType":"StructureDefinition","url":"http://example.org/sd","name":"Test",
      "status":"draft","kind":"resource","abstract":false,"type":"Patient",
      "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient","derivation":")" +
         std::string(derivation) + R"(","snapshot":{"element":[)" + std::string(elements) + "]}}";
}

std::string SnapEl(std::string_view id, std::string_view path, std::string_view more = {}) {
  std::string out = R"({"id":")" + std::string(id) + R"(","path":")" + std::string(path) +
                    R"(","definition":"d","min":0,"max":"*","base":{"path":")" + std::string(path) +
                    R"(","min":0,"max":"*"})";
  if (!more.empty()) out += "," + std::string(more);
  return out + "}";
}

std::string Bundle(std::string_view type, std::string_view members) {
  return R("Bundle", R"("type":")" + std::string(type) + "\"," + std::string(members));
}

std::string Cap(std::string_view members) {
  return R("CapabilityStatement",
           R"("status":"draft","date":"2020","fhirVersion":"4.0.1","format":["json"],)" +
               std::string(members));
}

std::string Condition(std::string_view members) {
  return R("Condition", R"("subject":{"reference":"Patient/1"},)" + std::string(members));
}

std::string Que(std::string_view item) {
  return R("Questionnaire", R"("status":"draft","item":[)" + std::string(item) + "]");
}

std::string Qr(std::string_view items) {
  return R("QuestionnaireResponse", R"("status":"completed","item":[)" + std::string(items) + "]");
}

const std::vector<Case>& Cases() {
  static const std::vector<Case>* const kCases = new std::vector<Case>{
      // --- Datatypes ---
      {"ext-1", Ext(R"("id":"x")"), "Patient.extension[0]"},
      {"ext-1",
       Ext(R"("valueString":"a","extension":[{"url":"http://e.org/y","valueString":"b"}])"),
       "Patient.extension[0]"},
      {"att-1", R("Patient", R"("photo":[{"data":"aGVsbG8="}])"), "Patient.photo[0]"},
      {"cpt-2", R("Patient", R"("telecom":[{"value":"123"}])"), "Patient.telecom[0]"},
      {"per-1", R("Patient", R"("name":[{"period":{"start":"2020-02-01","end":"2020-01"}}])"),
       "Patient.name[0].period"},
      {"per-1", R("Patient", R"("name":[{"period":{"start":"2020-01-01T10:00:00-01:00",
           "end":"2020-01-01T09:30:00Z"}}])"),
       "Patient.name[0].period"},
      {"qty-3", Obs(R"("valueQuantity":{"value":1,"code":"mg"})"),
       "Observation.value.ofType(Quantity)"},
      {"age-1",
       Condition(R"("onsetAge":{"value":-1,"system":"http://unitsofmeasure.org","code":"a"})"),
       "Condition.onset.ofType(Age)"},
      {"age-1", Condition(R"("onsetAge":{"value":1,"system":"http://example.org","code":"a"})"),
       "Condition.onset.ofType(Age)"},
      {"cnt-3",
       Ext(R"("valueCount":{"value":1.5,"system":"http://unitsofmeasure.org","code":"1"})"),
       "Patient.extension[0].value.ofType(Count)"},
      {"dis-1", Ext(R"("valueDistance":{"value":1})"),
       "Patient.extension[0].value.ofType(Distance)"},
      {"drt-1", Ext(R"("valueDuration":{"value":1,"system":"http://e.org","code":"min"})"),
       "Patient.extension[0].value.ofType(Duration)"},
      {"rng-2", Obs(R"("valueRange":{"low":{"value":5},"high":{"value":1}})"),
       "Observation.value.ofType(Range)"},
      {"rat-1", Obs(R"("valueRatio":{"numerator":{"value":1}})"),
       "Observation.value.ofType(Ratio)"},
      {"rat-1", Obs(R"("valueRatio":{"id":"r"})"), "Observation.value.ofType(Ratio)"},
      {"tim-1", Timing(R"({"duration":1})"), std::string(kTimingPath)},
      {"tim-2", Timing(R"({"period":1})"), std::string(kTimingPath)},
      {"tim-4", Timing(R"({"duration":-1,"durationUnit":"h"})"), std::string(kTimingPath)},
      {"tim-5", Timing(R"({"period":-1,"periodUnit":"h"})"), std::string(kTimingPath)},
      {"tim-6", Timing(R"({"periodMax":2})"), std::string(kTimingPath)},
      {"tim-7", Timing(R"({"durationMax":2})"), std::string(kTimingPath)},
      {"tim-8", Timing(R"({"countMax":2})"), std::string(kTimingPath)},
      {"tim-9", Timing(R"({"offset":10,"when":["C"]})"), std::string(kTimingPath)},
      {"tim-9", Timing(R"({"offset":10})"), std::string(kTimingPath)},
      {"tim-10", Timing(R"({"timeOfDay":["10:00:00"],"when":["MORN"]})"), std::string(kTimingPath)},
      {"exp-1",
       R("PlanDefinition", R"("status":"draft","action":[{"condition":[{"kind":"applicability",
           "expression":{"language":"text/cql"}}]}])"),
       "PlanDefinition.action[0].condition[0].expression"},
      {"drq-1",
       R("Library", R"("status":"draft","type":{"text":"x"},"dataRequirement":[{"type":"Patient",
           "codeFilter":[{"code":[{"code":"x"}]}]}])"),
       "Library.dataRequirement[0].codeFilter[0]"},
      {"drq-2",
       R("Library", R"("status":"draft","type":{"text":"x"},"dataRequirement":[{"type":"Patient",
           "dateFilter":[{"path":"a","searchParam":"b"}]}])"),
       "Library.dataRequirement[0].dateFilter[0]"},
      {"trd-1", R("PlanDefinition", R"("status":"draft","action":[{"trigger":[{"type":"periodic",
           "timingDateTime":"2020","data":[{"type":"Patient"}]}]}])"),
       "PlanDefinition.action[0].trigger[0]"},
      {"trd-2", R("PlanDefinition", R"("status":"draft","action":[{"trigger":[{"type":"periodic",
           "timingDateTime":"2020","condition":{"language":"text/cql","expression":"x"}}]}])"),
       "PlanDefinition.action[0].trigger[0]"},
      {"trd-3",
       R("PlanDefinition", R"("status":"draft","action":[{"trigger":[{"type":"named-event"}]}])"),
       "PlanDefinition.action[0].trigger[0]"},
      {"txt-1", Narrative(R"(<script>x</script>)"), "Patient.text.div"},
      {"txt-1", Narrative(R"(<p title='a onclick' onclick=\"x\">y</p>)"), "Patient.text.div"},
      {"txt-1", Narrative(R"(<a href=\"JavaScript:x()\">y</a>)"), "Patient.text.div"},
      {"txt-2", Narrative(R"( <p/> )"), "Patient.text.div"},
      // --- ElementDefinition ---
      {"eld-1", Sd(El(R"("slicing":{"rules":"open"})")), std::string(kEl1) + ".slicing"},
      {"eld-2", Sd(El(R"("min":2,"max":"1")")), std::string(kEl1)},
      {"eld-3", Sd(El(R"("max":"many")")), std::string(kEl1) + ".max"},
      {"eld-4", Sd(El(R"("type":[{"code":"string","aggregation":["contained"]}])")),
       std::string(kEl1) + ".type[0]"},
      {"eld-5", Sd(El(R"("contentReference":"#Patient.x","type":[{"code":"string"}])")),
       std::string(kEl1)},
      {"eld-6", Sd(El(R"("fixedString":"a","type":[{"code":"string"},{"code":"code"}])")),
       std::string(kEl1)},
      {"eld-7", Sd(El(R"("patternString":"a","type":[{"code":"string"},{"code":"code"}])")),
       std::string(kEl1)},
      {"eld-8", Sd(El(R"("patternString":"a","fixedString":"a","type":[{"code":"string"}])")),
       std::string(kEl1)},
      {"eld-11", Sd(El(R"("binding":{"strength":"required","valueSet":"http://x"},
           "type":[{"code":"boolean"}])")),
       std::string(kEl1)},
      {"eld-12", Sd(El(R"("binding":{"strength":"required","valueSet":"ftp://x"})")),
       std::string(kEl1) + ".binding"},
      {"eld-13", Sd(El(R"("type":[{"code":"string"},{"code":"string"}])")), std::string(kEl1)},
      {"eld-14",
       Sd(El(R"("constraint":[{"key":"a","severity":"error","human":"x","expression":"true"},
           {"key":"a","severity":"error","human":"y","expression":"true"}])")),
       std::string(kEl1)},
      {"eld-15", Sd(El(R"("defaultValueString":"a","meaningWhenMissing":"b")")), std::string(kEl1)},
      {"eld-16", Sd(R"({"id":"Patient.name:a b","path":"Patient.name","sliceName":"a b"})"),
       std::string(kEl1)},
      {"eld-17", Sd(El(R"("type":[{"code":"string","targetProfile":["http://x"]}])")),
       std::string(kEl1) + ".type[0]"},
      {"eld-18", Sd(El(R"("isModifier":true)")), std::string(kEl1)},
      {"eld-19", Sd(R"({"id":"Patient.na me","path":"Patient.na me"})"),
       std::string(kEl1) + ".path"},
      {"eld-20", Sd(R"({"id":"Patient.Name","path":"Patient.Name"})"), std::string(kEl1) + ".path"},
      {"eld-21", Sd(El(R"("constraint":[{"key":"a","severity":"error","human":"x"}])")),
       std::string(kEl1) + ".constraint[0]"},
      {"eld-22", Sd(El(R"("sliceIsConstraining":true)")), std::string(kEl1)},
      // --- StructureDefinition ---
      {"sdf-0", Replace(Sd(""), "\"Test\"", "\"bad name\""), "StructureDefinition.name"},
      {"sdf-1",
       Snap(SnapEl("Patient", "Patient") + "," + SnapEl("Patient.a", "Patient.a") + "," +
                SnapEl("Patient.b", "Patient.a"),
            "specialization"),
       "StructureDefinition"},
      {"sdf-2", Sd("", R"("mapping":[{"identity":"m"}])"), "StructureDefinition.mapping[0]"},
      {"sdf-3", Snap(R"({"id":"Patient","path":"Patient","min":0,"max":"*","base":{
           "path":"Patient","min":0,"max":"*"}})"),
       "StructureDefinition.snapshot.element[0]"},
      {"sdf-4", R("StructureDefinition", R"("url":"http://e.org/sd","name":"T","status":"draft",
           "kind":"resource","abstract":false,"type":"Patient","differential":{"element":[
           {"id":"Patient","path":"Patient"}]})"),
       "StructureDefinition"},
      {"sdf-5", R("StructureDefinition", R"("url":"http://e.org/sd","name":"T","status":"draft",
           "kind":"complex-type","abstract":false,"type":"Extension","derivation":"constraint",
           "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Extension",
           "differential":{"element":[{"id":"Extension","path":"Extension"}]})"),
       "StructureDefinition"},
      {"sdf-6", R("StructureDefinition", R"("url":"http://e.org/sd","name":"T","status":"draft",
           "kind":"resource","abstract":true,"type":"Patient")"),
       "StructureDefinition"},
      {"sdf-8", Snap(SnapEl("Patient", "Patient") + "," + SnapEl("Other.a", "Other.a")),
       "StructureDefinition.snapshot"},
      {"sdf-8a", Sd(R"({"id":"Observation.a","path":"Observation.a"})"),
       "StructureDefinition.differential"},
      {"sdf-8b", Snap(R"({"id":"Patient","path":"Patient","definition":"d","min":0,"max":"*"})"),
       "StructureDefinition.snapshot.element[0]"},
      {"sdf-9", Sd("", {}, R"({"id":"Patient","path":"Patient","label":"x"})"),
       "StructureDefinition.differential.element[0]"},
      {"sdf-10",
       Snap(SnapEl("Patient", "Patient") + "," +
            SnapEl("Patient.a", "Patient.a", R"("binding":{"strength":"example"})")),
       "StructureDefinition.snapshot.element[1].binding"},
      {"sdf-11", Snap(SnapEl("Observation", "Observation")), "StructureDefinition.snapshot"},
      {"sdf-14", Sd(R"({"path":"Patient.name"})"), "StructureDefinition.differential"},
      {"sdf-15", Snap(SnapEl("Patient", "Patient", R"("type":[{"code":"Patient"}])")),
       "StructureDefinition.snapshot"},
      {"sdf-15a", Sd("", {}, R"({"id":"Patient","path":"Patient","type":[{"code":"x"}]})"),
       "StructureDefinition.differential"},
      {"sdf-16", Snap(SnapEl("Patient", "Patient") + "," + SnapEl("Patient", "Patient.a")),
       "StructureDefinition.snapshot"},
      {"sdf-17", Sd(R"({"id":"Patient","path":"Patient.a"})"), "StructureDefinition.differential"},
      {"sdf-18", Sd("", R"("contextInvariant":["true"])"), "StructureDefinition"},
      {"sdf-19", Replace(Sd(El(R"("type":[{"code":"a-b"}])")), "http://example.org/sd", kCoreUrl),
       std::string(kEl1)},
      {"sdf-20", Sd("", {}, R"({"id":"Patient","path":"Patient","slicing":{"rules":"open",
                                "description":"d"}})"),
       "StructureDefinition.differential.element[0]"},
      {"sdf-21", Sd(El(R"("defaultValueString":"a")")), std::string(kEl1)},
      {"sdf-22", Replace(Sd(El(R"("defaultValueString":"a")")), "http://example.org/sd", kCoreUrl),
       std::string(kEl1)},
      {"sdf-23", Sd("", {}, R"({"id":"Patient","path":"Patient","sliceName":"s"})"),
       "StructureDefinition.differential.element[0]"},
      // --- Contained resources and references ---
      {"dom-2",
       R("Patient", R"("managingOrganization":{"reference":"#o"},"contained":[{"resourceType":
           "Organization","id":"o","name":"x","contained":[{"resourceType":"Organization",
           "id":"p","name":"y"}]}])"),
       "Patient.contained[0].contained"},
      {"dom-3", R("Patient", R"("contained":[{"resourceType":"Organization","id":"o",
           "name":"x"}])"),
       "Patient.contained[0]"},
      {"dom-4",
       R("Patient", R"("managingOrganization":{"reference":"#o"},"contained":[{"resourceType":
           "Organization","id":"o","name":"x","meta":{"lastUpdated":"2020-01-01T00:00:00Z"}}])"),
       "Patient.contained[0].meta"},
      {"dom-5",
       R("Patient", R"("managingOrganization":{"reference":"#o"},"contained":[{"resourceType":
           "Organization","id":"o","name":"x","meta":{"security":[{"code":"R"}]}}])"),
       "Patient.contained[0].meta.security"},
      {"ref-1", R("Patient", R"("managingOrganization":{"reference":"#nope"})"),
       "Patient.managingOrganization.reference"},
      // --- Clinical and infrastructure resources ---
      {"app-1", R("Appointment", R"("status":"proposed","participant":[{"status":"accepted"}])"),
       "Appointment.participant[0]"},
      {"app-2", R("Appointment", R"("status":"proposed","start":"2020-01-01T10:00:00Z",
           "participant":[{"status":"accepted","type":[{"text":"x"}]}])"),
       "Appointment"},
      {"app-3", R("Appointment", R"("status":"booked","participant":[{"status":"accepted",
           "type":[{"text":"x"}]}])"),
       "Appointment"},
      {"app-4", R("Appointment", R"("status":"proposed","cancelationReason":{"text":"x"},
           "participant":[{"status":"accepted","type":[{"text":"x"}]}])"),
       "Appointment"},
      {"sev-1", R("AuditEvent", R"("type":{"code":"rest"},"recorded":"2020-01-01T00:00:00Z",
           "agent":[{"requestor":true}],"source":{"observer":{"display":"x"}},
           "entity":[{"name":"x","query":"aGVsbG8="}])"),
       "AuditEvent.entity[0]"},
      {"bdl-1", Bundle("collection", R"("total":1)"), "Bundle.total"},
      {"bdl-2",
       Bundle("collection", R"("entry":[{"fullUrl":"urn:uuid:c757873d-ec9a-4326-a141-556f43239520",
           "resource":{"resourceType":"Patient"},"search":{"mode":"match"}}])"),
       "Bundle.entry[0].search"},
      {"bdl-3", Bundle("transaction", R"("entry":[{"resource":{"resourceType":"Patient"}}])"),
       "Bundle.entry[0]"},
      {"bdl-3", Bundle("collection", R"("entry":[{"resource":{"resourceType":"Patient"},
           "request":{"method":"POST","url":"Patient"}}])"),
       "Bundle.entry[0].request"},
      {"bdl-4", Bundle("batch-response", R"("entry":[{"resource":{"resourceType":"Patient"}}])"),
       "Bundle.entry[0]"},
      {"bdl-4", Bundle("collection", R"("entry":[{"resource":{"resourceType":"Patient"},
           "response":{"status":"200"}}])"),
       "Bundle.entry[0].response"},
      {"bdl-5", Bundle("collection", R"("entry":[{"fullUrl":"http://e.org/Patient/1"}])"),
       "Bundle.entry[0]"},
      {"bdl-7", Bundle("collection", R"("entry":[{"fullUrl":"http://e.org/Patient/1","resource":{
           "resourceType":"Patient"}},{"fullUrl":"http://e.org/Patient/1","resource":{
           "resourceType":"Patient"}}])"),
       "Bundle.entry[1].fullUrl"},
      {"bdl-8", Bundle("collection", R"("entry":[{"fullUrl":"http://e.org/Patient/1/_history/1",
           "resource":{"resourceType":"Patient"}}])"),
       "Bundle.entry[0].fullUrl"},
      {"bdl-9", Bundle("document", R"("timestamp":"2020-01-01T00:00:00Z")"), "Bundle"},
      {"bdl-10", Bundle("document", R"("identifier":{"system":"urn:x","value":"1"})"), "Bundle"},
      {"bdl-11", Bundle("document", R"("identifier":{"system":"urn:x","value":"1"},
           "timestamp":"2020-01-01T00:00:00Z","entry":[{"resource":{"resourceType":"Patient"}}])"),
       "Bundle"},
      {"bdl-12", Bundle("message", R"("entry":[{"resource":{"resourceType":"Patient"}}])"),
       "Bundle"},
      {"cpl-3",
       R("CarePlan", R"("status":"active","intent":"plan","subject":{"reference":"Patient/1"},
           "activity":[{"reference":{"reference":"ServiceRequest/1"},"detail":{
           "status":"completed"}}])"),
       "CarePlan.activity[0]"},
      {"con-1", Condition(R"("stage":[{"type":{"text":"x"}}])"), "Condition.stage[0]"},
      {"con-2", Condition(R"("evidence":[{"id":"e"}])"), "Condition.evidence[0]"},
      {"con-3",
       Condition(R"("category":[{"coding":[{"system":)"
                 R"("http://terminology.hl7.org/CodeSystem/condition-category",
           "code":"problem-list-item"}]}])"),
       "Condition"},
      {"con-4", Condition(R"("abatementString":"gone")"), "Condition"},
      {"con-5", Condition(R"("clinicalStatus":{"coding":[{"system":
           "http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
           "verificationStatus":{"coding":[{"system":
           "http://terminology.hl7.org/CodeSystem/condition-ver-status",
           "code":"entered-in-error"}]})"),
       "Condition"},
      {"ppc-1", R("Consent", R"("status":"active","scope":{"text":"x"},"category":[{"text":"x"}])"),
       "Consent"},
      {"ppc-2", R("Consent", R"("status":"active","scope":{"coding":[{"system":"something",
           "code":"patient-privacy"}]},"category":[{"text":"x"}],"policyRule":{"text":"x"})"),
       "Consent"},
      {"ppc-3", R("Consent", R"("status":"active","scope":{"coding":[{"system":"something",
           "code":"research"}]},"category":[{"text":"x"}],"policyRule":{"text":"x"})"),
       "Consent"},
      {"ppc-4", R("Consent", R"("status":"active","scope":{"coding":[{"system":"something",
           "code":"adr"}]},"category":[{"text":"x"}],"policyRule":{"text":"x"})"),
       "Consent"},
      {"ppc-5", R("Consent", R"("status":"active","scope":{"coding":[{"system":"something",
           "code":"treatment"}]},"category":[{"text":"x"}],"policyRule":{"text":"x"})"),
       "Consent"},
      {"grp-1", R("Group", R"("type":"person","actual":false,"member":[{"entity":{
           "reference":"Patient/1"}}])"),
       "Group"},
      {"mea-1", R("Measure", R"("status":"draft","group":[{"stratifier":[{"code":{"text":"x"},
           "component":[{"criteria":{"language":"text/cql","expression":"x"}}]}]}])"),
       "Measure.group[0].stratifier[0]"},
      {"mrp-1", R("MeasureReport", R"("status":"complete","type":"data-collection",
           "measure":"http://e.org/m","period":{"start":"2020"},"group":[{"id":"g"}])"),
       "MeasureReport"},
      {"mrp-2",
       R("MeasureReport", R"("status":"complete","type":"summary","measure":"http://e.org/m",
           "period":{"start":"2020"},"group":[{"stratifier":[{"stratum":[{
           "measureScore":{"value":1}}]}]}])"),
       "MeasureReport.group[0].stratifier[0].stratum[0]"},
      {"obs-3", Obs(R"("referenceRange":[{"type":{"text":"x"}}])"),
       "Observation.referenceRange[0]"},
      {"obs-3",
       Obs(R"("component":[{"code":{"text":"c"},"referenceRange":[{"type":{"text":"x"}}]}])"),
       "Observation.component[0].referenceRange[0]"},
      {"obs-6", Obs(R"("valueString":"x","dataAbsentReason":{"text":"x"})"), "Observation"},
      {"obs-7", R("Observation", R"("status":"final","code":{"coding":[{"system":"http://loinc.org",
           "code":"1"}]},"valueString":"x","component":[{"code":{"coding":[{"system":
           "http://loinc.org","code":"1"}]},"valueString":"y"}])"),
       "Observation.component[0].code"},
      {"org-1", R("Organization", R"("active":true)"), "Organization"},
      {"org-2", R("Organization", R"("name":"x","address":[{"use":"home","city":"Oslo"}])"),
       "Organization.address[0]"},
      {"org-3", R("Organization", R"("name":"x","telecom":[{"use":"home","system":"phone",
           "value":"1"}])"),
       "Organization.telecom[0]"},
      {"inv-1@Parameters.parameter", R("Parameters", R"("parameter":[{"name":"a"}])"),
       "Parameters.parameter[0]"},
      {"inv-1@Parameters.parameter",
       R("Parameters", R"("parameter":[{"name":"a","valueString":"x","resource":{
           "resourceType":"Patient"}}])"),
       "Parameters.parameter[0]"},
      {"pat-1", R("Patient", R"("contact":[{"gender":"male"}])"), "Patient.contact[0]"},
      {"ras-1", R("RiskAssessment", R"("status":"final","subject":{"reference":"Patient/1"},
           "prediction":[{"probabilityRange":{"low":{"value":1,"unit":"mg"}}}])"),
       "RiskAssessment.prediction[0].probability.ofType(Range)"},
      {"ras-2", R("RiskAssessment", R"("status":"final","subject":{"reference":"Patient/1"},
           "prediction":[{"probabilityDecimal":150}])"),
       "RiskAssessment.prediction[0]"},
      {"prr-1", R("ServiceRequest", R"("status":"active","intent":"order","subject":{"reference":
           "Patient/1"},"orderDetail":[{"text":"x"}])"),
       "ServiceRequest"},
      // --- Conformance resources ---
      {"cpb-1", Cap(R"("kind":"instance","implementation":{"description":"x"})"),
       "CapabilityStatement"},
      {"cpb-2", Cap(R"("kind":"requirements","rest":[{"mode":"server"}])"), "CapabilityStatement"},
      {"cpb-3", Cap(R"("kind":"capability","software":{"name":"x"},"messaging":[{"endpoint":[{
           "protocol":{"code":"http"},"address":"http://e.org"}]}])"),
       "CapabilityStatement"},
      {"cpb-7", Cap(R"("kind":"requirements","description":"d","document":[{"mode":"producer",
           "profile":"http://e.org/p"},{"mode":"producer","profile":"http://e.org/p"}])"),
       "CapabilityStatement"},
      {"cpb-9", Cap(R"("kind":"requirements","description":"d","rest":[{"mode":"server","resource":[
           {"type":"Patient"},{"type":"Patient"}]}])"),
       "CapabilityStatement.rest[0].resource[1]"},
      {"cpb-12",
       Cap(R"("kind":"requirements","description":"d","rest":[{"mode":"server","resource":[
           {"type":"Patient","searchParam":[{"name":"a","type":"token"},{"name":"a",
           "type":"string"}]}]}])"),
       "CapabilityStatement.rest[0].resource[0].searchParam[1]"},
      {"cpb-14", Cap(R"("kind":"instance","description":"d","rest":[{"mode":"server"}])"),
       "CapabilityStatement"},
      {"cpb-15", Cap(R"("kind":"capability","description":"d","rest":[{"mode":"server"}])"),
       "CapabilityStatement"},
      {"cpb-16", Cap(R"("kind":"requirements","software":{"name":"x"},"rest":[{"mode":"server"}])"),
       "CapabilityStatement"},
      {"csd-1", R("CodeSystem", R"("status":"draft","content":"complete","concept":[{"code":"a",
           "concept":[{"code":"b"},{"code":"a"}]}])"),
       "CodeSystem"},
      {"cmd-1", R("ConceptMap", R"("status":"draft","group":[{"element":[{"code":"a","target":[{
           "code":"b","equivalence":"narrower"}]}]}])"),
       "ConceptMap.group[0].element[0].target[0]"},
      {"cmd-2", R("ConceptMap", R"("status":"draft","group":[{"element":[{"code":"a"}],
           "unmapped":{"mode":"fixed"}}])"),
       "ConceptMap.group[0].unmapped"},
      {"cmd-3", R("ConceptMap", R"("status":"draft","group":[{"element":[{"code":"a"}],
           "unmapped":{"mode":"other-map"}}])"),
       "ConceptMap.group[0].unmapped"},
      {"opd-1",
       R("OperationDefinition", R"("name":"X","status":"draft","kind":"operation","code":"x",
           "system":false,"type":false,"instance":true,"parameter":[{"name":"a","use":"in",
           "min":0,"max":"1"}])"),
       "OperationDefinition.parameter[0]"},
      {"opd-2",
       R("OperationDefinition", R"("name":"X","status":"draft","kind":"operation","code":"x",
           "system":false,"type":false,"instance":true,"parameter":[{"name":"a","use":"in",
           "min":0,"max":"1","type":"code","searchType":"token"}])"),
       "OperationDefinition.parameter[0]"},
      {"opd-3",
       R("OperationDefinition", R"("name":"X","status":"draft","kind":"operation","code":"x",
           "system":false,"type":false,"instance":true,"parameter":[{"name":"a","use":"in",
           "min":0,"max":"1","type":"string","targetProfile":["http://e.org/p"]}])"),
       "OperationDefinition.parameter[0]"},
      {"spd-1", R("SearchParameter", R"("url":"http://e.org/sp","name":"X","status":"draft",
           "description":"d","code":"x","base":["Patient"],"type":"token","xpath":"f:x")"),
       "SearchParameter"},
      {"spd-2", R("SearchParameter", R"("url":"http://e.org/sp","name":"X","status":"draft",
           "description":"d","code":"x","base":["Patient"],"type":"token","chain":["a"])"),
       "SearchParameter"},
      {"vsd-1", R("ValueSet", R"("status":"draft","compose":{"include":[{"version":"1"}]})"),
       "ValueSet.compose.include[0]"},
      {"vsd-1", R("ValueSet", R"("status":"draft","compose":{"include":[{"system":"http://e.org"}],
           "exclude":[{"version":"1"}]})"),
       "ValueSet.compose.exclude[0]"},
      {"vsd-2",
       R("ValueSet", R"("status":"draft","compose":{"include":[{"valueSet":["http://e.org/v"],
           "concept":[{"code":"a"}]}]})"),
       "ValueSet.compose.include[0]"},
      {"vsd-3", R("ValueSet", R"("status":"draft","compose":{"include":[{"system":"http://e.org",
           "concept":[{"code":"a"}],"filter":[{"property":"p","op":"=","value":"v"}]}]})"),
       "ValueSet.compose.include[0]"},
      {"vsd-6", R("ValueSet", R"("status":"draft","expansion":{"timestamp":"2020-01-01T00:00:00Z",
           "contains":[{"abstract":true}]})"),
       "ValueSet.expansion.contains[0]"},
      {"vsd-9", R("ValueSet", R"("status":"draft","expansion":{"timestamp":"2020-01-01T00:00:00Z",
           "contains":[{"display":"x"}]})"),
       "ValueSet.expansion.contains[0]"},
      {"vsd-10", R("ValueSet", R"("status":"draft","expansion":{"timestamp":"2020-01-01T00:00:00Z",
           "contains":[{"code":"a"}]})"),
       "ValueSet.expansion.contains[0]"},
      {"vsd-10", R("ValueSet", R"("status":"draft","expansion":{"timestamp":"2020-01-01T00:00:00Z",
           "contains":[{"system":"http://e.org","code":"a","contains":[{"code":"b"}]}]})"),
       "ValueSet.expansion.contains[0].contains[0]"},
      {"adf-0", R("ActivityDefinition", R"("status":"draft","name":"lower")"),
       "ActivityDefinition.name"},
      {"cpb-0", Cap(R"("kind":"requirements","description":"d","rest":[{"mode":"server"}],
           "name":"has space")"),
       "CapabilityStatement.name"},
      {"csd-0", R("CodeSystem", R"("status":"draft","content":"complete","name":"x-y")"),
       "CodeSystem.name"},
      {"cmd-0", R("ConceptMap", R"("status":"draft","name":"1abc")"), "ConceptMap.name"},
      {"lib-0", R("Library", R"("status":"draft","type":{"text":"x"},"name":"lib")"),
       "Library.name"},
      {"mea-0", R("Measure", R"("status":"draft","name":"m.x")"), "Measure.name"},
      {"opd-0",
       R("OperationDefinition", R"("name":"x y","status":"draft","kind":"operation","code":"x",
           "system":false,"type":false,"instance":true)"),
       "OperationDefinition.name"},
      {"pdf-0", R("PlanDefinition", R"("status":"draft","name":"pd")"), "PlanDefinition.name"},
      {"que-0", R("Questionnaire", R"("status":"draft","name":"q")"), "Questionnaire.name"},
      {"spd-0", R("SearchParameter", R"("url":"http://e.org/sp","name":"x","status":"draft",
           "description":"d","code":"x","base":["Patient"],"type":"token")"),
       "SearchParameter.name"},
      {"vsd-0", R("ValueSet", R"("status":"draft","name":"v s")"), "ValueSet.name"},
      // --- Questionnaire and QuestionnaireResponse ---
      {"que-1", Que(R"({"linkId":"1","type":"group"})"), "Questionnaire.item[0]"},
      {"que-1", Que(R"({"linkId":"1","type":"display","text":"t","item":[{"linkId":"2",
           "type":"string"}]})"),
       "Questionnaire.item[0]"},
      {"que-2", Que(R"({"linkId":"1","type":"group","item":[{"linkId":"2","type":"string"}]},
           {"linkId":"3","type":"group","item":[{"linkId":"2","type":"string"}]})"),
       "Questionnaire.item[1].item[0].linkId"},
      {"que-3", Que(R"({"linkId":"1","type":"display","code":[{"code":"x"}]})"),
       "Questionnaire.item[0]"},
      {"que-4", Que(R"({"linkId":"1","type":"choice","answerValueSet":"http://e.org/vs",
           "answerOption":[{"valueString":"a"}]})"),
       "Questionnaire.item[0]"},
      {"que-5", Que(R"({"linkId":"1","type":"boolean","answerOption":[{"valueString":"a"}]})"),
       "Questionnaire.item[0]"},
      {"que-6", Que(R"({"linkId":"1","type":"display","required":true})"), "Questionnaire.item[0]"},
      {"que-7", Que(R"({"linkId":"1","type":"string"},{"linkId":"2","type":"string","enableWhen":[{
           "question":"1","operator":"exists","answerString":"x"}]})"),
       "Questionnaire.item[1].enableWhen[0]"},
      {"que-8", Que(R"({"linkId":"1","type":"group","initial":[{"valueString":"a"}],"item":[{
           "linkId":"2","type":"string"}]})"),
       "Questionnaire.item[0]"},
      {"que-9", Que(R"({"linkId":"1","type":"display","readOnly":true})"), "Questionnaire.item[0]"},
      {"que-10", Que(R"({"linkId":"1","type":"date","maxLength":10})"), "Questionnaire.item[0]"},
      {"que-11", Que(R"({"linkId":"1","type":"choice","answerOption":[{"valueString":"a"}],
           "initial":[{"valueString":"a"}]})"),
       "Questionnaire.item[0]"},
      {"que-12", Que(R"({"linkId":"1","type":"boolean"},{"linkId":"2","type":"string","enableWhen":[
           {"question":"1","operator":"=","answerBoolean":true},
           {"question":"1","operator":"!=","answerBoolean":false},
           {"question":"1","operator":"exists","answerBoolean":true}]})"),
       "Questionnaire.item[1]"},
      {"que-13", Que(R"({"linkId":"1","type":"string","initial":[{"valueString":"a"},
           {"valueString":"b"}]})"),
       "Questionnaire.item[0]"},
      {"qrs-1", Qr(R"({"linkId":"1","answer":[{"valueString":"a"}],"item":[{"linkId":"2"}]})"),
       "QuestionnaireResponse.item[0]"},
      {"qrs-2", Qr(R"({"linkId":"1","answer":[{"valueString":"a"}]},{"linkId":"1",
           "answer":[{"valueString":"b"}]})"),
       "QuestionnaireResponse.item[1]"},
  };
  return *kCases;
}

class ValidatorInvariantTest : public testing::TestWithParam<size_t> {};

TEST_P(ValidatorInvariantTest, IsReported) {
  const Case& c = Cases()[GetParam()];
  EXPECT_TRUE(HasInvariant(Validate(c.json), c.key, c.expression)) << c.json;
}

INSTANTIATE_TEST_SUITE_P(ValidatorInvariants, ValidatorInvariantTest,
                         testing::Range<size_t>(0, Cases().size()),
                         [](const testing::TestParamInfo<size_t>& param_info) {
                           std::string name = Cases()[param_info.param].key + "_" +
                                              std::to_string(param_info.param);
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// MoneyQuantity is a profile no element of the 43 resources uses; its invariant runs when a
// value is validated against it, which the model allows.
TEST(ValidatorInvariantDirect, MoneyQuantity) {
  auto value = json::Parse(R"({"value":1,"system":"urn:iso:std:iso:4217"})");
  ASSERT_TRUE(value.has_value());
  IssueList issues;
  internal::Context ctx(issues);
  ctx.path().Append("X");
  internal::RunInvariants("MoneyQuantity", *value, ctx);
  EXPECT_TRUE(HasInvariant(issues, "mqty-1", "X"));
  IssueList fine;
  internal::Context ok_ctx(fine);
  auto coded = json::Parse(R"({"value":1,"system":"urn:iso:std:iso:4217","code":"EUR"})");
  ASSERT_TRUE(coded.has_value());
  internal::RunInvariants("MoneyQuantity", *coded, ok_ctx);
  EXPECT_TRUE(fine.empty()) << testing_util::Describe(fine);
}

TEST(ValidatorInvariantCoverage, EveryImplementedInvariantHasACase) {
  // Covered by other tests: ele-1 (ValidatorJsonShape.*: empty values), sqty-1
  // (ValidatorCardinality.*: SimpleQuantity.comparator), mqty-1 (above), and those of
  // validation_invariants_r4_test.cpp.
  std::set<std::string> covered = {"ele-1", "sqty-1", "mqty-1"};
  for (const Case& c : Cases()) covered.insert(c.key);
  for (const std::string& key : testing_util::R4InvariantCaseKeys()) covered.insert(key);
  for (std::string_view key : internal::ImplementedInvariants()) {
    EXPECT_TRUE(covered.count(std::string(key))) << key << " has no test case";
  }
}

}  // namespace
}  // namespace fhir::validation
