#include "gateway/config/cli.h"

#include <optional>

namespace gateway::config {
namespace {

CommandLine Simple(Command command) {
  CommandLine cl;
  cl.command = command;
  return cl;
}

CommandLine UsageError(std::string message) {
  CommandLine cl;
  cl.command = Command::kUsageError;
  cl.error = std::move(message);
  return cl;
}

}  // namespace

CommandLine ParseCommandLine(const std::vector<std::string_view>& args) {
  for (std::string_view a : args) {
    if (a == "--help" || a == "-h") return Simple(Command::kHelp);
  }
  if (args.empty()) return UsageError("missing command");
  if (args[0] == "--version") {
    if (args.size() > 1) return UsageError("--version takes no arguments");
    return Simple(Command::kVersion);
  }
  if (args[0] == "translate") {
    CommandLine cl;
    cl.command = Command::kTranslate;
    for (size_t i = 1; i < args.size(); ++i) {
      std::string_view arg = args[i];
      if (arg == "--apprec") {
        cl.with_apprec = true;
      } else if (arg == "--to" || arg == "--to=kith" || arg.starts_with("--to=")) {
        std::string_view v = arg == "--to" ? (i + 1 < args.size() ? args[++i] : "") : arg.substr(5);
        if (v != "kith")
          return UsageError("--to takes kith (the only direction besides the default)");
        cl.to_kith = true;
      } else if (arg == "--config" || arg.starts_with("--config=")) {
        std::string_view v =
            arg == "--config" ? (i + 1 < args.size() ? args[++i] : "") : arg.substr(9);
        if (v.empty()) return UsageError("--config needs a value");
        if (cl.overrides.config_file) return UsageError("--config given twice");
        cl.overrides.config_file = std::string(v);
      } else if (arg.starts_with("-")) {
        return UsageError("unknown flag: " + std::string(arg));
      } else if (!cl.input.empty()) {
        return UsageError("translate takes one file");
      } else {
        cl.input = std::string(arg);
      }
    }
    if (cl.input.empty()) return UsageError("translate needs a file");
    if (cl.to_kith && cl.with_apprec)
      return UsageError("--apprec goes with XML input, not --to kith");
    return cl;
  }
  if (args[0] != "serve") {
    if (args[0].starts_with("-")) return UsageError("unknown flag: " + std::string(args[0]));
    return UsageError("unknown command: " + std::string(args[0]));
  }
  CommandLine cl;
  cl.command = Command::kServe;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    std::optional<std::string>* target = nullptr;
    if (name == "--config") {
      target = &cl.overrides.config_file;
    } else if (name == "--listen") {
      target = &cl.overrides.listen;
    } else if (name == "--data") {
      target = &cl.overrides.data_dir;
    } else if (arg.starts_with("-")) {
      return UsageError("unknown flag: " + std::string(name));
    } else {
      return UsageError("unexpected argument: " + std::string(arg));
    }
    if (!value.has_value()) {
      if (i + 1 >= args.size()) return UsageError(std::string(name) + " needs a value");
      value = args[++i];
    }
    if (target->has_value()) return UsageError(std::string(name) + " given twice");
    *target = std::string(*value);
  }
  return cl;
}

std::string VersionLine() { return std::string("emeistring-gateway ") + EMG_VERSION; }

std::string Usage() {
  std::string u =
      "Usage:\n"
      "  emeistring-gateway serve [--config FILE] [--listen HOST:PORT] [--data DIR]\n"
      "  emeistring-gateway translate [--config FILE] [--apprec] FILE.xml\n"
      "  emeistring-gateway translate --to kith [--config FILE] FILE.json\n"
      "  emeistring-gateway --help\n"
      "  emeistring-gateway --version\n"
      "\n"
      "serve runs the FHIR R4 gateway until SIGTERM or SIGINT.\n"
      "  --config FILE       JSON config file (default: $EMG_CONFIG, else built-in defaults)\n"
      "  --listen HOST:PORT  listen address (default 127.0.0.1:8080; port 0 picks a free port)\n"
      "  --data DIR          data directory, created if missing (default ./var);\n"
      "                      the database is DIR/gateway.db\n"
      "\n"
      "Precedence: defaults < config file < environment < command line.\n"
      "Config keys and their environment variables:\n";
  for (const KeyInfo& k : Keys()) {
    std::string line = "  " + std::string(k.key);
    line.resize(32, ' ');
    line += std::string(k.env) + "\n";
    u += line;
  }
  u += "\ntranslate prints the FHIR transaction Bundle a KITH message becomes (with --apprec, the\n"
       "AppRec it gets too), or with --to kith the Dialogmelding a Communication becomes; it\n"
       "uses the ehr.* and terminology.* settings and no database.\n";
  u += "\nExit codes: 0 clean shutdown (translate: the message would be accepted), 1 config or\n"
       "startup error, 2 usage error, 3 translate: the message would be refused (AppRec Avvist).\n";
  return u;
}

}  // namespace gateway::config
