// Invariants of the conformance resources (CapabilityStatement, CodeSystem, ConceptMap,
// OperationDefinition, SearchParameter, ValueSet), the machine-name warnings (xxx-0) of the
// canonical resources, and the ElementDefinition datatype (eld-*). StructureDefinition's
// sdf-* rules live in invariants_structure.cpp.

#include <algorithm>
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
constexpr char kAdf0[] = "adf-0", kCpb0[] = "cpb-0", kCsd0[] = "csd-0", kCmd0[] = "cmd-0",
               kLib0[] = "lib-0", kMea0[] = "mea-0", kOpd0[] = "opd-0", kPdf0[] = "pdf-0",
               kQue0[] = "que-0", kSdf0[] = "sdf-0", kSpd0[] = "spd-0", kVsd0[] = "vsd-0";

// --- CapabilityStatement ---------------------------------------------------------------------

void CapabilityStatement(const json::Value& obj, Context& ctx) {
  if (!Has(obj, "rest") && !Has(obj, "messaging") && !Has(obj, "document")) {
    ctx.Invariant("cpb-1");
  }
  if (Count(obj, "description") + Count(obj, "software") + Count(obj, "implementation") == 0) {
    ctx.Invariant("cpb-2");
  }
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
  bool implementation = Has(obj, "implementation");
  bool software = Has(obj, "software");
  if (kind == "instance" && !implementation) ctx.Invariant("cpb-14");
  if (kind == "capability" && (implementation || !software)) ctx.Invariant("cpb-15");
  if (kind == "requirements" && (implementation || software)) ctx.Invariant("cpb-16");
}

void CapabilityRest(const json::Value& obj, Context& ctx) {
  size_t dup = FirstDuplicate(Values(obj, "resource", "type"));
  if (dup != kNoDuplicate) ctx.Invariant("cpb-9", Indexed("resource", dup));
}

void CapabilityRestResource(const json::Value& obj, Context& ctx) {
  size_t dup = FirstDuplicate(Values(obj, "searchParam", "name"));
  if (dup != kNoDuplicate) ctx.Invariant("cpb-12", Indexed("searchParam", dup));
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
    {"ConceptMap", MachineName<kCmd0>},
    {"ConceptMap.group.element.target", ConceptMapTarget},
    {"ConceptMap.group.unmapped", ConceptMapUnmapped},
    {"Library", MachineName<kLib0>},
    {"Measure", MachineName<kMea0>},
    {"OperationDefinition", MachineName<kOpd0>},
    {"OperationDefinition.parameter", OperationParameter},
    {"PlanDefinition", MachineName<kPdf0>},
    {"Questionnaire", MachineName<kQue0>},
    {"SearchParameter", MachineName<kSpd0>},
    {"SearchParameter", SearchParameter},
    {"StructureDefinition", MachineName<kSdf0>},
    {"ValueSet", MachineName<kVsd0>},
    {"ValueSet.compose.include", ValueSetInclude},
    {"ValueSet.expansion.contains", ValueSetContains},
};

}  // namespace

std::span<const InvariantEntry> ConformanceInvariants() { return kEntries; }

}  // namespace fhir::validation::internal
