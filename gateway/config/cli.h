#pragma once
// Command-line parsing for the gateway executable (no side effects; testable).
//
//   emeistring-gateway serve [--config FILE] [--listen HOST:PORT] [--data DIR]
//   emeistring-gateway translate [--config FILE] [--apprec] FILE.xml
//   emeistring-gateway translate --to kith [--config FILE] FILE.json
//   emeistring-gateway --help | -h
//   emeistring-gateway --version
//
// Flags take their value as the next argument or after '=' (--listen=127.0.0.1:0).

#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/config.h"

namespace gateway::config {

enum class Command {
  kServe,
  kTranslate,   // a KITH message to FHIR (or, with --to kith, a Communication to KITH XML)
  kHelp,        // print Usage() to stdout, exit 0
  kVersion,     // print VersionLine() to stdout, exit 0
  kUsageError,  // print `error` and Usage() to stderr, exit 2
};

struct CommandLine {
  Command command = Command::kUsageError;
  CommandLineOverrides overrides;
  std::string error;  // for kUsageError
  // translate: the input file, the direction and whether to print the AppRec too.
  std::string input;
  bool to_kith = false;
  bool with_apprec = false;
};

// translate's exit code when the message would be refused (AppRec status 2).
inline constexpr int kExitRejected = 3;

// `args` excludes the program name.
CommandLine ParseCommandLine(const std::vector<std::string_view>& args);

// Multi-line usage text, including the environment variables.
std::string Usage();
// "emeistring-gateway <EMG_VERSION>"
std::string VersionLine();

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // config error or startup failure
inline constexpr int kExitUsage = 2;

}  // namespace gateway::config
