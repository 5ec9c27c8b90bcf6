#include "adapters/ehr/parties.h"

namespace adapters::ehr {

std::string IdentOfType(const std::vector<Ident>& idents, std::string_view type) {
  for (const Ident& i : idents) {
    if (i.type.v == type && !i.id.empty()) return i.id;
  }
  return {};
}

}  // namespace adapters::ehr
