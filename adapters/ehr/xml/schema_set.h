#pragma once
// The official KITH XSDs, compiled once at start-up into one schema set (kith-all.xsd imports
// MsgHead, Dialogmelding, AppRec and their base schemas, so RefDoc/Content, which is
// processContents="strict", validates against the payload's own schema). Thread-safe after
// Load(): each validation uses its own context.

#include <libxml/xmlschemas.h>

#include <memory>
#include <string>
#include <vector>

#include "adapters/ehr/xml/document.h"
#include "common/status.h"

namespace adapters::ehr::xml {

struct SchemaViolation {
  int line = 0;
  std::string path;     // PathOf the offending element, when libxml2 names one
  std::string message;  // what is wrong; values from the document are blanked out
  int code = 0;         // libxml2's xmlParserErrors code (for classifying, quirks.h)
  // The offending element; valid while the document is alive and unchanged.
  const xmlNode* node = nullptr;
  std::string type;  // for a value of the wrong type: the type's name ("xs:date"), else empty
};

class SchemaSet {
 public:
  // Compiles `dir`/`entry` (e.g. "kith-all.xsd"). Files may import only files in `dir`; nothing
  // else is opened. Call after Initialize(), before other threads validate.
  static common::StatusOr<std::unique_ptr<SchemaSet>> Load(const std::string& dir,
                                                           const std::string& entry);
  ~SchemaSet();
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;

  // Every violation of `doc` (empty: valid). At most `limit` are reported.
  std::vector<SchemaViolation> Validate(const Document& doc, size_t limit = 20) const;

 private:
  explicit SchemaSet(xmlSchemaPtr schema) : schema_(schema) {}
  xmlSchemaPtr schema_;
};

// libxml2 messages quote values from the document ("'1991-12-4' is not a valid value ...").
// Keeps quoted element, attribute and type names ("{ns}Name", or after "Element "/"Attribute "/
// "type ") and replaces every other quoted segment with '...', so no data leaves in an error.
std::string BlankValues(const std::string& message);

}  // namespace adapters::ehr::xml
