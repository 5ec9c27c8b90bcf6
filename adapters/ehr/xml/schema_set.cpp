#include "adapters/ehr/xml/schema_set.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlIO.h>

#include <filesystem>
#include <mutex>

namespace adapters::ehr::xml {
namespace {

// While a schema compiles, the directory its imports may come from (compilation happens at
// start-up on one thread; the mutex keeps two compilations apart).
std::mutex compile_mutex;
std::string allowed_dir;  // guarded by compile_mutex; empty: refuse everything
xmlExternalEntityLoader previous_loader = nullptr;

xmlParserInputPtr SchemaDirLoader(const char* url, const char* id, xmlParserCtxtPtr ctxt) {
  if (url == nullptr || allowed_dir.empty()) return nullptr;
  std::string path(url);
  if (path.rfind("file://", 0) == 0) path = path.substr(7);
  if (path.find("://") != std::string::npos) return nullptr;  // no network, ever
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
  if (ec) return nullptr;
  std::string c = canonical.string();
  if (c.rfind(allowed_dir + "/", 0) != 0) return nullptr;
  (void)id;
  return xmlNewInputFromFile(ctxt, c.c_str());
}

struct Collected {
  std::vector<SchemaViolation>* out;
  size_t limit;
};

void CollectError(void* data, xmlErrorPtr e) {
  auto* c = static_cast<Collected*>(data);
  if (e == nullptr || c->out->size() >= c->limit) return;
  SchemaViolation v;
  v.line = e->line;
  v.code = e->code;
  if (e->node != nullptr) {
    const auto* node = static_cast<const xmlNode*>(e->node);
    if (node->type == XML_ELEMENT_NODE) {
      v.path = PathOf(node);
      v.node = node;
    }
  }
  std::string m = e->message != nullptr ? e->message : "schema violation";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  // "... is not a valid value of the atomic type 'xs:date'.": the type is schema vocabulary.
  constexpr std::string_view kAtomic = "atomic type '";
  if (size_t at = m.find(kAtomic); at != std::string::npos) {
    size_t from = at + kAtomic.size();
    size_t to = m.find('\'', from);
    if (to != std::string::npos) v.type = m.substr(from, to - from);
  }
  v.message = BlankValues(m);
  c->out->push_back(std::move(v));
}

}  // namespace

std::string BlankValues(const std::string& message) {
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    size_t open = message.find('\'', i);
    if (open == std::string::npos) {
      out += message.substr(i);
      break;
    }
    size_t close = message.find('\'', open + 1);
    if (close == std::string::npos) {
      out += message.substr(i);
      break;
    }
    std::string before = message.substr(i, open - i);
    std::string quoted = message.substr(open + 1, close - open - 1);
    auto ends_with = [&before](std::string_view w) {
      return before.size() >= w.size() &&
             before.compare(before.size() - w.size(), w.size(), w) == 0;
    };
    bool name = (!quoted.empty() && quoted.front() == '{') || ends_with("Element ") ||
                ends_with("Attribute ") || ends_with("element ") || ends_with("attribute ") ||
                ends_with("type ");
    out += before;
    out += name ? "'" + quoted + "'" : std::string("'...'");
    i = close + 1;
  }
  return out;
}

common::StatusOr<std::unique_ptr<SchemaSet>> SchemaSet::Load(const std::string& dir,
                                                             const std::string& entry) {
  std::error_code ec;
  std::filesystem::path root = std::filesystem::canonical(dir, ec);
  if (ec) {
    return common::Error(common::Code::kInvalidArgument,
                         "the schema directory '" + dir + "' cannot be opened: " + ec.message());
  }
  std::filesystem::path main = root / entry;
  if (!std::filesystem::is_regular_file(main, ec)) {
    return common::Error(common::Code::kInvalidArgument,
                         "the schema file '" + main.string() + "' does not exist");
  }
  std::lock_guard<std::mutex> lock(compile_mutex);
  allowed_dir = root.string();
  previous_loader = xmlGetExternalEntityLoader();
  xmlSetExternalEntityLoader(SchemaDirLoader);
  std::vector<SchemaViolation> problems;
  Collected collected{&problems, 5};
  xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewParserCtxt(main.c_str());
  xmlSchemaPtr schema = nullptr;
  if (pctxt != nullptr) {
    xmlSchemaSetParserStructuredErrors(pctxt, CollectError, &collected);
    schema = xmlSchemaParse(pctxt);
    xmlSchemaFreeParserCtxt(pctxt);
  }
  xmlSetExternalEntityLoader(previous_loader);
  allowed_dir.clear();
  if (schema == nullptr) {
    std::string why = problems.empty() ? "unknown error" : problems.front().message;
    return common::Error(common::Code::kInvalidArgument,
                         "the schema '" + main.string() + "' does not compile: " + why);
  }
  return std::unique_ptr<SchemaSet>(new SchemaSet(schema));
}

SchemaSet::~SchemaSet() { xmlSchemaFree(schema_); }

std::vector<SchemaViolation> SchemaSet::Validate(const Document& doc, size_t limit) const {
  InstallThreadErrorHandlers();
  std::vector<SchemaViolation> out;
  xmlSchemaValidCtxtPtr vctxt = xmlSchemaNewValidCtxt(schema_);
  if (vctxt == nullptr) {
    out.emplace_back().message = "the validator could not start (out of memory)";
    return out;
  }
  Collected collected{&out, limit};
  xmlSchemaSetValidStructuredErrors(vctxt, CollectError, &collected);
  int rc = xmlSchemaValidateDoc(vctxt, doc.get());
  xmlSchemaFreeValidCtxt(vctxt);
  if (rc != 0 && out.empty()) out.emplace_back().message = "the document does not validate";
  return out;
}

}  // namespace adapters::ehr::xml
