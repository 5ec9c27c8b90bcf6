// Invariants of Questionnaire (que-1 .. que-13) and QuestionnaireResponse (qrs-1, qrs-2).
//
// que-12: the 4.0.1 FHIRPath is "enableWhen.count() > 2 implies enableBehavior.exists()"
// while its human text says "more than one"; we follow the FHIRPath, which is what R4
// validators evaluate (later versions changed it to > 1).
// qrs-2 ("Repeated answers are combined in the answers array of a single item") is not in the
// 4.0.1 StructureDefinition we generate from, but is part of the published R4
// QuestionnaireResponse page: within one list of items (the response's, an item's or an
// answer's), items that carry answers with a value must not repeat a linkId:
// repeat(answer|item).select(item.where(answer.value.exists()).linkId.isDistinct()).allTrue()

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "fhir/validation/invariants.h"
#include "fhir/validation/validator.h"

namespace fhir::validation::internal {
namespace {

bool In(std::string_view value, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

// que-2: every linkId in the Questionnaire (at any depth) is distinct.
void CollectLinkIds(const json::Value& obj, std::string& path, int depth,
                    std::vector<std::string_view>& seen, Context& ctx) {
  if (depth > kMaxValidationDepth) return;
  std::span<const json::Value> items = Items(obj, "item");
  for (size_t i = 0; i < items.size(); ++i) {
    size_t mark = path.size();
    path.append(".item[").append(std::to_string(i)).append("]");
    std::string_view link_id = Str(items[i], "linkId");
    if (!link_id.empty()) {
      if (std::find(seen.begin(), seen.end(), link_id) != seen.end()) {
        ctx.Invariant("que-2", path + ".linkId");
      } else {
        seen.push_back(link_id);
      }
    }
    CollectLinkIds(items[i], path, depth + 1, seen, ctx);
    path.resize(mark);
  }
}

void Questionnaire(const json::Value& obj, Context& ctx) {
  std::vector<std::string_view> seen;
  std::string path;
  CollectLinkIds(obj, path, 0, seen, ctx);
}

void QuestionnaireItem(const json::Value& obj, Context& ctx) {
  std::string_view type = Str(obj, "type");
  bool display = type == "display";
  bool group = type == "group";
  if ((group && !Has(obj, "item")) || (display && Has(obj, "item"))) ctx.Invariant("que-1");
  if (display && Has(obj, "code")) ctx.Invariant("que-3");
  bool options = Has(obj, "answerOption");
  bool value_set = Has(obj, "answerValueSet");
  if (options && value_set) ctx.Invariant("que-4");
  if ((options || value_set) && !In(type, {"choice", "open-choice", "decimal", "integer", "date",
                                           "dateTime", "time", "string", "quantity"})) {
    ctx.Invariant("que-5");
  }
  if (display && (Has(obj, "required") || Has(obj, "repeats"))) ctx.Invariant("que-6");
  bool initial = Has(obj, "initial");
  if ((group || display) && initial) ctx.Invariant("que-8");
  if (display && Has(obj, "readOnly")) ctx.Invariant("que-9");
  if (Has(obj, "maxLength") &&
      !In(type, {"boolean", "decimal", "integer", "string", "text", "url", "open-choice"})) {
    ctx.Invariant("que-10");
  }
  if (options && initial) ctx.Invariant("que-11");
  if (Count(obj, "enableWhen") > 2 && !Has(obj, "enableBehavior")) ctx.Invariant("que-12");
  if (!IsTrue(obj, "repeats") && Count(obj, "initial") > 1) ctx.Invariant("que-13");
}

// que-7: operator = 'exists' implies (answer is Boolean)
void QuestionnaireEnableWhen(const json::Value& obj, Context& ctx) {
  if (Str(obj, "operator") == "exists" && ChoiceName(obj, "answer") != "answerBoolean") {
    ctx.Invariant("que-7");
  }
}

// qrs-1: (answer.exists() and item.exists()).not()
void ResponseItem(const json::Value& obj, Context& ctx) {
  if (Has(obj, "answer") && Has(obj, "item")) ctx.Invariant("qrs-1");
}

// qrs-2 over one list of items, then recursively below it.
void CheckAnsweredLinkIds(const json::Value& parent, std::string& path, int depth, Context& ctx) {
  if (depth > kMaxValidationDepth) return;
  std::span<const json::Value> items = Items(parent, "item");
  std::vector<std::string_view> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    const json::Value& item = items[i];
    size_t mark = path.size();
    path.append(".item[").append(std::to_string(i)).append("]");
    bool answered = false;
    for (const json::Value& answer : Items(item, "answer")) {
      answered = answered || HasChoice(answer, "value");
    }
    std::string_view link_id = Str(item, "linkId");
    if (answered && !link_id.empty()) {
      if (std::find(seen.begin(), seen.end(), link_id) != seen.end()) {
        ctx.Invariant("qrs-2", path);
      } else {
        seen.push_back(link_id);
      }
    }
    CheckAnsweredLinkIds(item, path, depth + 1, ctx);
    std::span<const json::Value> answers = Items(item, "answer");
    for (size_t a = 0; a < answers.size(); ++a) {
      size_t answer_mark = path.size();
      path.append(".answer[").append(std::to_string(a)).append("]");
      CheckAnsweredLinkIds(answers[a], path, depth + 1, ctx);
      path.resize(answer_mark);
    }
    path.resize(mark);
  }
}

void QuestionnaireResponse(const json::Value& obj, Context& ctx) {
  std::string path;
  CheckAnsweredLinkIds(obj, path, 0, ctx);
}

constexpr InvariantEntry kEntries[] = {
    {"Questionnaire", Questionnaire},
    {"Questionnaire.item", QuestionnaireItem},
    {"Questionnaire.item.enableWhen", QuestionnaireEnableWhen},
    {"QuestionnaireResponse", QuestionnaireResponse},
    {"QuestionnaireResponse.item", ResponseItem},
};

}  // namespace

std::span<const InvariantEntry> QuestionnaireInvariants() { return kEntries; }

}  // namespace fhir::validation::internal
