#include "adapters/ehr/tasks.h"

#include "adapters/ehr/bundle_builder.h"
#include "adapters/ehr/fhir_systems.h"

namespace adapters::ehr {

using fhir::json::Value;

Value TaskCode(const fhir::terminology::Terminology& terms, std::string_view code) {
  std::optional<std::string> display = terms.Display(sys::kTaskCode, code);
  return CodeableConcept(sys::kTaskCode, code, display ? *display : std::string());
}

Value WorkTask(const fhir::terminology::Terminology& terms, const WorkItem& item) {
  Value task = Value::Object();
  task.Set("resourceType", Value::String("Task"));
  task.Set("status", Value::String("requested"));
  task.Set("intent", Value::String("order"));
  task.Set("priority", Value::String(item.priority));
  task.Set("code", TaskCode(terms, item.code));
  task.Set("description", Value::String(item.description));
  task.Set("focus", BundleBuilder::Ref(item.focus));
  if (!item.patient.is_null()) task.Set("for", item.patient);
  task.Set("authoredOn", Value::String(item.authored_on));
  if (!item.owner.is_null()) task.Set("owner", item.owner);
  return task;
}

}  // namespace adapters::ehr
