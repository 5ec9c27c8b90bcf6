#include "adapters/ehr/quirks.h"

#include <cctype>

#include "adapters/ehr/kith_namespaces.h"

namespace adapters::ehr {
namespace {

constexpr std::string_view kMisspelledXsi = "http://www.w3.org/2001/XMLSchemainstance";

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "1991-12-4" -> "1991-12-04"; empty when `s` is not such a date (or already padded).
std::string PaddedDate(std::string_view s) {
  size_t a = s.find('-');
  size_t b = a == std::string_view::npos ? a : s.find('-', a + 1);
  if (a != 4 || b == std::string_view::npos) return {};
  std::string_view y = s.substr(0, a), m = s.substr(a + 1, b - a - 1), d = s.substr(b + 1);
  if (!IsDigits(y) || !IsDigits(m) || !IsDigits(d) || m.size() > 2 || d.size() > 2) return {};
  if (m.size() == 2 && d.size() == 2) return {};
  return std::string(y) + "-" + (m.size() == 1 ? "0" : "") + std::string(m) + "-" +
         (d.size() == 1 ? "0" : "") + std::string(d);
}

// The single text child of an element without element children, or nullptr.
xmlNode* OnlyText(xmlNode* n) {
  xmlNode* text = nullptr;
  for (xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) return nullptr;
    if (c->type == XML_TEXT_NODE) {
      if (text != nullptr) return nullptr;
      text = c;
    }
  }
  return text;
}

// Whether `n` has a child element with this local name, in any namespace (felleskomponent1
// puts a TeleCom's children in its own namespace, MsgHead in the TeleCom's).
bool HasChildNamed(const xmlNode* n, std::string_view name) {
  for (const xmlNode* c : xml::ElementChildren(n)) {
    if (xml::LocalName(c) == name) return true;
  }
  return false;
}

void Walk(xmlNode* n, std::vector<std::string>& repairs) {
  for (xmlNode* c = n->children; c != nullptr;) {
    xmlNode* next = c->next;
    if (c->type != XML_ELEMENT_NODE) {
      c = next;
      continue;
    }
    std::string_view name = xml::LocalName(c);
    // Attributes in the misspelled XSI namespace.
    for (xmlAttr* a = c->properties; a != nullptr;) {
      xmlAttr* an = a->next;
      if (a->ns != nullptr && a->ns->href != nullptr &&
          std::string_view(reinterpret_cast<const char*>(a->ns->href)) == kMisspelledXsi) {
        repairs.push_back("dropped an attribute in the misspelled namespace " +
                          std::string(kMisspelledXsi) + " at " + xml::PathOf(c));
        xmlRemoveProp(a);
      }
      a = an;
    }
    if (name == "TeleCom" && !HasChildNamed(c, "TeleAddress")) {
      repairs.push_back("dropped a TeleCom without TeleAddress at " + xml::PathOf(c));
      xmlUnlinkNode(c);
      xmlFreeNode(c);
      c = next;
      continue;
    }
    if (name == "ConversationRef") {
      xmlNode* parent = const_cast<xmlNode*>(xml::Child(c, ns::kMsgHead, "RefToParent"));
      xmlNode* conv = const_cast<xmlNode*>(xml::Child(c, ns::kMsgHead, "RefToConversation"));
      if (parent != nullptr && conv != nullptr) {
        bool conv_first = false;
        for (xmlNode* k = c->children; k != nullptr; k = k->next) {
          if (k == conv) {
            conv_first = true;
            break;
          }
          if (k == parent) break;
        }
        if (conv_first) {
          xmlUnlinkNode(parent);
          xmlAddPrevSibling(conv, parent);
          repairs.push_back("put RefToParent before RefToConversation at " + xml::PathOf(c));
        }
      }
    }
    if (xmlNode* text = OnlyText(c); text != nullptr && text->content != nullptr) {
      std::string padded = PaddedDate(reinterpret_cast<const char*>(text->content));
      if (!padded.empty()) {
        xmlNodeSetContent(text, reinterpret_cast<const xmlChar*>(padded.c_str()));
        repairs.push_back("zero-padded a date at " + xml::PathOf(c));
      }
    }
    Walk(c, repairs);
    c = next;
  }
}

}  // namespace

std::vector<std::string> RepairKnownQuirks(xml::Document& doc) {
  std::vector<std::string> repairs;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root != nullptr) Walk(root, repairs);
  return repairs;
}

}  // namespace adapters::ehr
