#include "fhir/model/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/validation/invariants.h"

namespace fhir::model {
namespace {

TEST(ModelResourceTypes, AllConcreteR4TypesSorted) {
  const std::vector<std::string>& types = ResourceTypes();
  EXPECT_EQ(types.size(), 146u);  // R4 4.0.1: 148 resource definitions, two of them abstract
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
  for (const std::string& t : types) {
    EXPECT_TRUE(IsResourceType(t)) << t;
    TypeDef def = FindResourceType(t);
    ASSERT_TRUE(def) << t;
    EXPECT_EQ(def.kind(), TypeKind::kResource);
    EXPECT_FALSE(def.elements().empty());
  }
  EXPECT_TRUE(IsResourceType("Patient"));
  EXPECT_TRUE(IsResourceType("QuestionnaireResponse"));
  EXPECT_TRUE(IsResourceType("DiagnosticReport"));
  EXPECT_TRUE(IsResourceType("Goal"));
  EXPECT_TRUE(IsResourceType("Specimen"));
  EXPECT_FALSE(IsResourceType("Resource"));        // abstract
  EXPECT_FALSE(IsResourceType("DomainResource"));  // abstract
  EXPECT_TRUE(IsR4ResourceName("DomainResource"));
  EXPECT_FALSE(IsResourceType("HumanName"));  // a datatype
  EXPECT_FALSE(IsResourceType("patient"));
  EXPECT_FALSE(IsResourceType(""));
}

// The definitions we are given carry one R4B (4.3.0) resource, SubscriptionStatus; the
// generator leaves it out, with its invariants (sst-1, dom-r4b).
TEST(ModelResourceTypes, NoR4BTypes) {
  EXPECT_FALSE(IsResourceType("SubscriptionStatus"));
  EXPECT_FALSE(IsR4ResourceName("SubscriptionStatus"));
  EXPECT_FALSE(FindType("SubscriptionStatus"));
  EXPECT_FALSE(FindInvariant("sst-1").has_value());
  EXPECT_FALSE(FindInvariant("dom-r4b").has_value());
}

TEST(ModelResourceTypes, AllR4NamesAreKnownForReferences) {
  EXPECT_TRUE(IsR4ResourceName("DiagnosticReport"));
  EXPECT_TRUE(IsR4ResourceName("Device"));
  EXPECT_TRUE(IsR4ResourceName("Patient"));
  EXPECT_FALSE(IsR4ResourceName("Foo"));
  EXPECT_FALSE(IsR4ResourceName("HumanName"));
}

TEST(ModelElements, SummaryAndMandatoryTopLevelElements) {
  EXPECT_TRUE(IsSummaryElement("Patient", "name"));
  EXPECT_TRUE(IsSummaryElement("Patient", "id"));
  EXPECT_TRUE(IsSummaryElement("Patient", "meta"));
  EXPECT_FALSE(IsSummaryElement("Patient", "photo"));
  EXPECT_FALSE(IsSummaryElement("Patient", "contact"));
  EXPECT_TRUE(IsSummaryElement("Observation", "value[x]"));
  EXPECT_TRUE(IsSummaryElement("Observation", "valueQuantity"));
  EXPECT_FALSE(IsSummaryElement("Patient", "nonsense"));
  EXPECT_FALSE(IsSummaryElement("Nonsense", "id"));
  EXPECT_TRUE(IsMandatoryElement("Observation", "status"));
  EXPECT_TRUE(IsMandatoryElement("Observation", "code"));
  EXPECT_FALSE(IsMandatoryElement("Observation", "subject"));
  EXPECT_TRUE(IsMandatoryElement("Bundle", "type"));
  EXPECT_TRUE(IsMandatoryElement("QuestionnaireResponse", "status"));
  EXPECT_FALSE(IsMandatoryElement("Patient", "gender"));
}

TEST(ModelElements, CardinalityTypesAndArrays) {
  ElementDef name = FindElement("Patient.name");
  ASSERT_TRUE(name);
  EXPECT_EQ(name.min(), 0u);
  EXPECT_EQ(name.max(), kUnboundedMax);
  EXPECT_TRUE(name.is_array());
  ASSERT_EQ(name.type_count(), 1u);
  EXPECT_EQ(name.type(0).code(), "HumanName");
  EXPECT_EQ(name.type(0).definition().name(), "HumanName");
  ElementDef gender = FindElement("Patient.gender");
  ASSERT_TRUE(gender);
  EXPECT_FALSE(gender.is_array());
  EXPECT_EQ(gender.type(0).primitive(), PrimitiveType::kCode);
  ElementDef id = FindElement("Patient.id");
  ASSERT_TRUE(id);
  EXPECT_EQ(id.type(0).code(), "id");  // Resource.id is an id, not a string
  ElementDef element_id = FindElement("HumanName.id");
  ASSERT_TRUE(element_id);
  EXPECT_EQ(element_id.type(0).code(), "string");
  EXPECT_FALSE(FindElement("Patient.nonsense"));
  EXPECT_FALSE(FindElement("Nonsense.id"));
}

TEST(ModelElements, ChoiceTypes) {
  ElementDef value = FindElement("Observation.value");
  ASSERT_TRUE(value);
  EXPECT_TRUE(value.is_choice());
  EXPECT_EQ(value.name(), "value");
  EXPECT_TRUE(value.FindChoiceType("Quantity"));
  EXPECT_TRUE(value.FindChoiceType("DateTime"));
  EXPECT_EQ(value.FindChoiceType("DateTime").code(), "dateTime");
  EXPECT_FALSE(value.FindChoiceType("Money"));
  EXPECT_FALSE(value.FindChoiceType("dateTime"));  // JSON names capitalise the type
  TypeDef observation = FindResourceType("Observation");
  auto match = observation.elements().Match("valueCodeableConcept");
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->element, value);
  EXPECT_EQ(match->type.code(), "CodeableConcept");
  EXPECT_FALSE(observation.elements().Match("value").has_value());
  EXPECT_FALSE(observation.elements().Match("valueFoo").has_value());
}

TEST(ModelElements, BackboneAndContentReference) {
  ElementDef item = FindElement("Questionnaire.item");
  ASSERT_TRUE(item);
  EXPECT_FALSE(item.children().empty());
  EXPECT_TRUE(item.children().Find("linkId"));
  ElementDef nested = FindElement("Questionnaire.item.item");
  ASSERT_TRUE(nested);
  EXPECT_TRUE(nested.has_content_reference());
  EXPECT_EQ(nested.definition_path(), "Questionnaire.item");
  EXPECT_EQ(nested.children().size(), item.children().size());
  ElementDef deep = FindElement("Questionnaire.item.item.item.enableWhen.operator");
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep.min(), 1u);
  EXPECT_TRUE(FindElement("QuestionnaireResponse.item.answer.item.linkId"));
  EXPECT_EQ(FindElement("Bundle.entry.resource").type(0).code(), "Resource");
}

TEST(ModelElements, ReferenceTargetsAndProfiles) {
  TypeRef subject = FindElement("Observation.subject").type(0);
  EXPECT_EQ(subject.code(), "Reference");
  EXPECT_TRUE(subject.AllowsTarget("Patient"));
  EXPECT_TRUE(subject.AllowsTarget("Group"));
  EXPECT_FALSE(subject.AllowsTarget("Organization"));
  TypeRef any = FindElement("Observation.focus").type(0);
  EXPECT_TRUE(any.AllowsTarget("Organization"));  // Reference(Any)
  TypeRef canonical = FindElement("QuestionnaireResponse.questionnaire").type(0);
  EXPECT_EQ(canonical.code(), "canonical");
  ASSERT_EQ(canonical.target_count(), 1u);
  EXPECT_EQ(canonical.target(0), "Questionnaire");
  // A Quantity profiled as SimpleQuantity is validated against SimpleQuantity.
  TypeRef simple = FindElement("Observation.referenceRange.low").type(0);
  EXPECT_EQ(simple.code(), "Quantity");
  EXPECT_EQ(simple.definition().name(), "SimpleQuantity");
  EXPECT_EQ(simple.definition().elements().Find("comparator").max(), 0u);
  EXPECT_EQ(FindType("Age").base(), "Quantity");
}

TEST(ModelBindings, RequiredBindingsAreExpanded) {
  Binding gender = FindElement("Patient.gender").binding();
  ASSERT_TRUE(gender);
  EXPECT_TRUE(gender.checkable());
  EXPECT_EQ(gender.value_set(), "http://hl7.org/fhir/ValueSet/administrative-gender");
  EXPECT_EQ(gender.code_count(), 4u);
  EXPECT_TRUE(gender.ContainsCode("female"));
  EXPECT_TRUE(gender.ContainsCode("unknown"));
  EXPECT_FALSE(gender.ContainsCode("unknownx"));
  EXPECT_TRUE(gender.HasSystem("http://hl7.org/fhir/administrative-gender"));
  // Nested concepts of a hierarchical code system are included.
  Binding issue_type = FindElement("OperationOutcome.issue.code").binding();
  ASSERT_TRUE(issue_type);
  EXPECT_TRUE(issue_type.ContainsCode("invalid"));
  EXPECT_TRUE(issue_type.ContainsCode("structure"));  // a child of "invalid"
  EXPECT_TRUE(issue_type.ContainsCode("too-costly"));
  // CodeableConcept bindings keep the system.
  Binding clinical = FindElement("Condition.clinicalStatus").binding();
  ASSERT_TRUE(clinical);
  EXPECT_TRUE(clinical.ContainsCoding("http://terminology.hl7.org/CodeSystem/condition-clinical",
                                      "active"));
  EXPECT_FALSE(clinical.ContainsCoding("http://example.org", "active"));
  // Listed concepts from an external system (UCUM units of time).
  Binding units = FindElement("Timing.repeat.periodUnit").binding();
  ASSERT_TRUE(units);
  EXPECT_TRUE(units.checkable());
  EXPECT_TRUE(units.ContainsCode("wk"));
  EXPECT_FALSE(units.ContainsCode("week"));
  // External code systems cannot be expanded here: not checkable.
  Binding mime = FindElement("Attachment.contentType").binding();
  ASSERT_TRUE(mime);
  EXPECT_FALSE(mime.checkable());
  EXPECT_FALSE(FindElement("Patient.maritalStatus").binding());  // extensible, not required
}

TEST(ModelInvariants, EveryInvariantIsImplementedOrListedAsNot) {
  const auto& implemented = validation::internal::ImplementedInvariants();
  const auto& skipped = validation::internal::NotImplementedInvariants();
  std::set<std::string_view> known(implemented.begin(), implemented.end());
  for (std::string_view key : skipped) {
    EXPECT_TRUE(known.insert(key).second) << key << " is listed as both";
  }
  std::vector<InvariantInfo> all = AllInvariants();
  EXPECT_GT(all.size(), 150u);
  std::map<std::string_view, int> rules_per_key;
  for (const InvariantInfo& info : all) ++rules_per_key[info.key];
  for (const InvariantInfo& info : all) {
    // A key R4 uses for several rules is listed once per rule, as "key@context".
    std::string name(info.key);
    if (rules_per_key[info.key] > 1) name += "@" + std::string(info.context);
    EXPECT_TRUE(known.count(name)) << name << " (" << info.context << "): " << info.human;
  }
  auto que1 = FindInvariant("que-1");
  ASSERT_TRUE(que1.has_value());
  EXPECT_EQ(que1->severity, "error");
  EXPECT_EQ(que1->context, "Questionnaire.item");
  EXPECT_EQ(FindInvariant("que-0")->severity, "warning");
  EXPECT_FALSE(FindInvariant("xyz-1").has_value());
}

TEST(ModelInvariants, OneKeyForSeveralRulesKeepsEachRule) {
  std::vector<InvariantInfo> all = AllInvariants();
  std::vector<std::string_view> inv1_contexts;
  size_t qty3_rows = 0;
  for (const InvariantInfo& info : all) {
    if (info.key == "inv-1") inv1_contexts.push_back(info.context);
    if (info.key == "qty-3") ++qty3_rows;
  }
  EXPECT_EQ(inv1_contexts, (std::vector<std::string_view>{"Parameters.parameter", "Task",
                                                          "TestReport.setup.action"}));
  EXPECT_EQ(qty3_rows, 1u);  // one rule declared on Quantity and its profiles: one row
  auto task = FindInvariant("inv-1", "Task");
  ASSERT_TRUE(task.has_value());
  EXPECT_NE(task->expression.find("lastModified"), std::string_view::npos);
  auto report = FindInvariant("inv-1", "TestReport.setup.action");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->expression, "operation.exists() xor assert.exists()");
  EXPECT_EQ(FindInvariant("inv-1")->context, "Parameters.parameter");  // the first by context
  EXPECT_FALSE(FindInvariant("inv-1", "Patient").has_value());
  EXPECT_FALSE(FindInvariant("xyz-1", "Task").has_value());
}

}  // namespace
}  // namespace fhir::model
