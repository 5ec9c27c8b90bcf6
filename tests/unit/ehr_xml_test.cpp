// The safe XML layer of the EHR adapter: what it refuses (DTDs, entities, depth, size) and
// what it reads (encodings, namespaces, text, paths).

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "adapters/ehr/xml/document.h"
#include "adapters/ehr/xml/schema_set.h"
#include "adapters/ehr/xml/writer.h"

namespace adapters::ehr::xml {
namespace {

class EhrXml : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Initialize(); }

  static ParseFailure Refused(const std::string& bytes, size_t max = 1 << 20) {
    ParseError error{ParseFailure::kNotWellFormed, ""};
    auto doc = Document::Parse(bytes, max, &error);
    EXPECT_FALSE(doc.has_value()) << bytes.substr(0, 80);
    EXPECT_FALSE(error.message.empty());
    return error.failure;
  }
};

TEST_F(EhrXml, ExternalEntitiesAndDtdsAreRefusedBeforeAnythingIsLoaded) {
  const std::string xxe_file =
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
  const std::string xxe_net =
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"http://127.0.0.1:9/x\">]><r>&x;</r>";
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
      "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
      "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
      "<lolz>&lol3;</lolz>";
  const std::string parameter =
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY % p SYSTEM \"file:///etc/hostname\">%p;]><r/>";
  const std::string external_dtd =
      "<?xml version=\"1.0\"?><!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r/>";
  for (const std::string& attack : {xxe_file, xxe_net, laughs, parameter, external_dtd}) {
    EXPECT_EQ(Refused(attack), ParseFailure::kDoctype) << attack;
  }
  // Lower-case doctype and an undeclared entity reference are refused too.
  EXPECT_EQ(Refused("<!doctype r><r/>"), ParseFailure::kDoctype);
  EXPECT_EQ(Refused("<r>&undeclared;</r>"), ParseFailure::kNotWellFormed);
}

TEST_F(EhrXml, DepthAndSizeAreBounded) {
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "<a>";
  for (int i = 0; i < 10000; ++i) deep += "</a>";
  EXPECT_EQ(Refused(deep, 1 << 20), ParseFailure::kTooComplex);
  std::string big = "<r>" + std::string(5000, 'x') + "</r>";
  EXPECT_EQ(Refused(big, 4096), ParseFailure::kTooLarge);
  ParseError error;
  EXPECT_TRUE(Document::Parse(big, 8192, &error).has_value());
}

TEST_F(EhrXml, NotWellFormedNamesTheLineNotTheContent) {
  ParseError error;
  auto doc = Document::Parse("<r>\n<Navn>Kari Syntetisk</Navn>\n<a></b>\n</r>", 1024, &error);
  ASSERT_FALSE(doc.has_value());
  EXPECT_EQ(error.failure, ParseFailure::kNotWellFormed);
  EXPECT_NE(error.message.find("line 3"), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find("Kari"), std::string::npos) << error.message;
  EXPECT_EQ(Refused(""), ParseFailure::kNotWellFormed);
  EXPECT_EQ(Refused("plain text"), ParseFailure::kNotWellFormed);
}

TEST_F(EhrXml, ReadsLatin1AndUtf8AndNamespaces) {
  // "Æøå" in ISO-8859-1 bytes, declared as such.
  std::string latin1 =
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
      "<m xmlns=\"urn:a\" xmlns:b=\"urn:b\"><b:n V=\"x\">\xC6\xF8\xE5</b:n>"
      "<n>2</n><n>3</n></m>";
  ParseError error;
  auto doc = Document::Parse(latin1, 1024, &error);
  ASSERT_TRUE(doc.has_value()) << error.message;
  EXPECT_EQ(doc->declared_encoding(), "ISO-8859-1");
  const xmlNode* root = doc->root();
  EXPECT_EQ(LocalName(root), "m");
  EXPECT_EQ(Namespace(root), "urn:a");
  const xmlNode* bn = Child(root, "urn:b", "n");
  ASSERT_NE(bn, nullptr);
  EXPECT_EQ(Text(bn), "\xC3\x86\xC3\xB8\xC3\xA5");  // UTF-8
  EXPECT_EQ(Attr(bn, "V"), "x");
  EXPECT_TRUE(HasAttr(bn, "V"));
  EXPECT_FALSE(HasAttr(bn, "S"));
  EXPECT_EQ(Children(root, "urn:a", "n").size(), 2u);
  EXPECT_EQ(Child(root, "", "n"), nullptr);  // namespace-aware
  EXPECT_EQ(PathOf(Children(root, "urn:a", "n")[1]), "/m/n[2]");
  EXPECT_EQ(PathOf(bn), "/m/n");  // the only n of its namespace
  // A UTF-8 BOM and CDATA.
  auto bom = Document::Parse("\xEF\xBB\xBF<r><![CDATA[a<b]]> </r>", 1024, &error);
  ASSERT_TRUE(bom.has_value()) << error.message;
  EXPECT_EQ(Text(bom->root()), "a<b");
}

TEST_F(EhrXml, InnerXmlKeepsMarkupOfFreeText) {
  ParseError error;
  auto doc = Document::Parse("<t>Linje 1<br/><b>viktig</b></t>", 1024, &error);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(InnerXml(doc->root()), "Linje 1<br/><b>viktig</b>");
  EXPECT_EQ(Text(doc->root()), "Linje 1viktig");
}

TEST_F(EhrXml, ParseErrorsSayWhatIsWrongInTheMessageNotInTheParser) {
  struct Case {
    std::string xml;
    std::string says;  // a piece of the text the sender gets
  };
  const Case cases[] = {
      {"<r>\n<a>&#0;</a></r>", "character that XML does not allow"},
      {"<r>\n<a>x</b></r>", "the end tag </b> does not close the open element <a>"},
      {"<r>\n<a b=\"1\" b=\"2\"/></r>", "an attribute appears twice"},
      {"<r>\n<a>&nbsp;</a></r>", "entity reference"},
      {"<r>\n<a>x & y</a></r>", "write &lt; and &amp;"},
      {"<r>\n<a>", "cut off"},
      {"<r/><extra/>", "after the end of the root element"},
  };
  for (const Case& c : cases) {
    ParseError error;
    auto doc = Document::Parse(c.xml, 1024, &error);
    ASSERT_FALSE(doc.has_value()) << c.xml;
    EXPECT_EQ(error.failure, ParseFailure::kNotWellFormed) << c.xml;
    EXPECT_NE(error.message.find(c.says), std::string::npos) << error.message;
    EXPECT_NE(error.message.find("line "), std::string::npos) << error.message;
    // Never libxml2's own vocabulary (function and option names).
    EXPECT_EQ(error.message.find("xmlParse"), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find("XML_PARSE"), std::string::npos) << error.message;
  }
  // Where: the open elements.
  ParseError error;
  ASSERT_FALSE(Document::Parse("<m>\n<n>\n<o>&#0;</o></n></m>", 1024, &error).has_value());
  EXPECT_NE(error.message.find("/m/n/o"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("line 3"), std::string::npos) << error.message;
}

TEST_F(EhrXml, ParseWorkIsBoundedBeforeLibxml2Sees100000Attributes) {
  std::string attrs;
  for (int i = 0; i < 100000; ++i) attrs += " a" + std::to_string(i) + "=\"x\"";
  const std::string hostile = "<r>\n<n" + attrs + "/></r>";
  ParseError error;
  ParseLimits limits;
  limits.max_bytes = 4 << 20;
  auto doc = Document::Parse(hostile, limits, &error);
  ASSERT_FALSE(doc.has_value());
  EXPECT_EQ(error.failure, ParseFailure::kTooComplex);
  EXPECT_NE(error.message.find("line 2"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("/r/n has 100000 attributes"), std::string::npos) << error.message;
  // The limit counts attributes, not '=' in values, comments, CDATA or text, and knows '>'
  // inside a quoted value.
  std::string fine =
      "<r><!-- a=b c=d --><![CDATA[x=1 y=2 <a b=c>]]><n a=\"x>=1\" b='2=3'>k=v</n></r>";
  limits.max_attributes_per_element = 2;
  EXPECT_TRUE(Document::Parse(fine, limits, &error).has_value()) << error.message;
  limits.max_attributes_per_element = 1;
  EXPECT_FALSE(Document::Parse(fine, limits, &error).has_value());
  EXPECT_EQ(error.failure, ParseFailure::kTooComplex);
  // Elements and attributes in all.
  ParseLimits few;
  few.max_elements = 3;
  EXPECT_TRUE(Document::Parse("<r><a/><b></b></r>", few, &error).has_value());
  EXPECT_FALSE(Document::Parse("<r><a/><b></b><c/></r>", few, &error).has_value());
  EXPECT_EQ(error.failure, ParseFailure::kTooComplex);
  few = ParseLimits();
  few.max_attributes = 2;
  EXPECT_FALSE(Document::Parse("<r a='1'><b c='2'/><d e='3'/></r>", few, &error).has_value());
  EXPECT_EQ(error.failure, ParseFailure::kTooComplex);
  // UTF-16 is not a KITH encoding (and would slip past a byte scan).
  EXPECT_EQ(Refused(std::string("\xFF\xFE<\0r\0/\0>\0", 10)), ParseFailure::kNotWellFormed);
}

// libxml2 keeps its error callbacks per thread, and its default prints to stderr, with bytes of
// the document ("input conversion failed ..., bytes 0x81 ..."). On a thread that never called
// Initialize(), nothing but JSON lines may come out, and no content.
TEST_F(EhrXml, Libxml2WritesNoRawLinesOnAnyThread) {
  const std::string bad_bytes =
      "<?xml version=\"1.0\" encoding=\"windows-1252\"?><r>Hemmelig\x81tekst</r>";
  const std::string bad_utf8 = "<?xml version=\"1.0\"?><r>Hemmelig\xC3\x28tekst</r>";
  ::testing::internal::CaptureStderr();
  std::thread worker([&] {
    for (const std::string& bytes : {bad_bytes, bad_utf8}) {
      ParseError error;
      EXPECT_FALSE(Document::Parse(bytes, 1024, &error).has_value());
      EXPECT_EQ(error.message.find("Hemmelig"), std::string::npos) << error.message;
    }
  });
  worker.join();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("Hemmelig"), std::string::npos) << err;
  EXPECT_EQ(err.find("0x81"), std::string::npos) << err;
  // The conversion error did reach the log, as a structured event.
  EXPECT_NE(err.find("\"domain\":\"encoding\""), std::string::npos) << err;
  size_t start = 0;
  while (start < err.size()) {
    size_t end = err.find('\n', start);
    std::string line =
        err.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) {
      EXPECT_EQ(line.front(), '{') << line;
      EXPECT_NE(line.find("\"event\":\"xml_library_error\""), std::string::npos) << line;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

TEST_F(EhrXml, SerializeElementKeepsAPartWholeWithItsNamespaces) {
  ParseError error;
  auto doc = Document::Parse(
      "<a:m xmlns:a=\"urn:a\" xmlns=\"urn:d\"><c><x:p xmlns:x=\"urn:x\" k=\"v\">t&amp;u<q/></x:p>"
      "</c></a:m>",
      1024, &error);
  ASSERT_TRUE(doc.has_value()) << error.message;
  const xmlNode* c = Child(doc->root(), "urn:d", "c");
  std::string part = SerializeElement(c);
  auto again = Document::Parse(part, 1024, &error);
  ASSERT_TRUE(again.has_value()) << part;
  EXPECT_EQ(LocalName(again->root()), "c");
  EXPECT_EQ(Namespace(again->root()), "urn:d");  // declared on an ancestor, now on the part
  const xmlNode* p = Child(again->root(), "urn:x", "p");
  ASSERT_NE(p, nullptr) << part;
  EXPECT_EQ(Attr(p, "k"), "v");
  EXPECT_EQ(Text(p), "t&u");
}

// Found by fuzzing the inbox: a T01 AppRec quoted libxml2's error, which named an element with a
// Latin-1 byte, and came out not well-formed. What the writer writes is always well-formed UTF-8.
TEST_F(EhrXml, WriterReplacesWhatXmlCannotCarry) {
  Writer w("urn:x", "r");
  const std::string bad = std::string(
      "a\x01"
      "b\xED\xA0\x80"
      "c\xFF\xC3"
      "d\xEF\xBF\xBE"
      "e\x00"
      "f",
      16);
  xmlNode* n = w.Add(w.root(), "t", bad);
  w.SetAttr(n, "V", "\x7F\x1F\xC0\xAF ok \xC3\xB8\xF0\x9F\x98\x80");
  std::string text = w.Serialize();
  ParseError error;
  auto doc = Document::Parse(text, 1024, &error);
  ASSERT_TRUE(doc.has_value()) << error.message;
  const std::string fffd = "\xEF\xBF\xBD";
  // Controls (NUL too), the bytes of a surrogate, stray bytes and U+FFFE become U+FFFD.
  EXPECT_EQ(
      Text(Child(doc->root(), "urn:x", "t")),
      "a" + fffd + "b" + fffd + fffd + fffd + "c" + fffd + fffd + "d" + fffd + "e" + fffd + "f");
  // DEL is allowed in XML; an overlong '/' is not UTF-8; ø and an emoji are kept.
  EXPECT_EQ(Attr(Child(doc->root(), "urn:x", "t"), "V"),
            "\x7F" + fffd + fffd + fffd + " ok \xC3\xB8\xF0\x9F\x98\x80");
}

TEST(EhrXmlMessages, BlankValuesKeepsNamesAndDropsData) {
  EXPECT_EQ(BlankValues("Element '{urn:x}GenDate': '1991-12-4' is not a valid value of the "
                        "atomic type 'xs:dateTime'."),
            "Element '{urn:x}GenDate': '...' is not a valid value of the atomic type "
            "'xs:dateTime'.");
  EXPECT_EQ(BlankValues("Element '{urn:x}Foo', attribute 'V': The value '12345678901' is not "
                        "accepted"),
            "Element '{urn:x}Foo', attribute 'V': The value '...' is not accepted");
  EXPECT_EQ(BlankValues("no quotes here"), "no quotes here");
  EXPECT_EQ(BlankValues("unbalanced 'quote"), "unbalanced 'quote");
}

}  // namespace
}  // namespace adapters::ehr::xml
