#pragma once
// Building outbound XML with libxml2's tree (it escapes text and attributes), serialized as
// UTF-8 with an XML declaration. One default namespace per document, as KITH messages use.

#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>

namespace adapters::ehr::xml {

class Writer {
 public:
  // A document whose root element `root` is in namespace `ns` (the default namespace).
  Writer(std::string_view ns, std::string_view root);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  xmlNode* root() const { return root_; }
  // Appends an element in the document's namespace (or in `ns` when given and different,
  // declared on that element); text is escaped.
  xmlNode* Add(xmlNode* parent, std::string_view name, std::string_view text = {});
  xmlNode* AddNs(xmlNode* parent, std::string_view ns, std::string_view name,
                 std::string_view text = {});
  // Appends an element in the same namespace as `parent`.
  xmlNode* AddLike(xmlNode* parent, std::string_view name, std::string_view text = {});
  // A KITH code element (V, S, DN) in the same namespace as `parent`.
  xmlNode* AddCodeLike(xmlNode* parent, std::string_view name, std::string_view v,
                       std::string_view dn, std::string_view s = {});
  void SetAttr(xmlNode* node, std::string_view name, std::string_view value);
  // A KITH coded element (CS or CV): V, DN and (for CV) S attributes, omitted when empty.
  xmlNode* AddCode(xmlNode* parent, std::string_view name, std::string_view v, std::string_view dn,
                   std::string_view s = {});

  std::string Serialize() const;

 private:
  xmlDocPtr doc_;
  xmlNode* root_;
  xmlNsPtr ns_;
};

}  // namespace adapters::ehr::xml
