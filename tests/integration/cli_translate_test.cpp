// `emeistring-gateway translate` on the real binary: a KITH message to the FHIR transaction it
// becomes (and its AppRec), a Communication to the Dialogmelding it becomes, the exit codes
// integration teams script against, and nothing personal in what goes to stderr.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "fhir/json/parser.h"
#include "integration/support/ehr_support.h"
#include "integration/support/gateway_process.h"

namespace emg::test {
namespace {

bool Contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

TEST(CliTranslate, AReferralPrintsItsTransactionBundle) {
  RunResult r =
      RunGateway({"translate", kCorpus + "/henvisning-1.1/valid-depression-p76.xml"}, EhrEnv());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto bundle = fhir::json::Parse(r.out);
  ASSERT_TRUE(bundle.has_value()) << r.out.substr(0, 400);
  EXPECT_EQ(bundle->GetString("resourceType"), "Bundle");
  EXPECT_EQ(bundle->GetString("type"), "transaction");
  std::set<std::string> types;
  for (const auto& e : bundle->Find("entry")->items()) {
    types.insert(std::string(e.Find("resource")->GetString("resourceType")));
  }
  for (const char* t : {"Patient", "Organization", "ServiceRequest", "Condition", "Task",
                        "DocumentReference", "Binary", "Provenance"}) {
    EXPECT_TRUE(types.contains(t)) << t;
  }
  EXPECT_FALSE(Contains(r.out, "<AppRec"));  // only with --apprec
  EXPECT_FALSE(Contains(r.err, "12848841054"));
}

TEST(CliTranslate, WithAppRecTheReceiptFollowsTheBundle) {
  RunResult r = RunGateway(
      {"translate", "--apprec", kCorpus + "/dialogmelding-1.1/valid-helsefaglig-notat-7322-6.xml"},
      EhrEnv());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t apprec = r.out.find("<?xml");
  ASSERT_NE(apprec, std::string::npos) << r.out.substr(0, 300);
  EXPECT_TRUE(fhir::json::Parse(r.out.substr(0, apprec)).has_value());
  EXPECT_TRUE(Contains(r.out.substr(apprec), "<Status V=\"1\""));
}

TEST(CliTranslate, ARefusedMessageExitsThreeAndShowsTheAvvist) {
  RunResult r =
      RunGateway({"translate", "--apprec", kCorpus + "/reject/e30-missing-fnr.xml"}, EhrEnv());
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(Contains(r.out, "V=\"2\"")) << r.out;  // Status Avvist
  EXPECT_TRUE(Contains(r.out, "V=\"E30\"")) << r.out;
  EXPECT_TRUE(Contains(r.err, "Avvist"));
}

TEST(CliTranslate, ACommunicationPrintsItsDialogmelding) {
  RunResult r =
      RunGateway({"translate", "--to", "kith", kCorpus + "/outbound/note-to-gp.json"}, EhrEnv());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "<MsgHead")) << r.out.substr(0, 300);
  EXPECT_TRUE(Contains(r.out, "DIALOG_HELSEFAGLIG"));
  EXPECT_TRUE(Contains(r.out, "http://www.kith.no/xmlstds/dialog/2013-01-23"));
  EXPECT_TRUE(Contains(r.out, "<Id>1234567</Id>"));
  EXPECT_TRUE(Contains(r.out, "Vi ber om oppdatert medisinliste"));
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(CliTranslate, ACommunicationWithoutAddressExitsThree) {
  RunResult r =
      RunGateway({"translate", "--to=kith", kCorpus + "/outbound/no-address.json"}, EhrEnv());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(r.out.empty());
  EXPECT_TRUE(Contains(r.err, "Communication.recipient")) << r.err;
}

TEST(CliTranslate, WithoutEhrConfigurationItSaysWhatIsMissing) {
  RunResult r =
      RunGateway({"translate", kCorpus + "/reject/e30-missing-fnr.xml"},
                 {{"EMG_TERMINOLOGY_DIR", std::string(EMG_SOURCE_DIR) + "/mappings/terminology"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "ehr.her_id")) << r.err;
  r = RunGateway({"translate", "/nonexistent/file.xml"}, EhrEnv());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "cannot read")) << r.err;
  r = RunGateway({"translate"}, EhrEnv());
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace emg::test
