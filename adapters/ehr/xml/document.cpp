#include "adapters/ehr/xml/document.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>

#include "common/log.h"

namespace adapters::ehr::xml {
namespace {

// The loader libxml2 calls for any external resource (DTD, entity, schema import) outside
// SchemaSet's compilation: refuses.
xmlParserInputPtr RefuseExternal(const char* /*url*/, const char* /*id*/,
                                 xmlParserCtxtPtr /*ctxt*/) {
  return nullptr;
}

std::string_view DomainName(int domain) {
  switch (domain) {
    case XML_FROM_PARSER:
      return "parser";
    case XML_FROM_NAMESPACE:
      return "namespace";
    case XML_FROM_IO:
      return "io";
    case XML_FROM_I18N:
      return "encoding";
    case XML_FROM_OUTPUT:
      return "output";
    case XML_FROM_SCHEMASP:
      return "schema-compile";
    case XML_FROM_SCHEMASV:
      return "schema-validate";
    case XML_FROM_TREE:
      return "tree";
    case XML_FROM_MEMORY:
      return "memory";
    default:
      return "other";
  }
}

// What libxml2 reports outside a parse or validation context (character conversion, output,
// memory): into the structured log with its domain, code and line. Its message text is left
// out on purpose: it can quote the document ("bytes 0xC3 0x28 ...").
void StructuredToLog(void* /*data*/, xmlErrorPtr e) {
  if (e == nullptr) return;
  common::log::Write(
      e->level == XML_ERR_WARNING ? common::log::Level::kDebug : common::log::Level::kWarn,
      "xml_library_error",
      {{"domain", DomainName(e->domain)}, {"code", e->code}, {"line", e->line}});
}

// libxml2's printf-style channel (a few legacy paths): the text is dropped for the same reason.
void GenericToLog(void* /*data*/, const char* /*format*/, ...) {
  common::log::Write(common::log::Level::kDebug, "xml_library_message", {});
}

bool HasDoctype(std::string_view bytes) {
  // "<!DOCTYPE" can only start markup; base64 and text content cannot hold '<' unescaped.
  return bytes.find("<!DOCTYPE") != std::string_view::npos ||
         bytes.find("<!doctype") != std::string_view::npos;
}

std::string_view Local(std::string_view qname) {
  size_t colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// "/a/b/c" from open element names (local names; a very deep path is shortened in the middle).
template <typename Names>
std::string StackPath(const Names& names, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (n > 12 && i == 4) {
      out += "/...";
      i = n - 5;
      continue;
    }
    out += "/";
    out += Local(names[i]);
  }
  return out;
}

// The bytes are UTF-16 or UTF-32 (a BOM, or NUL bytes around the first '<'): not a KITH
// encoding, and the markup pre-scan below reads ASCII-compatible encodings only.
bool WideEncoding(std::string_view b) {
  if (b.size() >= 2 && ((b[0] == '\xFE' && b[1] == '\xFF') || (b[0] == '\xFF' && b[1] == '\xFE'))) {
    return true;
  }
  for (size_t i = 0; i < std::min<size_t>(b.size(), 4); ++i) {
    if (b[i] == '\0') return true;
  }
  return false;
}

// A linear pass over the markup before libxml2 parses it, so that a hostile document is refused
// in time proportional to its size: libxml2 checks the attributes of a start tag for duplicates
// pairwise (100,000 attributes on one element cost it seconds), and builds a node for every
// element and attribute. It reads only tag structure (names, '=' and quotes), never text.
// Anything it does not understand is left to libxml2, which then reports it as not well-formed.
std::optional<ParseError> PreScan(std::string_view b, const ParseLimits& limits) {
  std::vector<std::string_view> open;
  size_t elements = 0, attributes = 0;
  int line = 1;
  auto newlines = [&b](size_t from, size_t to) {
    return static_cast<int>(std::count(b.begin() + static_cast<std::ptrdiff_t>(from),
                                       b.begin() + static_cast<std::ptrdiff_t>(to), '\n'));
  };
  auto too_complex = [&](int at, const std::string& what) {
    return ParseError{ParseFailure::kTooComplex, "line " + std::to_string(at) + ": " + what};
  };
  size_t i = 0;
  while (i < b.size()) {
    size_t lt = b.find('<', i);
    if (lt == std::string_view::npos) break;
    line += newlines(i, lt);
    auto skip_to = [&](std::string_view end, size_t from) -> bool {
      size_t e = b.find(end, from);
      if (e == std::string_view::npos) return false;
      line += newlines(lt, e);
      i = e + end.size();
      return true;
    };
    std::string_view rest = b.substr(lt);
    if (rest.starts_with("<!--")) {
      if (!skip_to("-->", lt + 4)) return std::nullopt;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      if (!skip_to("]]>", lt + 9)) return std::nullopt;
      continue;
    }
    if (rest.starts_with("<?")) {
      if (!skip_to("?>", lt + 2)) return std::nullopt;
      continue;
    }
    if (rest.starts_with("<!")) {
      if (!skip_to(">", lt + 2)) return std::nullopt;
      continue;
    }
    if (rest.starts_with("</")) {
      if (!open.empty()) open.pop_back();
      if (!skip_to(">", lt + 2)) return std::nullopt;
      continue;
    }
    // A start tag: its name, then attributes up to the '>' that is outside quotes.
    size_t p = lt + 1;
    size_t name_end = p;
    while (name_end < b.size() && !std::isspace(static_cast<unsigned char>(b[name_end])) &&
           b[name_end] != '>' && b[name_end] != '/') {
      ++name_end;
    }
    std::string_view name = b.substr(p, name_end - p);
    size_t count = 0;
    char quote = 0;
    size_t q = name_end;
    int tag_line = line;
    for (; q < b.size(); ++q) {
      char c = b[q];
      if (c == '\n') ++line;
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '=') {
        ++count;
      } else if (c == '>') {
        break;
      }
    }
    if (q >= b.size()) return std::nullopt;  // an unclosed tag: libxml2 says so
    ++elements;
    attributes += count;
    if (count > limits.max_attributes_per_element) {
      return too_complex(tag_line, "the element " + StackPath(open, open.size()) + "/" +
                                       std::string(Local(name)) + " has " + std::to_string(count) +
                                       " attributes; at most " +
                                       std::to_string(limits.max_attributes_per_element) +
                                       " per element are accepted");
    }
    if (elements > limits.max_elements) {
      return too_complex(tag_line, "the message has more than " +
                                       std::to_string(limits.max_elements) +
                                       " elements, more than this gateway reads");
    }
    if (attributes > limits.max_attributes) {
      return too_complex(tag_line, "the message has more than " +
                                       std::to_string(limits.max_attributes) +
                                       " attributes, more than this gateway reads");
    }
    bool self_closing = q > name_end && b[q - 1] == '/';
    if (!self_closing) {
      open.push_back(name);
      if (open.size() > limits.max_depth) {
        return too_complex(tag_line, "elements are nested more than " +
                                         std::to_string(limits.max_depth) + " levels deep, at " +
                                         StackPath(open, open.size()));
      }
    }
    i = q + 1;
  }
  return std::nullopt;
}

// The first error libxml2 reports while parsing one document (the parser context's own
// structured channel; libxml2 calls it on the parsing thread).
struct ParseCollector {
  bool seen = false;
  int code = 0;
  int line = 0;
  int column = 0;
  std::string path;   // open elements when it happened
  std::string names;  // element names the error is about (tag mismatch), never text
};
thread_local ParseCollector* current_collector = nullptr;

void CollectParseError(void* data, xmlErrorPtr e) {
  ParseCollector* c = current_collector;
  if (c == nullptr || e == nullptr || c->seen || e->level == XML_ERR_WARNING) return;
  c->seen = true;
  c->code = e->code;
  c->line = e->line;
  c->column = e->int2;
  auto* ctxt = static_cast<xmlParserCtxtPtr>(data);
  if (ctxt != nullptr && ctxt->nameTab != nullptr && ctxt->nameNr > 0) {
    std::vector<std::string_view> names;
    for (int k = 0; k < ctxt->nameNr; ++k) {
      names.emplace_back(
          ctxt->nameTab[k] != nullptr ? reinterpret_cast<const char*>(ctxt->nameTab[k]) : "");
    }
    c->path = StackPath(names, names.size());
  }
  // "Opening and ending tag mismatch": str1 the open element, int1 its line, str2 the end tag.
  if (e->code == XML_ERR_TAG_NAME_MISMATCH && e->str1 != nullptr && e->str2 != nullptr) {
    c->names = "the end tag </" + std::string(e->str2) + "> does not close the open element <" +
               std::string(e->str1) + ">" +
               (e->int1 > 0 ? " (opened on line " + std::to_string(e->int1) + ")" : "");
  }
}

// What a libxml2 parser error code means, in terms of the message.
std::string Describe(int code) {
  switch (code) {
    case XML_ERR_DOCUMENT_EMPTY:
      return "the message has no XML in it";
    case XML_ERR_DOCUMENT_END:
    case XML_ERR_EXTRA_CONTENT:
    case XML_ERR_NOT_WELL_BALANCED:
      return "there is content after the end of the root element";
    case XML_ERR_INVALID_HEX_CHARREF:
    case XML_ERR_INVALID_DEC_CHARREF:
    case XML_ERR_INVALID_CHARREF:
      return "a character reference (&#...;) names a character that XML does not allow";
    case XML_ERR_INVALID_CHAR:
      return "a character that XML does not allow (a control character, or a character "
             "reference &#...; to one)";
    case XML_ERR_UNDECLARED_ENTITY:
    case XML_WAR_UNDECLARED_ENTITY:
      return "an entity reference (&name;) that is not one of XML's predefined entities";
    case XML_ERR_ENTITYREF_SEMICOL_MISSING:
    case XML_ERR_ENTITYREF_NO_NAME:
      return "an '&' that does not start an entity or character reference (write &amp;)";
    case XML_ERR_LT_IN_ATTRIBUTE:
      return "a '<' inside an attribute value (write &lt;)";
    case XML_ERR_ATTRIBUTE_NOT_STARTED:
    case XML_ERR_ATTRIBUTE_NOT_FINISHED:
    case XML_ERR_ATTRIBUTE_WITHOUT_VALUE:
      return "an attribute value is missing, not quoted or not closed";
    case XML_ERR_ATTRIBUTE_REDEFINED:
    case XML_NS_ERR_ATTRIBUTE_REDEFINED:
      return "an attribute appears twice on one element";
    case XML_ERR_GT_REQUIRED:
    case XML_ERR_LTSLASH_REQUIRED:
      return "a tag is not closed with '>'";
    case XML_ERR_TAG_NAME_MISMATCH:
      return "an end tag does not match the open element";
    case XML_ERR_TAG_NOT_FINISHED:
      return "the message ends before all its elements are closed (cut off?)";
    case XML_ERR_NAME_REQUIRED:
    case XML_ERR_LT_REQUIRED:
      return "a '<' or '&' that does not start a tag or a reference (in text, write &lt; and "
             "&amp;)";
    case XML_ERR_SPACE_REQUIRED:
      return "attributes are not separated by white space";
    case XML_ERR_COMMENT_NOT_FINISHED:
    case XML_ERR_HYPHEN_IN_COMMENT:
      return "a comment is not closed, or contains '--'";
    case XML_ERR_CDATA_NOT_FINISHED:
      return "a CDATA section is not closed";
    case XML_ERR_PI_NOT_FINISHED:
    case XML_ERR_PI_NOT_STARTED:
    case XML_ERR_RESERVED_XML_NAME:
    case XML_ERR_XMLDECL_NOT_STARTED:
    case XML_ERR_XMLDECL_NOT_FINISHED:
    case XML_ERR_VERSION_MISSING:
    case XML_ERR_STRING_NOT_STARTED:
    case XML_ERR_STRING_NOT_CLOSED:
      return "the XML declaration is malformed or not at the very start";
    case XML_ERR_UNSUPPORTED_ENCODING:
    case XML_ERR_UNKNOWN_ENCODING:
      return "the encoding named in the XML declaration is not supported";
    case XML_ERR_INVALID_ENCODING:
      return "bytes that are not valid in the message's encoding (check the XML declaration)";
    case XML_NS_ERR_UNDEFINED_NAMESPACE:
      return "a namespace prefix that is not declared";
    case XML_NS_ERR_QNAME:
    case XML_NS_ERR_EMPTY:
    case XML_NS_ERR_COLON:
    case XML_NS_ERR_XML_NAMESPACE:
      return "a malformed namespace declaration or qualified name";
    default:
      return "the message is not well-formed XML (parser error " + std::to_string(code) + ")";
  }
}

}  // namespace

void InstallThreadErrorHandlers() {
  thread_local bool installed = false;
  if (installed) return;
  installed = true;
  xmlSetGenericErrorFunc(nullptr, GenericToLog);
  xmlSetStructuredErrorFunc(nullptr, StructuredToLog);
}

void Initialize() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(RefuseExternal);
  });
  InstallThreadErrorHandlers();
}

common::StatusOr<Document> Document::Parse(std::string_view bytes, size_t max_bytes,
                                           ParseError* error) {
  ParseLimits limits;
  limits.max_bytes = max_bytes;
  return Parse(bytes, limits, error);
}

common::StatusOr<Document> Document::Parse(std::string_view bytes, const ParseLimits& limits,
                                           ParseError* error) {
  InstallThreadErrorHandlers();
  auto fail = [error](ParseError e) {
    std::string m = e.message;
    if (error != nullptr) *error = std::move(e);
    return common::Error(common::Code::kInvalidArgument, std::move(m));
  };
  if (bytes.size() > limits.max_bytes) {
    return fail({ParseFailure::kTooLarge, "the message has " + std::to_string(bytes.size()) +
                                              " bytes, more than the limit of " +
                                              std::to_string(limits.max_bytes)});
  }
  if (HasDoctype(bytes)) {
    return fail({ParseFailure::kDoctype,
                 "the message has a DOCTYPE; DTDs and entity declarations are not accepted"});
  }
  if (bytes.empty()) return fail({ParseFailure::kNotWellFormed, "the message has no XML in it"});
  if (WideEncoding(bytes)) {
    return fail({ParseFailure::kNotWellFormed,
                 "the message is encoded in UTF-16 or UTF-32; KITH messages are UTF-8 or "
                 "ISO-8859-1"});
  }
  if (auto refused = PreScan(bytes, limits)) return fail(std::move(*refused));
  // No XML_PARSE_NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR/DTDVALID, no HUGE, no
  // XINCLUDE; NONET as a second lock on the network.
  constexpr int kOptions =
      XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING | XML_PARSE_NOERROR;
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (ctxt == nullptr) return fail({ParseFailure::kNotWellFormed, "out of memory"});
  ParseCollector collector;
  ctxt->sax->serror = CollectParseError;
  current_collector = &collector;
  xmlDocPtr doc = xmlCtxtReadMemory(ctxt, bytes.data(), static_cast<int>(bytes.size()),
                                    "message.xml", nullptr, kOptions);
  current_collector = nullptr;
  bool well_formed = doc != nullptr && ctxt->wellFormed != 0;
  if (!well_formed && !collector.seen) {
    // Nothing reached our channel: take what the context kept.
    if (const xmlError* e = xmlCtxtGetLastError(ctxt); e != nullptr && e->code != 0) {
      collector.seen = true;
      collector.code = e->code;
      collector.line = e->line;
      collector.column = e->int2;
    }
  }
  xmlFreeParserCtxt(ctxt);
  Document out(doc);  // frees `doc` on every path below
  if (!well_formed) {
    std::string where;
    if (collector.line > 0) {
      where = "line " + std::to_string(collector.line);
      if (collector.column > 0) where += ", column " + std::to_string(collector.column);
    }
    if (!collector.path.empty()) where += (where.empty() ? "in " : ", in ") + collector.path;
    std::string what = !collector.names.empty() ? collector.names
                       : collector.seen         ? Describe(collector.code)
                                                : "the message is not well-formed XML";
    return fail({ParseFailure::kNotWellFormed, "the message is not well-formed XML" +
                                                   (where.empty() ? "" : " (" + where + ")") +
                                                   ": " + what});
  }
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return fail({ParseFailure::kDoctype,
                 "the message has a DOCTYPE; DTDs and entity declarations are not accepted"});
  }
  if (xmlDocGetRootElement(doc) == nullptr) {
    return fail({ParseFailure::kNotWellFormed, "the message has no root element"});
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
  InstallThreadErrorHandlers();
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

std::string SerializeElement(const xmlNode* n) {
  if (n == nullptr) return {};
  InstallThreadErrorHandlers();
  xmlDocPtr doc = xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0"));
  if (doc == nullptr) return {};
  // A deep copy into a document of its own: libxml2 declares on the copy's root every namespace
  // the part uses that was declared on an ancestor in the message.
  xmlNodePtr copy = xmlDocCopyNode(const_cast<xmlNode*>(n), doc, 1);
  std::string out;
  if (copy != nullptr) {
    xmlDocSetRootElement(doc, copy);
    xmlReconciliateNs(doc, copy);
    xmlChar* mem = nullptr;
    int size = 0;
    xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
    if (mem != nullptr) out.assign(reinterpret_cast<const char*>(mem), static_cast<size_t>(size));
    xmlFree(mem);
  }
  xmlFreeDoc(doc);
  return out;
}

}  // namespace adapters::ehr::xml
