// The invariants of the R4 resource types beyond the first 43: per rule, an instance that
// satisfies it and validates without any issue, and one that breaks it and gets exactly that
// invariant (with the severity the definitions give it) at the expected expression, and no
// other issue unless the case says why.

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/model/model.h"
#include "tests/unit/validation_test_util.h"

namespace fhir::validation {
namespace {

using testing_util::Describe;
using testing_util::HasInvariant;
using testing_util::InvariantKey;
using testing_util::NoIssues;
using testing_util::Validate;

struct Case {
  std::string key;  // as named in ImplementedInvariants() ("inv-1@Task")
  std::string valid;
  std::string violating;
  std::string expression;  // where the violation is reported
  // Why the violating instance cannot avoid other issues (empty: it must have none).
  std::string_view other_issues = {};
};

// A resource of `type` with `members` (JSON object members, no braces).
std::string R(std::string_view type, std::string_view members) {
  std::string out = R"({"resourceType":")" + std::string(type) + "\"";
  if (!members.empty()) out += "," + std::string(members);
  return out + "}";
}

// `s` with the first `from` replaced by `to`.
std::string Replace(std::string s, std::string_view from, std::string_view to) {
  size_t at = s.find(from);
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// A canonical resource's minimal members with `name`, for the xxx-0 warnings.
std::string Named(std::string_view type, std::string_view name, std::string_view members) {
  return R(type, R"("name":")" + std::string(name) + R"(",)" + std::string(members));
}

constexpr std::string_view kDiv = R"({"status":"generated",
    "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">None</div>"})";

std::string Allergy(std::string_view members) {
  return R("AllergyIntolerance", R"("patient":{"reference":"Patient/1"})" +
                                     std::string(members.empty() ? "" : ",") +
                                     std::string(members));
}

constexpr std::string_view kAllergyInError = R"("verificationStatus":{"coding":[{"system":
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
    "code":"entered-in-error"}]})";
constexpr std::string_view kAllergyActive = R"("clinicalStatus":{"coding":[{"system":
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]})";

std::string Eligibility(std::string_view item) {
  return R("CoverageEligibilityResponse", R"("status":"active","purpose":["benefits"],
      "patient":{"reference":"Patient/1"},"created":"2020-01-01",
      "request":{"reference":"CoverageEligibilityRequest/1"},"outcome":"complete",
      "insurer":{"reference":"Organization/1"},"insurance":[{"coverage":{
      "reference":"Coverage/1"},"item":[)" + std::string(item) +
                                              "]}]");
}

std::string Composition(std::string_view sections) {
  return R("Composition", R"("status":"final","type":{"text":"t"},"date":"2020-01-01",
      "author":[{"reference":"Practitioner/1"}],"title":"T","section":[)" +
                              std::string(sections) + "]");
}

std::string FamilyHistory(std::string_view members) {
  return R("FamilyMemberHistory", R"("status":"completed","patient":{"reference":"Patient/1"},
      "relationship":{"text":"mother"},)" +
                                      std::string(members));
}

std::string Goal(std::string_view target) {
  return R("Goal", R"("lifecycleStatus":"active","description":{"text":"d"},
      "subject":{"reference":"Patient/1"},"target":[)" +
                       std::string(target) + "]");
}

std::string Immunization(std::string_view education) {
  return R("Immunization", R"("status":"completed","vaccineCode":{"text":"v"},
      "patient":{"reference":"Patient/1"},"occurrenceDateTime":"2020-01-01","education":[)" +
                               std::string(education) + "]");
}

std::string Recommendation(std::string_view recommendation) {
  return R("ImmunizationRecommendation", R"("patient":{"reference":"Patient/1"},
      "date":"2020-01-01","recommendation":[)" +
                                             std::string(recommendation) + "]");
}

std::string Linkage(size_t items) {
  std::string list;
  for (size_t i = 0; i < items; ++i) {
    if (i > 0) list += ",";
    list += R"({"type":")" + std::string(i == 0 ? "source" : "alternate") +
            R"(","resource":{"reference":"Patient/)" + std::to_string(i + 1) + "\"}}";
  }
  return R("Linkage", R"("item":[)" + list + "]");
}

std::string List(std::string_view mode, std::string_view members) {
  return R("List",
           R"("status":"current","mode":")" + std::string(mode) + "\"," + std::string(members));
}

constexpr std::string_view kListEntry = R"("entry":[{"item":{"reference":"Patient/1"})";

std::string Administration(std::string_view dosage) {
  return R("MedicationAdministration", R"("status":"completed","medicationCodeableConcept":{
      "text":"m"},"subject":{"reference":"Patient/1"},"effectiveDateTime":"2020-01-01",
      "dosage":)" + std::string(dosage));
}

std::string Dispense(std::string_view prepared, std::string_view handed_over) {
  return R("MedicationDispense", R"("status":"completed","medicationCodeableConcept":{
      "text":"m"},"whenPrepared":")" +
                                     std::string(prepared) + R"(","whenHandedOver":")" +
                                     std::string(handed_over) + "\"");
}

std::string Sequence(std::string_view members) {
  return R("MolecularSequence", R"("coordinateSystem":0,)" + std::string(members));
}

std::string Nutrition(std::string_view members) {
  return R("NutritionOrder", R"("status":"active","intent":"order","patient":{
      "reference":"Patient/1"},"dateTime":"2020-01-01")" +
                                 std::string(members));
}

std::string RequestGroup(std::string_view actions) {
  return R("RequestGroup",
           R"("status":"active","intent":"order","action":[)" + std::string(actions) + "]");
}

std::string Task(std::string_view authored_on, std::string_view last_modified) {
  return R("Task", R"("status":"requested","intent":"order","authoredOn":")" +
                       std::string(authored_on) + R"(","lastModified":")" +
                       std::string(last_modified) + "\"");
}

// --- Conformance resources -------------------------------------------------------------------

std::string Guide(std::string_view members) {
  return R("ImplementationGuide", R"("url":"http://e.org/ig","name":"Guide","status":"draft",
      "packageId":"e.ig","fhirVersion":["4.0.1"])" +
                                      std::string(members.empty() ? "" : ",") +
                                      std::string(members));
}

std::string GuideResource(std::string_view grouping_id, std::string_view fhir_version) {
  return Guide(R"("definition":{"grouping":[{"id":"g1","name":"G"}],"resource":[{
      "reference":{"reference":"Patient/1"},"groupingId":")" +
               std::string(grouping_id) + R"(","fhirVersion":[")" + std::string(fhir_version) +
               R"("]}]})");
}

std::string MessageFocus(std::string_view max) {
  return R("MessageDefinition", R"("status":"draft","date":"2020-01-01","eventCoding":{
      "system":"http://e.org","code":"e"},"focus":[{"code":"Patient","min":0,"max":")" +
                                    std::string(max) + R"("}])");
}

std::string NamingSystem(std::string_view kind, std::string_view unique_ids) {
  return R("NamingSystem", R"("name":"Ns","status":"draft","kind":")" + std::string(kind) +
                               R"(","date":"2020-01-01","uniqueId":[)" + std::string(unique_ids) +
                               "]");
}

// A StructureMap whose group's first rule holds `rule_members` (more members of that rule).
std::string Map(std::string_view rule_members) {
  return R("StructureMap", R"("url":"http://e.org/map","name":"Map","status":"draft",
      "group":[{"name":"g","typeMode":"none","input":[{"name":"src","mode":"source"}],
      "rule":[{"name":"r","source":[{"context":"src"}],)" +
                               std::string(rule_members) + "}]}]");
}

std::string TermCaps(std::string_view members) {
  return R("TerminologyCapabilities",
           R"("status":"draft","date":"2020-01-01",)" + std::string(members));
}

// --- TestScript and TestReport ---------------------------------------------------------------

constexpr std::string_view kOperation =
    R"({"encodeRequestUrl":true,"url":"http://e.org/Patient/1"})";
constexpr std::string_view kAssert = R"({"warningOnly":false,"response":"okay"})";

std::string Script(std::string_view members) {
  return R("TestScript",
           R"("url":"http://e.org/ts","name":"Script","status":"draft",)" + std::string(members));
}

// One setup / test / teardown action with `action` (JSON object members).
std::string Setup(std::string_view action) {
  return Script(R"("setup":{"action":[{)" + std::string(action) + "}]}");
}
std::string TestAction(std::string_view action) {
  return Script(R"("test":[{"action":[{)" + std::string(action) + "}]}]");
}
std::string Teardown(std::string_view operation) {
  return Script(R"("teardown":{"action":[{"operation":)" + std::string(operation) + "}]}");
}

std::string Op(std::string_view members = {}) {
  return R"({"encodeRequestUrl":true)" + std::string(members.empty() ? "" : ",") +
         std::string(members) + "}";
}
std::string Assert(std::string_view members) {
  return R"({"warningOnly":false,)" + std::string(members) + "}";
}

std::string Report(std::string_view members) {
  return R("TestReport", R"("status":"completed","testScript":{"reference":"TestScript/1"},
      "result":"pass",)" + std::string(members));
}

constexpr std::string_view kReportOperation = R"("operation":{"result":"pass"})";
constexpr std::string_view kReportAssert = R"("assert":{"result":"pass"})";

const std::vector<Case>& Cases() {
  static const std::vector<Case>* const kCases = new std::vector<Case>{
      // --- Clinical and administrative resources ---
      {"ait-1", Allergy(kAllergyActive), Allergy(""), "AllergyIntolerance"},
      {"ait-2", Allergy(kAllergyInError),
       Allergy(std::string(kAllergyInError) + "," + std::string(kAllergyActive)),
       "AllergyIntolerance"},
      {"apr-1", R("AppointmentResponse", R"("appointment":{"reference":"Appointment/1"},
           "participantStatus":"accepted","actor":{"reference":"Patient/1"})"),
       R("AppointmentResponse", R"("appointment":{"reference":"Appointment/1"},
           "participantStatus":"accepted")"),
       "AppointmentResponse"},
      {"ces-1", Eligibility(R"({"category":{"text":"c"}})"),
       Eligibility(R"({"category":{"text":"c"},"productOrService":{"text":"p"}})"),
       "CoverageEligibilityResponse.insurance[0].item[0]"},
      // Nested sections are checked by the same rules (contentReference).
      {"cmp-1", Composition(R"({"title":"a","section":[{"title":"b","entry":[{
           "reference":"Observation/1"}]}]})"),
       Composition(R"({"title":"a","section":[{"title":"b"}]})"),
       "Composition.section[0].section[0]"},
      {"cmp-2",
       Composition(R"({"title":"a","text":)" + std::string(kDiv) +
                   R"(,"emptyReason":{"text":"none"}})"),
       Composition(R"({"title":"a","emptyReason":{"text":"none"},"entry":[{
           "reference":"Observation/1"}]})"),
       "Composition.section[0].emptyReason"},
      {"evv-1", R("EvidenceVariable", R"("status":"draft","characteristic":[{
           "definitionCanonical":"http://e.org/g"}])"),
       R("EvidenceVariable", R"("status":"draft","characteristic":[{
           "definitionCanonical":"http://e.org/g","definitionId":"x"}])"),
       "EvidenceVariable.characteristic[0]"},
      {"fhs-1", FamilyHistory(R"("ageString":"about 50")"),
       FamilyHistory(R"("ageString":"about 50","bornDate":"1970")"), "FamilyMemberHistory"},
      {"fhs-2", FamilyHistory(R"("ageString":"about 50","estimatedAge":true)"),
       FamilyHistory(R"("bornDate":"1970","estimatedAge":true)"),
       "FamilyMemberHistory.estimatedAge"},
      {"gol-1", Goal(R"({"measure":{"text":"m"},"detailString":"less"})"),
       Goal(R"({"detailString":"less"})"), "Goal.target[0]"},
      {"imm-1", Immunization(R"({"documentType":"leaflet"})"),
       Immunization(R"({"presentationDate":"2020-01-01T00:00:00Z"})"), "Immunization.education[0]"},
      {"imr-1", Recommendation(R"({"vaccineCode":[{"text":"v"}],"forecastStatus":{"text":"f"}})"),
       Recommendation(R"({"forecastStatus":{"text":"f"}})"),
       "ImmunizationRecommendation.recommendation[0]"},
      {"ipn-1", R("InsurancePlan", R"("status":"active","name":"Plan")"),
       R("InsurancePlan", R"("status":"active")"), "InsurancePlan"},
      {"lnk-1", Linkage(2), Linkage(1), "Linkage"},
      {"lst-1", List("snapshot", R"("emptyReason":{"text":"none"})"),
       List("snapshot", R"("emptyReason":{"text":"none"},)" + std::string(kListEntry) + "}]"),
       "List.emptyReason"},
      {"lst-2", List("changes", std::string(kListEntry) + R"(,"deleted":true}])"),
       List("snapshot", std::string(kListEntry) + R"(,"deleted":true}])"), "List.entry[0].deleted"},
      {"lst-3", List("working", std::string(kListEntry) + R"(,"date":"2020-01-01"}])"),
       List("snapshot", std::string(kListEntry) + R"(,"date":"2020-01-01"}])"),
       "List.entry[0].date"},
      {"mad-1", Administration(R"({"dose":{"value":1,"unit":"tablet"}})"),
       Administration(R"({"text":"one tablet"})"), "MedicationAdministration.dosage"},
      // Different precisions that overlap are not a violation.
      {"mdd-1", Dispense("2020-01-02", "2020-01-02T10:00:00Z"),
       Dispense("2020-01-02", "2020-01-01T23:59:59Z"), "MedicationDispense.whenHandedOver"},
      {"msq-3", Sequence(R"("type":"dna")"),
       R("MolecularSequence", R"("coordinateSystem":2,"type":"dna")"),
       "MolecularSequence.coordinateSystem"},
      {"msq-5", Sequence(R"("referenceSeq":{"genomeBuild":"GRCh38","chromosome":{"text":"1"}})"),
       Sequence(R"("referenceSeq":{"genomeBuild":"GRCh38"})"), "MolecularSequence.referenceSeq"},
      {"msq-6", Sequence(R"("referenceSeq":{"referenceSeqString":"ACGT"})"),
       Sequence(R"("referenceSeq":{"referenceSeqString":"ACGT","referenceSeqId":{"text":"x"}})"),
       "MolecularSequence.referenceSeq"},
      {"nor-1", Nutrition(R"(,"oralDiet":{"type":[{"text":"soft"}]})"), Nutrition(""),
       "NutritionOrder"},
      // Nested actions are checked by the same rule (contentReference).
      {"rqg-1", RequestGroup(R"({"action":[{"resource":{"reference":"ServiceRequest/1"}}]})"),
       RequestGroup(R"({"action":[{"title":"t"}]})"), "RequestGroup.action[0].action[0]"},
      {"inv-1@Task", Task("2020-01-01T10:00:00Z", "2020-01-01T10:00:00Z"),
       Task("2020-01-01T10:00:00Z", "2020-01-01T09:59:59Z"), "Task.lastModified"},
      // --- Conformance resources ---
      {"ig-1", GuideResource("g1", "4.0.1"), GuideResource("g2", "4.0.1"),
       "ImplementationGuide.definition.resource[0].groupingId"},
      {"ig-2", GuideResource("g1", "4.0.1"), GuideResource("g1", "4.0.0"),
       "ImplementationGuide.definition.resource[0].fhirVersion[0]"},
      {"md-1", MessageFocus("*"), MessageFocus("0"), "MessageDefinition.focus[0].max"},
      {"md-1", MessageFocus("+2"), MessageFocus("many"), "MessageDefinition.focus[0].max"},
      {"nsd-1", NamingSystem("root", R"({"type":"oid","value":"1.2.3"})"),
       NamingSystem("root", R"({"type":"uuid","value":"c757873d-ec9a-4326-a141-556f43239520"})"),
       "NamingSystem.uniqueId[0]"},
      {"nsd-2",
       NamingSystem("codesystem", R"({"type":"uri","value":"http://e.org/a","preferred":true},
           {"type":"oid","value":"1.2.3","preferred":true},
           {"type":"uri","value":"http://e.org/b","preferred":false})"),
       NamingSystem("codesystem", R"({"type":"uri","value":"http://e.org/a","preferred":true},
           {"type":"uri","value":"http://e.org/b","preferred":true})"),
       "NamingSystem.uniqueId[1]"},
      {"smp-1", Map(R"("target":[{"context":"t","contextType":"variable","element":"e"}])"),
       Map(R"("target":[{"element":"e"}])"), "StructureMap.group[0].rule[0].target[0]"},
      // A nested rule's targets are checked too (contentReference).
      {"smp-2", Map(R"("rule":[{"name":"n","source":[{"context":"src"}],"target":[{
           "context":"t","contextType":"type"}]}])"),
       Map(R"("rule":[{"name":"n","source":[{"context":"src"}],"target":[{"context":"t"}]}])"),
       "StructureMap.group[0].rule[0].rule[0].target[0]"},
      {"tcp-1", TermCaps(R"("kind":"requirements","description":"d","codeSystem":[{
           "uri":"http://e.org/cs","version":[{"code":"1"},{"code":"2"}]}])"),
       TermCaps(R"("kind":"requirements","description":"d","codeSystem":[{
           "uri":"http://e.org/cs","version":[{"code":"1"},{"isDefault":true}]}])"),
       "TerminologyCapabilities.codeSystem[0].version[1]"},
      {"tcp-2", TermCaps(R"("kind":"requirements","description":"d")"),
       TermCaps(R"("kind":"requirements")"), "TerminologyCapabilities"},
      {"tcp-3", TermCaps(R"("kind":"instance","implementation":{"description":"here"})"),
       TermCaps(R"("kind":"instance","description":"d")"), "TerminologyCapabilities"},
      {"tcp-4", TermCaps(R"("kind":"capability","software":{"name":"s"})"),
       TermCaps(R"("kind":"capability","description":"d")"), "TerminologyCapabilities"},
      {"tcp-5", TermCaps(R"("kind":"requirements","description":"d")"),
       TermCaps(R"("kind":"requirements","software":{"name":"s"})"), "TerminologyCapabilities"},
      // --- Machine-name warnings of the canonical resources ---
      {"cpd-0", Named("CompartmentDefinition", "Comp", R"("url":"http://e.org/c","status":"draft",
           "code":"Patient","search":true)"),
       Named("CompartmentDefinition", "Comp 1", R"("url":"http://e.org/c","status":"draft",
           "code":"Patient","search":true)"),
       "CompartmentDefinition.name"},
      {"ees-0", Named("EffectEvidenceSynthesis", "Ees", R"("status":"draft",
           "population":{"reference":"EvidenceVariable/1"},
           "exposure":{"reference":"EvidenceVariable/2"},
           "exposureAlternative":{"reference":"EvidenceVariable/3"},
           "outcome":{"reference":"EvidenceVariable/4"})"),
       Named("EffectEvidenceSynthesis", "ees", R"("status":"draft",
           "population":{"reference":"EvidenceVariable/1"},
           "exposure":{"reference":"EvidenceVariable/2"},
           "exposureAlternative":{"reference":"EvidenceVariable/3"},
           "outcome":{"reference":"EvidenceVariable/4"})"),
       "EffectEvidenceSynthesis.name"},
      {"esc-0", Named("ExampleScenario", "Scenario", R"("status":"draft")"),
       Named("ExampleScenario", "Scenario-1", R"("status":"draft")"), "ExampleScenario.name"},
      {"evd-0",
       Named("EventDefinition", "Event", R"("status":"draft","trigger":[{"type":"named-event",
           "name":"admit"}])"),
       Named("EventDefinition", "_Event", R"("status":"draft","trigger":[{"type":"named-event",
           "name":"admit"}])"),
       "EventDefinition.name"},
      {"evi-0", Named("Evidence", "Evidence", R"("status":"draft",
           "exposureBackground":{"reference":"EvidenceVariable/1"})"),
       Named("Evidence", "Evidence.1", R"("status":"draft",
           "exposureBackground":{"reference":"EvidenceVariable/1"})"),
       "Evidence.name"},
      {"evv-0", Named("EvidenceVariable", "Variable", R"("status":"draft")"),
       Named("EvidenceVariable", "variable", R"("status":"draft")"), "EvidenceVariable.name"},
      {"gdf-0", Named("GraphDefinition", "Graph", R"("status":"draft","start":"Patient")"),
       Named("GraphDefinition", "Graph!", R"("status":"draft","start":"Patient")"),
       "GraphDefinition.name"},
      {"ig-0", Guide(""), Replace(Guide(""), R"("name":"Guide")", R"("name":"a guide")"),
       "ImplementationGuide.name"},
      {"msd-0", Named("MessageDefinition", "Message", R"("status":"draft","date":"2020-01-01",
           "eventUri":"http://e.org/e")"),
       Named("MessageDefinition", "message", R"("status":"draft","date":"2020-01-01",
           "eventUri":"http://e.org/e")"),
       "MessageDefinition.name"},
      {"nsd-0", NamingSystem("root", R"({"type":"oid","value":"1.2.3"})"),
       Replace(NamingSystem("root", R"({"type":"oid","value":"1.2.3"})"), R"("name":"Ns")",
               R"("name":"N s")"),
       "NamingSystem.name"},
      {"red-0",
       Named("ResearchElementDefinition", "Element", R"("status":"draft","type":"population",
           "characteristic":[{"definitionCodeableConcept":{"text":"adults"}}])"),
       Named("ResearchElementDefinition", "9Element", R"("status":"draft","type":"population",
           "characteristic":[{"definitionCodeableConcept":{"text":"adults"}}])"),
       "ResearchElementDefinition.name"},
      {"rsd-0", Named("ResearchDefinition", "Research", R"("status":"draft",
           "population":{"reference":"ResearchElementDefinition/1"})"),
       Named("ResearchDefinition", "research", R"("status":"draft",
           "population":{"reference":"ResearchElementDefinition/1"})"),
       "ResearchDefinition.name"},
      {"rvs-0", Named("RiskEvidenceSynthesis", "Risk", R"("status":"draft",
           "population":{"reference":"EvidenceVariable/1"},
           "outcome":{"reference":"EvidenceVariable/2"})"),
       Named("RiskEvidenceSynthesis", "Risk%", R"("status":"draft",
           "population":{"reference":"EvidenceVariable/1"},
           "outcome":{"reference":"EvidenceVariable/2"})"),
       "RiskEvidenceSynthesis.name"},
      {"smp-0", Map(R"("target":[{"context":"t","contextType":"variable"}])"),
       Replace(Map(R"("target":[{"context":"t","contextType":"variable"}])"), R"("name":"Map")",
               R"("name":"map")"),
       "StructureMap.name"},
      {"tcp-0", TermCaps(R"("kind":"requirements","description":"d","name":"Caps")"),
       TermCaps(R"("kind":"requirements","description":"d","name":"Caps 2")"),
       "TerminologyCapabilities.name"},
      {"tst-0", Script(R"("title":"t")"),
       Replace(Script(R"("title":"t")"), R"("name":"Script")", R"("name":"script")"),
       "TestScript.name"},
      // --- TestScript ---
      {"tst-1", Setup(R"("operation":)" + std::string(kOperation)),
       Setup(R"("operation":)" + std::string(kOperation) + R"(,"assert":)" + std::string(kAssert)),
       "TestScript.setup.action[0]"},
      {"tst-2", TestAction(R"("assert":)" + std::string(kAssert)),
       TestAction(R"("operation":)" + std::string(kOperation) + R"(,"assert":)" +
                  std::string(kAssert)),
       "TestScript.test[0].action[0]"},
      {"tst-3", Script(R"("variable":[{"name":"v","expression":"Patient.id"}])"),
       Script(R"("variable":[{"name":"v","expression":"Patient.id","headerField":"ETag",
           "path":"f:id"}])"),
       "TestScript.variable[0]"},
      {"tst-4", Script(R"("metadata":{"capability":[{"required":true,"validated":false,
           "capabilities":"http://e.org/cs"}]})"),
       Script(R"("metadata":{"capability":[{"capabilities":"http://e.org/cs"}]})"),
       "TestScript.metadata",
       "capability.required and .validated are 1..1: leaving both out is also a cardinality "
       "error"},
      {"tst-5", Setup(R"("assert":)" + Assert(R"("response":"okay")")),
       Setup(R"("assert":)" + Assert(R"("response":"okay","responseCode":"200")")),
       "TestScript.setup.action[0].assert"},
      {"tst-6", TestAction(R"("assert":)" + Assert(R"("responseCode":"200")")),
       TestAction(R"("assert":)" + Assert(R"("resource":"Patient","path":"f:id")")),
       "TestScript.test[0].action[0].assert"},
      // An operation needs no target when its type says what it does.
      {"tst-7", Setup(R"("operation":)" + Op(R"("type":{"code":"search"},"url":"u","params":"p")")),
       Setup(R"("operation":)" + Op(R"("url":"u","params":"p")")),
       "TestScript.setup.action[0].operation"},
      {"tst-8", TestAction(R"("operation":)" + Op(R"("sourceId":"f1")")),
       TestAction(R"("operation":)" + Op()), "TestScript.test[0].action[0].operation"},
      {"tst-9", Teardown(Op(R"("targetId":"f1")")), Teardown(Op(R"("targetId":"f1","url":"u")")),
       "TestScript.teardown.action[0].operation"},
      {"tst-10",
       Setup(R"("assert":)" +
             Assert(R"("response":"okay","compareToSourceId":"f1","compareToSourcePath":"f:id")")),
       Setup(R"("assert":)" + Assert(R"("response":"okay","compareToSourceId":"f1")")),
       "TestScript.setup.action[0].assert"},
      {"tst-11", TestAction(R"("assert":)" + Assert(R"("response":"okay")")),
       TestAction(R"("assert":)" + Assert(R"("response":"okay",
           "compareToSourceExpression":"Patient.id")")),
       "TestScript.test[0].action[0].assert"},
      {"tst-12", Setup(R"("assert":)" + Assert(R"("direction":"response","response":"okay")")),
       Setup(R"("assert":)" + Assert(R"("direction":"request","response":"okay")")),
       "TestScript.setup.action[0].assert"},
      {"tst-13", TestAction(R"("assert":)" + Assert(R"("direction":"request",
           "contentType":"application/fhir+json")")),
       TestAction(R"("assert":)" + Assert(R"("direction":"request","responseCode":"200")")),
       "TestScript.test[0].action[0].assert"},
      // --- TestReport ---
      {"inv-1@TestReport.setup.action",
       Report(R"("setup":{"action":[{)" + std::string(kReportOperation) + "}]}"),
       Report(R"("setup":{"action":[{)" + std::string(kReportOperation) + "," +
              std::string(kReportAssert) + "}]}"),
       "TestReport.setup.action[0]"},
      {"inv-2", Report(R"("test":[{"action":[{)" + std::string(kReportAssert) + "}]}]"),
       Report(R"("test":[{"action":[{"extension":[{"url":"http://e.org/x",
           "valueString":"neither"}]}]}])"),
       "TestReport.test[0].action[0]"},
  };
  return *kCases;
}

class R4InvariantTest : public testing::TestWithParam<size_t> {};

TEST_P(R4InvariantTest, ValidInstanceHasNoIssues) {
  const Case& c = Cases()[GetParam()];
  EXPECT_TRUE(NoIssues(Validate(c.valid))) << c.valid;
}

TEST_P(R4InvariantTest, ViolationIsReportedWhereItIs) {
  const Case& c = Cases()[GetParam()];
  IssueList issues = Validate(c.violating);
  EXPECT_TRUE(HasInvariant(issues, c.key, c.expression)) << c.violating;
  std::string_view key = InvariantKey(c.key);
  std::optional<model::InvariantInfo> rule = model::FindInvariant(key);
  ASSERT_TRUE(rule.has_value()) << key;
  Severity severity = rule->severity == "warning" ? Severity::kWarning : Severity::kError;
  std::string prefix = std::string(key) + ":";
  for (const Issue& issue : issues) {
    bool is_this = issue.code == "invariant" && issue.diagnostics.starts_with(prefix);
    if (is_this) {
      EXPECT_EQ(issue.severity, severity) << issue.diagnostics;
    } else if (c.other_issues.empty()) {
      ADD_FAILURE() << "unexpected issue in " << c.violating << ":\n" << Describe(issues);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(R4Invariants, R4InvariantTest, testing::Range<size_t>(0, Cases().size()),
                         [](const testing::TestParamInfo<size_t>& param_info) {
                           std::string name = Cases()[param_info.param].key + "_" +
                                              std::to_string(param_info.param);
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// The diagnostics of a key R4 uses for several rules carry the rule of the element it is on.
TEST(R4InvariantText, SharedKeyNamesTheRuleOfItsElement) {
  IssueList task = Validate(Task("2020-01-02", "2020-01-01"));
  ASSERT_EQ(task.size(), 1u) << Describe(task);
  EXPECT_EQ(task[0].diagnostics,
            "inv-1: " + std::string(model::FindInvariant("inv-1", "Task")->human));
  IssueList parameters = Validate(R"({"resourceType":"Parameters","parameter":[{"name":"a"}]})");
  ASSERT_EQ(parameters.size(), 1u) << Describe(parameters);
  EXPECT_EQ(parameters[0].diagnostics,
            "inv-1: " + std::string(model::FindInvariant("inv-1", "Parameters.parameter")->human));
  EXPECT_NE(task[0].diagnostics, parameters[0].diagnostics);
}

// Only what R4 forbids: valid values of md-1, mdd-1 and lst-2/3 in their other forms.
TEST(R4InvariantEdges, AllowedForms) {
  EXPECT_TRUE(NoIssues(Validate(MessageFocus("0010"))));
  EXPECT_TRUE(NoIssues(Validate(Dispense("2020-01", "2020-01-15"))));  // overlapping precision
  EXPECT_TRUE(NoIssues(Validate(Task("2020-01-01T10:00:00+01:00", "2020-01-01T09:00:00Z"))));
  EXPECT_TRUE(HasInvariant(Validate(MessageFocus("-1")), "md-1", "MessageDefinition.focus[0].max"));
  EXPECT_TRUE(
      HasInvariant(Validate(MessageFocus("2147483648")), "md-1", "MessageDefinition.focus[0].max"));
  EXPECT_TRUE(HasInvariant(Validate(Task("2020-01-01T10:00:00+01:00", "2020-01-01T08:59:59Z")),
                           "inv-1@Task", "Task.lastModified"));
}

// cid-0 is a name rule on a resource R4 gives no name: it is listed as not implemented.
TEST(R4InvariantEdges, ChargeItemDefinitionHasNoName) {
  EXPECT_FALSE(model::FindElement("ChargeItemDefinition.name"));
  IssueList issues = Validate(
      R"({"resourceType":"ChargeItemDefinition","url":"http://e.org/c","status":"draft",
          "name":"fee"})");
  EXPECT_TRUE(testing_util::HasIssue(issues, "structure", "ChargeItemDefinition.name"));
  EXPECT_EQ(issues.size(), 1u) << Describe(issues);
}

}  // namespace

namespace testing_util {

std::set<std::string> R4InvariantCaseKeys() {
  std::set<std::string> keys;
  for (const Case& c : Cases()) keys.insert(c.key);
  return keys;
}

}  // namespace testing_util
}  // namespace fhir::validation
