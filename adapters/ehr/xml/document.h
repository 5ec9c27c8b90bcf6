#pragma once
// Untrusted XML, parsed safely with libxml2 (the only place in the project that parses XML).
//
// The parser never touches the network or the file system, never loads or applies a DTD and
// never expands an entity: a document with a DOCTYPE is refused outright (no KITH message has
// one, and it is the door to XXE and entity-expansion attacks). Size is capped before parsing;
// depth by libxml2's own limit (256 levels without XML_PARSE_HUGE, which we never set). The
// encoding comes from the BOM or the XML declaration (UTF-8 and ISO-8859-1 both occur); the
// tree is UTF-8. CDATA sections read as text.

#include <libxml/tree.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace adapters::ehr::xml {

// Call once, from the main thread, before any other thread parses (libxml2's rule); idempotent.
// Also installs an external-entity loader that refuses everything, so no schema, DTD or entity
// can make libxml2 open a URL or a file behind our back. Schemas are read through SchemaSet,
// which lifts that for its own directory while it compiles.
void Initialize();

// Why a document could not be parsed.
enum class ParseFailure {
  kTooLarge,       // more bytes than the limit
  kDoctype,        // has a DOCTYPE / DTD (refused for safety)
  kNotWellFormed,  // libxml2 found it not well-formed (including too deep, bad encoding)
};

struct ParseError {
  ParseFailure failure;
  std::string message;  // what and where (line), never the document's text
};

class Document {
 public:
  // Parses `bytes`; at most `max_bytes` are accepted.
  static common::StatusOr<Document> Parse(std::string_view bytes, size_t max_bytes,
                                          ParseError* error);
  Document(Document&&) noexcept = default;
  Document& operator=(Document&&) noexcept = default;

  xmlDocPtr get() const { return doc_.get(); }
  const xmlNode* root() const;
  // The encoding named by the document (its declaration), e.g. "UTF-8", "ISO-8859-1"; empty
  // when none was declared (UTF-8).
  std::string declared_encoding() const;

 private:
  struct Free {
    void operator()(xmlDocPtr d) const { xmlFreeDoc(d); }
  };
  explicit Document(xmlDocPtr doc) : doc_(doc) {}
  std::unique_ptr<xmlDoc, Free> doc_;
};

// --- Navigation (namespace-aware; `ns` empty matches elements without a namespace) ---------

std::string_view LocalName(const xmlNode* n);
std::string_view Namespace(const xmlNode* n);
// First child element with this namespace and local name, or nullptr.
const xmlNode* Child(const xmlNode* parent, std::string_view ns, std::string_view name);
// All child elements with this namespace and local name, in order.
std::vector<const xmlNode*> Children(const xmlNode* parent, std::string_view ns,
                                     std::string_view name);
// All child elements, in order.
std::vector<const xmlNode*> ElementChildren(const xmlNode* parent);
// The element's text content (all descendant text), trimmed of leading/trailing white space.
std::string Text(const xmlNode* n);
// The text of Child(parent, ns, name), or empty.
std::string ChildText(const xmlNode* parent, std::string_view ns, std::string_view name);
// An attribute without namespace, or empty when absent.
std::string Attr(const xmlNode* n, std::string_view name);
bool HasAttr(const xmlNode* n, std::string_view name);
// The element's serialized markup (for XHTML-bearing free text), or empty.
std::string InnerXml(const xmlNode* n);
// "/MsgHead/MsgInfo/Patient" style path of element `n` (local names, 1-based [i] where a name
// repeats among its siblings), for error messages: it names elements, never their content.
std::string PathOf(const xmlNode* n);

}  // namespace adapters::ehr::xml
