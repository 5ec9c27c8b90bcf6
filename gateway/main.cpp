// emeistring-gateway: the command line (gateway/config/cli.h) and the process around the
// application (gateway/app/application.h). `serve` loads the configuration, builds the
// application, runs until SIGTERM or SIGINT, then shuts it down in order and exits 0.

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "gateway/app/application.h"
#include "gateway/app/translate.h"
#include "gateway/config/cli.h"
#include "gateway/config/config.h"

namespace {

namespace cfg = gateway::config;

common::log::Level ParseLevel(std::string_view level) {
  if (level == "debug") return common::log::Level::kDebug;
  if (level == "warn") return common::log::Level::kWarn;
  if (level == "error") return common::log::Level::kError;
  return common::log::Level::kInfo;
}

// Blocks the termination signals in this thread and every thread started after it, so that
// WaitForSignal() alone receives them.
sigset_t BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

int WaitForSignal(const sigset_t& set) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) == 0) return sig;
  }
}

int Serve(const cfg::CommandLineOverrides& overrides) {
  sigset_t signals = BlockTerminationSignals();
  auto config = cfg::Load(overrides, [](const char* name) { return std::getenv(name); });
  if (!config.has_value()) {
    std::fprintf(stderr, "config error: %s\n", config.error().message().c_str());
    return cfg::kExitFailure;
  }
  // Startup lines up to "listening" are written even at log.level warn or error: tools and
  // tests read the bound port from the "listening" line.
  const common::log::Level level = ParseLevel(config->log.level);
  common::log::SetMinLevel(std::min(level, common::log::Level::kInfo));

  auto built = gateway::app::Application::Build(*config);
  if (!built.has_value()) return cfg::kExitFailure;  // already logged by the failing step
  std::unique_ptr<gateway::app::Application> app = std::move(*built);
  common::log::SetMinLevel(level);
  app->StartBackgroundWork();

  const int sig = WaitForSignal(signals);
  common::log::Info("shutdown_started", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                         {"drain_timeout_ms", config->server.drain_timeout_ms}});
  app.reset();
  common::log::Info("stopped");
  return cfg::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  cfg::CommandLine cl = cfg::ParseCommandLine(args);
  switch (cl.command) {
    case cfg::Command::kHelp:
      std::fputs(cfg::Usage().c_str(), stdout);
      return cfg::kExitOk;
    case cfg::Command::kVersion:
      std::printf("%s\n", cfg::VersionLine().c_str());
      return cfg::kExitOk;
    case cfg::Command::kUsageError:
      std::fprintf(stderr, "emeistring-gateway: %s\n\n%s", cl.error.c_str(), cfg::Usage().c_str());
      return cfg::kExitUsage;
    case cfg::Command::kServe:
      return Serve(cl.overrides);
    case cfg::Command::kTranslate:
      return gateway::app::Translate(cl, stdout, stderr);
  }
  return cfg::kExitUsage;
}
