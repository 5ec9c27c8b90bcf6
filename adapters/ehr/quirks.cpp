#include "adapters/ehr/quirks.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <utility>

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

// "2026-03-11T00:00:00" (optionally with fractions of a second of zeros and a zone) -> its
// date; empty otherwise. Only midnight: a time of day on a date field could move the date
// across a zone boundary, and then the date is no longer unambiguous.
std::string MidnightDate(std::string_view s) {
  if (s.size() < 19 || !IsDigits(s.substr(0, 4)) || s[4] != '-' || !IsDigits(s.substr(5, 2)) ||
      s[7] != '-' || !IsDigits(s.substr(8, 2)) || s.substr(10, 9) != "T00:00:00") {
    return {};
  }
  std::string_view rest = s.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    size_t zeros = rest.find_first_not_of('0', 1);
    if (zeros == 1) return {};
    rest = rest.substr(zeros == std::string_view::npos ? rest.size() : zeros);
  }
  bool zone = rest.empty() || rest == "Z" ||
              (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') &&
               IsDigits(rest.substr(1, 2)) && rest[3] == ':' && IsDigits(rest.substr(4, 2)));
  return zone ? std::string(s.substr(0, 10)) : std::string();
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

// The namespaces whose CS/CV elements are checked for a missing V.
bool KithNamespace(std::string_view ns) {
  return ns == ns::kMsgHead || ns == ns::kDialog10 || ns == ns::kDialog11 || ns == ns::kFelles1 ||
         ns == ns::kHenvisning10 || ns == ns::kHenvisning11 || ns == ns::kHenvisning20 ||
         ns == ns::kHenvisning20Old;
}

xmlAttr* FindAttr(xmlNode* n, std::string_view name) {
  for (xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (a->ns == nullptr && a->name != nullptr &&
        std::string_view(reinterpret_cast<const char*>(a->name)) == name) {
      return a;
    }
  }
  return nullptr;
}

bool Blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// The XSD sequences of MsgHead 1.2 (adapters/ehr/schemas/kith/MsgHead-v1_2.xsd), by element:
// the children in schema order; members of one choice share a rank. Only these elements are
// put in order, and only when every child is one of them.
struct Sequence {
  std::string_view parent;
  std::vector<std::vector<std::string_view>> ranks;  // ranks[i]: the names at position i
  std::vector<std::string_view> repeatable;          // may occur more than once
};

const std::vector<Sequence>& MsgHeadSequences() {
  static const std::vector<Sequence> kSequences = {
      {"MsgInfo",
       {{"Type"},
        {"MIGversion"},
        {"GenDate"},
        {"MsgId"},
        {"ProcessingStatus"},
        {"RequestedPriority"},
        {"Ack"},
        {"ConversationRef"},
        {"Sender"},
        {"Receiver"},
        {"OtherReceiver"},
        {"Patient"}},
       {"OtherReceiver"}},
      {"ConversationRef", {{"RefToParent"}, {"RefToConversation"}}, {}},
      {"Sender", {{"ComMethod"}, {"Organisation"}}, {}},
      {"Receiver", {{"ComMethod"}, {"Organisation"}}, {}},
      {"OtherReceiver",
       {{"ComMethod"},
        {"RoleReceiver"},
        {"Organisation", "Patient", "Person", "HealthcareProfessional"}},
       {}},
      {"Organisation",
       {{"OrganisationName"},
        {"TypeOrganisation"},
        {"Ident"},
        {"Address"},
        {"TeleCom"},
        {"Organisation"},
        {"HealthcareProfessional"}},
       {"Ident", "TeleCom"}},
      {"HealthcareProfessional",
       {{"TypeHealthcareProfessional"},
        {"RoleToPatient"},
        {"FamilyName"},
        {"MiddleName"},
        {"GivenName"},
        {"DateOfBirth"},
        {"Sex"},
        {"Nationality"},
        {"Ident"},
        {"Address"},
        {"TeleCom"}},
       {"Ident", "TeleCom"}},
      {"Patient",
       {{"FamilyName"},
        {"MiddleName"},
        {"GivenName"},
        {"DateOfBirth"},
        {"Sex"},
        {"Nationality"},
        {"Ident"},
        {"Address"},
        {"TeleCom"}},
       {"Ident", "TeleCom"}},
      {"Person",
       {{"FamilyName"},
        {"MiddleName"},
        {"GivenName"},
        {"DateOfBirth"},
        {"Sex"},
        {"Nationality"},
        {"Ident"},
        {"Address"},
        {"TeleCom"}},
       {"Ident", "TeleCom"}},
      {"Document",
       {{"DocumentConnection"},
        {"ContentType"},
        {"ContentDescription"},
        {"ContentCategory"},
        {"Consent"},
        {"Annotation"},
        {"FromDate"},
        {"ToDate"},
        {"OidRef"},
        {"EnquiryRefId"},
        {"RefDoc"}},
       {}},
      {"RefDoc",
       {{"IssueDate"},
        {"MsgType"},
        {"Id"},
        {"MimeType"},
        {"Description"},
        {"Compression"},
        {"FileReference", "Content"}},
       {}},
      {"Address",
       {{"Type"}, {"StreetAdr"}, {"PostalCode"}, {"City"}, {"Postbox"}, {"County"}, {"Country"}},
       {}},
      {"TeleCom", {{"TypeTelecom"}, {"TeleAddress"}}, {}},
      {"Ident", {{"Id"}, {"TypeId"}}, {}},
  };
  return kSequences;
}

struct Walker {
  ValidationPolicy policy;
  std::vector<Deviation> found;

  void Add(std::string_view kind, const xmlNode* at) {
    found.push_back({std::string(kind), xml::PathOf(at)});
  }

  // Puts the children of a MsgHead element in the XSD's order, when that order is unambiguous:
  // every child is named by the sequence, and only repeatable children repeat. Elements are
  // moved, never changed; a repeated element keeps its place among its own kind.
  void Order(xmlNode* parent) {
    if (xml::Namespace(parent) != ns::kMsgHead) return;
    std::string_view name = xml::LocalName(parent);
    bool legacy = name == "ConversationRef";  // repaired under both policies
    if (!legacy && policy != ValidationPolicy::kTolerant) return;
    const Sequence* seq = nullptr;
    for (const Sequence& s : MsgHeadSequences()) {
      if (s.parent == name) seq = &s;
    }
    if (seq == nullptr) return;
    std::vector<std::pair<size_t, xmlNode*>> children;
    std::vector<std::string_view> seen;
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      if (xml::Namespace(c) != ns::kMsgHead) return;
      std::string_view child = xml::LocalName(c);
      size_t rank = seq->ranks.size();
      for (size_t r = 0; r < seq->ranks.size(); ++r) {
        if (std::find(seq->ranks[r].begin(), seq->ranks[r].end(), child) != seq->ranks[r].end()) {
          rank = r;
        }
      }
      if (rank == seq->ranks.size()) return;  // unknown here: the validator will say so
      bool repeatable =
          std::find(seq->repeatable.begin(), seq->repeatable.end(), child) != seq->repeatable.end();
      if (!repeatable && std::find(seen.begin(), seen.end(), child) != seen.end()) return;
      seen.push_back(child);
      children.emplace_back(rank, c);
    }
    bool sorted = std::is_sorted(children.begin(), children.end(),
                                 [](const auto& a, const auto& b) { return a.first < b.first; });
    if (sorted) return;
    std::stable_sort(children.begin(), children.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [rank, c] : children) {
      xmlUnlinkNode(c);
      xmlAddChild(parent, c);
    }
    Add(legacy ? deviation::kConversationRefOrder : deviation::kElementOrder, parent);
  }

  void Codes(xmlNode* c) {
    if (!KithNamespace(xml::Namespace(c)) || !xml::ElementChildren(c).empty()) return;
    if (xml::HasAttr(c, "DN") && Blank(xml::Attr(c, "V"))) Add(deviation::kCodeWithoutValue, c);
    if (xmlAttr* s = FindAttr(c, "S"); s != nullptr && Blank(xml::Attr(c, "S"))) {
      if (policy == ValidationPolicy::kTolerant) {
        xmlRemoveProp(s);
        Add(deviation::kBlankCodeSystem, c);
      }
    }
  }

  void Walk(xmlNode* n) {
    for (xmlNode* c = n->children; c != nullptr;) {
      xmlNode* next = c->next;
      if (c->type != XML_ELEMENT_NODE) {
        c = next;
        continue;
      }
      std::string_view name = xml::LocalName(c);
      // Attributes in the misspelled XSI namespace.
      bool misspelled = false;
      for (xmlAttr* a = c->properties; a != nullptr;) {
        xmlAttr* an = a->next;
        if (a->ns != nullptr && a->ns->href != nullptr &&
            std::string_view(reinterpret_cast<const char*>(a->ns->href)) == kMisspelledXsi) {
          xmlRemoveProp(a);
          misspelled = true;
        }
        a = an;
      }
      if (misspelled) Add(deviation::kMisspelledXsiNamespace, c);
      // Only KITH's own elements are repaired: free text (XHTML in a note) and anything else
      // is the sender's and stays as written.
      const bool kith = KithNamespace(xml::Namespace(c));
      if (kith && name == "TeleCom" && !HasChildNamed(c, "TeleAddress")) {
        Add(deviation::kTelecomWithoutAddress, c);
        xmlUnlinkNode(c);
        xmlFreeNode(c);
        c = next;
        continue;
      }
      Codes(c);
      if (xmlNode* text = OnlyText(c); kith && text != nullptr && text->content != nullptr) {
        std::string padded = PaddedDate(reinterpret_cast<const char*>(text->content));
        if (!padded.empty()) {
          xmlNodeSetContent(text, reinterpret_cast<const xmlChar*>(padded.c_str()));
          Add(deviation::kDateNotZeroPadded, c);
        }
      }
      Walk(c);
      Order(c);
      c = next;
    }
  }
};

}  // namespace

std::vector<Deviation> RepairKnownQuirks(xml::Document& doc, ValidationPolicy policy) {
  Walker w{policy, {}};
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root != nullptr) {
    w.Walk(root);
    w.Order(root);
  }
  return std::move(w.found);
}

std::vector<Deviation> RepairViolations(const std::vector<xml::SchemaViolation>& violations,
                                        ValidationPolicy policy) {
  std::vector<Deviation> repaired;
  if (policy != ValidationPolicy::kTolerant) return repaired;
  for (const xml::SchemaViolation& v : violations) {
    if (v.node == nullptr || v.type != "xs:date") continue;
    auto* node = const_cast<xmlNode*>(v.node);
    xmlNode* text = OnlyText(node);
    if (text == nullptr || text->content == nullptr) continue;
    std::string value(reinterpret_cast<const char*>(text->content));
    size_t b = value.find_first_not_of(" \t\r\n");
    size_t e = value.find_last_not_of(" \t\r\n");
    std::string date = b == std::string::npos ? "" : MidnightDate(value.substr(b, e - b + 1));
    if (date.empty()) continue;
    xmlNodeSetContent(text, reinterpret_cast<const xmlChar*>(date.c_str()));
    repaired.push_back({std::string(deviation::kDateTimeInDateField), xml::PathOf(node)});
  }
  return repaired;
}

}  // namespace adapters::ehr
