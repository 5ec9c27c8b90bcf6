#pragma once
// Untrusted XML, parsed safely with libxml2 (the only place in the project that parses XML).
//
// The parser never touches the network or the file system, never loads or applies a DTD and
// never expands an entity: a document with a DOCTYPE is refused outright (no KITH message has
// one, and it is the door to XXE and entity-expansion attacks). The work one document can cost
// is bounded before libxml2 sees it: its size, and a linear pre-scan of the markup that refuses
// too many attributes on one element (libxml2's duplicate-attribute check is quadratic), too
// deep nesting and too many elements or attributes in all (ParseLimits). The encoding comes
// from the BOM or the XML declaration (UTF-8 and ISO-8859-1 both occur; UTF-16/32 are not KITH
// encodings and are refused); the tree is UTF-8. CDATA sections read as text.
//
// libxml2 never writes to stderr: its per-thread error callbacks (generic and structured) are
// routed into the structured log with codes and lines only, never its message text (which can
// quote the document), and every parse collects its own errors. Error texts for the sender say
// what is wrong in the message (line, element path, what) in our words, not libxml2's.

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

// libxml2 (2.9) keeps its error callbacks per thread: installs ours on the calling thread
// (once per thread; cheap afterwards). Every entry point of this library that calls libxml2
// (parse, validate, serialize, write) calls it, so no thread falls back to libxml2's default
// of printing to stderr.
void InstallThreadErrorHandlers();

// Why a document could not be parsed.
enum class ParseFailure {
  kTooLarge,       // more bytes than the limit
  kDoctype,        // has a DOCTYPE / DTD (refused for safety)
  kTooComplex,     // over a ParseLimits bound (attributes, depth, elements)
  kNotWellFormed,  // not well-formed (including bad bytes for its encoding, UTF-16/32)
};

struct ParseError {
  ParseFailure failure = ParseFailure::kNotWellFormed;
  std::string message;  // what and where (line, element path), never the document's text
};

// What one document may cost. The defaults are far above any real KITH message (which has a
// handful of attributes per element and a few thousand elements; attachments are text).
struct ParseLimits {
  size_t max_bytes = 16 * 1024 * 1024;
  size_t max_depth = 256;  // libxml2's own limit without XML_PARSE_HUGE
  size_t max_attributes_per_element = 256;
  size_t max_elements = 200'000;
  size_t max_attributes = 400'000;
};

class Document {
 public:
  // Parses `bytes`; at most `max_bytes` are accepted (the other limits are the defaults).
  static common::StatusOr<Document> Parse(std::string_view bytes, size_t max_bytes,
                                          ParseError* error);
  static common::StatusOr<Document> Parse(std::string_view bytes, const ParseLimits& limits,
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
// Element `n` and everything in it as a stand-alone UTF-8 XML document (with an XML declaration
// and every namespace it uses declared on its root): for keeping a part of a message whole.
std::string SerializeElement(const xmlNode* n);

}  // namespace adapters::ehr::xml
