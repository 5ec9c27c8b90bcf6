#include "adapters/ehr/xml/writer.h"

#include <string>

#include "adapters/ehr/xml/document.h"

namespace adapters::ehr::xml {
namespace {

const xmlChar* X(const std::string& s) { return reinterpret_cast<const xmlChar*>(s.c_str()); }

}  // namespace

Writer::Writer(std::string_view ns, std::string_view root) {
  InstallThreadErrorHandlers();
  doc_ = xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0"));
  root_ = xmlNewDocNode(doc_, nullptr, X(std::string(root)), nullptr);
  xmlDocSetRootElement(doc_, root_);
  ns_ = xmlNewNs(root_, X(std::string(ns)), nullptr);
  xmlSetNs(root_, ns_);
}

Writer::~Writer() { xmlFreeDoc(doc_); }

xmlNode* Writer::Add(xmlNode* parent, std::string_view name, std::string_view text) {
  xmlNode* n = xmlNewChild(parent, ns_, X(std::string(name)), nullptr);
  if (!text.empty()) xmlNodeAddContent(n, X(std::string(text)));  // escapes
  return n;
}

xmlNode* Writer::AddNs(xmlNode* parent, std::string_view ns, std::string_view name,
                       std::string_view text) {
  if (ns_ != nullptr && std::string_view(reinterpret_cast<const char*>(ns_->href)) == ns) {
    return Add(parent, name, text);
  }
  xmlNode* n = xmlNewChild(parent, nullptr, X(std::string(name)), nullptr);
  xmlNsPtr own = xmlNewNs(n, X(std::string(ns)), nullptr);
  xmlSetNs(n, own);
  if (!text.empty()) xmlNodeAddContent(n, X(std::string(text)));
  return n;
}

xmlNode* Writer::AddLike(xmlNode* parent, std::string_view name, std::string_view text) {
  xmlNode* n = xmlNewChild(parent, parent->ns, X(std::string(name)), nullptr);
  if (!text.empty()) xmlNodeAddContent(n, X(std::string(text)));
  return n;
}

xmlNode* Writer::AddCodeLike(xmlNode* parent, std::string_view name, std::string_view v,
                             std::string_view dn, std::string_view s) {
  xmlNode* n = AddLike(parent, name);
  if (!v.empty()) SetAttr(n, "V", v);
  if (!s.empty()) SetAttr(n, "S", s);
  if (!dn.empty()) SetAttr(n, "DN", dn);
  return n;
}

void Writer::SetAttr(xmlNode* node, std::string_view name, std::string_view value) {
  xmlSetProp(node, X(std::string(name)), X(std::string(value)));
}

xmlNode* Writer::AddCode(xmlNode* parent, std::string_view name, std::string_view v,
                         std::string_view dn, std::string_view s) {
  xmlNode* n = Add(parent, name);
  if (!v.empty()) SetAttr(n, "V", v);
  if (!s.empty()) SetAttr(n, "S", s);
  if (!dn.empty()) SetAttr(n, "DN", dn);
  return n;
}

std::string Writer::Serialize() const {
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc_, &mem, &size, "UTF-8", 1);
  std::string out(reinterpret_cast<const char*>(mem), static_cast<size_t>(size));
  xmlFree(mem);
  return out;
}

}  // namespace adapters::ehr::xml
