#include "adapters/ehr/xml/document.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include <mutex>

namespace adapters::ehr::xml {
namespace {

// The loader libxml2 calls for any external resource (DTD, entity, schema import) outside
// SchemaSet's compilation: refuses.
xmlParserInputPtr RefuseExternal(const char* /*url*/, const char* /*id*/,
                                 xmlParserCtxtPtr /*ctxt*/) {
  return nullptr;
}

// libxml2's generic error callback would print to stderr (with document text): swallow it;
// errors are read from the parser context instead.
void IgnoreGenericError(void*, const char*, ...) {}
void IgnoreStructuredError(void*, xmlErrorPtr) {}

bool HasDoctype(std::string_view bytes) {
  // "<!DOCTYPE" can only start markup; base64 and text content cannot hold '<' unescaped.
  return bytes.find("<!DOCTYPE") != std::string_view::npos ||
         bytes.find("<!doctype") != std::string_view::npos;
}

}  // namespace

void Initialize() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(RefuseExternal);
    xmlSetGenericErrorFunc(nullptr, IgnoreGenericError);
    xmlSetStructuredErrorFunc(nullptr, IgnoreStructuredError);
  });
}

common::StatusOr<Document> Document::Parse(std::string_view bytes, size_t max_bytes,
                                           ParseError* error) {
  auto fail = [error](ParseFailure f, std::string m) {
    if (error != nullptr) *error = ParseError{f, m};
    return common::Error(common::Code::kInvalidArgument, std::move(m));
  };
  if (bytes.size() > max_bytes) {
    return fail(ParseFailure::kTooLarge, "the message has " + std::to_string(bytes.size()) +
                                             " bytes, more than the limit of " +
                                             std::to_string(max_bytes));
  }
  if (HasDoctype(bytes)) {
    return fail(ParseFailure::kDoctype,
                "the message has a DOCTYPE; DTDs and entity declarations are not accepted");
  }
  // No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR/DTDVALID, no HUGE, no
  // XINCLUDE; NONET as a second lock on the network.
  constexpr int kOptions =
      XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING | XML_PARSE_NOERROR;
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (ctxt == nullptr) return fail(ParseFailure::kNotWellFormed, "out of memory");
  xmlDocPtr doc = xmlCtxtReadMemory(ctxt, bytes.data(), static_cast<int>(bytes.size()),
                                    "message.xml", nullptr, kOptions);
  std::string message;
  if (doc == nullptr || ctxt->wellFormed == 0) {
    const xmlError* e = xmlCtxtGetLastError(ctxt);
    message = "the message is not well-formed XML";
    if (e != nullptr && e->line > 0) message += " (line " + std::to_string(e->line) + ")";
    if (e != nullptr && e->message != nullptr) {
      // libxml2's messages name the construct ("Opening and ending tag mismatch: a line 3 and
      // b"), which can include element names but not text content; keep the first line.
      std::string m(e->message);
      while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
      if (m.size() > 200) m.resize(200);
      message += ": " + m;
    }
  }
  xmlFreeParserCtxt(ctxt);
  if (doc == nullptr) return fail(ParseFailure::kNotWellFormed, message);
  Document out(doc);
  if (!message.empty()) return fail(ParseFailure::kNotWellFormed, message);
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return fail(ParseFailure::kDoctype,
                "the message has a DOCTYPE; DTDs and entity declarations are not accepted");
  }
  if (xmlDocGetRootElement(doc) == nullptr) {
    return fail(ParseFailure::kNotWellFormed, "the message has no root element");
  }
  return out;
}

const xmlNode* Document::root() const { return xmlDocGetRootElement(doc_.get()); }

std::string Document::declared_encoding() const {
  if (doc_ == nullptr || doc_->encoding == nullptr) return {};
  return reinterpret_cast<const char*>(doc_->encoding);
}

std::string_view LocalName(const xmlNode* n) {
  if (n == nullptr || n->name == nullptr) return {};
  return reinterpret_cast<const char*>(n->name);
}

std::string_view Namespace(const xmlNode* n) {
  if (n == nullptr || n->ns == nullptr || n->ns->href == nullptr) return {};
  return reinterpret_cast<const char*>(n->ns->href);
}

const xmlNode* Child(const xmlNode* parent, std::string_view ns, std::string_view name) {
  if (parent == nullptr) return nullptr;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && LocalName(c) == name && Namespace(c) == ns) return c;
  }
  return nullptr;
}

std::vector<const xmlNode*> Children(const xmlNode* parent, std::string_view ns,
                                     std::string_view name) {
  std::vector<const xmlNode*> out;
  if (parent == nullptr) return out;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && LocalName(c) == name && Namespace(c) == ns) {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<const xmlNode*> ElementChildren(const xmlNode* parent) {
  std::vector<const xmlNode*> out;
  if (parent == nullptr) return out;
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  }
  return out;
}

namespace {

void AppendText(const xmlNode* n, std::string& out) {
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      if (c->content != nullptr) out += reinterpret_cast<const char*>(c->content);
    } else if (c->type == XML_ELEMENT_NODE) {
      AppendText(c, out);
    }
  }
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string Text(const xmlNode* n) {
  if (n == nullptr) return {};
  std::string out;
  AppendText(n, out);
  return Trim(out);
}

std::string ChildText(const xmlNode* parent, std::string_view ns, std::string_view name) {
  return Text(Child(parent, ns, name));
}

std::string Attr(const xmlNode* n, std::string_view name) {
  if (n == nullptr) return {};
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (a->ns == nullptr && a->name != nullptr &&
        std::string_view(reinterpret_cast<const char*>(a->name)) == name) {
      xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
      std::string out = v != nullptr ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
      return out;
    }
  }
  return {};
}

bool HasAttr(const xmlNode* n, std::string_view name) {
  if (n == nullptr) return false;
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (a->ns == nullptr && a->name != nullptr &&
        std::string_view(reinterpret_cast<const char*>(a->name)) == name) {
      return true;
    }
  }
  return false;
}

std::string InnerXml(const xmlNode* n) {
  if (n == nullptr) return {};
  xmlBufferPtr buf = xmlBufferCreate();
  if (buf == nullptr) return {};
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    xmlNodeDump(buf, n->doc, const_cast<xmlNode*>(c), 0, 0);
  }
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf)),
                  static_cast<size_t>(xmlBufferLength(buf)));
  xmlBufferFree(buf);
  return Trim(out);
}

std::string PathOf(const xmlNode* n) {
  std::vector<std::string> parts;
  for (const xmlNode* e = n; e != nullptr && e->type == XML_ELEMENT_NODE; e = e->parent) {
    std::string part(LocalName(e));
    if (e->parent != nullptr && e->parent->type == XML_ELEMENT_NODE) {
      int index = 0, same = 0;
      auto same_name = [e](const xmlNode* s) {
        return s->type == XML_ELEMENT_NODE && LocalName(s) == LocalName(e) &&
               Namespace(s) == Namespace(e);
      };
      for (const xmlNode* s = e->parent->children; s != nullptr; s = s->next) {
        if (!same_name(s)) continue;
        ++same;
        if (s == e) index = same;
      }
      bool repeated = same > 1;
      if (repeated) part += "[" + std::to_string(index) + "]";
    }
    parts.push_back(std::move(part));
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += "/" + *it;
  return out;
}

}  // namespace adapters::ehr::xml
