// Invariants of the conformance resources (CapabilityStatement, CodeSystem, ConceptMap,
// ImplementationGuide, MessageDefinition, NamingSystem, OperationDefinition, SearchParameter,
// StructureMap, TerminologyCapabilities, ValueSet) and the machine-name warnings (xxx-0) of the
// canonical resources. StructureDefinition's sdf-* and ElementDefinition's eld-* rules live in
// invariants_structure.cpp, TestScript's and TestReport's in invariants_testing.cpp.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fhir/validation/invariants.h"
#include "fhir/validation/invariants_util.h"
#include "fhir/validation/validator.h"

namespace fhir::validation::internal {
namespace {

// name.matches('[A-Z]([A-Za-z0-9_]){0,254}'), a warning on the canonical resources.
template <const char* kKey>
void MachineName(const json::Value& obj, Context& ctx) {
  if (Has(obj, "name") && !IsMachineName(Str(obj, "name"))) ctx.Invariant(kKey, ".name");
}
constexpr char kAdf0[] = "adf-0", kCpb0[] = "cpb-0", kCpd0[] = "cpd-0", kCsd0[] = "csd-0",
               kCmd0[] = "cmd-0", kEes0[] = "ees-0", kEsc0[] = "esc-0", kEvd0[] = "evd-0",
               kEvi0[] = "evi-0", kEvv0[] = "evv-0", kGdf0[] = "gdf-0", kIg0[] = "ig-0",
               kLib0[] = "lib-0", kMea0[] = "mea-0", kMsd0[] = "msd-0", kNsd0[] = "nsd-0",
               kOpd0[] = "opd-0", kPdf0[] = "pdf-0", kQue0[] = "que-0", kRed0[] = "red-0",
               kRsd0[] = "rsd-0", kRvs0[] = "rvs-0", kSdf0[] = "sdf-0", kSmp0[] = "smp-0",
               kSpd0[] = "spd-0", kTcp0[] = "tcp-0", kTst0[] = "tst-0", kVsd0[] = "vsd-0";

// --- CapabilityStatement, TerminologyCapabilities --------------------------------------------

// The rules both capability statements make on description/software/implementation by kind.
struct KindRuleKeys {
  std::string_view described;     // description, software or implementation is present
  std::string_view instance;      // kind = instance: implementation present
  std::string_view capability;    // kind = capability: software, no implementation
  std::string_view requirements;  // kind = requirements: neither
};

void KindRules(const json::Value& obj, const KindRuleKeys& keys, Context& ctx) {
  if (Count(obj, "description") + Count(obj, "software") + Count(obj, "implementation") == 0) {
    ctx.Invariant(keys.described);
  }
  std::string_view kind = Str(obj, "kind");
  bool implementation = Has(obj, "implementation");
  bool software = Has(obj, "software");
  if (kind == "instance" && !implementation) ctx.Invariant(keys.instance);
  if (kind == "capability" && (implementation || !software)) ctx.Invariant(keys.capability);
  if (kind == "requirements" && (implementation || software)) ctx.Invariant(keys.requirements);
}

void CapabilityStatement(const json::Value& obj, Context& ctx) {
  if (!Has(obj, "rest") && !Has(obj, "messaging") && !Has(obj, "document")) {
    ctx.Invariant("cpb-1");
  }
  KindRules(obj, {"cpb-2", "cpb-14", "cpb-15", "cpb-16"}, ctx);
  std::string_view kind = Str(obj, "kind");
  for (const json::Value& messaging : Items(obj, "messaging")) {
    if (Has(messaging, "endpoint") && kind != "instance") ctx.Invariant("cpb-3");
  }
  std::vector<std::string> documents;
  for (const json::Value& document : Items(obj, "document")) {
    documents.push_back(std::string(Str(document, "profile")) + "\n" +
                        std::string(Str(document, "mode")));
  }
  if (FirstDuplicate(documents) != kNoDuplicate) ctx.Invariant("cpb-7");
}

void CapabilityRest(const json::Value& obj, Context& ctx) {
  size_t dup = FirstDuplicate(Values(obj, "resource", "type"));
  if (dup != kNoDuplicate) ctx.Invariant("cpb-9", Indexed("resource", dup));
}

void CapabilityRestResource(const json::Value& obj, Context& ctx) {
  size_t dup = FirstDuplicate(Values(obj, "searchParam", "name"));
  if (dup != kNoDuplicate) ctx.Invariant("cpb-12", Indexed("searchParam", dup));
}

void TerminologyCapabilities(const json::Value& obj, Context& ctx) {
  KindRules(obj, {"tcp-2", "tcp-3", "tcp-4", "tcp-5"}, ctx);
}

// tcp-1: version.count() > 1 implies version.all(code.exists())
void TerminologyCodeSystem(const json::Value& obj, Context& ctx) {
  std::span<const json::Value> versions = Items(obj, "version");
  if (versions.size() < 2) return;
  for (size_t i = 0; i < versions.size(); ++i) {
    if (!Has(versions[i], "code")) ctx.Invariant("tcp-1", Indexed("version", i));
  }
}

// --- CodeSystem, ConceptMap, ValueSet --------------------------------------------------------

void CollectCodes(const json::Value& obj, int depth, std::vector<std::string>& codes) {
  if (depth > kMaxValidationDepth) return;
  for (const json::Value& item : Items(obj, "concept")) {
    codes.emplace_back(Str(item, "code"));
    CollectCodes(item, depth + 1, codes);
  }
}

// csd-1: every code, at any depth, is unique.
void CodeSystem(const json::Value& obj, Context& ctx) {
  std::vector<std::string> codes;
  CollectCodes(obj, 0, codes);
  if (FirstDuplicate(codes) != kNoDuplicate) ctx.Invariant("csd-1");
}

void ConceptMapTarget(const json::Value& obj, Context& ctx) {
  std::string_view equivalence = Str(obj, "equivalence");
  if (!Has(obj, "comment") && (equivalence == "narrower" || equivalence == "inexact")) {
    ctx.Invariant("cmd-1");
  }
}

void ConceptMapUnmapped(const json::Value& obj, Context& ctx) {
  std::string_view mode = Str(obj, "mode");
  if (mode == "fixed" && !Has(obj, "code")) ctx.Invariant("cmd-2");
  if (mode == "other-map" && !Has(obj, "url")) ctx.Invariant("cmd-3");
}

void ValueSetInclude(const json::Value& obj, Context& ctx) {
  bool system = Has(obj, "system");
  if (!Has(obj, "valueSet") && !system) ctx.Invariant("vsd-1");
  bool concepts = Has(obj, "concept");
  bool filter = Has(obj, "filter");
  if ((concepts || filter) && !system) ctx.Invariant("vsd-2");
  if (concepts && filter) ctx.Invariant("vsd-3");
}

void ValueSetContains(const json::Value& obj, Context& ctx) {
  bool code = Has(obj, "code");
  if (!code && !Has(obj, "display")) ctx.Invariant("vsd-6");
  if (!code && !IsTrue(obj, "abstract")) ctx.Invariant("vsd-9");
  if (code && !Has(obj, "system")) ctx.Invariant("vsd-10");
}

// --- ImplementationGuide, MessageDefinition, NamingSystem, StructureMap ---------------------

// ig-2: definition.resource.fhirVersion.all(%context.fhirVersion contains $this)
void ImplementationGuide(const json::Value& obj, Context& ctx) {
  std::vector<std::string_view> versions;
  for (const json::Value& v : Items(obj, "fhirVersion")) {
    if (v.is_string()) versions.push_back(v.text());
  }
  for (const json::Value& definition : Items(obj, "definition")) {
    std::span<const json::Value> resources = Items(definition, "resource");
    for (size_t r = 0; r < resources.size(); ++r) {
      std::span<const json::Value> own = Items(resources[r], "fhirVersion");
      for (size_t i = 0; i < own.size(); ++i) {
        if (own[i].is_string() &&
            std::find(versions.begin(), versions.end(), own[i].text()) == versions.end()) {
          ctx.Invariant("ig-2", ".definition" + Indexed("resource", r) + Indexed("fhirVersion", i));
        }
      }
    }
  }
}

// ig-1: resource.groupingId.all(%context.grouping.id contains $this)
void ImplementationGuideDefinition(const json::Value& obj, Context& ctx) {
  std::vector<std::string> groupings = Values(obj, "grouping", "id");
  std::span<const json::Value> resources = Items(obj, "resource");
  for (size_t r = 0; r < resources.size(); ++r) {
    std::string_view grouping = Str(resources[r], "groupingId");
    if (!grouping.empty() &&
        std::find(groupings.begin(), groupings.end(), grouping) == groupings.end()) {
      ctx.Invariant("ig-1", Indexed("resource", r) + ".groupingId");
    }
  }
}

// toInteger() > 0: an optional '+' and digits, within the 32-bit FHIRPath Integer, not 0.
bool IsPositiveInteger(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
  if (s.empty() || s.size() > 10 || s == "0") return false;
  int64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value <= 2147483647;
}

// md-1: max='*' or (max.toInteger() > 0)
void MessageDefinitionFocus(const json::Value& obj, Context& ctx) {
  std::string_view max = Str(obj, "max");
  if (!max.empty() && max != "*" && !IsPositiveInteger(max)) ctx.Invariant("md-1", ".max");
}

void NamingSystem(const json::Value& obj, Context& ctx) {
  std::span<const json::Value> ids = Items(obj, "uniqueId");
  bool root = Str(obj, "kind") == "root";
  std::vector<std::string_view> preferred_types;
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string_view type = Str(ids[i], "type");
    // nsd-1: kind != 'root' or uniqueId.all(type != 'uuid')
    if (root && type == "uuid") ctx.Invariant("nsd-1", Indexed("uniqueId", i));
    // nsd-2: uniqueId.where(preferred = true).select(type).isDistinct()
    if (!IsTrue(ids[i], "preferred") || type.empty()) continue;
    if (std::find(preferred_types.begin(), preferred_types.end(), type) != preferred_types.end()) {
      ctx.Invariant("nsd-2", Indexed("uniqueId", i));
    } else {
      preferred_types.push_back(type);
    }
  }
}

void StructureMapTarget(const json::Value& obj, Context& ctx) {
  bool context = Has(obj, "context");
  if (Has(obj, "element") && !context) ctx.Invariant("smp-1");
  if (context && !Has(obj, "contextType")) ctx.Invariant("smp-2");
}

// --- OperationDefinition, SearchParameter ----------------------------------------------------

void OperationParameter(const json::Value& obj, Context& ctx) {
  std::string_view type = Str(obj, "type");
  if (!Has(obj, "type") && !Has(obj, "part")) ctx.Invariant("opd-1");
  if (Has(obj, "searchType") && type != "string") ctx.Invariant("opd-2");
  if (Has(obj, "targetProfile") && type != "Reference" && type != "canonical") {
    ctx.Invariant("opd-3");
  }
}

void SearchParameter(const json::Value& obj, Context& ctx) {
  if (Has(obj, "xpath") && !Has(obj, "xpathUsage")) ctx.Invariant("spd-1");
  if (Has(obj, "chain") && Str(obj, "type") != "reference") ctx.Invariant("spd-2");
}

constexpr InvariantEntry kEntries[] = {
    {"ActivityDefinition", MachineName<kAdf0>},
    {"CapabilityStatement", MachineName<kCpb0>},
    {"CapabilityStatement", CapabilityStatement},
    {"CapabilityStatement.rest", CapabilityRest},
    {"CapabilityStatement.rest.resource", CapabilityRestResource},
    {"CodeSystem", MachineName<kCsd0>},
    {"CodeSystem", CodeSystem},
    {"CompartmentDefinition", MachineName<kCpd0>},
    {"ConceptMap", MachineName<kCmd0>},
    {"ConceptMap.group.element.target", ConceptMapTarget},
    {"ConceptMap.group.unmapped", ConceptMapUnmapped},
    {"EffectEvidenceSynthesis", MachineName<kEes0>},
    {"EventDefinition", MachineName<kEvd0>},
    {"Evidence", MachineName<kEvi0>},
    {"EvidenceVariable", MachineName<kEvv0>},
    {"ExampleScenario", MachineName<kEsc0>},
    {"GraphDefinition", MachineName<kGdf0>},
    {"ImplementationGuide", MachineName<kIg0>},
    {"ImplementationGuide", ImplementationGuide},
    {"ImplementationGuide.definition", ImplementationGuideDefinition},
    {"Library", MachineName<kLib0>},
    {"Measure", MachineName<kMea0>},
    {"MessageDefinition", MachineName<kMsd0>},
    {"MessageDefinition.focus", MessageDefinitionFocus},
    {"NamingSystem", MachineName<kNsd0>},
    {"NamingSystem", NamingSystem},
    {"OperationDefinition", MachineName<kOpd0>},
    {"OperationDefinition.parameter", OperationParameter},
    {"PlanDefinition", MachineName<kPdf0>},
    {"Questionnaire", MachineName<kQue0>},
    {"ResearchDefinition", MachineName<kRsd0>},
    {"ResearchElementDefinition", MachineName<kRed0>},
    {"RiskEvidenceSynthesis", MachineName<kRvs0>},
    {"SearchParameter", MachineName<kSpd0>},
    {"SearchParameter", SearchParameter},
    {"StructureDefinition", MachineName<kSdf0>},
    {"StructureMap", MachineName<kSmp0>},
    {"StructureMap.group.rule.target", StructureMapTarget},
    {"TerminologyCapabilities", MachineName<kTcp0>},
    {"TerminologyCapabilities", TerminologyCapabilities},
    {"TerminologyCapabilities.codeSystem", TerminologyCodeSystem},
    {"TestScript", MachineName<kTst0>},
    {"ValueSet", MachineName<kVsd0>},
    {"ValueSet.compose.include", ValueSetInclude},
    {"ValueSet.expansion.contains", ValueSetContains},
};

}  // namespace

std::span<const InvariantEntry> ConformanceInvariants() { return kEntries; }

}  // namespace fhir::validation::internal
