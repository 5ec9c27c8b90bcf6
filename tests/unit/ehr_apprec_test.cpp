// AppRec 1.0 and 1.1: what we write validates against the official schemas and reads back.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "adapters/ehr/apprec.h"
#include "adapters/ehr/envelope.h"
#include "adapters/ehr/xml/schema_set.h"
#include "tests/unit/ehr_test_support.h"

namespace adapters::ehr {
namespace {

class EhrAppRec : public EhrSuite<> {
 protected:
  static AppRec Sample(const std::string& version) {
    AppRec a;
    a.version = version;
    a.id = "7d3c6a4e-1d2b-4c5e-9f00-0a1b2c3d4e5f";
    a.gen_date = "2026-12-04T20:15:00";
    a.sender = {"eMeistring DPS (syntetisk)", "8142519", "eMeistring internettbehandling",
                "8142520"};
    a.receiver = {"Legesenteret Syntetisk", "1234567", "", ""};
    a.status = "2";
    a.status_display = "Avvist";
    a.errors.push_back(
        {"T02", "XML validerer ikke", "/MsgHead/MsgInfo/GenDate: '...' is not valid"});
    a.errors.push_back({"E21", "Mottaker finnes ikke", ""});
    a.original_type = "DIALOG_HELSEFAGLIG";
    a.original_type_display = "Helsefaglig dialog";
    a.original_issue_date = "2026-12-04T20:14:00";
    a.original_id = "gp-msg-0001";
    return a;
  }
};

TEST_F(EhrAppRec, BothVersionsValidateAndReadBack) {
  for (const std::string version : {"1.0", "1.1"}) {
    AppRec a = Sample(version);
    std::string text = WriteAppRec(a);
    xml::ParseError error;
    auto doc = xml::Document::Parse(text, 1 << 20, &error);
    ASSERT_TRUE(doc.has_value()) << error.message;
    auto violations = schemas_->Validate(*doc);
    for (const auto& v : violations) ADD_FAILURE() << version << ": " << v.path << " " << v.message;
    Envelope e = DetectEnvelope(*doc);
    EXPECT_EQ(e.kind, MessageKind::kAppRec);
    EXPECT_EQ(e.version, version);
    auto back = ReadAppRec(*doc);
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(back->version, version);
    EXPECT_EQ(back->id, a.id);
    EXPECT_EQ(back->status, "2");
    ASSERT_EQ(back->errors.size(), 2u);
    EXPECT_EQ(back->errors[0].code, "T02");
    EXPECT_EQ(back->errors[0].detail, a.errors[0].detail);
    EXPECT_EQ(back->sender.her_id, "8142519");
    EXPECT_EQ(back->sender.dept_her_id, "8142520");
    EXPECT_EQ(back->receiver.her_id, "1234567");
    EXPECT_EQ(back->original_id, "gp-msg-0001");
    EXPECT_EQ(back->original_type, "DIALOG_HELSEFAGLIG");
    EXPECT_EQ(back->original_issue_date, a.original_issue_date);
    EXPECT_NE(text.find(version == "1.0" ? "apprec/2004-11-21" : "apprec/2012-02-15"),
              std::string::npos);
  }
}

TEST_F(EhrAppRec, TextIsEscapedAndAnAppRecWithoutOriginalIsRefused) {
  AppRec a = Sample("1.1");
  a.sender.name = "A & B <klinikk>";
  std::string text = WriteAppRec(a);
  EXPECT_NE(text.find("A &amp; B &lt;klinikk&gt;"), std::string::npos);
  xml::ParseError error;
  auto doc = xml::Document::Parse(text, 1 << 20, &error);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(ReadAppRec(*doc)->sender.name, "A & B <klinikk>");
  auto bad = xml::Document::Parse(
      "<AppRec xmlns=\"http://www.kith.no/xmlstds/apprec/2012-02-15\"><Id>x</Id></AppRec>", 1024,
      &error);
  ASSERT_TRUE(bad.has_value());
  EXPECT_FALSE(ReadAppRec(*bad).has_value());
  EXPECT_FALSE(schemas_->Validate(*bad).empty());
}

}  // namespace
}  // namespace adapters::ehr
