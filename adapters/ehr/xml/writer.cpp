#include "adapters/ehr/xml/writer.h"

#include <string>
#include <string_view>

#include "adapters/ehr/xml/document.h"

namespace adapters::ehr::xml {
namespace {

const xmlChar* X(const std::string& s) { return reinterpret_cast<const xmlChar*>(s.c_str()); }

// The length of the valid UTF-8 sequence at the start of `s` and its code point, or 0 when the
// bytes there are not one (bad lead or continuation byte, truncated, overlong, a surrogate,
// beyond U+10FFFF).
size_t DecodeUtf8(std::string_view s, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t len = b0 < 0x80             ? 1
               : (b0 & 0xE0) == 0xC0 ? 2
               : (b0 & 0xF0) == 0xE0 ? 3
               : (b0 & 0xF8) == 0xF0 ? 4
                                     : 0;
  if (len == 0 || len > s.size()) return 0;
  char32_t c = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return 0;
    c = (c << 6) | (b & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return len;
}

// XML 1.0's Char production: what a document may contain at all, even escaped.
bool IsXmlChar(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

// Text as a UTF-8 XML document can carry it: each byte that does not start a valid UTF-8
// sequence, and each character XML forbids (C0 controls but tab and line breaks, U+FFFE,
// U+FFFF), becomes U+FFFD. Values we write come from received messages and from FHIR strings
// ("\u0001" is valid JSON), and one such byte would make the whole AppRec or Dialogmelding not
// well-formed (found by fuzzing the inbox: a libxml2 error quoting a name with a Latin-1 byte).
std::string XmlText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    char32_t c = 0;
    size_t len = DecodeUtf8(s, &c);
    if (len > 0 && IsXmlChar(c)) {
      out.append(s.substr(0, len));
    } else {
      out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
      if (len == 0) len = 1;
    }
    s.remove_prefix(len);
  }
  return out;
}

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
  if (!text.empty()) xmlNodeAddContent(n, X(XmlText(text)));  // escapes
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
  if (!text.empty()) xmlNodeAddContent(n, X(XmlText(text)));
  return n;
}

xmlNode* Writer::AddLike(xmlNode* parent, std::string_view name, std::string_view text) {
  xmlNode* n = xmlNewChild(parent, parent->ns, X(std::string(name)), nullptr);
  if (!text.empty()) xmlNodeAddContent(n, X(XmlText(text)));
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
  xmlSetProp(node, X(std::string(name)), X(XmlText(value)));
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
