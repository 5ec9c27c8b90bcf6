#include "fhir/validation/invariants.h"

#include <algorithm>

namespace fhir::validation::internal {
namespace {

const std::vector<InvariantEntry>& AllEntries() {
  static const std::vector<InvariantEntry>* const kEntries = [] {
    auto* entries = new std::vector<InvariantEntry>();
    for (auto table : {DatatypeInvariants(), ResourceInvariants(), ConformanceInvariants(),
                       QuestionnaireInvariants(), StructureInvariants()}) {
      entries->insert(entries->end(), table.begin(), table.end());
    }
    std::stable_sort(entries->begin(), entries->end(),
                     [](const InvariantEntry& a, const InvariantEntry& b) {
                       return a.definition < b.definition;
                     });
    return entries;
  }();
  return *kEntries;
}

}  // namespace

void RunInvariants(std::string_view definition, const json::Value& obj, Context& ctx) {
  const std::vector<InvariantEntry>& entries = AllEntries();
  auto it = std::lower_bound(
      entries.begin(), entries.end(), definition,
      [](const InvariantEntry& e, std::string_view d) { return e.definition < d; });
  for (; it != entries.end() && it->definition == definition; ++it) it->fn(obj, ctx);
}

const std::vector<std::string_view>& ImplementedInvariants() {
  static const std::vector<std::string_view> kKeys = {
      // Elements and datatypes.
      "ele-1", "ext-1", "att-1", "cpt-2", "per-1", "qty-3", "age-1", "cnt-3", "dis-1", "drt-1",
      "mqty-1", "sqty-1", "rng-2", "rat-1", "ref-1", "tim-1", "tim-2", "tim-4", "tim-5", "tim-6",
      "tim-7", "tim-8", "tim-9", "tim-10", "exp-1", "drq-1", "drq-2", "trd-1", "trd-2", "trd-3",
      "txt-1", "txt-2",
      // ElementDefinition.
      "eld-1", "eld-2", "eld-3", "eld-4", "eld-5", "eld-6", "eld-7", "eld-8", "eld-11", "eld-12",
      "eld-13", "eld-14", "eld-15", "eld-16", "eld-17", "eld-18", "eld-19", "eld-20", "eld-21",
      "eld-22",
      // Resources.
      "dom-2", "dom-3", "dom-4", "dom-5", "app-1", "app-2", "app-3", "app-4", "sev-1", "bdl-1",
      "bdl-2", "bdl-3", "bdl-4", "bdl-5", "bdl-7", "bdl-8", "bdl-9", "bdl-10", "bdl-11", "bdl-12",
      "cpl-3", "con-1", "con-2", "con-3", "con-4", "con-5", "ppc-1", "ppc-2", "ppc-3", "ppc-4",
      "ppc-5", "grp-1", "mea-1", "mrp-1", "mrp-2", "obs-3", "obs-6", "obs-7", "org-1", "org-2",
      "org-3", "inv-1", "pat-1", "ras-1", "ras-2", "prr-1",
      // Conformance resources.
      "cpb-1", "cpb-2", "cpb-3", "cpb-7", "cpb-9", "cpb-12", "cpb-14", "cpb-15", "cpb-16", "csd-1",
      "cmd-1", "cmd-2", "cmd-3", "opd-1", "opd-2", "opd-3", "spd-1", "spd-2", "vsd-1", "vsd-2",
      "vsd-3", "vsd-6", "vsd-9", "vsd-10", "sdf-1", "sdf-2", "sdf-3", "sdf-4", "sdf-5", "sdf-6",
      "sdf-8", "sdf-8a", "sdf-8b", "sdf-9", "sdf-10", "sdf-11", "sdf-14", "sdf-15", "sdf-15a",
      "sdf-16", "sdf-17", "sdf-18", "sdf-19", "sdf-20", "sdf-21", "sdf-22", "sdf-23", "adf-0",
      "cpb-0", "csd-0", "cmd-0", "lib-0", "mea-0", "opd-0", "pdf-0", "que-0", "sdf-0", "spd-0",
      "vsd-0",
      // Questionnaire and QuestionnaireResponse.
      "que-1", "que-2", "que-3", "que-4", "que-5", "que-6", "que-7", "que-8", "que-9", "que-10",
      "que-11", "que-12", "que-13", "qrs-1", "qrs-2"};
  return kKeys;
}

const std::vector<std::string_view>& NotImplementedInvariants() {
  static const std::vector<std::string_view> kKeys = {
      "dom-6",  // best-practice warning (resource should have narrative); too noisy for writes
      "ctm-1",  // needs resolve() of CareTeam.participant.member
  };
  return kKeys;
}

}  // namespace fhir::validation::internal
