#pragma once
// Command-line parsing for the gateway executable (no side effects; testable).
//
//   emeistring-gateway serve [--config FILE] [--listen HOST:PORT] [--data DIR]
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
  kHelp,        // print Usage() to stdout, exit 0
  kVersion,     // print VersionLine() to stdout, exit 0
  kUsageError,  // print `error` and Usage() to stderr, exit 2
};

struct CommandLine {
  Command command = Command::kUsageError;
  CommandLineOverrides overrides;
  std::string error;  // for kUsageError
};

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
