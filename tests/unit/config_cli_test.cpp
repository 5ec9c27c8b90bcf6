#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/cli.h"

namespace gateway::config {
namespace {

CommandLine Parse(const std::vector<std::string_view>& args) { return ParseCommandLine(args); }

TEST(CommandLine, ServeWithFlagsInBothForms) {
  CommandLine cl = Parse({"serve", "--config", "c.json", "--listen=127.0.0.1:0", "--data", "d"});
  ASSERT_EQ(cl.command, Command::kServe) << cl.error;
  EXPECT_EQ(cl.overrides.config_file, "c.json");
  EXPECT_EQ(cl.overrides.listen, "127.0.0.1:0");
  EXPECT_EQ(cl.overrides.data_dir, "d");
  cl = Parse({"serve"});
  ASSERT_EQ(cl.command, Command::kServe);
  EXPECT_FALSE(cl.overrides.config_file.has_value());
  EXPECT_FALSE(cl.overrides.listen.has_value());
}

TEST(CommandLine, TranslateBothDirections) {
  CommandLine cl = Parse({"translate", "--apprec", "m.xml", "--config=c.json"});
  ASSERT_EQ(cl.command, Command::kTranslate) << cl.error;
  EXPECT_EQ(cl.input, "m.xml");
  EXPECT_TRUE(cl.with_apprec);
  EXPECT_FALSE(cl.to_kith);
  EXPECT_EQ(cl.overrides.config_file, "c.json");
  cl = Parse({"translate", "--to", "kith", "c.json"});
  ASSERT_EQ(cl.command, Command::kTranslate) << cl.error;
  EXPECT_TRUE(cl.to_kith);
  EXPECT_FALSE(cl.with_apprec);
  EXPECT_EQ(cl.input, "c.json");
  EXPECT_TRUE(Parse({"translate", "--to=kith", "c.json"}).to_kith);
  for (const auto& [args, error] :
       std::vector<std::pair<std::vector<std::string_view>, std::string>>{
           {{"translate"}, "needs a file"},
           {{"translate", "a.xml", "b.xml"}, "one file"},
           {{"translate", "--to", "fhir", "a.xml"}, "--to takes kith"},
           {{"translate", "--to"}, "--to takes kith"},
           {{"translate", "--to", "kith", "--apprec", "c.json"}, "--apprec"},
           {{"translate", "--listen", "x", "a.xml"}, "unknown flag"}}) {
    CommandLine bad = Parse(args);
    EXPECT_EQ(bad.command, Command::kUsageError);
    EXPECT_NE(bad.error.find(error), std::string::npos) << bad.error;
  }
  EXPECT_NE(Usage().find("translate --to kith"), std::string::npos);
}

TEST(CommandLine, HelpAndVersion) {
  EXPECT_EQ(Parse({"--help"}).command, Command::kHelp);
  EXPECT_EQ(Parse({"-h"}).command, Command::kHelp);
  EXPECT_EQ(Parse({"serve", "--help"}).command, Command::kHelp);
  EXPECT_EQ(Parse({"--version"}).command, Command::kVersion);
  EXPECT_EQ(VersionLine(), std::string("emeistring-gateway ") + EMG_VERSION);
}

TEST(CommandLine, UsageErrors) {
  struct Case {
    std::vector<std::string_view> args;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {{}, "missing command"},
           {{"run"}, "unknown command: run"},
           {{"--verbose"}, "unknown flag: --verbose"},
           {{"serve", "--port", "1"}, "unknown flag: --port"},
           {{"serve", "--listen"}, "--listen needs a value"},
           {{"serve", "extra"}, "unexpected argument: extra"},
           {{"serve", "--data", "a", "--data=b"}, "--data given twice"},
           {{"--version", "x"}, "--version takes no arguments"},
       }) {
    CommandLine cl = ParseCommandLine(c.args);
    EXPECT_EQ(cl.command, Command::kUsageError) << c.error;
    EXPECT_EQ(cl.error, c.error);
  }
}

TEST(CommandLine, UsageListsCommandsAndEnvironment) {
  std::string usage = Usage();
  EXPECT_NE(
      usage.find("emeistring-gateway serve [--config FILE] [--listen HOST:PORT] [--data DIR]"),
      std::string::npos);
  EXPECT_NE(usage.find("EMG_LISTEN"), std::string::npos);
  EXPECT_NE(usage.find("server.read_timeout_ms"), std::string::npos);
}

}  // namespace
}  // namespace gateway::config
